/* Unit tests of pipeline/config: loading, defaults, ${ENV} expansion, errors. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dateline/config.h"

/* ---- temp files --------------------------------------------------------- */

/* A config file in its own temp directory, so rules resolution is testable. */
typedef struct tmp_cfg {
    char dir[PATH_MAX];
    char path[PATH_MAX];
} tmp_cfg;

static void tmp_write(tmp_cfg *t, const char *yaml)
{
    const char *base = getenv("TMPDIR");
    FILE *fp;
    int n;

    if (!base || !*base)
        base = "/tmp";
    n = snprintf(t->dir, sizeof(t->dir), "%s/dl_test_config.XXXXXX", base);
    assert_true(n > 0 && (size_t)n < sizeof(t->dir));
    assert_non_null(mkdtemp(t->dir));
    n = snprintf(t->path, sizeof(t->path), "%s/config.yaml", t->dir);
    assert_true(n > 0 && (size_t)n < sizeof(t->path));
    fp = fopen(t->path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(yaml, 1, strlen(yaml), fp), strlen(yaml));
    assert_int_equal(fclose(fp), 0);
}

static void tmp_remove(tmp_cfg *t)
{
    unlink(t->path);
    rmdir(t->dir);
}

/* Loads @p yaml from a temp file; the file is gone afterwards. */
static int load_yaml(const char *yaml, dl_config *cfg, dl_err *err, tmp_cfg *t)
{
    tmp_cfg local;
    int rc;

    if (!t)
        t = &local;
    tmp_write(t, yaml);
    dl_err_clear(err);
    rc = dl_config_load(t->path, cfg, err);
    tmp_remove(t);
    return rc;
}

static void assert_names(char **names, size_t n, const char *const *want, size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n_want; i++)
        assert_string_equal(names[i], want[i]);
}

#define ASSERT_NAMES(names, n, ...)                                                                \
    do {                                                                                           \
        static const char *const want_[] = {__VA_ARGS__};                                          \
        assert_names((names), (n), want_, sizeof(want_) / sizeof(want_[0]));                       \
    } while (0)

/* Everything except path and extract.rules, which depend on where the file is. */
static void assert_default_values(const dl_config *cfg)
{
    assert_string_equal(cfg->kafka.brokers, "127.0.0.1:9092");
    assert_string_equal(cfg->kafka.group_id, "dateline");
    assert_int_equal(cfg->kafka.consumer.n, 0);
    assert_int_equal(cfg->kafka.producer.n, 0);
    assert_string_equal(cfg->topics.input, "articles");
    assert_string_equal(cfg->topics.enriched, "articles.enriched");
    assert_string_equal(cfg->topics.timeline, "articles.timeline");
    assert_string_equal(cfg->topics.dead_letter, "articles.dlq");
    assert_int_equal(cfg->delivery, DL_DELIVERY_AT_LEAST_ONCE);
    assert_int_equal(cfg->input.format, DL_FORMAT_AUTO);
    assert_int_equal(cfg->input.max_bytes, 1048576);
    assert_string_equal(cfg->input.date_header, "");
    assert_int_equal(cfg->input.use_timestamp, 1);
    ASSERT_NAMES(cfg->input.json.id, cfg->input.json.n_id, "id");
    ASSERT_NAMES(cfg->input.json.date, cfg->input.json.n_date, "date", "published");
    ASSERT_NAMES(cfg->input.json.title, cfg->input.json.n_title, "title");
    ASSERT_NAMES(cfg->input.json.text, cfg->input.json.n_text, "text", "body");
    ASSERT_NAMES(cfg->input.json.url, cfg->input.json.n_url, "url");
    ASSERT_NAMES(cfg->input.json.lang, cfg->input.json.n_lang, "lang");
    assert_int_equal(cfg->extract.max_timexes, 10000);
    assert_int_equal(cfg->runtime.poll_timeout_ms, 100);
    assert_int_equal(cfg->runtime.shutdown_grace_ms, 10000);
    assert_int_equal(cfg->runtime.max_inflight, 10000);
    assert_int_equal(cfg->runtime.order, DL_ORDER_PARTITION);
    assert_int_equal(cfg->runtime.long_workers, 0);
    assert_int_equal(cfg->runtime.long_article_bytes, 65536);
    assert_int_equal(cfg->log.level, DL_LOG_INFO);
    assert_string_equal(cfg->http.listen, "");
}

/* ---- defaults and good files -------------------------------------------- */

static void test_defaults(void **state)
{
    dl_config cfg;
    dl_err err;

    (void)state;
    assert_int_equal(dl_config_defaults(&cfg, &err), 0);
    assert_default_values(&cfg);
    /* No file to resolve against: relative to the working directory. */
    assert_string_equal(cfg.extract.rules, "rules/en");
    dl_config_free(&cfg);
    assert_null(cfg.kafka.brokers);
    dl_config_free(&cfg); /* freed twice is fine: it was zeroed */
    dl_config_free(NULL);
}

static void test_empty_and_comment_files(void **state)
{
    static const char *const files[] = {"",      "\n\n", "# only comments\n  # here\n",
                                        "---\n", "{}\n", "kafka:\n"};
    char want[PATH_MAX + 16];
    dl_config cfg;
    dl_err err;
    tmp_cfg t;

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        assert_int_equal(load_yaml(files[i], &cfg, &err, &t), 0);
        assert_default_values(&cfg);
        assert_string_equal(cfg.path, t.path);
        snprintf(want, sizeof(want), "%s/rules/en", t.dir);
        assert_string_equal(cfg.extract.rules, want);
        dl_config_free(&cfg);
    }
}

static const char good_yaml[] = "# every key, none at its default\n"
                                "kafka:\n"
                                "  brokers: k1:9092,k2:9092\n"
                                "  group_id: 1234\n"
                                "  consumer:\n"
                                "    security.protocol: SASL_SSL\n"
                                "    fetch.max.bytes: 52428800\n"
                                "    enable.partition.eof: false\n"
                                "    client.id: \"a: b\"\n"
                                "  producer:\n"
                                "    linger.ms: 5\n"
                                "    compression.type: zstd\n"
                                "topics:\n"
                                "  input: raw-news\n"
                                "  enriched: news.enriched_v1\n"
                                "  timeline: news.timeline\n"
                                "  dead_letter: news.DLQ\n"
                                "delivery: exactly_once\n"
                                "input:\n"
                                "  format: json\n"
                                "  max_bytes: 2MiB\n"
                                "  date_header: x-published\n"
                                "  use_timestamp: no\n"
                                "  json_fields:\n"
                                "    id: uuid\n"
                                "    date: [pubDate, created, ts]\n"
                                "    title:\n"
                                "      - headline\n"
                                "    text: [content]\n"
                                "    url: [link, href]\n"
                                "    lang: language\n"
                                "extract:\n"
                                "  rules: /opt/dateline/rules/fr\n"
                                "  max_timexes: 50\n"
                                "runtime:\n"
                                "  poll_timeout_ms: 250\n"
                                "  shutdown_grace_ms: 30000\n"
                                "  max_inflight: 500\n"
                                "log:\n"
                                "  level: debug\n";

static void test_good_config(void **state)
{
    dl_config cfg;
    dl_err err;
    tmp_cfg t;

    (void)state;
    assert_int_equal(load_yaml(good_yaml, &cfg, &err, &t), 0);
    assert_string_equal(cfg.path, t.path);
    assert_string_equal(cfg.kafka.brokers, "k1:9092,k2:9092");
    assert_string_equal(cfg.kafka.group_id, "1234");
    assert_int_equal(cfg.kafka.consumer.n, 4);
    /* Order is kept; numbers and booleans keep their text. */
    assert_string_equal(cfg.kafka.consumer.items[0].key, "security.protocol");
    assert_string_equal(cfg.kafka.consumer.items[0].value, "SASL_SSL");
    assert_string_equal(dl_kvlist_get(&cfg.kafka.consumer, "fetch.max.bytes"), "52428800");
    assert_string_equal(dl_kvlist_get(&cfg.kafka.consumer, "enable.partition.eof"), "false");
    assert_string_equal(dl_kvlist_get(&cfg.kafka.consumer, "client.id"), "a: b");
    assert_null(dl_kvlist_get(&cfg.kafka.consumer, "linger.ms"));
    assert_int_equal(cfg.kafka.producer.n, 2);
    assert_string_equal(dl_kvlist_get(&cfg.kafka.producer, "linger.ms"), "5");
    assert_string_equal(dl_kvlist_get(&cfg.kafka.producer, "compression.type"), "zstd");
    assert_string_equal(cfg.topics.input, "raw-news");
    assert_string_equal(cfg.topics.enriched, "news.enriched_v1");
    assert_string_equal(cfg.topics.timeline, "news.timeline");
    assert_string_equal(cfg.topics.dead_letter, "news.DLQ");
    assert_int_equal(cfg.delivery, DL_DELIVERY_EXACTLY_ONCE);
    assert_int_equal(cfg.input.format, DL_FORMAT_JSON);
    assert_int_equal(cfg.input.max_bytes, 2 * 1024 * 1024);
    assert_string_equal(cfg.input.date_header, "x-published");
    assert_int_equal(cfg.input.use_timestamp, 0);
    ASSERT_NAMES(cfg.input.json.id, cfg.input.json.n_id, "uuid");
    ASSERT_NAMES(cfg.input.json.date, cfg.input.json.n_date, "pubDate", "created", "ts");
    ASSERT_NAMES(cfg.input.json.title, cfg.input.json.n_title, "headline");
    ASSERT_NAMES(cfg.input.json.text, cfg.input.json.n_text, "content");
    ASSERT_NAMES(cfg.input.json.url, cfg.input.json.n_url, "link", "href");
    ASSERT_NAMES(cfg.input.json.lang, cfg.input.json.n_lang, "language");
    assert_string_equal(cfg.extract.rules, "/opt/dateline/rules/fr");
    assert_int_equal(cfg.extract.max_timexes, 50);
    assert_int_equal(cfg.runtime.poll_timeout_ms, 250);
    assert_int_equal(cfg.runtime.shutdown_grace_ms, 30000);
    assert_int_equal(cfg.runtime.max_inflight, 500);
    assert_int_equal(cfg.log.level, DL_LOG_DEBUG);
    assert_string_equal(dl_format_name(cfg.input.format), "json");
    assert_string_equal(dl_delivery_name(cfg.delivery), "exactly_once");
    dl_config_free(&cfg);
}

static void test_value_spellings(void **state)
{
    dl_config cfg;
    dl_err err;

    (void)state;
    assert_int_equal(load_yaml("input:\n"
                               "  max_bytes: 512 KiB\n"
                               "  use_timestamp: OFF\n"
                               "  format: text\n"
                               "  date_header: ''\n"
                               "extract:\n"
                               "  max_timexes: +7\n"
                               "kafka:\n"
                               "  consumer: ~\n"
                               "  producer:\n"
                               "log: {level: error}\n",
                               &cfg, &err, NULL),
                     0);
    assert_int_equal(cfg.input.max_bytes, 512 * 1024);
    assert_int_equal(cfg.input.use_timestamp, 0);
    assert_int_equal(cfg.input.format, DL_FORMAT_TEXT);
    assert_string_equal(cfg.input.date_header, "");
    assert_int_equal(cfg.extract.max_timexes, 7);
    assert_int_equal(cfg.kafka.consumer.n, 0);
    assert_int_equal(cfg.log.level, DL_LOG_ERROR);
    dl_config_free(&cfg);

    assert_int_equal(load_yaml("input:\n  max_bytes: 1GiB\n", &cfg, &err, NULL), 0);
    assert_int_equal(cfg.input.max_bytes, 1024 * 1024 * 1024);
    dl_config_free(&cfg);

    /* long_workers takes 0 (none), the other numbers do not. */
    assert_int_equal(load_yaml("runtime:\n  order: key\n  long_workers: 0\n"
                               "  long_article_bytes: 32 KiB\n",
                               &cfg, &err, NULL),
                     0);
    assert_int_equal(cfg.runtime.order, DL_ORDER_KEY);
    assert_int_equal(cfg.runtime.long_workers, 0);
    assert_int_equal(cfg.runtime.long_article_bytes, 32 * 1024);
    dl_config_free(&cfg);
    assert_int_equal(load_yaml("runtime:\n  long_workers: 3\n", &cfg, &err, NULL), 0);
    assert_int_equal(cfg.runtime.long_workers, 3);
    dl_config_free(&cfg);
}

static void test_rules_path_resolution(void **state)
{
    char want[PATH_MAX + 32];
    dl_config cfg;
    dl_err err;
    tmp_cfg t;

    (void)state;
    assert_int_equal(load_yaml("extract:\n  rules: my/rules\n", &cfg, &err, &t), 0);
    snprintf(want, sizeof(want), "%s/my/rules", t.dir);
    assert_string_equal(cfg.extract.rules, want);
    dl_config_free(&cfg);

    assert_int_equal(load_yaml("extract:\n  rules: ../shared/rules\n", &cfg, &err, &t), 0);
    snprintf(want, sizeof(want), "%s/../shared/rules", t.dir);
    assert_string_equal(cfg.extract.rules, want);
    dl_config_free(&cfg);

    assert_int_equal(load_yaml("extract:\n  rules: /abs/rules\n", &cfg, &err, &t), 0);
    assert_string_equal(cfg.extract.rules, "/abs/rules");
    dl_config_free(&cfg);
}

static void test_example_config_loads(void **state)
{
    const char *path = DL_SOURCE_DIR "/config/dateline.yaml";
    dl_config cfg;
    dl_err err;
    char buf[600];
    int rc;

    (void)state;
    unsetenv("DATELINE_BROKERS");
    unsetenv("DATELINE_RULES");
    unsetenv("DATELINE_LOG_LEVEL");
    unsetenv("DATELINE_HTTP_LISTEN");
    dl_err_clear(&err);
    rc = dl_config_load(path, &cfg, &err);
    if (rc)
        fail_msg("%s", dl_err_str(&err, buf, sizeof(buf)));
    /* The example documents the defaults: it must say exactly what they are. */
    assert_default_values(&cfg);
    assert_string_equal(cfg.extract.rules, DL_SOURCE_DIR "/config/rules/en");
    dl_config_free(&cfg);

    assert_int_equal(dl_config_check(path, NULL, NULL), 0);
}

/* ---- ${ENV} expansion --------------------------------------------------- */

static void test_env_interpolation(void **state)
{
    dl_config cfg;
    dl_err err;

    (void)state;
    setenv("DL_T_BROKERS", "b1:9092,b2:9092", 1);
    setenv("DL_T_EMPTY", "", 1);
    setenv("DL_T_MAXB", "4KiB", 1);
    unsetenv("DL_T_UNSET");
    assert_int_equal(load_yaml("kafka:\n"
                               "  brokers: ${DL_T_BROKERS}\n"
                               "  group_id: ${DL_T_UNSET:-grp}\n"
                               "  consumer:\n"
                               "    sasl.password: 'pa$$w$rd${DL_T_EMPTY:-x}'\n"
                               "    client.id: id-${DL_T_EMPTY}-$${HOME}\n"
                               "input:\n"
                               "  max_bytes: ${DL_T_MAXB:-1000}\n"
                               "  use_timestamp: ${DL_T_UNSET:-false}\n"
                               "runtime:\n"
                               "  max_inflight: ${DL_T_UNSET:-${DL_T_EMPTY:-77}}\n"
                               "topics:\n"
                               "  input: \"${DL_T_UNSET:-in}\"\n",
                               &cfg, &err, NULL),
                     0);
    assert_string_equal(cfg.kafka.brokers, "b1:9092,b2:9092");
    assert_string_equal(cfg.kafka.group_id, "grp");
    assert_string_equal(dl_kvlist_get(&cfg.kafka.consumer, "sasl.password"), "pa$w$rdx");
    assert_string_equal(dl_kvlist_get(&cfg.kafka.consumer, "client.id"), "id--${HOME}");
    assert_int_equal(cfg.input.max_bytes, 4096);
    assert_int_equal(cfg.input.use_timestamp, 0);
    assert_int_equal(cfg.runtime.max_inflight, 77);
    assert_string_equal(cfg.topics.input, "in");
    dl_config_free(&cfg);

    /* The default only applies when unset or empty; conversion comes after. */
    assert_int_equal(load_yaml("input:\n  max_bytes: ${DL_T_UNSET:-1000}\n", &cfg, &err, NULL), 0);
    assert_int_equal(cfg.input.max_bytes, 1000);
    dl_config_free(&cfg);

    /* Unset without a default: an error at the value. */
    assert_int_equal(load_yaml("kafka:\n  brokers: ${DL_T_UNSET}\n", &cfg, &err, NULL), DL_ECONFIG);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 12);
    assert_non_null(strstr(err.msg, "environment variable DL_T_UNSET is not set"));
    assert_non_null(strstr(err.msg, "kafka.brokers"));
    assert_null(cfg.kafka.brokers);

    /* Set but empty is "", which a topic name cannot be. */
    assert_int_equal(load_yaml("topics:\n  dead_letter: ${DL_T_EMPTY}\n", &cfg, &err, NULL),
                     DL_ECONFIG);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 16);
    assert_non_null(strstr(err.msg, "topic name must not be empty"));

    /* The expanded text is converted: a bad number from the environment. */
    setenv("DL_T_MAXB", "lots", 1);
    assert_int_equal(load_yaml("input:\n  max_bytes: ${DL_T_MAXB:-1000}\n", &cfg, &err, NULL),
                     DL_ECONFIG);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 14);
    assert_non_null(strstr(err.msg, "got 'lots'"));

    unsetenv("DL_T_BROKERS");
    unsetenv("DL_T_EMPTY");
    unsetenv("DL_T_MAXB");
}

static void expect_expand(const char *in, const char *want)
{
    char *out = NULL;
    dl_err err;

    dl_err_clear(&err);
    if (dl_config_expand(in, strlen(in), &out, &err))
        fail_msg("expanding '%s': %s", in, err.msg);
    assert_string_equal(out, want);
    free(out);
}

static void expect_expand_error(const char *in, const char *msg)
{
    char *out = NULL;
    dl_err err;

    dl_err_clear(&err);
    assert_int_equal(dl_config_expand(in, strlen(in), &out, &err), DL_ECONFIG);
    assert_null(out);
    if (!strstr(err.msg, msg))
        fail_msg("expanding '%s': got '%s', want '%s'", in, err.msg, msg);
}

static void test_expand(void **state)
{
    char *out = NULL;
    dl_err err;

    (void)state;
    setenv("DL_T_A", "alpha", 1);
    setenv("DL_T_EMPTY", "", 1);
    unsetenv("DL_T_UNSET");
    expect_expand("", "");
    expect_expand("plain", "plain");
    expect_expand("${DL_T_A}", "alpha");
    expect_expand("x${DL_T_A}y${DL_T_A}", "xalphayalpha");
    expect_expand("${DL_T_EMPTY}", "");
    expect_expand("${DL_T_UNSET:-}", "");
    expect_expand("${DL_T_UNSET:-d e f}", "d e f");
    expect_expand("${DL_T_EMPTY:-d}", "d");
    expect_expand("${DL_T_A:-d}", "alpha");
    expect_expand("${DL_T_UNSET:-${DL_T_A}}", "alpha");
    expect_expand("${DL_T_UNSET:-a${DL_T_UNSET:-b}c}", "abc");
    expect_expand("${DL_T_UNSET:-$$}", "$");
    expect_expand("$$", "$");
    expect_expand("$${DL_T_A}", "${DL_T_A}");
    expect_expand("$$$$", "$$");
    expect_expand("a$b", "a$b");
    expect_expand("cost: 5$", "cost: 5$");
    expect_expand("${DL_T_A:-}}", "alpha}");
    /* The value itself is not expanded again. */
    setenv("DL_T_B", "${DL_T_A}", 1);
    expect_expand("${DL_T_B}", "${DL_T_A}");
    /* Explicit length: the text need not end in '\0'. */
    dl_err_clear(&err);
    assert_int_equal(dl_config_expand("${DL_T_A}tail", 9, &out, &err), 0);
    assert_string_equal(out, "alpha");
    free(out);

    expect_expand_error("${DL_T_UNSET}", "environment variable DL_T_UNSET is not set");
    expect_expand_error("a ${DL_T_UNSET:-${DL_T_UNSET}}", "DL_T_UNSET is not set");
    expect_expand_error("${DL_T_A", "unterminated '${DL_T_A'");
    expect_expand_error("${DL_T_A:-x", "unterminated '${DL_T_A:-'");
    expect_expand_error("${}", "bad variable name in '${}'");
    expect_expand_error("${1X}", "bad variable name");
    expect_expand_error("${A B}", "unexpected ' ' after '${A'");
    expect_expand_error("${DL_T_A-x}", "unexpected '-' after '${DL_T_A'");
    unsetenv("DL_T_A");
    unsetenv("DL_T_B");
    unsetenv("DL_T_EMPTY");
}

/* ---- bad input ---------------------------------------------------------- */

typedef struct bad_case {
    const char *yaml;
    int line, col;
    const char *msg;
} bad_case;

static const bad_case bad_cases[] = {
    /* unknown keys */
    {"kafka:\n  brokers: x\nbrokerz: 1\n", 3, 1, "unknown key 'brokerz' at the top level"},
    {"kafka:\n  brokers: a\n  brokerz: b\n", 3, 3, "unknown key 'brokerz' in kafka"},
    {"input:\n  json_fields:\n    body: [b]\n", 3, 5, "unknown key 'body' in input.json_fields"},
    /* wrong types */
    {"kafka:\n  brokers:\n    host: a\n", 3, 5, "kafka.brokers: expected a string, got a mapping"},
    {"kafka:\n  - brokers\n", 2, 3, "kafka: expected a mapping, got a list"},
    {"kafka: brokers\n", 1, 8, "kafka: expected a mapping, got a scalar"},
    {"log:\n  level: [debug]\n", 2, 10, "log.level: expected a string, got a list"},
    {"kafka:\n  brokers: ~\n", 2, 12,
     "kafka.brokers: missing value (expected a string; write \"\" for an empty string)"},
    {"runtime:\n  max_inflight: null\n", 2, 17,
     "runtime.max_inflight: missing value (expected a positive integer)"},
    {"kafka:\n  consumer: [a]\n", 2, 13, "kafka.consumer: expected a mapping"},
    {"kafka:\n  consumer:\n    a: {b: c}\n", 3, 8,
     "kafka.consumer.a: expected a string, got a mapping"},
    {"kafka:\n  producer:\n    linger.ms:\n", 3, 15, "kafka.producer.linger.ms: missing value"},
    {"- a\n", 1, 1, "expected a mapping of sections at the top level, got a list"},
    {"? [a]\n: b\n", 1, 3, "expected a key name at the top level, got a list"},
    /* numbers */
    {"runtime:\n  max_inflight: lots\n", 2, 17,
     "runtime.max_inflight: expected a positive integer, got 'lots'"},
    {"runtime:\n  poll_timeout_ms: -5\n", 2, 20,
     "runtime.poll_timeout_ms: must be between 1 and 2147483647, got '-5'"},
    {"runtime:\n  shutdown_grace_ms: 0\n", 2, 22, "must be between 1 and 2147483647, got '0'"},
    {"runtime:\n  order: offset\n", 2, 10,
     "runtime.order: bad value 'offset' (expected one of: partition, key)"},
    {"runtime:\n  long_workers: -1\n", 2, 17, "must be between 0 and 64, got '-1'"},
    {"runtime:\n  long_workers: some\n", 2, 17,
     "runtime.long_workers: expected a whole number, got 'some'"},
    {"runtime:\n  long_workers:\n", 2, 16,
     "runtime.long_workers: missing value (expected a whole number)"},
    {"runtime:\n  long_article_bytes: 0\n", 2, 23, "must be between 1 and"},
    {"runtime:\n  max_inflight: 2147483648\n", 2, 17, "must be between 1 and 2147483647"},
    {"runtime:\n  max_inflight: 99999999999999999999999\n", 2, 17, "must be between 1"},
    {"runtime:\n  max_inflight: 1.5\n", 2, 17, "expected a positive integer, got '1.5'"},
    {"extract:\n  max_timexes: 0x10\n", 2, 16, "extract.max_timexes: expected a positive integer"},
    {"input:\n  max_bytes: 1MB\n", 2, 14, "input.max_bytes: unknown unit 'MB' in '1MB'"},
    {"input:\n  max_bytes: 2GiB\n", 2, 14, "must be between 1 and 2147483647 bytes, got '2GiB'"},
    {"input:\n  max_bytes: MiB\n", 2, 14, "expected a size in bytes"},
    /* enums and booleans */
    {"delivery: twice\n", 1, 11,
     "delivery: bad value 'twice' (expected one of: at_least_once, exactly_once)"},
    {"input:\n  format: xml\n", 2, 11,
     "input.format: bad value 'xml' (expected one of: auto, "
     "text, json)"},
    {"log:\n  level: INFO\n", 2, 10, "log.level: bad value 'INFO'"},
    {"input:\n  use_timestamp: maybe\n", 2, 18,
     "input.use_timestamp: expected true or false, got 'maybe'"},
    /* string lists */
    {"input:\n  json_fields:\n    date: []\n", 3, 11,
     "input.json_fields.date: needs at least one field name"},
    {"input:\n  json_fields:\n    id: [a, {b: c}]\n", 3, 13,
     "input.json_fields.id: expected a string, got a mapping"},
    {"input:\n  json_fields:\n    url: ['']\n", 3, 11, "field names must not be empty"},
    {"input:\n  json_fields:\n    url: {a: b}\n", 3, 10,
     "expected a string or a list of strings, got a mapping"},
    /* strings */
    {"kafka:\n  group_id: \"\"\n", 2, 13, "kafka.group_id: must not be empty"},
    {"extract:\n  rules: ''\n", 2, 10, "extract.rules: must not be empty"},
    {"kafka:\n  brokers: \"a\\0b\"\n", 2, 12, "kafka.brokers: value contains a NUL byte"},
    /* topics */
    {"topics:\n  input: \"my topic\"\n", 2, 10, "topic name 'my topic' contains ' '"},
    {"topics:\n  dead_letter: a/b\n", 2, 16, "topic name 'a/b' contains '/'"},
    {"topics:\n  enriched: \"\"\n", 2, 13, "topics.enriched: topic name must not be empty"},
    {"topics:\n  enriched: ..\n", 2, 13, "topic name '..' is not allowed"},
    {"topics:\n  timeline: caf\xc3\xa9\n", 2, 13, "contains byte 0xc3"},
    {"topics:\n  enriched: articles\n", 2, 13,
     "topics.enriched: 'articles' is also topics.input; every topic must differ"},
    {"topics:\n  input: x\n  dead_letter: x\n", 3, 16,
     "topics.dead_letter: 'x' is also "
     "topics.input"},
    /* properties dateline sets itself */
    {"kafka:\n  consumer:\n    bootstrap.servers: x:1\n", 3, 5,
     "kafka.consumer: 'bootstrap.servers' is set from kafka.brokers"},
    {"kafka:\n  producer:\n    a: 1\n    group.id: g\n", 4, 5,
     "'group.id' is set from kafka.group_id"},
    /* duplicate keys, at every level */
    {"kafka:\n  brokers: a\n  brokers: b\n", 3, 3,
     "duplicate key 'brokers' in kafka (first at line 2, column 3)"},
    {"log: {}\nkafka: {}\nlog: {}\n", 3, 1,
     "duplicate key 'log' at the top level (first at line 1, column 1)"},
    {"kafka:\n  consumer:\n    linger.ms: 1\n    linger.ms: 2\n", 4, 5,
     "duplicate key 'linger.ms' in kafka.consumer"},
    /* YAML itself */
    {"kafka:\n  brokers: [a, b\n  group_id: g\n", 3, 11,
     "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence "
     "started at line 2, column 12)"},
    {"kafka:\n  brokers: a\n group_id: b\n", 3, 2, "YAML syntax error: did not find expected key"},
    {"kafka:\n\tbrokers: a\n", 2, 1, "indent with spaces"},
    {"kafka:\n  brokers: \"abc\n", 3, 1, "found unexpected end of stream"},
    {"kafka: *nowhere\n", 1, 8, "found undefined alias"},
    {"kafka:\n  brokers: \xff\n", 2, 12, "invalid leading UTF-8 octet"},
    {"log:\n  level: info\n---\nlog:\n  level: debug\n", 4, 1,
     "a second YAML document; a config file holds exactly one"},
};

static void test_bad_input(void **state)
{
    dl_config cfg;
    dl_err err;
    tmp_cfg t;
    char buf[600];

    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *bc = &bad_cases[i];
        int rc = load_yaml(bc->yaml, &cfg, &err, &t);

        dl_err_str(&err, buf, sizeof(buf));
        if (rc != DL_ECONFIG || err.line != bc->line || err.col != bc->col ||
            !strstr(err.msg, bc->msg) || strcmp(err.file, t.path))
            fail_msg("case %zu: rc %d, got '%s', want %d:%d '%s'", i, rc, buf, bc->line, bc->col,
                     bc->msg);
        assert_int_equal(err.code, DL_ECONFIG);
        /* A failed load leaves nothing behind and may be freed again. */
        assert_null(cfg.path);
        assert_null(cfg.topics.input);
        dl_config_free(&cfg);
    }
}

static void test_missing_file(void **state)
{
    const char *path = "/nonexistent/dateline/config.yaml";
    dl_config cfg;
    dl_err err;

    (void)state;
    dl_err_clear(&err);
    assert_int_equal(dl_config_load(path, &cfg, &err), DL_EIO);
    assert_int_equal(err.code, DL_EIO);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, strerror(ENOENT)));
    assert_null(cfg.kafka.brokers);
    dl_config_free(&cfg);
    assert_int_equal(dl_config_check(path, NULL, NULL), 1);
}

/* ---- dl_config_check: every error --------------------------------------- */

typedef struct collected {
    dl_err errs[16];
    int n;
} collected;

static void collect(const dl_err *err, void *opaque)
{
    collected *c = opaque;

    if (c->n < 16)
        c->errs[c->n] = *err;
    c->n++;
}

static void test_check_reports_every_error(void **state)
{
    static const char yaml[] = "kafka:\n"
                               "  brokerz: a\n"             /* 2:3 unknown */
                               "  brokers: ${DL_T_UNSET}\n" /* 3:12 unset */
                               "runtime:\n"
                               "  max_inflight: -1\n"   /* 5:17 range */
                               "  poll_timeout_ms: x\n" /* 6:20 not a number */
                               "delivery: maybe\n"      /* 7:11 enum */
                               "topics:\n"
                               "  input: \"a b\"\n"         /* 9:10 topic */
                               "  timeline: articles.dlq\n" /* 10:13 same as dead_letter */
                               "log:\n"
                               "  level: loud\n"  /* 12:10 enum */
                               "  level: info\n"; /* 13:3 duplicate */
    static const struct {
        int line, col;
        const char *msg;
    } want[] = {
        {2, 3, "unknown key 'brokerz' in kafka"},
        {3, 12, "environment variable DL_T_UNSET is not set"},
        {5, 17, "runtime.max_inflight: must be between 1"},
        {6, 20, "runtime.poll_timeout_ms: expected a positive integer"},
        {7, 11, "delivery: bad value 'maybe'"},
        {9, 10, "topics.input: topic name 'a b' contains ' '"},
        {12, 10, "log.level: bad value 'loud'"},
        {13, 3, "duplicate key 'level' in log"},
        {10, 13, "topics.timeline: 'articles.dlq' is also topics.dead_letter"},
    };
    collected c = {0};
    dl_config cfg;
    dl_err err;
    tmp_cfg t;
    int n;

    (void)state;
    unsetenv("DL_T_UNSET");
    tmp_write(&t, yaml);
    n = dl_config_check(t.path, collect, &c);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_int_equal(c.n, n);
    for (int i = 0; i < n; i++) {
        if (c.errs[i].line != want[i].line || c.errs[i].col != want[i].col ||
            !strstr(c.errs[i].msg, want[i].msg) || c.errs[i].code != DL_ECONFIG ||
            strcmp(c.errs[i].file, t.path))
            fail_msg("error %d: got %d:%d '%s', want %d:%d '%s'", i, c.errs[i].line, c.errs[i].col,
                     c.errs[i].msg, want[i].line, want[i].col, want[i].msg);
    }
    /* Without a callback only the count comes back. */
    assert_int_equal(dl_config_check(t.path, NULL, NULL), n);

    /* load stops at the first. */
    dl_err_clear(&err);
    assert_int_equal(dl_config_load(t.path, &cfg, &err), DL_ECONFIG);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 3);
    tmp_remove(&t);

    /* A good file has no errors; a syntax error is one error. */
    tmp_write(&t, good_yaml);
    assert_int_equal(dl_config_check(t.path, NULL, NULL), 0);
    tmp_remove(&t);
    tmp_write(&t, "kafka:\n  brokers: [a\nlog: x: y\n");
    c.n = 0;
    assert_int_equal(dl_config_check(t.path, collect, &c), 1);
    assert_non_null(strstr(c.errs[0].msg, "YAML syntax error"));
    tmp_remove(&t);
}

/* ---- topics.timeline "": timeline messages off ------------------------- */

static void test_timeline_off(void **state)
{
    static const char *const required[] = {"input", "enriched", "dead_letter"};
    char yaml[128];
    dl_config cfg;
    dl_err err;

    (void)state;
    assert_int_equal(load_yaml("topics:\n  enriched: out\n", &cfg, &err, NULL), 0);
    assert_int_equal(dl_config_timeline(&cfg), 1);
    dl_config_free(&cfg);

    /* "" turns them off, and is no topic the distinctness check compares */
    assert_int_equal(load_yaml("topics:\n  timeline: \"\"\n", &cfg, &err, NULL), 0);
    assert_string_equal(cfg.topics.timeline, "");
    assert_int_equal(dl_config_timeline(&cfg), 0);
    dl_config_free(&cfg);

    /* no value at all is a mistake, with the spelling that turns them off */
    assert_int_equal(load_yaml("topics:\n  timeline:\n", &cfg, &err, NULL), DL_ECONFIG);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "write \"\" for an empty string"));

    /* the other topics stay required */
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        snprintf(yaml, sizeof(yaml), "topics:\n  %s: \"\"\n", required[i]);
            if (!load_yaml(yaml, &cfg, &err, NULL))
            fail_msg("topics.%s \"\" accepted", required[i]);
        assert_non_null(strstr(err.msg, "topic name must not be empty"));
    }
}

/* ---- http.listen and positions of pass-through properties --------------- */

static void test_http_listen(void **state)
{
    static const char *const good[] = {"127.0.0.1:9102", "0.0.0.0:0", "'[::]:9102'",
                                       "localhost:65535", "\"\""};
    static const char *const bad[] = {"9102", ":9102", "127.0.0.1:", "127.0.0.1:65536",
                                      "127.0.0.1:-1", "::1:9102", "[::1]9102", "host:port"};
    char yaml[128];
    dl_config cfg;
    dl_err err;
    tmp_cfg t;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(yaml, sizeof(yaml), "http:\n  listen: %s\n", good[i]);
        dl_err_clear(&err);
        if (load_yaml(yaml, &cfg, &err, &t))
            fail_msg("%s rejected: %s", good[i], err.msg);
        dl_config_free(&cfg);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(yaml, sizeof(yaml), "http:\n  listen: '%s'\n", bad[i]);
        dl_err_clear(&err);
        if (!load_yaml(yaml, &cfg, &err, &t))
            fail_msg("%s accepted", bad[i]);
        assert_int_equal(err.line, 2);
        assert_int_equal(err.col, 11);
        assert_non_null(strstr(err.msg, "http.listen"));
    }
}

static void test_props_positions(void **state)
{
    dl_config cfg;
    dl_err err;
    tmp_cfg t;

    (void)state;
    dl_err_clear(&err);
    assert_int_equal(load_yaml("kafka:\n"
                               "  consumer:\n"
                               "    fetch.max.bytes: 100\n"
                               "    client.id: x\n"
                               "  producer: {linger.ms: 5}\n",
                               &cfg, &err, &t),
                     0);
    assert_int_equal(cfg.kafka.consumer.n, 2);
    assert_int_equal(cfg.kafka.consumer.items[0].line, 3);
    assert_int_equal(cfg.kafka.consumer.items[0].col, 5);
    assert_int_equal(cfg.kafka.consumer.items[1].line, 4);
    assert_int_equal(cfg.kafka.producer.items[0].line, 5);
    assert_int_equal(cfg.kafka.producer.items[0].col, 14);
    dl_config_free(&cfg);
}

static void count_key(const char *path, const char *kind, const char *def, void *opaque)
{
    int *n = opaque;

    (void)kind;
    (void)def;
    if (!strcmp(path, "http.listen") || !strcmp(path, "kafka.consumer") ||
        !strcmp(path, "input.json_fields.date"))
        (*n)++;
}

static void test_config_keys(void **state)
{
    int n = 0;

    (void)state;
    dl_config_keys(count_key, &n);
    assert_int_equal(n, 3);
}

static void test_kvlist_get(void **state)
{
    dl_kv items[] = {{"a", "1", 0, 0}, {"b", "2", 0, 0}};
    dl_kvlist list = {items, 2};

    (void)state;
    assert_string_equal(dl_kvlist_get(&list, "b"), "2");
    assert_null(dl_kvlist_get(&list, "c"));
    assert_null(dl_kvlist_get(NULL, "a"));
    assert_string_equal(dl_format_name(DL_FORMAT_AUTO), "auto");
    assert_string_equal(dl_format_name(DL_FORMAT_TEXT), "text");
    assert_string_equal(dl_delivery_name(DL_DELIVERY_AT_LEAST_ONCE), "at_least_once");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_and_comment_files),
        cmocka_unit_test(test_good_config),
        cmocka_unit_test(test_value_spellings),
        cmocka_unit_test(test_rules_path_resolution),
        cmocka_unit_test(test_example_config_loads),
        cmocka_unit_test(test_env_interpolation),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_check_reports_every_error),
        cmocka_unit_test(test_kvlist_get),
        cmocka_unit_test(test_timeline_off),
        cmocka_unit_test(test_http_listen),
        cmocka_unit_test(test_props_positions),
        cmocka_unit_test(test_config_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * dateline check CONFIG: validate a config file, its librdkafka properties
 * and its rules without connecting to Kafka. Prints every problem as
 * file:line:col: message.
 */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "cmd.h"
#include "dateline/config.h"
#include "dateline/extract.h"
#include "dateline/http.h"

static void check_usage(FILE *fp)
{
    fprintf(fp, "usage: dateline check [--quiet] CONFIG\n"
                "       dateline check --keys\n"
                "\n"
                "Validates CONFIG without connecting to Kafka:\n"
                "  - YAML syntax, known keys, value types and ranges, ${VAR} references;\n"
                "  - topic names (Kafka's rules, all four distinct), http.listen;\n"
                "  - every kafka.consumer / kafka.producer property: its name and value\n"
                "    must be accepted by librdkafka %s;\n"
                "  - the rules directory: every rule file parses and every regex compiles.\n"
                "Prints file:line:col: message for every problem, then a summary line.\n"
                "\n"
                "options:\n"
                "  -q, --quiet  print nothing when the config is valid\n"
                "      --keys   list every config key with its kind and default, one per\n"
                "               line (KEY<TAB>KIND<TAB>DEFAULT), and exit\n"
                "  -h, --help   show this help\n"
                "\n"
                "exit status: 0 valid; 1 at least one problem; 2 usage error.\n",
                rd_kafka_version_str());
}

static void report(const dl_err *err, void *opaque)
{
    char msg[600];
    int *errors = opaque;

    fprintf(stderr, "%s\n", dl_err_str(err, msg, sizeof(msg)));
    if (errors)
        (*errors)++;
}

/*
 * Sets every property of one pass-through map on a scratch librdkafka
 * configuration, the way `dateline run` will, and reports what librdkafka
 * refuses (unknown name, bad value) at the property's position.
 */
static void check_props(const dl_config *cfg, const char *section, const dl_kvlist *props,
                        int *errors)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    dl_err err;

    if (!conf) {
        dl_err_set(&err, DL_ENOMEM, "out of memory");
        report(&err, errors);
        return;
    }
    for (size_t i = 0; i < props->n; i++) {
        const dl_kv *kv = &props->items[i];

        if (rd_kafka_conf_set(conf, kv->key, kv->value, errstr, sizeof(errstr)) ==
            RD_KAFKA_CONF_OK)
            continue;
        dl_err_clear(&err);
        dl_err_set_at(&err, DL_ECONFIG, cfg->path, kv->line, kv->col, "%s.%s: %s", section, kv->key,
                      errstr);
        report(&err, errors);
    }
    rd_kafka_conf_destroy(conf);
}

static void print_key(const char *path, const char *kind, const char *def, void *opaque)
{
    (void)opaque;
    printf("%s\t%s\t%s\n", path, kind, def);
}

/* The rules line, and a note per rule the scan cannot filter (valid, but
 * tried at every word start: an engineer adding rules wants to know). */
static void print_rules(const char *path, const char *dir, const dl_rules *rules)
{
    const char *names[16];
    const size_t max = sizeof(names) / sizeof(names[0]);
    size_t n = dl_rules_unfiltered(rules, names, max);

    printf("%s: rules %s (hash %s)\n", path, dir, dl_rules_hash(rules));
    for (size_t i = 0; i < n && i < max; i++)
        printf("%s: rule '%s' is tried at every word start: its pattern has a back reference, "
               "recursion or a conditional, which the rule scan's filter cannot model (slower, "
               "not wrong)\n",
               path, names[i]);
    if (n > max)
        printf("%s: and %zu more such rules\n", path, n - max);
}

int dl_cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    dl_config cfg;
    dl_err err;
    dl_rules *rules = NULL;
    int errors = 0, cfg_errors, quiet = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            check_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--keys")) {
            dl_config_keys(print_key, NULL);
            return 0;
        }
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "dateline check: unknown option '%s'\n", argv[i]);
            check_usage(stderr);
            return 2;
        } else if (path) {
            fprintf(stderr, "dateline check: one CONFIG at a time ('%s' and '%s')\n", path,
                    argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        check_usage(stderr);
        return 2;
    }

    /* Structure and values: every problem, not just the first. Then the
     * librdkafka properties that were read, whatever else was wrong. */
    cfg_errors = dl_config_check_into(path, report, &errors, &cfg);
    check_props(&cfg, "kafka.consumer", &cfg.kafka.consumer, &errors);
    check_props(&cfg, "kafka.producer", &cfg.kafka.producer, &errors);
    dl_config_free(&cfg);
    /* The rules only from a valid config: a rejected extract.rules would
     * otherwise send us to the default directory. */
    if (cfg_errors == 0) {
        dl_err_clear(&err);
        if (dl_config_load(path, &cfg, &err)) {
            report(&err, &errors);
        } else {
            dl_err_clear(&err);
            if (dl_rules_load(cfg.extract.rules, &rules, &err))
                report(&err, &errors);
            else if (!quiet)
                print_rules(path, cfg.extract.rules, rules);
            /* What `dateline run` will serve (the deploy test compares the
             * manifests' probes and ports with this line). */
            if (!quiet && cfg.http.listen[0])
                printf("%s: http.listen %s serves " DL_HTTP_PATH_METRICS " " DL_HTTP_PATH_HEALTHZ
                       " " DL_HTTP_PATH_READY "\n",
                       path, cfg.http.listen);
            else if (!quiet)
                printf("%s: http.listen is empty: no /metrics, /healthz, /ready\n", path);
            dl_rules_free(rules);
            dl_config_free(&cfg);
        }
    }
    if (errors) {
        fprintf(stderr, "%s: %d error%s\n", path, errors, errors == 1 ? "" : "s");
        return 1;
    }
    if (!quiet)
        printf("%s: ok\n", path);
    return 0;
}

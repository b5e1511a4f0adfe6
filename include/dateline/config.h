/*
 * dateline - configuration: one YAML file loaded into a typed struct.
 *
 * Scalars may contain ${VAR} and ${VAR:-default}; an unset ${VAR} without a
 * default is an error. Unknown keys and wrong types are rejected with the
 * file:line:col of the offending node.
 */
#ifndef DATELINE_CONFIG_H
#define DATELINE_CONFIG_H

#include <stdint.h>

#include "dateline/common.h"

/** An ordered string map, e.g. librdkafka properties passed through as is. */
typedef struct dl_kv {
    char *key;
    char *value;
    int line, col; /* where the key is in the config file (1-based), 0 = unknown */
} dl_kv;

typedef struct dl_kvlist {
    dl_kv *items;
    size_t n;
} dl_kvlist;

typedef enum { DL_FORMAT_AUTO = 0, DL_FORMAT_TEXT, DL_FORMAT_JSON } dl_format;

typedef enum { DL_DELIVERY_AT_LEAST_ONCE = 0, DL_DELIVERY_EXACTLY_ONCE } dl_delivery;

/** What the records of `run` keep the input's order of. */
typedef enum {
    DL_ORDER_PARTITION = 0, /* all of an input partition's */
    DL_ORDER_KEY            /* those of one key in a partition (no key: the partition's) */
} dl_order;

typedef enum { DL_LOG_DEBUG = 0, DL_LOG_INFO, DL_LOG_WARN, DL_LOG_ERROR } dl_log_level;

/** Field-name candidates of the JSON input format, tried in order. */
typedef struct dl_json_fields {
    char **id;
    size_t n_id;
    char **date;
    size_t n_date;
    char **title;
    size_t n_title;
    char **text;
    size_t n_text;
    char **url;
    size_t n_url;
    char **lang;
    size_t n_lang;
} dl_json_fields;

/**
 * The whole configuration. Every string is owned by the struct and freed by
 * dl_config_free(); no string pointer is NULL after a successful load.
 */
typedef struct dl_config {
    char *path; /* the file it was loaded from */

    struct {
        char *brokers;  /* bootstrap.servers */
        char *group_id; /* consumer group of `dateline run` */
        dl_kvlist consumer; /* librdkafka consumer properties, passed through */
        dl_kvlist producer; /* librdkafka producer properties, passed through */
        char *transactional_id; /* exactly_once: "" = dateline-<group_id>-<hostname> */
    } kafka;

    struct {
        char *input;
        char *enriched;
        char *timeline; /* "": no timeline messages (dl_config_timeline()) */
        char *dead_letter;
    } topics;

    dl_delivery delivery;

    struct {
        dl_format format;
        size_t max_bytes;  /* larger message values are dead-lettered */
        char *date_header; /* header carrying the publication date, "" = none */
        int use_timestamp; /* fall back to the Kafka message timestamp */
        dl_json_fields json;
    } input;

    struct {
        char *rules; /* rules directory, resolved against the config file's dir */
        size_t max_timexes; /* per-article cap, protects the record size */
        int max_ms;              /* `run`: slower extractions are dead-lettered */
        size_t max_record_bytes; /* `run`: larger enriched records are dead-lettered */
    } extract;

    struct {
        int poll_timeout_ms;
        int shutdown_grace_ms;
        int max_inflight; /* messages awaiting delivery before the consumer waits */
        size_t max_inflight_bytes; /* and their bytes (consumed values) */
        int commit_interval_ms;    /* exactly_once: transaction length; manual commits */
        int workers;               /* `run`: extraction threads */
        dl_order order;            /* `run`: which records keep input order */
        int long_workers;          /* `run`: threads for long jobs only (0: none) */
        size_t long_article_bytes; /* `run`: messages this large are long jobs */
    } runtime;

    struct {
        dl_log_level level;
    } log;

    struct {
        char *listen; /* HOST:PORT of /metrics, /healthz, /ready; "" = disabled */
    } http;
} dl_config;

/**
 * @brief Fills @p cfg with the documented defaults (what an empty file gives,
 *        except that extract.rules stays "rules/en", relative to the current
 *        directory, because there is no config file to resolve it against).
 * @returns 0, or DL_ENOMEM (then @p cfg is left freed).
 * @remark @p cfg is overwritten, not freed first. The caller frees with
 *         dl_config_free().
 */
int dl_config_defaults(dl_config *cfg, dl_err *err);

/**
 * @brief Loads @p path over the defaults.
 * @returns 0, or DL_ECONFIG/DL_EIO with file:line:col in @p err. On error
 *          @p cfg is left freed (safe to dl_config_free again).
 * @remark @p cfg is overwritten, not freed first. An empty file, or one with
 *         only comments, gives the defaults. A relative extract.rules
 *         (including the default) is resolved against the directory of
 *         @p path. Only the first error is reported; see dl_config_check().
 */
int dl_config_load(const char *path, dl_config *cfg, dl_err *err);

/**
 * @brief Like dl_config_load(), but reports every problem: @p report is
 *        called once per error (with file:line:col set) and the count of
 *        errors is returned (0 = valid). Used by `dateline check`.
 * @remark @p report may be NULL (only the count is wanted). Errors come in
 *         file order, then checks across keys (e.g. two topics with one
 *         name). A YAML syntax error or a missing file is one error: nothing
 *         after it can be read.
 */
int dl_config_check(const char *path, void (*report)(const dl_err *err, void *opaque),
                    void *opaque);

/**
 * @brief dl_config_check() that also hands over what it read: @p cfg holds
 *        the defaults overlaid with every value that was valid, even when
 *        others were not (e.g. kafka.consumer entries, with their
 *        positions, next to an unknown key). `dateline check` uses it to
 *        check the librdkafka properties in the same run.
 * @remark @p cfg is overwritten, not freed first; the caller frees it with
 *         dl_config_free() whatever the count.
 */
int dl_config_check_into(const char *path, void (*report)(const dl_err *err, void *opaque),
                         void *opaque, dl_config *cfg);

/** Frees everything @p cfg owns and zeroes it. NULL is fine. */
void dl_config_free(dl_config *cfg);

/** @returns 1 if timeline messages are produced (topics.timeline is not ""). */
int dl_config_timeline(const dl_config *cfg);

/**
 * @brief Calls @p fn for every key of the config table, in table order:
 *        its dotted path ("kafka.brokers"), kind ("string", "bool", ...)
 *        and default as config text ("" for none; lists comma-separated).
 *        `dateline check --keys` prints these; the docs are checked against it.
 */
void dl_config_keys(void (*fn)(const char *path, const char *kind, const char *def, void *opaque),
                    void *opaque);

/** Looks @p name up in a list; NULL if absent. */
const char *dl_kvlist_get(const dl_kvlist *list, const char *name);

const char *dl_format_name(dl_format fmt);
const char *dl_delivery_name(dl_delivery delivery);
/* Implemented in pipeline/common/log.c. */
const char *dl_log_level_name(dl_log_level level);

/**
 * @brief Expands environment references in the config scalar @p s (@p len
 *        bytes, need not end in '\0'):
 *        - `${VAR}`: the value of VAR; an error if VAR is not set (set but
 *          empty gives "");
 *        - `${VAR:-default}`: the value of VAR, or the default if VAR is unset
 *          or empty; the default may itself contain references;
 *        - `$$`: a literal `$`.
 *        Any other `$` is kept as is. The result is not expanded again.
 * @param out receives a malloc'd, NUL-terminated string on success; the
 *        caller frees it.
 * @returns 0, DL_ENOMEM, or DL_ECONFIG with a message and no position in
 *          @p err (the caller knows where the scalar is).
 * @remark Reads the environment with getenv(): call it before starting
 *         threads that might setenv().
 */
int dl_config_expand(const char *s, size_t len, char **out, dl_err *err);

#endif

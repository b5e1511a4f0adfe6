/*
 * dateline - configuration: a YAML file loaded into a typed dl_config.
 *
 * One table of keys (top_keys and the section tables below it) gives every
 * key its kind, default and place in dl_config. dl_config_defaults(),
 * dl_config_free(), dl_config_load() and dl_config_check() all walk that
 * table, so a key cannot be parsed, defaulted and freed in three different
 * ways. load and check share one walker that reports each error through a
 * callback: load stops at the first, check carries on to report them all.
 */
#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "dateline/config.h"

typedef enum {
    KEY_SECTION, /* a mapping of further keys (.keys) */
    KEY_STRING,  /* char *; "" only with .allow_empty */
    KEY_TOPIC,   /* char *, a name Kafka accepts; "" (an output off) only with .allow_empty */
    KEY_PATH,    /* char *, non-empty; made relative to the config file after the walk */
    KEY_INT,     /* int, 1 ... .max (0 ... with .allow_zero) */
    KEY_COUNT,   /* size_t, 1 ... .max */
    KEY_BYTES,   /* size_t, 1 ... .max, with an optional B/KiB/MiB/GiB unit */
    KEY_BOOL,    /* int, 0 or 1 */
    KEY_ENUM,    /* an enum stored as int; .names[value] is its spelling */
    KEY_PROPS,   /* dl_kvlist: any keys, scalar values kept as their text */
    KEY_NAMES,   /* char ** plus a size_t count: a string or a list of strings */
    KEY_LISTEN,  /* char *, HOST:PORT or [IPv6]:PORT (port 0-65535); "" = disabled */
} key_kind;

typedef struct cfg_key {
    const char *name;
    key_kind kind;
    size_t off;                 /* offsetof(dl_config, ...) of the value */
    size_t off_n;               /* KEY_NAMES: offsetof the count */
    const char *def;            /* the default as config text; KEY_NAMES: comma-separated */
    long long max;              /* numbers: the largest value accepted */
    int allow_empty;            /* KEY_STRING, KEY_TOPIC: "" is a valid value */
    int allow_zero;             /* numbers: 0 is valid (the key's "none") */
    const char *const *names;   /* KEY_ENUM: NULL-terminated, index = enum value */
    const struct cfg_key *keys; /* KEY_SECTION: its keys, ended by {0} */
} cfg_key;

#define CFG_OFF(member) offsetof(dl_config, member)

_Static_assert(sizeof(dl_format) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(dl_delivery) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(dl_log_level) == sizeof(int), "enums are stored as int");

static const char *const delivery_names[] = {"at_least_once", "exactly_once", NULL};
static const char *const format_names[] = {"auto", "text", "json", NULL};
static const char *const order_names[] = {"partition", "key", NULL};
static const char *const level_names[] = {"debug", "info", "warn", "error", NULL};

static const cfg_key kafka_keys[] = {
    {.name = "brokers", .kind = KEY_STRING, .off = CFG_OFF(kafka.brokers), .def = "127.0.0.1:9092"},
    {.name = "group_id", .kind = KEY_STRING, .off = CFG_OFF(kafka.group_id), .def = "dateline"},
    {.name = "consumer", .kind = KEY_PROPS, .off = CFG_OFF(kafka.consumer)},
    {.name = "producer", .kind = KEY_PROPS, .off = CFG_OFF(kafka.producer)},
    {.name = "transactional_id",
     .kind = KEY_STRING,
     .off = CFG_OFF(kafka.transactional_id),
     .allow_empty = 1,
     .def = ""},
    {0},
};

static const cfg_key topic_keys[] = {
    {.name = "input", .kind = KEY_TOPIC, .off = CFG_OFF(topics.input), .def = "articles"},
    {.name = "enriched",
     .kind = KEY_TOPIC,
     .off = CFG_OFF(topics.enriched),
     .def = "articles.enriched"},
    /* "": no timeline messages (the enriched records keep their events) */
    {.name = "timeline",
     .kind = KEY_TOPIC,
     .off = CFG_OFF(topics.timeline),
     .allow_empty = 1,
     .def = "articles.timeline"},
    {.name = "dead_letter",
     .kind = KEY_TOPIC,
     .off = CFG_OFF(topics.dead_letter),
     .def = "articles.dlq"},
    {0},
};

#define CFG_JSON_FIELD(field, fdef)                                                                \
    {.name = #field,                                                                               \
     .kind = KEY_NAMES,                                                                            \
     .off = CFG_OFF(input.json.field),                                                             \
     .off_n = CFG_OFF(input.json.n_##field),                                                       \
     .def = fdef}

static const cfg_key json_field_keys[] = {
    CFG_JSON_FIELD(id, "id"),
    CFG_JSON_FIELD(date, "date,published"),
    CFG_JSON_FIELD(title, "title"),
    CFG_JSON_FIELD(text, "text,body"),
    CFG_JSON_FIELD(url, "url"),
    CFG_JSON_FIELD(lang, "lang"),
    {0},
};

static const cfg_key input_keys[] = {
    {.name = "format",
     .kind = KEY_ENUM,
     .off = CFG_OFF(input.format),
     .names = format_names,
     .def = "auto"},
    /* Kafka message sizes are 32-bit, so larger limits mean nothing. */
    {.name = "max_bytes",
     .kind = KEY_BYTES,
     .off = CFG_OFF(input.max_bytes),
     .max = INT32_MAX,
     .def = "1048576"},
    {.name = "date_header",
     .kind = KEY_STRING,
     .off = CFG_OFF(input.date_header),
     .allow_empty = 1,
     .def = ""},
    {.name = "use_timestamp", .kind = KEY_BOOL, .off = CFG_OFF(input.use_timestamp), .def = "true"},
    {.name = "json_fields", .kind = KEY_SECTION, .keys = json_field_keys},
    {0},
};

static const cfg_key extract_keys[] = {
    {.name = "rules", .kind = KEY_PATH, .off = CFG_OFF(extract.rules), .def = "rules/en"},
    {.name = "max_timexes",
     .kind = KEY_COUNT,
     .off = CFG_OFF(extract.max_timexes),
     .max = INT_MAX,
     .def = "10000"},
    {.name = "max_ms", .kind = KEY_INT, .off = CFG_OFF(extract.max_ms), .max = INT_MAX, .def = "2000"},
    {.name = "max_record_bytes",
     .kind = KEY_BYTES,
     .off = CFG_OFF(extract.max_record_bytes),
     .max = INT32_MAX,
     .def = "1000000"},
    {0},
};

static const cfg_key runtime_keys[] = {
    {.name = "poll_timeout_ms",
     .kind = KEY_INT,
     .off = CFG_OFF(runtime.poll_timeout_ms),
     .max = INT_MAX,
     .def = "100"},
    {.name = "shutdown_grace_ms",
     .kind = KEY_INT,
     .off = CFG_OFF(runtime.shutdown_grace_ms),
     .max = INT_MAX,
     .def = "10000"},
    {.name = "max_inflight",
     .kind = KEY_INT,
     .off = CFG_OFF(runtime.max_inflight),
     .max = INT_MAX,
     .def = "10000"},
    {.name = "max_inflight_bytes",
     .kind = KEY_BYTES,
     .off = CFG_OFF(runtime.max_inflight_bytes),
     .max = INT64_MAX,
     .def = "67108864"},
    {.name = "commit_interval_ms",
     .kind = KEY_INT,
     .off = CFG_OFF(runtime.commit_interval_ms),
     .max = INT_MAX,
     .def = "1000"},
    {.name = "workers", .kind = KEY_INT, .off = CFG_OFF(runtime.workers), .max = 64, .def = "2"},
    {.name = "order",
     .kind = KEY_ENUM,
     .off = CFG_OFF(runtime.order),
     .names = order_names,
     .def = "partition"},
    {.name = "long_workers",
     .kind = KEY_INT,
     .off = CFG_OFF(runtime.long_workers),
     .max = 64,
     .allow_zero = 1,
     .def = "0"},
    {.name = "long_article_bytes",
     .kind = KEY_BYTES,
     .off = CFG_OFF(runtime.long_article_bytes),
     .max = INT64_MAX,
     .def = "65536"},
    {0},
};

static const cfg_key log_keys[] = {
    {.name = "level",
     .kind = KEY_ENUM,
     .off = CFG_OFF(log.level),
     .names = level_names,
     .def = "info"},
    {0},
};

static const cfg_key http_keys[] = {
    {.name = "listen", .kind = KEY_LISTEN, .off = CFG_OFF(http.listen), .def = ""},
    {0},
};

static const cfg_key top_keys[] = {
    {.name = "kafka", .kind = KEY_SECTION, .keys = kafka_keys},
    {.name = "topics", .kind = KEY_SECTION, .keys = topic_keys},
    {.name = "delivery",
     .kind = KEY_ENUM,
     .off = CFG_OFF(delivery),
     .names = delivery_names,
     .def = "at_least_once"},
    {.name = "input", .kind = KEY_SECTION, .keys = input_keys},
    {.name = "extract", .kind = KEY_SECTION, .keys = extract_keys},
    {.name = "runtime", .kind = KEY_SECTION, .keys = runtime_keys},
    {.name = "log", .kind = KEY_SECTION, .keys = log_keys},
    {.name = "http", .kind = KEY_SECTION, .keys = http_keys},
    {0},
};

/*
 * librdkafka properties that dateline sets from its own keys: allowing them
 * in kafka.consumer/producer too would leave two answers to one question.
 */
static const struct {
    const char *prop;
    const char *use;
} owned_props[] = {
    {"bootstrap.servers", "kafka.brokers"},
    {"metadata.broker.list", "kafka.brokers"},
    {"group.id", "kafka.group_id"},
};

/* Longest piece of a user's value or key quoted back in a message. */
#define CFG_QUOTE_MAX 64
#define CFG_PATH_MAX  160
#define CFG_MAX_SET   64

/* The state of one load or check. */
typedef struct cfg_walk {
    const char *file;
    yaml_document_t *doc;
    dl_config *cfg;
    void (*report)(const dl_err *err, void *opaque);
    void *opaque;
    int stop_first; /* dl_config_load(): stop after the first error */
    int halt;       /* stop walking: the first error in load mode, or out of memory */
    int n_err;
    int first_code;
    /* Where scalars were set in the file, for checks across keys. */
    struct {
        size_t off;
        yaml_mark_t mark;
    } set[CFG_MAX_SET];
    size_t n_set;
} cfg_walk;

/* ---- reporting ---------------------------------------------------------- */

/* Hands one finished error to the caller. Returns non-zero when the walk must stop. */
static int cfg_report(cfg_walk *w, const dl_err *e)
{
    if (w->n_err++ == 0)
        w->first_code = e->code;
    if (w->report)
        w->report(e, w->opaque);
    if (w->stop_first || e->code == DL_ENOMEM)
        w->halt = 1;
    return w->halt ? e->code : 0;
}

/*
 * Reports an error at @p mark (a 0-based libyaml mark; NULL = no position).
 * Returns 0 if the walk goes on (check mode), else the error code.
 */
__attribute__((format(printf, 4, 5))) static int
cfg_fail(cfg_walk *w, int code, const yaml_mark_t *mark, const char *fmt, ...)
{
    dl_err e;
    char msg[sizeof(e.msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dl_err_clear(&e);
    if (mark)
        dl_err_set_at(&e, code, w->file, (int)mark->line + 1, (int)mark->column + 1, "%s", msg);
    else
        dl_err_set_at(&e, code, w->file, 0, 0, "%s", msg);
    return cfg_report(w, &e);
}

static void cfg_mark_set(cfg_walk *w, size_t off, const yaml_mark_t *mark)
{
    if (w->n_set < CFG_MAX_SET) {
        w->set[w->n_set].off = off;
        w->set[w->n_set].mark = *mark;
        w->n_set++;
    }
}

static const yaml_mark_t *cfg_mark_get(const cfg_walk *w, size_t off)
{
    for (size_t i = 0; i < w->n_set; i++) {
        if (w->set[i].off == off)
            return &w->set[i].mark;
    }
    return NULL;
}

/* "kafka" + "brokers" -> "kafka.brokers"; at the top level just the name. */
static int key_path(char *buf, size_t size, const char *section, const char *name, size_t len)
{
    if (len > CFG_QUOTE_MAX)
        len = CFG_QUOTE_MAX;
    if (section[0])
        return snprintf(buf, size, "%s.%.*s", section, (int)len, name);
    return snprintf(buf, size, "%.*s", (int)len, name);
}

/* "in kafka" or "at the top level", for messages about keys. */
static void section_where(char *buf, size_t size, const char *section)
{
    if (section[0])
        snprintf(buf, size, "in %s", section);
    else
        snprintf(buf, size, "at the top level");
}

/* Joins the names of @p keys ("brokers, group_id, ...") for hints. */
static void key_names(char *buf, size_t size, const cfg_key *keys)
{
    size_t used = 0;
    int n;

    buf[0] = '\0';
    for (const cfg_key *key = keys; key->name && used < size; key++) {
        n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", key->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void enum_names(char *buf, size_t size, const char *const *names)
{
    size_t used = 0;
    int n;

    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < size; i++) {
        n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ---- typed values ------------------------------------------------------- */

static int store_string(char **slot, const char *text, size_t len)
{
    char *copy = malloc(len + 1);

    if (!copy)
        return DL_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    free(*slot);
    *slot = copy;
    return 0;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Kafka accepts [a-zA-Z0-9._-]{1,249}, except "." and "..". */
static int check_topic(const char *text, size_t len, char *msg, size_t size)
{
    if (len == 0) {
        snprintf(msg, size, "topic name must not be empty");
        return DL_ECONFIG;
    }
    if (len > 249) {
        snprintf(msg, size, "topic name is %zu characters long (Kafka allows at most 249)", len);
        return DL_ECONFIG;
    }
    if (!strcmp(text, ".") || !strcmp(text, "..")) {
        snprintf(msg, size, "topic name '%.2s' is not allowed by Kafka", text);
        return DL_ECONFIG;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '-')
            continue;
        if (c >= 0x20 && c < 0x7f)
            snprintf(msg, size,
                     "topic name '%.*s' contains '%c' (Kafka allows only a-z A-Z 0-9 . _ -)",
                     CFG_QUOTE_MAX, text, c);
        else
            snprintf(msg, size,
                     "topic name '%.*s' contains byte 0x%02x (Kafka allows only a-z A-Z 0-9 . _ -)",
                     CFG_QUOTE_MAX, text, c);
        return DL_ECONFIG;
    }
    return 0;
}

/* HOST:PORT or [IPv6]:PORT, port 0-65535 (0: any free port); "" disables. */
static int check_listen(const char *text, char *msg, size_t size)
{
    const char *colon, *host = text;
    size_t host_len;
    char *end;
    long port;

    if (!text[0])
        return 0;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');

        if (!close || close[1] != ':') {
            snprintf(msg, size, "'%.*s': expected [IPv6 address]:PORT", CFG_QUOTE_MAX, text);
            return DL_ECONFIG;
        }
        host_len = (size_t)(close - text - 1);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        host_len = colon ? (size_t)(colon - text) : 0;
        if (colon && memchr(host, ':', host_len)) {
            snprintf(msg, size, "'%.*s': write an IPv6 address as [ADDRESS]:PORT", CFG_QUOTE_MAX,
                     text);
            return DL_ECONFIG;
        }
    }
    if (!colon || host_len == 0) {
        snprintf(msg, size,
                 "'%.*s': expected HOST:PORT such as 127.0.0.1:9102 or 0.0.0.0:9102 "
                 "(\"\" disables the endpoint)",
                 CFG_QUOTE_MAX, text);
        return DL_ECONFIG;
    }
    port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || colon[1] == '-' || colon[1] == '+' || port > 65535) {
        snprintf(msg, size, "'%.*s': port must be a number from 0 to 65535", CFG_QUOTE_MAX, text);
        return DL_ECONFIG;
    }
    return 0;
}

/* What a value of @p key must be, for messages (NULL: a string of no key). */
static const char *kind_what(const cfg_key *key)
{
    switch (key ? key->kind : KEY_STRING) {
    case KEY_SECTION:
    case KEY_PROPS:
        return "a mapping";
    case KEY_INT:
    case KEY_COUNT:
        return key->allow_zero ? "a whole number" : "a positive integer";
    case KEY_BYTES:
        return "a size in bytes";
    case KEY_BOOL:
        return "true or false";
    case KEY_NAMES:
        return "a string or a list of strings";
    default:
        return "a string";
    }
}

/*
 * Parses a decimal integer for number key @p key: 1 (0 with .allow_zero)
 * ... .max. A KEY_BYTES value may have a unit: B, KiB, MiB or GiB (binary
 * multiples only: "MB" would be ambiguous).
 */
static int parse_number(const cfg_key *key, const char *text, long long *out, char *msg,
                        size_t size)
{
    static const struct {
        const char *name;
        unsigned long long mult;
    } units[] = {{"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}};
    const char *p = text;
    unsigned long long v = 0, mult = 1;
    long long min = !key->allow_zero, max = key->max;
    int neg = 0, overflow = 0, bytes = key->kind == KEY_BYTES;
    size_t i;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (*p < '0' || *p > '9')
        goto bad;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (ULLONG_MAX - 9) / 10)
            overflow = 1;
        else
            v = v * 10 + (unsigned long long)(*p - '0');
    }
    if (bytes) {
        while (*p == ' ')
            p++;
        if (*p) {
            for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (!strcmp(p, units[i].name))
                    break;
            }
            if (i == sizeof(units) / sizeof(units[0])) {
                snprintf(msg, size, "unknown unit '%.*s' in '%.*s' (use B, KiB, MiB or GiB)",
                         CFG_QUOTE_MAX, p, CFG_QUOTE_MAX, text);
                return DL_ECONFIG;
            }
            mult = units[i].mult;
            p += strlen(p);
        }
    }
    if (*p)
        goto bad;
    if (overflow || (neg && v) || v < (unsigned long long)min || v > (unsigned long long)max / mult) {
        snprintf(msg, size, "must be between %lld and %lld%s, got '%.*s'", min, max,
                 bytes ? " bytes" : "", CFG_QUOTE_MAX, text);
        return DL_ECONFIG;
    }
    *out = (long long)(v * mult);
    return 0;
bad:
    if (bytes)
        snprintf(msg, size, "expected a size in bytes such as 1048576 or 1MiB, got '%.*s'",
                 CFG_QUOTE_MAX, text);
    else
        snprintf(msg, size, "expected %s, got '%.*s'", kind_what(key), CFG_QUOTE_MAX, text);
    return DL_ECONFIG;
}

static int parse_bool(const char *text, int *out, char *msg, size_t size)
{
    /* YAML 1.1 spellings, without the single letters y/n. */
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};

    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(text, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(text, no[i])) {
            *out = 0;
            return 0;
        }
    }
    snprintf(msg, size, "expected true or false, got '%.*s'", CFG_QUOTE_MAX, text);
    return DL_ECONFIG;
}

/*
 * Converts the (already expanded) text of a scalar key and stores it in
 * @p cfg. Returns 0, DL_ENOMEM, or DL_ECONFIG with a message in @p msg; on
 * error the old value stays.
 */
static int key_store(const cfg_key *key, dl_config *cfg, const char *text, char *msg, size_t size)
{
    void *field = (char *)cfg + key->off;
    size_t len = strlen(text);
    long long num;
    int rc, flag;

    switch (key->kind) {
    case KEY_STRING:
    case KEY_PATH:
        if (len == 0 && !key->allow_empty) {
            snprintf(msg, size, "must not be empty");
            return DL_ECONFIG;
        }
        return store_string(field, text, len);
    case KEY_TOPIC:
        if ((len || !key->allow_empty) && (rc = check_topic(text, len, msg, size)))
            return rc;
        return store_string(field, text, len);
    case KEY_LISTEN:
        if ((rc = check_listen(text, msg, size)))
            return rc;
        return store_string(field, text, len);
    case KEY_INT:
    case KEY_COUNT:
    case KEY_BYTES:
        if ((rc = parse_number(key, text, &num, msg, size)))
            return rc;
        if (key->kind == KEY_INT)
            *(int *)field = (int)num;
        else
            *(size_t *)field = (size_t)num;
        return 0;
    case KEY_BOOL:
        if ((rc = parse_bool(text, &flag, msg, size)))
            return rc;
        *(int *)field = flag;
        return 0;
    case KEY_ENUM:
        for (int i = 0; key->names[i]; i++) {
            if (!strcmp(text, key->names[i])) {
                memcpy(field, &i, sizeof(i));
                return 0;
            }
        }
        {
            char list[128];

            enum_names(list, sizeof(list), key->names);
            snprintf(msg, size, "bad value '%.*s' (expected one of: %s)", CFG_QUOTE_MAX, text,
                     list);
        }
        return DL_ECONFIG;
    case KEY_SECTION:
    case KEY_PROPS:
    case KEY_NAMES:
        break;
    }
    assert(!"key_store() called on a key that is not a scalar");
    return DL_EINVAL;
}

/* Replaces a KEY_NAMES list; takes @p names over (also on error). */
static void names_store(const cfg_key *key, dl_config *cfg, char **names, size_t n)
{
    char ***slot = (char ***)((char *)cfg + key->off);
    size_t *n_slot = (size_t *)((char *)cfg + key->off_n);

    free_names(*slot, *n_slot);
    *slot = names;
    *n_slot = n;
}

/* ---- defaults and freeing, both driven by the key tables ---------------- */

static int defaults_apply(dl_config *cfg, const cfg_key *keys)
{
    char msg[256];
    char **names;
    size_t n;
    int rc;

    for (const cfg_key *key = keys; key->name; key++) {
        switch (key->kind) {
        case KEY_SECTION:
            if ((rc = defaults_apply(cfg, key->keys)))
                return rc;
            break;
        case KEY_PROPS:
            break; /* empty: zeroed by the caller */
        case KEY_NAMES: {
            const char *p = key->def, *comma;

            n = 1;
            for (const char *q = p; (q = strchr(q, ',')); q++)
                n++;
            if (!(names = calloc(n, sizeof(*names))))
                return DL_ENOMEM;
            names_store(key, cfg, names, n);
            for (size_t i = 0; i < n; i++) {
                comma = strchr(p, ',');
                if (!comma)
                    comma = p + strlen(p);
                if ((rc = store_string(&names[i], p, (size_t)(comma - p))))
                    return rc;
                p = comma + 1;
            }
            break;
        }
        default:
            rc = key_store(key, cfg, key->def, msg, sizeof(msg));
            /* A default the table cannot parse is our bug, not the user's. */
            assert(rc != DL_ECONFIG);
            if (rc)
                return rc;
            break;
        }
    }
    return 0;
}

static void kvlist_free(dl_kvlist *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->items[i].key);
        free(list->items[i].value);
    }
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

static void keys_free(dl_config *cfg, const cfg_key *keys)
{
    for (const cfg_key *key = keys; key->name; key++) {
        void *field = (char *)cfg + key->off;

        switch (key->kind) {
        case KEY_SECTION:
            keys_free(cfg, key->keys);
            break;
        case KEY_STRING:
        case KEY_TOPIC:
        case KEY_PATH:
        case KEY_LISTEN:
            free(*(char **)field);
            *(char **)field = NULL;
            break;
        case KEY_PROPS:
            kvlist_free(field);
            break;
        case KEY_NAMES:
            names_store(key, cfg, NULL, 0);
            break;
        default:
            break;
        }
    }
}

/* ---- the walker --------------------------------------------------------- */

/* A plain empty, '~' or 'null' scalar: the key is there without a value. */
static int node_is_null(const yaml_node_t *node)
{
    const char *v;
    size_t len;

    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)node->data.scalar.value;
    len = node->data.scalar.length;
    return len == 0 || (len == 1 && v[0] == '~') ||
           (len == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

static const char *node_what(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return node_is_null(node) ? "no value" : "a scalar";
    }
}

/*
 * Expands a scalar value node of @p key (NULL: a string of no key) into a
 * malloc'd string in *out. Returns 0; or reports and returns cfg_fail()'s
 * result with *out NULL.
 */
static int scalar_expand(cfg_walk *w, const yaml_node_t *node, const char *path,
                         const cfg_key *key, char **out)
{
    key_kind kind = key ? key->kind : KEY_STRING;
    const char *v;
    size_t len;
    dl_err e;
    int rc;

    *out = NULL;
    if (node->type != YAML_SCALAR_NODE)
        return cfg_fail(w, DL_ECONFIG, &node->start_mark, "%s: expected %s, got %s", path,
                        kind_what(key), node_what(node));
    v = (const char *)node->data.scalar.value;
    len = node->data.scalar.length;
    if (node_is_null(node))
        return cfg_fail(w, DL_ECONFIG, &node->start_mark, "%s: missing value (expected %s%s)", path,
                        kind_what(key),
                        kind == KEY_STRING || (key && key->allow_empty)
                            ? "; write \"\" for an empty string"
                            : "");
    if (memchr(v, '\0', len))
        return cfg_fail(w, DL_ECONFIG, &node->start_mark, "%s: value contains a NUL byte", path);
    dl_err_clear(&e);
    if ((rc = dl_config_expand(v, len, out, &e)))
        return cfg_fail(w, rc, &node->start_mark, "%s: %s", path, e.msg);
    return 0;
}

/*
 * Checks the key of one mapping pair: a scalar, not seen earlier in the
 * same mapping. Sets *skip when the pair must be ignored.
 */
static int pair_key(cfg_walk *w, const yaml_node_t *map, const yaml_node_pair_t *pair,
                    const char *section, int *skip)
{
    yaml_node_t *knode = yaml_document_get_node(w->doc, pair->key), *other;
    char where[CFG_PATH_MAX];

    *skip = 1;
    section_where(where, sizeof(where), section);
    if (knode->type != YAML_SCALAR_NODE)
        return cfg_fail(w, DL_ECONFIG, &knode->start_mark, "expected a key name %s, got %s", where,
                        node_what(knode));
    for (const yaml_node_pair_t *prev = map->data.mapping.pairs.start; prev < pair; prev++) {
        other = yaml_document_get_node(w->doc, prev->key);
        if (other->type == YAML_SCALAR_NODE &&
            other->data.scalar.length == knode->data.scalar.length &&
            !memcmp(other->data.scalar.value, knode->data.scalar.value, knode->data.scalar.length))
            return cfg_fail(w, DL_ECONFIG, &knode->start_mark,
                            "duplicate key '%.*s' %s (first at line %d, column %d)",
                            (int)(knode->data.scalar.length > CFG_QUOTE_MAX
                                      ? CFG_QUOTE_MAX
                                      : knode->data.scalar.length),
                            (const char *)knode->data.scalar.value, where,
                            (int)other->start_mark.line + 1, (int)other->start_mark.column + 1);
    }
    *skip = 0;
    return 0;
}

static int walk_scalar(cfg_walk *w, const yaml_node_t *node, const cfg_key *key, const char *path)
{
    char msg[sizeof(((dl_err *)0)->msg)];
    char *text;
    int rc;

    if ((rc = scalar_expand(w, node, path, key, &text)) || !text)
        return rc;
    rc = key_store(key, w->cfg, text, msg, sizeof(msg));
    free(text);
    if (rc == DL_ENOMEM)
        return cfg_fail(w, rc, &node->start_mark, "%s: out of memory", path);
    if (rc)
        return cfg_fail(w, rc, &node->start_mark, "%s: %s", path, msg);
    cfg_mark_set(w, key->off, &node->start_mark);
    return 0;
}

/* kafka.consumer / kafka.producer: any property names, scalar values. */
static int walk_props(cfg_walk *w, const yaml_node_t *node, const cfg_key *key, const char *path)
{
    dl_kvlist *list = (dl_kvlist *)((char *)w->cfg + key->off);
    char prop_path[CFG_PATH_MAX + CFG_QUOTE_MAX + 2]; /* section "." name: never truncated */
    yaml_node_t *knode, *vnode;
    const char *name;
    size_t name_len;
    dl_kv *items;
    char *value;
    int rc, skip;

    if (node_is_null(node))
        return 0;
    if (node->type != YAML_MAPPING_NODE)
        return cfg_fail(w, DL_ECONFIG, &node->start_mark,
                        "%s: expected a mapping of librdkafka properties, got %s", path,
                        node_what(node));
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        if ((rc = pair_key(w, node, pair, path, &skip)))
            return rc;
        if (skip)
            continue;
        knode = yaml_document_get_node(w->doc, pair->key);
        vnode = yaml_document_get_node(w->doc, pair->value);
        name = (const char *)knode->data.scalar.value;
        name_len = knode->data.scalar.length;
        if (name_len == 0 || memchr(name, '\0', name_len)) {
            if ((rc = cfg_fail(w, DL_ECONFIG, &knode->start_mark,
                               "%s: property names must be non-empty text", path)))
                return rc;
            continue;
        }
        skip = 0;
        for (size_t i = 0; i < sizeof(owned_props) / sizeof(owned_props[0]); i++) {
            if (!strcmp(name, owned_props[i].prop)) {
                if ((rc = cfg_fail(w, DL_ECONFIG, &knode->start_mark,
                                   "%s: '%s' is set from %s; set it there instead", path, name,
                                   owned_props[i].use)))
                    return rc;
                skip = 1;
            }
        }
        if (skip)
            continue;
        key_path(prop_path, sizeof(prop_path), path, name, name_len);
        if ((rc = scalar_expand(w, vnode, prop_path, NULL, &value)) || !value)
            return rc;
        if (!(items = realloc(list->items, (list->n + 1) * sizeof(*items)))) {
            free(value);
            return cfg_fail(w, DL_ENOMEM, &vnode->start_mark, "%s: out of memory", prop_path);
        }
        list->items = items;
        items[list->n].key = NULL;
        items[list->n].value = value;
        items[list->n].line = (int)knode->start_mark.line + 1;
        items[list->n].col = (int)knode->start_mark.column + 1;
        list->n++;
        if (store_string(&items[list->n - 1].key, name, name_len))
            return cfg_fail(w, DL_ENOMEM, &knode->start_mark, "%s: out of memory", prop_path);
    }
    return 0;
}

/* input.json_fields.*: a string, or a list of strings tried in order. */
static int walk_names(cfg_walk *w, const yaml_node_t *node, const cfg_key *key, const char *path)
{
    const yaml_node_item_t *items = NULL;
    size_t n_items = 1, n = 0;
    const yaml_node_t *item = node;
    char **names = NULL;
    char *text;
    int rc = 0, bad = 0;

    if (node->type == YAML_MAPPING_NODE || node_is_null(node))
        return cfg_fail(w, DL_ECONFIG, &node->start_mark, "%s: expected %s, got %s", path,
                        kind_what(key), node_what(node));
    if (node->type == YAML_SEQUENCE_NODE) {
        items = node->data.sequence.items.start;
        n_items = (size_t)(node->data.sequence.items.top - items);
        if (n_items == 0)
            return cfg_fail(w, DL_ECONFIG, &node->start_mark, "%s: needs at least one field name",
                            path);
    }
    if (!(names = calloc(n_items, sizeof(*names))))
        return cfg_fail(w, DL_ENOMEM, &node->start_mark, "%s: out of memory", path);
    for (size_t i = 0; i < n_items; i++) {
        if (items)
            item = yaml_document_get_node(w->doc, items[i]);
        if ((rc = scalar_expand(w, item, path, NULL, &text)))
            goto out;
        if (!text) {
            bad = 1;
            continue;
        }
        if (!*text) {
            free(text);
            bad = 1;
            if ((rc = cfg_fail(w, DL_ECONFIG, &item->start_mark,
                               "%s: field names must not be empty", path)))
                goto out;
            continue;
        }
        names[n++] = text;
    }
    if (!bad) {
        names_store(key, w->cfg, names, n);
        names = NULL;
        n = 0;
    }
out:
    free_names(names, n);
    return rc;
}

static int walk_section(cfg_walk *w, const yaml_node_t *node, const cfg_key *keys,
                        const char *section)
{
    char path[CFG_PATH_MAX], where[CFG_PATH_MAX], known[200];
    yaml_node_t *knode, *vnode;
    const cfg_key *key;
    int rc, skip;

    if (node_is_null(node))
        return 0;
    if (node->type != YAML_MAPPING_NODE) {
        if (!section[0])
            return cfg_fail(w, DL_ECONFIG, &node->start_mark,
                            "expected a mapping of sections at the top level, got %s",
                            node_what(node));
        return cfg_fail(w, DL_ECONFIG, &node->start_mark, "%s: expected a mapping, got %s", section,
                        node_what(node));
    }
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top && !w->halt; pair++) {
        if ((rc = pair_key(w, node, pair, section, &skip)))
            return rc;
        if (skip)
            continue;
        knode = yaml_document_get_node(w->doc, pair->key);
        vnode = yaml_document_get_node(w->doc, pair->value);
        for (key = keys; key->name; key++) {
            if (strlen(key->name) == knode->data.scalar.length &&
                !memcmp(key->name, knode->data.scalar.value, knode->data.scalar.length))
                break;
        }
        if (!key->name) {
            section_where(where, sizeof(where), section);
            key_names(known, sizeof(known), keys);
            key_path(path, sizeof(path), "", (const char *)knode->data.scalar.value,
                     knode->data.scalar.length);
            if ((rc = cfg_fail(w, DL_ECONFIG, &knode->start_mark,
                               "unknown key '%s' %s (known keys: %s)", path, where, known)))
                return rc;
            continue;
        }
        key_path(path, sizeof(path), section, key->name, strlen(key->name));
        switch (key->kind) {
        case KEY_SECTION:
            rc = walk_section(w, vnode, key->keys, path);
            break;
        case KEY_PROPS:
            rc = walk_props(w, vnode, key, path);
            break;
        case KEY_NAMES:
            rc = walk_names(w, vnode, key, path);
            break;
        default:
            rc = walk_scalar(w, vnode, key, path);
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- checks across keys, after the walk --------------------------------- */

/* Reading your own output, or mixing record kinds on one topic, is never meant. */
static int check_topics_distinct(cfg_walk *w)
{
    const char *a, *b;
    const yaml_mark_t *mark;
    const cfg_key *bad, *other;
    int rc;

    for (const cfg_key *ki = topic_keys; ki->name; ki++) {
        for (const cfg_key *kj = topic_keys; kj < ki; kj++) {
            a = *(char **)((char *)w->cfg + ki->off);
            b = *(char **)((char *)w->cfg + kj->off);
            if (!a[0] || strcmp(a, b))
                continue; /* ("": an output turned off, not a topic) */
            /* Point at the one the file set; a default has no position. */
            bad = cfg_mark_get(w, ki->off) ? ki : kj;
            other = bad == ki ? kj : ki;
            mark = cfg_mark_get(w, bad->off);
            if ((rc = cfg_fail(w, DL_ECONFIG, mark,
                               "topics.%s: '%.*s' is also topics.%s; every topic must differ",
                               bad->name, CFG_QUOTE_MAX, a, other->name)))
                return rc;
        }
    }
    return 0;
}

/* A relative extract.rules (also the default) is relative to the config file. */
static int resolve_rules(cfg_walk *w, const char *path)
{
    char **rules = &w->cfg->extract.rules;
    const char *slash = strrchr(path, '/');
    size_t dir_len, rules_len;
    char *joined;

    if ((*rules)[0] == '/' || !slash)
        return 0;
    dir_len = (size_t)(slash - path);
    while (dir_len > 1 && path[dir_len - 1] == '/')
        dir_len--;
    rules_len = strlen(*rules);
    if (!(joined = malloc(dir_len + 1 + rules_len + 1)))
        return cfg_fail(w, DL_ENOMEM, NULL, "out of memory");
    /* dir_len == 0: the file is in "/". */
    memcpy(joined, path, dir_len);
    joined[dir_len] = '/';
    memcpy(joined + dir_len + 1, *rules, rules_len + 1);
    free(*rules);
    *rules = joined;
    return 0;
}

/* ---- reading the file --------------------------------------------------- */

/* libyaml gives reader (encoding) errors as a byte offset only. */
static yaml_mark_t offset_mark(const char *buf, size_t len, size_t offset)
{
    yaml_mark_t mark = {0};

    for (size_t i = 0; i < offset && i < len; i++) {
        if (buf[i] == '\n') {
            mark.line++;
            mark.column = 0;
        } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
            mark.column++;
        }
    }
    mark.index = offset;
    return mark;
}

static int yaml_fail(cfg_walk *w, const yaml_parser_t *parser, const char *buf, size_t len)
{
    yaml_mark_t mark = parser->problem_mark;
    const char *problem = parser->problem ? parser->problem : "cannot parse";

    switch (parser->error) {
    case YAML_MEMORY_ERROR:
        return cfg_fail(w, DL_ENOMEM, NULL, "out of memory parsing YAML");
    case YAML_READER_ERROR:
        mark = offset_mark(buf, len, parser->problem_offset);
        if (parser->problem_value != -1)
            return cfg_fail(w, DL_ECONFIG, &mark, "YAML error: %s (#%X)", problem,
                            (unsigned)parser->problem_value);
        return cfg_fail(w, DL_ECONFIG, &mark, "YAML error: %s", problem);
    default:
        if (mark.index < len && buf[mark.index] == '\t')
            return cfg_fail(w, DL_ECONFIG, &mark,
                            "YAML syntax error: %s (a tab; indent with spaces)", problem);
        if (parser->context)
            return cfg_fail(w, DL_ECONFIG, &mark,
                            "YAML syntax error: %s (%s started at line %d, column %d)", problem,
                            parser->context, (int)parser->context_mark.line + 1,
                            (int)parser->context_mark.column + 1);
        return cfg_fail(w, DL_ECONFIG, &mark, "YAML syntax error: %s", problem);
    }
}

/*
 * The walker shared by load and check: fills @p cfg (defaults, then the
 * file) and reports every error through @p w. @p cfg is always left in a
 * state dl_config_free() accepts.
 */
static void config_walk_file(cfg_walk *w, const char *path, dl_config *cfg)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    yaml_node_t *root;
    char *buf = NULL;
    size_t len = 0;
    int parser_ok = 0, have_doc = 0;
    dl_err e;

    w->file = path;
    w->cfg = cfg;
    if (dl_config_defaults(cfg, NULL)) {
        cfg_fail(w, DL_ENOMEM, NULL, "out of memory");
        return;
    }
    if (store_string(&cfg->path, path, strlen(path))) {
        cfg_fail(w, DL_ENOMEM, NULL, "out of memory");
        return;
    }
    dl_err_clear(&e);
    if (dl_read_file(path, &buf, &len, &e)) {
        cfg_report(w, &e);
        return;
    }
    if (!yaml_parser_initialize(&parser)) {
        cfg_fail(w, DL_ENOMEM, NULL, "out of memory");
        goto out;
    }
    parser_ok = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_fail(w, &parser, buf, len);
        goto out;
    }
    have_doc = 1;
    w->doc = &doc;
    /* No root node: an empty file or only comments, i.e. all defaults. */
    if ((root = yaml_document_get_root_node(&doc)) && walk_section(w, root, top_keys, ""))
        goto out;
    if (!w->halt) {
        if (!yaml_parser_load(&parser, &extra)) {
            yaml_fail(w, &parser, buf, len);
            goto out;
        }
        if ((root = yaml_document_get_root_node(&extra)))
            cfg_fail(w, DL_ECONFIG, &root->start_mark,
                     "a second YAML document; a config file holds exactly one");
        yaml_document_delete(&extra);
    }
    if (!w->halt && !check_topics_distinct(w))
        resolve_rules(w, path);
out:
    if (have_doc)
        yaml_document_delete(&doc);
    if (parser_ok)
        yaml_parser_delete(&parser);
    free(buf);
}

/* ---- public API --------------------------------------------------------- */

int dl_config_defaults(dl_config *cfg, dl_err *err)
{
    memset(cfg, 0, sizeof(*cfg));
    if (defaults_apply(cfg, top_keys)) {
        dl_config_free(cfg);
        return dl_err_set(err, DL_ENOMEM, "out of memory filling config defaults");
    }
    return 0;
}

static void load_report(const dl_err *e, void *opaque)
{
    dl_err *err = opaque;

    if (err)
        *err = *e;
}

int dl_config_load(const char *path, dl_config *cfg, dl_err *err)
{
    cfg_walk w = {.report = load_report, .opaque = err, .stop_first = 1};

    config_walk_file(&w, path, cfg);
    if (w.n_err) {
        dl_config_free(cfg);
        return w.first_code;
    }
    return 0;
}

int dl_config_check_into(const char *path, void (*report)(const dl_err *err, void *opaque),
                         void *opaque, dl_config *cfg)
{
    cfg_walk w = {.report = report, .opaque = opaque};

    config_walk_file(&w, path, cfg);
    return w.n_err;
}

int dl_config_check(const char *path, void (*report)(const dl_err *err, void *opaque), void *opaque)
{
    dl_config cfg;
    int n = dl_config_check_into(path, report, opaque, &cfg);

    dl_config_free(&cfg);
    return n;
}

int dl_config_timeline(const dl_config *cfg)
{
    return cfg->topics.timeline && cfg->topics.timeline[0];
}

void dl_config_free(dl_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    keys_free(cfg, top_keys);
    memset(cfg, 0, sizeof(*cfg));
}

const char *dl_kvlist_get(const dl_kvlist *list, const char *name)
{
    if (!list)
        return NULL;
    for (size_t i = 0; i < list->n; i++) {
        if (list->items[i].key && !strcmp(list->items[i].key, name))
            return list->items[i].value;
    }
    return NULL;
}

static const char *kind_name(key_kind kind)
{
    static const char *const names[] = {
        [KEY_SECTION] = "section", [KEY_STRING] = "string", [KEY_TOPIC] = "topic",
        [KEY_PATH] = "path",       [KEY_INT] = "integer",   [KEY_COUNT] = "count",
        [KEY_BYTES] = "bytes",     [KEY_BOOL] = "bool",     [KEY_ENUM] = "enum",
        [KEY_PROPS] = "properties", [KEY_NAMES] = "names",  [KEY_LISTEN] = "address",
    };

    return names[kind];
}

static void keys_visit(const cfg_key *keys, const char *section,
                       void (*fn)(const char *, const char *, const char *, void *), void *opaque)
{
    char path[CFG_PATH_MAX];

    for (const cfg_key *key = keys; key->name; key++) {
        key_path(path, sizeof(path), section, key->name, strlen(key->name));
        if (key->kind == KEY_SECTION) {
            keys_visit(key->keys, path, fn, opaque);
            continue;
        }
        fn(path, kind_name(key->kind), key->def ? key->def : "", opaque);
    }
}

void dl_config_keys(void (*fn)(const char *path, const char *kind, const char *def, void *opaque),
                    void *opaque)
{
    keys_visit(top_keys, "", fn, opaque);
}

const char *dl_format_name(dl_format fmt)
{
    return (unsigned)fmt < 3 ? format_names[fmt] : "auto";
}

const char *dl_delivery_name(dl_delivery delivery)
{
    return (unsigned)delivery < 2 ? delivery_names[delivery] : "at_least_once";
}

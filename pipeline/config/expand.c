/*
 * dateline - ${VAR} / ${VAR:-default} / $$ expansion of config scalars.
 *
 * Expansion runs on the scalar text before any type conversion, so
 * `max_bytes: ${MAX_BYTES:-1MiB}` is converted after the variable is read.
 */
#include <stdlib.h>
#include <string.h>

#include "dateline/config.h"

/* Deep enough for ${A:-${B:-${C}}}; the limit only stops runaway input. */
#define EXPAND_MAX_DEPTH 8
#define EXPAND_MAX_NAME  255

typedef struct expand_buf {
    char *p;
    size_t len, cap;
} expand_buf;

static int buf_add(expand_buf *b, const char *s, size_t len, dl_err *err)
{
    char *np;
    size_t ncap;

    if (b->cap - b->len <= len) {
        ncap = b->cap ? b->cap : 64;
        while (ncap - b->len <= len)
            ncap *= 2;
        if (!(np = realloc(b->p, ncap)))
            return dl_err_set(err, DL_ENOMEM, "out of memory expanding a config value");
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

static int is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/*
 * Finds the '}' closing a default that starts at s[i], skipping nested
 * ${...} and $$. Returns its index, or len if there is none.
 */
static size_t default_end(const char *s, size_t len, size_t i)
{
    int depth = 0;

    while (i < len) {
        if (s[i] == '$' && i + 1 < len && (s[i + 1] == '$' || s[i + 1] == '{')) {
            if (s[i + 1] == '{')
                depth++;
            i += 2;
            continue;
        }
        if (s[i] == '}') {
            if (depth == 0)
                return i;
            depth--;
        }
        i++;
    }
    return len;
}

static int expand_into(const char *s, size_t len, expand_buf *b, int depth, dl_err *err)
{
    char name[EXPAND_MAX_NAME + 1];
    size_t i = 0, start, name_len, end;
    const char *val;
    int rc;

    if (depth > EXPAND_MAX_DEPTH)
        return dl_err_set(err, DL_ECONFIG, "'${...}' nested more than %d deep", EXPAND_MAX_DEPTH);
    while (i < len) {
        start = i;
        while (i < len && s[i] != '$')
            i++;
        if ((rc = buf_add(b, s + start, i - start, err)))
            return rc;
        if (i >= len)
            break;
        /* s[i] == '$' */
        if (i + 1 < len && s[i + 1] == '$') {
            if ((rc = buf_add(b, "$", 1, err)))
                return rc;
            i += 2;
            continue;
        }
        if (i + 1 >= len || s[i + 1] != '{') {
            /* A lone '$' is literal, so passwords with '$' need no escaping. */
            if ((rc = buf_add(b, "$", 1, err)))
                return rc;
            i++;
            continue;
        }
        start = i;
        i += 2;
        name_len = 0;
        if (i < len && is_name_start(s[i])) {
            while (i + name_len < len && is_name_char(s[i + name_len]))
                name_len++;
        }
        if (name_len == 0) {
            /* Quote the reference up to its '}', but keep the message short. */
            end = default_end(s, len, start + 2);
            end = end < len ? end + 1 : len;
            if (end - start > 40)
                end = start + 40;
            return dl_err_set(err, DL_ECONFIG,
                              "bad variable name in '%.*s' (expected ${NAME} or ${NAME:-default}, "
                              "NAME made of A-Z a-z 0-9 _)",
                              (int)(end - start), s + start);
        }
        if (name_len > EXPAND_MAX_NAME)
            return dl_err_set(err, DL_ECONFIG, "variable name longer than %d characters",
                              EXPAND_MAX_NAME);
        memcpy(name, s + i, name_len);
        name[name_len] = '\0';
        i += name_len;
        val = getenv(name);
        if (i < len && s[i] == '}') {
            if (!val)
                return dl_err_set(err, DL_ECONFIG, "environment variable %s is not set", name);
            if ((rc = buf_add(b, val, strlen(val), err)))
                return rc;
            i++;
            continue;
        }
        if (i + 1 < len && s[i] == ':' && s[i + 1] == '-') {
            end = default_end(s, len, i + 2);
            if (end >= len)
                return dl_err_set(err, DL_ECONFIG, "unterminated '${%s:-' (missing '}')", name);
            if (val && *val)
                rc = buf_add(b, val, strlen(val), err);
            else
                rc = expand_into(s + i + 2, end - (i + 2), b, depth + 1, err);
            if (rc)
                return rc;
            i = end + 1;
            continue;
        }
        if (i >= len)
            return dl_err_set(err, DL_ECONFIG, "unterminated '${%s' (missing '}')", name);
        return dl_err_set(err, DL_ECONFIG,
                          "unexpected '%c' after '${%s' (expected ${%s} or ${%s:-default})", s[i],
                          name, name, name);
    }
    return 0;
}

int dl_config_expand(const char *s, size_t len, char **out, dl_err *err)
{
    expand_buf b = {0};
    int rc;

    /* Always hand back a string, even for "". */
    if ((rc = buf_add(&b, "", 0, err)))
        return rc;
    if ((rc = expand_into(s, len, &b, 0, err))) {
        free(b.p);
        return rc;
    }
    *out = b.p;
    return 0;
}

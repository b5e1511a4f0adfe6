/*
 * The encoder's JSON writer (see jsonw.h).
 */
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

void dl_jsonw_init(dl_jsonw *w, size_t hint)
{
    w->len = 0;
    w->oom = 0;
    w->cap = hint < 64 ? 64 : hint;
    if (!(w->p = malloc(w->cap))) {
        w->cap = 0;
        w->oom = 1;
    }
}

char *dl_jsonw_finish(dl_jsonw *w, size_t *len)
{
    char *out = NULL;

    if (w->oom) {
        free(w->p);
    } else {
        w->p[w->len] = '\0'; /* reserve() keeps a byte for it */
        out = w->p;
        if (len)
            *len = w->len;
    }
    w->p = NULL;
    w->len = w->cap = 0;
    return out;
}

/* Room for @p n more bytes plus the final NUL. */
static int reserve(dl_jsonw *w, size_t n)
{
    size_t cap;
    char *np;

    if (w->oom)
        return -1;
    if (w->len + n < w->cap)
        return 0;
    cap = w->cap * 2;
    while (cap <= w->len + n)
        cap *= 2;
    if (!(np = realloc(w->p, cap))) {
        w->oom = 1;
        return -1;
    }
    w->p = np;
    w->cap = cap;
    return 0;
}

static void put(dl_jsonw *w, const char *s, size_t n)
{
    if (reserve(w, n))
        return;
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void put_c(dl_jsonw *w, char c)
{
    if (reserve(w, 1))
        return;
    w->p[w->len++] = c;
}

/* The comma before a value or key, unless it opens a container or follows
 * its key. */
static void sep(dl_jsonw *w)
{
    if (w->len) {
        char last = w->p[w->len - 1];
        if (last != '{' && last != '[' && last != ':')
            put_c(w, ',');
    }
}

void dl_jsonw_obj_begin(dl_jsonw *w)
{
    sep(w);
    put_c(w, '{');
}

void dl_jsonw_obj_end(dl_jsonw *w)
{
    put_c(w, '}');
}

void dl_jsonw_arr_begin(dl_jsonw *w)
{
    sep(w);
    put_c(w, '[');
}

void dl_jsonw_arr_end(dl_jsonw *w)
{
    put_c(w, ']');
}

void dl_jsonw_keyn(dl_jsonw *w, const char *quoted, size_t len)
{
    sep(w);
    put(w, quoted, len);
}

/* 1: the byte needs an escape (control bytes, '"' and '\\'). */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,         1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1,
};

void dl_jsonw_strn(dl_jsonw *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;

    sep(w);
    /* Worst case every byte becomes \u00XX. */
    if (reserve(w, len * 6 + 2))
        return;
    w->p[w->len++] = '"';
    while (i < len) {
        size_t run = i;
        unsigned char c;
        while (run < len && !needs_escape[(unsigned char)s[run]])
            run++;
        memcpy(w->p + w->len, s + i, run - i);
        w->len += run - i;
        if (run == len)
            break;
        c = (unsigned char)s[run];
        w->p[w->len++] = '\\';
        switch (c) {
        case '"':
        case '\\':
            w->p[w->len++] = (char)c;
            break;
        case '\b':
            w->p[w->len++] = 'b';
            break;
        case '\f':
            w->p[w->len++] = 'f';
            break;
        case '\n':
            w->p[w->len++] = 'n';
            break;
        case '\r':
            w->p[w->len++] = 'r';
            break;
        case '\t':
            w->p[w->len++] = 't';
            break;
        default:
            memcpy(w->p + w->len, "u00", 3);
            w->len += 3;
            w->p[w->len++] = hex[c >> 4];
            w->p[w->len++] = hex[c & 15];
            break;
        }
        i = run + 1;
    }
    w->p[w->len++] = '"';
}

void dl_jsonw_str(dl_jsonw *w, const char *s)
{
    if (s)
        dl_jsonw_strn(w, s, strlen(s));
    else
        dl_jsonw_null(w);
}

void dl_jsonw_int(dl_jsonw *w, long long v)
{
    char buf[24];
    size_t n = sizeof(buf);
    /* Through unsigned so that LLONG_MIN negates without overflow. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do {
        buf[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[--n] = '-';
    sep(w);
    put(w, buf + n, sizeof(buf) - n);
}

void dl_jsonw_bool(dl_jsonw *w, int v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void dl_jsonw_null(dl_jsonw *w)
{
    sep(w);
    put(w, "null", 4);
}

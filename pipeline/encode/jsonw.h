/*
 * A small JSON writer for the encoder: appends compact JSON text to one
 * growing buffer, without building a tree.
 *
 * Building a Jansson tree per record, dumping it and freeing it cost more
 * than the extraction it reports on (a tree node, a hash-table insert and
 * a free per value). The records are written once, front to back, so a
 * writer is enough. Its output is what json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) printed for the same values: the escapes are
 * Jansson's (\" \\ \b \f \n \r \t, other control bytes \u00XX, nothing
 * else escaped).
 *
 * Commas are placed from a flag: a value or key that follows a value (not
 * an opening bracket or a key) is preceded by ','. Strings must be valid
 * UTF-8 (text is validated once, in decode/).
 *
 * Errors stick: after an allocation failure every call is a no-op and
 * dl_jsonw_finish() returns NULL.
 */
#ifndef DATELINE_ENCODE_JSONW_H
#define DATELINE_ENCODE_JSONW_H

#include <stddef.h>
#include <string.h>

typedef struct dl_jsonw {
    char *p;
    size_t len, cap;
    int oom;
    int comma; /* 1: the last thing written was a value */
} dl_jsonw;

/** Starts an empty writer with room for about @p hint bytes. */
void dl_jsonw_init(dl_jsonw *w, size_t hint);

/** Hands the NUL-terminated text (malloc'd, caller frees) and its length
 *  over, or NULL after an allocation failure; the writer is left empty. */
char *dl_jsonw_finish(dl_jsonw *w, size_t *len);

/** Grows the buffer for @p n more bytes plus the final NUL; -1 (and the
 *  writer marked failed, with cap 0 so that every later reserve comes
 *  here and fails too) when it cannot. Only dl_jsonw_reserve calls it. */
int dl_jsonw_grow(dl_jsonw *w, size_t n);

/*
 * The small calls below are inline: a record is mostly keys, brackets and
 * short values, and as out-of-line calls their call overhead, the re-check
 * of the room and a memcpy of unknown length were ~40% of encoding.
 */

/** Room for @p n more bytes plus the final NUL: 0, or -1 after a failure. */
static inline int dl_jsonw_reserve(dl_jsonw *w, size_t n)
{
    if (w->len + n < w->cap)
        return 0;
    return dl_jsonw_grow(w, n);
}

/** Room for the comma and @p n bytes of a value (or key), checked once:
 *  where the value goes, after its comma, or NULL after a failure. The
 *  caller writes through the pointer and sets w->len past what it wrote
 *  (a store through w->p could alias w->len: kept in a register, it is
 *  not reloaded per byte). */
static inline char *dl_jsonw_value_at(dl_jsonw *w, size_t n)
{
    char *d;

    if (dl_jsonw_reserve(w, n + 1))
        return NULL;
    d = w->p + w->len;
    *d = ','; /* kept when wanted, without a branch; else overwritten */
    d += w->comma;
    w->comma = 1;
    return d;
}

/** The comma before a container, unless it follows an opening bracket or
 *  its key, and its opening bracket @p c. */
static inline void dl_jsonw_open(dl_jsonw *w, char c)
{
    char *d = dl_jsonw_value_at(w, 1);

    if (!d)
        return;
    *d = c;
    w->len = (size_t)(d + 1 - w->p);
    w->comma = 0;
}

static inline void dl_jsonw_close(dl_jsonw *w, char c)
{
    if (dl_jsonw_reserve(w, 1))
        return;
    w->p[w->len++] = c;
    w->comma = 1;
}

static inline void dl_jsonw_obj_begin(dl_jsonw *w)
{
    dl_jsonw_open(w, '{');
}

static inline void dl_jsonw_obj_end(dl_jsonw *w)
{
    dl_jsonw_close(w, '}');
}

static inline void dl_jsonw_arr_begin(dl_jsonw *w)
{
    dl_jsonw_open(w, '[');
}

static inline void dl_jsonw_arr_end(dl_jsonw *w)
{
    dl_jsonw_close(w, ']');
}

/** A value, or a key with its value, that another writer wrote: @p len
 *  bytes of JSON text, copied as they are. */
static inline void dl_jsonw_raw(dl_jsonw *w, const char *json, size_t len)
{
    char *d = dl_jsonw_value_at(w, len);

    if (!d)
        return;
    memcpy(d, json, len);
    w->len = (size_t)(d + len - w->p);
}

/** An object key given with its quotes and colon ("\"key\":"), @p len
 *  bytes: copied as raw text, and its value follows without a comma. */
static inline void dl_jsonw_keyn(dl_jsonw *w, const char *quoted, size_t len)
{
    dl_jsonw_raw(w, quoted, len);
    w->comma = 0;
}

/** An object key: a string literal without characters to escape, copied
 *  with its quotes and colon at once (keys are most of a record's calls;
 *  inline, the copy has a constant length). */
#define dl_jsonw_key(w, lit) dl_jsonw_keyn((w), "\"" lit "\":", sizeof(lit) + 2)

/** A string value that has nothing to escape (ids, names from the
 *  program's own tables): copied between its quotes, without the escaping
 *  pass, which cost more than such short strings themselves. */
static inline void dl_jsonw_plain(dl_jsonw *w, const char *s, size_t len)
{
    char *d = dl_jsonw_value_at(w, len + 2);

    if (!d)
        return;
    *d++ = '"';
    memcpy(d, s, len);
    d[len] = '"';
    w->len = (size_t)(d + len + 1 - w->p);
}

/** A string value: @p len bytes of UTF-8, escaped. */
void dl_jsonw_strn(dl_jsonw *w, const char *s, size_t len);
/** A NUL-terminated string value; NULL writes null. */
void dl_jsonw_str(dl_jsonw *w, const char *s);
void dl_jsonw_int(dl_jsonw *w, long long v);
/** [@p a,@p b]: an array of two numbers (a span's offsets), written at
 *  once; spans are in every mention list. */
void dl_jsonw_pair(dl_jsonw *w, unsigned long long a, unsigned long long b);

static inline void dl_jsonw_bool(dl_jsonw *w, int v)
{
    dl_jsonw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

static inline void dl_jsonw_null(dl_jsonw *w)
{
    dl_jsonw_raw(w, "null", 4);
}

#endif

/*
 * A raw scanner over JSON that Jansson has already validated. Jansson gives
 * values but not their positions; enriched records need offsets into the
 * original message value, so the text field is decoded here with a map.
 */
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"

int dl_buf_reserve(dl_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    char *np;

    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (!(np = realloc(b->p, cap)))
        return DL_ENOMEM;
    b->p = np;
    b->cap = cap;
    return 0;
}

static size_t skip_ws(dl_slice j, size_t i)
{
    while (i < j.len && (j.p[i] == ' ' || j.p[i] == '\t' || j.p[i] == '\n' || j.p[i] == '\r'))
        i++;
    return i;
}

/* @p i at an opening quote; returns the index after the closing quote. */
static size_t skip_string(dl_slice j, size_t i)
{
    for (i++; i < j.len; i++) {
        if (j.p[i] == '\\')
            i++;
        else if (j.p[i] == '"')
            return i + 1;
    }
    return j.len;
}

/* Skips any value by bracket depth; strings are skipped whole. */
static size_t skip_value(dl_slice j, size_t i)
{
    int depth = 0;

    while (i < j.len) {
        char c = j.p[i];
        if (c == '"') {
            i = skip_string(j, i);
            if (depth == 0)
                return i;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i;
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            return i;
        }
        i++;
    }
    return i;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;

    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int map_add(struct dl_offset_map *map, size_t dec, size_t raw)
{
    if (map->n == map->cap) {
        size_t cap = map->cap ? map->cap * 2 : 64;
        size_t *nd = realloc(map->dec, cap * sizeof(*nd));
        if (!nd)
            return DL_ENOMEM;
        map->dec = nd;
        size_t *nr = realloc(map->raw, cap * sizeof(*nr));
        if (!nr)
            return DL_ENOMEM;
        map->raw = nr;
        map->cap = cap;
    }
    map->dec[map->n] = dec;
    map->raw[map->n] = raw;
    map->n++;
    return 0;
}

int dl_json_unescape(dl_slice j, size_t at, dl_buf *out, struct dl_offset_map *map)
{
    size_t i = at + 1, start = at + 1;

    out->len = 0;
    if (at >= j.len || j.p[at] != '"')
        return DL_EINVAL;
    if (map) {
        map->base = start;
        map->n = 0;
    }
    while (i < j.len && j.p[i] != '"') {
        /* Copy the run of plain bytes up to the next escape or the end. */
        size_t run = i;
        while (run < j.len && j.p[run] != '"' && j.p[run] != '\\')
            run++;
        if (dl_buf_reserve(out, run - i + 4))
            return DL_ENOMEM;
        memcpy(out->p + out->len, j.p + i, run - i);
        out->len += run - i;
        i = run;
        if (i >= j.len || j.p[i] == '"')
            break;
        if (i + 1 >= j.len)
            return DL_EINVAL;
        char c = j.p[i + 1], lit = 0;
        unsigned cp;
        switch (c) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': break;
        default: return DL_EINVAL;
        }
        if (lit) {
            out->p[out->len++] = lit;
            i += 2;
        } else {
            if (i + 6 > j.len || hex4(j.p + i + 2, &cp))
                return DL_EINVAL;
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (i + 6 > j.len || j.p[i] != '\\' || j.p[i + 1] != 'u' ||
                    hex4(j.p + i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return DL_EINVAL;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return DL_EINVAL;
            }
            out->len += put_utf8(out->p + out->len, cp);
        }
        if (map && map_add(map, out->len, i - start))
            return DL_ENOMEM;
    }
    if (i >= j.len)
        return DL_EINVAL;
    /* An empty string ("") never entered the loop: no buffer yet. */
    if (dl_buf_reserve(out, 0))
        return DL_ENOMEM;
    out->p[out->len] = '\0';
    return 0;
}

long dl_json_raw_member(dl_slice j, const char *name)
{
    size_t i = skip_ws(j, 0), nlen = strlen(name);
    dl_buf key = {0};
    long found = -1;

    if (i >= j.len || j.p[i] != '{')
        return -1;
    i = skip_ws(j, i + 1);
    while (i < j.len && j.p[i] == '"') {
        size_t kstart = i;
        i = skip_ws(j, skip_string(j, i));
        if (i >= j.len || j.p[i] != ':')
            break;
        i = skip_ws(j, i + 1);
        /* Keys are compared decoded, so "te\u0078t" still matches "text". */
        if (dl_json_unescape(j, kstart, &key, NULL) == 0 && key.len == nlen &&
            memcmp(key.p, name, nlen) == 0) {
            found = (long)i;
            break;
        }
        i = skip_ws(j, skip_value(j, i));
        if (i < j.len && j.p[i] == ',')
            i = skip_ws(j, i + 1);
    }
    free(key.p);
    return found;
}

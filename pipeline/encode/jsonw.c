/*
 * The encoder's JSON writer (see jsonw.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void dl_jsonw_init(dl_jsonw *w, size_t hint)
{
    w->len = 0;
    w->oom = 0;
    w->comma = 0;
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

int dl_jsonw_grow(dl_jsonw *w, size_t n)
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
        w->cap = 0; /* the old buffer stays in p, for finish() to free */
        return -1;
    }
    w->p = np;
    w->cap = cap;
    return 0;
}

/* 1: the byte needs an escape (control bytes, '"' and '\\'). */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,         1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1,
};

/* Whether one of the 8 bytes at @p s is below 0x20, '"' or '\\' (the bytes
 * needs_escape[] marks), by the has-zero-byte bit trick. */
static int word_needs_escape(const char *s)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t x, quote, backslash;

    memcpy(&x, s, 8);
    quote = x ^ (ones * '"');
    backslash = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) |
            ((backslash - ones) & ~backslash)) &
           highs ? 1 : 0;
}

#ifdef __SSE2__
/* Whether one of the 16 bytes at @p s needs an escape (unsigned x <= 0x1f
 * is min(x, 0x1f) == x). */
static int block_needs_escape(const char *s)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i ctrl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));

    return _mm_movemask_epi8(_mm_or_si128(ctrl, _mm_or_si128(quote, backslash))) != 0;
}
#endif

void dl_jsonw_strn(dl_jsonw *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    char *d;

    /* Room for the text as it is and its quotes: escapes are rare, and room
     * for the worst case up front (every byte \u00XX) made the buffer grow
     * for long strings that did not need it. */
    if (!(d = dl_jsonw_value_at(w, len + 2)))
        return;
    *d++ = '"';
    while (i < len) {
        unsigned char c;
        /* Sixteen (with SSE2), then eight bytes at a time while none needs
         * an escape, copied as they are checked: text is most of a record's
         * bytes and almost never has one. */
#ifdef __SSE2__
        while (i + 16 <= len && !block_needs_escape(s + i)) {
            memcpy(d, s + i, 16);
            d += 16;
            i += 16;
        }
        /* The last 1-15 bytes: as the last sixteen, re-copying a few, when
         * those are clean (then the ones before i were copied as they are). */
        if (len >= 16 && i < len && i + 16 > len && !block_needs_escape(s + len - 16)) {
            memcpy(d + (len - i) - 16, s + len - 16, 16);
            d += len - i;
            break;
        }
#endif
        while (i + 8 <= len && !word_needs_escape(s + i)) {
            memcpy(d, s + i, 8);
            d += 8;
            i += 8;
        }
        while (i < len && !needs_escape[(unsigned char)s[i]])
            *d++ = s[i++];
        if (i == len)
            break;
        /* An escape: room for the worst case of the rest, closing quote too. */
        w->len = (size_t)(d - w->p);
        if (dl_jsonw_reserve(w, (len - i) * 6 + 1))
            return;
        d = w->p + w->len;
        c = (unsigned char)s[i++];
        *d++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *d++ = (char)c;
            break;
        case '\b':
            *d++ = 'b';
            break;
        case '\f':
            *d++ = 'f';
            break;
        case '\n':
            *d++ = 'n';
            break;
        case '\r':
            *d++ = 'r';
            break;
        case '\t':
            *d++ = 't';
            break;
        default:
            memcpy(d, "u00", 3);
            d += 3;
            *d++ = hex[c >> 4];
            *d++ = hex[c & 15];
            break;
        }
    }
    *d++ = '"';
    w->len = (size_t)(d - w->p);
}

void dl_jsonw_str(dl_jsonw *w, const char *s)
{
    if (s)
        dl_jsonw_strn(w, s, strlen(s));
    else
        dl_jsonw_null(w);
}

/* The decimal digits of @p u, written backwards to end at @p end: where
 * they start. Two digits per division: numbers are mostly offsets of 3 to
 * 5 digits, and a division per digit was most of the writer's cost. */
static char *digits_before(char *end, unsigned long long u)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";

    while (u >= 100) {
        end -= 2;
        memcpy(end, pairs + u % 100 * 2, 2);
        u /= 100;
    }
    if (u >= 10) {
        end -= 2;
        memcpy(end, pairs + u * 2, 2);
    } else {
        *--end = (char)('0' + u);
    }
    return end;
}

/* The @p n bytes of JSON text at @p s, a value, which has 16 bytes after it
 * in its buffer: up to 16 are copied as one fixed-size piece (what follows
 * them in the writer's buffer is overwritten by the next value). */
static void put_short(dl_jsonw *w, const char *s, size_t n)
{
    char *d;

    if (n > 16) {
        dl_jsonw_raw(w, s, n);
    } else if ((d = dl_jsonw_value_at(w, 16))) {
        memcpy(d, s, 16);
        w->len = (size_t)(d + n - w->p);
    }
}

void dl_jsonw_int(dl_jsonw *w, long long v)
{
    char buf[40], *s;
    /* Through unsigned so that LLONG_MIN negates without overflow. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    s = digits_before(buf + 24, u);
    if (v < 0)
        *--s = '-';
    put_short(w, s, (size_t)(buf + 24 - s));
}

void dl_jsonw_pair(dl_jsonw *w, unsigned long long a, unsigned long long b)
{
    char buf[64], *s;

    buf[47] = ']';
    s = digits_before(buf + 47, b);
    *--s = ',';
    s = digits_before(s, a);
    *--s = '[';
    put_short(w, s, (size_t)(buf + 48 - s));
}

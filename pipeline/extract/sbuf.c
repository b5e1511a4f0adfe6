/*
 * dateline - the growable string of the rule loader and the probe rewrite.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

void dl_sbuf_add(dl_sbuf *b, const char *s, size_t n)
{
    /* The length check also bounds n for GCC, whose -O3 stringop-overflow
     * analysis otherwise assumes n may be SIZE_MAX and fails Release builds. */
    if (b->oom || n >= SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *np;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(np = realloc(b->p, cap))) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void dl_sbuf_str(dl_sbuf *b, const char *s)
{
    dl_sbuf_add(b, s, strlen(s));
}

/* Internal to pipeline/extract: a growable NUL-terminated string, for the
 * pattern text the rule loader expands (rules.c) and the probe rewrite
 * builds (probe.c). */
#ifndef DL_SBUF_H
#define DL_SBUF_H

#include <stddef.h>

typedef struct dl_sbuf {
    char *p; /* NULL until the first byte; the caller frees it */
    size_t len, cap;
    int oom; /* sticky: an allocation failed, the text is incomplete */
} dl_sbuf;

/** @brief Appends @p n bytes of @p s (nothing once b->oom is set). */
void dl_sbuf_add(dl_sbuf *b, const char *s, size_t n);

/** @brief Appends the string @p s. */
void dl_sbuf_str(dl_sbuf *b, const char *s);

#endif

#include <stdint.h>
#include <string.h>

#include "dateline/decode.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Validation follows RFC 3629 table 3: the second byte's range depends on the
 * lead byte, which rules out overlong forms and UTF-16 surrogates. */
size_t dl_utf8_check(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c;
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        uint64_t word;

        /* Text is mostly ASCII: 32 (with SSE2), then eight bytes at a time
         * while no high bit is set (per byte, this loop was as costly as
         * hashing the message). */
#ifdef __SSE2__
        while (len - i >= 32) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
            if (_mm_movemask_epi8(_mm_or_si128(a, b)))
                break;
            i += 32;
        }
#endif
        while (len - i >= 8 && (memcpy(&word, p + i, 8), !(word & 0x8080808080808080ull)))
            i += 8;
        if (i == len)
            break;
        c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
        i += n + 1;
    }
    return len;
}

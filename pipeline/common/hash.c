/*
 * 64-bit FNV-1a: short stable fingerprints (message ids, replay specs,
 * work pool lanes).
 */
#include "dateline/common.h"

uint64_t dl_fnv1a64(uint64_t h, const void *p, size_t len)
{
    const unsigned char *b = p;
    size_t i = 0;

    /* Unrolled: every message's text is hashed for its id, and the loop's
     * own counting cost as much as the hashing. Still one byte at a time,
     * in order: the fingerprints must not change. */
    for (; len - i >= 8; i += 8) {
        h = (h ^ b[i]) * 1099511628211ull;
        h = (h ^ b[i + 1]) * 1099511628211ull;
        h = (h ^ b[i + 2]) * 1099511628211ull;
        h = (h ^ b[i + 3]) * 1099511628211ull;
        h = (h ^ b[i + 4]) * 1099511628211ull;
        h = (h ^ b[i + 5]) * 1099511628211ull;
        h = (h ^ b[i + 6]) * 1099511628211ull;
        h = (h ^ b[i + 7]) * 1099511628211ull;
    }
    for (; i < len; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/*
 * 64-bit FNV-1a: short stable fingerprints (message ids, replay specs,
 * work pool lanes).
 */
#include "dateline/common.h"

uint64_t dl_fnv1a64(uint64_t h, const void *p, size_t len)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Internal to pipeline/extract: probe patterns, the word-level prefilter of
 * the rule scan (see probe.c and extract.c). */
#ifndef DL_PROBE_H
#define DL_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/**
 * @brief Compiles the probe of the expanded rule pattern @p pat (@p len
 *        bytes; compile options @p opts): anchored, lookbehinds replaced by
 *        constants, JIT-compiled for PCRE2_PARTIAL_HARD.
 * @returns the probe (caller frees with pcre2_code_free), or NULL when the
 *          pattern uses a construct the rewrite cannot prove safe (atomic
 *          groups, possessive quantifiers, verbs, back references, ...):
 *          the rule is then tried at every word start its first byte allows.
 */
pcre2_code *dl_probe_compile(const char *pat, size_t len, uint32_t opts);

/**
 * @brief The end (one past its ']') of the character class that opens at
 *        @p pat[@p i], or 0 when it does not close (also used by
 *        required.c, the other reader of rule patterns).
 */
size_t dl_re_class_end(const char *pat, size_t len, size_t i);

#endif

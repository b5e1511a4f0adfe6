/* Internal to pipeline/extract: the words a rule's matches must contain,
 * and how far a match can reach (required.c); the rule scan (extract.c)
 * skips a rule at a word start when none of such words starts close
 * enough after it. */
#ifndef DL_REQUIRED_H
#define DL_REQUIRED_H

#include <stddef.h>

#define DL_REQ_SETS 3  /* sets a match must each have a word of */
#define DL_REQ_WORDS 24 /* words in a set */
#define DL_REQ_WORD 16  /* bytes of a word, its NUL included */

/* A bound of a length: fixed + gaps x G + words x W bytes, where G is the
 * text's longest run of bytes other than [A-Za-z0-9] and W its longest
 * word (an unbounded repeat, like \s+ or \d+, reads no letter or digit,
 * or nothing else, so it lies in one such run or one word); or none. */
typedef struct dl_reach {
    int inf; /* no bound */
    size_t fixed, gaps, words;
} dl_reach;

/* Any of n words (lower case, [a-z0-9], at least 3 bytes), beginning at
 * most `at` bytes after the match's start. */
typedef struct dl_req_set {
    int n;
    dl_reach at;
    char w[DL_REQ_WORDS][DL_REQ_WORD];
} dl_req_set;

/*
 * What every match of a pattern, tried at a word start (no letter or digit
 * before it), satisfies: for each of sets[0, n_sets), a word of the set
 * begins a word of the text (a run of [A-Za-z0-9]), ignoring case, in what
 * the match reads (itself and its positive lookaheads), at most the set's
 * `at` bytes after the match's start.
 */
typedef struct dl_required {
    int n_sets;
    dl_req_set sets[DL_REQ_SETS];
} dl_required;

/**
 * @brief Analyses the expanded pattern @p pat (@p len bytes, compiled
 *        without PCRE2_UTF or PCRE2_EXTENDED) into @p out. Constructs it
 *        does not follow (back references, recursion, \Q...\E, ...)
 *        leave @p out empty: no sets (no filtering).
 */
void dl_required_analyse(const char *pat, size_t len, dl_required *out);

#endif

/* Internal to pipeline/extract: one automaton for all the timex rules,
 * telling at a word start which rules can match there (automaton.c). */
#ifndef DL_AUTOMATON_H
#define DL_AUTOMATON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dateline/common.h" /* DL_ENOMEM */

/* How many bytes from a word start the automaton reads at most: a rule
 * still alive that far counts as possible. */
#define DL_DFA_REACH 64

/* The rules' patterns as one byte-level NFA (shared, read-only once built). */
typedef struct dl_nfa dl_nfa;
/* Its lazily built DFA: per extractor (not thread-safe). */
typedef struct dl_dfa dl_dfa;

int dl_nfa_new(dl_nfa **out);
void dl_nfa_free(dl_nfa *nfa);

/**
 * @brief Adds rule @p rule's expanded pattern (@p len bytes, PCRE2 syntax,
 *        byte mode) to @p nfa, ignoring case when @p caseless.
 *
 * What the automaton accepts is a superset of what PCRE2 matches:
 * assertions (lookarounds, \b, anchors) count as true, atomic groups and
 * possessive or lazy quantifiers as plain ones.
 *
 * @return 0; 1 when the pattern has a construct the automaton cannot
 *         over-approximate (a back reference, recursion, a conditional):
 *         the rule is left out, and its caller must treat it as possible
 *         everywhere; DL_ENOMEM.
 */
int dl_nfa_add(dl_nfa *nfa, const char *pat, size_t len, int caseless, size_t rule);

/** @brief Ends the additions (computes the byte classes). */
int dl_nfa_finish(dl_nfa *nfa);

/** @brief The DFA of @p nfa for rule sets of @p words 64-bit words; NULL
 *         when out of memory. */
dl_dfa *dl_dfa_new(const dl_nfa *nfa, size_t words);
void dl_dfa_free(dl_dfa *dfa);

/* The DFA, here so that the walk below inlines into the scan (it runs at
 * every word start). A transition: the target state's row in the table
 * (its number x the classes) << 1, | 1 when entering it accepts a rule;
 * -1 until computed. State 0 is the dead state (no nodes: a transition to
 * it is 0), DL_DFA_START the start. Rows, not numbers: the walk then needs
 * no multiply. Only automaton.c changes it. */
#define DL_DFA_START 1

struct dl_dfa {
    const dl_nfa *nfa;
    const uint8_t *cls; /* byte -> class (the NFA's) */
    size_t w, n_cls;
    int32_t *trans;        /* cap x n_cls */
    uint64_t *acc, *alive; /* cap x w: rules accepted on entering, rules still alive */
    uint32_t *set_off, *set_len, *hash;
    size_t n, cap;
    uint32_t *pool; /* every state's NFA nodes, sorted */
    size_t pool_n, pool_cap;
    uint32_t *slots; /* state + 1 by hash of its nodes */
    size_t slot_mask;
    /* scratch */
    uint32_t *mark, gen, *stack, *tmp;
    size_t flushes;
    int no_rules; /* the NFA is empty: the start is the dead state */
};

/** @brief The transition of state @p s on class @p c, computed (and kept
 *         unless that flushed the DFA); < 0 when out of memory. */
int32_t dl_dfa_step(dl_dfa *dfa, size_t s, size_t c);

/**
 * @brief Sets @p possible (@p w words, the DFA's) to the rules whose
 *        pattern the automaton can match from the start of @p t (@p len
 *        bytes: the text from a word start to its end), reading at most
 *        DL_DFA_REACH bytes. Rules left out of the NFA are not in it.
 *        (@p w a constant where the caller has one: the loops unroll.)
 * @return 0, or DL_ENOMEM (then @p possible holds every rule).
 */
static inline int dl_dfa_possible_w(dl_dfa *d, const unsigned char *t, size_t len,
                                    uint64_t *possible, size_t w)
{
    const uint8_t *cls = d->cls;
    const int32_t *trans = d->trans;
    size_t n_cls = d->n_cls, row = DL_DFA_START * n_cls, i;
    size_t n = len < DL_DFA_REACH ? len : DL_DFA_REACH;

    if (d->no_rules) {
        memset(possible, 0, w * sizeof(*possible));
        return 0;
    }
    for (size_t k = 0; k < w; k++)
        possible[k] = d->acc[DL_DFA_START * w + k]; /* (rules matching "") */
    for (i = 0; i < n; i++) {
        int32_t v = trans[row + cls[t[i]]];
        if (v < 0) {
            if ((v = dl_dfa_step(d, row / n_cls, cls[t[i]])) < 0) {
                memset(possible, 0xFF, w * sizeof(*possible));
                return DL_ENOMEM;
            }
            trans = d->trans; /* (moved, when it grew) */
        }
        if (v == 0)
            return 0; /* dead: no rule can match any more */
        row = (size_t)v >> 1;
        if (v & 1)
            for (size_t k = 0; k < w; k++)
                possible[k] |= d->acc[row / n_cls * w + k];
    }
    /* Read as far as allowed with rules still alive: they may match. (At
     * the text's end they cannot: they need more bytes.) */
    if (n < len)
        for (size_t k = 0; k < w; k++)
            possible[k] |= d->alive[row / n_cls * w + k];
    return 0;
}

/** @brief dl_dfa_possible_w() with the DFA's own word count. */
static inline int dl_dfa_possible(dl_dfa *d, const unsigned char *t, size_t len,
                                  uint64_t *possible)
{
    return dl_dfa_possible_w(d, t, len, possible, d->w);
}

/** @brief States the DFA has built, and how many times it was flushed. */
void dl_dfa_stats(const dl_dfa *dfa, size_t *states, size_t *flushes);

#endif

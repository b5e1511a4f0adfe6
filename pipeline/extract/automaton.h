/* Internal to pipeline/extract: one automaton for all the timex rules,
 * telling at a word start which rules can match there (automaton.c). */
#ifndef DL_AUTOMATON_H
#define DL_AUTOMATON_H

#include <stddef.h>
#include <stdint.h>

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

/**
 * @brief Sets @p possible (the DFA's words) to the rules whose pattern the
 *        automaton can match from the start of @p t (@p len bytes: the
 *        text from a word start to its end), reading at most
 *        DL_DFA_REACH bytes. Rules left out of the NFA are not in it.
 * @return 0, or DL_ENOMEM (then @p possible holds every rule).
 */
int dl_dfa_possible(dl_dfa *dfa, const unsigned char *t, size_t len, uint64_t *possible);

/** @brief States the DFA has built, and how many times it was flushed. */
void dl_dfa_stats(const dl_dfa *dfa, size_t *states, size_t *flushes);

#endif

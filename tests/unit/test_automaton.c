/* Unit tests of pipeline/extract/automaton.c: the automaton the rule scan
 * asks which rules can match at a word start. Its one promise is to allow
 * every rule PCRE2 matches there (a rule it drops wrongly loses real
 * timexes), so most cases compare it with PCRE2 on many subjects; the rest
 * check that it still rules things out, follows case options, leaves out
 * what it cannot model, and stays right when its DFA is flushed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../../pipeline/extract/automaton.h"
#include "../../pipeline/extract/rules_int.h"
#include "dateline/extract.h"

typedef struct one {
    dl_nfa *nfa;
    dl_dfa *dfa;
    pcre2_code *re;
    pcre2_match_data *md;
} one;

/* Pattern @p pat as rule 0 of an automaton, and PCRE2's anchored form. */
static void one_new(one *o, const char *pat, int caseless)
{
    int ecode;
    PCRE2_SIZE eoff;

    assert_int_equal(dl_nfa_new(&o->nfa), 0);
    assert_int_equal(dl_nfa_add(o->nfa, pat, strlen(pat), caseless, 0), 0);
    assert_int_equal(dl_nfa_finish(o->nfa), 0);
    assert_non_null(o->dfa = dl_dfa_new(o->nfa, 1));
    o->re = pcre2_compile((PCRE2_SPTR)pat, strlen(pat),
                          PCRE2_ANCHORED | (caseless ? PCRE2_CASELESS : 0), &ecode, &eoff, NULL);
    assert_non_null(o->re);
    assert_non_null(o->md = pcre2_match_data_create_from_pattern(o->re, NULL));
}

static void one_free(one *o)
{
    dl_dfa_free(o->dfa);
    dl_nfa_free(o->nfa);
    pcre2_code_free(o->re);
    pcre2_match_data_free(o->md);
}

static int allows(one *o, const char *s, size_t len)
{
    uint64_t possible = 0;

    assert_int_equal(dl_dfa_possible(o->dfa, (const unsigned char *)s, len, &possible), 0);
    return (int)(possible & 1);
}

static int pcre_matches(one *o, const char *s, size_t len)
{
    return pcre2_match(o->re, (PCRE2_SPTR)s, len, 0, 0, o->md, NULL) >= 0;
}

/* Every subject PCRE2 matches at its start, the automaton allows;
 * returns whether PCRE2 matched. */
static int expect_superset(one *o, const char *pat, const char *s, size_t len)
{
    int allowed = allows(o, s, len), matched = pcre_matches(o, s, len);

    if (matched && !allowed)
        fail_msg("/%s/ matches '%.*s' but the automaton rules it out", pat, (int)len, s);
    return matched;
}

/* @p n random subjects over @p alphabet, of up to @p max bytes; returns
 * how many PCRE2 matched (a comparison on none would prove nothing). */
static int random_superset(one *o, const char *pat, const char *alphabet, int n, size_t max,
                           unsigned *seed)
{
    char buf[160];
    size_t na = strlen(alphabet);
    int matched = 0;

    assert_true(max <= sizeof(buf));
    for (int k = 0; k < n; k++) {
        size_t len = 1 + (size_t)rand_r(seed) % max;
        for (size_t i = 0; i < len; i++)
            buf[i] = alphabet[(size_t)rand_r(seed) % na];
        matched += expect_superset(o, pat, buf, len);
    }
    return matched;
}

/* @p n subjects made from @p yes (NULL-ended) by up to three random
 * edits (a byte of @p alphabet replaced, inserted or deleted, a case
 * flipped) and a random tail: matches and near misses. Returns how many
 * PCRE2 matched. */
static int mutated_superset(one *o, const char *pat, const char *const *yes, const char *alphabet,
                            int n, unsigned *seed)
{
    char buf[160];
    size_t na = strlen(alphabet), ny = 0;
    int matched = 0;

    while (yes[ny])
        ny++;
    for (int k = 0; k < n; k++) {
        size_t len = strlen(yes[(size_t)k % ny]);
        int edits = rand_r(seed) % 4;
        memcpy(buf, yes[(size_t)k % ny], len);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = (size_t)rand_r(seed) % len;
            switch (rand_r(seed) % 4) {
            case 0: buf[at] = alphabet[(size_t)rand_r(seed) % na]; break;
            case 1:
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = alphabet[(size_t)rand_r(seed) % na];
                len++;
                break;
            case 2: memmove(buf + at, buf + at + 1, len - at - 1), len--; break;
            default: buf[at] ^= 0x20; break;
            }
        }
        for (size_t tail = (size_t)rand_r(seed) % 8; tail > 0; tail--)
            buf[len++] = alphabet[(size_t)rand_r(seed) % na];
        if (len)
            matched += expect_superset(o, pat, buf, len);
    }
    return matched;
}

static const struct {
    const char *pat;
    int caseless;
    const char *alphabet;
    const char *const yes[4]; /* PCRE2 matches these at their start */
} cases[] = {
    {"(?<![A-Za-z0-9])(?:jan(?:uary|\\.)?|feb(?:ruary)?)(?![A-Za-z0-9])", 1, "janury.febJ ",
     {"January 5", "feb", "Jan. 3"}},
    {"(?<n>\\d{1,2})\\s*(?:st|nd|rd|th)?\\s+(?<month>may|june)\\b", 1, "0123 stndrhmayjune",
     {"12 May", "3rd june", "1 MAY"}},
    {"(?:the\\s+)?(?<y>(?:1[6-9]|20)\\d\\d)(?:'s|s)?", 1, "the 1920s'", {"the 1999", "2001s"}},
    {"[^\\s,.;:!?\"()\\[\\]\\xE2]++\\s+said", 0, "ab ,s.aid\xE2", {"Bob said", "x  said"}},
    {"(?:a|b){2,4}c{0,2}d", 0, "abcd", {"abd", "babacd", "aabbccd"}},
    {"x{3}y{40,}z", 0, "xyz", {"xxx" "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyz"}},
    {"(?-i:[a-z]++(?<=[a-df-z]ed))(?<!hundred)\\b", 1, "walkdeWALKED hundr",
     {"walked", "talked up"}},
    {"(?i)mon|tue(?-i:SDAY)", 0, "montueSDAYsday", {"MON", "tueSDAY", "TUESDAY"}},
    {"[[:alpha:]][[:digit:]]+[^[:space:]]\\x41\\x{42}\\n?", 0, "a1 AB\nz9", {"a11AB", "z9xAB\n"}},
    {"(?>ab|a)c(?=d)|(?#comment)e\\.(?:f|)", 0, "abcde.f", {"abcd", "e.", "e.f"}},
    {"\\bq(?!u)\\w*", 0, "quiz ", {"qiz", "q"}},
    /* a comment is dropped first: its quantifier is the item's before it */
    {"b(?:a)(?#note)?(?#more)c{2}(?#end)", 0, "bac(?#)", {"bcc", "bacc"}},
    {"(?P<w>week|day)s?\\s+(?:ago|later)$", 1, "weekdaysago later", {"weeks ago", "day later"}},
};

static void test_superset(void **state)
{
    unsigned seed = 12345;

    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        one o;
        one_new(&o, cases[c].pat, cases[c].caseless);
        for (int k = 0; k < 4 && cases[c].yes[k]; k++) {
            const char *s = cases[c].yes[k];
            if (!pcre_matches(&o, s, strlen(s)))
                fail_msg("case %zu: PCRE2 does not match '%s'", c, s);
            expect_superset(&o, cases[c].pat, s, strlen(s));
        }
        random_superset(&o, cases[c].pat, cases[c].alphabet, 20000, 48, &seed);
        int matched = mutated_superset(&o, cases[c].pat, cases[c].yes, cases[c].alphabet, 20000,
                                       &seed);
        fprintf(stderr, "case %zu: %d of 20000 edited subjects match\n", c, matched);
        assert_true(matched > 0);
        one_free(&o);
    }
}

/* What an assertion or a later word rules out, the automaton may allow;
 * what the pattern's own bytes rule out, it rules out. */
static void test_rules_out(void **state)
{
    one o;

    (void)state;
    one_new(&o, "(?<![A-Za-z0-9])(?:jan(?:uary)?|june?)\\s+\\d{1,2}(?![A-Za-z0-9])", 1);
    assert_false(allows(&o, "february 3", 10));
    assert_false(allows(&o, "january x", 9));
    assert_false(allows(&o, "jan", 3)); /* the text ends before a match could */
    assert_true(allows(&o, "JUNE 30", 7));
    assert_true(allows(&o, "jun 3x", 6)); /* (?!...) is taken as true */
    one_free(&o);

    one_new(&o, "May\\s+\\d+", 0);
    assert_true(allows(&o, "May 1", 5));
    assert_false(allows(&o, "may 1", 5));
    assert_false(allows(&o, "MAY 1", 5));
    one_free(&o);

    one_new(&o, "(?i:may)(?-i:\\s+Day)", 0);
    assert_true(allows(&o, "MAY Day", 7));
    assert_false(allows(&o, "MAY day", 7));
    one_free(&o);
}

/* A rule still alive DL_DFA_REACH bytes on is allowed. */
static void test_reach(void **state)
{
    char buf[DL_DFA_REACH + 8];
    one o;

    (void)state;
    one_new(&o, "a+b", 0);
    memset(buf, 'a', sizeof(buf));
    assert_false(allows(&o, buf, DL_DFA_REACH)); /* the text ends: no 'b' */
    assert_true(allows(&o, buf, sizeof(buf)));   /* more text than it reads */
    one_free(&o);
}

/* Constructs with no over-approximation leave the rule out (1), and an
 * automaton without rules allows none. */
static void test_left_out(void **state)
{
    static const char *const bad[] = {"(a)\\1", "(?R)?x", "(?(1)a|b)", "a(?1)", "(*SKIP)a",
                                      "\\p{L}", "(?x) a b", "[a", "(ab", "ab)", "\\Qa\\E"};
    dl_nfa *nfa;
    dl_dfa *dfa;
    uint64_t possible = 1;

    (void)state;
    assert_int_equal(dl_nfa_new(&nfa), 0);
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        if (dl_nfa_add(nfa, bad[k], strlen(bad[k]), 0, 0) != 1)
            fail_msg("'%s' should be left out", bad[k]);
    assert_int_equal(dl_nfa_finish(nfa), 0);
    assert_non_null(dfa = dl_dfa_new(nfa, 1));
    assert_int_equal(dl_dfa_possible(dfa, (const unsigned char *)"aab", 3, &possible), 0);
    assert_int_equal(possible, 0);
    dl_dfa_free(dfa);
    dl_nfa_free(nfa);
}

/* Rules past the first 64 get the bits of the second word. */
static void test_many_rules(void **state)
{
    dl_nfa *nfa;
    dl_dfa *dfa;
    uint64_t possible[2];
    char pat[32];

    (void)state;
    assert_int_equal(dl_nfa_new(&nfa), 0);
    for (int r = 0; r < 100; r++) {
        snprintf(pat, sizeof(pat), "w%d\\b", r);
        assert_int_equal(dl_nfa_add(nfa, pat, strlen(pat), 1, (size_t)r), 0);
    }
    assert_int_equal(dl_nfa_finish(nfa), 0);
    assert_non_null(dfa = dl_dfa_new(nfa, 2));
    assert_int_equal(dl_dfa_possible(dfa, (const unsigned char *)"W7 x", 4, possible), 0);
    assert_int_equal(possible[0], 1ull << 7);
    assert_int_equal(possible[1], 0);
    assert_int_equal(dl_dfa_possible(dfa, (const unsigned char *)"w77", 3, possible), 0);
    assert_int_equal(possible[0], 1ull << 7); /* "w7" then \b (true) */
    assert_int_equal(possible[1], 1ull << (77 - 64));
    dl_dfa_free(dfa);
    dl_nfa_free(nfa);
}

/* A pattern whose DFA has more states than the bound: flushed, and still
 * a superset of PCRE2. */
static void test_flush(void **state)
{
    const char *pat = "[ab]*a[ab]{15}c";
    unsigned seed = 7;
    size_t states, flushes;
    one o;

    (void)state;
    one_new(&o, pat, 0);
    random_superset(&o, pat, "ab", 4000, DL_DFA_REACH + 4, &seed);
    random_superset(&o, pat, "aabbc", 4000, DL_DFA_REACH + 4, &seed);
    dl_dfa_stats(o.dfa, &states, &flushes);
    assert_true(flushes > 0);
    one_free(&o);
}

/* Every rule of the shipped rule files is in the automaton: one left out
 * would be tried at every word start its first byte allows. */
static void test_shipped_rules(void **state)
{
    dl_rules *r = NULL;
    dl_err err = {0};

    (void)state;
    if (dl_rules_load(DL_SOURCE_DIR "/config/rules/en", &r, &err))
        fail_msg("rules: %s", err.msg);
    assert_true(r->n_rules > 64);
    for (size_t i = 0; i < r->n_rules; i++)
        if (r->rules[i].no_dfa)
            fail_msg("rule %s is not in the automaton", r->rules[i].name);
    dl_rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_superset),   cmocka_unit_test(test_rules_out),
        cmocka_unit_test(test_reach),      cmocka_unit_test(test_left_out),
        cmocka_unit_test(test_many_rules), cmocka_unit_test(test_flush),
        cmocka_unit_test(test_shipped_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of pipeline/extract/required.c: the words a rule's matches
 * must contain and the bound of their length, read off a pattern. These
 * decide which tries the rule scan skips, so each case is one where a
 * wrong answer would drop real matches or stop filtering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../../pipeline/extract/required.h"

static dl_required analyse(const char *pat)
{
    dl_required r;

    dl_required_analyse(pat, strlen(pat), &r);
    return r;
}

/* The set of @p r that holds exactly the words of @p words (a NULL-ended
 * list), or -1. */
static int find_set(const dl_required *r, const char *const *words)
{
    for (int k = 0; k < r->n_sets; k++) {
        int n = 0, all = 1;
        for (; words[n]; n++) {
            int found = 0;
            for (int j = 0; j < r->sets[k].n && !found; j++)
                found = !strcmp(r->sets[k].w[j], words[n]);
            all &= found;
        }
        if (all && n == r->sets[k].n)
            return k;
    }
    return -1;
}

#define HAS_SET(r, ...)                                                                            \
    do {                                                                                           \
        const char *const w_[] = {__VA_ARGS__, NULL};                                              \
        if (find_set(&(r), w_) < 0)                                                                \
            fail_msg("no set {%s, ...} (%d sets)", w_[0], (r).n_sets);                             \
    } while (0)

/* The set of @p r with @p word begins at most fixed + gaps x G + words x W
 * bytes after the match's start (inf: no bound). */
static void expect_at(const dl_required *r, const char *word, int inf, size_t fixed, size_t gaps,
                      size_t words)
{
    for (int k = 0; k < r->n_sets; k++)
        for (int j = 0; j < r->sets[k].n; j++) {
            const dl_reach *at = &r->sets[k].at;
            if (strcmp(r->sets[k].w[j], word))
                continue;
            if (at->inf != inf || (!inf && (at->fixed != fixed || at->gaps != gaps ||
                                            at->words != words)))
                fail_msg("'%s': at inf %d %zu + %zu G + %zu W, want inf %d %zu + %zu G + %zu W",
                         word, at->inf, at->fixed, at->gaps, at->words, inf, fixed, gaps, words);
            return;
        }
    fail_msg("no set with '%s'", word);
}

static void test_words_in_sequence(void **state)
{
    (void)state;
    dl_required r = analyse("(?<n>\\d+)\\s+(?:days|weeks)\\s+(?:ago|from now)");

    assert_int_equal(r.n_sets, 2);
    HAS_SET(r, "days", "weeks");
    HAS_SET(r, "ago", "from"); /* "from now": the word it begins with */
    /* \d+ stays in one word, \s+ in one run of blanks */
    expect_at(&r, "days", 0, 0, 1, 1);
    expect_at(&r, "ago", 0, 5, 2, 1); /* after "weeks" at most */
}

static void test_optional_parts_need_nothing(void **state)
{
    (void)state;
    dl_required r = analyse("(?:the\\s+)?(?:last\\s+|next\\s+)?year");

    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "year");
    /* "lastyear" matches this one: its "year" begins no word */
    r = analyse("(?:last|next)?\\s*year");
    assert_int_equal(r.n_sets, 0);
    r = analyse("(?:the\\s+)*century");
    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "century");
    expect_at(&r, "century", 1, 0, 0, 0); /* after a repeat of letters and blanks */
}

static void test_alternation_takes_one_word_of_each_branch(void **state)
{
    (void)state;
    dl_required r = analyse("recent\\s+days|past\\s+years");

    /* each branch's longer word: a match has one of them */
    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "recent", "years");
    /* a branch without a required word: none for the alternation */
    r = analyse("recent\\s+days|\\d+");
    assert_int_equal(r.n_sets, 0);
}

static void test_only_words_that_begin_a_word(void **state)
{
    (void)state;
    /* "ago" glued to digits, "end" after any byte: not at a word start */
    dl_required r = analyse("\\d+ago");
    assert_int_equal(r.n_sets, 0);
    r = analyse("year.end");
    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "year");
    /* after a hyphen a word begins */
    r = analyse("mid-(?:summer|winter)");
    HAS_SET(r, "mid");
    HAS_SET(r, "summer", "winter");
    /* after a letter that may be there or not, it may not: the word
     * begins with either */
    r = analyse("x?ago");
    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "xago", "ago");
}

static void test_lookarounds(void **state)
{
    (void)state;
    /* lookbehinds and negative lookarounds need nothing */
    dl_required r = analyse("(?<=\\bin )(?<!\\bspring )year(?!\\s+ago)");
    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "year");
    expect_at(&r, "year", 0, 0, 0, 0);
    /* a positive lookahead needs its words, where it stands */
    r = analyse("year(?=\\s+(?:old|long)\\b)");
    assert_int_equal(r.n_sets, 2);
    HAS_SET(r, "old", "long");
    expect_at(&r, "long", 0, 4, 1, 0);
    /* it matches nothing: the word after it begins where it stands */
    r = analyse("(?=\\d)(?:\\d+)?year");
    assert_int_equal(r.n_sets, 0);
}

static void test_sets_are_reduced(void **state)
{
    (void)state;
    /* a word that begins with another of its set adds nothing; case goes */
    dl_required r = analyse("(?:January|Jan|(?-i:May)|mayday)");
    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "jan", "may");
    /* words shorter than three bytes make no set */
    r = analyse("in\\s+(?:time|it)");
    assert_int_equal(r.n_sets, 0);
    r = analyse("in\\s+time");
    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "time");
}

static void test_reach(void **state)
{
    (void)state;
    dl_required r = analyse("a{2,5}[\\s,-]+(?:one|three)\\s+(?:four|five)");

    expect_at(&r, "one", 0, 5, 1, 0);
    expect_at(&r, "four", 0, 5 + 5, 2, 0);
    /* \w reads '_' too: a repeat of it is not within one word */
    r = analyse("\\w+\\s+ago");
    expect_at(&r, "ago", 1, 0, 0, 0);
    /* of the branches, the farthest */
    r = analyse("(?:in|at\\s+the)\\s+(?:end|start)");
    expect_at(&r, "end", 0, 5, 2, 0); /* "at" + G + "the" + G */
}

static void test_unfollowed_constructs_give_nothing(void **state)
{
    (void)state;
    static const char *const pats[] = {"(day)\\s+\\1", "\\Qday\\E", "(?(1)day|week)",
                                       "(?R)?day", "(*UTF)day", "(?x) day", "day)", "(day",
                                       "day(?#c)?ago"};

    for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
        dl_required r = analyse(pats[i]);
        if (r.n_sets)
            fail_msg("'%s': %d sets", pats[i], r.n_sets);
    }
}

/* ---- a property: random patterns, random texts ------------------------------ */

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
    rnd_state = rnd_state * 1103515245u + 12345u; /* (fixed: the same cases every run) */
    return (rnd_state >> 8) % n;
}

static int is_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Whether a word of @p set begins a word of @p text in [p, p + reach]. */
static int set_met(const dl_req_set *set, const char *text, size_t len, size_t p, size_t reach)
{
    for (size_t s = p; s < len && s - p <= reach; s++) {
        if (!is_word_byte((unsigned char)text[s]) ||
            (s > 0 && is_word_byte((unsigned char)text[s - 1])))
            continue;
        for (int k = 0; k < set->n; k++) {
            size_t n = strlen(set->w[k]), j = 0;
            while (j < n && s + j < len && (text[s + j] | 0x20) == set->w[k][j])
                j++;
            if (j == n)
                return 1;
        }
    }
    return 0;
}

/* The promise the rule scan relies on: wherever a pattern matches at a word
 * start, each of its sets has a word beginning within its reach. Random
 * patterns of the constructs the rule files use (the one this found: a
 * quantifier after a comment applies to the part before it), matched
 * anchored at every word start of random texts of their words. */
static void test_random_patterns_keep_their_promise(void **state)
{
    static const char *const parts[] = {
        "a", "b", "day", "year", "ago", "\\s", "\\s+", "\\s*", "\\d", "\\d+", "[a-z]", "[\\s-]+",
        "(?:", "(?<n>", "(?=", "(?!", "(?<=x)", "(?<!y)", ")", ")", "|", "?", "*", "+", "{2}",
        "{1,3}", "{2,}", "\\b", "\\K", "\\w+", ".", "^", "$", "[^a]", "\\W", "\\.", "-", "(?|",
        "(?>", "(?:day|days|ago)", "(?:year|years)s?", " ", "\\h+", "(?-i:Day)", "x?", "[sz]",
        "(?=\\s+ago)", "(?:|day)", "(?:day|)", "\\s?", "{0,2}", "(?:the\\s+)?", "(?i:", "(?<w>day)",
        "[\\d.]+", "(?:a|b)+", "\\d{1,3}", "(?:\\s+|-)", "(?!ago)", "(?:year|ago|day)?", "(?#c)",
        "(?:y|x)?ear", "\\B"};
    static const char *const words[] = {"a", "b", "day", "days", "year", "years", "ago", "x",
                                        "y", "Day", "YEAR", "s", "z", "1", "22", "333"};
    static const char *const seps[] = {" ", "  ", "-", ", ", ".", "\n", " - ", ""};
    pcre2_match_data *md = pcre2_match_data_create(32, NULL);
    unsigned long with_sets = 0, matches = 0;

    (void)state;
    assert_non_null(md);
    for (int it = 0; it < 100000; it++) {
        char pat[400], text[300];
        size_t n = 0, len = 0, gap = 0, word = 0;
        int ec;
        PCRE2_SIZE eo;
        pcre2_code *re;
        dl_required r;
        for (uint32_t k = 1 + rnd(10); k > 0; k--) {
            const char *part = parts[rnd(sizeof(parts) / sizeof(parts[0]))];
            if (n + strlen(part) >= sizeof(pat))
                break;
            memcpy(pat + n, part, strlen(part));
            n += strlen(part);
        }
        pat[n] = '\0';
        if (!(re = pcre2_compile((PCRE2_SPTR)pat, n, PCRE2_CASELESS | PCRE2_ANCHORED, &ec, &eo,
                                 NULL)))
            continue;
        dl_required_analyse(pat, n, &r);
        if (!r.n_sets) {
            pcre2_code_free(re);
            continue;
        }
        with_sets++;
        for (int t = 0; t < 16; t++) {
            len = 0;
            for (uint32_t k = 1 + rnd(12); k > 0; k--) {
                const char *w = words[rnd(16)], *sp = seps[rnd(8)];
                if (len + strlen(w) + strlen(sp) + 1 >= sizeof(text))
                    break;
                len += (size_t)sprintf(text + len, "%s%s", w, sp);
            }
            /* G and W: the longest runs of non-word bytes and of word bytes */
            gap = word = 0;
            for (size_t i = 0, run = 0; i < len; i++) {
                run = i > 0 && is_word_byte((unsigned char)text[i]) ==
                                   is_word_byte((unsigned char)text[i - 1])
                          ? run + 1
                          : 1;
                if (is_word_byte((unsigned char)text[i]))
                    word = run > word ? run : word;
                else
                    gap = run > gap ? run : gap;
            }
            for (size_t p = 0; p < len; p++) {
                if ((p > 0 && is_word_byte((unsigned char)text[p - 1])) ||
                    pcre2_match(re, (PCRE2_SPTR)text, len, p, PCRE2_ANCHORED, md, NULL) < 0)
                    continue;
                matches++;
                for (int k = 0; k < r.n_sets; k++) {
                    const dl_reach *at = &r.sets[k].at;
                    size_t reach = at->inf ? SIZE_MAX : at->fixed + at->gaps * gap + at->words * word;
                    if (!set_met(&r.sets[k], text, len, p, reach))
                        fail_msg("/%s/ at %zu of \"%.*s\": no word of its set {%s, ...} within "
                                 "%zu bytes",
                                 pat, p, (int)len, text, r.sets[k].w[0], reach);
                }
            }
        }
        pcre2_code_free(re);
    }
    pcre2_match_data_free(md);
    /* (enough cases to mean something) */
    print_message("%lu patterns with sets, %lu matches\n", with_sets, matches);
    assert_true(with_sets > 5000);
    assert_true(matches > 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_in_sequence),
        cmocka_unit_test(test_optional_parts_need_nothing),
        cmocka_unit_test(test_alternation_takes_one_word_of_each_branch),
        cmocka_unit_test(test_only_words_that_begin_a_word),
        cmocka_unit_test(test_lookarounds),
        cmocka_unit_test(test_sets_are_reduced),
        cmocka_unit_test(test_reach),
        cmocka_unit_test(test_unfollowed_constructs_give_nothing),
        cmocka_unit_test(test_random_patterns_keep_their_promise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

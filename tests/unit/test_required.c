/* Unit tests of pipeline/extract/required.c: the words a rule's matches
 * must contain and the bound of their length, read off a pattern. These
 * decide which tries the rule scan skips, so each case is one where a
 * wrong answer would drop real matches or stop filtering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

static void test_words_in_sequence(void **state)
{
    (void)state;
    dl_required r = analyse("(?<n>\\d+)\\s+(?:days|weeks)\\s+(?:ago|from now)");

    assert_int_equal(r.n_sets, 2);
    HAS_SET(r, "days", "weeks");
    HAS_SET(r, "ago", "from"); /* "from now": the word it begins with */
    /* \d+ stays in one word, \s+ in one run of blanks */
    assert_true(r.bounded);
    assert_int_equal(r.fixed, 5 + 8); /* "weeks", "from now" */
    assert_int_equal(r.gaps, 2);
    assert_int_equal(r.words, 1);
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
    assert_false(r.bounded); /* a repeat of letters and blanks */
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

static void test_lookarounds_add_no_words(void **state)
{
    (void)state;
    dl_required r = analyse("(?<=\\bin )(?=\\s*century)year(?!\\s+ago)");

    assert_int_equal(r.n_sets, 1);
    HAS_SET(r, "year");
    assert_true(r.bounded);
    assert_int_equal(r.fixed, 4);
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

static void test_length_bounds(void **state)
{
    (void)state;
    dl_required r = analyse("a{2,5}[\\s,-]+b?");

    assert_true(r.bounded);
    assert_int_equal(r.fixed, 6);
    assert_int_equal(r.gaps, 1);
    assert_int_equal(r.words, 0);
    r = analyse("week\\w+");
    assert_false(r.bounded); /* \w reads '_' too: not within one word */
    HAS_SET(r, "week");
}

static void test_unfollowed_constructs_give_nothing(void **state)
{
    (void)state;
    static const char *const pats[] = {"(day)\\s+\\1", "\\Qday\\E", "(?(1)day|week)",
                                       "(?R)?day", "(*UTF)day", "(?x) day", "day)", "(day"};

    for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
        dl_required r = analyse(pats[i]);
        if (r.n_sets || r.bounded)
            fail_msg("'%s': %d sets, bounded %d", pats[i], r.n_sets, r.bounded);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_in_sequence),
        cmocka_unit_test(test_optional_parts_need_nothing),
        cmocka_unit_test(test_alternation_takes_one_word_of_each_branch),
        cmocka_unit_test(test_only_words_that_begin_a_word),
        cmocka_unit_test(test_lookarounds_add_no_words),
        cmocka_unit_test(test_sets_are_reduced),
        cmocka_unit_test(test_length_bounds),
        cmocka_unit_test(test_unfollowed_constructs_give_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

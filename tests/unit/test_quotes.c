/* Quotes: the seed article's eleven quoted spans (seven passages, all
 * Chrissy Teigen's); cue families (after, before, split, multi-paragraph,
 * embedded, straight quotes); bad input. */
#include <time.h>

#include "extract_fixture.h"

static void run(fixture *f, const char *text)
{
    run_at(f, text, 2020, 10, 27);
}

/* The name of quote @p i's speaker, or "" when unknown. */
static const char *speaker(fixture *f, size_t i, char *buf, size_t size)
{
    const dl_quote *q = &f->facts.quotes[i];

    buf[0] = '\0';
    if (q->speaker >= 0) {
        dl_span s = f->facts.entities[q->speaker].name;
        snprintf(buf, size, "%.*s", (int)(s.end - s.start), f->text + s.start);
    }
    return buf;
}

static void expect_quote(fixture *f, size_t i, const char *starts, const char *who)
{
    char buf[128];
    const dl_quote *q;

    assert_true(i < f->facts.n_quotes);
    q = &f->facts.quotes[i];
    if (strncmp(f->text + q->start, starts, strlen(starts)))
        fail_msg("quote %zu: '%.40s' does not start with '%s'", i, f->text + q->start, starts);
    if (strcmp(speaker(f, i, buf, sizeof(buf)), who))
        fail_msg("quote %zu: speaker '%s', want '%s'", i, buf, who);
}

static void test_seed_quotes(void **state)
{
    fixture *f = *state;
    dl_err err = {0};
    char *buf, name[64];
    size_t len;
    static const size_t passages[] = {0, 0, 1, 2, 2, 3, 3, 4, 5, 6, 6};

    assert_int_equal(dl_read_file(SEED_FILE, &buf, &len, &err), 0);
    run(f, buf);
    assert_int_equal(f->facts.n_quotes, 11);
    for (size_t i = 0; i < 11; i++) {
        assert_string_equal(speaker(f, i, name, sizeof(name)), "Chrissy Teigen");
        assert_int_equal(f->facts.quotes[i].passage, passages[i]);
    }
    expect_quote(f, 7, "moments of kindness have been nothing short of beautiful", "Chrissy Teigen");
    expect_quote(f, 8, "please be kind to those pouring their hearts out.", "Chrissy Teigen");
    assert_int_equal(f->facts.quotes[7].end - f->facts.quotes[7].start,
                     strlen("moments of kindness have been nothing short of beautiful"));
    free(buf);
}

static void test_cue_after_and_before(void **state)
{
    fixture *f = *state;

    run(f, "Senator Mark Kelly spoke on Monday.\n\n\"We will win this,\" Kelly said.\n\n"
           "Later, Kelly told reporters: \"It is not over.\"\n\n"
           "\xe2\x80\x9c" "It is a disgrace,\xe2\x80\x9d said Governor Jane Doe.");
    assert_int_equal(f->facts.n_quotes, 3);
    expect_quote(f, 0, "We will win this", "Mark Kelly");
    expect_quote(f, 1, "It is not over", "Mark Kelly");
    expect_quote(f, 2, "It is a disgrace", "Jane Doe");
}

static void test_split_and_multi_paragraph(void **state)
{
    fixture *f = *state;

    run(f, "Anna Berg, 45, runs the clinic.\n\n"
           "\xe2\x80\x9c" "We are full,\xe2\x80\x9d she said. \xe2\x80\x9c" "We turn people away.\n\n"
           "\xe2\x80\x9c" "Every single day.\xe2\x80\x9d\n\n"
           "Her colleague Paul Stone disagreed.");
    assert_int_equal(f->facts.n_quotes, 3);
    expect_quote(f, 0, "We are full", "Anna Berg");
    expect_quote(f, 1, "We turn people away", "Anna Berg");
    expect_quote(f, 2, "Every single day", "Anna Berg");
    assert_int_equal(f->facts.quotes[1].passage, f->facts.quotes[0].passage);
    assert_int_equal(f->facts.quotes[2].passage, f->facts.quotes[0].passage);
}

static void test_embedded(void **state)
{
    fixture *f = *state;

    run(f, "Maria Lopez called the plan \xe2\x80\x9c" "a disaster\xe2\x80\x9d on Tuesday. "
           "She urged voters to \xe2\x80\x9c" "reject it.\xe2\x80\x9d");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_quote(f, 0, "a disaster", "Maria Lopez");
    expect_quote(f, 1, "reject it.", "Maria Lopez");
}

/* The words the text names quote @p i's speaker with must be @p words. */
static void expect_mention(fixture *f, size_t i, const char *words)
{
    dl_span m;

    assert_true(i < f->facts.n_quotes);
    m = f->facts.quotes[i].speaker_mention;
    if (m.end - m.start != strlen(words) || strncmp(f->text + m.start, words, strlen(words)))
        fail_msg("quote %zu: speaker mention '%.*s', want '%s'", i, (int)(m.end - m.start),
                 f->text + m.start, words);
}

/* A quotation right after a cue's whole clause is the same speaker's, as a
 * new passage (PolNeAR attributes each sentence on its own). */
static void test_after_cue_clause(void **state)
{
    fixture *f = *state;

    run(f, "Aaron Sharock runs the website.\n\n"
           "\xe2\x80\x9c"
           "We are not just validating numbers,\xe2\x80\x9d he told InsideSources "
           "on Monday. \xe2\x80\x9c"
           "We are trying to provide context.\xe2\x80\x9d");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_quote(f, 0, "We are not just", "Aaron Sharock");
    expect_quote(f, 1, "We are trying", "Aaron Sharock");
    expect_mention(f, 1, "he");
    assert_int_not_equal(f->facts.quotes[1].passage, f->facts.quotes[0].passage);
}

/* "X, ..., who added that “...”": the relative pronoun names the speaker,
 * who is its antecedent (not the sentence's subject). */
static void test_relative_pronoun(void **state)
{
    fixture *f = *state;

    run(f, "Barack Obama has had a frosty relationship with Mitch McConnell, who in 2010 said "
           "the goal was to make Obama a \"one-term president.\"");
    assert_int_equal(f->facts.n_quotes, 1);
    expect_quote(f, 0, "one-term president", "Mitch McConnell");
    expect_mention(f, 0, "who");
    /* The verb after an earlier quotation of the sentence is that one's. */
    run(f, "Mary Smith spoke first.\n\n\xe2\x80\x9c"
           "We are gearing up,\xe2\x80\x9d said Scott "
           "Reed, the strategist, who added that his group will focus on issues "
           "\xe2\x80\x9c"
           "like sheriff races.\xe2\x80\x9d");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_quote(f, 0, "We are gearing up", "Scott Reed");
    expect_quote(f, 1, "like sheriff races", "Scott Reed");
    expect_mention(f, 1, "who");
}

/* "According to X" in the quotation's sentence names its source, over a
 * speech verb there (PolNeAR's reading of nested attributions). */
static void test_according_to(void **state)
{
    fixture *f = *state;

    run(f, "Mary Limbaugh spoke on Monday. According to Limbaugh, the move reeks of "
           "\xe2\x80\x9c"
           "fear\xe2\x80\x9d and desperation.\n\n"
           "According to Yahoo News, spokesman Jesse Lehrich said Friday that she "
           "\xe2\x80\x9c"
           "would sign this legislation.\xe2\x80\x9d\n\n"
           "Voters were \"angry,\" according to a poll released by Gallup.");
    assert_int_equal(f->facts.n_quotes, 3);
    expect_quote(f, 0, "fear", "Mary Limbaugh");
    expect_mention(f, 0, "Limbaugh");
    expect_mention(f, 1, "Yahoo News");
    expect_mention(f, 2, "a poll released by Gallup");
}

/* A quotation signed by a dash and a name, also after a no-break space. */
static void test_dash_signature(void **state)
{
    fixture *f = *state;

    run(f, "Readers wrote in.\n"
           "\xe2\x80\x9c"
           "I just hope they vote.\xe2\x80\x9d \xe2\x80\x95\xc2\xa0Jorge Falcon\n"
           "\xe2\x80\x9c"
           "Maybe we can build a wall.\xe2\x80\x9d \xe2\x80\x95\xc2\xa0Steve Quinlan.\n");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_quote(f, 0, "I just hope", "Jorge Falcon");
    expect_quote(f, 1, "Maybe we can", "Steve Quinlan");
}

/* “...!” X said as ...: words that go on an attribution keep the cue;
 * “... ended.” X explained that ...: a new sentence is not one. */
static void test_cue_tail(void **state)
{
    fixture *f = *state;

    run(f, "Mary Smith opened the vote. \xe2\x80\x9c"
           "Alabama is proud!\xe2\x80\x9d "
           "Jeff Sessions said as he launched the process.\n\n"
           "Mary Smith spoke first. \xe2\x80\x9c"
           "The hearing ended.\xe2\x80\x9d Paul Jones "
           "explained that the plan was new.");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_quote(f, 0, "Alabama is proud", "Jeff Sessions");
    expect_quote(f, 1, "The hearing ended", "Mary Smith");
}

/* A name and a colon before a quotation, no verb: the cue is the colon
 * (cue_before; its ":" is looked for before the pattern runs, rules.c).
 * Without the colon the same words are no cue. */
static void test_cue_before_colon(void **state)
{
    fixture *f = *state;
    const dl_quote *q;

    run(f, "The poll closed on Monday.\n\n"
           "Republican pollster Daron Shaw: \xe2\x80\x9c"
           "Voters are tired of the race.\xe2\x80\x9d\n\n"
           "Republican pollster Daron Shaw \xe2\x80\x9c"
           "was not surprised\xe2\x80\x9d by it.");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_quote(f, 0, "Voters are tired", "Daron Shaw");
    q = &f->facts.quotes[0];
    assert_int_equal(q->cue.end - q->cue.start, 1);
    assert_int_equal(f->text[q->cue.start], ':');
    q = &f->facts.quotes[1];
    assert_int_equal(q->cue.end, q->cue.start);
}

/* The speech verb before a quotation is not a noun ("Obama's remarks")
 * nor the verb of an introductory clause ("When asked ..., Tyler said"). */
static void test_cue_before_verb(void **state)
{
    fixture *f = *state;

    run(f, "Barack Obama's remarks were aimed at critics including, he said, "
           "\xe2\x80\x9c"
           "politicians who tweet.\xe2\x80\x9d\n\n"
           "When Hillary Clinton noted his taxes, Donald Trump boasted, "
           "\xe2\x80\x9c"
           "That makes me smart.\xe2\x80\x9d\n\n"
           "When asked about the race, Rick Tyler said, \xe2\x80\x9c"
           "We have three weeks.\xe2\x80\x9d");
    assert_int_equal(f->facts.n_quotes, 3);
    expect_mention(f, 0, "he");
    expect_quote(f, 0, "politicians", "Barack Obama");
    expect_quote(f, 1, "That makes me smart", "Donald Trump");
    expect_quote(f, 2, "We have three weeks", "Rick Tyler");
}

/* A quotation opening a sentence right after one with a speech verb is
 * that verb's subject's ("..., Schiff said. “...”"). */
static void test_previous_sentence_cue(void **state)
{
    fixture *f = *state;

    run(f, "Mary Smith spoke first. The administration may be reluctant to act, Adam Schiff "
           "said. \xe2\x80\x9c"
           "The other factor is the timing.\xe2\x80\x9d");
    assert_int_equal(f->facts.n_quotes, 1);
    expect_quote(f, 0, "The other factor", "Adam Schiff");
}

/* Verbs that attribute only right after a quotation ("the letter reads"),
 * and a subject with a long apposition before its verb. */
static void test_after_verb_and_apposition(void **state)
{
    fixture *f = *state;

    run(f, "Parents sent a letter to the board.\n\n"
           "\xe2\x80\x9c"
           "We see charter schools offering hope,\xe2\x80\x9d the letter reads.\n\n"
           "\xe2\x80\x9c"
           "Nothing we could do would help,\xe2\x80\x9d Ann Dale, director of the "
           "Coastal Risks Programme at the independent Harbour Policy Institute, said.");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_mention(f, 0, "the letter");
    expect_quote(f, 1, "Nothing we could", "Ann Dale");
}

/* Subjects after a quotation: a pronoun is a whole word ("said Hester" is
 * not "He"), determiners, possessives, a body after a name, a number. */
static void test_cue_after_subjects(void **state)
{
    fixture *f = *state;

    run(f, "Donald Trump spoke.\n\n\xe2\x80\x9c"
           "Nobody wants that,\xe2\x80\x9d said Hester.\n\n"
           "\xe2\x80\x9c"
           "We live in a kingdom,\xe2\x80\x9d my father often said.\n\n"
           "\xe2\x80\x9c"
           "That was outrageous,\xe2\x80\x9d Obama\xe2\x80\x99s former campaign "
           "strategist said.\n\n"
           "\xe2\x80\x9c"
           "It was the least bad outcome,\xe2\x80\x9d Mr. Morgan of the Sierra Club "
           "said.\n\n"
           "\xe2\x80\x9c"
           "They are wrong,\xe2\x80\x9d said 9/11 widow Terry Strada.");
    assert_int_equal(f->facts.n_quotes, 5);
    expect_mention(f, 0, "Hester");
    expect_mention(f, 1, "my father");
    expect_mention(f, 2, "Obama\xe2\x80\x99s former campaign strategist");
    expect_mention(f, 3, "Mr. Morgan of the Sierra Club");
    expect_mention(f, 4, "9/11 widow Terry Strada");
}

/* A subject that names no entity still speaks for a participle cue or an
 * embedded quote ("His chief aide ..., saying “...”"). */
static void test_subject_words(void **state)
{
    fixture *f = *state;

    run(f, "Mary Smith spoke first.\n\n"
           "His chief aide doubled down on the attacks, saying she is experienced "
           "\xe2\x80\x9c"
           "on paper.\xe2\x80\x9d\n\n"
           "Bolton distanced himself from the movement, saying he would help. "
           "\xe2\x80\x9c"
           "I am going to support him.\xe2\x80\x9d");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_mention(f, 0, "His chief aide");
    expect_mention(f, 1, "Bolton");
}

/* An uncued quotation takes the cue after a later quotation of its
 * sentence ("The “opt out” movement is about “...,” Wilcox said."). */
static void test_later_cue_in_sentence(void **state)
{
    fixture *f = *state;

    run(f, "Senator Alan Grayson spoke first.\n\n"
           "The \xe2\x80\x9c"
           "opt out\xe2\x80\x9d movement is about \xe2\x80\x9c"
           "people "
           "telling leaders no,\xe2\x80\x9d Anna Wilcox said.");
    assert_int_equal(f->facts.n_quotes, 2);
    expect_quote(f, 0, "opt out", "Anna Wilcox");
    expect_quote(f, 1, "people telling", "Anna Wilcox");
}

static void test_no_or_bad_quotes(void **state)
{
    fixture *f = *state;

    run(f, "No one said anything at all.");
    assert_int_equal(f->facts.n_quotes, 0);
    run(f, "He said \"this never closes. And \" then \"\" nothing.");
    for (size_t i = 0; i < f->facts.n_quotes; i++)
        assert_true(f->facts.quotes[i].end <= strlen(f->text));
    run(f, "\xe2\x80\x9d backwards \xe2\x80\x9c");
    assert_int_equal(f->facts.n_quotes, 0);
}

static void test_pathological(void **state)
{
    fixture *f = *state;
    size_t n = 200000;
    char *big = malloc(n + 1);
    clock_t t0 = clock();

    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 7 == 0) ? '"' : (i % 7 == 3) ? ' ' : 'x';
    big[n] = '\0';
    run(f, big);
    assert_true(f->facts.n_quotes <= 2000);
    memset(big, '"', n);
    run(f, big);
    for (size_t i = 0; i + 3 <= n; i += 3)
        memcpy(big + i, "\xe2\x80\x9c", 3);
    run(f, big);
    /* Many short quotes, each followed by a long comma list that never
     * reaches a verb (appositions, according to, names): bounded time. */
    {
        static const char unit[] = "\xe2\x80\x9c"
                                   "Yes,\xe2\x80\x9d the Senator Anne Lee of "
                                   "the Ohio Board, a b c, according to the, ";
        size_t ul = sizeof(unit) - 1, k = 0;
        for (; k + ul < n; k += ul)
            memcpy(big + k, unit, ul);
        big[k] = '\0';
        run(f, big);
    }
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_quotes),
        cmocka_unit_test(test_cue_after_and_before),
        cmocka_unit_test(test_split_and_multi_paragraph),
        cmocka_unit_test(test_embedded),
        cmocka_unit_test(test_after_cue_clause),
        cmocka_unit_test(test_relative_pronoun),
        cmocka_unit_test(test_according_to),
        cmocka_unit_test(test_dash_signature),
        cmocka_unit_test(test_cue_tail),
        cmocka_unit_test(test_cue_before_colon),
        cmocka_unit_test(test_cue_before_verb),
        cmocka_unit_test(test_previous_sentence_cue),
        cmocka_unit_test(test_after_verb_and_apposition),
        cmocka_unit_test(test_cue_after_subjects),
        cmocka_unit_test(test_subject_words),
        cmocka_unit_test(test_later_cue_in_sentence),
        cmocka_unit_test(test_no_or_bad_quotes),
        cmocka_unit_test(test_pathological),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

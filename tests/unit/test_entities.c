/* Entities: the seed article's people with aliases, ages and descriptors;
 * one test per rule family (names, titles, organisations, places, works,
 * kinship, ages, epithets); bad input in bounded time with no crash. */
#include <time.h>

#include "extract_fixture.h"

static void run(fixture *f, const char *text)
{
    run_at(f, text, 2020, 10, 27);
}

static int span_is(fixture *f, dl_span s, const char *want)
{
    return s.end - s.start == strlen(want) && !memcmp(f->text + s.start, want, strlen(want));
}

static const dl_entity *entity(fixture *f, const char *name)
{
    for (size_t i = 0; i < f->facts.n_entities; i++)
        if (span_is(f, f->facts.entities[i].name, name))
            return &f->facts.entities[i];
    fail_msg("no entity '%s'", name);
    return NULL;
}

static int has_entity(fixture *f, const char *name)
{
    for (size_t i = 0; i < f->facts.n_entities; i++)
        if (span_is(f, f->facts.entities[i].name, name))
            return 1;
    return 0;
}

static int has_span(fixture *f, size_t from, size_t n, const char *want)
{
    for (size_t k = from; k < from + n; k++)
        if (span_is(f, f->facts.spans[k], want))
            return 1;
    return 0;
}

static void expect_descriptor(fixture *f, const dl_entity *e, const char *want)
{
    if (!has_span(f, e->descriptors, e->n_descriptors, want))
        fail_msg("descriptor '%s' missing", want);
}

static void test_seed_people(void **state)
{
    fixture *f = *state;
    dl_err err = {0};
    size_t len;
    const dl_entity *e;

    assert_int_equal(dl_read_file(SEED_FILE, &f->buf, &len, &err), 0);
    run(f, f->buf);

    e = entity(f, "Chrissy Teigen");
    assert_int_equal(e->kind, DL_ENT_PERSON);
    assert_int_equal(e->age, 34);
    assert_true(has_span(f, e->aliases, e->n_aliases, "Teigen"));
    assert_true(has_span(f, e->aliases, e->n_aliases, "Chrissy"));
    expect_descriptor(f, e, "The Cravings author");
    expect_descriptor(f, e, "The Chrissy’s Court star");
    expect_descriptor(f, e, "The model");
    expect_descriptor(f, e, "The Lip Sync Battle cohost");
    expect_descriptor(f, e, "The Cravings by Chrissy Teigen designer");
    expect_descriptor(f, e, "The Utah native");
    expect_descriptor(f, e, "The Bring the Funny judge");
    assert_true(e->n_mentions >= 10);

    e = entity(f, "John Legend");
    assert_int_equal(e->kind, DL_ENT_PERSON);
    assert_int_equal(e->age, 41);
    assert_true(has_span(f, e->aliases, e->n_aliases, "John"));
    expect_descriptor(f, e, "the Voice coach");
    assert_int_equal(e->n_descriptors, 1);

    e = entity(f, "Luna");
    assert_int_equal(e->kind, DL_ENT_PERSON);
    assert_int_equal(e->age, 4);
    e = entity(f, "Miles");
    assert_int_equal(e->age, 2);
    e = entity(f, "Jack");
    assert_int_equal(e->kind, DL_ENT_PERSON);
    assert_int_equal(e->age, -1);
    assert_int_equal(e->n_descriptors, 1); /* son */

    /* Ages belong to people, never to the timeline. */
    for (size_t i = 0; i < f->facts.n_timexes; i++)
        assert_false(f->text[f->facts.timexes[i].start] >= '0' &&
                     f->text[f->facts.timexes[i].start] <= '9' &&
                     f->facts.timexes[i].end - f->facts.timexes[i].start <= 2);
}

static void test_seed_works_and_places(void **state)
{
    fixture *f = *state;
    dl_err err = {0};
    size_t len;
    static const char *const works[] = {"Medium", "Instagram", "Cravings", "Chrissy’s Court",
                                        "Lip Sync Battle", "Bring the Funny",
                                        "Cravings by Chrissy Teigen", NULL};

    free(f->buf);
    f->buf = NULL;
    assert_int_equal(dl_read_file(SEED_FILE, &f->buf, &len, &err), 0);
    run(f, f->buf);
    for (int i = 0; works[i]; i++)
        assert_int_equal(entity(f, works[i])->kind, DL_ENT_WORK);
    assert_int_equal(entity(f, "Utah")->kind, DL_ENT_PLACE);
    /* The seed's timeline events name their people. */
    for (size_t i = 0; i < f->facts.n_events; i++) {
        const dl_event *ev = &f->facts.events[i];
        if (!strcmp(ev->date, "2020-09-30") || !strcmp(ev->date, "2020-10-27"))
            assert_true(ev->n_entities >= 1);
    }
}

static void test_names_titles_and_aliases(void **state)
{
    fixture *f = *state;
    const dl_entity *e;

    run(f, "Sen. Elizabeth Warren questioned the bank's chief on Tuesday. Warren said the "
           "bank had failed. Mr. Barrett disagreed, and Barrett left early.");
    e = entity(f, "Elizabeth Warren");
    assert_int_equal(e->kind, DL_ENT_PERSON);
    assert_int_equal(e->gender, 'f');
    assert_true(has_span(f, e->mentions, e->n_mentions, "Warren"));
    e = entity(f, "Barrett");
    assert_int_equal(e->kind, DL_ENT_PERSON);
    assert_int_equal(e->n_mentions, 2);
    assert_int_equal(e->gender, 'm');
}

static void test_orgs_and_places(void **state)
{
    fixture *f = *state;

    run(f, "The Federal Reserve and the Department of Justice met in Washington. Officials "
           "from Goldman Sachs flew in from London and Japan. Lehman Brothers Holdings "
           "collapsed in Texas.");
    assert_int_equal(entity(f, "Federal Reserve")->kind, DL_ENT_ORG);
    assert_int_equal(entity(f, "Department of Justice")->kind, DL_ENT_ORG);
    assert_int_equal(entity(f, "Goldman Sachs")->kind, DL_ENT_ORG);
    assert_int_equal(entity(f, "Lehman Brothers Holdings")->kind, DL_ENT_ORG);
    assert_int_equal(entity(f, "London")->kind, DL_ENT_PLACE);
    assert_int_equal(entity(f, "Japan")->kind, DL_ENT_PLACE);
    assert_int_equal(entity(f, "Texas")->kind, DL_ENT_PLACE);
}

static void test_ages(void **state)
{
    fixture *f = *state;

    run(f, "Maria Lopez, 52, runs the shop. Her husband, 34-year-old Daniel Reyes, helps. "
           "Their daughter Emma (7) was there, and Tom Hill, aged 80, watched.");
    assert_int_equal(entity(f, "Maria Lopez")->age, 52);
    assert_int_equal(entity(f, "Daniel Reyes")->age, 34);
    assert_int_equal(entity(f, "Emma")->age, 7);
    assert_int_equal(entity(f, "Tom Hill")->age, 80);
}

static void test_epithets(void **state)
{
    fixture *f = *state;
    const dl_entity *e;

    run(f, "Taylor Swift released a new album on Friday. The Grammy winner, 30, said she was "
           "proud. She toured with Ed Sheeran in 2018 and praised the Shape of You singer.");
    e = entity(f, "Taylor Swift");
    assert_int_equal(e->age, 30);
    expect_descriptor(f, e, "The Grammy winner");
    e = entity(f, "Ed Sheeran");
    expect_descriptor(f, e, "the Shape of You singer");
}

static void test_no_entities(void **state)
{
    fixture *f = *state;

    run(f, "it rained all day and nobody went out.");
    assert_int_equal(f->facts.n_entities, 0);
    run(f, "");
    assert_int_equal(f->facts.n_entities, 0);
    run(f, "Der Bundestag hat am Montag über das Gesetz abgestimmt. Η Βουλή ψήφισε. 議会は投票した。");
    assert_false(has_entity(f, "Der"));
}

/* Bad input: thousands of names, all caps, no spaces: bounded time, no crash. */
static void test_pathological(void **state)
{
    fixture *f = *state;
    size_t n = 5000, cap = n * 24 + 1, len = 0;
    char *big = malloc(cap);
    clock_t t0 = clock();

    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(big + len, cap - len, "John Smith%zu, ", i % 97);
    run(f, big);
    assert_true(f->facts.n_entities <= 2000);
    len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(big + len, cap - len, "CHRISSY TEIGEN SAID ");
    run(f, big);
    memset(big, 'A', cap - 1);
    big[cap - 1] = '\0';
    run(f, big);
    for (size_t i = 0; i + 1 < cap; i++)
        big[i] = (i % 3) ? 'a' : ' ';
    run(f, big);
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
    free(big);
}

static void test_name_key(void **state)
{
    char buf[64];

    (void)state;
    assert_int_equal(dl_name_key("Chrissy  Teigen", 15, buf, sizeof(buf)), 14);
    assert_string_equal(buf, "chrissy teigen");
    assert_int_equal(dl_name_key("Conan O\xe2\x80\x99" "Brien", 15, buf, sizeof(buf)), 13);
    assert_string_equal(buf, "conan o'brien");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_people),
        cmocka_unit_test(test_seed_works_and_places),
        cmocka_unit_test(test_names_titles_and_aliases),
        cmocka_unit_test(test_orgs_and_places),
        cmocka_unit_test(test_ages),
        cmocka_unit_test(test_epithets),
        cmocka_unit_test(test_no_entities),
        cmocka_unit_test(test_pathological),
        cmocka_unit_test(test_name_key),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

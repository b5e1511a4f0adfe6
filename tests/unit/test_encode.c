/* Encoder: every field present even when empty; offsets mapped to the value.
 * Schema validation of real output is in tests/cli/test_cli.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dateline/encode.h"

static json_t *encode(const dl_article *art, const dl_facts *facts, const dl_source *src)
{
    dl_encode_info info = {"0123456789abcdef", 12};
    size_t len;
    char *s = dl_encode_record(art, facts, src, &info, &len);
    json_t *root;

    assert_non_null(s);
    assert_int_equal(len, strlen(s));
    root = json_loads(s, 0, NULL);
    assert_non_null(root);
    free(s);
    return root;
}

static void test_empty_facts_have_every_field(void **state)
{
    static const char text[] = "Nothing dated here.";
    dl_article art = {0};
    dl_facts facts = {0};
    dl_source src = {NULL, -1, -1, -1};
    json_t *r;
    static const char *const keys[] = {"id",       "source", "published", "title", "timexes",
                                       "entities", "quotes", "events",    "stats", "extractor"};

    (void)state;
    art.id = (dl_slice){"abc", 3};
    art.published = (dl_date){2020, 1, 2};
    art.text = (dl_slice){text, sizeof(text) - 1};
    r = encode(&art, &facts, &src);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(r, keys[i]));
    assert_true(json_is_null(json_object_get(json_object_get(r, "source"), "topic")));
    assert_true(json_is_null(json_object_get(json_object_get(r, "source"), "timestamp")));
    assert_int_equal(json_array_size(json_object_get(r, "timexes")), 0);
    assert_int_equal(json_array_size(json_object_get(r, "events")), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "published"), "value")), "2020-01-02");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "extractor"), "rules_hash")),
        "0123456789abcdef");
    json_decref(r);
}

static void test_timex_and_event_fields(void **state)
{
    static const char text[] = "It rained on May 5.";
    dl_article art = {0};
    dl_sentence sent = {0, sizeof(text) - 1};
    dl_timex tx = {13, 18, DL_TIMEX_DATE, "2020-05-05", "", 1, 0, 0, ""};
    dl_event ev = {0, "2020-05-05", 0, DL_RES_DAY, 0, sizeof(text) - 1, 0, 0};
    dl_facts facts = {&sent, 1, &tx, 1, &ev, 1, NULL, 0, NULL, NULL, 0, NULL};
    dl_source src = {"in", 2, 41, 1000};
    json_t *r, *t, *e;

    (void)state;
    art.id = (dl_slice){"k", 1};
    art.published = (dl_date){2020, 6, 1};
    art.text = (dl_slice){text, sizeof(text) - 1};
    r = encode(&art, &facts, &src);
    t = json_array_get(json_object_get(r, "timexes"), 0);
    assert_string_equal(json_string_value(json_object_get(t, "text")), "May 5");
    assert_int_equal(json_integer_value(json_object_get(t, "start")), 13);
    assert_true(json_is_null(json_object_get(t, "mod")));
    assert_true(json_is_true(json_object_get(t, "anchored")));
    e = json_array_get(json_object_get(r, "events"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "resolution")), "day");
    assert_string_equal(json_string_value(json_object_get(e, "summary")), text);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "source"), "offset")),
                     41);
    json_decref(r);
}

/* The writer escapes as Jansson's json_dumps did (records stay byte-identical). */
static void test_strings_escape_like_jansson(void **state)
{
    static const char title[] = "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f \xC3\xA9 \xE2\x80\x9C";
    dl_article art = {0};
    dl_facts facts = {0};
    dl_source src = {NULL, -1, -1, -1};
    dl_encode_info info = {"0123456789abcdef", 12};
    json_t *t = json_stringn(title, sizeof(title) - 1);
    char *want = json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY), *got, *at;
    size_t len;

    (void)state;
    art.id = (dl_slice){"abc", 3};
    art.published = (dl_date){2020, 1, 2};
    art.text = (dl_slice){"x", 1};
    art.title = (dl_slice){title, sizeof(title) - 1};
    got = dl_encode_record(&art, &facts, &src, &info, &len);
    assert_non_null(want);
    assert_non_null(got);
    at = strstr(got, "\"title\":");
    assert_non_null(at);
    assert_memory_equal(at + 8, want, strlen(want));
    free(want);
    free(got);
    json_decref(t);
}

/* The title as the record prints it, up to the key after it. */
static void encode_title(dl_slice title, char *out, size_t cap)
{
    dl_article art = {0};
    dl_facts facts = {0};
    dl_source src = {NULL, -1, -1, -1};
    dl_encode_info info = {"0123456789abcdef", 12};
    char *got, *from, *to;
    size_t len;

    art.id = (dl_slice){"abc", 3};
    art.published = (dl_date){2020, 1, 2};
    art.text = (dl_slice){"x", 1};
    art.title = title;
    got = dl_encode_record(&art, &facts, &src, &info, &len);
    assert_non_null(got);
    from = strstr(got, "\"title\":") + 8;
    to = strstr(from, ",\"timexes\":");
    assert_non_null(to);
    assert_true((size_t)(to - from) < cap);
    memcpy(out, from, (size_t)(to - from));
    out[to - from] = '\0';
    free(got);
}

/* Every byte to escape, and a UTF-8 character, at every place in strings of
 * 1 to 40 bytes (the writer copies clean runs 16 and 8 bytes at a time and
 * re-copies the last ones): as Jansson prints them. Bytes from 0x80 that
 * are not UTF-8 are copied as they are (text is validated in decode/). */
static void test_escapes_at_every_place(void **state)
{
    static const char *const specials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xC3\xA9"};
    char text[48], got[512];

    (void)state;
    for (size_t len = 1; len <= 40; len++) {
        for (size_t at = 0; at < len; at++) {
            for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
                size_t n = strlen(specials[k]);
                json_t *t;
                char *want;

                if (at + n > len)
                    continue;
                memset(text, 'a' + (int)(len % 26), len);
                memcpy(text + at, specials[k], n);
                t = json_stringn(text, len);
                want = json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY);
                assert_non_null(want);
                encode_title((dl_slice){text, len}, got, sizeof(got));
                assert_string_equal(got, want);
                free(want);
                json_decref(t);
            }
        }
        /* A lone continuation byte at the end. */
        memset(text, 'b', len);
        text[len - 1] = (char)0x80;
        encode_title((dl_slice){text, len}, got, sizeof(got));
        assert_int_equal(strlen(got), len + 2);
        assert_memory_equal(got + 1, text, len);
    }
}

/* Numbers print as %lld did, at every length and sign (the writer formats
 * them by hand, two digits at a time). */
static void test_integers_print_as_printf(void **state)
{
    static const int64_t values[] = {0,
                                     9,
                                     10,
                                     99,
                                     100,
                                     -1,
                                     -10,
                                     12345,
                                     1000003,
                                     -99999,
                                     1600000000001,
                                     999999999999999,
                                     1000000000000000,
                                     -999999999999999,
                                     INT64_MAX,
                                     INT64_MIN};
    dl_article art = {0};
    dl_facts facts = {0};
    dl_encode_info info = {"0123456789abcdef", 12};

    (void)state;
    art.id = (dl_slice){"abc", 3};
    art.published = (dl_date){2020, 1, 2};
    art.text = (dl_slice){"x", 1};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        dl_source src = {"in", 0, values[i], -1};
        char want[64], *got;
        size_t len;

        snprintf(want, sizeof(want), "\"offset\":%lld,", (long long)values[i]);
        got = dl_encode_record(&art, &facts, &src, &info, &len);
        assert_non_null(got);
        assert_non_null(strstr(got, want));
        free(got);
    }
}

/* A long title that is mostly escapes: its room is found as it is written
 * (the writer reserves a string's length, and more at its first escape). */
static void test_long_string_of_escapes(void **state)
{
    static char text[3000], got[20000];
    json_t *t;
    char *want;

    (void)state;
    memset(text, 'a', 1000);
    for (size_t i = 1000; i < sizeof(text); i++)
        text[i] = (char)(i % 2 ? 0x01 : '"');
    t = json_stringn(text, sizeof(text));
    want = json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(want);
    encode_title((dl_slice){text, sizeof(text)}, got, sizeof(got));
    assert_string_equal(got, want);
    free(want);
    json_decref(t);
}

/* Span pairs are written at once, short and long ones alike. */
static void test_span_pairs(void **state)
{
    static const char text[] = "abcdefgh";
    dl_quote q[] = {{0, 1, -1, {2, 5}, {0, 0}, 0}, {2, 3, -1, {7, 12345678901234}, {0, 0}, 1}};
    dl_facts facts = {0};
    dl_article art = {0};
    dl_source src = {NULL, -1, -1, -1};
    dl_encode_info info = {"0123456789abcdef", 12};
    char *got;
    size_t len;

    (void)state;
    facts.quotes = q;
    facts.n_quotes = 2;
    art.id = (dl_slice){"abc", 3};
    art.published = (dl_date){2020, 1, 2};
    art.text = (dl_slice){text, sizeof(text) - 1};
    got = dl_encode_record(&art, &facts, &src, &info, &len);
    assert_non_null(got);
    assert_non_null(strstr(got, "\"speaker_mention\":[2,5],"));
    assert_non_null(strstr(got, "\"speaker_mention\":[7,12345678901234],"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_facts_have_every_field),
        cmocka_unit_test(test_timex_and_event_fields),
        cmocka_unit_test(test_strings_escape_like_jansson),
        cmocka_unit_test(test_integers_print_as_printf),
        cmocka_unit_test(test_escapes_at_every_place),
        cmocka_unit_test(test_long_string_of_escapes),
        cmocka_unit_test(test_span_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

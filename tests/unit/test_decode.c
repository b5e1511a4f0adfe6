/* Decoder: both formats, the date fallbacks, each reject reason, offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dateline/decode.h"

typedef struct fixture {
    dl_config cfg;
    dl_decoder *dec;
    dl_article art;
    char detail[256];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    dl_err err = {0};

    assert_non_null(f);
    assert_int_equal(dl_config_defaults(&f->cfg, &err), 0);
    f->cfg.input.max_bytes = 4096;
    f->dec = dl_decoder_new(&f->cfg, &err);
    assert_non_null(f->dec);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    dl_decoder_free(f->dec);
    dl_config_free(&f->cfg);
    free(f);
    return 0;
}

static dl_reason decode(fixture *f, const char *value, size_t len)
{
    dl_raw raw = {{value, len}, {NULL, 0}, {NULL, 0}, -1};

    return dl_decode(f->dec, &raw, &f->art, f->detail, sizeof(f->detail));
}

#define DECODE(f, lit) decode((f), (lit), sizeof(lit) - 1)

static void test_text_format(void **state)
{
    fixture *f = *state;
    static const char v[] = " date 2020-10-27 Chrissy wrote on Tuesday.";

    assert_int_equal(DECODE(f, v), DL_REASON_NONE);
    assert_int_equal(f->art.published.year, 2020);
    assert_int_equal(f->art.published.month, 10);
    assert_int_equal(f->art.published.day, 27);
    assert_int_equal(f->art.from, DL_FROM_MESSAGE);
    assert_int_equal(f->art.text.len, strlen("Chrissy wrote on Tuesday."));
    assert_memory_equal(f->art.text.p, "Chrissy", 7);
    /* Text offset 0 is value offset 17, the length of " date YYYY-MM-DD ". */
    assert_int_equal(dl_article_value_offset(&f->art, 0), 17);
    /* No key: a stable 16-hex-digit hash of the value. */
    assert_int_equal(f->art.id.len, 16);
    char first[17];
    memcpy(first, f->art.id.p, 16);
    first[16] = 0;
    assert_int_equal(DECODE(f, v), DL_REASON_NONE);
    assert_memory_equal(first, f->art.id.p, 16);
}

static void test_key_is_id(void **state)
{
    fixture *f = *state;
    static const char v[] = " date 2020-10-27 Body.";
    dl_raw raw = {{v, sizeof(v) - 1}, {"seed-000", 8}, {NULL, 0}, -1};

    assert_int_equal(dl_decode(f->dec, &raw, &f->art, f->detail, sizeof(f->detail)),
                     DL_REASON_NONE);
    assert_int_equal(f->art.id.len, 8);
    assert_memory_equal(f->art.id.p, "seed-000", 8);
}

static void test_json_format(void **state)
{
    fixture *f = *state;
    /* \" and \u00e9 make decoded and raw offsets diverge. */
    static const char v[] = "{\"id\": \"a1\", \"title\": \"T\", \"published\": \"2021-03-04T10:00:00Z\","
                            " \"body\": \"He said \\\"caf\\u00e9\\\" on Monday.\"}";
    const char *monday;
    size_t toff, voff;

    assert_int_equal(DECODE(f, v), DL_REASON_NONE);
    assert_int_equal(f->art.published.year, 2021);
    assert_int_equal(f->art.published.day, 4);
    assert_memory_equal(f->art.id.p, "a1", 2);
    assert_memory_equal(f->art.title.p, "T", 1);
    assert_string_equal(f->art.text.p, "He said \"caf\xc3\xa9\" on Monday.");
    monday = strstr(f->art.text.p, "Monday");
    toff = (size_t)(monday - f->art.text.p);
    voff = dl_article_value_offset(&f->art, toff);
    assert_memory_equal(v + voff, "Monday", 6);
    voff = dl_article_value_offset(&f->art, toff + 6);
    assert_memory_equal(v + voff, ".\"}", 3);
}

static void test_json_integer_id_and_text_key(void **state)
{
    fixture *f = *state;
    static const char v[] = "{\"id\": 42, \"date\": \"2021-01-02\", \"text\": \"Hello.\"}";

    assert_int_equal(DECODE(f, v), DL_REASON_NONE);
    assert_int_equal(f->art.id.len, 2);
    assert_memory_equal(f->art.id.p, "42", 2);
}

static void test_date_fallbacks(void **state)
{
    fixture *f = *state;
    static const char v[] = "No prefix here.";
    dl_raw raw = {{v, sizeof(v) - 1}, {NULL, 0}, {NULL, 0}, 1603756800000LL};

    /* Kafka timestamp 2020-10-27T00:00:00Z. */
    assert_int_equal(dl_decode(f->dec, &raw, &f->art, f->detail, sizeof(f->detail)),
                     DL_REASON_NONE);
    assert_int_equal(f->art.from, DL_FROM_TIMESTAMP);
    assert_int_equal(f->art.published.month, 10);
    assert_int_equal(dl_article_value_offset(&f->art, 0), 0);

    /* A configured header wins over the timestamp. */
    free(f->cfg.input.date_header);
    f->cfg.input.date_header = strdup("published");
    raw.date_header = (dl_slice){"2019-05-06", 10};
    assert_int_equal(dl_decode(f->dec, &raw, &f->art, f->detail, sizeof(f->detail)),
                     DL_REASON_NONE);
    assert_int_equal(f->art.from, DL_FROM_HEADER);
    assert_int_equal(f->art.published.year, 2019);
    raw.date_header = (dl_slice){"yesterday", 9};
    assert_int_equal(dl_decode(f->dec, &raw, &f->art, f->detail, sizeof(f->detail)),
                     DL_REASON_BAD_DATE);
}

static void test_reject_reasons(void **state)
{
    fixture *f = *state;
    char big[5000];

    assert_int_equal(decode(f, "", 0), DL_REASON_EMPTY);
    assert_int_equal(DECODE(f, " date 2020-10-27    "), DL_REASON_EMPTY);
    memset(big, 'a', sizeof(big));
    assert_int_equal(decode(f, big, sizeof(big)), DL_REASON_OVERSIZE);
    assert_int_equal(DECODE(f, " date 2020-10-27 caf\xc3"), DL_REASON_INVALID_UTF8);
    assert_int_equal(DECODE(f, " date 2020-10-27 \xed\xa0\x80 surrogate"), DL_REASON_INVALID_UTF8);
    assert_int_equal(DECODE(f, " date 2020-10-27 \xc0\xaf overlong"), DL_REASON_INVALID_UTF8);
    assert_non_null(strstr(f->detail, "byte 17"));
    assert_int_equal(DECODE(f, " date 2020-02-30 Impossible."), DL_REASON_BAD_DATE);
    assert_int_equal(DECODE(f, " date 2021-02-29 Not a leap year."), DL_REASON_BAD_DATE);
    assert_int_equal(DECODE(f, " date 2020-13-01 No month 13."), DL_REASON_BAD_DATE);
    assert_int_equal(DECODE(f, " date 20201027 Squashed."), DL_REASON_BAD_DATE);
    assert_int_equal(DECODE(f, "{not json"), DL_REASON_MALFORMED_JSON);
    assert_int_equal(DECODE(f, "{\"date\": \"2020-01-01\", \"text\": \"a\", \"text\": \"b\"}"),
                     DL_REASON_MALFORMED_JSON);
    assert_int_equal(DECODE(f, "{\"date\": \"2020-01-01\"}"), DL_REASON_NO_TEXT);
    assert_int_equal(DECODE(f, "{\"date\": \"2020-01-01\", \"text\": 5}"), DL_REASON_NO_TEXT);
    assert_int_equal(DECODE(f, "{\"date\": \"01/02/2020\", \"text\": \"a\"}"), DL_REASON_BAD_DATE);

    /* No date anywhere, timestamp fallback off. */
    f->cfg.input.use_timestamp = 0;
    assert_int_equal(DECODE(f, "Just a body."), DL_REASON_NO_DATE);
    assert_int_equal(DECODE(f, "{\"text\": \"a\"}"), DL_REASON_NO_DATE);
    assert_string_equal(dl_reason_code(DL_REASON_NO_DATE), "no_date");
    assert_string_equal(dl_reason_code(DL_REASON_INVALID_UTF8), "invalid_utf8");
}

static void test_leap_day_and_format_override(void **state)
{
    fixture *f = *state;

    assert_int_equal(DECODE(f, " date 2020-02-29 Leap day."), DL_REASON_NONE);
    /* Forced text format: a JSON-looking value is a body without a date prefix. */
    f->cfg.input.format = DL_FORMAT_TEXT;
    f->cfg.input.use_timestamp = 0;
    assert_int_equal(DECODE(f, "{\"date\": \"2020-01-01\", \"text\": \"a\"}"), DL_REASON_NO_DATE);
}

static void test_utf8_check(void **state)
{
    (void)state;
    assert_int_equal(dl_utf8_check("abc", 3), 3);
    assert_int_equal(dl_utf8_check("\xe2\x80\x9c", 3), 3);       /* “ */
    assert_int_equal(dl_utf8_check("\xf0\x9f\x98\x80", 4), 4);   /* emoji */
    assert_int_equal(dl_utf8_check("\xf4\x90\x80\x80", 4), 0);   /* > U+10FFFF */
    assert_int_equal(dl_utf8_check("a\xe2\x80", 3), 1);          /* truncated */
    assert_int_equal(dl_utf8_check("\xff", 1), 0);
}

/* A bad byte, or a good two-byte character, at every place of a text long
 * enough for the 32- and 8-byte ASCII skips. */
static void test_utf8_check_at_every_place(void **state)
{
    char text[100];

    (void)state;
    for (size_t at = 0; at + 1 < sizeof(text); at++) {
        memset(text, 'a', sizeof(text));
        text[at] = (char)0xff;
        assert_int_equal(dl_utf8_check(text, sizeof(text)), at);
        text[at] = (char)0xc3;
        text[at + 1] = (char)0xa9; /* é */
        assert_int_equal(dl_utf8_check(text, sizeof(text)), sizeof(text));
        assert_int_equal(dl_utf8_check(text, at + 1), at); /* truncated */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_is_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_integer_id_and_text_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_fallbacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leap_day_and_format_override, setup, teardown),
        cmocka_unit_test(test_utf8_check),
        cmocka_unit_test(test_utf8_check_at_every_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

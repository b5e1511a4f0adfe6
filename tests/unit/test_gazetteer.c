/* Unit tests of dl_iso_filter() (pipeline/extract/gazetteer.c): the
 * iso-codes text cut down to the entries of the countries a rule file
 * keeps, before Jansson parses it. A wrong cut loses places or lets a
 * malformed file through, so each case is one of those. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../pipeline/extract/rules_int.h"

#define ISO_3166_2 "/usr/share/iso-codes/json/iso_3166-2.json"

static const char *const us_gb[] = {"US", "GB"};

/* dl_iso_filter() of @p text for @p cc (@p n codes): the kept text, or NULL. */
static char *cut(const char *text, const char *const *cc, size_t n)
{
    char *out = (char *)1;
    size_t len = 99;

    assert_int_equal(dl_iso_filter(text, strlen(text), cc, n, &out, &len), 0);
    if (out)
        assert_int_equal(strlen(out), len);
    else
        assert_int_equal(len, 0);
    return out;
}

static void keeps_the_countries_entries(void **state)
{
    const char *text = "{\"3166-2\": [\n"
                       "  {\"code\": \"US-CA\", \"name\": \"California\", \"type\": \"State\"},\n"
                       "  {\"code\": \"DE-BY\", \"name\": \"Bayern\", \"type\": \"State\"},\n"
                       "  {\"code\": \"GB-WLS\", \"name\": \"Wales\"},\n"
                       "  {\"code\": \"USA-X\", \"name\": \"Not US\"},\n"
                       "  {\"code\": \"FR-75\", \"name\": \"Paris [}{\\\" US-\"},\n"
                       "  {\"code\": \"IT-\\u0052M\", \"name\": \"Roma\"}\n"
                       "], \"note\": {\"x\": [1, 2]}}\n";
    char *out = cut(text, us_gb, 2);
    json_error_t jerr;
    json_t *root, *arr;

    (void)state;
    assert_non_null(out);
    assert_non_null(strstr(out, "California"));
    assert_non_null(strstr(out, "Wales"));
    assert_null(strstr(out, "Bayern"));
    assert_null(strstr(out, "Not US")); /* "USA-": not the code US */
    /* a "US-" inside a name counts (the code is checked after parsing), and
     * an entry with an escape is always kept */
    assert_non_null(strstr(out, "Paris"));
    assert_non_null(strstr(out, "Roma"));
    assert_non_null(strstr(out, "\"note\""));
    assert_non_null(root = json_loads(out, 0, &jerr));
    assert_non_null(arr = json_object_get(root, "3166-2"));
    assert_int_equal(json_array_size(arr), 4);
    json_decref(root);
    free(out);
}

static void keeps_nothing_but_valid_json(void **state)
{
    char *out = cut("{\"l\": [{\"code\": \"DE-BY\"}, {\"code\": \"FR-75\"}]}", us_gb, 2);
    json_error_t jerr;
    json_t *root;

    (void)state;
    assert_non_null(out);
    assert_non_null(root = json_loads(out, 0, &jerr));
    assert_int_equal(json_array_size(json_object_get(root, "l")), 0);
    json_decref(root);
    free(out);
}

/* Texts not of the shape: NULL, so that Jansson parses all of it (and
 * reports what is wrong with a malformed one). */
static void other_shapes_are_parsed_whole(void **state)
{
    static const char *const texts[] = {
        "[{\"code\": \"US-CA\"}]",                           /* a list at the top */
        "{\"l\": [1, {\"code\": \"US-CA\"}]}",               /* not only objects */
        "{\"l\": [\"US-CA\"]}",                              /* a string entry */
        "{\"a\": [{}], \"b\": [{}]}",                        /* two lists */
        "{\"l\": [{\"code\": \"DE-BY\", \"x\": {\"y\": 1}}]}", /* nested deeper */
        "{\"l\": [{\"code\": \"DE-BY\"}",                     /* not closed */
        "{\"l\": [{\"code\": \"DE-BY\"]]}",                   /* mismatched */
        "{\"l\": [{\"code\": \"DE-BY}]}",                     /* a string not closed */
        "{\"l\": [{\"code\": \"DE-BY\"}]}]",                  /* closed twice */
        "{\"l\": {\"code\": \"US-CA\"}}",                     /* no list */
        /* entries without commas between them: the cut, with its commas,
         * would be longer than the text (ASan found it) */
        "{\"l\": [{\"code\": \"US-A\"}{\"code\": \"US-B\"}]}",
        "{\"l\": [{\"code\": \"US-A\"},]}",                   /* a comma last */
        "{\"l\": [,{\"code\": \"US-A\"}]}",                   /* a comma first */
        "{\"l\": [{\"code\": \"US-A\"},,{\"code\": \"US-B\"}]}",
        "",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        assert_null(cut(texts[i], us_gb, 2));
}

/* On the real subdivision list: the countries' entries after the cut are
 * those of the whole text. */
static void the_real_list_keeps_every_entry(void **state)
{
    static const char *const cc[] = {"US", "CA", "AU", "GB"};
    json_error_t jerr;
    json_t *whole, *part, *item;
    size_t i, n_whole = 0, n_part = 0;
    char *out;
    FILE *fp = fopen(ISO_3166_2, "rb");
    char *buf;
    long len;

    (void)state;
    if (!fp)
        skip(); /* (scripts/setup.sh installs iso-codes) */
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    assert_true((len = ftell(fp)) > 0);
    rewind(fp);
    assert_non_null(buf = malloc((size_t)len + 1));
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    buf[len] = '\0';
    fclose(fp);
    assert_int_equal(dl_iso_filter(buf, (size_t)len, cc, 4, &out, &(size_t){0}), 0);
    assert_non_null(out);
    assert_true(strlen(out) < (size_t)len / 4);
    assert_non_null(whole = json_loads(buf, 0, &jerr));
    assert_non_null(part = json_loads(out, 0, &jerr));
    json_array_foreach(json_object_get(whole, "3166-2"), i, item)
    {
        const char *code = json_string_value(json_object_get(item, "code"));
        for (size_t k = 0; k < 4; k++)
            if (!strncmp(code, cc[k], 2) && code[2] == '-') {
                json_t *same = json_array_get(json_object_get(part, "3166-2"), n_whole++);
                assert_non_null(same);
                assert_true(json_equal(item, same));
            }
    }
    n_part = json_array_size(json_object_get(part, "3166-2"));
    assert_true(n_whole > 200);
    assert_int_equal(n_part, n_whole);
    json_decref(whole);
    json_decref(part);
    free(out);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_the_countries_entries),
        cmocka_unit_test(keeps_nothing_but_valid_json),
        cmocka_unit_test(other_shapes_are_parsed_whole),
        cmocka_unit_test(the_real_list_keeps_every_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

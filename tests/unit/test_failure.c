/* The first fatal error of a stage or a replay (pipeline/runtime/failure.c):
 * which one is kept, and how many of the later ones reach the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dateline/log.h"

#include "../../pipeline/runtime/failure.h"

/* Runs @p fn with stderr (where the log goes) sent to a temporary file, and
 * returns how many of the logged lines hold @p needle. */
static int logged_lines(void (*fn)(dl_failure *), dl_failure *f, const char *needle)
{
    FILE *tmp = tmpfile();
    char line[2048];
    int saved, n = 0;

    assert_non_null(tmp);
    fflush(stderr);
    saved = dup(fileno(stderr));
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), fileno(stderr)) >= 0);
    fn(f);
    fflush(stderr);
    assert_true(dup2(saved, fileno(stderr)) >= 0);
    close(saved);
    rewind(tmp);
    while (fgets(line, sizeof(line), tmp))
        n += strstr(line, needle) != NULL;
    fclose(tmp);
    return n;
}

static void first_then_more(dl_failure *f)
{
    dl_failure_note(f, "stage", "first failure %d", 1);
    for (int i = 0; i < 15; i++)
        dl_failure_note(f, "stage", "later failure %d", i);
    dl_failure_summary(f, "stage");
}

static void test_first_is_kept(void **state)
{
    dl_failure f = {0};

    (void)state;
    assert_int_equal(logged_lines(first_then_more, &f, "failure"), 1 + DL_FAILURE_LOGGED + 1);
    assert_true(f.failed);
    assert_string_equal(f.msg, "first failure 1");
    assert_int_equal(f.more, 15);
}

static void test_later_ones_capped(void **state)
{
    dl_failure f = {0};

    (void)state;
    assert_int_equal(logged_lines(first_then_more, &f, "later failure"), DL_FAILURE_LOGGED);
    f = (dl_failure){0};
    assert_int_equal(logged_lines(first_then_more, &f, "5 more failures not shown"), 1);
}

static void one_long(dl_failure *f)
{
    char big[2000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    dl_failure_note(f, "replay", "%s", big);
    dl_failure_summary(f, "replay"); /* nothing: no failure after the first */
}

static void test_long_message_truncated(void **state)
{
    dl_failure f = {0};

    (void)state;
    assert_int_equal(logged_lines(one_long, &f, "more failures"), 0);
    assert_true(f.failed);
    assert_int_equal(strlen(f.msg), sizeof(f.msg) - 1);
    assert_int_equal(f.more, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_is_kept),
        cmocka_unit_test(test_later_ones_capped),
        cmocka_unit_test(test_long_message_truncated),
    };

    dl_log_set_level(DL_LOG_INFO);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The line reader of `dateline extract --lines` (cmd/dateline/lines.c):
 * lines come without their '\n', a last line without one counts, blank
 * lines are lines, lines longer than its buffer grow it; it says it would
 * wait exactly when a pipe has no whole line for it, and never for a
 * regular file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lines.h"

static void put(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void expect_line(dl_lines *lr, const char *want)
{
    const char *line;
    size_t len;

    assert_int_equal(dl_lines_next(lr, &line, &len), 1);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(line, want, len);
}

static void expect_end(dl_lines *lr)
{
    const char *line;
    size_t len;

    assert_int_equal(dl_lines_next(lr, &line, &len), 0);
    assert_int_equal(dl_lines_next(lr, &line, &len), 0);
}

static void test_pipe_waiting(void **state)
{
    int p[2];
    dl_lines *lr;

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_non_null(lr = dl_lines_new(p[0]));
    assert_int_equal(dl_lines_waiting(lr), 1); /* nothing written yet */
    put(p[1], "one\n\ntw");
    assert_int_equal(dl_lines_waiting(lr), 0); /* readable */
    expect_line(lr, "one");
    assert_int_equal(dl_lines_waiting(lr), 0); /* the blank line is buffered */
    expect_line(lr, "");
    assert_int_equal(dl_lines_waiting(lr), 1); /* "tw" has no end yet */
    put(p[1], "o\nthree");
    expect_line(lr, "two");
    assert_int_equal(dl_lines_waiting(lr), 1);
    close(p[1]);
    assert_int_equal(dl_lines_waiting(lr), 0); /* the end is there to read */
    expect_line(lr, "three");                  /* no '\n' at the end */
    assert_int_equal(dl_lines_waiting(lr), 0);
    expect_end(lr);
    dl_lines_free(lr);
    close(p[0]);
}

static void test_file_long_lines(void **state)
{
    FILE *tmp = tmpfile();
    size_t big = 300 * 1024; /* several times the first buffer */
    char *text = malloc(big + 1);
    dl_lines *lr;

    (void)state;
    assert_non_null(tmp);
    assert_non_null(text);
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    text[big] = '\0';
    assert_int_equal(fputs("short\r\n", tmp) >= 0, 1);
    assert_int_equal(fwrite(text, 1, big, tmp), big);
    assert_int_equal(fputs("\nlast\n", tmp) >= 0, 1);
    assert_int_equal(fflush(tmp), 0);
    rewind(tmp);
    assert_non_null(lr = dl_lines_new(fileno(tmp)));
    assert_int_equal(dl_lines_waiting(lr), 0); /* a regular file never waits */
    expect_line(lr, "short\r");                /* '\r' is the caller's to strip */
    expect_line(lr, text);
    expect_line(lr, "last");
    assert_int_equal(dl_lines_waiting(lr), 0);
    expect_end(lr);
    dl_lines_free(lr);
    fclose(tmp);
    free(text);
}

static void test_empty_and_error(void **state)
{
    int p[2];
    dl_lines *lr;
    const char *line;
    size_t len;

    (void)state;
    assert_int_equal(pipe(p), 0);
    close(p[1]);
    assert_non_null(lr = dl_lines_new(p[0]));
    expect_end(lr); /* empty input: no line at all */
    dl_lines_free(lr);
    close(p[0]);

    assert_int_equal(pipe(p), 0);
    assert_non_null(lr = dl_lines_new(p[1])); /* the write end: read() fails */
    assert_int_equal(dl_lines_next(lr, &line, &len), -1);
    dl_lines_free(lr);
    close(p[0]);
    close(p[1]);
    dl_lines_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_waiting),
        cmocka_unit_test(test_file_long_lines),
        cmocka_unit_test(test_empty_and_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

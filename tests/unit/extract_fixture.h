/* The fixture the extractor's unit tests share (test_extract, test_entities,
 * test_quotes): the English rules loaded once per test, one extractor, the
 * facts of the last run, and a buffer for a file the test reads. */
#ifndef DL_TEST_EXTRACT_FIXTURE_H
#define DL_TEST_EXTRACT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dateline/common.h"
#include "dateline/extract.h"

#define RULES_DIR DL_SOURCE_DIR "/config/rules/en"
#define SEED_FILE DL_SOURCE_DIR "/../shared/seed/article-000.txt"

typedef struct fixture {
    dl_rules *rules;
    dl_extractor *ex;
    dl_facts facts;
    const char *text; /* what the last run read */
    char *buf;        /* freed by teardown */
} fixture;

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    dl_err err = {0};

    assert_non_null(f);
    assert_int_equal(dl_rules_load(RULES_DIR, &f->rules, &err), 0);
    assert_non_null(f->ex = dl_extractor_new(f->rules, &err));
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *f = *state;

    dl_extractor_free(f->ex);
    dl_rules_free(f->rules);
    free(f->buf);
    free(f);
    return 0;
}

/* Extracts @p text as published on @p y-@p m-@p d into f->facts. */
static inline void run_at(fixture *f, const char *text, int y, int m, int d)
{
    dl_dct dct = {y, m, d};
    dl_err err = {0};

    f->text = text;
    assert_int_equal(dl_extract(f->ex, (dl_slice){text, strlen(text)}, &dct, &f->facts, &err), 0);
}

#endif

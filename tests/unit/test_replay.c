/*
 * Unit tests of the replay request side (times, offsets, partitions, range
 * resolution), the checkpoint file and the progress bar. No broker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dateline/checkpoint.h"
#include "dateline/progress.h"
#include "dateline/replay.h"

static int64_t parse_time(const char *s)
{
    dl_err err;
    int64_t ms = -42;

    dl_err_clear(&err);
    if (dl_replay_parse_time(s, &ms, &err))
        return -1;
    return ms;
}

static void test_time(void **state)
{
    (void)state;
    assert_int_equal(parse_time("1700000000000"), 1700000000000LL);
    assert_int_equal(parse_time("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_time("2020-10-01T00:00:00Z"), 1601510400000LL);
    assert_int_equal(parse_time("2020-10-01"), 1601510400000LL);
    assert_int_equal(parse_time("2020-10-01T02:00:00+02:00"), 1601510400000LL);
    assert_int_equal(parse_time("2020-09-30T19:00:00-05:00"), 1601510400000LL);
    assert_int_equal(parse_time("2020-10-01T00:00:00.250Z"), 1601510400250LL);
    assert_int_equal(parse_time("2020-10-01t00:00:00.5z"), 1601510400500LL);
    assert_int_equal(parse_time("2000-02-29T12:00:00Z"), 951825600000LL);
    /* rejected */
    assert_int_equal(parse_time(""), -1);
    assert_int_equal(parse_time("2020-10-01T00:00:00"), -1); /* no offset */
    assert_int_equal(parse_time("2021-02-29"), -1);
    assert_int_equal(parse_time("2020-13-01"), -1);
    assert_int_equal(parse_time("2020-10-01T24:00:00Z"), -1);
    assert_int_equal(parse_time("yesterday"), -1);
    assert_int_equal(parse_time("2020-10-01T00:00:00Zjunk"), -1);
    assert_int_equal(parse_time("2020-10-01T00:00:00."), -1);
}

static void test_format_time(void **state)
{
    char buf[40];

    (void)state;
    assert_string_equal(dl_replay_format_time(1601510400250LL, buf, sizeof(buf)),
                        "2020-10-01T00:00:00.250Z");
}

static void test_offsets(void **state)
{
    dl_replay_offsets o;
    dl_err err;

    (void)state;
    assert_int_equal(dl_replay_parse_offsets("2:50,0:100", &o, &err), 0);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.all, -1);
    assert_int_equal(o.items[0].partition, 0);
    assert_int_equal(o.items[0].offset, 100);
    assert_int_equal(o.items[1].partition, 2);
    assert_int_equal(o.items[1].offset, 50);
    free(o.items);

    assert_int_equal(dl_replay_parse_offsets("100", &o, &err), 0);
    assert_int_equal(o.n, 0);
    assert_int_equal(o.all, 100);
    free(o.items);

    assert_int_equal(dl_replay_parse_offsets("7,1:3", &o, &err), 0);
    assert_int_equal(o.all, 7);
    assert_int_equal(o.n, 1);
    free(o.items);

    assert_int_equal(dl_replay_parse_offsets("0:1,0:2", &o, &err), DL_EINVAL);
    assert_null(o.items);
    assert_int_equal(dl_replay_parse_offsets("0:-1", &o, &err), DL_EINVAL);
    assert_int_equal(dl_replay_parse_offsets("0:1,", &o, &err), DL_EINVAL);
    assert_int_equal(dl_replay_parse_offsets("a:1", &o, &err), DL_EINVAL);
    assert_int_equal(dl_replay_parse_offsets("1,2", &o, &err), DL_EINVAL); /* two bare */
    assert_int_equal(dl_replay_parse_offsets("", &o, &err), DL_EINVAL);
}

static void test_partitions(void **state)
{
    int32_t *p;
    size_t n;
    dl_err err;

    (void)state;
    assert_int_equal(dl_replay_parse_partitions("5-7,0,2,6", &p, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(p[0], 0);
    assert_int_equal(p[1], 2);
    assert_int_equal(p[2], 5);
    assert_int_equal(p[3], 6);
    assert_int_equal(p[4], 7);
    free(p);
    assert_int_equal(dl_replay_parse_partitions("3-1", &p, &n, &err), DL_EINVAL);
    assert_int_equal(dl_replay_parse_partitions("x", &p, &n, &err), DL_EINVAL);
    assert_int_equal(dl_replay_parse_partitions("1,,2", &p, &n, &err), DL_EINVAL);
}

static void test_select(void **state)
{
    const int32_t all[] = {0, 1, 2};
    dl_replay_opts o;
    int32_t *sel;
    size_t n;
    dl_err err;

    (void)state;
    dl_replay_opts_init(&o);
    assert_int_equal(dl_replay_select(&o, all, 3, &sel, &n, &err), 0);
    assert_int_equal(n, 3);
    free(sel);
    /* Offsets naming partitions select them. */
    assert_int_equal(dl_replay_parse_offsets("2:5", &o.from_off, &err), 0);
    assert_int_equal(dl_replay_select(&o, all, 3, &sel, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sel[0], 2);
    free(sel);
    /* --partitions wins; a partition the topic lacks is an error. */
    assert_int_equal(dl_replay_parse_partitions("0,1", &o.partitions, &o.n_partitions, &err), 0);
    assert_int_equal(dl_replay_select(&o, all, 3, &sel, &n, &err), 0);
    assert_int_equal(n, 2);
    free(sel);
    free(o.partitions);
    assert_int_equal(dl_replay_parse_partitions("3", &o.partitions, &o.n_partitions, &err), 0);
    assert_int_equal(dl_replay_select(&o, all, 3, &sel, &n, &err), DL_EINVAL);
    assert_null(sel);
    dl_replay_opts_fini(&o);
}

static void test_resolve(void **state)
{
    dl_replay_bounds b[3] = {
        {0, 10, 100, 40, 60}, /* time lookups inside */
        {1, 0, 50, -1, -1},   /* every message older than from and to */
        {2, 5, 80, 30, -1},   /* nothing at or after to */
    };
    dl_replay_range r[3];
    dl_replay_opts o;
    dl_err err;

    (void)state;
    dl_replay_opts_init(&o);
    /* No bounds: watermarks. */
    assert_int_equal(dl_replay_resolve(&o, b, 3, r, &err), 0);
    assert_int_equal(r[0].start, 10);
    assert_int_equal(r[0].end, 100);
    assert_int_equal(r[0].next, 10);
    /* Time window. */
    o.from_ms = 1;
    o.to_ms = 2;
    assert_int_equal(dl_replay_resolve(&o, b, 3, r, &err), 0);
    assert_int_equal(r[0].start, 40);
    assert_int_equal(r[0].end, 60);
    assert_int_equal(r[1].start, 50); /* empty: starts at hi */
    assert_int_equal(r[1].end, 50);
    assert_int_equal(r[2].start, 30);
    assert_int_equal(r[2].end, 80);
    /* Explicit offsets override times and are clamped to the watermarks. */
    assert_int_equal(dl_replay_parse_offsets("0:0,2:70", &o.from_off, &err), 0);
    assert_int_equal(dl_replay_parse_offsets("0:1000", &o.to_off, &err), 0);
    assert_int_equal(dl_replay_resolve(&o, b, 3, r, &err), 0);
    assert_int_equal(r[0].start, 10);
    assert_int_equal(r[0].end, 100);
    assert_int_equal(r[2].start, 70);
    assert_int_equal(r[2].end, 80);
    free(o.to_off.items);
    assert_int_equal(dl_replay_parse_offsets("2:60", &o.to_off, &err), 0);
    assert_int_equal(dl_replay_resolve(&o, b, 3, r, &err), DL_EINVAL); /* 70 > 60 */
    dl_replay_opts_fini(&o);
}

static void test_spec(void **state)
{
    dl_replay_opts o;
    dl_err err;
    char *s;

    (void)state;
    dl_replay_opts_init(&o);
    o.from_ms = 5;
    assert_int_equal(dl_replay_parse_offsets("1:3,9", &o.to_off, &err), 0);
    s = dl_replay_spec(&o, "articles");
    assert_non_null(s);
    assert_string_equal(s, "topic=articles;from=5;to=-1;from_offset=;to_offset=9,1:3;partitions=");
    free(s);
    dl_replay_opts_fini(&o);
}

static void test_checkpoint(void **state)
{
    char path[] = "/tmp/dl-test-ckpt-XXXXXX";
    dl_replay_range ranges[2] = {{0, 10, 20, 15}, {3, 0, 0, 0}};
    dl_checkpoint cp = {"articles", "topic=articles;from=1", "abcdef0123456789", ranges, 2};
    dl_checkpoint in;
    dl_err err;
    FILE *fp;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    /* Missing file: 1, nothing loaded. */
    assert_int_equal(dl_checkpoint_load(path, &in, &err), 1);
    dl_checkpoint_fini(&in);
    assert_int_equal(dl_checkpoint_save(path, &cp, &err), 0);
    assert_int_equal(dl_checkpoint_load(path, &in, &err), 0);
    assert_string_equal(in.topic, "articles");
    assert_string_equal(in.spec, "topic=articles;from=1");
    assert_string_equal(in.rules_hash, "abcdef0123456789");
    assert_int_equal(in.n, 2);
    assert_int_equal(in.ranges[0].next, 15);
    assert_int_equal(in.ranges[1].partition, 3);
    assert_int_equal(dl_checkpoint_remaining(&in), 5);
    dl_checkpoint_fini(&in);
    /* Overwrite in place. */
    ranges[0].next = 20;
    assert_int_equal(dl_checkpoint_save(path, &cp, &err), 0);
    assert_int_equal(dl_checkpoint_load(path, &in, &err), 0);
    assert_int_equal(dl_checkpoint_remaining(&in), 0);
    dl_checkpoint_fini(&in);
    /* Corrupt or inconsistent files are errors, never crashes. */
    fp = fopen(path, "w");
    fputs("{\"version\":1,\"topic\":\"t\",\"spec\":\"s\",\"ranges\":[{\"partition\":0,"
          "\"start\":5,\"end\":4,\"next\":5}]}",
          fp);
    fclose(fp);
    assert_int_equal(dl_checkpoint_load(path, &in, &err), DL_EINVAL);
    dl_checkpoint_fini(&in);
    fp = fopen(path, "w");
    fputs("{\"version\":1,", fp);
    fclose(fp);
    assert_int_equal(dl_checkpoint_load(path, &in, &err), DL_EINVAL);
    dl_checkpoint_fini(&in);
    fp = fopen(path, "w");
    fputs("{\"version\":2,\"topic\":\"t\",\"spec\":\"s\",\"ranges\":[]}", fp);
    fclose(fp);
    assert_int_equal(dl_checkpoint_load(path, &in, &err), DL_EINVAL);
    dl_checkpoint_fini(&in);
    unlink(path);
}

static void test_progress_bar(void **state)
{
    char buf[256];
    dl_progress_mode m;

    (void)state;
    dl_progress_format_bar(buf, sizeof(buf), 50100, 100000, 12345.4, 4, 10);
    assert_string_equal(buf, "[#####.....]  50.1%  50,100/100,000  12,345 msg/s  ETA 0:04");
    dl_progress_format_bar(buf, sizeof(buf), 0, 0, -1, -1, 4);
    assert_string_equal(buf, "[####] 100.0%  0/0  - msg/s  ETA --:--");
    dl_progress_format_bar(buf, sizeof(buf), 1, 3, 1, 7322, 3);
    assert_string_equal(buf, "[#..]  33.3%  1/3  1 msg/s  ETA 2:02:02");
    assert_int_equal(dl_progress_mode_parse("json", &m), 0);
    assert_int_equal(m, DL_PROGRESS_JSON);
    assert_int_equal(dl_progress_mode_parse("fancy", &m), DL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),         cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_offsets),      cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_select),       cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_spec),         cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_progress_bar),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

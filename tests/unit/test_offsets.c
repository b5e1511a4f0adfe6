/*
 * Unit tests of the per-partition in-order offset tracker: the at-least-once
 * rule that an offset is stored only after every earlier message of its
 * partition is acknowledged. Pure logic, no broker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dateline/offsets.h"

/* ---- helpers ---- */

static int opaques_freed;

static void count_free(void *opaque)
{
    opaques_freed++;
    free(opaque);
}

typedef struct stored {
    char topic[32];
    int32_t partition;
    int64_t next;
} stored;

typedef struct store_log {
    stored items[16];
    size_t n;
} store_log;

static void record_store(const char *topic, int32_t partition, int64_t next, void *arg)
{
    store_log *log = arg;

    assert_true(log->n < 16);
    snprintf(log->items[log->n].topic, sizeof(log->items[log->n].topic), "%s", topic);
    log->items[log->n].partition = partition;
    log->items[log->n].next = next;
    log->n++;
}

/* Advances and returns the single stored offset for the call (-1 if none). */
static int64_t advance_one(dl_offsets *ot)
{
    store_log log = {0};

    dl_offsets_advance(ot, record_store, &log);
    assert_true(log.n <= 1);
    return log.n ? log.items[0].next : -1;
}

static int64_t stored_for(const store_log *log, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < log->n; i++)
        if (log->items[i].partition == partition && !strcmp(log->items[i].topic, topic))
            return log->items[i].next;
    return -1;
}

static dl_offsets_entry *add(dl_offsets *ot, const char *topic, int32_t partition, int64_t offset)
{
    dl_offsets_entry *ent = dl_offsets_add(ot, topic, partition, offset, malloc(8));

    assert_non_null(ent);
    return ent;
}

static int setup(void **state)
{
    opaques_freed = 0;
    *state = dl_offsets_new(count_free);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    dl_offsets_free(*state);
    return 0;
}

/* ---- tests ---- */

static void test_in_order_acks_advance(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 10);
    dl_offsets_entry *b = add(ot, "in", 0, 11);

    assert_int_equal(advance_one(ot), -1);
    assert_int_equal(dl_offsets_release(ot, a), 1);
    assert_int_equal(advance_one(ot), 11);
    assert_int_equal(dl_offsets_release(ot, b), 1);
    assert_int_equal(advance_one(ot), 12);
    /* Nothing new: no second report of the same watermark. */
    assert_int_equal(advance_one(ot), -1);
    assert_int_equal(dl_offsets_tracked(ot), 0);
    assert_int_equal(opaques_freed, 2);
}

static void test_out_of_order_acks_do_not_pass_unacked(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 10);
    dl_offsets_entry *b = add(ot, "in", 0, 11);
    dl_offsets_entry *c = add(ot, "in", 0, 12);

    /* 12 and 11 are acknowledged before 10: the watermark must stay. */
    assert_int_equal(dl_offsets_release(ot, c), 1);
    assert_int_equal(dl_offsets_release(ot, b), 1);
    assert_int_equal(advance_one(ot), -1);
    assert_int_equal(dl_offsets_tracked(ot), 3);
    /* Done entries free their opaque at once, even while blocked. */
    assert_int_equal(opaques_freed, 2);
    assert_null(dl_offsets_entry_opaque(b));

    assert_int_equal(dl_offsets_release(ot, a), 1);
    assert_int_equal(advance_one(ot), 13);
    assert_int_equal(dl_offsets_tracked(ot), 0);
}

static void test_gap_in_the_middle(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 10);
    dl_offsets_entry *b = add(ot, "in", 0, 11);
    dl_offsets_entry *c = add(ot, "in", 0, 12);

    dl_offsets_release(ot, a);
    dl_offsets_release(ot, c);
    assert_int_equal(advance_one(ot), 11); /* over 10 only */
    assert_int_equal(dl_offsets_partition_len(ot, "in", 0), 2);
    dl_offsets_release(ot, b);
    assert_int_equal(advance_one(ot), 13); /* over 11 and the already-done 12 */
    assert_int_equal(dl_offsets_partition_len(ot, "in", 0), 0);
}

static void test_every_produced_record_holds(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 5);

    /* Two records produced from one message (e.g. enriched, then its
     * dead-letter fallback): the processing hold goes first. */
    dl_offsets_hold(a);
    dl_offsets_hold(a);
    assert_int_equal(dl_offsets_release(ot, a), 0);
    assert_int_equal(advance_one(ot), -1);
    assert_int_equal(dl_offsets_release(ot, a), 0);
    assert_int_equal(advance_one(ot), -1);
    assert_non_null(dl_offsets_entry_opaque(a));
    assert_int_equal(dl_offsets_release(ot, a), 1);
    assert_int_equal(advance_one(ot), 6);
}

static void test_unacked_blocks_forever(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 1);

    /* A failed dead-letter delivery keeps its hold: nothing after it is
     * ever stored, however many later messages complete. */
    dl_offsets_hold(a);
    dl_offsets_release(ot, a);
    for (int64_t off = 2; off < 10; off++)
        dl_offsets_release(ot, add(ot, "in", 0, off));
    assert_int_equal(advance_one(ot), -1);
    assert_int_equal(dl_offsets_tracked(ot), 9);
}

static void test_partitions_are_independent(void **state)
{
    dl_offsets *ot = *state;
    store_log log = {0};
    dl_offsets_entry *p0 = add(ot, "in", 0, 100);
    dl_offsets_entry *p1 = add(ot, "in", 1, 7);
    dl_offsets_entry *other = add(ot, "other", 0, 3);

    (void)p0;
    dl_offsets_release(ot, p1);
    dl_offsets_release(ot, other);
    assert_int_equal(dl_offsets_advance(ot, record_store, &log), 2);
    assert_int_equal(stored_for(&log, "in", 1), 8);
    assert_int_equal(stored_for(&log, "other", 0), 4);
    assert_int_equal(stored_for(&log, "in", 0), -1);
}

static void test_revoke_drops_tracking(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 10);
    dl_offsets_entry *b = add(ot, "in", 0, 11);
    dl_offsets_entry *c = add(ot, "in", 0, 12);
    dl_offsets_entry *keep = add(ot, "in", 1, 50);

    dl_offsets_release(ot, a);
    dl_offsets_release(ot, c);
    assert_int_equal(advance_one(ot), 11);

    dl_offsets_revoke(ot, "in", 0);
    /* 11 is in flight: an orphan, still counted; done 12 is gone. */
    assert_int_equal(dl_offsets_partition_len(ot, "in", 0), 0);
    assert_int_equal(dl_offsets_tracked(ot), 2);
    assert_true(dl_offsets_entry_orphaned(b));
    assert_false(dl_offsets_entry_orphaned(keep));

    /* Its late delivery report frees it without storing anything. */
    assert_int_equal(dl_offsets_release(ot, b), 1);
    assert_int_equal(advance_one(ot), -1);
    assert_int_equal(dl_offsets_tracked(ot), 1);

    /* Reassigned later: 11 is redelivered and tracked from scratch. */
    dl_offsets_entry *again = add(ot, "in", 0, 11);
    dl_offsets_release(ot, again);
    assert_int_equal(advance_one(ot), 12);

    dl_offsets_release(ot, keep);
    assert_int_equal(advance_one(ot), 51);
    assert_int_equal(dl_offsets_tracked(ot), 0);
    assert_int_equal(opaques_freed, 5);
}

static void test_revoke_all_and_free_with_orphans(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 1);
    dl_offsets_entry *b = add(ot, "in", 1, 1);

    add(ot, "in", 2, 1);
    dl_offsets_release(ot, a);
    dl_offsets_revoke_all(ot);
    assert_int_equal(dl_offsets_tracked(ot), 2);
    /* Orphans are freed in any order. */
    dl_offsets_release(ot, b);
    assert_int_equal(dl_offsets_tracked(ot), 1);
    assert_int_equal(dl_offsets_advance(ot, record_store, &(store_log){0}), 0);
    /* teardown frees the remaining orphan and queued entries (ASan checks). */
    add(ot, "in", 3, 9);
    dl_offsets_free(ot);
    *state = NULL;
    assert_int_equal(opaques_freed, 4);
}

static void test_revoke_unknown_partition_is_harmless(void **state)
{
    dl_offsets *ot = *state;

    dl_offsets_revoke(ot, "in", 42);
    dl_offsets_release(ot, add(ot, "in", 0, 0));
    dl_offsets_revoke(ot, "nope", 0);
    assert_int_equal(advance_one(ot), 1);
}

static void test_double_release_is_harmless(void **state)
{
    dl_offsets *ot = *state;
    dl_offsets_entry *a = add(ot, "in", 0, 0);
    dl_offsets_entry *b = add(ot, "in", 0, 1);

    dl_offsets_hold(b);
    assert_int_equal(dl_offsets_release(ot, a), 1);
    assert_int_equal(dl_offsets_release(ot, a), 0);
    assert_int_equal(dl_offsets_release(ot, b), 0);
    assert_int_equal(advance_one(ot), 1);
}

static void test_many_partitions(void **state)
{
    dl_offsets *ot = *state;
    store_log log = {0};

    /* More partitions than the initial array size. */
    for (int32_t p = 0; p < 40; p++)
        for (int64_t off = 0; off < 3; off++)
            dl_offsets_release(ot, add(ot, "in", p, off));
    assert_int_equal(dl_offsets_tracked(ot), 120);
    for (int32_t p = 0; p < 40; p++)
        dl_offsets_revoke(ot, "in", p);
    assert_int_equal(dl_offsets_tracked(ot), 0);
    assert_int_equal(dl_offsets_advance(ot, record_store, &log), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order_acks_advance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_acks_do_not_pass_unacked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gap_in_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_produced_record_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unacked_blocks_forever, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partitions_are_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_drops_tracking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_all_and_free_with_orphans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_unknown_partition_is_harmless, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_release_is_harmless, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_partitions, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

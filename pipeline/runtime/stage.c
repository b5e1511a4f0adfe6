/*
 * The stage loop of `dateline run` (see include/dateline/stage.h).
 *
 * Life of a consumed message:
 *   1. it becomes an `inflight` (owning the rd_kafka_message_t) tracked by
 *      the offset tracker with one hold for its processing;
 *   2. dl_pipeline_process() turns it into an enriched record or a dead
 *      letter, on one of the runtime.workers extraction threads (workpool.h);
 *      the results come back to this thread in consumption order per
 *      partition (a long article holds back only its own partition), and
 *      every step below runs here. Each produce takes one more hold, passing a
 *      `ticket` (which output it was) as msg_opaque;
 *   3. each successful delivery report releases its hold; a permanently
 *      rejected enriched record (too large, invalid) keeps its hold and is
 *      queued for a `produce_failed` dead letter; any other failure stops
 *      the stage with the hold kept, so that offset is never stored;
 *   4. when all holds are gone the tracker advances the partition's
 *      watermark over the done prefix and the stage stores it.
 *
 * With `delivery: exactly_once` steps 1-3 are the same, inside a producer
 * transaction begun with the first message; step 4 becomes: every
 * runtime.commit_interval_ms (or at max_inflight messages / bytes, on
 * revocation, on stop, or once caught up with every record acknowledged and
 * the transaction 100 ms old) the consumed positions go into the transaction with
 * send_offsets_to_transaction() and it is committed. Any failure aborts it
 * and rewinds the consumer to the transaction's first offsets, so the next
 * transaction redoes exactly that work; a fenced producer stops the stage.
 * A record the broker rejects fails the whole transaction: its message is
 * remembered and dead-lettered (produce_failed) when it comes again.
 *
 * Adding an output (e.g. the timeline topic): a ticket kind below, a topic
 * in dl_kafka_sink_topic, and in stage_produce_outputs() one
 * dl_offsets_hold() per record produced; records may share a ticket.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "dateline/dead_letter.h"
#include "dateline/log.h"
#include "dateline/metrics.h"
#include "dateline/offsets.h"
#include "dateline/kafka_sink.h"
#include "dateline/kafka_source.h"
#include "dateline/stage.h"
#include "dateline/workpool.h"

#include "failure.h"

/* Records a fatal error (see failure.h). */
#define stage_fail(st, ...) dl_failure_note(&(st)->fail, "stage", __VA_ARGS__)

#define STAGE_STATS_INTERVAL_MS   10000
#define STAGE_DR_SLICE_MS         50   /* poll wait while work is in flight (a missed wake) */
#define STAGE_DEFAULT_INFLIGHT    1000
#define STAGE_MAX_REASONS         DL_STAGE_MAX_REASONS
#define STAGE_METADATA_TIMEOUT_MS 5000
#define STAGE_PAUSE_AFTER_MS      1000 /* at max_inflight this long: pause fetching */
#define STAGE_COMMIT_TIMEOUT_MS   2000 /* of the grace period kept for commit and close */
#define STAGE_MIN_COMMIT_MS       500  /* a commit or close gets this even past the grace */
#define STAGE_TXN_INIT_MS         10000
#define STAGE_TXN_INIT_TRIES      12
#define STAGE_TXN_MAX_ABORTS      20 /* consecutive aborts: give up instead of spinning */
#define STAGE_MAX_REJECTS         64
#define STAGE_SEEK_TIMEOUT_MS     10000
#define STAGE_STATS_HOOK_MS       1000
/* Extraction jobs queued, running or done and waiting for a partition
 * predecessor, per worker: a long article holds its partition's later
 * results for its whole extraction (20-30 ms for T17's 600 kB ones) while
 * the other partitions' go on, and with a backlog half of what the pool
 * takes meanwhile is the blocked partition's. With 32 the pool filled and
 * the other worker idled (T17 end to end 3,060-3,110 articles/s); with 512,
 * 3,900-3,970. Since the stage refills its fetch at once (dl_kafka_refill)
 * 256 runs as fast, and the results held behind a long article weigh on
 * memory: T17 --repeat 6 with a 4 MiB prefetch, three alternated pairs,
 * 256 gave 5,604-5,853 art/s at 53-61 MB steady and 62-71 MB peak RSS,
 * 512 5,773-5,838 at 54-62 and 81-83. What the slots hold is bounded by
 * runtime.max_inflight and max_inflight_bytes. */
#define STAGE_JOBS_PER_WORKER 256
/* Caught up (nothing fetched, extracted or unacknowledged), at_least_once
 * commits the stored offsets at once instead of at the next
 * auto.commit.interval.ms tick, and exactly_once its transaction instead
 * of at commit_interval_ms, at most this often: a restart then replays
 * nothing of what was done, read_committed readers see a trickle's records
 * at once, and a trickle costs at most ten commits a second. */
#define STAGE_IDLE_COMMIT_MS 100

enum { TICKET_ENRICHED = 0, TICKET_DEAD, TICKET_TIMELINE, TICKETS };

static const char *const ticket_names[TICKETS] = {"enriched", "dead_letter", "timeline"};

typedef struct inflight inflight;

/* The msg_opaque of one produced record: which message, which output. */
typedef struct ticket {
    inflight *inf;
    int kind;
} ticket;

struct inflight {
    dl_stage *st;
    size_t bytes;            /* counted in st->inflight_bytes */
    int64_t consumed_us;     /* dl_now_us() when it was consumed */
    rd_kafka_message_t *rkm; /* the consumed message, owned */
    dl_offsets_entry *ent;
    ticket tickets[TICKETS];
    inflight *next_deferred;
    int deferred;     /* queued for its produce_failed dead letter */
    int no_timeline;  /* exactly_once: its timeline record was rejected before */
    char reason[48];  /* of its dead letter, counted on delivery */
    char detail[256]; /* why the enriched record was rejected */
};

/* Outputs are counted when the broker acknowledges them. */
typedef dl_stage_stats stage_stats;

/* A message whose enriched record the broker rejected inside a transaction:
 * dead-lettered when the rewound consumer hands it over again. */
typedef struct stage_reject {
    char topic[250];
    int32_t partition;
    int64_t offset;
    int kind; /* TICKET_ENRICHED: dead-letter it; TICKET_TIMELINE: skip its timeline */
    char detail[256];
} stage_reject;

/* exactly_once: the open transaction. */
typedef struct stage_txn {
    int open;
    int failed; /* a delivery failed: the transaction must be aborted */
    int64_t started_ms;
    size_t msgs;
    size_t bytes;
    rd_kafka_topic_partition_list_t *first; /* per partition: first offset (rewind) */
    rd_kafka_topic_partition_list_t *next;  /* per partition: last offset + 1 (commit) */
    stage_stats pending;                    /* outputs acknowledged, counted on commit */
    unsigned aborts_in_row;
    stage_reject rejects[STAGE_MAX_REJECTS];
    size_t n_rejects;
} stage_txn;

struct dl_stage {
    const dl_config *cfg;
    dl_pipeline *pl;
    const volatile sig_atomic_t *stop;
    dl_kafka_source *src;
    dl_kafka_sink *snk;
    dl_offsets *ot;
    inflight *deferred, *deferred_tail; /* enriched records awaiting their dead letter */
    int eos;                            /* delivery: exactly_once */
    stage_txn txn;
    size_t inflight_bytes;
    size_t max_inflight_bytes;
    dl_stage_stats_fn *stats_fn;
    void *stats_arg;
    int64_t next_stats_hook;
    size_t max_inflight;
    int paused;
    int64_t full_since;   /* when max_inflight was reached, 0 = below */
    int starved_fetch;    /* polling stopped (pool full, backpressure): librdkafka's queue may have
                           * filled, see dl_kafka_source_refill() */
    int stopping;         /* orderly stop in progress */
    int destroying;       /* tearing down: delivery reports are ignored */
    int64_t flush_end_ms; /* stopping: end of the time for deliveries */
    int64_t stop_end_ms;  /* stopping: end of the grace period (commit, close) */
    dl_failure fail; /* the first fatal error (the loop then stops in order) */
    stage_stats stats;
    dl_metrics *metrics; /* NULL: none (every dl_metrics_* accepts NULL) */
    dl_workpool *wp;     /* extraction threads; their results come back in order */
    const volatile sig_atomic_t *reload;
    dl_stage_reload_fn *reload_fn;
    void *reload_arg;
    int stored;              /* offsets stored since the last commit */
    int64_t next_idle_commit; /* no commit on catching up before this */
};

/* Milliseconds from now to @p end, at least @p floor. */
static int stage_left(int64_t end, int floor)
{
    int64_t left = end - dl_now_ms();

    return left > floor ? (int)left : floor;
}

static void inflight_free(void *opaque)
{
    inflight *inf = opaque;

    inf->st->inflight_bytes -= inf->bytes;
    rd_kafka_message_destroy(inf->rkm);
    free(inf);
}

static const char *inflight_topic(const inflight *inf)
{
    return rd_kafka_topic_name(inf->rkm->rkt);
}

static void stats_count_reason(stage_stats *stats, const char *reason, uint64_t n)
{
    size_t i;

    for (i = 0; i < stats->n_reasons; i++)
        if (!strcmp(stats->reasons[i].reason, reason))
            break;
    if (i == STAGE_MAX_REASONS) {
        i--; /* full: the last slot, "other", absorbs the rest */
    } else if (i == stats->n_reasons) {
        stats->n_reasons++;
        snprintf(stats->reasons[i].reason, sizeof(stats->reasons[i].reason), "%s",
                 i == STAGE_MAX_REASONS - 1 ? "other" : reason);
    }
    stats->reasons[i].n += n;
}

/* Adds the outputs of a committed transaction. */
static void stats_merge(stage_stats *to, const stage_stats *from)
{
    to->enriched += from->enriched;
    to->dead_letters += from->dead_letters;
    to->timeline += from->timeline;
    for (size_t i = 0; i < from->n_reasons; i++)
        stats_count_reason(to, from->reasons[i].reason, from->reasons[i].n);
}

static void stats_delivered(stage_stats *stats, int kind, const char *reason)
{
    if (kind == TICKET_ENRICHED) {
        stats->enriched++;
    } else if (kind == TICKET_TIMELINE) {
        stats->timeline++; /* not a message of its own: only for metrics */
    } else {
        stats->dead_letters++;
        stats_count_reason(stats, reason, 1);
    }
}

/* Produces the original message to the dead-letter topic. The caller has
 * taken the hold this record releases on delivery; on failure the hold is
 * kept so the offset is never stored, and the stage stops. */
static void stage_dead_letter(dl_stage *st, inflight *inf, const char *stage, const char *reason,
                              const char *detail)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    /* The original headers are kept (so the dead letter can be replayed as
     * it came), plus the dateline.error.* headers. */
    rd_kafka_headers_t *hdrs = dl_dead_letter_headers(inf->rkm, stage, reason, detail);
    dl_slice key = {rkm->key, rkm->key_len};
    dl_slice value = {rkm->payload, rkm->len};
    int err;

    if (!hdrs) {
        stage_fail(st, "out of memory building a dead letter");
        return;
    }
    if (DL_LOG_DEBUG >= dl_log_get_level()) {
        char off[24];
        const char *kv[] = {"reason", reason, "detail", detail, "offset", off, NULL};

        snprintf(off, sizeof(off), "%" PRId64, rkm->offset);
        dl_log_write(DL_LOG_DEBUG, "stage", "dead letter", kv);
    }
    err = dl_kafka_sink_produce(st->snk, DL_KAFKA_SINK_DEAD_LETTER, key, value, hdrs,
                                &inf->tickets[TICKET_DEAD]);
    if (err && st->eos && !dl_kafka_sink_rejected(err)) {
        /* The transaction already failed (__STATE): abort and redo it. */
        st->txn.failed = 1;
        return;
    }
    if (err) {
        stage_fail(st, "cannot dead-letter %s[%" PRId32 "]@%" PRId64 " to %s: %s",
                   inflight_topic(inf), rkm->partition, rkm->offset,
                   dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_DEAD_LETTER),
                   rd_kafka_err2str(err));
        return;
    }
    snprintf(inf->reason, sizeof(inf->reason), "%s", reason);
}

/* Produces the dead letters of enriched records the broker rejected. Run
 * from the loop, not from the delivery report: producing may have to poll
 * the producer for queue space, which a delivery callback must not do. */
static void stage_drain_deferred(dl_stage *st)
{
    inflight *inf;

    while ((inf = st->deferred)) {
        st->deferred = inf->next_deferred;
        if (!st->deferred)
            st->deferred_tail = NULL;
        inf->next_deferred = NULL;
        if (dl_offsets_entry_orphaned(inf->ent)) {
            /* Revoked meanwhile: the partition's next owner redoes it. */
            dl_offsets_release(st->ot, inf->ent);
            continue;
        }
        stage_dead_letter(st, inf, "produce", "produce_failed", inf->detail);
    }
}

static void stage_defer(dl_stage *st, inflight *inf)
{
    inf->deferred = 1;
    inf->next_deferred = NULL;
    if (st->deferred_tail)
        st->deferred_tail->next_deferred = inf;
    else
        st->deferred = inf;
    st->deferred_tail = inf;
}

static stage_reject *stage_reject_find(dl_stage *st, const char *topic, int32_t partition,
                                       int64_t offset)
{
    for (size_t i = 0; i < st->txn.n_rejects; i++) {
        stage_reject *rj = &st->txn.rejects[i];

        if (rj->partition == partition && rj->offset == offset && !strcmp(rj->topic, topic))
            return rj;
    }
    return NULL;
}

/* exactly_once: a record of the open transaction failed. */
static void stage_txn_delivery_failed(dl_stage *st, const ticket *t, const rd_kafka_message_t *rkm)
{
    inflight *inf = t->inf;
    const rd_kafka_message_t *orig = inf->rkm;

    st->txn.failed = 1;
    if ((t->kind == TICKET_ENRICHED || t->kind == TICKET_TIMELINE) &&
        dl_kafka_sink_rejected(rkm->err) &&
        !stage_reject_find(st, inflight_topic(inf), orig->partition, orig->offset)) {
        stage_reject *rj;

        if (st->txn.n_rejects == STAGE_MAX_REJECTS) {
            stage_fail(st, "more than %d rejected records in one transaction", STAGE_MAX_REJECTS);
            return;
        }
        rj = &st->txn.rejects[st->txn.n_rejects++];
        snprintf(rj->topic, sizeof(rj->topic), "%s", inflight_topic(inf));
        rj->partition = orig->partition;
        rj->offset = orig->offset;
        rj->kind = t->kind;
        snprintf(rj->detail, sizeof(rj->detail), "%s record (%zu bytes) rejected by %s: %s",
                 ticket_names[t->kind], rkm->len,
                 dl_kafka_sink_topic_name(st->snk, t->kind == TICKET_ENRICHED
                                                       ? DL_KAFKA_SINK_ENRICHED
                                                       : DL_KAFKA_SINK_TIMELINE),
                 rd_kafka_err2str(rkm->err));
        dl_logf(DL_LOG_WARN, "stage",
                "%s[%" PRId32 "]@%" PRId64 ": %s; the transaction is aborted and redone %s",
                inflight_topic(inf), orig->partition, orig->offset, rj->detail,
                t->kind == TICKET_ENRICHED ? "with the message dead-lettered"
                                           : "without its timeline records");
        return;
    }
    if (t->kind == TICKET_DEAD && dl_kafka_sink_rejected(rkm->err)) {
        /* Never drop: a dead letter that cannot be written stops the stage. */
        stage_fail(st, "the dead letter for %s[%" PRId32 "]@%" PRId64 " was rejected: %s",
                   inflight_topic(inf), orig->partition, orig->offset,
                   rd_kafka_err2str(rkm->err));
        return;
    }
    dl_logf(DL_LOG_WARN, "stage",
            "delivery of the %s record for %s[%" PRId32 "]@%" PRId64
            " failed (%s): the transaction will be aborted and redone",
            ticket_names[t->kind], inflight_topic(inf), orig->partition, orig->offset,
            rd_kafka_err2str(rkm->err));
}

/* The message's enriched record or dead letter was acknowledged: how long
 * the stage held it, and how old it is by its own timestamp (a producer's
 * clock for CreateTime, the broker's for LogAppendTime). exactly_once: its
 * transaction is still to commit. */
static void stage_observe_latency(dl_stage *st, const inflight *inf)
{
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(inf->rkm, &tstype);
    int64_t now = dl_wall_ms();
    double age = -1; /* none */

    if (tstype != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts > 0)
        age = ts < now ? (double)(now - ts) / 1e3 : 0; /* a producer's clock ahead: 0 */
    dl_metrics_record_latency(st->metrics, (double)((int64_t)dl_now_us() - inf->consumed_us) / 1e6,
                              age);
}

static void stage_on_delivery(const rd_kafka_message_t *rkm, void *arg)
{
    dl_stage *st = arg;
    ticket *t = rkm->_private;
    inflight *inf = t->inf;
    const rd_kafka_message_t *orig = inf->rkm;

    if (st->destroying)
        return;
    if (!rkm->err && t->kind != TICKET_TIMELINE)
        stage_observe_latency(st, inf);
    if (st->eos) {
        /* Every report releases its hold: what failed is redone by
         * rewinding, never by keeping the entry. */
        if (!rkm->err)
            stats_delivered(&st->txn.pending, t->kind, inf->reason);
        else if (rkm->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
                 rkm->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
            st->stats.failed_deliveries++;
            stage_txn_delivery_failed(st, t, rkm);
        }
        dl_offsets_release(st->ot, inf->ent);
        return;
    }
    if (!rkm->err) {
        stats_delivered(&st->stats, t->kind, inf->reason);
        dl_offsets_release(st->ot, inf->ent);
        return;
    }
    if (rkm->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || rkm->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        return; /* teardown: never acknowledged, so never stored */
    st->stats.failed_deliveries++;
    if (dl_offsets_entry_orphaned(inf->ent)) {
        dl_logf(DL_LOG_WARN, "stage",
                "%s record for revoked %s[%" PRId32 "]@%" PRId64
                " failed (%s); its next owner consumes it again",
                ticket_names[t->kind], inflight_topic(inf), orig->partition, orig->offset,
                rd_kafka_err2str(rkm->err));
        dl_offsets_release(st->ot, inf->ent);
        return;
    }
    if (t->kind == TICKET_TIMELINE && dl_kafka_sink_rejected(rkm->err)) {
        /* A timeline message derives from the enriched record, which holds
         * the article: log the loss, do not stop. */
        dl_logf(DL_LOG_WARN, "stage", "%s[%" PRId32 "]@%" PRId64 ": timeline record rejected: %s",
                inflight_topic(inf), orig->partition, orig->offset, rd_kafka_err2str(rkm->err));
        dl_offsets_release(st->ot, inf->ent);
        return;
    }
    if (t->kind == TICKET_ENRICHED && dl_kafka_sink_rejected(rkm->err)) {
        if (inf->deferred) {
            /* Already on its way to the dead-letter topic. */
            dl_offsets_release(st->ot, inf->ent);
            return;
        }
        /* The hold of the rejected record passes to its dead letter. */
        snprintf(inf->detail, sizeof(inf->detail), "enriched record (%zu bytes) rejected by %s: %s",
                 rkm->len, dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_ENRICHED),
                 rd_kafka_err2str(rkm->err));
        dl_logf(DL_LOG_WARN, "stage", "%s[%" PRId32 "]@%" PRId64 ": %s", inflight_topic(inf),
                orig->partition, orig->offset, inf->detail);
        stage_defer(st, inf);
        return;
    }
    /* Never drop: keep the hold (the offset is not stored) and stop. */
    stage_fail(st, "delivery of the %s record for %s[%" PRId32 "]@%" PRId64 " failed: %s",
               ticket_names[t->kind], inflight_topic(inf), orig->partition, orig->offset,
               rd_kafka_err2str(rkm->err));
}

/* ---- exactly_once: the producer transaction ------------------------------ */

static void stage_txn_reset(dl_stage *st)
{
    st->txn.open = 0;
    st->txn.failed = 0;
    st->txn.msgs = 0;
    st->txn.bytes = 0;
    memset(&st->txn.pending, 0, sizeof(st->txn.pending));
    if (st->txn.first) {
        rd_kafka_topic_partition_list_destroy(st->txn.first);
        st->txn.first = NULL;
    }
    if (st->txn.next) {
        rd_kafka_topic_partition_list_destroy(st->txn.next);
        st->txn.next = NULL;
    }
}

static int stage_txn_begin(dl_stage *st)
{
    char msg[512];
    dl_kafka_txn_result r = dl_kafka_sink_txn_begin(st->snk, msg, sizeof(msg));

    if (r != DL_KAFKA_TXN_OK) {
        stage_fail(st, "%s", msg);
        return -1;
    }
    st->txn.open = 1;
    st->txn.started_ms = dl_now_ms();
    if (!(st->txn.first = rd_kafka_topic_partition_list_new(8)) ||
        !(st->txn.next = rd_kafka_topic_partition_list_new(8))) {
        stage_fail(st, "out of memory");
        return -1;
    }
    return 0;
}

/* Records a consumed message's position in the open transaction. */
static void stage_txn_track(dl_stage *st, const rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    rd_kafka_topic_partition_t *tp;

    if (!rd_kafka_topic_partition_list_find(st->txn.first, topic, rkm->partition))
        rd_kafka_topic_partition_list_add(st->txn.first, topic, rkm->partition)->offset =
            rkm->offset;
    if (!(tp = rd_kafka_topic_partition_list_find(st->txn.next, topic, rkm->partition)))
        tp = rd_kafka_topic_partition_list_add(st->txn.next, topic, rkm->partition);
    tp->offset = rkm->offset + 1;
    st->txn.msgs++;
    st->txn.bytes += rkm->len;
}

/*
 * Aborts the open transaction and rewinds every partition it read (except
 * those in @p skip, being revoked) to its first offset, so the next
 * transaction consumes the same messages again.
 */
static void stage_txn_abort(dl_stage *st, const rd_kafka_topic_partition_list_t *skip)
{
    char msg[512];
    dl_kafka_txn_result r;
    rd_kafka_topic_partition_list_t *rewind = NULL;
    int64_t deadline = dl_now_ms() + 5000;

    if (!st->txn.open)
        return;
    do {
        r = dl_kafka_sink_txn_abort(st->snk, -1, msg, sizeof(msg));
    } while (r == DL_KAFKA_TXN_RETRY && !*st->stop && dl_now_ms() < deadline);
    if (r != DL_KAFKA_TXN_OK) {
        stage_fail(st, "%s", msg);
        return;
    }
    st->stats.txn_aborts++;
    st->txn.aborts_in_row++;
    /* The purged records report __PURGE_*, releasing their holds. */
    for (int i = 0; i < 100 && dl_kafka_sink_outq_len(st->snk) > 0; i++)
        dl_kafka_sink_poll(st->snk, 10);
    dl_offsets_revoke_all(st->ot);
    if ((rewind = rd_kafka_topic_partition_list_new(st->txn.first->cnt + 1))) {
        for (int i = 0; i < st->txn.first->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &st->txn.first->elems[i];

            if (skip && rd_kafka_topic_partition_list_find(skip, tp->topic, tp->partition))
                continue;
            if (!dl_kafka_source_assigned(st->src, tp->topic, tp->partition))
                continue;
            rd_kafka_topic_partition_list_add(rewind, tp->topic, tp->partition)->offset =
                tp->offset;
        }
    }
    dl_logf(DL_LOG_WARN, "stage",
            "transaction aborted (%zu messages); rewinding %d partitions to redo it",
            st->txn.msgs, rewind ? rewind->cnt : 0);
    stage_txn_reset(st);
    if (!rewind || dl_kafka_source_seek(st->src, rewind, STAGE_SEEK_TIMEOUT_MS))
        stage_fail(st, "cannot rewind after an aborted transaction");
    if (rewind)
        rd_kafka_topic_partition_list_destroy(rewind);
    if (st->txn.aborts_in_row >= STAGE_TXN_MAX_ABORTS)
        stage_fail(st, "%u transactions in a row were aborted", st->txn.aborts_in_row);
}

/*
 * Commits the open transaction: the consumed positions join it, then it is
 * committed (which flushes every record first). @p timeout_ms < 0: the
 * transaction's own timeout (librdkafka's advice). On an abortable error
 * it aborts and rewinds; on a fatal one (fenced) the stage fails.
 * @returns 0 if committed (or nothing was open).
 */
static void stage_collect_all(dl_stage *st);

static int stage_txn_commit(dl_stage *st, int timeout_ms,
                            const rd_kafka_topic_partition_list_t *skip)
{
    char msg[512];
    dl_kafka_txn_result r = DL_KAFKA_TXN_OK;
    rd_kafka_consumer_group_metadata_t *cgmd;
    int64_t deadline;

    /* Every message of the transaction must have its records in it. */
    stage_collect_all(st);
    deadline = dl_now_ms() + (timeout_ms < 0 ? 60000 : timeout_ms);
    if (!st->txn.open)
        return 0;
    if (st->fail.failed)
        return -1; /* left open: the coordinator aborts it (or our successor fences it) */
    if (st->txn.failed)
        goto abort;
    if (st->txn.next->cnt > 0) {
        if (!(cgmd = dl_kafka_source_group_metadata(st->src))) {
            snprintf(msg, sizeof(msg), "no consumer group metadata");
            goto abort;
        }
        do {
            r = dl_kafka_sink_txn_send_offsets(st->snk, st->txn.next, cgmd,
                                               timeout_ms < 0 ? 30000 : timeout_ms, msg,
                                               sizeof(msg));
        } while (r == DL_KAFKA_TXN_RETRY && dl_now_ms() < deadline);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (r != DL_KAFKA_TXN_OK)
            goto failed;
    }
    do {
        r = dl_kafka_sink_txn_commit(st->snk, timeout_ms, msg, sizeof(msg));
    } while (r == DL_KAFKA_TXN_RETRY && dl_now_ms() < deadline);
    if (r != DL_KAFKA_TXN_OK)
        goto failed;
    if (st->txn.failed) /* cannot happen after a successful commit; be safe */
        goto abort;
    DL_LOG(DL_LOG_DEBUG, "stage", "transaction committed: %zu messages, %zu bytes", st->txn.msgs,
           st->txn.bytes);
    stats_merge(&st->stats, &st->txn.pending);
    st->stats.txn_commits++;
    st->txn.aborts_in_row = 0;
    /* Everything is delivered: drop the tracking of what was committed. */
    dl_offsets_advance(st->ot, NULL, NULL);
    stage_txn_reset(st);
    return 0;
failed:
    if (r == DL_KAFKA_TXN_FATAL) {
        stage_fail(st, "%s", msg);
        return -1;
    }
    dl_logf(DL_LOG_WARN, "stage", "%s", msg);
abort:
    stage_txn_abort(st, skip);
    return -1;
}

/* ---- processing ---------------------------------------------------------- */

/* The timeline messages of an enriched article, one hold each, so the
 * message's offset is stored only after all of them are acknowledged. A
 * message that cannot fit the topic is skipped with a warning. */
static void stage_produce_timeline(dl_stage *st, inflight *inf, const dl_result *res)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    size_t limit;
    int rc;

    for (size_t i = 0; i < res->n_timeline && !st->fail.failed && !inf->no_timeline; i++) {
        const dl_record *r = &res->timeline[i];
        dl_slice key = {r->key, r->key_len};
        dl_slice value = {r->value, r->value_len};

        if (!dl_kafka_sink_fits(st->snk, DL_KAFKA_SINK_TIMELINE, r->key_len, r->value_len,
                                &limit)) {
            dl_logf(DL_LOG_WARN, "stage",
                    "%s[%" PRId32 "]@%" PRId64 ": timeline record (%zu bytes) too large for %s",
                    inflight_topic(inf), rkm->partition, rkm->offset, r->value_len,
                    dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_TIMELINE));
            continue;
        }
        dl_offsets_hold(inf->ent);
        rc = dl_kafka_sink_produce(st->snk, DL_KAFKA_SINK_TIMELINE, key, value, NULL,
                                   &inf->tickets[TICKET_TIMELINE]);
        if (!rc)
            continue;
        if (st->eos && !dl_kafka_sink_rejected(rc)) {
            st->txn.failed = 1;
            dl_offsets_release(st->ot, inf->ent);
            return;
        }
        if (dl_kafka_sink_rejected(rc)) {
            dl_logf(DL_LOG_WARN, "stage", "%s[%" PRId32 "]@%" PRId64 ": timeline record: %s",
                    inflight_topic(inf), rkm->partition, rkm->offset, rd_kafka_err2str(rc));
            dl_offsets_release(st->ot, inf->ent);
            continue;
        }
        /* Never drop: keep the hold (the offset is not stored) and stop. */
        stage_fail(st, "cannot produce to %s for %s[%" PRId32 "]@%" PRId64 ": %s",
                   dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_TIMELINE), inflight_topic(inf),
                   rkm->partition, rkm->offset, rd_kafka_err2str(rc));
        return;
    }
}

/* Produces what a processed message gives: its enriched record (and its
 * timeline messages) or its dead letter. Each record produced takes a hold
 * on the entry first. */
static void stage_produce_outputs(dl_stage *st, inflight *inf, dl_result *res)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    size_t limit;
    int rc;

    dl_offsets_hold(inf->ent);
    if (res->dead) {
        const char *reason = res->reason && res->reason[0] ? res->reason : "unknown";

        stage_dead_letter(st, inf, dl_dead_letter_stage(reason), reason, res->detail);
        return;
    }
    if (!dl_kafka_sink_fits(st->snk, DL_KAFKA_SINK_ENRICHED, res->key_len, res->record_len,
                            &limit)) {
        /* Known before producing: the broker would reject it (and inside a
         * transaction fail every other record with it). */
        snprintf(inf->detail, sizeof(inf->detail),
                 "enriched record (%zu bytes) too large for %s (max.message.bytes %zu)",
                 res->record_len, dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_ENRICHED),
                 limit);
        stage_dead_letter(st, inf, "produce", "produce_failed", inf->detail);
        return;
    }
    {
        dl_slice key = {res->key, res->key_len};
        dl_slice value = {res->record, res->record_len};

        rc = dl_kafka_sink_produce(st->snk, DL_KAFKA_SINK_ENRICHED, key, value, NULL,
                                   &inf->tickets[TICKET_ENRICHED]);
    }
    if (!rc) {
        stage_produce_timeline(st, inf, res);
        return; /* counted on delivery */
    }
    if (st->eos && !dl_kafka_sink_rejected(rc)) {
        /* The transaction already failed (__STATE): abort and redo it. */
        st->txn.failed = 1;
        return;
    }
    if (dl_kafka_sink_rejected(rc)) {
        snprintf(inf->detail, sizeof(inf->detail), "enriched record (%zu bytes) rejected for %s: %s",
                 res->record_len, dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_ENRICHED),
                 rd_kafka_err2str(rc));
        stage_dead_letter(st, inf, "produce", "produce_failed", inf->detail);
        return;
    }
    stage_fail(st, "cannot produce to %s for %s[%" PRId32 "]@%" PRId64 ": %s",
               dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_ENRICHED), inflight_topic(inf),
               rkm->partition, rkm->offset, rd_kafka_err2str(rc));
}

/* The stage's own budgets on what extraction gave (extract.max_ms,
 * extract.max_record_bytes): over budget is a dead letter, not a record. */
static void stage_check_budget(const dl_stage *st, dl_result *res, uint64_t took_us)
{
    const dl_config *cfg = st->cfg;
    char detail[sizeof(res->detail)];

    if (res->dead)
        return;
    if (cfg->extract.max_ms > 0 && took_us / 1000 > (uint64_t)cfg->extract.max_ms) {
        snprintf(detail, sizeof(detail), "extraction took %llu ms (extract.max_ms is %d)",
                 (unsigned long long)(took_us / 1000), cfg->extract.max_ms);
        dl_result_fini(res);
        res->dead = 1;
        res->reason = "extract_timeout";
    } else if (cfg->extract.max_record_bytes > 0 &&
               res->record_len > cfg->extract.max_record_bytes) {
        snprintf(detail, sizeof(detail),
                 "enriched record of %zu bytes (extract.max_record_bytes is %zu)",
                 res->record_len, cfg->extract.max_record_bytes);
        dl_result_fini(res);
        res->dead = 1;
        res->reason = "extract_too_large";
    } else {
        return;
    }
    memcpy(res->detail, detail, sizeof(detail));
}

/* A message's lane in the pool: results of one lane are produced in
 * consumption order. With runtime.order "partition" a lane is a partition
 * (the partitions of a topic get distinct lanes; a collision across topics
 * only orders two partitions together); with "key" a key of a partition,
 * so an article holds back only the later ones of its key (a message
 * without a key those of the partition without one). A collision orders
 * two keys together, nothing more. */
static uint64_t stage_lane(const dl_stage *st, const rd_kafka_message_t *rkm, const char *topic)
{
    uint64_t lane = dl_fnv1a64(DL_FNV64_SEED, topic, strlen(topic)) ^ (uint32_t)rkm->partition;

    if (st->cfg->runtime.order == DL_ORDER_KEY && rkm->key)
        lane = dl_fnv1a64(lane, rkm->key, rkm->key_len);
    return lane;
}

static void stage_process(dl_stage *st, rd_kafka_message_t *rkm)
{
    inflight *inf;
    dl_offsets_entry *ent;
    dl_message msg;
    stage_reject *rj;

    if (!(inf = calloc(1, sizeof(*inf)))) {
        rd_kafka_message_destroy(rkm);
        stage_fail(st, "out of memory");
        return;
    }
    inf->st = st;
    inf->consumed_us = (int64_t)dl_now_us();
    inf->rkm = rkm;
    inf->bytes = rkm->len;
    st->inflight_bytes += inf->bytes;
    for (int k = 0; k < TICKETS; k++)
        inf->tickets[k] = (ticket){inf, k};
    ent = dl_offsets_add(st->ot, inflight_topic(inf), rkm->partition, rkm->offset, inf);
    if (!ent) {
        inflight_free(inf);
        stage_fail(st, "out of memory");
        return;
    }
    inf->ent = ent; /* inf now belongs to the tracker */
    st->stats.consumed++;
    if (st->eos) {
        if (!st->txn.open && stage_txn_begin(st))
            return; /* failed: the processing hold stays, nothing is committed */
        stage_txn_track(st, rkm);
        if ((rj = stage_reject_find(st, inflight_topic(inf), rkm->partition, rkm->offset)) &&
            rj->kind == TICKET_TIMELINE) {
            /* Its timeline failed the last transaction: enrich it without. */
            inf->no_timeline = 1;
            *rj = st->txn.rejects[--st->txn.n_rejects];
        } else if (rj) {
            /* Its record failed the last transaction: dead-letter it now,
             * after the records of the messages before it. */
            stage_collect_all(st);
            snprintf(inf->detail, sizeof(inf->detail), "%s", rj->detail);
            *rj = st->txn.rejects[--st->txn.n_rejects];
            dl_offsets_hold(ent);
            stage_dead_letter(st, inf, "produce", "produce_failed", inf->detail);
            dl_offsets_release(st->ot, ent);
            return;
        }
    }

    if (st->eos && st->txn.failed) {
        /* Part of a transaction to abort: the rewind brings it back. */
        dl_offsets_release(st->ot, ent);
        return;
    }
    /* Extraction runs on the pool; stage_processed() takes it from there,
     * in consumption order within the partition (its lane). The processing
     * hold keeps inf (and rkm) alive. */
    dl_kafka_message_view(inf->rkm, st->cfg->input.date_header, &msg);
    dl_workpool_submit_lane(st->wp, &msg, stage_lane(st, rkm, inflight_topic(inf)), inf);
}

/* A message's extraction is done: produce its outputs (on the poll thread). */
static void stage_processed(dl_stage *st, dl_work_done *done)
{
    inflight *inf = done->opaque;
    dl_offsets_entry *ent = inf->ent;
    const rd_kafka_message_t *rkm = inf->rkm;

    if (st->fail.failed) {
        /* Stopping on a failure: as if it had not been consumed. */
        dl_result_fini(&done->res);
        return;
    }
    if (done->rc < 0) {
        /* Internal failure (out of memory): keep the processing hold so the
         * offset is never stored, and stop. */
        stage_fail(st, "pipeline failed on %s[%" PRId32 "]@%" PRId64 " (error %d)",
                   inflight_topic(inf), rkm->partition, rkm->offset, done->rc);
        dl_result_fini(&done->res);
        return;
    }
    if (st->eos && st->txn.failed) {
        /* The transaction failed while it was extracted: the rewind brings
         * it back. */
        dl_result_fini(&done->res);
        dl_offsets_release(st->ot, ent);
        return;
    }
    dl_metrics_extract_seconds(st->metrics, (double)done->took_us / 1e6);
    stage_check_budget(st, &done->res, done->took_us);
    stage_produce_outputs(st, inf, &done->res);
    dl_result_fini(&done->res);
    /* Drop the processing hold last: deliveries served while producing
     * (queue full) must not complete the entry early. inf may be freed. */
    dl_offsets_release(st->ot, ent);
}

/* Hands finished extractions to stage_processed(), oldest first: those done
 * now (@p wait_ms 0), or waiting up to @p wait_ms for the oldest. */
static void stage_collect(dl_stage *st, int wait_ms)
{
    dl_work_done done;

    if (!st->wp)
        return;
    while (dl_workpool_take(st->wp, wait_ms, &done)) {
        stage_processed(st, &done);
        wait_ms = 0;
    }
}

/* Waits for every extraction in progress and produces its outputs: before
 * anything that needs "all consumed messages have their records produced"
 * (a transaction commit, a revocation, a stop), as when extraction ran on
 * this thread. */
static void stage_collect_all(dl_stage *st)
{
    dl_work_done done;

    while (st->wp && dl_workpool_take(st->wp, -1, &done))
        stage_processed(st, &done);
}

static void stage_store_add(const char *topic, int32_t partition, int64_t next, void *arg)
{
    rd_kafka_topic_partition_list_t **list = arg;

    if (!*list && !(*list = rd_kafka_topic_partition_list_new(8)))
        return;
    rd_kafka_topic_partition_list_add(*list, topic, partition)->offset = next;
}

/* Stores the watermark of every partition whose done prefix grew. */
static void stage_store(dl_stage *st)
{
    rd_kafka_topic_partition_list_t *list = NULL;

    dl_offsets_advance(st->ot, stage_store_add, &list);
    if (list) {
        dl_kafka_source_store(st->src, list);
        st->stored = 1;
        rd_kafka_topic_partition_list_destroy(list);
    }
}

/* Serves delivery reports (and deferred dead letters) until nothing is
 * outstanding or @p deadline passes. @returns what is still outstanding. */
static int stage_drain(dl_stage *st, int64_t deadline)
{
    for (;;) {
        int64_t now;
        int left;

        stage_drain_deferred(st);
        left = dl_kafka_sink_outq_len(st->snk);
        if (left == 0 && !st->deferred)
            return 0;
        now = dl_now_ms();
        if (now >= deadline)
            return left + (st->deferred ? 1 : 0);
        dl_kafka_sink_flush(st->snk, (int)(deadline - now < 100 ? deadline - now : 100));
    }
}

static void stage_on_assigned(const rd_kafka_topic_partition_list_t *parts, void *arg)
{
    dl_stage *st = arg;

    st->stats.rebalances++;
    dl_metrics_assigned(st->metrics, parts->cnt);
}

static void stage_on_revoked(const rd_kafka_topic_partition_list_t *parts, int lost, void *arg)
{
    dl_stage *st = arg;

    st->stats.rebalances++;
    stage_collect_all(st);
    if (st->eos) {
        /* The transaction holds work of these partitions: commit it while
         * they are still ours, or abort it (lost: offsets of a lost
         * partition can no longer be committed). Either way nothing of
         * theirs stays in flight. */
        if (lost || st->fail.failed)
            stage_txn_abort(st, parts);
        else
            stage_txn_commit(st, st->stopping ? stage_left(st->stop_end_ms, STAGE_MIN_COMMIT_MS)
                                              : -1,
                             parts);
    } else if (!lost) {
        /* Finish what we can so the next owner does not redo it: deliver,
         * store, and commit before the partitions go. A rebalance gets the
         * grace period; the final one (leaving the group) what is left. */
        int64_t now = dl_now_ms();
        int64_t flush_end =
            st->stopping ? st->flush_end_ms : now + st->cfg->runtime.shutdown_grace_ms;
        int64_t commit_end = st->stopping ? st->stop_end_ms : flush_end + STAGE_COMMIT_TIMEOUT_MS;
        int left = stage_drain(st, flush_end);

        stage_store(st);
        if (left)
            dl_logf(DL_LOG_WARN, "stage",
                    "%d records unacknowledged at revocation; their messages will be "
                    "consumed again",
                    left);
        now = dl_now_ms();
        dl_kafka_source_commit_wait(
            st->src,
            (int)(commit_end > now + STAGE_MIN_COMMIT_MS ? commit_end - now : STAGE_MIN_COMMIT_MS));
    }
    /* Whatever is still in flight becomes an orphan: never stored. */
    for (int i = 0; i < parts->cnt; i++)
        dl_offsets_revoke(st->ot, parts->elems[i].topic, parts->elems[i].partition);
    dl_metrics_assigned(st->metrics, -parts->cnt);
}

void dl_stage_set_metrics(dl_stage *st, dl_metrics *m)
{
    st->metrics = m;
}

void dl_stage_on_reload(dl_stage *st, const volatile sig_atomic_t *flag, dl_stage_reload_fn *fn,
                        void *arg)
{
    st->reload = flag;
    st->reload_fn = fn;
    st->reload_arg = arg;
}

/* A worker finished a job, or delivery reports arrived (on a worker or a
 * librdkafka thread): end the loop's wait in the consumer poll, so results
 * are produced and offsets stored as soon as they can be. */
static void stage_wake(void *arg)
{
    dl_stage *st = arg;

    if (st->src)
        dl_kafka_source_wake(st->src);
}

static int stage_pool_start(dl_stage *st, dl_err *err)
{
    int n = st->cfg->runtime.workers > 0 ? st->cfg->runtime.workers : 1;
    dl_workpool_opts opts = {.threads = n,
                             .long_threads = st->cfg->runtime.long_workers,
                             .long_bytes = st->cfg->runtime.long_article_bytes,
                             .depth = (size_t)n * STAGE_JOBS_PER_WORKER};

    st->wp = dl_workpool_new(st->pl, &opts, err);
    if (!st->wp)
        return err->code ? err->code : DL_ENOMEM;
    /* st->src is set before the first job is submitted. */
    dl_workpool_on_done(st->wp, stage_wake, st);
    return 0;
}

/* Once per loop turn, between messages: liveness, lag, and a requested
 * rules reload (no message is in dl_pipeline_process() now; records already
 * produced were copied, so the old pipeline can go). */
static void stage_ops_tick(dl_stage *st)
{
    dl_pipeline *pl;

    dl_metrics_heartbeat(st->metrics);
    dl_metrics_set_inflight(st->metrics, (int64_t)dl_offsets_tracked(st->ot));
    dl_metrics_update_lag(st->metrics, dl_kafka_source_handle(st->src));
    if (st->reload && *st->reload && st->reload_fn) {
        dl_err err = {0};
        /* The workers use the old pipeline (and its rules) until they stop. */
        stage_collect_all(st);
        dl_workpool_destroy(st->wp);
        st->wp = NULL;
        if ((pl = st->reload_fn(st->pl, st->reload_arg)))
            st->pl = pl;
        if (stage_pool_start(st, &err))
            stage_fail(st, "cannot restart the extraction threads: %s", err.msg);
    }
}

void dl_stage_get_stats(const dl_stage *st, dl_stage_stats *out)
{
    *out = st->stats;
    out->inflight = dl_offsets_tracked(st->ot);
    out->inflight_bytes = st->inflight_bytes;
}

void dl_stage_on_stats(dl_stage *st, dl_stage_stats_fn *fn, void *arg)
{
    st->stats_fn = fn;
    st->stats_arg = arg;
}

static void stage_stats_hook(dl_stage *st, int64_t now, int force)
{
    dl_stage_stats snap;

    if (!st->stats_fn || (!force && now < st->next_stats_hook))
        return;
    st->next_stats_hook = now + STAGE_STATS_HOOK_MS;
    dl_stage_get_stats(st, &snap);
    st->stats_fn(&snap, st->stats_arg);
}

static void stage_log_stats(const dl_stage *st, const char *msg)
{
    char consumed[24], enriched[24], dead[24], failed[24], rebalances[24], tracked[24];
    char bytes[24], pauses[24], refills[24], commits[24], aborts[24];
    char reasons[1024];
    size_t used = 0;
    const stage_stats *s = &st->stats;
    /* clang-format off */
    const char *kv[] = {
        "consumed", consumed,
        "enriched", enriched,
        "dead_lettered", dead,
        "dead_letter_reasons", reasons,
        "failed_deliveries", failed,
        "rebalances", rebalances,
        "inflight", tracked,
        "inflight_bytes", bytes,
        "pauses", pauses,
        "refills", refills,
        st->eos ? "txn_commits" : NULL, commits,
        "txn_aborts", aborts,
        NULL,
    };
    /* clang-format on */

    snprintf(consumed, sizeof(consumed), "%" PRIu64, s->consumed);
    snprintf(enriched, sizeof(enriched), "%" PRIu64, s->enriched);
    snprintf(dead, sizeof(dead), "%" PRIu64, s->dead_letters);
    snprintf(failed, sizeof(failed), "%" PRIu64, s->failed_deliveries);
    snprintf(rebalances, sizeof(rebalances), "%" PRIu64, s->rebalances);
    snprintf(tracked, sizeof(tracked), "%zu", dl_offsets_tracked(st->ot));
    snprintf(bytes, sizeof(bytes), "%zu", st->inflight_bytes);
    snprintf(pauses, sizeof(pauses), "%" PRIu64, s->pauses);
    snprintf(refills, sizeof(refills), "%" PRIu64, s->refills);
    snprintf(commits, sizeof(commits), "%" PRIu64, s->txn_commits);
    snprintf(aborts, sizeof(aborts), "%" PRIu64, s->txn_aborts);
    reasons[0] = '\0';
    for (size_t i = 0; i < s->n_reasons; i++) {
        int n = snprintf(reasons + used, sizeof(reasons) - used, "%s%s=%" PRIu64, i ? "," : "",
                         s->reasons[i].reason, s->reasons[i].n);

        if (n < 0 || (size_t)n >= sizeof(reasons) - used)
            break;
        used += (size_t)n;
    }
    dl_log_write(DL_LOG_INFO, "stage", msg, kv);
}

static void stage_check_fatal(dl_stage *st)
{
    char msg[512];

    if (dl_kafka_sink_fatal(st->snk, msg, sizeof(msg)) ||
        dl_kafka_source_fatal(st->src, msg, sizeof(msg)))
        stage_fail(st, "%s", msg);
}

/*
 * Bounds in-flight work: runtime.max_inflight messages and
 * runtime.max_inflight_bytes consumed bytes not yet stored, and the
 * producer's queue (queue.buffering.max.messages).
 *
 * at_least_once: over a bound the loop stops taking messages and waits on
 * delivery reports instead. A full producer queue pauses the assignment at
 * once; at the in-flight bounds the pause comes if waiting lasts (slow or
 * unreachable brokers), so that the consumer can keep being polled
 * (rebalances, max.poll.interval.ms) without fetching. Pausing is not the
 * first step there because resuming costs a fetch round trip: with a small
 * bound a pause per burst would throttle the stage. It resumes once all
 * three are down to a half (the queue to a quarter).
 *
 * exactly_once: reaching a bound commits the transaction, which flushes.
 * @returns 1 while the stage must not take new messages.
 */
static int stage_backpressure(dl_stage *st, int64_t now)
{
    size_t tracked = dl_offsets_tracked(st->ot);
    int queue_full = dl_kafka_sink_queue_full(st->snk);
    int over = tracked >= st->max_inflight || st->inflight_bytes >= st->max_inflight_bytes;

    if (st->eos) {
        if ((over || queue_full) && st->txn.open)
            stage_txn_commit(st, -1, NULL);
        return 0;
    }
    if (over || queue_full) {
        if (!st->full_since)
            st->full_since = now;
        if (!st->paused && (queue_full || now - st->full_since >= STAGE_PAUSE_AFTER_MS)) {
            st->paused = 1;
            st->stats.pauses++;
            dl_kafka_source_pause(st->src, 1);
            dl_logf(DL_LOG_INFO, "stage",
                    "pausing consumption: %zu messages (%zu bytes) in flight, %d records queued%s",
                    tracked, st->inflight_bytes, dl_kafka_sink_outq_len(st->snk),
                    queue_full ? " (producer queue full)" : "");
        }
        return 1;
    }
    st->full_since = 0;
    if (st->paused && tracked <= st->max_inflight / 2 &&
        st->inflight_bytes <= st->max_inflight_bytes / 2 && dl_kafka_sink_queue_drained(st->snk)) {
        st->paused = 0;
        dl_kafka_source_pause(st->src, 0);
        dl_logf(DL_LOG_INFO, "stage", "resuming consumption: %zu messages (%zu bytes) in flight",
                tracked, st->inflight_bytes);
    }
    return st->paused;
}

/* exactly_once: librdkafka retries init_transactions while the cluster is
 * unreachable; it also fences an earlier instance with our transactional.id
 * and aborts its open transaction. */
static int stage_txn_init(dl_stage *st, dl_err *err)
{
    char msg[512];
    dl_kafka_txn_result r = DL_KAFKA_TXN_RETRY;

    for (int i = 0; i < STAGE_TXN_INIT_TRIES && r == DL_KAFKA_TXN_RETRY && !*st->stop; i++) {
        r = dl_kafka_sink_txn_init(st->snk, STAGE_TXN_INIT_MS, msg, sizeof(msg));
        if (r == DL_KAFKA_TXN_RETRY)
            dl_logf(DL_LOG_WARN, "stage", "%s; retrying", msg);
    }
    if (r != DL_KAFKA_TXN_OK)
        return dl_err_set(err, DL_EKAFKA, "%s", *st->stop ? "stopped" : msg);
    dl_logf(DL_LOG_INFO, "stage", "transactions initialised (transactional.id %s)",
            dl_kafka_sink_txn_name(st->snk));
    return 0;
}

dl_stage *dl_stage_new(const dl_config *cfg, dl_pipeline *pl, const volatile sig_atomic_t *stop,
                       dl_err *err)
{
    dl_stage *st;
    dl_kafka_source_handlers h;

    if (!(st = calloc(1, sizeof(*st)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    st->cfg = cfg;
    st->pl = pl;
    st->stop = stop;
    st->eos = cfg->delivery == DL_DELIVERY_EXACTLY_ONCE;
    st->max_inflight_bytes = cfg->runtime.max_inflight_bytes > 0 ? cfg->runtime.max_inflight_bytes
                                                                 : (size_t)64 << 20;
    st->max_inflight =
        cfg->runtime.max_inflight > 0 ? (size_t)cfg->runtime.max_inflight : STAGE_DEFAULT_INFLIGHT;
    if (!(st->ot = dl_offsets_new(inflight_free))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
    if (stage_pool_start(st, err))
        goto fail;
    h.assigned = stage_on_assigned;
    h.revoked = stage_on_revoked;
    h.arg = st;
    /* Both configurations are complete and checked before either client
     * exists: a typo in kafka.consumer never leaves a producer connected. */
    if (!(st->snk = dl_kafka_sink_new(cfg, stage_on_delivery, st, err)) ||
        !(st->src = dl_kafka_source_new(cfg, &h, err)))
        goto fail;
    /* Output topics are checked before joining the group: a typo in a
     * topic name would otherwise surface only as failed deliveries. */
    if (dl_kafka_sink_start(st->snk, err) ||
        dl_kafka_sink_check_topics(st->snk, STAGE_METADATA_TIMEOUT_MS, err) ||
        (st->eos && stage_txn_init(st, err)) || dl_kafka_source_start(st->src, err))
        goto fail;
    dl_kafka_sink_on_report(st->snk, stage_wake, st);
    return st;
fail:
    dl_stage_destroy(st);
    return NULL;
}


/*
 * The orderly stop, bounded by runtime.shutdown_grace_ms: deliveries get
 * the grace period less a reserve for committing and leaving the group
 * (both waited on with deadlines, so a hung broker cannot hold us).
 */
static int stage_stop(dl_stage *st, dl_err *err)
{
    int grace = st->cfg->runtime.shutdown_grace_ms;
    int reserve = grace / 4 < STAGE_COMMIT_TIMEOUT_MS ? grace / 4 : STAGE_COMMIT_TIMEOUT_MS;
    int left;
    char msg[512];

    st->stopping = 1;
    /* What was consumed is extracted and produced, as if on this thread. */
    stage_collect_all(st);
    /* Not ready from now on; /ready no longer touches the consumer. */
    dl_metrics_set_running(st->metrics, 0);
    dl_metrics_set_probe(st->metrics, NULL);
    st->stop_end_ms = dl_now_ms() + grace;
    st->flush_end_ms = st->stop_end_ms - reserve;
    dl_logf(DL_LOG_INFO, "stage", "stopping (%s): flushing %d records, %zu messages in flight",
            st->fail.failed ? "fatal error" : "signal", dl_kafka_sink_outq_len(st->snk),
            dl_offsets_tracked(st->ot));
    if (st->eos) {
        /* Stop fetching; commit what was done (records and offsets). */
        if (stage_txn_commit(st, stage_left(st->flush_end_ms, STAGE_MIN_COMMIT_MS), NULL) &&
            !st->fail.failed)
            dl_logf(DL_LOG_WARN, "stage",
                    "the last transaction was not committed; its messages will be consumed again");
        left = 0;
    } else {
        /* Stop fetching; deliver what was produced; store what is done. */
        left = stage_drain(st, st->flush_end_ms);
    }
    stage_store(st);
    if (left)
        dl_logf(DL_LOG_WARN, "stage",
                "%d records not acknowledged within runtime.shutdown_grace_ms (%d ms); their "
                "messages will be consumed again",
                left, grace);
    if (!st->eos && !dl_kafka_source_fatal(st->src, msg, sizeof(msg)))
        dl_kafka_source_commit_wait(st->src, stage_left(st->stop_end_ms, STAGE_MIN_COMMIT_MS));
    /* Leaving the group revokes the assignment through stage_on_revoked(). */
    dl_kafka_source_close(st->src, stage_left(st->stop_end_ms, STAGE_MIN_COMMIT_MS));
    stage_log_stats(st, "final stats");
    stage_stats_hook(st, dl_now_ms(), 1);
    if (st->fail.failed) {
        dl_failure_summary(&st->fail, "stage");
        return dl_err_set(err, DL_EKAFKA, "%s", st->fail.msg);
    }
    dl_logf(DL_LOG_INFO, "stage", "stopped");
    return 0;
}

int dl_stage_run(dl_stage *st, dl_err *err)
{
    const dl_config *cfg = st->cfg;
    int64_t next_stats = dl_now_ms() + STAGE_STATS_INTERVAL_MS;
    int commit_interval =
        cfg->runtime.commit_interval_ms > 0 ? cfg->runtime.commit_interval_ms : 1000;
    int64_t next_commit = dl_now_ms() + commit_interval;
    char inflight_str[24];
    /* clang-format off */
    const char *kv[] = {
        "brokers", cfg->kafka.brokers,
        "group", cfg->kafka.group_id,
        "input", cfg->topics.input,
        "enriched", cfg->topics.enriched,
        "dead_letter", cfg->topics.dead_letter,
        "delivery", dl_delivery_name(cfg->delivery),
        "max_inflight", inflight_str,
        "librdkafka", rd_kafka_version_str(),
        NULL,
    };
    /* clang-format on */

    snprintf(inflight_str, sizeof(inflight_str), "%zu", st->max_inflight);
    dl_log_write(DL_LOG_INFO, "stage", "starting", kv);
    /* The producer: the consumer's connections hold long-polling fetches,
     * which would delay the probe's metadata request by fetch.wait.max.ms. */
    dl_metrics_set_probe(st->metrics, dl_kafka_sink_handle(st->snk));
    dl_metrics_set_running(st->metrics, 1);

    while (!*st->stop && !st->fail.failed) {
        rd_kafka_message_t *rkm;
        int timeout = cfg->runtime.poll_timeout_ms;
        int64_t now;
        int held;
        int caught_up = 0; /* the consumer had nothing for us */

        stage_check_fatal(st);
        if (st->fail.failed)
            break;
        stage_ops_tick(st);
        held = stage_backpressure(st, dl_now_ms());
        if (dl_workpool_full(st->wp)) {
            /* Every worker is busy and the queue is full: wait for the
             * oldest job, serving delivery reports. */
            stage_collect(st, STAGE_DR_SLICE_MS);
            dl_kafka_sink_poll(st->snk, 0);
            st->starved_fetch = 1;
        } else if (!held) {
            /* One wait for everything: a message, a finished extraction or
             * a delivery report (the last two end the poll through
             * stage_wake()), so results are produced and offsets stored
             * the moment they can be, without polling in slices. The
             * shorter timeout with work in flight only bounds a lost wake. */
            if ((dl_offsets_tracked(st->ot) > 0 || dl_workpool_pending(st->wp)) &&
                timeout > STAGE_DR_SLICE_MS)
                timeout = STAGE_DR_SLICE_MS;
            if ((rkm = dl_kafka_source_poll(st->src, st->starved_fetch ? 0 : timeout))) {
                stage_process(st, rkm);
            } else if (st->starved_fetch) {
                /* Dry after polling stopped: the fetcher may be asleep. */
                st->starved_fetch = 0;
                st->stats.refills++;
                dl_kafka_source_refill(st->src);
            } else {
                caught_up = 1;
            }
            dl_kafka_sink_poll(st->snk, 0);
        } else {
            /* Wait on the producer, whose reports unblock us. A paused
             * consumer is still polled; what it had fetched before the
             * pause is processed (a bounded overshoot). */
            if (st->paused && (rkm = dl_kafka_source_poll(st->src, 0)))
                stage_process(st, rkm);
            dl_kafka_sink_poll(st->snk, STAGE_DR_SLICE_MS);
            st->starved_fetch = 1;
        }
        stage_collect(st, 0);
        stage_drain_deferred(st);
        if (!st->eos)
            stage_store(st);

        now = dl_now_ms();
        if (caught_up && !st->eos && st->stored && now >= st->next_idle_commit &&
            !dl_workpool_pending(st->wp) && !dl_offsets_tracked(st->ot)) {
            dl_kafka_source_commit(st->src, 1);
            st->stored = 0;
            st->next_idle_commit = now + STAGE_IDLE_COMMIT_MS;
        }
        /* Also once caught up with everything acknowledged (a quick commit,
         * nothing left to flush), if the transaction is STAGE_IDLE_COMMIT_MS
         * old: read_committed readers of a trickle see records within
         * ~100 ms instead of waiting out the interval. */
        if (st->eos && st->txn.open &&
            (st->txn.failed || now - st->txn.started_ms >= commit_interval ||
             (caught_up && now - st->txn.started_ms >= STAGE_IDLE_COMMIT_MS &&
              !dl_workpool_pending(st->wp) && dl_kafka_sink_outq_len(st->snk) == 0)))
            stage_txn_commit(st, -1, NULL);
        stage_stats_hook(st, now, 0);
        if (now >= next_stats) {
            stage_log_stats(st, "stats");
            next_stats = now + STAGE_STATS_INTERVAL_MS;
        }
        if (!st->eos && !dl_kafka_source_auto_commit(st->src) && now >= next_commit) {
            dl_kafka_source_commit(st->src, 1);
            st->stored = 0;
            next_commit = now + commit_interval;
        }
    }
    return stage_stop(st, err);
}

void dl_stage_destroy(dl_stage *st)
{
    if (!st)
        return;
    /* The final revocation still uses the producer and the tracker. */
    if (st->src) {
        st->stopping = 1;
        st->stop_end_ms = dl_now_ms() + st->cfg->runtime.shutdown_grace_ms;
        st->flush_end_ms = st->stop_end_ms;
        dl_kafka_source_close(st->src, st->cfg->runtime.shutdown_grace_ms);
    }
    st->destroying = 1;
    /* Its jobs point into consumed messages: it goes before them. */
    dl_workpool_destroy(st->wp);
    st->wp = NULL;
    dl_kafka_sink_destroy(st->snk);
    st->snk = NULL;
    st->deferred = st->deferred_tail = NULL;
    /* Consumed messages must go before their consumer handle. */
    dl_offsets_free(st->ot);
    dl_kafka_source_destroy(st->src);
    stage_txn_reset(st);
    free(st);
}

/*
 * The stage loop of `dateline run` (see include/dateline/stage.h).
 *
 * Life of a consumed message:
 *   1. it becomes an `inflight` (owning the rd_kafka_message_t) tracked by
 *      the offset tracker with one hold for its processing;
 *   2. dl_pipeline_process() turns it into an enriched record or a dead
 *      letter; each produce takes one more hold, passing a `ticket` (which
 *      output it was) as msg_opaque;
 *   3. each successful delivery report releases its hold; a permanently
 *      rejected enriched record (too large, invalid) keeps its hold and is
 *      queued for a `produce_failed` dead letter; any other failure stops
 *      the stage with the hold kept, so that offset is never stored;
 *   4. when all holds are gone the tracker advances the partition's
 *      watermark over the done prefix and the stage stores it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "dateline/log.h"
#include "dateline/offsets.h"
#include "dateline/kafka_sink.h"
#include "dateline/kafka_source.h"
#include "dateline/stage.h"

#define STAGE_STATS_INTERVAL_MS   10000
#define STAGE_COMMIT_INTERVAL_MS  5000 /* manual commits, when auto commit is off */
#define STAGE_DR_SLICE_MS         50   /* poll wait while deliveries are outstanding */
#define STAGE_DEFAULT_INFLIGHT    1000
#define STAGE_MAX_REASONS         32
#define STAGE_METADATA_TIMEOUT_MS 5000
#define STAGE_PAUSE_AFTER_MS      1000 /* at max_inflight this long: pause fetching */
#define STAGE_COMMIT_TIMEOUT_MS   2000 /* of the grace period kept for commit and close */
#define STAGE_MIN_COMMIT_MS       500  /* a commit or close gets this even past the grace */

enum { TICKET_ENRICHED = 0, TICKET_DEAD, TICKETS };

static const char *const ticket_names[TICKETS] = {"enriched", "dead_letter"};

typedef struct inflight inflight;

/* The msg_opaque of one produced record: which message, which output. */
typedef struct ticket {
    inflight *inf;
    int kind;
} ticket;

struct inflight {
    rd_kafka_message_t *rkm; /* the consumed message, owned */
    dl_offsets_entry *ent;
    ticket tickets[TICKETS];
    inflight *next_deferred;
    int deferred;     /* queued for its produce_failed dead letter */
    char reason[48];  /* of its dead letter, counted on delivery */
    char detail[256]; /* why the enriched record was rejected */
};

typedef struct reason_count {
    char reason[64];
    uint64_t n;
} reason_count;

/* Outputs are counted when the broker acknowledges them. */
typedef struct stage_stats {
    uint64_t consumed;
    uint64_t delivered[TICKETS];
    uint64_t failed_deliveries;
    uint64_t rebalances;
    reason_count reasons[STAGE_MAX_REASONS];
    size_t n_reasons;
} stage_stats;

struct dl_stage {
    const dl_config *cfg;
    dl_pipeline *pl;
    const volatile sig_atomic_t *stop;
    dl_kafka_source *src;
    dl_kafka_sink *snk;
    dl_offsets *ot;
    inflight *deferred, *deferred_tail; /* enriched records awaiting their dead letter */
    size_t max_inflight;
    int paused;
    int64_t full_since;   /* when max_inflight was reached, 0 = below */
    int stopping;         /* orderly stop in progress */
    int destroying;       /* tearing down: delivery reports are ignored */
    int64_t flush_end_ms; /* stopping: end of the time for deliveries */
    int64_t stop_end_ms;  /* stopping: end of the grace period (commit, close) */
    int failed;
    unsigned long more_failures;
    char failure[512];
    stage_stats stats;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RFC 3339 UTC with milliseconds: the dateline.error.ts header. */
static void utc_timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

static void stage_fail(dl_stage *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first fatal error (the loop then stops in order). */
static void stage_fail(dl_stage *st, const char *fmt, ...)
{
    va_list ap;
    char msg[512];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (st->failed) {
        /* Typically the other in-flight records of a dead producer. */
        if (st->more_failures++ < 10)
            dl_log_write(DL_LOG_ERROR, "stage", msg, NULL);
        return;
    }
    st->failed = 1;
    snprintf(st->failure, sizeof(st->failure), "%s", msg);
    dl_log_write(DL_LOG_ERROR, "stage", msg, NULL);
}

static void inflight_free(void *opaque)
{
    inflight *inf = opaque;

    rd_kafka_message_destroy(inf->rkm);
    free(inf);
}

static const char *inflight_topic(const inflight *inf)
{
    return rd_kafka_topic_name(inf->rkm->rkt);
}

/* Errors for which the record itself is at fault, not the cluster: the
 * message goes to the dead-letter topic instead of stopping the stage. */
static int stage_record_rejected(int err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
        return 1;
    default:
        return 0;
    }
}

/* Which part of the pipeline gave up on a message. The decoder owns every
 * "this is not an article" reason (encoding, date, size, JSON); extraction
 * and encoding failures use reasons prefixed with their stage. */
static const char *stage_of_reason(const char *reason)
{
    if (!strncmp(reason, "extract", 7))
        return "extract";
    if (!strncmp(reason, "encode", 6))
        return "encode";
    return "decode";
}

static void stats_count_reason(stage_stats *stats, const char *reason)
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
    stats->reasons[i].n++;
}

static rd_kafka_headers_t *stage_dead_headers(const inflight *inf, const char *stage,
                                              const char *reason, const char *detail)
{
    static const char *const ours[] = {
        "dateline.error.stage", "dateline.error.reason",    "dateline.error.message",
        "dateline.error.topic", "dateline.error.partition", "dateline.error.offset",
        "dateline.error.ts",
    };
    rd_kafka_headers_t *orig = NULL, *hdrs;
    char partition[16], offset[24], ts[40];

    /* Keep the original headers (the date header, tracing...) so that the
     * dead letter can be replayed as it came; drop the error headers of an
     * earlier failure when a dead letter is itself reprocessed. */
    if (!rd_kafka_message_headers(inf->rkm, &orig) && orig)
        hdrs = rd_kafka_headers_copy(orig);
    else
        hdrs = rd_kafka_headers_new(8);
    if (!hdrs)
        return NULL;
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        rd_kafka_header_remove(hdrs, ours[i]);
    snprintf(partition, sizeof(partition), "%" PRId32, inf->rkm->partition);
    snprintf(offset, sizeof(offset), "%" PRId64, inf->rkm->offset);
    utc_timestamp(ts, sizeof(ts));
    rd_kafka_header_add(hdrs, "dateline.error.stage", -1, stage, -1);
    rd_kafka_header_add(hdrs, "dateline.error.reason", -1, reason, -1);
    rd_kafka_header_add(hdrs, "dateline.error.message", -1, detail, -1);
    rd_kafka_header_add(hdrs, "dateline.error.topic", -1, inflight_topic(inf), -1);
    rd_kafka_header_add(hdrs, "dateline.error.partition", -1, partition, -1);
    rd_kafka_header_add(hdrs, "dateline.error.offset", -1, offset, -1);
    rd_kafka_header_add(hdrs, "dateline.error.ts", -1, ts, -1);
    return hdrs;
}

/* Produces the original message to the dead-letter topic. The caller has
 * taken the hold this record releases on delivery; on failure the hold is
 * kept so the offset is never stored, and the stage stops. */
static void stage_dead_letter(dl_stage *st, inflight *inf, const char *stage, const char *reason,
                              const char *detail)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    rd_kafka_headers_t *hdrs = stage_dead_headers(inf, stage, reason, detail);
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

static void stage_on_delivery(const rd_kafka_message_t *rkm, void *arg)
{
    dl_stage *st = arg;
    ticket *t = rkm->_private;
    inflight *inf = t->inf;
    const rd_kafka_message_t *orig = inf->rkm;

    if (st->destroying)
        return;
    if (!rkm->err) {
        st->stats.delivered[t->kind]++;
        if (t->kind == TICKET_DEAD)
            stats_count_reason(&st->stats, inf->reason);
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
    if (t->kind == TICKET_ENRICHED && stage_record_rejected(rkm->err)) {
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

/* Fills the pipeline's view of a consumed message (slices borrowed). */
static void stage_message(const dl_stage *st, const inflight *inf, dl_message *msg)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    rd_kafka_headers_t *hdrs = NULL;
    rd_kafka_timestamp_type_t tstype;
    const void *val;
    size_t size;
    int64_t ts;

    memset(msg, 0, sizeof(*msg));
    /* A null value (tombstone) is an empty article to the pipeline. */
    msg->value.p = rkm->payload ? rkm->payload : "";
    msg->value.len = rkm->len;
    if (rkm->key) {
        msg->key.p = rkm->key;
        msg->key.len = rkm->key_len;
    }
    if (st->cfg->input.date_header && st->cfg->input.date_header[0] &&
        !rd_kafka_message_headers(rkm, &hdrs) &&
        !rd_kafka_header_get_last(hdrs, st->cfg->input.date_header, &val, &size) && val) {
        msg->date_header.p = val;
        msg->date_header.len = size;
    }
    ts = rd_kafka_message_timestamp(rkm, &tstype);
    msg->timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
    msg->topic = inflight_topic(inf);
    msg->partition = rkm->partition;
    msg->offset = rkm->offset;
}

static void stage_process(dl_stage *st, rd_kafka_message_t *rkm)
{
    inflight *inf;
    dl_offsets_entry *ent;
    dl_message msg;
    dl_result res;
    int rc;

    if (!(inf = calloc(1, sizeof(*inf)))) {
        rd_kafka_message_destroy(rkm);
        stage_fail(st, "out of memory");
        return;
    }
    inf->rkm = rkm;
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

    stage_message(st, inf, &msg);
    memset(&res, 0, sizeof(res));
    rc = dl_pipeline_process(st->pl, &msg, &res);
    if (rc < 0) {
        /* Internal failure (out of memory): keep the processing hold so the
         * offset is never stored, and stop. */
        stage_fail(st, "pipeline failed on %s[%" PRId32 "]@%" PRId64 " (error %d)", msg.topic,
                   msg.partition, msg.offset, rc);
        dl_result_fini(&res);
        return;
    }
    dl_offsets_hold(ent);
    if (!res.dead) {
        dl_slice key = {res.key, res.key_len};
        dl_slice value = {res.record, res.record_len};

        rc = dl_kafka_sink_produce(st->snk, DL_KAFKA_SINK_ENRICHED, key, value, NULL,
                                   &inf->tickets[TICKET_ENRICHED]);
        if (!rc) {
            /* counted on delivery */
        } else if (stage_record_rejected(rc)) {
            snprintf(inf->detail, sizeof(inf->detail),
                     "enriched record (%zu bytes) rejected for %s: %s", res.record_len,
                     dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_ENRICHED),
                     rd_kafka_err2str(rc));
            stage_dead_letter(st, inf, "produce", "produce_failed", inf->detail);
        } else {
            stage_fail(st, "cannot produce to %s for %s[%" PRId32 "]@%" PRId64 ": %s",
                       dl_kafka_sink_topic_name(st->snk, DL_KAFKA_SINK_ENRICHED), msg.topic,
                       msg.partition, msg.offset, rd_kafka_err2str(rc));
        }
    } else {
        const char *reason = res.reason && res.reason[0] ? res.reason : "unknown";

        stage_dead_letter(st, inf, stage_of_reason(reason), reason, res.detail);
    }
    dl_result_fini(&res);
    /* Drop the processing hold last: deliveries served while producing
     * (queue full) must not complete the entry early. inf may be freed. */
    dl_offsets_release(st->ot, ent);
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
        now = now_ms();
        if (now >= deadline)
            return left + (st->deferred ? 1 : 0);
        dl_kafka_sink_flush(st->snk, (int)(deadline - now < 100 ? deadline - now : 100));
    }
}

static void stage_on_assigned(const rd_kafka_topic_partition_list_t *parts, void *arg)
{
    dl_stage *st = arg;

    (void)parts;
    st->stats.rebalances++;
}

static void stage_on_revoked(const rd_kafka_topic_partition_list_t *parts, int lost, void *arg)
{
    dl_stage *st = arg;

    st->stats.rebalances++;
    if (!lost) {
        /* Finish what we can so the next owner does not redo it: deliver,
         * store, and commit before the partitions go. A rebalance gets the
         * grace period; the final one (leaving the group) what is left. */
        int64_t now = now_ms();
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
        now = now_ms();
        dl_kafka_source_commit_wait(
            st->src,
            (int)(commit_end > now + STAGE_MIN_COMMIT_MS ? commit_end - now : STAGE_MIN_COMMIT_MS));
    }
    /* Whatever is still in flight becomes an orphan: never stored. */
    for (int i = 0; i < parts->cnt; i++)
        dl_offsets_revoke(st->ot, parts->elems[i].topic, parts->elems[i].partition);
}

static void stage_log_stats(const dl_stage *st, const char *msg)
{
    char consumed[24], enriched[24], dead[24], failed[24], rebalances[24], tracked[24];
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
        NULL,
    };
    /* clang-format on */

    snprintf(consumed, sizeof(consumed), "%" PRIu64, s->consumed);
    snprintf(enriched, sizeof(enriched), "%" PRIu64, s->delivered[TICKET_ENRICHED]);
    snprintf(dead, sizeof(dead), "%" PRIu64, s->delivered[TICKET_DEAD]);
    snprintf(failed, sizeof(failed), "%" PRIu64, s->failed_deliveries);
    snprintf(rebalances, sizeof(rebalances), "%" PRIu64, s->rebalances);
    snprintf(tracked, sizeof(tracked), "%zu", dl_offsets_tracked(st->ot));
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
 * Bounds in-flight work. At runtime.max_inflight unstored messages the loop
 * stops taking messages and waits on delivery reports instead. If that
 * lasts (slow or unreachable brokers), the assignment is paused so that
 * the consumer can keep being polled (rebalances, max.poll.interval.ms)
 * without fetching; it resumes at half the bound. Pausing is not the first
 * step because resuming costs a fetch round trip: with a small bound a
 * pause per burst would throttle the stage.
 * @returns 1 while the stage must not take new messages.
 */
static int stage_backpressure(dl_stage *st, int64_t now)
{
    size_t tracked = dl_offsets_tracked(st->ot);

    if (tracked >= st->max_inflight) {
        if (!st->full_since)
            st->full_since = now;
        if (!st->paused && now - st->full_since >= STAGE_PAUSE_AFTER_MS) {
            st->paused = 1;
            dl_kafka_source_pause(st->src, 1);
            dl_logf(DL_LOG_INFO, "stage", "pausing consumption: %zu messages in flight for %lld ms",
                    tracked, (long long)(now - st->full_since));
        }
        return 1;
    }
    st->full_since = 0;
    if (st->paused && tracked <= st->max_inflight / 2) {
        st->paused = 0;
        dl_kafka_source_pause(st->src, 0);
        dl_logf(DL_LOG_INFO, "stage", "resuming consumption: %zu messages in flight", tracked);
    }
    return st->paused;
}

dl_stage *dl_stage_new(const dl_config *cfg, dl_pipeline *pl, const volatile sig_atomic_t *stop,
                       dl_err *err)
{
    dl_stage *st;
    dl_kafka_source_handlers h;

    if (cfg->delivery == DL_DELIVERY_EXACTLY_ONCE) {
        dl_err_set_at(err, DL_ECONFIG, cfg->path ? cfg->path : "", 0, 0,
                      "delivery: exactly_once is not supported by `dateline run` yet; "
                      "use at_least_once");
        return NULL;
    }
    if (!(st = calloc(1, sizeof(*st)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    st->cfg = cfg;
    st->pl = pl;
    st->stop = stop;
    st->max_inflight =
        cfg->runtime.max_inflight > 0 ? (size_t)cfg->runtime.max_inflight : STAGE_DEFAULT_INFLIGHT;
    if (!(st->ot = dl_offsets_new(inflight_free))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
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
        dl_kafka_source_start(st->src, err))
        goto fail;
    return st;
fail:
    dl_stage_destroy(st);
    return NULL;
}

/* Milliseconds from now to @p end, at least @p floor. */
static int stage_left(int64_t end, int floor)
{
    int64_t left = end - now_ms();

    return left > floor ? (int)left : floor;
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
    st->stop_end_ms = now_ms() + grace;
    st->flush_end_ms = st->stop_end_ms - reserve;
    dl_logf(DL_LOG_INFO, "stage", "stopping (%s): flushing %d records, %zu messages in flight",
            st->failed ? "fatal error" : "signal", dl_kafka_sink_outq_len(st->snk),
            dl_offsets_tracked(st->ot));
    /* Stop fetching; deliver what was produced; store what is done. */
    left = stage_drain(st, st->flush_end_ms);
    stage_store(st);
    if (left)
        dl_logf(DL_LOG_WARN, "stage",
                "%d records not acknowledged within runtime.shutdown_grace_ms (%d ms); their "
                "messages will be consumed again",
                left, grace);
    if (!dl_kafka_source_fatal(st->src, msg, sizeof(msg)))
        dl_kafka_source_commit_wait(st->src, stage_left(st->stop_end_ms, STAGE_MIN_COMMIT_MS));
    /* Leaving the group revokes the assignment through stage_on_revoked(). */
    dl_kafka_source_close(st->src, stage_left(st->stop_end_ms, STAGE_MIN_COMMIT_MS));
    stage_log_stats(st, "final stats");
    if (st->failed) {
        if (st->more_failures > 10)
            dl_logf(DL_LOG_ERROR, "stage", "%lu more failures not shown", st->more_failures - 10);
        return dl_err_set(err, DL_EKAFKA, "%s", st->failure);
    }
    dl_logf(DL_LOG_INFO, "stage", "stopped");
    return 0;
}

int dl_stage_run(dl_stage *st, dl_err *err)
{
    const dl_config *cfg = st->cfg;
    int64_t next_stats = now_ms() + STAGE_STATS_INTERVAL_MS;
    int64_t next_commit = now_ms() + STAGE_COMMIT_INTERVAL_MS;
    char inflight_str[24];
    /* clang-format off */
    const char *kv[] = {
        "brokers", cfg->kafka.brokers,
        "group", cfg->kafka.group_id,
        "input", cfg->topics.input,
        "enriched", cfg->topics.enriched,
        "dead_letter", cfg->topics.dead_letter,
        "max_inflight", inflight_str,
        "librdkafka", rd_kafka_version_str(),
        NULL,
    };
    /* clang-format on */

    snprintf(inflight_str, sizeof(inflight_str), "%zu", st->max_inflight);
    dl_log_write(DL_LOG_INFO, "stage", "starting", kv);

    while (!*st->stop && !st->failed) {
        rd_kafka_message_t *rkm;
        int timeout = cfg->runtime.poll_timeout_ms;
        int64_t now;
        int held;

        stage_check_fatal(st);
        if (st->failed)
            break;
        held = stage_backpressure(st, now_ms());
        if (!held) {
            /* Outstanding deliveries are served between consumer polls:
             * keep the wait short so offsets are stored promptly. */
            if (dl_offsets_tracked(st->ot) > 0 && timeout > STAGE_DR_SLICE_MS)
                timeout = STAGE_DR_SLICE_MS;
            if ((rkm = dl_kafka_source_poll(st->src, timeout)))
                stage_process(st, rkm);
            dl_kafka_sink_poll(st->snk, 0);
        } else {
            /* Wait on the producer, whose reports unblock us. A paused
             * consumer is still polled; what it had fetched before the
             * pause is processed (a bounded overshoot). */
            if (st->paused && (rkm = dl_kafka_source_poll(st->src, 0)))
                stage_process(st, rkm);
            dl_kafka_sink_poll(st->snk, STAGE_DR_SLICE_MS);
        }
        stage_drain_deferred(st);
        stage_store(st);

        now = now_ms();
        if (now >= next_stats) {
            stage_log_stats(st, "stats");
            next_stats = now + STAGE_STATS_INTERVAL_MS;
        }
        if (!dl_kafka_source_auto_commit(st->src) && now >= next_commit) {
            dl_kafka_source_commit(st->src, 1);
            next_commit = now + STAGE_COMMIT_INTERVAL_MS;
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
        st->stop_end_ms = now_ms() + st->cfg->runtime.shutdown_grace_ms;
        st->flush_end_ms = st->stop_end_ms;
        dl_kafka_source_close(st->src, st->cfg->runtime.shutdown_grace_ms);
    }
    st->destroying = 1;
    dl_kafka_sink_destroy(st->snk);
    st->snk = NULL;
    st->deferred = st->deferred_tail = NULL;
    /* Consumed messages must go before their consumer handle. */
    dl_offsets_free(st->ot);
    dl_kafka_source_destroy(st->src);
    free(st);
}

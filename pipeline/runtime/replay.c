/*
 * The runner of `dateline replay` (see include/dateline/replay.h).
 *
 * Life of a consumed message, as in stage.c: it becomes an `rinflight`
 * (owning the rd_kafka_message_t) tracked by the offset tracker with one
 * hold for its processing; each produced record takes one more hold,
 * released by its successful delivery report; the tracker's watermark of a
 * partition is its checkpoint position. Unlike the stage there is no
 * group, no rebalance and no commit to kafka.group_id: the assignment is
 * fixed and each partition stops at its range's end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "dateline/dead_letter.h"
#include "dateline/kafka_sink.h"
#include "dateline/kafka_source.h"
#include "dateline/log.h"
#include "dateline/offsets.h"
#include "dateline/replay.h"
#include "dateline/replay_source.h"

#include "failure.h"

/* Records a fatal error (see failure.h). */
#define replay_fail(rp, ...) dl_failure_note(&(rp)->fail, "replay", __VA_ARGS__)

#define REPLAY_CHECKPOINT_MS    1000 /* checkpoint at most this often */
#define REPLAY_POSITION_MS      500  /* look at fetch positions this often */
#define REPLAY_DR_SLICE_MS      50
#define REPLAY_DEFAULT_INFLIGHT 1000
#define REPLAY_META_PREFIX      "dateline-replay;"
#define REPLAY_TXN_MS           1000 /* exactly-once: a transaction spans at most this */

enum { RT_ENRICHED = 0, RT_DEAD, RT_TIMELINE, RT_KINDS };

typedef struct rinflight rinflight;

typedef struct rticket {
    rinflight *inf;
    int kind;
} rticket;

struct rinflight {
    rd_kafka_message_t *rkm; /* owned */
    dl_offsets_entry *ent;
    rticket tickets[RT_KINDS];
    rinflight *next_deferred;
    int deferred;
    char detail[256];
};

typedef struct rstate {
    int read_done; /* every offset of the range was consumed (or skipped) */
    int paused;
    int64_t consumed_next; /* exactly-once: next offset after the last one consumed */
} rstate;

struct dl_replay {
    const dl_config *cfg;
    dl_config ocfg; /* shallow copy with the output topic names; owns nothing but below */
    char *out_enriched, *out_dead, *out_timeline;
    dl_pipeline *pl;
    const dl_replay_opts *o;
    const volatile sig_atomic_t *stop;
    char *topic;
    char *spec;
    char group[300];
    char spec_hash[24];
    dl_replay_source *src;
    dl_kafka_sink *snk;
    dl_offsets *ot;
    dl_replay_range *ranges;
    rstate *rs;
    size_t n;
    int planned, resumed, checkpoint_dirty;
    rinflight *deferred, *deferred_tail;
    size_t max_inflight;
    char *buf; /* the enriched record with "replay":true */
    size_t buf_cap;
    int destroying;
    /* delivery: exactly_once: records and checkpoint offsets (sent to the
     * replay's group) commit in one transaction, every REPLAY_TXN_MS. */
    int eos;
    int txn_open;
    int64_t txn_started;
    char *txn_id;
    rd_kafka_consumer_group_metadata_t *cgmd;
    uint64_t txn_commits;
    dl_failure fail; /* the first fatal error: the replay stops */
    dl_replay_stats stats;
};

static char *replay_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p)
        memcpy(p, s, n);
    return p;
}

static char *replay_concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 1);

    if (p) {
        memcpy(p, a, na);
        memcpy(p + na, b, nb + 1);
    }
    return p;
}

static void rinflight_free(void *opaque)
{
    rinflight *inf = opaque;

    rd_kafka_message_destroy(inf->rkm);
    free(inf);
}

/* FNV-1a, 64 bits: a short, stable fingerprint of the spec for commit metadata. */
static void replay_hash(const char *s, char *out, size_t size)
{
    snprintf(out, size, "%016" PRIx64, dl_fnv1a64(DL_FNV64_SEED, s, strlen(s)));
}

static dl_replay_range *replay_range(dl_replay *rp, int32_t partition, size_t *idx)
{
    size_t lo = 0, hi = rp->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (rp->ranges[mid].partition == partition) {
            *idx = mid;
            return &rp->ranges[mid];
        }
        if (rp->ranges[mid].partition < partition)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ------------------------------------------------------------ checkpoint */

/* The replay group's offsets: each range's @p next (or rp->ranges[i].next)
 * with the range and the spec's hash as commit metadata. */
static rd_kafka_topic_partition_list_t *replay_group_offsets(dl_replay *rp, const int64_t *next)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)rp->n);

    if (!list)
        return NULL;
    for (size_t i = 0; i < rp->n; i++) {
        const dl_replay_range *r = &rp->ranges[i];
        rd_kafka_topic_partition_t *p =
            rd_kafka_topic_partition_list_add(list, rp->topic, r->partition);
        char meta[128];
        int len = snprintf(meta, sizeof(meta),
                           REPLAY_META_PREFIX "start=%" PRId64 ";end=%" PRId64 ";spec=%s", r->start,
                           r->end, rp->spec_hash);

        p->offset = next ? next[i] : r->next;
        /* The list frees metadata with free(). */
        if (len > 0 && (p->metadata = malloc((size_t)len))) {
            memcpy(p->metadata, meta, (size_t)len);
            p->metadata_size = (size_t)len;
        }
    }
    return list;
}

static int replay_checkpoint_save(dl_replay *rp, dl_err *err)
{
    if (rp->o->dry_run)
        return 0;
    if (rp->o->checkpoint_path) {
        dl_checkpoint cp = {rp->topic, rp->spec,
                            rp->pl ? (char *)dl_pipeline_rules_hash(rp->pl) : NULL, rp->ranges,
                            rp->n};
        int rc = dl_checkpoint_save(rp->o->checkpoint_path, &cp, err);

        if (rc)
            return rc;
    }
    if (rp->o->checkpoint_group && !rp->txn_open) {
        rd_kafka_topic_partition_list_t *list = replay_group_offsets(rp, NULL);
        int rc;

        if (!list)
            return dl_err_set(err, DL_ENOMEM, "out of memory");
        rc = dl_replay_source_commit(rp->src, rp->topic, list, err);
        rd_kafka_topic_partition_list_destroy(list);
        if (rc)
            return rc;
    }
    rp->checkpoint_dirty = 0;
    return 0;
}

/* Loads a file checkpoint of this request into rp->ranges. @returns 1 if
 * there is none, 0 if loaded, < 0 on error. */
static int replay_load_file(dl_replay *rp, const int32_t *sel, size_t n_sel, dl_err *err)
{
    dl_checkpoint cp;
    int rc = dl_checkpoint_load(rp->o->checkpoint_path, &cp, err);

    if (rc) {
        dl_checkpoint_fini(&cp);
        return rc;
    }
    if (strcmp(cp.topic, rp->topic) || strcmp(cp.spec, rp->spec)) {
        rc = dl_err_set(err, DL_EINVAL,
                        "checkpoint %s belongs to another replay (%s); remove it or choose "
                        "another --checkpoint file",
                        rp->o->checkpoint_path, cp.spec);
        dl_checkpoint_fini(&cp);
        return rc;
    }
    if (cp.n != n_sel) {
        rc = dl_err_set(err, DL_EINVAL, "checkpoint %s has %zu partitions, the request %zu",
                        rp->o->checkpoint_path, cp.n, n_sel);
        dl_checkpoint_fini(&cp);
        return rc;
    }
    for (size_t i = 0; i < n_sel; i++) {
        if (cp.ranges[i].partition != sel[i]) {
            rc = dl_err_set(err, DL_EINVAL, "checkpoint %s covers other partitions",
                            rp->o->checkpoint_path);
            dl_checkpoint_fini(&cp);
            return rc;
        }
    }
    rp->ranges = cp.ranges;
    cp.ranges = NULL;
    rp->n = cp.n;
    dl_checkpoint_fini(&cp);
    return 0;
}

/* Loads a group checkpoint (committed offsets whose metadata carries the
 * range and the spec's hash). @returns 1 if there is none. */
static int replay_load_group(dl_replay *rp, const int32_t *sel, size_t n_sel, dl_err *err)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n_sel);
    size_t found = 0;
    int rc;

    if (!list)
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_sel; i++)
        rd_kafka_topic_partition_list_add(list, rp->topic, sel[i]);
    if ((rc = dl_replay_source_committed(rp->src, list, rp->o->timeout_ms, err)))
        goto out;
    if (!(rp->ranges = calloc(n_sel ? n_sel : 1, sizeof(*rp->ranges)))) {
        rc = dl_err_set(err, DL_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &list->elems[i];
        char meta[160], hash[24];
        long long start, end;

        if (p->offset < 0)
            continue;
        if (!p->metadata || p->metadata_size >= sizeof(meta) ||
            strncmp(p->metadata, REPLAY_META_PREFIX, strlen(REPLAY_META_PREFIX))) {
            rc = dl_err_set(err, DL_EINVAL,
                            "group %s has offsets on %s[%" PRId32
                            "] that are not a dateline replay checkpoint; choose another "
                            "--checkpoint-group",
                            rp->group, rp->topic, p->partition);
            goto out;
        }
        memcpy(meta, p->metadata, p->metadata_size);
        meta[p->metadata_size] = '\0';
        if (sscanf(meta, REPLAY_META_PREFIX "start=%lld;end=%lld;spec=%20s", &start, &end, hash) !=
                3 ||
            strcmp(hash, rp->spec_hash) || p->offset < start || p->offset > end) {
            rc = dl_err_set(err, DL_EINVAL,
                            "group %s holds the checkpoint of another replay (%s); choose "
                            "another --checkpoint-group",
                            rp->group, meta);
            goto out;
        }
        rp->ranges[i] = (dl_replay_range){p->partition, start, end, p->offset};
        found++;
    }
    if (found == 0) {
        free(rp->ranges);
        rp->ranges = NULL;
        rc = 1;
        goto out;
    }
    if (found != n_sel) {
        rc = dl_err_set(err, DL_EINVAL, "group %s has a checkpoint for %zu of %zu partitions",
                        rp->group, found, n_sel);
        goto out;
    }
    rp->n = n_sel;
    rc = 0;
out:
    if (rc && rc != 1) {
        free(rp->ranges);
        rp->ranges = NULL;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* ------------------------------------------------------------ planning */

int dl_replay_plan(dl_replay *rp, dl_err *err)
{
    const dl_replay_opts *o = rp->o;
    int32_t *all = NULL, *sel = NULL;
    size_t n_all = 0, n_sel = 0;
    dl_replay_bounds *b = NULL;
    int64_t *t = NULL;
    int rc;

    if ((rc = dl_replay_source_partitions(rp->src, rp->topic, o->timeout_ms, &all, &n_all, err)) ||
        (rc = dl_replay_select(o, all, n_all, &sel, &n_sel, err)))
        goto out;
    rc = 1;
    if (o->checkpoint_path && (rc = replay_load_file(rp, sel, n_sel, err)) < 0)
        goto out;
    if (rc == 1 && o->checkpoint_group && (rc = replay_load_group(rp, sel, n_sel, err)) < 0)
        goto out;
    if (rc == 0) {
        rp->resumed = 1;
    } else {
        if (!(b = calloc(n_sel, sizeof(*b))) || !(t = calloc(n_sel, sizeof(*t))) ||
            !(rp->ranges = calloc(n_sel, sizeof(*rp->ranges)))) {
            rc = dl_err_set(err, DL_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n_sel; i++) {
            b[i].partition = sel[i];
            b[i].t_from = b[i].t_to = -1;
            if ((rc = dl_replay_source_watermarks(rp->src, rp->topic, sel[i], o->timeout_ms,
                                                  &b[i].lo, &b[i].hi, err)))
                goto out;
        }
        if (o->from_ms >= 0) {
            if ((rc = dl_replay_source_offsets_for_time(rp->src, rp->topic, sel, n_sel, o->from_ms,
                                                        o->timeout_ms, t, err)))
                goto out;
            for (size_t i = 0; i < n_sel; i++)
                b[i].t_from = t[i];
        }
        if (o->to_ms >= 0) {
            if ((rc = dl_replay_source_offsets_for_time(rp->src, rp->topic, sel, n_sel, o->to_ms,
                                                        o->timeout_ms, t, err)))
                goto out;
            for (size_t i = 0; i < n_sel; i++)
                b[i].t_to = t[i];
        }
        if ((rc = dl_replay_resolve(o, b, n_sel, rp->ranges, err)))
            goto out;
        rp->n = n_sel;
        /* The ends are fixed now: saving them first means a resumed replay
         * stops where this one would have, however much the topic grows. */
        if ((rc = replay_checkpoint_save(rp, err)))
            goto out;
    }
    if (!(rp->rs = calloc(rp->n ? rp->n : 1, sizeof(*rp->rs)))) {
        rc = dl_err_set(err, DL_ENOMEM, "out of memory");
        goto out;
    }
    rp->stats.total = 0;
    for (size_t i = 0; i < rp->n; i++) {
        rp->stats.total += rp->ranges[i].end - rp->ranges[i].start;
        rp->rs[i].read_done = rp->ranges[i].next >= rp->ranges[i].end;
    }
    rp->planned = 1;
    rc = 0;
out:
    free(all);
    free(sel);
    free(b);
    free(t);
    return rc;
}

static int64_t replay_done(const dl_replay *rp)
{
    int64_t done = 0;

    for (size_t i = 0; i < rp->n; i++)
        done += rp->ranges[i].next - rp->ranges[i].start;
    return done;
}

void dl_replay_print_plan(const dl_replay *rp, FILE *fp)
{
    const dl_replay_opts *o = rp->o;
    char a[40], b[40];
    int64_t total = 0, left = 0;

    for (size_t i = 0; i < rp->n; i++) {
        total += rp->ranges[i].end - rp->ranges[i].start;
        left += rp->ranges[i].end - rp->ranges[i].next;
    }
    fprintf(fp, "replay of %s: %zu partition%s, %" PRId64 " messages", rp->topic, rp->n,
            rp->n == 1 ? "" : "s", total);
    if (rp->resumed)
        fprintf(fp, " (resumed: %" PRId64 " left)", left);
    fputc('\n', fp);
    if (o->from_ms >= 0 || o->to_ms >= 0)
        fprintf(fp, "  window      %s .. %s (end exclusive)\n",
                o->from_ms >= 0 ? dl_replay_format_time(o->from_ms, a, sizeof(a)) : "start",
                o->to_ms >= 0 ? dl_replay_format_time(o->to_ms, b, sizeof(b)) : "end");
    for (size_t i = 0; i < rp->n; i++) {
        const dl_replay_range *r = &rp->ranges[i];

        fprintf(fp,
                "  partition %-3" PRId32 " offsets [%" PRId64 ", %" PRId64 ")  %" PRId64
                " messages",
                r->partition, r->start, r->end, r->end - r->start);
        if (r->next > r->start)
            fprintf(fp, "  (resume at %" PRId64 ": %" PRId64 " left)", r->next, r->end - r->next);
        fputc('\n', fp);
    }
    fprintf(fp, "  output      %s (enriched), %s%s, %s (dead letters)\n",
            rp->ocfg.topics.enriched, rp->ocfg.topics.timeline,
            dl_config_timeline(&rp->ocfg) ? " (timeline)" : "no timeline messages",
            rp->ocfg.topics.dead_letter);
    if (o->checkpoint_path)
        fprintf(fp, "  checkpoint  %s\n", o->checkpoint_path);
    if (o->checkpoint_group)
        fprintf(fp, "  checkpoint  group %s\n", o->checkpoint_group);
}

/* ------------------------------------------------------------ processing */

static void replay_on_delivery(const rd_kafka_message_t *rkm, void *arg)
{
    dl_replay *rp = arg;
    rticket *t = rkm->_private;
    rinflight *inf = t->inf;

    if (rp->destroying)
        return;
    if (!rkm->err) {
        if (t->kind == RT_ENRICHED)
            rp->stats.enriched++;
        else if (t->kind == RT_TIMELINE)
            rp->stats.timeline++;
        else
            rp->stats.dead++;
        dl_offsets_release(rp->ot, inf->ent);
        return;
    }
    if (rkm->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || rkm->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        return; /* never acknowledged: never checkpointed */
    if (t->kind == RT_TIMELINE && dl_kafka_sink_rejected(rkm->err) && !rp->eos) {
        /* As in `run`: the article's enriched record carries its events. */
        dl_logf(DL_LOG_WARN, "replay", "%s[%" PRId32 "]@%" PRId64 ": timeline record rejected: %s",
                rd_kafka_topic_name(inf->rkm->rkt), inf->rkm->partition, inf->rkm->offset,
                rd_kafka_err2str(rkm->err));
        dl_offsets_release(rp->ot, inf->ent);
        return;
    }
    if (t->kind == RT_ENRICHED && dl_kafka_sink_rejected(rkm->err) && !inf->deferred) {
        /* The hold passes to its produce_failed dead letter. */
        snprintf(inf->detail, sizeof(inf->detail), "enriched record (%zu bytes) rejected: %s",
                 rkm->len, rd_kafka_err2str(rkm->err));
        inf->deferred = 1;
        if (rp->deferred_tail)
            rp->deferred_tail->next_deferred = inf;
        else
            rp->deferred = inf;
        rp->deferred_tail = inf;
        return;
    }
    replay_fail(rp, "delivery of a replayed record for %s[%" PRId32 "]@%" PRId64 " failed: %s",
                rd_kafka_topic_name(inf->rkm->rkt), inf->rkm->partition, inf->rkm->offset,
                rd_kafka_err2str(rkm->err));
}

/* Produces the message's dead letter; the caller took the hold. */
static void replay_dead_letter(dl_replay *rp, rinflight *inf, const char *stage, const char *reason,
                               const char *detail)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    rd_kafka_headers_t *hdrs = dl_dead_letter_headers(rkm, stage, reason, detail);
    dl_slice key = {rkm->key, rkm->key_len};
    dl_slice value = {rkm->payload, rkm->len};
    int err;

    if (!hdrs) {
        replay_fail(rp, "out of memory building a dead letter");
        return;
    }
    rd_kafka_header_add(hdrs, "dateline.replay", -1, "true", -1);
    err = dl_kafka_sink_produce(rp->snk, DL_KAFKA_SINK_DEAD_LETTER, key, value, hdrs,
                                &inf->tickets[RT_DEAD]);
    if (err)
        replay_fail(rp, "cannot dead-letter %s[%" PRId32 "]@%" PRId64 ": %s",
                    rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset,
                    rd_kafka_err2str(err));
}

static void replay_drain_deferred(dl_replay *rp)
{
    rinflight *inf;

    while ((inf = rp->deferred)) {
        rp->deferred = inf->next_deferred;
        if (!rp->deferred)
            rp->deferred_tail = NULL;
        inf->next_deferred = NULL;
        replay_dead_letter(rp, inf, "produce", "produce_failed", inf->detail);
    }
}

/* The record with ,"replay":true before its closing brace, in rp->buf. */
static int replay_mark(dl_replay *rp, const char *rec, size_t len, dl_slice *out)
{
    static const char tag[] = ",\"replay\":true}";
    size_t need = len - 1 + sizeof(tag) - 1;

    if (len < 2 || rec[len - 1] != '}')
        return -1;
    if (need > rp->buf_cap) {
        char *nb = realloc(rp->buf, need * 2);

        if (!nb)
            return -1;
        rp->buf = nb;
        rp->buf_cap = need * 2;
    }
    memcpy(rp->buf, rec, len - 1);
    memcpy(rp->buf + len - 1, tag, sizeof(tag) - 1);
    out->p = rp->buf;
    out->len = need;
    return 0;
}

/* The article's timeline messages, one hold each; one that cannot fit the
 * topic is skipped with a warning, as in `run`. */
static void replay_timeline(dl_replay *rp, rinflight *inf, const dl_result *res)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    size_t limit;
    int rc;

    for (size_t i = 0; i < res->n_timeline && !rp->fail.failed; i++) {
        const dl_record *r = &res->timeline[i];
        dl_slice key = {r->key, r->key_len}, value = {r->value, r->value_len};
        rd_kafka_headers_t *hdrs;

        if (!dl_kafka_sink_fits(rp->snk, DL_KAFKA_SINK_TIMELINE, r->key_len, r->value_len,
                                &limit)) {
            dl_logf(DL_LOG_WARN, "replay",
                    "%s[%" PRId32 "]@%" PRId64 ": timeline record (%zu bytes) too large for %s",
                    rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset, r->value_len,
                    rp->ocfg.topics.timeline);
            continue;
        }
        if (!(hdrs = rd_kafka_headers_new(1))) {
            replay_fail(rp, "out of memory");
            return;
        }
        rd_kafka_header_add(hdrs, "dateline.replay", -1, "true", -1);
        dl_offsets_hold(inf->ent);
        rc = dl_kafka_sink_produce(rp->snk, DL_KAFKA_SINK_TIMELINE, key, value, hdrs,
                                   &inf->tickets[RT_TIMELINE]);
        if (!rc)
            continue;
        if (dl_kafka_sink_rejected(rc) && !rp->eos) {
            dl_logf(DL_LOG_WARN, "replay", "%s[%" PRId32 "]@%" PRId64 ": timeline record: %s",
                    rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset,
                    rd_kafka_err2str(rc));
            dl_offsets_release(rp->ot, inf->ent);
            continue;
        }
        /* Keep the hold: never checkpointed. */
        replay_fail(rp, "cannot produce to %s for %s[%" PRId32 "]@%" PRId64 ": %s",
                    rp->ocfg.topics.timeline, rd_kafka_topic_name(rkm->rkt), rkm->partition,
                    rkm->offset, rd_kafka_err2str(rc));
        return;
    }
}

static void replay_process(dl_replay *rp, rinflight *inf)
{
    const rd_kafka_message_t *rkm = inf->rkm;
    dl_message msg;
    dl_result res;
    int rc;

    dl_kafka_message_view(rkm, rp->cfg->input.date_header, &msg);
    if ((rp->o->from_ms >= 0 && msg.timestamp_ms < rp->o->from_ms) ||
        (rp->o->to_ms >= 0 && msg.timestamp_ms >= rp->o->to_ms)) {
        rp->stats.skipped++; /* in the offset range, outside the window */
        return;
    }
    memset(&res, 0, sizeof(res));
    if ((rc = dl_pipeline_process(rp->pl, &msg, &res)) < 0) {
        replay_fail(rp, "pipeline failed on %s[%" PRId32 "]@%" PRId64 " (error %d)", msg.topic,
                    msg.partition, msg.offset, rc);
        dl_offsets_hold(inf->ent); /* never checkpoint it */
        dl_result_fini(&res);
        return;
    }
    dl_offsets_hold(inf->ent);
    if (!res.dead) {
        dl_slice key = {res.key, res.key_len}, value;
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(2);

        if (replay_mark(rp, res.record, res.record_len, &value) || !hdrs) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            replay_fail(rp, "out of memory (or a record that is not a JSON object)");
            dl_result_fini(&res);
            return;
        }
        rd_kafka_header_add(hdrs, "dateline.replay", -1, "true", -1);
        rd_kafka_header_add(hdrs, "dateline.rules_hash", -1, dl_pipeline_rules_hash(rp->pl), -1);
        rc = dl_kafka_sink_produce(rp->snk, DL_KAFKA_SINK_ENRICHED, key, value, hdrs,
                                   &inf->tickets[RT_ENRICHED]);
        if (!rc) {
            replay_timeline(rp, inf, &res);
        } else if (dl_kafka_sink_rejected(rc)) {
            snprintf(inf->detail, sizeof(inf->detail), "enriched record (%zu bytes) rejected: %s",
                     value.len, rd_kafka_err2str(rc));
            replay_dead_letter(rp, inf, "produce", "produce_failed", inf->detail);
        } else if (rc) {
            replay_fail(rp, "cannot produce to %s for %s[%" PRId32 "]@%" PRId64 ": %s",
                        rp->ocfg.topics.enriched, msg.topic, msg.partition, msg.offset,
                        rd_kafka_err2str(rc));
        }
    } else {
        const char *reason = res.reason && res.reason[0] ? res.reason : "unknown";

        replay_dead_letter(rp, inf, dl_dead_letter_stage(reason), reason, res.detail);
    }
    dl_result_fini(&res);
}

/* exactly-once: opens a transaction before the first record of one. */
static int replay_txn_begin(dl_replay *rp)
{
    char msg[512];

    if (rp->txn_open)
        return 0;
    if (dl_kafka_sink_txn_begin(rp->snk, msg, sizeof(msg)) != DL_KAFKA_TXN_OK) {
        replay_fail(rp, "%s", msg);
        return -1;
    }
    rp->txn_open = 1;
    rp->txn_started = dl_now_ms();
    return 0;
}

/*
 * exactly-once: commits the open transaction together with each range's
 * consumed position (to the replay's group, with the range as metadata).
 * Committing flushes, so every record of the transaction is delivered or
 * none is visible. A failure aborts and stops the replay; its group still
 * holds the last committed transaction, where a resume continues.
 */
static int replay_txn_commit(dl_replay *rp, int timeout_ms)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    dl_kafka_txn_result r = DL_KAFKA_TXN_FATAL;
    int64_t *next;
    char msg[512] = "out of memory";

    if (!rp->txn_open)
        return 0;
    if ((next = calloc(rp->n ? rp->n : 1, sizeof(*next)))) {
        for (size_t i = 0; i < rp->n; i++) {
            next[i] = rp->ranges[i].next > rp->rs[i].consumed_next ? rp->ranges[i].next
                                                                   : rp->rs[i].consumed_next;
            if (rp->rs[i].read_done)
                next[i] = rp->ranges[i].end;
        }
        list = replay_group_offsets(rp, next);
    }
    if (list) {
        for (int attempt = 0; attempt < 3; attempt++)
            if ((r = dl_kafka_sink_txn_send_offsets(rp->snk, list, rp->cgmd, timeout_ms, msg,
                                                    sizeof(msg))) != DL_KAFKA_TXN_RETRY)
                break;
        for (int attempt = 0; r == DL_KAFKA_TXN_OK && attempt < 3; attempt++)
            if ((r = dl_kafka_sink_txn_commit(rp->snk, timeout_ms, msg, sizeof(msg))) !=
                DL_KAFKA_TXN_RETRY)
                break;
    }
    rp->txn_open = 0;
    if (r != DL_KAFKA_TXN_OK) {
        char amsg[512];

        if (r != DL_KAFKA_TXN_FATAL)
            dl_kafka_sink_txn_abort(rp->snk, timeout_ms, amsg, sizeof(amsg));
        replay_fail(rp,
                    "%s: transaction aborted; group %s keeps the last committed one, run "
                    "again to resume",
                    msg, rp->group);
    } else {
        rp->txn_commits++;
        for (size_t i = 0; i < rp->n; i++)
            rp->ranges[i].next = next[i];
    }
    if (list)
        rd_kafka_topic_partition_list_destroy(list);
    free(next);
    return r == DL_KAFKA_TXN_OK ? 0 : -1;
}

/* exactly-once: gives up the open transaction (after a failure). */
static void replay_txn_abort(dl_replay *rp, int timeout_ms)
{
    char msg[512];

    if (!rp->txn_open)
        return;
    rp->txn_open = 0;
    if (dl_kafka_sink_txn_abort(rp->snk, timeout_ms, msg, sizeof(msg)) != DL_KAFKA_TXN_OK)
        dl_logf(DL_LOG_WARN, "replay", "%s", msg);
}

static void replay_read_done(dl_replay *rp, size_t i)
{
    if (rp->rs[i].read_done)
        return;
    rp->rs[i].read_done = 1;
    if (!rp->rs[i].paused) {
        rp->rs[i].paused = 1;
        dl_replay_source_pause(rp->src, rp->topic, rp->ranges[i].partition);
    }
}

static void replay_consume(dl_replay *rp, rd_kafka_message_t *rkm)
{
    dl_replay_range *r;
    rinflight *inf;
    size_t i;

    if (rkm->err) {
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && rkm->rkt &&
            (r = replay_range(rp, rkm->partition, &i)) && rkm->offset >= r->end)
            replay_read_done(rp, i);
        else if (rkm->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                 rkm->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                 rkm->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
            replay_fail(rp, "consumer: %s", rd_kafka_message_errstr(rkm));
        rd_kafka_message_destroy(rkm);
        return;
    }
    if (!(r = replay_range(rp, rkm->partition, &i)) || rkm->offset < r->next ||
        rp->rs[i].read_done || rkm->offset >= r->end) {
        /* Past the end (fetched before the pause took effect) or stale. */
        if (r && rkm->offset >= r->end)
            replay_read_done(rp, i);
        rd_kafka_message_destroy(rkm);
        return;
    }
    if (rp->eos && replay_txn_begin(rp)) {
        rd_kafka_message_destroy(rkm);
        return;
    }
    if (!(inf = calloc(1, sizeof(*inf)))) {
        rd_kafka_message_destroy(rkm);
        replay_fail(rp, "out of memory");
        return;
    }
    inf->rkm = rkm;
    for (int k = 0; k < RT_KINDS; k++)
        inf->tickets[k] = (rticket){inf, k};
    if (!(inf->ent = dl_offsets_add(rp->ot, rp->topic, rkm->partition, rkm->offset, inf))) {
        rinflight_free(inf);
        replay_fail(rp, "out of memory");
        return;
    }
    rp->stats.consumed++;
    rp->rs[i].consumed_next = rkm->offset + 1;
    if (rkm->offset + 1 >= r->end)
        replay_read_done(rp, i);
    {
        dl_offsets_entry *ent = inf->ent;

        replay_process(rp, inf);
        /* Drop the processing hold last; inf may be freed. */
        dl_offsets_release(rp->ot, ent);
    }
}

static void replay_advance_one(const char *topic, int32_t partition, int64_t next, void *arg)
{
    dl_replay *rp = arg;
    dl_replay_range *r;
    size_t i;

    (void)topic;
    if (rp->eos)
        return; /* the transaction is the checkpoint */
    if ((r = replay_range(rp, partition, &i)) && next > r->next) {
        r->next = next < r->end ? next : r->end;
        rp->checkpoint_dirty = 1;
    }
}

/* Moves checkpoint positions over what is acknowledged; a read partition
 * with nothing pending is complete (its tail may be offsets that hold no
 * message, such as transaction markers). */
static void replay_advance(dl_replay *rp)
{
    dl_offsets_advance(rp->ot, replay_advance_one, rp);
    for (size_t i = 0; i < rp->n; i++) {
        dl_replay_range *r = &rp->ranges[i];

        if (!rp->eos && rp->rs[i].read_done && r->next < r->end && !rp->fail.failed &&
            dl_offsets_partition_len(rp->ot, rp->topic, r->partition) == 0) {
            r->next = r->end;
            rp->checkpoint_dirty = 1;
        }
    }
}

static int replay_all_done(const dl_replay *rp)
{
    for (size_t i = 0; i < rp->n; i++)
        if (rp->ranges[i].next < rp->ranges[i].end)
            return 0;
    return 1;
}

static void replay_check_positions(dl_replay *rp)
{
    for (size_t i = 0; i < rp->n; i++) {
        if (rp->rs[i].read_done)
            continue;
        int64_t pos = dl_replay_source_position(rp->src, rp->topic, rp->ranges[i].partition);

        if (pos >= rp->ranges[i].end &&
            dl_offsets_partition_len(rp->ot, rp->topic, rp->ranges[i].partition) == 0)
            replay_read_done(rp, i);
    }
}

static void replay_progress(dl_replay *rp, dl_progress *pg, int force)
{
    char enriched[24], dead[24], skipped[24];
    const char *kv[] = {"enriched", enriched, "dead_lettered", dead, "skipped", skipped, NULL};

    snprintf(enriched, sizeof(enriched), "%" PRIu64, rp->stats.enriched);
    snprintf(dead, sizeof(dead), "%" PRIu64, rp->stats.dead);
    snprintf(skipped, sizeof(skipped), "%" PRIu64, rp->stats.skipped);
    dl_progress_update(pg, replay_done(rp), force, kv);
}

int dl_replay_run(dl_replay *rp, dl_replay_stats *stats, dl_err *err)
{
    const dl_replay_opts *o = rp->o;
    dl_progress *pg = NULL;
    int64_t t0 = dl_now_ms(), now, next_ckpt, next_pos, end;
    int rc = 0, left;
    dl_err cerr;

    if (!rp->planned && (rc = dl_replay_plan(rp, err)))
        return rc;
    if (!(pg = dl_progress_new(o->progress, stderr, rp->stats.total, o->progress_interval_ms)))
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    {
        char total[24], left_s[24], parts[24];
        const char *kv[] = {"topic",       rp->topic,
                            "partitions",  parts,
                            "total",       total,
                            "left",        left_s,
                            "enriched",    rp->ocfg.topics.enriched,
                            "dead_letter", rp->ocfg.topics.dead_letter,
                            "resumed",     rp->resumed ? "true" : "false",
                            NULL};

        snprintf(total, sizeof(total), "%" PRId64, rp->stats.total);
        snprintf(left_s, sizeof(left_s), "%" PRId64, rp->stats.total - replay_done(rp));
        snprintf(parts, sizeof(parts), "%zu", rp->n);
        dl_log_write(DL_LOG_INFO, "replay", "starting", kv);
    }
    if ((rc = dl_replay_source_assign(rp->src, rp->topic, rp->ranges, rp->n, err)))
        goto out;
    next_ckpt = t0 + REPLAY_CHECKPOINT_MS;
    next_pos = t0 + REPLAY_POSITION_MS;
    replay_progress(rp, pg, 0);
    /* Polling stopped (in flight full, or --rate): librdkafka's queue may
     * have filled, see dl_replay_source_refill(). */
    int starved_fetch = 0;
    while (!*rp->stop && !rp->fail.failed) {
        char msg[512];
        rd_kafka_message_t *rkm;
        int reading = 0;

        if (dl_kafka_sink_fatal(rp->snk, msg, sizeof(msg)) ||
            dl_replay_source_fatal(rp->src, msg, sizeof(msg))) {
            replay_fail(rp, "%s", msg);
            break;
        }
        for (size_t i = 0; i < rp->n; i++)
            reading |= !rp->rs[i].read_done;
        now = dl_now_ms();
        if (!reading) {
            if (rp->eos && rp->txn_open && !rp->deferred)
                replay_txn_commit(rp, o->timeout_ms * 3);
            if (replay_all_done(rp) && !rp->deferred)
                break;
            dl_kafka_sink_poll(rp->snk, REPLAY_DR_SLICE_MS);
        } else if (dl_offsets_tracked(rp->ot) >= rp->max_inflight) {
            dl_kafka_sink_poll(rp->snk, REPLAY_DR_SLICE_MS);
            starved_fetch = 1;
        } else if (o->rate > 0 &&
                   (double)rp->stats.consumed >= (double)(now - t0) / 1000.0 * o->rate + 1.0) {
            /* --rate: wait for the next slot, serving delivery reports. */
            int64_t slot = t0 + (int64_t)((double)rp->stats.consumed / o->rate * 1000.0);
            int wait = (int)(slot - now);

            dl_kafka_sink_poll(rp->snk, wait < 1 ? 1 : wait > 100 ? 100 : wait);
            starved_fetch = 1;
        } else {
            int timeout = dl_offsets_tracked(rp->ot) > 0 ? REPLAY_DR_SLICE_MS : 200;

            if ((rkm = dl_replay_source_poll(rp->src, starved_fetch ? 0 : timeout))) {
                replay_consume(rp, rkm);
            } else if (starved_fetch) {
                /* Dry after a pause in polling: the fetcher may be asleep. */
                starved_fetch = 0;
                dl_replay_source_refill(rp->src);
            }
            dl_kafka_sink_poll(rp->snk, 0);
        }
        replay_drain_deferred(rp);
        replay_advance(rp);
        now = dl_now_ms();
        if (now >= next_pos) {
            replay_check_positions(rp);
            next_pos = now + REPLAY_POSITION_MS;
        }
        if (rp->eos && rp->txn_open && now - rp->txn_started >= REPLAY_TXN_MS && !rp->deferred)
            replay_txn_commit(rp, o->timeout_ms * 3);
        if (now >= next_ckpt && !rp->eos) {
            if (rp->checkpoint_dirty && replay_checkpoint_save(rp, &cerr))
                dl_logf(DL_LOG_WARN, "replay", "cannot save the checkpoint: %s", cerr.msg);
            next_ckpt = now + REPLAY_CHECKPOINT_MS;
        }
        replay_progress(rp, pg, 0);
    }

    /* Stop: deliver what was produced within the grace period, then keep
     * what was acknowledged. */
    end = dl_now_ms() + rp->cfg->runtime.shutdown_grace_ms;
    for (;;) {
        replay_drain_deferred(rp);
        left = dl_kafka_sink_outq_len(rp->snk);
        now = dl_now_ms();
        if ((left == 0 && !rp->deferred) || now >= end)
            break;
        dl_kafka_sink_flush(rp->snk, (int)(end - now < 100 ? end - now : 100));
    }
    replay_advance(rp);
    if (left)
        dl_logf(DL_LOG_WARN, "replay",
                "%d records not acknowledged within runtime.shutdown_grace_ms; their messages "
                "are replayed again on resume",
                left);
    if (rp->eos) {
        if (rp->fail.failed || left)
            replay_txn_abort(rp, rp->cfg->runtime.shutdown_grace_ms);
        else
            replay_txn_commit(rp, o->timeout_ms * 3);
    } else if (replay_checkpoint_save(rp, &cerr)) {
        replay_fail(rp, "cannot save the checkpoint: %s", cerr.msg); /* (it logs) */
    }
    replay_progress(rp, pg, 1);
    dl_progress_finish(pg, replay_done(rp));
out:
    rp->stats.done = replay_done(rp);
    rp->stats.complete = replay_all_done(rp) && !rp->fail.failed;
    rp->stats.seconds = (double)(dl_now_ms() - t0) / 1000.0;
    {
        char c[24], e[24], d[24], s[24], dn[24], tt[24], secs[24], tl[24];
        const char *kv[] = {"consumed",
                            c,
                            "timeline",
                            tl,
                            "enriched",
                            e,
                            "dead_lettered",
                            d,
                            "skipped",
                            s,
                            "done",
                            dn,
                            "total",
                            tt,
                            "seconds",
                            secs,
                            "complete",
                            rp->stats.complete ? "true" : "false",
                            NULL};

        snprintf(c, sizeof(c), "%" PRIu64, rp->stats.consumed);
        snprintf(e, sizeof(e), "%" PRIu64, rp->stats.enriched);
        snprintf(tl, sizeof(tl), "%" PRIu64, rp->stats.timeline);
        snprintf(d, sizeof(d), "%" PRIu64, rp->stats.dead);
        snprintf(s, sizeof(s), "%" PRIu64, rp->stats.skipped);
        snprintf(dn, sizeof(dn), "%" PRId64, rp->stats.done);
        snprintf(tt, sizeof(tt), "%" PRId64, rp->stats.total);
        snprintf(secs, sizeof(secs), "%.3f", rp->stats.seconds);
        dl_log_write(DL_LOG_INFO, "replay", "finished", kv);
    }
    if (stats)
        *stats = rp->stats;
    dl_progress_free(pg);
    dl_failure_summary(&rp->fail, "replay");
    if (!rc && rp->fail.failed)
        rc = dl_err_set(err, DL_EKAFKA, "%s", rp->fail.msg);
    return rc;
}

/* ------------------------------------------------------------ lifecycle */

dl_replay *dl_replay_new(const dl_config *cfg, dl_pipeline *pl, const dl_replay_opts *o,
                         const volatile sig_atomic_t *stop, dl_err *err)
{
    dl_replay *rp;
    const char *prefix = o->output_prefix ? o->output_prefix : "";

    if (cfg->delivery == DL_DELIVERY_EXACTLY_ONCE && !o->dry_run && !o->checkpoint_group) {
        /* The checkpoint must commit in the same transaction as the
         * records: only a group can (a file cannot). */
        dl_err_set(err, DL_EINVAL,
                   "delivery: exactly_once: a replay commits its progress in the transaction, "
                   "to a group of its own: use --checkpoint-group GROUP (not --checkpoint)");
        return NULL;
    }
    if (!o->dry_run && !pl) {
        dl_err_set(err, DL_EINVAL, "a replay needs a pipeline");
        return NULL;
    }
    if (!(rp = calloc(1, sizeof(*rp)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    rp->cfg = cfg;
    rp->pl = pl;
    rp->o = o;
    rp->stop = stop;
    rp->max_inflight =
        cfg->runtime.max_inflight > 0 ? (size_t)cfg->runtime.max_inflight : REPLAY_DEFAULT_INFLIGHT;
    rp->ocfg = *cfg;
    if (!(rp->topic = replay_strdup(o->topic ? o->topic : cfg->topics.input)) ||
        !(rp->out_enriched = replay_concat(prefix, cfg->topics.enriched)) ||
        !(rp->out_dead = replay_concat(prefix, cfg->topics.dead_letter)) ||
        !(rp->out_timeline = replay_concat(dl_config_timeline(cfg) ? prefix : "",
                                           cfg->topics.timeline)) ||
        !(rp->spec = dl_replay_spec(o, rp->topic)) || !(rp->ot = dl_offsets_new(rinflight_free))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
    rp->ocfg.topics.enriched = rp->out_enriched;
    rp->ocfg.topics.dead_letter = rp->out_dead;
    rp->ocfg.topics.timeline = rp->out_timeline;
    replay_hash(rp->spec, rp->spec_hash, sizeof(rp->spec_hash));
    if (!strcmp(rp->topic, rp->out_enriched) || !strcmp(rp->topic, rp->out_dead) ||
        !strcmp(rp->topic, rp->out_timeline)) {
        dl_err_set(err, DL_EINVAL, "replaying %s into itself: choose another --output-prefix",
                   rp->topic);
        goto fail;
    }
    /* Our own group id, never the live one: only explicit checkpoint
     * commits ever use it. */
    if (o->checkpoint_group) {
        if (!strcmp(o->checkpoint_group, cfg->kafka.group_id)) {
            dl_err_set(err, DL_EINVAL,
                       "--checkpoint-group %s is the live group (kafka.group_id); a replay "
                       "must not move its offsets",
                       o->checkpoint_group);
            goto fail;
        }
        snprintf(rp->group, sizeof(rp->group), "%s", o->checkpoint_group);
    } else {
        snprintf(rp->group, sizeof(rp->group), "%s.replay", cfg->kafka.group_id);
    }
    if (!(rp->src = dl_replay_source_new(cfg, rp->group, err)))
        goto fail;
    rp->eos = cfg->delivery == DL_DELIVERY_EXACTLY_ONCE && !o->dry_run;
    if (rp->eos) {
        /* Our own transactional.id: never fence the live `dateline run`. */
        if (!(rp->txn_id = replay_concat("dateline-replay-", rp->group)) ||
            !(rp->cgmd = rd_kafka_consumer_group_metadata_new(rp->group))) {
            dl_err_set(err, DL_ENOMEM, "out of memory");
            goto fail;
        }
        rp->ocfg.kafka.transactional_id = rp->txn_id;
    }
    if (!o->dry_run) {
        if (!(rp->snk = dl_kafka_sink_new(&rp->ocfg, replay_on_delivery, rp, err)) ||
            dl_kafka_sink_start(rp->snk, err) ||
            dl_kafka_sink_check_topics(rp->snk, o->timeout_ms, err))
            goto fail;
    }
    if (rp->eos) {
        char msg[512];
        dl_kafka_txn_result r = DL_KAFKA_TXN_RETRY;

        for (int attempt = 0; r == DL_KAFKA_TXN_RETRY && attempt < 5; attempt++)
            r = dl_kafka_sink_txn_init(rp->snk, o->timeout_ms, msg, sizeof(msg));
        if (r != DL_KAFKA_TXN_OK) {
            dl_err_set(err, DL_EKAFKA, "%s", msg);
            goto fail;
        }
        dl_logf(DL_LOG_INFO, "replay", "exactly-once: transactional.id %s, offsets to group %s",
                rp->txn_id, rp->group);
    }
    return rp;
fail:
    dl_replay_destroy(rp);
    return NULL;
}

void dl_replay_destroy(dl_replay *rp)
{
    if (!rp)
        return;
    rp->destroying = 1;
    dl_kafka_sink_destroy(rp->snk);
    rp->snk = NULL;
    /* Consumed messages must go before their consumer handle. */
    dl_offsets_free(rp->ot);
    dl_replay_source_destroy(rp->src);
    if (rp->cgmd)
        rd_kafka_consumer_group_metadata_destroy(rp->cgmd);
    free(rp->txn_id);
    free(rp->ranges);
    free(rp->rs);
    free(rp->topic);
    free(rp->spec);
    free(rp->out_enriched);
    free(rp->out_dead);
    free(rp->out_timeline);
    free(rp->buf);
    free(rp);
}

/* Kafka source: high-level consumer with eager and cooperative rebalancing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dateline/log.h"
#include "dateline/kafka_source.h"

#include "kafka_common.h"

/* Leaving the group from dl_kafka_source_destroy() without an earlier close. */
#define SOURCE_CLOSE_TIMEOUT_MS 10000

struct dl_kafka_source {
    const dl_config *cfg;
    dl_kafka_source_handlers h;
    rd_kafka_conf_t *conf; /* until dl_kafka_source_start() hands it to rd_kafka_new() */
    rd_kafka_t *rk;
    rd_kafka_queue_t *wake_q; /* the consumer queue, for dl_kafka_source_wake() */
    dl_kafka_state state;
    int auto_commit;
    int paused;
    int closing; /* dl_kafka_source_close() began: its revocation may still commit */
    int closed;
    int close_timed_out;
};

static void source_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    dl_kafka_source *src = opaque;

    dl_kafka_on_error(rk, &src->state, err, reason);
}

static void source_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    char parts[512];

    (void)rk;
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return;
    if (err) {
        dl_logf(DL_LOG_WARN, "source", "offset commit failed: %s (%s)", rd_kafka_err2str(err),
                dl_kafka_parts_str(offsets, parts, sizeof(parts)));
        return;
    }
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &offsets->elems[i];

        if (tp->err)
            dl_logf(DL_LOG_WARN, "source", "offset commit failed for %s[%d]: %s", tp->topic,
                    (int)tp->partition, rd_kafka_err2str(tp->err));
        else if (tp->offset >= 0)
            DL_LOG(DL_LOG_DEBUG, "source", "committed %s[%d] at %lld", tp->topic,
                   (int)tp->partition, (long long)tp->offset);
    }
}

static int source_cooperative(rd_kafka_t *rk)
{
    const char *proto = rd_kafka_rebalance_protocol(rk);

    return proto && !strcmp(proto, "COOPERATIVE");
}

static void source_assign(dl_kafka_source *src, rd_kafka_topic_partition_list_t *parts, int coop)
{
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (coop)
        error = rd_kafka_incremental_assign(src->rk, parts);
    else
        err = rd_kafka_assign(src->rk, parts);
    if (error) {
        dl_logf(DL_LOG_ERROR, "source", "incremental assign failed: %s",
                rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return;
    }
    if (err) {
        dl_logf(DL_LOG_ERROR, "source", "assign failed: %s", rd_kafka_err2str(err));
        return;
    }
    /* Pause state is per partition: new partitions join a paused stage
     * paused, and a fresh eager assignment must not inherit stale state. */
    if (src->paused)
        rd_kafka_pause_partitions(src->rk, parts);
    else
        rd_kafka_resume_partitions(src->rk, parts);
}

static void source_unassign(dl_kafka_source *src, rd_kafka_topic_partition_list_t *parts, int coop)
{
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (coop)
        error = rd_kafka_incremental_unassign(src->rk, parts);
    else
        err = rd_kafka_assign(src->rk, NULL);
    if (error) {
        dl_logf(DL_LOG_ERROR, "source", "incremental unassign failed: %s",
                rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (err) {
        dl_logf(DL_LOG_ERROR, "source", "unassign failed: %s", rd_kafka_err2str(err));
    }
}

static void source_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    dl_kafka_source *src = opaque;
    int coop = source_cooperative(rk);
    char list[1024];
    const char *kv[] = {"protocol", coop ? "cooperative" : "eager", "partitions", list, NULL};

    dl_kafka_parts_str(parts, list, sizeof(list));
    switch (err) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        /* Cooperative rebalances often hand out nothing new. */
        dl_log_write(parts->cnt ? DL_LOG_INFO : DL_LOG_DEBUG, "source", "partitions assigned", kv);
        source_assign(src, parts, coop);
        if (src->h.assigned)
            src->h.assigned(parts, src->h.arg);
        break;
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS: {
        int lost = rd_kafka_assignment_lost(rk);

        dl_log_write(DL_LOG_INFO, "source", lost ? "partitions lost" : "partitions revoked", kv);
        if (src->h.revoked)
            src->h.revoked(parts, lost, src->h.arg);
        source_unassign(src, parts, coop);
        break;
    }
    default:
        /* As librdkafka's examples: on a rebalance error drop the
         * assignment; the group protocol will hand out a new one. */
        dl_logf(DL_LOG_ERROR, "source", "rebalance failed: %s", rd_kafka_err2str(err));
        if (src->h.revoked)
            src->h.revoked(parts, 1, src->h.arg);
        source_unassign(src, parts, coop);
        break;
    }
}

static int source_conf_get_bool(rd_kafka_conf_t *conf, const char *name, int dflt)
{
    char buf[16];
    size_t size = sizeof(buf);

    if (rd_kafka_conf_get(conf, name, buf, &size) != RD_KAFKA_CONF_OK)
        return dflt;
    return !strcmp(buf, "true");
}

dl_kafka_source *dl_kafka_source_new(const dl_config *cfg, const dl_kafka_source_handlers *h,
                                     dl_err *err)
{
    dl_kafka_source *src;
    int rc;

    if (!(src = calloc(1, sizeof(*src)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    src->cfg = cfg;
    src->state.role = "consumer";
    if (h)
        src->h = *h;
    if (!(src->conf = rd_kafka_conf_new())) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
    /* Our defaults first so that kafka.consumer may override them. */
    if ((rc = dl_kafka_conf_client(src->conf, cfg, "dateline", err)) ||
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "group.id", cfg->kafka.group_id, err)) ||
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "enable.auto.commit", "true", err)) ||
        /* A new group starts at the beginning: an ETL stage that skips the
         * backlog of its first deployment loses data silently. */
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "auto.offset.reset", "earliest", err)) ||
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "queued.max.messages.kbytes",
                                DL_KAFKA_CONSUMER_QUEUE_KB, err)) ||
        (rc = dl_kafka_conf_apply(src->conf, cfg, "kafka.consumer", &cfg->kafka.consumer, err)))
        goto fail;
    /* At-least-once: an offset is stored only after its output is acked. */
    if (dl_kvlist_get(&cfg->kafka.consumer, "enable.auto.offset.store") &&
        source_conf_get_bool(src->conf, "enable.auto.offset.store", 0))
        dl_logf(DL_LOG_WARN, "source",
                "kafka.consumer.enable.auto.offset.store is forced to false (at-least-once)");
    if (cfg->delivery == DL_DELIVERY_EXACTLY_ONCE) {
        /* Offsets are committed by the producer's transactions only. */
        if (dl_kvlist_get(&cfg->kafka.consumer, "enable.auto.commit") &&
            source_conf_get_bool(src->conf, "enable.auto.commit", 0))
            dl_logf(DL_LOG_WARN, "source",
                    "kafka.consumer.enable.auto.commit is forced to false (exactly_once)");
        if ((rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "enable.auto.commit", "false", err)))
            goto fail;
        /* Input written by transactional producers: skip aborted records. */
        if (!dl_kvlist_get(&cfg->kafka.consumer, "isolation.level") &&
            (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "isolation.level", "read_committed",
                                    err)))
            goto fail;
    }
    if ((rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "enable.auto.offset.store", "false",
                                err)) ||
        (rc = dl_kafka_conf_logging(src->conf, cfg, err)))
        goto fail;
    src->auto_commit = source_conf_get_bool(src->conf, "enable.auto.commit", 1);
    rd_kafka_conf_set_opaque(src->conf, src);
    rd_kafka_conf_set_error_cb(src->conf, source_error_cb);
    rd_kafka_conf_set_rebalance_cb(src->conf, source_rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(src->conf, source_commit_cb);
    return src;
fail:
    dl_kafka_source_destroy(src);
    return NULL;
}

int dl_kafka_source_start(dl_kafka_source *src, dl_err *err)
{
    char errstr[512];
    rd_kafka_topic_partition_list_t *topics;
    rd_kafka_resp_err_t kerr;

    src->rk = rd_kafka_new(RD_KAFKA_CONSUMER, src->conf, errstr, sizeof(errstr));
    if (!src->rk)
        return dl_err_set_at(err, DL_ECONFIG, src->cfg->path ? src->cfg->path : "", 0, 0,
                             "kafka.consumer: %s", errstr);
    src->conf = NULL; /* now owned, and freed, by the rd_kafka_t instance */
    /* One queue for messages, rebalances, errors and logs: everything is
     * served by dl_kafka_source_poll() on the stage's thread. */
    rd_kafka_poll_set_consumer(src->rk);
    dl_kafka_log_forward(src->rk);
    src->wake_q = rd_kafka_queue_get_consumer(src->rk);

    if (!(topics = rd_kafka_topic_partition_list_new(1)))
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    rd_kafka_topic_partition_list_add(topics, src->cfg->topics.input, RD_KAFKA_PARTITION_UA);
    kerr = rd_kafka_subscribe(src->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kerr)
        return dl_err_set(err, DL_EKAFKA, "subscribe to %s: %s", src->cfg->topics.input,
                          rd_kafka_err2str(kerr));
    return 0;
}

rd_kafka_message_t *dl_kafka_source_poll(dl_kafka_source *src, int timeout_ms)
{
    rd_kafka_message_t *rkm = rd_kafka_consumer_poll(src->rk, timeout_ms);

    if (!rkm || !rkm->err)
        return rkm;
    if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        const char *topic = rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "";
        char partition[16];
        const char *kv[] = {
            "error", rd_kafka_err2name(rkm->err), "topic", topic, "partition", partition, NULL};

        snprintf(partition, sizeof(partition), "%d", (int)rkm->partition);
        dl_log_write(DL_LOG_WARN, "source", rd_kafka_message_errstr(rkm), kv);
        /* A consumer error may be the symptom of a fatal one. */
        if (rkm->err == RD_KAFKA_RESP_ERR__FATAL)
            dl_kafka_on_error(src->rk, &src->state, rkm->err, rd_kafka_message_errstr(rkm));
    }
    rd_kafka_message_destroy(rkm);
    return NULL;
}

int dl_kafka_source_store(dl_kafka_source *src, rd_kafka_topic_partition_list_t *offsets)
{
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(src->rk, offsets);

    for (int i = 0; i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &offsets->elems[i];

        if (tp->err)
            dl_logf(DL_LOG_WARN, "source", "cannot store offset %lld for %s[%d]: %s",
                    (long long)tp->offset, tp->topic, (int)tp->partition,
                    rd_kafka_err2str(tp->err));
        else
            DL_LOG(DL_LOG_DEBUG, "source", "stored %s[%d] at %lld", tp->topic, (int)tp->partition,
                   (long long)tp->offset);
    }
    return err ? DL_EKAFKA : 0;
}

int dl_kafka_source_commit(dl_kafka_source *src, int async)
{
    rd_kafka_resp_err_t err;

    if (!src->rk || src->closed)
        return 0;
    err = rd_kafka_commit(src->rk, NULL, async);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        dl_logf(DL_LOG_WARN, "source", "commit failed: %s", rd_kafka_err2str(err));
        return DL_EKAFKA;
    }
    return 0;
}

typedef struct source_commit_wait {
    int done;
    rd_kafka_resp_err_t err;
} source_commit_wait;

static void source_commit_wait_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    source_commit_wait *cw = opaque;

    source_commit_cb(rk, err, offsets, NULL);
    cw->err = err;
    cw->done = 1;
}

int dl_kafka_source_commit_wait(dl_kafka_source *src, int timeout_ms)
{
    source_commit_wait cw = {0, RD_KAFKA_RESP_ERR_NO_ERROR};
    rd_kafka_queue_t *rkqu;
    rd_kafka_resp_err_t err;
    int64_t deadline = dl_now_ms() + timeout_ms;

    if (!src->rk || src->closed)
        return 0;
    /* rd_kafka_commit(..., 0) would wait for as long as the coordinator
     * takes (minutes with a hung broker): wait on our own queue instead,
     * and give up at the deadline. The result of an abandoned commit lands
     * in the destroyed queue and is dropped unserved. */
    if (!(rkqu = rd_kafka_queue_new(src->rk)))
        return DL_ENOMEM;
    err = rd_kafka_commit_queue(src->rk, NULL, rkqu, source_commit_wait_cb, &cw);
    if (!err) {
        while (!cw.done) {
            int64_t left = deadline - dl_now_ms();

            if (left <= 0)
                break;
            rd_kafka_queue_poll_callback(rkqu, left < 100 ? (int)left : 100);
        }
        err = cw.done ? cw.err : RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    rd_kafka_queue_destroy(rkqu);
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return 0;
    if (err) {
        if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || !cw.done)
            dl_logf(DL_LOG_WARN, "source", "commit failed: %s", rd_kafka_err2str(err));
        return DL_EKAFKA;
    }
    return 0;
}

void dl_kafka_source_wake(dl_kafka_source *src)
{
    /* The yield flag stays set until a poll sees it: a wake between two
     * polls is not lost, it ends the next one. */
    if (src->wake_q)
        rd_kafka_queue_yield(src->wake_q);
}

void dl_kafka_source_refill(dl_kafka_source *src)
{
    if (src->rk)
        dl_kafka_refill(src->rk, DL_KAFKA_REFILL_TIMEOUT_MS);
}

int dl_kafka_source_auto_commit(const dl_kafka_source *src)
{
    return src->auto_commit;
}

void dl_kafka_source_pause(dl_kafka_source *src, int pause)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_resp_err_t err;

    if (!src->rk || src->paused == !!pause)
        return;
    src->paused = !!pause;
    err = rd_kafka_assignment(src->rk, &parts);
    if (!err && parts->cnt > 0)
        err = pause ? rd_kafka_pause_partitions(src->rk, parts)
                    : rd_kafka_resume_partitions(src->rk, parts);
    if (err)
        dl_logf(DL_LOG_WARN, "source", "%s failed: %s", pause ? "pause" : "resume",
                rd_kafka_err2str(err));
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
}

int dl_kafka_source_fatal(const dl_kafka_source *src, char *buf, size_t size)
{
    if (!atomic_load(&src->state.fatal))
        return 0;
    snprintf(buf, size, "%s", src->state.fatal_msg);
    return 1;
}

/*
 * Serves the queue of an asynchronous close with the event API, as the
 * librdkafka Go client does: fetched messages also land there, which the
 * callback API (rd_kafka_queue_poll_callback) cannot serve (it asserts).
 * Rebalance events are handed to our rebalance callback by hand.
 */
static void source_close_serve(dl_kafka_source *src, rd_kafka_queue_t *rkqu, int timeout_ms)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(rkqu, timeout_ms);
    const char *fac, *str;
    int level;

    if (!ev)
        return;
    switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_REBALANCE:
        source_rebalance_cb(src->rk, rd_kafka_event_error(ev),
                            rd_kafka_event_topic_partition_list(ev), src);
        break;
    case RD_KAFKA_EVENT_OFFSET_COMMIT:
        source_commit_cb(src->rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev),
                         NULL);
        break;
    case RD_KAFKA_EVENT_ERROR:
        dl_kafka_on_error(src->rk, &src->state, rd_kafka_event_error(ev),
                          rd_kafka_event_error_string(ev));
        break;
    case RD_KAFKA_EVENT_LOG:
        if (!rd_kafka_event_log(ev, &fac, &str, &level))
            dl_kafka_log_line(src->rk, level, fac, str);
        break;
    default:
        break; /* messages fetched before the close: never processed */
    }
    rd_kafka_event_destroy(ev);
}

int dl_kafka_source_close(dl_kafka_source *src, int timeout_ms)
{
    rd_kafka_queue_t *rkqu;
    rd_kafka_error_t *error;
    int64_t deadline = dl_now_ms() + timeout_ms;
    int rc = 0;

    if (!src || !src->rk || src->closing)
        return 0;
    src->closing = 1;
    /* rd_kafka_consumer_close() may block for session.timeout.ms when the
     * coordinator does not answer: close through a queue we serve, which
     * runs the final revocation through our rebalance callback (and the
     * auto commit), until the deadline. */
    if (!(rkqu = rd_kafka_queue_new(src->rk)))
        return DL_ENOMEM;
    if ((error = rd_kafka_consumer_close_queue(src->rk, rkqu))) {
        dl_logf(DL_LOG_WARN, "source", "consumer close: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        rc = DL_EKAFKA;
    } else {
        while (!rd_kafka_consumer_closed(src->rk)) {
            int64_t left = deadline - dl_now_ms();

            if (left <= 0) {
                dl_logf(DL_LOG_WARN, "source",
                        "leaving the group did not finish within %d ms; the group coordinator "
                        "will expire this member after session.timeout.ms",
                        timeout_ms);
                src->close_timed_out = 1;
                rc = DL_EKAFKA;
                break;
            }
            source_close_serve(src, rkqu, left < 100 ? (int)left : 100);
        }
    }
    rd_kafka_queue_destroy(rkqu);
    src->closed = 1;
    return rc;
}

void dl_kafka_source_destroy(dl_kafka_source *src)
{
    if (!src)
        return;
    if (src->rk) {
        dl_kafka_source_close(src, SOURCE_CLOSE_TIMEOUT_MS);
        if (src->wake_q)
            rd_kafka_queue_destroy(src->wake_q);
        src->wake_q = NULL;
        /* After a timed-out close the coordinator does not answer, and
         * rd_kafka_destroy() would wait for its requests to time out
         * (socket.timeout.ms, a minute): abandon the handle to the exiting
         * process instead. None of its callbacks can run any more: they
         * are only served by our polls. */
        if (src->close_timed_out)
            dl_logf(DL_LOG_WARN, "source", "abandoning the consumer handle");
        else
            rd_kafka_destroy(src->rk);
    }
    if (src->conf)
        rd_kafka_conf_destroy(src->conf);
    free(src);
}

rd_kafka_consumer_group_metadata_t *dl_kafka_source_group_metadata(dl_kafka_source *src)
{
    return src->rk ? rd_kafka_consumer_group_metadata(src->rk) : NULL;
}

int dl_kafka_source_seek(dl_kafka_source *src, rd_kafka_topic_partition_list_t *offsets,
                         int timeout_ms)
{
    rd_kafka_error_t *error;
    int rc = 0;

    if (!offsets || offsets->cnt == 0)
        return 0;
    if ((error = rd_kafka_seek_partitions(src->rk, offsets, timeout_ms))) {
        dl_logf(DL_LOG_ERROR, "source", "seek failed: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return DL_EKAFKA;
    }
    for (int i = 0; i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &offsets->elems[i];

        if (tp->err) {
            dl_logf(DL_LOG_ERROR, "source", "seek %s[%d] to %lld failed: %s", tp->topic,
                    (int)tp->partition, (long long)tp->offset, rd_kafka_err2str(tp->err));
            rc = DL_EKAFKA;
        } else {
            dl_logf(DL_LOG_INFO, "source", "rewound %s[%d] to %lld", tp->topic, (int)tp->partition,
                    (long long)tp->offset);
        }
    }
    return rc;
}

int dl_kafka_source_assigned(dl_kafka_source *src, const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    int found = 0;

    if (!src->rk || rd_kafka_assignment(src->rk, &parts))
        return 0;
    found = rd_kafka_topic_partition_list_find(parts, topic, partition) != NULL;
    rd_kafka_topic_partition_list_destroy(parts);
    return found;
}

rd_kafka_t *dl_kafka_source_handle(const dl_kafka_source *src)
{
    return src->rk;
}

void dl_kafka_message_view(const rd_kafka_message_t *rkm, const char *date_header,
                           dl_message *msg)
{
    rd_kafka_headers_t *hdrs = NULL;
    rd_kafka_timestamp_type_t tstype;
    const void *val;
    size_t size;
    int64_t ts;

    memset(msg, 0, sizeof(*msg));
    msg->value.p = rkm->payload ? rkm->payload : "";
    msg->value.len = rkm->len;
    if (rkm->key) {
        msg->key.p = rkm->key;
        msg->key.len = rkm->key_len;
    }
    if (date_header && date_header[0] && !rd_kafka_message_headers(rkm, &hdrs) &&
        !rd_kafka_header_get_last(hdrs, date_header, &val, &size) && val) {
        msg->date_header.p = val;
        msg->date_header.len = size;
    }
    ts = rd_kafka_message_timestamp(rkm, &tstype);
    msg->timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
    msg->topic = rd_kafka_topic_name(rkm->rkt);
    msg->partition = rkm->partition;
    msg->offset = rkm->offset;
}

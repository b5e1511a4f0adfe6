/* Kafka source: high-level consumer with eager and cooperative rebalancing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dateline/log.h"
#include "dateline/kafka_source.h"

#include "kafka_common.h"

struct dl_kafka_source {
    const dl_config *cfg;
    dl_kafka_source_handlers h;
    rd_kafka_conf_t *conf; /* until dl_kafka_source_start() hands it to rd_kafka_new() */
    rd_kafka_t *rk;
    dl_kafka_state state;
    int auto_commit;
    int paused;
    int closing; /* dl_kafka_source_close() began: its revocation may still commit */
    int closed;
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
        dl_log_write(DL_LOG_INFO, "source", "partitions assigned", kv);
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
    if ((rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "bootstrap.servers", cfg->kafka.brokers,
                                err)) ||
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "group.id", cfg->kafka.group_id, err)) ||
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "client.id", "dateline", err)) ||
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "enable.auto.commit", "true", err)) ||
        /* A new group starts at the beginning: an ETL stage that skips the
         * backlog of its first deployment loses data silently. */
        (rc = dl_kafka_conf_set(src->conf, cfg, "kafka", "auto.offset.reset", "earliest", err)) ||
        (rc = dl_kafka_conf_apply(src->conf, cfg, "kafka.consumer", &cfg->kafka.consumer, err)))
        goto fail;
    /* At-least-once: an offset is stored only after its output is acked. */
    if (dl_kvlist_get(&cfg->kafka.consumer, "enable.auto.offset.store") &&
        source_conf_get_bool(src->conf, "enable.auto.offset.store", 0))
        dl_logf(DL_LOG_WARN, "source",
                "kafka.consumer.enable.auto.offset.store is forced to false (at-least-once)");
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

int dl_kafka_source_close(dl_kafka_source *src)
{
    rd_kafka_resp_err_t err;

    if (!src || !src->rk || src->closing)
        return 0;
    src->closing = 1;
    /* Serves the final revocation through our rebalance callback, then
     * commits stored offsets when auto commit is on. */
    err = rd_kafka_consumer_close(src->rk);
    src->closed = 1;
    if (err) {
        dl_logf(DL_LOG_WARN, "source", "consumer close: %s", rd_kafka_err2str(err));
        return DL_EKAFKA;
    }
    return 0;
}

void dl_kafka_source_destroy(dl_kafka_source *src)
{
    if (!src)
        return;
    if (src->rk) {
        dl_kafka_source_close(src);
        rd_kafka_destroy(src->rk);
    }
    if (src->conf)
        rd_kafka_conf_destroy(src->conf);
    free(src);
}

rd_kafka_t *dl_kafka_source_handle(const dl_kafka_source *src)
{
    return src->rk;
}

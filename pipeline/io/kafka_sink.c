/* Kafka sink: one idempotent (or transactional) producer for the output topics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dateline/log.h"
#include "dateline/kafka_sink.h"

#include "kafka_common.h"

/* How long one wait for queue space or delivery reports lasts. */
#define SINK_POLL_SLICE_MS 100

struct dl_kafka_sink {
    const dl_config *cfg;
    dl_kafka_sink_delivery_fn *on_delivery;
    void *arg;
    rd_kafka_conf_t *conf; /* until dl_kafka_sink_start() hands it to rd_kafka_new() */
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt[DL_KAFKA_SINK_TOPICS];
    const char *names[DL_KAFKA_SINK_TOPICS];
    dl_kafka_state state;
    unsigned long queue_full_waits;
    int transactional;
    char txn_id[256];
    long queue_max_msgs; /* queue.buffering.max.messages */
    size_t max_record[DL_KAFKA_SINK_TOPICS]; /* from the topic's max.message.bytes, 0 = unknown */
    size_t client_max;                       /* message.max.bytes */
    rd_kafka_queue_t *report_q;              /* main queue, while on_report is set */
    void (*on_report)(void *arg);
    void *report_arg;
};

static void sink_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    dl_kafka_sink *snk = opaque;

    dl_kafka_on_error(rk, &snk->state, err, reason);
}

static void sink_dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    dl_kafka_sink *snk = opaque;

    (void)rk;
    if (snk->on_delivery)
        snk->on_delivery(rkm, snk->arg);
}

dl_kafka_sink *dl_kafka_sink_new(const dl_config *cfg, dl_kafka_sink_delivery_fn *on_delivery,
                                 void *arg, dl_err *err)
{
    dl_kafka_sink *snk;
    int rc;

    if (!(snk = calloc(1, sizeof(*snk)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    snk->cfg = cfg;
    snk->on_delivery = on_delivery;
    snk->arg = arg;
    snk->state.role = "producer";
    snk->names[DL_KAFKA_SINK_ENRICHED] = cfg->topics.enriched;
    snk->names[DL_KAFKA_SINK_DEAD_LETTER] = cfg->topics.dead_letter;
    /* NULL: timeline messages off; the loops over the topics skip it */
    snk->names[DL_KAFKA_SINK_TIMELINE] = dl_config_timeline(cfg) ? cfg->topics.timeline : NULL;
    if (!(snk->conf = rd_kafka_conf_new())) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
    /* Defaults first so that kafka.producer may override them. Idempotence
     * keeps retries from duplicating or reordering records per partition. */
    if ((rc = dl_kafka_conf_client(snk->conf, cfg, "dateline", err)) ||
        (rc = dl_kafka_conf_set(snk->conf, cfg, "kafka", "enable.idempotence", "true", err)) ||
        (rc = dl_kafka_conf_set(snk->conf, cfg, "kafka", "acks", "all", err)) ||
        (rc = dl_kafka_conf_set(snk->conf, cfg, "kafka", "linger.ms", DL_KAFKA_PRODUCER_LINGER_MS,
                                err)) ||
        (rc = dl_kafka_conf_apply(snk->conf, cfg, "kafka.producer", &cfg->kafka.producer, err)) ||
        (rc = dl_kafka_conf_logging(snk->conf, cfg, err)))
        goto fail;
    if (cfg->delivery == DL_DELIVERY_EXACTLY_ONCE) {
        if ((rc = dl_kafka_sink_txn_id(cfg, snk->txn_id, sizeof(snk->txn_id), err)) ||
            (rc = dl_kafka_conf_set(snk->conf, cfg, "kafka", "transactional.id", snk->txn_id, err)))
            goto fail;
        snk->transactional = 1;
    } else if (dl_kvlist_get(&cfg->kafka.producer, "transactional.id")) {
        dl_err_set_at(err, DL_ECONFIG, cfg->path ? cfg->path : "", 0, 0,
                      "kafka.producer.transactional.id: set kafka.transactional_id and "
                      "delivery: exactly_once instead");
        goto fail;
    }
    {
        char buf[32];
        size_t size = sizeof(buf);

        snk->queue_max_msgs = 100000;
        if (rd_kafka_conf_get(snk->conf, "queue.buffering.max.messages", buf, &size) ==
            RD_KAFKA_CONF_OK)
            snk->queue_max_msgs = strtol(buf, NULL, 10);
        size = sizeof(buf);
        if (rd_kafka_conf_get(snk->conf, "message.max.bytes", buf, &size) == RD_KAFKA_CONF_OK)
            snk->client_max = (size_t)strtoul(buf, NULL, 10);
    }
    rd_kafka_conf_set_opaque(snk->conf, snk);
    rd_kafka_conf_set_error_cb(snk->conf, sink_error_cb);
    rd_kafka_conf_set_dr_msg_cb(snk->conf, sink_dr_msg_cb);
    return snk;
fail:
    dl_kafka_sink_destroy(snk);
    return NULL;
}

int dl_kafka_sink_txn_id(const dl_config *cfg, char *buf, size_t size, dl_err *err)
{
    char host[256];
    int n;

    if (cfg->kafka.transactional_id && cfg->kafka.transactional_id[0]) {
        n = snprintf(buf, size, "%s", cfg->kafka.transactional_id);
    } else {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        n = snprintf(buf, size, "dateline-%s-%s", cfg->kafka.group_id, host);
    }
    if (n < 0 || (size_t)n >= size)
        return dl_err_set_at(err, DL_ECONFIG, cfg->path ? cfg->path : "", 0, 0,
                             "kafka.transactional_id: longer than %zu bytes", size - 1);
    return 0;
}

int dl_kafka_sink_start(dl_kafka_sink *snk, dl_err *err)
{
    char errstr[512];

    snk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, snk->conf, errstr, sizeof(errstr));
    if (!snk->rk)
        return dl_err_set_at(err, DL_ECONFIG, snk->cfg->path ? snk->cfg->path : "", 0, 0,
                             "kafka.producer: %s", errstr);
    snk->conf = NULL; /* now owned, and freed, by the rd_kafka_t instance */
    dl_kafka_log_forward(snk->rk);
    for (int i = 0; i < DL_KAFKA_SINK_TOPICS; i++) {
        if (!snk->names[i])
            continue;
        snk->rkt[i] = rd_kafka_topic_new(snk->rk, snk->names[i], NULL);
        if (!snk->rkt[i])
            return dl_err_set(err, DL_EKAFKA, "topic %s: %s", snk->names[i],
                              rd_kafka_err2str(rd_kafka_last_error()));
    }
    return 0;
}

/* Room a record needs in a batch besides its key and value: the v2 batch
 * header (61 bytes) and the record's own varints and attributes, rounded up. */
#define SINK_RECORD_OVERHEAD 128

/*
 * Reads each output topic's max.message.bytes (DescribeConfigs), so that a
 * record the broker would reject is known before it is produced: inside a
 * transaction a rejected record fails the whole transaction. Best effort:
 * on failure the limit stays unknown and the broker decides.
 */
static void sink_describe_limits(dl_kafka_sink *snk, int timeout_ms)
{
    rd_kafka_ConfigResource_t *res[DL_KAFKA_SINK_TOPICS] = {0};
    rd_kafka_AdminOptions_t *opts = NULL;
    rd_kafka_queue_t *rkqu = NULL;
    rd_kafka_event_t *ev = NULL;
    const rd_kafka_DescribeConfigs_result_t *result;
    const rd_kafka_ConfigResource_t **rs;
    size_t n_rs = 0, n_res = 0;

    if (!(rkqu = rd_kafka_queue_new(snk->rk)) ||
        !(opts = rd_kafka_AdminOptions_new(snk->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)))
        goto out;
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
    for (int i = 0; i < DL_KAFKA_SINK_TOPICS; i++)
        if (snk->names[i] &&
            !(res[n_res++] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, snk->names[i])))
            goto out;
    rd_kafka_DescribeConfigs(snk->rk, res, n_res, opts, rkqu);
    ev = rd_kafka_queue_poll(rkqu, timeout_ms + 1000);
    if (!ev || rd_kafka_event_error(ev) || !(result = rd_kafka_event_DescribeConfigs_result(ev))) {
        dl_logf(DL_LOG_WARN, "sink", "cannot read the output topics' max.message.bytes: %s",
                ev ? rd_kafka_event_error_string(ev) : "timed out");
        goto out;
    }
    rs = rd_kafka_DescribeConfigs_result_resources(result, &n_rs);
    for (size_t r = 0; r < n_rs; r++) {
        const rd_kafka_ConfigEntry_t **ents;
        size_t n_ents = 0;
        const char *name = rd_kafka_ConfigResource_name(rs[r]);

        if (rd_kafka_ConfigResource_error(rs[r]))
            continue;
        ents = rd_kafka_ConfigResource_configs(rs[r], &n_ents);
        for (size_t e = 0; e < n_ents; e++) {
            const char *value = rd_kafka_ConfigEntry_value(ents[e]);

            if (strcmp(rd_kafka_ConfigEntry_name(ents[e]), "max.message.bytes") || !value)
                continue;
            for (int i = 0; i < DL_KAFKA_SINK_TOPICS; i++)
                if (snk->names[i] && !strcmp(snk->names[i], name))
                    snk->max_record[i] = (size_t)strtoul(value, NULL, 10);
        }
    }
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    for (int i = 0; i < DL_KAFKA_SINK_TOPICS; i++)
        if (res[i])
            rd_kafka_ConfigResource_destroy(res[i]);
    if (opts)
        rd_kafka_AdminOptions_destroy(opts);
    if (rkqu)
        rd_kafka_queue_destroy(rkqu);
}

int dl_kafka_sink_fits(const dl_kafka_sink *snk, dl_kafka_sink_topic topic, size_t key_len,
                       size_t value_len, size_t *limit)
{
    size_t need = key_len + value_len + SINK_RECORD_OVERHEAD;
    size_t max = snk->max_record[topic];

    if (snk->client_max && (!max || snk->client_max < max))
        max = snk->client_max;
    if (limit)
        *limit = max;
    return !max || need <= max;
}

int dl_kafka_sink_check_topics(dl_kafka_sink *snk, int timeout_ms, dl_err *err)
{
    static const char *const keys[DL_KAFKA_SINK_TOPICS] = {
        [DL_KAFKA_SINK_ENRICHED] = "topics.enriched",
        [DL_KAFKA_SINK_DEAD_LETTER] = "topics.dead_letter",
        [DL_KAFKA_SINK_TIMELINE] = "topics.timeline"};

    for (int i = 0; i < DL_KAFKA_SINK_TOPICS; i++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t kerr, terr;

        if (!snk->rkt[i])
            continue; /* an output turned off */
        kerr = rd_kafka_metadata(snk->rk, 0, snk->rkt[i], &md, timeout_ms);

        if (kerr) {
            /* Unreachable cluster: not a configuration error, and
             * librdkafka keeps retrying; the records wait in the queue. */
            dl_logf(DL_LOG_WARN, "sink", "cannot check output topics: %s", rd_kafka_err2str(kerr));
            return 0;
        }
        terr = md->topic_cnt > 0 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        rd_kafka_metadata_destroy(md);
        if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return dl_err_set(err, DL_EKAFKA, "%s: topic %s does not exist in the cluster",
                              keys[i], snk->names[i]);
        if (terr)
            dl_logf(DL_LOG_WARN, "sink", "output topic %s: %s", snk->names[i],
                    rd_kafka_err2str(terr));
    }
    sink_describe_limits(snk, timeout_ms);
    return 0;
}

int dl_kafka_sink_produce(dl_kafka_sink *snk, dl_kafka_sink_topic topic, dl_slice key,
                          dl_slice value, rd_kafka_headers_t *hdrs, void *msg_opaque)
{
    rd_kafka_resp_err_t err;

    if (!snk->rkt[topic])
        return RD_KAFKA_RESP_ERR__INVALID_ARG; /* an output turned off: a caller's bug */
    for (;;) {
        err = rd_kafka_producev(
            snk->rk, RD_KAFKA_V_RKT(snk->rkt[topic]), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)value.p, value.len),
            RD_KAFKA_V_KEY(key.p, key.p ? key.len : 0), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        /* Backpressure: wait for delivery reports to make room. Every
         * queued record ends in a report within message.timeout.ms, so the
         * wait is bounded; a fatal error fails the next producev. */
        if (snk->queue_full_waits++ % 100 == 0)
            DL_LOG(DL_LOG_DEBUG, "sink", "producer queue full, waiting");
        rd_kafka_poll(snk->rk, SINK_POLL_SLICE_MS);
    }
    if (err) {
        if (hdrs) /* producev only takes the headers over on success */
            rd_kafka_headers_destroy(hdrs);
        return (int)err;
    }
    return 0;
}

/* librdkafka thread: the main queue went from empty to non-empty. */
static void sink_report_event(rd_kafka_t *rk, void *opaque)
{
    dl_kafka_sink *snk = opaque;

    (void)rk;
    snk->on_report(snk->report_arg);
}

void dl_kafka_sink_on_report(dl_kafka_sink *snk, void (*fn)(void *arg), void *arg)
{
    if (!snk->rk || snk->report_q || !(snk->report_q = rd_kafka_queue_get_main(snk->rk)))
        return;
    snk->on_report = fn;
    snk->report_arg = arg;
    rd_kafka_queue_cb_event_enable(snk->report_q, sink_report_event, snk);
}

void dl_kafka_sink_poll(dl_kafka_sink *snk, int timeout_ms)
{
    rd_kafka_poll(snk->rk, timeout_ms);
}

int dl_kafka_sink_flush(dl_kafka_sink *snk, int timeout_ms)
{
    rd_kafka_flush(snk->rk, timeout_ms);
    return rd_kafka_outq_len(snk->rk);
}

int dl_kafka_sink_queue_full(const dl_kafka_sink *snk)
{
    return snk->rk && rd_kafka_outq_len(snk->rk) >= snk->queue_max_msgs * 3 / 4;
}

int dl_kafka_sink_queue_drained(const dl_kafka_sink *snk)
{
    return !snk->rk || rd_kafka_outq_len(snk->rk) <= snk->queue_max_msgs / 4;
}

int dl_kafka_sink_transactional(const dl_kafka_sink *snk)
{
    return snk->transactional;
}

const char *dl_kafka_sink_txn_name(const dl_kafka_sink *snk)
{
    return snk->txn_id;
}

/* Classifies a transactional API error; destroys it. */
static dl_kafka_txn_result sink_txn_result(dl_kafka_sink *snk, const char *what,
                                           rd_kafka_error_t *error, char *msg, size_t size)
{
    dl_kafka_txn_result res;

    if (!error)
        return DL_KAFKA_TXN_OK;
    if (rd_kafka_error_is_fatal(error))
        res = DL_KAFKA_TXN_FATAL;
    else if (rd_kafka_error_txn_requires_abort(error))
        res = DL_KAFKA_TXN_ABORT;
    else if (rd_kafka_error_is_retriable(error))
        res = DL_KAFKA_TXN_RETRY;
    else
        res = DL_KAFKA_TXN_FATAL; /* e.g. __STATE: our bug, never retried blindly */
    snprintf(msg, size, "%s (transactional.id %s): %s: %s", what, snk->txn_id,
             rd_kafka_error_name(error), rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return res;
}

dl_kafka_txn_result dl_kafka_sink_txn_init(dl_kafka_sink *snk, int timeout_ms, char *msg,
                                           size_t size)
{
    return sink_txn_result(snk, "init_transactions",
                           rd_kafka_init_transactions(snk->rk, timeout_ms), msg, size);
}

dl_kafka_txn_result dl_kafka_sink_txn_begin(dl_kafka_sink *snk, char *msg, size_t size)
{
    /* begin_transaction() may hang on a producer that already raised a
     * fatal error (librdkafka #4420): check first. */
    if (atomic_load(&snk->state.fatal)) {
        snprintf(msg, size, "%s", snk->state.fatal_msg);
        return DL_KAFKA_TXN_FATAL;
    }
    return sink_txn_result(snk, "begin_transaction", rd_kafka_begin_transaction(snk->rk), msg,
                           size);
}

dl_kafka_txn_result dl_kafka_sink_txn_send_offsets(dl_kafka_sink *snk,
                                                   const rd_kafka_topic_partition_list_t *offsets,
                                                   const rd_kafka_consumer_group_metadata_t *cgmd,
                                                   int timeout_ms, char *msg, size_t size)
{
    return sink_txn_result(
        snk, "send_offsets_to_transaction",
        rd_kafka_send_offsets_to_transaction(snk->rk, offsets, cgmd, timeout_ms), msg, size);
}

dl_kafka_txn_result dl_kafka_sink_txn_commit(dl_kafka_sink *snk, int timeout_ms, char *msg,
                                             size_t size)
{
    return sink_txn_result(snk, "commit_transaction",
                           rd_kafka_commit_transaction(snk->rk, timeout_ms), msg, size);
}

dl_kafka_txn_result dl_kafka_sink_txn_abort(dl_kafka_sink *snk, int timeout_ms, char *msg,
                                            size_t size)
{
    return sink_txn_result(snk, "abort_transaction",
                           rd_kafka_abort_transaction(snk->rk, timeout_ms), msg, size);
}

rd_kafka_t *dl_kafka_sink_handle(const dl_kafka_sink *snk)
{
    return snk ? snk->rk : NULL;
}

int dl_kafka_sink_outq_len(const dl_kafka_sink *snk)
{
    return snk->rk ? rd_kafka_outq_len(snk->rk) : 0;
}

int dl_kafka_sink_fatal(const dl_kafka_sink *snk, char *buf, size_t size)
{
    if (!atomic_load(&snk->state.fatal))
        return 0;
    snprintf(buf, size, "%s", snk->state.fatal_msg);
    return 1;
}

const char *dl_kafka_sink_topic_name(const dl_kafka_sink *snk, dl_kafka_sink_topic topic)
{
    return snk->names[topic];
}

void dl_kafka_sink_destroy(dl_kafka_sink *snk)
{
    if (!snk)
        return;
    if (snk->rk) {
        /* Anything left could not be delivered in time. Purging hands each
         * record back through a delivery report, so its owner learns it was
         * not acknowledged (and does not store its offset). */
        rd_kafka_purge(snk->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 50 && rd_kafka_outq_len(snk->rk) > 0; i++)
            rd_kafka_poll(snk->rk, SINK_POLL_SLICE_MS);
        if (snk->report_q) {
            rd_kafka_queue_cb_event_enable(snk->report_q, NULL, NULL);
            rd_kafka_queue_destroy(snk->report_q);
        }
        for (int i = 0; i < DL_KAFKA_SINK_TOPICS; i++)
            if (snk->rkt[i])
                rd_kafka_topic_destroy(snk->rkt[i]);
        rd_kafka_destroy(snk->rk);
    }
    if (snk->conf)
        rd_kafka_conf_destroy(snk->conf);
    free(snk);
}

int dl_kafka_sink_rejected(int err)
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

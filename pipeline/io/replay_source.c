/* The manual-assignment consumer of `dateline replay`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dateline/log.h"
#include "dateline/replay_source.h"

#include "kafka_common.h"

struct dl_replay_source {
    const dl_config *cfg;
    rd_kafka_t *rk;
    dl_kafka_state state;
    unsigned long errors_logged;
};

static void replay_source_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    dl_replay_source *src = opaque;

    dl_kafka_on_error(rk, &src->state, err, reason);
}

dl_replay_source *dl_replay_source_new(const dl_config *cfg, const char *group, dl_err *err)
{
    dl_replay_source *src;
    rd_kafka_conf_t *conf = NULL;
    char errstr[512];
    int rc;

    if (!(src = calloc(1, sizeof(*src)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    src->cfg = cfg;
    src->state.role = "consumer";
    if (!(conf = rd_kafka_conf_new())) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
    /* Pass-through first (TLS, SASL, fetch tuning); what makes the replay
     * safe for the live group is forced afterwards. */
    if ((rc = dl_kafka_conf_client(conf, cfg, "dateline-replay", err)) ||
        (rc = dl_kafka_conf_set(conf, cfg, "kafka", "auto.offset.reset", "earliest", err)) ||
        (rc = dl_kafka_conf_set(conf, cfg, "kafka", "queued.max.messages.kbytes",
                                DL_KAFKA_CONSUMER_QUEUE_KB, err)) ||
        (rc = dl_kafka_conf_apply(conf, cfg, "kafka.consumer", &cfg->kafka.consumer, err)) ||
        (rc = dl_kafka_conf_set(conf, cfg, "kafka", "group.id", group, err)) ||
        (rc = dl_kafka_conf_set(conf, cfg, "kafka", "enable.auto.commit", "false", err)) ||
        (rc = dl_kafka_conf_set(conf, cfg, "kafka", "enable.auto.offset.store", "false", err)) ||
        (rc = dl_kafka_conf_set(conf, cfg, "kafka", "enable.partition.eof", "true", err)) ||
        (rc = dl_kafka_conf_logging(conf, cfg, err)))
        goto fail;
    rd_kafka_conf_set_opaque(conf, src);
    rd_kafka_conf_set_error_cb(conf, replay_source_error_cb);
    if (!(src->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)))) {
        dl_err_set_at(err, DL_ECONFIG, cfg->path ? cfg->path : "", 0, 0, "kafka.consumer: %s",
                      errstr);
        goto fail;
    }
    conf = NULL; /* now owned, and freed, by the rd_kafka_t instance */
    dl_kafka_log_forward(src->rk);
    /* Serve everything (logs, errors) from rd_kafka_consumer_poll(). */
    rd_kafka_poll_set_consumer(src->rk);
    return src;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    dl_replay_source_destroy(src);
    return NULL;
}

void dl_replay_source_destroy(dl_replay_source *src)
{
    if (!src)
        return;
    if (src->rk) {
        /* Not a group member and auto commit is off: closing commits
         * nothing and leaves no group. */
        rd_kafka_consumer_close(src->rk);
        rd_kafka_destroy(src->rk);
    }
    free(src);
}

static int partition_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return x < y ? -1 : x > y;
}

int dl_replay_source_partitions(dl_replay_source *src, const char *topic, int timeout_ms,
                                int32_t **parts, size_t *n, dl_err *err)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(src->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr;
    int rc = 0;

    *parts = NULL;
    *n = 0;
    if (!rkt)
        return dl_err_set(err, DL_EKAFKA, "topic %s: %s", topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
    kerr = rd_kafka_metadata(src->rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (kerr)
        return dl_err_set(err, DL_EKAFKA, "cannot read the metadata of topic %s: %s", topic,
                          rd_kafka_err2str(kerr));
    if (md->topic_cnt < 1 || md->topics[0].err) {
        rc = dl_err_set(err, DL_EKAFKA, "topic %s: %s", topic,
                        rd_kafka_err2str(md->topic_cnt < 1 ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                                           : md->topics[0].err));
        goto out;
    }
    if (md->topics[0].partition_cnt < 1) {
        rc = dl_err_set(err, DL_EKAFKA, "topic %s has no partitions", topic);
        goto out;
    }
    if (!(*parts = malloc(sizeof(**parts) * (size_t)md->topics[0].partition_cnt))) {
        rc = dl_err_set(err, DL_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        (*parts)[i] = md->topics[0].partitions[i].id;
    *n = (size_t)md->topics[0].partition_cnt;
    qsort(*parts, *n, sizeof(**parts), partition_cmp);
out:
    rd_kafka_metadata_destroy(md);
    return rc;
}

int dl_replay_source_watermarks(dl_replay_source *src, const char *topic, int32_t partition,
                                int timeout_ms, int64_t *lo, int64_t *hi, dl_err *err)
{
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
    int64_t end = dl_now_ms() + timeout_ms;

    /* A leader that is busy or moving may answer without offsets (-1001):
     * ask again rather than plan an empty range. */
    for (int attempt = 0;; attempt++) {
        *lo = *hi = RD_KAFKA_OFFSET_INVALID;
        kerr = rd_kafka_query_watermark_offsets(src->rk, topic, partition, lo, hi, timeout_ms);
        if (!kerr && *lo >= 0 && *hi >= *lo)
            return 0;
        if (dl_now_ms() >= end || attempt >= 20)
            break;
        DL_LOG(DL_LOG_DEBUG, "replay",
               "watermarks of %s[%" PRId32 "]: %s (lo %" PRId64 ", hi %" PRId64 "), retrying",
               topic, partition, rd_kafka_err2str(kerr), *lo, *hi);
        nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
    }
    if (kerr)
        return dl_err_set(err, DL_EKAFKA, "watermarks of %s[%" PRId32 "]: %s", topic, partition,
                          rd_kafka_err2str(kerr));
    return dl_err_set(err, DL_EKAFKA,
                      "watermarks of %s[%" PRId32 "]: no valid offsets (%" PRId64 ", %" PRId64 ")",
                      topic, partition, *lo, *hi);
}

int dl_replay_source_offsets_for_time(dl_replay_source *src, const char *topic,
                                      const int32_t *parts, size_t n, int64_t ts_ms, int timeout_ms,
                                      int64_t *out, dl_err *err)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_resp_err_t kerr;
    int rc = 0;

    if (!list)
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, topic, parts[i])->offset = ts_ms;
    kerr = rd_kafka_offsets_for_times(src->rk, list, timeout_ms);
    if (kerr) {
        rc = dl_err_set(err, DL_EKAFKA, "offsets for time %" PRId64 " on %s: %s", ts_ms, topic,
                        rd_kafka_err2str(kerr));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(list, topic, parts[i]);

        if (!p || p->err) {
            rc = dl_err_set(err, DL_EKAFKA, "offsets for time on %s[%" PRId32 "]: %s", topic,
                            parts[i],
                            rd_kafka_err2str(p ? p->err : RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION));
            goto out;
        }
        /* RD_KAFKA_OFFSET_END (-1): no message at or after ts_ms. */
        out[i] = p->offset < 0 ? -1 : p->offset;
    }
out:
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

int dl_replay_source_assign(dl_replay_source *src, const char *topic, const dl_replay_range *ranges,
                            size_t n, dl_err *err)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_resp_err_t kerr;

    if (!list)
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (ranges[i].next < ranges[i].end)
            rd_kafka_topic_partition_list_add(list, topic, ranges[i].partition)->offset =
                ranges[i].next;
    kerr = rd_kafka_assign(src->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (kerr)
        return dl_err_set(err, DL_EKAFKA, "assign: %s", rd_kafka_err2str(kerr));
    return 0;
}

void dl_replay_source_pause(dl_replay_source *src, const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);

    if (!list)
        return;
    rd_kafka_topic_partition_list_add(list, topic, partition);
    rd_kafka_pause_partitions(src->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
}

int64_t dl_replay_source_position(dl_replay_source *src, const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    int64_t pos = -1;

    if (!list)
        return -1;
    rd_kafka_topic_partition_list_add(list, topic, partition);
    if (!rd_kafka_position(src->rk, list) && !list->elems[0].err)
        pos = list->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(list);
    return pos;
}

rd_kafka_message_t *dl_replay_source_poll(dl_replay_source *src, int timeout_ms)
{
    rd_kafka_message_t *rkm = rd_kafka_consumer_poll(src->rk, timeout_ms);

    if (rkm && rkm->err && rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
        src->errors_logged++ < 100)
        dl_logf(DL_LOG_WARN, "replay", "consumer: %s%s%s", rd_kafka_message_errstr(rkm),
                rkm->rkt ? " on " : "", rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "");
    return rkm;
}

void dl_replay_source_refill(dl_replay_source *src)
{
    dl_kafka_refill(src->rk, DL_KAFKA_REFILL_TIMEOUT_MS);
}

int dl_replay_source_fatal(const dl_replay_source *src, char *buf, size_t size)
{
    if (!atomic_load(&src->state.fatal))
        return 0;
    snprintf(buf, size, "%s", src->state.fatal_msg);
    return 1;
}

int dl_replay_source_commit(dl_replay_source *src, const char *topic,
                            const rd_kafka_topic_partition_list_t *offsets, dl_err *err)
{
    rd_kafka_resp_err_t kerr = rd_kafka_commit(src->rk, offsets, 0);

    if (kerr)
        return dl_err_set(err, DL_EKAFKA, "commit of %s to the replay group: %s", topic,
                          rd_kafka_err2str(kerr));
    for (int i = 0; i < offsets->cnt; i++)
        if (offsets->elems[i].err)
            return dl_err_set(err, DL_EKAFKA, "commit of %s[%" PRId32 "]: %s", topic,
                              offsets->elems[i].partition, rd_kafka_err2str(offsets->elems[i].err));
    return 0;
}

int dl_replay_source_committed(dl_replay_source *src, rd_kafka_topic_partition_list_t *parts,
                               int timeout_ms, dl_err *err)
{
    rd_kafka_resp_err_t kerr = rd_kafka_committed(src->rk, parts, timeout_ms);

    if (kerr)
        return dl_err_set(err, DL_EKAFKA, "committed offsets of the replay group: %s",
                          rd_kafka_err2str(kerr));
    return 0;
}

/* Shared Kafka client plumbing: pass-through properties, logs, errors. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dateline/log.h"

#include "kafka_common.h"

int dl_kafka_conf_set(rd_kafka_conf_t *conf, const dl_config *cfg, const char *section,
                      const char *name, const char *value, dl_err *err)
{
    char errstr[512];

    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
        return dl_err_set_at(err, DL_ECONFIG, cfg->path ? cfg->path : "", 0, 0, "%s.%s: %s",
                             section, name, errstr);
    return 0;
}

int dl_kafka_conf_client(rd_kafka_conf_t *conf, const dl_config *cfg, const char *client_id,
                         dl_err *err)
{
    int rc = dl_kafka_conf_set(conf, cfg, "kafka", "bootstrap.servers", cfg->kafka.brokers, err);

    if (!rc)
        rc = dl_kafka_conf_set(conf, cfg, "kafka", "client.id", client_id, err);
    if (!rc)
        rc = dl_kafka_conf_set(conf, cfg, "kafka", "socket.nagle.disable", DL_KAFKA_NAGLE_DISABLE,
                               err);
    return rc;
}

int dl_kafka_conf_apply(rd_kafka_conf_t *conf, const dl_config *cfg, const char *section,
                        const dl_kvlist *props, dl_err *err)
{
    int rc;

    for (size_t i = 0; i < props->n; i++) {
        rc = dl_kafka_conf_set(conf, cfg, section, props->items[i].key, props->items[i].value, err);
        if (rc)
            return rc;
    }
    return 0;
}

static dl_log_level level_from_syslog(int level)
{
    if (level <= 3)
        return DL_LOG_ERROR;
    if (level == 4)
        return DL_LOG_WARN;
    if (level <= 6)
        return DL_LOG_INFO;
    return DL_LOG_DEBUG;
}

/* Runs in our poll thread (log.queue + rd_kafka_set_log_queue); until the
 * queue is set, librdkafka keeps the lines. dl_log_write() is one write(2)
 * per line and would be safe on librdkafka's threads as well. */
void dl_kafka_log_line(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    dl_log_level lvl = level_from_syslog(level);
    const char *kv[] = {"client", rd_kafka_name(rk), "fac", fac, NULL};

    if (lvl < dl_log_get_level())
        return;
    dl_log_write(lvl, "rdkafka", buf, kv);
}

int dl_kafka_conf_logging(rd_kafka_conf_t *conf, const dl_config *cfg, dl_err *err)
{
    int rc = dl_kafka_conf_set(conf, cfg, "kafka", "log.queue", "true", err);

    if (rc)
        return rc;
    rd_kafka_conf_set_log_cb(conf, dl_kafka_log_line);
    return 0;
}

void dl_kafka_log_forward(rd_kafka_t *rk)
{
    rd_kafka_resp_err_t err = rd_kafka_set_log_queue(rk, NULL);

    if (err)
        dl_logf(DL_LOG_WARN, "kafka", "%s: cannot forward logs: %s", rd_kafka_name(rk),
                rd_kafka_err2str(err));
}

void dl_kafka_on_error(rd_kafka_t *rk, dl_kafka_state *state, int err, const char *reason)
{
    char fatal[256];
    rd_kafka_resp_err_t ferr;
    const char *kv[] = {"client", rd_kafka_name(rk), "error", rd_kafka_err2name(err), NULL};

    if (err != RD_KAFKA_RESP_ERR__FATAL) {
        /* Transient: librdkafka retries. Its log line already says what
         * happened (connection refused, auth...); only "every broker is
         * down" deserves its own line above debug. */
        dl_log_write(err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? DL_LOG_ERROR : DL_LOG_DEBUG,
                     "kafka", reason, kv);
        return;
    }
    ferr = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    snprintf(state->fatal_msg, sizeof(state->fatal_msg), "fatal %s error: %s: %s", state->role,
             rd_kafka_err2name(ferr), fatal);
    atomic_store(&state->fatal, 1);
    dl_log_write(DL_LOG_ERROR, "kafka", state->fatal_msg, kv);
}

const char *dl_kafka_parts_str(const rd_kafka_topic_partition_list_t *parts, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; parts && i < parts->cnt; i++) {
        int n = snprintf(buf + used, size - used, "%s%s[%d]", i ? "," : "", parts->elems[i].topic,
                         (int)parts->elems[i].partition);

        if (n < 0 || (size_t)n >= size - used) {
            /* Truncated: mark it rather than cut a name silently. */
            if (size > 4)
                memcpy(buf + size - 4, "...", 4);
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

void dl_kafka_refill(rd_kafka_t *rk, int timeout_ms)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_resp_err_t err;

    if (rd_kafka_assignment(rk, &parts) || !parts)
        return;
    /* The latest offsets (timestamp -1), asked of every leader at once. */
    for (int i = 0; i < parts->cnt; i++)
        parts->elems[i].offset = RD_KAFKA_OFFSET_END;
    if (parts->cnt && (err = rd_kafka_offsets_for_times(rk, parts, timeout_ms)))
        DL_LOG(DL_LOG_DEBUG, "kafka", "refill: %s", rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(parts);
}

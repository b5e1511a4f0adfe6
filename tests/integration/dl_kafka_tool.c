/*
 * dl_kafka_tool - a small librdkafka helper for the integration tests and
 * bench/replay.sh, for what kcat cannot do: produce with explicit message
 * timestamps, and commit / read a consumer group's offsets.
 *
 *   dl_kafka_tool produce BROKERS TOPIC
 *       stdin: one message per line, "PARTITION<TAB>TIMESTAMP_MS<TAB>KEY<TAB>VALUE"
 *       (TIMESTAMP_MS 0: the producer's clock; KEY "": no key). Exits 0 when
 *       every message was acknowledged.
 *   dl_kafka_tool commit BROKERS GROUP TOPIC P:O[,P:O...]
 *       commits the offsets for GROUP without joining it (manual assignment).
 *   dl_kafka_tool committed BROKERS GROUP TOPIC PARTITIONS
 *       prints "P OFFSET" per partition (-1001: nothing committed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

static int delivery_failures;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (rkm->err) {
        if (delivery_failures++ < 10)
            fprintf(stderr, "dl_kafka_tool: delivery failed: %s\n", rd_kafka_err2str(rkm->err));
    }
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, const char *group)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) ||
        (group && rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr))) ||
        (group && rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr))) ||
        (type == RD_KAFKA_PRODUCER &&
         (rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof(errstr)) ||
          rd_kafka_conf_set(conf, "queue.buffering.max.messages", "500000", errstr,
                            sizeof(errstr))))) {
        fprintf(stderr, "dl_kafka_tool: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    if (!(rk = rd_kafka_new(type, conf, errstr, sizeof(errstr)))) {
        fprintf(stderr, "dl_kafka_tool: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rk; /* conf is now owned by rk */
}

static int cmd_produce(const char *brokers, const char *topic)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, brokers, NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long count = 0;
    int rc = 0;

    if (!rk)
        return 1;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        char *p = line, *end, *key, *value;
        long part;
        long long ts;
        size_t key_len;
        rd_kafka_resp_err_t err;

        if (line[n - 1] == '\n')
            line[--n] = '\0';
        part = strtol(p, &end, 10);
        if (end == p || *end != '\t')
            goto bad;
        p = end + 1;
        ts = strtoll(p, &end, 10);
        if (end == p || *end != '\t')
            goto bad;
        key = end + 1;
        if (!(value = strchr(key, '\t')))
            goto bad;
        key_len = (size_t)(value - key);
        value++;
        for (;;) {
            err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int32_t)part),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP((int64_t)ts),
                RD_KAFKA_V_KEY(key_len ? key : NULL, key_len),
                RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(rk, 50);
        }
        if (err) {
            fprintf(stderr, "dl_kafka_tool: produce: %s\n", rd_kafka_err2str(err));
            rc = 1;
            break;
        }
        rd_kafka_poll(rk, 0);
        count++;
        continue;
    bad:
        fprintf(stderr, "dl_kafka_tool: line %ld: want PARTITION<TAB>TS<TAB>KEY<TAB>VALUE\n",
                count + 1);
        rc = 1;
        break;
    }
    free(line);
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR || rd_kafka_outq_len(rk) > 0) {
        fprintf(stderr, "dl_kafka_tool: %d messages not delivered\n", rd_kafka_outq_len(rk));
        rc = 1;
    }
    if (delivery_failures)
        rc = 1;
    rd_kafka_destroy(rk);
    if (!rc)
        fprintf(stderr, "dl_kafka_tool: produced %ld messages to %s\n", count, topic);
    return rc;
}

static int cmd_commit(const char *brokers, const char *group, const char *topic, const char *spec)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers, group);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(8);
    const char *p = spec;
    rd_kafka_resp_err_t err;
    int rc = 0;

    if (!rk) {
        rd_kafka_topic_partition_list_destroy(parts);
        return 1;
    }
    while (*p) {
        char *end;
        long part = strtol(p, &end, 10);
        long long off;

        if (end == p || *end != ':') {
            fprintf(stderr, "dl_kafka_tool: bad offsets '%s' (want P:O,...)\n", spec);
            rc = 1;
            goto out;
        }
        p = end + 1;
        off = strtoll(p, &end, 10);
        if (end == p || (*end && *end != ',')) {
            fprintf(stderr, "dl_kafka_tool: bad offsets '%s' (want P:O,...)\n", spec);
            rc = 1;
            goto out;
        }
        rd_kafka_topic_partition_list_add(parts, topic, (int32_t)part)->offset = off;
        p = *end ? end + 1 : end;
    }
    if ((err = rd_kafka_commit(rk, parts, 0))) {
        fprintf(stderr, "dl_kafka_tool: commit: %s\n", rd_kafka_err2str(err));
        rc = 1;
    }
out:
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

static int cmd_committed(const char *brokers, const char *group, const char *topic, int n)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers, group);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    rd_kafka_resp_err_t err;
    int rc = 0;

    if (!rk) {
        rd_kafka_topic_partition_list_destroy(parts);
        return 1;
    }
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(parts, topic, i);
    if ((err = rd_kafka_committed(rk, parts, 30000))) {
        fprintf(stderr, "dl_kafka_tool: committed: %s\n", rd_kafka_err2str(err));
        rc = 1;
    } else {
        for (int i = 0; i < parts->cnt; i++)
            printf("%" PRId32 " %" PRId64 "\n", parts->elems[i].partition, parts->elems[i].offset);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "produce"))
        return cmd_produce(argv[2], argv[3]);
    if (argc == 6 && !strcmp(argv[1], "commit"))
        return cmd_commit(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 6 && !strcmp(argv[1], "committed")) {
        char *end;
        long n = strtol(argv[5], &end, 10);

        if (*end || n < 1 || n > 100000) {
            fprintf(stderr, "dl_kafka_tool: bad partition count '%s'\n", argv[5]);
            return 2;
        }
        return cmd_committed(argv[2], argv[3], argv[4], (int)n);
    }
    fprintf(stderr, "usage: dl_kafka_tool produce BROKERS TOPIC < lines\n"
                    "       dl_kafka_tool commit BROKERS GROUP TOPIC P:O[,P:O...]\n"
                    "       dl_kafka_tool committed BROKERS GROUP TOPIC PARTITIONS\n");
    return 2;
}

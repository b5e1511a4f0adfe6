/*
 * dl_kafka_tool - a small librdkafka helper for the integration tests and
 * bench/replay.sh, for what kcat cannot do: produce with explicit message
 * timestamps, and commit / read a consumer group's offsets.
 *
 *   dl_kafka_tool produce BROKERS TOPIC [LINGER_MS]
 *       stdin: one message per line, "PARTITION<TAB>TIMESTAMP_MS<TAB>KEY<TAB>VALUE"
 *       (TIMESTAMP_MS 0: the producer's clock; KEY "": no key). Exits 0 when
 *       every message was acknowledged. LINGER_MS (default 20, for bulk
 *       loads): 0 sends each line as it comes, for a paced input.
 *   dl_kafka_tool pipe BROKERS GROUP IN_TOPIC OUT_TOPIC
 *       a no-op stage for bench/e2e.py --passthrough: copies each message of
 *       IN_TOPIC to the same partition of OUT_TOPIC as a record shaped like
 *       an enriched one ({"source": {timestamp, partition, offset}} and the
 *       value's bytes), with the stage's producer settings, until SIGTERM.
 *       Offsets are auto-committed as consumed (a measuring tool, not a
 *       delivery guarantee).
 *   dl_kafka_tool commit BROKERS GROUP TOPIC P:O[,P:O...]
 *       commits the offsets for GROUP without joining it (manual assignment).
 *   dl_kafka_tool committed BROKERS GROUP TOPIC PARTITIONS [UNTIL]
 *       prints "P OFFSET" per partition (-1001: nothing committed). With
 *       UNTIL, asks again every 20 ms with the same client instead, prints
 *       "EPOCH_MS TOTAL" whenever the sum of the committed offsets changes,
 *       and exits once it is at least UNTIL (the caller keeps the time):
 *       bench/e2e.py waits for a run's last commit this way, as a process
 *       and a connection per question cost the machine under test ~10 % of
 *       a vCPU at its 50 ms polling.
 *   dl_kafka_tool settled BROKERS TOPIC [TIMEOUT_S]
 *       waits until no transaction is open or completing on any partition of
 *       TOPIC: each partition's last stable offset (the end a read_committed
 *       reader sees) equals its high watermark. A committed transaction's
 *       markers are written after the producer's commit returns, so a
 *       read_committed reader started right after it can stop short of the
 *       last transaction. Exits 0 when settled, 1 after TIMEOUT_S (default
 *       60) naming the partitions still open.
 *   dl_kafka_tool mock BROKER_COUNT
 *       starts librdkafka's mock cluster on 127.0.0.1, for the faults a real
 *       broker cannot be made to show on cue; prints
 *       "DATELINE_BROKERS=host:port,..." and then reads commands on stdin,
 *       answering "ok" or "error: ..." to each, until EOF:
 *         topic NAME PARTITIONS           create a topic (replication 1)
 *         errors APIKEY ERRCODE COUNT     the next COUNT requests of that
 *                                         API (e.g. 0 Produce) fail with
 *                                         ERRCODE (a Kafka error number)
 *         leader TOPIC PARTITION BROKER   move a partition's leader
 *         down BROKER / up BROKER         close / reopen a broker's listener
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka_common.h" /* the stage's client defaults, for pipe */

static int delivery_failures;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (rkm->err) {
        if (delivery_failures++ < 10)
            fprintf(stderr, "dl_kafka_tool: delivery failed: %s\n", rd_kafka_err2str(rkm->err));
    }
}

/* A client of @p type from @p conf (which it owns from here on, also on
 * failure); producers count failed deliveries. */
static rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    char errstr[512];
    rd_kafka_t *rk;

    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    if (!(rk = rd_kafka_new(type, conf, errstr, sizeof(errstr)))) {
        fprintf(stderr, "dl_kafka_tool: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rk; /* conf is now owned by rk */
}

/* @p linger: the producer's linger.ms. */
static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, const char *group,
                          const char *linger)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) ||
        (group && rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr))) ||
        (group && rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr))) ||
        (type == RD_KAFKA_PRODUCER &&
         (rd_kafka_conf_set(conf, "linger.ms", linger, errstr, sizeof(errstr)) ||
          rd_kafka_conf_set(conf, "queue.buffering.max.messages", "500000", errstr,
                            sizeof(errstr))))) {
        fprintf(stderr, "dl_kafka_tool: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return client_new(type, conf);
}

static int cmd_produce(const char *brokers, const char *topic, const char *linger)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, brokers, NULL, linger);
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
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers, group, NULL);
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

/* The wall clock in ms, as the broker's LogAppendTime timestamps. */
static int64_t epoch_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sum of the committed offsets in @p parts (nothing committed counts 0). */
static int64_t committed_total(const rd_kafka_topic_partition_list_t *parts)
{
    int64_t total = 0;

    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].offset > 0)
            total += parts->elems[i].offset;
    return total;
}

/* @p until: 0 prints each partition's offset once; else see the usage above. */
static int cmd_committed(const char *brokers, const char *group, const char *topic, int n,
                         int64_t until)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers, group, NULL);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    rd_kafka_resp_err_t err;
    int64_t last = -1;
    int rc = 0;

    if (!rk) {
        rd_kafka_topic_partition_list_destroy(parts);
        return 1;
    }
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(parts, topic, i);
    signal(SIGTERM, on_signal);
    while (!stop) {
        if ((err = rd_kafka_committed(rk, parts, 30000))) {
            fprintf(stderr, "dl_kafka_tool: committed: %s\n", rd_kafka_err2str(err));
            rc = 1;
            break;
        }
        if (!until) {
            for (int i = 0; i < parts->cnt; i++)
                printf("%" PRId32 " %" PRId64 "\n", parts->elems[i].partition,
                       parts->elems[i].offset);
            break;
        }
        int64_t total = committed_total(parts);
        if (total != last) {
            printf("%" PRId64 " %" PRId64 "\n", epoch_ms(), total);
            fflush(stdout);
            last = total;
        }
        if (total >= until)
            break;
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* Sets @p kv (name, value, ..., NULL) on @p conf. @returns 0, or 1 (printed). */
static int conf_set_all(rd_kafka_conf_t *conf, const char *const *kv)
{
    char errstr[512];

    for (; kv[0]; kv += 2)
        if (rd_kafka_conf_set(conf, kv[0], kv[1], errstr, sizeof(errstr))) {
            fprintf(stderr, "dl_kafka_tool: %s\n", errstr);
            return 1;
        }
    return 0;
}

static rd_kafka_t *kv_client(rd_kafka_type_t type, const char *const *kv)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    if (conf_set_all(conf, kv)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return client_new(type, conf);
}

/* ListOffsets takes the isolation level from the client's configuration:
 * the read_committed client's "high" is the last stable offset. */
static int cmd_settled(const char *brokers, const char *topic, int timeout_s)
{
    const char *const skv[] = {"bootstrap.servers", brokers, "isolation.level", "read_committed",
                               NULL};
    const char *const akv[] = {"bootstrap.servers", brokers, "isolation.level",
                               "read_uncommitted", NULL};
    rd_kafka_t *stable = kv_client(RD_KAFKA_CONSUMER, skv);
    rd_kafka_t *all = kv_client(RD_KAFKA_CONSUMER, akv);
    rd_kafka_topic_t *rkt = NULL;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err;
    int64_t deadline = epoch_ms() + (int64_t)timeout_s * 1000;
    int rc = 1, n = 0;

    if (!stable || !all)
        goto out;
    rkt = rd_kafka_topic_new(all, topic, NULL);
    if ((err = rd_kafka_metadata(all, 0, rkt, &md, 30000)) || md->topic_cnt != 1 ||
        md->topics[0].err) {
        fprintf(stderr, "dl_kafka_tool: settled: metadata of %s: %s\n", topic,
                rd_kafka_err2str(err ? err : md->topic_cnt == 1 ? md->topics[0].err
                                                                : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        goto out;
    }
    n = md->topics[0].partition_cnt;
    for (;;) {
        int open = 0;

        for (int32_t p = 0; p < n; p++) {
            int64_t lo, lso, hw;

            if ((err = rd_kafka_query_watermark_offsets(stable, topic, p, &lo, &lso, 10000)) ||
                (err = rd_kafka_query_watermark_offsets(all, topic, p, &lo, &hw, 10000))) {
                fprintf(stderr, "dl_kafka_tool: settled: %s[%" PRId32 "]: %s\n", topic, p,
                        rd_kafka_err2str(err));
                goto out;
            }
            if (lso < hw) {
                open++;
                if (epoch_ms() >= deadline)
                    fprintf(stderr,
                            "dl_kafka_tool: settled: %s[%" PRId32 "] last stable offset %" PRId64
                            " < high watermark %" PRId64 " after %d s\n",
                            topic, p, lso, hw, timeout_s);
            }
        }
        if (!open) {
            rc = 0;
            break;
        }
        if (epoch_ms() >= deadline)
            break;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
out:
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (stable)
        rd_kafka_destroy(stable);
    if (all)
        rd_kafka_destroy(all);
    return rc;
}

static int cmd_pipe(const char *brokers, const char *group, const char *in, const char *out)
{
    /* The settings `dateline run` uses (kafka_source.c, kafka_sink.c and
     * bench/bench.yaml), so the difference to it is extraction alone: its
     * defaults come from the stage's own macros, so they cannot drift. */
    const char *const ckv[] = {"bootstrap.servers", brokers, "group.id", group,
                               "auto.offset.reset", "earliest", "auto.commit.interval.ms", "1000",
                               "queued.max.messages.kbytes", DL_KAFKA_CONSUMER_QUEUE_KB,
                               "fetch.message.max.bytes", "8388608",
                               "socket.nagle.disable", DL_KAFKA_NAGLE_DISABLE, NULL};
    const char *const pkv[] = {"bootstrap.servers", brokers, "enable.idempotence", "true",
                               "acks", "all", "linger.ms", DL_KAFKA_PRODUCER_LINGER_MS,
                               "message.max.bytes", "8388608",
                               "socket.nagle.disable", DL_KAFKA_NAGLE_DISABLE, NULL};
    rd_kafka_t *cons = NULL, *prod = NULL;
    rd_kafka_topic_partition_list_t *topics;
    char *buf = NULL;
    size_t cap = 0;
    int rc = 1;

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (!(cons = kv_client(RD_KAFKA_CONSUMER, ckv)) ||
        !(prod = kv_client(RD_KAFKA_PRODUCER, pkv)))
        goto out;
    rd_kafka_poll_set_consumer(cons);
    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, in, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(cons, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    while (!stop && !delivery_failures) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(cons, 50);
        rd_kafka_timestamp_type_t tstype;
        rd_kafka_resp_err_t err;
        size_t n;
        int head;

        rd_kafka_poll(prod, 0);
        if (!rkm)
            continue;
        if (rkm->err) {
            rd_kafka_message_destroy(rkm);
            continue;
        }
        /* The value's bytes as a JSON string: quotes, backslashes and
         * control characters become spaces (the size is what matters). */
        if (cap < rkm->len + 256 && !(buf = realloc(buf, cap = rkm->len + 256)))
            goto out;
        head = snprintf(buf, 160,
                        "{\"source\":{\"timestamp\":%" PRId64 ",\"partition\":%" PRId32
                        ",\"offset\":%" PRId64 "},\"value\":\"",
                        rd_kafka_message_timestamp(rkm, &tstype), rkm->partition, rkm->offset);
        n = (size_t)head;
        for (size_t i = 0; i < rkm->len; i++) {
            unsigned char c = ((const unsigned char *)rkm->payload)[i];

            buf[n++] = c < 0x20 || c == '"' || c == '\\' ? ' ' : (char)c;
        }
        buf[n++] = '"';
        buf[n++] = '}';
        do {
            err = rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(out),
                                    RD_KAFKA_V_PARTITION(rkm->partition),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_VALUE(buf, n), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(prod, 50);
        } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        rd_kafka_message_destroy(rkm);
        if (err) {
            fprintf(stderr, "dl_kafka_tool: produce: %s\n", rd_kafka_err2str(err));
            goto out;
        }
    }
    rc = rd_kafka_flush(prod, 30000) || delivery_failures ? 1 : 0;
out:
    free(buf);
    if (cons) {
        rd_kafka_consumer_close(cons);
        rd_kafka_destroy(cons);
    }
    if (prod)
        rd_kafka_destroy(prod);
    return rc;
}

/* Carries out one command of `mock` (see the top of the file). */
static void mock_command(rd_kafka_mock_cluster_t *mc, const char *line, char *out, size_t size)
{
    char name[256];
    int a, b, c;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (sscanf(line, "topic %255s %d", name, &a) == 2)
        err = rd_kafka_mock_topic_create(mc, name, a, 1);
    else if (sscanf(line, "errors %d %d %d", &a, &b, &c) == 3 && c > 0) {
        rd_kafka_resp_err_t *errs = calloc((size_t)c, sizeof(*errs));

        if (!errs) {
            snprintf(out, size, "error: out of memory");
            return;
        }
        for (int i = 0; i < c; i++)
            errs[i] = (rd_kafka_resp_err_t)b;
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)c, errs);
        free(errs);
    } else if (sscanf(line, "leader %255s %d %d", name, &a, &b) == 3)
        err = rd_kafka_mock_partition_set_leader(mc, name, a, b);
    else if (sscanf(line, "down %d", &a) == 1)
        err = rd_kafka_mock_broker_set_down(mc, a);
    else if (sscanf(line, "up %d", &a) == 1)
        err = rd_kafka_mock_broker_set_up(mc, a);
    else {
        snprintf(out, size, "error: unknown command");
        return;
    }
    if (err)
        snprintf(out, size, "error: %s", rd_kafka_err2str(err));
    else
        snprintf(out, size, "ok");
}

static int cmd_mock(int brokers)
{
    char errstr[512], line[512], answer[600];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_mock_cluster_t *mc;
    rd_kafka_t *rk;

    /* The cluster lives in (and is driven by) this client's threads; the
     * client itself connects nowhere (log_level 4: no notice saying so). */
    if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr)) ||
        !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
        fprintf(stderr, "dl_kafka_tool: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    if (!(mc = rd_kafka_mock_cluster_new(rk, brokers))) {
        fprintf(stderr, "dl_kafka_tool: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    printf("DATELINE_BROKERS=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
        mock_command(mc, line, answer, sizeof(answer));
        printf("%s\n", answer);
        fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "mock")) {
        int n = atoi(argv[2]);

        if (n < 1 || n > 10) {
            fprintf(stderr, "dl_kafka_tool: bad broker count '%s'\n", argv[2]);
            return 2;
        }
        return cmd_mock(n);
    }
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "produce"))
        return cmd_produce(argv[2], argv[3], argc == 5 ? argv[4] : "20");
    if (argc == 6 && !strcmp(argv[1], "pipe"))
        return cmd_pipe(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 6 && !strcmp(argv[1], "commit"))
        return cmd_commit(argv[2], argv[3], argv[4], argv[5]);
    if ((argc == 6 || argc == 7) && !strcmp(argv[1], "committed")) {
        char *end;
        long n = strtol(argv[5], &end, 10);
        long long until = 0;

        if (*end || n < 1 || n > 100000) {
            fprintf(stderr, "dl_kafka_tool: bad partition count '%s'\n", argv[5]);
            return 2;
        }
        if (argc == 7 && ((until = strtoll(argv[6], &end, 10)) < 1 || *end)) {
            fprintf(stderr, "dl_kafka_tool: bad offset total '%s'\n", argv[6]);
            return 2;
        }
        return cmd_committed(argv[2], argv[3], argv[4], (int)n, (int64_t)until);
    }
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "settled")) {
        char *end;
        long t = argc == 5 ? strtol(argv[4], &end, 10) : 60;

        if ((argc == 5 && *end) || t < 1 || t > 3600) {
            fprintf(stderr, "dl_kafka_tool: bad timeout '%s'\n", argv[4]);
            return 2;
        }
        return cmd_settled(argv[2], argv[3], (int)t);
    }
    fprintf(stderr, "usage: dl_kafka_tool produce BROKERS TOPIC [LINGER_MS] < lines\n"
                    "       dl_kafka_tool pipe BROKERS GROUP IN_TOPIC OUT_TOPIC\n"
                    "       dl_kafka_tool commit BROKERS GROUP TOPIC P:O[,P:O...]\n"
                    "       dl_kafka_tool committed BROKERS GROUP TOPIC PARTITIONS [UNTIL]\n"
                    "       dl_kafka_tool settled BROKERS TOPIC [TIMEOUT_S]\n"
                    "       dl_kafka_tool mock BROKER_COUNT < commands\n");
    return 2;
}

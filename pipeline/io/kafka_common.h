/*
 * dateline - helpers shared by the Kafka source and sink (private to io/):
 * building an rd_kafka_conf_t from the config's pass-through properties and
 * routing librdkafka's logs and errors into our JSON log.
 */
#ifndef DATELINE_IO_KAFKA_COMMON_H
#define DATELINE_IO_KAFKA_COMMON_H

#include <stdatomic.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "dateline/common.h"
#include "dateline/config.h"

/**
 * Fatal-error state of one client handle. error_cb sets it from the poll
 * thread; it is atomic anyway so that a future background thread (metrics)
 * may read it.
 */
typedef struct dl_kafka_state {
    const char *role; /* "consumer" | "producer" */
    atomic_int fatal;
    char fatal_msg[512];
} dl_kafka_state;

/**
 * @brief Sets one property, reporting failures against the config file as
 *        "FILE: SECTION.NAME: librdkafka's message" (DL_ECONFIG).
 */
int dl_kafka_conf_set(rd_kafka_conf_t *conf, const dl_config *cfg, const char *section,
                      const char *name, const char *value, dl_err *err);

/**
 * @brief What every client of ours sets first, before its own defaults and
 *        the pass-through properties (which may override it):
 *        bootstrap.servers, client.id = @p client_id, and
 *        socket.nagle.disable = DL_KAFKA_NAGLE_DISABLE.
 */
int dl_kafka_conf_client(rd_kafka_conf_t *conf, const dl_config *cfg, const char *client_id,
                         dl_err *err);

/**
 * Consumer prefetch cap (queued.max.messages.kbytes), set before the
 * kafka.consumer pass-through so that it can be overridden. librdkafka's
 * default, 64 MiB, is prefetched on top of runtime.max_inflight_bytes when
 * the stage works through a backlog and kept RSS above 64 MB. Since
 * dl_kafka_refill() fetches again as soon as the queue is used up, a small
 * one costs no throughput: bench/e2e.py on T17, three alternated pairs,
 * 8 MiB 6,148-6,706 art/s at 53-56 MB steady RSS, 16 MiB 6,099-6,142 at
 * 60-66 MB. Through a longer backlog (--repeat 6, three alternated pairs)
 * 8 MiB still reached 67-71 MB steady; 4 MiB ran at 4,723-5,572 art/s
 * against 4,767-5,162 and 55-62 MB, and 2 MiB was no lower.
 */
#define DL_KAFKA_CONSUMER_QUEUE_KB "4096"

/* socket.nagle.disable for every client unless kafka.consumer or
 * kafka.producer sets it: Kafka's Java clients and brokers always set
 * TCP_NODELAY, librdkafka leaves Nagle on by default, which can hold a small
 * request back until the previous one is acknowledged. */
#define DL_KAFKA_NAGLE_DISABLE "true"

/* The producer's linger.ms unless kafka.producer sets it: librdkafka's own
 * default. librdkafka 2.0's idempotent producer (ours, always) counts the
 * messages in flight against its limit of five requests per partition, so
 * a partition has one produce request out at a time, and while its next
 * batch is due and waits for that acknowledgement the broker thread polls
 * without sleeping. With 1 ms nearly every batch was due before the
 * acknowledgement came: bench/e2e.py at 1,413 art/s saw 50,000 poll()
 * calls a second, nearly all from that thread, a third of the stage's CPU.
 * 5 ms cut them to 16,000, and in the throughput phase (alternated runs,
 * BENCHMARKS.md twenty-second round) gave 10-15 % more articles a second
 * at 35-40 % less broker CPU per article; the price is a few ms more per
 * record at low rates (p50 6-8 against 3-4 ms at 1,413 art/s). */
#define DL_KAFKA_PRODUCER_LINGER_MS "5"

/**
 * @brief Has the consumer @p rk fetch again now if its prefetch queue had
 *        filled: asks the assignment's leaders for their latest offsets, a
 *        cheap request whose answer is dropped, and waits at most
 *        @p timeout_ms for it.
 *
 * librdkafka before 2.2 (Debian's is 2.0) does not wake its fetcher when
 * the application drains the prefetch queue (librdkafka issue #2879): once
 * the queue passed queued.max.messages.kbytes, the next fetch waits for the
 * broker thread's own wake-up, up to a second, and a stage that works
 * through the queue faster than that idles. The request wakes the leaders'
 * broker threads, which then fetch at once.
 */
void dl_kafka_refill(rd_kafka_t *rk, int timeout_ms);

/* The longest a poll loop waits on dl_kafka_refill(). */
#define DL_KAFKA_REFILL_TIMEOUT_MS 100

/** @brief Applies every property of @p props (from config section @p section). */
int dl_kafka_conf_apply(rd_kafka_conf_t *conf, const dl_config *cfg, const char *section,
                        const dl_kvlist *props, dl_err *err);

/**
 * @brief Installs the JSON log callback with `log.queue=true`.
 * @remark Call dl_kafka_log_forward() right after rd_kafka_new() so that logs
 *         are served by our poll calls instead of librdkafka's threads. The
 *         error_cb is the caller's: it needs the conf opaque's type.
 */
int dl_kafka_conf_logging(rd_kafka_conf_t *conf, const dl_config *cfg, dl_err *err);

/** @brief Writes one librdkafka log line (syslog @p level) as a JSON log line. */
void dl_kafka_log_line(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

/** @brief Forwards the handle's logs to its main queue (served by our polls). */
void dl_kafka_log_forward(rd_kafka_t *rk);

/**
 * @brief The error_cb body: logs, and on a fatal error records
 *        rd_kafka_fatal_error() in @p state.
 */
void dl_kafka_on_error(rd_kafka_t *rk, dl_kafka_state *state, int err, const char *reason);

/** @brief Formats a partition list as "topic[0],topic[3]" into @p buf. */
const char *dl_kafka_parts_str(const rd_kafka_topic_partition_list_t *parts, char *buf,
                               size_t size);

#endif

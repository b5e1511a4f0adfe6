/*
 * dateline - Kafka sink: the idempotent producer of `dateline run`, or with
 * `delivery: exactly_once` its transactional producer (transactional.id from
 * kafka.transactional_id, see dl_kafka_sink_txn_id()).
 *
 * One producer for every output topic. Delivery reports are handed to the
 * caller's callback, on the thread that calls dl_kafka_sink_poll(),
 * dl_kafka_sink_flush() or dl_kafka_sink_produce() (which polls while the queue is full).
 */
#ifndef DATELINE_KAFKA_SINK_H
#define DATELINE_KAFKA_SINK_H

#include <librdkafka/rdkafka.h>

#include "dateline/common.h"
#include "dateline/config.h"

typedef struct dl_kafka_sink dl_kafka_sink;

typedef enum {
    DL_KAFKA_SINK_ENRICHED = 0,
    DL_KAFKA_SINK_DEAD_LETTER,
    DL_KAFKA_SINK_TIMELINE,
    DL_KAFKA_SINK_TOPICS
} dl_kafka_sink_topic;

/**
 * Delivery report: @p rkm->_private is the msg_opaque given to
 * dl_kafka_sink_produce(), @p rkm->err the final outcome (librdkafka has retried).
 */
typedef void dl_kafka_sink_delivery_fn(const rd_kafka_message_t *rkm, void *arg);

/**
 * @brief Builds the producer configuration; does not touch Kafka.
 *        Defaults enable.idempotence=true and acks=all, then every
 *        kafka.producer property.
 * @returns NULL with @p err set (DL_ECONFIG naming the property) on error.
 */
dl_kafka_sink *dl_kafka_sink_new(const dl_config *cfg, dl_kafka_sink_delivery_fn *on_delivery,
                                 void *arg, dl_err *err);

/** @brief Creates the producer handle and the output topic handles. */
int dl_kafka_sink_start(dl_kafka_sink *snk, dl_err *err);

/**
 * @brief Asks the cluster whether every output topic exists (waiting up to
 *        @p timeout_ms per topic), and reads their max.message.bytes.
 * @returns DL_EKAFKA if the cluster says a topic does not exist; 0 when
 *          they exist or the cluster cannot be asked (logged: librdkafka
 *          keeps trying, and records wait in the queue).
 */
int dl_kafka_sink_check_topics(dl_kafka_sink *snk, int timeout_ms, dl_err *err);

/**
 * @brief Whether a record of this size fits the topic's max.message.bytes
 *        (read by dl_kafka_sink_check_topics()) and message.max.bytes.
 * @param limit set to the byte limit that applies (0 = unknown).
 * @returns 1 if it fits or the limit is unknown, 0 if the broker would
 *          reject it as too large.
 */
int dl_kafka_sink_fits(const dl_kafka_sink *snk, dl_kafka_sink_topic topic, size_t key_len,
                       size_t value_len, size_t *limit);

/**
 * @brief Enqueues one record (payload copied). While the queue is full it
 *        serves delivery reports and retries, so it never drops and never
 *        grows the queue beyond queue.buffering.max.*.
 * @param key    p == NULL: no key.
 * @param hdrs   taken over in every case (NULL: none).
 * @returns 0, or the rd_kafka_resp_err_t why the record was not enqueued
 *          (e.g. MSG_SIZE_TOO_LARGE, __FATAL, __UNKNOWN_TOPIC); no delivery
 *          report follows a failure.
 */
int dl_kafka_sink_produce(dl_kafka_sink *snk, dl_kafka_sink_topic topic, dl_slice key,
                          dl_slice value, rd_kafka_headers_t *hdrs, void *msg_opaque);

/** @brief Serves delivery reports, logs and errors for up to @p timeout_ms. */
void dl_kafka_sink_poll(dl_kafka_sink *snk, int timeout_ms);

/**
 * @brief Sends what is queued now and serves delivery reports for up to
 *        @p timeout_ms. @returns records still awaiting a report.
 */
int dl_kafka_sink_flush(dl_kafka_sink *snk, int timeout_ms);

/** Outcome class of a transactional call (librdkafka's error flags). */
typedef enum {
    DL_KAFKA_TXN_OK = 0,
    DL_KAFKA_TXN_RETRY, /* retriable: call again (same arguments) */
    DL_KAFKA_TXN_ABORT, /* abortable: abort the transaction, rewind, go on */
    DL_KAFKA_TXN_FATAL, /* fenced or broken: the producer is unusable, stop */
} dl_kafka_txn_result;

/**
 * @brief The transactional.id of this instance: kafka.transactional_id, or
 *        "dateline-<group_id>-<hostname>" when that is empty.
 */
int dl_kafka_sink_txn_id(const dl_config *cfg, char *buf, size_t size, dl_err *err);

/** @returns 1 if the producer is transactional (delivery: exactly_once). */
int dl_kafka_sink_transactional(const dl_kafka_sink *snk);

/** @returns the transactional.id ("" when not transactional). */
const char *dl_kafka_sink_txn_name(const dl_kafka_sink *snk);

/**
 * @brief Transactional calls (librdkafka's of the same name, which block).
 *        On anything but DL_KAFKA_TXN_OK, @p msg says what failed.
 * @remark Delivery reports are served inside commit (it flushes) and after
 *         abort (purged records report __PURGE_*) by the next poll.
 */
dl_kafka_txn_result dl_kafka_sink_txn_init(dl_kafka_sink *snk, int timeout_ms, char *msg,
                                           size_t size);
dl_kafka_txn_result dl_kafka_sink_txn_begin(dl_kafka_sink *snk, char *msg, size_t size);
dl_kafka_txn_result dl_kafka_sink_txn_send_offsets(dl_kafka_sink *snk,
                                                   const rd_kafka_topic_partition_list_t *offsets,
                                                   const rd_kafka_consumer_group_metadata_t *cgmd,
                                                   int timeout_ms, char *msg, size_t size);
dl_kafka_txn_result dl_kafka_sink_txn_commit(dl_kafka_sink *snk, int timeout_ms, char *msg,
                                             size_t size);
dl_kafka_txn_result dl_kafka_sink_txn_abort(dl_kafka_sink *snk, int timeout_ms, char *msg,
                                            size_t size);

/**
 * @returns 1 when the producer queue is three quarters full
 *          (queue.buffering.max.messages): the consumer should pause.
 */
int dl_kafka_sink_queue_full(const dl_kafka_sink *snk);

/** @returns 1 when the producer queue is down to a quarter: resume. */
int dl_kafka_sink_queue_drained(const dl_kafka_sink *snk);

/**
 * @brief After dl_kafka_sink_start(): calls @p fn(@p arg) from a librdkafka
 *        thread whenever delivery reports (or other events) arrive for
 *        dl_kafka_sink_poll() to serve, so the polling thread may block
 *        elsewhere and be woken. @p fn must be quick, thread-safe and must
 *        not call into this producer.
 */
void dl_kafka_sink_on_report(dl_kafka_sink *snk, void (*fn)(void *arg), void *arg);

/** @returns records produced but not yet reported. */
int dl_kafka_sink_outq_len(const dl_kafka_sink *snk);

/**
 * @returns the producer handle (NULL before dl_kafka_sink_start()). Used by
 *          the /ready probe (a metadata request from the HTTP thread).
 */
rd_kafka_t *dl_kafka_sink_handle(const dl_kafka_sink *snk);

/** @returns 1 after a fatal producer error, with the message in @p buf. */
int dl_kafka_sink_fatal(const dl_kafka_sink *snk, char *buf, size_t size);

/**
 * @returns 1 if the produce error @p err is the record's own fault (too
 *          large, invalid), not the cluster's: its message goes to the
 *          dead-letter topic instead of stopping the stage or the replay.
 */
int dl_kafka_sink_rejected(int err);

/** @returns the topic name behind @p topic (NULL: timeline messages are off,
 *           topics.timeline ""). */
const char *dl_kafka_sink_topic_name(const dl_kafka_sink *snk, dl_kafka_sink_topic topic);

/**
 * @brief Purges what is still queued or in flight (their delivery reports,
 *        with __PURGE_* errors, are served to the callback here), then
 *        destroys the handle. Flush first to deliver. NULL is fine.
 */
void dl_kafka_sink_destroy(dl_kafka_sink *snk);

#endif

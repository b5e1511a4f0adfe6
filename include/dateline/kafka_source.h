/*
 * dateline - Kafka source: the high-level KafkaConsumer of `dateline run`.
 *
 * Joins group kafka.group_id, subscribes to topics.input, and handles
 * rebalances for both the eager and the cooperative protocol. Offsets are
 * never stored automatically (enable.auto.offset.store=false): the stage
 * stores an offset once everything produced from the message is delivered,
 * and librdkafka's auto commit (on unless kafka.consumer says otherwise)
 * commits what was stored.
 *
 * Threading: everything, including the rebalance handlers, runs on the
 * thread that calls dl_kafka_source_poll() / dl_kafka_source_close().
 */
#ifndef DATELINE_KAFKA_SOURCE_H
#define DATELINE_KAFKA_SOURCE_H

#include <librdkafka/rdkafka.h>

#include "dateline/common.h"
#include "dateline/config.h"
#include "dateline/pipeline.h"

typedef struct dl_kafka_source dl_kafka_source;

/** Rebalance hooks, called from inside dl_kafka_source_poll() / dl_kafka_source_close(). */
typedef struct dl_kafka_source_handlers {
    /** After the partitions were (incrementally) assigned. */
    void (*assigned)(const rd_kafka_topic_partition_list_t *parts, void *arg);
    /**
     * Before the partitions are (incrementally) unassigned: finish, store and
     * commit their work here. @p lost: the assignment was lost (session
     * timeout, fencing); offsets can no longer be committed.
     */
    void (*revoked)(const rd_kafka_topic_partition_list_t *parts, int lost, void *arg);
    void *arg;
} dl_kafka_source_handlers;

/**
 * @brief Builds the consumer configuration from @p cfg; does not touch Kafka.
 *        bootstrap.servers = kafka.brokers, group.id = kafka.group_id,
 *        defaults enable.auto.commit=true and auto.offset.reset=earliest,
 *        then every kafka.consumer property; enable.auto.offset.store is
 *        forced to false afterwards. With delivery: exactly_once,
 *        enable.auto.commit is forced to false and isolation.level defaults
 *        to read_committed.
 * @returns NULL with @p err set (DL_ECONFIG naming the property) on error.
 * @remark @p cfg and @p h must outlive the source.
 */
dl_kafka_source *dl_kafka_source_new(const dl_config *cfg, const dl_kafka_source_handlers *h,
                                     dl_err *err);

/** @brief Creates the consumer handle and subscribes to topics.input. */
int dl_kafka_source_start(dl_kafka_source *src, dl_err *err);

/**
 * @brief Polls for one message, serving rebalances, logs and errors.
 * @returns a message the caller destroys with rd_kafka_message_destroy()
 *          (before dl_kafka_source_destroy()), or NULL (timeout; consumer errors
 *          are logged here).
 */
rd_kafka_message_t *dl_kafka_source_poll(dl_kafka_source *src, int timeout_ms);

/**
 * @brief Stores offsets (each .offset = next offset to consume) for the
 *        next commit. Per-partition failures are logged.
 */
int dl_kafka_source_store(dl_kafka_source *src, rd_kafka_topic_partition_list_t *offsets);

/**
 * @brief Commits stored offsets of the current assignment.
 * @param async 0: wait for the broker (unbounded: prefer
 *        dl_kafka_source_commit_wait()). "Nothing to commit" is success.
 */
int dl_kafka_source_commit(dl_kafka_source *src, int async);

/**
 * @brief Commits stored offsets of the current assignment and waits for the
 *        result for at most @p timeout_ms. "Nothing to commit" is success.
 * @returns 0, or DL_EKAFKA (logged) on failure or timeout.
 */
int dl_kafka_source_commit_wait(dl_kafka_source *src, int timeout_ms);

/**
 * @brief Makes a dl_kafka_source_poll() waiting now (or the next one) return
 *        at once, without a message. Safe from any thread (not from signal
 *        handlers); a no-op before dl_kafka_source_start().
 */
void dl_kafka_source_wake(dl_kafka_source *src);

/**
 * @brief Has librdkafka fetch again now if its prefetch queue had filled.
 *        Call when the queue ran dry after the caller had stopped polling
 *        for a while (its own work was full); blocks for one round trip to
 *        the partitions' leaders, 100 ms at most. librdkafka 2.0 would
 *        fetch again only up to a second later (see pipeline/io/kafka_common.h).
 */
void dl_kafka_source_refill(dl_kafka_source *src);

/** @returns 1 if offsets are committed by librdkafka (enable.auto.commit). */
int dl_kafka_source_auto_commit(const dl_kafka_source *src);

/**
 * @brief Pauses (or resumes) fetching for the whole assignment, including
 *        partitions assigned while paused. Used for backpressure.
 */
void dl_kafka_source_pause(dl_kafka_source *src, int pause);

/** @returns 1 after a fatal consumer error, with the message in @p buf. */
int dl_kafka_source_fatal(const dl_kafka_source *src, char *buf, size_t size);

/**
 * @brief Leaves the group: revokes the assignment (calling the revoked
 *        handler) and commits per configuration, giving up after
 *        @p timeout_ms (the coordinator then expires the member after
 *        session.timeout.ms). Idempotent.
 * @returns 0, or DL_EKAFKA if the close failed or timed out (logged).
 */
int dl_kafka_source_close(dl_kafka_source *src, int timeout_ms);

/**
 * @brief Closes if needed and destroys the handle. NULL is fine.
 * @remark If the close timed out, the librdkafka handle is abandoned rather
 *         than destroyed (destroying would wait for the unresponsive
 *         coordinator); this is meant for a process about to exit.
 *         Messages from dl_kafka_source_poll() must be destroyed first.
 */
void dl_kafka_source_destroy(dl_kafka_source *src);

/**
 * @brief The consumer's group metadata for send_offsets_to_transaction().
 * @returns a new object (rd_kafka_consumer_group_metadata_destroy()), or NULL.
 */
rd_kafka_consumer_group_metadata_t *dl_kafka_source_group_metadata(dl_kafka_source *src);

/**
 * @brief Rewinds assigned partitions to each element's .offset (after an
 *        aborted transaction), dropping what was fetched beyond it; waits
 *        up to @p timeout_ms. @returns 0, or DL_EKAFKA (logged).
 */
int dl_kafka_source_seek(dl_kafka_source *src, rd_kafka_topic_partition_list_t *offsets,
                         int timeout_ms);

/** @returns 1 if the partition is in the current assignment. */
int dl_kafka_source_assigned(dl_kafka_source *src, const char *topic, int32_t partition);

/** @returns the consumer handle (NULL before dl_kafka_source_start()). */
rd_kafka_t *dl_kafka_source_handle(const dl_kafka_source *src);

/**
 * @brief Fills @p msg, the pipeline's view of consumed message @p rkm:
 *        value, key, the @p date_header header (NULL or "" for none),
 *        timestamp, topic, partition and offset. Slices are borrowed from
 *        @p rkm; a null value (tombstone) is an empty article.
 * @remark Shared by `dateline run` and `dateline replay`.
 */
void dl_kafka_message_view(const rd_kafka_message_t *rkm, const char *date_header,
                           dl_message *msg);

#endif

/*
 * dateline - the consumer of `dateline replay`: reads explicit offset
 * ranges with manual assignment (rd_kafka_assign). It never subscribes, so
 * it never joins a consumer group, and it never commits on its own
 * (enable.auto.commit=false): the live group of `dateline run` is left
 * untouched. Committing happens only through dl_replay_source_commit(),
 * for a replay that checkpoints into a group of its own.
 *
 * Threading: one caller thread; logs and errors are served by
 * dl_replay_source_poll().
 */
#ifndef DATELINE_REPLAY_SOURCE_H
#define DATELINE_REPLAY_SOURCE_H

#include <librdkafka/rdkafka.h>

#include "dateline/checkpoint.h"
#include "dateline/common.h"
#include "dateline/config.h"

typedef struct dl_replay_source dl_replay_source;

/**
 * @brief Creates the consumer: kafka.brokers, then kafka.consumer
 *        pass-through properties, then group.id = @p group,
 *        enable.auto.commit=false, enable.auto.offset.store=false,
 *        enable.partition.eof=true.
 * @param group the replay's own group id (never kafka.group_id); only used
 *        for explicit commits.
 * @returns NULL with @p err set (DL_ECONFIG naming the property, or DL_EKAFKA).
 * @remark @p cfg must outlive the source.
 */
dl_replay_source *dl_replay_source_new(const dl_config *cfg, const char *group, dl_err *err);

/** @brief Closes (never committing) and destroys. NULL is fine. */
void dl_replay_source_destroy(dl_replay_source *src);

/**
 * @brief Lists the partitions of @p topic (sorted).
 * @param parts receives a malloc'd array the caller frees.
 * @returns 0, or DL_EKAFKA (unknown topic, cluster unreachable within
 *          @p timeout_ms).
 */
int dl_replay_source_partitions(dl_replay_source *src, const char *topic, int timeout_ms,
                                int32_t **parts, size_t *n, dl_err *err);

/** @brief Low and high watermarks of one partition (asks the leader). */
int dl_replay_source_watermarks(dl_replay_source *src, const char *topic, int32_t partition,
                                int timeout_ms, int64_t *lo, int64_t *hi, dl_err *err);

/**
 * @brief The broker's offsets-for-times lookup: for each partition, the
 *        first offset whose timestamp is >= @p ts_ms, or -1 when there is
 *        none (every message is older).
 */
int dl_replay_source_offsets_for_time(dl_replay_source *src, const char *topic,
                                      const int32_t *parts, size_t n, int64_t ts_ms, int timeout_ms,
                                      int64_t *out, dl_err *err);

/**
 * @brief Assigns every range that is not finished (next < end), starting
 *        at next.
 */
int dl_replay_source_assign(dl_replay_source *src, const char *topic, const dl_replay_range *ranges,
                            size_t n, dl_err *err);

/** @brief Stops fetching one partition (its range is read). */
void dl_replay_source_pause(dl_replay_source *src, const char *topic, int32_t partition);

/** @returns the fetch position of a partition, or -1 if unknown. */
int64_t dl_replay_source_position(dl_replay_source *src, const char *topic, int32_t partition);

/**
 * @brief Polls one message or event. @returns NULL on timeout; else a
 *        message the caller destroys (rkm->err may be __PARTITION_EOF, with
 *        rkm->offset the next offset; other errors are logged here and
 *        also returned).
 */
rd_kafka_message_t *dl_replay_source_poll(dl_replay_source *src, int timeout_ms);

/**
 * @brief Has librdkafka fetch again now if its prefetch queue had filled,
 *        as dl_kafka_source_refill(): call when a poll finds the queue dry
 *        after the replay had stopped polling for a while.
 */
void dl_replay_source_refill(dl_replay_source *src);

/** @returns 1 after a fatal client error, with the message in @p buf. */
int dl_replay_source_fatal(const dl_replay_source *src, char *buf, size_t size);

/**
 * @brief Commits @p ranges' next offsets to the replay's own group, each
 *        with @p meta (the range bounds, see replay.c) as commit metadata.
 *        Synchronous.
 */
int dl_replay_source_commit(dl_replay_source *src, const char *topic,
                            const rd_kafka_topic_partition_list_t *offsets, dl_err *err);

/**
 * @brief Reads the replay group's committed offsets (and their metadata)
 *        for the partitions in @p parts (filled in place).
 */
int dl_replay_source_committed(dl_replay_source *src, rd_kafka_topic_partition_list_t *parts,
                               int timeout_ms, dl_err *err);

#endif

/*
 * dateline - per-partition, in-order tracking of consumed offsets for
 * at-least-once delivery.
 *
 * Every consumed message gets an entry, appended to its partition's queue in
 * consume order. An entry carries a hold count: one for the processing of
 * the message and one for every record produced from it that the broker has
 * not acknowledged yet. An entry is done when its holds reach zero. The
 * store watermark of a partition advances over the done prefix of its queue
 * only, so an offset is never stored while an earlier message of the same
 * partition still waits for a delivery report.
 *
 * Pure bookkeeping: no Kafka calls, so it is unit-tested without a broker.
 * Not thread-safe: used from the stage's poll thread only (delivery reports
 * and rebalance callbacks run inside its poll calls).
 */
#ifndef DATELINE_OFFSETS_H
#define DATELINE_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dl_offsets dl_offsets;
typedef struct dl_offsets_entry dl_offsets_entry;

/**
 * @brief Creates an empty tracker.
 * @param free_opaque called once for every entry's opaque when the entry is
 *        done or dropped (NULL: opaques are not owned).
 * @returns NULL when out of memory.
 */
dl_offsets *dl_offsets_new(void (*free_opaque)(void *opaque));

/**
 * @brief Frees the tracker, every entry (done or not, orphaned or not) and
 *        their opaques. NULL is fine.
 * @remark Entries must no longer be referenced afterwards (outstanding
 *         delivery reports must have been purged and served first).
 */
void dl_offsets_free(dl_offsets *ot);

/**
 * @brief Tracks a consumed message at the tail of its partition's queue.
 * @param opaque taken over on success (freed with free_opaque when the
 *        entry is done or dropped); left to the caller on failure.
 * @returns the entry holding one hold (release it once processing has
 *          issued every produce), or NULL when out of memory.
 * @remark Offsets are expected in consume order per partition.
 */
dl_offsets_entry *dl_offsets_add(dl_offsets *ot, const char *topic, int32_t partition,
                                 int64_t offset, void *opaque);

/** @brief Adds a hold: one more record must be acknowledged. */
void dl_offsets_hold(dl_offsets_entry *ent);

/**
 * @brief Drops a hold. When the last hold goes the entry is done: its opaque
 *        is freed, and an orphaned entry (its partition was revoked) is freed
 *        altogether.
 * @returns 1 if the entry became done (do not touch it or its opaque
 *          again), else 0.
 */
int dl_offsets_release(dl_offsets *ot, dl_offsets_entry *ent);

/** @returns the entry's opaque (NULL once it is done). */
void *dl_offsets_entry_opaque(const dl_offsets_entry *ent);

/** @returns 1 if the entry's partition was revoked while it was in flight. */
int dl_offsets_entry_orphaned(const dl_offsets_entry *ent);

/**
 * @brief Advances every partition's watermark over its done prefix and calls
 *        @p fn once for each partition whose watermark moved, with the offset
 *        to store (last done offset + 1).
 * @returns the number of partitions reported.
 */
size_t dl_offsets_advance(dl_offsets *ot,
                          void (*fn)(const char *topic, int32_t partition, int64_t next, void *arg),
                          void *arg);

/**
 * @brief Stops tracking a revoked partition. Done entries are freed; entries
 *        still waiting for delivery reports become orphans, freed when their
 *        last hold is released, and never advance any watermark (their
 *        messages are redelivered to the partition's next owner).
 * @remark Call dl_offsets_advance() first to store what is done.
 */
void dl_offsets_revoke(dl_offsets *ot, const char *topic, int32_t partition);

/** @brief dl_offsets_revoke() for every tracked partition. */
void dl_offsets_revoke_all(dl_offsets *ot);

/**
 * @returns the number of entries whose offsets are not yet stored: queued
 *          (done or not) plus orphans still in flight. This is the in-flight
 *          figure that backpressure bounds.
 */
size_t dl_offsets_tracked(const dl_offsets *ot);

/** @returns the number of queued entries of one partition (0 if untracked). */
size_t dl_offsets_partition_len(const dl_offsets *ot, const char *topic, int32_t partition);

#endif

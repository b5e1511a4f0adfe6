/*
 * dateline - the checkpoint of a replay: which offset range of each
 * partition it covers and how far it got, so that an interrupted
 * `dateline replay` continues where it stopped.
 *
 * A checkpoint file is one JSON object, replaced atomically (written to
 * FILE.tmp, fsync'd, renamed over FILE), so a crash leaves the old or the
 * new version, never a torn one:
 *
 *   {"version":1,"topic":"articles","spec":"...","rules_hash":"...",
 *    "ranges":[{"partition":0,"start":100,"end":250,"next":180}, ...]}
 *
 * `next` is the first offset not yet acknowledged: under at-least-once
 * only offsets whose every output record the broker acknowledged are
 * checkpointed, so resuming at `next` has no gap (and may redo a few
 * messages). `spec` identifies the request (topic, window, offsets) so a
 * checkpoint is never resumed by a different replay.
 *
 * Pure file and JSON handling, no Kafka: unit-tested without a broker.
 */
#ifndef DATELINE_CHECKPOINT_H
#define DATELINE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "dateline/common.h"

/** The offsets [start, end) of one partition; next = resume position. */
typedef struct dl_replay_range {
    int32_t partition;
    int64_t start;
    int64_t end; /* exclusive */
    int64_t next;
} dl_replay_range;

typedef struct dl_checkpoint {
    char *topic;             /* owned */
    char *spec;              /* owned: the request these ranges were resolved from */
    char *rules_hash;        /* owned, may be NULL: rules of the first run (informative) */
    dl_replay_range *ranges; /* owned, ordered by partition */
    size_t n;
} dl_checkpoint;

/**
 * @brief Loads @p path into @p cp (overwritten, not freed first).
 * @returns 0; 1 if the file does not exist (@p cp left empty); DL_EIO or
 *          DL_EINVAL (malformed, message names the file) with @p err set.
 * @remark The caller frees @p cp with dl_checkpoint_fini() in every case.
 */
int dl_checkpoint_load(const char *path, dl_checkpoint *cp, dl_err *err);

/**
 * @brief Replaces @p path atomically with @p cp (FILE.tmp, fsync, rename).
 * @returns 0 or DL_EIO/DL_ENOMEM with @p err set; on error @p path is
 *          unchanged.
 */
int dl_checkpoint_save(const char *path, const dl_checkpoint *cp, dl_err *err);

/** @brief Frees what @p cp owns and zeroes it. NULL is fine. */
void dl_checkpoint_fini(dl_checkpoint *cp);

/** @returns messages left in the ranges: sum of (end - next). */
int64_t dl_checkpoint_remaining(const dl_checkpoint *cp);

#endif

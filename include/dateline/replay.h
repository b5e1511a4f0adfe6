/*
 * dateline - `dateline replay`: re-process a time or offset range of a topic
 * through the same pipeline as `dateline run`, without disturbing the live
 * consumer group.
 *
 * How a replay runs:
 *   1. plan: list the topic's partitions, read their watermarks, resolve the
 *      start and end offsets of each from --from/--to (the broker's
 *      offsets-for-times lookup) and --from-offset/--to-offset. A range is
 *      [start, end): end is exclusive, and never past the high watermark at
 *      planning time, so a replay always ends. A checkpoint of the same
 *      request (file or the replay's own group) replaces the plan: resume
 *      at its `next` offsets, with its ends;
 *   2. read with manual assignment (never joining or committing to
 *      kafka.group_id), stop each partition at its end, process every
 *      message with dl_pipeline_process(), produce enriched records (with
 *      "replay":true, same keys), timeline messages and dead letters to the
 *      live or the --output-prefix topics;
 *   3. at-least-once: a partition's checkpoint advances only over messages
 *      whose every output record the broker acknowledged; exactly-once
 *      (delivery: exactly_once, needs a checkpoint group): records and the
 *      group's offsets commit in one transaction (transactional.id
 *      "dateline-replay-<group>", never the live stage's) about every second;
 *   4. finish when every range is read and acknowledged.
 *
 * With a time window, messages whose own timestamp falls outside it (out of
 * order CreateTime timestamps inside the offset range) are skipped, so the
 * replay processes exactly the window's messages that lie in the range.
 *
 * Threading: single-threaded; Kafka callbacks run inside the replay's polls.
 */
#ifndef DATELINE_REPLAY_H
#define DATELINE_REPLAY_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "dateline/checkpoint.h"
#include "dateline/common.h"
#include "dateline/config.h"
#include "dateline/pipeline.h"
#include "dateline/progress.h"

/** Per-partition offsets from --from-offset / --to-offset. */
typedef struct dl_replay_offset {
    int32_t partition;
    int64_t offset;
} dl_replay_offset;

typedef struct dl_replay_offsets {
    dl_replay_offset *items; /* owned, sorted by partition, unique */
    size_t n;
    int64_t all; /* a bare "N": every partition not listed; -1 = none */
} dl_replay_offsets;

/** What to replay and how. Strings are borrowed. */
typedef struct dl_replay_opts {
    const char *topic;          /* NULL: topics.input */
    int64_t from_ms;            /* -1: none (start of the partition) */
    int64_t to_ms;              /* -1: none (high watermark); exclusive */
    dl_replay_offsets from_off; /* inclusive */
    dl_replay_offsets to_off;   /* exclusive */
    int32_t *partitions;        /* owned; NULL: see dl_replay_select() */
    size_t n_partitions;
    const char *output_prefix; /* NULL or "": the live output topics */
    double rate;               /* messages/s, 0 = unlimited */
    int dry_run;
    const char *checkpoint_path;  /* checkpoint file, or NULL */
    const char *checkpoint_group; /* checkpoint in this group, or NULL */
    dl_progress_mode progress;
    int progress_interval_ms;
    int timeout_ms; /* metadata / lookups (default 10000) */
} dl_replay_opts;

/** @brief Defaults: no bounds, no rate, auto progress every 5 s. */
void dl_replay_opts_init(dl_replay_opts *o);

/** @brief Frees what @p o owns (offsets, partitions). */
void dl_replay_opts_fini(dl_replay_opts *o);

/**
 * @brief Parses a time: epoch milliseconds ("1700000000000"), RFC 3339
 *        ("2020-10-01T00:00:00Z", "2020-10-01T02:00:00.5+02:00") or a date
 *        ("2020-10-01", midnight UTC).
 * @returns 0 or DL_EINVAL with @p err set.
 */
int dl_replay_parse_time(const char *s, int64_t *ms, dl_err *err);

/** @brief Formats epoch ms as RFC 3339 UTC with milliseconds. @returns @p buf. */
const char *dl_replay_format_time(int64_t ms, char *buf, size_t size);

/**
 * @brief Parses "P:O[,P:O...]" (per partition) or "O" (every partition)
 *        into @p out (overwritten; free with dl_replay_opts_fini() or
 *        free(out->items)). Both forms may be mixed: "100,2:50".
 * @returns 0 or DL_EINVAL (negative numbers, duplicates, garbage).
 */
int dl_replay_parse_offsets(const char *s, dl_replay_offsets *out, dl_err *err);

/**
 * @brief Parses "0,2,5-7" into a sorted, unique, malloc'd array.
 * @returns 0 or DL_EINVAL.
 */
int dl_replay_parse_partitions(const char *s, int32_t **parts, size_t *n, dl_err *err);

/** What the broker says about one partition, input of dl_replay_resolve(). */
typedef struct dl_replay_bounds {
    int32_t partition;
    int64_t lo, hi; /* watermarks */
    int64_t t_from; /* offsets-for-times(from_ms): -1 = no message that late */
    int64_t t_to;   /* offsets-for-times(to_ms), likewise */
} dl_replay_bounds;

/**
 * @brief Which partitions to replay: --partitions if given; else, when the
 *        offset options name partitions and have no bare "N", those;
 *        else every partition of the topic.
 * @param all the topic's partitions (sorted).
 * @param sel receives a malloc'd, sorted array.
 * @returns 0 or DL_EINVAL (a requested partition does not exist).
 */
int dl_replay_select(const dl_replay_opts *o, const int32_t *all, size_t n_all, int32_t **sel,
                     size_t *n_sel, dl_err *err);

/**
 * @brief Resolves the range of each partition (pure; no Kafka):
 *        start = --from-offset, else offsets-for-times(--from) (hi if no
 *        message is that late), else lo; end = --to-offset, else
 *        offsets-for-times(--to) (hi if none), else hi. Both are clamped to
 *        [lo, hi] and end >= start; next = start.
 * @returns 0, or DL_EINVAL when an explicit --from-offset is past an
 *          explicit --to-offset.
 */
int dl_replay_resolve(const dl_replay_opts *o, const dl_replay_bounds *b, size_t n,
                      dl_replay_range *out, dl_err *err);

/**
 * @brief The identity of a request, stored in checkpoints:
 *        "topic=...;from=...;to=...;from_offset=...;to_offset=...;partitions=..."
 * @returns a malloc'd string, or NULL when out of memory.
 */
char *dl_replay_spec(const dl_replay_opts *o, const char *topic);

typedef struct dl_replay dl_replay;

/** Counts of a finished or stopped replay. */
typedef struct dl_replay_stats {
    int64_t total;     /* messages in the ranges */
    int64_t done;      /* of them, checkpointed (acknowledged or skipped) */
    uint64_t consumed; /* messages read in this run */
    uint64_t enriched; /* enriched records acknowledged */
    uint64_t timeline; /* timeline messages acknowledged */
    uint64_t dead;     /* dead letters acknowledged */
    uint64_t skipped;  /* outside the time window */
    double seconds;    /* of this run */
    int complete;      /* every range is done */
} dl_replay_stats;

/**
 * @brief Creates the consumer (and, unless --dry-run, the producer) and
 *        checks the output topics.
 * @param pl borrowed; may be NULL for a dry run.
 * @param stop the process's stop flag (read only).
 * @returns NULL with @p err set (DL_ECONFIG, DL_EINVAL, DL_EKAFKA).
 * @remark @p cfg, @p pl and @p o must outlive the replay.
 */
dl_replay *dl_replay_new(const dl_config *cfg, dl_pipeline *pl, const dl_replay_opts *o,
                         const volatile sig_atomic_t *stop, dl_err *err);

/**
 * @brief Plans the ranges (or loads them from the checkpoint) and, if there
 *        is a checkpoint to keep, saves it before anything is processed.
 */
int dl_replay_plan(dl_replay *rp, dl_err *err);

/** @brief Prints the plan (what --dry-run shows) to @p fp. */
void dl_replay_print_plan(const dl_replay *rp, FILE *fp);

/**
 * @brief Replays the planned ranges until they are done or *stop is set,
 *        then flushes within runtime.shutdown_grace_ms and saves the
 *        checkpoint.
 * @returns 0 (see @p stats->complete), or DL_EKAFKA/DL_EIO with @p err set
 *          after a fatal error (the checkpoint holds what was acknowledged).
 */
int dl_replay_run(dl_replay *rp, dl_replay_stats *stats, dl_err *err);

/** @brief Destroys the clients. NULL is fine. */
void dl_replay_destroy(dl_replay *rp);

#endif

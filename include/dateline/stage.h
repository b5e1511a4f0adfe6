/*
 * dateline - the streaming stage of `dateline run`: consume topics.input,
 * run every message through the pipeline, produce enriched records or dead
 * letters, and store each consumed offset once everything produced from it
 * is acknowledged (at-least-once); or, with `delivery: exactly_once`, commit
 * the records and the consumed offsets in one producer transaction.
 *
 * Dead letters carry the original value, key and headers unchanged, plus:
 *   dateline.error.stage      "decode" | "extract" | "encode" | "produce"
 *   dateline.error.reason     stable reason code (e.g. "invalid_utf8",
 *                             "produce_failed")
 *   dateline.error.message    human-readable detail
 *   dateline.error.topic      source topic
 *   dateline.error.partition  source partition (decimal)
 *   dateline.error.offset     source offset (decimal)
 *   dateline.error.ts         when it was dead-lettered: RFC 3339 UTC with
 *                             milliseconds, "2024-05-01T12:00:00.123Z"
 *
 * Reasons added by the stage itself: "extract_timeout" (extraction took
 * longer than extract.max_ms), "extract_too_large" (record larger than
 * extract.max_record_bytes), "produce_failed" (the broker rejected the
 * enriched record, e.g. too large for the topic).
 *
 * Threading: single-threaded. Kafka callbacks (delivery reports,
 * rebalances, logs, errors) all run inside the stage's own poll calls.
 */
#ifndef DATELINE_STAGE_H
#define DATELINE_STAGE_H

#include <signal.h>
#include <stdint.h>

#include "dateline/common.h"
#include "dateline/config.h"
#include "dateline/metrics.h"
#include "dateline/pipeline.h"

typedef struct dl_stage dl_stage;

#define DL_STAGE_MAX_REASONS 32

/**
 * Counters of one stage, for logs and metrics. Outputs are counted when the
 * broker acknowledged them (exactly_once: when their transaction committed).
 */
typedef struct dl_stage_stats {
    uint64_t consumed;
    uint64_t enriched;     /* records acknowledged on topics.enriched */
    uint64_t dead_letters; /* records acknowledged on topics.dead_letter */
    uint64_t timeline;     /* records acknowledged on topics.timeline */
    uint64_t failed_deliveries;
    uint64_t rebalances;
    uint64_t pauses;  /* times backpressure paused the consumer */
    uint64_t refills; /* times a dry prefetch queue was refilled early */
    uint64_t txn_commits;
    uint64_t txn_aborts;
    uint64_t inflight;       /* messages not yet stored / committed */
    uint64_t inflight_bytes; /* their consumed bytes, until processed and delivered */
    size_t n_reasons;
    struct {
        char reason[48]; /* dateline.error.reason; the last slot is "other" */
        uint64_t n;
    } reasons[DL_STAGE_MAX_REASONS];
} dl_stage_stats;

/**
 * Called on the stage's thread with a snapshot of the counters, about once
 * a second and once more when the stage stops. Copy what you need (under
 * your own lock if another thread serves it); do not call the stage.
 */
typedef void dl_stage_stats_fn(const dl_stage_stats *stats, void *arg);

/**
 * @brief Validates the Kafka configuration, then creates the producer and
 *        the consumer and subscribes. Every pass-through property is checked
 *        before any client is created.
 * @param cfg  borrowed; must outlive the stage.
 * @param pl   borrowed; used from the stage's thread only.
 * @param stop the process's stop flag (set by SIGTERM/SIGINT): read, never
 *             written.
 * @returns NULL with @p err set: DL_ECONFIG (file and property named) for
 *          configuration problems, DL_EKAFKA otherwise.
 */
dl_stage *dl_stage_new(const dl_config *cfg, dl_pipeline *pl, const volatile sig_atomic_t *stop,
                       dl_err *err);

/**
 * @brief Runs until *stop is set or a fatal error happens, then stops in
 *        order: stop fetching, flush within runtime.shutdown_grace_ms, store
 *        and commit what was acknowledged, leave the group.
 * @returns 0 after a requested stop, DL_EKAFKA (message in @p err) after a
 *          fatal error (a dead letter that could not be delivered, a fatal
 *          client error, a fenced transactional producer); unacknowledged
 *          messages are then not committed and will be consumed again.
 */
int dl_stage_run(dl_stage *st, dl_err *err);

/** @brief Installs (fn != NULL) or removes the stats callback. Before dl_stage_run(). */
void dl_stage_on_stats(dl_stage *st, dl_stage_stats_fn *fn, void *arg);

/** @brief Copies the current counters (stage thread only). */
void dl_stage_get_stats(const dl_stage *st, dl_stage_stats *out);

/**
 * @brief Feeds @p m (borrowed, may be NULL) from the stage's thread: extract
 *        times, assigned partitions, consumer lag, in-flight count, the
 *        loop's heartbeat, running/stopping and the consumer handle for
 *        /ready's broker probe (unregistered when the stop begins). Counters
 *        come through dl_stage_on_stats(). Before dl_stage_run().
 */
void dl_stage_set_metrics(dl_stage *st, dl_metrics *m);

/**
 * Called on the stage's thread, between two messages, when the reload flag
 * is set: returns a new pipeline to use from now on (the function disposes
 * of @p cur), or NULL to keep @p cur. It must clear the flag.
 */
typedef dl_pipeline *dl_stage_reload_fn(dl_pipeline *cur, void *arg);

/**
 * @brief Installs the reload hook: @p flag (set by SIGHUP) is read once per
 *        loop turn, never written. Before dl_stage_run().
 */
void dl_stage_on_reload(dl_stage *st, const volatile sig_atomic_t *flag, dl_stage_reload_fn *fn,
                        void *arg);

/** @brief Destroys the clients (closing the consumer if needed). NULL is fine. */
void dl_stage_destroy(dl_stage *st);

#endif

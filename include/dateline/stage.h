/*
 * dateline - the streaming stage of `dateline run`: consume topics.input,
 * run every message through the pipeline, produce enriched records or dead
 * letters, and store each consumed offset once everything produced from it
 * is acknowledged (at-least-once).
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
 * Threading: single-threaded. Kafka callbacks (delivery reports,
 * rebalances, logs, errors) all run inside the stage's own poll calls.
 */
#ifndef DATELINE_STAGE_H
#define DATELINE_STAGE_H

#include <signal.h>

#include "dateline/common.h"
#include "dateline/config.h"
#include "dateline/pipeline.h"

typedef struct dl_stage dl_stage;

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
 *          client error); unacknowledged messages are then not committed
 *          and will be consumed again.
 */
int dl_stage_run(dl_stage *st, dl_err *err);

/** @brief Destroys the clients (closing the consumer if needed). NULL is fine. */
void dl_stage_destroy(dl_stage *st);

#endif

/*
 * dateline - metrics and health state of `dateline run`, rendered in the
 * Prometheus text format by the HTTP endpoint (dateline/http.h).
 *
 *   dateline_messages_consumed_total               counter
 *   dateline_records_produced_total{topic}         counter (acknowledged records)
 *   dateline_dead_letters_total{reason}            counter (acknowledged dead letters)
 *   dateline_extract_seconds                       histogram (dl_pipeline_process)
 *   dateline_consumer_lag{partition}               gauge (high watermark - position)
 *   dateline_rebalances_total                      counter
 *   dateline_inflight                              gauge (consumed, not yet stored)
 *   dateline_assigned_partitions                   gauge
 *   dateline_ready                                 gauge (what /ready answers)
 *   dateline_heartbeat_age_seconds                 gauge (what /healthz checks)
 *   dateline_rules_reloads_total{result}           counter (SIGHUP)
 *   dateline_build_info{version,commit,compiler,librdkafka}  1
 *   dateline_rules_info{hash}                      1
 *
 * Threading: every function may be called from any thread. Updates are
 * atomic increments or take a short internal lock (labelled series);
 * rendering takes the same lock. Every function accepts m == NULL and then
 * does nothing, so code paths without metrics need no checks.
 */
#ifndef DATELINE_METRICS_H
#define DATELINE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "dateline/common.h"

typedef struct dl_metrics dl_metrics;

/** Upper bounds (seconds) of the dateline_extract_seconds buckets; +Inf is implied. */
#define DL_METRICS_EXTRACT_BUCKETS                                                                 \
    {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5}
/** Upper bounds (seconds) of the dateline_record_latency_seconds and
 *  dateline_stage_seconds buckets (a backlog's wait is minutes: +Inf). */
#define DL_METRICS_LATENCY_BUCKETS                                                                 \
    {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0}

/** @returns a new registry with every counter at 0, or NULL (out of memory). */
dl_metrics *dl_metrics_new(void);

/** Frees the registry. NULL is fine. Nothing may use it afterwards. */
void dl_metrics_free(dl_metrics *m);

/** @brief Sets the rules hash shown by dateline_rules_info (copied). */
void dl_metrics_set_rules_hash(dl_metrics *m, const char *hash);

void dl_metrics_consumed(dl_metrics *m);
/** @brief One record acknowledged on @p topic (copied; a bounded set of topics). */
void dl_metrics_produced(dl_metrics *m, const char *topic);
/** @brief One dead letter acknowledged with reason code @p reason. */
void dl_metrics_dead_letter(dl_metrics *m, const char *reason);
void dl_metrics_extract_seconds(dl_metrics *m, double seconds);
/**
 * @brief A message's enriched record (or dead letter) was acknowledged:
 * @p stage_s after the stage consumed the message, @p age_s after the
 * message's own timestamp (< 0: it has none).
 */
void dl_metrics_record_latency(dl_metrics *m, double stage_s, double age_s);
void dl_metrics_rebalance(dl_metrics *m);
void dl_metrics_set_inflight(dl_metrics *m, int64_t n);
/*
 * Setters for counters kept elsewhere (the stage's dl_stage_stats): the
 * value replaces the series' value. Use either these or the increments
 * above for one series, not both.
 */
void dl_metrics_set_consumed(dl_metrics *m, uint64_t n);
void dl_metrics_set_rebalances(dl_metrics *m, uint64_t n);
void dl_metrics_set_produced(dl_metrics *m, const char *topic, uint64_t n);
void dl_metrics_set_dead_letters(dl_metrics *m, const char *reason, uint64_t n);

/** @brief Adds @p delta (may be negative) to the assigned partition count. */
void dl_metrics_assigned(dl_metrics *m, int delta);
/** @brief @p ok: 1 = reload applied, 0 = failed (old rules kept). */
void dl_metrics_rules_reload(dl_metrics *m, int ok);

/**
 * @brief Updates dateline_consumer_lag from librdkafka's cached high
 *        watermarks and positions of @p rk's assignment (no broker round
 *        trip). Rate-limited: at most once a second, cheap otherwise.
 * @remark Call from the thread that polls @p rk.
 */
void dl_metrics_update_lag(dl_metrics *m, rd_kafka_t *rk);

/** @brief Records that the stage loop turned (for /healthz). */
void dl_metrics_heartbeat(dl_metrics *m);

/**
 * @brief Marks the stage as running (1: consuming) or stopping (0: a
 *        shutdown began; /ready fails from now on).
 * @remark Async-signal-safe (one lock-free atomic store): a SIGTERM handler
 *         may call it so that /ready fails at once.
 */
void dl_metrics_set_running(dl_metrics *m, int running);

/**
 * @brief Registers the client handle (the stage's producer) whose broker
 *        connection /ready probes (a metadata request from the HTTP thread,
 *        cached for a couple of seconds). NULL unregisters; it waits for
 *        a probe in progress, so after it returns the handle may be
 *        destroyed.
 */
void dl_metrics_set_probe(dl_metrics *m, rd_kafka_t *rk);

/**
 * @brief /healthz: 1 if the loop turned within @p stall_ms, else 0 with the
 *        reason in @p why. Before the first heartbeat the process counts as
 *        alive (it is starting).
 */
int dl_metrics_healthy(dl_metrics *m, int stall_ms, char *why, size_t size);

/**
 * @brief /ready: 1 if the stage is running, has at least one assigned
 *        partition and a broker answers; else 0 with the reason in @p why.
 * @remark May block for up to a second (the broker probe); meant for the
 *         HTTP thread.
 */
int dl_metrics_ready(dl_metrics *m, char *why, size_t size);

/**
 * @brief Renders every metric in the Prometheus text exposition format
 *        (version 0.0.4).
 * @returns 0 with a malloc'd, NUL-terminated text in @p out (caller frees)
 *          and its length in @p len, or DL_ENOMEM.
 */
int dl_metrics_render(dl_metrics *m, char **out, size_t *len);

/** Build information compiled into the binary (see CMakeLists.txt). */
const char *dl_build_version(void);
const char *dl_build_commit(void);
const char *dl_build_compiler(void);

#endif

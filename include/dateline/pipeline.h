/*
 * dateline - the extraction library's single entry point: one raw message
 * in, one result out (an enriched record, or a dead-letter reason).
 *
 * `dateline extract`, `run` and `replay` all go through here, so they
 * produce identical records. This module never touches Kafka.
 */
#ifndef DATELINE_PIPELINE_H
#define DATELINE_PIPELINE_H

#include <stdint.h>

#include "dateline/common.h"
#include "dateline/config.h"

typedef struct dl_pipeline dl_pipeline;

/** A raw message as it arrived; slices are borrowed for the call. */
typedef struct dl_message {
    dl_slice value;
    dl_slice key;          /* p == NULL: no key */
    dl_slice date_header;  /* p == NULL: header absent */
    int64_t timestamp_ms;  /* < 0: none */
    const char *topic;     /* NULL outside Kafka */
    int32_t partition;     /* -1 outside Kafka */
    int64_t offset;        /* -1 outside Kafka */
} dl_message;

/** One output message: key and value, both malloc'd. */
typedef struct dl_record {
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
} dl_record;

/** The outcome of one message. */
typedef struct dl_result {
    int dead;         /* 1: not an article, see reason */
    char *key;        /* enriched record key (article id), malloc'd */
    size_t key_len;
    char *record;     /* enriched JSON record, malloc'd, no trailing newline */
    size_t record_len;
    const char *reason; /* dead letters: stable reason code, e.g. "invalid_utf8" */
    char detail[256];   /* dead letters: human-readable detail */
    /* Timeline messages (schema/timeline-event.v1.json), one per (event,
     * person) pair, key = the person's normalised name, or the article id
     * for an event that names no person; in event order. None when
     * dl_pipeline_set_timeline() turned them off. */
    dl_record *timeline;
    size_t n_timeline;
} dl_result;

/**
 * @brief Builds a pipeline from @p cfg: compiles the rules once.
 * @returns NULL on error with @p err set (rule errors carry file:line:col).
 * @remark One pipeline per thread; dl_pipeline_clone() shares the compiled rules.
 */
dl_pipeline *dl_pipeline_new(const dl_config *cfg, dl_err *err);

/**
 * @brief A pipeline for another thread that shares @p base's compiled rules
 *        (read-only) and has its own decoder and extractor state.
 * @returns NULL on error with @p err set.
 * @remark @p base must outlive the clone; free the clones first.
 */
dl_pipeline *dl_pipeline_clone(const dl_pipeline *base, dl_err *err);

/**
 * @brief Whether dl_pipeline_process() builds the timeline messages (on
 *        unless the config's topics.timeline is ""). Off for a caller that
 *        only keeps the enriched record (`dateline extract`): building them
 *        is ~3 % of its work on T17.
 * @remark Clones made afterwards inherit the setting.
 */
void dl_pipeline_set_timeline(dl_pipeline *pl, int on);

/** Frees the pipeline (not the rules a clone borrows). NULL is fine. */
void dl_pipeline_free(dl_pipeline *pl);

/**
 * @brief Processes one message into @p res (which the caller fini's).
 * @returns 0 when @p res holds a record or a dead letter; a negative DL_E*
 *          only for internal failures (out of memory).
 */
int dl_pipeline_process(dl_pipeline *pl, const dl_message *msg, dl_result *res);

/**
 * @brief Tags a TimeML document for evaluation: DCT from its creation-time
 *        TIMEX3, timexes over its TEXT content.
 * @returns 0 with a malloc'd JSONL line for the TempEval-3 scorer in
 *          @p line (caller frees), or a negative DL_E* with @p err set.
 */
int dl_pipeline_timeml(dl_pipeline *pl, dl_slice doc, const char *name, char **line, size_t *len,
                       dl_err *err);

/** Hex digest identifying the loaded rules (goes into every record). */
const char *dl_pipeline_rules_hash(const dl_pipeline *pl);

/** Frees what @p res owns and zeroes it. */
void dl_result_fini(dl_result *res);

#endif

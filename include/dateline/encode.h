/*
 * dateline - encoder: article + facts -> the enriched JSON record of
 * DESIGN.md (schema/enriched.v1.json). Every field is present, empty or
 * null when there is nothing to say. Offsets are UTF-8 byte offsets into
 * the original message value.
 */
#ifndef DATELINE_ENCODE_H
#define DATELINE_ENCODE_H

#include <stdint.h>

#include "dateline/decode.h"
#include "dateline/extract.h"

/** Where the message came from; topic NULL outside Kafka. */
typedef struct dl_source {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* < 0: none */
} dl_source;

typedef struct dl_encode_info {
    const char *rules_hash;
    uint64_t extract_us; /* time spent extracting, for stats */
} dl_encode_info;

/**
 * @brief Builds the enriched record.
 * @returns a malloc'd JSON text (no trailing newline; caller frees) with its
 *          length in @p len, or NULL when out of memory.
 */
char *dl_encode_record(const dl_article *art, const dl_facts *facts, const dl_source *src,
                       const dl_encode_info *info, size_t *len);

/**
 * The members every timeline message of an article carries unchanged,
 * written once per article rather than once per message: "article" (the
 * first @c article_len bytes of @c text) and, after a comma, "extractor".
 */
typedef struct dl_timeline_shared {
    char *text; /* malloc'd; the caller frees it */
    size_t article_len, len;
} dl_timeline_shared;

/** @brief Fills @p sh for the timeline messages of @p art.
 *  @returns 0, or DL_ENOMEM. */
int dl_encode_timeline_shared(const dl_article *art, const dl_source *src,
                              const dl_encode_info *info, dl_timeline_shared *sh);

/**
 * @brief Builds the timeline message (schema/timeline-event.v1.json) of
 *        event @p event for entity @p person (a PERSON index of @p facts),
 *        or for no person when @p person < 0; @p key is its message key;
 *        @p sh is the article's (dl_encode_timeline_shared()).
 * @returns a malloc'd JSON text (caller frees) or NULL when out of memory.
 */
char *dl_encode_timeline(const dl_article *art, const dl_facts *facts, const dl_timeline_shared *sh,
                         size_t event, long person, const char *key, size_t *len);

/**
 * @brief Builds one line of the TempEval-3 scorer's JSONL input
 *        ({"doc", "timexes": [{start, end, text, type, value}]}) with byte
 *        offsets into @p text.
 * @returns a malloc'd JSON text (caller frees) or NULL when out of memory.
 */
char *dl_encode_eval(const char *doc, dl_slice text, const dl_facts *facts, size_t *len);

#endif

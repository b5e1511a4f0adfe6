/*
 * dateline - the headers of a dead letter (the contract is documented in
 * include/dateline/stage.h): the original headers, minus the error headers
 * of an earlier failure, plus dateline.error.{stage,reason,message,topic,
 * partition,offset,ts}.
 *
 * Used by `dateline run` and `dateline replay`, so both write the same
 * dead letters.
 */
#ifndef DATELINE_DEAD_LETTER_H
#define DATELINE_DEAD_LETTER_H

#include <librdkafka/rdkafka.h>

/**
 * @brief Builds the dead-letter headers of consumed message @p rkm.
 * @returns new headers (the caller owns them; dl_kafka_sink_produce() takes
 *          them over), or NULL when out of memory.
 */
rd_kafka_headers_t *dl_dead_letter_headers(const rd_kafka_message_t *rkm, const char *stage,
                                           const char *reason, const char *detail);

/**
 * @returns the pipeline stage that owns a reason code: "extract" or
 *          "encode" for reasons with that prefix, else "decode".
 */
const char *dl_dead_letter_stage(const char *reason);

#endif

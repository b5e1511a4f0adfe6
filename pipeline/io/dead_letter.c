/* Dead-letter headers (see include/dateline/dead_letter.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dateline/dead_letter.h"

/* RFC 3339 UTC with milliseconds: the dateline.error.ts header. */
static void dead_letter_ts(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

const char *dl_dead_letter_stage(const char *reason)
{
    if (!strncmp(reason, "extract", 7))
        return "extract";
    if (!strncmp(reason, "encode", 6))
        return "encode";
    return "decode";
}

rd_kafka_headers_t *dl_dead_letter_headers(const rd_kafka_message_t *rkm, const char *stage,
                                           const char *reason, const char *detail)
{
    static const char *const ours[] = {
        "dateline.error.stage", "dateline.error.reason",    "dateline.error.message",
        "dateline.error.topic", "dateline.error.partition", "dateline.error.offset",
        "dateline.error.ts",
    };
    rd_kafka_headers_t *orig = NULL, *hdrs;
    char partition[16], offset[24], ts[40];

    if (!rd_kafka_message_headers(rkm, &orig) && orig)
        hdrs = rd_kafka_headers_copy(orig);
    else
        hdrs = rd_kafka_headers_new(8);
    if (!hdrs)
        return NULL;
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        rd_kafka_header_remove(hdrs, ours[i]);
    snprintf(partition, sizeof(partition), "%" PRId32, rkm->partition);
    snprintf(offset, sizeof(offset), "%" PRId64, rkm->offset);
    dead_letter_ts(ts, sizeof(ts));
    rd_kafka_header_add(hdrs, "dateline.error.stage", -1, stage, -1);
    rd_kafka_header_add(hdrs, "dateline.error.reason", -1, reason, -1);
    rd_kafka_header_add(hdrs, "dateline.error.message", -1, detail, -1);
    rd_kafka_header_add(hdrs, "dateline.error.topic", -1, rd_kafka_topic_name(rkm->rkt), -1);
    rd_kafka_header_add(hdrs, "dateline.error.partition", -1, partition, -1);
    rd_kafka_header_add(hdrs, "dateline.error.offset", -1, offset, -1);
    rd_kafka_header_add(hdrs, "dateline.error.ts", -1, ts, -1);
    return hdrs;
}

/*
 * dateline - progress of a long job with a known total (a replay): a bar on
 * a terminal, periodic JSON log lines elsewhere.
 *
 *   [##########..........]  50.1%  50,100/100,000  12,345 msg/s  ETA 0:04
 *   {"ts":"...","level":"info","mod":"replay","msg":"progress","done":"50100",
 *    "total":"100000","percent":"50.1","rate":"12345","eta_s":"4"}
 *
 * Not thread-safe: one caller thread.
 */
#ifndef DATELINE_PROGRESS_H
#define DATELINE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    DL_PROGRESS_AUTO = 0, /* bar if the output is a terminal, else JSON */
    DL_PROGRESS_BAR,
    DL_PROGRESS_JSON,
    DL_PROGRESS_NONE,
} dl_progress_mode;

typedef struct dl_progress dl_progress;

/** @brief Parses "auto|bar|json|none". @returns 0 or DL_EINVAL. */
int dl_progress_mode_parse(const char *s, dl_progress_mode *out);

/**
 * @brief Creates a reporter writing to @p fp (borrowed; stderr in practice).
 * @param interval_ms between JSON lines (the bar redraws every 200 ms).
 * @returns NULL when out of memory.
 */
dl_progress *dl_progress_new(dl_progress_mode mode, FILE *fp, int64_t total, int interval_ms);

/**
 * @brief Reports @p done of the total, drawing or logging when due (or now
 *        if @p force). @p extra is a NULL-terminated key/value list added to
 *        JSON lines (may be NULL).
 */
void dl_progress_update(dl_progress *pg, int64_t done, int force, const char *const *extra);

/** @brief Draws the final state and ends the bar's line. */
void dl_progress_finish(dl_progress *pg, int64_t done);

/** @brief NULL is fine. */
void dl_progress_free(dl_progress *pg);

/**
 * @brief Formats the bar line (no "\r"): @p rate in messages/s (< 0:
 *        unknown), @p eta_s < 0: unknown. @returns @p buf.
 */
const char *dl_progress_format_bar(char *buf, size_t size, int64_t done, int64_t total, double rate,
                                   double eta_s, int width);

#endif

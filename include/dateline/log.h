/*
 * dateline - structured logs: one JSON object per line on stderr.
 *
 *   {"ts":"2024-05-01T12:00:00.123Z","level":"warn","mod":"decode","msg":"...", ...}
 *
 * Thread-safe (one write(2) per line). Never log payloads above debug.
 */
#ifndef DATELINE_LOG_H
#define DATELINE_LOG_H

#include "dateline/config.h"

/** Sets the minimum level that is written (default info). */
void dl_log_set_level(dl_log_level level);
dl_log_level dl_log_get_level(void);

/** Parses "debug|info|warn|error"; returns 0 or DL_EINVAL. */
int dl_log_level_parse(const char *name, dl_log_level *out);

/**
 * @brief Writes one log line. @p kv is a NULL-terminated list of extra
 *        key/value string pairs ("partition", "3", ..., NULL).
 */
void dl_log_write(dl_log_level level, const char *mod, const char *msg, const char *const *kv);

/** printf-style convenience without extra fields; checks the level first. */
void dl_logf(dl_log_level level, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DL_LOG(level, mod, ...)                                                                    \
    do {                                                                                           \
        if ((level) >= dl_log_get_level())                                                         \
            dl_logf((level), (mod), __VA_ARGS__);                                                  \
    } while (0)

#endif

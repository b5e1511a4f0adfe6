#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dateline/log.h"

static atomic_int log_level = DL_LOG_INFO;

void dl_log_set_level(dl_log_level level)
{
    atomic_store(&log_level, (int)level);
}

dl_log_level dl_log_get_level(void)
{
    return (dl_log_level)atomic_load(&log_level);
}

int dl_log_level_parse(const char *name, dl_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};

    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (dl_log_level)i;
            return 0;
        }
    }
    return DL_EINVAL;
}

const char *dl_log_level_name(dl_log_level level)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};

    return (unsigned)level < 4 ? names[level] : "info";
}

static void log_timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char base[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%.19s.%03dZ", base, (int)(ts.tv_nsec / 1000000) % 1000);
}

void dl_log_write(dl_log_level level, const char *mod, const char *msg, const char *const *kv)
{
    char ts[40];
    json_t *obj;
    char *line;

    if (level < dl_log_get_level())
        return;
    log_timestamp(ts, sizeof(ts));
    obj = json_object();
    if (!obj)
        return;
    json_object_set_new(obj, "ts", json_string(ts));
    json_object_set_new(obj, "level", json_string(dl_log_level_name(level)));
    json_object_set_new(obj, "mod", json_string(mod ? mod : "main"));
    /* Invalid UTF-8 in a message must not lose the line: fall back to a
     * length-checked copy that Jansson escapes or rejects as a whole. */
    if (json_object_set_new(obj, "msg", json_string(msg ? msg : "")) != 0)
        json_object_set_new(obj, "msg", json_string("(message not valid UTF-8)"));
    for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
        json_object_set_new(obj, kv[i], json_string(kv[i + 1]));
    line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!line)
        return;
    /* One write per line so lines from threads do not interleave. */
    size_t n = strlen(line);
    line[n] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n + 1);
    (void)w;
    free(line);
}

void dl_logf(dl_log_level level, const char *mod, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (level < dl_log_get_level())
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dl_log_write(level, mod, msg, NULL);
}

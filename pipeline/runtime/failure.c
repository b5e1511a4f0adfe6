/*
 * dateline - the first fatal error of a stage or a replay.
 */
#include <stdio.h>

#include "dateline/log.h"

#include "failure.h"

void dl_failure_note(dl_failure *f, const char *mod, const char *fmt, ...)
{
    va_list ap;
    char msg[sizeof(f->msg)];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (f->failed) {
        if (f->more++ < DL_FAILURE_LOGGED)
            dl_log_write(DL_LOG_ERROR, mod, msg, NULL);
        return;
    }
    f->failed = 1;
    snprintf(f->msg, sizeof(f->msg), "%s", msg);
    dl_log_write(DL_LOG_ERROR, mod, msg, NULL);
}

void dl_failure_summary(const dl_failure *f, const char *mod)
{
    if (f->more > DL_FAILURE_LOGGED)
        dl_logf(DL_LOG_ERROR, mod, "%lu more failures not shown", f->more - DL_FAILURE_LOGGED);
}

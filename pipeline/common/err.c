#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dateline/common.h"

__attribute__((format(printf, 3, 0))) static void err_vset(dl_err *err, int code, const char *fmt,
                                                          va_list ap)
{
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int dl_err_set(dl_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->file[0] = '\0';
    err->line = err->col = 0;
    va_start(ap, fmt);
    err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int dl_err_set_at(dl_err *err, int code, const char *file, int line, int col, const char *fmt,
                  ...)
{
    va_list ap;

    if (!err)
        return code;
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    err->line = line;
    err->col = col;
    va_start(ap, fmt);
    err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void dl_err_clear(dl_err *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

const char *dl_err_str(const dl_err *err, char *buf, size_t size)
{
    if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}

/* Progress bar / JSON progress lines (see include/dateline/progress.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dateline/common.h"
#include "dateline/log.h"
#include "dateline/progress.h"

#define PROGRESS_BAR_INTERVAL_MS 200
#define PROGRESS_BAR_WIDTH       24

struct dl_progress {
    dl_progress_mode mode; /* BAR, JSON or NONE once resolved */
    FILE *fp;
    int64_t total;
    int interval_ms;
    int64_t t0_ms;   /* first update */
    int64_t done0;   /* done at the first update (a resumed replay starts > 0) */
    int64_t last_ms; /* last draw */
    int started;
    int drawn; /* the bar's line is open */
};

int dl_progress_mode_parse(const char *s, dl_progress_mode *out)
{
    static const char *const names[] = {"auto", "bar", "json", "none"};

    for (int i = 0; i < 4; i++) {
        if (!strcmp(s, names[i])) {
            *out = (dl_progress_mode)i;
            return 0;
        }
    }
    return DL_EINVAL;
}

dl_progress *dl_progress_new(dl_progress_mode mode, FILE *fp, int64_t total, int interval_ms)
{
    dl_progress *pg = calloc(1, sizeof(*pg));

    if (!pg)
        return NULL;
    if (mode == DL_PROGRESS_AUTO)
        mode = isatty(fileno(fp)) ? DL_PROGRESS_BAR : DL_PROGRESS_JSON;
    pg->mode = mode;
    pg->fp = fp;
    pg->total = total;
    pg->interval_ms = interval_ms > 0 ? interval_ms : 5000;
    return pg;
}

void dl_progress_free(dl_progress *pg)
{
    free(pg);
}

/* 1234567 -> "1,234,567" */
static const char *progress_thousands(char *buf, size_t size, int64_t v)
{
    char digits[32];
    int n = snprintf(digits, sizeof(digits), "%" PRId64, v < 0 ? -v : v);
    size_t o = 0;

    if (v < 0 && o + 1 < size)
        buf[o++] = '-';
    for (int i = 0; i < n && o + 1 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < size)
            buf[o++] = ',';
        if (o + 1 < size)
            buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char *progress_duration(char *buf, size_t size, double s)
{
    long t = (long)(s + 0.5);

    if (s < 0)
        snprintf(buf, size, "--:--");
    else if (t >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
    return buf;
}

const char *dl_progress_format_bar(char *buf, size_t size, int64_t done, int64_t total, double rate,
                                   double eta_s, int width)
{
    char bar[128], d[32], t[32], r[32], eta[32];
    double frac = total > 0 ? (double)done / (double)total : 1.0;
    int fill;

    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    if (width < 1)
        width = 1;
    if (width > (int)sizeof(bar) - 1)
        width = (int)sizeof(bar) - 1;
    fill = (int)(frac * width);
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    if (rate >= 0)
        progress_thousands(r, sizeof(r), (int64_t)(rate + 0.5));
    else
        snprintf(r, sizeof(r), "-");
    snprintf(buf, size, "[%s] %5.1f%%  %s/%s  %s msg/s  ETA %s", bar, frac * 100.0,
             progress_thousands(d, sizeof(d), done), progress_thousands(t, sizeof(t), total), r,
             progress_duration(eta, sizeof(eta), eta_s));
    return buf;
}

static void progress_draw(dl_progress *pg, int64_t done, int64_t now, const char *const *extra)
{
    double secs = (double)(now - pg->t0_ms) / 1000.0;
    double rate = secs > 0.05 ? (double)(done - pg->done0) / secs : -1.0;
    double eta = rate > 0 ? (double)(pg->total - done) / rate : (done >= pg->total ? 0 : -1.0);
    char line[256];

    if (pg->mode == DL_PROGRESS_BAR) {
        dl_progress_format_bar(line, sizeof(line), done, pg->total, rate, eta, PROGRESS_BAR_WIDTH);
        fprintf(pg->fp, "\r\033[K%s", line);
        fflush(pg->fp);
        pg->drawn = 1;
    } else if (pg->mode == DL_PROGRESS_JSON) {
        char sd[24], st[24], sp[24], sr[24], se[24];
        const char *kv[32];
        size_t n = 0;

        snprintf(sd, sizeof(sd), "%" PRId64, done);
        snprintf(st, sizeof(st), "%" PRId64, pg->total);
        snprintf(sp, sizeof(sp), "%.1f",
                 pg->total > 0 ? 100.0 * (double)done / (double)pg->total : 100.0);
        snprintf(sr, sizeof(sr), "%.0f", rate > 0 ? rate : 0.0);
        if (eta >= 0)
            snprintf(se, sizeof(se), "%.0f", eta);
        else
            snprintf(se, sizeof(se), "unknown");
        kv[n++] = "done", kv[n++] = sd;
        kv[n++] = "total", kv[n++] = st;
        kv[n++] = "percent", kv[n++] = sp;
        kv[n++] = "rate", kv[n++] = sr;
        kv[n++] = "eta_s", kv[n++] = se;
        for (size_t i = 0; extra && extra[i] && extra[i + 1] && n + 3 < 32; i += 2) {
            kv[n++] = extra[i];
            kv[n++] = extra[i + 1];
        }
        kv[n] = NULL;
        dl_log_write(DL_LOG_INFO, "replay", "progress", kv);
    }
    pg->last_ms = now;
}

void dl_progress_update(dl_progress *pg, int64_t done, int force, const char *const *extra)
{
    int64_t now = dl_now_ms();
    int interval = pg->mode == DL_PROGRESS_BAR ? PROGRESS_BAR_INTERVAL_MS : pg->interval_ms;

    if (pg->mode == DL_PROGRESS_NONE)
        return;
    if (!pg->started) {
        pg->started = 1;
        pg->t0_ms = now;
        pg->done0 = done;
        pg->last_ms = now;
        if (!force && pg->mode == DL_PROGRESS_JSON)
            return;
    }
    if (force || now - pg->last_ms >= interval)
        progress_draw(pg, done, now, extra);
}

void dl_progress_finish(dl_progress *pg, int64_t done)
{
    if (!pg || pg->mode != DL_PROGRESS_BAR)
        return;
    if (!pg->started)
        dl_progress_update(pg, done, 1, NULL);
    else
        progress_draw(pg, done, dl_now_ms(), NULL);
    if (pg->drawn)
        fputc('\n', pg->fp);
    fflush(pg->fp);
}

/*
 * The request side of `dateline replay` (see include/dateline/replay.h):
 * parsing times, offsets and partitions, and resolving ranges. Pure: no
 * Kafka, so it is unit-tested without a broker.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dateline/replay.h"

void dl_replay_opts_init(dl_replay_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->from_ms = -1;
    o->to_ms = -1;
    o->from_off.all = -1;
    o->to_off.all = -1;
    o->progress = DL_PROGRESS_AUTO;
    o->progress_interval_ms = 5000;
    o->timeout_ms = 10000;
}

void dl_replay_opts_fini(dl_replay_opts *o)
{
    if (!o)
        return;
    free(o->from_off.items);
    free(o->to_off.items);
    free(o->partitions);
    o->from_off.items = o->to_off.items = NULL;
    o->from_off.n = o->to_off.n = 0;
    o->partitions = NULL;
    o->n_partitions = 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Reads exactly @p n digits. */
static int read_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int dl_replay_parse_time(const char *s, int64_t *ms, dl_err *err)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, off_min = 0;

    if (!*s)
        return dl_err_set(err, DL_EINVAL, "empty time");
    /* Epoch milliseconds: digits only, and longer than a year. */
    if (strspn(s, "0123456789") == strlen(s) && strlen(s) > 4) {
        char *end;
        long long v = strtoll(s, &end, 10);

        if (*end || v < 0)
            return dl_err_set(err, DL_EINVAL, "'%s' is not a time", s);
        *ms = (int64_t)v;
        return 0;
    }
    if (read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &mo) || *p++ != '-' ||
        read_digits(&p, 2, &d))
        goto bad;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        goto bad;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            goto bad;
        p++;
        if (read_digits(&p, 2, &h) || *p++ != ':' || read_digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (read_digits(&p, 2, &sec))
                goto bad;
            if (*p == '.' || *p == ',') {
                int scale = 100, digits = 0;

                p++;
                while (isdigit((unsigned char)*p)) {
                    frac_ms += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                    digits++;
                }
                if (!digits)
                    goto bad;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            goto bad;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om;

            p++;
            if (read_digits(&p, 2, &oh) || *p++ != ':' || read_digits(&p, 2, &om) || oh > 23 ||
                om > 59)
                goto bad;
            off_min = sign * (oh * 60 + om);
        } else {
            /* RFC 3339 requires an offset; a time without one is ambiguous. */
            return dl_err_set(err, DL_EINVAL,
                              "'%s': a time of day needs a UTC offset (Z or +HH:MM)", s);
        }
        if (*p)
            goto bad;
    }
    *ms = ((days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + sec) -
           (int64_t)off_min * 60) *
              1000 +
          frac_ms;
    return 0;
bad:
    return dl_err_set(err, DL_EINVAL,
                      "'%s' is not a time (RFC 3339 like 2020-10-01T00:00:00Z, a date "
                      "2020-10-01, or epoch milliseconds)",
                      s);
}

const char *dl_replay_format_time(int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    size_t n;

    gmtime_r(&secs, &tm);
    n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
    return buf;
}

static int parse_i64(const char *s, const char *end, int64_t *out)
{
    int64_t v = 0;

    if (s == end)
        return -1;
    for (const char *p = s; p < end; p++) {
        if (!isdigit((unsigned char)*p) || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

static int offset_cmp(const void *a, const void *b)
{
    const dl_replay_offset *x = a, *y = b;

    return x->partition < y->partition ? -1 : x->partition > y->partition;
}

int dl_replay_parse_offsets(const char *s, dl_replay_offsets *out, dl_err *err)
{
    const char *p = s;
    size_t cap = 0;

    memset(out, 0, sizeof(*out));
    out->all = -1;
    if (!*s)
        return dl_err_set(err, DL_EINVAL, "empty offsets");
    while (*p) {
        const char *end = strchr(p, ',');
        const char *colon;
        int64_t part, off;

        if (!end)
            end = p + strlen(p);
        colon = memchr(p, ':', (size_t)(end - p));
        if (!colon) {
            if (parse_i64(p, end, &off) || out->all >= 0)
                goto bad;
            out->all = off;
        } else {
            if (parse_i64(p, colon, &part) || parse_i64(colon + 1, end, &off) || part > INT32_MAX)
                goto bad;
            if (out->n == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                dl_replay_offset *items = realloc(out->items, ncap * sizeof(*items));

                if (!items) {
                    free(out->items);
                    out->items = NULL;
                    out->n = 0;
                    return dl_err_set(err, DL_ENOMEM, "out of memory");
                }
                out->items = items;
                cap = ncap;
            }
            out->items[out->n++] = (dl_replay_offset){(int32_t)part, off};
        }
        p = *end ? end + 1 : end;
        if (*end && !*p)
            goto bad; /* trailing comma */
    }
    if (out->n)
        qsort(out->items, out->n, sizeof(*out->items), offset_cmp);
    for (size_t i = 1; i < out->n; i++)
        if (out->items[i].partition == out->items[i - 1].partition) {
            int32_t dup = out->items[i].partition;

            free(out->items);
            out->items = NULL;
            out->n = 0;
            return dl_err_set(err, DL_EINVAL, "'%s': partition %" PRId32 " given twice", s, dup);
        }
    return 0;
bad:
    free(out->items);
    out->items = NULL;
    out->n = 0;
    out->all = -1;
    return dl_err_set(err, DL_EINVAL,
                      "'%s' is not a list of offsets (PARTITION:OFFSET[,...] or OFFSET)", s);
}

static int part_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return x < y ? -1 : x > y;
}

/* Sorts and removes duplicates in place. */
static size_t parts_unique(int32_t *parts, size_t n)
{
    size_t o = 0;

    if (!n)
        return 0;
    qsort(parts, n, sizeof(*parts), part_cmp);
    for (size_t i = 1; i < n; i++)
        if (parts[i] != parts[o])
            parts[++o] = parts[i];
    return o + 1;
}

int dl_replay_parse_partitions(const char *s, int32_t **parts, size_t *n, dl_err *err)
{
    const char *p = s;
    int32_t *list = NULL;
    size_t cnt = 0, cap = 0;

    *parts = NULL;
    *n = 0;
    if (!*s)
        return dl_err_set(err, DL_EINVAL, "empty partition list");
    while (*p) {
        const char *end = strchr(p, ','), *dash;
        int64_t a, b;

        if (!end)
            end = p + strlen(p);
        dash = memchr(p, '-', (size_t)(end - p));
        if (dash) {
            if (parse_i64(p, dash, &a) || parse_i64(dash + 1, end, &b) || b < a)
                goto bad;
        } else {
            if (parse_i64(p, end, &a))
                goto bad;
            b = a;
        }
        if (b > INT32_MAX || b - a > 100000)
            goto bad;
        for (int64_t v = a; v <= b; v++) {
            if (cnt == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                int32_t *l = realloc(list, ncap * sizeof(*l));

                if (!l) {
                    free(list);
                    return dl_err_set(err, DL_ENOMEM, "out of memory");
                }
                list = l;
                cap = ncap;
            }
            list[cnt++] = (int32_t)v;
        }
        p = *end ? end + 1 : end;
        if (*end && !*p)
            goto bad;
    }
    *n = parts_unique(list, cnt);
    *parts = list;
    return 0;
bad:
    free(list);
    return dl_err_set(err, DL_EINVAL, "'%s' is not a partition list (like 0,2,5-7)", s);
}

static int parts_has(const int32_t *parts, size_t n, int32_t p)
{
    return bsearch(&p, parts, n, sizeof(*parts), part_cmp) != NULL;
}

int dl_replay_select(const dl_replay_opts *o, const int32_t *all, size_t n_all, int32_t **sel,
                     size_t *n_sel, dl_err *err)
{
    int32_t *out;
    size_t n = 0;

    *sel = NULL;
    *n_sel = 0;
    if (!(out = malloc(sizeof(*out) * (n_all + o->n_partitions + o->from_off.n + o->to_off.n + 1))))
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    if (o->n_partitions) {
        for (size_t i = 0; i < o->n_partitions; i++)
            out[n++] = o->partitions[i];
    } else if ((o->from_off.n || o->to_off.n) && o->from_off.all < 0 && o->to_off.all < 0) {
        for (size_t i = 0; i < o->from_off.n; i++)
            out[n++] = o->from_off.items[i].partition;
        for (size_t i = 0; i < o->to_off.n; i++)
            out[n++] = o->to_off.items[i].partition;
    } else {
        for (size_t i = 0; i < n_all; i++)
            out[n++] = all[i];
    }
    n = parts_unique(out, n);
    for (size_t i = 0; i < n; i++) {
        if (!parts_has(all, n_all, out[i])) {
            int32_t bad = out[i];

            free(out);
            return dl_err_set(err, DL_EINVAL,
                              "partition %" PRId32 " does not exist (the topic has %zu)", bad,
                              n_all);
        }
    }
    *sel = out;
    *n_sel = n;
    return 0;
}

/* The offset given for @p part, or -1. */
static int64_t offsets_get(const dl_replay_offsets *offs, int32_t part)
{
    dl_replay_offset key = {part, 0};
    const dl_replay_offset *hit =
        offs->n ? bsearch(&key, offs->items, offs->n, sizeof(key), offset_cmp) : NULL;

    return hit ? hit->offset : offs->all;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int dl_replay_resolve(const dl_replay_opts *o, const dl_replay_bounds *b, size_t n,
                      dl_replay_range *out, dl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int64_t from = offsets_get(&o->from_off, b[i].partition);
        int64_t to = offsets_get(&o->to_off, b[i].partition);
        int64_t start, end;

        if (from >= 0 && to >= 0 && from > to)
            return dl_err_set(err, DL_EINVAL,
                              "partition %" PRId32 ": --from-offset %" PRId64
                              " is past --to-offset %" PRId64,
                              b[i].partition, from, to);
        if (from >= 0)
            start = from;
        else if (o->from_ms >= 0)
            start = b[i].t_from >= 0 ? b[i].t_from : b[i].hi;
        else
            start = b[i].lo;
        if (to >= 0)
            end = to;
        else if (o->to_ms >= 0)
            end = b[i].t_to >= 0 ? b[i].t_to : b[i].hi;
        else
            end = b[i].hi;
        start = clamp(start, b[i].lo, b[i].hi);
        end = clamp(end, b[i].lo, b[i].hi);
        if (end < start)
            end = start;
        out[i] = (dl_replay_range){b[i].partition, start, end, start};
    }
    return 0;
}

static int spec_offsets(char *buf, size_t size, const dl_replay_offsets *offs)
{
    size_t used = 0;
    int n;

    buf[0] = '\0';
    if (offs->all >= 0) {
        n = snprintf(buf, size, "%" PRId64, offs->all);
        if (n < 0 || (size_t)n >= size)
            return -1;
        used = (size_t)n;
    }
    for (size_t i = 0; i < offs->n; i++) {
        n = snprintf(buf + used, size - used, "%s%" PRId32 ":%" PRId64, used ? "," : "",
                     offs->items[i].partition, offs->items[i].offset);
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        used += (size_t)n;
    }
    return 0;
}

char *dl_replay_spec(const dl_replay_opts *o, const char *topic)
{
    size_t size = strlen(topic) + 256 + 24 * (o->from_off.n + o->to_off.n + o->n_partitions) * 2;
    char *from = malloc(size), *to = malloc(size), *parts = malloc(size), *spec = malloc(size * 4);
    size_t used = 0;
    int n;

    if (!from || !to || !parts || !spec)
        goto fail;
    parts[0] = '\0';
    for (size_t i = 0; i < o->n_partitions; i++) {
        n = snprintf(parts + used, size - used, "%s%" PRId32, i ? "," : "", o->partitions[i]);
        if (n < 0 || (size_t)n >= size - used)
            goto fail;
        used += (size_t)n;
    }
    if (spec_offsets(from, size, &o->from_off) || spec_offsets(to, size, &o->to_off))
        goto fail;
    n = snprintf(spec, size * 4,
                 "topic=%s;from=%" PRId64 ";to=%" PRId64
                 ";from_offset=%s;to_offset=%s;partitions=%s",
                 topic, o->from_ms, o->to_ms, from, to, parts);
    if (n < 0 || (size_t)n >= size * 4)
        goto fail;
    free(from);
    free(to);
    free(parts);
    return spec;
fail:
    free(from);
    free(to);
    free(parts);
    free(spec);
    return NULL;
}

/*
 * Normalisation: a rule's match -> TimeML value and mod, resolved against
 * the document date (DCT), the previous anchored expression, and the tense
 * of the sentence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "extract_int.h"

/* What the capture groups of one match say, numbers already looked up. */
typedef struct fields {
    int year, month, day, weekday; /* -1: absent */
    int rel, has_rel;
    char unit[8];
    char mod[16];
} fields;

static int number(const char *p, size_t len, int *out)
{
    int v = 0;

    if (len == 0 || len > 6)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* The value of capture @p cap: its lexicon entry if the group is named after
 * a lexicon, else its text. Trailing periods ("Sept.") are not part of a word. */
static const char *lookup(const dl_rule *rule, const dl_candidate *c, dl_slice text, dl_cap cap,
                          char *buf, size_t size)
{
    size_t s = c->cap_start[cap], e = c->cap_end[cap];

    if (s == e)
        return NULL;
    while (e > s && text.p[e - 1] == '.')
        e--;
    for (int k = 0; k < rule->n_caps; k++) {
        if (rule->caps[k].cap == cap && rule->caps[k].lex) {
            const char *v = dl_lexicon_get(rule->caps[k].lex, text.p + s, e - s);
            if (v)
                return v;
        }
    }
    if (e - s >= size)
        return NULL;
    memcpy(buf, text.p + s, e - s);
    buf[e - s] = '\0';
    return buf;
}

static int read_fields(const dl_rule *rule, const dl_candidate *c, dl_slice text, fields *f)
{
    char buf[64];
    const char *v;

    memset(f, 0, sizeof(*f));
    f->year = f->month = f->day = f->weekday = -1;
    if ((v = lookup(rule, c, text, DL_CAP_YEAR, buf, sizeof(buf))) &&
        number(v, strlen(v), &f->year))
        return -1;
    if ((v = lookup(rule, c, text, DL_CAP_MONTH, buf, sizeof(buf))) &&
        number(v, strlen(v), &f->month))
        return -1;
    if ((v = lookup(rule, c, text, DL_CAP_DAY, buf, sizeof(buf))) && number(v, strlen(v), &f->day))
        return -1;
    if ((v = lookup(rule, c, text, DL_CAP_WEEKDAY, buf, sizeof(buf))) &&
        number(v, strlen(v), &f->weekday))
        return -1;
    if ((v = lookup(rule, c, text, DL_CAP_REL, buf, sizeof(buf)))) {
        f->rel = atoi(v);
        f->has_rel = 1;
    } else {
        f->rel = rule->rel;
    }
    v = lookup(rule, c, text, DL_CAP_UNIT, buf, sizeof(buf));
    snprintf(f->unit, sizeof(f->unit), "%s", v ? v : rule->unit);
    for (char *p = f->unit; *p; p++)
        *p = (char)(*p | 0x20);
    v = lookup(rule, c, text, DL_CAP_MOD, buf, sizeof(buf));
    snprintf(f->mod, sizeof(f->mod), "%s", v ? v : rule->mod);
    return 0;
}

static int valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return d < 29 || m != 2 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/*
 * A month (and day) without a year: the occurrence nearest the DCT in the
 * direction the tense says; with no tense, the nearest either way.
 */
static int infer_year(const dl_dct *dct, int month, int day, int tense)
{
    int d = day > 0 ? day : 0;
    int dct_key = dct->month * 32 + dct->day, key = month * 32 + d;

    if (day <= 0)
        dct_key = dct->month * 32; /* month granularity: this month counts as now */
    if (tense < 0)
        return key <= dct_key ? dct->year : dct->year - 1;
    if (tense > 0)
        return key >= dct_key ? dct->year : dct->year + 1;
    /* Nearest: more than six months away means the other year. */
    int diff = month - dct->month;
    if (diff > 6)
        return dct->year - 1;
    if (diff < -6)
        return dct->year + 1;
    return dct->year;
}

static void format_day(char *out, size_t size, long days)
{
    int y, m, d;

    dl_civil_from_days(days, &y, &m, &d);
    snprintf(out, size, "%04d-%02d-%02d", y, m, d);
}

static int norm_date(const fields *f, const dl_norm_ctx *ctx, dl_timex *tx)
{
    const dl_dct *dct = ctx->dct;
    int year = f->year;

    if (f->month < 0 && f->day < 0 && f->weekday > 0 && f->year < 0) {
        /* A bare weekday: the one of this week in the tense's direction. */
        long z = dl_days_from_civil(dct->year, dct->month, dct->day);
        int dw = dl_weekday(dct->year, dct->month, dct->day);
        int back = (dw - f->weekday + 7) % 7, fwd = (f->weekday - dw + 7) % 7;
        long target = ctx->tense > 0 ? z + fwd : ctx->tense < 0 ? z - back
                                                 : (fwd < back ? z + fwd : z - back);
        format_day(tx->value, sizeof(tx->value), target);
        return 0;
    }
    if (f->month < 0) {
        if (year < 0)
            return -1;
        snprintf(tx->value, sizeof(tx->value), "%04d", year);
        return 0;
    }
    if (year < 0)
        year = infer_year(dct, f->month, f->day, ctx->tense);
    if (f->day > 0) {
        if (!valid_date(year, f->month, f->day))
            return -1;
        snprintf(tx->value, sizeof(tx->value), "%04d-%02d-%02d", year, f->month, f->day);
    } else {
        if (f->month > 12 || f->month < 1)
            return -1;
        snprintf(tx->value, sizeof(tx->value), "%04d-%02d", year, f->month);
    }
    return 0;
}

/* The calendar unit containing DCT moved by f->rel units. */
static int norm_relative(const fields *f, const dl_norm_ctx *ctx, dl_timex *tx)
{
    const dl_dct *dct = ctx->dct;
    long z = dl_days_from_civil(dct->year, dct->month, dct->day);

    if (!strcmp(f->unit, "day")) {
        format_day(tx->value, sizeof(tx->value), z + f->rel);
    } else if (!strcmp(f->unit, "week")) {
        int y, m, d, iy, w;
        dl_civil_from_days(z + 7L * f->rel, &y, &m, &d);
        dl_iso_week(y, m, d, &iy, &w);
        snprintf(tx->value, sizeof(tx->value), "%04d-W%02d", iy, w);
    } else if (!strcmp(f->unit, "month")) {
        int months = dct->year * 12 + (dct->month - 1) + f->rel;
        snprintf(tx->value, sizeof(tx->value), "%04d-%02d", months / 12, months % 12 + 1);
    } else if (!strcmp(f->unit, "year")) {
        snprintf(tx->value, sizeof(tx->value), "%04d", dct->year + f->rel);
    } else {
        return -1;
    }
    return 0;
}

/* "the same month": the previous anchor cut to the unit, else the DCT's. */
static int norm_anaphor(const fields *f, const dl_norm_ctx *ctx, dl_timex *tx)
{
    size_t want = !strcmp(f->unit, "year") ? 4 : !strcmp(f->unit, "month") ? 7 : 10;
    const char *a = ctx->anchor;

    if (a && strlen(a) >= want && a[4] != 'W') {
        snprintf(tx->value, sizeof(tx->value), "%.*s", (int)want, a);
        return 0;
    }
    fields rel = *f;
    rel.rel = 0;
    return norm_relative(&rel, ctx, tx);
}

int dl_normalise(const dl_rules *rules, const dl_rule *rule, const dl_candidate *c,
                 dl_slice text, const dl_norm_ctx *ctx, dl_timex *tx)
{
    fields f;
    int rc = -1;

    (void)rules;
    if (read_fields(rule, c, text, &f))
        return -1;
    tx->type = rule->type;
    switch (rule->norm) {
    case DL_NORM_LITERAL:
        snprintf(tx->value, sizeof(tx->value), "%s", rule->value);
        rc = 0;
        break;
    case DL_NORM_DATE:
        rc = norm_date(&f, ctx, tx);
        break;
    case DL_NORM_RELATIVE:
        rc = norm_relative(&f, ctx, tx);
        break;
    case DL_NORM_ANAPHOR:
        rc = norm_anaphor(&f, ctx, tx);
        break;
    }
    if (rc)
        return rc;
    snprintf(tx->mod, sizeof(tx->mod), "%s", f.mod);
    /* Anchors are calendar values: they start with a year. */
    tx->anchored = tx->value[0] >= '0' && tx->value[0] <= '9';
    return 0;
}

/*
 * Normalisation: a rule's match -> TimeML value and mod, resolved against
 * the document date (DCT), the previous anchored expression, and tense cues
 * near the expression. The rule file chooses the normaliser; the captures
 * (named groups looked up in lexicons) give its arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "extract_int.h"

const char *const dl_unit_names[DL_UNIT__COUNT] = {"day",    "week",    "month", "quarter",
                                                   "year",   "decade",  "century", "hour",
                                                   "minute", "second", "weekend"};

#define NONE (-1)
#define UNKNOWN (-2) /* a count like "several": the value gets an X */

/* What the capture groups of one match say, numbers already looked up. */
typedef struct fields {
    int year, month, day, weekday, quarter, hour, minute, n;
    int rel, has_rel;
    int unit; /* dl_unit or NONE */
    int plural;
    int half; /* "2 1/2 years", "an hour and a half" */
    char mod[16], season[4], part[4], ampm[4], decade[4], century[4], holiday[16];
} fields;

static int digits(const char *p, size_t len, int *out)
{
    int v = 0;

    if (len == 0 || len > 7)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* The span of capture @p cap, trailing periods ("Sept.") dropped. */
static int span(const dl_candidate *c, dl_slice text, dl_cap cap, const char **p, size_t *len)
{
    size_t s = c->cap_start[cap], e = c->cap_end[cap];

    if (s == e)
        return 0;
    while (e > s + 1 && text.p[e - 1] == '.')
        e--;
    *p = text.p + s;
    *len = e - s;
    return 1;
}

/* lookup() of a capture that is not empty. */
static const char *lookup_span(const dl_rule *rule, const dl_candidate *c, dl_slice text,
                               dl_cap cap, char *buf, size_t size)
{
    const char *p;
    size_t len;

    if (!span(c, text, cap, &p, &len))
        return NULL;
    for (int k = 0; k < rule->n_caps; k++) {
        if (rule->caps[k].cap == cap && rule->caps[k].lex) {
            const char *v = dl_lexicon_get(rule->caps[k].lex, p, len);
            if (v)
                return v;
        }
    }
    if (len >= size)
        return NULL;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* The value of capture @p cap: its lexicon entry if the group is named after
 * a lexicon and the word is in it, else its text; NULL if it is empty.
 * read_fields() asks for every capture and most are empty for any one
 * rule: that test is inlined, the rest is a call. */
static inline const char *lookup(const dl_rule *rule, const dl_candidate *c, dl_slice text,
                                 dl_cap cap, char *buf, size_t size)
{
    if (c->cap_start[cap] == c->cap_end[cap])
        return NULL;
    return lookup_span(rule, c, text, cap, buf, size);
}

/*
 * A count in digits ("18") or words ("twenty four", "a couple of", "two
 * hundred"). Words come from the `number` lexicon; a value of X there
 * ("several") makes the count unknown.
 */
static int count(const dl_rules *rules, const char *p, size_t len, int *out)
{
    int total = 0, cur = 0, any = 0;
    const char *v;

    if (digits(p, len, out) == 0)
        return 0;
    if (!rules->number)
        return -1;
    if ((v = dl_lexicon_get(rules->number, p, len)))
        goto single;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && p[j] != ' ' && p[j] != '-')
            j++;
        if (j > i) {
            if (!(v = dl_lexicon_get(rules->number, p + i, j - i)))
                return -1;
            if (v[0] == 'X') {
                *out = UNKNOWN;
                return 0;
            }
            int w = atoi(v);
            if (w == 100 || w == 1000) {
                cur = (cur ? cur : 1) * w;
                if (w == 1000) {
                    total += cur;
                    cur = 0;
                }
            } else if (w == 12 && cur > 0 && cur < 12) {
                cur *= 12; /* "two dozen" */
            } else {
                /* A word adds to a round number before it ("twenty four",
                 * "two hundred five"); "three-six" is a range, not nine. */
                int low = cur % 100;
                if (low && !(low >= 20 && low % 10 == 0 && w < 10))
                    return -1;
                cur += w;
            }
            any = 1;
        }
        i = j + 1;
    }
    if (!any)
        return -1;
    *out = total + cur;
    return 0;
single:
    *out = v[0] == 'X' ? UNKNOWN : atoi(v);
    return 0;
}

/* A year in words: "two thousand", "nineteen ninety-six" (19 * 100 + 96). */
static int spoken_year(const dl_rules *rules, const char *s, int *out)
{
    const char *sp = strchr(s, ' ');
    int first, rest;

    if (count(rules, s, strlen(s), out) == 0 && *out >= 1000)
        return 0;
    if (!sp || count(rules, s, (size_t)(sp - s), &first) || first < 10 || first > 99 ||
        count(rules, sp + 1, strlen(sp + 1), &rest) || rest < 0 || rest > 99)
        return -1;
    *out = first * 100 + rest;
    return 0;
}

static int unit_of(const char *name)
{
    for (int u = 0; u < DL_UNIT__COUNT; u++)
        if (!strcmp(name, dl_unit_names[u]))
            return u;
    return NONE;
}

/* snprintf(out, size, "%s", s) without the format parsing: the mod is
 * copied twice per timex and snprintf showed in the profile. */
static void copy_str(char *out, size_t size, const char *s)
{
    size_t n = 0;

    while (n + 1 < size && s[n])
        n++;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* "%04d-%02d-%02d" (d < 0: "%04d-%02d"; m < 0 too: "%04d") by hand, for
 * the same reason; values the format would print otherwise (a year past
 * 9999 or before 0) go through snprintf. */
static void format_ymd(char *out, size_t size, int y, int m, int d)
{
    char *p = out;

    if (y < 0 || y > 9999 || m > 99 || d > 99 || size < 11) {
        if (m < 0)
            snprintf(out, size, "%04d", y);
        else if (d < 0)
            snprintf(out, size, "%04d-%02d", y, m);
        else
            snprintf(out, size, "%04d-%02d-%02d", y, m, d);
        return;
    }
    *p++ = (char)('0' + y / 1000);
    *p++ = (char)('0' + y / 100 % 10);
    *p++ = (char)('0' + y / 10 % 10);
    *p++ = (char)('0' + y % 10);
    if (m >= 0) {
        *p++ = '-';
        *p++ = (char)('0' + m / 10);
        *p++ = (char)('0' + m % 10);
        if (d >= 0) {
            *p++ = '-';
            *p++ = (char)('0' + d / 10);
            *p++ = (char)('0' + d % 10);
        }
    }
    *p = '\0';
}

/* The TimeML mod of the mod group: its words, any run of spaces or a line
 * break between them read as one space, looked up in the group's lexicon.
 * Words the lexicon lacks give no mod: the text itself is no TimeML value
 * (a mod of "no more than" made records the schema rejects). */
static const char *mod_of(const dl_rule *rule, const dl_candidate *c, dl_slice text, char *buf,
                          size_t size)
{
    const char *p;
    size_t len, n = 0;

    for (int k = 0; k < rule->n_caps; k++) {
        if (rule->caps[k].cap != DL_CAP_MOD || !rule->caps[k].lex)
            continue;
        if (!span(c, text, DL_CAP_MOD, &p, &len))
            return NULL;
        for (size_t i = 0; i < len && n + 1 < size; i++) {
            int space = p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r';
            if (!space)
                buf[n++] = p[i];
            else if (n && buf[n - 1] != ' ')
                buf[n++] = ' ';
        }
        return dl_lexicon_get(rule->caps[k].lex, buf, n);
    }
    return lookup(rule, c, text, DL_CAP_MOD, buf, size);
}

static int read_fields(const dl_rules *rules, const dl_rule *rule, const dl_candidate *c,
                       dl_slice text, fields *f)
{
    char buf[64];
    const char *v, *p = NULL;
    size_t len = 0;
    struct {
        dl_cap cap;
        int *out;
    } nums[] = {{DL_CAP_YEAR, &f->year},       {DL_CAP_MONTH, &f->month},
                {DL_CAP_DAY, &f->day},         {DL_CAP_WEEKDAY, &f->weekday},
                {DL_CAP_QUARTER, &f->quarter}, {DL_CAP_HOUR, &f->hour},
                {DL_CAP_MINUTE, &f->minute}};
    struct {
        dl_cap cap;
        char *out;
    } strs[] = {{DL_CAP_SEASON, f->season},
                {DL_CAP_PART, f->part},
                {DL_CAP_AMPM, f->ampm},
                {DL_CAP_DECADE, f->decade},
                {DL_CAP_CENTURY, f->century}};
    const char *hv;

    memset(f, 0, sizeof(*f));
    f->year = f->month = f->day = f->weekday = f->quarter = f->hour = f->minute = NONE;
    f->n = NONE;
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if ((v = lookup(rule, c, text, nums[i].cap, buf, sizeof(buf))) &&
            digits(v, strlen(v), nums[i].out) && (nums[i].cap != DL_CAP_YEAR || spoken_year(rules, v, &f->year)))
            return -1;
    if ((hv = lookup(rule, c, text, DL_CAP_HOLIDAY, buf, sizeof(buf))))
        copy_str(f->holiday, sizeof(f->holiday), hv);
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if ((v = lookup(rule, c, text, strs[i].cap, buf, sizeof(buf))))
            copy_str(strs[i].out, 4, v);
    /* Two-digit years ('98) belong to the 20th century before 50. */
    if (f->year >= 0 && f->year < 100 && c->cap_end[DL_CAP_YEAR] - c->cap_start[DL_CAP_YEAR] <= 3)
        f->year += f->year < 50 ? 2000 : 1900;
    if (span(c, text, DL_CAP_N, &p, &len) && count(rules, p, len, &f->n))
        return -1;
    f->half = span(c, text, DL_CAP_HALF, &p, &len);
    if ((v = lookup(rule, c, text, DL_CAP_REL, buf, sizeof(buf)))) {
        f->rel = atoi(v);
        f->has_rel = 1;
    } else {
        f->rel = rule->rel;
    }
    f->unit = NONE;
    if ((v = lookup(rule, c, text, DL_CAP_UNIT, buf, sizeof(buf)))) {
        f->unit = unit_of(v);
        if (f->unit == NONE)
            return -1;
        if (span(c, text, DL_CAP_UNIT, &p, &len))
            f->plural = (p[len - 1] | 0x20) == 's';
    } else if (rule->unit[0]) {
        f->unit = unit_of(rule->unit);
    }
    v = mod_of(rule, c, text, buf, sizeof(buf));
    copy_str(f->mod, sizeof(f->mod), v ? v : rule->mod);
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
 * A month (and day) without a year. News mostly looks back, but a month a
 * few months ahead is usually the coming one ("the vote in November" in
 * August). How far ahead still counts as coming depends on the tense cues.
 */
static int infer_year(const dl_dct *dct, int month, int day, const dl_norm_ctx *ctx)
{
    int ahead = (month - dct->month + 12) % 12; /* months until the next such month */
    int coming;

    (void)day;
    if (ahead == 0)
        return dct->year;
    /* The tense sets the horizon: 8 months ahead (future), 2 (past), else
     * 4. Finding it is most of the cost of normalising a date, and it only
     * decides for a month 3 to 8 ahead: asked only then. */
    if (ahead <= 2) {
        coming = 1;
    } else if (ahead > 8) {
        coming = 0;
    } else {
        int tense = dl_norm_tense(ctx);
        coming = ahead <= (tense > 0 ? 8 : tense < 0 ? 2 : 4);
    }
    if (coming)
        return month > dct->month ? dct->year : dct->year + 1;
    return month < dct->month ? dct->year : dct->year - 1;
}

static void format_day(char *out, size_t size, long days)
{
    int y, m, d;

    dl_civil_from_days(days, &y, &m, &d);
    format_ymd(out, size, y, m, d);
}

/* A bare weekday: this week's, on the side of f->rel if it has one, else of
 * the tense; past by default, as news mostly reports what happened. A clock
 * time on a weekday with no cue is the nearest such day: a live report's
 * stamps ("Update 12:41 a.m. Tuesday in Cairo, 5:41 p.m. ET Monday") and a
 * stated deadline ("The deadline is 11:59 p.m. Tuesday") are near the DCT. */
static long weekday_days(const dl_dct *dct, const fields *f, const dl_norm_ctx *ctx)
{
    long z = dl_days_from_civil(dct->year, dct->month, dct->day);
    int dw = dl_weekday(dct->year, dct->month, dct->day);
    int back = (dw - f->weekday + 7) % 7, fwd = (f->weekday - dw + 7) % 7;
    int tense;

    /* The DCT's own weekday is the DCT on either side: the tense, costly
     * to find, is asked for only for another day. */
    if (!back)
        return z;
    tense = f->has_rel ? f->rel : dl_norm_tense(ctx);
    if (!tense && f->hour >= 0)
        return fwd < back ? z + fwd : z - back;
    return tense > 0 ? z + fwd : z - back;
}

/* Substitutes {year} {quarter} {season} {weekday} {month} {day} {decade} {century} {n}. */
static int apply_template(const char *tpl, const fields *f, int year, char *out, size_t size)
{
    size_t o = 0;

    for (const char *p = tpl; *p && o + 1 < size;) {
        char piece[16] = "";
        if (*p != '{') {
            out[o++] = *p++;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close)
            return -1;
        size_t n = (size_t)(close - p - 1);
#define IS(name) (n == strlen(name) && !strncmp(p + 1, name, n))
        if (IS("year") && year >= 0)
            snprintf(piece, sizeof(piece), "%04d", year);
        else if (IS("quarter") && f->quarter > 0)
            snprintf(piece, sizeof(piece), "%d", f->quarter);
        else if (IS("season") && f->season[0])
            snprintf(piece, sizeof(piece), "%s", f->season);
        else if (IS("weekday") && f->weekday > 0)
            snprintf(piece, sizeof(piece), "%d", f->weekday);
        else if (IS("month") && f->month > 0)
            snprintf(piece, sizeof(piece), "%02d", f->month);
        else if (IS("day") && f->day > 0)
            snprintf(piece, sizeof(piece), "%02d", f->day);
        else if (IS("decade") && f->decade[0])
            snprintf(piece, sizeof(piece), "%s", f->decade);
        else if (IS("century") && f->century[0])
            snprintf(piece, sizeof(piece), "%s", f->century);
        else if (IS("n") && f->n >= 0)
            snprintf(piece, sizeof(piece), "%d", f->n);
        else if (IS("part") && f->part[0])
            snprintf(piece, sizeof(piece), "%s", f->part);
        else
            return -1; /* the template needs a group this match lacks */
#undef IS
        for (const char *q = piece; *q && o + 1 < size; q++)
            out[o++] = *q;
        p = close + 1;
    }
    out[o] = '\0';
    return 0;
}

/* The calendar date a match names, as day count; -1 if it names none. */
static int resolve_day(const fields *f, const dl_norm_ctx *ctx, long *days)
{
    const dl_dct *dct = ctx->dct;

    if (f->month > 0 && f->day > 0) {
        int y = f->year >= 0 ? f->year : infer_year(dct, f->month, f->day, ctx);
        if (!valid_date(y, f->month, f->day))
            return -1;
        *days = dl_days_from_civil(y, f->month, f->day);
        return 0;
    }
    if (f->weekday > 0) {
        *days = weekday_days(dct, f, ctx);
        /* "last Wednesday" on a Wednesday is a week ago. */
        if (f->has_rel && f->rel < 0 && *days == dl_days_from_civil(dct->year, dct->month, dct->day))
            *days -= 7;
        return 0;
    }
    return -1;
}

static int format_unit(long z, int unit, int k, char *out, size_t size);
static int parse_anchor(const char *a, long *days, int *unit, const char **suffix);

static int norm_date(const dl_rule *rule, const fields *f, const dl_norm_ctx *ctx, dl_timex *tx)
{
    const dl_dct *dct = ctx->dct;
    int year = f->year;
    long days;

    if (rule->value[0]) {
        /* A template: the year is given, moved by rel, or the DCT's. */
        if (year < 0)
            year = dct->year + (f->has_rel || rule->rel ? f->rel : 0);
        /* "the 1988 period" in a report about a quarter, while quarters
         * are compared (the anchor is one; no "nine months" came between),
         * is that quarter of the year. */
        if (rule->base_quarter && ctx->report_quarter && ctx->anchor &&
            dl_norm_quarter_index(ctx->anchor) >= 0) {
            snprintf(tx->value, sizeof(tx->value), "%04d%s", year, ctx->report_quarter + 4);
            return 0;
        }
        if (rule->quarter_value) {
            int dq = (dct->month - 1) / 3 + 1; /* the DCT's quarter */
            int ahead = f->quarter - dq, tense;
            fields g = *f;
            /* No quarter named ("the 1988 quarter"): the latest one
             * reported, the quarter before the DCT's, as for "the quarter". */
            if (f->quarter <= 0)
                g.quarter = dq > 1 ? dq - 1 : 4;
            /* A quarter that has not begun yet, told in the past tense (or
             * far ahead: "the fourth quarter" in January) is last year's. */
            else if (f->year < 0 && !f->has_rel && !rule->rel && ahead > 0 &&
                     ((tense = dl_norm_tense(ctx)) < 0 || (tense == 0 && ahead >= 3)))
                year--;
            return apply_template(rule->value, &g, year, tx->value, sizeof(tx->value));
        }
        return apply_template(rule->value, f, year, tx->value, sizeof(tx->value));
    }
    if (rule->base_anchor && f->weekday > 0 && f->month < 0 && f->day < 0 && f->rel) {
        /* "the previous Friday", "the following Monday": the nearest such
         * weekday before (after) the day the story is at, the last
         * anchored day, else the DCT. */
        long ref;
        int unit, y, m, d;
        const char *suffix;
        if (!ctx->anchor_day || parse_anchor(ctx->anchor_day, &ref, &unit, &suffix) ||
            unit != DL_UNIT_DAY)
            ref = dl_days_from_civil(dct->year, dct->month, dct->day);
        dl_civil_from_days(ref, &y, &m, &d);
        int dw = dl_weekday(y, m, d);
        days = f->rel < 0 ? ref - ((dw - f->weekday + 6) % 7 + 1)
                          : ref + ((f->weekday - dw + 6) % 7 + 1);
        format_day(tx->value, sizeof(tx->value), days);
        if (f->part[0]) /* "the following Monday morning" */
            snprintf(tx->value + 10, sizeof(tx->value) - 10, "T%s", f->part);
        return 0;
    }
    if (f->day > 0 || (f->weekday > 0 && f->month < 0)) {
        if (resolve_day(f, ctx, &days))
            return -1;
        /* A rule with unit week names the week holding the day ("the week
         * of March 6"): TimeML gives it as that ISO week. */
        if (f->unit == DL_UNIT_WEEK)
            return format_unit(days, DL_UNIT_WEEK, 0, tx->value, sizeof(tx->value));
        /* With unit quarter the day ends a (fiscal) quarter: the calendar
         * quarter holding most of it, the one of its middle month ("the
         * quarter ended July 31" is May-July: Q2). */
        if (f->unit == DL_UNIT_QUARTER)
            return format_unit(days - 45, DL_UNIT_QUARTER, 0, tx->value, sizeof(tx->value));
        format_day(tx->value, sizeof(tx->value), days);
        return 0;
    }
    if (f->month < 0) {
        if (year < 0)
            return -1;
        format_ymd(tx->value, sizeof(tx->value), year, -1, -1);
        return 0;
    }
    if (year < 0) {
        /* "last May" / "next March": the previous or next occurrence.
         * The month just ended is "last month": named, it is the one a
         * year before ("73 soldiers were killed last February", on March
         * 1, is 1997's), as the DCT's own month is. */
        if (f->has_rel && f->rel < 0) {
            int back = (dct->month - f->month + 12) % 12; /* months back to it */
            if (back < 2)
                back += 12;
            year = (dct->year * 12 + dct->month - 1 - back) / 12;
        } else if (f->has_rel && f->rel > 0) {
            year = f->month > dct->month ? dct->year : dct->year + 1;
        } else if (f->has_rel) {
            year = dct->year;
        } else {
            year = infer_year(dct, f->month, 0, ctx);
        }
    }
    format_ymd(tx->value, sizeof(tx->value), year, f->month, -1);
    return 0;
}

/* Parses a calendar value ("1998", "1998-03", "1998-03-22", "1998-W12",
 * "1998-Q3", with any suffix kept) into a day count and its unit. */
static int parse_anchor(const char *a, long *days, int *unit, const char **suffix)
{
    int y, m = 1, d = 1;
    size_t n = strlen(a);

    if (n < 4 || digits(a, 4, &y))
        return -1;
    *suffix = a + 4;
    *unit = DL_UNIT_YEAR;
    if (n >= 7 && a[4] == '-' && digits(a + 5, 2, &m) == 0) {
        *unit = DL_UNIT_MONTH;
        *suffix = a + 7;
        if (n >= 10 && a[7] == '-' && digits(a + 8, 2, &d) == 0) {
            *unit = DL_UNIT_DAY;
            *suffix = a + 10;
        }
    }
    if (!valid_date(y, m, d))
        return -1;
    *days = dl_days_from_civil(y, m, d);
    return 0;
}

/* The @p unit containing day @p z moved by @p k units, at the unit's granularity. */
static int format_unit(long z, int unit, int k, char *out, size_t size)
{
    int y, m, d, iy, w;

    dl_civil_from_days(z, &y, &m, &d);
    switch (unit) {
    case DL_UNIT_DAY:
        format_day(out, size, z + k);
        return 0;
    case DL_UNIT_WEEK:
        dl_civil_from_days(z + 7L * k, &y, &m, &d);
        dl_iso_week(y, m, d, &iy, &w);
        snprintf(out, size, "%04d-W%02d", iy, w);
        return 0;
    case DL_UNIT_MONTH: {
        int months = y * 12 + (m - 1) + k;
        snprintf(out, size, "%04d-%02d", months / 12, months % 12 + 1);
        return 0;
    }
    case DL_UNIT_QUARTER: {
        int q = y * 4 + (m - 1) / 3 + k;
        snprintf(out, size, "%04d-Q%d", q / 4, q % 4 + 1);
        return 0;
    }
    case DL_UNIT_YEAR:
        snprintf(out, size, "%04d", y + k);
        return 0;
    case DL_UNIT_DECADE:
        snprintf(out, size, "%03d", y / 10 + k);
        return 0;
    case DL_UNIT_CENTURY:
        snprintf(out, size, "%02d", y / 100 + k);
        return 0;
    default:
        return -1;
    }
}

/*
 * "last month", "two weeks ago", "a year earlier", "the same month": a base
 * (the DCT, or the previous anchor) moved by n units in direction rel.
 */
static int norm_relative(const dl_rule *rule, const fields *f, const dl_norm_ctx *ctx,
                         dl_timex *tx)
{
    const dl_dct *dct = ctx->dct;
    const long today = dl_days_from_civil(dct->year, dct->month, dct->day);
    long z = today;
    int k, n = f->n == NONE ? 1 : f->n;
    int anchor_unit = DL_UNIT_DAY;
    const char *suffix = "";

    if (f->unit == DL_UNIT_WEEKEND) {
        /* The weekend before the DCT (or after it, with a future tense or
         * "next"), as the ISO week it belongs to. */
        int dw = dl_weekday(dct->year, dct->month, dct->day), y, m, d, iy, w;
        long sat = dl_norm_tense(ctx) > 0 || f->rel > 0 ? z + (6 - dw + 7) % 7 : z - (dw + 1) % 7;
        if (f->rel > 0 && sat == z)
            sat += 7;
        sat += 7L * (f->rel > 0 ? f->rel - 1 : f->rel < 0 ? f->rel + 1 : 0);
        dl_civil_from_days(sat, &y, &m, &d);
        dl_iso_week(y, m, d, &iy, &w);
        snprintf(tx->value, sizeof(tx->value), "%04d-W%02d-WE", iy, w);
        return 0;
    }
    if (f->unit == NONE || f->unit >= DL_UNIT_HOUR)
        return -1;
    if (n == UNKNOWN) {
        snprintf(tx->value, sizeof(tx->value), "%s", f->rel < 0 ? "PAST_REF" : "FUTURE_REF");
        return 0;
    }
    k = f->rel * n;
    /* "the quarter", "the latest period" in an earnings report is the
     * quarter it reports (extract.c: the first one it names that has
     * ended), which need not be the calendar quarter before the DCT's
     * ("its fiscal first quarter ... sales in the quarter"). */
    if (rule->base_quarter == DL_BASE_REPORT && !ctx->report_quarter)
        return -1; /* "the period leading up to the explosion" */
    if (rule->base_quarter && f->unit == DL_UNIT_QUARTER && ctx->report_quarter) {
        snprintf(tx->value, sizeof(tx->value), "%s", ctx->report_quarter);
        return 0;
    }
    /* The anchor must be at least as fine as the unit ("the same day" needs a day). */
    const char *anchor = f->unit == DL_UNIT_DAY || f->unit == DL_UNIT_WEEK ? ctx->anchor_day
                         : f->unit == DL_UNIT_MONTH                      ? ctx->anchor_month
                                                                          : ctx->anchor;
    if (!anchor)
        anchor = ctx->anchor;
    if (rule->base_anchor && anchor && parse_anchor(anchor, &z, &anchor_unit, &suffix)) {
        z = today;
        suffix = "";
    } else if (rule->base_anchor == DL_BASE_PERIOD && anchor && k < 0) {
        int y, m, d;
        dl_civil_from_days(z, &y, &m, &d);
        if (y < dct->year)
            k = 0;
    } else if (rule->base_anchor == DL_BASE_STORY) {
        if (anchor != ctx->anchor_day || anchor_unit != DL_UNIT_DAY || z > today || z < today - 7) {
            z = today;
            anchor_unit = DL_UNIT_DAY;
            suffix = "";
        }
    }
    /* "Two decades later, they agree": years counted on from the anchor
     * that would pass the DCT's year, in a clause that does not look ahead,
     * are the DCT's year: the story has come to now, or the anchor was not
     * the one meant ("Ten years later" after a date of this year). ("The
     * next year" is left alone: it is as often the coming one.) */
    if (rule->base_anchor == DL_BASE_ANCHOR && k > 0 && f->n != NONE &&
        (f->unit == DL_UNIT_YEAR || f->unit == DL_UNIT_DECADE)) {
        int y, m, d;
        dl_civil_from_days(z, &y, &m, &d);
        if (y + (f->unit == DL_UNIT_DECADE ? 10 : 1) * k > dct->year && dl_norm_tense(ctx) <= 0) {
            snprintf(tx->value, sizeof(tx->value), "%04d", dct->year);
            return 0;
        }
    }
    if (f->unit == DL_UNIT_DECADE && f->n != NONE) {
        /* "a decade ago" moves ten years. */
        return format_unit(z, DL_UNIT_YEAR, 10 * k, tx->value, sizeof(tx->value));
    }
    /* "a year earlier" than "the third quarter" keeps the quarter: 1988-Q3. */
    if (rule->base_anchor && f->unit == DL_UNIT_YEAR && *suffix && anchor_unit == DL_UNIT_YEAR) {
        int y, m, d;
        dl_civil_from_days(z, &y, &m, &d);
        snprintf(tx->value, sizeof(tx->value), "%04d%.20s", y + k, suffix);
        return 0;
    }
    if (rule->base_anchor && anchor_unit > f->unit && f->unit < DL_UNIT_YEAR && k == 0) {
        /* "the same day" after "March 2016": no day to take. */
        return format_unit(z, anchor_unit, 0, tx->value, sizeof(tx->value));
    }
    if (format_unit(z, f->unit, k, tx->value, sizeof(tx->value)))
        return -1;
    /* "the next morning": that part of the day next to the anchor's. */
    if (f->part[0] && f->unit == DL_UNIT_DAY) {
        size_t len = strlen(tx->value);
        snprintf(tx->value + len, sizeof(tx->value) - len, "T%s", f->part);
    }
    return 0;
}

/* "P%s%d%s" (n UNKNOWN: "P%sX%s") with "T" when @p timed, by hand: a
 * duration is normalised over twice per article, and snprintf showed
 * in the profile. A negative n (count() makes none) or a short buffer goes
 * through snprintf. */
static void format_duration(char *out, size_t size, int timed, int n, const char *code)
{
    char digits[16], *d = digits + sizeof(digits);
    char *p = out;

    if ((n < 0 && n != UNKNOWN) || size < 16 + strlen(code)) {
        if (n == UNKNOWN)
            snprintf(out, size, "P%sX%s", timed ? "T" : "", code);
        else
            snprintf(out, size, "P%s%d%s", timed ? "T" : "", n, code);
        return;
    }
    *p++ = 'P';
    if (timed)
        *p++ = 'T';
    if (n == UNKNOWN) {
        *p++ = 'X';
    } else {
        do {
            *--d = (char)('0' + n % 10);
            n /= 10;
        } while (n);
        memcpy(p, d, (size_t)(digits + sizeof(digits) - d));
        p += digits + sizeof(digits) - d;
    }
    strcpy(p, code);
}

static int norm_duration(const fields *f, dl_timex *tx)
{
    static const char *const code[DL_UNIT__COUNT] = {"D", "W", "M", "Q", "Y", "DE", "CE",
                                                     "H", "M", "S", "WE"};
    int n = f->n;
    int timed;

    if (f->unit == NONE)
        return -1;
    timed = f->unit >= DL_UNIT_HOUR;
    if (n == NONE)
        n = f->plural ? UNKNOWN : 1;
    if (n == 0)
        return -1;
    /* A half goes into the next smaller unit: P2Y6M, P3DT12H, PT5H30M;
     * decades count in years (2 1/2 decades: P25Y). */
    if (f->half && n > 0) {
        static const struct {
            int unit, half;   /* the half in the smaller unit */
            const char *pre, *mid, *end; /* P<n>Y<half>M */
        } halves[] = {{DL_UNIT_YEAR, 6, "P", "Y", "M"},    {DL_UNIT_MONTH, 15, "P", "M", "D"},
                      {DL_UNIT_DAY, 12, "P", "DT", "H"},   {DL_UNIT_HOUR, 30, "PT", "H", "M"},
                      {DL_UNIT_MINUTE, 30, "PT", "M", "S"}};
        if (f->unit == DL_UNIT_DECADE) {
            snprintf(tx->value, sizeof(tx->value), "P%dY", n * 10 + 5);
            return 0;
        }
        for (size_t i = 0; i < sizeof(halves) / sizeof(halves[0]); i++)
            if (halves[i].unit == f->unit) {
                snprintf(tx->value, sizeof(tx->value), "%s%d%s%d%s", halves[i].pre, n,
                         halves[i].mid, halves[i].half, halves[i].end);
                return 0;
            }
    }
    /* Decades and centuries are counted in years, as TimeBank does; an
     * unknown count of centuries keeps TimeML's century unit C ("for
     * centuries": PXC), as years would lose it. */
    if (f->unit == DL_UNIT_DECADE || f->unit == DL_UNIT_CENTURY) {
        if (n == UNKNOWN)
            snprintf(tx->value, sizeof(tx->value), "PX%s", f->unit == DL_UNIT_DECADE ? "Y" : "C");
        else
            snprintf(tx->value, sizeof(tx->value), "P%dY", n * (f->unit == DL_UNIT_DECADE ? 10 : 100));
        return 0;
    }
    format_duration(tx->value, sizeof(tx->value), timed, n, code[f->unit]);
    return 0;
}

/*
 * "Three days later", "a week earlier": TimeML makes these the duration
 * (P3D) with later/earlier as its signal, yet the sentence happens on the
 * previous anchored date moved by it, and the timeline should still date
 * it. The rule gives the signal's direction as its rel group (outside the
 * span); the anchor is the one the anaphoric rules take for the unit. Only
 * the timeline reads tx->resolved: the value stays TimeML's, the timex is
 * no anchor (as "a year earlier" moves none), and without an anchor, or
 * with a count unknown ("a few days later") or a half, nothing is dated.
 */
static void resolve_signal(const fields *f, const dl_norm_ctx *ctx, dl_timex *tx)
{
    int n = f->n == NONE ? (f->plural ? UNKNOWN : 1) : f->n, unit = f->unit, anchor_unit;
    const char *anchor, *suffix;
    long z;

    if (!f->has_rel || !f->rel || n <= 0 || f->half || unit == NONE || unit == DL_UNIT_WEEKEND ||
        unit == DL_UNIT_DECADE || unit == DL_UNIT_CENTURY)
        return;
    anchor = unit == DL_UNIT_MONTH                             ? ctx->anchor_month
             : unit == DL_UNIT_QUARTER || unit == DL_UNIT_YEAR ? ctx->anchor
                                                               : ctx->anchor_day;
    if (!anchor)
        anchor = ctx->anchor;
    /* A week, quarter or season anchor ("1998-W12") parses as its year:
     * moving that by days would make up a date. */
    if (!anchor || parse_anchor(anchor, &z, &anchor_unit, &suffix) || (*suffix && *suffix != 'T'))
        return;
    if (unit >= DL_UNIT_HOUR) {
        /* Hours later: the anchor's day, the next one past midnight. A
         * day without a clock time is taken at noon. */
        static const long secs[] = {3600, 60, 1};
        int h, m;
        if (suffix[0] != 'T' || digits(suffix + 1, 2, &h) || suffix[3] != ':' ||
            digits(suffix + 4, 2, &m) || h > 24 || m > 59)
            h = 12, m = 0;
        long at = (h * 60L + m) * 60 + (long)f->rel * n * secs[unit - DL_UNIT_HOUR];
        if (anchor_unit == DL_UNIT_DAY)
            z += at >= 0 ? at / 86400 : -((-at + 86399) / 86400);
        format_unit(z, anchor_unit, 0, tx->resolved, sizeof(tx->resolved));
        return;
    }
    if (anchor_unit <= unit) {
        /* "two weeks later" than a day is a week, as TimeML writes it */
        format_unit(z, unit, f->rel * n, tx->resolved, sizeof(tx->resolved));
        return;
    }
    /* An anchor coarser than the unit ("three days later" after "in
     * March"): its first day moved, at the anchor's granularity; no
     * day is known to move. */
    if (unit == DL_UNIT_DAY || unit == DL_UNIT_WEEK) {
        z += (long)f->rel * n * (unit == DL_UNIT_WEEK ? 7 : 1);
    } else {
        int y, m, d, months = f->rel * n * (unit == DL_UNIT_QUARTER ? 3 : 1);
        dl_civil_from_days(z, &y, &m, &d);
        months += y * 12 + m - 1;
        z = dl_days_from_civil(months / 12, months % 12 + 1, 1);
    }
    format_unit(z, anchor_unit, 0, tx->resolved, sizeof(tx->resolved));
}

/* "10:35 a.m.", "10 p.m. Wednesday", "Friday morning", "tonight". */
static int norm_time(const dl_rule *rule, const fields *f, const dl_norm_ctx *ctx, dl_timex *tx)
{
    const dl_dct *dct = ctx->dct;
    long z = dl_days_from_civil(dct->year, dct->month, dct->day);
    char date[16];

    if (resolve_day(f, ctx, &z) && f->has_rel)
        z += f->rel; /* "yesterday morning" */
    format_day(date, sizeof(date), z);
    if (f->part[0]) {
        snprintf(tx->value, sizeof(tx->value), "%sT%s", date, f->part);
        return 0;
    }
    if (f->hour >= 0) {
        int h = f->hour, m = f->minute >= 0 ? f->minute : 0;
        if (h > 24 || m > 59)
            return -1;
        if (!strcmp(f->ampm, "pm") && h < 12)
            h += 12;
        else if (!strcmp(f->ampm, "am") && h == 12)
            h = 0;
        snprintf(tx->value, sizeof(tx->value), "%sT%02d:%02d", date, h, m);
        return 0;
    }
    if (rule->value[0])
        return apply_template(rule->value, f, dct->year, tx->value, sizeof(tx->value));
    return -1;
}

/* Western Easter Sunday of @p y (anonymous Gregorian computus). */
static long easter(int y)
{
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
    int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;

    return dl_days_from_civil(y, month, day);
}

/* The day of holiday rule @p spec in year @p y; -1 if the spec is bad. */
static int holiday_days(const char *spec, int y, long *out)
{
    static const char *const wd = "MOTUWETHFRSASU";
    int month, day;

    if (!strncmp(spec, "EASTER", 6)) {
        *out = easter(y) + atoi(spec + 6);
        return 0;
    }
    if (strlen(spec) < 5 || spec[2] != '-' || digits(spec, 2, &month) || month < 1 || month > 12)
        return -1;
    if (digits(spec + 3, 2, &day) == 0) {
        if (!valid_date(y, month, day))
            return -1;
        *out = dl_days_from_civil(y, month, day);
        return 0;
    }
    /* "11-4TH": the fourth Thursday; "05-LMO": the last Monday; a trailing
     * "+k" moves k days ("11-1MO+1": the Tuesday after the first Monday). */
    const char *w = strstr(wd, (char[]){spec[4], spec[5], 0});
    if (!w || (w - wd) % 2)
        return -1;
    int want = (int)(w - wd) / 2 + 1, shift = spec[6] == '+' || spec[6] == '-' ? atoi(spec + 6) : 0;
    long first = dl_days_from_civil(y, month, 1);
    long d = first + (want - dl_weekday(y, month, 1) + 7) % 7;
    if (spec[3] == 'L') {
        int nm = month == 12 ? 1 : month + 1, ny = month == 12 ? y + 1 : y;
        long next_first = dl_days_from_civil(ny, nm, 1);
        while (d + 7 < next_first)
            d += 7;
    } else if (spec[3] >= '1' && spec[3] <= '5') {
        d += 7L * (spec[3] - '1');
    } else {
        return -1;
    }
    *out = d + shift;
    return 0;
}

static int norm_holiday(const fields *f, const dl_norm_ctx *ctx, dl_timex *tx)
{
    const dl_dct *dct = ctx->dct;
    int y = f->year, week = f->unit == DL_UNIT_WEEK; /* "Easter week" */
    long z;

    if (!f->holiday[0])
        return -1;
    if (y < 0) {
        /* The occurrence on the tense's side of the DCT, else the nearest. */
        long now = dl_days_from_civil(dct->year, dct->month, dct->day), prev, next;
        if (holiday_days(f->holiday, dct->year - 1, &prev) || holiday_days(f->holiday, dct->year, &z) ||
            holiday_days(f->holiday, dct->year + 1, &next))
            return -1;
        int tense = f->has_rel && f->rel ? 0 : dl_norm_tense(ctx);
        if (f->has_rel && f->rel < 0)
            z = z < now ? z : prev;
        else if (f->has_rel && f->rel > 0)
            z = z > now ? z : next;
        else if (tense < 0) /* (the holiday's week may have begun: "as Easter week began") */
            /* One due within two months is the coming one even so, as such
             * a month is (infer_year): "confused Election Day" on 12 October,
             * "paid in time for Christmas shopping" on 1 December. */
            z = z - (week ? 6 : 0) > now + 61 ? prev : z;
        else if (tense > 0) /* "will be busy at Christmas" in April: this year's */
            z = z < now ? next : z;
        else if (labs(next - now) < labs(z - now))
            z = next;
        else if (labs(prev - now) < labs(z - now))
            z = prev;
    } else if (holiday_days(f->holiday, y, &z)) {
        return -1;
    }
    if (week)
        return format_unit(z, DL_UNIT_WEEK, 0, tx->value, sizeof(tx->value));
    format_day(tx->value, sizeof(tx->value), z);
    return 0;
}

int dl_norm_shift_day(char *value, size_t size, int days)
{
    const char *suffix;
    long z;
    int unit;

    if (parse_anchor(value, &z, &unit, &suffix) || unit != DL_UNIT_DAY || *suffix)
        return -1;
    format_day(value, size, z + days);
    return 0;
}

int dl_norm_quarter_index(const char *value)
{
    int year;

    if (strlen(value) != 7 || value[4] != '-' || value[5] != 'Q' || value[6] < '1' ||
        value[6] > '4' || digits(value, 4, &year))
        return -1;
    return year * 4 + (value[6] - '1');
}

int dl_normalise(const dl_rules *rules, const dl_rule *rule, const dl_candidate *c,
                 dl_slice text, const dl_norm_ctx *ctx, dl_timex *tx)
{
    fields f;
    int rc = -1;

    if (read_fields(rules, rule, c, text, &f))
        return -1;
    tx->type = rule->type;
    if (rule->after_months && ctx->months_period) {
        /* "the year-earlier period" after "For the nine months": that long. */
        tx->type = DL_TIMEX_DURATION;
        copy_str(tx->value, sizeof(tx->value), ctx->months_period);
        copy_str(tx->mod, sizeof(tx->mod), f.mod);
        tx->anchored = 0;
        return 0;
    }
    switch (rule->norm) {
    case DL_NORM_LITERAL:
        rc = apply_template(rule->value, &f, ctx->dct->year, tx->value, sizeof(tx->value));
        break;
    case DL_NORM_DATE:
        rc = norm_date(rule, &f, ctx, tx);
        break;
    case DL_NORM_RELATIVE:
    case DL_NORM_ANAPHOR:
        rc = norm_relative(rule, &f, ctx, tx);
        break;
    case DL_NORM_DURATION:
        if (!(rc = norm_duration(&f, tx)) && f.has_rel)
            resolve_signal(&f, ctx, tx);
        break;
    case DL_NORM_TIME:
        rc = norm_time(rule, &f, ctx, tx);
        break;
    case DL_NORM_HOLIDAY:
        rc = norm_holiday(&f, ctx, tx);
        break;
    default:
        break;
    }
    if (rc)
        return rc;
    copy_str(tx->mod, sizeof(tx->mod), f.mod);
    /* Anchors are calendar values: they start with a year. */
    tx->anchored = tx->value[0] >= '0' && tx->value[0] <= '9' && tx->type != DL_TIMEX_DURATION;
    return 0;
}

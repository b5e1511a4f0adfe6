#include <string.h>

#include "dateline/decode.h"

int dl_date_valid(int year, int month, int day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap, max;

    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return 0;
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    max = mdays[month - 1] + (month == 2 && leap);
    return day <= max;
}

static int digits(const char *p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

int dl_date_parse(dl_slice s, dl_date *out, dl_reason *why)
{
    dl_date d;

    if (s.len < 10 || s.p[4] != '-' || s.p[7] != '-' || digits(s.p, 4, &d.year) ||
        digits(s.p + 5, 2, &d.month) || digits(s.p + 8, 2, &d.day)) {
        *why = DL_REASON_BAD_DATE;
        return DL_EINVAL;
    }
    /* A time of day may follow (RFC 3339); anything else glued on is not a date. */
    if (s.len > 10 && s.p[10] != 'T' && s.p[10] != 't' && s.p[10] != ' ') {
        *why = DL_REASON_BAD_DATE;
        return DL_EINVAL;
    }
    if (!dl_date_valid(d.year, d.month, d.day)) {
        *why = DL_REASON_BAD_DATE;
        return DL_EINVAL;
    }
    *out = d;
    return 0;
}

const char *dl_date_from_name(dl_date_from from)
{
    switch (from) {
    case DL_FROM_MESSAGE:
        return "message";
    case DL_FROM_HEADER:
        return "header";
    case DL_FROM_TIMESTAMP:
        return "timestamp";
    }
    return "message";
}

const char *dl_reason_code(dl_reason reason)
{
    static const char *const codes[DL_REASON__COUNT] = {
        [DL_REASON_NONE] = "none",
        [DL_REASON_EMPTY] = "empty",
        [DL_REASON_OVERSIZE] = "oversize",
        [DL_REASON_INVALID_UTF8] = "invalid_utf8",
        [DL_REASON_NO_DATE] = "no_date",
        [DL_REASON_BAD_DATE] = "bad_date",
        [DL_REASON_MALFORMED_JSON] = "malformed_json",
        [DL_REASON_NO_TEXT] = "no_text",
    };

    return (unsigned)reason < DL_REASON__COUNT ? codes[reason] : "unknown";
}

/*
 * The timeline: each sentence whose first anchored DATE expression is a
 * calendar value becomes one event with that date. Events of the same date
 * stay separate and keep text order.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "extract_int.h"

/* Summaries longer than this are cut at a word boundary. */
#define DL_SUMMARY_MAX 240

/* The granularity of a calendar value: 19 (century), 199 (decade), 1999,
 * 1999-Q3, 1999-H1, 1999-SU, 1999-W07, 1999-07, 1999-07-04. */
static dl_resolution resolution_of(const char *v)
{
    size_t n = strlen(v);

    if (n <= 2)
        return DL_RES_CENTURY;
    if (n == 3)
        return DL_RES_DECADE;
    if (n == 4)
        return DL_RES_YEAR;
    switch (v[5]) {
    case 'W':
        return DL_RES_WEEK;
    case 'Q':
        return DL_RES_QUARTER;
    case 'H':
        return DL_RES_HALF;
    case 'S':
    case 'F':
        return DL_RES_SEASON;
    default:
        break;
    }
    if (n == 7 && v[6] == 'I')
        return DL_RES_SEASON; /* WI */
    return n >= 10 ? DL_RES_DAY : DL_RES_MONTH;
}

static int event_cmp(const void *a, const void *b)
{
    const dl_event *x = a, *y = b;
    int c = strcmp(x->date, y->date);

    if (c)
        return c;
    return x->timex < y->timex ? -1 : x->timex > y->timex;
}

int dl_events_build(dl_extractor *ex, dl_slice text)
{
    size_t last_sentence = (size_t)-1;

    ex->n_events = 0;
    for (size_t i = 0; i < ex->n_timexes; i++) {
        const dl_timex *tx = &ex->timexes[i];
        dl_event *ev;

        if (!tx->anchored || tx->type != DL_TIMEX_DATE || tx->sentence == last_sentence)
            continue;
        last_sentence = tx->sentence;
        if (ex->n_events == ex->cap_events) {
            size_t cap = ex->cap_events ? ex->cap_events * 2 : 16;
            dl_event *ne = realloc(ex->events, cap * sizeof(*ne));
            if (!ne)
                return DL_ENOMEM;
            ex->events = ne;
            ex->cap_events = cap;
        }
        ev = &ex->events[ex->n_events++];
        ev->timex = i;
        /* Events are dated by the calendar part: "2010-05-10TMO" -> "2010-05-10". */
        snprintf(ev->date, sizeof(ev->date), "%.*s", (int)strcspn(tx->value, "T"), tx->value);
        ev->sentence = tx->sentence;
        ev->resolution = resolution_of(tx->value);
        ev->summary_start = ex->sentences[tx->sentence].start;
        ev->summary_end = ex->sentences[tx->sentence].end;
        if (ev->summary_end - ev->summary_start > DL_SUMMARY_MAX) {
            size_t e = ev->summary_start + DL_SUMMARY_MAX;
            while (e > ev->summary_start && text.p[e] != ' ')
                e--;
            if (e == ev->summary_start) {
                /* No space: cut at a UTF-8 character boundary instead. */
                e = ev->summary_start + DL_SUMMARY_MAX;
                while (e > ev->summary_start && ((unsigned char)text.p[e] & 0xC0) == 0x80)
                    e--;
            }
            ev->summary_end = e;
        }
    }
    if (ex->n_events > 1)
        qsort(ex->events, ex->n_events, sizeof(*ex->events), event_cmp);
    return 0;
}

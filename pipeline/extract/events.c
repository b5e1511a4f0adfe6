/*
 * The timeline: each sentence whose first anchored DATE expression is a
 * calendar value becomes one event with that date. Events of the same date
 * stay separate and keep text order.
 */
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"

/* Summaries longer than this are cut at a word boundary. */
#define DL_SUMMARY_MAX 240

static dl_resolution resolution_of(const char *v)
{
    size_t n = strlen(v);

    if (n >= 6 && v[5] == 'W')
        return DL_RES_WEEK;
    if (n >= 10)
        return DL_RES_DAY;
    if (n >= 7)
        return DL_RES_MONTH;
    return DL_RES_YEAR;
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
        ev->date = tx->value; /* the timex array no longer moves */
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
    qsort(ex->events, ex->n_events, sizeof(*ex->events), event_cmp);
    return 0;
}

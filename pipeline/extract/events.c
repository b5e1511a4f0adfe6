/*
 * The timeline: each sentence whose first anchored DATE expression is a
 * calendar value becomes one event with that date (a duration with a
 * later/earlier signal counts, with the date it resolves to, and so does a
 * TIME on a known day, with that day). Events of the
 * same date stay separate and keep text order. The summary is the clause around the
 * date; the event's entities are those mentioned in its sentence, its
 * subject (even a pronoun) first.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"

/* Summaries longer than this are cut at a word boundary. */
#define DL_SUMMARY_MAX 240
/* Sentences up to this long are their own summary. */
#define DL_SUMMARY_WHOLE 160
/* A clause shorter than this takes in the next one. */
#define DL_CLAUSE_MIN 48

/* Length of a clause boundary at @p i ("; ", " — ", ", which"), 0 if none;
 * the byte at @p i is one of clause_lead. */
static size_t clause_break_at(const dl_rules *r, dl_slice text, size_t i, size_t end)
{
    const char *t = text.p;
    const dl_lexicon *cw = r->elex.clause_word;

    if (t[i] == ';' || t[i] == '(' || t[i] == ')')
        return 1;
    if (t[i] == ' ' && i + 4 < end && (unsigned char)t[i + 1] == 0xE2 &&
        (unsigned char)t[i + 2] == 0x80 &&
        ((unsigned char)t[i + 3] == 0x94 || (unsigned char)t[i + 3] == 0x93))
        return 4;
    if (t[i] == ' ' && i + 3 < end && t[i + 1] == '-' && t[i + 2] == '-')
        return 3;
    if (t[i] != ',' || i + 2 >= end || t[i + 1] != ' ')
        return 0;
    if (!cw)
        return 0;
    size_t w = i + 2, e = w;
    while (e < end && ((t[e] | 0x20) >= 'a' && (t[e] | 0x20) <= 'z'))
        e++;
    return e > w && dl_lexicon_get(cw, t + w, e - w) ? 1 : 0;
}

/* The bytes a clause boundary starts with. */
static const unsigned char clause_lead[256] = {[';'] = 1, ['('] = 1, [')'] = 1, [' '] = 1,
                                               [','] = 1};

/* As clause_break_at(), for any byte. The callers test every byte of a
 * sentence and most start nothing: this first test is inlined into their
 * loops instead of a call per byte. */
static inline size_t clause_break(const dl_rules *r, dl_slice text, size_t i, size_t end)
{
    return clause_lead[(unsigned char)text.p[i]] ? clause_break_at(r, text, i, end) : 0;
}

/* The clause of sentence @p s around [a, b). */
static void clause_around(const dl_rules *r, dl_slice text, const dl_sentence *s, size_t a,
                          size_t b, size_t *cs, size_t *ce)
{
    size_t start = s->start, end = s->end, n;

    *cs = start;
    *ce = end;
    if (end - start <= DL_SUMMARY_WHOLE)
        return;
    for (size_t i = b; i < end; i++)
        if ((n = clause_break(r, text, i, end))) {
            *ce = i;
            /* Too short to say anything: take in the next clause. */
            if (*ce - *cs >= DL_CLAUSE_MIN)
                break;
            i += n;
        }
    /* Keep the sentence's start (its subject) unless that makes it too long. */
    if (*ce - start > DL_SUMMARY_MAX) {
        for (size_t i = a; i-- > start;)
            if ((n = clause_break(r, text, i, end))) {
                *cs = i + n;
                break;
            }
    }
    while (*cs < *ce && (text.p[*cs] == ' ' || text.p[*cs] == ','))
        (*cs)++;
    while (*ce > *cs && (text.p[*ce - 1] == ' ' || text.p[*ce - 1] == ','))
        (*ce)--;
    if (*ce - *cs < DL_CLAUSE_MIN / 2) {
        *cs = start;
        *ce = end;
    }
}

static int push_ev_ent(dl_extractor *ex, size_t first, int entity)
{
    if (entity < 0)
        return 0;
    for (size_t k = first; k < ex->n_ev_ents; k++)
        if (ex->ev_ents[k] == (size_t)entity)
            return 0;
    if (dl_grow((void **)&ex->ev_ents, &ex->cap_ev_ents, ex->n_ev_ents, sizeof(*ex->ev_ents)))
        return DL_ENOMEM;
    ex->ev_ents[ex->n_ev_ents++] = (size_t)entity;
    return 0;
}

/* The entities of sentence @p si: its subject, then every mention in order. */
static int event_entities(dl_extractor *ex, size_t si, dl_event *ev)
{
    const dl_sentence *s = &ex->sentences[si];
    size_t lo = 0, hi = ex->n_ments;

    ev->entities = ex->n_ev_ents;
    if (ex->sent_subject && push_ev_ent(ex, ev->entities, ex->sent_subject[si]))
        return DL_ENOMEM;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ex->ments[mid].start < s->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t m = lo; m < ex->n_ments && ex->ments[m].start < s->end; m++)
        if (push_ev_ent(ex, ev->entities, ex->ments[m].entity))
            return DL_ENOMEM;
    ev->n_entities = ex->n_ev_ents - ev->entities;
    return 0;
}

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

/* The calendar value @p tx dates its sentence with, or NULL: an anchored
 * DATE's, or an anchored TIME's with a day ("at 3 p.m. Sunday", "March 19,
 * 2011 at 12:28 pm": 2011-03-19T12:28; a clock time alone is on the DCT's
 * day, as its value says). */
static const char *calendar_value(const dl_timex *tx)
{
    const char *v = tx->value;

    if (!tx->anchored)
        return NULL;
    if (tx->type == DL_TIMEX_DATE)
        return v;
    if (tx->type == DL_TIMEX_TIME && strlen(v) > 10 && v[4] == '-' && v[7] == '-' && v[10] == 'T')
        return v;
    return NULL;
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
    ex->n_ev_ents = 0;
    for (size_t i = 0; i < ex->n_timexes; i++) {
        const dl_timex *tx = &ex->timexes[i];
        dl_event *ev;

        /* A duration with a later/earlier signal dates its sentence by the
         * date it resolves to ("three days later"), as an anchored DATE would. */
        const char *date = tx->resolved[0] ? tx->resolved : calendar_value(tx);

        size_t at = i;

        if (!date || tx->sentence == last_sentence)
            continue;
        last_sentence = tx->sentence;
        /* A date the sentence states, finer than the one reckoned from a
         * duration, is the better one ("three months later, on July 15":
         * that day, not the month). */
        for (size_t j = i + 1;
             tx->resolved[0] && j < ex->n_timexes && ex->timexes[j].sentence == tx->sentence; j++) {
            const dl_timex *t2 = &ex->timexes[j];
            const char *v2 = calendar_value(t2);
            if (v2 && resolution_of(v2) < resolution_of(date)) {
                tx = t2;
                date = v2;
                at = j;
                break;
            }
        }
        if (ex->n_events == ex->cap_events) {
            size_t cap = ex->cap_events ? ex->cap_events * 2 : 16;
            dl_event *ne = realloc(ex->events, cap * sizeof(*ne));
            if (!ne)
                return DL_ENOMEM;
            ex->events = ne;
            ex->cap_events = cap;
        }
        ev = &ex->events[ex->n_events++];
        ev->timex = at;
        /* Events are dated by the calendar part: "2010-05-10TMO" -> "2010-05-10". */
        {
            size_t n = strcspn(date, "T"); /* copied: snprintf cost 600 a date */
            n = n < sizeof(ev->date) ? n : sizeof(ev->date) - 1;
            memcpy(ev->date, date, n);
            ev->date[n] = '\0';
        }
        ev->sentence = tx->sentence;
        ev->resolution = resolution_of(date);
        clause_around(ex->rules, text, &ex->sentences[tx->sentence], tx->start, tx->end,
                      &ev->summary_start, &ev->summary_end);
        if (event_entities(ex, tx->sentence, ev))
            return DL_ENOMEM;
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

/*
 * Facts -> enriched record, timeline messages and the scorer's JSONL.
 *
 * Written front to back with the small JSON writer (jsonw.h) rather than
 * through a Jansson tree: the tree cost more than the extraction (see
 * BENCHMARKS.md). Field order and text are what the tree printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dateline/encode.h"
#include "jsonw.h"

static void span_text(dl_jsonw *w, const dl_article *art, size_t start, size_t end)
{
    dl_jsonw_strn(w, art->text.p + start, end - start);
}

static void value_offset(dl_jsonw *w, const dl_article *art, size_t off)
{
    dl_jsonw_int(w, (long long)dl_article_value_offset(art, off));
}

static void nullable_string(dl_jsonw *w, const char *s)
{
    if (s && *s)
        dl_jsonw_str(w, s);
    else
        dl_jsonw_null(w);
}

/* "e<i>", by hand: ids are in every mention list and event, and snprintf
 * showed in the profile. */
static void entity_id(dl_jsonw *w, size_t i)
{
    char id[24];
    size_t n = sizeof(id);

    do {
        id[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    id[--n] = 'e';
    dl_jsonw_plain(w, id + n, sizeof(id) - n);
}

/* A name from the extractor's tables ("DATE", "PERSON", "day"): letters
 * only, nothing to escape. */
static void table_name(dl_jsonw *w, const char *name)
{
    dl_jsonw_plain(w, name, strlen(name));
}

static void span_pair(dl_jsonw *w, const dl_article *art, dl_span s)
{
    dl_jsonw_pair(w, dl_article_value_offset(art, s.start), dl_article_value_offset(art, s.end));
}

/* "%04d-%02d-%02d" by hand for the usual dates: it is in every record and
 * timeline message, and snprintf showed in the profile. */
static void published_date(dl_jsonw *w, const dl_article *art)
{
    int y = art->published.year, m = art->published.month, d = art->published.day;
    char date[16];

    if (y < 0 || y > 9999 || m < 0 || m > 99 || d < 0 || d > 99) {
        int n = snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
        dl_jsonw_strn(w, date, (size_t)n);
        return;
    }
    date[0] = (char)('0' + y / 1000);
    date[1] = (char)('0' + y / 100 % 10);
    date[2] = (char)('0' + y / 10 % 10);
    date[3] = (char)('0' + y % 10);
    date[4] = '-';
    date[5] = (char)('0' + m / 10);
    date[6] = (char)('0' + m % 10);
    date[7] = '-';
    date[8] = (char)('0' + d / 10);
    date[9] = (char)('0' + d % 10);
    dl_jsonw_strn(w, date, 10);
}

static void title(dl_jsonw *w, const dl_article *art)
{
    if (art->title.p)
        dl_jsonw_strn(w, art->title.p, art->title.len);
    else
        dl_jsonw_null(w);
}

static void encode_source(dl_jsonw *w, const dl_source *src)
{
    dl_jsonw_obj_begin(w);
    dl_jsonw_key(w, "topic");
    dl_jsonw_str(w, src->topic);
    dl_jsonw_key(w, "partition");
    if (src->topic)
        dl_jsonw_int(w, src->partition);
    else
        dl_jsonw_null(w);
    dl_jsonw_key(w, "offset");
    if (src->topic)
        dl_jsonw_int(w, src->offset);
    else
        dl_jsonw_null(w);
    dl_jsonw_key(w, "timestamp");
    if (src->timestamp_ms >= 0)
        dl_jsonw_int(w, src->timestamp_ms);
    else
        dl_jsonw_null(w);
    dl_jsonw_obj_end(w);
}

static void encode_timexes(dl_jsonw *w, const dl_article *art, const dl_facts *facts)
{
    dl_jsonw_arr_begin(w);
    for (size_t i = 0; i < facts->n_timexes; i++) {
        const dl_timex *tx = &facts->timexes[i];
        dl_jsonw_obj_begin(w);
        dl_jsonw_key(w, "text");
        span_text(w, art, tx->start, tx->end);
        dl_jsonw_key(w, "start");
        value_offset(w, art, tx->start);
        dl_jsonw_key(w, "end");
        value_offset(w, art, tx->end);
        dl_jsonw_key(w, "type");
        table_name(w, dl_timex_type_name(tx->type));
        dl_jsonw_key(w, "value");
        dl_jsonw_str(w, tx->value);
        dl_jsonw_key(w, "mod");
        nullable_string(w, tx->mod);
        dl_jsonw_key(w, "anchored");
        dl_jsonw_bool(w, tx->anchored);
        dl_jsonw_key(w, "sentence");
        dl_jsonw_int(w, (long long)tx->sentence);
        dl_jsonw_obj_end(w);
    }
    dl_jsonw_arr_end(w);
}

/* The text a span prints as; a descriptor is a phrase: "The Cravings
 * author" -> "the Cravings author" (*lower: the first byte is lowered). */
static dl_slice item_text(const dl_article *art, dl_span s, int descriptor, int *lower)
{
    dl_slice t = {art->text.p + s.start, s.end - s.start};

    *lower = descriptor && t.len < 256 &&
             ((t.len > 4 && !memcmp(t.p, "The ", 4)) || (t.len > 2 && !memcmp(t.p, "A ", 2)) ||
              (t.len > 3 && !memcmp(t.p, "An ", 3)));
    return t;
}

static int same_text(dl_slice a, int lower_a, dl_slice b, int lower_b)
{
    if (a.len != b.len || !a.len)
        return a.len == b.len;
    if ((lower_a ? a.p[0] | 0x20 : a.p[0]) != (lower_b ? b.p[0] | 0x20 : b.p[0]))
        return 0;
    return !memcmp(a.p + 1, b.p + 1, a.len - 1);
}

/* An array of the texts of spans[from, from + n), each distinct text once. */
static void encode_texts(dl_jsonw *w, const dl_article *art, const dl_facts *facts, size_t from,
                         size_t n, int descriptor)
{
    dl_jsonw_arr_begin(w);
    for (size_t k = from; k < from + n; k++) {
        int lower, dup = 0;
        dl_slice t = item_text(art, facts->spans[k], descriptor, &lower);
        for (size_t j = from; j < k && !dup; j++) {
            int lower_j;
            dl_slice u = item_text(art, facts->spans[j], descriptor, &lower_j);
            dup = same_text(t, lower, u, lower_j);
        }
        if (dup)
            continue;
        if (lower) {
            char first = (char)(t.p[0] - 'A' + 'a');
            char buf[256];
            memcpy(buf, t.p, t.len);
            buf[0] = first;
            dl_jsonw_strn(w, buf, t.len);
        } else {
            dl_jsonw_strn(w, t.p, t.len);
        }
    }
    dl_jsonw_arr_end(w);
}

/* id, name, kind? (PERSON-only contexts leave it out), aliases, age, descriptors */
static void encode_person_fields(dl_jsonw *w, const dl_article *art, const dl_facts *facts,
                                 size_t i, int with_kind)
{
    const dl_entity *e = &facts->entities[i];

    dl_jsonw_key(w, "id");
    entity_id(w, i);
    dl_jsonw_key(w, "name");
    span_text(w, art, e->name.start, e->name.end);
    if (with_kind) {
        dl_jsonw_key(w, "kind");
        table_name(w, dl_entity_kind_name(e->kind));
    }
    dl_jsonw_key(w, "aliases");
    encode_texts(w, art, facts, e->aliases, e->n_aliases, 0);
    dl_jsonw_key(w, "age");
    if (e->age >= 0)
        dl_jsonw_int(w, e->age);
    else
        dl_jsonw_null(w);
    dl_jsonw_key(w, "descriptors");
    encode_texts(w, art, facts, e->descriptors, e->n_descriptors, 1);
}

static void encode_entities(dl_jsonw *w, const dl_article *art, const dl_facts *facts)
{
    dl_jsonw_arr_begin(w);
    for (size_t i = 0; i < facts->n_entities; i++) {
        const dl_entity *e = &facts->entities[i];
        dl_jsonw_obj_begin(w);
        encode_person_fields(w, art, facts, i, 1);
        dl_jsonw_key(w, "mentions");
        dl_jsonw_arr_begin(w);
        for (size_t k = e->mentions; k < e->mentions + e->n_mentions; k++)
            span_pair(w, art, facts->spans[k]);
        dl_jsonw_arr_end(w);
        dl_jsonw_obj_end(w);
    }
    dl_jsonw_arr_end(w);
}

static void encode_quotes(dl_jsonw *w, const dl_article *art, const dl_facts *facts)
{
    dl_jsonw_arr_begin(w);
    for (size_t i = 0; i < facts->n_quotes; i++) {
        const dl_quote *q = &facts->quotes[i];
        dl_jsonw_obj_begin(w);
        dl_jsonw_key(w, "text");
        span_text(w, art, q->start, q->end);
        dl_jsonw_key(w, "start");
        value_offset(w, art, q->start);
        dl_jsonw_key(w, "end");
        value_offset(w, art, q->end);
        dl_jsonw_key(w, "speaker");
        if (q->speaker >= 0)
            entity_id(w, (size_t)q->speaker);
        else
            dl_jsonw_null(w);
        dl_jsonw_key(w, "speaker_mention");
        if (q->speaker_mention.end > q->speaker_mention.start)
            span_pair(w, art, q->speaker_mention);
        else
            dl_jsonw_null(w);
        dl_jsonw_key(w, "cue");
        if (q->cue.end > q->cue.start)
            span_text(w, art, q->cue.start, q->cue.end);
        else
            dl_jsonw_null(w);
        dl_jsonw_key(w, "passage");
        dl_jsonw_int(w, (long long)q->passage);
        dl_jsonw_obj_end(w);
    }
    dl_jsonw_arr_end(w);
}

static void encode_events(dl_jsonw *w, const dl_article *art, const dl_facts *facts)
{
    dl_jsonw_arr_begin(w);
    for (size_t i = 0; i < facts->n_events; i++) {
        const dl_event *ev = &facts->events[i];
        const dl_sentence *s = &facts->sentences[ev->sentence];
        dl_jsonw_obj_begin(w);
        dl_jsonw_key(w, "date");
        dl_jsonw_str(w, ev->date);
        dl_jsonw_key(w, "resolution");
        table_name(w, dl_resolution_name(ev->resolution));
        dl_jsonw_key(w, "summary");
        span_text(w, art, ev->summary_start, ev->summary_end);
        dl_jsonw_key(w, "sentence");
        span_pair(w, art, (dl_span){s->start, s->end});
        dl_jsonw_key(w, "timex");
        dl_jsonw_int(w, (long long)ev->timex);
        dl_jsonw_key(w, "entities");
        dl_jsonw_arr_begin(w);
        for (size_t k = ev->entities; k < ev->entities + ev->n_entities; k++)
            entity_id(w, facts->event_entities[k]);
        dl_jsonw_arr_end(w);
        dl_jsonw_obj_end(w);
    }
    dl_jsonw_arr_end(w);
}

static void encode_extractor(dl_jsonw *w, const dl_encode_info *info)
{
    dl_jsonw_key(w, "extractor");
    dl_jsonw_obj_begin(w);
    dl_jsonw_key(w, "version");
    dl_jsonw_str(w, DL_VERSION);
    dl_jsonw_key(w, "rules_hash");
    dl_jsonw_str(w, info->rules_hash);
    dl_jsonw_obj_end(w);
}

char *dl_encode_record(const dl_article *art, const dl_facts *facts, const dl_source *src,
                       const dl_encode_info *info, size_t *len)
{
    dl_jsonw w;

    /* Records run to about the text's size; quotes are copied out again. */
    dl_jsonw_init(&w, art->text.len + art->text.len / 2 + 1024);
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "id");
    dl_jsonw_strn(&w, art->id.p, art->id.len);
    dl_jsonw_key(&w, "source");
    encode_source(&w, src);
    dl_jsonw_key(&w, "published");
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "value");
    published_date(&w, art);
    dl_jsonw_key(&w, "from");
    dl_jsonw_str(&w, dl_date_from_name(art->from));
    dl_jsonw_obj_end(&w);
    dl_jsonw_key(&w, "title");
    title(&w, art);
    dl_jsonw_key(&w, "timexes");
    encode_timexes(&w, art, facts);
    dl_jsonw_key(&w, "entities");
    encode_entities(&w, art, facts);
    dl_jsonw_key(&w, "quotes");
    encode_quotes(&w, art, facts);
    dl_jsonw_key(&w, "events");
    encode_events(&w, art, facts);

    dl_jsonw_key(&w, "stats");
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "bytes");
    dl_jsonw_int(&w, (long long)art->text.len);
    dl_jsonw_key(&w, "sentences");
    dl_jsonw_int(&w, (long long)facts->n_sentences);
    dl_jsonw_key(&w, "timexes");
    dl_jsonw_int(&w, (long long)facts->n_timexes);
    dl_jsonw_key(&w, "events");
    dl_jsonw_int(&w, (long long)facts->n_events);
    dl_jsonw_key(&w, "entities");
    dl_jsonw_int(&w, (long long)facts->n_entities);
    dl_jsonw_key(&w, "quotes");
    dl_jsonw_int(&w, (long long)facts->n_quotes);
    dl_jsonw_key(&w, "extract_us");
    dl_jsonw_int(&w, (long long)info->extract_us);
    dl_jsonw_obj_end(&w);

    encode_extractor(&w, info);
    dl_jsonw_obj_end(&w);
    return dl_jsonw_finish(&w, len);
}

int dl_encode_timeline_shared(const dl_article *art, const dl_source *src,
                              const dl_encode_info *info, dl_timeline_shared *sh)
{
    dl_jsonw w;

    dl_jsonw_init(&w, 512 + art->id.len + art->title.len);
    dl_jsonw_key(&w, "article");
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "id");
    dl_jsonw_strn(&w, art->id.p, art->id.len);
    dl_jsonw_key(&w, "published");
    published_date(&w, art);
    dl_jsonw_key(&w, "title");
    title(&w, art);
    dl_jsonw_key(&w, "source");
    encode_source(&w, src);
    dl_jsonw_obj_end(&w);
    sh->article_len = w.len;
    encode_extractor(&w, info);
    sh->text = dl_jsonw_finish(&w, &sh->len);
    return sh->text ? 0 : DL_ENOMEM;
}

char *dl_encode_timeline(const dl_article *art, const dl_facts *facts, const dl_timeline_shared *sh,
                         size_t event, long person, const char *key, size_t *len)
{
    const dl_event *ev = &facts->events[event];
    const dl_timex *tx = &facts->timexes[ev->timex];
    const dl_sentence *s = &facts->sentences[ev->sentence];
    dl_jsonw w;

    dl_jsonw_init(&w, 1024 + (ev->summary_end - ev->summary_start) + art->title.len);
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "key");
    dl_jsonw_str(&w, key);
    dl_jsonw_key(&w, "person");
    if (person >= 0) {
        dl_jsonw_obj_begin(&w);
        encode_person_fields(&w, art, facts, (size_t)person, 0);
        dl_jsonw_obj_end(&w);
    } else {
        dl_jsonw_null(&w);
    }
    dl_jsonw_raw(&w, sh->text, sh->article_len);

    dl_jsonw_key(&w, "event");
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "index");
    dl_jsonw_int(&w, (long long)event);
    dl_jsonw_key(&w, "date");
    dl_jsonw_str(&w, ev->date);
    dl_jsonw_key(&w, "resolution");
    table_name(&w, dl_resolution_name(ev->resolution));
    dl_jsonw_key(&w, "summary");
    span_text(&w, art, ev->summary_start, ev->summary_end);
    dl_jsonw_key(&w, "sentence");
    span_pair(&w, art, (dl_span){s->start, s->end});
    dl_jsonw_key(&w, "timex");
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "text");
    span_text(&w, art, tx->start, tx->end);
    dl_jsonw_key(&w, "value");
    dl_jsonw_str(&w, tx->value);
    dl_jsonw_key(&w, "start");
    value_offset(&w, art, tx->start);
    dl_jsonw_key(&w, "end");
    value_offset(&w, art, tx->end);
    dl_jsonw_obj_end(&w);
    dl_jsonw_key(&w, "entities");
    dl_jsonw_arr_begin(&w);
    for (size_t k = ev->entities; k < ev->entities + ev->n_entities; k++) {
        size_t id = facts->event_entities[k];
        const dl_entity *e = &facts->entities[id];
        dl_jsonw_obj_begin(&w);
        dl_jsonw_key(&w, "id");
        entity_id(&w, id);
        dl_jsonw_key(&w, "name");
        span_text(&w, art, e->name.start, e->name.end);
        dl_jsonw_key(&w, "kind");
        table_name(&w, dl_entity_kind_name(e->kind));
        dl_jsonw_obj_end(&w);
    }
    dl_jsonw_arr_end(&w);
    dl_jsonw_obj_end(&w);

    /* "extractor": what follows "article" and its comma. */
    dl_jsonw_raw(&w, sh->text + sh->article_len + 1, sh->len - sh->article_len - 1);
    dl_jsonw_obj_end(&w);
    return dl_jsonw_finish(&w, len);
}

char *dl_encode_eval(const char *doc, dl_slice text, const dl_facts *facts, size_t *len)
{
    dl_jsonw w;

    dl_jsonw_init(&w, 256 + facts->n_timexes * 128);
    dl_jsonw_obj_begin(&w);
    dl_jsonw_key(&w, "doc");
    dl_jsonw_str(&w, doc);
    dl_jsonw_key(&w, "timexes");
    dl_jsonw_arr_begin(&w);
    for (size_t i = 0; i < facts->n_timexes; i++) {
        const dl_timex *tx = &facts->timexes[i];
        dl_jsonw_obj_begin(&w);
        dl_jsonw_key(&w, "start");
        dl_jsonw_int(&w, (long long)tx->start);
        dl_jsonw_key(&w, "end");
        dl_jsonw_int(&w, (long long)tx->end);
        dl_jsonw_key(&w, "text");
        dl_jsonw_strn(&w, text.p + tx->start, tx->end - tx->start);
        dl_jsonw_key(&w, "type");
        table_name(&w, dl_timex_type_name(tx->type));
        dl_jsonw_key(&w, "value");
        dl_jsonw_str(&w, tx->value);
        if (tx->mod[0]) {
            dl_jsonw_key(&w, "mod");
            dl_jsonw_str(&w, tx->mod);
        }
        dl_jsonw_obj_end(&w);
    }
    dl_jsonw_arr_end(&w);
    dl_jsonw_obj_end(&w);
    return dl_jsonw_finish(&w, len);
}

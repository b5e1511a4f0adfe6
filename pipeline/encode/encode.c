/*
 * Facts -> enriched record. Jansson builds the tree (json_object_set_new
 * steals each fresh value); only the root is decref'd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dateline/encode.h"

static json_t *span_text(const dl_article *art, size_t start, size_t end)
{
    return json_stringn(art->text.p + start, end - start);
}

static json_t *value_offset(const dl_article *art, size_t off)
{
    return json_integer((json_int_t)dl_article_value_offset(art, off));
}

static json_t *nullable_string(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *encode_source(const dl_source *src)
{
    json_t *o = json_object();

    json_object_set_new(o, "topic", src->topic ? json_string(src->topic) : json_null());
    json_object_set_new(o, "partition",
                        src->topic ? json_integer(src->partition) : json_null());
    json_object_set_new(o, "offset", src->topic ? json_integer(src->offset) : json_null());
    json_object_set_new(o, "timestamp",
                        src->timestamp_ms >= 0 ? json_integer(src->timestamp_ms) : json_null());
    return o;
}

static json_t *encode_timexes(const dl_article *art, const dl_facts *facts)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < facts->n_timexes; i++) {
        const dl_timex *tx = &facts->timexes[i];
        json_t *o = json_object();
        json_object_set_new(o, "text", span_text(art, tx->start, tx->end));
        json_object_set_new(o, "start", value_offset(art, tx->start));
        json_object_set_new(o, "end", value_offset(art, tx->end));
        json_object_set_new(o, "type", json_string(dl_timex_type_name(tx->type)));
        json_object_set_new(o, "value", json_string(tx->value));
        json_object_set_new(o, "mod", nullable_string(tx->mod));
        json_object_set_new(o, "anchored", json_boolean(tx->anchored));
        json_object_set_new(o, "sentence", json_integer((json_int_t)tx->sentence));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *entity_id(size_t i)
{
    char id[24];

    snprintf(id, sizeof(id), "e%zu", i);
    return json_string(id);
}

static json_t *span_pair(const dl_article *art, dl_span s)
{
    json_t *a = json_array();

    json_array_append_new(a, value_offset(art, s.start));
    json_array_append_new(a, value_offset(art, s.end));
    return a;
}

/* A descriptor as a phrase: "The Cravings author" -> "the Cravings author". */
static json_t *descriptor_text(const dl_article *art, dl_span s)
{
    char buf[256];
    size_t n = s.end - s.start;

    if (n >= sizeof(buf))
        return span_text(art, s.start, s.end);
    memcpy(buf, art->text.p + s.start, n);
    if ((n > 4 && !memcmp(buf, "The ", 4)) || (n > 2 && !memcmp(buf, "A ", 2)) ||
        (n > 3 && !memcmp(buf, "An ", 3)))
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return json_stringn(buf, n);
}

/* Appends the text of spans[from, from + n) to @p arr, each distinct text once. */
static void append_texts(json_t *arr, const dl_article *art, const dl_facts *facts, size_t from,
                         size_t n, int descriptor)
{
    for (size_t k = from; k < from + n; k++) {
        const dl_span *s = &facts->spans[k];
        json_t *v = descriptor ? descriptor_text(art, *s) : span_text(art, s->start, s->end);
        size_t i;
        json_t *have;
        int dup = 0;
        json_array_foreach(arr, i, have)
        {
            if (json_equal(have, v))
                dup = 1;
        }
        if (dup)
            json_decref(v);
        else
            json_array_append_new(arr, v);
    }
}

static json_t *encode_entities(const dl_article *art, const dl_facts *facts)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < facts->n_entities; i++) {
        const dl_entity *e = &facts->entities[i];
        json_t *o = json_object(), *a = json_array(), *m = json_array(), *d = json_array();
        json_t *name = span_text(art, e->name.start, e->name.end);
        json_object_set_new(o, "id", entity_id(i));
        json_object_set_new(o, "name", name);
        json_object_set_new(o, "kind", json_string(dl_entity_kind_name(e->kind)));
        append_texts(a, art, facts, e->aliases, e->n_aliases, 0);
        json_object_set_new(o, "aliases", a);
        json_object_set_new(o, "age", e->age >= 0 ? json_integer(e->age) : json_null());
        append_texts(d, art, facts, e->descriptors, e->n_descriptors, 1);
        json_object_set_new(o, "descriptors", d);
        for (size_t k = e->mentions; k < e->mentions + e->n_mentions; k++)
            json_array_append_new(m, span_pair(art, facts->spans[k]));
        json_object_set_new(o, "mentions", m);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *encode_quotes(const dl_article *art, const dl_facts *facts)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < facts->n_quotes; i++) {
        const dl_quote *q = &facts->quotes[i];
        json_t *o = json_object();
        json_object_set_new(o, "text", span_text(art, q->start, q->end));
        json_object_set_new(o, "start", value_offset(art, q->start));
        json_object_set_new(o, "end", value_offset(art, q->end));
        json_object_set_new(o, "speaker",
                            q->speaker >= 0 ? entity_id((size_t)q->speaker) : json_null());
        json_object_set_new(o, "speaker_mention",
                            q->speaker_mention.end > q->speaker_mention.start
                                ? span_pair(art, q->speaker_mention)
                                : json_null());
        json_object_set_new(o, "cue", q->cue.end > q->cue.start
                                          ? span_text(art, q->cue.start, q->cue.end)
                                          : json_null());
        json_object_set_new(o, "passage", json_integer((json_int_t)q->passage));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *encode_events(const dl_article *art, const dl_facts *facts)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < facts->n_events; i++) {
        const dl_event *ev = &facts->events[i];
        const dl_sentence *s = &facts->sentences[ev->sentence];
        json_t *o = json_object(), *sent = json_array();
        json_object_set_new(o, "date", json_string(ev->date));
        json_object_set_new(o, "resolution", json_string(dl_resolution_name(ev->resolution)));
        json_object_set_new(o, "summary", span_text(art, ev->summary_start, ev->summary_end));
        json_array_append_new(sent, value_offset(art, s->start));
        json_array_append_new(sent, value_offset(art, s->end));
        json_object_set_new(o, "sentence", sent);
        json_object_set_new(o, "timex", json_integer((json_int_t)ev->timex));
        json_t *ents = json_array();
        for (size_t k = ev->entities; k < ev->entities + ev->n_entities; k++)
            json_array_append_new(ents, entity_id(facts->event_entities[k]));
        json_object_set_new(o, "entities", ents);
        json_array_append_new(arr, o);
    }
    return arr;
}

char *dl_encode_record(const dl_article *art, const dl_facts *facts, const dl_source *src,
                       const dl_encode_info *info, size_t *len)
{
    json_t *root = json_object(), *o;
    char date[16];
    char *out;

    if (!root)
        return NULL;
    json_object_set_new(root, "id", json_stringn(art->id.p, art->id.len));
    json_object_set_new(root, "source", encode_source(src));

    o = json_object();
    snprintf(date, sizeof(date), "%04d-%02d-%02d", art->published.year, art->published.month,
             art->published.day);
    json_object_set_new(o, "value", json_string(date));
    json_object_set_new(o, "from", json_string(dl_date_from_name(art->from)));
    json_object_set_new(root, "published", o);

    json_object_set_new(root, "title",
                        art->title.p ? json_stringn(art->title.p, art->title.len) : json_null());
    json_object_set_new(root, "timexes", encode_timexes(art, facts));
    json_object_set_new(root, "entities", encode_entities(art, facts));
    json_object_set_new(root, "quotes", encode_quotes(art, facts));
    json_object_set_new(root, "events", encode_events(art, facts));

    o = json_object();
    json_object_set_new(o, "bytes", json_integer((json_int_t)art->text.len));
    json_object_set_new(o, "sentences", json_integer((json_int_t)facts->n_sentences));
    json_object_set_new(o, "timexes", json_integer((json_int_t)facts->n_timexes));
    json_object_set_new(o, "events", json_integer((json_int_t)facts->n_events));
    json_object_set_new(o, "entities", json_integer((json_int_t)facts->n_entities));
    json_object_set_new(o, "quotes", json_integer((json_int_t)facts->n_quotes));
    json_object_set_new(o, "extract_us", json_integer((json_int_t)info->extract_us));
    json_object_set_new(root, "stats", o);

    o = json_object();
    json_object_set_new(o, "version", json_string(DL_VERSION));
    json_object_set_new(o, "rules_hash", json_string(info->rules_hash));
    json_object_set_new(root, "extractor", o);

    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (out && len)
        *len = strlen(out);
    return out;
}

static json_t *encode_published(const dl_article *art)
{
    char date[16];

    snprintf(date, sizeof(date), "%04d-%02d-%02d", art->published.year, art->published.month,
             art->published.day);
    return json_string(date);
}

char *dl_encode_timeline(const dl_article *art, const dl_facts *facts, const dl_source *src,
                         const dl_encode_info *info, size_t event, long person, const char *key,
                         size_t *len)
{
    const dl_event *ev = &facts->events[event];
    const dl_timex *tx = &facts->timexes[ev->timex];
    const dl_sentence *s = &facts->sentences[ev->sentence];
    json_t *root = json_object(), *o, *ents = json_array();
    char *out;

    if (!root)
        return NULL;
    json_object_set_new(root, "key", json_string(key));
    if (person >= 0) {
        const dl_entity *e = &facts->entities[person];
        json_t *a = json_array(), *d = json_array();
        o = json_object();
        json_object_set_new(o, "id", entity_id((size_t)person));
        json_object_set_new(o, "name", span_text(art, e->name.start, e->name.end));
        append_texts(a, art, facts, e->aliases, e->n_aliases, 0);
        json_object_set_new(o, "aliases", a);
        json_object_set_new(o, "age", e->age >= 0 ? json_integer(e->age) : json_null());
        append_texts(d, art, facts, e->descriptors, e->n_descriptors, 1);
        json_object_set_new(o, "descriptors", d);
        json_object_set_new(root, "person", o);
    } else {
        json_object_set_new(root, "person", json_null());
    }

    o = json_object();
    json_object_set_new(o, "id", json_stringn(art->id.p, art->id.len));
    json_object_set_new(o, "published", encode_published(art));
    json_object_set_new(o, "title",
                        art->title.p ? json_stringn(art->title.p, art->title.len) : json_null());
    json_object_set_new(o, "source", encode_source(src));
    json_object_set_new(root, "article", o);

    o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)event));
    json_object_set_new(o, "date", json_string(ev->date));
    json_object_set_new(o, "resolution", json_string(dl_resolution_name(ev->resolution)));
    json_object_set_new(o, "summary", span_text(art, ev->summary_start, ev->summary_end));
    json_object_set_new(o, "sentence", span_pair(art, (dl_span){s->start, s->end}));
    json_t *t = json_object();
    json_object_set_new(t, "text", span_text(art, tx->start, tx->end));
    json_object_set_new(t, "value", json_string(tx->value));
    json_object_set_new(t, "start", value_offset(art, tx->start));
    json_object_set_new(t, "end", value_offset(art, tx->end));
    json_object_set_new(o, "timex", t);
    for (size_t k = ev->entities; k < ev->entities + ev->n_entities; k++) {
        size_t id = facts->event_entities[k];
        const dl_entity *e = &facts->entities[id];
        json_t *eo = json_object();
        json_object_set_new(eo, "id", entity_id(id));
        json_object_set_new(eo, "name", span_text(art, e->name.start, e->name.end));
        json_object_set_new(eo, "kind", json_string(dl_entity_kind_name(e->kind)));
        json_array_append_new(ents, eo);
    }
    json_object_set_new(o, "entities", ents);
    json_object_set_new(root, "event", o);

    o = json_object();
    json_object_set_new(o, "version", json_string(DL_VERSION));
    json_object_set_new(o, "rules_hash", json_string(info->rules_hash));
    json_object_set_new(root, "extractor", o);

    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (out && len)
        *len = strlen(out);
    return out;
}

char *dl_encode_eval(const char *doc, dl_slice text, const dl_facts *facts, size_t *len)
{
    json_t *root = json_object(), *arr = json_array();
    char *out;

    json_object_set_new(root, "doc", json_string(doc));
    for (size_t i = 0; i < facts->n_timexes; i++) {
        const dl_timex *tx = &facts->timexes[i];
        json_t *o = json_object();
        json_object_set_new(o, "start", json_integer((json_int_t)tx->start));
        json_object_set_new(o, "end", json_integer((json_int_t)tx->end));
        json_object_set_new(o, "text", json_stringn(text.p + tx->start, tx->end - tx->start));
        json_object_set_new(o, "type", json_string(dl_timex_type_name(tx->type)));
        json_object_set_new(o, "value", json_string(tx->value));
        if (tx->mod[0])
            json_object_set_new(o, "mod", json_string(tx->mod));
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "timexes", arr);
    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (out && len)
        *len = strlen(out);
    return out;
}

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
        json_object_set_new(o, "entities", json_array());
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
    json_object_set_new(root, "entities", json_array());
    json_object_set_new(root, "quotes", json_array());
    json_object_set_new(root, "events", encode_events(art, facts));

    o = json_object();
    json_object_set_new(o, "bytes", json_integer((json_int_t)art->text.len));
    json_object_set_new(o, "sentences", json_integer((json_int_t)facts->n_sentences));
    json_object_set_new(o, "timexes", json_integer((json_int_t)facts->n_timexes));
    json_object_set_new(o, "events", json_integer((json_int_t)facts->n_events));
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

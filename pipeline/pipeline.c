/*
 * One message in, one result out: decode, extract, encode. The same path
 * serves `extract`, `run` and `replay`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dateline/decode.h"
#include "dateline/encode.h"
#include "dateline/extract.h"
#include "dateline/pipeline.h"

struct dl_pipeline {
    const dl_config *cfg;
    dl_decoder *dec;
    dl_rules *rules;
    int owns_rules; /* 0: borrowed from the pipeline this one was cloned from */
    int no_timeline; /* dl_pipeline_set_timeline(pl, 0) */
    dl_extractor *ex;
};

dl_pipeline *dl_pipeline_new(const dl_config *cfg, dl_err *err)
{
    dl_pipeline *pl = calloc(1, sizeof(*pl));

    if (!pl) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    pl->cfg = cfg;
    pl->owns_rules = 1;
    pl->no_timeline = !dl_config_timeline(cfg); /* topics.timeline "" */
    if (!(pl->dec = dl_decoder_new(cfg, err)) || dl_rules_load(cfg->extract.rules, &pl->rules, err) ||
        !(pl->ex = dl_extractor_new(pl->rules, err))) {
        dl_pipeline_free(pl);
        return NULL;
    }
    dl_extractor_set_limit(pl->ex, cfg->extract.max_timexes);
    return pl;
}

dl_pipeline *dl_pipeline_clone(const dl_pipeline *base, dl_err *err)
{
    dl_pipeline *pl = calloc(1, sizeof(*pl));

    if (!pl) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    pl->cfg = base->cfg;
    pl->no_timeline = base->no_timeline;
    pl->rules = base->rules; /* read-only from here on: shared, not copied */
    if (!(pl->dec = dl_decoder_new(pl->cfg, err)) || !(pl->ex = dl_extractor_new(pl->rules, err))) {
        dl_pipeline_free(pl);
        return NULL;
    }
    dl_extractor_set_limit(pl->ex, pl->cfg->extract.max_timexes);
    return pl;
}

void dl_pipeline_set_timeline(dl_pipeline *pl, int on)
{
    pl->no_timeline = !on;
}

void dl_pipeline_free(dl_pipeline *pl)
{
    if (!pl)
        return;
    dl_extractor_free(pl->ex);
    if (pl->owns_rules)
        dl_rules_free(pl->rules);
    dl_decoder_free(pl->dec);
    free(pl);
}

const char *dl_pipeline_rules_hash(const dl_pipeline *pl)
{
    return dl_rules_hash(pl->rules);
}

void dl_result_fini(dl_result *res)
{
    if (!res)
        return;
    free(res->key);
    free(res->record);
    for (size_t i = 0; i < res->n_timeline; i++) {
        free(res->timeline[i].key);
        free(res->timeline[i].value);
    }
    free(res->timeline);
    memset(res, 0, sizeof(*res));
}

/* Appends one timeline message for event @p ev and @p person (-1: none). */
static int add_timeline(dl_result *res, size_t *cap, const dl_article *art, const dl_facts *facts,
                        const dl_timeline_shared *sh, size_t ev, long person)
{
    char key[256];
    dl_record *r;
    size_t n;

    if (person >= 0) {
        const dl_entity *e = &facts->entities[person];
        n = dl_name_key(art->text.p + e->name.start, e->name.end - e->name.start, key,
                        sizeof(key));
    } else {
        n = art->id.len < sizeof(key) ? art->id.len : 0;
        memcpy(key, art->id.p, n);
        key[n] = '\0';
    }
    if (!n)
        return 0; /* a name too long to be one */
    if (res->n_timeline == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        dl_record *nr = realloc(res->timeline, ncap * sizeof(*nr));
        if (!nr)
            return DL_ENOMEM;
        res->timeline = nr;
        *cap = ncap;
    }
    r = &res->timeline[res->n_timeline];
    memset(r, 0, sizeof(*r));
    if (!(r->key = strdup(key)) ||
        !(r->value = dl_encode_timeline(art, facts, sh, ev, person, key, &r->value_len))) {
        free(r->key);
        return DL_ENOMEM;
    }
    r->key_len = n;
    res->n_timeline++;
    return 0;
}

/* One timeline message per (event, person); events without a person once,
 * keyed by the article. */
static int build_timeline(dl_result *res, const dl_article *art, const dl_facts *facts,
                          const dl_source *src, const dl_encode_info *info)
{
    dl_timeline_shared sh;
    size_t cap = 0;
    int rc;

    if (!facts->n_events)
        return 0;
    /* "article" and "extractor" are the same in each message: written once. */
    if ((rc = dl_encode_timeline_shared(art, src, info, &sh)))
        return rc;
    for (size_t i = 0; i < facts->n_events; i++) {
        const dl_event *ev = &facts->events[i];
        int persons = 0;
        for (size_t k = ev->entities; k < ev->entities + ev->n_entities; k++) {
            size_t id = facts->event_entities[k];
            if (facts->entities[id].kind != DL_ENT_PERSON)
                continue;
            if ((rc = add_timeline(res, &cap, art, facts, &sh, i, (long)id)))
                goto out;
            persons++;
        }
        if (!persons && (rc = add_timeline(res, &cap, art, facts, &sh, i, -1)))
            goto out;
    }
out:
    free(sh.text);
    return rc;
}

int dl_pipeline_process(dl_pipeline *pl, const dl_message *msg, dl_result *res)
{
    dl_raw raw = {msg->value, msg->key, msg->date_header, msg->timestamp_ms};
    dl_article art;
    dl_facts facts;
    dl_reason why;
    dl_err err = {0};
    dl_source src = {msg->topic, msg->partition, msg->offset, msg->timestamp_ms};
    dl_encode_info info;
    uint64_t t0;

    memset(res, 0, sizeof(*res));
    why = dl_decode(pl->dec, &raw, &art, res->detail, sizeof(res->detail));
    if (why != DL_REASON_NONE) {
        res->dead = 1;
        res->reason = dl_reason_code(why);
        return 0;
    }
    t0 = dl_now_us();
    dl_dct dct = {art.published.year, art.published.month, art.published.day};
    if (dl_extract(pl->ex, art.text, &dct, &facts, &err)) {
        if (err.code == DL_ENOMEM)
            return DL_ENOMEM;
        res->dead = 1;
        res->reason = "extract_failed";
        snprintf(res->detail, sizeof(res->detail), "%s", err.msg);
        return 0;
    }
    info.rules_hash = dl_rules_hash(pl->rules);
    info.extract_us = dl_now_us() - t0;
    if (!(res->record = dl_encode_record(&art, &facts, &src, &info, &res->record_len)))
        return DL_ENOMEM;
    if (!(res->key = malloc(art.id.len + 1))) {
        dl_result_fini(res);
        return DL_ENOMEM;
    }
    memcpy(res->key, art.id.p, art.id.len);
    res->key[art.id.len] = '\0';
    res->key_len = art.id.len;
    if (!pl->no_timeline && build_timeline(res, &art, &facts, &src, &info)) {
        dl_result_fini(res);
        return DL_ENOMEM;
    }
    return 0;
}

int dl_pipeline_timeml(dl_pipeline *pl, dl_slice doc, const char *name, char **line, size_t *len,
                       dl_err *err)
{
    dl_timeml tml;
    dl_facts facts;
    int rc;

    if ((rc = dl_timeml_parse(doc, &tml, err)))
        return rc;
    dl_dct dct = {tml.dct.year, tml.dct.month, tml.dct.day};
    dl_slice text = {tml.text, tml.len};
    if ((rc = dl_extract(pl->ex, text, &dct, &facts, err)) == 0 &&
        !(*line = dl_encode_eval(name, text, &facts, len)))
        rc = dl_err_set(err, DL_ENOMEM, "out of memory");
    dl_timeml_fini(&tml);
    return rc;
}

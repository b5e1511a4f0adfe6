/*
 * dateline - extractor: article text -> facts (sentences, temporal
 * expressions normalised to TimeML values, entities with aliases, ages and
 * descriptors, quotes with speakers, timeline events).
 *
 * Rules are YAML data (the .yaml files of config/rules/LANG) compiled once into PCRE2
 * JIT programs by dl_rules_load(). Compiled rules are read-only and may be
 * shared by threads; each thread owns its own dl_extractor.
 */
#ifndef DATELINE_EXTRACT_H
#define DATELINE_EXTRACT_H

#include <stddef.h>

#include "dateline/common.h"

typedef struct dl_rules dl_rules;
typedef struct dl_extractor dl_extractor;

/** A calendar date used as the document creation time. */
typedef struct dl_dct {
    int year, month, day;
} dl_dct;

typedef enum { DL_TIMEX_DATE = 0, DL_TIMEX_TIME, DL_TIMEX_DURATION, DL_TIMEX_SET } dl_timex_type;

const char *dl_timex_type_name(dl_timex_type type);

typedef struct dl_sentence {
    size_t start, end; /* byte offsets into the text */
} dl_sentence;

typedef struct dl_timex {
    size_t start, end;  /* byte offsets into the text */
    dl_timex_type type;
    char value[32];     /* TimeML value, e.g. "2020-09", "PRESENT_REF", "P3Y" */
    char mod[16];       /* TimeML mod ("START", ...) or "" */
    int anchored;       /* 1: value is a calendar date, usable as an anchor */
    size_t sentence;    /* index into dl_facts.sentences */
    int rule;           /* index of the rule that matched (for debugging) */
    /* A duration with a later/earlier signal ("three days later"), for the
     * timeline only: the previous anchored date moved by it ("2020-03-08"),
     * the date the sentence happens on; "" for every other timex. */
    char resolved[16];
} dl_timex;

typedef enum {
    DL_RES_DAY = 0,
    DL_RES_WEEK,
    DL_RES_MONTH,
    DL_RES_QUARTER,
    DL_RES_HALF,
    DL_RES_SEASON,
    DL_RES_YEAR,
    DL_RES_DECADE,
    DL_RES_CENTURY
} dl_resolution;

const char *dl_resolution_name(dl_resolution res);

/** A byte range [start, end) of the text. */
typedef struct dl_span {
    size_t start, end;
} dl_span;

typedef enum { DL_ENT_PERSON = 0, DL_ENT_ORG, DL_ENT_PLACE, DL_ENT_WORK } dl_entity_kind;

const char *dl_entity_kind_name(dl_entity_kind kind);

/**
 * A person, organisation, place or work of the article. Its aliases,
 * descriptors and mentions are ranges of dl_facts.spans (text spans).
 */
typedef struct dl_entity {
    dl_entity_kind kind;
    dl_span name;          /* the fullest form of the name (no title, no possessive) */
    int age;               /* -1: unknown */
    char gender;           /* 'm', 'f' or 0 (unknown) */
    size_t aliases, n_aliases;         /* short forms: surname, given name */
    size_t descriptors, n_descriptors; /* epithets: "The Cravings author", "a former model" */
    size_t mentions, n_mentions;       /* every mention: names, aliases, linked epithets */
} dl_entity;

/** A quoted span and who said it. */
typedef struct dl_quote {
    size_t start, end;       /* the quoted text, without its quotation marks */
    long speaker;            /* index into dl_facts.entities, -1: unknown */
    dl_span speaker_mention; /* where the text names the speaker for it (start == end: nowhere) */
    dl_span cue;             /* the cue ("wrote", "said"); start == end: none */
    size_t passage;          /* quotes of one passage (split around a cue, several
                              * paragraphs) share this index, counted from 0 */
} dl_quote;

/** One dated event of the article's timeline. */
typedef struct dl_event {
    size_t timex;       /* index into dl_facts.timexes */
    char date[16];      /* calendar part of that timex's value (no time of day) */
    size_t sentence;    /* index into dl_facts.sentences */
    dl_resolution resolution;
    size_t summary_start, summary_end; /* byte range of the summary in the text */
    size_t entities, n_entities;       /* range of dl_facts.event_entities */
} dl_event;

/** Everything extracted from one text; arrays are owned by the extractor. */
typedef struct dl_facts {
    const dl_sentence *sentences;
    size_t n_sentences;
    const dl_timex *timexes;
    size_t n_timexes;
    const dl_event *events; /* ordered by date, then position */
    size_t n_events;
    const dl_entity *entities; /* in order of first mention */
    size_t n_entities;
    const dl_span *spans;      /* aliases, descriptors and mentions of the entities */
    const dl_quote *quotes;    /* in text order */
    size_t n_quotes;
    const size_t *event_entities; /* entity indexes, referenced by dl_event */
} dl_facts;

/**
 * @brief The key of a name for grouping across articles: lower case, curly
 *        apostrophes as ', one space between words ("chrissy teigen").
 * @returns the length written to @p out (NUL-terminated), 0 if it does not fit.
 */
size_t dl_name_key(const char *name, size_t len, char *out, size_t size);

/**
 * @brief Loads and compiles every .yaml file of @p dir (in name order).
 * @returns 0 or DL_ERULES/DL_EIO with file:line:col of the bad node in @p err.
 */
int dl_rules_load(const char *dir, dl_rules **out, dl_err *err);

/** Frees compiled rules. NULL is fine. */
void dl_rules_free(dl_rules *rules);

/** 16 hex digits identifying the rule files' contents. */
const char *dl_rules_hash(const dl_rules *rules);

/**
 * @brief The timex rules the scan cannot filter: their patterns use a
 *        construct the rules' automaton does not model (a back reference,
 *        recursion, a conditional), so they are tried at every word start
 *        their first byte allows. Correct, but slower.
 * @returns how many; the names of the first @p max go to @p names.
 */
size_t dl_rules_unfiltered(const dl_rules *rules, const char **names, size_t max);

/** @returns a per-thread extractor over @p rules (borrowed), or NULL. */
dl_extractor *dl_extractor_new(const dl_rules *rules, dl_err *err);
void dl_extractor_free(dl_extractor *ex);

/** Caps the number of timexes kept per text (0 = no cap). Entities and
 *  quotes have fixed caps (DL_MAX_ENTITIES, DL_MAX_QUOTES per text). */
void dl_extractor_set_limit(dl_extractor *ex, size_t max_timexes);

/**
 * @brief Extracts facts from @p text against the document date @p dct.
 * @remark @p text must be valid UTF-8 (the decoder checked it). The facts
 *         stay valid until the next call on @p ex.
 */
int dl_extract(dl_extractor *ex, dl_slice text, const dl_dct *dct, dl_facts *out, dl_err *err);

#endif

/* Internal to pipeline/extract: the per-thread extractor state. */
#ifndef DL_EXTRACT_INT_H
#define DL_EXTRACT_INT_H

#include <string.h>

#include "automaton.h"
#include "rules_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
/* The byte scans (sentences.c, quotes.c, the rule scan's words) take 16
 * bytes at a time: none of the bytes they stop at among them, they go on;
 * without SSE2 they go byte by byte. dl_eq16(): bit k set where byte k of
 * the 16 at @p p is @p c. */
#define DL_SCAN16 1
static inline unsigned dl_eq16(const char *p, char c)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
}

/* The bytes of @p x in [@p lo, @p hi], as 0xFF (signed compares: bytes from
 * 0x80 are negative and in no range of ASCII bounds). */
static inline __m128i dl_range16(__m128i x, char lo, char hi)
{
    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((char)(lo - 1))),
                         _mm_cmplt_epi8(x, _mm_set1_epi8((char)(hi + 1))));
}

/* Bit k set where byte k of the 16 at @p p is [A-Za-z0-9]; dl_digit16():
 * [0-9]; dl_upper16(): [A-Z]. */
static inline unsigned dl_alnum16(const char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i letter = dl_range16(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');

    return (unsigned)_mm_movemask_epi8(_mm_or_si128(letter, dl_range16(x, '0', '9')));
}

static inline unsigned dl_digit16(const char *p)
{
    return (unsigned)_mm_movemask_epi8(
        dl_range16(_mm_loadu_si128((const __m128i *)(const void *)p), '0', '9'));
}

static inline unsigned dl_upper16(const char *p)
{
    return (unsigned)_mm_movemask_epi8(
        dl_range16(_mm_loadu_si128((const __m128i *)(const void *)p), 'A', 'Z'));
}
#endif

/* [A-Za-z0-9]: the bytes of words for the rule scan (the whole-word
 * wrapper of rules.c). */
extern const unsigned char dl_alnum_tab[256];

static inline int dl_is_alnum(unsigned char c)
{
    return dl_alnum_tab[c];
}

/* The end of the word (run of [A-Za-z0-9]) that goes on at @p q. */
static inline size_t dl_alnum_end(const unsigned char *t, size_t q, size_t len)
{
#ifdef DL_SCAN16
    for (unsigned m; q + 16 <= len; q += 16)
        if ((m = dl_alnum16((const char *)t + q)) != 0xFFFF)
            return q + (size_t)__builtin_ctz(~m);
#endif
    while (q < len && dl_is_alnum(t[q]))
        q++;
    return q;
}

/* A rule match before overlap resolution. */
typedef struct dl_candidate {
    size_t start, end;
    int rule;
    int priority;
    /* Group spans [start,end) by capture kind; start == end: absent. */
    size_t cap_start[DL_CAP__COUNT], cap_end[DL_CAP__COUNT];
} dl_candidate;

/* Caps per text: bad input (5,000 names, megabytes of quotes) costs bounded memory. */
#define DL_MAX_ENTITIES 2000
#define DL_MAX_MENTIONS 20000
#define DL_MAX_QUOTES 2000

/* A word of the text (see entities.c for the flags). */
typedef struct dl_tok {
    size_t start, end; /* the word, without a possessive 's */
    uint16_t flags;
    /* dl_lex_sig() of the word: the engine asks several lexicons about most
     * words, and the signature rejects most of them (dl_lexicon_get_sig) */
    uint16_t sig;
    uint32_t sent;     /* sentence index */
} dl_tok;

typedef enum { DL_M_NAME = 0, DL_M_ALIAS, DL_M_EPITHET, DL_M_PRONOUN } dl_mention_type;

/* A mention of an entity. */
typedef struct dl_mention {
    size_t start, end;
    int entity;       /* index into ex->ents, -1: none */
    uint8_t type;     /* dl_mention_type */
    uint8_t subject;  /* the subject of its sentence */
    uint8_t quoted;   /* inside a quotation */
    uint32_t sent;
    uint32_t tok;     /* first token */
} dl_mention;

/* An entity while it is being built. */
typedef struct dl_ent {
    dl_entity_kind kind;
    dl_span name;
    dl_span given, surname; /* persons: first and last word of the name */
    int age;
    char gender;
    int n_mentions;
    int full;               /* persons: named with two or more words */
    size_t last;            /* offset of its latest mention, for recency */
    size_t desc_first;      /* descriptors: a chain through ex->descs */
} dl_ent;

/* Where a quote's marks are: [open_mark, start) and [end, close_end). */
typedef struct dl_qwork {
    size_t open_mark, close_end;
    int cont; /* continues the previous quote in a new paragraph */
} dl_qwork;

typedef struct dl_desc {
    dl_span span;
    int entity;
} dl_desc;

/* A rule to try at a word start (extract.c, scan_rules). */
typedef struct dl_try {
    size_t pos;
    size_t rule;
} dl_try;

struct dl_extractor {
    const dl_rules *rules;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack; /* mctx's, NULL if none */
    size_t max_timexes;
    int no_jit;           /* some pattern is not JIT-compiled: no pcre2_jit_match */
    /* Scan plan (extract.c), bit sets over rules of `words` 64-bit words:
     * first[c * words ..] the rules whose matches can start with byte c,
     * no_dfa the rules the automaton leaves out. */
    size_t words;
    uint64_t *first, *no_dfa;
    /* The tries the scan found worth making, in text order, and sorted
     * by rule (then still in text order) to be made (scan_rules);
     * rule_start[] is make_tries()' scratch for the counting sort (where
     * each rule's tries go). */
    dl_try *tries, *by_rule;
    size_t n_tries, cap_tries, cap_by_rule;
    size_t *rule_start;
    dl_dfa *dfa;       /* the rules' automaton, built as the texts need it */
    uint64_t *mask;    /* scratch rule set: the rules to try at a word start */
    uint64_t *allowed; /* scratch rule set: what the automaton allows there */

    dl_sentence *sentences;
    size_t n_sentences, cap_sentences;
    dl_candidate *cands;
    size_t n_cands, cap_cands;
    dl_timex *timexes;
    size_t n_timexes, cap_timexes;
    dl_event *events;
    size_t n_events, cap_events;

    pcre2_match_data *amd; /* for anchored patterns (ages, cues) */
    dl_tok *toks;
    size_t n_toks, cap_toks;
    dl_mention *ments;
    size_t n_ments, cap_ments;
    dl_ent *ents;
    size_t n_ents, cap_ents;
    /* person_by_part()'s index (entities.c): the words persons are called
     * by alone (one-word name, surname, given name), chained by hash. */
    int *pidx_head; /* DL_PIDX_BUCKETS chain heads, -1 = empty */
    struct dl_pidx {
        uint32_t hash;
        int ent, pass, next;
    } *pidx;
    size_t n_pidx, cap_pidx;
    size_t pidx_ents; /* ents[0, pidx_ents) are in the index */
    /* The dl_lex_sig() bits of the words in the index: most words asked
     * about have none set, and need no hashing. */
    uint64_t pidx_sig[DL_LEX_SIG_WORDS];
    dl_desc *descs;
    size_t n_descs, cap_descs;
    int *sent_subject; /* per sentence: entity of its subject, -1 */
    size_t cap_sent_subject;
    dl_span *sent_subj_span; /* per sentence: its subject's words (any kind), or empty */
    size_t cap_sent_subj_span;
    dl_entity *entities;
    size_t n_published, cap_entities;
    dl_span *spans;
    size_t n_spans, cap_spans;
    dl_quote *quotes;
    size_t n_quotes, cap_quotes;
    dl_qwork *qwork;
    size_t cap_qwork;
    int pending_cont;
    size_t *ev_ents;
    size_t n_ev_ents, cap_ev_ents;
};

/** Grows @p *arr (of @p size-byte elements) to hold at least @p n + 1. */
int dl_grow(void **arr, size_t *cap, size_t n, size_t size);

/** Finds names and their entities (ex->ents, ex->ments in text order). */
int dl_entities_find(dl_extractor *ex, dl_slice text);

/** Sentence subjects, epithets, ages and descriptors (after dl_quotes_pair
 *  and dl_quotes_mark_mentions, so quoted words are never subjects). */
int dl_entities_link(dl_extractor *ex, dl_slice text);

/** Resolves a pronoun at @p pos ('m', 'f' or 0 for either) to an entity, -1 if unclear. */
int dl_entities_resolve_pronoun(dl_extractor *ex, size_t pos, char gender);

/** The entity a relative pronoun at @p pos stands for: the nearest mention
 *  before it in its sentence (a person first), -1 if none. */
int dl_entities_antecedent(dl_extractor *ex, size_t pos);

/** The entity a mention covering [start,end) refers to, -1 if none. */
int dl_entities_at(dl_extractor *ex, size_t start, size_t end);

/**
 * The first speech verb of sentence @p si before @p open_mark ("Trump said
 * at a rally that ..."), with its subject (a pronoun, a mention, capitalised
 * words or a determiner phrase; empty when there is none).
 * @returns 1 when a verb was found.
 */
int dl_entities_cue_before(dl_extractor *ex, dl_slice text, size_t si, size_t open_mark,
                           dl_span *subj, dl_span *cue);

/** Flags the words in [start, end) as quoted. */
void dl_entities_mark_quoted(dl_extractor *ex, size_t start, size_t end);

/** Pairs quotation marks into ex->quotes (speakers unknown yet). */
int dl_quotes_pair(dl_extractor *ex, dl_slice text);

/** Flags the mentions inside quotes. */
void dl_quotes_mark_mentions(dl_extractor *ex);

/** Finds each quote's cue and speaker (after dl_entities_link). */
int dl_quotes_attribute(dl_extractor *ex, dl_slice text);

/** Builds the public entity arrays (after quotes: speakers count as mentions). */
int dl_entities_publish(dl_extractor *ex, dl_slice text);

int dl_extractor_push_sentence(dl_extractor *ex, size_t start, size_t end);

/** Splits @p text into ex->sentences. */
int dl_sentences_split(dl_extractor *ex, dl_slice text);

/** Context a normaliser needs beyond the match itself. */
typedef struct dl_norm_ctx {
    const dl_dct *dct;
    const char *anchor;       /* value of the previous anchored timex, or NULL */
    const char *anchor_month; /* ... the previous one with a month (or finer) */
    const char *anchor_day;   /* ... the previous one with a day */
    const char *report_quarter; /* the quarter a report is about ("1989-Q2"), or NULL */
    /* the length of a reporting period of months ("For the nine months": "P9M") right
     * before, with no date or time since; else NULL */
    const char *months_period;
    /* The tense (-1 past, 0 unknown, 1 future) around the expression: read
     * it with dl_norm_tense(), which looks for the cues only on first use,
     * as most expressions (a year, a full date, a duration) never need it. */
    struct dl_tense_src *tense_src;
} dl_norm_ctx;

/** @brief The tense of @p ctx's expression: -1 past, 0 unknown, 1 future.
 *  @remark Computed on the first call for an expression, then cached. */
int dl_norm_tense(const dl_norm_ctx *ctx);

/**
 * @brief Computes value and mod of @p tx from candidate @p c.
 * @returns 0, or -1 when the match is not a valid expression (e.g. "February 30").
 */
int dl_normalise(const dl_rules *rules, const dl_rule *rule, const dl_candidate *c,
                 dl_slice text, const dl_norm_ctx *ctx, dl_timex *tx);

/** Moves @p value, a day ("1998-03-22" and nothing more), by @p days.
 *  @returns 0, or -1 (value untouched) when it is not a day. */
int dl_norm_shift_day(char *value, size_t size, int days);

/** The quarter @p value names ("1989-Q2" and nothing more) as year * 4 +
 *  quarter - 1, so that quarters compare and subtract as numbers.
 *  @returns that, or -1 when it is not a quarter. */
int dl_norm_quarter_index(const char *value);

/** Builds ex->events from the sentences and timexes. */
int dl_events_build(dl_extractor *ex, dl_slice text);

#endif

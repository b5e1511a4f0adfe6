/* Internal to pipeline/extract: the per-thread extractor state. */
#ifndef DL_EXTRACT_INT_H
#define DL_EXTRACT_INT_H

#include "rules_int.h"

/* A rule match before overlap resolution. */
typedef struct dl_candidate {
    size_t start, end;
    int rule;
    int priority;
    /* Group spans [start,end) by capture kind; start == end: absent. */
    size_t cap_start[DL_CAP__COUNT], cap_end[DL_CAP__COUNT];
} dl_candidate;

/* Probe cache slot (extract.c): previous byte + first word -> which rules
 * may match there. */
#define DL_PROBE_SLOTS 65536 /* a power of two */
#define DL_PROBE_KEY 27
typedef struct dl_probe_slot {
    uint32_t hash;
    uint8_t len; /* key length; 0x80: at the start of the text */
    unsigned char key[DL_PROBE_KEY];
} dl_probe_slot;

struct dl_extractor {
    const dl_rules *rules;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    size_t max_timexes;
    int no_jit;           /* some pattern is not JIT-compiled: no pcre2_jit_match */
    /* Scan plan (extract.c), bit sets over rules of `words` 64-bit words:
     * first[c * words ..] the rules whose matches can start with byte c,
     * noprobe the rules without a probe; resume[i] is where rule i may
     * match next in the current text. */
    size_t words;
    uint64_t *first, *noprobe;
    size_t *resume;
    /* Probe cache: slot i holds the key, then known and possible bit sets
     * at slot_bits[i * 2 * words ..]. */
    dl_probe_slot *slots;
    uint64_t *slot_bits;

    dl_sentence *sentences;
    size_t n_sentences, cap_sentences;
    dl_candidate *cands;
    size_t n_cands, cap_cands;
    dl_timex *timexes;
    size_t n_timexes, cap_timexes;
    dl_event *events;
    size_t n_events, cap_events;
};

int dl_extractor_push_sentence(dl_extractor *ex, size_t start, size_t end);

/** Splits @p text into ex->sentences. */
int dl_sentences_split(dl_extractor *ex, dl_slice text);

/** Context a normaliser needs beyond the match itself. */
typedef struct dl_norm_ctx {
    const dl_dct *dct;
    const char *anchor;       /* value of the previous anchored timex, or NULL */
    const char *anchor_month; /* ... the previous one with a month (or finer) */
    const char *anchor_day;   /* ... the previous one with a day */
    int tense;          /* -1 past, 0 unknown, 1 future (of the sentence) */
} dl_norm_ctx;

/**
 * @brief Computes value and mod of @p tx from candidate @p c.
 * @returns 0, or -1 when the match is not a valid expression (e.g. "February 30").
 */
int dl_normalise(const dl_rules *rules, const dl_rule *rule, const dl_candidate *c,
                 dl_slice text, const dl_norm_ctx *ctx, dl_timex *tx);

/** Builds ex->events from the sentences and timexes. */
int dl_events_build(dl_extractor *ex, dl_slice text);

#endif

/* Internal to pipeline/extract: the rule scan's filter on required words
 * (wordreq.c). Per rule, the words its matches need (required.h); per
 * article, where those words begin; at a word start, whether each rule's
 * words begin close enough after it for a match to reach them. */
#ifndef DL_WORDREQ_H
#define DL_WORDREQ_H

#include <stddef.h>
#include <stdint.h>

#include "required.h"
#include "rules_int.h"

#define DL_WORDREQ_BUCKETS 4096 /* word chains, by the word's first 3 bytes */

typedef struct dl_occ {
    size_t set, pos;
} dl_occ;

/* The rules' words, built once with the rules (dl_rules.wordtab) and
 * read-only after: the distinct words (chained by their first bytes), the
 * distinct sets, the sets each word is in, each rule's sets. */
typedef struct dl_wordtab {
    size_t n_words, n_sets, n_rules;
    size_t words; /* 64-bit words of a rule bit set */
    char (*word)[DL_REQ_WORD];
    uint8_t *wlen;
    uint16_t head[DL_WORDREQ_BUCKETS];     /* word index + 1, 0: none */
    uint64_t key[DL_WORDREQ_BUCKETS / 64]; /* head[] not empty */
    uint16_t *next;
    size_t *wset_start, *wsets;
    uint32_t (*rule_set)[DL_REQ_SETS];
    uint8_t (*rule_req)[DL_REQ_SETS]; /* each of those sets' index in the rule's dl_required */
    uint8_t *rule_nsets;
    const dl_required *reqs;
    uint64_t *has; /* the rules with sets, a bit set */
} dl_wordtab;

/** Builds the word table of @p r's rules into *@p out; 0 or DL_ENOMEM. A
 *  set holding a word of @p common (may be NULL) is left out: such words
 *  are in nearly every article, often several times a sentence, and
 *  noting where each one begins cost more than the set saved. */
int dl_wordtab_new(const dl_rules *r, const dl_lexicon *common, dl_wordtab **out);
void dl_wordtab_free(dl_wordtab *tab);

/* An extractor's: where each set's words begin in the article (pos[
 * set_start[s] .. set_start[s + 1])), each set's cursor; the rules a word
 * of the article cannot satisfy (drop), and those whose rarer sets (act)
 * are worth a look at each word start (check), with how far from the
 * match's start their words may begin (at). */
typedef struct dl_wordreq {
    const dl_wordtab *tab;
    dl_occ *occ;
    size_t n_occ, cap_occ;
    size_t *pos, cap_pos;
    size_t *set_start, *cur;
    size_t *nxt; /* per set: pos[cur], the next word at or after the scan (SIZE_MAX: none) */
    uint64_t *drop, *check;
    uint64_t *block;  /* rules to check out of reach of the current block */
    size_t block_end; /* where the current block ends */
    struct dl_wordreq_rule {
        unsigned n_act;
        uint32_t act[DL_REQ_SETS];
        size_t at[DL_REQ_SETS];
    } *rule;
} dl_wordreq;

/** Allocates the per-article arrays for the rules of @p tab. */
int dl_wordreq_init(dl_wordreq *wr, const dl_wordtab *tab);
void dl_wordreq_fini(dl_wordreq *wr);

/** Indexes the text of an article; the cursors start at its beginning. */
int dl_wordreq_index(dl_wordreq *wr, const unsigned char *t, size_t len);

/** Frees the per-article arrays past @p keep bytes. */
void dl_wordreq_shed(dl_wordreq *wr, size_t keep);

/* Whether rule @p r (one to check) may match at @p p, or @p slack bytes
 * after it: each of its sets to check has a word beginning in [p, p + at
 * + slack]. Positions must not decrease from one call to the next within
 * an article (cursors only move on). */
static inline int dl_wordreq_ok(dl_wordreq *wr, size_t r, size_t p, size_t slack)
{
    const struct dl_wordreq_rule *ru = &wr->rule[r];

    for (unsigned k = 0; k < ru->n_act; k++) {
        size_t s = ru->act[k];
        if (wr->nxt[s] < p) {
            size_t c = wr->cur[s], e = wr->set_start[s + 1];
            while (c < e && wr->pos[c] < p)
                c++;
            wr->cur[s] = c;
            wr->nxt[s] = c < e ? wr->pos[c] : SIZE_MAX;
        }
        if (wr->nxt[s] - p > ru->at[k] + slack) /* (none: SIZE_MAX - p is more) */
            return 0;
    }
    return 1;
}

/** Works out `block` for the block of word start @p p (wordreq.c). */
void dl_wordreq_block(dl_wordreq *wr, size_t p);

/* Drops from rule set @p mask (@p w words) at word start @p p the rules
 * the article's words cannot satisfy anywhere, and those to check whose
 * words are out of reach of the whole block of text @p p is in: a test
 * per block, where dl_wordreq_filter() makes one per rule and word. Word
 * starts must not decrease from one call to the next within an article. */
static inline void dl_wordreq_drop(dl_wordreq *wr, size_t w, size_t p, uint64_t *mask)
{
    if (p >= wr->block_end)
        dl_wordreq_block(wr, p);
    for (size_t k = 0; k < w; k++)
        mask[k] &= ~(wr->drop[k] | wr->block[k]);
}

/* Narrows rule set @p mask (@p w words) at word start @p p to the rules
 * whose words begin close enough after it. */
static inline void dl_wordreq_filter(dl_wordreq *wr, size_t w, size_t p, uint64_t *mask)
{
    for (size_t k = 0; k < w; k++)
        for (uint64_t m = mask[k] & wr->check[k]; m; m &= m - 1)
            if (!dl_wordreq_ok(wr, k * 64 + (size_t)__builtin_ctzll(m), p, 0))
                mask[k] &= ~(m & -m);
}

#endif

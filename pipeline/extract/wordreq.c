/*
 * The rule scan's filter on required words (wordreq.h).
 *
 * Many rules begin with a word that says little ("three", "the", "less
 * than") and need a rarer one further on ("ago", "century", a month):
 * after the first two words pass their probes (extract.c), most of their
 * tries fail there. Before the scan, one pass over the article notes
 * where each rule's required words (required.c) begin; at a word start
 * the scan then drops the rules whose words do not begin within the
 * reach of a match from there. The reach comes from the pattern, with the
 * article's longest run of non-word bytes and longest word standing for
 * unbounded repeats (\s+, \d+). The filter only drops rules that cannot
 * match, so the matches found are the same.
 */
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"
#include "wordreq.h"

/* The bucket of a word by its first three bytes, letters or digits: | 0x20
 * lowers a letter and leaves a digit as it is. */
static inline uint32_t key_hash(const unsigned char *w)
{
    uint32_t k = ((uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16) | 0x202020u;

    return (k * 2654435761u) >> 20; /* 12 bits: DL_WORDREQ_BUCKETS */
}
_Static_assert(DL_WORDREQ_BUCKETS == 4096, "key_hash() gives 12 bits");

/* The index of word @p w among those of the sets so far, or SIZE_MAX. */
static size_t word_id(const dl_wordtab *tab, const char *w)
{
    for (size_t i = 0; i < tab->n_words; i++)
        if (!strcmp(tab->word[i], w))
            return i;
    return SIZE_MAX;
}

/* The index of the set of @p n word ids (sorted) among @p n_sets, or SIZE_MAX. */
static size_t set_id(const size_t *ids, size_t n, size_t **sets, size_t *set_n, size_t n_sets)
{
    for (size_t s = 0; s < n_sets; s++)
        if (set_n[s] == n && !memcmp(sets[s], ids, n * sizeof(*ids)))
            return s;
    return SIZE_MAX;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return x < y ? -1 : x > y;
}

/* Whether set @p st holds a word of @p common (NULL: none does). */
static int holds_common(const dl_req_set *st, const dl_lexicon *common)
{
    for (int j = 0; common && j < st->n; j++)
        if (dl_lexicon_get(common, st->w[j], strlen(st->w[j])))
            return 1;
    return 0;
}

int dl_wordtab_new(const dl_rules *r, const dl_lexicon *common, dl_wordtab **out)
{
    size_t max_sets = r->n_rules * DL_REQ_SETS, max_words = max_sets * DL_REQ_WORDS;
    size_t **sets = NULL, *set_n = NULL, *count = NULL, words = dl_rules_words(r);
    dl_wordtab *tab = calloc(1, sizeof(*tab));
    int rc = DL_ENOMEM;

    *out = NULL;
    if (!tab)
        return DL_ENOMEM;
    tab->reqs = r->reqs;
    tab->words = words;
    tab->n_rules = r->n_rules;
    if (!(tab->word = calloc(max_words + 1, sizeof(*tab->word))) ||
        !(tab->wlen = calloc(max_words + 1, 1)) ||
        !(tab->next = calloc(max_words + 1, sizeof(*tab->next))) ||
        !(tab->rule_set = calloc(r->n_rules + 1, sizeof(*tab->rule_set))) ||
        !(tab->rule_req = calloc(r->n_rules + 1, sizeof(*tab->rule_req))) ||
        !(tab->rule_nsets = calloc(r->n_rules + 1, 1)) ||
        !(tab->has = calloc(words ? words : 1, sizeof(*tab->has))) ||
        !(sets = calloc(max_sets + 1, sizeof(*sets))) ||
        !(set_n = calloc(max_sets + 1, sizeof(*set_n))))
        goto out;
    for (size_t i = 0; i < r->n_rules; i++) {
        const dl_required *rq = &r->reqs[i];
        /* (word indexes are 16 bits: past that, rules go unfiltered) */
        if (!r->rules[i].re_at || !rq->n_sets ||
            tab->n_words + DL_REQ_SETS * DL_REQ_WORDS >= UINT16_MAX)
            continue;
        for (int k = 0; k < rq->n_sets; k++) {
            size_t ids[DL_REQ_WORDS], n = (size_t)rq->sets[k].n, s;
            if (holds_common(&rq->sets[k], common))
                continue;
            for (size_t j = 0; j < n; j++) {
                const char *w = rq->sets[k].w[j];
                if ((ids[j] = word_id(tab, w)) == SIZE_MAX) {
                    ids[j] = tab->n_words;
                    strcpy(tab->word[tab->n_words], w);
                    tab->wlen[tab->n_words++] = (uint8_t)strlen(w);
                }
            }
            qsort(ids, n, sizeof(*ids), cmp_size);
            if ((s = set_id(ids, n, sets, set_n, tab->n_sets)) == SIZE_MAX) {
                if (!(sets[tab->n_sets] = malloc(n * sizeof(*ids))))
                    goto out;
                memcpy(sets[tab->n_sets], ids, n * sizeof(*ids));
                set_n[s = tab->n_sets++] = n;
            }
            tab->rule_req[i][tab->rule_nsets[i]] = (uint8_t)k;
            tab->rule_set[i][tab->rule_nsets[i]++] = (uint32_t)s;
        }
        if (tab->rule_nsets[i])
            tab->has[i / 64] |= 1ull << (i % 64);
    }
    /* (room was made for every word of every set; most repeat) */
    {
        char(*nw)[DL_REQ_WORD] = realloc(tab->word, (tab->n_words + 1) * sizeof(*tab->word));
        if (nw)
            tab->word = nw;
    }
    /* chains of words by their first three bytes (each has three or more) */
    for (size_t i = tab->n_words; i-- > 0;) {
        uint32_t h = key_hash((const unsigned char *)tab->word[i]);
        tab->next[i] = tab->head[h];
        tab->head[h] = (uint16_t)(i + 1);
        tab->key[h / 64] |= 1ull << (h % 64);
    }
    /* the sets of each word */
    if (!(count = calloc(tab->n_words + 1, sizeof(*count))) ||
        !(tab->wset_start = calloc(tab->n_words + 1, sizeof(*tab->wset_start))))
        goto out;
    for (size_t s = 0; s < tab->n_sets; s++)
        for (size_t j = 0; j < set_n[s]; j++)
            tab->wset_start[sets[s][j] + 1]++;
    for (size_t i = 1; i <= tab->n_words; i++)
        tab->wset_start[i] += tab->wset_start[i - 1];
    if (!(tab->wsets = calloc(tab->wset_start[tab->n_words] + 1, sizeof(*tab->wsets))))
        goto out;
    for (size_t s = 0; s < tab->n_sets; s++)
        for (size_t j = 0; j < set_n[s]; j++) {
            size_t wd = sets[s][j];
            tab->wsets[tab->wset_start[wd] + count[wd]++] = s;
        }
    *out = tab;
    tab = NULL;
    rc = 0;
out:
    for (size_t s = 0; sets && s < max_sets && sets[s]; s++)
        free(sets[s]);
    free(sets);
    free(set_n);
    free(count);
    dl_wordtab_free(tab);
    return rc;
}

void dl_wordtab_free(dl_wordtab *tab)
{
    if (!tab)
        return;
    free(tab->word);
    free(tab->wlen);
    free(tab->next);
    free(tab->wset_start);
    free(tab->wsets);
    free(tab->rule_set);
    free(tab->rule_req);
    free(tab->rule_nsets);
    free(tab->has);
    free(tab);
}

int dl_wordreq_init(dl_wordreq *wr, const dl_wordtab *tab)
{
    size_t words = tab->words ? tab->words : 1;

    memset(wr, 0, sizeof(*wr));
    wr->tab = tab;
    if (!(wr->rule = calloc(tab->n_rules + 1, sizeof(*wr->rule))) ||
        !(wr->drop = calloc(words, sizeof(*wr->drop))) ||
        !(wr->check = calloc(words, sizeof(*wr->check))) ||
        !(wr->block = calloc(words, sizeof(*wr->block))) ||
        !(wr->set_start = calloc(tab->n_sets + 1, sizeof(*wr->set_start))) ||
        !(wr->cur = calloc(tab->n_sets + 1, sizeof(*wr->cur))) ||
        !(wr->nxt = calloc(tab->n_sets + 1, sizeof(*wr->nxt))))
        return DL_ENOMEM;
    return 0;
}

void dl_wordreq_fini(dl_wordreq *wr)
{
    free(wr->rule);
    free(wr->drop);
    free(wr->check);
    free(wr->block);
    free(wr->occ);
    free(wr->pos);
    free(wr->set_start);
    free(wr->cur);
    free(wr->nxt);
}

void dl_wordreq_shed(dl_wordreq *wr, size_t keep)
{
    if (wr->cap_occ * sizeof(*wr->occ) > keep) {
        free(wr->occ);
        wr->occ = NULL;
        wr->cap_occ = 0;
    }
    if (wr->cap_pos * sizeof(*wr->pos) > keep) {
        free(wr->pos);
        wr->pos = NULL;
        wr->cap_pos = 0;
    }
}

/* Whether the word of @p n bytes at @p t begins with word @p i. */
static int begins_with(const dl_wordtab *tab, size_t i, const unsigned char *t, size_t n)
{
    if (tab->wlen[i] > n)
        return 0;
    for (size_t k = 0; k < tab->wlen[i]; k++)
        if (dl_lower(t[k]) != (unsigned char)tab->word[i][k])
            return 0;
    return 1;
}

/* The number of words of set @p s in the article. */
static size_t set_count(const dl_wordreq *wr, size_t s)
{
    return wr->set_start[s + 1] - wr->set_start[s];
}

/* @p r in bytes, for an article of longest gap @p gap and word @p longest. */
static size_t reach_bytes(const dl_reach *r, size_t gap, size_t longest)
{
    return r->inf ? SIZE_MAX : r->fixed + r->gaps * gap + r->words * longest;
}

/*
 * Per rule, for the article of @p len bytes (@p gap its longest run of
 * non-word bytes, @p longest its longest word): dropped when a set has no
 * word in it; else checked at each word start against the sets whose
 * words are rare enough, on average more than DL_WORDREQ_SPARSE times
 * their reach apart (a set of common words, "the", passes nearly always,
 * and looking costs more than it saves), rarest first. A set whose words
 * begin where the match does says nothing the word's probes did not.
 */
#define DL_WORDREQ_SPARSE 2
static void plan_rules(dl_wordreq *wr, size_t len, size_t gap, size_t longest)
{
    const dl_wordtab *tab = wr->tab;

    memset(wr->drop, 0, tab->words * sizeof(*wr->drop));
    memset(wr->check, 0, tab->words * sizeof(*wr->check));
    for (size_t r = 0; r < tab->n_rules; r++) {
        const dl_required *rq = &tab->reqs[r];
        struct dl_wordreq_rule *ru = &wr->rule[r];
        uint64_t bit = 1ull << (r % 64);
        if (!(tab->has[r / 64] & bit))
            continue;
        ru->n_act = 0;
        for (unsigned k = 0; k < tab->rule_nsets[r]; k++) {
            size_t s = tab->rule_set[r][k], n = set_count(wr, s), j;
            size_t at = reach_bytes(&rq->sets[tab->rule_req[r][k]].at, gap, longest);
            if (!n) {
                wr->drop[r / 64] |= bit;
                break;
            }
            if (!at || at == SIZE_MAX || len / n <= DL_WORDREQ_SPARSE * at)
                continue;
            for (j = ru->n_act++; j > 0 && set_count(wr, ru->act[j - 1]) > n; j--) {
                ru->act[j] = ru->act[j - 1];
                ru->at[j] = ru->at[j - 1];
            }
            ru->act[j] = (uint32_t)s;
            ru->at[j] = at;
        }
        if (!(wr->drop[r / 64] & bit) && ru->n_act)
            wr->check[r / 64] |= bit;
    }
}

/* Blocks of text the scan drops rules for at once (dl_wordreq_drop()). */
#define DL_WORDREQ_BLOCK 256

void dl_wordreq_block(dl_wordreq *wr, size_t p)
{
    size_t last = (p | (DL_WORDREQ_BLOCK - 1)); /* the block's last byte */

    for (size_t k = 0; k < wr->tab->words; k++) {
        wr->block[k] = 0;
        for (uint64_t m = wr->check[k]; m; m &= m - 1)
            if (!dl_wordreq_ok(wr, k * 64 + (size_t)__builtin_ctzll(m), p, last - p))
                wr->block[k] |= m & -m;
    }
    wr->block_end = last + 1;
}

/* Bit k set where byte k of the 16 at @p p is [A-Za-z0-9]. */
static inline unsigned alnum_mask16(const unsigned char *p)
{
#ifdef DL_SCAN16
    return dl_alnum16((const char *)p);
#else
    unsigned m = 0;
    for (unsigned k = 0; k < 16; k++)
        m |= (unsigned)dl_is_alnum(p[k]) << k;
    return m;
#endif
}

/* Whether a word of @p n bytes at @p w may begin with a required word:
 * most words do not, and one bit of a small table tells (inlined in the
 * pass; head[] is 16 times larger). */
static inline int may_note(const dl_wordreq *wr, const unsigned char *w, size_t n)
{
    return n >= 3 && (wr->tab->key[key_hash(w) / 64] >> (key_hash(w) % 64) & 1);
}

/* Notes the sets of the required words the word of @p n bytes at @p s
 * begins with. */
static __attribute__((noinline)) int note_word(dl_wordreq *wr, const unsigned char *t, size_t s,
                                               size_t n)
{
    const dl_wordtab *tab = wr->tab;

    for (size_t w = tab->head[key_hash(t + s)]; w; w = tab->next[w - 1]) {
        if (!begins_with(tab, w - 1, t + s, n))
            continue;
        for (size_t k = tab->wset_start[w - 1]; k < tab->wset_start[w]; k++) {
            if (wr->n_occ == wr->cap_occ &&
                dl_grow((void **)&wr->occ, &wr->cap_occ, wr->n_occ, sizeof(*wr->occ)))
                return DL_ENOMEM;
            wr->occ[wr->n_occ++] = (dl_occ){tab->wsets[k], s};
        }
    }
    return 0;
}

/*
 * One pass over the article, 16 bytes at a time: the edges of its words
 * (where a run of [A-Za-z0-9] begins or ends) are the bits that differ
 * from the byte before, taken one by one; a word is looked at where it
 * ends, its length known. A last chunk shorter than 16 bytes is padded
 * with non-word bytes.
 */
int dl_wordreq_index(dl_wordreq *wr, const unsigned char *t, size_t len)
{
    size_t n_sets = wr->tab->n_sets;
    size_t gap = 0, longest = 0, edge = 0; /* where the current run began */
    unsigned carry = 0;                    /* the byte before the chunk is a word's */
    int in_word = 0, rc;

    wr->n_occ = 0;
    if (!n_sets)
        return 0; /* (drop and check stay empty) */
    for (size_t q = 0; q < len; q += 16) {
        const unsigned char *c = t + q;
        unsigned char pad[16];
        unsigned m, edges;
        if (len - q < 16) {
            memset(pad, 0, sizeof(pad));
            memcpy(pad, c, len - q);
            c = pad;
        }
        m = alnum_mask16(c);
        edges = (m ^ (m << 1 | carry)) & 0xFFFF;
        carry = m >> 15;
        for (; edges; edges &= edges - 1) {
            size_t at = q + (size_t)__builtin_ctz(edges);
            if (!in_word) {
                if (at - edge > gap)
                    gap = at - edge;
            } else {
                if (at - edge > longest)
                    longest = at - edge;
                if (may_note(wr, t + edge, at - edge) && (rc = note_word(wr, t, edge, at - edge)))
                    return rc;
            }
            in_word = !in_word;
            edge = at;
        }
    }
    /* the run the text ends in */
    if (in_word) {
        if (len - edge > longest)
            longest = len - edge;
        if (may_note(wr, t + edge, len - edge) && (rc = note_word(wr, t, edge, len - edge)))
            return rc;
    } else if (len - edge > gap) {
        gap = len - edge;
    }
    /* by set, each in text order (a stable counting sort) */
    if (wr->n_occ && dl_grow((void **)&wr->pos, &wr->cap_pos, wr->n_occ - 1, sizeof(*wr->pos)))
        return DL_ENOMEM;
    memset(wr->set_start, 0, (n_sets + 1) * sizeof(*wr->set_start));
    for (size_t k = 0; k < wr->n_occ; k++)
        wr->set_start[wr->occ[k].set + 1]++;
    for (size_t s = 1; s <= n_sets; s++)
        wr->set_start[s] += wr->set_start[s - 1];
    memcpy(wr->cur, wr->set_start, n_sets * sizeof(*wr->cur));
    for (size_t k = 0; k < wr->n_occ; k++)
        wr->pos[wr->cur[wr->occ[k].set]++] = wr->occ[k].pos;
    memcpy(wr->cur, wr->set_start, n_sets * sizeof(*wr->cur));
    for (size_t st = 0; st < n_sets; st++)
        wr->nxt[st] = wr->set_start[st] < wr->set_start[st + 1] ? wr->pos[wr->set_start[st]] : SIZE_MAX;
    plan_rules(wr, len, gap, longest);
    wr->block_end = 0; /* the first word start works out its block */
    return 0;
}

/*
 * The extraction engine: run every rule over the text, keep the longest
 * non-overlapping matches, normalise them in text order (so anaphors see
 * the previous anchor), then derive the timeline.
 */
#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"

/* Bounds backtracking per match attempt: a pathological input costs a
 * skipped position, never super-linear time. */
#define DL_MATCH_LIMIT 100000

const char *dl_timex_type_name(dl_timex_type type)
{
    static const char *const names[] = {"DATE", "TIME", "DURATION", "SET"};

    return (unsigned)type < 4 ? names[type] : "DATE";
}

const char *dl_resolution_name(dl_resolution res)
{
    static const char *const names[] = {"day",    "week", "month",  "quarter", "half",
                                        "season", "year", "decade", "century"};

    return (unsigned)res < sizeof(names) / sizeof(names[0]) ? names[res] : "day";
}

/* Bytes a match of @p re can start with, added to @p set (all 256 when
 * PCRE2 cannot tell). */
static void first_bytes(const pcre2_code *re, uint8_t set[256])
{
    uint32_t type = 0, unit, opts = 0;
    const uint8_t *bits = NULL;

    pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type);
    pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &opts);
    if (type == 1 && pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0 && unit < 256) {
        set[unit] = 1;
        if ((opts & PCRE2_CASELESS) && ((unit | 0x20) >= 'a' && (unit | 0x20) <= 'z'))
            set[unit ^ 0x20] = 1;
        return;
    }
    if (type == 0 && pcre2_pattern_info(re, PCRE2_INFO_FIRSTBITMAP, &bits) == 0 && bits) {
        for (int c = 0; c < 256; c++)
            if (bits[c / 8] & (1u << (c % 8)))
                set[c] = 1;
        return;
    }
    memset(set, 1, 256);
}

/* The scan plan: per byte, the rules whose matches can start with it; the
 * rules the automaton leaves out; the automaton's DFA (see scan_rules). */
static int build_plan(dl_extractor *ex)
{
    const dl_rules *r = ex->rules;
    size_t w = dl_rules_words(r);
    uint8_t set[256];

    ex->words = w;
    if (!w)
        w = 1;
    if (!(ex->first = calloc(256 * w, sizeof(*ex->first))) ||
        !(ex->no_dfa = calloc(w, sizeof(*ex->no_dfa))) ||
        !(ex->mask = calloc(w, sizeof(*ex->mask))) ||
        !(ex->allowed = calloc(w, sizeof(*ex->allowed))) ||
        !(ex->rule_start = calloc(r->n_rules + 1, sizeof(*ex->rule_start))) ||
        !(ex->dfa = dl_dfa_new(r->nfa, w)))
        return DL_ENOMEM;
    w = ex->words;
    for (size_t i = 0; i < r->n_rules; i++) {
        uint64_t bit = 1ull << (i % 64);
        if (!r->rules[i].re_at)
            continue;
        memset(set, 0, sizeof(set));
        first_bytes(r->rules[i].re, set);
        for (int c = 0; c < 256; c++)
            if (set[c])
                ex->first[c * w + i / 64] |= bit;
        if (r->rules[i].no_dfa)
            ex->no_dfa[i / 64] |= bit;
    }
    return 0;
}

dl_extractor *dl_extractor_new(const dl_rules *rules, dl_err *err)
{
    dl_extractor *ex = calloc(1, sizeof(*ex));
    uint32_t max_groups = 1;

    if (!ex)
        goto oom;
    ex->rules = rules;
    for (size_t i = 0; i < rules->n_rules; i++) {
        uint32_t n;
        pcre2_pattern_info(rules->rules[i].re, PCRE2_INFO_CAPTURECOUNT, &n);
        if (n + 1 > max_groups)
            max_groups = n + 1;
        if (!dl_re_has_jit(rules->rules[i].re_at ? rules->rules[i].re_at : rules->rules[i].re))
            ex->no_jit = 1;
    }
    {
        const pcre2_code *cues[] = {rules->future_cue, rules->past_cue, rules->scheduled_cue};
        for (size_t i = 0; i < sizeof(cues) / sizeof(cues[0]); i++)
            if (cues[i] && !dl_re_has_jit(cues[i]))
                ex->no_jit = 1;
    }
    if (!(ex->md = pcre2_match_data_create(max_groups, NULL)))
        goto oom;
    if (!(ex->mctx = pcre2_match_context_create(NULL)))
        goto oom;
    {
        const dl_apatterns *aps[] = {&rules->age_after, &rules->age_before, &rules->cue_after,
                                     &rules->cue_before};
        uint32_t amax = 1;
        for (size_t k = 0; k < 4; k++)
            for (size_t i = 0; i < aps[k]->n; i++) {
                uint32_t n;
                pcre2_pattern_info(aps[k]->v[i].re, PCRE2_INFO_CAPTURECOUNT, &n);
                if (n + 1 > amax)
                    amax = n + 1;
            }
        if (!(ex->amd = pcre2_match_data_create(amax, NULL)))
            goto oom;
    }
    pcre2_set_match_limit(ex->mctx, DL_MATCH_LIMIT);
    /* Without a JIT stack, every pcre2_jit_match() sets up 32 KiB of the
     * machine stack for the match, a good part of what a short match (most
     * tries) costs. One of the same fixed size has the same limit, so the
     * same results; without one (no JIT support) matches run as before. */
    if ((ex->jit_stack = pcre2_jit_stack_create(32768, 32768, NULL)))
        pcre2_jit_stack_assign(ex->mctx, NULL, ex->jit_stack);
    if (build_plan(ex))
        goto oom;
    return ex;
oom:
    dl_extractor_free(ex);
    dl_err_set(err, DL_ENOMEM, "out of memory");
    return NULL;
}

void dl_extractor_free(dl_extractor *ex)
{
    if (!ex)
        return;
    pcre2_match_data_free(ex->md);
    pcre2_match_context_free(ex->mctx);
    pcre2_jit_stack_free(ex->jit_stack);
    free(ex->first);
    free(ex->no_dfa);
    free(ex->mask);
    free(ex->allowed);
    free(ex->tries);
    free(ex->by_rule);
    free(ex->rule_start);
    dl_dfa_free(ex->dfa);
    free(ex->sentences);
    free(ex->cands);
    free(ex->timexes);
    free(ex->events);
    pcre2_match_data_free(ex->amd);
    free(ex->toks);
    free(ex->ments);
    free(ex->ents);
    free(ex->pidx_head);
    free(ex->pidx);
    free(ex->descs);
    free(ex->sent_subject);
    free(ex->sent_subj_span);
    free(ex->entities);
    free(ex->spans);
    free(ex->quotes);
    free(ex->qwork);
    free(ex->ev_ents);
    free(ex);
}

void dl_extractor_set_limit(dl_extractor *ex, size_t max_timexes)
{
    ex->max_timexes = max_timexes;
}

int dl_extractor_push_sentence(dl_extractor *ex, size_t start, size_t end)
{
    if (dl_grow((void **)&ex->sentences, &ex->cap_sentences, ex->n_sentences,
             sizeof(*ex->sentences)))
        return DL_ENOMEM;
    ex->sentences[ex->n_sentences++] = (dl_sentence){start, end};
    return 0;
}

/* Records the match in ex->md (rc from pcre2_match) as a candidate of rule @p ri. */
static int add_candidate(dl_extractor *ex, int ri, int rc)
{
    const dl_rule *rule = &ex->rules->rules[ri];
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ex->md);
    dl_candidate *c;

    if (dl_grow((void **)&ex->cands, &ex->cap_cands, ex->n_cands, sizeof(*ex->cands)))
        return DL_ENOMEM;
    c = &ex->cands[ex->n_cands++];
    memset(c, 0, sizeof(*c));
    c->start = ov[0];
    c->end = ov[1];
    c->rule = ri;
    c->priority = rule->priority;
    for (int k = 0; k < rule->n_caps; k++) {
        int g = rule->caps[k].group;
        if (g < rc && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] > ov[2 * g]) {
            c->cap_start[rule->caps[k].cap] = ov[2 * g];
            c->cap_end[rule->caps[k].cap] = ov[2 * g + 1];
        }
    }
    return 0;
}

/* Every non-overlapping match of one rule, left to right: the path for a
 * rule without an anchored copy. */
static int match_rule(dl_extractor *ex, int ri, dl_slice text)
{
    const dl_rule *rule = &ex->rules->rules[ri];
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ex->md);
    size_t pos = 0;
    int rc;

    while (pos <= text.len) {
        rc = pcre2_match(rule->re, (PCRE2_SPTR)text.p, text.len, pos, 0, ex->md, ex->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            /* Match limit or similar: give up on this position only. */
            pos++;
            continue;
        }
        if (ov[1] > ov[0] && (rc = add_candidate(ex, ri, rc)))
            return rc;
        pos = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return 0;
}

/* [A-Za-z0-9], the word bytes of the whole-word wrapper (extract_int.h). */
const unsigned char dl_alnum_tab[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1};

/* Tries rule @p ri anchored at @p p; a match becomes a candidate, and
 * *@p end is set to its end (else left alone). */
static int try_rule(dl_extractor *ex, int ri, dl_slice text, size_t p, size_t *end)
{
    const pcre2_code *re = ex->rules->rules[ri].re_at;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ex->md);
    int rc;

    rc = ex->no_jit ? pcre2_match(re, (PCRE2_SPTR)text.p, text.len, p, 0, ex->md, ex->mctx)
                    : pcre2_jit_match(re, (PCRE2_SPTR)text.p, text.len, p, 0, ex->md, ex->mctx);
    if (rc < 0 || ov[1] <= ov[0])
        return 0; /* no match here (or the match limit): next position */
    if ((rc = add_candidate(ex, ri, rc)))
        return rc;
    *end = ov[1];
    return 0;
}

/* Defers the tries of rule set @p mask (@p w words) at word start @p p. */
static int defer_tries(dl_extractor *ex, size_t w, size_t p, const uint64_t *mask)
{
    for (size_t k = 0; k < w; k++) {
        for (uint64_t m = mask[k]; m; m &= m - 1) {
            if (dl_grow((void **)&ex->tries, &ex->cap_tries, ex->n_tries, sizeof(*ex->tries)))
                return DL_ENOMEM;
            ex->tries[ex->n_tries++] = (dl_try){p, k * 64 + (size_t)__builtin_ctzll(m)};
        }
    }
    return 0;
}

/*
 * Makes the deferred tries rule by rule, each rule's left to right, not
 * position by position: one rule's JIT code and tables stay in the caches
 * over its tries. Position by position every try ran a different rule's
 * code, cold: on T17 a try cost three times what the same try costs right
 * after another of its rule. A rule is not tried inside its own last match
 * (the non-overlapping matches of a left-to-right search).
 */
static int make_tries(dl_extractor *ex, dl_slice text)
{
    size_t n_rules = ex->rules->n_rules, *start = ex->rule_start, resume = 0;
    int rc;

    if (!ex->n_tries)
        return 0;
    if (dl_grow((void **)&ex->by_rule, &ex->cap_by_rule, ex->n_tries - 1, sizeof(*ex->by_rule)))
        return DL_ENOMEM;
    /* A counting sort: stable, so each rule's tries stay in text order. */
    memset(start, 0, (n_rules + 1) * sizeof(*start));
    for (size_t i = 0; i < ex->n_tries; i++)
        start[ex->tries[i].rule + 1]++;
    for (size_t r = 1; r <= n_rules; r++)
        start[r] += start[r - 1];
    for (size_t i = 0; i < ex->n_tries; i++)
        ex->by_rule[start[ex->tries[i].rule]++] = ex->tries[i];
    for (size_t i = 0; i < ex->n_tries; i++) {
        const dl_try *tr = &ex->by_rule[i];
        if (i > 0 && tr->rule != tr[-1].rule)
            resume = 0;
        if (tr->pos >= resume && (rc = try_rule(ex, (int)tr->rule, text, tr->pos, &resume)))
            return rc;
    }
    return 0;
}

/*
 * One pass over the text drives every rule. Rules match whole words only
 * (rules.c wraps them in (?<![A-Za-z0-9])...), so a match starts only where
 * no letter or digit precedes: a word start. There, only the rules whose
 * first byte fits are candidates, and of those only the ones the rules'
 * automaton (automaton.h) can match from there are tried, anchored. The
 * automaton reads the bytes from the word start until no rule is left
 * (mostly two or three bytes into the next word), one table look-up a
 * byte. The tries are made after the scan, rule by rule (make_tries). Per
 * rule the result is what a left-to-right search for non-overlapping
 * matches finds.
 */
static inline __attribute__((always_inline)) int scan_words(dl_extractor *ex, dl_slice text,
                                                            size_t w);

static int scan_rules(dl_extractor *ex, dl_slice text)
{
    const dl_rules *r = ex->rules;
    size_t w = ex->words;
    int rc;

#ifdef DL_EXTRACT_REFERENCE
    /* The plain reference: every rule searches the whole text on its own
     * (build with -DDL_EXTRACT_REFERENCE to check the scan against it). */
    for (size_t i = 0; i < r->n_rules; i++)
        if ((rc = match_rule(ex, (int)i, text)))
            return rc;
    (void)w;
    return 0;
#endif
    for (size_t i = 0; i < r->n_rules; i++)
        if (!r->rules[i].re_at && (rc = match_rule(ex, (int)i, text)))
            return rc;
    /* Up to 128 rules the rule sets are one or two words: with the count a
     * constant the compiler unrolls the loops over them. */
    if (w == 1)
        return scan_words(ex, text, 1);
    if (w == 2)
        return scan_words(ex, text, 2);
    return scan_words(ex, text, w);
}

/* The scan of scan_rules() with rule sets of @p w words. */
static inline __attribute__((always_inline)) int scan_words(dl_extractor *ex, dl_slice text,
                                                            size_t w)
{
    const unsigned char *t = (const unsigned char *)text.p;
    uint64_t *mask = ex->mask, *allowed = ex->allowed;
    int rc;

    ex->n_tries = 0;
    for (size_t p = 0, next = 0; p < text.len; p = next) {
        const uint64_t *first = ex->first + t[p] * w;
        uint64_t any = 0;

        /* p is a word start (no letter or digit before it). After a word
         * the next one is a byte further: the byte right after a word has
         * a letter or digit before it. */
        next = dl_is_alnum(t[p]) ? dl_alnum_end(t, p + 1, text.len) + 1 : p + 1;
        for (size_t k = 0; k < w; k++)
            any |= first[k];
        if (!any)
            continue;
        if ((rc = dl_dfa_possible_w(ex->dfa, t + p, text.len - p, allowed, w)))
            return rc;
        any = 0;
        for (size_t k = 0; k < w; k++)
            any |= mask[k] = first[k] & (allowed[k] | ex->no_dfa[k]);
        if (any && (rc = defer_tries(ex, w, p, mask)))
            return rc;
    }
    return make_tries(ex, text);
}

/* Leftmost first; at one start the longest; then the higher priority; then
 * the earlier rule, so results never depend on qsort's instability. */
static int cand_cmp(const void *a, const void *b)
{
    const dl_candidate *x = a, *y = b;
    size_t lx = x->end - x->start, ly = y->end - y->start;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (lx != ly)
        return lx > ly ? -1 : 1;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->rule - y->rule;
}

/* Tense cues this close to an expression (same sentence) decide its
 * direction: far enough back to reach the verb of a clause like "who
 * left her post as president and chief financial officer in March". */
#define DL_CUE_BEFORE 64
#define DL_CUE_AFTER 24
#define DL_CUE_OPENING 48
#define DL_CUE_FAR 160 /* a future cue's reach in local_tense() */
#define DL_CUE_CUT 16  /* longer than any cue ("expected to") */

/* A double quotation mark at @p i: ", `` or '' (ASCII news), or the last
 * byte of a curly one. */
static int is_quote_mark(const char *t, size_t i, size_t len)
{
    unsigned char c = (unsigned char)t[i];

    if (c == '"')
        return 1;
    if ((c == '\'' || c == '`') && i + 1 < len && t[i + 1] == t[i])
        return 1;
    return (c == 0x9C || c == 0x9D) && i >= 2 && (unsigned char)t[i - 2] == 0xE2 &&
           (unsigned char)t[i - 1] == 0x80;
}

/* Scare quotes: a quotation of a few words without punctuation inside a
 * clause ('will "hopefully" be visited', 'a so-called "top kill" operation
 * on Wednesday') ends no clause. When the quote mark at @p i and another
 * one at most DL_SCARE_BYTES away, within [lo, hi), enclose such a
 * quotation, returns the other one's position (looked for before @p i
 * first, as @p i is mostly a closing mark), else SIZE_MAX. */
#define DL_SCARE_BYTES 40
#define DL_SCARE_WORDS 4
static size_t scare_pair(const char *t, size_t i, size_t lo, size_t hi, size_t len)
{
    for (int back = 1; back >= 0; back--) {
        int words = 1;
        size_t j = i;
        for (size_t n = 0; n < DL_SCARE_BYTES && (back ? j > lo : j + 1 < hi); n++) {
            j = back ? j - 1 : j + 1;
            unsigned char c = (unsigned char)t[j];
            if (is_quote_mark(t, j, len)) {
                if (n > 2)
                    return j;
                break;
            }
            if (c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' ||
                c == '\n' || (c == ' ' && ++words > DL_SCARE_WORDS))
                break;
        }
    }
    return SIZE_MAX;
}

/* Going back from @p at to @p floor, the position just after the first
 * quote mark that ends a quotation (scare quotes passed over), or @p floor
 * when none does. */
static size_t quote_start(dl_slice text, const dl_sentence *s, size_t at, size_t floor)
{
    for (size_t i = at; i > floor; i--) {
        size_t o;
        if (!is_quote_mark(text.p, i - 1, text.len))
            continue;
        if ((o = scare_pair(text.p, i - 1, s->start, s->end, text.len)) == SIZE_MAX)
            return i;
        if (o < i - 1)
            i = o + 1;
    }
    return floor;
}

/* Whether the word before @p at (spaces between) is a relative pronoun or
 * "that": a verb right after one is a relative or complement clause's
 * ("his brothers, who will be taking part, defended"; "songbirds that bred
 * there will be piling up"). */
static int after_relative(const dl_extractor *ex, dl_slice text, size_t at)
{
    const dl_rules *r = ex->rules;
    size_t e = at, b;

    while (e > 0 && text.p[e - 1] == ' ')
        e--;
    for (b = e; b > 0 && dl_is_alnum((unsigned char)text.p[b - 1]);)
        b--;
    /* lower case: "the WHO will hold" names the organisation */
    if (b == e || text.p[b] < 'a' || text.p[b] > 'z')
        return 0;
    return (r->elex.relative_pronoun &&
            dl_lexicon_get(r->elex.relative_pronoun, text.p + b, e - b)) ||
           (r->elex.complementizer && dl_lexicon_get(r->elex.complementizer, text.p + b, e - b));
}

/* Distance from [start,end) to the cue of @p re nearest to it within
 * [from,to), counting cues after the expression four times their distance
 * (the verb usually comes first); -1 when there is none. The search stops
 * early once the answer is known to be below @p below (it returns a
 * distance below it then, not always the least), or once the cues lie
 * after the expression at @p below or farther (each later one is farther).
 * With @p main_clause, cues right after a relative pronoun or "that" do
 * not count. */
static long nearest_cue(dl_extractor *ex, const pcre2_code *re, dl_slice text, size_t from,
                        size_t to, size_t start, size_t end, long below, int main_clause)
{
    long best = -1;
    size_t at = from;

    while (at < to && (ex->no_jit ? pcre2_match(re, (PCRE2_SPTR)text.p, to, at, 0, ex->md, ex->mctx)
                                  : pcre2_jit_match(re, (PCRE2_SPTR)text.p, to, at, 0, ex->md,
                                                    ex->mctx)) >= 0) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ex->md);
        if (main_clause && after_relative(ex, text, ov[0])) {
            at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
            continue;
        }
        long d = ov[1] <= start ? (long)(start - ov[1])
                 : ov[0] >= end ? 4 * (long)(ov[0] - end)
                                : 0;
        if (best < 0 || d < best)
            best = d;
        if (best < below || (ov[0] >= end && d >= below))
            break;
        at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return best;
}

/* Whether [from,start) holds at most one word (a preposition: "In", "On",
 * "Since") and no punctuation, so the expression at @p start opens its
 * sentence. */
static int opens_sentence(dl_slice text, size_t from, size_t start)
{
    int words = 0, in_word = 0;

    for (size_t i = from; i < start; i++) {
        unsigned char c = (unsigned char)text.p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            in_word = 0;
        } else if (c == ',' || c == ';' || c == '"' || c == '`' || c == '(') {
            return 0;
        } else if (!in_word) {
            in_word = 1;
            if (++words > 1)
                return 0;
        }
    }
    return 1;
}

static int is_letter(char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

/* Whether the first word of [from,start), after blanks, is in @p lex. */
static int opens_with(const dl_lexicon *lex, dl_slice text, size_t from, size_t start)
{
    size_t b;

    while (from < start && (text.p[from] == ' ' || text.p[from] == '\n'))
        from++;
    for (b = from; from < start && is_letter(text.p[from]); from++)
        ;
    return lex && from > b && dl_lexicon_get(lex, text.p + b, from - b);
}

/* Tense around [start,end) in sentence @p si: 1 future, -1 past, 0 none.
 * The nearer cue wins ("would be ready to leave as soon as Tuesday,
 * Castro said" is future); at equal distance the future one. */
/* The tense the cues in [from,to) give [start,end): 1 when a future cue is
 * the nearest, -1 a past one, 0 none (see nearest_cue for @p main_clause).
 * The scheduled cues count as future ones when @p scheduled is set. */
static int cue_tense(dl_extractor *ex, dl_slice text, size_t from, size_t to, size_t start,
                     size_t end, int main_clause, int scheduled)
{
    const dl_rules *r = ex->rules;
    long fut, past;

    fut = r->future_cue
              ? nearest_cue(ex, r->future_cue, text, from, to, start, end, 0, main_clause)
              : -1;
    if (fut != 0 && scheduled && r->scheduled_cue) {
        long s = nearest_cue(ex, r->scheduled_cue, text, from, to, start, end,
                             fut >= 0 ? fut : LONG_MAX, main_clause);
        if (s >= 0 && (fut < 0 || s < fut))
            fut = s;
    }
    if (fut == 0)
        return 1; /* no past cue is nearer */
    /* Of the past cues, only whether one is nearer than the future one
     * counts (any one, when there is none). */
    past = r->past_cue ? nearest_cue(ex, r->past_cue, text, from, to, start, end,
                                     fut >= 0 ? fut : LONG_MAX, main_clause)
                       : -1;
    if (fut >= 0 && (past < 0 || fut <= past))
        return 1;
    return past >= 0 ? -1 : 0;
}

static int local_tense(dl_extractor *ex, dl_slice text, size_t si, size_t start, size_t end,
                       int wide)
{
    const dl_sentence *s = &ex->sentences[si];
    size_t from = start > s->start + DL_CUE_BEFORE ? start - DL_CUE_BEFORE : s->start;
    size_t to = end + DL_CUE_AFTER < s->end ? end + DL_CUE_AFTER : s->end;
    int tense;

    if (from > start)
        from = start;
    if (to < end)
        to = end;
    /* A quotation mark ends the clause, and so does a comma after the
     * expression: in "will leave at 4 a.m. Thursday,'' Castro said" and
     * "is scheduled to depart on Saturday, said a spokeswoman" the reporting
     * verb says nothing of the date's tense. Scare quotes are passed over. */
    from = quote_start(text, s, start, from);
    /* ... unless the expression opens the sentence ("In January, the
     * company hired"): then the comma closes only that phrase and the verb
     * after it is the clause's. */
    int opens = opens_sentence(text, s->start, start), opening = opens;
    /* "until" marks an end, not a direction: in an opening phrase the
     * clause's verb says which ("Until Thursday, they had not called him a
     * suspect"; "Until March 6, he will stay"), so the word is no cue there. */
    if (opens && opens_with(ex->rules->elex.limit_word, text, from, start))
        from = start;
    for (size_t i = end; i < to; i++) {
        if (opening && text.p[i] == ',') {
            opening = 0;
            to = i + 1 + DL_CUE_OPENING < s->end ? i + 1 + DL_CUE_OPENING : s->end;
            continue;
        }
        if (is_quote_mark(text.p, i, text.len)) {
            size_t o = scare_pair(text.p, i, s->start, s->end, text.len);
            if (o == SIZE_MAX) {
                to = i;
                break;
            }
            if (o > i)
                i = o;
            continue;
        }
        if (text.p[i] == ',' || text.p[i] == ';') {
            to = i;
            break;
        }
    }
    tense = cue_tense(ex, text, from, to, start, end, opens, !opens);
    /* A plan told early in the sentence reaches past the window: in "the
     * ferry will run twice a day from the harbour on weekdays from May 2,
     * with a third sailing each Sunday from June 5" both dates are ahead.
     * Only a future cue, only in the same quotation, and only when no past
     * cue is nearer. (Commas do not stop it: "plans to visit Leeds, York
     * and Hull, and then Durham, on Monday".) Bounded by DL_CUE_FAR so that
     * a long run of dates in one sentence stays linear. */
    if (!tense && wide && !opens && from > s->start) {
        size_t far = start > s->start + DL_CUE_FAR ? start - DL_CUE_FAR : s->start;
        size_t quote = quote_start(text, s, from, far);
        /* The window held no cue: only the stretch before it is read, and
         * a few characters on for a cue the window cut ("plans| to"). */
        size_t upto = from + DL_CUE_CUT < start ? from + DL_CUE_CUT : start;
        if (quote < from && cue_tense(ex, text, quote, upto, start, end, 0, 1) > 0)
            return 1;
    }
    if (tense || !opens || to >= s->end)
        return tense;
    /* An opening phrase says nothing of its tense: its clause's verb does,
     * even beyond the window ("On Tuesday, the National Union of Rail,
     * Maritime and Transport Workers plans to hold ..."; "In January, a
     * week after the anniversary of the merger, a strike closed ..."), not
     * the verb of a relative clause on its way. */
    return cue_tense(ex, text, end, s->end, start, end, 1, 0);
}

/* Where dl_norm_tense() finds the tense of the expression being normalised. */
struct dl_tense_src {
    dl_extractor *ex;
    dl_slice text;
    size_t sentence, start, end;
    int known, tense;
    int wide; /* a future cue may lie beyond the window (local_tense) */
};

int dl_norm_tense(const dl_norm_ctx *ctx)
{
    struct dl_tense_src *ts = ctx->tense_src;

    if (!ts->known) {
        ts->tense = ts->ex->n_sentences
                        ? local_tense(ts->ex, ts->text, ts->sentence, ts->start, ts->end, ts->wide)
                        : 0;
        ts->known = 1;
    }
    return ts->tense;
}

/* The start of the word that ends, followed by one space, at @p at - 1
 * ("the day before| March"), or @p at when there is none. */
static size_t word_before(dl_slice text, size_t at)
{
    size_t b = at;

    if (b < 2 || text.p[b - 1] != ' ' || !is_letter(text.p[b - 2]))
        return at;
    for (b -= 2; b > 0 && is_letter(text.p[b - 1]); b--)
        ;
    return b;
}

/* "The day before last Tuesday", "the day after March 3": the day next to
 * the one named, one timex over both (day_shift gives the two words and
 * the shift; definite_article the optional "the"). @p tx is a date just
 * normalised; it grows to the left, never into the timex before
 * (@p floor). */
static void day_next_to(const dl_rules *r, dl_slice text, size_t floor, dl_timex *tx)
{
    const char *shift;
    size_t at = tx->start, w2, b;

    if (!r->elex.day_shift)
        return;
    /* Two words right before it, one space apart: "day before". */
    if ((w2 = word_before(text, at)) == at || (b = word_before(text, w2)) == w2 ||
        !(shift = dl_lexicon_get(r->elex.day_shift, text.p + b, at - 1 - b)))
        return;
    at = b;
    if (r->elex.definite_article && (b = word_before(text, at)) < at &&
        dl_lexicon_get(r->elex.definite_article, text.p + b, at - 1 - b))
        at = b;
    if (at >= floor && !dl_norm_shift_day(tx->value, sizeof(tx->value), atoi(shift)))
        tx->start = at;
}

/* Whether @p v is a quarter ("1989-Q2") that ended in the four quarters
 * before the DCT's, or is the DCT's own told in the past (a fiscal quarter:
 * "Ralston posted a decline in fourth-quarter earnings" on Nov. 2). */
static int reported_quarter(const char *v, const dl_dct *dct, const dl_norm_ctx *ctx)
{
    int named = dl_norm_quarter_index(v), now = dct->year * 4 + (dct->month - 1) / 3;

    if (named < 0)
        return 0;
    if (named == now)
        return dl_norm_tense(ctx) < 0;
    return named < now && named >= now - 4;
}

/* Whether @p tx, a day, closes the period named by the timex before it:
 * "<period> ended|ending <day>", one word of period_end between them. */
static int ends_period(dl_slice text, const dl_extractor *ex, const dl_timex *tx)
{
    const dl_lexicon *lex = ex->rules->elex.period_end;
    const dl_timex *prev;
    size_t b;

    if (!lex || ex->n_timexes < 2 || strlen(tx->value) < 10)
        return 0;
    prev = tx - 1;
    b = word_before(text, tx->start);
    return b > prev->end && b - 1 == prev->end && text.p[prev->end] == ' ' &&
           dl_lexicon_get(lex, text.p + b, tx->start - 1 - b);
}

/* A reporting period of months, "the nine months", "its first six
 * months": a duration in months whose span opens with a word of
 * period_determiner. */
static int is_months_period(const dl_rules *r, dl_slice text, const dl_timex *tx)
{
    const char *v = tx->value;
    size_t n = strlen(v), e = tx->start;

    if (!r->elex.period_determiner || n < 3 || v[0] != 'P' || v[n - 1] != 'M' || strchr(v, 'T'))
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return 0;
    while (e < tx->end && is_letter(text.p[e]))
        e++;
    return e > tx->start && e < tx->end && text.p[e] == ' ' &&
           dl_lexicon_get(r->elex.period_determiner, text.p + tx->start, e - tx->start);
}

static int select_and_normalise(dl_extractor *ex, dl_slice text, const dl_dct *dct)
{
    size_t last_end = 0, si = 0;
    /* Indexes, not pointers: timexes may move on growth. One per granularity,
     * so "the same month" skips a later "next year". */
    long anchor = -1, anchor_month = -1, anchor_day = -1, report_quarter = -1;
    long months_period = -1;
    int months; /* the timex just added is a period of months ("the nine months") */

    if (ex->n_cands > 1)
        qsort(ex->cands, ex->n_cands, sizeof(*ex->cands), cand_cmp);
    for (size_t i = 0; i < ex->n_cands; i++) {
        const dl_candidate *c = &ex->cands[i];
        dl_timex *tx;
        dl_norm_ctx ctx;
        struct dl_tense_src ts;

        if (c->start < last_end)
            continue;
        if (ex->max_timexes && ex->n_timexes >= ex->max_timexes)
            break;
        while (si + 1 < ex->n_sentences && ex->sentences[si].end <= c->start)
            si++;
        if (dl_grow((void **)&ex->timexes, &ex->cap_timexes, ex->n_timexes, sizeof(*ex->timexes)))
            return DL_ENOMEM;
        tx = &ex->timexes[ex->n_timexes];
        memset(tx, 0, sizeof(*tx));
        tx->start = c->start;
        tx->end = c->end;
        tx->rule = c->rule;
        tx->sentence = si;
        ctx.dct = dct;
        ctx.anchor = anchor >= 0 ? ex->timexes[anchor].value : NULL;
        ctx.anchor_month = anchor_month >= 0 ? ex->timexes[anchor_month].value : NULL;
        ctx.anchor_day = anchor_day >= 0 ? ex->timexes[anchor_day].value : NULL;
        ctx.report_quarter = report_quarter >= 0 ? ex->timexes[report_quarter].value : NULL;
        ctx.months_period = months_period >= 0 ? ex->timexes[months_period].value : NULL;
        /* "In <length>" is a date only on a near cue: "for the first time
         * in three months" follows a "will" far back as often as not. */
        ts = (struct dl_tense_src){ex, text, si, c->start, c->end, 0, 0,
                                   !ex->rules->rules[c->rule].when_future};
        if (ex->rules->rules[c->rule].tense != DL_TENSE_CUES) {
            ts.tense = ex->rules->rules[c->rule].tense;
            ts.known = 1;
        }
        ctx.tense_src = &ts;
        /* A reading that holds only looking ahead ("will start in a week"
         * is a date; "the second letter in two weeks" a length): elsewhere
         * the span is left to the other rules. */
        if (ex->rules->rules[c->rule].when_future && dl_norm_tense(&ctx) <= 0)
            continue;
        if (dl_normalise(ex->rules, &ex->rules->rules[c->rule], c, text, &ctx, tx))
            continue; /* not a real date: leave the span free for others */
        if (tx->type == DL_TIMEX_DATE)
            day_next_to(ex->rules, text, last_end, tx);
        ex->n_timexes++;
        last_end = c->end;
        months = tx->type == DL_TIMEX_DURATION && is_months_period(ex->rules, text, tx);
        /* "For the nine months, net rose ... In the year-earlier period":
         * the period a year before is as long (rule key after_months). A
         * date or time named between ends it. */
        if (tx->type != DL_TIMEX_DURATION)
            months_period = -1;
        else if (months)
            months_period = (long)(ex->n_timexes - 1);
        /* A date computed from the anchor ("a year earlier") does not move
         * it: repeated comparisons refer to the same period. */
        if (tx->anchored && !ex->rules->rules[c->rule].base_anchor) {
            const char *v = tx->value;
            long cur = (long)(ex->n_timexes - 1);
            /* The day that closes the anchored period right before it
             * ("the fiscal first quarter ended Sept. 30") dates that
             * period; a comparison after it ("a year ago") is still with
             * the period. (After "the six months ended Aug. 12", a
             * duration, the day is the anchor.) */
            if (anchor != cur - 1 || !ends_period(text, ex, tx))
                anchor = cur;
            if (strlen(v) >= 7 && v[4] == '-' && v[5] >= '0' && v[5] <= '9')
                anchor_month = cur;
            if (strlen(v) >= 10 && v[7] == '-')
                anchor_day = cur;
            /* The quarter a report is about: the first it names ("the
             * fiscal first quarter"; not one reckoned from a day, "the
             * quarter ended Sept. 29") that has ended, within the year
             * before the DCT's quarter. Later ones are mostly compared
             * with it ("after a loss in the second quarter"). */
            if (report_quarter < 0 && ex->rules->rules[c->rule].quarter_value &&
                reported_quarter(v, dct, &ctx))
                report_quarter = (long)(ex->n_timexes - 1);
        } else if (months && anchor >= 0 &&
                   dl_norm_quarter_index(ex->timexes[anchor].value) >= 0) {
            /* "Net rose in the third quarter. For the nine months, ... a
             * year earlier": the months of the year before, not the
             * quarter; no anchor, so the DCT's year is moved. (Only a
             * quarter gives way: "in July 2003 ... the first four months
             * ... a year later" stays with July 2003.) */
            anchor = -1;
        }
    }
    return 0;
}

/* Frees a scratch array past DL_SCRATCH_KEEP (only long articles pay to
 * grow it again). */
static void shed(void *arrp, size_t *cap, size_t size)
{
    void **arr = arrp;

    if (*cap * size > DL_SCRATCH_KEEP) {
        free(*arr);
        *arr = NULL;
        *cap = 0;
    }
}

/* Every article rebuilds all of them, so any may go between articles. */
static void shed_scratch(dl_extractor *ex)
{
    shed(&ex->sentences, &ex->cap_sentences, sizeof(*ex->sentences));
    shed(&ex->cands, &ex->cap_cands, sizeof(*ex->cands));
    shed(&ex->tries, &ex->cap_tries, sizeof(*ex->tries));
    shed(&ex->by_rule, &ex->cap_by_rule, sizeof(*ex->by_rule));
    shed(&ex->timexes, &ex->cap_timexes, sizeof(*ex->timexes));
    shed(&ex->events, &ex->cap_events, sizeof(*ex->events));
    shed(&ex->toks, &ex->cap_toks, sizeof(*ex->toks));
    shed(&ex->ments, &ex->cap_ments, sizeof(*ex->ments));
    shed(&ex->ents, &ex->cap_ents, sizeof(*ex->ents));
    shed(&ex->pidx, &ex->cap_pidx, sizeof(*ex->pidx));
    shed(&ex->descs, &ex->cap_descs, sizeof(*ex->descs));
    shed(&ex->sent_subject, &ex->cap_sent_subject, sizeof(*ex->sent_subject));
    shed(&ex->sent_subj_span, &ex->cap_sent_subj_span, sizeof(*ex->sent_subj_span));
    shed(&ex->entities, &ex->cap_entities, sizeof(*ex->entities));
    shed(&ex->spans, &ex->cap_spans, sizeof(*ex->spans));
    shed(&ex->quotes, &ex->cap_quotes, sizeof(*ex->quotes));
    shed(&ex->qwork, &ex->cap_qwork, sizeof(*ex->qwork));
    shed(&ex->ev_ents, &ex->cap_ev_ents, sizeof(*ex->ev_ents));
}

int dl_extract(dl_extractor *ex, dl_slice text, const dl_dct *dct, dl_facts *out, dl_err *err)
{
    int rc;

    shed_scratch(ex);
    ex->n_cands = ex->n_timexes = ex->n_events = 0;
    ex->n_quotes = ex->n_published = ex->n_ev_ents = 0;
    if ((rc = dl_sentences_split(ex, text)))
        return dl_err_set(err, rc, "out of memory splitting sentences");
    if ((rc = scan_rules(ex, text)))
        return dl_err_set(err, rc, "out of memory matching rules");
    if ((rc = select_and_normalise(ex, text, dct)))
        return dl_err_set(err, rc, "out of memory normalising");
    if ((rc = dl_entities_find(ex, text)) || (rc = dl_quotes_pair(ex, text)))
        return dl_err_set(err, rc, "out of memory finding entities and quotes");
    dl_quotes_mark_mentions(ex);
    if ((rc = dl_entities_link(ex, text)) || (rc = dl_quotes_attribute(ex, text)) ||
        (rc = dl_entities_publish(ex, text)))
        return dl_err_set(err, rc, "out of memory linking entities and quotes");
    if ((rc = dl_events_build(ex, text)))
        return dl_err_set(err, rc, "out of memory building the timeline");
    out->sentences = ex->sentences;
    out->n_sentences = ex->n_sentences;
    out->timexes = ex->timexes;
    out->n_timexes = ex->n_timexes;
    out->events = ex->events;
    out->n_events = ex->n_events;
    out->entities = ex->entities;
    out->n_entities = ex->n_published;
    out->spans = ex->spans;
    out->quotes = ex->quotes;
    out->n_quotes = ex->n_quotes;
    out->event_entities = ex->ev_ents;
    return 0;
}

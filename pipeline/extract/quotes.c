/*
 * Quotes and speakers.
 *
 * Pairing is one linear scan: curly marks say their direction; a straight
 * " opens after a blank or an opening bracket and closes after a
 * non-blank. An opening mark while a quote is open continues it in a new
 * paragraph when a paragraph break lies between (the typographic
 * convention for multi-paragraph quotes), else the first mark was stray.
 * Quotes longer than DL_QUOTE_MAX bytes are unbalanced and dropped.
 *
 * Attribution (rules in config/rules/en/quotes.yaml), first that applies:
 *  1. a cue right after the closing mark (cue_after: "..., she said"), or
 *     closing the sentence after a comma ("... to drive up the stock, she
 *     said.");
 *  2. a source phrase in the quote's sentence (cue_source: "According to
 *     X, ..."), which PolNeAR takes over the sentence's speech verb;
 *  3. the speech verb of the sentence before the opening mark, not a noun
 *     nor one in an introductory clause, and its subject (a relative
 *     pronoun speaks for its antecedent); else a cue_before pattern
 *     ("PENCE: “...”");
 *  4. a quote right after a cued one, or after that cue's whole clause,
 *     has the same speaker (one passage when only punctuation lies
 *     between);
 *  5. an embedded quote: the sentence's subject; a quote opening a
 *     sentence right after one with a speech verb: that verb's subject;
 *  6. otherwise the nearest preceding subject.
 */
#include <string.h>
#include <strings.h>

#include "extract_int.h"

#define DL_QUOTE_MAX 6000
/* How far a cue may lie from its quote, in bytes. */
#define DL_CUE_AFTER_MAX 250
#define DL_CUE_BEFORE_MAX 250
/* How long the rest of a cue's clause may be ("..., she told reporters."). */
#define DL_CLAUSE_MAX 160

typedef enum { MARK_NONE = 0, MARK_OPEN, MARK_CLOSE } mark_dir;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The quotation mark at @p i, its length in *len and its direction. */
static mark_dir mark_at(const char *t, size_t len, size_t i, size_t *mlen)
{
    unsigned char c = (unsigned char)t[i];

    *mlen = 1;
    if (c == 0xE2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80) {
        *mlen = 3;
        if ((unsigned char)t[i + 2] == 0x9C)
            return MARK_OPEN;
        if ((unsigned char)t[i + 2] == 0x9D)
            return MARK_CLOSE;
        return MARK_NONE;
    }
    if (c != '"')
        return MARK_NONE;
    {
        int before_blank = i == 0 || is_blank(t[i - 1]) || t[i - 1] == '(' || t[i - 1] == '[' ||
                           t[i - 1] == '-' || (unsigned char)t[i - 1] == 0x94; /* — */
        int after_blank = i + 1 >= len || is_blank(t[i + 1]);
        if (before_blank && !after_blank)
            return MARK_OPEN;
        if (!before_blank)
            return MARK_CLOSE;
        return MARK_NONE; /* a lone " between blanks */
    }
}

static int has_letter(const char *t, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)t[i];
        if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0xC3)
            return 1;
    }
    return 0;
}

static int emit(dl_extractor *ex, const char *t, size_t open_mark, size_t start, size_t end,
                size_t close_end, int cont)
{
    dl_quote *q;

    while (start < end && is_blank(t[start]))
        start++;
    while (end > start && is_blank(t[end - 1]))
        end--;
    if (!has_letter(t, start, end) || ex->n_quotes >= DL_MAX_QUOTES)
        return 0;
    if (dl_grow((void **)&ex->quotes, &ex->cap_quotes, ex->n_quotes, sizeof(*ex->quotes)) ||
        dl_grow((void **)&ex->qwork, &ex->cap_qwork, ex->n_quotes, sizeof(*ex->qwork)))
        return DL_ENOMEM;
    q = &ex->quotes[ex->n_quotes];
    memset(q, 0, sizeof(*q));
    q->start = start;
    q->end = end;
    q->speaker = -1;
    ex->qwork[ex->n_quotes] = (dl_qwork){open_mark, close_end, cont};
    ex->n_quotes++;
    return 0;
}

/* The bytes the pairing scan stops at: a line break, a space (two are a
 * paragraph break), a straight quotation mark and the lead byte of a curly
 * one. */
static const unsigned char pair_stop[256] = {['\n'] = 1, [' '] = 1, ['"'] = 1, [0xE2] = 1};

int dl_quotes_pair(dl_extractor *ex, dl_slice text)
{
    const char *t = text.p;
    size_t len = text.len, open_mark = 0, open_end = 0, last_break = 0;
    int open = 0, after_break = 0, rc;

    ex->n_quotes = 0;
    for (size_t i = 0; i < len; i++) {
        size_t mlen;
        mark_dir d;
        /* Outside a paragraph break other bytes change nothing: the one
         * test they would make, the length limit, gives the same answer
         * at the next stop, which is where `open` is read again. */
        if (!after_break) {
#ifdef DL_SCAN16
            /* The block's mask is the stops themselves (a space only before
             * another): straight to the first of them. */
            for (; i + 17 <= len; i += 16) {
                unsigned m = dl_eq16(t + i, '\n') | dl_eq16(t + i, '"') | dl_eq16(t + i, '\xE2') |
                             (dl_eq16(t + i, ' ') & dl_eq16(t + i + 1, ' '));
                if (m) {
                    i += (size_t)__builtin_ctz(m);
                    break;
                }
            }
#endif
            while (i < len && (!pair_stop[(unsigned char)t[i]] ||
                               (t[i] == ' ' && (i + 1 >= len || t[i + 1] != ' '))))
                i++;
            if (i >= len)
                break;
        }
        if (t[i] == '\n' || (t[i] == ' ' && i + 1 < len && t[i + 1] == ' ')) {
            last_break = i;
            after_break = 1;
            continue;
        }
        if (is_blank(t[i]))
            continue;
        d = mark_at(t, len, i, &mlen);
        if (open && after_break && last_break > open_end && d != MARK_OPEN &&
            !(d == MARK_CLOSE && t[i] == '"' && i == last_break + 1))
            open = 0; /* a paragraph ended inside a quote that does not go on: unbalanced */
        after_break = 0;
        if (open && i - open_end > DL_QUOTE_MAX)
            open = 0;
        if (d == MARK_OPEN) {
            int cont = 0;
            if (open && last_break > open_end) {
                /* Multi-paragraph quote: close at the break, go on here. */
                if ((rc = emit(ex, t, open_mark, open_end, last_break, last_break, 0)))
                    return rc;
                cont = 1;
            }
            open = 1;
            open_mark = i;
            open_end = i + mlen;
            if (cont)
                ex->pending_cont = 1;
            i += mlen - 1;
            continue;
        }
        if (d == MARK_CLOSE && open) {
            int cont = ex->pending_cont;
            ex->pending_cont = 0;
            if ((rc = emit(ex, t, open_mark, open_end, i, i + mlen, cont)))
                return rc;
            open = 0;
        }
        i += mlen - 1;
    }
    ex->pending_cont = 0;
    return 0;
}

/* ---- attribution ------------------------------------------------------- */

static const char *pronoun_gender(const dl_extractor *ex, const char *t, dl_span s)
{
    const dl_lexicon *l = ex->rules->elex.pronoun;

    return l ? dl_lexicon_get(l, t + s.start, s.end - s.start) : NULL;
}

/* Runs the patterns @p aps on [from, to), anchored at @p from or searching
 * from there (as the list is compiled); on a match sets subject and cue
 * spans. */
static int cue_match(dl_extractor *ex, dl_slice text, const dl_apatterns *aps, size_t from,
                     size_t to, dl_span *subject, dl_span *cue, size_t *mend)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ex->amd);

    for (size_t k = 0; k < aps->n; k++) {
        const dl_apattern *ap = &aps->v[k];
        int rc = dl_apattern_match(ap, text.p, to, from, ex->amd, ex->mctx);
        if (rc <= 0) /* 0: more groups than the match data holds */
            continue;
        *subject = (dl_span){0, 0};
        *cue = (dl_span){0, 0};
        if (ap->g_subject && ap->g_subject < rc && ov[2 * ap->g_subject] != PCRE2_UNSET)
            *subject = (dl_span){ov[2 * ap->g_subject], ov[2 * ap->g_subject + 1]};
        if (ap->g_cue && ap->g_cue < rc && ov[2 * ap->g_cue] != PCRE2_UNSET)
            *cue = (dl_span){ov[2 * ap->g_cue], ov[2 * ap->g_cue + 1]};
        *mend = ov[1];
        return 1;
    }
    return 0;
}

/* A cue_source phrase in the sentence of the quote [open_mark, close_end)
 * ("According to X, ..."): before the quote, else after it. */
static int source_match(dl_extractor *ex, dl_slice text, size_t si, size_t open_mark,
                        size_t close_end, dl_span *subj, dl_span *cue)
{
    const dl_sentence *st = &ex->sentences[si];
    size_t mend;

    if (!ex->rules->cue_source.n)
        return 0;
    if (st->start < open_mark &&
        cue_match(ex, text, &ex->rules->cue_source, st->start, open_mark, subj, cue, &mend))
        return 1;
    return close_end < st->end &&
           cue_match(ex, text, &ex->rules->cue_source, close_end, st->end, subj, cue, &mend);
}

/* 1 if the word after @p at goes on an attribution (lexicon cue_tail). */
static int tail_word(const dl_extractor *ex, dl_slice text, size_t at)
{
    const dl_lexicon *l = ex->rules->elex.cue_tail;
    size_t b, e;

    if (!l)
        return 0;
    for (b = at; b < text.len && text.p[b] == ' '; b++)
        ;
    for (e = b; e < text.len && ((text.p[e] | 0x20) >= 'a' && (text.p[e] | 0x20) <= 'z'); e++)
        ;
    return e > b && at < b && dl_lexicon_get(l, text.p + b, e - b) != NULL;
}

/* The entity a speaker phrase stands for: a pronoun is resolved, a name,
 * alias or linked epithet is looked up. */
static long speaker_entity(dl_extractor *ex, dl_slice text, dl_span s)
{
    const char *g;
    size_t e = s.end;

    if (s.end <= s.start)
        return -1;
    if ((s.end - s.start == 3 && !strncasecmp(text.p + s.start, "who", 3)) ||
        (s.end - s.start == 5 && !strncasecmp(text.p + s.start, "which", 5)))
        return dl_entities_antecedent(ex, s.start);
    if ((g = pronoun_gender(ex, text.p, s)))
        return g[0] == 'm' || g[0] == 'f' ? dl_entities_resolve_pronoun(ex, s.start, g[0]) : -1;
    /* Only the head of the phrase: not the people an apposition names. */
    for (size_t i = s.start; i < s.end; i++)
        if (text.p[i] == ',' || text.p[i] == '(') {
            e = i;
            break;
        }
    return dl_entities_at(ex, s.start, e);
}

static size_t sentence_of(const dl_extractor *ex, size_t pos)
{
    size_t lo = 0, hi = ex->n_sentences;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ex->sentences[mid].end <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ex->n_sentences ? lo : ex->n_sentences - 1;
}

void dl_quotes_mark_mentions(dl_extractor *ex)
{
    size_t m = 0;

    for (size_t q = 0; q < ex->n_quotes; q++) {
        const dl_quote *qt = &ex->quotes[q];
        while (m < ex->n_ments && ex->ments[m].start < qt->start)
            m++;
        for (size_t k = m; k < ex->n_ments && ex->ments[k].start < qt->end; k++)
            ex->ments[k].quoted = 1;
        dl_entities_mark_quoted(ex, qt->start, qt->end);
    }
}

/* 1 if [a, b) holds only blanks and quotation marks. */
static int only_blank(dl_slice text, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (!is_blank(text.p[i]) && text.p[i] != '"')
            return 0;
    return 1;
}

/* 1 if [a, b) holds only blanks and clause punctuation. */
static int only_punct(dl_slice text, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (!is_blank(text.p[i]) && text.p[i] != '.' && text.p[i] != ',' && text.p[i] != ':' &&
            text.p[i] != ';')
            return 0;
    return 1;
}

/* Where the attribution clause that ends at @p mend ends: “...,” he told
 * reporters on Monday. “...” is one passage; a clause that runs on into
 * other words (or another quotation) is not stretched. */
static size_t clause_end(const dl_extractor *ex, dl_slice text, size_t mend)
{
    size_t se;

    if (!ex->n_sentences || mend >= text.len)
        return mend;
    se = ex->sentences[sentence_of(ex, mend)].end;
    if (se <= mend || se - mend > DL_CLAUSE_MAX)
        return mend;
    /* (no line break and no quotation mark: ", “ or ”) */
    for (size_t i = mend, ml; i < se; i++)
        if (text.p[i] == '\n' || text.p[i] == '"' || mark_at(text.p, text.len, i, &ml) != MARK_NONE)
            return mend;
    return se;
}

int dl_quotes_attribute(dl_extractor *ex, dl_slice text)
{
    size_t passage = 0, prev_cue_end = 0, prev_clause_end = 0;

    for (size_t q = 0; q < ex->n_quotes; q++) {
        dl_quote *qt = &ex->quotes[q];
        const dl_qwork *w = &ex->qwork[q];
        dl_span subj = {0, 0}, cue = {0, 0};
        size_t mend = 0, to, from, si;
        int found = 0;

        to = w->close_end + DL_CUE_AFTER_MAX < text.len ? w->close_end + DL_CUE_AFTER_MAX
                                                         : text.len;
        if (cue_match(ex, text, &ex->rules->cue_after, w->close_end, to, &subj, &cue, &mend))
            found = 1;
        /* “... ended.” Smith explained that ...: a new sentence, not a cue,
         * unless it only attributes (“...” Smith said.). */
        if (found && qt->end > qt->start && strchr(".?!", text.p[qt->end - 1]) &&
            subj.end > subj.start && text.p[subj.start] >= 'A' && text.p[subj.start] <= 'Z' &&
            subj.start < cue.start && (mend >= text.len || !strchr(".,:;", text.p[mend])) &&
            !tail_word(ex, text, mend))
            found = 0;
        si = sentence_of(ex, w->open_mark);
        /* "According to X, ...": the sentence's source, over any cue. */
        if (source_match(ex, text, si, w->open_mark, w->close_end, &subj, &cue))
            found = 5;
        /* "“...” to drive up the stock, she said.": a cue closing the sentence. */
        for (size_t i = w->close_end; !found && i < to && i < ex->sentences[si].end; i++) {
            if (text.p[i] != ',')
                continue;
            if (cue_match(ex, text, &ex->rules->cue_after, i, to, &subj, &cue, &mend) &&
                (mend >= text.len || strchr(".!?", text.p[mend]) ||
                 /* ", said David Wasserman, an analyst at ..." */
                 (subj.start > cue.start && text.p[mend] == ',') ||
                 (mend < ex->sentences[si].end && ex->sentences[si].end - mend < 40)))
                found = 1;
        }
        if (!found) {
            from = w->open_mark > DL_CUE_BEFORE_MAX ? w->open_mark - DL_CUE_BEFORE_MAX : 0;
            if (q > 0 && ex->qwork[q - 1].close_end > from)
                from = ex->qwork[q - 1].close_end;
            /* A speech verb of the sentence first; the patterns ("Name: “...”")
             * only where there is none. */
            if (dl_entities_cue_before(ex, text, si, w->open_mark, &subj, &cue))
                found = 3;
            else if (from < w->open_mark &&
                     cue_match(ex, text, &ex->rules->cue_before, from, w->open_mark, &subj,
                               &cue, &mend))
                found = 2;
        }
        /* One passage: over paragraphs, or right after the previous quote's cue
         * ("...," she wrote. "..."). */
        if (q > 0) {
            size_t k = prev_cue_end ? prev_cue_end : ex->qwork[q - 1].close_end;
            int near = w->cont;
            if (!near && !found && k <= w->open_mark)
                near = only_punct(text, k, w->open_mark);
            /* “...,” he told reporters. “...”: a new quotation (PolNeAR
             * attributes each sentence), the same speaker. */
            if (!near && !found && prev_clause_end > k && prev_clause_end <= w->open_mark &&
                only_punct(text, prev_clause_end, w->open_mark)) {
                qt->passage = ++passage;
                qt->speaker = ex->quotes[q - 1].speaker;
                qt->speaker_mention = ex->quotes[q - 1].speaker_mention;
                qt->cue = ex->quotes[q - 1].cue;
                prev_cue_end = prev_clause_end = 0;
                continue;
            }
            if (near && !found) {
                qt->passage = ex->quotes[q - 1].passage;
                qt->speaker = ex->quotes[q - 1].speaker;
                qt->speaker_mention = ex->quotes[q - 1].speaker_mention;
                qt->cue = ex->quotes[q - 1].cue;
                prev_cue_end = 0;
                continue;
            }
            qt->passage = near ? ex->quotes[q - 1].passage : ++passage;
        }
        prev_cue_end = found == 1 ? mend : 0;
        prev_clause_end = found == 1 ? clause_end(ex, text, mend) : 0;
        /* A cue without its own subject ("..., saying “...”"), or an
         * embedded quote: the sentence's subject speaks. */
        if (found && !(subj.end > subj.start) && ex->sent_subj_span[si].end > 0 &&
            ex->sent_subj_span[si].end <= w->open_mark)
            subj = ex->sent_subj_span[si];
        if (!found) {
            int embedded = 0;
            for (size_t i = ex->sentences[si].start; i < w->open_mark && !embedded; i++)
                embedded = !is_blank(text.p[i]) && text.p[i] != '"';
            /* "The “opt out” movement is about “...,” Wilcox said.": the cue
             * after a later quotation of the sentence. */
            for (size_t q2 = q + 1; !found && q2 < ex->n_quotes && q2 < q + 4; q2++) {
                size_t ce = ex->qwork[q2].close_end, t2;
                if (sentence_of(ex, ex->qwork[q2].open_mark) != si)
                    break;
                t2 = ce + DL_CUE_AFTER_MAX < text.len ? ce + DL_CUE_AFTER_MAX : text.len;
                if (cue_match(ex, text, &ex->rules->cue_after, ce, t2, &subj, &cue, &mend) &&
                    subj.end > subj.start)
                    found = 8;
            }
            if (embedded && ex->sent_subj_span[si].end > 0 &&
                ex->sent_subj_span[si].end <= w->open_mark) {
                subj = ex->sent_subj_span[si];
                found = 4;
            }
            /* "..., Schiff said. “...”": a quotation opening a sentence right
             * after one whose speech verb has a subject. */
            if (!embedded && !found && si > 0 && ex->sentences[si - 1].end <= w->open_mark &&
                only_blank(text, ex->sentences[si - 1].end, w->open_mark) &&
                dl_entities_cue_before(ex, text, si - 1, ex->sentences[si - 1].end, &subj, &cue)) {
                if (!(subj.end > subj.start)) /* "..., saying so." */
                    subj = ex->sent_subj_span[si - 1];
                if (subj.end > subj.start)
                    found = 6;
            }
        }
        if (found) {
            qt->speaker_mention = subj;
            qt->cue = cue;
            qt->speaker = speaker_entity(ex, text, subj);
            continue;
        }
        /* No cue and no subject: the nearest preceding subject. */
        for (size_t k = 1; k < 4 && k <= si; k++) {
            if (ex->sent_subject[si - k] >= 0) {
                qt->speaker = ex->sent_subject[si - k];
                qt->speaker_mention = ex->sent_subj_span[si - k];
                break;
            }
        }
    }
    return 0;
}

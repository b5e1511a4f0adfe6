/*
 * Entities: people, organisations, places and works, with aliases, ages,
 * descriptors and within-article coreference.
 *
 * One linear pass splits the text into words; runs of capitalised words
 * are classified with the word lists of config/rules/en (gazetteers, given
 * names, surnames, titles, organisation words). One-word mentions are then
 * resolved against the people found (surname and given-name aliases) or
 * made people by local evidence (a kinship noun before, an age or a speech
 * verb after). A forward pass over the sentences tracks each sentence's
 * subject and links epithets ("The Cravings author") to a person. All work
 * is per word with lexicon look-ups; nothing is allocated per word.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"

enum { /* dl_tok.flags: 16 bits */
    T_CAP = 1 << 0,    /* starts with an upper-case letter */
    T_UPPER = 1 << 1,  /* all upper case, two letters or more */
    T_LOWER = 1 << 2,  /* starts with a lower-case letter */
    T_NUM = 1 << 3,    /* starts with a digit */
    T_POSS = 1 << 4,   /* followed by a possessive 's or ' */
    T_SSTART = 1 << 5, /* first word of a sentence, a quotation or after a colon */
    T_DOT = 1 << 6,    /* followed by '.' */
    T_GLUE = 1 << 7,   /* only blanks between it and the next word (same sentence) */
    T_COMMA = 1 << 8,  /* followed by ',' */
    T_USED = 1 << 9,   /* part of a classified name */
    T_QUOTED = 1 << 10, /* inside a quotation */
    T_NO_GAZ = 1 << 11, /* alone, not a gazetteer name (known from gaz_words()) */
    T_NN_KNOWN = 1 << 12, /* not_name() has looked the word up: */
    T_NOT_NAME = 1 << 13, /* it is in the not_name lexicon */
    T_NONASCII = 1 << 14, /* has bytes from 0x80 ("O’Brien", "Zoë") */
};

void dl_entities_mark_quoted(dl_extractor *ex, size_t start, size_t end)
{
    size_t lo = 0, hi = ex->n_toks;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ex->toks[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < ex->n_toks && ex->toks[k].start < end; k++)
        ex->toks[k].flags |= T_QUOTED;
}

/* Longest run of capitalised words considered a name. */
#define DL_RUN_MAX 8
/* How far back a pronoun or an epithet looks for its person, in bytes. */
#define DL_COREF_WINDOW 3000

const char *dl_entity_kind_name(dl_entity_kind kind)
{
    static const char *const names[] = {"PERSON", "ORG", "PLACE", "WORK"};

    return (unsigned)kind < 4 ? names[kind] : "PERSON";
}

size_t dl_name_key(const char *name, size_t len, char *out, size_t size)
{
    return dl_gaz_norm(name, len, out, size);
}

int dl_grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void *na;
    size_t ncap;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 32;
    while (ncap <= n)
        ncap *= 2;
    if (!(na = realloc(*arr, ncap * size)))
        return DL_ENOMEM;
    *arr = na;
    *cap = ncap;
    return 0;
}

/* ---- characters ---------------------------------------------------------- */

static inline size_t utf8_cp(const char *s, size_t left, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;

    if (p[0] < 0x80 || left < 2) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        *cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if ((p[0] & 0xF0) == 0xE0 && left >= 3) {
        *cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return 3;
    }
    if (left >= 4) {
        *cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
              ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        return 4;
    }
    *cp = p[0];
    return 1;
}

static inline int cp_letter(uint32_t c)
{
    if (c < 0x80)
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    if (c >= 0xC0 && c <= 0x24F)
        return c != 0xD7 && c != 0xF7;
    return (c >= 0x370 && c <= 0x1FFF) || (c >= 0x3040 && c <= 0xD7FF) || c >= 0xF900;
}

static inline int cp_upper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z';
    if (c >= 0xC0 && c <= 0xDE)
        return c != 0xD7;
    if (c >= 0x100 && c <= 0x17F)
        return !(c & 1);
    return (c >= 0x391 && c <= 0x3A9) || (c >= 0x410 && c <= 0x42F);
}

static inline int cp_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

/* ---- words ---------------------------------------------------------------- */

/* ASCII bytes of words, for the tokenizer's fast path: letter, upper-case
 * letter, digit (0: not a word byte, or not ASCII). */
enum { A_LETTER = 1, A_UPPER = 2, A_DIGIT = 4 };
#define A_U (A_LETTER | A_UPPER)
static const unsigned char ascii_word[256] = {
    ['0'] = A_DIGIT, ['1'] = A_DIGIT, ['2'] = A_DIGIT, ['3'] = A_DIGIT, ['4'] = A_DIGIT,
    ['5'] = A_DIGIT, ['6'] = A_DIGIT, ['7'] = A_DIGIT, ['8'] = A_DIGIT, ['9'] = A_DIGIT,
    ['A'] = A_U, ['B'] = A_U, ['C'] = A_U, ['D'] = A_U, ['E'] = A_U, ['F'] = A_U, ['G'] = A_U,
    ['H'] = A_U, ['I'] = A_U, ['J'] = A_U, ['K'] = A_U, ['L'] = A_U, ['M'] = A_U, ['N'] = A_U,
    ['O'] = A_U, ['P'] = A_U, ['Q'] = A_U, ['R'] = A_U, ['S'] = A_U, ['T'] = A_U, ['U'] = A_U,
    ['V'] = A_U, ['W'] = A_U, ['X'] = A_U, ['Y'] = A_U, ['Z'] = A_U,
    ['a'] = A_LETTER, ['b'] = A_LETTER, ['c'] = A_LETTER, ['d'] = A_LETTER, ['e'] = A_LETTER,
    ['f'] = A_LETTER, ['g'] = A_LETTER, ['h'] = A_LETTER, ['i'] = A_LETTER, ['j'] = A_LETTER,
    ['k'] = A_LETTER, ['l'] = A_LETTER, ['m'] = A_LETTER, ['n'] = A_LETTER, ['o'] = A_LETTER,
    ['p'] = A_LETTER, ['q'] = A_LETTER, ['r'] = A_LETTER, ['s'] = A_LETTER, ['t'] = A_LETTER,
    ['u'] = A_LETTER, ['v'] = A_LETTER, ['w'] = A_LETTER, ['x'] = A_LETTER, ['y'] = A_LETTER,
    ['z'] = A_LETTER};
#undef A_U

static inline int push_tok(dl_extractor *ex, const char *t, size_t start, size_t end,
                           uint32_t flags, uint32_t sent)
{
    if (ex->n_toks == ex->cap_toks &&
        dl_grow((void **)&ex->toks, &ex->cap_toks, ex->n_toks, sizeof(*ex->toks)))
        return DL_ENOMEM;
    ex->toks[ex->n_toks++] =
        (dl_tok){start, end, (uint16_t)flags, (uint16_t)dl_lex_sig(t + start, end - start), sent};
    return 0;
}

/* The end of the run of [A-Za-z0-9] at @p i (at most @p end), adding to
 * *@p letters its letters, up to two (all a word of capitals needs to know),
 * and to *@p lowers its letters other than capitals. By 16 bytes, as
 * dl_alnum_end(): a loop byte by byte mispredicts its exit at most words
 * (its length varies), and that was most of the tokenizer's time. (No
 * popcount: without -mpopcnt, the baseline x86-64 has none, it is a call.) */
static inline size_t count_run(const unsigned char *t, size_t i, size_t end, size_t *letters,
                               size_t *lowers)
{
#ifdef DL_SCAN16
    for (; i + 16 <= end; i += 16) {
        unsigned m = dl_alnum16((const char *)t + i), in = m, x;
        if (m != 0xFFFF)
            in = (1u << __builtin_ctz(~m)) - 1; /* the run: bytes before the first other */
        x = in & ~dl_digit16((const char *)t + i);
        *letters += (x != 0) + ((x & (x - 1)) != 0);
        *lowers += (x & ~dl_upper16((const char *)t + i)) != 0;
        if (m != 0xFFFF)
            return i + (size_t)__builtin_ctz(~m);
    }
#endif
    for (unsigned a; i < end && (a = ascii_word[t[i]]); i++) {
        *letters += a & A_LETTER;
        *lowers += a == A_LETTER;
    }
    return i;
}

/* 1 if the text just before @p at (skipping blanks) opens a quotation,
 * a parenthesis or follows a colon or dash: capitals there prove nothing. */
static int after_opener(const char *t, size_t from, size_t at)
{
    /* Mostly one space after a word: no opener (the common case first). */
    if (at - from >= 2 && t[at - 1] == ' ' && ascii_word[(unsigned char)t[at - 2]])
        return 0;
    while (at > from && (t[at - 1] == ' ' || t[at - 1] == '\t'))
        at--;
    if (at == from)
        return 1;
    unsigned char c = (unsigned char)t[at - 1];
    if (c == '"' || c == '(' || c == ':' || c == '[')
        return 1;
    /* “ ‘ — – */
    if (at - from >= 3 && (unsigned char)t[at - 3] == 0xE2 && (unsigned char)t[at - 2] == 0x80 &&
        (c == 0x9C || c == 0x98 || c == 0x94 || c == 0x93))
        return 1;
    return 0;
}

/* Not inlined: inside dl_entities_find() its loops keep fewer variables in
 * registers (measured: 7 M instructions more over 1,500 T17 articles). */
__attribute__((noinline)) static int tokenize(dl_extractor *ex, dl_slice text)
{
    const char *t = text.p;

    ex->n_toks = 0;
    for (size_t si = 0; si < ex->n_sentences; si++) {
        size_t i = ex->sentences[si].start, end = ex->sentences[si].end;
        size_t first = ex->n_toks;
        /* One past the end of the sentence's previous word: where a word
         * glued to it by one space starts (kept here, not read again from
         * ex->toks for every word) */
        size_t glue_at = SIZE_MAX;
        while (i < end) {
            uint32_t cp, flags = 0;
            size_t n, start, wend, letters = 0, lowers = 0;
            int dotted = 0;
            /* Blanks and ASCII punctuation between words: no decoding. */
            if ((unsigned char)t[i] < 0x80 && !ascii_word[(unsigned char)t[i]]) {
                while (++i < end && (unsigned char)t[i] < 0x80 && !ascii_word[(unsigned char)t[i]])
                    ;
                continue;
            }
            start = i;
            if (ascii_word[(unsigned char)t[i]]) { /* (the same answers as below, undecoded) */
                unsigned a = ascii_word[(unsigned char)t[i]];
                flags |= a & A_UPPER ? T_CAP : a & A_LETTER ? T_LOWER : T_NUM;
                /* Most words: the loop below would skip the letters so. */
                if (flags & T_LOWER) {
                    i = dl_alnum_end((const unsigned char *)t, i + 1, end);
                    /* and most end there, at a space or the sentence's
                     * end: no letters counted, no joiner, possessive or
                     * punctuation after it; of all below only the glue
                     * applies (not tested twice more for the space) */
                    if (i >= end || t[i] == ' ') {
                        wend = i;
                        goto glue;
                    }
                }
            } else {
                n = utf8_cp(t + i, end - i, &cp);
                if (!cp_letter(cp) && !cp_digit(cp)) {
                    i += n;
                    continue;
                }
                flags |= T_NONASCII;
                if (cp_upper(cp))
                    flags |= T_CAP;
                else if (cp_letter(cp))
                    flags |= T_LOWER;
                else
                    flags |= T_NUM;
            }
            /* (a space ends a word, as the other ASCII below: tested first) */
            while (i < end && t[i] != ' ') {
                /* Most words are ASCII letters: no decoding for them. */
                unsigned a = ascii_word[(unsigned char)t[i]];
                if (a && (flags & T_LOWER)) {
                    /* After a lower-case first letter the word cannot be all
                     * capitals: the letters need no counting. */
                    i = dl_alnum_end((const unsigned char *)t, i + 1, end);
                    continue;
                }
                if (a) {
                    i = count_run((const unsigned char *)t, i, end, &letters, &lowers);
                    continue;
                }
                /* Other ASCII than the joiners below (' - .) ends the word. */
                if ((unsigned char)t[i] < 0x80 && t[i] != '\'' && t[i] != '-' && t[i] != '.')
                    break;
                if ((unsigned char)t[i] >= 0x80)
                    flags |= T_NONASCII; /* (perhaps after the word: no matter) */
                n = utf8_cp(t + i, end - i, &cp);
                if (cp_letter(cp) || cp_digit(cp)) {
                    letters += cp_letter(cp);
                    lowers += cp_letter(cp) && !cp_upper(cp);
                    i += n;
                    continue;
                }
                if (i + n >= end)
                    break;
                uint32_t next;
                size_t nn = utf8_cp(t + i + n, end - i - n, &next);
                if ((cp == '\'' || cp == 0x2019) && (next == 's' || next == 'S')) {
                    /* A possessive 's ends the word; "it's", "don't" stay words. */
                    uint32_t after = ' ';
                    if (i + n + nn < end)
                        utf8_cp(t + i + n + nn, end - i - n - nn, &after);
                    if (!cp_letter(after) && !cp_digit(after)) {
                        flags |= T_POSS;
                        break;
                    }
                }
                if ((cp == '\'' || cp == 0x2019 || cp == '-') && (cp_letter(next) || cp_digit(next))) {
                    i += n;
                    continue;
                }
                /* Initialisms: U.S., D.C. */
                if (cp == '.' && cp_letter(next) && i - start == 1 + 2 * (size_t)dotted &&
                    cp_upper(next)) {
                    dotted++;
                    i += n;
                    continue;
                }
                break;
            }
            wend = i;
            if (letters >= 2 && !lowers)
                flags |= T_UPPER;
            /* Most words end at a space: nothing of this applies. */
            if (i < end && t[i] != ' ') {
                if (dotted && t[i] == '.' && wend - start == 1 + 2 * (size_t)dotted) {
                    i++;
                    wend = i; /* "U.S." keeps its last period */
                }
                if (flags & T_POSS) {
                    uint32_t c2;
                    i += utf8_cp(t + i, end - i, &c2); /* the apostrophe */
                    i++;                               /* the s */
                } else if (i < end &&
                           (t[i] == '\'' || ((unsigned char)t[i] == 0xE2 && i + 2 < end &&
                                             (unsigned char)t[i + 1] == 0x80 &&
                                             (unsigned char)t[i + 2] == 0x99))) {
                    /* Plural possessive: "parents’ " */
                    if (t[wend - 1] == 's' && (i + (t[i] == '\'' ? 1 : 3) >= end ||
                                               t[i + (t[i] == '\'' ? 1 : 3)] == ' ')) {
                        flags |= T_POSS;
                        i += t[i] == '\'' ? 1 : 3;
                    }
                }
                if (i < end && t[i] == '.')
                    flags |= T_DOT;
                if (i < end && t[i] == ',')
                    flags |= T_COMMA;
            }
        glue:
            if (start == glue_at && t[start - 1] == ' ' &&
                ascii_word[(unsigned char)t[start - 2]]) {
                /* One space after a word (most words): glued to it, and no
                 * opener (after_opener()) before. */
                ex->toks[ex->n_toks - 1].flags |= T_GLUE;
            } else {
                if (ex->n_toks == first || after_opener(t, ex->sentences[si].start, start))
                    flags |= T_SSTART;
                if (ex->n_toks > first) {
                    dl_tok *prev = &ex->toks[ex->n_toks - 1];
                    size_t g = prev->end;
                    /* skip the previous word's possessive */
                    if (prev->flags & T_POSS) {
                        while (g < start && t[g] != ' ')
                            g++;
                    }
                    size_t k = g;
                    while (k < start && (t[k] == ' ' || t[k] == '\t'))
                        k++;
                    if (k == start)
                        prev->flags |= T_GLUE;
                }
            }
            if (push_tok(ex, t, start, wend, flags, (uint32_t)si))
                return DL_ENOMEM;
            glue_at = wend + 1;
            /* Most words are followed by a space: skipped here, not by a
             * turn of the loop for blanks and punctuation. */
            if (i < end && t[i] == ' ')
                i++;
        }
    }
    return 0;
}

/* ---- look-ups ------------------------------------------------------------- */

/* Inline: with the word's signature at hand a miss is a bit test, cheaper
 * than the call. */
static inline const char *lex(const dl_lexicon *l, const char *text, const dl_tok *tk)
{
    return l ? dl_lexicon_get_sig(l, tk->sig, text + tk->start, tk->end - tk->start) : NULL;
}

/* The last word a lexicon had (lex_again()): where it is, its length, its
 * value (NULL: none yet). */
typedef struct {
    size_t start, len;
    const char *value;
} dl_lex_hit;

/* lex() for a word most often spelt the same when asked about ("the" for
 * every word that may open an epithet): past the signature, a word with
 * the bytes of the last one found in @p l is found without folding and
 * hashing it again (the same bytes, the same answer). */
static inline const char *lex_again(const dl_lexicon *l, const char *t, const dl_tok *tk,
                                    dl_lex_hit *hit)
{
    size_t n;
    const char *v;

    if (!l || !dl_sig_has(l->sig, tk->sig))
        return NULL;
    n = tk->end - tk->start;
    if (hit->value && hit->len == n && !memcmp(t + hit->start, t + tk->start, n))
        return hit->value;
    if ((v = dl_lexicon_lookup(l, t + tk->start, n)))
        *hit = (dl_lex_hit){tk->start, n, v};
    return v;
}

/* Whether word @p k is in the not_name lexicon, remembered in its flags:
 * capitalised words are asked about again and again (runs, lone words,
 * subjects), and most of those asked about are in it. */
static int not_name(dl_extractor *ex, const char *t, size_t k)
{
    dl_tok *tk = &ex->toks[k];

    if (!(tk->flags & T_NN_KNOWN))
        tk->flags |= T_NN_KNOWN | (lex(ex->rules->elex.not_name, t, tk) ? T_NOT_NAME : 0);
    return (tk->flags & T_NOT_NAME) != 0;
}

static int is_determiner(const dl_entity_lex *L, const char *t, const dl_tok *tk)
{
    return lex(L->determiner, t, tk) != NULL;
}

static int is_preposition(const dl_entity_lex *L, const char *t, const dl_tok *tk)
{
    return lex(L->preposition, t, tk) != NULL;
}

/* 1 if the word is @p word (lower case), in any case. Called hundreds of
 * thousands of times, mostly on other words: the first byte decides those
 * before the length (strlen folds only for a literal) and the compare. */
static inline int same_text(const char *t, dl_span a, dl_span b)
{
    return a.end - a.start == b.end - b.start && a.end > a.start &&
           !strncasecmp(t + a.start, t + b.start, a.end - a.start);
}

/* 0 when word @p k is no word of @p set (a dl_gazetteer's signatures). */
static inline int gaz_may_be(const dl_extractor *ex, const uint64_t *set, size_t k)
{
    const dl_tok *tk = &ex->toks[k];

    /* (normalised, a ’ becomes ': the word's signature may not be its form's) */
    return (tk->flags & T_NONASCII) || dl_sig_has(set, tk->sig);
}

/* The kind of the gazetteer name words [a, b] make, -1 if none. A word
 * found in no name alone is flagged: the run classifier and then the lone
 * words' passes ask about most words again. */
static int gaz_words(dl_extractor *ex, dl_slice text, size_t a, size_t b)
{
    const dl_gazetteer *gaz = &ex->rules->gaz;
    dl_tok *tk = ex->toks;
    int kind;

    if (a == b && (tk[a].flags & T_NO_GAZ))
        return -1;
    /* A name of one word, or whose first and last words are words a and b
     * (when blanks part them from the rest), or no look-up. */
    if (a == b ? !gaz_may_be(ex, gaz->word_sig, a)
               : (text.p[tk[a].end] == ' ' && !gaz_may_be(ex, gaz->first_sig, a)) ||
                     (text.p[tk[b].start - 1] == ' ' && !gaz_may_be(ex, gaz->last_sig, b)))
        kind = -1;
    else
        kind = dl_gaz_get(gaz, text.p + tk[a].start, tk[b].end - tk[a].start);
    if (kind < 0 && a == b)
        tk[a].flags |= T_NO_GAZ;
    return kind;
}

/* ---- entities and mentions ------------------------------------------------ */

static int add_ent(dl_extractor *ex, dl_entity_kind kind, dl_span name)
{
    dl_ent *e;

    if (ex->n_ents >= DL_MAX_ENTITIES)
        return -1;
    if (dl_grow((void **)&ex->ents, &ex->cap_ents, ex->n_ents, sizeof(*ex->ents)))
        return DL_ENOMEM;
    e = &ex->ents[ex->n_ents];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->name = name;
    e->age = -1;
    e->desc_first = (size_t)-1;
    return (int)ex->n_ents++;
}

static int add_mention(dl_extractor *ex, size_t start, size_t end, int entity, int type,
                       size_t tok)
{
    dl_mention *m;

    if (ex->n_ments >= DL_MAX_MENTIONS)
        return 0;
    if (dl_grow((void **)&ex->ments, &ex->cap_ments, ex->n_ments, sizeof(*ex->ments)))
        return DL_ENOMEM;
    m = &ex->ments[ex->n_ments++];
    memset(m, 0, sizeof(*m));
    m->start = start;
    m->end = end;
    m->entity = entity;
    m->type = (uint8_t)type;
    m->tok = (uint32_t)tok;
    m->sent = ex->toks[tok].sent;
    if (entity >= 0) {
        ex->ents[entity].n_mentions++;
        if (start > ex->ents[entity].last)
            ex->ents[entity].last = start;
    }
    return 0;
}

/* The entity of @p kind named like @p name (any case), -1 if none. */
static int find_named(dl_extractor *ex, dl_slice text, int kind, dl_span name)
{
    char a[128], b[128];
    int a0 = dl_gaz_norm_first(text.p + name.start, name.end - name.start);
    size_t na = 0; /* the name normalised into a, once needed */

    if (a0 < 0)
        return -1;
    for (size_t i = 0; i < ex->n_ents; i++) {
        const dl_ent *e = &ex->ents[i];
        if ((int)e->kind != kind)
            continue;
        dl_span s = e->kind == DL_ENT_PERSON && e->full
                        ? (dl_span){e->given.start, e->given.end}
                        : e->name;
        if (dl_gaz_norm_first(text.p + s.start, s.end - s.start) != a0)
            continue;
        /* The same text (most names said again) normalises the same, when
         * it fits (shorter than a: its normal form is no longer). */
        if (!(e->kind == DL_ENT_PERSON && e->full) && name.end - name.start < sizeof(a) &&
            same_text(text.p, e->name, name))
            return (int)i;
        if (!na && !(na = dl_gaz_norm(text.p + name.start, name.end - name.start, a, sizeof(a))))
            return -1;
        if (e->kind == DL_ENT_PERSON && e->full) {
            /* Persons are keyed by given name + surname: "Donald J. Trump" = "Donald Trump". */
            size_t n1 = dl_gaz_norm(text.p + e->given.start, e->given.end - e->given.start, b,
                                    sizeof(b));
            size_t n2;
            if (!n1 || n1 + 2 >= sizeof(b))
                continue;
            b[n1] = ' ';
            n2 = dl_gaz_norm(text.p + e->surname.start, e->surname.end - e->surname.start,
                             b + n1 + 1, sizeof(b) - n1 - 1);
            if (n2 && n1 + 1 + n2 == na && !memcmp(a, b, na))
                return (int)i;
            continue;
        }
        size_t nb = dl_gaz_norm(text.p + e->name.start, e->name.end - e->name.start, b, sizeof(b));
        if (nb == na && !memcmp(a, b, na))
            return (int)i;
    }
    return -1;
}

static int full_person(dl_extractor *ex, dl_slice text, const dl_tok *given,
                       const dl_tok *surname, int *id);

/* Adds a person named by words [a, b] (title stripped) and a mention of it. */
static int add_person(dl_extractor *ex, dl_slice text, size_t a, size_t b, char gender,
                      size_t mention_tok)
{
    const dl_tok *tk = ex->toks;
    dl_span name = {tk[a].start, tk[b].end};
    int id, rc;

    if (b > a) {
        /* Keyed on first and last word. */
        if ((rc = full_person(ex, text, &tk[a], &tk[b], &id)))
            return rc;
        if (id < 0) {
            if ((id = add_ent(ex, DL_ENT_PERSON, name)) == DL_ENOMEM)
                return DL_ENOMEM;
            if (id < 0)
                return 0;
            ex->ents[id].full = 1;
            ex->ents[id].given = (dl_span){tk[a].start, tk[a].end};
            ex->ents[id].surname = (dl_span){tk[b].start, tk[b].end};
        }
        /* The fullest form names it: "Donald J. Trump" over "Donald Trump". */
        if (name.end - name.start > ex->ents[id].name.end - ex->ents[id].name.start)
            ex->ents[id].name = name;
    } else {
        if ((id = find_named(ex, text, DL_ENT_PERSON, name)) < 0) {
            if ((id = add_ent(ex, DL_ENT_PERSON, name)) == DL_ENOMEM)
                return DL_ENOMEM;
            if (id < 0)
                return 0;
        }
    }
    if (gender && !ex->ents[id].gender)
        ex->ents[id].gender = gender;
    if ((rc = add_mention(ex, name.start, name.end, id, DL_M_NAME, mention_tok)))
        return rc;
    return 0;
}

static int add_other(dl_extractor *ex, dl_slice text, dl_entity_kind kind, dl_span name,
                     size_t tok)
{
    int id = find_named(ex, text, (int)kind, name);

    if (id < 0) {
        if ((id = add_ent(ex, kind, name)) == DL_ENOMEM)
            return DL_ENOMEM;
        if (id < 0)
            return 0;
    }
    return add_mention(ex, name.start, name.end, id, DL_M_NAME, tok);
}

static char gender_of(const char *v)
{
    return v && (v[0] == 'm' || v[0] == 'f') ? v[0] : 0;
}

/* Word @p i continues a name run started before it. */
static int run_continues(dl_extractor *ex, dl_slice text, size_t i)
{
    const dl_tok *tk = ex->toks, *p = &tk[i - 1], *c = &tk[i];
    const dl_entity_lex *L = &ex->rules->elex;

    if (c->sent != p->sent || (p->flags & T_POSS) || (c->flags & T_NUM))
        return 0;
    if (!(p->flags & T_GLUE)) {
        /* "Mr. Barrett", "John F. Kennedy": a period after a title or an initial. */
        if (!(p->flags & T_DOT) || !(c->flags & T_CAP))
            return 0;
        if (!(p->end - p->start == 1 || lex(L->title, text.p, p)))
            return 0;
        for (size_t k = p->end + 1; k < c->start; k++)
            if (text.p[k] != ' ')
                return 0;
    }
    if (!(c->flags & T_CAP))
        return 0;
    if (not_name(ex, text.p, i))
        return 0;
    return 1;
}

/* Classifies the capitalised run [a, b] and records what it names. Words
 * left over are single-word candidates for the next pass. */
static int classify_run(dl_extractor *ex, dl_slice text, size_t a, size_t b)
{
    dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    const dl_gazetteer *gaz = &ex->rules->gaz;
    char gender = 0;
    int kind = -1, rc, titled = 0;

    /* Leading words that are no name go, unless the run from them is a
     * known name (looked up once: the loop's answer is kept). */
    while (a <= b && not_name(ex, text.p, a)) {
        if ((kind = gaz_words(ex, text, a, b)) >= 0)
            break;
        a++;
    }
    if (a > b)
        return 0;
    if (kind < 0) /* not looked up from this word yet */
        kind = gaz_words(ex, text, a, b);
    /* The whole run is a known name. */
    if (kind >= 0) {
        for (size_t k = a; k <= b; k++)
            tk[k].flags |= T_USED;
        return add_other(ex, text, (dl_entity_kind)kind, (dl_span){tk[a].start, tk[b].end}, a);
    }
    /* Organisations: "Lehman Brothers Holdings", "University of Utah". */
    if (lex(L->org_word, text.p, &tk[b]) && (b > a || (tk[b].flags & T_GLUE))) {
        size_t e = b;
        /* "... of Justice", "... for Disease Control" */
        if ((tk[b].flags & T_GLUE) && b + 2 < ex->n_toks && tk[b + 1].sent == tk[b].sent &&
            lex(L->org_joiner, text.p, &tk[b + 1]) &&
            (tk[b + 1].flags & T_GLUE) && (tk[b + 2].flags & T_CAP) &&
            !not_name(ex, text.p, b + 2)) {
            e = b + 2;
            while (e + 1 < ex->n_toks && run_continues(ex, text, e + 1) &&
                   !(tk[e].flags & T_POSS))
                e++;
        }
        if (e > a) {
            for (size_t k = a; k <= e; k++)
                tk[k].flags |= T_USED;
            return add_other(ex, text, DL_ENT_ORG, (dl_span){tk[a].start, tk[e].end}, a);
        }
    }
    /* Titles: "Sen. Elizabeth Warren", "Mr. Barrett". */
    while (a < b && lex(L->title, text.p, &tk[a])) {
        gender = gender ? gender : gender_of(lex(L->title, text.p, &tk[a]));
        titled = 1;
        a++;
    }
    if (b - a >= 4)
        return 0; /* too long for a name: a headline or a title */
    if (titled || (b > a && lex(L->given_name, text.p, &tk[a]) && !(tk[a].flags & T_UPPER))) {
        if (!gender && b > a)
            gender = gender_of(lex(L->given_name, text.p, &tk[a]));
        for (size_t k = a; k <= b; k++)
            tk[k].flags |= T_USED;
        return add_person(ex, text, a, b, gender, a);
    }
    /* Subject of a speech verb: "Pat Caddell said". */
    if (b > a && (tk[b].flags & T_GLUE) && b + 1 < ex->n_toks &&
        lex(L->speech_verb, text.p, &tk[b + 1]) && !(tk[a].flags & T_UPPER)) {
        for (size_t k = a; k <= b; k++)
            tk[k].flags |= T_USED;
        return add_person(ex, text, a, b, 0, a);
    }
    /* Known names inside the run: "Utah" in "Salt Lake Utah Jazz"... */
    for (size_t k = a; k <= b;) {
        size_t best = 0;
        int bk = -1;
        for (size_t e = k; e <= b && e - k < (size_t)(gaz->max_words ? gaz->max_words : 1); e++) {
            int kk = gaz_words(ex, text, k, e);
            if (kk >= 0) {
                best = e;
                bk = kk;
            }
        }
        if (bk >= 0 && (best > k || b == a || !(tk[k].flags & T_SSTART))) {
            for (size_t m = k; m <= best; m++)
                tk[m].flags |= T_USED;
            if ((rc = add_other(ex, text, (dl_entity_kind)bk, (dl_span){tk[k].start, tk[best].end},
                                k)))
                return rc;
            k = best + 1;
        } else {
            k++;
        }
    }
    return 0;
}

#define DL_PIDX_BUCKETS 4096 /* a power of two; at most 2 * DL_MAX_ENTITIES entries */

static int pidx_add(dl_extractor *ex, dl_slice text, int ent, int pass, dl_span part)
{
    struct dl_pidx *x;
    uint32_t h;
    size_t sig;

    if (part.end <= part.start)
        return 0; /* an empty part matches nothing (same_text) */
    if (dl_grow((void **)&ex->pidx, &ex->cap_pidx, ex->n_pidx, sizeof(*ex->pidx)))
        return DL_ENOMEM;
    h = dl_fnv1a_lower(DL_FNV_SEED, text.p + part.start, part.end - part.start);
    sig = dl_lex_sig(text.p + part.start, part.end - part.start);
    dl_sig_add(ex->pidx_sig, sig);
    x = &ex->pidx[ex->n_pidx];
    *x = (struct dl_pidx){h, ent, pass, ex->pidx_head[h & (DL_PIDX_BUCKETS - 1)]};
    ex->pidx_head[h & (DL_PIDX_BUCKETS - 1)] = (int)ex->n_pidx++;
    return 0;
}

/* Brings the index up to date with the entities added since the last call
 * (their kind and name parts are final once add_person() returns). */
static int pidx_update(dl_extractor *ex, dl_slice text)
{
    if (!ex->pidx_head) {
        if (!(ex->pidx_head = malloc(DL_PIDX_BUCKETS * sizeof(*ex->pidx_head))))
            return DL_ENOMEM;
        memset(ex->pidx_head, 0xff, DL_PIDX_BUCKETS * sizeof(*ex->pidx_head));
    }
    for (; ex->pidx_ents < ex->n_ents; ex->pidx_ents++) {
        const dl_ent *e = &ex->ents[ex->pidx_ents];
        int i = (int)ex->pidx_ents, rc;
        if (e->kind != DL_ENT_PERSON)
            continue;
        /* A one-word name is its own surname and given name: pass 0 has it. */
        if (!e->full)
            rc = pidx_add(ex, text, i, 0, e->name);
        else if (!(rc = pidx_add(ex, text, i, 0, e->surname)))
            rc = pidx_add(ex, text, i, 1, e->given);
        if (rc)
            return rc;
    }
    return 0;
}

/* Brings the index up to date, and sets *@p first to the first entry of
 * the chain the word @p tk hashes to (*@p h), or to -1 when no word of the
 * index has its signature (most words: no hashing). Entries of other
 * hashes share the chain; callers compare. */
static inline int pidx_chain(dl_extractor *ex, dl_slice text, const dl_tok *tk, uint32_t *h,
                             int *first)
{
    int rc;

    *first = -1;
    if ((rc = pidx_update(ex, text)))
        return rc;
    if (!dl_sig_has(ex->pidx_sig, tk->sig))
        return 0;
    *h = dl_fnv1a_lower(DL_FNV_SEED, text.p + tk->start, tk->end - tk->start);
    *first = ex->pidx_head[*h & (DL_PIDX_BUCKETS - 1)];
    return 0;
}

/* The full person whose surname (or else given name) is the word @p tk,
 * the most recently mentioned before @p pos first; ties go to the first
 * entity. Looked up in an index: it runs for every capitalised word, and a
 * scan of every entity made long articles quadratic. *id is -1 if none. */
static int person_by_part(dl_extractor *ex, dl_slice text, const dl_tok *tk, int *id)
{
    dl_span w = {tk->start, tk->end};
    int best[2] = {-1, -1}; /* [0]: surname or one-word name, [1]: given name */
    size_t best_last[2] = {0, 0};
    uint32_t h;
    int rc, k;

    *id = -1;
    if ((rc = pidx_chain(ex, text, tk, &h, &k)))
        return rc;
    for (; k >= 0; k = ex->pidx[k].next) {
        const struct dl_pidx *x = &ex->pidx[k];
        const dl_ent *e = &ex->ents[x->ent];
        dl_span part = x->pass == 0 ? (e->full ? e->surname : e->name) : e->given;
        if (x->hash != h || !same_text(text.p, part, w))
            continue;
        size_t rank = e->last < tk->start ? e->last + 1 : 0;
        if (best[x->pass] < 0 || rank > best_last[x->pass] ||
            (rank == best_last[x->pass] && x->ent < best[x->pass])) {
            best[x->pass] = x->ent;
            best_last[x->pass] = rank;
        }
    }
    *id = best[0] >= 0 ? best[0] : best[1];
    return 0;
}

/* The full person (two names or more) whose given name and surname are
 * the words @p given and @p surname, in any case; *id is -1 if none. There
 * is at most one: add_person() makes one only when this finds none. Looked
 * up in the index too: a scan of every entity for each name made long
 * articles quadratic (a fifth of a 233 kB article's instructions). */
static int full_person(dl_extractor *ex, dl_slice text, const dl_tok *given,
                       const dl_tok *surname, int *id)
{
    dl_span g = {given->start, given->end}, w = {surname->start, surname->end};
    uint32_t h;
    int rc, k;

    *id = -1;
    if ((rc = pidx_chain(ex, text, surname, &h, &k)))
        return rc;
    for (; k >= 0; k = ex->pidx[k].next) {
        const struct dl_pidx *x = &ex->pidx[k];
        const dl_ent *e = &ex->ents[x->ent];
        if (x->hash == h && x->pass == 0 && e->full && same_text(text.p, e->surname, w) &&
            same_text(text.p, e->given, g)) {
            *id = x->ent;
            return 0;
        }
    }
    return 0;
}

/* Evidence that a lone capitalised word is a person: "son, Jack",
 * "daughter Luna", "Luna, 4,", "Caddell said". */
static int lone_person_evidence(dl_extractor *ex, dl_slice text, size_t i)
{
    const dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;

    if (i > 0 && tk[i - 1].sent == tk[i].sent && lex(L->kinship, text.p, &tk[i - 1]) &&
        ((tk[i - 1].flags & T_GLUE) || (tk[i - 1].flags & T_COMMA)))
        return 1;
    if ((tk[i].flags & T_GLUE) && i + 1 < ex->n_toks && tk[i + 1].sent == tk[i].sent &&
        lex(L->speech_verb, text.p, &tk[i + 1]))
        return 1;
    for (size_t k = 0; k < ex->rules->age_after.n; k++)
        if (dl_apattern_match(&ex->rules->age_after.v[k], text.p,
                              tk[i].end + 40 < text.len ? tk[i].end + 40 : text.len, tk[i].end,
                              ex->amd, ex->mctx) >= 0)
            return 1;
    return 0;
}

static int resolve_lone_words(dl_extractor *ex, dl_slice text)
{
    dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    int rc, id, kind;

    /* First people by evidence, so an earlier mention of them resolves too. */
    for (size_t i = 0; i < ex->n_toks; i++) {
        const char *g;
        if ((tk[i].flags & (T_USED | T_UPPER)) || !(tk[i].flags & T_CAP) ||
            not_name(ex, text.p, i) || lex(L->pronoun, text.p, &tk[i]))
            continue;
        if (gaz_words(ex, text, i, i) >= 0)
            continue;
        if ((i > 0 && tk[i - 1].sent == tk[i].sent && (tk[i - 1].flags & T_GLUE) &&
             (tk[i - 1].flags & T_CAP)) ||
            ((tk[i].flags & T_GLUE) && i + 1 < ex->n_toks && (tk[i + 1].flags & T_CAP) &&
             tk[i + 1].sent == tk[i].sent))
            continue; /* part of an unknown longer name */
        if ((rc = person_by_part(ex, text, &tk[i], &id)))
            return rc;
        /* (a sentence's first word must be a known name: asked before the
         * evidence, which runs patterns) */
        if (id >= 0 ||
            ((tk[i].flags & T_SSTART) && !lex(L->given_name, text.p, &tk[i]) &&
             !lex(L->surname, text.p, &tk[i])) ||
            !lone_person_evidence(ex, text, i))
            continue;
        g = lex(L->given_name, text.p, &tk[i]);
        if ((id = add_ent(ex, DL_ENT_PERSON, (dl_span){tk[i].start, tk[i].end})) == DL_ENOMEM)
            return DL_ENOMEM;
        if (id >= 0)
            ex->ents[id].gender = gender_of(g);
    }
    /* Then every lone word: an alias of a person, or a known name. */
    for (size_t i = 0; i < ex->n_toks; i++) {
        if ((tk[i].flags & (T_USED | T_UPPER)) || !(tk[i].flags & T_CAP) ||
            lex(L->pronoun, text.p, &tk[i]))
            continue;
        if ((rc = person_by_part(ex, text, &tk[i], &id)))
            return rc;
        if (id >= 0) {
            int type = ex->ents[id].full ? DL_M_ALIAS : DL_M_NAME;
            tk[i].flags |= T_USED;
            if ((rc = add_mention(ex, tk[i].start, tk[i].end, id, type, i)))
                return rc;
            continue;
        }
        if ((tk[i].flags & T_NO_GAZ) || not_name(ex, text.p, i))
            continue;
        if ((kind = gaz_words(ex, text, i, i)) >= 0) {
            tk[i].flags |= T_USED;
            if ((rc = add_other(ex, text, (dl_entity_kind)kind, (dl_span){tk[i].start, tk[i].end},
                                i)))
                return rc;
        }
    }
    return 0;
}

/* ---- sentences: subjects, epithets ---------------------------------------- */

static int ment_cmp(const void *a, const void *b)
{
    const dl_mention *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

/* The end of the sorted run of @p m that starts at @p lo (< @p n). */
static size_t run_end(const dl_mention *m, size_t lo, size_t n)
{
    while (++lo < n && ment_cmp(&m[lo - 1], &m[lo]) <= 0)
        ;
    return lo;
}

/* Merges the sorted runs m[lo, mid) and m[mid, hi) into out[lo, hi), the
 * left one first on ties (stable). */
static void merge_runs(const dl_mention *m, dl_mention *out, size_t lo, size_t mid, size_t hi)
{
    size_t i = lo, j = mid, k = lo;

    while (i < mid && j < hi)
        out[k++] = ment_cmp(&m[j], &m[i]) < 0 ? m[j++] : m[i++];
    while (i < mid)
        out[k++] = m[i++];
    while (j < hi)
        out[k++] = m[j++];
}

/* Puts the mentions in text order (ment_cmp), stably: mentions of the same
 * span keep the order the passes found them in. They are sorted runs (each
 * pass appends one), so a natural merge sort: each round merges pairs of
 * runs, as many rounds as log2 of the runs. (An insertion sort, with a
 * merge sort from single elements once it had moved too much, was 8 % of
 * a 671 kB article's instructions. Not qsort(), which is not stable on
 * every libc: glibc's became introsort in 2.37.) */
static int sort_mentions(dl_extractor *ex)
{
    dl_mention *src = ex->ments, *dst, *tmp;
    size_t n = ex->n_ments, runs;

    if (n < 2 || run_end(src, 0, n) == n)
        return 0;
    if (!(tmp = malloc(n * sizeof(*tmp))))
        return DL_ENOMEM;
    dst = tmp;
    do {
        runs = 0;
        for (size_t lo = 0, mid, hi; lo < n; lo = hi, runs++) {
            mid = run_end(src, lo, n);
            hi = mid < n ? run_end(src, mid, n) : n;
            merge_runs(src, dst, lo, mid, hi);
        }
        dl_mention *t = src;
        src = dst;
        dst = t;
    } while (runs > 1);
    if (src != ex->ments)
        memcpy(ex->ments, src, n * sizeof(*src));
    free(tmp);
    return 0;
}

static int is_person(const dl_extractor *ex, int id)
{
    return id >= 0 && ex->ents[id].kind == DL_ENT_PERSON;
}

static int gender_ok(const dl_ent *e, char gender)
{
    return !gender || !e->gender || e->gender == gender;
}

/* Index of the first mention starting at or after @p pos (mentions are in
 * text order). */
static size_t mentions_from(const dl_extractor *ex, size_t pos)
{
    size_t lo = 0, hi = ex->n_ments;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ex->ments[mid].start < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int dl_entities_resolve_pronoun(dl_extractor *ex, size_t pos, char gender)
{
    size_t lo = mentions_from(ex, pos); /* mentions before pos: [0, lo) */
    int any = -1;

    for (size_t k = lo, seen = 0; k-- > 0 && seen < 60; seen++) {
        const dl_mention *m = &ex->ments[k];
        if (m->start + DL_COREF_WINDOW < pos)
            break;
        if (m->quoted || m->type == DL_M_PRONOUN || !is_person(ex, m->entity) ||
            !gender_ok(&ex->ents[m->entity], gender))
            continue;
        if (m->subject)
            return m->entity;
        if (any < 0)
            any = m->entity;
    }
    return any;
}

int dl_entities_antecedent(dl_extractor *ex, size_t pos)
{
    size_t lo = mentions_from(ex, pos), sent;
    int any = -1;

    if (lo == 0)
        return -1;
    sent = ex->ments[lo - 1].sent;
    /* The nearest mention before @p pos in its sentence; a person if one of
     * the two nearest is ("the senator from Ohio, who"). */
    for (size_t k = lo, n = 0; k-- > 0 && n < 2; n++) {
        const dl_mention *m = &ex->ments[k];
        if (m->sent != sent || m->quoted || m->entity < 0)
            break;
        if (is_person(ex, m->entity))
            return m->entity;
        if (any < 0)
            any = m->entity;
    }
    return any;
}

int dl_entities_at(dl_extractor *ex, size_t start, size_t end)
{
    size_t lo = mentions_from(ex, start);

    /* Mentions starting inside [start, end): the first person wins. */
    for (size_t k = lo; k < ex->n_ments && ex->ments[k].start < end; k++)
        if (is_person(ex, ex->ments[k].entity))
            return ex->ments[k].entity;
    for (size_t k = lo; k < ex->n_ments && ex->ments[k].start < end; k++)
        if (ex->ments[k].entity >= 0)
            return ex->ments[k].entity;
    return -1;
}

static int add_desc(dl_extractor *ex, int entity, dl_span span)
{
    if (dl_grow((void **)&ex->descs, &ex->cap_descs, ex->n_descs, sizeof(*ex->descs)))
        return DL_ENOMEM;
    ex->descs[ex->n_descs++] = (dl_desc){span, entity};
    return 0;
}

/* An epithet starting at word @p i, a definite article (the caller asks:
 * see link_sentences()): the + [modifiers] [Title words] + role noun.
 * @returns the index of the role noun, or 0 if none; the capitalised title
 * words are [*ts, *te] (*ts > *te when none). */
static size_t epithet_at(dl_extractor *ex, dl_slice text, size_t i, size_t *ts, size_t *te)
{
    const dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    const dl_lexicon *mod = L->role_modifier;
    size_t k, last_cap = 0, first_cap = 0;

    for (k = i + 1; k < ex->n_toks && k <= i + 8; k++) {
        const dl_tok *p = &tk[k - 1], *c = &tk[k];
        if (c->sent != tk[i].sent || !(p->flags & T_GLUE))
            return 0;
        if ((p->flags & T_POSS) && !(c->flags & T_CAP))
            return 0; /* "the company's spokesman": not a title */
        if (c->flags & T_LOWER) {
            if (lex(L->role_noun, text.p, c) && !(c->flags & T_POSS)) {
                /* "the model train": a noun right after is not a role. */
                if ((c->flags & T_GLUE) && k + 1 < ex->n_toks && (tk[k + 1].flags & T_LOWER) &&
                    lex(L->role_noun, text.p, &tk[k + 1]))
                    continue;
                *ts = first_cap ? first_cap : 1;
                *te = first_cap ? last_cap : 0;
                return k;
            }
            if (last_cap && lex(L->title_joiner, text.p, c))
                continue;
            if (!last_cap && mod && lex(mod, text.p, c))
                continue;
            return 0;
        }
        if (c->flags & T_CAP) {
            if (!first_cap)
                first_cap = k;
            last_cap = k;
            continue;
        }
        if ((c->flags & T_NUM) && !last_cap)
            continue; /* "the 34-year-old model" */
        return 0;
    }
    return 0;
}

/* The most mentioned fully named person other than @p not, most recent on ties. */
static int other_person(dl_extractor *ex, int not, size_t before)
{
    int best = -1;

    for (size_t i = 0; i < ex->n_ents; i++) {
        const dl_ent *e = &ex->ents[i];
        if ((int)i == not || e->kind != DL_ENT_PERSON || !e->full || e->name.start >= before)
            continue;
        if (best < 0 || e->n_mentions > ex->ents[best].n_mentions ||
            (e->n_mentions == ex->ents[best].n_mentions && e->last > ex->ents[best].last))
            best = (int)i;
    }
    return best;
}

static const dl_mention *mention_covering(const dl_extractor *ex, size_t pos);

/* 1 if the text between words @p a and @p a + 1 holds @p s. */
static inline int gap_holds(const char *t, const dl_tok *tk, size_t a, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = tk[a].end; i + n <= tk[a + 1].start; i++)
        if (!memcmp(t + i, s, n))
            return 1;
    return 0;
}

/* Where the subject of the sentence [first, end) may start: after the last
 * paragraph break in it (a heading or a time stamp without a period runs
 * into the next paragraph), after a dateline ("WASHINGTON (AP) — "), and
 * after an introductory phrase ("In a statement Monday, Clinton said"). */
static size_t subject_start(dl_extractor *ex, dl_slice text, size_t first, size_t end)
{
    const dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    size_t s = first;

    for (size_t k = first + 1; k < end; k++) {
        /* (blanks only, or one byte, between the words, the common cases,
         * are neither: after a possessive, T_GLUE may skip a line break) */
        if ((tk[k - 1].flags & (T_GLUE | T_POSS)) == T_GLUE ||
            (tk[k].start - tk[k - 1].end == 1 && text.p[tk[k - 1].end] != '\n'))
            continue;
        if (gap_holds(text.p, tk, k - 1, "\n") ||
            (gap_holds(text.p, tk, k - 1, "  ") && !(tk[k - 1].flags & T_GLUE)))
            s = k; /* not "Sanders  has": a blank run inside a sentence */
    }
    for (size_t k = s; k < end - 1 && k < s + 5 && (tk[k].flags & T_CAP); k++)
        if (gap_holds(text.p, tk, k, "\xE2\x80\x94") || gap_holds(text.p, tk, k, "--")) {
            s = k + 1;
            break;
        }
    if (s < end && (tk[s].flags & T_CAP) && !is_determiner(L, text.p, &tk[s]) &&
        !lex(L->pronoun, text.p, &tk[s]) &&
        (not_name(ex, text.p, s) ||
         (tk[s].end - tk[s].start > 4 && !strncmp(text.p + tk[s].end - 3, "ing", 3)))) {
        /* Not "Then he cut into Bush, ...", "Now Donald Trump, the ...". */
        for (size_t k = s; k < end && k < s + 3; k++) {
            /* (the mentions so far cover words flagged T_USED only: names and
             * lone words; epithets of this sentence come after this) */
            const dl_mention *m = tk[k].flags & T_USED ? mention_covering(ex, tk[k].start) : NULL;
            if (lex(L->pronoun, text.p, &tk[k]) || (m && is_person(ex, m->entity)))
                return s;
        }
        for (size_t k = s; k + 1 < end && k < s + 12; k++)
            if (tk[k].flags & T_QUOTED)
                break;
            else if (gap_holds(text.p, tk, k, ",")) {
                s = k + 1;
                break;
            }
    }
    return s;
}

/* 1 if word @p k looks like the verb after a subject: an auxiliary, a
 * speech verb, a past tense or a participle. */
static int verb_like(const dl_extractor *ex, const char *t, const dl_tok *k)
{
    const dl_entity_lex *L = &ex->rules->elex;
    size_t n = k->end - k->start;

    return lex(L->auxiliary, t, k) || lex(L->speech_verb, t, k) ||
           (n > 3 && (!strncmp(t + k->end - 2, "ed", 2) || !strncmp(t + k->end - 3, "ing", 3)));
}

/* The words of a subject that names no entity at word @p s of a sentence
 * ending before word @p end: a determiner phrase ("His chief aide", "The
 * retired neurosurgeon") or capitalised words ("Bolton"); empty if none. */
static dl_span subject_words(const dl_extractor *ex, dl_slice text, size_t s, size_t end)
{
    const dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    size_t e = s;

    if (tk[s].flags & T_QUOTED)
        return (dl_span){0, 0};
    if (is_determiner(L, text.p, &tk[s])) {
        while (e + 1 < end && e < s + 5 && (tk[e].flags & T_GLUE) &&
               !(tk[e + 1].flags & T_QUOTED) && !verb_like(ex, text.p, &tk[e + 1]))
            e++;
        return e > s ? (dl_span){tk[s].start, tk[e].end} : (dl_span){0, 0};
    }
    if (lex(L->expletive, text.p, &tk[s])) /* "It goes on to fault Clinton ..., saying" */
        return (dl_span){tk[s].start, tk[s].end};
    if (!(tk[s].flags & T_CAP) || lex(L->not_name, text.p, &tk[s]) ||
        lex(L->pronoun, text.p, &tk[s]))
        return (dl_span){0, 0};
    while (e + 1 < end && e < s + 5 && (tk[e].flags & T_GLUE) && (tk[e + 1].flags & T_CAP) &&
           !(tk[e + 1].flags & T_QUOTED))
        e++;
    return (dl_span){tk[s].start, tk[e].end};
}

/* The first word of [k, end) outside quotes that is in @p def (the definite
 * article an epithet opens with), @p end if none; @p the for lex_again().
 * A loop of its own: it goes over most words of the text, and in
 * link_sentences() its variables would not stay in registers. */
__attribute__((noinline)) static size_t next_article(const dl_tok *tk, const char *t, size_t k,
                                                     size_t end, const dl_lexicon *def,
                                                     dl_lex_hit *the)
{
    if (!def)
        return end; /* (tested once, not for every word) */
    for (; k < end; k++)
        if (!(tk[k].flags & T_QUOTED) && lex_again(def, t, &tk[k], the))
            break;
    return k;
}

/* Forward pass over sentences: links epithets, finds subjects. */
static int link_sentences(dl_extractor *ex, dl_slice text)
{
    dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    size_t mi = 0, ti = 0, n_named = ex->n_ments;
    int focus = -1, rc, idle = 0;
    /* Every word outside quotes is asked whether it opens an epithet: most
     * are no definite article (next_article()). */
    const dl_lexicon *def = L->definite_article;
    dl_lex_hit the = {0, 0, NULL};

    if (dl_grow((void **)&ex->sent_subject, &ex->cap_sent_subject, ex->n_sentences,
                sizeof(*ex->sent_subject)) ||
        dl_grow((void **)&ex->sent_subj_span, &ex->cap_sent_subj_span, ex->n_sentences,
                sizeof(*ex->sent_subj_span)))
        return DL_ENOMEM;
    for (size_t si = 0; si < ex->n_sentences; si++) {
        size_t first_tok = ti, subj_first, subj_limit;
        int subject = -1;
        ex->sent_subject[si] = -1;
        ex->sent_subj_span[si] = (dl_span){0, 0};
        /* Narrative: a word outside quotes; then only the end is looked for. */
        while (ti < ex->n_toks && tk[ti].sent == si && (tk[ti].flags & T_QUOTED))
            ti++;
        int narrative = ti < ex->n_toks && tk[ti].sent == si;
        while (ti < ex->n_toks && tk[ti].sent == si)
            ti++;
        if (first_tok == ti || !narrative)
            continue; /* words inside quotes have the speaker's point of view */
        /* The focus fades after sentences with no person as subject. */
        if (focus >= 0 && ++idle > 6)
            focus = -1;
        /* The subject is among the first words: "The Utah native, who ...". */
        subj_first = subject_start(ex, text, first_tok, ti);
        subj_limit = subj_first + 3;
        for (size_t k = first_tok; (k = next_article(tk, text.p, k, ti, def, &the)) < ti; k++) {
            size_t ts, te, role;
            int who = -1;
            if (!(role = epithet_at(ex, text, k, &ts, &te)))
                continue;
            dl_span span = {tk[k].start, tk[role].end};
            int is_subject = k >= subj_first && k < subj_limit;
            /* The title words name a work (or a place or organisation). */
            if (ts <= te) {
                dl_span title = {tk[ts].start, tk[te].end};
                int kind = dl_gaz_get(&ex->rules->gaz, text.p + title.start,
                                      title.end - title.start);
                int pid = dl_entities_at(ex, title.start, title.end);
                if (kind == DL_ENT_ORG)
                    continue; /* "the White House spokesman": someone else */
                if (kind < 0 && !(is_person(ex, pid) && ts == te)) {
                    if ((rc = add_other(ex, text, DL_ENT_WORK, title, ts)))
                        return rc;
                }
            }
            if (is_subject)
                who = focus >= 0 ? focus : other_person(ex, -1, tk[k].start);
            else if (ts <= te || lex(L->kinship, text.p, &tk[role]) == NULL)
                who = ts <= te ? other_person(ex, subject >= 0 ? subject : focus, tk[k].start)
                               : -1;
            if (who < 0)
                continue;
            if ((rc = add_mention(ex, span.start, span.end, who, DL_M_EPITHET, k)))
                return rc;
            if ((rc = add_desc(ex, who, span)))
                return rc;
            if (is_subject && subject < 0) {
                subject = who;
                ex->sent_subj_span[si] = span;
            }
            k = role;
        }
        /* Named subjects and subject pronouns. */
        while (mi < n_named && ex->ments[mi].sent < si)
            mi++;
        if (subject < 0) {
            for (size_t m = mi; m < n_named && ex->ments[m].sent == si; m++) {
                if (ex->ments[m].tok < subj_first)
                    continue;
                if (ex->ments[m].tok < subj_limit && !ex->ments[m].quoted &&
                    ex->ments[m].entity >= 0 && !ex->sent_subj_span[si].end)
                    ex->sent_subj_span[si] = (dl_span){ex->ments[m].start, ex->ments[m].end};
                if (ex->ments[m].tok < subj_limit && !ex->ments[m].quoted &&
                    is_person(ex, ex->ments[m].entity)) {
                    subject = ex->ments[m].entity;
                    ex->sent_subj_span[si] = (dl_span){ex->ments[m].start, ex->ments[m].end};
                    ex->ments[m].subject = 1;
                    break;
                }
            }
        }
        if (subject < 0) {
            for (size_t k = subj_first; k < ti && k < subj_limit; k++) {
                const char *g = lex(L->pronoun, text.p, &tk[k]);
                if (g && !(tk[k].flags & T_QUOTED) && !ex->sent_subj_span[si].end)
                    ex->sent_subj_span[si] = (dl_span){tk[k].start, tk[k].end};
                if (g && (g[0] == 'm' || g[0] == 'f') && !(tk[k].flags & T_QUOTED)) {
                    int who = dl_entities_resolve_pronoun(ex, tk[k].start, g[0]);
                    if (focus >= 0 && gender_ok(&ex->ents[focus], g[0]))
                        who = focus;
                    subject = who;
                    break;
                }
            }
        }
        if (subject >= 0) {
            focus = subject;
            idle = 0;
            ex->sent_subject[si] = subject;
        }
        /* No name, epithet or pronoun: the words of the subject all the
         * same, for quotes ("His chief aide doubled down ..., saying “...”"). */
        if (!ex->sent_subj_span[si].end && subj_first < ti)
            ex->sent_subj_span[si] = subject_words(ex, text, subj_first, ti);
    }
    /* Epithet mentions were appended: keep mentions in text order. */
    if (sort_mentions(ex))
        return DL_ENOMEM;
    /* Mark subjects of epithets again after sorting (flag by position). */
    for (size_t m = 0; m < ex->n_ments; m++) {
        dl_mention *mt = &ex->ments[m];
        if (mt->type == DL_M_EPITHET && ex->sent_subject[mt->sent] == mt->entity &&
            mt->tok < ex->n_toks && (mt->tok == 0 || tk[mt->tok - 1].sent != mt->sent ||
                                     mt->tok < 3 || (tk[mt->tok].flags & T_SSTART)))
            mt->subject = 1;
    }
    return 0;
}

/* The mention (of any entity) covering offset @p pos, or NULL. */
static const dl_mention *mention_covering(const dl_extractor *ex, size_t pos)
{
    size_t lo = mentions_from(ex, pos + 1); /* mentions starting at or before pos */

    for (size_t k = lo, n = 0; k-- > 0 && n < 8; n++)
        if (ex->ments[k].start <= pos && pos < ex->ments[k].end)
            return &ex->ments[k];
    return NULL;
}

/* 1 if the text between word @p j and the next word holds @p c. */
static int gap_has(const char *t, const dl_tok *tk, size_t j, char c)
{
    const char *g = t + tk[j].end;

    return memchr(g, c, tk[j + 1].start - tk[j].end) != NULL;
}

/* The word before the parenthesis that closes after word @p j: "Warren
 * (D-MA)" gives "Warren"; @p j itself when there is none. */
static size_t skip_paren(const char *t, const dl_tok *tk, size_t lo, size_t j)
{
    for (size_t b = j + 1, n = 0; b-- > lo && n < 8; n++)
        if (b > lo && memchr(t + tk[b - 1].end, '(', tk[b].start - tk[b - 1].end))
            return b - 1;
    return j;
}

/* 1 if speech verb word @p k of a sentence starting at word @p lo is used
 * as a noun: after a possessive, a determiner or a preposition. */
static int speech_noun(const dl_entity_lex *L, const char *t, const dl_tok *tk, size_t lo,
                       size_t k)
{
    return k > lo && (tk[k - 1].flags & T_GLUE) &&
           ((tk[k - 1].flags & T_POSS) || is_determiner(L, t, &tk[k - 1]) ||
            is_preposition(L, t, &tk[k - 1]));
}

/* 1 if word @p k lies in an introductory clause of the sentence starting
 * at word @p lo ("When asked ..., he said", "Although in September she
 * said ..., at the town hall she said"): the sentence opens with a
 * subordinator and a comma comes between @p k and the quote. */
static int in_intro_clause(const dl_extractor *ex, const char *t, size_t lo, size_t k,
                           size_t open_mark)
{
    const dl_tok *tk = ex->toks;
    const dl_lexicon *sub = ex->rules->elex.subordinator;

    if (!sub || !lex(sub, t, &tk[lo]))
        return 0;
    for (size_t j = lo; j < k; j++)
        if (!(tk[j].flags & T_GLUE))
            return 0; /* the clause ended before the verb */
    for (size_t j = k; j < ex->n_toks && tk[j].end <= open_mark; j++) {
        size_t ge = j + 1 < ex->n_toks && tk[j + 1].start < open_mark ? tk[j + 1].start : open_mark;
        if (!(tk[j].flags & T_GLUE) && memchr(t + tk[j].end, ',', ge - tk[j].end))
            return 1;
    }
    return 0;
}

int dl_entities_cue_before(dl_extractor *ex, dl_slice text, size_t si, size_t open_mark,
                           dl_span *subj, dl_span *cue)
{
    const dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    const dl_lexicon *cue_verb;
    size_t lo = 0, hi = ex->n_toks, k, j;

    if (!L->speech_verb)
        return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tk[mid].sent < si)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* The first speech verb of the sentence before the quote: the main
     * clause's ("Trump said at a rally that Clinton described ..."); not a
     * noun ("Obama's remarks were"), nor the verb of an introductory clause
     * ("When asked about it, Tyler said"), nor an earlier quotation's cue
     * (“...,” said Weaver, who said ... “...”). */
    for (k = lo; k < ex->n_toks && tk[k].sent == si && tk[k].end <= open_mark; k++)
        if (!(tk[k].flags & (T_QUOTED | T_CAP)) && lex(L->speech_verb, text.p, &tk[k]) &&
            !speech_noun(L, text.p, tk, lo, k) && !in_intro_clause(ex, text.p, lo, k, open_mark) &&
            !(k > lo && (tk[k - 1].flags & T_QUOTED)))
            break;
    /* None: a verb that attributes words ("called X “...”"), the first too. */
    if ((k >= ex->n_toks || tk[k].sent != si || tk[k].end > open_mark) && (cue_verb = L->cue_verb))
        for (k = lo; k < ex->n_toks && tk[k].sent == si && tk[k].end <= open_mark; k++)
            if (!(tk[k].flags & (T_QUOTED | T_CAP)) && lex(cue_verb, text.p, &tk[k]) &&
                !(k > lo && (tk[k - 1].flags & T_GLUE) &&
                  (is_determiner(L, text.p, &tk[k - 1]) || is_preposition(L, text.p, &tk[k - 1]))))
                break;
    if (k >= ex->n_toks || tk[k].sent != si || tk[k].end > open_mark)
        return 0;
    *cue = (dl_span){tk[k].start, tk[k].end};
    *subj = (dl_span){0, 0};
    j = k;
    while (j > lo && (tk[j - 1].flags & T_GLUE) &&
           ((L->cue_adverb && lex(L->cue_adverb, text.p, &tk[j - 1])) ||
            ((tk[j - 1].flags & T_LOWER) && tk[j - 1].end - tk[j - 1].start > 4 &&
             !strncmp(text.p + tk[j - 1].end - 2, "ly", 2))))
        j--; /* "Trump also said", "Fiorina routinely characterizes" */
    if (j == lo || (tk[j - 1].flags & T_QUOTED))
        return 1;
    j--;
    /* "... criticized the plan and said ...": the clause's subject speaks. */
    if ((tk[j].flags & T_GLUE) && lex(L->coordinator, text.p, &tk[j]))
        return 1;
    /* "Warren (D-MA) said", "Kerr Putney, the police chief, said": the name
     * before the parenthesis or the apposition. */
    if (gap_has(text.p, tk, j, ')'))
        j = skip_paren(text.p, tk, lo, j);
    const dl_mention *mj = mention_covering(ex, tk[j].start);
    if (gap_has(text.p, tk, j, ',') && !(mj && is_person(ex, mj->entity))) {
        size_t b = j, best = (size_t)-1, any = (size_t)-1, head = (size_t)-1;
        for (size_t n2 = 0; b-- > lo && n2 < 40 && !(tk[b].flags & T_QUOTED); n2++) {
            size_t c = b;
            const dl_mention *mc;
            if (!gap_has(text.p, tk, b, ','))
                continue;
            if (gap_has(text.p, tk, c, ')'))
                c = skip_paren(text.p, tk, lo, c);
            mc = mention_covering(ex, tk[c].start);
            if (mc && is_person(ex, mc->entity)) {
                best = c;
                break;
            }
            if (mc && mc->entity >= 0 && any == (size_t)-1)
                any = c;
            if ((tk[c].flags & T_CAP) && !not_name(ex, text.p, c))
                head = c;
        }
        if (best == (size_t)-1)
            best = any;
        if (best == (size_t)-1)
            best = head; /* an unknown name: "Pantucci, at the institute, said" */
        if (best == (size_t)-1)
            return 1; /* an adverbial before the verb: the sentence subject */
        j = best;
    }
    const dl_mention *m = mention_covering(ex, tk[j].start);
    /* "McConnell, who in 2010 said": a short adverbial after the pronoun. */
    if (!m && !(tk[j].flags & T_CAP) && !lex(L->pronoun, text.p, &tk[j]))
        for (size_t b = j, n2 = 0; b > lo && n2 < 3 && (tk[b - 1].flags & T_GLUE); n2++) {
            b--;
            if (lex(L->relative_pronoun, text.p, &tk[b])) {
                j = b;
                break;
            }
        }
    if (lex(L->relative_pronoun, text.p, &tk[j])) {
        /* "Scott Reed, the Chamber's strategist, who added that ...": the
         * relative pronoun speaks for its antecedent (dl_entities_antecedent). */
        if (!(tk[k].end - tk[k].start > 4 && !strncmp(text.p + tk[k].end - 3, "ing", 3)))
            *subj = (dl_span){tk[j].start, tk[j].end};
        return 1;
    }
    if (lex(L->complementizer, text.p, &tk[j]) ||
        (tk[k].end - tk[k].start > 4 && !strncmp(text.p + tk[k].end - 3, "ing", 3)))
        return 1; /* a relative clause or a participle: the sentence subject speaks */
    if (lex(L->pronoun, text.p, &tk[j])) {
        *subj = (dl_span){tk[j].start, tk[j].end};
    } else if (m && !(tk[j].flags & T_POSS)) {
        *subj = (dl_span){m->start, m->end};
    } else if ((tk[j].flags & T_CAP) && !(tk[j].flags & T_POSS)) {
        size_t b = j;
        while (b > lo && (tk[b - 1].flags & T_GLUE) && (tk[b - 1].flags & T_CAP) && j - b < 5)
            b--;
        *subj = (dl_span){tk[b].start, tk[j].end};
    } else if ((tk[j].flags & T_LOWER) && (tk[j].flags & T_GLUE)) {
        /* "the report says": back to the determiner. */
        for (size_t b = j + 1, n2 = 0; b-- > lo && n2 < 12; n2++) {
            if (b < j && !(tk[b].flags & T_GLUE))
                break;
            if (is_determiner(L, text.p, &tk[b])) {
                *subj = (dl_span){tk[b].start, tk[j].end};
                break;
            }
        }
    }
    return 1;
}

/* ---- ages and descriptors ------------------------------------------------- */

static int age_value(dl_extractor *ex, dl_slice text, int group)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ex->amd);
    int v = 0;

    if (group <= 0 || ov[2 * group] == PCRE2_UNSET)
        return -1;
    for (size_t k = ov[2 * group]; k < ov[2 * group + 1]; k++)
        v = v * 10 + (text.p[k] - '0');
    return v;
}

static void find_age(dl_extractor *ex, dl_slice text, const dl_mention *m)
{
    const dl_rules *r = ex->rules;
    dl_ent *e = &ex->ents[m->entity];

    if (e->age >= 0)
        return;
    for (size_t k = 0; k < r->age_after.n && e->age < 0; k++) {
        size_t to = m->end + 40 < text.len ? m->end + 40 : text.len;
        if (dl_apattern_match(&r->age_after.v[k], text.p, to, m->end, ex->amd, ex->mctx) >=
            0)
            e->age = age_value(ex, text, r->age_after.v[k].g_age);
    }
    for (size_t k = 0; k < r->age_before.n && e->age < 0; k++) {
        size_t from = m->start > 40 ? m->start - 40 : 0;
        if (dl_apattern_match(&r->age_before.v[k], text.p, m->start, from, ex->amd,
                              ex->mctx) >= 0)
            e->age = age_value(ex, text, r->age_before.v[k].g_age);
    }
}

/* Descriptors around a person's name: "model Chrissy Teigen", "her son, Jack",
 * "John Smith, a former senator,". */
static int name_descriptors(dl_extractor *ex, dl_slice text, const dl_mention *m)
{
    const dl_tok *tk = ex->toks;
    const dl_entity_lex *L = &ex->rules->elex;
    size_t i = m->tok;
    int rc;

    if (i > 0 && tk[i - 1].sent == tk[i].sent && (tk[i - 1].flags & T_LOWER) &&
        ((tk[i - 1].flags & T_GLUE) || (tk[i - 1].flags & T_COMMA))) {
        if (lex(L->kinship, text.p, &tk[i - 1]) || lex(L->role_noun, text.p, &tk[i - 1])) {
            size_t s = i - 1;
            /* Modifiers before a role: "Republican presidential nominee". */
            while (!lex(L->kinship, text.p, &tk[i - 1]) && s > 0 && s + 3 >= i &&
                   tk[s - 1].sent == tk[i].sent && (tk[s - 1].flags & T_GLUE) &&
                   !(tk[s - 1].flags & T_SSTART && lex(L->definite_article, text.p, &tk[s - 1])) &&
                   (lex(L->role_modifier, text.p, &tk[s - 1]) ||
                    lex(L->role_noun, text.p, &tk[s - 1]) ||
                    ((tk[s - 1].flags & T_CAP) && not_name(ex, text.p, s - 1) &&
                     !lex(L->pronoun, text.p, &tk[s - 1]) && !lex(L->article, text.p, &tk[s - 1]))))
                s--;
            if ((rc = add_desc(ex, m->entity, (dl_span){tk[s].start, tk[i - 1].end})))
                return rc;
        }
    }
    /* Apposition: ", a|an|the ... role," */
    size_t j = i;
    while (j + 1 < ex->n_toks && tk[j].end < m->end)
        j++;
    if ((tk[j].flags & T_COMMA) && j + 2 < ex->n_toks && tk[j + 1].sent == tk[j].sent &&
        lex(L->article, text.p, &tk[j + 1])) {
        for (size_t k = j + 2; k < ex->n_toks && k <= j + 7 && tk[k].sent == tk[j].sent; k++) {
            if (lex(L->role_noun, text.p, &tk[k]) && !(tk[k].flags & T_GLUE &&
                                                     k + 1 < ex->n_toks &&
                                                     (tk[k + 1].flags & T_LOWER) &&
                                                     !lex(L->relative_pronoun, text.p, &tk[k + 1]))) {
                return add_desc(ex, m->entity, (dl_span){tk[j + 1].start, tk[k].end});
            }
            if (!(tk[k - 1].flags & T_GLUE))
                break;
        }
    }
    return 0;
}

int dl_entities_find(dl_extractor *ex, dl_slice text)
{
    int rc;
    size_t i = 0;

    ex->n_ents = ex->n_ments = ex->n_descs = 0;
    /* Empty the index: only the chains the last article used. */
    for (size_t k = 0; k < ex->n_pidx; k++)
        ex->pidx_head[ex->pidx[k].hash & (DL_PIDX_BUCKETS - 1)] = -1;
    ex->pidx_ents = ex->n_pidx = 0;
    memset(ex->pidx_sig, 0, sizeof(ex->pidx_sig));
    if ((rc = tokenize(ex, text)))
        return rc;
    while (i < ex->n_toks) {
        size_t b = i;
        if (!(ex->toks[i].flags & T_CAP)) {
            i++;
            continue;
        }
        while (b + 1 < ex->n_toks && b - i + 1 < DL_RUN_MAX && run_continues(ex, text, b + 1))
            b++;
        if (b - i + 1 < DL_RUN_MAX || !(ex->toks[b].flags & T_GLUE) ||
            !run_continues(ex, text, b + 1)) {
            if ((rc = classify_run(ex, text, i, b)))
                return rc;
        } else {
            /* A run longer than any name (all caps, a headline): skip it whole. */
            while (b + 1 < ex->n_toks && run_continues(ex, text, b + 1))
                b++;
        }
        i = b + 1;
    }
    if ((rc = resolve_lone_words(ex, text)))
        return rc;
    return sort_mentions(ex);
}

int dl_entities_link(dl_extractor *ex, dl_slice text)
{
    int rc;

    if ((rc = link_sentences(ex, text)))
        return rc;
    for (size_t m = 0; m < ex->n_ments; m++) {
        const dl_mention *mt = &ex->ments[m];
        if (!is_person(ex, mt->entity))
            continue;
        find_age(ex, text, mt);
        if (mt->type != DL_M_EPITHET && (rc = name_descriptors(ex, text, mt)))
            return rc;
    }
    return 0;
}

/* ---- publication ------------------------------------------------------------ */

static int push_span(dl_extractor *ex, dl_span s)
{
    if (dl_grow((void **)&ex->spans, &ex->cap_spans, ex->n_spans, sizeof(*ex->spans)))
        return DL_ENOMEM;
    ex->spans[ex->n_spans++] = s;
    return 0;
}

/* 1 if a span with the same text (any case) is among spans[from, n_spans). */
static int have_span(dl_extractor *ex, const char *t, size_t from, dl_span s)
{
    for (size_t k = from; k < ex->n_spans; k++)
        if (same_text(t, ex->spans[k], s))
            return 1;
    return 0;
}

int dl_entities_publish(dl_extractor *ex, dl_slice text)
{
    size_t *order = NULL, *rank = NULL, *first_m = NULL, *next_m = NULL;
    size_t n = 0;
    int rc = DL_ENOMEM;

    ex->n_spans = 0;
    if (dl_grow((void **)&ex->entities, &ex->cap_entities, ex->n_ents, sizeof(*ex->entities)))
        return DL_ENOMEM;
    if (!(order = malloc((ex->n_ents + 1) * sizeof(*order))) ||
        !(rank = malloc((ex->n_ents + 1) * sizeof(*rank))) ||
        !(first_m = malloc((ex->n_ents + 1) * sizeof(*first_m))) ||
        !(next_m = malloc((ex->n_ments + 1) * sizeof(*next_m))))
        goto out;
    /* Each entity's mentions in text order, as a list (not a scan of all
     * mentions per entity). */
    for (size_t i = 0; i < ex->n_ents; i++)
        first_m[i] = SIZE_MAX;
    for (size_t m = ex->n_ments; m-- > 0;)
        if (ex->ments[m].entity >= 0) {
            next_m[m] = first_m[ex->ments[m].entity];
            first_m[ex->ments[m].entity] = m;
        }
    /* Entities in order of first mention; entities never mentioned are dropped. */
    for (size_t i = 0; i < ex->n_ents; i++)
        rank[i] = (size_t)-1;
    for (size_t m = 0; m < ex->n_ments; m++) {
        int e = ex->ments[m].entity;
        if (e >= 0 && rank[e] == (size_t)-1) {
            rank[e] = n;
            order[n++] = (size_t)e;
        }
    }
    for (size_t k = 0; k < n; k++) {
        const dl_ent *e = &ex->ents[order[k]];
        dl_entity *out = &ex->entities[k];
        memset(out, 0, sizeof(*out));
        out->kind = e->kind;
        out->name = e->name;
        out->age = e->age;
        out->gender = e->gender;
        out->aliases = ex->n_spans;
        if (e->kind == DL_ENT_PERSON && e->full) {
            if (push_span(ex, e->surname))
                goto out;
            if (!same_text(text.p, e->given, e->surname) && push_span(ex, e->given))
                goto out;
        }
        out->n_aliases = ex->n_spans - out->aliases;
        out->descriptors = ex->n_spans;
        for (size_t d = 0; d < ex->n_descs; d++)
            if (ex->descs[d].entity == (int)order[k] &&
                !have_span(ex, text.p, out->descriptors, ex->descs[d].span) &&
                push_span(ex, ex->descs[d].span))
                goto out;
        out->n_descriptors = ex->n_spans - out->descriptors;
        out->mentions = ex->n_spans;
        for (size_t m = first_m[order[k]]; m != SIZE_MAX; m = next_m[m])
            if (push_span(ex, (dl_span){ex->ments[m].start, ex->ments[m].end}))
                goto out;
        out->n_mentions = ex->n_spans - out->mentions;
    }
    /* Mentions and quotes refer to published indexes from now on. */
    for (size_t m = 0; m < ex->n_ments; m++)
        if (ex->ments[m].entity >= 0)
            ex->ments[m].entity = (int)rank[ex->ments[m].entity];
    for (size_t q = 0; q < ex->n_quotes; q++)
        if (ex->quotes[q].speaker >= 0)
            ex->quotes[q].speaker = rank[ex->quotes[q].speaker] == (size_t)-1
                                        ? -1
                                        : (long)rank[ex->quotes[q].speaker];
    for (size_t s = 0; s < ex->n_sentences; s++)
        if (ex->sent_subject && ex->sent_subject[s] >= 0)
            ex->sent_subject[s] = rank[ex->sent_subject[s]] == (size_t)-1
                                      ? -1
                                      : (int)rank[ex->sent_subject[s]];
    ex->n_published = n;
    rc = 0;
out:
    free(order);
    free(rank);
    free(first_m);
    free(next_m);
    return rc;
}

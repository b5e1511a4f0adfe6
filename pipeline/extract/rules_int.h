/* Internal to pipeline/extract: the compiled form of the rule files. */
#ifndef DL_RULES_INT_H
#define DL_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dateline/extract.h"

typedef struct dl_lex_entry {
    char *word;  /* lower case */
    char *value;
} dl_lex_entry;

/* ASCII lower case, as tolower() in the C locale, without the call. */
static inline unsigned char dl_lower(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* FNV-1a: the hash tables of the rules and the extractor (lexicons,
 * gazetteer, person index). dl_fnv1a() continues @p h
 * (DL_FNV_SEED to start) over @p len bytes; dl_fnv1a_lower() over their
 * dl_lower() forms. */
#define DL_FNV_SEED 2166136261u
/* One byte more (for a hash computed while the bytes are produced). */
static inline uint32_t dl_fnv1a_byte(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u;
}

static inline uint32_t dl_fnv1a(uint32_t h, const void *p, size_t len)
{
    const unsigned char *b = p;
    size_t i = 0;

    /* Two bytes a step, in order (the same hash): the keys are short words,
     * and the loop's own counting cost as much as the hashing (four bytes a
     * step cost more again on T17: most words are shorter). */
    for (; i + 2 <= len; i += 2)
        h = dl_fnv1a_byte(dl_fnv1a_byte(h, b[i]), b[i + 1]);
    if (i < len)
        h = dl_fnv1a_byte(h, b[i]);
    return h;
}

static inline uint32_t dl_fnv1a_lower(uint32_t h, const void *p, size_t len)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < len; i++)
        h = dl_fnv1a_byte(h, dl_lower(b[i]));
    return h;
}

#define DL_LEX_SIG_WORDS 64 /* 4096 bits */
#define DL_LEX_HEAD 11       /* a slot is 24 bytes */
typedef struct dl_lexicon {
    char *name;
    dl_lex_entry *entries; /* sorted by word */
    size_t n;
    /* Open-addressing hash of the words for dl_lexicon_get(): mask + 1
     * slots (a power of two, at least 2n), entry index + 1 (0 = empty), its
     * value, the word's length and its first DL_LEX_HEAD bytes (zero-padded):
     * a hit on most words reads the slot alone, not the entry and its word
     * elsewhere in memory. */
    struct dl_lex_slot {
        const char *value;
        uint32_t entry;
        uint8_t len;
        char head[DL_LEX_HEAD];
    } *slots;
    size_t mask;
    /* Quick rejection before folding and hashing (most words looked up are
     * in no lexicon): the bit of lex_sig(word) is set for every word. */
    uint64_t sig[DL_LEX_SIG_WORDS];
} dl_lexicon;

/* How a rule's value is computed (see config/rules/en/timex.yaml). */
typedef enum {
    DL_NORM_LITERAL = 0,
    DL_NORM_DATE,
    DL_NORM_RELATIVE,
    DL_NORM_ANAPHOR,
    DL_NORM_DURATION,
    DL_NORM_TIME,
    DL_NORM_HOLIDAY,
    DL_NORM__COUNT
} dl_norm;

/* Capture groups the normalisers understand, by group name. */
typedef enum {
    DL_CAP_YEAR = 0,
    DL_CAP_MONTH,
    DL_CAP_DAY,
    DL_CAP_WEEKDAY,
    DL_CAP_UNIT,
    DL_CAP_REL,
    DL_CAP_MOD,
    DL_CAP_N,       /* a count: digits or number words */
    DL_CAP_QUARTER, /* 1-4 */
    DL_CAP_SEASON,  /* SP SU FA WI */
    DL_CAP_PART,    /* part of day: MO AF EV NI */
    DL_CAP_HOUR,
    DL_CAP_MINUTE,
    DL_CAP_AMPM,    /* am | pm */
    DL_CAP_DECADE,  /* first three digits of the year */
    DL_CAP_HOLIDAY, /* "MM-DD", "MM-<n><WD>" (nth weekday), or "EASTER[+-k]" */
    DL_CAP_HALF,    /* present when a count has a half: "2 1/2", "and a half" */
    DL_CAP_CENTURY, /* first two digits of the year */
    DL_CAP__COUNT
} dl_cap;

/* Calendar and clock units, as named in rule files and the unit lexicon. */
typedef enum {
    DL_UNIT_DAY = 0,
    DL_UNIT_WEEK,
    DL_UNIT_MONTH,
    DL_UNIT_QUARTER,
    DL_UNIT_YEAR,
    DL_UNIT_DECADE,
    DL_UNIT_CENTURY,
    DL_UNIT_HOUR,
    DL_UNIT_MINUTE,
    DL_UNIT_SECOND,
    DL_UNIT_WEEKEND, /* Saturday and Sunday, as YYYY-Www-WE */
    DL_UNIT__COUNT
} dl_unit;

extern const char *const dl_unit_names[DL_UNIT__COUNT];

#define DL_RULE_MAX_CAPS 24

/* How a rule decides past or future for a date without a year. */
enum { DL_TENSE_CUES = 2, DL_TENSE_PAST = -1, DL_TENSE_NEAREST = 0, DL_TENSE_FUTURE = 1 };

/* What a relative rule moves when it is not the DCT. PERIOD is the
 * reporting period of a financial comparison ("year-earlier"): an anchor
 * already before the DCT's year is that earlier period itself. STORY is
 * the day the story is at: the previous anchored day when it is in the
 * week up to the DCT ("closed lower Friday ... overnight losses" in
 * Monday's paper), else the DCT, never a day long gone. */
enum { DL_BASE_ANCHOR = 1, DL_BASE_PERIOD = 2, DL_BASE_STORY = 3 };
/* base: quarter takes the quarter a report is about when there is one;
 * base: report makes no timex when there is none. */
enum { DL_BASE_QUARTER = 1, DL_BASE_REPORT = 2 };

typedef struct dl_rule {
    char *name;
    dl_timex_type type;
    dl_norm norm;
    char value[32]; /* literal value */
    /* (Flags as chars: the rule stays 512 bytes, an index the scan's
     * loops compute cheaply.) */
    unsigned char quarter_value; /* value names a quarter ("{year}-Q{quarter}") */
    unsigned char when_future;   /* applies only where the tense cues look ahead (when: future) */
    unsigned char after_months;  /* right after a reporting period of months, its length
                                  * (after_months: length) */
    char mod[16];   /* fixed mod */
    char unit[8];   /* fixed unit for relative/anaphor/duration */
    int rel;        /* fixed direction for relative */
    int base_anchor; /* relative: 0 moves the DCT, else the previous anchor (DL_BASE_*) */
    int base_quarter; /* the quarter a report is about (base: quarter/report, DL_BASE_*) */
    int tense;       /* DL_TENSE_CUES, or a fixed direction for dates without a year */
    int priority;
    pcre2_code *re;
    pcre2_code *re_at;    /* the same pattern anchored: tried at one position (extract.c) */
    int no_dfa;           /* not in the rules' automaton (automaton.h): tried everywhere */
    struct {
        int group;
        dl_cap cap;
        const dl_lexicon *lex; /* NULL: the text is a number */
    } caps[DL_RULE_MAX_CAPS];
    int n_caps;
} dl_rule;

/* A pattern matched at a fixed position (ages, quote cues), with the
 * numbers of its named groups (0: absent). */
typedef struct dl_apattern {
    /* With PCRE2_ANCHORED when its list is matched anchored: passing that
     * flag at match time instead would make PCRE2 skip the JIT code. */
    pcre2_code *re;
    int jit; /* has JIT code: matched through pcre2_jit_match() */
    int g_age, g_subject, g_cue;
    /* A byte every match holds (PCRE2's last literal: ":" of "Shaw: "),
     * and one every match of an anchored pattern starts with, or -1:
     * dl_apattern_match() looks at the text before running the pattern. */
    int need, first;
} dl_apattern;

/* A list of patterns, all matched one way (rules.c, load_apatterns):
 * anchored where the engine starts (after a mention, after a closing
 * quote), or searched for. Only that form is compiled. */
typedef struct dl_apatterns {
    dl_apattern *v;
    size_t n;
} dl_apatterns;

/* Names of places, organisations and works: an open-addressing hash set of
 * normalised names (see dl_gaz_norm()) with their kind. */
typedef struct dl_gaz_slot {
    uint32_t off; /* into pool; 0 = empty slot */
    uint32_t len;
    uint32_t hash;
    int kind;     /* dl_entity_kind */
} dl_gaz_slot;

typedef struct dl_gazetteer {
    dl_gaz_slot *slots;
    size_t cap, n; /* cap is a power of two */
    char *pool;
    size_t pool_len, pool_cap;
    int max_words; /* longest name, in words */
    /* The dl_lex_sig() bits of the names' first words, of their last words
     * and of the names of one word, normalised (dl_gaz_norm(): for a word
     * without blanks or ’ the signature of the word as it is): most words
     * start, end or are no name, and dl_sig_has() tells so before a look-up
     * would normalise them. */
    uint64_t first_sig[DL_LEX_SIG_WORDS], last_sig[DL_LEX_SIG_WORDS], word_sig[DL_LEX_SIG_WORDS];
} dl_gazetteer;

/* Word lists the entity, quote and timeline engines use, looked up by name once. */
typedef struct dl_entity_lex {
    const dl_lexicon *given_name, *surname, *title, *particle, *connector, *org_word,
        *role_noun, *role_modifier, *kinship, *not_name, *pronoun, *speech_verb, *cue_adverb, *org_name, *work_name;
    /* quotes.yaml: words that go on an attribution after its verb ("said
     * in", "said Tuesday"); words that open an introductory clause ("When
     * asked ..., Tyler said"). */
    const dl_lexicon *cue_tail, *subordinator;
    /* Verbs that attribute quoted words without being speech verbs. */
    const dl_lexicon *cue_verb;
    /* events.c: words that open a clause after a comma (", which"). */
    const dl_lexicon *clause_word;
    /* Function words subjects and speech verbs are told by. */
    const dl_lexicon *determiner, *preposition, *auxiliary;
    /* Function words of single roles in names, titles and clauses (see
     * entities.yaml): "the"; "a", "an", "the"; the small words inside an
     * organisation's name ("of") or a title; a subject with no referent
     * ("it"); clause coordinators; relative pronouns; "that". */
    const dl_lexicon *definite_article, *article, *org_joiner, *title_joiner, *expletive,
        *coordinator, *relative_pronoun, *complementizer;
    /* extract.c's timex words (lexicon.yaml): "until" opening a sentence;
     * "day before" and its shift in days; "ended" between a period and its
     * last day; "the" or "its" opening a reporting period. */
    const dl_lexicon *limit_word, *day_shift, *period_end, *period_determiner;
} dl_entity_lex;

struct dl_rules {
    dl_lexicon *lex;
    size_t n_lex;
    dl_rule *rules;
    size_t n_rules;
    /* every rule's pattern in one automaton (automaton.h): the rule
     * scan's filter (extract.c), built once here and shared by every
     * extractor, each with its own DFA */
    struct dl_nfa *nfa;
    pcre2_code *future_cue, *past_cue; /* NULL when not configured */
    /* A present tense that tells a schedule ("meets Obama on Wednesday"):
     * a future cue, but not for an expression opening its sentence, where
     * the present is a chronology's ("June 16 - Hayward meets Obama"). */
    pcre2_code *scheduled_cue;
    const dl_lexicon *number;           /* number words, for (?<n>...) */
    char **abbrev;                      /* sorted, lower case */
    size_t n_abbrev;
    /* The same words hashed (entries point into abbrev): the sentence
     * splitter asks about the word before most periods. */
    dl_lexicon abbrev_lex;
    char hash[17];
    dl_apatterns age_after, age_before; /* anchored after / ending before a mention */
    dl_apatterns cue_after, cue_before; /* anchored after a closing / before an opening quote */
    dl_apatterns cue_source;            /* anywhere in a quote's sentence ("according to X") */
    dl_gazetteer gaz;
    dl_entity_lex elex;
};

/* The 64-bit words of a rule set (a bit per rule): the scan's masks and
 * the automaton's answers. */
static inline size_t dl_rules_words(const dl_rules *r)
{
    return (r->n_rules + 63) / 64;
}

#define DL_LEX_MAX_WORD 64 /* longer words are in no lexicon */

/* A word's bit in dl_lexicon.sig: from its length and its first and last
 * bytes, which tell most words apart without a full hash. The bytes are
 * folded with | 0x20, cheaper than dl_lower() and the same for words
 * dl_lower() makes the same (it merges a few other bytes too: no matter). */
static inline size_t dl_lex_sig(const char *w, size_t len)
{
    uint32_t h = (uint32_t)len;

    if (len)
        h = (h * 263 + ((unsigned char)w[0] | 0x20)) * 263 + ((unsigned char)w[len - 1] | 0x20);
    return (h ^ (h >> 12)) % (64 * DL_LEX_SIG_WORDS);
}

/* A set of signatures (DL_LEX_SIG_WORDS words, a bit each): a lexicon's, the
 * gazetteer's name words', the person index's. Has tells a word apart
 * from all of the set's without a hash: 0 means no word of that signature. */
static inline void dl_sig_add(uint64_t *set, size_t sig)
{
    set[sig / 64] |= 1ull << (sig % 64);
}

static inline int dl_sig_has(const uint64_t *set, size_t sig)
{
    return (set[sig / 64] >> (sig % 64)) & 1;
}

/** dl_lexicon_get() past the quick rejection: folds, hashes and compares. */
const char *dl_lexicon_lookup(const dl_lexicon *lex, const char *word, size_t len);

/** dl_lexicon_get() of a word whose dl_lex_sig() is @p at: callers that ask
 *  several lexicons about the same word compute its signature once. */
static inline const char *dl_lexicon_get_sig(const dl_lexicon *lex, size_t at, const char *word,
                                             size_t len)
{
    /* (no slots, no bit set: rules.c sets the bits as it fills the slots) */
    if (!dl_sig_has(lex->sig, at))
        return NULL;
    return dl_lexicon_lookup(lex, word, len); /* (NULL for len >= DL_LEX_MAX_WORD) */
}

/** Looks @p word (any case, @p len bytes) up in @p lex; NULL if absent.
 *  Inline: most words looked up are in no lexicon, and the engine asks
 *  for function words on most tokens, so a miss costs no call. */
static inline const char *dl_lexicon_get(const dl_lexicon *lex, const char *word, size_t len)
{
    if (len >= DL_LEX_MAX_WORD)
        return NULL;
    return dl_lexicon_get_sig(lex, dl_lex_sig(word, len), word, len);
}

/** Normalises a name for the gazetteer: lower case ASCII, curly apostrophes
 *  as ', runs of white space as one space. @returns the length written
 *  (at most @p size - 1), or 0 when the name does not fit. */
size_t dl_gaz_norm(const char *p, size_t len, char *out, size_t size);

/** The first byte dl_gaz_norm() writes for @p p, -1 if none: names whose
 *  first bytes differ need no normalising to tell them apart. */
int dl_gaz_norm_first(const char *p, size_t len);

/** Adds @p name (normalised here) with @p kind; the first kind given wins. */
int dl_gaz_add(dl_gazetteer *gaz, const char *name, size_t len, int kind);

/** The kind of @p name (any case), or -1. */
int dl_gaz_get(const dl_gazetteer *gaz, const char *name, size_t len);

/**
 * An iso-codes JSON text (@p buf, @p len bytes: an object holding one list
 * of flat objects) without the list's entries that name none of the @p n_cc
 * country codes @p cc (an entry names "US" with a string "US-..."), for
 * Jansson to parse: the subdivision list is 500 kB, the rules keep a few
 * countries of it, and Jansson building every entry took a fifth of the
 * start-up. Entries left out are not checked. @p out is set to the text
 * (malloc'ed, NUL-terminated, @p out_len bytes), or to NULL when @p buf
 * is not of that shape: the caller parses all of it, and Jansson says
 * what is wrong. @returns 0 or DL_ENOMEM.
 */
int dl_iso_filter(const char *buf, size_t len, const char *const *cc, size_t n_cc, char **out,
                  size_t *out_len);

/** 1 if the @p n bytes at @p s begin with one of the @p n_cc country codes
 *  @p cc and '-' (an ISO 3166-2 code of one of those countries: "US-CA"). */
int dl_iso_code_in(const char *s, size_t n, const char *const *cc, size_t n_cc);

void dl_gaz_fini(dl_gazetteer *gaz);

/**
 * @brief Matches @p ap on text[0, @p to) from @p from: anchored there
 *        (@p anchored 1, the JIT-compiled anchored copy) or searching.
 * @returns pcre2_match()'s result; the groups are in @p md.
 */
int dl_apattern_match(const dl_apattern *ap, const char *text, size_t to, size_t from,
                      pcre2_match_data *md, pcre2_match_context *mctx);

/** 1 if @p re has JIT code for complete matches (pcre2_jit_match() may run it). */
int dl_re_has_jit(const pcre2_code *re);

/** 1 if @p word (any case) is a configured abbreviation. */
int dl_rules_is_abbrev(const dl_rules *rules, const char *word, size_t len);

#endif

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

typedef struct dl_lexicon {
    char *name;
    dl_lex_entry *entries; /* sorted by word */
    size_t n;
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

typedef struct dl_rule {
    char *name;
    dl_timex_type type;
    dl_norm norm;
    char value[32]; /* literal value */
    char mod[16];   /* fixed mod */
    char unit[8];   /* fixed unit for relative/anaphor/duration */
    int rel;        /* fixed direction for relative */
    int base_anchor; /* relative: move the previous anchor, not the DCT */
    int tense;       /* DL_TENSE_CUES, or a fixed direction for dates without a year */
    int priority;
    pcre2_code *re;
    pcre2_code *re_at;    /* the same pattern anchored: tried at one position (extract.c) */
    pcre2_code *re_probe; /* its probe (probe.h), or NULL */
    struct {
        int group;
        dl_cap cap;
        const dl_lexicon *lex; /* NULL: the text is a number */
    } caps[DL_RULE_MAX_CAPS];
    int n_caps;
} dl_rule;

struct dl_rules {
    dl_lexicon *lex;
    size_t n_lex;
    dl_rule *rules;
    size_t n_rules;
    pcre2_code *future_cue, *past_cue; /* NULL when not configured */
    const dl_lexicon *number;           /* number words, for (?<n>...) */
    char **abbrev;                      /* sorted, lower case */
    size_t n_abbrev;
    char hash[17];
};

/** Looks @p word (any case, @p len bytes) up in @p lex; NULL if absent. */
const char *dl_lexicon_get(const dl_lexicon *lex, const char *word, size_t len);

/** 1 if @p word (any case) is a configured abbreviation. */
int dl_rules_is_abbrev(const dl_rules *rules, const char *word, size_t len);

#endif

/*
 * dateline - decoder: raw message value -> article.
 *
 * Two input formats: text (" date YYYY-MM-DD " + body, as the seed message)
 * and a JSON object with configurable field names. A value that is not an
 * article yields a reason code; the caller dead-letters it.
 */
#ifndef DATELINE_DECODE_H
#define DATELINE_DECODE_H

#include <stdint.h>

#include "dateline/common.h"
#include "dateline/config.h"

/** Why a message is not an article. Codes are stable: they go into headers. */
typedef enum dl_reason {
    DL_REASON_NONE = 0,
    DL_REASON_EMPTY,          /* empty value or empty body */
    DL_REASON_OVERSIZE,       /* value larger than input.max_bytes */
    DL_REASON_INVALID_UTF8,   /* value (or key) is not valid UTF-8 */
    DL_REASON_NO_DATE,        /* no publication date in message, header or timestamp */
    DL_REASON_BAD_DATE,       /* a date is present but malformed or impossible */
    DL_REASON_MALFORMED_JSON, /* JSON format: not a JSON object */
    DL_REASON_NO_TEXT,        /* JSON format: no text field, or not a string */
    DL_REASON__COUNT
} dl_reason;

/** The stable code of @p reason, e.g. "invalid_utf8". */
const char *dl_reason_code(dl_reason reason);

typedef struct dl_date {
    int year, month, day;
} dl_date;

typedef enum { DL_FROM_MESSAGE = 0, DL_FROM_HEADER, DL_FROM_TIMESTAMP } dl_date_from;

const char *dl_date_from_name(dl_date_from from);

/** 1 if year-month-day is a real Gregorian date (years 1..9999). */
int dl_date_valid(int year, int month, int day);

/** Parses "YYYY-MM-DD" at the start of @p s (a time part may follow after 'T' or ' '). */
int dl_date_parse(dl_slice s, dl_date *out, dl_reason *why);

typedef struct dl_offset_map dl_offset_map;

/**
 * A decoded article. Slices point into the message value or into buffers
 * owned by the decoder; they stay valid until the next dl_decode() call.
 */
typedef struct dl_article {
    dl_slice id;         /* article id: message key, JSON id, or hash of the value */
    dl_date published;   /* document creation time (DCT) */
    dl_date_from from;   /* where the DCT came from */
    dl_slice text;       /* body to extract from */
    dl_slice title;      /* JSON only; p == NULL when absent */
    dl_slice url;        /* JSON only */
    dl_slice lang;       /* JSON only */
    const dl_offset_map *map; /* text offsets -> value offsets */
} dl_article;

/** Converts a byte offset into article->text to a byte offset into the message value. */
size_t dl_article_value_offset(const dl_article *art, size_t text_off);

typedef struct dl_decoder dl_decoder;

/** @returns a decoder configured by @p cfg (borrowed, must outlive it) or NULL. */
dl_decoder *dl_decoder_new(const dl_config *cfg, dl_err *err);
void dl_decoder_free(dl_decoder *dec);

/** Inputs of one decode call; slices are borrowed. */
typedef struct dl_raw {
    dl_slice value;
    dl_slice key;         /* p == NULL: none */
    dl_slice date_header; /* p == NULL: none */
    int64_t timestamp_ms; /* < 0: none */
} dl_raw;

/**
 * @brief Decodes @p raw into @p art.
 * @returns DL_REASON_NONE on success; otherwise the reason, with a
 *          human-readable explanation in @p detail.
 */
dl_reason dl_decode(dl_decoder *dec, const dl_raw *raw, dl_article *art, char *detail,
                    size_t detail_size);

/** Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). Returns the
 *  offset of the first bad byte, or @p len when all is valid. */
size_t dl_utf8_check(const char *p, size_t len);



/** A TimeML document read for evaluation (see dl_timeml_parse()). */
typedef struct dl_timeml {
    char *text;  /* TEXT content: tags removed, entities decoded; malloc'd */
    size_t len;
    dl_date dct; /* from the CREATION_TIME TIMEX3 in <DCT> */
} dl_timeml;

/**
 * @brief Reads a TimeML (.tml) document: the DCT and the content of <TEXT>
 *        with every tag removed and XML entities decoded, so that offsets
 *        match those of the TempEval-3 scorer.
 * @returns 0, or DL_EINVAL with a message when there is no <TEXT> or no DCT.
 * @remark The caller frees with dl_timeml_fini().
 */
int dl_timeml_parse(dl_slice doc, dl_timeml *out, dl_err *err);
void dl_timeml_fini(dl_timeml *tml);
#endif

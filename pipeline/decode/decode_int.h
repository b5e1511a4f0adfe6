/* Internal to pipeline/decode: the offset map and the raw JSON scanner. */
#ifndef DL_DECODE_INT_H
#define DL_DECODE_INT_H

#include "dateline/decode.h"

/*
 * Maps byte offsets of a decoded text back to the raw message value. Text
 * that was copied verbatim needs only `base`; a JSON string with escapes
 * records, after each escape, where decoding and raw bytes line up again.
 */
struct dl_offset_map {
    size_t base;  /* value offset of text offset 0 */
    size_t *dec;  /* decoded offset just after escape i */
    size_t *raw;  /* raw offset (relative to base) just after escape i */
    size_t n, cap;
};

/** A growable byte buffer owned by the decoder. */
typedef struct dl_buf {
    char *p;
    size_t len, cap;
} dl_buf;

int dl_buf_reserve(dl_buf *b, size_t extra);

/**
 * @brief Finds member @p name of the top-level JSON object in @p json and
 *        returns the raw value's start offset, or -1.
 * @remark @p json must already be valid JSON (checked by Jansson).
 */
long dl_json_raw_member(dl_slice json, const char *name);

/**
 * @brief Unescapes the JSON string literal starting at @p json.p[at] (the
 *        opening quote) into @p out, recording escapes in @p map (NULL: none).
 * @returns 0, or DL_EINVAL if it is not a well-formed string.
 */
int dl_json_unescape(dl_slice json, size_t at, dl_buf *out, struct dl_offset_map *map);

#endif

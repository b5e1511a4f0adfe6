/*
 * Fuzz target: the decoder (raw message value -> article or reason).
 * The first byte picks the input format and which optional inputs are
 * present (key, date header, Kafka timestamp); the rest is the value, or
 * "key \0 header \0 value" when those are present.
 */
#include <stdlib.h>
#include <string.h>

#include "dateline/config.h"
#include "dateline/decode.h"

#include "fuzz.h"

static dl_config cfgs[3];
static dl_decoder *decs[3];

static void fuzz_init(void)
{
    dl_err err;

    for (int i = 0; i < 3; i++) {
        memset(&cfgs[i], 0, sizeof(cfgs[i]));
        if (dl_config_defaults(&cfgs[i], &err))
            abort();
        cfgs[i].input.format = (dl_format)i; /* auto, text, json */
        cfgs[i].input.max_bytes = 65536;
        if (!(decs[i] = dl_decoder_new(&cfgs[i], &err)))
            abort();
    }
}

/* Splits off the next '\0'-terminated field of @p data. */
static dl_slice take(const uint8_t **data, size_t *size)
{
    const uint8_t *end = memchr(*data, 0, *size);
    dl_slice s = {(const char *)*data, end ? (size_t)(end - *data) : *size};

    *size -= end ? s.len + 1 : s.len;
    *data += end ? s.len + 1 : s.len;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dl_raw raw;
    dl_article art;
    char detail[256];
    unsigned flags;

    if (!decs[0])
        fuzz_init();
    if (size == 0)
        return 0;
    flags = data[0];
    data++;
    size--;
    memset(&raw, 0, sizeof(raw));
    raw.timestamp_ms = (flags & 0x10) ? 1603756800000LL : -1;
    if (flags & 0x04)
        raw.key = take(&data, &size);
    if (flags & 0x08)
        raw.date_header = take(&data, &size);
    raw.value.p = (const char *)data;
    raw.value.len = size;
    if (dl_decode(decs[flags % 3], &raw, &art, detail, sizeof(detail)) == DL_REASON_NONE) {
        /* Touch what the article points to: ASan checks the slices. */
        volatile unsigned char sink = 0;

        for (size_t i = 0; i < art.text.len; i++)
            sink ^= (unsigned char)art.text.p[i];
        for (size_t i = 0; i < art.id.len; i++)
            sink ^= (unsigned char)art.id.p[i];
        if (art.text.len)
            (void)dl_article_value_offset(&art, art.text.len - 1);
        (void)sink;
    }
    return 0;
}

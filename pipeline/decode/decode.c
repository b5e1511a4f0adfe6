/*
 * Raw message -> article. The text and JSON formats share the checks that
 * apply to any value (size, UTF-8) and the date fallbacks (header, Kafka
 * timestamp); each only knows where its own date, id and body live.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "decode_int.h"

struct dl_decoder {
    const dl_config *cfg;
    struct dl_offset_map map;
    dl_buf text;  /* JSON: the decoded body */
    char id[17];  /* hash id, hex */
    json_t *doc;  /* JSON: the parsed document of the last call */
};

dl_decoder *dl_decoder_new(const dl_config *cfg, dl_err *err)
{
    dl_decoder *dec = calloc(1, sizeof(*dec));

    if (!dec) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    dec->cfg = cfg;
    return dec;
}

void dl_decoder_free(dl_decoder *dec)
{
    if (!dec)
        return;
    free(dec->map.dec);
    free(dec->map.raw);
    free(dec->text.p);
    json_decref(dec->doc);
    free(dec);
}

size_t dl_article_value_offset(const dl_article *art, size_t off)
{
    const struct dl_offset_map *m = art->map;
    size_t lo = 0, hi;

    if (!m)
        return off;
    /* Find the last escape that ends at or before @p off. */
    hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->dec[mid] <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return m->base + off;
    return m->base + m->raw[lo - 1] + (off - m->dec[lo - 1]);
}

static dl_reason fail(char *detail, size_t size, dl_reason why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static dl_reason fail(char *detail, size_t size, dl_reason why, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, size, fmt, ap);
    va_end(ap);
    return why;
}

/* FNV-1a 64: a stable id for messages that carry none. */
static void hash_id(dl_slice v, char out[17])
{
    uint64_t h = dl_fnv1a64(DL_FNV64_SEED, v.p, v.len);

    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The date fallbacks of DESIGN.md: message, then header, then timestamp. */
static dl_reason date_fallback(const dl_decoder *dec, const dl_raw *raw, dl_article *art,
                               char *detail, size_t size)
{
    dl_reason why;

    if (dec->cfg->input.date_header[0] && raw->date_header.p) {
        if (dl_date_parse(raw->date_header, &art->published, &why))
            return fail(detail, size, why, "header '%s' is not a date: '%.*s'",
                        dec->cfg->input.date_header,
                        (int)(raw->date_header.len > 40 ? 40 : raw->date_header.len),
                        raw->date_header.p);
        art->from = DL_FROM_HEADER;
        return DL_REASON_NONE;
    }
    if (dec->cfg->input.use_timestamp && raw->timestamp_ms > 0) {
        time_t t = (time_t)(raw->timestamp_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        art->published = (dl_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
        art->from = DL_FROM_TIMESTAMP;
        return DL_REASON_NONE;
    }
    return fail(detail, size, DL_REASON_NO_DATE, "no publication date in message%s",
                dec->cfg->input.use_timestamp ? ", header or timestamp" : " or header");
}

/* Text format: optional leading blanks, "date", a space, YYYY-MM-DD, a space, body. */
static dl_reason decode_text(dl_decoder *dec, const dl_raw *raw, dl_article *art, char *detail,
                             size_t size)
{
    dl_slice v = raw->value;
    size_t i = 0;
    dl_reason why;

    while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    dec->map.base = 0;
    dec->map.n = 0;
    if (v.len - i >= 5 && memcmp(v.p + i, "date ", 5) == 0) {
        dl_slice ds = {v.p + i + 5, v.len - i - 5};
        size_t dlen = 0;
        while (dlen < ds.len && ds.p[dlen] != ' ' && ds.p[dlen] != '\n' && ds.p[dlen] != '\t')
            dlen++;
        ds.len = dlen;
        if (dl_date_parse(ds, &art->published, &why) || dlen != 10)
            return fail(detail, size, DL_REASON_BAD_DATE, "bad date '%.*s' in the date prefix",
                        (int)(dlen > 40 ? 40 : dlen), ds.p);
        art->from = DL_FROM_MESSAGE;
        i += 5 + dlen;
        if (i < v.len)
            i++; /* the one separator after the date */
    } else {
        i = 0;
        if ((why = date_fallback(dec, raw, art, detail, size)) != DL_REASON_NONE)
            return why;
    }
    dec->map.base = i;
    art->text = (dl_slice){v.p + i, v.len - i};
    art->map = &dec->map;
    return DL_REASON_NONE;
}

/* The first configured field name present in @p obj. */
static json_t *field(json_t *obj, char **names, size_t n, const char **which)
{
    for (size_t k = 0; k < n; k++) {
        json_t *f = json_object_get(obj, names[k]);
        if (f && !json_is_null(f)) {
            if (which)
                *which = names[k];
            return f;
        }
    }
    return NULL;
}

static dl_slice string_field(json_t *obj, char **names, size_t n)
{
    json_t *f = field(obj, names, n, NULL);

    if (f && json_is_string(f))
        return (dl_slice){json_string_value(f), json_string_length(f)};
    return (dl_slice){NULL, 0};
}

static dl_reason decode_json(dl_decoder *dec, const dl_raw *raw, dl_article *art, char *detail,
                             size_t size)
{
    const dl_json_fields *jf = &dec->cfg->input.json;
    json_error_t jerr;
    json_t *f;
    const char *text_name = NULL;
    dl_reason why;
    long at;

    dec->doc = json_loadb(raw->value.p, raw->value.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!dec->doc)
        return fail(detail, size, DL_REASON_MALFORMED_JSON, "%d:%d: %s", jerr.line, jerr.column,
                    jerr.text);
    if (!json_is_object(dec->doc))
        return fail(detail, size, DL_REASON_MALFORMED_JSON, "JSON value is not an object");

    if ((f = field(dec->doc, jf->date, jf->n_date, NULL))) {
        if (!json_is_string(f))
            return fail(detail, size, DL_REASON_BAD_DATE, "date field is not a string");
        if (dl_date_parse((dl_slice){json_string_value(f), json_string_length(f)},
                          &art->published, &why))
            return fail(detail, size, why, "bad date '%.40s'", json_string_value(f));
        art->from = DL_FROM_MESSAGE;
    } else if ((why = date_fallback(dec, raw, art, detail, size)) != DL_REASON_NONE) {
        return why;
    }

    f = field(dec->doc, jf->text, jf->n_text, &text_name);
    if (!f || !json_is_string(f))
        return fail(detail, size, DL_REASON_NO_TEXT, "no string text field");
    /* Decode the body from the raw bytes ourselves to map offsets back. */
    at = dl_json_raw_member(raw->value, text_name);
    if (at < 0 || dl_json_unescape(raw->value, (size_t)at, &dec->text, &dec->map))
        return fail(detail, size, DL_REASON_MALFORMED_JSON, "cannot locate text field");
    art->text = (dl_slice){dec->text.p, dec->text.len};
    art->map = &dec->map;
    art->title = string_field(dec->doc, jf->title, jf->n_title);
    art->url = string_field(dec->doc, jf->url, jf->n_url);
    art->lang = string_field(dec->doc, jf->lang, jf->n_lang);

    if (!art->id.p && (f = field(dec->doc, jf->id, jf->n_id, NULL))) {
        if (json_is_string(f) && json_string_length(f) > 0) {
            art->id = (dl_slice){json_string_value(f), json_string_length(f)};
        } else if (json_is_integer(f)) {
            snprintf(dec->id, sizeof(dec->id), "%lld", (long long)json_integer_value(f));
            art->id = (dl_slice){dec->id, strlen(dec->id)};
        }
    }
    return DL_REASON_NONE;
}

/* Buffers past DL_SCRATCH_KEEP go before the next message, as the
 * extractor's scratch arrays do. */
static void decoder_shed(dl_decoder *dec)
{
    if (dec->text.cap > DL_SCRATCH_KEEP) {
        free(dec->text.p);
        dec->text = (dl_buf){0};
    }
    if (dec->map.cap * sizeof(*dec->map.dec) > DL_SCRATCH_KEEP) {
        free(dec->map.dec);
        free(dec->map.raw);
        dec->map = (struct dl_offset_map){0};
    }
    /* The last message's parsed document (its strings were the article's). */
    json_decref(dec->doc);
    dec->doc = NULL;
}

dl_reason dl_decode(dl_decoder *dec, const dl_raw *raw, dl_article *art, char *detail,
                    size_t size)
{
    dl_slice v = raw->value;
    size_t bad, i;
    dl_format fmt = dec->cfg->input.format;
    dl_reason why;

    memset(art, 0, sizeof(*art));
    detail[0] = '\0';
    decoder_shed(dec);
    if (v.len == 0 || !v.p)
        return fail(detail, size, DL_REASON_EMPTY, "empty message value");
    if (v.len > dec->cfg->input.max_bytes)
        return fail(detail, size, DL_REASON_OVERSIZE, "value is %zu bytes, limit %zu", v.len,
                    dec->cfg->input.max_bytes);
    if ((bad = dl_utf8_check(v.p, v.len)) != v.len)
        return fail(detail, size, DL_REASON_INVALID_UTF8, "invalid UTF-8 at byte %zu", bad);
    /* The key becomes the article id; a key that is not text is hashed instead. */
    if (raw->key.p && raw->key.len > 0 && dl_utf8_check(raw->key.p, raw->key.len) == raw->key.len)
        art->id = raw->key;

    if (fmt == DL_FORMAT_AUTO) {
        for (i = 0; i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\n' ||
                                  v.p[i] == '\r');
             i++)
            ;
        fmt = (i < v.len && v.p[i] == '{') ? DL_FORMAT_JSON : DL_FORMAT_TEXT;
    }
    why = fmt == DL_FORMAT_JSON ? decode_json(dec, raw, art, detail, size)
                                : decode_text(dec, raw, art, detail, size);
    if (why != DL_REASON_NONE)
        return why;
    for (i = 0; i < art->text.len; i++)
        if (art->text.p[i] != ' ' && art->text.p[i] != '\n' && art->text.p[i] != '\t' &&
            art->text.p[i] != '\r')
            break;
    if (i == art->text.len)
        return fail(detail, size, DL_REASON_EMPTY, "article body is empty");
    if (!art->id.p) {
        hash_id(v, dec->id);
        art->id = (dl_slice){dec->id, 16};
    }
    return DL_REASON_NONE;
}

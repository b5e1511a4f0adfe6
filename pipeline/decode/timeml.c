/*
 * TimeML input for evaluation: the DCT and the TEXT content, read the way
 * the TempEval-3 scorer reads them (tags dropped, entities decoded, the
 * newline after <TEXT> kept).
 */
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"

static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);

    for (; p + n <= end; p++)
        if (*p == *needle && !memcmp(p, needle, n))
            return p;
    return NULL;
}

/* Decodes the entity at @p p (after '&'); returns bytes consumed or 0. */
static size_t entity(const char *p, const char *end, dl_buf *out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);

    if (!semi)
        return 0;
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        size_t n = strlen(named[i].name);
        if ((size_t)(end - p) >= n && !memcmp(p, named[i].name, n)) {
            out->p[out->len++] = named[i].c;
            return n;
        }
    }
    if (*p == '#') {
        char *e;
        unsigned long cp = p[1] == 'x' || p[1] == 'X' ? strtoul(p + 2, &e, 16) : strtoul(p + 1, &e, 10);
        if (e != semi || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        /* Encode as UTF-8. */
        if (cp < 0x80) {
            out->p[out->len++] = (char)cp;
        } else if (cp < 0x800) {
            out->p[out->len++] = (char)(0xC0 | (cp >> 6));
            out->p[out->len++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out->p[out->len++] = (char)(0xE0 | (cp >> 12));
            out->p[out->len++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out->p[out->len++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out->p[out->len++] = (char)(0xF0 | (cp >> 18));
            out->p[out->len++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            out->p[out->len++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out->p[out->len++] = (char)(0x80 | (cp & 0x3F));
        }
        return (size_t)(semi - p) + 1;
    }
    return 0;
}

int dl_timeml_parse(dl_slice doc, dl_timeml *out, dl_err *err)
{
    const char *end = doc.p + doc.len, *dct, *val, *text, *text_end;
    dl_buf buf = {0};
    dl_reason why;

    memset(out, 0, sizeof(*out));
    if (!(dct = find(doc.p, end, "<DCT>")) || !(val = find(dct, end, "value=\"")) ||
        end - val < 17 || dl_date_parse((dl_slice){val + 7, 10}, &out->dct, &why))
        return dl_err_set(err, DL_EINVAL, "no creation-time TIMEX3 with a date value in <DCT>");
    if (!(text = find(doc.p, end, "<TEXT")) || !(text = memchr(text, '>', (size_t)(end - text))) ||
        !(text_end = find(text, end, "</TEXT>")))
        return dl_err_set(err, DL_EINVAL, "no <TEXT> element");
    text++;
    if (dl_buf_reserve(&buf, (size_t)(text_end - text)))
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    for (const char *p = text; p < text_end;) {
        if (*p == '<') {
            const char *gt = memchr(p, '>', (size_t)(text_end - p));
            p = gt ? gt + 1 : text_end;
            continue;
        }
        if (*p == '&') {
            size_t n = entity(p + 1, text_end, &buf);
            if (n) {
                p += n + 1;
                continue;
            }
        }
        buf.p[buf.len++] = *p++;
    }
    buf.p[buf.len] = '\0';
    out->text = buf.p;
    out->len = buf.len;
    return 0;
}

void dl_timeml_fini(dl_timeml *tml)
{
    if (!tml)
        return;
    free(tml->text);
    memset(tml, 0, sizeof(*tml));
}

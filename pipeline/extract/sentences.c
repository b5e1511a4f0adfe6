/*
 * Sentence boundaries. A sentence ends at . ! ? (plus closing quotes and
 * brackets) followed by white space and something that can start a
 * sentence, or at a line break. A period after a configured abbreviation or
 * a single capital (an initial) does not end a sentence.
 */
#include <string.h>

#include "extract_int.h"

/* Bytes that may end a sentence: a line break or terminal punctuation. */
static const unsigned char ender[256] = {['\n'] = 1, ['.'] = 1, ['!'] = 1, ['?'] = 1};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Length of a closing quote or bracket at @p p, 0 if none. */
static size_t closer_len(const char *p, size_t left)
{
    if (*p == '"' || *p == '\'' || *p == ')' || *p == ']')
        return 1;
    /* ” and ’ */
    if (left >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
        ((unsigned char)p[2] == 0x9D || (unsigned char)p[2] == 0x99))
        return 3;
    return 0;
}

static int can_start(const char *p, size_t left)
{
    unsigned char c = (unsigned char)*p;

    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '"' || c == '\'' || c == '(' ||
        c == '[')
        return 1;
    /* “ and ‘ */
    if (left >= 3 && c == 0xE2 && (unsigned char)p[1] == 0x80 &&
        ((unsigned char)p[2] == 0x9C || (unsigned char)p[2] == 0x98))
        return 1;
    /* Any other non-ASCII letter: accept, we cannot tell its case cheaply. */
    return c >= 0xC0;
}

/* The word before the period at @p dot, letters and inner periods ("U.S"). */
static int abbreviation_before(const dl_rules *r, const char *text, size_t dot)
{
    size_t b = dot;

    while (b > 0 && (((text[b - 1] | 0x20) >= 'a' && (text[b - 1] | 0x20) <= 'z') ||
                     text[b - 1] == '.'))
        b--;
    if (b == dot)
        return 0;
    if (dot - b == 1 && text[b] >= 'A' && text[b] <= 'Z')
        return 1; /* an initial: "John F. Kennedy" */
    return dl_rules_is_abbrev(r, text + b, dot - b);
}

int dl_sentences_split(dl_extractor *ex, dl_slice text)
{
    const char *t = text.p;
    size_t n = text.len, i = 0, start;

    ex->n_sentences = 0;
    while (i < n && is_space(t[i]))
        i++;
    start = i;
    while (i < n) {
        char c = t[i];
        size_t end = 0, next = 0;

        if (c == '\n') {
            end = i;
            next = i + 1;
        } else if (c == '.' || c == '!' || c == '?') {
            size_t j = i + 1, cl;
            while (j < n && (t[j] == '.' || t[j] == '!' || t[j] == '?'))
                j++;
            while (j < n && (cl = closer_len(t + j, n - j)))
                j += cl;
            if (j == n) {
                i = j;
                continue;
            }
            if (is_space(t[j])) {
                size_t k = j;
                while (k < n && (t[k] == ' ' || t[k] == '\t'))
                    k++;
                if ((k == n || t[k] == '\n' || can_start(t + k, n - k)) &&
                    !(c == '.' && j == i + 1 && abbreviation_before(ex->rules, t, i))) {
                    end = j;
                    next = k;
                }
            }
            if (!end) {
                i = j;
                continue;
            }
        } else {
            /* Most bytes end nothing: skip to the next that may. */
            i++;
#ifdef DL_SCAN16
            /* The block's mask says where the first is: no byte-wise walk to it. */
            for (; i + 16 <= n; i += 16) {
                unsigned m = dl_eq16(t + i, '\n') | dl_eq16(t + i, '.') | dl_eq16(t + i, '!') |
                             dl_eq16(t + i, '?');
                if (m) {
                    i += (size_t)__builtin_ctz(m);
                    break;
                }
            }
#endif
            for (; i < n && !ender[(unsigned char)t[i]]; i++)
                ;
            continue;
        }
        /* Trim trailing blanks; skip empty sentences (blank lines). */
        size_t e = end;
        while (e > start && is_space(t[e - 1]))
            e--;
        if (e > start && dl_extractor_push_sentence(ex, start, e))
            return DL_ENOMEM;
        i = next;
        while (i < n && is_space(t[i]))
            i++;
        start = i;
    }
    size_t e = n;
    while (e > start && is_space(t[e - 1]))
        e--;
    if (e > start && dl_extractor_push_sentence(ex, start, e))
        return DL_ENOMEM;
    return 0;
}

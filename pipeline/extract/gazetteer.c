/*
 * The gazetteer: a hash set of normalised names (places, organisations,
 * works) built once at rule-load time from word lists and packaged data
 * (iso-codes), read-only afterwards so threads may share it.
 */
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

static inline int norm_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The byte a name's non-blank byte at *i normalises to; moves *i to the
 * last byte it read (’, E2 80 99, is ').  */
static inline unsigned char norm_char(const char *p, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)p[*i];

    if (c == 0xE2 && *i + 2 < len && (unsigned char)p[*i + 1] == 0x80 &&
        (unsigned char)p[*i + 2] == 0x99) {
        *i += 2;
        return '\'';
    }
    return dl_lower(c);
}

/* dl_gaz_norm() that also returns the FNV-1a hash of what it wrote in *hash
 * (the look-ups' hash, without a second pass). */
static inline size_t norm_hash(const char *p, size_t len, char *out, size_t size, uint32_t *hash)
{
    size_t n = 0;
    int space = 0;
    uint32_t h = DL_FNV_SEED;

    for (size_t i = 0; i < len; i++) {
        unsigned char c;
        if (norm_blank((unsigned char)p[i])) {
            space = n > 0;
            continue;
        }
        if (space) {
            if (n + 1 >= size)
                return 0;
            out[n++] = ' ';
            h = dl_fnv1a_byte(h, ' ');
            space = 0;
        }
        c = norm_char(p, len, &i);
        if (n + 1 >= size)
            return 0;
        out[n++] = (char)c;
        h = dl_fnv1a_byte(h, c);
    }
    out[n] = '\0';
    *hash = h;
    return n;
}

int dl_gaz_norm_first(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!norm_blank((unsigned char)p[i]))
            return norm_char(p, len, &i);
    return -1;
}

size_t dl_gaz_norm(const char *p, size_t len, char *out, size_t size)
{
    uint32_t h;

    return norm_hash(p, len, out, size, &h);
}

static int grow_table(dl_gazetteer *g)
{
    size_t ncap = g->cap ? g->cap * 2 : 1024;
    dl_gaz_slot *ns = calloc(ncap, sizeof(*ns));

    if (!ns)
        return DL_ENOMEM;
    for (size_t i = 0; i < g->cap; i++) {
        dl_gaz_slot *s = &g->slots[i];
        if (!s->off)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].off)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(g->slots);
    g->slots = ns;
    g->cap = ncap;
    return 0;
}

int dl_gaz_add(dl_gazetteer *g, const char *name, size_t len, int kind)
{
    char buf[128];
    size_t n = dl_gaz_norm(name, len, buf, sizeof(buf)), j, words = 1, first = 0, last, sig;
    uint32_t h;

    if (!n)
        return 0; /* too long or empty: cannot match a name anyway */
    while (first < n && buf[first] != ' ')
        first++;
    for (last = n; last > 0 && buf[last - 1] != ' '; last--)
        ;
    dl_sig_add(g->first_sig, dl_lex_sig(buf, first));
    sig = dl_lex_sig(buf + last, n - last);
    dl_sig_add(g->last_sig, sig);
    if (first == n)
        dl_sig_add(g->word_sig, sig);
    if ((g->n + 1) * 2 > g->cap && grow_table(g))
        return DL_ENOMEM;
    h = dl_fnv1a(DL_FNV_SEED, buf, n);
    for (j = h & (g->cap - 1); g->slots[j].off; j = (j + 1) & (g->cap - 1))
        if (g->slots[j].hash == h && g->slots[j].len == n && !memcmp(g->pool + g->slots[j].off, buf, n))
            return 0;
    if (g->pool_len + n + 1 > g->pool_cap) {
        size_t cap = g->pool_cap ? g->pool_cap : 16384;
        while (cap < g->pool_len + n + 1)
            cap *= 2;
        char *np = realloc(g->pool, cap);
        if (!np)
            return DL_ENOMEM;
        g->pool = np;
        g->pool_cap = cap;
        if (!g->pool_len)
            g->pool[g->pool_len++] = '\0'; /* offset 0 means empty */
    }
    memcpy(g->pool + g->pool_len, buf, n);
    g->slots[j] = (dl_gaz_slot){(uint32_t)g->pool_len, (uint32_t)n, h, kind};
    g->pool_len += n;
    g->n++;
    for (size_t i = 0; i < n; i++)
        words += buf[i] == ' ';
    if ((int)words > g->max_words)
        g->max_words = (int)words;
    return 0;
}

int dl_gaz_get(const dl_gazetteer *g, const char *name, size_t len)
{
    char buf[128];
    size_t n;
    uint32_t h;

    if (!g->cap || !(n = norm_hash(name, len, buf, sizeof(buf), &h)))
        return -1;
    for (size_t j = h & (g->cap - 1); g->slots[j].off; j = (j + 1) & (g->cap - 1))
        if (g->slots[j].hash == h && g->slots[j].len == n && !memcmp(g->pool + g->slots[j].off, buf, n))
            return g->slots[j].kind;
    return -1;
}

void dl_gaz_fini(dl_gazetteer *g)
{
    free(g->slots);
    free(g->pool);
    memset(g, 0, sizeof(*g));
}

/* ---- iso-codes ------------------------------------------------------------ */

int dl_iso_code_in(const char *s, size_t n, const char *const *cc, size_t n_cc)
{
    for (size_t k = 0; k < n_cc; k++) {
        const char *a = s, *c = cc[k];
        while (*c && a < s + n && *a == *c)
            a++, c++;
        if (!*c && a < s + n && *a == '-')
            return 1;
    }
    return 0;
}

/* Whether the entry @p e (@p n bytes of JSON) must be parsed: it has a
 * string beginning with one of the @p n_cc country codes and '-' ("US-CA"),
 * or an escape (a code could be spelt with \u: parsed to be sure). */
static int iso_entry_wanted(const char *e, size_t n, const char *const *cc, size_t n_cc)
{
    if (memchr(e, '\\', n))
        return 1;
    for (const char *q = e, *end = e + n; (q = memchr(q, '"', (size_t)(end - q))) != NULL; q++)
        if (dl_iso_code_in(q + 1, (size_t)(end - q - 1), cc, n_cc))
            return 1;
    return 0;
}

int dl_iso_filter(const char *buf, size_t len, const char *const *cc, size_t n_cc, char **out,
                  size_t *out_len)
{
    char open[3], *o; /* the containers open, outermost first */
    size_t depth = 0, list_end = 0, entry = 0, n = 0, n_lists = 0;
    int in_str = 0;
    /* In the list: 0 after '[', 1 after an entry, 2 after a comma. The
     * commas are checked, so that the cut text is never longer than the
     * text (one comma before each kept entry but the first). */
    int sep = 0;

    *out = NULL;
    *out_len = 0;
    if (!(o = malloc(len + 1)))
        return DL_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            /* to the closing quote: most of the text is strings */
            const char *q = memchr(buf + i, '"', len - i);
            size_t bs = 0;
            if (!q)
                goto whole;
            i = (size_t)(q - buf);
            while (bs < i && buf[i - 1 - bs] == '\\')
                bs++;
            in_str = bs % 2; /* (an odd run of backslashes escapes it) */
            continue;
        }
        /* In the list, between its entries: blanks, commas, an entry's
         * start or the list's end. */
        if (depth == 2 && open[1] == '[') {
            if (!c || !strchr(" \t\r\n,{]", c) || (c == '{' && sep == 1) ||
                (c == ',' && sep != 1) || (c == ']' && sep == 2))
                goto whole;
            if (c == ',')
                sep = 2;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            /* deeper than an entry's fields, or a list not in the top
             * object, or a second one: not the iso-codes shape */
            if (depth == 3 || (depth == 1 && c == '[' && (open[0] != '{' || n_lists++)) ||
                (depth == 2 && open[1] == '[' && c != '{'))
                goto whole;
            if (depth == 1 && c == '[') {
                memcpy(o, buf, i + 1);
                n = i + 1;
            }
            if (depth == 2)
                entry = i;
            open[depth++] = c;
        } else if (c == '}' || c == ']') {
            if (!depth || open[depth - 1] != (c == '}' ? '{' : '['))
                goto whole;
            depth--;
            if (depth == 2 && open[1] == '[')
                sep = 1;
            if (depth == 2 && open[1] == '[' &&
                iso_entry_wanted(buf + entry, i + 1 - entry, cc, n_cc)) {
                if (o[n - 1] != '[')
                    o[n++] = ',';
                memcpy(o + n, buf + entry, i + 1 - entry);
                n += i + 1 - entry;
            } else if (depth == 1 && c == ']') {
                list_end = i;
            }
        }
    }
    if (n_lists != 1 || depth || in_str)
        goto whole;
    memcpy(o + n, buf + list_end, len - list_end);
    n += len - list_end;
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return 0;
whole:
    free(o);
    return 0;
}

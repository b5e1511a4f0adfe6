/*
 * Loading the rule files: YAML documents -> lexicons, cue patterns,
 * abbreviations and timex rules, each pattern compiled once with PCRE2 JIT.
 * Every error names the file:line:col of the node it is about.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <yaml.h>

#include "automaton.h"
#include "rules_int.h"
#include "sbuf.h"

/* One parsed rule file, kept until every pattern is compiled. */
typedef struct rule_file {
    char *path;
    yaml_document_t doc;
    int loaded;
} rule_file;

/* A named piece of pattern, usable as {name} in any pattern. */
typedef struct fragment {
    const char *name;
    const char *pattern; /* owned by the YAML document */
    rule_file *file;
    yaml_node_t *node;
} fragment;

typedef struct loader {
    dl_rules *r;
    fragment *frags;
    size_t n_frags;
    rule_file *files;
    size_t n_files;
    dl_err *err;
} loader;

static int node_err(loader *ld, const rule_file *f, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int node_err(loader *ld, const rule_file *f, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return dl_err_set_at(ld->err, DL_ERULES, f->path, node ? (int)node->start_mark.line + 1 : 0,
                         node ? (int)node->start_mark.column + 1 : 0, "%s", msg);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(rule_file *f, int id)
{
    return yaml_document_get_node(&f->doc, id);
}

/* ---- lexicons ---------------------------------------------------------- */

static int lex_cmp(const void *a, const void *b)
{
    return strcmp(((const dl_lex_entry *)a)->word, ((const dl_lex_entry *)b)->word);
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);

    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static dl_lexicon *lexicon_find(const dl_rules *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->n_lex; i++)
        if (strlen(r->lex[i].name) == len && strncmp(r->lex[i].name, name, len) == 0)
            return &r->lex[i];
    return NULL;
}

/* Lexicons are looked up for most words of every article (entities,
 * quotes), so they get a hash of their words rather than a binary search. */
static int lex_index(dl_lexicon *lex)
{
    size_t cap = 16;

    while (cap < 2 * lex->n)
        cap *= 2;
    if (!(lex->slots = calloc(cap, sizeof(*lex->slots))))
        return DL_ENOMEM;
    lex->mask = cap - 1;
    for (size_t i = 0; i < lex->n; i++) {
        const char *w = lex->entries[i].word;
        size_t len = strlen(w), at = dl_fnv1a(DL_FNV_SEED, w, len) & lex->mask;
        while (lex->slots[at].entry)
            at = (at + 1) & lex->mask;
        lex->slots[at].value = lex->entries[i].value;
        lex->slots[at].entry = (uint32_t)(i + 1);
        lex->slots[at].len = (uint8_t)len; /* (< DL_LEX_MAX_WORD) */
        memcpy(lex->slots[at].head, w, len < DL_LEX_HEAD ? len : DL_LEX_HEAD);
        dl_sig_add(lex->sig, dl_lex_sig(w, len));
    }
    return 0;
}

const char *dl_lexicon_lookup(const dl_lexicon *lex, const char *word, size_t len)
{
    char buf[DL_LEX_MAX_WORD] = {0}; /* zero-padded past the word, as a slot's head */
    size_t at;

    if (len >= sizeof(buf))
        return NULL;
    /* ASCII folding, as tolower() in the C locale the words were lowered in;
     * hashed on the way. */
    uint32_t h = DL_FNV_SEED;
    for (size_t i = 0; i < len; i++) {
        buf[i] = (char)dl_lower((unsigned char)word[i]);
        h = dl_fnv1a_byte(h, (unsigned char)buf[i]);
    }
    for (at = h & lex->mask; lex->slots[at].entry; at = (at + 1) & lex->mask) {
        const struct dl_lex_slot *sl = &lex->slots[at];
        if (sl->len == len && !memcmp(sl->head, buf, DL_LEX_HEAD) &&
            (len <= DL_LEX_HEAD || !memcmp(lex->entries[sl->entry - 1].word + DL_LEX_HEAD,
                                           buf + DL_LEX_HEAD, len - DL_LEX_HEAD)))
            return sl->value;
    }
    return NULL;
}

/* A lexicon is a mapping word -> value, or a sequence of words (value "1"). */
static int load_lexicon(loader *ld, rule_file *f, const char *name, yaml_node_t *def)
{
    dl_rules *r = ld->r;
    dl_lexicon *lex, *nl;
    size_t n;

    if (lexicon_find(r, name, strlen(name)))
        return node_err(ld, f, def, "lexicon '%s' is defined twice", name);
    if (!(nl = realloc(r->lex, (r->n_lex + 1) * sizeof(*nl))))
        return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
    r->lex = nl;
    lex = &r->lex[r->n_lex++];
    memset(lex, 0, sizeof(*lex));
    lex->name = strdup(name);
    if (def->type == YAML_MAPPING_NODE)
        n = (size_t)(def->data.mapping.pairs.top - def->data.mapping.pairs.start);
    else if (def->type == YAML_SEQUENCE_NODE)
        n = (size_t)(def->data.sequence.items.top - def->data.sequence.items.start);
    else
        return node_err(ld, f, def, "lexicon '%s' must be a mapping or a list", name);
    if (!(lex->entries = calloc(n ? n : 1, sizeof(*lex->entries))))
        return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *k, *v = NULL;
        if (def->type == YAML_MAPPING_NODE) {
            k = node(f, def->data.mapping.pairs.start[i].key);
            v = node(f, def->data.mapping.pairs.start[i].value);
        } else {
            k = node(f, def->data.sequence.items.start[i]);
        }
        if (!scalar(k) || !*scalar(k) || (v && !scalar(v)))
            return node_err(ld, f, v && !scalar(v) ? v : k,
                            "lexicon '%s': entries must be plain words", name);
        if (strlen(scalar(k)) >= 64)
            return node_err(ld, f, k, "lexicon '%s': word longer than 63 bytes", name);
        lex->entries[lex->n].word = lower_dup(scalar(k));
        lex->entries[lex->n].value = strdup(v ? scalar(v) : "1");
        lex->n++;
    }
    if (lex->n > 1)
        qsort(lex->entries, lex->n, sizeof(*lex->entries), lex_cmp);
    for (size_t i = 1; i < lex->n; i++)
        if (!strcmp(lex->entries[i].word, lex->entries[i - 1].word))
            return node_err(ld, f, def, "lexicon '%s': '%s' appears twice", name,
                            lex->entries[i].word);
    if (lex_index(lex))
        return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
    return 0;
}

/* ---- pattern expansion and compilation --------------------------------- */

static int by_length_desc(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

    return la < lb ? 1 : la > lb ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends byte @p c of a word as regex: a space stands for any blank run,
 * metacharacters are escaped; @p upper: upper-cased (a {List} word's first). */
static void emit_char(dl_sbuf *b, char c, int upper)
{
    char ch = upper ? (char)toupper((unsigned char)c) : c;

    if (ch == ' ') {
        dl_sbuf_str(b, "\\s+");
    } else if (strchr("\\^$.|?*+()[]{}", ch)) {
        char esc[3] = {'\\', ch, 0};
        dl_sbuf_str(b, esc);
    } else {
        dl_sbuf_add(b, &ch, 1);
    }
}

/* Appends @p w from its byte @p k on; @p upper: its first byte upper-cased
 * (when k is 0). */
static void emit_rest(dl_sbuf *b, const char *w, size_t k, int upper)
{
    for (const char *c = w + k; *c; c++)
        emit_char(b, *c, upper && c == w);
}

/*
 * Appends the words w[lo, hi), which share their first @p k bytes (already
 * appended), as an alternation of their remainders, factored by their next
 * byte: "(?:m(?:arch|ay)|june)" instead of "(?:march|may|june)". PCRE2
 * tries an alternation's branches one by one, so a lexicon of a hundred
 * words cost a hundred compares wherever it was tried; factored, a few.
 *
 * The match is the same, branch priorities included: branches that begin
 * with different bytes (different letters in any case) cannot both match
 * at one position, so gathering each byte's words keeps every order that
 * can matter; within a byte the words keep their order. A word that ends
 * at k (an empty remainder) is the shortest of its set, so it comes last,
 * as in the longest-first list. Where a blank or two bytes equal but for
 * case come next, the set is written out unfactored. @p tmp holds hi - lo
 * pointers. @p upper: the first byte is upper-cased ({List}).
 */
static void emit_words(dl_sbuf *b, const char **w, size_t lo, size_t hi, size_t k, int upper,
                       const char **tmp)
{
    unsigned char keys[257];
    size_t n_keys = 0, at = 0;
    int seen[256] = {0}, plain = 0;

    if (hi - lo == 1) {
        emit_rest(b, w[lo], k, upper);
        return;
    }
    for (size_t i = lo; i < hi && !plain; i++) {
        unsigned char c = (unsigned char)w[i][k];
        plain = isspace(c) || (c != dl_lower(c) && seen[dl_lower(c)]) ||
                (c == dl_lower(c) && c != (unsigned char)toupper(c) && seen[toupper(c)]);
        if (!seen[c]) {
            seen[c] = 1;
            keys[n_keys++] = c;
        }
    }
    if (plain || hi <= lo) {
        dl_sbuf_str(b, "(?:");
        for (size_t i = lo; i < hi; i++) {
            if (i > lo)
                dl_sbuf_str(b, "|");
            emit_rest(b, w[i], k, upper);
        }
        dl_sbuf_str(b, ")");
        return;
    }
    /* Gather each byte's words, bytes in order of first appearance. */
    for (size_t g = 0; g < n_keys; g++)
        for (size_t i = lo; i < hi; i++)
            if ((unsigned char)w[i][k] == keys[g])
                tmp[at++] = w[i];
    memcpy(w + lo, tmp, (hi - lo) * sizeof(*w));
    if (n_keys > 1)
        dl_sbuf_str(b, "(?:");
    at = lo;
    for (size_t g = 0; g < n_keys; g++) {
        size_t end = at;
        while (end < hi && (unsigned char)w[end][k] == keys[g])
            end++;
        if (g)
            dl_sbuf_str(b, "|");
        if (keys[g]) {
            emit_char(b, (char)keys[g], upper && k == 0);
            if (end - at == 1)
                emit_rest(b, w[at], k + 1, 0);
            else
                emit_words(b, w, at, end, k + 1, 0, tmp);
        }
        at = end;
    }
    if (n_keys > 1)
        dl_sbuf_str(b, ")");
}

/* Appends the words of @p lex as a regex alternation, longest first so a
 * word never loses to its own prefix ("sept" before "sep"), factored
 * (emit_words). */
static void expand_lexicon(dl_sbuf *b, const dl_lexicon *lex, int capitalise)
{
    const char **words = malloc(2 * (lex->n ? lex->n : 1) * sizeof(*words));

    if (!words) {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < lex->n; i++)
        words[i] = lex->entries[i].word;
    qsort(words, lex->n, sizeof(*words), by_length_desc);
    dl_sbuf_str(b, capitalise ? "(?-i:" : "(?:");
    if (lex->n)
        emit_words(b, words, 0, lex->n, 0, capitalise, words + lex->n);
    dl_sbuf_str(b, ")");
    free(words);
}

static const fragment *fragment_find(const loader *ld, const char *name)
{
    for (size_t i = 0; i < ld->n_frags; i++)
        if (!strcmp(ld->frags[i].name, name))
            return &ld->frags[i];
    return NULL;
}

/* Expands {fragment} and {list} references; {List} means capitalised and
 * case-sensitive. Fragments may use fragments, up to a small depth. */
static int expand_pattern(loader *ld, rule_file *f, yaml_node_t *at, const char *pat, dl_sbuf *out,
                          int depth)
{
    const char *p = pat;

    if (depth > 8)
        return node_err(ld, f, at, "fragments nest too deep (a cycle?)");

    while (*p) {
        if (*p == '\\' && p[1]) {
            dl_sbuf_add(out, p, 2);
            p += 2;
            continue;
        }
        if (*p == '{' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            if (*q == '}') {
                char name[64];
                size_t n = (size_t)(q - p - 1);
                if (n >= sizeof(name))
                    return node_err(ld, f, at, "lexicon name too long");
                memcpy(name, p + 1, n);
                name[n] = '\0';
                const fragment *frag = fragment_find(ld, name);
                if (frag) {
                    int rc;
                    dl_sbuf_str(out, "(?:");
                    if ((rc = expand_pattern(ld, f, at, frag->pattern, out, depth + 1)))
                        return rc;
                    dl_sbuf_str(out, ")");
                    p = q + 1;
                    continue;
                }
                int cap = isupper((unsigned char)name[0]);
                name[0] = (char)tolower((unsigned char)name[0]);
                const dl_lexicon *lex = lexicon_find(ld->r, name, n);
                if (!lex)
                    return node_err(ld, f, at, "unknown lexicon or fragment '{%.*s}'", (int)n,
                                    p + 1);
                expand_lexicon(out, lex, cap);
                p = q + 1;
                continue;
            }
        }
        dl_sbuf_add(out, p, 1);
        p++;
    }
    return out->oom ? dl_err_set(ld->err, DL_ENOMEM, "out of memory") : 0;
}

/* Compiles @p pat in byte mode (offsets are bytes anyway), with JIT code
 * when @p jit. Whole words only: a match may not start or end inside a word.
 * With @p rule, the pattern goes into the rules' automaton as that rule
 * (rule->no_dfa set when it cannot). */
static int compile_opts(loader *ld, rule_file *f, yaml_node_t *at, const char *pat, int caseless,
                        int whole_words, uint32_t extra_opts, int jit, pcre2_code **out,
                        dl_rule *rule)
{
    dl_sbuf full = {0}, body = {0};
    int ecode, rc;
    PCRE2_SIZE eoff;
    uint32_t opts = PCRE2_DUPNAMES | (caseless ? PCRE2_CASELESS : 0) | extra_opts;

    if ((rc = expand_pattern(ld, f, at, pat, &body, 0)))
        goto out;
    if (whole_words)
        dl_sbuf_str(&full, "(?<![A-Za-z0-9])(?:");
    dl_sbuf_add(&full, body.p ? body.p : "", body.len);
    if (whole_words)
        dl_sbuf_str(&full, ")(?![A-Za-z0-9])");
    if (full.oom) {
        rc = dl_err_set(ld->err, DL_ENOMEM, "out of memory");
        goto out;
    }
    *out = pcre2_compile((PCRE2_SPTR)full.p, full.len, opts, &ecode, &eoff, NULL);
    if (!*out) {
        PCRE2_UCHAR emsg[120];
        pcre2_get_error_message(ecode, emsg, sizeof(emsg));
        rc = node_err(ld, f, at, "bad pattern: %s (near expanded offset %zu)", (char *)emsg,
                      (size_t)eoff);
        goto out;
    }
    /* JIT can be unavailable (some architectures, SELinux); fall back silently. */
    if (jit)
        pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE);
    rc = 0;
    if (rule) {
        rc = dl_nfa_add(ld->r->nfa, full.p, full.len, caseless,
                        (size_t)(rule - ld->r->rules));
        if (rc < 0) {
            rc = dl_err_set(ld->err, rc, "out of memory");
            goto out;
        }
        rule->no_dfa = rc == 1;
        rc = 0;
    }
out:
    free(full.p);
    free(body.p);
    return rc;
}

static int compile(loader *ld, rule_file *f, yaml_node_t *at, const char *pat, int caseless,
                   int whole_words, pcre2_code **out)
{
    return compile_opts(ld, f, at, pat, caseless, whole_words, 0, 1, out, NULL);
}

/* ---- rules ------------------------------------------------------------- */

static const char *const cap_names[DL_CAP__COUNT] = {
    "year", "month", "day", "weekday", "unit",   "rel",  "mod",
    "n",    "quarter", "season", "part", "hour", "minute", "ampm", "decade", "holiday",
    "half", "century"};

static int bind_captures(loader *ld, rule_file *f, yaml_node_t *at, dl_rule *rule)
{
    uint32_t count, entry_size;
    PCRE2_SPTR table;

    pcre2_pattern_info(rule->re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(rule->re, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    pcre2_pattern_info(rule->re, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + i * entry_size;
        int group = (e[0] << 8) | e[1];
        const char *gname = (const char *)(e + 2);
        int found = -1;
        for (int c = 0; c < DL_CAP__COUNT; c++)
            if (!strcmp(gname, cap_names[c]))
                found = c;
        if (found < 0)
            return node_err(ld, f, at,
                            "rule '%s': group '%s' means nothing to the normaliser (use year, "
                            "month, day, weekday, unit, rel, mod, n, quarter, season, part, "
                            "hour, minute, ampm, decade, century, holiday or half)",
                            rule->name, gname);
        if (rule->n_caps == DL_RULE_MAX_CAPS)
            return node_err(ld, f, at, "rule '%s': too many named groups", rule->name);
        rule->caps[rule->n_caps].group = group;
        rule->caps[rule->n_caps].cap = (dl_cap)found;
        rule->caps[rule->n_caps].lex = lexicon_find(ld->r, gname, strlen(gname));
        rule->n_caps++;
    }
    return 0;
}

static int parse_enum(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (s && !strcmp(s, names[i]))
            return i;
    return -1;
}

static int parse_int(const char *s, int *out)
{
    char *end;
    long v;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < -1000000 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

static int load_rule(loader *ld, rule_file *f, yaml_node_t *def)
{
    static const char *const types[] = {"DATE", "TIME", "DURATION", "SET"};
    static const char *const norms[] = {"literal",  "date", "relative", "anaphor",
                                        "duration", "time", "holiday"};
    dl_rules *r = ld->r;
    dl_rule *rule, *nr;
    yaml_node_t *pattern = NULL;
    int caseless = 1, rc;

    if (def->type != YAML_MAPPING_NODE)
        return node_err(ld, f, def, "a timex rule must be a mapping");
    if (!(nr = realloc(r->rules, (r->n_rules + 1) * sizeof(*nr))))
        return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
    r->rules = nr;
    rule = &r->rules[r->n_rules++];
    memset(rule, 0, sizeof(*rule));
    rule->norm = -1;
    rule->type = DL_TIMEX_DATE;
    rule->tense = DL_TENSE_CUES;
    for (yaml_node_pair_t *pr = def->data.mapping.pairs.start; pr < def->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = node(f, pr->key), *v = node(f, pr->value);
        const char *key = scalar(k), *val = scalar(v);
        int e;
        if (!key)
            return node_err(ld, f, k, "rule keys must be plain words");
        if (!val)
            return node_err(ld, f, v, "'%s' must be a scalar", key);
        if (!strcmp(key, "name")) {
            free(rule->name);
            rule->name = strdup(val);
        } else if (!strcmp(key, "pattern")) {
            pattern = v;
        } else if (!strcmp(key, "type")) {
            if ((e = parse_enum(val, types, 4)) < 0)
                return node_err(ld, f, v, "type must be DATE, TIME, DURATION or SET");
            rule->type = (dl_timex_type)e;
        } else if (!strcmp(key, "norm")) {
            if ((e = parse_enum(val, norms, DL_NORM__COUNT)) < 0)
                return node_err(ld, f, v,
                                "norm must be literal, date, relative, anaphor, duration, time or "
                                "holiday");
            rule->norm = (dl_norm)e;
        } else if (!strcmp(key, "value")) {
            if (snprintf(rule->value, sizeof(rule->value), "%s", val) >= (int)sizeof(rule->value))
                return node_err(ld, f, v, "value too long");
            rule->quarter_value = strstr(rule->value, "Q{quarter}") != NULL;
        } else if (!strcmp(key, "mod")) {
            if (snprintf(rule->mod, sizeof(rule->mod), "%s", val) >= (int)sizeof(rule->mod))
                return node_err(ld, f, v, "mod too long");
        } else if (!strcmp(key, "unit")) {
            if (parse_enum(val, dl_unit_names, DL_UNIT__COUNT) < 0)
                return node_err(ld, f, v, "unknown unit '%s'", val);
            snprintf(rule->unit, sizeof(rule->unit), "%s", val);
        } else if (!strcmp(key, "rel")) {
            if (parse_int(val, &rule->rel))
                return node_err(ld, f, v, "rel must be an integer");
        } else if (!strcmp(key, "base")) {
            if (strcmp(val, "dct") && strcmp(val, "anchor") && strcmp(val, "period") &&
                strcmp(val, "story") && strcmp(val, "quarter") && strcmp(val, "report"))
                return node_err(ld, f, v,
                                "base must be dct, anchor, period, story, quarter or report");
            rule->base_quarter = !strcmp(val, "quarter")  ? DL_BASE_QUARTER
                                 : !strcmp(val, "report") ? DL_BASE_REPORT
                                                          : 0;
            rule->base_anchor = !strcmp(val, "anchor")   ? DL_BASE_ANCHOR
                                : !strcmp(val, "period") ? DL_BASE_PERIOD
                                : !strcmp(val, "story")  ? DL_BASE_STORY
                                                         : 0;
        } else if (!strcmp(key, "tense")) {
            static const char *const tenses[] = {"past", "nearest", "future", "cues"};
            if ((e = parse_enum(val, tenses, 4)) < 0)
                return node_err(ld, f, v, "tense must be cues, past, future or nearest");
            rule->tense = e - 1;
        } else if (!strcmp(key, "when")) {
            if (strcmp(val, "future"))
                return node_err(ld, f, v, "when must be future");
            rule->when_future = 1;
        } else if (!strcmp(key, "after_months")) {
            if (strcmp(val, "length"))
                return node_err(ld, f, v, "after_months must be length");
            rule->after_months = 1;
        } else if (!strcmp(key, "priority")) {
            if (parse_int(val, &rule->priority))
                return node_err(ld, f, v, "priority must be an integer");
        } else if (!strcmp(key, "caseless")) {
            if (strcmp(val, "true") && strcmp(val, "false"))
                return node_err(ld, f, v, "caseless must be true or false");
            caseless = !strcmp(val, "true");
        } else {
            return node_err(ld, f, k, "unknown rule key '%s'", key);
        }
    }
    if (!rule->name)
        return node_err(ld, f, def, "rule without a name");
    if (!pattern)
        return node_err(ld, f, def, "rule '%s' has no pattern", rule->name);
    if ((int)rule->norm < 0)
        return node_err(ld, f, def, "rule '%s' has no norm", rule->name);
    if (rule->norm == DL_NORM_ANAPHOR)
        rule->base_anchor = 1;
    if (rule->after_months && rule->norm != DL_NORM_RELATIVE)
        return node_err(ld, f, def, "rule '%s': after_months needs norm relative", rule->name);
    if (rule->norm == DL_NORM_LITERAL && !rule->value[0])
        return node_err(ld, f, def, "rule '%s': norm literal needs a value", rule->name);
    for (size_t i = 0; i + 1 < r->n_rules; i++)
        if (!strcmp(r->rules[i].name, rule->name))
            return node_err(ld, f, def, "rule name '%s' is used twice", rule->name);
    /* The extractor tries rules at word starts, anchored (re_at), where
     * the automaton allows them; the searching form tells it the bytes a
     * match can start with, and matches only in the reference build
     * (extract.c): no JIT code for it. */
    if ((rc = compile_opts(ld, f, pattern, scalar(pattern), caseless, 1, 0, 0, &rule->re, NULL)))
        return rc;
    if ((rc = compile_opts(ld, f, pattern, scalar(pattern), caseless, 1, PCRE2_ANCHORED, 1,
                           &rule->re_at, rule)))
        return rc;
    return bind_captures(ld, f, pattern, rule);
}

static int load_cues(loader *ld, rule_file *f, yaml_node_t *def)
{
    if (def->type != YAML_MAPPING_NODE)
        return node_err(ld, f, def, "cues must be a mapping");
    for (yaml_node_pair_t *pr = def->data.mapping.pairs.start; pr < def->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = node(f, pr->key), *v = node(f, pr->value);
        pcre2_code **slot;
        if (scalar(k) && !strcmp(scalar(k), "future"))
            slot = &ld->r->future_cue;
        else if (scalar(k) && !strcmp(scalar(k), "past"))
            slot = &ld->r->past_cue;
        else if (scalar(k) && !strcmp(scalar(k), "scheduled"))
            slot = &ld->r->scheduled_cue;
        else
            return node_err(ld, f, k, "unknown cue '%s' (future, past or scheduled)",
                            scalar(k) ? scalar(k) : "?");
        if (!scalar(v))
            return node_err(ld, f, v, "a cue is a pattern string");
        if (*slot)
            return node_err(ld, f, k, "cue '%s' is defined twice", scalar(k));
        int rc = compile(ld, f, v, scalar(v), 1, 0, slot);
        if (rc)
            return rc;
    }
    return 0;
}

/* (Re)builds r->abbrev_lex over r->abbrev; each word is its own value. */
static int abbrev_index(dl_rules *r)
{
    dl_lexicon *lex = &r->abbrev_lex;

    free(lex->entries);
    free(lex->slots);
    memset(lex, 0, sizeof(*lex));
    if (!(lex->entries = calloc(r->n_abbrev ? r->n_abbrev : 1, sizeof(*lex->entries))))
        return DL_ENOMEM;
    for (size_t i = 0; i < r->n_abbrev; i++)
        if (strlen(r->abbrev[i]) < DL_LEX_MAX_WORD) /* (longer: in no lexicon) */
            lex->entries[lex->n++] = (dl_lex_entry){r->abbrev[i], r->abbrev[i]};
    return lex_index(lex);
}

static int load_sentences(loader *ld, rule_file *f, yaml_node_t *def)
{
    dl_rules *r = ld->r;

    if (def->type != YAML_MAPPING_NODE)
        return node_err(ld, f, def, "sentences must be a mapping");
    for (yaml_node_pair_t *pr = def->data.mapping.pairs.start; pr < def->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = node(f, pr->key), *v = node(f, pr->value);
        if (!scalar(k) || strcmp(scalar(k), "abbreviations"))
            return node_err(ld, f, k, "unknown key '%s' in sentences", scalar(k) ? scalar(k) : "?");
        if (v->type != YAML_SEQUENCE_NODE)
            return node_err(ld, f, v, "abbreviations must be a list");
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
             it++) {
            yaml_node_t *w = node(f, *it);
            char **na;
            if (!scalar(w))
                return node_err(ld, f, w, "an abbreviation is a word");
            if (!(na = realloc(r->abbrev, (r->n_abbrev + 1) * sizeof(*na))))
                return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
            r->abbrev = na;
            r->abbrev[r->n_abbrev++] = lower_dup(scalar(w));
        }
    }
    /* (looked up by hash since abbrev_index(): no order needed) */
    return abbrev_index(r) ? dl_err_set(ld->err, DL_ENOMEM, "out of memory") : 0;
}

int dl_rules_is_abbrev(const dl_rules *r, const char *word, size_t len)
{
    /* (a word of 32 bytes or more is no abbreviation) */
    if (len == 0 || len >= 32 || r->n_abbrev == 0)
        return 0;
    return dl_lexicon_get(&r->abbrev_lex, word, len) != NULL;
}

/* ---- entities and quotes ----------------------------------------------- */

int dl_re_has_jit(const pcre2_code *re)
{
    size_t jit_size = 0;

    return pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &jit_size) == 0 && jit_size > 0;
}

/* A byte every match of @p re holds (@p type PCRE2_INFO_LASTCODETYPE,
 * @p unit its LASTCODEUNIT: the rightmost literal PCRE2 found every match to
 * need), or that every match starts with (FIRSTCODETYPE, FIRSTCODEUNIT); -1
 * if none. Not a letter, whose case PCRE2 may have let go ((?i) inside the
 * pattern), which the info does not say. On T17 the ":" of cue_before is
 * in 15 % of the windows it is searched in (a failed search cost some
 * 4,000 cycles), the ")" of an age in brackets after 3 % of the mentions. */
static int literal_byte(const pcre2_code *re, uint32_t type_what, uint32_t unit_what)
{
    uint32_t type = 0, unit = 0;

    if (pcre2_pattern_info(re, type_what, &type) || type != 1 ||
        pcre2_pattern_info(re, unit_what, &unit) || unit > 0x7F ||
        ((unit | 0x20) >= 'a' && (unit | 0x20) <= 'z'))
        return -1;
    return (int)unit;
}

static int load_apatterns(loader *ld, rule_file *f, yaml_node_t *def, const char *what,
                          int anchored, dl_apatterns *out)
{
    if (def->type != YAML_SEQUENCE_NODE)
        return node_err(ld, f, def, "%s must be a list of patterns", what);
    for (yaml_node_item_t *it = def->data.sequence.items.start; it < def->data.sequence.items.top;
         it++) {
        yaml_node_t *v = node(f, *it);
        dl_apattern *na, *ap;
        int rc;
        if (!scalar(v))
            return node_err(ld, f, v, "%s: a pattern is a string", what);
        if (!(na = realloc(out->v, (out->n + 1) * sizeof(*na))))
            return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
        out->v = na;
        ap = &out->v[out->n];
        memset(ap, 0, sizeof(*ap));
        if ((rc = compile_opts(ld, f, v, scalar(v), 0, 0, anchored ? PCRE2_ANCHORED : 0, 1,
                               &ap->re, NULL)))
            return rc;
        out->n++;
        ap->jit = dl_re_has_jit(ap->re);
        ap->g_age = pcre2_substring_number_from_name(ap->re, (PCRE2_SPTR) "age");
        ap->g_subject = pcre2_substring_number_from_name(ap->re, (PCRE2_SPTR) "subject");
        ap->g_cue = pcre2_substring_number_from_name(ap->re, (PCRE2_SPTR) "cue");
        ap->g_age = ap->g_age > 0 ? ap->g_age : 0;
        ap->g_subject = ap->g_subject > 0 ? ap->g_subject : 0;
        ap->g_cue = ap->g_cue > 0 ? ap->g_cue : 0;
        ap->need = literal_byte(ap->re, PCRE2_INFO_LASTCODETYPE, PCRE2_INFO_LASTCODEUNIT);
        ap->first = anchored ? literal_byte(ap->re, PCRE2_INFO_FIRSTCODETYPE,
                                            PCRE2_INFO_FIRSTCODEUNIT)
                             : -1;
    }
    return 0;
}

int dl_apattern_match(const dl_apattern *ap, const char *text, size_t to, size_t from,
                      pcre2_match_data *md, pcre2_match_context *mctx)
{
    const pcre2_code *re = ap->re;

    if ((ap->first >= 0 && (from >= to || text[from] != ap->first)) ||
        (ap->need >= 0 && (from >= to || !memchr(text + from, ap->need, to - from))))
        return PCRE2_ERROR_NOMATCH;
    /* pcre2_match() would run the same JIT code after its own checks. */
    return ap->jit ? pcre2_jit_match(re, (PCRE2_SPTR)text, to, from, 0, md, mctx)
                   : pcre2_match(re, (PCRE2_SPTR)text, to, from, PCRE2_NO_UTF_CHECK, md, mctx);
}

static int parse_kind(const char *s)
{
    static const char *const kinds[] = {"PERSON", "ORG", "PLACE", "WORK"};

    return parse_enum(s, kinds, 4);
}

/* Adds the names of an iso-codes JSON file (Debian package iso-codes):
 * ISO 3166-1 countries (name, common_name) or ISO 3166-2 subdivisions of
 * the listed countries. Names with a comma ("Korea, Republic of") are left
 * out: text never says them that way. */
static int load_iso(loader *ld, rule_file *f, yaml_node_t *at, const char *path, const char *key,
                    yaml_node_t *countries, int kind)
{
    json_error_t jerr;
    json_t *root, *arr;
    size_t i, len, n_cc = 0, kept_len = 0;
    json_t *item;
    dl_err ferr = {0};
    char *buf, *kept = NULL;
    const char **cc = NULL;
    int rc = 0;

    if (dl_read_file(path, &buf, &len, &ferr))
        return node_err(ld, f, at, "cannot read %s: %s (is the iso-codes package installed?)",
                        path, ferr.msg);
    /* With a list of countries, Jansson gets only their entries. */
    if (countries) {
        yaml_node_item_t *it = countries->data.sequence.items.start;
        if ((cc = malloc((size_t)(countries->data.sequence.items.top - it + 1) * sizeof(*cc))))
            for (; it < countries->data.sequence.items.top; it++)
                if (scalar(node(f, *it)))
                    cc[n_cc++] = scalar(node(f, *it));
        if (!cc || dl_iso_filter(buf, len, cc, n_cc, &kept, &kept_len)) {
            free(cc);
            free(buf);
            return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
        }
    }
    root = kept ? json_loadb(kept, kept_len, 0, &jerr) : json_loadb(buf, len, 0, &jerr);
    free(kept);
    free(buf);
    if (!root) {
        rc = node_err(ld, f, at, "cannot read %s: %s (is the iso-codes package installed?)", path,
                      jerr.text);
        goto out;
    }
    if (!(arr = json_object_get(root, key)) || !json_is_array(arr)) {
        rc = node_err(ld, f, at, "%s has no '%s' list", path, key);
        goto out;
    }
    json_array_foreach(arr, i, item)
    {
        static const char *const fields[] = {"name", "common_name"};
        const char *code = json_string_value(json_object_get(item, "code"));
        /* (the cut keeps more than the countries' entries: the code decides) */
        if (countries && !(code && dl_iso_code_in(code, strlen(code), cc, n_cc)))
            continue;
        for (int k = 0; k < 2; k++) {
            const char *name = json_string_value(json_object_get(item, fields[k]));
            if (name && !strchr(name, ',') && !strchr(name, '(') &&
                dl_gaz_add(&ld->r->gaz, name, strlen(name), kind)) {
                rc = dl_err_set(ld->err, DL_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
out:
    free(cc);
    json_decref(root); /* (NULL-safe) */
    return rc;
}

static int load_gazetteer(loader *ld, rule_file *f, yaml_node_t *def)
{
    int kind = -1, rc;
    const char *lexname = NULL, *iso1 = NULL, *iso2 = NULL;
    yaml_node_t *countries = NULL, *at = def;

    if (def->type != YAML_MAPPING_NODE)
        return node_err(ld, f, def, "a gazetteer is a mapping (kind and lexicon, iso3166_1 or "
                                    "iso3166_2)");
    for (yaml_node_pair_t *pr = def->data.mapping.pairs.start; pr < def->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = node(f, pr->key), *v = node(f, pr->value);
        const char *key = scalar(k);
        if (key && !strcmp(key, "countries")) {
            if (v->type != YAML_SEQUENCE_NODE)
                return node_err(ld, f, v, "countries must be a list of ISO 3166-1 codes");
            countries = v;
            continue;
        }
        if (!key || !scalar(v))
            return node_err(ld, f, key ? v : k, "gazetteer keys take a word");
        if (!strcmp(key, "kind")) {
            if ((kind = parse_kind(scalar(v))) < 0)
                return node_err(ld, f, v, "kind must be PERSON, ORG, PLACE or WORK");
        } else if (!strcmp(key, "lexicon")) {
            lexname = scalar(v);
            at = v;
        } else if (!strcmp(key, "iso3166_1")) {
            iso1 = scalar(v);
            at = v;
        } else if (!strcmp(key, "iso3166_2")) {
            iso2 = scalar(v);
            at = v;
        } else if (strcmp(key, "source")) {
            return node_err(ld, f, k, "unknown gazetteer key '%s' (kind, lexicon, iso3166_1, "
                                      "iso3166_2, countries, source)",
                            key);
        }
    }
    if (kind < 0)
        return node_err(ld, f, def, "gazetteer without a kind");
    if (!!lexname + !!iso1 + !!iso2 != 1)
        return node_err(ld, f, def, "a gazetteer takes one of lexicon, iso3166_1, iso3166_2");
    if (iso1)
        return load_iso(ld, f, at, iso1, "3166-1", NULL, kind);
    if (iso2)
        return load_iso(ld, f, at, iso2, "3166-2", countries, kind);
    const dl_lexicon *lex = lexicon_find(ld->r, lexname, strlen(lexname));
    if (!lex)
        return node_err(ld, f, at, "unknown lexicon '%s'", lexname);
    for (size_t i = 0; i < lex->n; i++)
        if ((rc = dl_gaz_add(&ld->r->gaz, lex->entries[i].word, strlen(lex->entries[i].word),
                             kind)))
            return dl_err_set(ld->err, rc, "out of memory");
    return 0;
}

static int load_entities(loader *ld, rule_file *f, yaml_node_t *def, int quotes)
{
    int rc;

    if (def->type != YAML_MAPPING_NODE)
        return node_err(ld, f, def, "%s must be a mapping", quotes ? "quotes" : "entities");
    for (yaml_node_pair_t *pr = def->data.mapping.pairs.start; pr < def->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = node(f, pr->key), *v = node(f, pr->value);
        const char *key = scalar(k) ? scalar(k) : "?";
        if (!quotes && !strcmp(key, "gazetteers")) {
            if (v->type != YAML_SEQUENCE_NODE)
                return node_err(ld, f, v, "gazetteers must be a list");
            for (yaml_node_item_t *it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top; it++)
                if ((rc = load_gazetteer(ld, f, node(f, *it))))
                    return rc;
        } else if (!quotes && !strcmp(key, "age_after")) {
            if ((rc = load_apatterns(ld, f, v, key, 1, &ld->r->age_after)))
                return rc;
        } else if (!quotes && !strcmp(key, "age_before")) {
            if ((rc = load_apatterns(ld, f, v, key, 0, &ld->r->age_before)))
                return rc;
        } else if (quotes && !strcmp(key, "cue_after")) {
            if ((rc = load_apatterns(ld, f, v, key, 1, &ld->r->cue_after)))
                return rc;
        } else if (quotes && !strcmp(key, "cue_before")) {
            if ((rc = load_apatterns(ld, f, v, key, 0, &ld->r->cue_before)))
                return rc;
        } else if (quotes && !strcmp(key, "cue_source")) {
            if ((rc = load_apatterns(ld, f, v, key, 0, &ld->r->cue_source)))
                return rc;
        } else {
            return node_err(ld, f, k,
                            quotes
                                ? "unknown key '%s' in quotes (cue_after, cue_before or cue_source)"
                                : "unknown key '%s' in entities (gazetteers, age_after or "
                                  "age_before)",
                            key);
        }
    }
    return 0;
}

/* The entity and quote engines find their word lists by these names; a
 * missing list is an empty one. */
static void bind_entity_lexicons(dl_rules *r)
{
    dl_entity_lex *e = &r->elex;

    e->given_name = lexicon_find(r, "given_name", 10);
    e->surname = lexicon_find(r, "surname", 7);
    e->title = lexicon_find(r, "person_title", 12);
    e->particle = lexicon_find(r, "name_particle", 13);
    e->connector = lexicon_find(r, "title_connector", 15);
    e->org_word = lexicon_find(r, "org_word", 8);
    e->role_noun = lexicon_find(r, "role_noun", 9);
    e->role_modifier = lexicon_find(r, "role_modifier", 13);
    e->kinship = lexicon_find(r, "kinship", 7);
    e->not_name = lexicon_find(r, "not_name", 8);
    e->pronoun = lexicon_find(r, "pronoun", 7);
    e->speech_verb = lexicon_find(r, "speech_verb", 11);
    e->cue_adverb = lexicon_find(r, "cue_adverb", 10);
    e->org_name = lexicon_find(r, "org_name", 8);
    e->work_name = lexicon_find(r, "work_name", 9);
    e->cue_tail = lexicon_find(r, "cue_tail", 8);
    e->subordinator = lexicon_find(r, "subordinator", 12);
    e->cue_verb = lexicon_find(r, "cue_verb", 8);
    e->clause_word = lexicon_find(r, "clause_word", 11);
    e->determiner = lexicon_find(r, "determiner", 10);
    e->preposition = lexicon_find(r, "preposition", 11);
    e->auxiliary = lexicon_find(r, "auxiliary", 9);
    e->definite_article = lexicon_find(r, "definite_article", 16);
    e->article = lexicon_find(r, "article", 7);
    e->org_joiner = lexicon_find(r, "org_joiner", 10);
    e->title_joiner = lexicon_find(r, "title_joiner", 12);
    e->expletive = lexicon_find(r, "expletive", 9);
    e->coordinator = lexicon_find(r, "coordinator", 11);
    e->relative_pronoun = lexicon_find(r, "relative_pronoun", 16);
    e->complementizer = lexicon_find(r, "complementizer", 14);
    e->limit_word = lexicon_find(r, "limit_word", 10);
    e->day_shift = lexicon_find(r, "day_shift", 9);
    e->period_end = lexicon_find(r, "period_end", 10);
    e->period_determiner = lexicon_find(r, "period_determiner", 17);
}

/* ---- files ------------------------------------------------------------- */

static int parse_file(loader *ld, rule_file *f, uint64_t *hash)
{
    yaml_parser_t parser;
    char *buf = NULL;
    size_t len;
    int rc;

    if ((rc = dl_read_file(f->path, &buf, &len, ld->err)))
        return rc;
    /* The hash covers file names and bytes: any rule change changes it. */
    for (const char *p = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path; *p; p++)
        *hash = (*hash ^ (unsigned char)*p) * 0x100000001b3ULL;
    for (size_t i = 0; i < len; i++)
        *hash = (*hash ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &f->doc)) {
        rc = dl_err_set_at(ld->err, DL_ERULES, f->path, (int)parser.problem_mark.line + 1,
                           (int)parser.problem_mark.column + 1, "YAML error: %s",
                           parser.problem ? parser.problem : "unknown");
    } else {
        f->loaded = 1;
        rc = 0;
    }
    yaml_parser_delete(&parser);
    free(buf);
    return rc;
}

static int yaml_name(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return d->d_name[0] != '.' &&
           ((n > 5 && !strcmp(d->d_name + n - 5, ".yaml")) ||
            (n > 4 && !strcmp(d->d_name + n - 4, ".yml")));
}

static int load_fragments(loader *ld, rule_file *f, yaml_node_t *def)
{
    if (def->type != YAML_MAPPING_NODE)
        return node_err(ld, f, def, "fragments must be a mapping of name: pattern");
    for (yaml_node_pair_t *pr = def->data.mapping.pairs.start; pr < def->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = node(f, pr->key), *v = node(f, pr->value);
        fragment *nf;
        if (!scalar(k) || !scalar(v))
            return node_err(ld, f, scalar(k) ? v : k, "a fragment is name: pattern");
        if (fragment_find(ld, scalar(k)) || lexicon_find(ld->r, scalar(k), strlen(scalar(k))))
            return node_err(ld, f, k, "'%s' is already a fragment or lexicon", scalar(k));
        if (!(nf = realloc(ld->frags, (ld->n_frags + 1) * sizeof(*nf))))
            return dl_err_set(ld->err, DL_ENOMEM, "out of memory");
        ld->frags = nf;
        ld->frags[ld->n_frags++] = (fragment){scalar(k), scalar(v), f, v};
    }
    return 0;
}

/* Two passes: lexicons first (patterns of any file may use them), then the rest. */
static int load_all(loader *ld)
{
    int rc;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ld->n_files; i++) {
            rule_file *f = &ld->files[i];
            yaml_node_t *root = yaml_document_get_root_node(&f->doc);
            if (!root)
                continue; /* an empty file */
            if (root->type != YAML_MAPPING_NODE)
                return node_err(ld, f, root, "a rule file is a mapping");
            for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
                 pr < root->data.mapping.pairs.top; pr++) {
                yaml_node_t *k = node(f, pr->key), *v = node(f, pr->value);
                const char *key = scalar(k);
                if (!key)
                    return node_err(ld, f, k, "top-level keys must be plain words");
                if (!strcmp(key, "lexicons")) {
                    if (pass)
                        continue;
                    if (v->type != YAML_MAPPING_NODE)
                        return node_err(ld, f, v, "lexicons must be a mapping");
                    for (yaml_node_pair_t *lp = v->data.mapping.pairs.start;
                         lp < v->data.mapping.pairs.top; lp++) {
                        yaml_node_t *lk = node(f, lp->key);
                        if (!scalar(lk))
                            return node_err(ld, f, lk, "a lexicon name is a word");
                        if ((rc = load_lexicon(ld, f, scalar(lk), node(f, lp->value))))
                            return rc;
                    }
                } else if (!strcmp(key, "fragments")) {
                    if (pass)
                        continue;
                    if ((rc = load_fragments(ld, f, v)))
                        return rc;
                } else if (!pass) {
                    continue;
                } else if (!strcmp(key, "timex")) {
                    if (v->type != YAML_SEQUENCE_NODE)
                        return node_err(ld, f, v, "timex must be a list of rules");
                    for (yaml_node_item_t *it = v->data.sequence.items.start;
                         it < v->data.sequence.items.top; it++)
                        if ((rc = load_rule(ld, f, node(f, *it))))
                            return rc;
                } else if (!strcmp(key, "cues")) {
                    if ((rc = load_cues(ld, f, v)))
                        return rc;
                } else if (!strcmp(key, "sentences")) {
                    if ((rc = load_sentences(ld, f, v)))
                        return rc;
                } else if (!strcmp(key, "entities") || !strcmp(key, "quotes")) {
                    if ((rc = load_entities(ld, f, v, key[0] == 'q')))
                        return rc;
                } else {
                    return node_err(ld, f, k,
                                    "unknown key '%s' (lexicons, fragments, cues, sentences, "
                                    "timex, entities or quotes)",
                                    key);
                }
            }
        }
    }
    return 0;
}

int dl_rules_load(const char *dir, dl_rules **out, dl_err *err)
{
    struct dirent **names = NULL;
    int n, rc = 0;
    loader ld = {0};
    uint64_t hash = 0xcbf29ce484222325ULL;

    ld.err = err;
    if (!(ld.r = calloc(1, sizeof(*ld.r))) || dl_nfa_new(&ld.r->nfa)) {
        dl_rules_free(ld.r);
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    }
    n = scandir(dir, &names, yaml_name, alphasort);
    if (n < 0) {
        rc = dl_err_set_at(err, DL_EIO, dir, 0, 0, "cannot read rules directory: %s",
                           strerror(errno));
        goto out;
    }
    if (n == 0) {
        rc = dl_err_set_at(err, DL_ERULES, dir, 0, 0, "no *.yaml rule files");
        goto out;
    }
    if (!(ld.files = calloc((size_t)n, sizeof(*ld.files)))) {
        rc = dl_err_set(err, DL_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
        rule_file *f = &ld.files[ld.n_files++];
        if (!(f->path = malloc(len))) {
            rc = dl_err_set(err, DL_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(f->path, len, "%s/%s", dir, names[i]->d_name);
        if ((rc = parse_file(&ld, f, &hash)))
            goto out;
    }
    if ((rc = load_all(&ld)))
        goto out;
    if (dl_nfa_finish(ld.r->nfa)) {
        rc = dl_err_set(err, DL_ENOMEM, "out of memory");
        goto out;
    }
    ld.r->number = lexicon_find(ld.r, "number", 6);
    bind_entity_lexicons(ld.r);
    snprintf(ld.r->hash, sizeof(ld.r->hash), "%016llx", (unsigned long long)hash);
    *out = ld.r;
    ld.r = NULL;
out:
    for (size_t i = 0; i < ld.n_files; i++) {
        if (ld.files[i].loaded)
            yaml_document_delete(&ld.files[i].doc);
        free(ld.files[i].path);
    }
    free(ld.files);
    free(ld.frags);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    dl_rules_free(ld.r);
    return rc;
}

void dl_rules_free(dl_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_lex; i++) {
        for (size_t k = 0; k < r->lex[i].n; k++) {
            free(r->lex[i].entries[k].word);
            free(r->lex[i].entries[k].value);
        }
        free(r->lex[i].entries);
        free(r->lex[i].slots);
        free(r->lex[i].name);
    }
    free(r->lex);
    for (size_t i = 0; i < r->n_rules; i++) {
        free(r->rules[i].name);
        pcre2_code_free(r->rules[i].re);
        pcre2_code_free(r->rules[i].re_at);
    }
    free(r->rules);
    dl_nfa_free(r->nfa);
    pcre2_code_free(r->future_cue);
    pcre2_code_free(r->past_cue);
    pcre2_code_free(r->scheduled_cue);
    for (size_t i = 0; i < r->n_abbrev; i++)
        free(r->abbrev[i]);
    free(r->abbrev);
    free(r->abbrev_lex.entries);
    free(r->abbrev_lex.slots);
    dl_apatterns *aps[] = {&r->age_after, &r->age_before, &r->cue_after, &r->cue_before,
                           &r->cue_source};
    for (size_t k = 0; k < sizeof(aps) / sizeof(aps[0]); k++) {
        for (size_t i = 0; i < aps[k]->n; i++) {
            pcre2_code_free(aps[k]->v[i].re);
        }
        free(aps[k]->v);
    }
    dl_gaz_fini(&r->gaz);
    free(r);
}

const char *dl_rules_hash(const dl_rules *r)
{
    return r->hash;
}

size_t dl_rules_unfiltered(const dl_rules *r, const char **names, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_rules; i++)
        if (r->rules[i].no_dfa && n++ < max)
            names[n - 1] = r->rules[i].name;
    return n;
}

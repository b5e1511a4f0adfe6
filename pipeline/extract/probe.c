/*
 * Probe patterns: a cheap, exact test of whether a rule can match at a word
 * start, judged from the first word alone and cached per word (extract.c).
 *
 * A probe is the rule's expanded pattern with every lookbehind assertion
 * replaced by a constant: true where it stands in positive context, false
 * inside a negative lookaround. Without atomic groups, possessive
 * quantifiers, backtracking verbs or conditionals a regex is monotone in
 * its assertions, so the probe matches wherever the rule does, and its
 * result no longer depends on the text before the word (only \b looks one
 * byte back). Run anchored on "previous byte + first word" with
 * PCRE2_PARTIAL_HARD, NOMATCH then proves that the rule cannot match
 * there, whatever follows the word: any path of a real match that reads
 * past the word reaches the subject's end and makes the result partial.
 */
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "sbuf.h"

/* The rewrite, and whether it failed: out of memory (s.oom), or a
 * construct it does not rewrite. */
typedef struct pbuf {
    dl_sbuf s;
    int bad;
} pbuf;

static void put(pbuf *b, const char *s, size_t n)
{
    if (!b->bad)
        dl_sbuf_add(&b->s, s, n);
}

size_t dl_re_class_end(const char *pat, size_t len, size_t i)
{
    size_t j = i + 1;

    if (j < len && pat[j] == '^')
        j++;
    if (j < len && pat[j] == ']')
        j++; /* a leading ']' is a literal */
    while (j < len && pat[j] != ']') {
        if (pat[j] == '\\')
            j++;
        else if (pat[j] == '[' && j + 1 < len && pat[j + 1] == ':') {
            const char *e = strstr(pat + j + 2, ":]");
            if (!e || (size_t)(e - pat) >= len)
                return 0;
            j = (size_t)(e - pat) + 1;
        }
        j++;
    }
    return j < len ? j + 1 : 0;
}

/* Index just past the ')' closing the group that opens at @p i, or 0. */
static size_t group_end(const char *pat, size_t len, size_t i)
{
    int depth = 0;

    for (size_t j = i; j < len; j++) {
        if (pat[j] == '\\') {
            j++;
        } else if (pat[j] == '[') {
            size_t e = dl_re_class_end(pat, len, j);
            if (!e)
                return 0;
            j = e - 1;
        } else if (pat[j] == '(') {
            depth++;
        } else if (pat[j] == ')' && --depth == 0) {
            return j + 1;
        }
    }
    return 0;
}

#define MAX_DEPTH 64

/* Rewrites @p pat into @p out; out->bad when it cannot be done safely. */
static void rewrite(const char *pat, size_t len, pbuf *out)
{
    int neg[MAX_DEPTH]; /* per open group: inside a negative lookaround */
    int depth = 0, negative = 0;
    size_t i = 0;

    while (i < len && !out->bad) {
        char c = pat[i];
        if (c == '\\') {
            char e = i + 1 < len ? pat[i + 1] : '\0';
            /* \K moves where the match is said to start, not whether it
             * matches: the probe leaves it out. */
            if (e == 'K') {
                i += 2;
                continue;
            }
            /* Quoting, back references and subroutine calls: not rewritten. */
            if (!e || strchr("QEgk123456789", e)) {
                out->bad = 1;
                return;
            }
            put(out, pat + i, 2);
            i += 2;
            continue;
        }
        if (c == '[') {
            size_t e = dl_re_class_end(pat, len, i);
            if (!e) {
                out->bad = 1;
                return;
            }
            put(out, pat + i, e - i);
            i = e;
            continue;
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < len && pat[i + 1] == '+') {
            out->bad = 1; /* possessive quantifier */
            return;
        }
        if (c == ')') {
            if (depth == 0) {
                out->bad = 1;
                return;
            }
            negative = --depth > 0 ? neg[depth - 1] : 0;
            put(out, ")", 1);
            i++;
            continue;
        }
        if (c != '(') {
            put(out, pat + i, 1);
            i++;
            continue;
        }
        /* A group opens. */
        int inner = negative;
        size_t skip = 1;
        int plain = 0; /* written as "(?:" instead of its own opener */
        if (i + 1 < len && pat[i + 1] == '*') {
            out->bad = 1; /* (*VERB) */
            return;
        }
        if (i + 1 < len && pat[i + 1] == '?') {
            char k = i + 2 < len ? pat[i + 2] : '\0';
            char k2 = i + 3 < len ? pat[i + 3] : '\0';
            if (k == '<' && (k2 == '=' || k2 == '!')) {
                /* A lookbehind: replaced whole by true or false. */
                size_t e = group_end(pat, len, i);
                if (!e) {
                    out->bad = 1;
                    return;
                }
                if (negative)
                    put(out, "(?!)", 4);
                else
                    put(out, "(?:)", 4);
                i = e;
                continue;
            }
            if (k == '!') {
                inner = !negative;
                skip = 3;
            } else if (k == '=' || k == ':' || k == '|') {
                skip = 3;
            } else if (k == '<' || k == '\'' || (k == 'P' && k2 == '<')) {
                /* A named group: nothing reads a probe's captures (and there
                 * are no back references), so it becomes a plain group. */
                char close = k == '\'' ? '\'' : '>';
                const char *e = memchr(pat + i + 3, close, len - i - 3);
                if (!e) {
                    out->bad = 1;
                    return;
                }
                plain = 1;
                skip = (size_t)(e - pat) + 1 - i;
            } else if (k == '-' || k == '^' || (k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z')) {
                /* Option setting (?i) or (?-i:...): no extended syntax. */
                size_t j = i + 2;
                while (j < len && pat[j] != ':' && pat[j] != ')') {
                    if (pat[j] == 'x' || !(pat[j] == '-' || pat[j] == '^' ||
                                           (pat[j] >= 'a' && pat[j] <= 'z') ||
                                           (pat[j] >= 'A' && pat[j] <= 'Z'))) {
                        out->bad = 1;
                        return;
                    }
                    j++;
                }
                if (j >= len) {
                    out->bad = 1;
                    return;
                }
                if (pat[j] == ')') {
                    put(out, pat + i, j + 1 - i); /* no group opens */
                    i = j + 1;
                    continue;
                }
                skip = j + 1 - i;
            } else {
                out->bad = 1; /* atomic, conditional, recursion, comment, ... */
                return;
            }
        }
        if (depth == MAX_DEPTH) {
            out->bad = 1;
            return;
        }
        neg[depth++] = inner;
        negative = inner;
        if (plain)
            put(out, "(?:", 3);
        else
            put(out, pat + i, skip);
        i += skip;
    }
    if (depth != 0)
        out->bad = 1;
}

pcre2_code *dl_probe_compile(const char *pat, size_t len, uint32_t opts)
{
    pbuf b = {0};
    pcre2_code *re = NULL;
    int ecode;
    PCRE2_SIZE eoff;

    rewrite(pat, len, &b);
    if (!b.bad && !b.s.oom && b.s.p) {
        /* No captures: the JIT code then saves and resets no positions. */
        re = pcre2_compile((PCRE2_SPTR)b.s.p, b.s.len,
                           opts | PCRE2_ANCHORED | PCRE2_NO_AUTO_CAPTURE, &ecode, &eoff, NULL);
        if (re)
            pcre2_jit_compile(re, PCRE2_JIT_PARTIAL_HARD);
    }
    free(b.s.p);
    return re;
}

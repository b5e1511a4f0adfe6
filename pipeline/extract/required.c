/*
 * The words a rule's matches must contain, and a bound of their length
 * (required.h), read off the expanded pattern by a small recursive reader
 * of the regex syntax the rule files use. For each part of the pattern it
 * works out
 * - the strings the part can match, while they are few ("exact": the
 *   factored lexicon alternations, literals, small classes);
 * - sets of words a match of the part must contain, each where a word of
 *   the text begins (after a blank, a hyphen or the match's start);
 * - a bound of its length;
 * - whether the position after it is a word start.
 * Every answer over-approximates what the part can match (lookarounds are
 * read as matching nothing, case is ignored), so the sets are necessary
 * conditions: a rule whose words are missing cannot match. The reader
 * gives up (no sets, no bound) on constructs it does not follow.
 */
#include <string.h>

#include "probe.h"
#include "required.h"

#define EX_MAX 32 /* strings in an exact set */
#define EX_LEN 32 /* bytes of each, its NUL included */
#define MAX_DEPTH 48
#define MAX_REPEAT 1000 /* {n,m} bounds beyond this: unbounded */

typedef struct exact {
    int ok; /* else: too many strings, or not a finite set */
    int n;
    unsigned char len[EX_MAX];
    char s[EX_MAX][EX_LEN];
} exact;

typedef struct info {
    exact ex;
    int n_req;
    dl_req_set req[DL_REQ_SETS];
    dl_reach len; /* its length */
    int nonalnum;  /* reads no [A-Za-z0-9] byte */
    int alnumonly; /* reads [A-Za-z0-9] bytes only */
    int ws_after; /* the position after the part is a word start */
} info;

typedef struct reader {
    const char *p;
    size_t len, i;
    int bad; /* a construct not followed: the answer is empty */
    int depth;
} reader;

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* ---- exact sets ----------------------------------------------------------- */

/* (Copies and clears touch the strings in use only: an exact set is a
 * kilobyte, and the reader makes one per byte of a pattern.) */
static void ex_copy(exact *dst, const exact *src)
{
    dst->ok = src->ok;
    dst->n = src->n;
    for (int k = 0; k < src->n; k++) {
        dst->len[k] = src->len[k];
        memcpy(dst->s[k], src->s[k], (size_t)src->len[k] + 1);
    }
}

static void ex_one(exact *e, const char *s, size_t n)
{
    e->ok = 1;
    e->n = 1;
    e->len[0] = (unsigned char)n;
    for (size_t k = 0; k < n; k++)
        e->s[0][k] = lower(s[k]);
    e->s[0][n] = '\0';
}

static void ex_add(exact *e, const char *s, size_t n)
{
    if (!e->ok)
        return;
    for (int k = 0; k < e->n; k++)
        if (e->len[k] == n && !memcmp(e->s[k], s, n))
            return;
    if (e->n == EX_MAX || n >= EX_LEN) {
        e->ok = 0;
        return;
    }
    memcpy(e->s[e->n], s, n);
    e->s[e->n][n] = '\0';
    e->len[e->n++] = (unsigned char)n;
}

static void ex_union(exact *a, const exact *b)
{
    if (!b->ok)
        a->ok = 0;
    for (int k = 0; a->ok && k < b->n; k++)
        ex_add(a, b->s[k], b->len[k]);
}

/* Whether a followed by b stays within the limits of a set. */
static int ex_fits(const exact *a, const exact *b)
{
    int la = 0, lb = 0;

    for (int k = 0; k < a->n; k++)
        la = a->len[k] > la ? a->len[k] : la;
    for (int k = 0; k < b->n; k++)
        lb = b->len[k] > lb ? b->len[k] : lb;
    return a->n * b->n <= EX_MAX && la + lb < EX_LEN;
}

/* a = a followed by b */
static void ex_concat(exact *a, const exact *b)
{
    exact r;

    if (!a->ok || !b->ok || a->n * b->n > EX_MAX) {
        a->ok = 0;
        return;
    }
    if (b->n == 1 && !b->len[0])
        return; /* followed by nothing */
    r.ok = 1;
    r.n = 0;
    for (int x = 0; x < a->n && r.ok; x++)
        for (int y = 0; y < b->n && r.ok; y++) {
            char buf[2 * EX_LEN];
            memcpy(buf, a->s[x], a->len[x]);
            memcpy(buf + a->len[x], b->s[y], b->len[y]);
            ex_add(&r, buf, (size_t)a->len[x] + b->len[y]);
        }
    ex_copy(a, &r);
}

/* ---- length bounds -------------------------------------------------------- */

static void reach_add(dl_reach *a, const dl_reach *b)
{
    a->inf |= b->inf;
    a->fixed += b->fixed;
    a->gaps += b->gaps;
    a->words += b->words;
}

static void reach_max(dl_reach *a, const dl_reach *b)
{
    a->inf |= b->inf;
    a->fixed = b->fixed > a->fixed ? b->fixed : a->fixed;
    a->gaps = b->gaps > a->gaps ? b->gaps : a->gaps;
    a->words = b->words > a->words ? b->words : a->words;
}

/* ---- required sets ------------------------------------------------------- */

static int word_len_min(const dl_req_set *s)
{
    int m = DL_REQ_WORD;

    for (int k = 0; k < s->n; k++)
        if ((int)strlen(s->w[k]) < m)
            m = (int)strlen(s->w[k]);
    return m;
}

/* Whether set @p a filters better than @p b: longer words are rarer, and
 * fewer of them match less. */
static int set_better(const dl_req_set *a, const dl_req_set *b)
{
    int la = word_len_min(a), lb = word_len_min(b);

    return la != lb ? la > lb : a->n < b->n;
}

/* Adds word @p w (@p n bytes) to @p s; a word that begins with another of
 * the set adds nothing (the shorter one covers it), and replaces the words
 * that begin with it. Returns 0 when the set is full. */
static int set_add(dl_req_set *s, const char *w, size_t n)
{
    int k = 0;

    if (n >= DL_REQ_WORD)
        n = DL_REQ_WORD - 1; /* a prefix of a required word is required too */
    for (int j = 0; j < s->n; j++) {
        size_t lj = strlen(s->w[j]);
        if (lj <= n && !memcmp(s->w[j], w, lj))
            return 1;
    }
    for (int j = 0; j < s->n; j++) {
        if (strlen(s->w[j]) > n && !memcmp(s->w[j], w, n))
            continue;
        if (k != j)
            memcpy(s->w[k], s->w[j], DL_REQ_WORD);
        k++;
    }
    s->n = k;
    if (s->n == DL_REQ_WORDS)
        return 0;
    memcpy(s->w[s->n], w, n);
    s->w[s->n++][n] = '\0';
    return 1;
}

static int same_set(const dl_req_set *a, const dl_req_set *b)
{
    if (a->n != b->n)
        return 0;
    for (int k = 0; k < a->n; k++) {
        int found = 0;
        for (int j = 0; j < b->n && !found; j++)
            found = !strcmp(a->w[k], b->w[j]);
        if (!found)
            return 0;
    }
    return 1;
}

/* Adds set @p s, its words beginning @p off after the part's start and
 * at most s->at after that. */
static void add_req(info *in, const dl_req_set *s, const dl_reach *off)
{
    int worst = 0;
    dl_req_set moved = *s;

    reach_add(&moved.at, off);
    s = &moved;

    for (int k = 0; k < in->n_req; k++)
        if (same_set(&in->req[k], s))
            return;

    if (in->n_req < DL_REQ_SETS) {
        in->req[in->n_req++] = *s;
        return;
    }
    for (int k = 1; k < in->n_req; k++)
        if (set_better(&in->req[worst], &in->req[k]))
            worst = k;
    if (set_better(s, &in->req[worst]))
        in->req[worst] = *s;
}

/* The set a run of exact parts that starts at a word start, @p off after
 * the part's start, gives: each string's leading letters and digits, when
 * every one has three or more. */
static void req_from_exact(info *in, const exact *e, const dl_reach *off)
{
    static const dl_reach here;
    dl_req_set s;

    s.n = 0;
    if (!e->ok || !e->n)
        return;
    for (int k = 0; k < e->n; k++) {
        size_t n = 0;
        while (n < e->len[k] && is_alnum((unsigned char)e->s[k][n]))
            n++;
        if (n < 3 || !set_add(&s, e->s[k], n))
            return;
    }
    s.at = here;
    add_req(in, &s, off);
}

static const dl_req_set *best_req(const info *in)
{
    const dl_req_set *b = &in->req[0];

    for (int k = 1; k < in->n_req; k++)
        if (set_better(&in->req[k], b))
            b = &in->req[k];
    return b;
}

/* ---- parts ---------------------------------------------------------------- */

/* Clears @p in (not its strings and sets). */
static void clear(info *in)
{
    static const dl_reach none;

    in->ex.ok = in->ex.n = 0;
    in->n_req = 0;
    in->len = none;
}

static void zero_width(info *in, int ws_before)
{
    clear(in);
    ex_one(&in->ex, "", 0);
    in->nonalnum = 1;
    in->alnumonly = 1;
    in->ws_after = ws_before;
}

/* One byte of a set: @p c a literal (or -1), @p nonalnum whether the set
 * holds no letter or digit, @p alnumonly whether nothing else. */
static void one_byte(info *in, int c, int nonalnum, int alnumonly)
{
    clear(in);
    if (c >= 0) {
        char b = (char)c;
        ex_one(&in->ex, &b, 1);
    }
    in->len.fixed = 1;
    in->nonalnum = nonalnum;
    in->alnumonly = alnumonly;
    in->ws_after = nonalnum;
}

/* A class [...] from @p b to @p e (one past ']'). */
static void class_part(reader *rd, size_t b, size_t e, info *in)
{
    const char *p = rd->p;
    size_t i = b + 1, end = e - 1;
    int neg = 0, alnum = 0, other = 0, literal_only = 1;
    char lits[8];
    int n_lits = 0;

    if (i < end && p[i] == '^') {
        neg = 1;
        i++;
    }
    while (i < end) {
        int c;
        if (p[i] == '[' && i + 1 < end && p[i + 1] == ':') {
            const char *close = memchr(p + i + 2, ']', end - i - 2);
            alnum = other = 1; /* [:alpha:] and the like: not worth telling apart */
            literal_only = 0;
            if (!close) {
                rd->bad = 1;
                return;
            }
            i = (size_t)(close - p) + 1;
            continue;
        }
        if (p[i] == '\\' && i + 1 < end) {
            char x = p[i + 1];
            i += 2;
            if (strchr("shv", x)) {
                literal_only = 0; /* blanks: no letter or digit */
                other = 1;
                continue;
            }
            if (x == 'd') {
                literal_only = 0; /* digits only */
                alnum = 1;
                continue;
            }
            if (strchr("nrtfe", x)) {
                c = x == 'n' ? '\n' : x == 'r' ? '\r' : x == 't' ? '\t' : x == 'f' ? '\f' : 27;
            } else if (is_alnum((unsigned char)x)) {
                alnum = other = 1; /* \w \S \x.. and the rest */
                literal_only = 0;
                continue;
            } else {
                c = (unsigned char)x;
            }
        } else {
            c = (unsigned char)p[i++];
        }
        if (i + 1 < end && p[i] == '-' && p[i + 1] != ']') {
            /* a range c-d (d a plain byte or an escaped punctuation) */
            int d = (unsigned char)p[i + 1];
            if (d == '\\' && i + 2 < end && !is_alnum((unsigned char)p[i + 2])) {
                d = (unsigned char)p[i + 2];
                i += 3;
            } else if (d == '\\') {
                rd->bad = 1;
                return;
            } else {
                i += 2;
            }
            for (int k = c; k <= d; k++) {
                alnum |= is_alnum((unsigned char)k);
                other |= !is_alnum((unsigned char)k);
            }
            literal_only = 0;
            continue;
        }
        alnum |= is_alnum((unsigned char)c);
        other |= !is_alnum((unsigned char)c);
        if (n_lits < 8)
            lits[n_lits++] = lower((char)c);
        else
            literal_only = 0;
    }
    one_byte(in, -1, !neg && !alnum, !neg && !other);
    if (!neg && literal_only && n_lits) {
        in->ex.ok = 1;
        in->ex.n = 0;
        for (int k = 0; k < n_lits; k++)
            ex_add(&in->ex, &lits[k], 1);
    }
}

static void alternation(reader *rd, int ws_before, info *out);

enum { GROUP, LOOK_AHEAD, LOOK_OTHER };

/* A group from just after its opener to its ')'; @p look: a lookaround.
 * A lookaround matches nothing; a positive lookahead still needs its words,
 * and reads on from where it stands: its words and its length count (the
 * length bounds how far from the match's start its words may begin). A
 * lookbehind reads before it, a negative one needs nothing. */
static void group(reader *rd, int ws_before, int look, info *in)
{
    alternation(rd, ws_before, in);
    if (rd->bad || rd->i >= rd->len || rd->p[rd->i] != ')') {
        rd->bad = 1;
        return;
    }
    rd->i++;
    if (look == LOOK_OTHER) {
        zero_width(in, ws_before);
    } else if (look == LOOK_AHEAD) {
        /* its sets, where they were; otherwise it matches nothing */
        int n_req = in->n_req;
        dl_req_set req[DL_REQ_SETS];
        memcpy(req, in->req, (size_t)n_req * sizeof(*req));
        zero_width(in, ws_before);
        memcpy(in->req, req, (size_t)n_req * sizeof(*req));
        in->n_req = n_req;
    }
}

/* An escape outside a class, at rd->i ('\\'). */
static void escape(reader *rd, int ws_before, info *in)
{
    char x = rd->i + 1 < rd->len ? rd->p[rd->i + 1] : '\0';

    rd->i += 2;
    if (strchr("shvW", x) && x) {
        one_byte(in, -1, 1, 0);
    } else if (x == 'd') {
        one_byte(in, -1, 0, 1);
    } else if (strchr("wSDHVN", x) && x) {
        one_byte(in, -1, 0, 0);
    } else if (strchr("bBAzZGK", x) && x) {
        zero_width(in, ws_before);
    } else if (x == 'R') {
        one_byte(in, -1, 1, 0);
        in->len.fixed = 2; /* \r\n */
    } else if (strchr("nrtfe", x) && x) {
        one_byte(in, x == 'n' ? '\n' : x == 'r' ? '\r' : x == 't' ? '\t' : x == 'f' ? '\f' : 27, 1,
                 0);
    } else if (x && !is_alnum((unsigned char)x) && (unsigned char)x < 0x80) {
        one_byte(in, (unsigned char)x, 1, 0); /* an escaped punctuation mark */
    } else {
        rd->bad = 1; /* back references, \Q, \x, \p, ... */
    }
}

/* The part that starts at rd->i, without its quantifier. */
static void atom(reader *rd, int ws_before, info *in)
{
    const char *p = rd->p;
    size_t i = rd->i;
    char c = p[i];

    if (c == '\\') {
        escape(rd, ws_before, in);
    } else if (c == '[') {
        size_t e = dl_re_class_end(p, rd->len, i);
        if (!e) {
            rd->bad = 1;
            return;
        }
        class_part(rd, i, e, in);
        rd->i = e;
    } else if (c == '.') {
        one_byte(in, -1, 0, 0);
        rd->i++;
    } else if (c == '^' || c == '$') {
        zero_width(in, ws_before);
        rd->i++;
    } else if (c == '(') {
        char k = i + 1 < rd->len ? p[i + 1] : '\0', k2 = i + 2 < rd->len ? p[i + 2] : '\0';
        char k3 = i + 3 < rd->len ? p[i + 3] : '\0';
        if (k == '*') {
            rd->bad = 1;
        } else if (k != '?') {
            rd->i = i + 1;
            group(rd, ws_before, GROUP, in);
        } else if (k2 == ':' || k2 == '|' || k2 == '>') {
            rd->i = i + 3;
            group(rd, ws_before, GROUP, in);
        } else if (k2 == '=' || k2 == '!') {
            rd->i = i + 3;
            group(rd, ws_before, k2 == '=' ? LOOK_AHEAD : LOOK_OTHER, in);
        } else if (k2 == '<' && (k3 == '=' || k3 == '!')) {
            rd->i = i + 4;
            group(rd, ws_before, LOOK_OTHER, in);
        } else if (k2 == '<' || k2 == '\'' || (k2 == 'P' && k3 == '<')) {
            const char *e = memchr(p + i + 3, k2 == '\'' ? '\'' : '>', rd->len - i - 3);
            if (!e) {
                rd->bad = 1;
                return;
            }
            rd->i = (size_t)(e - p) + 1;
            group(rd, ws_before, GROUP, in);
        } else if (k2 == '#') {
            /* A comment: a quantifier after it would apply to the part
             * before it, which this reader does not follow. */
            rd->bad = 1;
        } else {
            /* options: (?i) (?-i) set them, (?i:...) opens a group */
            size_t j = i + 2;
            while (j < rd->len && p[j] && strchr("imnsJU-^", p[j]))
                j++;
            if (j >= rd->len || (p[j] != ')' && p[j] != ':') || j == i + 2) {
                rd->bad = 1; /* conditionals, recursion, callouts, extended syntax */
                return;
            }
            rd->i = j + 1;
            if (p[j] == ')')
                zero_width(in, ws_before);
            else
                group(rd, ws_before, GROUP, in);
        }
    } else if (c == '*' || c == '+' || c == '?' || c == '|' || c == ')') {
        rd->bad = 1;
    } else {
        one_byte(in, (unsigned char)c, !is_alnum((unsigned char)c), is_alnum((unsigned char)c));
        rd->i++;
    }
}

/* Reads a quantifier at rd->i, if there is one: *min and *max (-1:
 * unbounded). Returns whether there was one. */
static int quantifier(reader *rd, long *min, long *max)
{
    const char *p = rd->p;
    size_t i = rd->i;

    if (i >= rd->len)
        return 0;
    if (p[i] == '*' || p[i] == '+' || p[i] == '?') {
        *min = p[i] == '+';
        *max = p[i] == '?' ? 1 : -1;
        i++;
    } else if (p[i] == '{' && i + 1 < rd->len && p[i + 1] >= '0' && p[i + 1] <= '9') {
        long a = 0, b;
        size_t j = i + 1;
        while (j < rd->len && p[j] >= '0' && p[j] <= '9' && a <= MAX_REPEAT)
            a = a * 10 + (p[j++] - '0');
        b = a;
        if (j < rd->len && p[j] == ',') {
            j++;
            b = -1;
            if (j < rd->len && p[j] >= '0' && p[j] <= '9') {
                b = 0;
                while (j < rd->len && p[j] >= '0' && p[j] <= '9' && b <= MAX_REPEAT)
                    b = b * 10 + (p[j++] - '0');
            }
        }
        if (j >= rd->len || p[j] != '}')
            return 0; /* a literal '{' */
        if (a > MAX_REPEAT)
            a = MAX_REPEAT;
        if (b > MAX_REPEAT)
            b = -1;
        *min = a;
        *max = b;
        i = j + 1;
    } else {
        return 0;
    }
    if (i < rd->len && (p[i] == '?' || p[i] == '+'))
        i++; /* lazy or possessive: a subset of the same matches */
    rd->i = i;
    return 1;
}

static void repeat(info *in, long min, long max, int ws_before)
{
    exact one;

    ex_copy(&one, &in->ex);
    if (max == 0) {
        zero_width(in, ws_before);
        return;
    }
    if (min == 0)
        in->n_req = 0;
    /* exact: X? and X{n} for small n */
    if (max == 1) {
        if (min == 0)
            ex_add(&in->ex, "", 0);
    } else if (min == max && min <= 3) {
        for (long k = 1; k < min; k++)
            ex_concat(&in->ex, &one);
    } else {
        in->ex.ok = 0;
    }
    if (max < 0) {
        /* Every repeat of a part that reads no letter or digit lies in one
         * run of such bytes, at most G long; of one that reads letters and
         * digits only, in one word of the text. */
        if ((in->nonalnum || in->alnumonly) && !in->len.inf) {
            in->len.fixed = in->len.gaps = in->len.words = 0;
            if (in->nonalnum)
                in->len.gaps = 1;
            else
                in->len.words = 1;
        } else {
            in->len.inf = 1;
        }
    } else {
        in->len.fixed *= (size_t)max;
        in->len.gaps *= (size_t)max;
        in->len.words *= (size_t)max;
    }
    in->ws_after = (min == 0 ? ws_before : 1) && in->ws_after;
}

/* Whether every string of @p e has a byte other than a letter or digit. */
static int run_done(const exact *e)
{
    for (int k = 0; k < e->n; k++) {
        size_t n = 0;
        while (n < e->len[k] && is_alnum((unsigned char)e->s[k][n]))
            n++;
        if (n == e->len[k])
            return 0;
    }
    return 1;
}

/* Closes a run of exact parts that began at a word start, @p off after
 * the sequence's start. */
static void run_close(info *seq, exact *run, const dl_reach *off, int *open)
{
    if (*open)
        req_from_exact(seq, run, off);
    *open = 0;
}

/* A branch: parts up to '|', ')' or the end. */
static void sequence(reader *rd, int ws_before, info *out)
{
    info part;
    exact run;
    dl_reach run_off = {0};
    int ws = ws_before, open = 0;

    zero_width(out, ws_before);
    while (!rd->bad && rd->i < rd->len && rd->p[rd->i] != '|' && rd->p[rd->i] != ')') {
        long min, max;
        int part_ws = ws;
        atom(rd, ws, &part);
        if (rd->bad)
            return;
        if (quantifier(rd, &min, &max))
            repeat(&part, min, max, ws);
        /* a run of exact parts from a word start (closed once each of its
         * strings has left its first word: the rest adds nothing to it) */
        if (open && run_done(&run))
            run_close(out, &run, &run_off, &open);
        if (open && part.ex.ok) {
            if (ex_fits(&run, &part.ex))
                ex_concat(&run, &part.ex);
            else
                run_close(out, &run, &run_off, &open);
        } else if (open) {
            run_close(out, &run, &run_off, &open);
        }
        if (!open && part_ws && part.ex.ok) {
            ex_copy(&run, &part.ex);
            run_off = out->len;
            open = 1;
        }
        for (int k = 0; k < part.n_req; k++)
            add_req(out, &part.req[k], &out->len);
        ex_concat(&out->ex, &part.ex);
        reach_add(&out->len, &part.len);
        out->nonalnum &= part.nonalnum;
        out->alnumonly &= part.alnumonly;
        ws = part.ws_after;
    }
    run_close(out, &run, &run_off, &open);
    out->ws_after = ws;
}

static void alternation(reader *rd, int ws_before, info *out)
{
    info br;
    dl_req_set any = {0};
    int all_req = 1;
    static const dl_reach here;

    if (++rd->depth > MAX_DEPTH) {
        rd->bad = 1;
        return;
    }
    sequence(rd, ws_before, out);
    if (out->n_req)
        any = *best_req(out);
    else
        all_req = 0;
    while (!rd->bad && rd->i < rd->len && rd->p[rd->i] == '|') {
        rd->i++;
        sequence(rd, ws_before, &br);
        if (rd->bad)
            break;
        if (all_req && br.n_req) {
            const dl_req_set *b = best_req(&br);
            for (int k = 0; k < b->n && all_req; k++)
                all_req = set_add(&any, b->w[k], strlen(b->w[k]));
            reach_max(&any.at, &b->at);
        } else {
            all_req = 0;
        }
        out->n_req = 0;
        ex_union(&out->ex, &br.ex);
        reach_max(&out->len, &br.len);
        out->nonalnum &= br.nonalnum;
        out->alnumonly &= br.alnumonly;
        out->ws_after &= br.ws_after;
        if (all_req)
            add_req(out, &any, &here);
    }
    rd->depth--;
}

void dl_required_analyse(const char *pat, size_t len, dl_required *out)
{
    reader rd = {pat, len, 0, 0, 0};
    info in;

    memset(out, 0, sizeof(*out));
    alternation(&rd, 1, &in);
    if (rd.bad || rd.i != len)
        return;
    out->n_sets = in.n_req;
    memcpy(out->sets, in.req, (size_t)in.n_req * sizeof(*in.req));
}

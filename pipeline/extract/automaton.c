/*
 * One automaton for all the timex rules: at a word start, which rules can
 * match there, read off a DFA in one pass over the next few bytes instead
 * of asking each rule's own regex.
 *
 * Each rule's expanded pattern becomes a piece of one byte-level Thompson
 * NFA that over-approximates it: assertions (lookarounds, \b, anchors)
 * are taken as true, atomic groups and possessive or lazy quantifiers as
 * plain ones, and a counted repeat above DL_NFA_COUNT_MAX as an unbounded
 * one. Everything PCRE2 matches, the NFA accepts; the extractor then tries
 * the rules the NFA allows with PCRE2 itself, so the results are PCRE2's.
 * Constructs with no such approximation (back references, recursion,
 * conditionals) leave the rule out: it is then possible everywhere.
 *
 * The DFA is built lazily, state by state as the text asks for them (a
 * state is a set of NFA nodes), over byte classes (bytes no pattern tells
 * apart share a column), and flushed when it grows past its bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "automaton.h"
#include "dateline/common.h"

#define UNKNOWN (-1) /* a transition not computed yet */
#define DEAD 0
#define START DL_DFA_START

#define DL_NFA_COUNT_MAX 32    /* x{n,m} with n or m above: x{n',} */
#define DL_NFA_DEPTH 64        /* groups nested */
#define DL_NFA_RULE_NODES (1u << 18) /* nodes of one rule (4 MB): more, and it is left out */
/* The DFA's bounds, before a flush: states, and NFA node ids held by all
 * of them. At most some 10 MB an extractor (the transitions, 81 byte
 * classes x 4 bytes a state with the shipped rules, then the pool); all of
 * T17 needs 5,661 states holding 47,185 ids (2.7 MB), PolNeAR 4,159. */
#define DL_DFA_STATES 16384
#define DL_DFA_POOL (1u << 20)

enum { N_SET, N_SPLIT, N_MATCH };

typedef struct nnode {
    uint8_t kind;
    uint32_t set;  /* N_SET: its byte set */
    uint32_t rule; /* the rule the node belongs to */
    int32_t out;   /* next node (N_SET, N_SPLIT), or a hole */
    int32_t out1;  /* N_SPLIT: the other one, or NO_EDGE */
} nnode;

#define NO_EDGE (-1)
/* An edge not yet known is a hole: holes of a fragment form a list through
 * the fields themselves; a field's value -3 - c links to hole c (node * 2 +
 * field), -2 ends the list. */
#define HOLE(next) (-3 - (next))
#define HOLE_NEXT(v) (-3 - (v))
#define HOLE_END (-1)

typedef struct frag {
    int32_t start;
    int32_t head, tail; /* hole list, HOLE_END when empty */
} frag;

typedef struct bset {
    uint64_t b[4];
} bset;

struct dl_nfa {
    nnode *nodes;
    size_t n_nodes, cap_nodes;
    bset *sets;
    size_t n_sets, cap_sets;
    uint32_t *set_slots; /* dedup hash of sets: index + 1 */
    size_t set_mask;
    int32_t *starts; /* one per rule added */
    size_t n_starts, cap_starts;
    /* after dl_nfa_finish() */
    uint8_t cls[256];
    size_t n_cls;
    uint8_t *set_cls; /* n_sets x n_cls: whether the set holds the class */
};

/* ---- byte sets ------------------------------------------------------------ */

static void bs_add(bset *s, unsigned c)
{
    s->b[c >> 6] |= 1ull << (c & 63);
}

static int bs_has(const bset *s, unsigned c)
{
    return (s->b[c >> 6] >> (c & 63)) & 1;
}

static void bs_range(bset *s, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        bs_add(s, c);
}

static void bs_fold(bset *s)
{
    for (unsigned c = 'a'; c <= 'z'; c++)
        if (bs_has(s, c) || bs_has(s, c - 32)) {
            bs_add(s, c);
            bs_add(s, c - 32);
        }
}

static void bs_union(bset *a, const bset *b)
{
    for (int k = 0; k < 4; k++)
        a->b[k] |= b->b[k];
}

static void bs_negate(bset *s)
{
    for (int k = 0; k < 4; k++)
        s->b[k] = ~s->b[k];
}

/* PCRE2's classes in byte mode with its default (C locale) tables. */
static void bs_digit(bset *s)
{
    bs_range(s, '0', '9');
}

static void bs_space(bset *s)
{
    bs_range(s, 9, 13);
    bs_add(s, ' ');
}

static void bs_word(bset *s)
{
    bs_range(s, '0', '9');
    bs_range(s, 'A', 'Z');
    bs_range(s, 'a', 'z');
    bs_add(s, '_');
}

static uint32_t bs_hash(const bset *s)
{
    uint64_t h = 0;

    for (int k = 0; k < 4; k++)
        h = (h ^ s->b[k]) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32);
}

/* The index of set @p s in the NFA's table (added when new), or -1. */
static int32_t set_id(dl_nfa *nfa, const bset *s)
{
    size_t i;

    if (!nfa->set_slots || nfa->n_sets * 2 >= nfa->set_mask + 1) {
        size_t nm = nfa->set_mask ? 2 * nfa->set_mask + 1 : 255;
        uint32_t *ns = calloc(nm + 1, sizeof(*ns));
        if (!ns)
            return -1;
        for (size_t k = 0; k < nfa->n_sets; k++) {
            for (i = bs_hash(&nfa->sets[k]) & nm; ns[i]; i = (i + 1) & nm)
                ;
            ns[i] = (uint32_t)k + 1;
        }
        free(nfa->set_slots);
        nfa->set_slots = ns;
        nfa->set_mask = nm;
    }
    for (i = bs_hash(s) & nfa->set_mask; nfa->set_slots[i]; i = (i + 1) & nfa->set_mask)
        if (!memcmp(&nfa->sets[nfa->set_slots[i] - 1], s, sizeof(*s)))
            return (int32_t)nfa->set_slots[i] - 1;
    if (nfa->n_sets == nfa->cap_sets) {
        size_t nc = nfa->cap_sets ? 2 * nfa->cap_sets : 64;
        bset *nv = realloc(nfa->sets, nc * sizeof(*nv));
        if (!nv)
            return -1;
        nfa->sets = nv;
        nfa->cap_sets = nc;
    }
    nfa->sets[nfa->n_sets] = *s;
    nfa->set_slots[i] = (uint32_t)++nfa->n_sets;
    return (int32_t)nfa->n_sets - 1;
}

/* ---- Thompson fragments --------------------------------------------------- */

typedef struct parser {
    dl_nfa *nfa;
    const char *p;
    size_t len, i;
    uint32_t rule;
    int ci;    /* ignoring case here */
    int bad;   /* a construct with no approximation */
    int oom;
    int depth; /* groups open */
    size_t base; /* the NFA's nodes before this rule's */
} parser;

static int32_t node_new(parser *ps, int kind, uint32_t set, int32_t out, int32_t out1)
{
    dl_nfa *nfa = ps->nfa;

    if (nfa->n_nodes - ps->base >= DL_NFA_RULE_NODES) {
        ps->bad = 1; /* (repeats of repeats: x{20}{20}{20}...) */
        return -1;
    }
    if (nfa->n_nodes == nfa->cap_nodes) {
        size_t nc = nfa->cap_nodes ? 2 * nfa->cap_nodes : 1024;
        nnode *nv = realloc(nfa->nodes, nc * sizeof(*nv));
        if (!nv) {
            ps->oom = 1;
            return -1;
        }
        nfa->nodes = nv;
        nfa->cap_nodes = nc;
    }
    nfa->nodes[nfa->n_nodes] = (nnode){(uint8_t)kind, set, ps->rule, out, out1};
    return (int32_t)nfa->n_nodes++;
}

static int32_t *hole_field(dl_nfa *nfa, int32_t c)
{
    nnode *n = &nfa->nodes[c >> 1];
    return c & 1 ? &n->out1 : &n->out;
}

/* Fills every hole of list @p head with @p target. */
static void patch(dl_nfa *nfa, int32_t head, int32_t target)
{
    while (head != HOLE_END) {
        int32_t *f = hole_field(nfa, head);
        head = HOLE_NEXT(*f);
        *f = target;
    }
}

/* The hole lists of @p a then @p b, as one. */
static frag holes_join(dl_nfa *nfa, frag a, frag b)
{
    if (a.head == HOLE_END)
        return (frag){-1, b.head, b.tail};
    if (b.head != HOLE_END)
        *hole_field(nfa, a.tail) = HOLE(b.head);
    return (frag){-1, a.head, b.head != HOLE_END ? b.tail : a.tail};
}

static int frag_set(parser *ps, const bset *s, frag *out)
{
    int32_t id = set_id(ps->nfa, s), n;

    if (id < 0) {
        ps->oom = 1;
        return -1;
    }
    if ((n = node_new(ps, N_SET, (uint32_t)id, HOLE(HOLE_END), NO_EDGE)) < 0)
        return -1; /* (node_new() said why) */
    *out = (frag){n, n * 2, n * 2};
    return 0;
}

/* A fragment matching the empty string. */
static int frag_empty(parser *ps, frag *out)
{
    int32_t n = node_new(ps, N_SPLIT, 0, HOLE(HOLE_END), NO_EDGE);

    if (n < 0)
        return -1;
    *out = (frag){n, n * 2, n * 2};
    return 0;
}

static frag concat(parser *ps, frag a, frag b)
{
    patch(ps->nfa, a.head, b.start);
    return (frag){a.start, b.head, b.tail};
}

static int alternate(parser *ps, frag a, frag b, frag *out)
{
    int32_t n = node_new(ps, N_SPLIT, 0, a.start, b.start);

    if (n < 0)
        return -1;
    *out = holes_join(ps->nfa, a, b);
    out->start = n;
    return 0;
}

/* a? (skip = 1) or a* (loop back) */
static int optional(parser *ps, frag a, int loop, frag *out)
{
    int32_t n = node_new(ps, N_SPLIT, 0, a.start, HOLE(HOLE_END));

    if (n < 0)
        return -1;
    if (loop) {
        patch(ps->nfa, a.head, n);
        *out = (frag){n, n * 2 + 1, n * 2 + 1};
    } else {
        *out = holes_join(ps->nfa, a, (frag){-1, n * 2 + 1, n * 2 + 1});
        out->start = n;
    }
    return 0;
}

/* ---- the parser ----------------------------------------------------------- */

static int parse_alt(parser *ps, frag *out);

static int fail(parser *ps)
{
    ps->bad = 1;
    return -1;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

enum { E_BYTE, E_SET, E_ASSERT };

/* The escape whose backslash is at ps->i (ps->i moves past it): a byte
 * (*@p byte), a set (added to @p s) or an assertion; -1 when unsupported. */
static int escape(parser *ps, int in_class, bset *s, unsigned *byte)
{
    const char *p = ps->p;
    char e;
    bset t = {{0}};

    if (++ps->i >= ps->len)
        return fail(ps);
    e = p[ps->i++];
    switch (e) {
    case 'd': case 'D': bs_digit(&t); break;
    case 's': case 'S': bs_space(&t); break;
    case 'w': case 'W': bs_word(&t); break;
    case 'h': case 'H': bs_add(&t, '\t'); bs_add(&t, ' '); bs_add(&t, 0xA0); break;
    case 'v': case 'V': bs_range(&t, 10, 13); bs_add(&t, 0x85); break;
    case 'N':
        if (in_class)
            return fail(ps);
        bs_negate(&t); /* (all but \n: all, an over-approximation) */
        bs_union(s, &t);
        return E_SET;
    case 'b':
        if (in_class) {
            *byte = 8;
            return E_BYTE;
        }
        return E_ASSERT;
    case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
        return in_class ? fail(ps) : E_ASSERT;
    case 'n': *byte = '\n'; return E_BYTE;
    case 't': *byte = '\t'; return E_BYTE;
    case 'r': *byte = '\r'; return E_BYTE;
    case 'f': *byte = '\f'; return E_BYTE;
    case 'e': *byte = 0x1B; return E_BYTE;
    case 'a': *byte = 7; return E_BYTE;
    case 'x': {
        unsigned v = 0;
        int d, k = 0;
        if (ps->i < ps->len && p[ps->i] == '{') {
            for (ps->i++; ps->i < ps->len && (d = hexval(p[ps->i])) >= 0 && k < 3; ps->i++, k++)
                v = v * 16 + (unsigned)d;
            if (ps->i >= ps->len || p[ps->i] != '}' || !k || v > 255)
                return fail(ps);
            ps->i++;
        } else {
            for (; ps->i < ps->len && k < 2 && (d = hexval(p[ps->i])) >= 0; ps->i++, k++)
                v = v * 16 + (unsigned)d;
        }
        *byte = v;
        return E_BYTE;
    }
    case '0': {
        unsigned v = 0;
        for (int k = 0; k < 2 && ps->i < ps->len && p[ps->i] >= '0' && p[ps->i] <= '7'; k++)
            v = v * 8 + (unsigned)(p[ps->i++] - '0');
        *byte = v;
        return E_BYTE;
    }
    default:
        /* back references, \g \k \p \Q \R \X \c \o \u ...: none here */
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
            return fail(ps);
        *byte = (unsigned char)e;
        return E_BYTE;
    }
    if (e >= 'A' && e <= 'Z')
        bs_negate(&t);
    bs_union(s, &t);
    return E_SET;
}

/* A POSIX class "[:name:]" at ps->i, added to @p s. */
static int posix_class(parser *ps, bset *s)
{
    static const struct {
        const char *name;
        unsigned char lo[3], hi[3];
    } tab[] = {
        {"alpha", {'a', 'A', 0}, {'z', 'Z', 0}}, {"digit", {'0', 0, 0}, {'9', 0, 0}},
        {"alnum", {'a', 'A', '0'}, {'z', 'Z', '9'}}, {"upper", {'A', 0, 0}, {'Z', 0, 0}},
        {"lower", {'a', 0, 0}, {'z', 0, 0}}, {"xdigit", {'0', 'a', 'A'}, {'9', 'f', 'F'}},
    };
    const char *e = NULL;
    size_t start = ps->i + 2, n;
    int neg = 0;
    bset t = {{0}};

    for (size_t j = start; j + 1 < ps->len; j++)
        if (ps->p[j] == ':' && ps->p[j + 1] == ']') {
            e = ps->p + j;
            break;
        }
    if (!e)
        return fail(ps);
    if (ps->p[start] == '^') {
        neg = 1;
        start++;
    }
    n = (size_t)(e - ps->p) - start;
    if (n == 5 && !memcmp(ps->p + start, "space", 5)) {
        bs_space(&t);
    } else {
        size_t k;
        for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
            if (strlen(tab[k].name) == n && !memcmp(ps->p + start, tab[k].name, n))
                break;
        if (k == sizeof(tab) / sizeof(tab[0]))
            return fail(ps);
        for (int r = 0; r < 3 && tab[k].lo[r]; r++)
            bs_range(&t, tab[k].lo[r], tab[k].hi[r]);
    }
    if (neg)
        bs_negate(&t);
    bs_union(s, &t);
    ps->i = (size_t)(e - ps->p) + 2;
    return 0;
}

/* The class "[...]" at ps->i. */
static int parse_class(parser *ps, frag *out)
{
    const char *p = ps->p;
    bset s = {{0}};
    int neg = 0, first = 1;

    ps->i++;
    if (ps->i < ps->len && p[ps->i] == '^') {
        neg = 1;
        ps->i++;
    }
    for (;;) {
        unsigned lo, hi;
        int k;
        if (ps->i >= ps->len)
            return fail(ps);
        if (p[ps->i] == ']' && !first) {
            ps->i++;
            break;
        }
        first = 0;
        if (p[ps->i] == '[' && ps->i + 1 < ps->len && p[ps->i + 1] == ':') {
            if (posix_class(ps, &s))
                return -1;
            continue;
        }
        if (p[ps->i] == '\\') {
            if ((k = escape(ps, 1, &s, &lo)) < 0)
                return -1;
            if (k == E_SET)
                continue;
        } else {
            lo = (unsigned char)p[ps->i++];
        }
        hi = lo;
        if (ps->i + 1 < ps->len && p[ps->i] == '-' && p[ps->i + 1] != ']') {
            ps->i++;
            if (p[ps->i] == '\\') {
                bset ignore = {{0}};
                if ((k = escape(ps, 1, &ignore, &hi)) < 0)
                    return -1;
                if (k != E_BYTE)
                    return fail(ps); /* [a-\d]: not a range PCRE2 accepts either */
            } else {
                hi = (unsigned char)p[ps->i++];
            }
            if (hi < lo)
                return fail(ps);
        }
        bs_range(&s, lo, hi);
    }
    if (ps->ci)
        bs_fold(&s);
    if (neg)
        bs_negate(&s);
    return frag_set(ps, &s, out);
}

/* Option letters of "(?...)" from ps->i to ':' or ')': the new case flag in
 * *@p ci; returns the byte that ended them. */
static int options(parser *ps, int *ci)
{
    int on = 1;

    for (; ps->i < ps->len; ps->i++) {
        char c = ps->p[ps->i];
        if (c == ':' || c == ')')
            return c;
        if (c == '-')
            on = 0;
        else if (c == '^')
            *ci = 0, on = 1;
        else if (c == 'i')
            *ci = on;
        else if (!strchr("msnUJ", c)) /* x (extended syntax) and the rest: no */
            return fail(ps);
    }
    return fail(ps);
}

/* The group whose '(' is at ps->i. */
static int parse_group(parser *ps, frag *out)
{
    const char *p = ps->p;
    size_t mark = ps->nfa->n_nodes;
    int ci = ps->ci, discard = 0, rc;

    ps->i++;
    if (ps->i < ps->len && p[ps->i] == '*')
        return fail(ps); /* (*VERB) */
    if (ps->i < ps->len && p[ps->i] == '?') {
        char k = ps->i + 1 < ps->len ? p[ps->i + 1] : '\0';
        char k2 = ps->i + 2 < ps->len ? p[ps->i + 2] : '\0';
        if (k == ':' || k == '|' || k == '>') {
            ps->i += 2;
        } else if (k == '=' || k == '!') {
            discard = 1;
            ps->i += 2;
        } else if (k == '<' && (k2 == '=' || k2 == '!')) {
            discard = 1;
            ps->i += 3;
        } else if (k == '<' || k == '\'' || (k == 'P' && k2 == '<')) {
            char close = k == '\'' ? '\'' : '>';
            const char *e = memchr(p + ps->i + 2, close, ps->len - ps->i - 2);
            if (!e)
                return fail(ps);
            ps->i = (size_t)(e - p) + 1;
        } else if (k == '-' || k == '^' || (k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z')) {
            ps->i++;
            if ((rc = options(ps, &ci)) < 0)
                return -1;
            ps->i++;
            if (rc == ')') {
                /* (?i): for the rest of the enclosing group */
                ps->ci = ci;
                return frag_empty(ps, out);
            }
        } else {
            return fail(ps); /* recursion, conditionals, (?P=name) ... */
        }
    }
    if (++ps->depth > DL_NFA_DEPTH)
        return fail(ps);
    int outer = ps->ci;
    ps->ci = ci;
    rc = parse_alt(ps, out);
    ps->ci = outer;
    ps->depth--;
    if (rc)
        return rc;
    if (ps->i >= ps->len || p[ps->i] != ')')
        return fail(ps);
    ps->i++;
    if (discard) {
        /* An assertion: true. Its nodes are unreachable: dropped. */
        ps->nfa->n_nodes = mark;
        return frag_empty(ps, out);
    }
    return 0;
}

/* The atom at ps->i (not a quantifier, '|' or ')'). */
static int parse_atom(parser *ps, frag *out)
{
    const char *p = ps->p;
    unsigned char c = (unsigned char)p[ps->i];
    bset s = {{0}};
    unsigned byte;
    int k;

    switch (c) {
    case '(':
        return parse_group(ps, out);
    case '[':
        return parse_class(ps, out);
    case '.':
        ps->i++;
        bs_negate(&s);
        return frag_set(ps, &s, out);
    case '^':
    case '$':
        ps->i++;
        return frag_empty(ps, out);
    case '*':
    case '+':
    case '?':
        return fail(ps);
    case '\\':
        if ((k = escape(ps, 0, &s, &byte)) < 0)
            return -1;
        if (k == E_ASSERT)
            return frag_empty(ps, out);
        if (k == E_SET)
            return frag_set(ps, &s, out);
        c = (unsigned char)byte;
        break;
    default:
        ps->i++;
        break;
    }
    bs_add(&s, c);
    if (ps->ci)
        bs_fold(&s);
    return frag_set(ps, &s, out);
}

/* A quantifier at ps->i: *@p min, *@p max (-1: no bound); 0 when there is none. */
static int quantifier(parser *ps, long *min, long *max)
{
    const char *p = ps->p;
    size_t j;

    if (ps->i >= ps->len)
        return 0;
    switch (p[ps->i]) {
    case '*': *min = 0, *max = -1, j = ps->i + 1; break;
    case '+': *min = 1, *max = -1, j = ps->i + 1; break;
    case '?': *min = 0, *max = 1, j = ps->i + 1; break;
    case '{': {
        /* {n} {n,} {n,m}; anything else is a literal '{'. (Counts stop
         * growing past 100000: all the same above DL_NFA_COUNT_MAX.) */
        long a = 0, b = -1;
        size_t d;
        for (j = ps->i + 1, d = 0; j < ps->len && p[j] >= '0' && p[j] <= '9'; j++, d++)
            if (a < 100000)
                a = a * 10 + (p[j] - '0');
        if (!d)
            return 0;
        if (j < ps->len && p[j] == ',') {
            size_t d2 = 0;
            for (j++, b = 0; j < ps->len && p[j] >= '0' && p[j] <= '9'; j++, d2++)
                if (b < 100000)
                    b = b * 10 + (p[j] - '0');
            if (!d2)
                b = -1;
        } else {
            b = a;
        }
        if (j >= ps->len || p[j] != '}')
            return 0;
        *min = a, *max = b, j++;
        break;
    }
    default:
        return 0;
    }
    if (j < ps->len && (p[j] == '?' || p[j] == '+'))
        j++; /* lazy, possessive: the same language or less */
    ps->i = j;
    return 1;
}

static int parse_piece(parser *ps, size_t stop, frag *out);

/* Another copy of the piece at [@p at, @p stop) (case flag @p ci there): its
 * atom and its quantifiers before @p stop. */
static int reparse(parser *ps, size_t at, size_t stop, int ci, frag *out)
{
    size_t end = ps->i;
    int keep = ps->ci, rc;

    ps->i = at;
    ps->ci = ci;
    rc = parse_piece(ps, stop, out);
    ps->i = end;
    ps->ci = keep;
    return rc;
}

/* x{min,max} from the parsed copy @p f of the piece x at [@p at, @p stop). */
static int repeat(parser *ps, frag f, size_t at, size_t stop, int ci, long min, long max,
                  frag *out)
{
    frag acc, g;
    int have = 0; /* f used */

    if (min > DL_NFA_COUNT_MAX || max > DL_NFA_COUNT_MAX) {
        if (min > DL_NFA_COUNT_MAX)
            min = DL_NFA_COUNT_MAX;
        max = -1;
    }
    if (frag_empty(ps, &acc))
        return -1;
    for (long k = 0; k < min; k++) {
        if (have && reparse(ps, at, stop, ci, &f))
            return -1;
        have = 1;
        acc = concat(ps, acc, f);
    }
    if (max < 0) {
        if ((have && reparse(ps, at, stop, ci, &f)) || optional(ps, f, 1, &g))
            return -1;
        acc = concat(ps, acc, g);
    } else {
        for (long k = min; k < max; k++) {
            if ((have && reparse(ps, at, stop, ci, &f)) || optional(ps, f, 0, &g))
                return -1;
            have = 1;
            acc = concat(ps, acc, g);
        }
    }
    *out = acc;
    return 0;
}

/* Moves ps->i past comments "(?#...)": PCRE2 drops them before anything
 * else, so a quantifier after one applies to the item before it
 * ("a(?#x)?" is "a?"). */
static void skip_comments(parser *ps)
{
    while (ps->i + 2 < ps->len && ps->p[ps->i] == '(' && ps->p[ps->i + 1] == '?' &&
           ps->p[ps->i + 2] == '#') {
        const char *e = memchr(ps->p + ps->i, ')', ps->len - ps->i);
        if (!e)
            return; /* (unterminated: parse_group() refuses it) */
        ps->i = (size_t)(e - ps->p) + 1;
    }
}

/* An atom and the quantifiers after it that start before @p stop (one
 * may follow another: "a{2}{3}" is (?:a{2}){3}). */
static int parse_piece(parser *ps, size_t stop, frag *out)
{
    size_t at = ps->i;
    int ci = ps->ci;
    long min, max;

    if (parse_atom(ps, out))
        return -1;
    for (skip_comments(ps); ps->i < stop; skip_comments(ps)) {
        size_t q = ps->i;
        if (!quantifier(ps, &min, &max))
            break;
        if (repeat(ps, *out, at, q, ci, min, max, out))
            return -1;
    }
    return 0;
}

/* A sequence up to '|', ')' or the end. */
static int parse_seq(parser *ps, frag *out)
{
    frag acc, f;

    if (frag_empty(ps, &acc))
        return -1;
    for (skip_comments(ps); ps->i < ps->len && ps->p[ps->i] != '|' && ps->p[ps->i] != ')';
         skip_comments(ps)) {
        if (parse_piece(ps, SIZE_MAX, &f))
            return -1;
        acc = concat(ps, acc, f);
    }
    *out = acc;
    return 0;
}

static int parse_alt(parser *ps, frag *out)
{
    frag f;

    if (parse_seq(ps, out))
        return -1;
    while (ps->i < ps->len && ps->p[ps->i] == '|') {
        ps->i++;
        if (parse_seq(ps, &f) || alternate(ps, *out, f, out))
            return -1;
    }
    return 0;
}

int dl_nfa_new(dl_nfa **out)
{
    return (*out = calloc(1, sizeof(**out))) ? 0 : DL_ENOMEM;
}

void dl_nfa_free(dl_nfa *nfa)
{
    if (!nfa)
        return;
    free(nfa->nodes);
    free(nfa->sets);
    free(nfa->set_slots);
    free(nfa->starts);
    free(nfa->set_cls);
    free(nfa);
}

int dl_nfa_add(dl_nfa *nfa, const char *pat, size_t len, int caseless, size_t rule)
{
    parser ps = {nfa, pat, len, 0, (uint32_t)rule, caseless, 0, 0, 0, nfa->n_nodes};
    frag f;
    int32_t m;

    if (nfa->n_starts == nfa->cap_starts) {
        size_t nc = nfa->cap_starts ? 2 * nfa->cap_starts : 64;
        int32_t *nv = realloc(nfa->starts, nc * sizeof(*nv));
        if (!nv)
            return DL_ENOMEM;
        nfa->starts = nv;
        nfa->cap_starts = nc;
    }
    if (parse_alt(&ps, &f) || ps.i != len || (m = node_new(&ps, N_MATCH, 0, NO_EDGE, NO_EDGE)) < 0) {
        nfa->n_nodes = ps.base; /* the rule's nodes, unreachable */
        return ps.oom ? DL_ENOMEM : 1;
    }
    patch(nfa, f.head, m);
    nfa->starts[nfa->n_starts++] = f.start;
    return 0;
}

int dl_nfa_finish(dl_nfa *nfa)
{
    uint8_t map[512];

    /* Byte classes: split by every set in turn. */
    memset(nfa->cls, 0, sizeof(nfa->cls));
    nfa->n_cls = 1;
    for (size_t k = 0; k < nfa->n_sets; k++) {
        size_t n = 0;
        memset(map, 0xFF, sizeof(map));
        for (unsigned c = 0; c < 256; c++) {
            unsigned key = nfa->cls[c] * 2u + (unsigned)bs_has(&nfa->sets[k], c);
            if (map[key] == 0xFF)
                map[key] = (uint8_t)n++;
            nfa->cls[c] = map[key];
        }
        nfa->n_cls = n;
    }
    free(nfa->set_cls);
    if (!(nfa->set_cls = calloc(nfa->n_sets * nfa->n_cls + 1, 1)))
        return DL_ENOMEM;
    for (size_t k = 0; k < nfa->n_sets; k++)
        for (unsigned c = 0; c < 256; c++)
            nfa->set_cls[k * nfa->n_cls + nfa->cls[c]] = (uint8_t)bs_has(&nfa->sets[k], c);
    return 0;
}

/* ---- the lazy DFA --------------------------------------------------------- */

static uint32_t ids_hash(const uint32_t *v, size_t n)
{
    uint64_t h = n;

    for (size_t i = 0; i < n; i++)
        h = (h ^ v[i]) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Adds to d->tmp the SET and MATCH nodes reachable from @p from over
 * empty edges (marked with d->gen); returns their new count. */
static size_t closure(dl_dfa *d, int32_t from, size_t nt)
{
    const nnode *nodes = d->nfa->nodes;
    size_t sp = 0;

    d->stack[sp++] = (uint32_t)from;
    while (sp) {
        uint32_t x = d->stack[--sp];
        if (d->mark[x] == d->gen)
            continue;
        d->mark[x] = d->gen;
        if (nodes[x].kind == N_SPLIT) {
            if (nodes[x].out1 >= 0)
                d->stack[sp++] = (uint32_t)nodes[x].out1;
            d->stack[sp++] = (uint32_t)nodes[x].out;
        } else {
            d->tmp[nt++] = x;
        }
    }
    return nt;
}

static void slots_clear(dl_dfa *d)
{
    memset(d->slots, 0, (d->slot_mask + 1) * sizeof(*d->slots));
}

static void slot_put(dl_dfa *d, size_t s)
{
    size_t i;

    for (i = d->hash[s] & d->slot_mask; d->slots[i]; i = (i + 1) & d->slot_mask)
        ;
    d->slots[i] = (uint32_t)s + 1;
}

/* realloc() that keeps *@p p when it fails; 0 or -1. */
static int resize(void **p, size_t bytes)
{
    void *np = realloc(*p, bytes);

    if (!np)
        return -1;
    *p = np;
    return 0;
}

/* Makes room for one more state (and @p n pool ids); 1 when that took a
 * flush (every state but the dead and start ones dropped). */
static int room(dl_dfa *d, size_t n, int *err)
{
    int flushed = 0;

    *err = 0;
    if (d->n >= DL_DFA_STATES || d->pool_n + n > DL_DFA_POOL) {
        d->n = START + 1;
        d->pool_n = d->set_off[START] + d->set_len[START];
        for (size_t c = 0; c < d->n_cls; c++)
            d->trans[START * d->n_cls + c] = UNKNOWN;
        slots_clear(d);
        slot_put(d, DEAD);
        slot_put(d, START);
        d->flushes++;
        flushed = 1;
    }
    if (d->n == d->cap) {
        size_t nc = 2 * d->cap, w = d->w;
        uint32_t *sl = NULL;
        /* (each array grown on its own: one that fails leaves the others
         * larger than cap, which is harmless, and the next call retries) */
        if (resize((void **)&d->trans, nc * d->n_cls * sizeof(*d->trans)) ||
            resize((void **)&d->acc, nc * w * sizeof(*d->acc)) ||
            resize((void **)&d->alive, nc * w * sizeof(*d->alive)) ||
            resize((void **)&d->set_off, nc * sizeof(*d->set_off)) ||
            resize((void **)&d->set_len, nc * sizeof(*d->set_len)) ||
            resize((void **)&d->hash, nc * sizeof(*d->hash)) ||
            !(sl = calloc(2 * nc, sizeof(*sl)))) {
            *err = DL_ENOMEM;
            return flushed;
        }
        free(d->slots);
        d->slots = sl;
        d->slot_mask = 2 * nc - 1;
        d->cap = nc;
        for (size_t s = 0; s < d->n; s++)
            slot_put(d, s);
    }
    if (d->pool_n + n > d->pool_cap) {
        size_t nc = d->pool_cap;
        while (nc < d->pool_n + n)
            nc *= 2;
        if (resize((void **)&d->pool, nc * sizeof(*d->pool))) {
            *err = DL_ENOMEM;
            return flushed;
        }
        d->pool_cap = nc;
    }
    return flushed;
}

/* The state of nodes d->tmp[0, nt) (sorted), added when new: its
 * transition value, or -1 when out of memory. */
static int32_t state_of(dl_dfa *d, size_t nt, int *flushed)
{
    const nnode *nodes = d->nfa->nodes;
    uint32_t h = ids_hash(d->tmp, nt);
    size_t i, s, w = d->w;
    int err, any_acc = 0;

    *flushed = 0;
    for (i = h & d->slot_mask; d->slots[i]; i = (i + 1) & d->slot_mask) {
        s = d->slots[i] - 1;
        if (d->hash[s] == h && d->set_len[s] == nt &&
            !memcmp(d->pool + d->set_off[s], d->tmp, nt * sizeof(*d->tmp))) {
            for (size_t k = 0; k < w; k++)
                any_acc |= d->acc[s * w + k] != 0;
            return (int32_t)(s * d->n_cls << 1 | (size_t)any_acc);
        }
    }
    *flushed = room(d, nt, &err);
    if (err)
        return -1;
    s = d->n++;
    d->hash[s] = h;
    d->set_off[s] = (uint32_t)d->pool_n;
    d->set_len[s] = (uint32_t)nt;
    memcpy(d->pool + d->pool_n, d->tmp, nt * sizeof(*d->tmp));
    d->pool_n += nt;
    memset(d->acc + s * w, 0, w * sizeof(*d->acc));
    memset(d->alive + s * w, 0, w * sizeof(*d->alive));
    for (size_t k = 0; k < nt; k++) {
        const nnode *x = &nodes[d->tmp[k]];
        uint64_t bit = 1ull << (x->rule % 64);
        if (x->kind == N_MATCH) {
            d->acc[s * w + x->rule / 64] |= bit;
            any_acc = 1;
        } else {
            d->alive[s * w + x->rule / 64] |= bit;
        }
    }
    for (size_t c = 0; c < d->n_cls; c++)
        d->trans[s * d->n_cls + c] = UNKNOWN;
    slot_put(d, s);
    return (int32_t)(s * d->n_cls << 1 | (size_t)any_acc);
}

/* The transition of state @p s on class @p c, computed and recorded. */
int32_t dl_dfa_step(dl_dfa *d, size_t s, size_t c)
{
    const dl_nfa *nfa = d->nfa;
    size_t nt = 0;
    int flushed;
    int32_t t;

    d->gen++;
    for (uint32_t k = 0; k < d->set_len[s]; k++) {
        const nnode *x = &nfa->nodes[d->pool[d->set_off[s] + k]];
        if (x->kind == N_SET && nfa->set_cls[x->set * nfa->n_cls + c])
            nt = closure(d, x->out, nt);
    }
    qsort(d->tmp, nt, sizeof(*d->tmp), cmp_u32);
    if ((t = state_of(d, nt, &flushed)) >= 0 && !flushed)
        d->trans[s * d->n_cls + c] = t;
    return t;
}

dl_dfa *dl_dfa_new(const dl_nfa *nfa, size_t words)
{
    dl_dfa *d = calloc(1, sizeof(*d));
    size_t nn = nfa->n_nodes + 1, nt = 0;
    int flushed;
    int32_t v;

    if (!d)
        return NULL;
    d->nfa = nfa;
    d->cls = nfa->cls;
    d->w = words ? words : 1;
    d->n_cls = nfa->n_cls ? nfa->n_cls : 1;
    d->cap = 64;
    d->pool_cap = 4096 > nn ? 4096 : nn;
    d->slot_mask = 2 * d->cap - 1;
    if (!(d->trans = malloc(d->cap * d->n_cls * sizeof(*d->trans))) ||
        !(d->acc = malloc(d->cap * d->w * sizeof(*d->acc))) ||
        !(d->alive = malloc(d->cap * d->w * sizeof(*d->alive))) ||
        !(d->set_off = calloc(d->cap, sizeof(*d->set_off))) ||
        !(d->set_len = calloc(d->cap, sizeof(*d->set_len))) ||
        !(d->hash = calloc(d->cap, sizeof(*d->hash))) ||
        !(d->slots = calloc(d->slot_mask + 1, sizeof(*d->slots))) ||
        !(d->pool = malloc(d->pool_cap * sizeof(*d->pool))) ||
        !(d->mark = calloc(nn, sizeof(*d->mark))) ||
        !(d->stack = malloc(2 * nn * sizeof(*d->stack))) ||
        !(d->tmp = malloc(nn * sizeof(*d->tmp)))) {
        dl_dfa_free(d);
        return NULL;
    }
    /* The dead state (no nodes), then the start: every rule's first nodes. */
    if (state_of(d, 0, &flushed) < 0) {
        dl_dfa_free(d);
        return NULL;
    }
    d->gen++;
    for (size_t r = 0; r < nfa->n_starts; r++)
        nt = closure(d, nfa->starts[r], nt);
    qsort(d->tmp, nt, sizeof(*d->tmp), cmp_u32);
    if ((v = state_of(d, nt, &flushed)) < 0) {
        dl_dfa_free(d);
        return NULL;
    }
    d->no_rules = v == 0;
    return d;
}

void dl_dfa_free(dl_dfa *d)
{
    if (!d)
        return;
    free(d->trans);
    free(d->acc);
    free(d->alive);
    free(d->set_off);
    free(d->set_len);
    free(d->hash);
    free(d->slots);
    free(d->pool);
    free(d->mark);
    free(d->stack);
    free(d->tmp);
    free(d);
}

void dl_dfa_stats(const dl_dfa *d, size_t *states, size_t *flushes)
{
    *states = d->n;
    *flushes = d->flushes;
}

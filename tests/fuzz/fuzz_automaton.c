/*
 * Fuzz target: the rules' automaton (pipeline/extract/automaton.c). The
 * input is a flags byte (bit 0: ignore case), a pattern, a NUL, then a
 * subject (none: the pattern's own bytes). A pattern PCRE2 compiles and the
 * automaton takes must be over-approximated: wherever PCRE2 matches,
 * anchored, at one of the subject's first 64 offsets, the automaton allows
 * the rule from there. Checked besides memory safety.
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../../pipeline/extract/automaton.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *pat, *subj, *nul;
    size_t pat_len, subj_len;
    int caseless, ecode;
    PCRE2_SIZE eoff;
    pcre2_code *re;
    pcre2_match_data *md = NULL;
    pcre2_match_context *mctx = NULL;
    dl_nfa *nfa = NULL;
    dl_dfa *dfa = NULL;

    if (size < 1)
        return 0;
    caseless = data[0] & 1;
    pat = data + 1;
    nul = memchr(pat, 0, size - 1);
    pat_len = nul ? (size_t)(nul - pat) : size - 1;
    subj = nul ? nul + 1 : pat;
    subj_len = nul ? size - 1 - pat_len - 1 : pat_len;
    re = pcre2_compile(pat, pat_len, PCRE2_DUPNAMES | (caseless ? PCRE2_CASELESS : 0), &ecode,
                       &eoff, NULL);
    if (!re)
        return 0;
    if (dl_nfa_new(&nfa))
        abort();
    if (dl_nfa_add(nfa, (const char *)pat, pat_len, caseless, 0) != 0)
        goto out; /* left out (1), or out of memory */
    if (dl_nfa_finish(nfa) || !(dfa = dl_dfa_new(nfa, 1)) ||
        !(md = pcre2_match_data_create_from_pattern(re, NULL)) ||
        !(mctx = pcre2_match_context_create(NULL)))
        abort();
    pcre2_set_match_limit(mctx, 20000);
    pcre2_set_depth_limit(mctx, 2000);
    for (size_t i = 0; i <= subj_len && i < 64; i++) {
        uint64_t possible;
        int rc = pcre2_match(re, subj, subj_len, i, PCRE2_ANCHORED, md, mctx);
        if (dl_dfa_possible(dfa, subj + i, subj_len - i, &possible))
            abort();
        if (rc >= 0 && !(possible & 1))
            abort(); /* PCRE2 matches where the automaton says it cannot */
    }
out:
    dl_dfa_free(dfa);
    dl_nfa_free(nfa);
    pcre2_match_context_free(mctx);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return 0;
}

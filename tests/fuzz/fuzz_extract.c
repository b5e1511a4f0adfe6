/*
 * Fuzz target: the extractor. Valid UTF-8 input goes straight to
 * dl_extract() with a fixed document date (the decoder validates UTF-8
 * before extraction in production, so invalid input is skipped there),
 * and every input goes through the whole pipeline as one message value
 * (decode, extract, encode), as `dateline run` would see it.
 */
#include <stdlib.h>
#include <string.h>

#include "dateline/config.h"
#include "dateline/decode.h"
#include "dateline/extract.h"
#include "dateline/pipeline.h"

#include "fuzz.h"

#ifndef DL_SOURCE_DIR
#define DL_SOURCE_DIR "."
#endif

static dl_config cfg;
static dl_rules *rules;
static dl_extractor *ex;
static dl_pipeline *pl;

static void fuzz_fini(void)
{
    dl_pipeline_free(pl);
    dl_extractor_free(ex);
    dl_rules_free(rules);
    dl_config_free(&cfg);
}

static void fuzz_init(void)
{
    dl_err err;
    const char *dir = getenv("DL_RULES_DIR");

    if (dl_config_defaults(&cfg, &err))
        abort();
    free(cfg.extract.rules);
    if (!(cfg.extract.rules = strdup(dir ? dir : DL_SOURCE_DIR "/config/rules/en")))
        abort();
    if (dl_rules_load(cfg.extract.rules, &rules, &err) || !(ex = dl_extractor_new(rules, &err)) ||
        !(pl = dl_pipeline_new(&cfg, &err)))
        abort();
    dl_extractor_set_limit(ex, cfg.extract.max_timexes);
    atexit(fuzz_fini);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dl_slice text = {(const char *)data, size};
    dl_dct dct = {2020, 10, 27};
    dl_facts facts;
    dl_err err;
    dl_message msg;
    dl_result res;

    if (!ex)
        fuzz_init();
    if (size > 65536)
        return 0;
    if (dl_utf8_check(text.p, text.len) == text.len) {
        dl_err_clear(&err);
        if (dl_extract(ex, text, &dct, &facts, &err) == 0) {
            for (size_t i = 0; i < facts.n_timexes; i++)
                if (facts.timexes[i].end > size || facts.timexes[i].start > facts.timexes[i].end)
                    abort(); /* offsets must stay inside the text */
        }
    }
    memset(&msg, 0, sizeof(msg));
    msg.value = text;
    msg.timestamp_ms = 1603756800000LL;
    msg.partition = -1;
    msg.offset = -1;
    if (dl_pipeline_process(pl, &msg, &res) == 0)
        dl_result_fini(&res);
    return 0;
}

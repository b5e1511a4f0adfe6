/*
 * Fuzz target: dl_iso_filter() (pipeline/extract/gazetteer.c), the cut of
 * an iso-codes JSON file to the entries of a few countries before Jansson
 * parses it. The input is the file's text. Checked besides memory safety:
 * the cut is never longer than the text, and when Jansson parses the whole
 * text, it parses the cut too, and every entry of a kept country (code
 * "US-..." or "GB-...") of each top-level list is in the cut's list.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../pipeline/extract/rules_int.h"
#include "fuzz.h"

static const char *const cc[] = {"US", "GB"};

static int kept_code(const char *code)
{
    return code && (!strncmp(code, "US-", 3) || !strncmp(code, "GB-", 3));
}

/* Whether the list @p cut holds an entry equal to @p item. */
static int holds(json_t *cut, json_t *item)
{
    size_t i;
    json_t *v;

    json_array_foreach(cut, i, v)
    {
        if (json_equal(v, item))
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out;
    size_t out_len, i;
    json_t *whole, *cut, *list, *item;
    json_error_t err;
    const char *key;

    if (dl_iso_filter((const char *)data, size, cc, 2, &out, &out_len))
        abort(); /* (out of memory) */
    if (!out)
        return 0;
    if (out_len > size || out[out_len] != '\0')
        abort();
    whole = json_loadb((const char *)data, size, 0, &err);
    cut = json_loadb(out, out_len, 0, &err);
    if (whole && !cut)
        abort();
    if (whole && json_is_object(whole)) {
        json_object_foreach(whole, key, list)
        {
            if (!json_is_array(list))
                continue;
            json_array_foreach(list, i, item)
            {
                if (kept_code(json_string_value(json_object_get(item, "code"))) &&
                    !holds(json_object_get(cut, key), item))
                    abort();
            }
        }
    }
    json_decref(whole);
    json_decref(cut);
    free(out);
    return 0;
}

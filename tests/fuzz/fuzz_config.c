/*
 * Fuzz target: the config loader (YAML -> dl_config), through both
 * dl_config_load() (first error) and dl_config_check() (every error).
 * The loader reads files, so each input is written to one temporary file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dateline/config.h"

#include "fuzz.h"

static char path[64];

static void fuzz_cleanup(void)
{
    if (path[0])
        unlink(path);
}

static void report(const dl_err *err, void *opaque)
{
    (*(int *)opaque)++;
    (void)err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *fp;
    dl_config cfg;
    dl_err err;
    int n = 0;

    if (!path[0]) {
        int fd;

        snprintf(path, sizeof(path), "/tmp/dl-fuzz-config-XXXXXX");
        if ((fd = mkstemp(path)) < 0)
            abort();
        close(fd);
        atexit(fuzz_cleanup);
        /* ${VAR} references resolve against a known environment. */
        setenv("DL_FUZZ_SET", "42", 1);
        unsetenv("DL_FUZZ_UNSET");
    }
    if (!(fp = fopen(path, "wb")))
        abort();
    if (size && fwrite(data, 1, size, fp) != size)
        abort();
    fclose(fp);
    memset(&cfg, 0, sizeof(cfg));
    dl_err_clear(&err);
    if (dl_config_load(path, &cfg, &err) == 0) {
        /* A loaded config has no NULL strings (config.h promises it). */
        if (!cfg.kafka.brokers || !cfg.topics.input || !cfg.extract.rules)
            abort();
    }
    dl_config_free(&cfg);
    (void)dl_config_check(path, report, &n);
    return 0;
}

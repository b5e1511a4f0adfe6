/*
 * dateline check CONFIG: validate a config file and compile its rules
 * without touching Kafka. Prints every problem as file:line:col: message.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dateline/config.h"
#include "dateline/extract.h"

static void report(const dl_err *err, void *opaque)
{
    char msg[600];

    (void)opaque;
    fprintf(stderr, "%s\n", dl_err_str(err, msg, sizeof(msg)));
}

int dl_cmd_check(int argc, char **argv)
{
    dl_config cfg;
    dl_err err = {0};
    dl_rules *rules = NULL;
    int errors;

    if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: dateline check CONFIG\n\n"
                "Validates CONFIG (keys, types, topic names, ${VAR} references) and\n"
                "compiles its rules. Prints file:line:col: message per problem;\n"
                "exit 0 when valid, 1 otherwise.\n");
        return argc == 2 ? 0 : 2;
    }
    errors = dl_config_check(argv[1], report, NULL);
    if (errors == 0) {
        if (dl_config_load(argv[1], &cfg, &err)) {
            report(&err, NULL);
            errors++;
        } else {
            if (dl_rules_load(cfg.extract.rules, &rules, &err)) {
                report(&err, NULL);
                errors++;
            }
            dl_rules_free(rules);
            dl_config_free(&cfg);
        }
    }
    if (errors) {
        fprintf(stderr, "%s: %d error%s\n", argv[1], errors, errors == 1 ? "" : "s");
        return 1;
    }
    printf("%s: ok\n", argv[1]);
    return 0;
}

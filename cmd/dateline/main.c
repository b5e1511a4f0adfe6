/* dateline: dispatches to a subcommand; the work lives in pipeline/. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: dateline <command> [options]\n"
                "\n"
                "commands:\n"
                "  extract [FILE...]   enrich raw messages from files or stdin, no broker\n"
                "  run -c CONFIG       consume, enrich and produce as a Kafka stage\n"
                "  check CONFIG        validate a config file and its rules\n"
                "\n"
                "Run 'dateline <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("dateline %s\n", DL_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "extract"))
        return dl_cmd_extract(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return dl_cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return dl_cmd_check(argc - 1, argv + 1);
    fprintf(stderr, "dateline: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

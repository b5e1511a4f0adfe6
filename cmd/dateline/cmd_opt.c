/* Option matching shared by the subcommands that take "--name VALUE". */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

int dl_cmd_opt(const char *cmd, int argc, char **argv, int *i, const char *shrt, const char *lng,
               const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(lng);

    if (!strncmp(arg, lng, n) && arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (strcmp(arg, lng) && (!shrt || strcmp(arg, shrt)))
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "dateline %s: %s needs a value\n", cmd, arg);
        *value = NULL;
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

/* Subcommands of the dateline CLI: each returns the process exit status. */
#ifndef DATELINE_CMD_H
#define DATELINE_CMD_H

int dl_cmd_extract(int argc, char **argv);
int dl_cmd_run(int argc, char **argv);
int dl_cmd_replay(int argc, char **argv);
int dl_cmd_check(int argc, char **argv);

/**
 * @brief Matches argv[*i] against "--lng VALUE", "--lng=VALUE" or "shrt VALUE"
 *        (@p shrt may be NULL) and advances *i past a separate value.
 * @returns 1 with @p value set, 0 when argv[*i] is another option, -1 when
 *          the value is missing (reported on stderr as "dateline CMD: ...").
 */
int dl_cmd_opt(const char *cmd, int argc, char **argv, int *i, const char *shrt, const char *lng,
               const char **value);

/** @brief Installs @p handler for signal @p sig (sigaction, no SA_RESTART). */
void dl_cmd_signal(int sig, void (*handler)(int));

#endif

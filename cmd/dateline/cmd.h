/* Subcommands of the dateline CLI: each returns the process exit status. */
#ifndef DATELINE_CMD_H
#define DATELINE_CMD_H

int dl_cmd_extract(int argc, char **argv);
int dl_cmd_run(int argc, char **argv);
int dl_cmd_replay(int argc, char **argv);
int dl_cmd_check(int argc, char **argv);

#endif

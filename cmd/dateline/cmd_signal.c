/* Signal handlers of the long-running subcommands (run, replay). */
#include <signal.h>
#include <string.h>

#include "cmd.h"

void dl_cmd_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;

    /* No SA_RESTART: a poll or sleep the signal interrupts returns, and the
     * loop sees its flag at once. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

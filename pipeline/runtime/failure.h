/* Internal to pipeline/runtime: the first fatal error of a stage or a
 * replay, which stops its loop and becomes its exit error. */
#ifndef DL_FAILURE_H
#define DL_FAILURE_H

#include <stdarg.h>

/* How many failures after the first are logged; the rest are counted. */
#define DL_FAILURE_LOGGED 10

typedef struct dl_failure {
    int failed;
    unsigned long more; /* failures after the first */
    char msg[512];      /* the first one */
} dl_failure;

/**
 * @brief Logs a failure (as module @p mod) and keeps it when it is the
 *        first; after the first, only DL_FAILURE_LOGGED more are logged
 *        (typically the other in-flight records of a dead producer).
 */
void dl_failure_note(dl_failure *f, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** @brief Logs how many failures were counted but not shown, if any. */
void dl_failure_summary(const dl_failure *f, const char *mod);

#endif

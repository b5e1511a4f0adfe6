/*
 * A line reader on a file descriptor for `dateline extract --lines`. Unlike
 * getline() on a FILE, it can tell whether the next line is already here:
 * a stream from a pipe must not leave written-out records sitting in
 * stdout's buffer, or finished work in the pool, while it waits for the
 * next article, which may be minutes away.
 */
#ifndef DATELINE_CMD_LINES_H
#define DATELINE_CMD_LINES_H

#include <stddef.h>

typedef struct dl_lines dl_lines;

/** @brief A reader of @p fd (not closed by dl_lines_free()); NULL when out of memory. */
dl_lines *dl_lines_new(int fd);

/**
 * @brief The next line, without its '\n' (a last line without one counts).
 *        @p line points into the reader's buffer until the next call.
 * @returns 1 with a line, 0 at the end of the input, -1 on a read error
 *          or out of memory (errno set).
 */
int dl_lines_next(dl_lines *lr, const char **line, size_t *len);

/**
 * @brief 1 when dl_lines_next() would wait for input: no whole line is
 *        buffered and the descriptor has nothing to read right now. Always
 *        0 for a regular file.
 */
int dl_lines_waiting(dl_lines *lr);

void dl_lines_free(dl_lines *lr);

#endif

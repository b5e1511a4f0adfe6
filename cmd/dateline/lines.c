/* The line reader of lines.h: one buffer, read(2) in large chunks. */
#include "lines.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* First read size; the buffer doubles for longer lines (T17 has articles of
 * 671 kB on one line). 64 kB reads take a sixteenth of the system calls of
 * stdio's 4 kB ones. */
#define LINES_CHUNK (64 * 1024)

struct dl_lines {
    int fd;
    int regular; /* a regular file never makes a reader wait */
    int eof;
    char *buf;
    size_t cap;
    size_t start; /* the next line begins here */
    size_t end;   /* bytes read */
    size_t scan;  /* [start, scan) holds no '\n' */
    char *nl;     /* the '\n' ending the next line once found, else NULL */
};

dl_lines *dl_lines_new(int fd)
{
    dl_lines *lr = calloc(1, sizeof(*lr));
    struct stat st;

    if (!lr || !(lr->buf = malloc(LINES_CHUNK))) {
        free(lr);
        errno = ENOMEM;
        return NULL;
    }
    lr->fd = fd;
    lr->cap = LINES_CHUNK;
    lr->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    return lr;
}

void dl_lines_free(dl_lines *lr)
{
    if (!lr)
        return;
    free(lr->buf);
    free(lr);
}

/* Looks for the end of the next line in what is buffered. */
static int find_nl(dl_lines *lr)
{
    if (!lr->nl && lr->scan < lr->end) {
        lr->nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
        lr->scan = lr->end;
    }
    return lr->nl != NULL;
}

/* Reads more, after moving the partial line to the front (growing the
 * buffer when it is all one line). 0 at the end, -1 on an error. */
static int fill(dl_lines *lr)
{
    ssize_t n;

    if (lr->start > 0) {
        memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
        lr->end -= lr->start;
        lr->scan -= lr->start;
        lr->start = 0;
    }
    if (lr->end == lr->cap) {
        char *nb = lr->cap <= ((size_t)-1) / 2 ? realloc(lr->buf, lr->cap * 2) : NULL;
        if (!nb) {
            errno = ENOMEM;
            return -1;
        }
        lr->buf = nb;
        lr->cap *= 2;
    }
    do
        n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if (n == 0)
        lr->eof = 1;
    lr->end += (size_t)n;
    return n > 0;
}

int dl_lines_next(dl_lines *lr, const char **line, size_t *len)
{
    while (!find_nl(lr)) {
        if (lr->eof) {
            if (lr->start == lr->end)
                return 0;
            *line = lr->buf + lr->start; /* the last line, without '\n' */
            *len = lr->end - lr->start;
            lr->start = lr->scan = lr->end;
            return 1;
        }
        if (fill(lr) < 0)
            return -1;
    }
    *line = lr->buf + lr->start;
    *len = (size_t)(lr->nl - *line);
    lr->start = lr->scan = (size_t)(lr->nl - lr->buf) + 1;
    lr->nl = NULL;
    return 1;
}

int dl_lines_waiting(dl_lines *lr)
{
    struct pollfd pfd = {.fd = lr->fd, .events = POLLIN};

    if (lr->regular || lr->eof || find_nl(lr))
        return 0;
    /* Readable, hung up or in error: the read will not wait. */
    return poll(&pfd, 1, 0) <= 0; /* nothing yet (or poll failed: flushing is harmless) */
}

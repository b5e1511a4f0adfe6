#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dateline/common.h"

int dl_read_file(const char *path, char **out, size_t *len, dl_err *err)
{
    FILE *fp;
    char *buf = NULL, *nbuf;
    size_t cap = 0, n = 0, got;
    int rc = 0;

    if (!(fp = fopen(path, "rb")))
        return dl_err_set_at(err, DL_EIO, path, 0, 0, "%s", strerror(errno));
    /* Read in growing chunks: stdin and pipes have no usable size. */
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            if (!(nbuf = realloc(buf, cap + 1))) {
                rc = dl_err_set(err, DL_ENOMEM, "out of memory reading %s", path);
                goto out;
            }
            buf = nbuf;
        }
        got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        rc = dl_err_set_at(err, DL_EIO, path, 0, 0, "read error");
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    fclose(fp);
    return rc;
}

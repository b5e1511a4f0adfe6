/* Replay checkpoint files (see include/dateline/checkpoint.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dateline/checkpoint.h"

#define CHECKPOINT_VERSION 1

void dl_checkpoint_fini(dl_checkpoint *cp)
{
    if (!cp)
        return;
    free(cp->topic);
    free(cp->spec);
    free(cp->rules_hash);
    free(cp->ranges);
    memset(cp, 0, sizeof(*cp));
}

int64_t dl_checkpoint_remaining(const dl_checkpoint *cp)
{
    int64_t left = 0;

    for (size_t i = 0; i < cp->n; i++)
        if (cp->ranges[i].end > cp->ranges[i].next)
            left += cp->ranges[i].end - cp->ranges[i].next;
    return left;
}

static int checkpoint_int(json_t *obj, const char *name, int64_t *out)
{
    json_t *v = json_object_get(obj, name);

    if (!json_is_integer(v))
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static char *checkpoint_strdup(json_t *v)
{
    const char *s = json_string_value(v);
    char *copy;

    if (!s)
        return NULL;
    if ((copy = malloc(strlen(s) + 1)))
        memcpy(copy, s, strlen(s) + 1);
    return copy;
}

int dl_checkpoint_load(const char *path, dl_checkpoint *cp, dl_err *err)
{
    json_error_t jerr;
    json_t *root = NULL, *ranges;
    FILE *fp;
    int rc;

    memset(cp, 0, sizeof(*cp));
    if (!(fp = fopen(path, "rb"))) {
        if (errno == ENOENT)
            return 1;
        return dl_err_set(err, DL_EIO, "checkpoint %s: %s", path, strerror(errno));
    }
    root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
    fclose(fp);
    if (!root) {
        rc = dl_err_set(err, DL_EINVAL, "checkpoint %s: line %d: %s", path, jerr.line, jerr.text);
        goto out;
    }
    {
        json_t *ver = json_object_get(root, "version");

        if (!json_is_integer(ver) || json_integer_value(ver) != CHECKPOINT_VERSION) {
            rc = dl_err_set(err, DL_EINVAL, "checkpoint %s: not a version %d checkpoint", path,
                            CHECKPOINT_VERSION);
            goto out;
        }
    }
    ranges = json_object_get(root, "ranges");
    if (!json_is_string(json_object_get(root, "topic")) ||
        !json_is_string(json_object_get(root, "spec")) || !json_is_array(ranges)) {
        rc = dl_err_set(err, DL_EINVAL, "checkpoint %s: topic, spec or ranges missing", path);
        goto out;
    }
    cp->topic = checkpoint_strdup(json_object_get(root, "topic"));
    cp->spec = checkpoint_strdup(json_object_get(root, "spec"));
    if (json_is_string(json_object_get(root, "rules_hash")))
        cp->rules_hash = checkpoint_strdup(json_object_get(root, "rules_hash"));
    cp->n = json_array_size(ranges);
    if (!cp->topic || !cp->spec || (cp->n && !(cp->ranges = calloc(cp->n, sizeof(*cp->ranges))))) {
        rc = dl_err_set(err, DL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < cp->n; i++) {
        json_t *r = json_array_get(ranges, i);
        dl_replay_range *rr = &cp->ranges[i];
        int64_t part;

        if (checkpoint_int(r, "partition", &part) || checkpoint_int(r, "start", &rr->start) ||
            checkpoint_int(r, "end", &rr->end) || checkpoint_int(r, "next", &rr->next) ||
            part < 0 || part > INT32_MAX || rr->start < 0 || rr->end < rr->start ||
            rr->next < rr->start || rr->next > rr->end ||
            (i > 0 && part <= cp->ranges[i - 1].partition)) {
            rc = dl_err_set(err, DL_EINVAL, "checkpoint %s: range %zu is invalid", path, i);
            goto out;
        }
        rr->partition = (int32_t)part;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static json_t *checkpoint_json(const dl_checkpoint *cp)
{
    json_t *root = json_object(), *ranges = json_array();

    if (!root || !ranges) {
        json_decref(root);
        json_decref(ranges);
        return NULL;
    }
    json_object_set_new(root, "version", json_integer(CHECKPOINT_VERSION));
    json_object_set_new(root, "topic", json_string(cp->topic ? cp->topic : ""));
    json_object_set_new(root, "spec", json_string(cp->spec ? cp->spec : ""));
    json_object_set_new(root, "rules_hash",
                        cp->rules_hash ? json_string(cp->rules_hash) : json_null());
    for (size_t i = 0; i < cp->n; i++) {
        const dl_replay_range *r = &cp->ranges[i];

        json_array_append_new(ranges, json_pack("{s:i,s:I,s:I,s:I}", "partition", (int)r->partition,
                                                "start", (json_int_t)r->start, "end",
                                                (json_int_t)r->end, "next", (json_int_t)r->next));
    }
    json_object_set_new(root, "ranges", ranges);
    return root;
}

int dl_checkpoint_save(const char *path, const dl_checkpoint *cp, dl_err *err)
{
    char tmp[4096];
    char *text = NULL;
    json_t *root;
    size_t len, off = 0;
    int fd = -1, rc, n;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return dl_err_set(err, DL_EIO, "checkpoint %s: path too long", path);
    if (!(root = checkpoint_json(cp)))
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return dl_err_set(err, DL_ENOMEM, "out of memory");
    len = strlen(text);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
        rc = dl_err_set(err, DL_EIO, "checkpoint %s: %s", tmp, strerror(errno));
        goto out;
    }
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = dl_err_set(err, DL_EIO, "checkpoint %s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        rc = dl_err_set(err, DL_EIO, "checkpoint %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = dl_err_set(err, DL_EIO, "checkpoint %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp);
    free(text);
    return rc;
}

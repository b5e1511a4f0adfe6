/*
 * dateline extract: raw messages from files or stdin -> enriched JSON lines
 * on stdout, no broker. Messages that are not articles are reported on
 * stderr (a JSON log line with the reason) and counted; the rest go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dateline/config.h"
#include "dateline/log.h"
#include "dateline/pipeline.h"
#include "dateline/workpool.h"
#include "lines.h"

#define DL_MAX_THREADS 64
/* Pool slots per thread in --threads mode: room for the workers to go on
 * past a slow article, little memory (T17 articles are ~6.5 kB). */
#define DL_RING_PER_THREAD 128

typedef struct extract_ctx {
    dl_pipeline *pl;
    unsigned long ok, dead;
    int threads;
} extract_ctx;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: dateline extract [options] [FILE...]\n"
            "\n"
            "Reads raw article messages (one per FILE, or stdin when no FILE is\n"
            "given) and writes one enriched JSON record per line to stdout.\n"
            "\n"
            "  -c, --config FILE    config file (input format, limits, rules)\n"
            "  -l, --lines          one message per line (text or JSON lines)\n"
            "  -r, --rules DIR      rules directory (overrides the config)\n"
            "  -f, --format FMT     auto | text | json (overrides the config)\n"
            "      --timeml         FILEs are TimeML documents: print the TempEval-3\n"
            "                       scorer's JSONL (byte offsets into the TEXT content)\n"
            "  -j, --threads N      with --lines: N worker threads (one pipeline each,\n"
            "                       sharing the compiled rules); output keeps input order\n"
            "      --log-level L    debug | info | warn | error\n"
            "  -h, --help           this help\n"
            "\n"
            "Without -c, rules come from $DATELINE_RULES, else config/rules/en\n"
            "under the current directory.\n"
            "Exit status: 0 when every message was enriched, 3 when some were\n"
            "rejected (each is logged with its reason), 1 on errors.\n");
}

/* Writes the record of @p res (or logs why there is none) and frees it. */
static void emit(extract_ctx *ctx, dl_result *r, const char *origin, unsigned long line)
{
    dl_result res = *r;

    memset(r, 0, sizeof(*r));
    if (res.dead) {
        char where[32];
        snprintf(where, sizeof(where), "%lu", line);
        const char *kv[] = {"reason", res.reason, "detail", res.detail, "input", origin,
                            "line",   where,      NULL};
        dl_log_write(DL_LOG_WARN, "extract", "message rejected", kv);
        ctx->dead++;
    } else {
        fwrite(res.record, 1, res.record_len, stdout);
        fputc('\n', stdout);
        ctx->ok++;
    }
    dl_result_fini(&res);
}

static int process(extract_ctx *ctx, const char *value, size_t len, const char *origin,
                   unsigned long line)
{
    dl_message msg = {{value, len}, {NULL, 0}, {NULL, 0}, -1, NULL, -1, -1};
    dl_result res;
    int rc;

    if ((rc = dl_pipeline_process(ctx->pl, &msg, &res))) {
        dl_logf(DL_LOG_ERROR, "extract", "%s: out of memory", origin);
        return rc;
    }
    emit(ctx, &res, origin, line);
    return 0;
}

/*
 * ---- --threads: the ordered extraction pool of `dateline run`
 * (workpool.h). This thread reads lines into the pool and writes the
 * results out in input order; a slow article holds back only the output,
 * not the workers, as long as the pool has room.
 */

typedef struct line_job {
    char *line; /* malloc'd copy, without its newline; the job's message points into it */
    unsigned long lineno;
} line_job;

/* The next message line of @p lr (blank lines skipped, '\r' stripped):
 * 1, 0 at the end, or an error code (logged). */
static int next_message(dl_lines *lr, const char *origin, unsigned long *lineno,
                        const char **line, size_t *len)
{
    int r;

    while ((r = dl_lines_next(lr, line, len)) > 0) {
        ++*lineno;
        while (*len > 0 && (*line)[*len - 1] == '\r')
            --*len;
        if (*len > 0)
            return 1; /* blank lines separate nothing: not messages */
    }
    if (r < 0) {
        int oom = errno == ENOMEM; /* before logging, which may set errno */
        dl_logf(DL_LOG_ERROR, "extract", "%s: %s", origin, oom ? "out of memory" : "read error");
        return oom ? DL_ENOMEM : DL_EIO;
    }
    return 0;
}

/* Before input that is not there yet: what was written must reach the
 * reader of a stream now, not when the next article comes. */
static void flush_if_waiting(dl_lines *lr)
{
    if (dl_lines_waiting(lr))
        fflush(stdout);
}

static int extract_lines_parallel(extract_ctx *ctx, dl_lines *lr, const char *origin)
{
    int nt = ctx->threads, rc = 0, rd = 0, eof = 0, r;
    unsigned long lineno = 0;
    dl_workpool *wp;
    dl_work_done done;
    dl_err err = {0};
    const char *line;
    size_t n;
    dl_workpool_opts opts = {.threads = nt, .depth = (size_t)nt * DL_RING_PER_THREAD};

    if (!(wp = dl_workpool_new(ctx->pl, &opts, &err))) {
        char msg[600];
        dl_logf(DL_LOG_ERROR, "extract", "%s", dl_err_str(&err, msg, sizeof(msg)));
        return err.code ? err.code : DL_ENOMEM;
    }
    for (;;) {
        line_job *job;
        int idle = 0; /* the input has nothing for now: finish what is in flight */
        while (!eof && !dl_workpool_full(wp)) {
            if (dl_lines_waiting(lr)) {
                if ((idle = dl_workpool_pending(wp) > 0))
                    break;
                fflush(stdout);
            }
            if ((r = next_message(lr, origin, &lineno, &line, &n)) != 1) {
                rd = r; /* what was read before an error is still written */
                eof = 1;
                break;
            }
            if (!(job = malloc(sizeof(*job))) || !(job->line = malloc(n))) {
                free(job);
                dl_logf(DL_LOG_ERROR, "extract", "%s: out of memory", origin);
                rc = DL_ENOMEM;
                eof = 1;
                break;
            }
            memcpy(job->line, line, n);
            job->lineno = lineno;
            dl_message msg = {{job->line, n}, {NULL, 0}, {NULL, 0}, -1, NULL, -1, -1};
            dl_workpool_submit(wp, &msg, job);
            if (dl_workpool_pending(wp) >= 2 * (size_t)nt)
                break; /* enough work queued: write out what is done */
        }
        if (eof && !dl_workpool_pending(wp))
            break;
        /* Write the oldest result once it is done; wait for it only when
         * there is no room (or nothing) to read. */
        if (!dl_workpool_take(wp, eof || idle || dl_workpool_full(wp) ? -1 : 0, &done))
            continue;
        job = done.opaque;
        if (done.rc && !rc) {
            dl_logf(DL_LOG_ERROR, "extract", "%s: out of memory", origin);
            rc = done.rc;
        }
        if (!rc)
            emit(ctx, &done.res, origin, job->lineno);
        dl_result_fini(&done.res);
        free(job->line);
        free(job);
        if (rc)
            eof = 1; /* stop reading; drain what was handed out */
    }
    dl_workpool_destroy(wp);
    return rc ? rc : rd;
}

/* One message a line of @p fd. */
static int extract_lines(extract_ctx *ctx, int fd, const char *origin)
{
    dl_lines *lr = dl_lines_new(fd);
    unsigned long lineno = 0;
    const char *line;
    size_t n;
    int rc;

    if (!lr) {
        dl_logf(DL_LOG_ERROR, "extract", "%s: out of memory", origin);
        return DL_ENOMEM;
    }
    if (ctx->threads > 1) {
        rc = extract_lines_parallel(ctx, lr, origin);
    } else {
        for (;;) {
            flush_if_waiting(lr);
            if ((rc = next_message(lr, origin, &lineno, &line, &n)) != 1)
                break;
            if ((rc = process(ctx, line, n, origin, lineno)))
                break;
        }
    }
    dl_lines_free(lr);
    return rc;
}

static int extract_whole(extract_ctx *ctx, const char *path)
{
    char *buf = NULL;
    size_t len;
    dl_err err = {0};
    int rc;

    if ((rc = dl_read_file(path, &buf, &len, &err))) {
        char msg[600];
        dl_logf(DL_LOG_ERROR, "extract", "%s", dl_err_str(&err, msg, sizeof(msg)));
        return rc;
    }
    rc = process(ctx, buf, len, path, 1);
    free(buf);
    return rc;
}

/* The document name the scorer matches: the file name without extensions. */
static void doc_name(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *dot;

    snprintf(out, size, "%s", base);
    while ((dot = strrchr(out, '.')) &&
           (!strcmp(dot, ".tml") || !strcmp(dot, ".TE3input") || !strcmp(dot, ".xml")))
        *dot = '\0';
}

static int extract_timeml(extract_ctx *ctx, int n, char **paths)
{
    for (int i = 0; i < n; i++) {
        char *buf = NULL, *line = NULL, name[256], msg[600];
        size_t len, llen;
        dl_err err = {0};
        int rc;

        doc_name(paths[i], name, sizeof(name));
        if ((rc = dl_read_file(paths[i], &buf, &len, &err)) ||
            (rc = dl_pipeline_timeml(ctx->pl, (dl_slice){buf, len}, name, &line, &llen, &err))) {
            dl_logf(DL_LOG_ERROR, "extract", "%s: %s", paths[i], dl_err_str(&err, msg, sizeof(msg)));
            free(buf);
            if (rc == DL_ENOMEM || rc == DL_EIO)
                return rc;
            ctx->dead++;
            continue;
        }
        fwrite(line, 1, llen, stdout);
        fputc('\n', stdout);
        ctx->ok++;
        free(line);
        free(buf);
    }
    return 0;
}

int dl_cmd_extract(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"lines", no_argument, NULL, 'l'},
                                         {"rules", required_argument, NULL, 'r'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"log-level", required_argument, NULL, 'L'},
                                         {"timeml", no_argument, NULL, 'T'},
                                         {"threads", required_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *rules = NULL, *format = NULL, *level = NULL;
    int lines = 0, timeml = 0, opt, rc = 0, status;
    dl_config cfg;
    dl_err err = {0};
    char msg[600];
    extract_ctx ctx = {0};

    while ((opt = getopt_long(argc, argv, "c:lr:f:j:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 'l': lines = 1; break;
        case 'r': rules = optarg; break;
        case 'f': format = optarg; break;
        case 'L': level = optarg; break;
        case 'T': timeml = 1; break;
        case 'j': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > DL_MAX_THREADS) {
                fprintf(stderr, "dateline extract: --threads takes 1..%d\n", DL_MAX_THREADS);
                return 2;
            }
            ctx.threads = (int)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    rc = config_path ? dl_config_load(config_path, &cfg, &err) : dl_config_defaults(&cfg, &err);
    if (rc) {
        fprintf(stderr, "%s\n", dl_err_str(&err, msg, sizeof(msg)));
        return 1;
    }
    dl_log_set_level(cfg.log.level);
    if (level) {
        dl_log_level lv;
        if (dl_log_level_parse(level, &lv)) {
            fprintf(stderr, "dateline extract: bad --log-level '%s'\n", level);
            status = 2;
            goto out;
        }
        dl_log_set_level(lv);
    }
    if (!rules && !config_path)
        rules = getenv("DATELINE_RULES") ? getenv("DATELINE_RULES") : "config/rules/en";
    if (rules) {
        free(cfg.extract.rules);
        cfg.extract.rules = strdup(rules);
    }
    if (format) {
        if (!strcmp(format, "auto"))
            cfg.input.format = DL_FORMAT_AUTO;
        else if (!strcmp(format, "text"))
            cfg.input.format = DL_FORMAT_TEXT;
        else if (!strcmp(format, "json"))
            cfg.input.format = DL_FORMAT_JSON;
        else {
            fprintf(stderr, "dateline extract: bad --format '%s'\n", format);
            status = 2;
            goto out;
        }
    }
    if (!(ctx.pl = dl_pipeline_new(&cfg, &err))) {
        fprintf(stderr, "%s\n", dl_err_str(&err, msg, sizeof(msg)));
        status = 1;
        goto out;
    }
    /* Records are ~10 kB: stdio's 4 kB buffer would write each in pieces.
     * A stream still gets each record at once (flush_if_waiting()). The
     * buffer is static: glibc ignores the size when given none, and stdout
     * outlives this function. */
    static char outbuf[1 << 16];
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    /* Only the enriched records are written: no timeline messages to build. */
    dl_pipeline_set_timeline(ctx.pl, 0);
    if (timeml) {
        rc = extract_timeml(&ctx, argc - optind, argv + optind);
    } else if (optind == argc) {
        if (lines) {
            rc = extract_lines(&ctx, STDIN_FILENO, "<stdin>");
        } else {
            rc = extract_whole(&ctx, "/dev/stdin");
        }
    }
    for (int i = optind; i < argc && !rc && !timeml; i++) {
        if (lines) {
            int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                dl_logf(DL_LOG_ERROR, "extract", "%s: %s", argv[i], strerror(errno));
                rc = DL_EIO;
                break;
            }
            rc = extract_lines(&ctx, fd, argv[i]);
            close(fd);
        } else {
            rc = extract_whole(&ctx, argv[i]);
        }
    }
    if (fflush(stdout) != 0 && !rc) {
        dl_logf(DL_LOG_ERROR, "extract", "writing stdout: %s", strerror(errno));
        rc = DL_EIO;
    }
    dl_logf(DL_LOG_INFO, "extract", "done: %lu enriched, %lu rejected", ctx.ok, ctx.dead);
    status = rc ? 1 : ctx.dead ? 3 : 0;
out:
    dl_pipeline_free(ctx.pl);
    dl_config_free(&cfg);
    return status;
}

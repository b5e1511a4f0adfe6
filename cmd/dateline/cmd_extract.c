/*
 * dateline extract: raw messages from files or stdin -> enriched JSON lines
 * on stdout, no broker. Messages that are not articles are reported on
 * stderr (a JSON log line with the reason) and counted; the rest go on.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dateline/config.h"
#include "dateline/log.h"
#include "dateline/pipeline.h"

#define DL_MAX_THREADS 64
/* Lines per batch and thread in --threads mode: enough work per hand-off,
 * little memory (T17 articles are ~6.5 kB). */
#define DL_BATCH_PER_THREAD 64

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

/* ---- --threads: batches of lines, processed in parallel, written in order */

typedef struct batch_item {
    char *line;          /* malloc'd, without its newline */
    size_t len;
    unsigned long lineno;
    dl_result res;
    int rc;
} batch_item;

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    batch_item *items;
    size_t n;
    atomic_size_t next;    /* next item to take */
    unsigned long gen;     /* batch generation; workers wait for a new one */
    int busy;              /* workers still on the current batch */
    int stop;
} pool;

typedef struct worker {
    pool *pool;
    dl_pipeline *pl;
    pthread_t tid;
    int started;
} worker;

/* Takes items of the current batch until none is left. */
static void work(pool *pp, dl_pipeline *pl)
{
    size_t i;

    while ((i = atomic_fetch_add(&pp->next, 1)) < pp->n) {
        batch_item *it = &pp->items[i];
        dl_message msg = {{it->line, it->len}, {NULL, 0}, {NULL, 0}, -1, NULL, -1, -1};
        it->rc = dl_pipeline_process(pl, &msg, &it->res);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *pp = w->pool;
    unsigned long seen = 0;

    for (;;) {
        pthread_mutex_lock(&pp->mu);
        while (!pp->stop && pp->gen == seen)
            pthread_cond_wait(&pp->go, &pp->mu);
        if (pp->stop) {
            pthread_mutex_unlock(&pp->mu);
            return NULL;
        }
        seen = pp->gen;
        pthread_mutex_unlock(&pp->mu);
        work(pp, w->pl);
        pthread_mutex_lock(&pp->mu);
        if (--pp->busy == 0)
            pthread_cond_signal(&pp->done);
        pthread_mutex_unlock(&pp->mu);
    }
}

/* Processes pp->items[0..n) on every worker and the calling thread. */
static void run_batch(pool *pp, worker *ws, int n_workers)
{
    atomic_store(&pp->next, 0);
    pthread_mutex_lock(&pp->mu);
    pp->gen++;
    pp->busy = n_workers;
    pthread_cond_broadcast(&pp->go);
    pthread_mutex_unlock(&pp->mu);
    work(pp, ws[0].pl);
    pthread_mutex_lock(&pp->mu);
    while (pp->busy > 0)
        pthread_cond_wait(&pp->done, &pp->mu);
    pthread_mutex_unlock(&pp->mu);
}

static int extract_lines_parallel(extract_ctx *ctx, FILE *fp, const char *origin)
{
    int nt = ctx->threads, n_started = 0, rc = 0, eof = 0;
    size_t cap_batch = (size_t)nt * DL_BATCH_PER_THREAD;
    unsigned long lineno = 0;
    worker ws[DL_MAX_THREADS];
    pool pp;
    dl_err err = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    memset(ws, 0, sizeof(ws));
    memset(&pp, 0, sizeof(pp));
    pthread_mutex_init(&pp.mu, NULL);
    pthread_cond_init(&pp.go, NULL);
    pthread_cond_init(&pp.done, NULL);
    if (!(pp.items = calloc(cap_batch, sizeof(*pp.items)))) {
        rc = DL_ENOMEM;
        goto out;
    }
    /* Worker 0 is this thread with the main pipeline; the others get clones. */
    ws[0].pl = ctx->pl;
    for (int i = 1; i < nt; i++) {
        char msg[600];
        ws[i].pool = &pp;
        if (!(ws[i].pl = dl_pipeline_clone(ctx->pl, &err))) {
            dl_logf(DL_LOG_ERROR, "extract", "%s", dl_err_str(&err, msg, sizeof(msg)));
            rc = err.code ? err.code : DL_ENOMEM;
            goto out;
        }
        if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i])) {
            dl_logf(DL_LOG_ERROR, "extract", "cannot start a worker thread");
            rc = DL_ENOMEM;
            goto out;
        }
        ws[i].started = 1;
        n_started++;
    }
    while (!eof && !rc) {
        pp.n = 0;
        while (pp.n < cap_batch) {
            if ((n = getline(&line, &cap, fp)) < 0) {
                eof = 1;
                break;
            }
            lineno++;
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
            if (n == 0)
                continue;
            batch_item *it = &pp.items[pp.n++];
            memset(it, 0, sizeof(*it));
            it->line = line; /* the item takes the buffer; getline allocates anew */
            it->len = (size_t)n;
            it->lineno = lineno;
            line = NULL;
            cap = 0;
        }
        if (pp.n)
            run_batch(&pp, ws, n_started);
        for (size_t i = 0; i < pp.n; i++) {
            batch_item *it = &pp.items[i];
            if (it->rc && !rc) {
                dl_logf(DL_LOG_ERROR, "extract", "%s: out of memory", origin);
                rc = it->rc;
            }
            if (!rc)
                emit(ctx, &it->res, origin, it->lineno);
            dl_result_fini(&it->res);
            free(it->line);
            it->line = NULL;
        }
    }
    if (!rc && ferror(fp)) {
        dl_logf(DL_LOG_ERROR, "extract", "%s: read error", origin);
        rc = DL_EIO;
    }
out:
    pthread_mutex_lock(&pp.mu);
    pp.stop = 1;
    pthread_cond_broadcast(&pp.go);
    pthread_mutex_unlock(&pp.mu);
    for (int i = 1; i < nt; i++) {
        if (ws[i].started)
            pthread_join(ws[i].tid, NULL);
        dl_pipeline_free(ws[i].pl);
    }
    free(pp.items);
    free(line);
    pthread_cond_destroy(&pp.done);
    pthread_cond_destroy(&pp.go);
    pthread_mutex_destroy(&pp.mu);
    return rc;
}

static int extract_lines(extract_ctx *ctx, FILE *fp, const char *origin)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int rc = 0;

    if (ctx->threads > 1)
        return extract_lines_parallel(ctx, fp, origin);

    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue; /* blank lines separate nothing: not messages */
        if ((rc = process(ctx, line, (size_t)n, origin, lineno)))
            break;
    }
    free(line);
    if (!rc && ferror(fp)) {
        dl_logf(DL_LOG_ERROR, "extract", "%s: read error", origin);
        rc = DL_EIO;
    }
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
    if (timeml) {
        rc = extract_timeml(&ctx, argc - optind, argv + optind);
    } else if (optind == argc) {
        if (lines) {
            rc = extract_lines(&ctx, stdin, "<stdin>");
        } else {
            rc = extract_whole(&ctx, "/dev/stdin");
        }
    }
    for (int i = optind; i < argc && !rc && !timeml; i++) {
        if (lines) {
            FILE *fp = fopen(argv[i], "rb");
            if (!fp) {
                dl_logf(DL_LOG_ERROR, "extract", "%s: %s", argv[i], strerror(errno));
                rc = DL_EIO;
                break;
            }
            rc = extract_lines(&ctx, fp, argv[i]);
            fclose(fp);
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

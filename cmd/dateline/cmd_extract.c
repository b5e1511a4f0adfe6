/*
 * dateline extract: raw messages from files or stdin -> enriched JSON lines
 * on stdout, no broker. Messages that are not articles are reported on
 * stderr (a JSON log line with the reason) and counted; the rest go on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dateline/config.h"
#include "dateline/log.h"
#include "dateline/pipeline.h"

typedef struct extract_ctx {
    dl_pipeline *pl;
    unsigned long ok, dead;
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
            "      --log-level L    debug | info | warn | error\n"
            "  -h, --help           this help\n"
            "\n"
            "Without -c, rules come from $DATELINE_RULES, else config/rules/en\n"
            "under the current directory.\n"
            "Exit status: 0 when every message was enriched, 3 when some were\n"
            "rejected (each is logged with its reason), 1 on errors.\n");
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
    return 0;
}

static int extract_lines(extract_ctx *ctx, FILE *fp, const char *origin)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int rc = 0;

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
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *rules = NULL, *format = NULL, *level = NULL;
    int lines = 0, timeml = 0, opt, rc = 0, status;
    dl_config cfg;
    dl_err err = {0};
    char msg[600];
    extract_ctx ctx = {0};

    while ((opt = getopt_long(argc, argv, "c:lr:f:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 'l': lines = 1; break;
        case 'r': rules = optarg; break;
        case 'f': format = optarg; break;
        case 'L': level = optarg; break;
        case 'T': timeml = 1; break;
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

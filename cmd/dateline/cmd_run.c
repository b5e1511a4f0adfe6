/* dateline run: the Kafka stage (the work is in pipeline/runtime/stage.c). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dateline/config.h"
#include "dateline/http.h"
#include "dateline/log.h"
#include "dateline/metrics.h"
#include "dateline/pipeline.h"
#include "dateline/stage.h"

#include "cmd.h"

/* The one global (STYLE.md): set by SIGTERM/SIGINT, read by the stage loop. */
static volatile sig_atomic_t run_stop;
/* Set by SIGHUP; the stage calls run_reload() between messages, which clears it. */
static volatile sig_atomic_t run_reload_flag;
/* Lets the signal handler fail /ready at once (dl_metrics_set_running() is
 * one lock-free atomic store, async-signal-safe); set before the handlers. */
static dl_metrics *run_metrics;

static void run_on_hup(int sig)
{
    (void)sig;
    run_reload_flag = 1;
}

static void run_on_signal(int sig)
{
    /* A second signal means "now", even while the stage is blocked inside
     * librdkafka (flushing, committing, leaving the group), which polling a
     * flag cannot promise. Nothing unacknowledged has been stored, so it is
     * consumed again after a restart. _exit() is async-signal-safe; this is
     * the one thing a handler of ours does besides setting the flag. */
    if (run_stop)
        _exit(128 + sig);
    run_stop = 1;
    if (run_metrics)
        dl_metrics_set_running(run_metrics, 0);
}

static void run_usage(FILE *fp)
{
    fprintf(fp, "usage: dateline run -c CONFIG [--log-level LEVEL]\n"
                "\n"
                "Consume topics.input, enrich every article, and produce enriched records to\n"
                "topics.enriched and messages that are not articles to topics.dead_letter.\n"
                "An input offset is committed only after its outputs are acknowledged\n"
                "(at-least-once).\n"
                "\n"
                "options:\n"
                "  -c, --config FILE      configuration file (required)\n"
                "      --log-level LEVEL  debug, info, warn or error (overrides log.level)\n"
                "  -h, --help             show this help\n"
                "\n"
                "SIGHUP reloads the rules (extract.rules) between two messages; if they do\n"
                "not compile, the old rules stay and the error is logged.\n"
                "\n"
                "With http.listen set, serves GET /metrics (Prometheus), /healthz (the loop\n"
                "turns) and /ready (partitions assigned, a broker answers; fails from the\n"
                "start of a shutdown). See docs/dateline-run.md.\n"
                "\n"
                "SIGTERM or SIGINT stops in order: stop fetching, flush within\n"
                "runtime.shutdown_grace_ms, commit, leave the group, exit 0. A second signal\n"
                "exits at once without committing unacknowledged work.\n"
                "\n"
                "exit status: 0 after a requested stop; 1 for configuration or rules errors\n"
                "and fatal Kafka errors; 2 for usage errors.\n");
}

static void run_install_signals(void)
{
    dl_cmd_signal(SIGTERM, run_on_signal);
    dl_cmd_signal(SIGINT, run_on_signal);
    dl_cmd_signal(SIGHUP, run_on_hup);
}

typedef struct run_reload_ctx {
    const dl_config *cfg;
    dl_metrics *metrics;
    dl_pipeline **owner; /* cmd_run's pipeline variable: it frees the current one */
} run_reload_ctx;

/* SIGHUP: a new pipeline with freshly compiled rules, or NULL (keep the old). */
static dl_pipeline *run_reload(dl_pipeline *cur, void *arg)
{
    run_reload_ctx *ctx = arg;
    dl_pipeline *pl;
    dl_err err;
    char buf[600];

    run_reload_flag = 0;
    dl_err_clear(&err);
    if (!(pl = dl_pipeline_new(ctx->cfg, &err))) {
        const char *kv[] = {"error", dl_err_str(&err, buf, sizeof(buf)), "rules",
                            ctx->cfg->extract.rules, "kept", dl_pipeline_rules_hash(cur), NULL};

        dl_log_write(DL_LOG_ERROR, "run", "rules reload failed; keeping the old rules", kv);
        dl_metrics_rules_reload(ctx->metrics, 0);
        return NULL;
    }
    {
        const char *kv[] = {"rules", ctx->cfg->extract.rules, "old", dl_pipeline_rules_hash(cur),
                            "new", dl_pipeline_rules_hash(pl), NULL};

        dl_log_write(DL_LOG_INFO, "run", "rules reloaded", kv);
    }
    dl_metrics_set_rules_hash(ctx->metrics, dl_pipeline_rules_hash(pl));
    dl_metrics_rules_reload(ctx->metrics, 1);
    dl_pipeline_free(cur);
    *ctx->owner = pl;
    return pl;
}

/* Counters of the stage into the metrics registry (stage thread, ~1/s). */
static void run_on_stats(const dl_stage_stats *stats, void *arg)
{
    run_reload_ctx *ctx = arg;

    dl_metrics_set_consumed(ctx->metrics, stats->consumed);
    dl_metrics_set_rebalances(ctx->metrics, stats->rebalances);
    dl_metrics_set_produced(ctx->metrics, ctx->cfg->topics.enriched, stats->enriched);
    dl_metrics_set_produced(ctx->metrics, ctx->cfg->topics.dead_letter, stats->dead_letters);
    if (dl_config_timeline(ctx->cfg))
        dl_metrics_set_produced(ctx->metrics, ctx->cfg->topics.timeline, stats->timeline);
    for (size_t i = 0; i < stats->n_reasons; i++)
        dl_metrics_set_dead_letters(ctx->metrics, stats->reasons[i].reason, stats->reasons[i].n);
}

int dl_cmd_run(int argc, char **argv)
{
    const char *path = NULL, *level_name = NULL, *value;
    dl_log_level level;
    dl_config cfg;
    dl_err err;
    char buf[1024];
    dl_pipeline *pl = NULL;
    dl_stage *st = NULL;
    dl_metrics *metrics = NULL;
    dl_http *http = NULL;
    run_reload_ctx reload_ctx;
    int rc, status = 1;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            run_usage(stdout);
            return 0;
        }
        if ((rc = dl_cmd_opt("run", argc, argv, &i, "-c", "--config", &value)) != 0) {
            if (rc < 0)
                return 2;
            path = value;
        } else if ((rc = dl_cmd_opt("run", argc, argv, &i, NULL, "--log-level", &value)) != 0) {
            if (rc < 0)
                return 2;
            level_name = value;
        } else {
            fprintf(stderr, "dateline run: unknown argument '%s'\n", argv[i]);
            run_usage(stderr);
            return 2;
        }
    }
    if (level_name) {
        if (dl_log_level_parse(level_name, &level)) {
            fprintf(stderr, "dateline run: --log-level: '%s' is not debug, info, warn or error\n",
                    level_name);
            return 2;
        }
        dl_log_set_level(level);
    }
    if (!path) {
        fprintf(stderr, "dateline run: missing -c CONFIG\n");
        run_usage(stderr);
        return 1;
    }

    memset(&cfg, 0, sizeof(cfg));
    dl_err_clear(&err);
    if (dl_config_load(path, &cfg, &err)) {
        fprintf(stderr, "%s\n", dl_err_str(&err, buf, sizeof(buf)));
        dl_config_free(&cfg);
        return 1;
    }
    if (!level_name)
        dl_log_set_level(cfg.log.level);
    if (!(pl = dl_pipeline_new(&cfg, &err))) {
        fprintf(stderr, "%s\n", dl_err_str(&err, buf, sizeof(buf)));
        goto out;
    }
    if (!(metrics = dl_metrics_new())) {
        fprintf(stderr, "dateline run: out of memory\n");
        goto out;
    }
    dl_metrics_set_rules_hash(metrics, dl_pipeline_rules_hash(pl));
    if (cfg.http.listen[0]) {
        /* A revocation may hold the loop for the grace period and more. */
        int stall_ms = 2 * cfg.runtime.shutdown_grace_ms + 30000;

        if (!(http = dl_http_start(cfg.http.listen, metrics, stall_ms, &err))) {
            fprintf(stderr, "dateline run: %s\n", dl_err_str(&err, buf, sizeof(buf)));
            goto out;
        }
    }
    /* Before any client exists: librdkafka's threads block signals, so
     * they are delivered to this thread and only set the flag. */
    run_metrics = metrics;
    run_install_signals();
    if (!(st = dl_stage_new(&cfg, pl, &run_stop, &err))) {
        fprintf(stderr, "%s\n", dl_err_str(&err, buf, sizeof(buf)));
        goto out;
    }
    reload_ctx = (run_reload_ctx){&cfg, metrics, &pl};
    dl_stage_set_metrics(st, metrics);
    dl_stage_on_stats(st, run_on_stats, &reload_ctx);
    dl_stage_on_reload(st, &run_reload_flag, run_reload, &reload_ctx);
    if (dl_stage_run(st, &err)) {
        fprintf(stderr, "dateline run: %s\n", dl_err_str(&err, buf, sizeof(buf)));
        goto out;
    }
    status = 0;
out:
    dl_stage_destroy(st);
    /* After the stage: /ready already fails, and no probe uses its clients. */
    dl_http_stop(http);
    run_metrics = NULL;
    dl_metrics_free(metrics);
    dl_pipeline_free(pl);
    dl_config_free(&cfg);
    return status;
}

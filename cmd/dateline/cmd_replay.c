/* dateline replay: backfill a time or offset range (the work is in pipeline/runtime/replay.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dateline/config.h"
#include "dateline/log.h"
#include "dateline/pipeline.h"
#include "dateline/replay.h"

#include "cmd.h"

/* The one global (STYLE.md): set by SIGTERM/SIGINT, read by the replay loop. */
static volatile sig_atomic_t replay_stop;

static void replay_on_signal(int sig)
{
    /* A second signal exits at once; the checkpoint holds only what was
     * acknowledged, so a resume redoes the rest. */
    if (replay_stop)
        _exit(128 + sig);
    replay_stop = 1;
}

static void replay_usage(FILE *fp)
{
    fprintf(fp,
            "usage: dateline replay -c CONFIG [--from T] [--to T] [--from-offset P:O,...]\n"
            "                       [--to-offset P:O,...] [--topic NAME] [--partitions LIST]\n"
            "                       [--output-prefix PREFIX] [--rate N] [--dry-run]\n"
            "                       [--checkpoint FILE | --checkpoint-group GROUP]\n"
            "                       [--progress auto|bar|json|none] [--progress-interval S]\n"
            "\n"
            "Re-process a range of topics.input (or --topic) through the same pipeline as\n"
            "`dateline run`, without joining or committing to the live consumer group\n"
            "(kafka.group_id): partitions are assigned manually and each stops at the end\n"
            "of its range. Enriched records keep their keys and carry \"replay\": true and\n"
            "the rules hash (also as headers dateline.replay and dateline.rules_hash).\n"
            "\n"
            "range (start inclusive, end exclusive; end never past the high watermark at\n"
            "start, so a replay always finishes):\n"
            "  --from T, --to T         message timestamps; T is RFC 3339\n"
            "                           (2020-10-01T00:00:00Z), a date (2020-10-01, UTC) or\n"
            "                           epoch milliseconds. Start offsets come from the\n"
            "                           broker's offsets-for-times lookup; messages in the\n"
            "                           range whose timestamp is outside [from, to) are skipped\n"
            "  --from-offset SPEC       first offset per partition: P:O[,P:O...], or O for\n"
            "                           every partition (overrides --from for those)\n"
            "  --to-offset SPEC         end offset (exclusive), same form (overrides --to)\n"
            "  --topic NAME             topic to replay (default topics.input)\n"
            "  --partitions LIST        only these partitions, e.g. 0,2,5-7 (default: all, or\n"
            "                           the partitions named by --from-offset/--to-offset)\n"
            "\n"
            "output and pacing:\n"
            "  --output-prefix PREFIX   produce to PREFIX + each output topic's name\n"
            "                           (topics.enriched, .timeline unless it is \"\",\n"
            "                           .dead_letter; they must exist) instead of the live\n"
            "                           output topics\n"
            "  --rate N                 at most N messages per second\n"
            "  --dry-run                print the ranges and counts; process nothing\n"
            "  --progress MODE          bar (terminal), json (log lines), none; default auto:\n"
            "                           a bar if stderr is a terminal, else JSON lines\n"
            "  --progress-interval S    seconds between JSON progress lines (default 5)\n"
            "\n"
            "resuming (delivery: at_least_once checkpoints only acknowledged offsets;\n"
            "delivery: exactly_once commits records and progress in one transaction and\n"
            "needs --checkpoint-group):\n"
            "  --checkpoint FILE        keep the ranges and progress in FILE; running the same\n"
            "                           command again continues where it stopped\n"
            "  --checkpoint-group G     the same, as committed offsets of consumer group G\n"
            "                           (never kafka.group_id)\n"
            "\n"
            "  -c, --config FILE        configuration file (required)\n"
            "      --log-level LEVEL    debug, info, warn or error (overrides log.level)\n"
            "  -h, --help               show this help\n"
            "\n"
            "exit status: 0 when every range is done (or after --dry-run); 4 when stopped\n"
            "by a signal before the end (run it again with the same checkpoint to resume);\n"
            "1 for configuration, rules and Kafka errors; 2 for usage errors.\n");
}

static int replay_number(const char *name, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || v < 0) {
        fprintf(stderr, "dateline replay: %s: '%s' is not a non-negative number\n", name, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Parses the arguments into @p o. @returns 0, or the exit status. */
static int replay_args(int argc, char **argv, dl_replay_opts *o, const char **path,
                       const char **level_name)
{
    const char *v;
    dl_err err;
    double num;
    int rc;

    for (int i = 1; i < argc; i++) {
        dl_err_clear(&err);
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            replay_usage(stdout);
            return -1;
        }
        if (!strcmp(argv[i], "--dry-run")) {
            o->dry_run = 1;
            continue;
        }
#define REPLAY_TRY(shrt, lng) ((rc = dl_cmd_opt("replay", argc, argv, &i, shrt, lng, &v)) != 0)
        if (REPLAY_TRY("-c", "--config")) {
            if (rc < 0)
                return 2;
            *path = v;
        } else if (REPLAY_TRY(NULL, "--log-level")) {
            if (rc < 0)
                return 2;
            *level_name = v;
        } else if (REPLAY_TRY(NULL, "--from")) {
            if (rc < 0)
                return 2;
            if (dl_replay_parse_time(v, &o->from_ms, &err))
                goto bad;
        } else if (REPLAY_TRY(NULL, "--to")) {
            if (rc < 0)
                return 2;
            if (dl_replay_parse_time(v, &o->to_ms, &err))
                goto bad;
        } else if (REPLAY_TRY(NULL, "--from-offset")) {
            if (rc < 0)
                return 2;
            free(o->from_off.items);
            if (dl_replay_parse_offsets(v, &o->from_off, &err))
                goto bad;
        } else if (REPLAY_TRY(NULL, "--to-offset")) {
            if (rc < 0)
                return 2;
            free(o->to_off.items);
            if (dl_replay_parse_offsets(v, &o->to_off, &err))
                goto bad;
        } else if (REPLAY_TRY(NULL, "--topic")) {
            if (rc < 0)
                return 2;
            o->topic = v;
        } else if (REPLAY_TRY(NULL, "--partitions")) {
            if (rc < 0)
                return 2;
            free(o->partitions);
            if (dl_replay_parse_partitions(v, &o->partitions, &o->n_partitions, &err))
                goto bad;
        } else if (REPLAY_TRY(NULL, "--output-prefix")) {
            if (rc < 0)
                return 2;
            o->output_prefix = v;
        } else if (REPLAY_TRY(NULL, "--rate")) {
            if (rc < 0 || replay_number("--rate", v, &o->rate))
                return 2;
        } else if (REPLAY_TRY(NULL, "--checkpoint")) {
            if (rc < 0)
                return 2;
            o->checkpoint_path = v;
        } else if (REPLAY_TRY(NULL, "--checkpoint-group")) {
            if (rc < 0)
                return 2;
            o->checkpoint_group = v;
        } else if (REPLAY_TRY(NULL, "--progress")) {
            if (rc < 0)
                return 2;
            if (dl_progress_mode_parse(v, &o->progress)) {
                fprintf(stderr,
                        "dateline replay: --progress: '%s' is not auto, bar, json or none\n", v);
                return 2;
            }
        } else if (REPLAY_TRY(NULL, "--progress-interval")) {
            if (rc < 0 || replay_number("--progress-interval", v, &num))
                return 2;
            o->progress_interval_ms = num * 1000 < 100 ? 100 : (int)(num * 1000);
        } else {
            fprintf(stderr, "dateline replay: unknown argument '%s'\n", argv[i]);
            replay_usage(stderr);
            return 2;
        }
#undef REPLAY_TRY
        continue;
    bad:
        fprintf(stderr, "dateline replay: %s: %s\n", argv[i], err.msg);
        return 2;
    }
    if (o->from_ms >= 0 && o->to_ms >= 0 && o->from_ms >= o->to_ms) {
        fprintf(stderr, "dateline replay: --from must be before --to\n");
        return 2;
    }
    if (o->checkpoint_path && o->checkpoint_group) {
        fprintf(stderr, "dateline replay: use --checkpoint or --checkpoint-group, not both\n");
        return 2;
    }
    return 0;
}

static void replay_install_signals(void)
{
    dl_cmd_signal(SIGTERM, replay_on_signal);
    dl_cmd_signal(SIGINT, replay_on_signal);
}

int dl_cmd_replay(int argc, char **argv)
{
    const char *path = NULL, *level_name = NULL;
    dl_replay_opts o;
    dl_log_level level;
    dl_config cfg;
    dl_err err;
    dl_replay_stats stats;
    char buf[1024];
    dl_pipeline *pl = NULL;
    dl_replay *rp = NULL;
    int rc, status = 1;

    dl_replay_opts_init(&o);
    memset(&cfg, 0, sizeof(cfg));
    if ((rc = replay_args(argc, argv, &o, &path, &level_name)) != 0) {
        dl_replay_opts_fini(&o);
        return rc < 0 ? 0 : rc;
    }
    if (level_name) {
        if (dl_log_level_parse(level_name, &level)) {
            fprintf(stderr,
                    "dateline replay: --log-level: '%s' is not debug, info, warn or error\n",
                    level_name);
            dl_replay_opts_fini(&o);
            return 2;
        }
        dl_log_set_level(level);
    }
    if (!path) {
        fprintf(stderr, "dateline replay: missing -c CONFIG\n");
        replay_usage(stderr);
        dl_replay_opts_fini(&o);
        return 2;
    }
    dl_err_clear(&err);
    if (dl_config_load(path, &cfg, &err)) {
        fprintf(stderr, "%s\n", dl_err_str(&err, buf, sizeof(buf)));
        goto out;
    }
    if (!level_name)
        dl_log_set_level(cfg.log.level);
    if (!o.dry_run && !(pl = dl_pipeline_new(&cfg, &err))) {
        fprintf(stderr, "%s\n", dl_err_str(&err, buf, sizeof(buf)));
        goto out;
    }
    replay_install_signals();
    if (!(rp = dl_replay_new(&cfg, pl, &o, &replay_stop, &err)) || dl_replay_plan(rp, &err)) {
        fprintf(stderr, "dateline replay: %s\n", dl_err_str(&err, buf, sizeof(buf)));
        goto out;
    }
    if (o.dry_run) {
        dl_replay_print_plan(rp, stdout);
        status = 0;
        goto out;
    }
    if (dl_replay_run(rp, &stats, &err)) {
        fprintf(stderr, "dateline replay: %s\n", dl_err_str(&err, buf, sizeof(buf)));
        goto out;
    }
    printf("replay %s: %llu messages read (%llu enriched, %llu dead letters, %llu outside the "
           "window; %llu timeline messages), %lld of %lld done, %.1f s, %.0f msg/s\n",
           stats.complete ? "complete" : "stopped", (unsigned long long)stats.consumed,
           (unsigned long long)stats.enriched, (unsigned long long)stats.dead,
           (unsigned long long)stats.skipped, (unsigned long long)stats.timeline,
           (long long)stats.done, (long long)stats.total, stats.seconds,
           stats.seconds > 0 ? (double)stats.consumed / stats.seconds : 0.0);
    fflush(stdout);
    status = stats.complete ? 0 : 4;
out:
    dl_replay_destroy(rp);
    dl_pipeline_free(pl);
    dl_config_free(&cfg);
    dl_replay_opts_fini(&o);
    return status;
}

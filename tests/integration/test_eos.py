#!/usr/bin/env python3
"""Integration test of `dateline run` with delivery: exactly_once against a
real Kafka broker (ctest label kafka, fixture kafka; helpers from
test_run.py): a trickle's records become visible to read_committed readers
as soon as the stage has caught up, not at runtime.commit_interval_ms.

1. runs the stage on tests/integration/run.yaml switched to exactly_once with
   commit_interval_ms of 10 minutes;
2. produces 12 T17 articles, waits, then 8 more: each batch's enriched
   records must be readable with isolation.level=read_committed (kcat's
   default) within 20 s while the stage still runs, and the group's
   committed offsets must cover the input (they are committed in the same
   transactions);
3. stops it with SIGTERM (exit 0): exactly one enriched record per article.
"""
import argparse
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import (INPUT_PARTITIONS, Stage, TopicReader, committed_total,  # noqa: E402
                      create_topic, log, produce_lines, read_brokers, run_test)

BATCHES = (12, 8)
VISIBLE_S = 20  # far below the 10-minute commit interval


def eos_config(repo, work_dir):
    """run.yaml with exactly_once and a commit interval longer than the test."""
    with open(os.path.join(repo, "tests", "integration", "run.yaml")) as f:
        text = f.read()
    text = re.sub(r"(?m)^delivery: .*$", "delivery: exactly_once", text)
    text = re.sub(r"(?m)^(  rules: )\S+.*$",
                  lambda m: m.group(1) + os.path.join(repo, "config", "rules", "en"), text)
    # (run.yaml has a runtime section: the interval joins it)
    text, n = re.subn(r"(?m)^runtime:\n", "runtime:\n  commit_interval_ms: 600000\n", text)
    if n != 1:
        text += "runtime:\n  commit_interval_ms: 600000\n"
    path = os.path.join(work_dir, "eos.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(c, args, repo, kafka_run, work_dir, readers, stages):
    dateline = os.path.abspath(args.dateline)
    config = eos_config(repo, work_dir)
    with open(os.path.join(repo, "..", "shared", "data", "news", "raw", "t17.msgs"), "rb") as f:
        t17 = [next(f).rstrip(b"\n") for _ in range(sum(BATCHES))]
    brokers = read_brokers(kafka_run, repo)
    prefix = "dl-eos-%d-%d-" % (os.getpid(), int(time.time()))
    topics = {k: prefix + v for k, v in (("input", "articles"), ("enriched", "enriched"),
                                          ("timeline", "timeline"), ("dead_letter", "dlq"))}
    for name, parts in ((topics["input"], INPUT_PARTITIONS), (topics["enriched"], 3),
                        (topics["timeline"], 3), (topics["dead_letter"], 1)):
        create_topic(repo, kafka_run, name, parts)
    enriched_r = TopicReader(brokers, topics["enriched"])  # read_committed
    readers.append(enriched_r)
    env = dict(os.environ)
    env.update({"DATELINE_BROKERS": brokers, "DL_TOPIC_PREFIX": prefix,
                "DL_GROUP": prefix + "group", "DL_MAX_BYTES": "1048576"})
    stage = Stage(dateline, config, env, work_dir, "eos1")
    stages.append(stage)

    sent = 0
    for n in BATCHES:
        # Prefixed "date ...": run.yaml does not date by Kafka timestamp.
        produce_lines(brokers, topics["input"], t17[sent:sent + n])
        sent += n
        t0 = time.monotonic()
        ok = enriched_r.wait_for(sent, VISIBLE_S, stage.proc)
        log("batch of %d: %d committed records visible after %.1fs" % (
            n, enriched_r.count(), time.monotonic() - t0))
        c.check(ok, "exactly_once: a caught-up stage commits; %d records visible to "
                "read_committed within %ds (commit interval 10 min)" % (sent, VISIBLE_S),
                "%d visible" % enriched_r.count())
        if not c.check(stage.alive(), "the stage keeps running", "exit %r" % stage.proc.returncode):
            return
        if args.tool:
            done = committed_total(args.tool, brokers, env["DL_GROUP"], topics["input"])
            c.check(done == sent, "the transactions committed the consumed offsets",
                    "%d of %d" % (done, sent))
        time.sleep(2)
    rc = stage.stop(signal.SIGTERM, timeout=60)
    c.check(rc == 0, "the stage exits 0 on SIGTERM", "exit code %r" % rc)
    time.sleep(2)
    keys = [m["key"] for m in enriched_r.messages()]
    c.check(len(keys) == sent and len(set(keys)) == sent,
            "one enriched record per article, none twice", "%d records, %d keys" % (
                len(keys), len(set(keys))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--tool", help="tests/integration/dl_kafka_tool (committed offsets)")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--kafka-run")
    ap.add_argument("--work-dir")
    return run_test("test_eos", run, ap.parse_args(), "dl-eos-")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Integration test of `dateline replay` against a real Kafka broker.

Started by ctest (tests/integration/CMakeLists.txt, label kafka) inside the
`kafka` fixture, or by hand:

    scripts/kafka.sh start
    python3 tests/integration/test_replay.py --dateline build/dateline \
        --tool build/tests/integration/dl_kafka_tool --source-dir .
    scripts/kafka.sh stop

On fresh topics (a unique prefix per run):

1. produces 600 articles with known timestamps across 3 partitions (one per
   second, in order), plus, inside the window, one message that is not UTF-8
   (a dead letter) and one whose timestamp is far in the past (inside the
   offset range, outside the time window);
2. commits offsets for the live group (kafka.group_id) and remembers them;
3. --dry-run reports the ranges and counts;
4. replays a time window to --output-prefix topics: exactly the window's
   articles come out (no more, no less), with their keys, "replay": true,
   the rules hash, valid against schema/enriched.v1.json; the dead letter
   has its headers; JSON progress lines are logged;
5. interrupts a rate-limited replay with SIGINT (exit 4, checkpoint saved),
   resumes it: together the two runs cover the window with no gap;
6. a finished checkpoint replays nothing; a group checkpoint
   (--checkpoint-group) with --from-offset/--to-offset covers exactly those
   offsets and commits its end offsets to its own group; the live group is
   refused as a checkpoint group;
7. delivery: exactly_once: a replay killed with SIGKILL and resumed from its
   group leaves every window article exactly once for read_committed readers;
8. the live group's committed offsets are unchanged.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import Checks, Fatal, create_topic, read_brokers  # noqa: E402

PARTITIONS = 3
PER_PARTITION = 200
BASE_TS = 1600000000000  # 2020-09-13T12:26:40Z
STEP_MS = 1000
WIN_FROM_I, WIN_TO_I = 40, 130  # per-partition message indexes of the window [from, to)


def consume(brokers, topic):
    """Every message of a topic: dicts with key, value, headers, partition, offset."""
    r = subprocess.run(["kcat", "-C", "-b", brokers, "-t", topic, "-e", "-q", "-J"],
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        raise Fatal("kcat consume %s: %s" % (topic, r.stderr.decode(errors="replace")))
    out = []
    for line in r.stdout.splitlines():
        m = json.loads(line.decode("utf-8", "surrogateescape"))
        hdrs = m.get("headers") or []
        out.append({"key": m.get("key"), "value": m.get("payload"),
                    "headers": dict(zip(hdrs[0::2], hdrs[1::2])),
                    "partition": m["partition"], "offset": m["offset"]})
    return out


def tool(args, what, stdin=None):
    r = subprocess.run([ARGS.tool] + args, input=stdin, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise Fatal("dl_kafka_tool %s failed: %s" % (what, r.stderr.decode(errors="replace")))
    return r.stdout.decode()


def committed(brokers, group, topic):
    out = tool(["committed", brokers, group, topic, str(PARTITIONS)], "committed")
    return {int(p): int(o) for p, o in (line.split() for line in out.splitlines())}


def replay(env, *args, timeout=300):
    cmd = [ARGS.dateline, "replay", "-c", CONFIG] + list(args)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def log_lines(stderr):
    out = []
    for line in stderr.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def main():
    global ARGS, CONFIG
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--tool", required=True, help="dl_kafka_tool")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--kafka-run")
    ap.add_argument("--work-dir", default=None)
    ARGS = ap.parse_args()
    repo = os.path.abspath(ARGS.source_dir)
    CONFIG = os.path.join(repo, "tests", "integration", "replay.yaml")
    work = ARGS.work_dir or os.path.join(repo, "build", "kafka_replay")
    os.makedirs(work, exist_ok=True)
    c = Checks()

    brokers = read_brokers(ARGS.kafka_run, repo)
    prefix = "rp%d-%d." % (os.getpid(), int(time.time()))
    live_group = prefix + "live"
    env = dict(os.environ, DATELINE_BROKERS=brokers, DL_TOPIC_PREFIX=prefix, DL_GROUP=live_group,
               DL_LOG_LEVEL="info")
    topic = prefix + "articles"
    # The articles are dated 2020: without retention.ms=-1 the broker's
    # time-based retention (24 h in scripts/kafka.sh) would delete them.
    create_topic(repo, ARGS.kafka_run, topic, 3, "retention.ms=-1")
    for name, parts in [("enriched", 3), ("dlq", 1), ("timeline", 1)]:
        create_topic(repo, ARGS.kafka_run, prefix + name, parts)
    for out in ("bf1.", "bf2.", "bf3.", "bf4."):
        create_topic(repo, ARGS.kafka_run, out + prefix + "enriched", 3)
        create_topic(repo, ARGS.kafka_run, out + prefix + "dlq", 1)
        create_topic(repo, ARGS.kafka_run, out + prefix + "timeline", 1)

    # ---- 1. messages with known timestamps
    win_from = BASE_TS + WIN_FROM_I * STEP_MS * PARTITIONS
    win_to = BASE_TS + WIN_TO_I * STEP_MS * PARTITIONS
    lines, expected, outside = [], set(), set()
    for i in range(PER_PARTITION):
        for p in range(PARTITIONS):
            n = i * PARTITIONS + p
            ts = BASE_TS + n * STEP_MS
            key = "a%d-%d" % (p, i)
            if p == 1 and i == 60:
                # Not UTF-8: a dead letter, inside the window.
                lines.append(b"%d\t%d\tbad-utf8\t date 2020-10-27 Caf\xe9 \xff is not UTF-8."
                             % (p, ts))
                continue
            if p == 0 and i == 70:
                # Inside the offset range, but its own timestamp is a year earlier.
                lines.append(b"%d\t%d\told-ts\t date 2019-09-01 Filed late, dated long ago."
                             % (p, ts - 365 * 86400 * 1000))
                continue
            day = 1 + n % 28
            lines.append(("%d\t%d\t%s\t date 2020-10-%02d Article %d of partition %d opened "
                          "on Monday, the day after the vote." % (p, ts, key, day, i, p)).encode())
            if win_from <= ts < win_to:
                expected.add(key)
            else:
                outside.add(key)
    tool(["produce", brokers, topic], "produce", stdin=b"\n".join(lines) + b"\n")
    c.check(len(expected) == (WIN_TO_I - WIN_FROM_I) * PARTITIONS - 2,
            "window holds %d articles" % len(expected))

    # ---- 2. the live group has committed offsets
    live_before = {0: 17, 1: 23, 2: 5}
    tool(["commit", brokers, live_group, topic,
          ",".join("%d:%d" % kv for kv in sorted(live_before.items()))], "commit")
    c.check(committed(brokers, live_group, topic) == live_before, "live group offsets committed")

    rfc_from = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(win_from / 1000))
    window = ["--from", rfc_from, "--to", str(win_to)]

    # ---- 3. dry run
    r = replay(env, *(window + ["--dry-run"]))
    c.check(r.returncode == 0, "dry run exits 0 (got %d: %s)" % (r.returncode, r.stderr[-500:]))
    per_part = WIN_TO_I - WIN_FROM_I
    c.check("3 partitions, %d messages" % (per_part * PARTITIONS) in r.stdout,
            "dry run counts: %r" % r.stdout)
    for p in range(PARTITIONS):
        c.check("partition %-3d offsets [%d, %d)" % (p, WIN_FROM_I, WIN_TO_I) in r.stdout,
                "dry run range of partition %d: %r" % (p, r.stdout))
    c.check(consume(brokers, "bf1." + prefix + "enriched") == [], "dry run produced nothing")

    # ---- 4. the window, exactly
    ck1 = os.path.join(work, prefix + "ck1.json")
    r = replay(env, *(window + ["--output-prefix", "bf1.", "--checkpoint", ck1,
                                "--progress", "json", "--progress-interval", "0.1"]))
    c.check(r.returncode == 0, "window replay exits 0 (got %d: %s)" % (r.returncode, r.stderr[-800:]))
    print(r.stdout.strip())
    recs = consume(brokers, "bf1." + prefix + "enriched")
    keys = [m["key"] for m in recs]
    c.check(set(keys) == expected,
            "window replay: exactly the window (missing %s, extra %s)"
            % (sorted(expected - set(keys))[:5], sorted(set(keys) - expected)[:5]))
    c.check(len(keys) == len(set(keys)), "window replay: no duplicates (%d records, %d keys)"
            % (len(keys), len(set(keys))))
    c.check(not (set(keys) & outside) and "old-ts" not in keys, "nothing outside the window")
    try:
        import jsonschema
        with open(os.path.join(repo, "schema", "enriched.v1.json")) as f:
            validator = jsonschema.Draft202012Validator(json.load(f))
    except ImportError:
        validator = None
    bad_schema = bad_tag = 0
    hashes = set()
    for m in recs:
        rec = json.loads(m["value"])
        if rec.get("replay") is not True or rec["id"] != m["key"]:
            bad_tag += 1
        if m["headers"].get("dateline.replay") != "true":
            bad_tag += 1
        hashes.add((rec["extractor"]["rules_hash"], m["headers"].get("dateline.rules_hash")))
        if validator and list(validator.iter_errors(rec)):
            bad_schema += 1
    c.check(bad_tag == 0, "every record has replay:true, its key and replay headers (%d bad)"
            % bad_tag)
    c.check(len(hashes) == 1 and len({h for pair in hashes for h in pair}) == 1,
            "one rules hash, in record and header: %s" % hashes)
    c.check(bad_schema == 0, "records valid against schema/enriched.v1.json (%d invalid)"
            % bad_schema)
    tl = consume(brokers, "bf1." + prefix + "timeline")
    c.check(len(tl) >= len(expected) and all(m["headers"].get("dateline.replay") == "true"
                                             for m in tl),
            "timeline messages (one per dated event) with the replay header: %d" % len(tl))
    c.check(not consume(brokers, prefix + "timeline"), "nothing on the live timeline topic")
    dead = consume(brokers, "bf1." + prefix + "dlq")
    c.check([m["key"] for m in dead] == ["bad-utf8"], "one dead letter: %s"
            % [m["key"] for m in dead])
    if dead:
        h = dead[0]["headers"]
        c.check(h.get("dateline.error.reason") == "invalid_utf8" and
                h.get("dateline.replay") == "true" and
                h.get("dateline.error.topic") == topic, "dead-letter headers: %s" % h)
    logs = log_lines(r.stderr)
    prog = [l for l in logs if l.get("msg") == "progress"]
    c.check(len(prog) >= 1 and prog[-1].get("done") == prog[-1].get("total") ==
            str(per_part * PARTITIONS), "JSON progress lines end at done == total: %s"
            % (prog[-1] if prog else None))
    fin = [l for l in logs if l.get("msg") == "finished"]
    c.check(bool(fin) and fin[0].get("skipped") == "1" and fin[0].get("complete") == "true",
            "finished: one skipped (outside the window), complete: %s" % (fin[:1],))
    with open(ck1) as f:
        ck = json.load(f)
    c.check(all(x["next"] == x["end"] for x in ck["ranges"]), "checkpoint complete: %s" % ck)

    # ---- 6a. a finished checkpoint replays nothing
    r = replay(env, *(window + ["--output-prefix", "bf1.", "--checkpoint", ck1,
                                "--progress", "none"]))
    c.check(r.returncode == 0 and "0 messages read" in r.stdout,
            "rerun of a finished checkpoint reads nothing: %r" % r.stdout)
    c.check(len(consume(brokers, "bf1." + prefix + "enriched")) == len(recs),
            "rerun produced nothing")

    # ---- 5. interrupt, then resume: no gap
    ck2 = os.path.join(work, prefix + "ck2.json")
    cmd = [ARGS.dateline, "replay", "-c", CONFIG] + window + [
        "--output-prefix", "bf2.", "--checkpoint", ck2, "--rate", "30", "--progress", "json",
        "--progress-interval", "0.2"]
    errf = open(os.path.join(work, prefix + "interrupted.log"), "w+")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=errf, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
        errf.seek(0)
        prog = [l for l in log_lines(errf.read()) if l.get("msg") == "progress"]
        if prog and int(prog[-1]["done"]) >= 40:
            break
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    c.check(proc.returncode == 4, "interrupted replay exits 4 (got %s)" % proc.returncode)
    first = consume(brokers, "bf2." + prefix + "enriched")
    with open(ck2) as f:
        ck = json.load(f)
    done = sum(x["next"] - x["start"] for x in ck["ranges"])
    total = sum(x["end"] - x["start"] for x in ck["ranges"])
    c.check(0 < done < total, "checkpoint after interrupt: %d of %d done" % (done, total))
    c.check(len(first) < len(expected), "interrupted before the end (%d records)" % len(first))
    r = replay(env, *(window + ["--output-prefix", "bf2.", "--checkpoint", ck2,
                                "--progress", "none"]))
    c.check(r.returncode == 0, "resumed replay exits 0 (got %d: %s)" % (r.returncode, r.stderr[-500:]))
    print(r.stdout.strip())
    both = [m["key"] for m in consume(brokers, "bf2." + prefix + "enriched")]
    c.check(set(both) == expected, "interrupt + resume: no gap, nothing extra (missing %s, extra %s)"
            % (sorted(expected - set(both))[:5], sorted(set(both) - expected)[:5]))
    dups = len(both) - len(set(both))
    c.check(dups <= 50, "at-least-once duplicates after resume are few (%d)" % dups)
    print("interrupt/resume: %d records before the interrupt, %d after resume, %d duplicates"
          % (len(first), len(both), dups))

    # ---- 6b. offsets, with a checkpoint in a group of its own
    own = prefix + "replay-ck"
    r = replay(env, "--from-offset", "0:10,1:20", "--to-offset", "0:20,1:25", "--output-prefix",
               "bf3.", "--checkpoint-group", own, "--progress", "none")
    c.check(r.returncode == 0, "offset replay exits 0 (got %d: %s)" % (r.returncode, r.stderr[-500:]))
    keys3 = sorted(m["key"] for m in consume(brokers, "bf3." + prefix + "enriched"))
    want3 = sorted(["a0-%d" % i for i in range(10, 20)] + ["a1-%d" % i for i in range(20, 25)])
    c.check(keys3 == want3, "offset ranges replayed exactly: %s" % keys3)
    got_own = committed(brokers, own, topic)
    c.check(got_own.get(0) == 20 and got_own.get(1) == 25,
            "checkpoint group has the end offsets: %s" % got_own)
    r = replay(env, "--from-offset", "0", "--checkpoint-group", live_group, "--dry-run")
    c.check(r.returncode != 0 and "live group" in r.stderr,
            "the live group is refused as checkpoint group (%d: %s)" % (r.returncode, r.stderr[-300:]))

    # ---- 8. exactly-once: kill -9 mid-replay, resume; read_committed sees each article once
    eos_env = dict(env, DL_DELIVERY="exactly_once")
    r = replay(eos_env, *(window + ["--output-prefix", "bf4.", "--checkpoint",
                                    os.path.join(work, prefix + "ck4.json")]))
    c.check(r.returncode == 1 and "--checkpoint-group" in r.stderr,
            "exactly_once needs --checkpoint-group (%d: %s)" % (r.returncode, r.stderr[-300:]))
    eos_group = prefix + "replay-eos"
    cmd = [ARGS.dateline, "replay", "-c", CONFIG] + window + [
        "--output-prefix", "bf4.", "--checkpoint-group", eos_group, "--rate", "100",
        "--progress", "json", "--progress-interval", "0.1"]
    errf = open(os.path.join(work, prefix + "killed.log"), "w+")
    proc = subprocess.Popen(cmd, env=eos_env, stdout=subprocess.DEVNULL, stderr=errf, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
        errf.seek(0)
        prog = [l for l in log_lines(errf.read()) if l.get("msg") == "progress"]
        # past a committed transaction (1 s) and into the next one
        if prog and int(prog[-1]["done"]) >= 150:
            break
    proc.kill()
    proc.wait(timeout=30)
    c.check(proc.returncode == -signal.SIGKILL, "exactly-once replay killed (%s)" % proc.returncode)
    r = replay(eos_env, *(window + ["--output-prefix", "bf4.", "--checkpoint-group", eos_group,
                                    "--progress", "none"]))
    c.check(r.returncode == 0, "exactly-once resume exits 0 (got %d: %s)"
            % (r.returncode, r.stderr[-500:]))
    print(r.stdout.strip())
    # The resume's last commit returns before its markers are written: a
    # read_committed reader started at once can stop short of it.
    st = subprocess.run([ARGS.tool, "settled", brokers, "bf4." + prefix + "enriched", "60"],
                        capture_output=True, text=True, timeout=120)
    c.check(st.returncode == 0, "exactly-once resume leaves no transaction open (%s)"
            % st.stderr.strip())
    rc = subprocess.run(["kcat", "-C", "-b", brokers, "-t", "bf4." + prefix + "enriched", "-e",
                         "-q", "-X", "isolation.level=read_committed", "-f", "%k\n"],
                        capture_output=True, text=True, timeout=120)
    eos_keys = rc.stdout.split()
    c.check(set(eos_keys) == expected and len(eos_keys) == len(expected),
            "exactly-once after kill -9 + resume: each window article once (%d records, %d keys, "
            "%d expected)" % (len(eos_keys), len(set(eos_keys)), len(expected)))
    got_eos = committed(brokers, eos_group, topic)
    c.check(all(got_eos[p] == WIN_TO_I for p in range(PARTITIONS)),
            "exactly-once group holds the end offsets: %s" % got_eos)

    # ---- 7. the live group
    live_after = committed(brokers, live_group, topic)
    c.check(live_after == live_before, "live group's committed offsets unchanged: %s -> %s"
            % (live_before, live_after))

    print("%d passed, %d failed" % (c.passed, len(c.failed)))
    return 1 if c.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fatal as e:
        print("FATAL: %s" % e, file=sys.stderr)
        sys.exit(1)

#!/usr/bin/env python3
"""Fault tests of `dateline run` against a real Kafka broker (ctest label fault).

    python3 tests/fault/fault_test.py --scenario kill --delivery at_least_once \
        --dateline build/dateline --source-dir . --kafka-run DIR

Scenarios (each on fresh topics, input with 4 partitions):

  kill    20,000 messages are produced while the stage runs; it is killed
          with SIGKILL at random points and restarted, 5 times; a last
          instance finishes and is stopped with SIGTERM (must exit 0).
  broker  10,000 messages; the broker is restarted (scripts/kafka.sh restart)
          twice while they flow. A stage that stops on a fatal client error
          is restarted, as its supervisor would (at most 3 times).
  group   10,000 messages; instances A and B share the group; A is killed
          mid-stream and C joins; B and C finish.
  requests  (at_least_once; needs --tool, not --kafka-run) 10,000 messages
          through librdkafka's mock cluster (3 brokers, `dl_kafka_tool mock`)
          for the faults a real broker cannot be made to show on cue: Produce,
          Fetch and OffsetCommit requests failing with retriable errors, the
          output partitions' leaders moving, and a broker down for 3 s. The
          mock keeps no transactional offsets (TxnOffsetCommit stores nothing)
          and hides no aborted records from read_committed readers, so
          exactly_once is checked against the real broker only; and its
          idempotence is exact only with one request in flight (fault.yaml).
  bad     4,000 messages, 10% bad of every kind (invalid UTF-8, no date,
          impossible date, malformed JSON, JSON without text, empty, over
          input.max_bytes, enriched record over extract.max_record_bytes, and
          enriched record over the enriched topic's max.message.bytes, which
          the broker rejects); every bad one must be on the dead-letter topic
          with its reason and every good one enriched, in input order per
          partition.

--order key --long-bytes N runs the stage with runtime.order key and one
long-article worker for messages of N bytes or more (fault_kill_key_*:
about half the articles, 118-127 bytes, are long at 122), so records of a
partition are produced out of its order while offsets still move over its
done prefix; the assertions are the same.

Assertions: at_least_once: every good input id is in the output at least
once. exactly_once: once no transaction is open on the outputs (dl_kafka_tool
settled: none is left hanging by the stages), read with
isolation.level=read_committed, every good id is in the output exactly once
(and every bad one on the dead-letter topic exactly once). The last line is "N passed, N failed"; a summary line reports
sent / received / duplicated / lost.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

PARTITIONS = 4
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def log(msg):
    print("[fault %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what + (": " + detail if detail else ""))
            log("FAIL " + what + (": " + detail if detail else ""))


class MockCluster:
    """librdkafka's mock cluster in `dl_kafka_tool mock` (see its usage),
    driven by one command per line on its stdin."""

    def __init__(self, tool, brokers, work_dir):
        self.err = open(os.path.join(work_dir, "mock.stderr.log"), "wb")
        self.proc = subprocess.Popen([tool, "mock", str(brokers)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("DATELINE_BROKERS="):
            raise RuntimeError("mock cluster did not start: %r" % line)
        self.brokers = line.split("=", 1)[1]

    def command(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().decode().strip()
        if answer != "ok":
            raise RuntimeError("mock %r: %s" % (line, answer))
        log("mock: " + line)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        self.err.close()


# Kafka API keys and error codes (the protocol's numbers) of the mock faults.
API_PRODUCE, API_FETCH, API_OFFSET_COMMIT = 0, 1, 8
ERR_NOT_LEADER, ERR_TIMED_OUT, ERR_COORDINATOR_NOT_AVAILABLE, ERR_NOT_COORDINATOR = 6, 7, 15, 16


def mock_faults(mock, topics, rnd):
    """The requests scenario's faults, a second or two apart while the
    input flows."""
    steps = [
        lambda: mock.command("errors %d %d 5" % (API_PRODUCE, ERR_NOT_LEADER)),
        lambda: mock.command("errors %d %d 3" % (API_PRODUCE, ERR_TIMED_OUT)),
        lambda: mock.command("errors %d %d 3" % (API_FETCH, ERR_NOT_LEADER)),
        lambda: [mock.command("leader %s %d %d" % (topics["enriched"], p, 1 + (p + 1) % 3))
                 for p in range(PARTITIONS)],
        lambda: mock.command("errors %d %d 3" % (API_OFFSET_COMMIT,
                                                 ERR_COORDINATOR_NOT_AVAILABLE)),
        lambda: mock.command("errors %d %d 2" % (API_OFFSET_COMMIT, ERR_NOT_COORDINATOR)),
    ]
    for step in steps:
        time.sleep(rnd.uniform(0.5, 1.5))
        step()
    mock.command("down 2")
    time.sleep(3)
    mock.command("up 2")


def log_records(stage):
    """The stage's JSON log lines so far, parsed; a line still being
    written, or not JSON, is skipped."""
    recs = []
    try:
        with open(stage.err_path, "rb") as f:
            for line in f:
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return recs


def wait_log(stage, msg, timeout):
    """Waits until the stage has logged a line with this msg."""
    end = time.time() + timeout
    while time.time() < end and stage.proc.poll() is None:
        if any(rec.get("msg") == msg for rec in log_records(stage)):
            return True
        time.sleep(0.2)
    return False


def saw_broker_down(stage, broker_id):
    """Whether librdkafka, in the stage's log, lost or could not reach
    broker @p broker_id (its lines name a broker "host:port/ID")."""
    for rec in log_records(stage):
        msg = rec.get("msg", "") if rec.get("mod") == "rdkafka" else ""
        if "/%d: " % broker_id in msg and ("Disconnected" in msg or "Connect to" in msg):
            return True
    return False


def read_env(kafka_run):
    env = {}
    with open(os.path.join(kafka_run, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v
    return env


def create_topic(repo, kafka_run, name, partitions, *configs):
    subprocess.run([os.path.join(repo, "scripts", "kafka.sh"), "create-topic", name,
                    str(partitions)] + list(configs) + [kafka_run],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


def article(i, rnd):
    """A small good article (text or JSON) whose id is its key."""
    mid = "m%05d" % i
    day = 1 + i % 28
    month = MONTHS[i % 12]
    if i % 5 == 0:
        return mid, json.dumps({"id": mid, "date": "2020-10-27",
                                "text": "Article %s. The deal closed on %s %d, two weeks after "
                                        "talks began." % (mid, month, day)}).encode()
    return mid, (" date 2020-10-27 Article %s. Shares rose on Monday after the %s %d "
                 "announcement; the merger is expected next year." % (mid, month, day)).encode()


def dates_article(n):
    return (" date 2020-10-27 " + " ".join(
        "Sales rose on %s %d, %d." % (MONTHS[i % 12], 1 + i % 28, 2000 + i % 20)
        for i in range(n))).encode()


# (reason, value maker). The record-size classes depend on the config below:
# extract.max_record_bytes 100000, enriched topic max.message.bytes 40000.
BAD_KINDS = [
    ("invalid_utf8", lambda i: b" date 2020-10-27 Caf\xe9 \xff\xfe not UTF-8 %d." % i),
    ("no_date", lambda i: b"An article %d without any date prefix at all." % i),
    ("bad_date", lambda i: b" date 2020-02-30 No thirtieth of February (%d)." % i),
    ("malformed_json", lambda i: b"{\"id\": \"x%d\", not json" % i),
    ("no_text", lambda i: json.dumps({"id": "j%d" % i, "date": "2020-10-27"}).encode()),
    ("empty", lambda i: b""),
    ("oversize", lambda i: b" date 2020-10-27 " + b"Too long. " * 2600),
    ("extract_too_large", lambda i: dates_article(600)),
    ("produce_failed", lambda i: dates_article(200)),
]


def write_input(path, items):
    """kcat -l input: key TAB value per line; values must not contain newlines."""
    with open(path, "wb") as f:
        for key, value in items:
            assert b"\n" not in value and b"\t" not in key.encode()
            f.write(key.encode() + b"\t" + value + b"\n")


def produce_file(brokers, topic, path):
    # Idempotent, and patient enough to ride out a broker restart without
    # failing or duplicating the input.
    r = subprocess.run(["kcat", "-P", "-b", brokers, "-t", topic, "-K", "\t", "-l",
                        "-X", "message.max.bytes=2000000", "-X", "linger.ms=20",
                        "-X", "enable.idempotence=true", "-X", "message.timeout.ms=120000",
                        path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("kcat produce failed: %s" % r.stderr.decode(errors="replace"))


class Producer(threading.Thread):
    """Produces the input in chunks over time, so the stage faces a flow."""

    def __init__(self, brokers, topic, items, work_dir, chunks, pause):
        super().__init__(daemon=True)
        self.brokers, self.topic, self.items = brokers, topic, items
        self.work_dir, self.chunks, self.pause = work_dir, chunks, pause
        self.error = None
        # Held while a chunk is produced: a broker restart waits for it, so
        # the input itself is never lost or duplicated by the restart.
        self.lock = threading.Lock()

    def run(self):
        try:
            n = len(self.items)
            for c in range(self.chunks):
                part = self.items[c * n // self.chunks:(c + 1) * n // self.chunks]
                path = os.path.join(self.work_dir, "input-%d.txt" % c)
                write_input(path, part)
                with self.lock:
                    produce_file(self.brokers, self.topic, path)
                os.unlink(path)
                time.sleep(self.pause)
        except Exception as e:  # reported by the main thread
            self.error = str(e)


def consume_all(brokers, topic, committed, work_dir, headers=False):
    """Reads a whole topic (kcat -J, to the end). Returns parsed envelopes."""
    path = os.path.join(work_dir, "out-%s.jsonl" % topic)
    cmd = ["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-q", "-J",
           "-X", "isolation.level=%s" % ("read_committed" if committed else "read_uncommitted")]
    with open(path, "wb") as out:
        subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL, timeout=300, check=True)
    msgs = []
    with open(path, "rb") as f:
        for line in f:
            try:
                msgs.append(json.loads(line.decode("utf-8", errors="replace"), strict=False))
            except ValueError:
                msgs.append({"undecodable": True})
    return msgs


def hdr(m, name):
    hs = m.get("headers") or []
    # kcat -J: ["k1", "v1", "k2", "v2", ...]
    for i in range(0, len(hs) - 1, 2):
        if hs[i] == name:
            return hs[i + 1]
    return None


class Stage:
    def __init__(self, args, env, work_dir, name):
        self.name = name
        self.err_path = os.path.join(work_dir, name + ".stderr.log")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([args.dateline, "run", "-c", args.config], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.err.close()

    def term(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "timeout"
        self.err.close()
        return rc

    def tail(self, n=15):
        try:
            with open(self.err_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


def stage_env(args, brokers, prefix, group, txn_id, extra=None):
    env = dict(os.environ)
    env.update({
        "DATELINE_BROKERS": brokers,
        "DL_TOPIC_PREFIX": prefix,
        "DL_GROUP": group,
        "DL_DELIVERY": args.delivery,
        "DL_TXN_ID": txn_id,
        "DL_RULES": os.path.join(args.source_dir, "config", "rules", "en"),
    })
    if args.order == "key":
        env["DL_ORDER"] = "key"
    if args.long_bytes:
        env.update({"DL_LONG_WORKERS": "1", "DL_LONG_BYTES": str(args.long_bytes)})
    env.update(extra or {})
    return env


def wait_output(brokers, topic, want, timeout, committed, work_dir, stages, prod=None):
    """Polls the output until it holds `want` distinct keys or time runs out."""
    end = time.time() + timeout
    keys = set()
    while time.time() < end:
        if prod is not None and prod.error:
            return
        msgs = consume_all(brokers, topic, committed, work_dir)
        keys = {m.get("key") for m in msgs if "key" in m}
        if len(keys & want) >= len(want):
            return
        if stages and all(s.proc.poll() is not None for s in stages):
            return
        time.sleep(2)


def assess(c, args, brokers, topics, good, bad, work_dir, ordered):
    """Reads the outputs and checks them; prints the per-test numbers."""
    eos = args.delivery == "exactly_once"
    if eos:
        # A commit returns before its markers are written: read once the
        # stages' last transactions are complete on every partition (and
        # none is left hanging after they exited).
        for name in ("enriched", "dlq"):
            r = subprocess.run([args.tool, "settled", brokers, topics[name], "60"],
                               capture_output=True, text=True, timeout=120)
            c.check(r.returncode == 0, "no transaction left open on the %s topic" % name,
                    r.stderr.strip())
    enriched = consume_all(brokers, topics["enriched"], eos, work_dir)
    dlq = consume_all(brokers, topics["dlq"], eos, work_dir)
    c.check(not any("undecodable" in m for m in enriched + dlq), "outputs are decodable")
    counts = {}
    for m in enriched:
        counts[m.get("key")] = counts.get(m.get("key"), 0) + 1
    lost = [k for k in good if k not in counts]
    dups = sum(n - 1 for k, n in counts.items() if n > 1)
    unexpected = [k for k in counts if k not in good]
    dcounts = {}
    for m in dlq:
        dcounts[m.get("key")] = dcounts.get(m.get("key"), 0) + 1
    dlost = [k for k in bad if k not in dcounts]
    ddups = sum(n - 1 for k, n in dcounts.items() if n > 1)
    log("RESULT scenario=%s delivery=%s sent=%d (good %d, bad %d) received=%d enriched + %d "
        "dead letters, duplicated=%d + %d, lost=%d + %d"
        % (args.scenario, args.delivery, len(good) + len(bad), len(good), len(bad),
           len(enriched), len(dlq), dups, ddups, len(lost), len(dlost)))
    if lost:
        # Which side lost them: the input producer or the stage.
        inmsgs = consume_all(brokers, topics["input"], False, work_dir)
        inp = {m.get("key") for m in inmsgs}
        log("lost ids in the input topic: %d of %d" % (sum(k in inp for k in lost), len(lost)))
    c.check(not lost, "every good input id is enriched", "%d lost, e.g. %s" % (len(lost), lost[:5]))
    c.check(not unexpected, "no unexpected enriched ids", str(unexpected[:5]))
    c.check(not dlost, "every bad input id is dead-lettered", "%d lost, e.g. %s" % (len(dlost), dlost[:5]))
    if eos:
        c.check(dups == 0, "exactly once: no duplicate enriched records (read_committed)",
                "%d duplicates" % dups)
        c.check(ddups == 0, "exactly once: no duplicate dead letters (read_committed)",
                "%d duplicates" % ddups)
    for m in dlq:
        k = m.get("key")
        if k in bad:
            want = bad[k]
            got = hdr(m, "dateline.error.reason")
            c.check(got == want, "dead letter %s has reason %s" % (k, want), "got %r" % got)
            for h in ("dateline.error.stage", "dateline.error.topic", "dateline.error.partition",
                      "dateline.error.offset", "dateline.error.ts"):
                if hdr(m, h) is None:
                    c.check(False, "dead letter %s has header %s" % (k, h))
    # Per output partition, the records of one input partition must come in
    # input-offset order (ordered), or, with --order key, may not: how many
    # did not is logged (after a kill, replays count too).
    def out_of_order(msgs, src_of):
        last = {}
        n = 0
        for m in msgs:
            src = src_of(m)
            if src is None:
                continue
            key = (m.get("partition"), src[0])
            if key in last and src[1] <= last[key]:
                n += 1
            last[key] = src[1]
        return n

    def enriched_src(m):
        try:
            rec = json.loads(m["payload"])
            return rec["source"]["partition"], rec["source"]["offset"]
        except (KeyError, TypeError, ValueError):
            return None

    def dlq_src(m):
        # A produce_failed dead letter is written when the broker's
        # rejection comes back, after later messages' dead letters.
        if hdr(m, "dateline.error.reason") == "produce_failed":
            return None
        try:
            return int(hdr(m, "dateline.error.partition")), int(hdr(m, "dateline.error.offset"))
        except (TypeError, ValueError):
            return None

    if ordered:
        for msgs, src_of, what in ((enriched, enriched_src, "enriched"),
                                   (dlq, dlq_src, "dead letters")):
            n = out_of_order(msgs, src_of)
            c.check(n == 0, "%s: input order preserved per partition" % what,
                    "%d out of order" % n)
    elif args.order == "key":
        log("enriched records after a later one of their input partition: %d"
            % out_of_order(enriched, enriched_src))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True,
                    choices=["kill", "broker", "group", "bad", "requests"])
    ap.add_argument("--delivery", default="at_least_once", choices=["at_least_once", "exactly_once"])
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--kafka-run", help="scripts/kafka.sh state directory (real broker)")
    ap.add_argument("--tool", help="dl_kafka_tool: the requests scenario's mock cluster, and "
                    "exactly_once's wait for the last transaction's markers")
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--messages", type=int, default=0)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--order", choices=("partition", "key"), default="partition",
                    help="the stage's runtime.order")
    ap.add_argument("--long-bytes", type=int, default=0,
                    help="runtime.long_article_bytes with one long worker (0: none)")
    args = ap.parse_args()
    if args.order == "key" and args.scenario == "bad":
        ap.error("the bad scenario checks input order per partition: --order partition only")
    if args.scenario == "requests":
        if not args.tool or args.delivery != "at_least_once":
            ap.error("the requests scenario needs --tool and runs at_least_once only")
    elif not args.kafka_run:
        ap.error("--kafka-run is required")
    if args.delivery == "exactly_once" and not args.tool:
        ap.error("exactly_once needs --tool")
    args.source_dir = os.path.abspath(args.source_dir)
    args.dateline = os.path.abspath(args.dateline)
    args.config = os.path.join(args.source_dir, "tests", "fault", "fault.yaml")
    os.makedirs(args.work_dir, exist_ok=True)
    rnd = random.Random(args.seed)
    log("scenario %s, delivery %s, seed %d" % (args.scenario, args.delivery, args.seed))
    c = Checks()
    stages = []
    mock = None
    try:
        if args.scenario == "requests":
            mock = MockCluster(args.tool, 3, args.work_dir)
        run(c, args, rnd, stages, mock)
    except Exception as e:  # report, never hang
        c.check(False, "scenario ran to the end", repr(e))
    finally:
        for s in stages:
            if s.proc.poll() is None:
                s.kill()
        if mock:
            mock.close()
    for s in stages:
        if any(f for f in c.failed):
            log("---- %s stderr tail ----\n%s" % (s.name, s.tail()))
            break
    print("%d passed, %d failed" % (c.passed, len(c.failed)), flush=True)
    return 1 if c.failed else 0


def run(c, args, rnd, stages, mock):
    repo = args.source_dir
    brokers = mock.brokers if mock else read_env(args.kafka_run)["DATELINE_BROKERS"]
    tag = "%s-%s-%d-%d" % (args.scenario, "eos" if args.delivery == "exactly_once" else "alos",
                           os.getpid(), int(time.time()))
    prefix = "dl-fault-%s-" % tag
    group = "dl-fault-%s" % tag
    topics = {"input": prefix + "articles", "enriched": prefix + "enriched",
              "dlq": prefix + "dlq", "timeline": prefix + "timeline"}
    if mock:
        for t in ("input", "enriched", "dlq"):
            mock.command("topic %s %d" % (topics[t], PARTITIONS))
        mock.command("topic %s 1" % topics["timeline"])
    else:
        create_topic(repo, args.kafka_run, topics["input"], PARTITIONS,
                     "max.message.bytes=2000000")
        create_topic(repo, args.kafka_run, topics["enriched"], PARTITIONS,
                     "max.message.bytes=40000")
        create_topic(repo, args.kafka_run, topics["dlq"], PARTITIONS, "max.message.bytes=2000000")
        create_topic(repo, args.kafka_run, topics["timeline"], 1)

    n = args.messages or {"kill": 20000, "broker": 10000, "group": 10000, "bad": 4000,
                          "requests": 10000}[args.scenario]
    items, good, bad = [], set(), {}
    for i in range(n):
        if args.scenario == "bad" and i % 10 == 7:
            reason, make = BAD_KINDS[(i // 10) % len(BAD_KINDS)]
            key = "b%05d" % i
            items.append((key, make(i)))
            bad[key] = reason
        else:
            key, value = article(i, rnd)
            items.append((key, value))
            good.add(key)
    eos = args.delivery == "exactly_once"
    out_topic = topics["enriched"]

    def start(name, txn):
        # (fault.yaml says why the mock needs one request in flight.)
        extra = {"DL_MAX_IN_FLIGHT": "1"} if mock else None
        env = stage_env(args, brokers, prefix, group, "%s-%s" % (tag, txn), extra)
        s = Stage(args, env, args.work_dir, name)
        stages.append(s)
        return s

    chunks, pause = {"bad": (1, 0), "requests": (32, 0.5)}.get(args.scenario, (20, 0.5))
    prod = Producer(brokers, topics["input"], items, args.work_dir, chunks, pause)
    t0 = time.time()

    if args.scenario == "kill":
        prod.start()
        for cycle in range(5):
            s = start("kill-%d" % cycle, "a")
            time.sleep(rnd.uniform(1.0, 4.0))
            c.check(s.proc.poll() is None, "instance %d alive until killed" % cycle, s.tail())
            s.kill()
            log("cycle %d: killed with SIGKILL after %.1fs" % (cycle, time.time() - t0))
        last = start("last", "a")
        prod.join()
        wait_output(brokers, out_topic, good, 240, eos, args.work_dir, [last], prod)
        rc = last.term()
        c.check(rc == 0, "last instance exits 0 on SIGTERM", "rc %s: %s" % (rc, last.tail()))
    elif args.scenario == "broker":
        s = start("stage", "a")
        prod.start()
        for r in range(2):
            time.sleep(rnd.uniform(2.0, 4.0))
            with prod.lock:
                log("restarting the broker (%d)" % r)
                subprocess.run([os.path.join(repo, "scripts", "kafka.sh"), "restart",
                                args.kafka_run], check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=180)
        prod.join()
        # Like a supervisor (Kubernetes, systemd): a stage that stops on a
        # fatal client error is restarted. librdkafka 2.0 can turn an abort
        # after a broker restart into a fatal INVALID_TXN_STATE; the
        # transactional.id then fences the old epoch and the restart resumes
        # from the committed offsets, so exactly-once must still hold.
        restarts = 0
        while True:
            wait_output(brokers, out_topic, good, 240, eos, args.work_dir, [s], prod)
            rc = s.proc.poll()
            if rc is None or rc == 0 or restarts >= 3:
                break
            tail = s.tail(40)
            c.check("fatal" in tail.lower(), "a stage that stopped did so on a fatal client error",
                    "rc %s: %s" % (rc, tail))
            restarts += 1
            log("stage exited %s on a fatal client error; restart %d" % (rc, restarts))
            s.err.close()
            s = start("stage-r%d" % restarts, "a")
        rc = s.term()
        c.check(rc == 0, "stage (restarted %d times) exits 0 on SIGTERM" % restarts,
                "rc %s: %s" % (rc, s.tail()))
    elif args.scenario == "group":
        a = start("A", "a")
        b = start("B", "b")
        prod.start()
        time.sleep(rnd.uniform(3.0, 5.0))
        a.kill()
        log("A killed with SIGKILL; C joins")
        cc = start("C", "c")
        prod.join()
        wait_output(brokers, out_topic, good, 240, eos, args.work_dir, [b, cc], prod)
        for s in (b, cc):
            rc = s.term()
            c.check(rc == 0, "%s exits 0 on SIGTERM" % s.name, "rc %s: %s" % (rc, s.tail()))
    elif args.scenario == "requests":
        s = start("stage", "a")
        # The faults start once the stage is in the group and fetching, and
        # the input flows from then on, longer than the faults take (at
        # most 9 s, then broker 2 down for 3 s): with the input started
        # before the join, a quick stage had read it all before broker 2
        # went down, and never talked to it while it was down.
        c.check(wait_log(s, "partitions assigned", 60), "the stage joins the group", s.tail())
        prod.start()
        mock_faults(mock, topics, rnd)
        prod.join()
        wait_output(brokers, out_topic, good, 240, eos, args.work_dir, [s], prod)
        rc = s.term()
        c.check(rc == 0, "stage exits 0 on SIGTERM", "rc %s: %s" % (rc, s.tail()))
        c.check(saw_broker_down(s, 2), "the stage saw broker 2 go down", s.tail())
    else:
        prod.run()
        s = start("stage", "a")
        wait_output(brokers, out_topic, good, 240, eos, args.work_dir, [s])
        wait_output(brokers, topics["dlq"], set(bad), 60, eos, args.work_dir, [s])
        rc = s.term()
        c.check(rc == 0, "stage exits 0 on SIGTERM", "rc %s: %s" % (rc, s.tail()))
    c.check(prod.error is None, "input produced", str(prod.error))
    log("flow took %.1fs" % (time.time() - t0))
    assess(c, args, brokers, topics, good, bad, args.work_dir, ordered=args.scenario == "bad")


if __name__ == "__main__":
    sys.exit(main())

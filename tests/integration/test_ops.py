#!/usr/bin/env python3
"""Integration test of the operations side of `dateline run` against a real
Kafka broker: /metrics, /healthz, /ready and SIGHUP rule reloads.

Started by ctest (tests/integration/CMakeLists.txt, label kafka) inside the
`kafka` fixture, or by hand:

    scripts/kafka.sh start
    python3 tests/integration/test_ops.py --dateline build/dateline --source-dir .
    scripts/kafka.sh stop

What it does, on fresh topics (a unique prefix per run), with http.listen on
127.0.0.1 and a free port (read from the "serving" log line):

1. /healthz answers 200 from the start; /ready answers 503 before the group
   assigned partitions, then 200;
2. produces good articles and messages that are not articles, waits for the
   outputs on the topics, then scrapes /metrics until the counters equal
   what was processed: consumed, records produced per topic, dead letters
   per reason, the extract histogram's count, lag 0 on every partition,
   in-flight 0, build info and the rules hash `dateline --version -c` gives;
3. SIGHUP with a broken rule file: the old rules stay (log line, failed
   reload counted) and messages keep flowing; SIGHUP after fixing it: the
   rules are reloaded (counted, hash in /metrics);
4. SIGTERM while polling /ready every few milliseconds: it must answer 503
   before the process exits, and the exit code must be 0.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import (Checks, Fatal, Stage, TopicReader, create_topic,  # noqa: E402
                      produce_lines, read_brokers)

INPUT_PARTITIONS = 3
GOOD = 40
NO_DATE = 5
BAD_UTF8 = 3


def log(msg):
    print("[test_ops %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def http_get(port, path, timeout=5):
    """(status, body) or (None, error) when nothing answers."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        return None, str(e)


def parse_metrics(text):
    """{(name, frozenset(labels)): value} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$', line)
        if not m:
            raise ValueError("bad metrics line %r" % line)
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric(ms, name, **labels):
    return ms.get((name, frozenset(labels.items())))


def series(ms, name):
    return {dict(k[1]).get("partition", dict(k[1]).get("reason", "")): v
            for k, v in ms.items() if k[0] == name}


def wait_until(pred, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def article(i, day):
    return (" date 2020-10-%02d Ops test article %d. On Tuesday the council met again, and in "
            "August it had voted on the budget. Last year the plan was delayed." % (day, i)).encode()


def serving_port(stage, timeout=30):
    def find():
        for line in stage.stderr_lines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("mod") == "http" and rec.get("port"):
                return int(rec["port"])
        return None
    return wait_until(find, timeout, step=0.01)


def broker_pid(kafka_run, repo):
    """The broker's pid from kafka.sh's env file, or None."""
    env_file = os.path.join(kafka_run or os.path.join(repo, ".cache", "kafka", "run"), "env")
    try:
        with open(env_file) as f:
            for line in f:
                if line.startswith("DATELINE_KAFKA_PID="):
                    return int(line.strip().split("=", 1)[1])
    except (OSError, ValueError):
        pass
    return None


def log_has(stage, msg):
    for line in stage.stderr_lines():
        try:
            if json.loads(line).get("msg") == msg:
                return json.loads(line)
        except ValueError:
            pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--kafka-run", default=None)
    ap.add_argument("--work-dir", default=None)
    a = ap.parse_args()
    repo = os.path.abspath(a.source_dir)
    work = os.path.abspath(a.work_dir or os.path.join(repo, "build", "test_ops"))
    os.makedirs(work, exist_ok=True)
    c = Checks()
    readers, stages = [], []
    try:
        run(c, a, repo, work, readers, stages)
    except Fatal:
        pass
    finally:
        for st in stages:
            if st.alive():
                st.stop(signal.SIGKILL)
        for r in readers:
            r.close()
    print("%d passed, %d failed" % (c.passed, len(c.failed)))
    return 1 if c.failed else 0


def run(c, a, repo, work, readers, stages):
    brokers = read_brokers(a.kafka_run, repo)
    prefix = "ops-%d-%d." % (os.getpid(), int(time.time()))
    topics = {k: prefix + k for k in ("articles", "enriched", "timeline", "dlq")}
    create_topic(repo, a.kafka_run, topics["articles"], INPUT_PARTITIONS)
    for k in ("enriched", "timeline", "dlq"):
        create_topic(repo, a.kafka_run, topics[k], 1)

    # Our own copy of the rules, to break and fix for the reload checks.
    rules = os.path.join(work, "rules", "en")
    shutil.rmtree(os.path.join(work, "rules"), ignore_errors=True)
    shutil.copytree(os.path.join(repo, "config", "rules", "en"), rules)
    cfg = os.path.join(work, "ops.yaml")
    with open(cfg, "w") as f:
        f.write("""kafka:
  brokers: %s
  group_id: %sgroup
  consumer:
    auto.offset.reset: earliest
topics:
  input: %s
  enriched: %s
  timeline: %s
  dead_letter: %s
input:
  use_timestamp: false
extract:
  rules: rules/en
runtime:
  shutdown_grace_ms: 4000
http:
  listen: 127.0.0.1:0
""" % (brokers, prefix, topics["articles"], topics["enriched"], topics["timeline"], topics["dlq"]))

    r = subprocess.run([a.dateline, "--version", "-c", cfg], capture_output=True, text=True, timeout=60)
    m = re.search(r"^rules hash: (\S+)$", r.stdout, re.M)
    if not c.check(r.returncode == 0 and m, "dateline --version -c: %s %s" % (r.stdout, r.stderr)):
        raise Fatal("no rules hash")
    rules_hash = m.group(1)

    enriched = TopicReader(brokers, topics["enriched"])
    dlq = TopicReader(brokers, topics["dlq"])
    timeline = TopicReader(brokers, topics["timeline"])
    readers += [enriched, dlq, timeline]

    env = dict(os.environ)
    st = Stage(a.dateline, cfg, env, work, "ops")
    stages.append(st)
    port = serving_port(st)
    if not c.check(port, "the stage logs the HTTP port: %s" % st.tail()):
        raise Fatal("no HTTP port")
    # 1. Probes while starting: the endpoint is up before the Kafka clients.
    statuses = [tuple(x.strip() if isinstance(x, str) else x for x in http_get(port, "/ready"))]
    log("HTTP endpoint on 127.0.0.1:%d" % port)

    def ready_ok():
        s, body = http_get(port, "/ready")
        statuses.append((s, body.strip()))
        return s == 200
    first_health = http_get(port, "/healthz")
    c.check(first_health[0] == 200, "/healthz while starting: %r" % (first_health,))
    became_ready = wait_until(ready_ok, 60, step=0.05)
    c.check(became_ready, "/ready answers 200 after assignment: %s" % statuses[-3:])
    c.check(any(s == 503 for s, _ in statuses),
            "/ready answered 503 before partitions were assigned: %s" % statuses[:3])
    log("/ready: %d answers before 200, first %r" % (len(statuses) - 1, statuses[0]))
    s, body = http_get(port, "/nope")
    c.check(s == 404, "unknown path: 404 (%r)" % s)

    # 2. Traffic, then the counters.
    good = [article(i, 1 + i % 28) for i in range(GOOD)]
    no_date = [b"No date prefix in this message %d." % i for i in range(NO_DATE)]
    bad_utf8 = [b" date 2020-10-27 Bad \xff\xfe bytes %d." % i for i in range(BAD_UTF8)]
    for p in range(INPUT_PARTITIONS):
        produce_lines(brokers, topics["articles"], good[p::INPUT_PARTITIONS] + no_date[p::INPUT_PARTITIONS]
                      + bad_utf8[p::INPUT_PARTITIONS], partition=p)
    total = GOOD + NO_DATE + BAD_UTF8
    c.check(enriched.wait_for(GOOD, 120, st.proc), "enriched records: %d of %d" % (enriched.count(), GOOD))
    c.check(dlq.wait_for(NO_DATE + BAD_UTF8, 60, st.proc), "dead letters: %d" % dlq.count())

    def scrape():
        s, text = http_get(port, "/metrics")
        return parse_metrics(text) if s == 200 else {}

    def settled():
        ms = scrape()
        lag = series(ms, "dateline_consumer_lag")
        ok = (metric(ms, "dateline_messages_consumed_total") == total
              and metric(ms, "dateline_records_produced_total", topic=topics["enriched"]) == GOOD
              and metric(ms, "dateline_records_produced_total", topic=topics["dlq"]) == NO_DATE + BAD_UTF8
              and metric(ms, "dateline_inflight") == 0
              and len(lag) == INPUT_PARTITIONS and all(v == 0 for v in lag.values()))
        return ms if ok else None
    ms = wait_until(settled, 30, step=0.5) or scrape()
    c.check(metric(ms, "dateline_messages_consumed_total") == total,
            "consumed_total %r == %d" % (metric(ms, "dateline_messages_consumed_total"), total))
    c.check(metric(ms, "dateline_records_produced_total", topic=topics["enriched"]) == GOOD,
            "records_produced_total{enriched} %r == %d" % (
                metric(ms, "dateline_records_produced_total", topic=topics["enriched"]), GOOD))
    c.check(metric(ms, "dateline_records_produced_total", topic=topics["dlq"]) == NO_DATE + BAD_UTF8,
            "records_produced_total{dlq} == %d" % (NO_DATE + BAD_UTF8))
    # Timeline messages: as many as reached the topic (its reader may lag).
    n_tl = metric(ms, "dateline_records_produced_total", topic=topics["timeline"])
    timeline.wait_for(int(n_tl or 0), 30)
    c.check(n_tl is not None and n_tl == timeline.count(),
            "records_produced_total{timeline} %r == %d on the topic" % (n_tl, timeline.count()))
    dead = series(ms, "dateline_dead_letters_total")
    c.check(dead == {"no_date": NO_DATE, "invalid_utf8": BAD_UTF8}, "dead_letters_total by reason: %r" % dead)
    c.check(metric(ms, "dateline_extract_seconds_count") == total,
            "extract_seconds_count %r == %d" % (metric(ms, "dateline_extract_seconds_count"), total))
    c.check(metric(ms, "dateline_extract_seconds_bucket", le="+Inf") == total, "extract +Inf bucket")
    c.check((metric(ms, "dateline_extract_seconds_sum") or 0) > 0, "extract_seconds_sum > 0")
    # Every message's enriched record or dead letter was acknowledged, and
    # every input message has a (CreateTime) timestamp.
    for name in ("dateline_stage_seconds", "dateline_record_latency_seconds"):
        c.check(metric(ms, name + "_count") == total,
                "%s_count %r == %d" % (name, metric(ms, name + "_count"), total))
        c.check(0 < (metric(ms, name + "_sum") or 0) < total * 60, "%s_sum plausible" % name)
    lag = series(ms, "dateline_consumer_lag")
    c.check(len(lag) == INPUT_PARTITIONS and all(v == 0 for v in lag.values()),
            "consumer_lag 0 on %d partitions: %r" % (INPUT_PARTITIONS, lag))
    c.check((metric(ms, "dateline_rebalances_total") or 0) >= 1, "rebalances_total >= 1")
    c.check(metric(ms, "dateline_inflight") == 0, "inflight 0: %r" % metric(ms, "dateline_inflight"))
    c.check(metric(ms, "dateline_assigned_partitions") == INPUT_PARTITIONS, "assigned partitions")
    c.check(metric(ms, "dateline_rules_info", hash=rules_hash) == 1, "rules_info{hash=%s}" % rules_hash)
    c.check(any(k[0] == "dateline_build_info" for k in ms), "build_info present")
    # The exposition parses with Prometheus' own Python parser, if installed.
    try:
        from prometheus_client.parser import text_string_to_metric_families
        s, text = http_get(port, "/metrics")
        try:
            fams = {f.name: f.type for f in text_string_to_metric_families(text)}
            c.check(fams.get("dateline_extract_seconds") == "histogram"
                    and fams.get("dateline_messages_consumed") == "counter",
                    "prometheus_client parses /metrics: %r" % fams)
        except ValueError as e:
            c.check(False, "prometheus_client cannot parse /metrics: %s" % e)
    except ImportError:
        log("prometheus_client not installed: exposition checked by this test's parser only")

    # 3. SIGHUP: a broken rule file keeps the old rules; a fixed one reloads.
    broken = os.path.join(rules, "zz-broken.yaml")
    with open(broken, "w") as f:
        f.write("this: [is not: valid\n")
    st.proc.send_signal(signal.SIGHUP)
    failed = wait_until(lambda: log_has(st, "rules reload failed; keeping the old rules"), 20)
    c.check(failed, "failed reload logged: %s" % st.tail(5))
    ms = wait_until(lambda: (lambda m: m if metric(m, "dateline_rules_reloads_total", result="failed") == 1
                             else None)(scrape()), 10) or scrape()
    c.check(metric(ms, "dateline_rules_reloads_total", result="failed") == 1, "reloads{failed} == 1")
    c.check(metric(ms, "dateline_rules_info", hash=rules_hash) == 1, "old rules hash kept")
    c.check(st.alive(), "still running after a failed reload")
    more = [article(100 + i, 3) for i in range(6)]
    produce_lines(brokers, topics["articles"], more)
    c.check(enriched.wait_for(GOOD + len(more), 60, st.proc),
            "messages keep flowing after a failed reload: %d" % enriched.count())

    os.unlink(broken)
    with open(os.path.join(rules, "timex.yaml"), "a") as f:
        f.write("\n# touched by test_ops\n")
    st.proc.send_signal(signal.SIGHUP)
    ok = wait_until(lambda: log_has(st, "rules reloaded"), 20)
    c.check(ok, "reload logged: %s" % st.tail(5))
    ms = wait_until(lambda: (lambda m: m if metric(m, "dateline_rules_reloads_total", result="ok") == 1
                             else None)(scrape()), 10) or scrape()
    c.check(metric(ms, "dateline_rules_reloads_total", result="ok") == 1, "reloads{ok} == 1")
    new_hash = ok.get("new") if ok else None
    c.check(new_hash and metric(ms, "dateline_rules_info", hash=new_hash) == 1,
            "rules_info shows the new hash %r" % new_hash)
    after = [article(200 + i, 4) for i in range(4)]
    produce_lines(brokers, topics["articles"], after)
    n_before = GOOD + len(more)
    c.check(enriched.wait_for(n_before + len(after), 60, st.proc),
            "messages flow after the reload: %d" % enriched.count())
    done = GOOD + len(more) + len(after) + NO_DATE + BAD_UTF8
    ms = wait_until(lambda: (lambda m: m if metric(m, "dateline_messages_consumed_total") == done
                             else None)(scrape()), 20) or scrape()
    c.check(metric(ms, "dateline_messages_consumed_total") == done,
            "consumed_total %r == %d after reloads" % (metric(ms, "dateline_messages_consumed_total"), done))
    c.check(enriched.count() == GOOD + len(more) + len(after), "no message lost or duplicated across reloads: %d"
            % enriched.count())

    # 4. SIGTERM: /ready fails before the process is gone. The broker is
    # paused (SIGSTOP) meanwhile so that the orderly stop takes its grace
    # period (commit and group leave wait on it): a window wide enough to
    # observe on a loaded machine. The reason must say "stopping", not
    # "broker unreachable".
    seen = []
    stop_poll = threading.Event()

    def poll():
        while not stop_poll.is_set():
            seen.append((time.monotonic(),) + http_get(port, "/ready", timeout=2))
            time.sleep(0.003)
    t = threading.Thread(target=poll, daemon=True)
    t.start()
    wait_until(lambda: any(r[1] == 200 for r in list(seen)), 15, step=0.05)
    kpid = broker_pid(a.kafka_run, repo)
    t_term = time.monotonic()
    try:
        if kpid:
            os.kill(kpid, signal.SIGSTOP)
        rc = st.stop(signal.SIGTERM, timeout=60)
    finally:
        if kpid:
            os.kill(kpid, signal.SIGCONT)
    stop_poll.set()
    t.join(timeout=5)
    after_term = [(s_, b) for ts, s_, b in seen if ts >= t_term]
    stopping = [b for s_, b in after_term if s_ == 503 and "stopping" in b]
    c.check(rc == 0, "exit code after SIGTERM: %r" % rc)
    before = [(s_, b.strip()) for ts, s_, b in seen if ts < t_term]
    c.check(any(s_ == 200 for s_, _ in before), "/ready 200 before SIGTERM: %s" % before[-3:])
    c.check(stopping, "/ready answered 503 (stopping) during shutdown (answers after SIGTERM: %s)"
            % sorted(set(str(s_) for s_, _ in after_term)))
    log("after SIGTERM: %d answers, %d of them 503 stopping; broker %s" % (
        len(after_term), len(stopping), "paused" if kpid else "not paused (pid unknown)"))

    # Every stderr line is a JSON log line (librdkafka's included).
    bad = []
    for line in st.stderr_lines():
        try:
            rec = json.loads(line)
            if not all(k in rec for k in ("ts", "level", "mod", "msg")):
                bad.append(line)
        except ValueError:
            bad.append(line)
    c.check(not bad, "stderr is JSON log lines with ts, level, mod, msg: %r" % bad[:3])


if __name__ == "__main__":
    sys.exit(main())

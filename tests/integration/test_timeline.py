#!/usr/bin/env python3
"""Integration test of the timeline topic of `dateline run` against a real
Kafka broker (ctest label kafka, fixture kafka; helpers from test_run.py).

1. produces the seed article (key seed-000) and 40 T17 articles;
2. runs `dateline run -c tests/integration/run.yaml` until every article is
   enriched and the timeline topic holds one message per (event, person) of
   the enriched records (one per event without a person), then SIGTERMs it;
3. checks every timeline message against schema/timeline-event.v1.json, that
   its Kafka key is the person's normalised name (or the article id), that it
   matches an event of its article's enriched record, and the seed's
   per-person timeline: Chrissy Teigen's dated events under key
   "chrissy teigen", the 2020-08 event (no person) under the article id;
4. restarts the stage in the same group: nothing is produced again (offsets
   were stored only after every record of a message was acknowledged, and
   committed at shutdown);
5. runs the same articles through a stage with topics.timeline "" on topics
   of their own, with no timeline topic in the cluster: every article is
   enriched, with the same events as in step 2.
"""
import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import (Stage, TopicReader, create_topic, log, produce,  # noqa: E402
                      produce_lines, read_brokers, run_test)

T17_LINES = 40
SEED_KEY = "seed-000"


def name_key(name):
    return " ".join(name.replace("\u2019", "'").lower().split())


def expected_timeline(rec):
    """(key, event index) pairs the enriched record gives rise to."""
    ents = {e["id"]: e for e in rec["entities"]}
    out = []
    for i, ev in enumerate(rec["events"]):
        persons = [ents[x] for x in ev["entities"] if ents[x]["kind"] == "PERSON"]
        if persons:
            out += [(name_key(p["name"]), i) for p in persons]
        else:
            out.append((rec["id"], i))
    return out


def run(c, args, repo, kafka_run, work_dir, readers, stages):
    import jsonschema
    dateline = os.path.abspath(args.dateline)
    config = os.path.join(repo, "tests", "integration", "run.yaml")
    with open(os.path.join(repo, "schema", "timeline-event.v1.json")) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    with open(os.path.join(repo, "..", "shared", "seed", "article-000.txt"), "rb") as f:
        seed_value = f.read()
    with open(os.path.join(repo, "..", "shared", "data", "news", "raw", "t17.msgs"), "rb") as f:
        t17 = [next(f).rstrip(b"\n") for _ in range(T17_LINES)]
    brokers = read_brokers(kafka_run, repo)
    prefix = "dl-tl-%d-%d-" % (os.getpid(), int(time.time()))
    topics = {k: prefix + v for k, v in (("input", "articles"), ("enriched", "enriched"),
                                          ("timeline", "timeline"), ("dead_letter", "dlq"))}
    for name, parts in ((topics["input"], 3), (topics["enriched"], 3), (topics["timeline"], 3),
                        (topics["dead_letter"], 1)):
        create_topic(repo, kafka_run, name, parts)
    produce(brokers, topics["input"], seed_value, key=SEED_KEY)
    produce_lines(brokers, topics["input"], t17)
    n_good = 1 + len(t17)

    enriched_r = TopicReader(brokers, topics["enriched"])
    timeline_r = TopicReader(brokers, topics["timeline"])
    readers += [enriched_r, timeline_r]
    env = dict(os.environ)
    env.update({"DATELINE_BROKERS": brokers, "DL_TOPIC_PREFIX": prefix,
                "DL_GROUP": prefix + "group", "DL_MAX_BYTES": "200000"})

    stage = Stage(dateline, config, env, work_dir, "timeline1")
    stages.append(stage)
    if not enriched_r.wait_for(n_good, args.timeout, stage.proc):
        c.fatal("enriched %d of %d records" % (enriched_r.count(), n_good))
    recs = {m["key"].decode(): json.loads(m["value"]) for m in enriched_r.messages()}
    want = []
    for rec in recs.values():
        want += expected_timeline(rec)
    got_all = timeline_r.wait_for(len(want), 60, stage.proc)
    time.sleep(2)
    rc = stage.stop(signal.SIGTERM, timeout=60)
    c.check(rc == 0, "the stage exits 0 on SIGTERM", "exit code %r" % rc)
    c.check(got_all, "timeline: %d messages" % len(want), "got %d" % timeline_r.count())
    msgs = timeline_r.messages()
    log("timeline: %d messages for %d enriched records" % (len(msgs), len(recs)))

    got = []
    for m in msgs:
        v = json.loads(m["value"])
        errors = sorted(validator.iter_errors(v), key=str)
        c.check(not errors, "timeline message validates", "; ".join(e.message for e in errors[:2]))
        key = m["key"].decode() if m["key"] is not None else None
        c.check(key == v["key"], "message key is the record's key", "%r != %r" % (key, v["key"]))
        rec = recs.get(v["article"]["id"])
        if not c.check(rec is not None, "timeline message names an enriched article",
                       v["article"]["id"]):
            continue
        ev = rec["events"][v["event"]["index"]]
        c.check(ev["date"] == v["event"]["date"] and ev["summary"] == v["event"]["summary"],
                "timeline event is its article's event", v["event"]["date"])
        if v["person"]:
            c.check(key == name_key(v["person"]["name"]), "key is the person's normalised name",
                    key)
        else:
            c.check(key == v["article"]["id"], "an event without a person is keyed by article")
        got.append((key, v["event"]["index"]))
    c.check(sorted(got) == sorted(want), "one message per (event, person), no more, no less",
            "%d got, %d wanted" % (len(got), len(want)))

    seed = [json.loads(m["value"]) for m in msgs if json.loads(m["value"])["article"]["id"] == SEED_KEY]
    teigen = sorted(v["event"]["date"] for v in seed if v["key"] == "chrissy teigen")
    c.check({"2020-09", "2020-09-30", "2020-10", "2020-10-27"} <= set(teigen),
            "seed: Chrissy Teigen's timeline", str(teigen))
    c.check(all(v["person"]["age"] == 34 for v in seed if v["key"] == "chrissy teigen"),
            "seed: her age travels with her timeline")
    c.check(any(v["key"] == SEED_KEY and v["event"]["date"] == "2020-08" for v in seed),
            "seed: the 2020-08 event names no person and is keyed by the article")

    # Restart in the same group: everything was acknowledged and committed.
    stage = Stage(dateline, config, env, work_dir, "timeline2")
    stages.append(stage)
    time.sleep(12)
    rc = stage.stop(signal.SIGTERM, timeout=60)
    c.check(rc == 0, "the restarted stage exits 0", "exit code %r" % rc)
    time.sleep(2)
    c.check(timeline_r.count() == len(msgs), "a restart produces no timeline message again",
            "%d then %d" % (len(msgs), timeline_r.count()))

    # Timeline messages off: the stage needs no timeline topic (none exists
    # under this prefix, and brokers here never create topics on their own).
    off = prefix + "off-"
    for name, parts in ((off + "articles", 3), (off + "enriched", 3), (off + "dlq", 1)):
        create_topic(repo, kafka_run, name, parts)
    produce(brokers, off + "articles", seed_value, key=SEED_KEY)
    produce_lines(brokers, off + "articles", t17)
    with open(config) as f:
        text = f.read()
    text = text.replace("timeline: ${DL_TOPIC_PREFIX}timeline", 'timeline: ""')
    text = text.replace("../../config/rules/en", os.path.join(repo, "config", "rules", "en"))
    config_off = os.path.join(work_dir, "run-no-timeline.yaml")
    with open(config_off, "w") as f:
        f.write(text)
    off_r = TopicReader(brokers, off + "enriched")
    readers.append(off_r)
    stage = Stage(dateline, config_off, dict(env, DL_TOPIC_PREFIX=off, DL_GROUP=off + "group"),
                  work_dir, "timeline3")
    stages.append(stage)
    got_off = off_r.wait_for(n_good, args.timeout, stage.proc)
    rc = stage.stop(signal.SIGTERM, timeout=60)
    c.check(rc == 0, "with topics.timeline \"\" the stage exits 0",
            "exit code %r: %s" % (rc, stage.tail(5)))
    c.check(got_off, "timeline off: %d enriched records" % n_good, "got %d" % off_r.count())
    off_recs = {m["key"].decode(): json.loads(m["value"]) for m in off_r.messages()}
    c.check(sorted(off_recs) == sorted(recs), "timeline off: the same articles",
            "%d against %d" % (len(off_recs), len(recs)))
    c.check(all(off_recs[k]["events"] == recs[k]["events"] for k in off_recs if k in recs),
            "timeline off: the enriched records keep their events")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--kafka-run")
    ap.add_argument("--work-dir")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("DL_IT_TIMEOUT", "240")))
    return run_test("test_timeline", run, ap.parse_args(), "dl-tl-")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""CLI tests without a broker: `dateline extract` output validates against
schema/enriched.v1.json, offsets slice the original message value, rejects
are reported with their reason, records of a stream on stdin come out while
it stays open, and `dateline check` reports file:line:col.

Usage: test_cli.py --dateline BIN --source-dir DIR
"""
import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, summary  # noqa: E402


def run(args, stdin=None, cwd=None):
    return subprocess.run(args, input=stdin, capture_output=True, cwd=cwd, timeout=120)


def validate_records(validator, values, stdout, label):
    """Each output line is a schema-valid record whose offsets slice its value."""
    lines = stdout.decode().splitlines()
    check(len(lines) == len(values), f"{label}: {len(lines)} records for {len(values)} inputs")
    for value, line in zip(values, lines):
        rec = json.loads(line)
        errors = sorted(validator.iter_errors(rec), key=str)
        check(not errors, f"{label}: schema errors: {[e.message for e in errors[:3]]}")
        for tx in rec["timexes"]:
            raw = value[tx["start"]:tx["end"]]
            if value.lstrip().startswith(b"{"):
                # JSON input: the raw span is the escaped form of the text.
                check(json.loads(b'"' + raw + b'"') == tx["text"],
                      f"{label}: JSON offsets {tx['start']}:{tx['end']} -> {raw!r} != {tx['text']!r}")
            else:
                check(raw.decode() == tx["text"],
                      f"{label}: offsets {tx['start']}:{tx['end']} -> {raw!r} != {tx['text']!r}")
    return [json.loads(l) for l in lines]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    a = ap.parse_args()
    src = a.source_dir
    with open(os.path.join(src, "schema", "enriched.v1.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    rules = os.path.join(src, "config", "rules", "en")
    env = dict(os.environ, DATELINE_RULES=rules)

    # 1. The seed message, one file = one message.
    seed = os.path.join(src, "..", "shared", "seed", "article-000.txt")
    with open(seed, "rb") as f:
        seed_value = f.read()
    p = subprocess.run([a.dateline, "extract", seed], capture_output=True, env=env, timeout=60)
    check(p.returncode == 0, f"extract seed: exit {p.returncode}: {p.stderr.decode()[-500:]}")
    (rec,) = validate_records(validator, [seed_value], p.stdout, "seed") or [None]
    if rec:
        check(rec["published"] == {"value": "2020-10-27", "from": "message"}, "seed published")
        pairs = [(t["text"], t["value"]) for t in rec["timexes"]]
        want = [("September", "2020-09"), ("Tuesday, October 27", "2020-10-27"),
                ("September 30", "2020-09-30"), ("now", "PRESENT_REF"),
                ("earlier this month", "2020-10"), ("August", "2020-08"),
                ("September", "2020-09"), ("the same month", "2020-09")]
        check(pairs == want, f"seed timexes {pairs}")
        check([e["date"] for e in rec["events"]] ==
              ["2020-08", "2020-09", "2020-09", "2020-09", "2020-09-30", "2020-10", "2020-10-27"],
              f"seed events {[e['date'] for e in rec['events']]}")

    # 2. The bundled samples, one per line: five articles and one reject.
    samples = os.path.join(src, "samples", "articles.msgs")
    with open(samples, "rb") as f:
        values = [l.rstrip(b"\n") for l in f if l.strip()]
    p = subprocess.run([a.dateline, "extract", "--lines", samples], capture_output=True,
                       env=env, timeout=60)
    check(p.returncode == 3, f"samples: exit {p.returncode}, want 3 (one rejected)")
    good = [v for v in values if b"2018-02-30" not in v]
    recs = validate_records(validator, good, p.stdout, "samples")
    logs = [json.loads(l) for l in p.stderr.decode().splitlines() if l.startswith("{")]
    rejected = [l for l in logs if l.get("msg") == "message rejected"]
    check(len(rejected) == 1 and rejected[0].get("reason") == "bad_date",
          f"samples: rejects {rejected}")
    ids = [r["id"] for r in recs]
    check("sample-json-1" in ids, f"JSON id not used: {ids}")

    # 3. stdin, JSON lines with escapes.
    doc = {"id": "j1", "date": "2021-01-05",
           "text": "He said \"caf\u00e9\" on Monday.\nThe vote is on March 3."}
    line = json.dumps(doc).encode()
    p = subprocess.run([a.dateline, "extract", "--lines"], input=line + b"\n",
                       capture_output=True, env=env, timeout=60)
    check(p.returncode == 0, f"stdin JSON: exit {p.returncode}")
    (rec,) = validate_records(validator, [line], p.stdout, "json") or [None]
    if rec:
        check({t["text"] for t in rec["timexes"]} == {"Monday", "March 3"}, f"json timexes {rec['timexes']}")

    # 4. Real news (read where it lives): every record of the first articles of
    #    T17 and PolNeAR is schema-valid with offsets that slice the value.
    for corpus, n in (("t17.msgs", 600), ("polnear.msgs", 300)):
        path = os.path.join(src, "..", "shared", "data", "news", "raw", corpus)
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            values = [next(f).rstrip(b"\n") for _ in range(n)]
        p = subprocess.run([a.dateline, "extract", "--lines"], input=b"\n".join(values) + b"\n",
                           capture_output=True, env=env, timeout=300)
        check(p.returncode == 0, f"{corpus}: exit {p.returncode}: {p.stderr.decode()[-300:]}")
        validate_records(validator, values, p.stdout, corpus)

    # 5. check: the example config is valid; a bad one names file:line:col.
    example = os.path.join(src, "config", "dateline.yaml")
    p = run([a.dateline, "check", example])
    check(p.returncode == 0, f"check example: exit {p.returncode}: {p.stderr.decode()}")
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.yaml")
        with open(bad, "w") as f:
            f.write("kafka:\n  brokerz: x\ninput:\n  max_bytes: lots\n")
        p = run([a.dateline, "check", bad])
        err = p.stderr.decode()
        check(p.returncode == 1, f"check bad: exit {p.returncode}")
        check(f"{bad}:2:3:" in err, f"check bad: no position for brokerz in {err!r}")
        check(f"{bad}:4:14:" in err, f"check bad: no position for max_bytes in {err!r}")
        # run with a bad config exits 1 before touching Kafka.
        p = run([a.dateline, "run", "-c", bad])
        check(p.returncode == 1 and f"{bad}:2:3:" in p.stderr.decode(),
              f"run bad config: exit {p.returncode}: {p.stderr.decode()!r}")

    # 6. A stream on stdin: each record is written out while the input
    #    stays open (a pipe from a slow source must not hold records back
    #    until the next article or the end), with one thread and with two.
    for threads in ("1", "2"):
        stream_check(a.dateline, env, threads)

    return summary()


def read_line(fd, buf, timeout):
    """One line from pipe @fd (bytes read past it stay in @buf), or None
    when none comes within @timeout seconds."""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        buf.extend(chunk)
    i = buf.index(b"\n")
    line = bytes(buf[:i])
    del buf[:i + 1]
    return line


def stream_check(dateline, env, threads):
    label = f"stream --threads {threads}"
    p = subprocess.Popen([dateline, "extract", "--lines", "--threads", threads],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env)
    buf = bytearray()
    try:
        for i, day in enumerate(("Monday", "Tuesday")):
            doc = {"id": f"s{i}", "date": "2021-01-05", "text": f"The vote was on {day}."}
            p.stdin.write(json.dumps(doc).encode() + b"\n")
            p.stdin.flush()
            # Generous: start-up (the rules) under ASan takes seconds; a
            # record held back waits for the end of the input, which here
            # does not come.
            line = read_line(p.stdout.fileno(), buf, 60)
            if not check(line is not None, f"{label}: no record for article {i} while the input is open"):
                break
            rec = json.loads(line)
            check(rec.get("id") == f"s{i}" and [t["text"] for t in rec["timexes"]] == [day],
                  f"{label}: record {i} is {line[:200]!r}")
        p.stdin.close()
        rest = p.stdout.read()
        check(p.wait(timeout=60) == 0 and not rest.strip() and not buf.strip(),
              f"{label}: exit {p.returncode}, extra output {bytes(buf) + rest!r}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())

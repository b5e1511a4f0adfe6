#!/usr/bin/env python3
"""Draws the T17 event sample judged by hand (tests/eval/data/t17_events_judged.jsonl):
100 events, seeded, from `dateline extract` on raw/t17.msgs; one event per
article at most. Prints JSON lines with what a judge needs: the publication
date, the timex and its value, the event date and where the sentence is
(byte offsets into the T17 line: the corpus is read where it is, never
copied; `t17_precision.py --show` prints the sentences next to the
judgements).

Usage: t17_sample.py --dateline BIN --source-dir DIR [--n 100] [--seed 17]
"""
import argparse
import json
import os
import random
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    path = os.path.join(a.source_dir, "..", "shared", "data", "news", "raw", "t17.msgs")
    with open(path, "rb") as f:
        lines = [l.rstrip(b"\n") for l in f]
    rng = random.Random(a.seed)
    picks = sorted(rng.sample(range(len(lines)), a.n * 2))
    env = dict(os.environ, DATELINE_RULES=os.path.join(a.source_dir, "config", "rules", "en"))
    p = subprocess.run([a.dateline, "extract", "--lines"],
                       input=b"\n".join(lines[i] for i in picks) + b"\n", capture_output=True,
                       env=env, timeout=600)
    out = 0
    for i, line in zip(picks, p.stdout.decode().splitlines()):
        rec = json.loads(line)
        if not rec["events"] or out >= a.n:
            continue
        ev = rng.choice(rec["events"])
        tx = rec["timexes"][ev["timex"]]
        print(json.dumps({"line": i + 1, "published": rec["published"]["value"],
                          "timex": tx["text"], "value": tx["value"], "date": ev["date"],
                          "sentence_at": ev["sentence"]}, ensure_ascii=False))
        out += 1


if __name__ == "__main__":
    main()

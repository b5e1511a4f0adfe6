#!/usr/bin/env python3
"""Precision of event dates on T17, judged by hand.

tests/eval/data/t17_events_judged.jsonl holds 100 events drawn by
tests/eval/t17_sample.py (seed 17, one event per article) from
`dateline extract` on ../shared/data/news/raw/t17.msgs, each with
"correct" (is the event's date the date of what the sentence reports, at
the timex's resolution?) and a note on every wrong or coarse one. Judged
by the engineer who built the extractor, reading the sentence and the
publication date.

Prints the precision. With --dateline, also re-extracts the judged lines
and reports how many events still get the judged date (a changed date
needs judging again). With --show, prints each judged event with its
sentence, read from t17.msgs (the file holds only its byte offsets).

Usage: t17_precision.py [--dateline BIN] [--source-dir DIR] [--min 90] [--show]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline")
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--min", type=float, default=0.0, help="fail below this precision")
    ap.add_argument("--show", action="store_true", help="print the judged events' sentences")
    a = ap.parse_args()
    judged = [json.loads(l) for l in open(os.path.join(HERE, "data", "t17_events_judged.jsonl"))]
    ok = sum(1 for j in judged if j["correct"])
    prec = 100.0 * ok / len(judged)
    print(json.dumps({"judged": len(judged), "correct": ok, "precision": round(prec, 1)}))
    if a.dateline or a.show:
        path = os.path.join(a.source_dir, "..", "shared", "data", "news", "raw", "t17.msgs")
        with open(path, "rb") as f:
            lines = [l.rstrip(b"\n") for l in f]
    if a.show:
        for j in judged:
            s, e = j["sentence_at"]
            print(json.dumps(dict(j, sentence=lines[j["line"] - 1][s:e].decode(errors="replace")),
                             ensure_ascii=False))
    if a.dateline:
        env = dict(os.environ, DATELINE_RULES=os.path.join(a.source_dir, "config", "rules", "en"))
        p = subprocess.run([a.dateline, "extract", "--lines"],
                           input=b"\n".join(lines[j["line"] - 1] for j in judged) + b"\n",
                           capture_output=True, env=env, timeout=600)
        same = 0
        for j, rec in zip(judged, p.stdout.decode().splitlines()):
            rec = json.loads(rec)
            same += any(rec["timexes"][e["timex"]]["text"] == j["timex"] and e["date"] == j["date"]
                        for e in rec["events"])
        print(json.dumps({"still_extracted_with_judged_date": same, "of": len(judged)}))
    if prec < a.min:
        print(f"FAIL: precision {prec:.1f} < {a.min}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

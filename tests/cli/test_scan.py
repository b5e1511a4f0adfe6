#!/usr/bin/env python3
"""The optimised rule scan finds exactly what a plain per-rule search finds.

extract.c tries a rule only at the word starts its first byte and the
rules' automaton (automaton.c) allow, and makes the tries rule by rule
after the scan. The reference build (target
dateline_ref, compiled with -DDL_EXTRACT_REFERENCE) has every rule search
the whole text on its own. Their records must be the same byte for byte,
stats.extract_us aside: on samples/articles.msgs and, when ../shared is
beside the repository, on the first T17 articles (one process for all, so
the lazily built DFA carries its states from article to article as in
`run`); or
on a whole message file given with --input (bench/check_scan.sh). With
--threads, `dateline` runs with each worker count given (its ordered pool),
against one reference run.

  test_scan.py --dateline BIN --reference BIN --source-dir DIR [--articles N]
               [--input FILE] [--threads N ...]
"""
import argparse
import itertools
import os
import re
import subprocess
import sys

US = re.compile(rb'"extract_us":\d+')


def records(binary, rules, data, threads=1):
    """The records of `binary extract --lines` on @data (messages, one a line)."""
    p = subprocess.run([binary, "extract", "--rules", rules, "--lines", "--threads", str(threads)],
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 3):  # 3: some messages rejected (logged)
        sys.exit(f"test_scan: {binary} failed with {p.returncode}:\n"
                 f"{p.stderr.decode(errors='replace')[-2000:]}")
    return [US.sub(b'"extract_us":0', line) for line in p.stdout.splitlines()]


def compare(a, rules, data, label):
    slow = records(a.reference, rules, data)
    if not slow:
        sys.exit(f"test_scan: {label}: no records to compare")
    for threads in a.threads:
        fast = records(a.dateline, rules, data, threads)
        run = f"{label}, --threads {threads}"
        if len(fast) != len(slow):
            sys.exit(f"test_scan: {run}: {len(fast)} records, the reference {len(slow)}")
        for i, (x, y) in enumerate(zip(fast, slow)):
            if x != y:
                at = next(k for k in range(min(len(x), len(y)) + 1) if x[k:k + 1] != y[k:k + 1])
                sys.exit(f"test_scan: {run}: record {i + 1} differs at byte {at}:\n"
                         f"  scan:      ...{x[max(0, at - 80):at + 80].decode(errors='replace')}\n"
                         f"  reference: ...{y[max(0, at - 80):at + 80].decode(errors='replace')}")
        print(f"test_scan: {run}: {len(fast)} records identical")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--input", help="compare on all of this message file instead")
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    a = ap.parse_args()
    rules = os.path.join(a.source_dir, "config", "rules", "en")

    if a.input:
        with open(a.input, "rb") as f:
            compare(a, rules, f.read(), a.input)
        return

    with open(os.path.join(a.source_dir, "samples", "articles.msgs"), "rb") as f:
        compare(a, rules, f.read(), "samples/articles.msgs")
    t17 = os.path.join(a.source_dir, "..", "shared", "data", "news", "raw", "t17.msgs")
    if not os.path.exists(t17):
        print("test_scan: ../shared/data/news/raw/t17.msgs not found, T17 part skipped")
        return
    with open(t17, "rb") as f:
        first = list(itertools.islice((line for line in f if line.strip()), a.articles))
    compare(a, rules, b"".join(first), f"first {len(first)} T17 articles")


if __name__ == "__main__":
    main()

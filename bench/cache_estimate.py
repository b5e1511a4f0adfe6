#!/usr/bin/env python3
"""A timing-free estimate of extraction cost, for A/B comparisons on a noisy host.

  cache_estimate.py --dateline BIN [--dateline BIN2 ...] [--articles N]
                    [--input FILE] [--rules DIR]

Wall-clock figures on a shared virtual machine move by 5-15 % from run to
run (BENCHMARKS.md), more than most single changes to the extractor are
worth. This runs `dateline extract` on the first N articles of the input
under valgrind's cachegrind, with a simulated last-level cache the size of
one core's L2 (2 MiB, 16-way) and 32 KiB L1i / 48 KiB L1d, and prints the
instructions, the simulated misses and a weighted sum:

  estimate = instructions + 12 x L1 misses + 100 x last-level misses

The weights are rough latencies in cycles (L2 hit, memory); the estimate
is not a prediction of time, but it repeats: the same binary on the same
input gives the same figure within 0.1 % (only the addresses memory is
given at differ, and with them the simulated cache sets), so two builds
can be compared to a few tenths of a percent. It counts what the instruction counts of bench/bench.py
(callgrind on the seed article) leave out: the cache misses of the probe
caches and of the rules' JIT code, which decide much of the time spent
(most of the JIT code's cost here is instruction-cache misses). The
program's start (loading and compiling the rules) is included; run with
--articles 0 to see it alone.
"""
import argparse
import itertools
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
T17 = os.path.join(ROOT, "..", "shared", "data", "news", "raw", "t17.msgs")
FIELDS = {"I": "I   refs", "I1": "I1  misses", "LLi": "LLi misses", "D1": "D1  misses",
          "LLd": "LLd misses"}


def estimate(dl, rules, data):
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--I1=32768,8,64",
           "--D1=49152,12,64", "--LL=2097152,16,64", "--cachegrind-out-file=/dev/null",
           dl, "extract", "--rules", rules, "--lines"]
    p = subprocess.run(cmd, input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode not in (0, 3):
        sys.exit(f"cache_estimate: {' '.join(cmd)} failed ({p.returncode}):\n"
                 f"{p.stderr.decode(errors='replace')[-2000:]}")
    got = {}
    summary = p.stderr.decode(errors="replace")
    for key, label in FIELDS.items():
        m = re.search(r"==\d+== " + re.escape(label) + r":\s+([\d,]+)", summary)
        if not m:
            sys.exit(f"cache_estimate: no '{label}' in valgrind's summary")
        got[key] = int(m.group(1).replace(",", ""))
    l1 = got["I1"] + got["D1"]
    ll = got["LLi"] + got["LLd"]
    return got["I"], l1, ll, got["I"] + 12 * l1 + 100 * ll


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--dateline", action="append", required=True,
                    help="binary to measure (repeat to compare builds)")
    ap.add_argument("--input", default=T17)
    ap.add_argument("--rules", default=os.path.join(ROOT, "config", "rules", "en"))
    ap.add_argument("--articles", type=int, default=1500,
                    help="first N non-blank lines of the input (default 1500, ~25 s a build)")
    a = ap.parse_args()

    with open(a.input, "rb") as f:
        first = list(itertools.islice((line for line in f if line.strip()), a.articles))
    data = b"".join(first)
    print(f"{len(first)} articles of {a.input}")
    print(f"{'instructions':>14} {'L1 misses':>11} {'LL misses':>10} {'estimate':>14}  binary")
    first_est = None
    for dl in a.dateline:
        ir, l1, ll, est = estimate(dl, a.rules, data)
        rel = "" if first_est is None else f"  ({100 * (est / first_est - 1):+.2f} %)"
        first_est = est if first_est is None else first_est
        print(f"{ir:>14,} {l1:>11,} {ll:>10,} {est:>14,}  {dl}{rel}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compares the CPU time of two builds of dateline run side by side.

  paired.py --dateline A --dateline B [--rounds N] [--input FILE] [--rules DIR]

On a shared virtual machine one binary's time moves by 10-15 % from run to
run, and by as much within the hour: what the host does (other guests,
the hypervisor's steal, its caches) changes more than most changes to the
extractor. Run one after the other, two builds are compared across those
moves. Here each round runs both at the same time, `dateline extract` on
the input, one pinned to each of two CPUs (swapped every round, as the two
are not alike), and takes the ratio of their CPU times (user + system,
which leaves the steal out): what the host does in that round it does to
both. Prints each round and the median ratio B / A over the rounds.

A build against itself gave medians of 0.98-1.02 over 8-16 rounds here,
each round's ratio within 5-7 % (its standard deviation), so 12-16 rounds
tell builds some 2 % apart. It measures what instruction counts
(bench/cache_estimate.py) do not see: branch mispredictions and cold
code, most of the time a rule scan spends in PCRE2's JIT code.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
T17 = os.path.join(ROOT, "..", "shared", "data", "news", "raw", "t17.msgs")
RULES = os.path.join(ROOT, "config", "rules", "en")


def start(binary, cpu, a):
    return subprocess.Popen(["taskset", "-c", str(cpu), binary, "extract", "--rules", a.rules,
                             "--lines", a.input], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def cpu_seconds(p):
    """Waits for @p p; its user + system seconds (exits on failure)."""
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        sys.exit(f"paired: {' '.join(p.args)} failed ({os.waitstatus_to_exitcode(status)})")
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dateline", action="append", required=True,
                    help="a build's dateline binary (twice: A, then B)")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--input", default=T17)
    ap.add_argument("--rules", default=RULES)
    a = ap.parse_args()
    if len(a.dateline) != 2:
        sys.exit("paired: give --dateline twice (A, then B)")
    if not shutil.which("taskset") or len(os.sched_getaffinity(0)) < 2:
        sys.exit("paired: needs taskset and two CPUs to run the builds on")
    if a.rounds < 2:
        sys.exit("paired: --rounds must be 2 or more")
    cpus = sorted(os.sched_getaffinity(0))[:2]
    ratios = []
    for r in range(a.rounds):
        ca, cb = (cpus[0], cpus[1]) if r % 2 == 0 else (cpus[1], cpus[0])
        pa, pb = start(a.dateline[0], ca, a), start(a.dateline[1], cb, a)
        ta, tb = cpu_seconds(pa), cpu_seconds(pb)
        ratios.append(tb / ta)
        print(f"round {r + 1}: A {ta:.2f} s (cpu {ca}), B {tb:.2f} s (cpu {cb}), "
              f"B/A {tb / ta:.3f}", flush=True)
    print(f"B/A over {a.rounds} rounds: median {statistics.median(ratios):.3f}, "
          f"mean {statistics.mean(ratios):.3f}, sd {statistics.stdev(ratios):.3f}")


if __name__ == "__main__":
    main()

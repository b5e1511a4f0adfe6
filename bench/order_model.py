#!/usr/bin/env python3
"""How late records must be under per-partition order, whatever the broker.

  order_model.py --dateline BIN --input FILE [--rate R] [--partitions P]
                 [--workers W] [--slowdown F ...] [--seconds S]

Simulates `dateline run`'s ordering alone: articles arrive one every 1/R s
in the file's order (and in bench/e2e.py's shuffled order), partition
i mod P as bench/e2e.py produces them; W workers start the oldest queued
article, those of partitions with nothing running first (workpool.c); a
record goes out once it and every earlier article of its partition are
extracted. Each article takes what `dateline extract` measured for it
alone (its extract_us) times F: 1 is the stage with the machine to
itself; the latency phase's stage metrics show how much slower extraction
is inside `run` next to a busy broker. Consuming, producing and the broker
cost nothing here, so the figures are a floor: the share of records later
than 10 ms and the p99 that ordering and extraction time alone impose.
"""
import argparse
import heapq
import json
import random
import re
import subprocess
import sys
from collections import deque

from e2e import pct  # the latency phase's percentile, for comparable figures

EXTRACT_US = re.compile(rb'"extract_us":(\d+)')


def alone_us(dateline, path):
    """Each line's extraction time, from one pass of `dateline extract`."""
    out = subprocess.run([dateline, "extract", "--lines", path], capture_output=True,
                         check=True).stdout.splitlines()
    times = []
    for line in out:
        m = EXTRACT_US.search(line)
        times.append(int(m.group(1)) if m else 0)
    return times


def simulate(service_us, rate, partitions, workers, n):
    """Per-record latency in ms (emit time - arrival time)."""
    arrive = [i / rate * 1e6 for i in range(n)]
    lanes = [deque() for _ in range(partitions)]
    done = [0.0] * n
    free = [(0.0, w) for w in range(workers)]  # (free at, worker)
    running = {}                                # worker -> (lane, ends at)
    nxt = 0                                     # next article to arrive
    started = 0
    while started < n:
        t, w = heapq.heappop(free)
        # Everything arrived by t is queued; if nothing is, wait for the next.
        if not any(lanes) and nxt < n:
            t = max(t, arrive[nxt])
        while nxt < n and arrive[nxt] <= t:
            lanes[nxt % partitions].append(nxt)
            nxt += 1
        busy = {lane for lane, end in running.values() if end > t}
        heads = [q[0] for q in lanes if q]
        free_heads = [i for i in heads if i % partitions not in busy]
        i = min(free_heads or heads)
        lanes[i % partitions].popleft()
        end = t + service_us[i % len(service_us)]
        done[i] = end
        running[w] = (i % partitions, end)
        heapq.heappush(free, (end, w))
        started += 1
    last = [0.0] * partitions
    lat = []
    for i in range(n):
        p = i % partitions
        last[p] = max(last[p], done[i])
        lat.append((last[p] - arrive[i]) / 1000)
    return lat


def summary(lat):
    return {"late_10ms_pct": round(100 * sum(x > 10 for x in lat) / len(lat), 2),
            "p99_ms": round(pct(lat, 99), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--rate", type=float, default=1900)
    ap.add_argument("--partitions", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--slowdown", type=float, nargs="+", default=[1.0, 1.5, 2.0])
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()
    times = alone_us(a.dateline, a.input)
    if not times:
        sys.exit("order_model: no articles")
    shuffled = list(times)
    random.Random(17).shuffle(shuffled)  # bench/e2e.py --latency-order shuffled
    n = int(a.rate * a.seconds)
    out = []
    for order, t in (("file", times), ("shuffled", shuffled)):
        for f in a.slowdown:
            r = summary(simulate([x * f for x in t], a.rate, a.partitions, a.workers, n))
            out.append(dict(order=order, slowdown=f, **r))
    print(json.dumps({"rate": a.rate, "partitions": a.partitions, "workers": a.workers,
                      "articles": n, "runs": out}, indent=1))


if __name__ == "__main__":
    main()

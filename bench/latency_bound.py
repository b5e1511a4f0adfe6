#!/usr/bin/env python3
"""The lowest p99 latency per-partition order allows, whatever the stage.

  latency_bound.py --dateline BIN --input FILE --rate R [--cores C ...]
                   [--partitions K ...] [--seconds S]

bench/order_model.py simulates dateline's own work pool. This asks a
different question: how late must records be on this input at this rate,
for any stage that keeps each partition's order, given the extraction
capacity of C cores at `dateline extract`'s own speed? Articles arrive one
every 1/R s in the file's order, partition i mod K (as bench/e2e.py
produces them); article i needs the time `dateline extract` measured for
it alone (its extract_us); a record may leave only once it and every
earlier article of its partition are extracted. Consuming, producing and
the broker cost nothing. Work is fluid (an article may be spread over
cores, and paused), which only makes the figures lower. Two models:

- own: every partition has all C cores to itself, first in first out.
  No schedule can do better: a record waits at least for the work of its
  partition up to it, on a machine of C cores. A strict floor.
- shared: the K partitions share the C cores; at every instant the
  partition whose oldest article has the least work left runs (shortest
  remaining first among the heads a partition's order allows). Not proven
  optimal for p99, but a scheduler no real stage matches (it preempts
  articles and has no cost per switch).

Each model gives the share of records later than 10 ms and the p99, as
bench/e2e.py's latency phase reports them.
"""
import argparse
import heapq
import json
import sys
from collections import deque

from order_model import alone_us, summary


def own(work_us, rate, partitions, n):
    """Latency in ms with each partition's FIFO served at full speed."""
    free = [0.0] * partitions
    lat = []
    for i in range(n):
        p, arrive = i % partitions, i / rate * 1e6
        free[p] = max(arrive, free[p]) + work_us[i % len(work_us)]
        lat.append((free[p] - arrive) / 1000)
    return lat


def shared(work_us, rate, partitions, n):
    """Latency in ms with head-of-partition shortest-remaining-first."""
    queues = [deque() for _ in range(partitions)]
    heads = []          # (work left of the partition's head, partition)
    left = [0.0] * partitions
    lat = [0.0] * n
    t, nxt, done = 0.0, 0, 0
    while done < n:
        if not heads:
            t = max(t, nxt / rate * 1e6)
        while nxt < n and nxt / rate * 1e6 <= t:
            p = nxt % partitions
            queues[p].append(nxt)
            if len(queues[p]) == 1:
                left[p] = work_us[nxt % len(work_us)]
                heapq.heappush(heads, (left[p], p))
            nxt += 1
        w, p = heads[0]
        until = nxt / rate * 1e6 if nxt < n else float("inf")
        if t + w <= until:          # the head finishes before the next arrival
            heapq.heappop(heads)
            t += w
            i = queues[p].popleft()
            lat[i] = (t - i / rate * 1e6) / 1000
            done += 1
            if queues[p]:
                left[p] = work_us[queues[p][0] % len(work_us)]
                heapq.heappush(heads, (left[p], p))
        else:                       # runs until then; the order of heads holds
            heapq.heapreplace(heads, (w - (until - t), p))
            t = until
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--rate", type=float, required=True, help="articles/s")
    ap.add_argument("--cores", type=float, nargs="+", default=[1.0, 2.0],
                    help="extraction capacity, in cores at `dateline extract`'s speed")
    ap.add_argument("--partitions", type=int, nargs="+", default=[2, 4, 8, 16])
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()
    times = alone_us(a.dateline, a.input)
    if not times:
        sys.exit("latency_bound: no articles")
    with open(a.input, "rb") as f:
        size = sum(len(line) for line in f)
    n = int(a.rate * a.seconds)
    out = []
    for c in a.cores:
        work = [x / c for x in times]
        for k in a.partitions:
            out.append(dict(cores=c, partitions=k,
                            own=summary(own(work, a.rate, k, n)),
                            shared=summary(shared(work, a.rate, k, n))))
    print(json.dumps({"rate": a.rate, "articles": n,
                      "extract_mb_s_one_core": round(size / sum(times), 2),
                      "bounds": out}, indent=1))


if __name__ == "__main__":
    main()

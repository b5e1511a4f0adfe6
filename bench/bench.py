#!/usr/bin/env python3
"""Runs dateline's benchmarks and appends a dated row to BENCHMARKS.md.
Started by bench/run.sh (which builds and starts the broker); see
BENCHMARKS.md for what each column means and the command behind it.

  bench.py --build DIR [--brokers HOST:PORT --state DIR] [--skip heideltime,kafka,...]
           [--ht-articles N] [--runs N] [--no-append]

Steps: extract (1 core, best of --runs), threads (1 and 2), callgrind (seed
article), heideltime (T17 subset, same run), tempeval (TimeBank+AQUAINT, both
systems), kafka (bench/e2e.py), floor (the latency phase again at the same
rate with bench/e2e.py --passthrough: the Kafka path without extraction). A
skipped step leaves its columns empty.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
T17 = os.path.join(SHARED, "data", "news", "raw", "t17.msgs")
SEED = os.path.join(SHARED, "seed", "article-000.txt")
RULES = os.path.join(REPO, "config", "rules", "en")
MARK = "<!-- bench/run.sh inserts new rows above this line -->"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def timed(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """Runs cmd; returns (wall s, user+sys CPU s, peak RSS kB, exit code)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def input_stats(path):
    n = b = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                n += 1
                b += len(line)
    return n, b


def steal_ticks(cpu):
    """CPU @p cpu's steal time so far (USER_HZ ticks; /proc/stat's 8th
    figure): time the hypervisor gave the vCPU's core to other guests while
    it had work. None where there is no such line."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith(f"cpu{cpu} "):
                    return int(line.split()[8])
    except (OSError, IndexError, ValueError):
        pass
    return None


def best_of(runs, cmd, cpu=None):
    """Runs cmd @p runs times: (the run of least wall time, all runs). Each
    run's tuple ends with the share of its wall time the hypervisor stole
    from @p cpu (the one it is pinned to), or None when that is not known."""
    results = []
    for _ in range(runs):
        s0 = steal_ticks(cpu) if cpu is not None else None
        r = timed(cmd)
        s1 = steal_ticks(cpu) if cpu is not None else None
        stolen = None
        if s0 is not None and s1 is not None and r[0]:
            stolen = (s1 - s0) / os.sysconf("SC_CLK_TCK") / r[0]
        results.append(r + (stolen,))
    for r in results:
        if r[3] not in (0, 3):
            sys.exit(f"bench: {' '.join(cmd)} failed ({r[3]})")
    return min(results, key=lambda r: r[0]), results


def step_extract(a, dl, res):
    n, b = input_stats(T17)
    cmd = ["taskset", "-c", "0", dl, "extract", "--rules", RULES, "--lines", T17]
    pinned = shutil.which("taskset")
    if not pinned:
        cmd = cmd[3:]
    best, allr = best_of(a.runs, cmd, 0 if pinned else None)
    res["extract"] = {"articles": n, "bytes": b, "wall_s": round(best[0], 3),
                      "cpu_s": round(best[1], 3), "mb_s": round(b / best[0] / 1e6, 2),
                      "mb_s_cpu": round(b / best[1] / 1e6, 2),
                      "articles_s": round(n / best[0], 1), "rss_kb": max(r[2] for r in allr),
                      "walls": [round(r[0], 3) for r in allr],
                      "steal_pct": [round(100 * r[4], 1) if r[4] is not None else None
                                    for r in allr]}
    log(f"extract: {res['extract']['mb_s']} MB/s on one core")


def step_threads(a, dl, res):
    n, b = input_stats(T17)
    out = {}
    for t in (1, 2):
        best, allr = best_of(a.runs, [dl, "extract", "--rules", RULES, "--lines", "--threads",
                                      str(t), T17])
        out[str(t)] = {"wall_s": round(best[0], 3), "mb_s": round(b / best[0] / 1e6, 2),
                       "rss_kb": max(r[2] for r in allr)}
    out["speedup"] = round(out["1"]["wall_s"] / out["2"]["wall_s"], 2)
    res["threads"] = out
    log(f"threads: {out['2']['mb_s']} MB/s with 2 ({out['speedup']}x)")


def callgrind_total(path, fn=None):
    """Instructions in the whole run (fn None) or inclusive in fn."""
    if fn is None:
        with open(path) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1])
        return None
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                       capture_output=True, text=True)
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(.*?\)\s+\S*:" + re.escape(fn) + r"\s", line)
        if m:
            return int(m.group(1).replace(",", ""))
    return None


def step_callgrind(a, dl, res):
    """Instructions of dl_pipeline_process on the seed article, twice in one
    process: the first call with a cold DFA (states built as the text needs
    them), the second warm."""
    if not shutil.which("valgrind"):
        log("callgrind: valgrind not installed, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                        "--toggle-collect=dl_pipeline_process",
                        "--dump-after=dl_pipeline_process", dl, "extract", "--rules", RULES,
                        SEED, SEED], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        parts = sorted((f for f in os.listdir(tmp) if re.match(r"cg\.out\.\d+$", f)),
                       key=lambda f: int(f.rsplit(".", 1)[1]))
        if len(parts) < 2:
            log("callgrind: no per-call dumps, skipped")
            return
        cold, warm = (os.path.join(tmp, p) for p in parts[:2])
        cg = {"bytes": os.path.getsize(SEED), "cold": callgrind_total(cold),
              "warm": callgrind_total(warm)}
        for fn in ("dl_extract", "scan_rules", "dl_dfa_possible", "dl_sentences_split",
                   "dl_entities_find", "dl_quotes_attribute", "dl_encode_record", "add_timeline"):
            v = callgrind_total(warm, fn)
            if v is not None:
                cg["warm_" + fn] = v
    res["callgrind"] = cg
    log(f"callgrind: {cg['cold']:,} / {cg['warm']:,} instructions for the seed article (cold / warm)")


def step_heideltime(a, dl, res):
    cp = subprocess.run([os.path.join(HERE, "heideltime.sh")], check=True, capture_output=True,
                        text=True).stdout.strip()
    props = os.path.join(REPO, ".cache", "heideltime", "config.props")
    k = a.ht_articles
    log(f"heideltime: tagging the first {k} T17 articles (slow)")
    p = subprocess.run(["java", "-cp", cp, "HeidelBench", props, "t17", T17, "0", str(k), "5"],
                       check=True, capture_output=True, text=True)
    ht = json.loads(p.stdout.strip().splitlines()[-1])
    ht["mb_s"] = round(ht["bytes"] / ht["seconds"] / 1e6, 5)
    # dateline on the same articles, in the same run: the subset repeated so
    # the time is well above start-up (rules compile) noise, start-up included.
    reps = 20
    with tempfile.NamedTemporaryFile("wb", suffix=".msgs", delete=False) as f:
        with open(T17, "rb") as src:
            lines = [l for l in src if l.strip()][:k]
        for _ in range(reps):
            f.writelines(lines)
        sub = f.name
    try:
        best, _ = best_of(a.runs, ["taskset", "-c", "0", dl, "extract", "--rules", RULES,
                                   "--lines", sub] if shutil.which("taskset") else
                          [dl, "extract", "--rules", RULES, "--lines", sub])
    finally:
        os.unlink(sub)
    dlb = sum(len(l) for l in lines) * reps
    ht["dateline_mb_s_same_articles"] = round(dlb / best[0] / 1e6, 2)
    ht["ratio_same_articles"] = round(ht["dateline_mb_s_same_articles"] / ht["mb_s"])
    if "extract" in res:
        ht["ratio_t17"] = round(res["extract"]["mb_s"] / ht["mb_s"])
    res["heideltime"] = ht
    log(f"heideltime: {ht['mb_s']} MB/s, dateline {ht['ratio_same_articles']}x on the same articles")


def step_tempeval(a, dl, res):
    cp = subprocess.run([os.path.join(HERE, "heideltime.sh")], check=True, capture_output=True,
                        text=True).stdout.strip()
    props = os.path.join(REPO, ".cache", "heideltime", "config.props")
    p = subprocess.run([sys.executable, os.path.join(HERE, "heideltime_eval.py"), "--dateline",
                        dl, "--classpath", cp, "--config", props], check=True,
                       capture_output=True, text=True)
    res["tempeval"] = json.loads(p.stdout)
    log("tempeval: done")


def step_kafka(a, dl, res):
    if not a.brokers:
        log("kafka: no broker, skipped")
        return
    tool = os.path.join(a.build, "tests", "integration", "dl_kafka_tool")
    p = subprocess.run([sys.executable, os.path.join(HERE, "e2e.py"), "--dateline", dl, "--tool",
                        tool, "--brokers", a.brokers, "--state", a.state, "--input", T17,
                        "--repeat", str(a.e2e_repeat), "--log",
                        os.path.join(a.build, "bench-e2e.log")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench: e2e failed: {p.stderr[-2000:]}")
    res["kafka"] = json.loads(p.stdout)
    log(f"kafka: {res['kafka']['throughput']['articles_per_s']} articles/s end to end")


def step_floor(a, dl, res):
    """The latency phase through `dl_kafka_tool pipe` (the stage's client
    settings, no extraction) at the rate the stage's phase used: the p99
    the broker, the load and the two shared vCPUs allow any stage."""
    lt = (res.get("kafka") or {}).get("latency") or {}
    if not lt.get("rate_target"):
        log("floor: no latency phase to match, skipped")
        return
    tool = os.path.join(a.build, "tests", "integration", "dl_kafka_tool")
    p = subprocess.run([sys.executable, os.path.join(HERE, "e2e.py"), "--dateline", dl, "--tool",
                        tool, "--brokers", a.brokers, "--state", a.state, "--input", T17,
                        "--phase", "latency", "--passthrough",
                        "--latency-rate", str(lt["rate_target"]), "--log",
                        os.path.join(a.build, "bench-floor.log")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench: pass-through failed: {p.stderr[-2000:]}")
    res["floor"] = json.loads(p.stdout)["latency"]
    log(f"floor: pass-through p99 {res['floor']['latency_ms_p99']} ms")


def fmt(v, spec=""):
    return "" if v is None else format(v, spec)


def in_run(kf, ex):
    """The stage's mean extraction time during the latency phase (its
    /metrics) against `dateline extract`'s on one core: what sharing two
    cores with the broker costs each article."""
    m = (kf.get("latency") or {}).get("stage_metrics") or {}
    if not m.get("extract_ms_mean") or not ex:
        return ""
    return f" (extract {m['extract_ms_mean']:.2f} ms in run, {1000 / ex['articles_s']:.2f} alone)"


def latency_runs(lt):
    """Every latency run's p99 when there were several (the cell gives the
    median one's), and the share of records later than 10 ms (rows before
    2026-11-30 13:00 lack it)."""
    r = lt.get("runs_latency_ms_p99") or []
    late = lt.get("runs_late_10ms_pct") or []
    out = f", p99 of {len(r)} runs {'/'.join(str(x) for x in r)}" if len(r) > 1 else ""
    if late:
        out += f", >10 ms {'/'.join(f'{x}%' for x in late)}"
    return out


def cores(lt, what="stage"):
    """The cores @what (the stage or the pass-through), the broker and the
    load generator used in a latency phase (rows from 2026-12-02 10:30)."""
    c = lt.get("cpu_cores") or {}
    if not c:
        return ""
    return (f", cores: {c.get('stage', '?')} {what}, {c.get('broker', '?')} broker, "
            f"{c.get('load', '?')} load of {c.get('host', '?')}")


def floor(fl):
    """The pass-through's latency at the stage's rate (rows from
    2026-12-02 10:30): the lowest p99 the Kafka path allows here."""
    if not fl:
        return ""
    return (f" {{pass-through, no extraction: {fl['latency_ms_p50']} / {fl['latency_ms_p99']}"
            + latency_runs(fl) + cores(fl, "pipe") + "}")


def burst(kf):
    """The latency phase's input byte rate, mean and worst 100 ms, against
    the stage's peak (the throughput phase's MB/s)."""
    lt, tp = kf.get("latency") or {}, kf.get("throughput") or {}
    if not lt.get("input_mb_s_worst_100ms") or not tp.get("mb_per_s"):
        return ""
    return (f" [input {lt['input_mb_s_mean']} MB/s, worst 100 ms {lt['input_mb_s_worst_100ms']}; "
            f"peak {tp['mb_per_s']}]")


def e2e_cpu(kf):
    """CPU ms an article of the stage and of the broker in the throughput
    phase (rows before 2026-12-01 16:00 lack it)."""
    tp = kf.get("throughput") or {}
    if tp.get("stage_cpu_ms_per_article") is None:
        return ""
    broker = tp.get("broker_cpu_ms_per_article")
    return (f" [CPU ms an article: stage {tp['stage_cpu_ms_per_article']}"
            + (f", broker {broker}" if broker is not None else "") + "]")


def steal(ex):
    """The share of each extract run's wall time the hypervisor stole from
    its CPU, when known (rows from 2026-12-01 18:30)."""
    st = [x for x in ex.get("steal_pct") or [] if x is not None]
    return f" [steal {'/'.join(f'{x:g}' for x in st)} %]" if st else ""


def row(res):
    g = lambda *ks: _get(res, ks)
    ex, th, ht = g("extract"), g("threads"), g("heideltime")
    te, kf, cg, fl = g("tempeval"), g("kafka"), g("callgrind"), g("floor")
    e2e_pct = None
    if kf and ex:
        e2e_pct = round(100 * kf["throughput"]["mb_per_s"] / ex["mb_s"])
    f1 = lambda sysname, m: fmt(100 * te[sysname][m], ".1f") if te else ""
    cells = [
        res["date"], res["commit"], res["load"],
        f"{ex['mb_s']} ({ex['mb_s_cpu']} CPU) / {ex['articles_s']:.0f}" + steal(ex) if ex else "",
        f"{th['2']['mb_s']} ({th['speedup']}x)" if th else "",
        f"{cg['cold']:,} / {cg['warm']:,}" if cg else "",
        f"{ht['mb_s']} ({ht['articles']} art.)" if ht else "",
        f"{ht['ratio_same_articles']}x / {ht.get('ratio_t17', '')}x" if ht else "",
        f"{f1('dateline', 'strict_f1')} / {f1('dateline', 'value_f1')}" if te else "",
        f"{f1('heideltime', 'strict_f1')} / {f1('heideltime', 'value_f1')}" if te else "",
        (f"{kf['throughput']['articles_per_s']:.0f} ({fmt(e2e_pct)}%) / "
         f"{kf['throughput']['articles_per_s_ack_window']:.0f}" + e2e_cpu(kf)) if kf else "",
        (f"{kf['latency']['latency_ms_p50']} / {kf['latency']['latency_ms_p99']} @ "
         f"{kf['latency']['rate_achieved']:.0f}/s" + latency_runs(kf['latency']) +
         cores(kf['latency']) + in_run(kf, ex) + burst(kf) + floor(fl)) if kf else "",
        " / ".join(x for x in (
            f"{ex['rss_kb'] // 1024}" if ex else "",
            f"{th['2']['rss_kb'] // 1024}" if th else "",
            f"{kf['throughput']['rss_steady_kb'] // 1024}" if kf and
            kf['throughput']['rss_steady_kb'] else "") if x),
    ]
    return "| " + " | ".join(cells) + " |"


def _get(d, ks):
    for k in ks:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--brokers", default="")
    ap.add_argument("--state", default="")
    ap.add_argument("--skip", default="")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ht-articles", type=int, default=200)
    ap.add_argument("--e2e-repeat", type=int, default=3)
    ap.add_argument("--no-append", action="store_true")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    dl = os.path.join(a.build, "dateline")
    skip = set(filter(None, a.skip.split(",")))
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
           "commit": commit + ("+" if dirty else ""),
           "load": "%.1f" % os.getloadavg()[0], "nproc": os.cpu_count()}
    steps = [("extract", step_extract), ("threads", step_threads), ("callgrind", step_callgrind),
             ("heideltime", step_heideltime), ("tempeval", step_tempeval), ("kafka", step_kafka),
             ("floor", step_floor)]
    for name, fn in steps:
        if name not in skip:
            fn(a, dl, res)
    res["load_end"] = "%.1f" % os.getloadavg()[0]
    res["load"] = f"{res['load']}-{res['load_end']}"
    out = os.path.join(a.build, "bench-results.json")
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    line = row(res)
    print(json.dumps(res))
    print(line)
    if not a.no_append:
        path = os.path.join(REPO, "BENCHMARKS.md")
        with open(path) as f:
            text = f.read()
        if MARK in text:
            text = text.replace(MARK, line + "\n" + MARK, 1)
        else:
            text += line + "\n"
        with open(path, "w") as f:
            f.write(text)
        log("appended a row to BENCHMARKS.md (all figures in " + out + ")")


if __name__ == "__main__":
    main()

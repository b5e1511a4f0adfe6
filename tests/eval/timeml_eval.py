#!/usr/bin/env python3
"""TempEval-3 evaluation of dateline's temporal tagging on the TimeML dev
data (TimeBank + AQUAINT in ../shared/data/timeml), scored by
../shared/tools/timex_eval.py.

  timeml_eval.py --dateline BIN [--source-dir DIR] [--check] [--record]
                 [--errors N]

Prints the TempEval-3 table per corpus and for both together. --check fails
(exit 1) when strict F1 or value F1 of the combined set falls more than one
point below the figures recorded in tests/eval/timeml_figures.json; --record
writes the current figures there. --errors N prints N missed/spurious/wrong
timexes to help rule work. The corpora are read where they are, never copied.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ["strict_p", "strict_r", "strict_f1", "relaxed_p", "relaxed_r", "relaxed_f1",
           "type_f1", "value_f1"]


def tag(dateline, rules, files, out_path):
    with open(out_path, "wb") as out:
        p = subprocess.run([dateline, "extract", "--rules", rules, "--timeml", *files],
                           stdout=out, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        sys.exit(f"dateline extract --timeml failed ({p.returncode}): {p.stderr.decode()[-2000:]}")


def score(scorer, gold, system):
    p = subprocess.run([sys.executable, scorer, gold, system, "--byte-offsets", "--json"],
                       capture_output=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"scorer failed: {p.stderr.decode()[-2000:]}")
    return json.loads(p.stdout)["total"]


def show_errors(scorer_dir, gold_dir, system, limit):
    sys.path.insert(0, scorer_dir)
    import timex_eval  # the shared scorer, used as a library for alignment
    sysdocs = {}
    with open(system) as f:
        for line in f:
            d = json.loads(line)
            sysdocs[d["doc"]] = d["timexes"]
    shown = 0
    for name in sorted(os.listdir(gold_dir)):
        if not name.endswith(".tml"):
            continue
        doc = name[:-4]
        path = os.path.join(gold_dir, name)
        text, gold, _ = parse(timex_eval, path)
        sys_tx = sysdocs.get(doc, [])
        gs = {(g["start"], g["end"]): g for g in gold}
        ss = {(s["start"], s["end"]): s for s in sys_tx}
        for k, g in gs.items():
            if k not in ss:
                ov = [s for s in sys_tx if s["start"] < g["end"] and g["start"] < s["end"]]
                got = f" (have {ov[0]['text']!r}={ov[0]['value']})" if ov else ""
                print(f"MISS  {doc}: {g['text']!r} {g['type']} {g['value']}{got}")
                shown += 1
            elif ss[k]["value"] != g["value"] or ss[k]["type"] != g["type"]:
                print(f"VALUE {doc}: {g['text']!r} gold {g['type']} {g['value']} "
                      f"sys {ss[k]['type']} {ss[k]['value']}")
                shown += 1
        for k, s in ss.items():
            if not any(g["start"] < s["end"] and s["start"] < g["end"] for g in gold):
                ctx = text[max(0, s["start"] - 30):s["end"] + 30].replace("\n", " ")
                print(f"EXTRA {doc}: {s['text']!r}={s['value']}  ...{ctx}...")
                shown += 1
        if shown >= limit:
            break


def parse(timex_eval, path):
    text, tx = timex_eval.read_timeml_file(path)
    gold = [{"start": t.start, "end": t.end, "text": t.text, "type": t.type, "value": t.value}
            for t in tx]
    return text, gold, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--errors", type=int, default=0)
    a = ap.parse_args()
    data = os.path.join(a.source_dir, "..", "shared", "data", "timeml")
    scorer = os.path.join(a.source_dir, "..", "shared", "tools", "timex_eval.py")
    rules = os.path.join(a.source_dir, "config", "rules", "en")
    figures_path = os.path.join(HERE, "timeml_figures.json")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        both = os.path.join(tmp, "all")
        os.mkdir(both)
        for corpus in ("timebank", "aquaint"):
            d = os.path.join(data, corpus)
            files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".tml"))
            for f in files:  # a combined gold set by links, not copies
                os.symlink(os.path.abspath(f), os.path.join(both, os.path.basename(f)))
            out = os.path.join(tmp, corpus + ".jsonl")
            tag(a.dateline, rules, files, out)
            results[corpus] = score(scorer, d, out)
        allout = os.path.join(tmp, "all.jsonl")
        with open(allout, "wb") as w:
            for corpus in ("timebank", "aquaint"):
                with open(os.path.join(tmp, corpus + ".jsonl"), "rb") as r:
                    w.write(r.read())
        results["all"] = score(scorer, both, allout)
        if a.errors:
            show_errors(os.path.dirname(scorer), both, allout, a.errors)

    print(f"{'':10}" + "".join(f"{m:>11}" for m in METRICS))
    for name, r in results.items():
        print(f"{name:10}" + "".join(f"{100 * r[m]:11.2f}" for m in METRICS))
    cur = {m: round(100 * results["all"][m], 2) for m in METRICS}
    if a.record:
        with open(figures_path, "w") as f:
            json.dump({"corpus": "TimeBank + AQUAINT (TBAQ-cleaned)", "figures": cur}, f, indent=2)
            f.write("\n")
        print(f"recorded in {figures_path}")
    if a.check:
        with open(figures_path) as f:
            rec = json.load(f)["figures"]
        failed = [m for m in ("strict_f1", "value_f1") if cur[m] < rec[m] - 1.0]
        for m in ("strict_f1", "value_f1"):
            print(f"{m}: {cur[m]:.2f} (recorded {rec[m]:.2f}, floor {rec[m] - 1.0:.2f})")
        n = 2
        print(f"{n - len(failed)} passed, {len(failed)} failed")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

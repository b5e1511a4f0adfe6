#!/usr/bin/env python3
"""Quote detection and speaker attribution on PolNeAR (../shared/data/news).

Gold: the primary (primary == true) PolNeAR attributions whose content has a
quotation mark in or right around it -- direct quotes, whole ("...," he
said) or partial (called the plan "a disgrace"). PolNeAR offsets are code
points into the article text; the raw message puts the text at +17.

Predicted: `dateline extract --lines` on raw/polnear.msgs; quotes with the
same `passage` form one predicted quotation (a quote split around its cue
is one PolNeAR attribution too).

Matching: a predicted quotation is correct when at least half of its
characters lie inside the content spans of one gold attribution (the one
with most overlap is its match). A gold attribution is found when some
correct prediction matches it.
  precision = correct predictions / predictions
  recall    = found gold attributions / gold attributions
  content F1 = harmonic mean
Speaker accuracy, over found gold attributions that have a source: the
prediction's speaker is right when its speaker_mention, or any mention of
its speaker entity, overlaps the gold source span.

Usage: quotes_eval.py --dateline BIN --source-dir DIR [--split dev] [--check | --write]
  --check  exit 1 if a figure is more than 1 point below tests/eval/quotes_figures.json
  --write  record the figures there
"""
import argparse
import json
import os
import subprocess
import sys

QUOTE_CHARS = '"\u201c\u201d'


def overlap(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def cp_offsets(value):
    """Byte offset -> code point offset table for a UTF-8 value."""
    table = {}
    cp = 0
    b = 0
    for ch in value.decode("utf-8"):
        table[b] = cp
        b += len(ch.encode("utf-8"))
        cp += 1
    table[b] = cp
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--split", default="dev", help="PolNeAR split(s), comma-separated")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--show", type=int, default=0, help="print this many errors of each kind")
    a = ap.parse_args()
    news = os.path.join(a.source_dir, "..", "shared", "data", "news")
    splits = set(a.split.split(","))

    arts, lines = [], []
    with open(os.path.join(news, "polnear", "articles.jsonl")) as fa, \
            open(os.path.join(news, "raw", "polnear.msgs"), "rb") as fm:
        for la, lm in zip(fa, fm):
            art = json.loads(la)
            if art["split"] in splits:
                arts.append(art)
                lines.append(lm.rstrip(b"\n"))
    ids = {art["id"] for art in arts}
    gold = {}
    for l in open(os.path.join(news, "polnear", "attributions.jsonl")):
        r = json.loads(l)
        if not r["primary"] or r["doc_id"] not in ids:
            continue
        text = next(x["text"] for x in arts if x["id"] == r["doc_id"]) if False else None
        gold.setdefault(r["doc_id"], []).append(r)

    env = dict(os.environ, DATELINE_RULES=os.path.join(a.source_dir, "config", "rules", "en"))
    p = subprocess.run([a.dateline, "extract", "--lines"], input=b"\n".join(lines) + b"\n",
                       capture_output=True, env=env, timeout=600)
    recs = [json.loads(l) for l in p.stdout.decode().splitlines()]
    if len(recs) != len(arts):
        print(f"dateline extract: {len(recs)} records for {len(arts)} articles", file=sys.stderr)
        return 1

    n_pred = n_correct = n_gold = n_found = n_spk = n_spk_ok = 0
    shown = {"fp": 0, "fn": 0, "spk": 0}
    for art, value, rec in zip(arts, lines, recs):
        text = art["text"]
        table = cp_offsets(value)

        def cp(off):
            return table[off] - 17

        golds = []
        for g in gold.get(art["id"], []):
            spans = g["content_spans"]
            around = "".join(text[max(0, s - 1):e + 1] for s, e in spans)
            if any(c in around for c in QUOTE_CHARS):
                golds.append(g)
        ents = rec["entities"]
        passages = {}
        for q in rec["quotes"]:
            passages.setdefault(q["passage"], []).append(q)
        found = {}
        for qs in passages.values():
            spans = [(cp(q["start"]), cp(q["end"])) for q in qs]
            length = sum(e - s for s, e in spans)
            best, best_ov = None, 0
            for i, g in enumerate(golds):
                ov = sum(overlap(s, c) for s in spans for c in g["content_spans"])
                if ov > best_ov:
                    best, best_ov = i, ov
            n_pred += 1
            if best is not None and best_ov * 2 >= length:
                n_correct += 1
                found.setdefault(best, qs[0])
            elif shown["fp"] < a.show:
                shown["fp"] += 1
                print("FP:", art["id"], repr(text[spans[0][0]:spans[-1][1]][:100]))
        for i, g in enumerate(golds):
            n_gold += 1
            if i not in found:
                if shown["fn"] < a.show:
                    shown["fn"] += 1
                    print("FN:", art["id"], repr(g["content_text"][:100]))
                continue
            n_found += 1
            if not g["source_spans"]:
                continue
            n_spk += 1
            q = found[i]
            cands = []
            if q["speaker_mention"]:
                cands.append(q["speaker_mention"])
            if q["speaker"] is not None:
                cands += next(e for e in ents if e["id"] == q["speaker"])["mentions"]
            ok = any(overlap((cp(s), cp(e)), src) for s, e in cands for src in g["source_spans"])
            n_spk_ok += ok
            if not ok and shown["spk"] < a.show:
                shown["spk"] += 1
                sm = q["speaker_mention"]
                print("SPK:", art["id"], "gold", repr(g["source_text"]), "cue", repr(g["cue_text"]),
                      "pred", repr(text[cp(sm[0]):cp(sm[1])] if sm else None), q["speaker"],
                      "|", repr(g["content_text"][:60]))

    prec = 100.0 * n_correct / n_pred if n_pred else 0.0
    rec_ = 100.0 * n_found / n_gold if n_gold else 0.0
    f1 = 2 * prec * rec_ / (prec + rec_) if prec + rec_ else 0.0
    spk = 100.0 * n_spk_ok / n_spk if n_spk else 0.0
    figures = {"split": a.split, "articles": len(arts), "gold_quotes": n_gold,
               "predicted_quotes": n_pred, "precision": round(prec, 2), "recall": round(rec_, 2),
               "content_f1": round(f1, 2), "speaker_accuracy": round(spk, 2),
               "speaker_cases": n_spk}
    print(json.dumps(figures))
    path = os.path.join(a.source_dir, "tests", "eval", "quotes_figures.json")
    if a.write:
        stored = json.load(open(path)) if os.path.exists(path) else {}
        stored[a.split] = figures
        with open(path, "w") as f:
            json.dump(stored, f, indent=2, sort_keys=True)
            f.write("\n")
    if a.check:
        stored = json.load(open(path)).get(a.split)
        bad = [k for k in ("content_f1", "speaker_accuracy", "precision", "recall")
               if stored and figures[k] < stored[k] - 1.0]
        for k in bad:
            print(f"FAIL: {k} {figures[k]} < recorded {stored[k]} - 1", file=sys.stderr)
        if bad:
            return 1
        print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

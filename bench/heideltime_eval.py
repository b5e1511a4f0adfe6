#!/usr/bin/env python3
"""TempEval-3 figures of dateline and HeidelTime on the TimeML data
(../shared/data/timeml: TimeBank + AQUAINT), both scored by
../shared/tools/timex_eval.py. Used by bench/run.sh.

  heideltime_eval.py --dateline BIN --classpath CP --config PROPS [--source-dir DIR]

HeidelTime gets each document's TEXT content (as the scorer reads it: tags
removed, entities decoded) and its DCT (the CREATION_TIME TIMEX3); its
TimeML output is mapped back to code-point offsets of that text. dateline
runs `extract --timeml` (byte offsets). Prints one JSON object:
{"dateline": {...}, "heideltime": {...}, "documents": N, "heideltime_seconds": S}.
The corpora are read where they are, never copied into the repository.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DCT_RE = re.compile(r"<TIMEX3\b[^>]*functionInDocument=\"CREATION_TIME\"[^>]*>", re.S)
VALUE_RE = re.compile(r"\bvalue=\"([^\"]*)\"")
TAG_RE = re.compile(r"<(/?)TIMEX3\b([^>]*)>")
ATTR_RE = re.compile(r"(\w+)=\"([^\"]*)\"")
ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}


def dct_of(markup):
    m = DCT_RE.search(markup)
    v = VALUE_RE.search(m.group(0)).group(1) if m else ""
    if not re.match(r"^\d{4}-\d{2}-\d{2}", v):
        raise ValueError("no CREATION_TIME date")
    return v[:10]


def map_output(out, text):
    """TIMEX3 spans of HeidelTime's TimeML output as offsets into text."""
    body = out
    i = body.find("<TimeML>")
    if i >= 0:
        body = body[i + len("<TimeML>"):]
    j = body.rfind("</TimeML>")
    if j >= 0:
        body = body[:j]
    # HeidelTime puts the text between "<TimeML>\n" and "\n</TimeML>".
    if body.startswith("\n"):
        body = body[1:]
    pos, k, spans, open_at, attrs = 0, 0, [], None, None
    while k < len(body):
        m = TAG_RE.match(body, k)
        if m:
            if m.group(1):
                if open_at is not None:
                    spans.append((open_at, pos, attrs))
                open_at = None
            else:
                open_at, attrs = pos, dict(ATTR_RE.findall(m.group(2)))
            k = m.end()
            continue
        ch = body[k]
        if ch == "&":
            for ent, rep in ENTITIES.items():
                if body.startswith(ent, k) and text.startswith(rep, pos) and \
                        not text.startswith(ent, pos):
                    k += len(ent)
                    pos += len(rep)
                    break
            else:
                pos, k = pos + 1, k + 1
            continue
        if pos < len(text) and text[pos] != ch:
            raise ValueError(f"output text differs at {pos}: {text[pos:pos+20]!r} vs {body[k:k+20]!r}")
        pos, k = pos + 1, k + 1
    return [{"start": s, "end": e, "text": text[s:e], "type": a.get("type", ""),
             "value": a.get("value", "")} for s, e, a in spans]


def score(scorer, gold, system, byte_offsets):
    cmd = [sys.executable, scorer, gold, system, "--json"] + (["--byte-offsets"] if byte_offsets else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        sys.exit(f"scorer failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout)["total"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--classpath", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--source-dir", default=os.path.dirname(HERE))
    a = ap.parse_args()
    shared = os.path.join(a.source_dir, "..", "shared")
    scorer = os.path.join(shared, "tools", "timex_eval.py")
    sys.path.insert(0, os.path.dirname(scorer))
    import timex_eval  # the shared scorer's TimeML reader: the text it scores against

    data = os.path.join(shared, "data", "timeml")
    files = []
    for corpus in ("timebank", "aquaint"):
        d = os.path.join(data, corpus)
        files += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".tml"))
    with tempfile.TemporaryDirectory() as tmp:
        gold = os.path.join(tmp, "gold")
        docs = os.path.join(tmp, "docs")
        os.mkdir(gold)
        os.mkdir(docs)
        texts = {}
        for f in files:
            name = os.path.basename(f)[:-4]
            os.symlink(os.path.abspath(f), os.path.join(gold, os.path.basename(f)))
            with open(f, encoding="utf-8") as fh:
                markup = fh.read()
            text, _ = timex_eval.parse_timeml(markup)
            texts[name] = text
            with open(os.path.join(docs, name + ".txt"), "w", encoding="utf-8") as w:
                w.write(text)
            with open(os.path.join(docs, name + ".dct"), "w") as w:
                w.write(dct_of(markup))
        # dateline
        dl_out = os.path.join(tmp, "dateline.jsonl")
        rules = os.path.join(a.source_dir, "config", "rules", "en")
        with open(dl_out, "wb") as w:
            p = subprocess.run([a.dateline, "extract", "--rules", rules, "--timeml", *files],
                               stdout=w, stderr=subprocess.PIPE, timeout=900)
        if p.returncode != 0:
            sys.exit(f"dateline extract --timeml failed: {p.stderr.decode()[-2000:]}")
        # HeidelTime
        t0 = time.monotonic()
        p = subprocess.run(["java", "-cp", a.classpath, "HeidelBench", a.config, "docs", docs],
                           capture_output=True, text=True, timeout=7200)
        ht_seconds = time.monotonic() - t0
        if p.returncode != 0:
            sys.exit(f"HeidelTime failed: {p.stderr[-2000:]}")
        ht_out = os.path.join(tmp, "heideltime.jsonl")
        bad = 0
        with open(ht_out, "w", encoding="utf-8") as w:
            for name, text in texts.items():
                with open(os.path.join(docs, name + ".out"), encoding="utf-8") as fh:
                    out = fh.read()
                try:
                    tx = map_output(out, text)
                except ValueError as e:
                    if bad < 3:
                        print(f"heideltime_eval: {name}: {e}", file=sys.stderr)
                    tx, bad = [], bad + 1
                w.write(json.dumps({"doc": name, "timexes": tx}) + "\n")
        res = {"documents": len(files), "heideltime_unmapped_documents": bad,
               "heideltime_seconds": round(ht_seconds, 1),
               "dateline": score(scorer, gold, dl_out, True),
               "heideltime": score(scorer, gold, ht_out, False)}
    print(json.dumps(res))


if __name__ == "__main__":
    main()

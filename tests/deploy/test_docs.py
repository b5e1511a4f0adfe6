#!/usr/bin/env python3
"""Keeps the operations docs in step with the code.

    python3 tests/deploy/test_docs.py --dateline build/dateline --source-dir .
    python3 tests/deploy/test_docs.py --dateline build/dateline --source-dir . --write

Checks (and with --write, regenerates) two blocks of README.md:
  - the configuration reference between <!-- config-keys:begin/end -->,
    generated from the binary's own key table (`dateline check --keys`);
  - the metrics table between <!-- metrics:begin/end -->, generated from the
    series that pipeline/runtime/metrics.c renders (names, types, labels,
    HELP texts).
Also checks that every key of the binary appears in config/dateline.yaml
(the documented example), that every subcommand of `dateline --help` has a
docs/dateline-<command>.md page and a working `dateline <command> --help`,
and that the probe paths of the docs are the binary's.
"""

import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, summary  # noqa: E402


def config_keys(dateline):
    r = subprocess.run([dateline, "check", "--keys"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit("dateline check --keys failed: %s" % r.stderr)
    return [tuple(line.split("\t")) for line in r.stdout.splitlines() if line]


def config_block(keys):
    rows = ["| Key | Type | Default |", "| --- | --- | --- |"]
    for key, kind, default in keys:
        if kind == "properties":
            shown = "(empty: librdkafka defaults)"
        elif default == "":
            shown = '`""`'
        else:
            shown = "`%s`" % default.replace(",", ", ")
        rows.append("| `%s` | %s | %s |" % (key, kind, shown))
    return "\n".join(rows)


def metrics_block(src):
    with open(os.path.join(src, "pipeline", "runtime", "metrics.c")) as f:
        text = f.read()
    # Adjacent C string literals as one ("a" "b" -> "ab").
    joined = re.sub(r'"\s*\n\s*"', "", text)
    lit = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'
    heads = []  # (name, type, help literals), in the order rendered
    for m in re.finditer(r'out_header\(&b,\s*"(\w+)",\s*"(\w+)",\s*' + lit + r'\)|'
                         r'out_hist\(&b,\s*"(\w+)",\s*' + lit + r',', text):
        heads.append(m.group(1, 2, 3) if m.group(1) else (m.group(4), "histogram", m.group(5)))
    rows = ["| Metric | Type | Labels | Meaning |", "| --- | --- | --- | --- |"]
    for name, kind, help_parts in heads:
        helptext = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', help_parts))
        labels = set()
        for inner in re.findall(re.escape(name) + r'(?:_bucket)?\{([^}]*)\}', joined):
            labels |= set(re.findall(r'(\w+)=\\"', inner))
        labels |= set(re.findall(r'out_labelled\(&b,\s*"' + re.escape(name) + r'",\s*"(\w+)"', text))
        if kind == "histogram":
            labels.add("le")
        rows.append("| `%s` | %s | %s | %s |" % (name, kind, ", ".join(sorted(labels)) or "", helptext))
    return "\n".join(rows), [h[0] for h in heads]


def replace_block(text, tag, body):
    begin, end = "<!-- %s:begin -->" % tag, "<!-- %s:end -->" % tag
    m = re.search(re.escape(begin) + r"\n(.*?)\n?" + re.escape(end), text, re.S)
    if not m:
        return None, None
    return m.group(1).strip(), text[:m.start()] + begin + "\n" + body + "\n" + end + text[m.end():]


def yaml_paths(node, prefix=""):
    out = set()
    if isinstance(node, dict):
        for k, v in node.items():
            p = prefix + "." + str(k) if prefix else str(k)
            out.add(p)
            if isinstance(v, dict) and not p.endswith(("consumer", "producer")):
                out |= yaml_paths(v, p)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--write", action="store_true", help="regenerate the README blocks")
    a = ap.parse_args()
    src = a.source_dir
    readme_path = os.path.join(src, "README.md")
    with open(readme_path) as f:
        readme = f.read()

    keys = config_keys(a.dateline)
    check(len(keys) > 10, "dateline check --keys lists the keys (%d)" % len(keys))
    mblock, metric_names = metrics_block(src)
    for want in ("dateline_messages_consumed_total", "dateline_records_produced_total",
                 "dateline_dead_letters_total", "dateline_extract_seconds", "dateline_consumer_lag",
                 "dateline_rebalances_total", "dateline_inflight"):
        check(want in metric_names, "metrics.c renders %s (DESIGN.md)" % want)

    new = readme
    for tag, body in (("config-keys", config_block(keys)), ("metrics", mblock)):
        have, replaced = replace_block(new, tag, body)
        if not check(have is not None, "README.md has a <!-- %s:begin/end --> block" % tag):
            continue
        if a.write:
            new = replaced
        else:
            check(have == body.strip(), "README.md %s block matches the code; regenerate with: "
                  "python3 tests/deploy/test_docs.py --dateline build/dateline --source-dir . --write" % tag)
    if a.write and new != readme:
        with open(readme_path, "w") as f:
            f.write(new)
        print("README.md: blocks regenerated")

    # The example config documents every key.
    try:
        import yaml  # noqa: PLC0415
        with open(os.path.join(src, "config", "dateline.yaml")) as f:
            paths = yaml_paths(yaml.safe_load(f))
        missing = [k for k, _, _ in keys if k not in paths]
        check(not missing, "config/dateline.yaml documents every key; missing: %s" % missing)
    except ImportError:
        print("PyYAML missing: config/dateline.yaml not checked")

    # One docs page and a help per command.
    r = subprocess.run([a.dateline, "--help"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "dateline --help exits 0")
    cmds = re.findall(r"^  (\w+)\s{2,}", r.stdout.split("commands:", 1)[-1].split("options:", 1)[0], re.M)
    check(len(cmds) >= 3, "dateline --help lists the commands (%r)" % cmds)
    check(os.path.exists(os.path.join(src, "docs", "dateline.md")), "docs/dateline.md exists")
    for cmd in cmds:
        page = os.path.join(src, "docs", "dateline-%s.md" % cmd)
        check(os.path.exists(page), "docs page %s exists" % os.path.relpath(page, src))
        h = subprocess.run([a.dateline, cmd, "--help"], capture_output=True, text=True, timeout=30)
        check(h.returncode == 0 and "usage: dateline %s" % cmd in h.stdout,
              "dateline %s --help: exit %d" % (cmd, h.returncode))
        h2 = subprocess.run([a.dateline, "help", cmd], capture_output=True, text=True, timeout=30)
        check(h2.returncode == 0 and h2.stdout == h.stdout, "dateline help %s equals %s --help" % (cmd, cmd))
    v = subprocess.run([a.dateline, "--version"], capture_output=True, text=True, timeout=30)
    check(v.returncode == 0 and re.search(r"^commit: \S+", v.stdout, re.M) and "librdkafka:" in v.stdout,
          "dateline --version shows build info: %r" % v.stdout)

    # Probe paths in the docs are the binary's (http.h).
    with open(os.path.join(src, "include", "dateline", "http.h")) as f:
        paths = re.findall(r'#define DL_HTTP_PATH_\w+\s+"(/\w+)"', f.read())
    ops = readme.split("## Operations", 1)[-1]
    for p in paths:
        check(p in ops, "README Operations mentions %s" % p)

    return summary()


if __name__ == "__main__":
    sys.exit(main())

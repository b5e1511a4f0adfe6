#!/usr/bin/env python3
"""`dateline check`, `--version` and help without a broker.

    python3 tests/cli/test_check.py --dateline build/dateline --source-dir .

Every problem is reported as file:line:col (keys, values, librdkafka
properties in the same run, rules), the exit status is 1 on any error, 0 and
"ok" on a valid file; --quiet, --keys, `help check`, `--version -c`.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, summary  # noqa: E402


def run(args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    e.update(env or {})
    return subprocess.run(args, capture_output=True, text=True, env=e, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    a = ap.parse_args()
    dl = a.dateline
    with tempfile.TemporaryDirectory() as d:
        shutil.copytree(os.path.join(a.source_dir, "config", "rules"), os.path.join(d, "rules"))
        cfg = os.path.join(d, "c.yaml")

        def write(text):
            with open(cfg, "w") as f:
                f.write(text)

        # Structure, values and librdkafka properties, all in one run.
        write("kafka:\n"
              "  brokerz: x\n"
              "  consumer:\n"
              "    fetch.max.bytez: 1\n"
              "    enable.auto.commit: maybe\n"
              "    client.id: fine\n"
              "  producer:\n"
              "    compression.type: zip\n"
              "http:\n"
              "  listen: nowhere\n")
        p = run([dl, "check", cfg])
        err = p.stderr
        check(p.returncode == 1, "bad config: exit %d" % p.returncode)
        for pos, what in (("2:3", "brokerz"), ("4:5", "fetch.max.bytez"), ("5:5", "enable.auto.commit"),
                          ("8:5", "compression.type"), ("10:11", "http.listen")):
            check("%s:%s: " % (cfg, pos) in err and what in err, "%s reported at %s: %r" % (what, pos, err))
        check("client.id" not in err, "a valid property is not reported")
        check(err.strip().endswith("5 errors"), "summary counts 5 errors: %r" % err[-80:])

        # Secrets through the environment; unset ones are errors.
        write("kafka:\n  consumer:\n    sasl.password: ${DL_T_SECRET}\n")
        p = run([dl, "check", cfg])
        check(p.returncode == 1 and "%s:3:20:" % cfg in p.stderr, "unset ${VAR}: %r" % p.stderr)
        p = run([dl, "check", "--quiet", cfg], {"DL_T_SECRET": "s3cret"})
        check(p.returncode == 0 and p.stdout == "" and p.stderr == "", "--quiet on a valid file: %r" % (p,))
        check("s3cret" not in p.stdout + p.stderr, "secrets are not printed")

        # Rules: a broken rule file is reported with its position.
        with open(os.path.join(d, "rules", "en", "zz.yaml"), "w") as f:
            f.write("timex: [unclosed\n")
        write("http:\n  listen: 0.0.0.0:9102\n")
        p = run([dl, "check", cfg])
        check(p.returncode == 1 and re.search(r"zz\.yaml:\d+:\d+: ", p.stderr), "rules error: %r" % p.stderr)
        # A valid rule the rule scan's automaton cannot model (a back
        # reference): noted, not an error.
        with open(os.path.join(d, "rules", "en", "zz.yaml"), "w") as f:
            f.write("timex:\n  - name: doubled_day\n    pattern: '(day)\\s+\\1'\n"
                    "    type: DURATION\n    norm: literal\n    value: P2D\n")
        p = run([dl, "check", cfg])
        check(p.returncode == 0 and "rule 'doubled_day' is tried at every word start" in p.stdout,
              "a rule outside the automaton is noted: %r" % (p.stdout + p.stderr))
        os.unlink(os.path.join(d, "rules", "en", "zz.yaml"))
        p = run([dl, "check", cfg])
        check(p.returncode == 0 and p.stdout.strip().endswith(": ok"), "valid: %r" % (p.stdout + p.stderr))
        check("tried at every word start" not in p.stdout, "no shipped rule is outside the automaton")
        check("http.listen 0.0.0.0:9102 serves /metrics /healthz /ready" in p.stdout, "serves line: %r" % p.stdout)
        m = re.search(r"hash (\w+)\)", p.stdout)
        v = run([dl, "--version", "-c", cfg])
        check(v.returncode == 0 and m and ("rules hash: %s" % m.group(1)) in v.stdout,
              "--version -c shows the rules hash check prints: %r" % v.stdout)

    # Keys, usage errors, help.
    p = run([dl, "check", "--keys"])
    keys = [ln.split("\t")[0] for ln in p.stdout.splitlines()]
    check(p.returncode == 0 and "http.listen" in keys and "kafka.consumer" in keys, "--keys: %r" % keys[:5])
    check(run([dl, "check"]).returncode == 2, "no CONFIG: exit 2")
    check(run([dl, "check", "--bogus", "x"]).returncode == 2, "unknown option: exit 2")
    h = run([dl, "help", "check"])
    check(h.returncode == 0 and "librdkafka" in h.stdout and "--keys" in h.stdout, "help check: %r" % h.stdout[:80])
    check(run([dl, "help", "nope"]).returncode == 2, "help of an unknown command: exit 2")
    return summary()


if __name__ == "__main__":
    sys.exit(main())

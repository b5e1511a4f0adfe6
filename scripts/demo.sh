#!/usr/bin/env bash
# The main job end to end on the bundled sample articles, on this machine:
# installs what is missing, builds, starts a local Kafka broker, produces
# samples/articles.msgs to the input topic, runs `dateline run`, prints the
# enriched records and the dead letters, stops everything.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

run_dir="$(mktemp -d)"
stage_pid=""
cleanup() {
    [ -n "$stage_pid" ] && kill "$stage_pid" 2>/dev/null && wait "$stage_pid" 2>/dev/null
    scripts/kafka.sh stop "$run_dir/kafka" >/dev/null 2>&1 || true
    rm -rf "$run_dir"
}
trap cleanup EXIT

echo "== starting a local Kafka broker (KRaft, 127.0.0.1) ==" >&2
eval "$(scripts/kafka.sh start "$run_dir/kafka" | grep '^DATELINE_BROKERS=')"
export DATELINE_BROKERS
for t in articles:3 articles.enriched:3 articles.timeline:3 articles.dlq:1; do
    scripts/kafka.sh create-topic "${t%%:*}" "${t##*:}" "$run_dir/kafka" >/dev/null
done

n="$(grep -c . samples/articles.msgs)"
echo "== producing $n sample messages to 'articles' ==" >&2
kcat -P -b "$DATELINE_BROKERS" -t articles -l samples/articles.msgs

echo "== dateline run -c config/dateline.yaml ==" >&2
build/dateline run -c config/dateline.yaml 2>"$run_dir/stage.log" &
stage_pid=$!

# Wait until every sample came out on the enriched or the dead-letter topic.
count() { kcat -C -b "$DATELINE_BROKERS" -t "$1" -e -q -f '%o\n' 2>/dev/null | wc -l; }
for _ in $(seq 1 60); do
    [ $(( $(count articles.enriched) + $(count articles.dlq) )) -ge "$n" ] && break
    sleep 1
done
kill -TERM "$stage_pid"
wait "$stage_pid" && status=0 || status=$?
stage_pid=""
echo "== dateline exited with status $status; its last log lines: ==" >&2
tail -n 3 "$run_dir/stage.log" >&2

echo "== enriched records (id, published, timexes) ==" >&2
kcat -C -b "$DATELINE_BROKERS" -t articles.enriched -e -q -f '%s\n' |
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    tx = ", ".join("%s=%s" % (t["text"], t["value"]) for t in r["timexes"])
    print("%s  published %s  %s" % (r["id"], r["published"]["value"], tx))'
echo "== dead letters (reason header) ==" >&2
kcat -C -b "$DATELINE_BROKERS" -t articles.dlq -e -q -f '%h\n'
exit "$status"

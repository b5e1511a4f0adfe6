#!/usr/bin/env bash
# Replay throughput next to `dateline run`, through a real local broker.
#
#   bench/replay.sh [N]        N messages (default 100000), 3 input partitions
#
# Builds if needed, starts a broker of its own (scripts/kafka.sh, state in
# build/bench-replay-kafka; stopped at the end), produces N
# articles (samples/articles.msgs cycled, unique keys, one timestamp per
# millisecond) with build/tests/integration/dl_kafka_tool, then measures
#   run:    `dateline run` from start until all N outputs are in the output
#           topics (includes joining the live group, ~3 s on a fresh one);
#   replay: `dateline replay` over the whole topic to --output-prefix topics,
#           from start to exit 0 (includes planning and the final flush).
# Prints one line per mode: messages, seconds, messages/s.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
n="${1:-100000}"
build="${DL_BUILD:-build}"

if [[ ! -x "$build/dateline" || ! -x "$build/tests/integration/dl_kafka_tool" ]]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
fi
tool="$build/tests/integration/dl_kafka_tool"

kdir="$repo/$build/bench-replay-kafka"
DATELINE_BROKERS="$(scripts/kafka.sh start "$kdir" 2>/dev/null | sed -n 's/^DATELINE_BROKERS=//p')"
[[ -n "$DATELINE_BROKERS" ]] || { echo "broker did not start (see $kdir/broker.log)" >&2; exit 1; }
export DATELINE_BROKERS
cleanup() {
    [[ -n "${run_pid:-}" ]] && kill "$run_pid" 2>/dev/null || true
    scripts/kafka.sh stop "$kdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

prefix="bench$$."
export DL_TOPIC_PREFIX="$prefix" DL_GROUP="${prefix}live" DL_LOG_LEVEL=warn
# Timestamps are in 2020: keep them from time-based retention.
scripts/kafka.sh create-topic "${prefix}articles" 3 retention.ms=-1 "$kdir" >/dev/null
for t in enriched:3 dlq:1 timeline:1; do
    scripts/kafka.sh create-topic "$prefix${t%%:*}" "${t##*:}" "$kdir" >/dev/null
done
scripts/kafka.sh create-topic "bf.${prefix}enriched" 3 "$kdir" >/dev/null
scripts/kafka.sh create-topic "bf.${prefix}dlq" 1 "$kdir" >/dev/null
scripts/kafka.sh create-topic "bf.${prefix}timeline" 1 "$kdir" >/dev/null

python3 - "$n" samples/articles.msgs <<'EOF' | "$tool" produce "$DATELINE_BROKERS" "${prefix}articles" 2>/dev/null
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "rb") as f:
    msgs = [l.rstrip(b"\n") for l in f if l.strip()]
out = sys.stdout.buffer
base = 1600000000000
for i in range(n):
    out.write(b"%d\t%d\tbench-%d\t%s\n" % (i % 3, base + i, i, msgs[i % len(msgs)]))
EOF
bytes="$(wc -c < samples/articles.msgs)"
echo "produced $n messages (samples/articles.msgs cycled, ~$((bytes / $(wc -l < samples/articles.msgs))) bytes each) to ${prefix}articles"

cfg=tests/integration/replay.yaml
now() { date +%s.%N; }

# ---- dateline run: until every output record is in the output topics
# (end offsets of enriched + dead letters; a committed-offset criterion would
# add up to auto.commit.interval.ms)
outputs() {
    kcat -b "$DATELINE_BROKERS" -Q -t "${1}enriched:0:-1" -t "${1}enriched:1:-1" \
        -t "${1}enriched:2:-1" -t "${1}dlq:0:-1" 2>/dev/null | awk '{ s += $NF } END { print s + 0 }'
}
t0="$(now)"
"$build/dateline" run -c "$cfg" 2>"$build/bench-run.log" &
run_pid=$!
t_first=""
while :; do
    got="$(outputs "$prefix")"
    [[ -z "$t_first" && "$got" -gt 0 ]] && t_first="$(now)"
    [[ "$got" -ge "$n" ]] && break
    kill -0 "$run_pid" 2>/dev/null || { echo "dateline run died" >&2; exit 1; }
    sleep 0.1
done
t1="$(now)"
kill -TERM "$run_pid"
wait "$run_pid" || true
run_pid=""
awk -v n="$n" -v a="$t0" -v b="$t1" -v f="$t_first" 'BEGIN { s = b - a; printf "run:    %d messages  %.2f s  %.0f msg/s   (%.2f s from the first output record: %.0f msg/s)\n", n, s, n / s, b - f, n / (b - f) }'

# ---- dateline replay: the whole topic, to separate output topics
t0="$(now)"
"$build/dateline" replay -c "$cfg" --output-prefix bf. --progress none >"$build/bench-replay.out" 2>"$build/bench-replay.log"
t1="$(now)"
awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { s = b - a; printf "replay: %d messages  %.2f s  %.0f msg/s\n", n, s, n / s }'
sed 's/^/        /' "$build/bench-replay.out"
grep -q "^replay complete: $n messages read" "$build/bench-replay.out" ||
    { echo "replay did not read all $n messages (log: $build/bench-replay.log)" >&2; exit 1; }

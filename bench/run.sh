#!/usr/bin/env bash
# Runs every benchmark and appends a dated row to BENCHMARKS.md (see there
# for the columns and the command behind each figure).
#
#   bench/run.sh                    everything (~10 min; HeidelTime is the slow part)
#   bench/run.sh --skip kafka,heideltime,tempeval    a subset (steps: extract,
#                                   threads, callgrind, heideltime, tempeval, kafka,
#                                   floor: the latency phase without extraction)
#   bench/run.sh --no-append        print the row, leave BENCHMARKS.md alone
#   other options go to bench/bench.py (--runs N, --ht-articles N, --e2e-repeat N)
#
# Needs what scripts/setup.sh installs, plus valgrind for the instruction
# counts and a JDK for HeidelTime's driver (both installed here when
# missing). Builds build-bench (RelWithDebInfo,
# or $DL_BENCH_BUILD), fetches HeidelTime into .cache/heideltime and starts a
# broker of its own (scripts/kafka.sh, state in .cache/bench-kafka), stopped
# at the end. Reads ../shared/data/news/raw/t17.msgs where it is.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
build="${DL_BENCH_BUILD:-build-bench}"
args=("$@")

want() { # is step $1 not in --skip?
    local i
    for ((i = 0; i < ${#args[@]}; i++)); do
        if [[ "${args[i]}" == --skip && ",${args[i + 1]:-}," == *",$1,"* ]]; then
            return 1
        fi
    done
    return 0
}

# What scripts/setup.sh does not install: valgrind (instruction counts) and
# a JDK (javac, to compile the HeidelTime driver).
missing=()
if want callgrind && ! command -v valgrind >/dev/null; then
    missing+=(valgrind)
fi
if { want heideltime || want tempeval; } && ! command -v javac >/dev/null; then
    missing+=(default-jdk-headless)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "bench/run.sh: installing ${missing[*]}" >&2
    sudo_cmd=()
    [[ "$(id -u)" -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        { "${sudo_cmd[@]}" apt-get update -qq &&
          "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

broker_args=()
if want kafka; then
    kdir="$repo/.cache/bench-kafka"
    brokers="$(scripts/kafka.sh start "$kdir" 2>/dev/null | sed -n 's/^DATELINE_BROKERS=//p')"
    [[ -n "$brokers" ]] || { echo "bench/run.sh: broker did not start (see $kdir/broker.log)" >&2; exit 1; }
    trap 'scripts/kafka.sh stop "$kdir" >/dev/null 2>&1 || true' EXIT
    broker_args=(--brokers "$brokers" --state "$kdir")
fi

python3 bench/bench.py --build "$build" "${broker_args[@]}" "$@"

#!/usr/bin/env bash
# Checks that the optimised rule scan (word-start dispatch, probes, caches)
# finds exactly what the plain per-rule search finds, over a whole message
# file: runs `dateline extract --lines` of build-bench and its dateline_ref
# (the same program built with -DDL_EXTRACT_REFERENCE) and compares the
# records, stats.extract_us aside, with --threads 1 and 2. The ctest
# cli_scan does the same on the samples and the first 300 T17 articles.
#
#   bench/check_scan.sh [FILE]      default ../shared/data/news/raw/t17.msgs
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
input="${1:-$repo/../shared/data/news/raw/t17.msgs}"
fast="${DL_BENCH_BUILD:-build-bench}"

cmake -S . -B "$fast" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$fast" -j"$(nproc)" --target dateline dateline_ref >/dev/null

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
norm() { sed -E 's/"extract_us":[0-9]+/"extract_us":0/' "$1" | md5sum | cut -d' ' -f1; }
status=0
"$fast/dateline_ref" extract --rules config/rules/en --lines "$input" >"$tmp/ref" 2>/dev/null || status=$?
[[ $status -eq 0 || $status -eq 3 ]] || { echo "check_scan: reference build failed ($status)" >&2; exit 1; }
for threads in 1 2; do
    status=0
    "$fast/dateline" extract --rules config/rules/en --lines --threads "$threads" "$input" \
        >"$tmp/fast" 2>/dev/null || status=$?
    [[ $status -eq 0 || $status -eq 3 ]] || { echo "check_scan: dateline failed ($status)" >&2; exit 1; }
    if [[ "$(norm "$tmp/ref")" != "$(norm "$tmp/fast")" ]]; then
        echo "check_scan: --threads $threads differs from the reference search on $input" >&2
        exit 1
    fi
done
echo "check_scan: identical records ($(wc -l <"$tmp/ref") lines, --threads 1 and 2) on $input"

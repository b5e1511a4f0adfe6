#!/usr/bin/env bash
# Checks that the optimised rule scan (word-start dispatch, probes, caches)
# finds exactly what the plain per-rule search finds, over a whole message
# file: tests/cli/test_scan.py (the ctest cli_scan, which runs it on the
# samples and the first 300 T17 articles) on the file, with build-bench's
# dateline (--threads 1 and 2) against its dateline_ref, the same program
# built with -DDL_EXTRACT_REFERENCE.
#
#   bench/check_scan.sh [FILE]      default ../shared/data/news/raw/t17.msgs
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
input="${1:-$repo/../shared/data/news/raw/t17.msgs}"
fast="${DL_BENCH_BUILD:-build-bench}"

cmake -S . -B "$fast" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$fast" -j"$(nproc)" --target dateline dateline_ref >/dev/null

exec python3 tests/cli/test_scan.py --dateline "$fast/dateline" --reference "$fast/dateline_ref" \
    --source-dir "$repo" --input "$input" --threads 1 2

#!/usr/bin/env bash
# Runs every test of dateline on a fresh machine: installs what is missing,
# builds a normal and a sanitizer (ASan + UBSan) tree, and runs ctest in both:
# unit and CLI tests, the integration tests against a real Kafka broker that
# ctest starts and stops (label kafka), and (normal tree only) the fault tests
# (label fault). Between the two it compiles Release with cc and clang, so
# -Werror holds at -O3 too. Then a short libFuzzer run.
#
#   scripts/test.sh                 everything
#   DL_TEST_LABEL=unit scripts/test.sh   only tests with that ctest label (no fuzz run)
#   DL_FUZZ_SECONDS=0 scripts/test.sh    skip the libFuzzer run (default 60 s per target)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
jobs="$(nproc 2>/dev/null || echo 2)"
label=(${DL_TEST_LABEL:+-L "$DL_TEST_LABEL"})

scripts/setup.sh

echo "== build (RelWithDebInfo) ==" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests ==" >&2
ctest --test-dir build --output-on-failure "${label[@]}"

# -Werror holds at every optimisation level a user may pick: GCC's -O3
# analyses (stringop-overflow) and clang's -Wformat=2 see things that the
# RelWithDebInfo build does not. Compile only; the tests ran above.
echo "== build (Release, cc and clang: warnings only) ==" >&2
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$jobs" >/dev/null
if command -v clang >/dev/null; then
    CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build-clang -j"$jobs" >/dev/null
fi

echo "== build (ASan + UBSan) ==" >&2
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDL_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan + UBSan ==" >&2
# detect_leaks: every test must free what it allocates.
# The fault suite (label fault) runs in the normal build only: it checks
# delivery guarantees against a real broker (kills, restarts, rebalances),
# not memory, and under ASan its timing-driven scenarios would double CI time.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -LE fault "${label[@]}"

# Short libFuzzer run of every fuzz target (60 s each; DL_FUZZ_SECONDS to
# change, 0 to skip) when clang can link libFuzzer.
fuzz_secs="${DL_FUZZ_SECONDS:-60}"
if [ -z "${DL_TEST_LABEL:-}" ] && [ "$fuzz_secs" != 0 ]; then
    echo "== fuzz (${fuzz_secs}s per target) ==" >&2
    if command -v clang >/dev/null; then
        scripts/fuzz.sh "$fuzz_secs"
    else
        echo "test.sh: clang not found, fuzzing skipped" >&2
    fi
fi

#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz: decode, config, extract, iso, automaton) with clang,
# ASan and UBSan, each for SECONDS (default 60), starting from a copy of its
# seed corpus (new inputs land in build-fuzz/corpus/, not in the repository).
#
#   scripts/fuzz.sh            60 s per target (what scripts/test.sh runs)
#   scripts/fuzz.sh 1800       the longer run before a release (30 min each)
#
# A crash leaves its input in build-fuzz/artifacts/ and fails the script;
# replay it with build-fuzz/tests/fuzz/fuzz_<target> <file>.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
secs="${1:-60}"
out=build-fuzz

if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang not found (scripts/setup.sh installs it)" >&2
    exit 1
fi
# Does this clang link libFuzzer (Debian: libclang-rt-NN-dev)?
probe="$(mktemp -d)"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
    >"$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    rm -rf "$probe"
    echo "fuzz.sh: clang cannot link libFuzzer (install libclang-rt-dev)" >&2
    exit 1
fi
rm -rf "$probe"

CC=clang cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Debug -DDL_FUZZ=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -O1 -g" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$out" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_decode fuzz_config fuzz_extract fuzz_iso fuzz_automaton

mkdir -p "$out/artifacts"
status=0
for t in decode config extract iso automaton; do
    corpus="$out/corpus/$t"
    mkdir -p "$corpus"
    cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    echo "== fuzz_$t: ${secs}s ==" >&2
    # -rss_limit_mb: the extractor's rules take some memory; 2 GiB is plenty.
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$out/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=25 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
        "$corpus" 2>"$out/fuzz_$t.log"; then
        tail -n 60 "$out/fuzz_$t.log" >&2
        status=1
        echo "fuzz.sh: fuzz_$t FAILED (log: $out/fuzz_$t.log)" >&2
    else
        grep -E "stat::number_of_executed_units|stat::new_units_added" "$out/fuzz_$t.log" |
            sed "s/^/fuzz_$t: /" >&2 || true
    fi
done
exit "$status"

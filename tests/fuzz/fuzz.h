/*
 * dateline - fuzz targets (libFuzzer's entry point). Each target is built
 * two ways: with clang -fsanitize=fuzzer (scripts/fuzz.sh) and as a plain
 * program with fuzz_main.c that replays a corpus, so ctest runs every seed
 * without libFuzzer.
 */
#ifndef DATELINE_FUZZ_H
#define DATELINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

/*
 * dateline - common types: byte slices and positioned errors.
 *
 * Every module returns 0 or a negative DL_E* code and reports details
 * through a caller-owned dl_err.
 */
#ifndef DATELINE_COMMON_H
#define DATELINE_COMMON_H

#include <stddef.h>
#include <stdint.h>

/** A byte range that is not assumed to end in '\0'. */
typedef struct dl_slice {
    const char *p;
    size_t len;
} dl_slice;

#define DL_SLICE(s) ((dl_slice){(s), sizeof(s) - 1})

enum {
    DL_OK       = 0,
    DL_EINVAL   = -1, /* bad argument or bad input */
    DL_EIO      = -2, /* file or stream error */
    DL_ENOMEM   = -3,
    DL_ECONFIG  = -4, /* configuration error, position in dl_err */
    DL_ERULES   = -5, /* rule file error, position in dl_err */
    DL_EDECODE  = -6, /* message is not an article */
    DL_EKAFKA   = -7,
    DL_EEXTRACT = -8,
};

/** An error with an optional source position (1-based, 0 = unknown). */
typedef struct dl_err {
    int code;
    char file[256];
    int line, col;
    char msg[256];
} dl_err;

/** Sets code and message; returns @p code so callers can `return dl_err_set(...)`. */
int dl_err_set(dl_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Like dl_err_set() but also records file:line:col (1-based). */
int dl_err_set_at(dl_err *err, int code, const char *file, int line, int col, const char *fmt,
                  ...) __attribute__((format(printf, 6, 7)));

/** Clears an error (code 0, empty message). NULL is fine. */
void dl_err_clear(dl_err *err);

/**
 * @brief Formats an error as "file:line:col: msg" (or just "msg" without a
 *        position) into @p buf. @returns @p buf.
 */
const char *dl_err_str(const dl_err *err, char *buf, size_t size);

/**
 * Per-message buffers (the decoder's, the extractor's scratch arrays) grow
 * to the longest message seen; past this many bytes they are freed before
 * the next message, so one long article does not pin megabytes in every
 * worker for the life of the process. Blocks this large are mmapped
 * (cmd/dateline/main.c's tune_malloc()), so the memory goes back at once.
 */
#define DL_SCRATCH_KEEP (256 * 1024)

/** Monotonic clock in microseconds / milliseconds (timeouts, durations). */
uint64_t dl_now_us(void);
int64_t dl_now_ms(void);
/** Wall-clock time in milliseconds since the epoch (to compare with Kafka timestamps). */
int64_t dl_wall_ms(void);

/** 64-bit FNV-1a of @p len bytes, continuing @p h (DL_FNV64_SEED to start). */
#define DL_FNV64_SEED 1469598103934665603ull
uint64_t dl_fnv1a64(uint64_t h, const void *p, size_t len);

/** Reads a whole file into a malloc'd buffer (NUL-terminated, length in *len). */
int dl_read_file(const char *path, char **out, size_t *len, dl_err *err);

#endif

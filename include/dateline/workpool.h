/*
 * dateline - an ordered pool of extraction threads, for `dateline run` and
 * `dateline extract --threads`.
 *
 * One thread (the stage's poll thread in `run`) hands messages in; N worker threads, each with
 * its own pipeline (sharing the compiled rules), run dl_pipeline_process()
 * on them; results come back out in the order the messages went in. So
 * records are produced in consumption order (per-partition order is kept)
 * and the offset and transaction logic of the stage stays single-threaded:
 * only extraction moves off the thread that talks to Kafka.
 */
#ifndef DATELINE_WORKPOOL_H
#define DATELINE_WORKPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "dateline/common.h"
#include "dateline/pipeline.h"

typedef struct dl_workpool dl_workpool;

/** A finished job, handed back by dl_workpool_take(). */
typedef struct dl_work_done {
    void *opaque;     /* as given to dl_workpool_submit() */
    int rc;           /* dl_pipeline_process()'s return value */
    dl_result res;    /* the caller owns it now: dl_result_fini() it */
    uint64_t took_us; /* time in dl_pipeline_process() */
} dl_work_done;

/**
 * @brief Starts @p threads workers: the first uses @p pl, the others clones
 *        of it. At most @p depth jobs are queued or running at once.
 * @returns NULL with @p err set on failure.
 * @remark @p pl must outlive the pool and is not used by anyone else while
 *         the pool exists. All calls below come from one thread.
 */
dl_workpool *dl_workpool_new(dl_pipeline *pl, int threads, size_t depth, dl_err *err);

/**
 * @brief Stops the workers after their current job and frees the pool;
 *        results not taken are dropped (fini'd). NULL is fine.
 */
void dl_workpool_destroy(dl_workpool *wp);

/** 1 when @p depth jobs are queued or running (submit must wait). */
int dl_workpool_full(const dl_workpool *wp);

/** Jobs submitted and not yet taken. */
size_t dl_workpool_pending(const dl_workpool *wp);

/**
 * @brief Queues @p msg (its slices must stay valid until the job is taken).
 * @remark The pool must not be full.
 */
void dl_workpool_submit(dl_workpool *wp, const dl_message *msg, void *opaque);

/**
 * @brief Takes the oldest job once it is done, waiting up to @p timeout_ms
 *        (< 0: as long as it takes; 0: no wait).
 * @returns 1 with @p out filled, 0 when no job is pending or the oldest is
 *          not done in time.
 */
int dl_workpool_take(dl_workpool *wp, int timeout_ms, dl_work_done *out);

#endif

/*
 * dateline - an ordered pool of extraction threads, for `dateline run` and
 * `dateline extract --threads`.
 *
 * One thread (the stage's poll thread in `run`) hands messages in; N worker
 * threads, each with its own pipeline (sharing the compiled rules), run
 * dl_pipeline_process() on them; results come back out in the order the
 * messages went in *within a lane* (in `run` a lane is an input partition,
 * in `extract` there is one lane). A slow message holds back only the
 * results of its own lane: `run` produces each partition's records in
 * consumption order as soon as they and their partition predecessors are
 * done, while the offset and transaction logic of the stage stays
 * single-threaded: only extraction moves off the thread that talks to Kafka.
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
    uint64_t finished; /* jobs of the pool that finished before this one */
    int worker;        /* the worker that ran it: 0 ... threads - 1 regular,
                        * then the long-only ones */
} dl_work_done;

/** How a pool is made. */
typedef struct dl_workpool_opts {
    int threads;       /* regular workers (at least 1) */
    int long_threads;  /* workers of long jobs only (0: none) */
    size_t long_bytes; /* a message of at least this many bytes is a long
                        * job (0: no job is) */
    size_t depth;      /* jobs queued, running or not yet taken, at most */
} dl_workpool_opts;

/**
 * @brief Starts the workers: the first uses @p pl, the others clones of it.
 *        With long-only workers, long jobs run on them alone and the
 *        regular workers take the others: a run of long messages cannot
 *        take every worker.
 * @returns NULL with @p err set on failure.
 * @remark @p pl must outlive the pool and is not used by anyone else while
 *         the pool exists. All calls below come from one thread.
 */
dl_workpool *dl_workpool_new(dl_pipeline *pl, const dl_workpool_opts *opts, dl_err *err);

/** Called on a worker thread each time a job is done and can be taken. */
typedef void dl_workpool_notify_fn(void *arg);

/**
 * @brief Has every finished job call @p fn(@p arg) on its worker thread,
 *        after the job can be taken: lets the taking thread block elsewhere
 *        (`run`: in the consumer poll) instead of polling the pool. @p fn
 *        must be quick and thread-safe. Set it before the first submit.
 */
void dl_workpool_on_done(dl_workpool *wp, dl_workpool_notify_fn *fn, void *arg);

/**
 * @brief Stops the workers after their current job and frees the pool;
 *        results not taken are dropped (fini'd). NULL is fine.
 */
void dl_workpool_destroy(dl_workpool *wp);

/** 1 when @p depth jobs are queued, running or done but not taken (submit
 *  must wait). */
int dl_workpool_full(const dl_workpool *wp);

/** Jobs submitted and not yet taken. */
size_t dl_workpool_pending(const dl_workpool *wp);

/**
 * @brief Queues @p msg (its slices must stay valid until the job is taken)
 *        in lane 0.
 * @remark The pool must not be full.
 */
void dl_workpool_submit(dl_workpool *wp, const dl_message *msg, void *opaque);

/**
 * @brief Queues @p msg in @p lane: its result is taken after those of the
 *        jobs submitted before it in the same lane, independently of other
 *        lanes. Jobs start oldest first, except that one whose lane has a
 *        job running waits for those of other lanes (its result could not
 *        be taken before the running one's anyway).
 * @remark The pool must not be full. Two partitions sharing a lane (e.g. a
 *         hash collision) are only ordered more than needed.
 */
void dl_workpool_submit_lane(dl_workpool *wp, const dl_message *msg, uint64_t lane, void *opaque);

/**
 * @brief Takes a done job whose lane predecessors were all taken (the
 *        oldest such), waiting up to @p timeout_ms for one (< 0: as long as
 *        it takes; 0: no wait).
 * @returns 1 with @p out filled, 0 when no job is pending or none is ready
 *          in time.
 */
int dl_workpool_take(dl_workpool *wp, int timeout_ms, dl_work_done *out);

#endif

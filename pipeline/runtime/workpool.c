/*
 * The extraction pool of `dateline run` (see include/dateline/workpool.h).
 *
 * A table of `cap` slots, each free, queued, running or done. The poll
 * thread fills a free slot, workers start queued slots oldest first (those
 * of lanes with nothing running before the others), the poll thread takes
 * done slots back. Results are ordered per lane only: a
 * slot remembers the slot submitted before it in its lane (`prev`) and is
 * handed back once that one was taken. So a slow article holds back the
 * results of its own lane (partition), not those of the others, and not
 * the other workers. Every scan is over `cap` slots (about a thousand in
 * `run`: a microsecond or two, per job of a few hundred).
 *
 * Long jobs (dl_workpool_opts.long_bytes) may have workers of their own,
 * which take nothing else: a burst of long articles then cannot take every
 * worker, and the short articles of other lanes keep flowing while the OS
 * shares the cores between the threads. (At a lower CPU priority the long
 * workers fell behind under a full load: their jobs filled the pool, and
 * throughput fell by a fifth; BENCHMARKS.md, sixteenth round.)
 */
#define _GNU_SOURCE /* pthread_setname_np() */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dateline/workpool.h"

enum { WP_FREE = 0, WP_QUEUED, WP_RUNNING, WP_DONE };

typedef struct wp_slot {
    dl_message msg;
    dl_work_done done;
    uint64_t seq;  /* submission order */
    uint64_t lane; /* results of one lane come back in submission order */
    long prev;     /* the lane's previous slot not yet taken, or -1 */
    int state;     /* under mu */
    int is_long;   /* at least long_bytes (set before it is queued) */
} wp_slot;

typedef struct wp_worker {
    dl_workpool *wp;
    dl_pipeline *pl; /* a clone, except worker 0's */
    pthread_t tid;
    int started;
    int running;          /* a job is running (under mu) */
    uint64_t lane;        /* ... in this lane */
    int long_only;        /* takes long jobs, and nothing else does */
} wp_worker;

struct dl_workpool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a slot was queued, or stop */
    pthread_cond_t done; /* a slot finished */
    wp_slot *slots;
    size_t cap;
    size_t busy;   /* slots not free; changed by the submitting thread only */
    size_t queued; /* slots queued, not started (under mu) */
    size_t queued_long; /* of them long ones (under mu) */
    uint64_t finished; /* jobs finished so far (under mu) */
    size_t long_bytes; /* jobs of this many bytes are long; 0: none is */
    int n_regular;     /* workers that are not long_only */
    uint64_t seq;  /* next submission number */
    int stop;
    dl_workpool_notify_fn *notify; /* set before the first submit */
    void *notify_arg;
    wp_worker *workers;
    int n_workers;
};

/* Is a job of @p lane running (under mu)? */
static int wp_lane_running(const dl_workpool *wp, uint64_t lane)
{
    for (int i = 0; i < wp->n_workers; i++)
        if (wp->workers[i].running && wp->workers[i].lane == lane)
            return 1;
    return 0;
}

/* The slot worker @p w starts next (under mu), or NULL: of those it may
 * take, the oldest queued one whose lane has no job running, else the
 * oldest queued one. A job queued behind a running one of its lane cannot
 * be taken before that one is, so while a long article runs, the other
 * workers serve the lanes whose results can go out at once (in `run`: the
 * other partitions) before the jobs stuck behind it. Within a lane, jobs
 * still start oldest first. */
static wp_slot *wp_next_queued(dl_workpool *wp, const wp_worker *w)
{
    wp_slot *best = NULL, *free_lane = NULL;
    int may_long;

    if (!wp->queued)
        return NULL;
    /* (without long-only workers no job is long) */
    may_long = w->long_only;
    if (may_long ? !wp->queued_long : wp->queued == wp->queued_long)
        return NULL;
    for (size_t i = 0; i < wp->cap; i++) {
        wp_slot *sl = &wp->slots[i];

        if (sl->state != WP_QUEUED || sl->is_long != may_long)
            continue;
        if (!best || sl->seq < best->seq)
            best = sl;
        if ((!free_lane || sl->seq < free_lane->seq) && !wp_lane_running(wp, sl->lane))
            free_lane = sl;
    }
    return free_lane ? free_lane : best;
}

static void *wp_worker_main(void *arg)
{
    wp_worker *w = arg;
    dl_workpool *wp = w->wp;

    for (;;) {
        wp_slot *sl;
        uint64_t t0;
        pthread_mutex_lock(&wp->mu);
        while (!wp->stop && !(sl = wp_next_queued(wp, w)))
            pthread_cond_wait(&wp->work, &wp->mu);
        if (wp->stop) {
            pthread_mutex_unlock(&wp->mu);
            return NULL;
        }
        sl->state = WP_RUNNING;
        wp->queued--;
        wp->queued_long -= (size_t)sl->is_long;
        w->running = 1;
        w->lane = sl->lane;
        pthread_mutex_unlock(&wp->mu);
        t0 = dl_now_us();
        sl->done.rc = dl_pipeline_process(w->pl, &sl->msg, &sl->done.res);
        sl->done.took_us = dl_now_us() - t0;
        pthread_mutex_lock(&wp->mu);
        sl->state = WP_DONE;
        sl->done.finished = wp->finished++;
        sl->done.worker = (int)(w - wp->workers);
        w->running = 0;
        pthread_cond_signal(&wp->done);
        pthread_mutex_unlock(&wp->mu);
        if (wp->notify)
            wp->notify(wp->notify_arg);
    }
}

dl_workpool *dl_workpool_new(dl_pipeline *pl, const dl_workpool_opts *opts, dl_err *err)
{
    dl_workpool *wp;
    pthread_condattr_t ca;
    int threads = opts->threads < 1 ? 1 : opts->threads;
    int n_long = opts->long_bytes && opts->long_threads > 0 ? opts->long_threads : 0;
    size_t depth = opts->depth;

    if (!(wp = calloc(1, sizeof(*wp)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&wp->mu, NULL);
    pthread_cond_init(&wp->work, NULL);
    /* take() waits with a timeout on the monotonic clock. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wp->done, &ca);
    pthread_condattr_destroy(&ca);
    wp->n_regular = threads;
    wp->long_bytes = n_long ? opts->long_bytes : 0;
    threads += n_long;
    wp->cap = depth < (size_t)threads ? (size_t)threads : depth;
    if (!(wp->slots = calloc(wp->cap, sizeof(*wp->slots))) ||
        !(wp->workers = calloc((size_t)threads, sizeof(*wp->workers)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < threads; i++) {
        wp_worker *w = &wp->workers[i];
        w->wp = wp;
        w->long_only = i >= wp->n_regular;
        if (i == 0)
            w->pl = pl;
        else if (!(w->pl = dl_pipeline_clone(pl, err)))
            goto fail;
        wp->n_workers = i + 1;
        if (pthread_create(&w->tid, NULL, wp_worker_main, w)) {
            dl_err_set(err, DL_ENOMEM, "cannot start an extraction thread");
            goto fail;
        }
        /* Named for top -H and perf: "dl-extract-N", "dl-long-N" (15
         * bytes at most). */
        char name[16];
        if (w->long_only)
            snprintf(name, sizeof(name), "dl-long-%d", (i - wp->n_regular) % 10000);
        else
            snprintf(name, sizeof(name), "dl-extract-%d", i % 10000);
        pthread_setname_np(w->tid, name);
        w->started = 1;
    }
    return wp;
fail:
    dl_workpool_destroy(wp);
    return NULL;
}

void dl_workpool_on_done(dl_workpool *wp, dl_workpool_notify_fn *fn, void *arg)
{
    wp->notify = fn;
    wp->notify_arg = arg;
}

void dl_workpool_destroy(dl_workpool *wp)
{
    if (!wp)
        return;
    pthread_mutex_lock(&wp->mu);
    wp->stop = 1;
    pthread_cond_broadcast(&wp->work);
    pthread_mutex_unlock(&wp->mu);
    for (int i = 0; i < wp->n_workers; i++) {
        if (wp->workers[i].started)
            pthread_join(wp->workers[i].tid, NULL);
        if (i > 0)
            dl_pipeline_free(wp->workers[i].pl);
    }
    /* Jobs that ran and were not taken; jobs never started hold nothing. */
    if (wp->slots)
        for (size_t i = 0; i < wp->cap; i++)
            if (wp->slots[i].state == WP_DONE)
                dl_result_fini(&wp->slots[i].done.res);
    pthread_cond_destroy(&wp->work);
    pthread_cond_destroy(&wp->done);
    pthread_mutex_destroy(&wp->mu);
    free(wp->workers);
    free(wp->slots);
    free(wp);
}

int dl_workpool_full(const dl_workpool *wp)
{
    return wp->busy >= wp->cap;
}

size_t dl_workpool_pending(const dl_workpool *wp)
{
    return wp->busy;
}

void dl_workpool_submit(dl_workpool *wp, const dl_message *msg, void *opaque)
{
    dl_workpool_submit_lane(wp, msg, 0, opaque);
}

void dl_workpool_submit_lane(dl_workpool *wp, const dl_message *msg, uint64_t lane, void *opaque)
{
    wp_slot *sl = NULL;
    long prev = -1;
    uint64_t prev_seq = 0;

    /* Only this thread fills and frees slots and writes `seq` (0: free),
     * `lane` and `prev`, so it reads them without mu; workers read `seq`
     * of queued slots only. */
    for (size_t i = 0; i < wp->cap; i++) {
        wp_slot *it = &wp->slots[i];

        if (!it->seq) {
            if (!sl)
                sl = it;
        } else if (it->lane == lane && (prev < 0 || it->seq > prev_seq)) {
            prev = (long)i;
            prev_seq = it->seq;
        }
    }
    sl->msg = *msg;
    memset(&sl->done, 0, sizeof(sl->done));
    sl->done.opaque = opaque;
    sl->lane = lane;
    sl->prev = prev;
    sl->seq = ++wp->seq;
    sl->is_long = wp->long_bytes && msg->value.len >= wp->long_bytes;
    wp->busy++;
    pthread_mutex_lock(&wp->mu);
    sl->state = WP_QUEUED;
    wp->queued++;
    wp->queued_long += (size_t)sl->is_long;
    /* With long-only workers a signal could wake one that cannot take the
     * job, and the wake would be lost: wake them all then (a few). */
    if (wp->n_regular < wp->n_workers)
        pthread_cond_broadcast(&wp->work);
    else
        pthread_cond_signal(&wp->work);
    pthread_mutex_unlock(&wp->mu);
}

/* The oldest done slot whose lane predecessors were all taken (under mu). */
static wp_slot *wp_next_done(dl_workpool *wp)
{
    wp_slot *best = NULL;

    for (size_t i = 0; i < wp->cap; i++) {
        wp_slot *sl = &wp->slots[i];

        if (sl->state == WP_DONE && sl->prev < 0 && (!best || sl->seq < best->seq))
            best = sl;
    }
    return best;
}

int dl_workpool_take(dl_workpool *wp, int timeout_ms, dl_work_done *out)
{
    wp_slot *sl;
    struct timespec until;

    if (!wp->busy)
        return 0;
    if (timeout_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&wp->mu);
    while (!(sl = wp_next_done(wp)) && timeout_ms != 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&wp->done, &wp->mu);
        else if (pthread_cond_timedwait(&wp->done, &wp->mu, &until))
            break; /* timed out */
    }
    if (sl) {
        long idx = (long)(sl - wp->slots);

        /* No worker touches a done slot: it is free once copied out. Its
         * lane successor (if any) is next in that lane. */
        for (size_t i = 0; i < wp->cap; i++)
            if (wp->slots[i].seq && wp->slots[i].prev == idx)
                wp->slots[i].prev = -1;
        sl->state = WP_FREE;
        *out = sl->done;
        memset(&sl->done.res, 0, sizeof(sl->done.res)); /* moved out */
        sl->seq = 0;
        wp->busy--;
    }
    pthread_mutex_unlock(&wp->mu);
    return sl != NULL;
}

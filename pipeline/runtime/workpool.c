/*
 * The ordered extraction pool of `dateline run` (see include/dateline/workpool.h).
 *
 * A ring of slots: the poll thread fills slots at `filled`, workers take
 * them in order at `started`, the poll thread takes results in order at
 * `taken`. A slow article holds back only the results behind it, not the
 * other workers, while the ring has room.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dateline/workpool.h"

typedef struct wp_slot {
    dl_message msg;
    dl_work_done done;
    int finished; /* under mu */
} wp_slot;

typedef struct wp_worker {
    dl_workpool *wp;
    dl_pipeline *pl; /* a clone, except worker 0's */
    pthread_t tid;
    int started;
} wp_worker;

struct dl_workpool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a slot was filled, or stop */
    pthread_cond_t done; /* a slot finished */
    wp_slot *slots;
    size_t cap;
    size_t filled;  /* slots [0, filled) were submitted */
    size_t started; /* slots [0, started) were taken by a worker */
    size_t taken;   /* slots [0, taken) were handed back */
    int stop;
    wp_worker *workers;
    int n_workers;
};

static uint64_t wp_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *wp_worker_main(void *arg)
{
    wp_worker *w = arg;
    dl_workpool *wp = w->wp;

    for (;;) {
        wp_slot *sl;
        uint64_t t0;
        pthread_mutex_lock(&wp->mu);
        while (wp->started == wp->filled && !wp->stop)
            pthread_cond_wait(&wp->work, &wp->mu);
        if (wp->stop) {
            pthread_mutex_unlock(&wp->mu);
            return NULL;
        }
        sl = &wp->slots[wp->started++ % wp->cap];
        pthread_mutex_unlock(&wp->mu);
        t0 = wp_now_us();
        sl->done.rc = dl_pipeline_process(w->pl, &sl->msg, &sl->done.res);
        sl->done.took_us = wp_now_us() - t0;
        pthread_mutex_lock(&wp->mu);
        sl->finished = 1;
        pthread_cond_signal(&wp->done);
        pthread_mutex_unlock(&wp->mu);
    }
}

dl_workpool *dl_workpool_new(dl_pipeline *pl, int threads, size_t depth, dl_err *err)
{
    dl_workpool *wp;
    pthread_condattr_t ca;

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
    threads = threads < 1 ? 1 : threads;
    wp->cap = depth < (size_t)threads ? (size_t)threads : depth;
    if (!(wp->slots = calloc(wp->cap, sizeof(*wp->slots))) ||
        !(wp->workers = calloc((size_t)threads, sizeof(*wp->workers)))) {
        dl_err_set(err, DL_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < threads; i++) {
        wp_worker *w = &wp->workers[i];
        w->wp = wp;
        if (i == 0)
            w->pl = pl;
        else if (!(w->pl = dl_pipeline_clone(pl, err)))
            goto fail;
        wp->n_workers = i + 1;
        if (pthread_create(&w->tid, NULL, wp_worker_main, w)) {
            dl_err_set(err, DL_ENOMEM, "cannot start an extraction thread");
            goto fail;
        }
        w->started = 1;
    }
    return wp;
fail:
    dl_workpool_destroy(wp);
    return NULL;
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
    for (size_t i = wp->taken; i < wp->started; i++)
        dl_result_fini(&wp->slots[i % wp->cap].done.res);
    pthread_cond_destroy(&wp->work);
    pthread_cond_destroy(&wp->done);
    pthread_mutex_destroy(&wp->mu);
    free(wp->workers);
    free(wp->slots);
    free(wp);
}

int dl_workpool_full(const dl_workpool *wp)
{
    return wp->filled - wp->taken >= wp->cap;
}

size_t dl_workpool_pending(const dl_workpool *wp)
{
    return wp->filled - wp->taken;
}

void dl_workpool_submit(dl_workpool *wp, const dl_message *msg, void *opaque)
{
    wp_slot *sl = &wp->slots[wp->filled % wp->cap];

    /* The slot is free: its last job was taken (only this thread takes). */
    memset(sl, 0, sizeof(*sl));
    sl->msg = *msg;
    sl->done.opaque = opaque;
    pthread_mutex_lock(&wp->mu);
    wp->filled++;
    pthread_cond_signal(&wp->work);
    pthread_mutex_unlock(&wp->mu);
}

int dl_workpool_take(dl_workpool *wp, int timeout_ms, dl_work_done *out)
{
    wp_slot *sl;
    struct timespec until;
    int finished;

    if (wp->taken == wp->filled)
        return 0;
    sl = &wp->slots[wp->taken % wp->cap];
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
    while (!sl->finished && timeout_ms != 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&wp->done, &wp->mu);
        else if (pthread_cond_timedwait(&wp->done, &wp->mu, &until))
            break; /* timed out */
    }
    finished = sl->finished;
    pthread_mutex_unlock(&wp->mu);
    if (!finished)
        return 0;
    *out = sl->done;
    memset(&sl->done.res, 0, sizeof(sl->done.res)); /* moved out */
    wp->taken++;
    return 1;
}

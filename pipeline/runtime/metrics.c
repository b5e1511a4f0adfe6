/*
 * Metrics registry and health state of `dateline run` (see
 * include/dateline/metrics.h). Unlabelled series are atomics; labelled ones
 * (topic, reason, partition) live in small fixed tables behind one mutex,
 * which rendering takes too. Label sets are bounded: past the table size
 * the last slot, labelled "other", absorbs the rest.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dateline/build_info.h"
#include "dateline/metrics.h"

#define METRICS_MAX_LABELS   32
#define METRICS_MAX_PARTS    256
#define METRICS_LAG_EVERY_MS 1000
#define METRICS_PROBE_TTL_MS 2000
#define METRICS_PROBE_WAIT   1000 /* ms a metadata request may take */

static const double extract_bounds[] = DL_METRICS_EXTRACT_BUCKETS;
static const double latency_bounds[] = DL_METRICS_LATENCY_BUCKETS;
#define NB(a)           (sizeof(a) / sizeof((a)[0]))
#define METRICS_MAX_NB  16

/* A histogram: non-cumulative bucket counts, summed when rendered. */
typedef struct hist {
    const double *bounds;
    size_t nb;
    uint64_t buckets[METRICS_MAX_NB];
    uint64_t count;
    double sum;
} hist;

_Static_assert(NB(extract_bounds) <= METRICS_MAX_NB && NB(latency_bounds) <= METRICS_MAX_NB,
               "histogram buckets");

typedef struct label_count {
    char label[64];
    uint64_t n;
} label_count;

typedef struct part_lag {
    int32_t partition;
    int64_t lag;
} part_lag;

struct dl_metrics {
    atomic_uint_fast64_t consumed;
    atomic_uint_fast64_t rebalances;
    atomic_int_fast64_t inflight;
    atomic_int assigned;
    atomic_int running;
    atomic_int_fast64_t heartbeat_ms; /* CLOCK_MONOTONIC; 0 = none yet */
    atomic_uint_fast64_t reloads_ok, reloads_failed;

    pthread_mutex_t lock; /* everything below */
    label_count produced[METRICS_MAX_LABELS];
    size_t n_produced;
    label_count dead[METRICS_MAX_LABELS];
    size_t n_dead;
    hist extract; /* dateline_extract_seconds */
    hist stage;   /* dateline_stage_seconds */
    hist age;     /* dateline_record_latency_seconds */
    part_lag lags[METRICS_MAX_PARTS];
    size_t n_lags;
    int64_t next_lag_ms;
    char rules_hash[80];

    pthread_mutex_t probe_lock; /* the probe handle and its cached answer */
    rd_kafka_t *probe_rk;
    int64_t probe_at_ms;
    int probe_ok;
    char probe_err[128];
};

const char *dl_build_version(void)
{
    return DL_BUILD_VERSION;
}

const char *dl_build_commit(void)
{
    return DL_BUILD_COMMIT;
}

const char *dl_build_compiler(void)
{
    return DL_BUILD_COMPILER;
}

dl_metrics *dl_metrics_new(void)
{
    dl_metrics *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL)) {
        free(m);
        return NULL;
    }
    if (pthread_mutex_init(&m->probe_lock, NULL)) {
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    atomic_init(&m->consumed, 0);
    atomic_init(&m->rebalances, 0);
    atomic_init(&m->inflight, 0);
    atomic_init(&m->assigned, 0);
    atomic_init(&m->running, 0);
    atomic_init(&m->heartbeat_ms, 0);
    atomic_init(&m->reloads_ok, 0);
    atomic_init(&m->reloads_failed, 0);
    m->extract = (hist){.bounds = extract_bounds, .nb = NB(extract_bounds)};
    m->stage = (hist){.bounds = latency_bounds, .nb = NB(latency_bounds)};
    m->age = (hist){.bounds = latency_bounds, .nb = NB(latency_bounds)};
    return m;
}

void dl_metrics_free(dl_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->probe_lock);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void dl_metrics_set_rules_hash(dl_metrics *m, const char *hash)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    snprintf(m->rules_hash, sizeof(m->rules_hash), "%s", hash ? hash : "");
    pthread_mutex_unlock(&m->lock);
}

void dl_metrics_consumed(dl_metrics *m)
{
    if (m)
        atomic_fetch_add(&m->consumed, 1);
}

/* The slot of @p label, added if new (the last slot absorbs the rest). */
static label_count *label_slot(label_count *tab, size_t *n, const char *label)
{
    size_t i;

    for (i = 0; i < *n; i++)
        if (!strcmp(tab[i].label, label))
            return &tab[i];
    if (i == METRICS_MAX_LABELS)
        return &tab[i - 1];
    (*n)++;
    snprintf(tab[i].label, sizeof(tab[i].label), "%s",
             i == METRICS_MAX_LABELS - 1 ? "other" : label);
    return &tab[i];
}

void dl_metrics_set_consumed(dl_metrics *m, uint64_t n)
{
    if (m)
        atomic_store(&m->consumed, n);
}

void dl_metrics_set_rebalances(dl_metrics *m, uint64_t n)
{
    if (m)
        atomic_store(&m->rebalances, n);
}

void dl_metrics_set_produced(dl_metrics *m, const char *topic, uint64_t n)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    label_slot(m->produced, &m->n_produced, topic ? topic : "")->n = n;
    pthread_mutex_unlock(&m->lock);
}

void dl_metrics_set_dead_letters(dl_metrics *m, const char *reason, uint64_t n)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    label_slot(m->dead, &m->n_dead, reason && reason[0] ? reason : "unknown")->n = n;
    pthread_mutex_unlock(&m->lock);
}

void dl_metrics_produced(dl_metrics *m, const char *topic)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    label_slot(m->produced, &m->n_produced, topic ? topic : "")->n++;
    pthread_mutex_unlock(&m->lock);
}

void dl_metrics_dead_letter(dl_metrics *m, const char *reason)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    label_slot(m->dead, &m->n_dead, reason && reason[0] ? reason : "unknown")->n++;
    pthread_mutex_unlock(&m->lock);
}

/* Under m->lock. */
static void hist_observe(hist *h, double seconds)
{
    size_t b;

    for (b = 0; b < h->nb && seconds > h->bounds[b]; b++)
        ;
    if (b < h->nb)
        h->buckets[b]++;
    h->count++;
    h->sum += seconds;
}

void dl_metrics_extract_seconds(dl_metrics *m, double seconds)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    hist_observe(&m->extract, seconds);
    pthread_mutex_unlock(&m->lock);
}

void dl_metrics_record_latency(dl_metrics *m, double stage_s, double age_s)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    hist_observe(&m->stage, stage_s);
    if (age_s >= 0)
        hist_observe(&m->age, age_s);
    pthread_mutex_unlock(&m->lock);
}

void dl_metrics_rebalance(dl_metrics *m)
{
    if (m)
        atomic_fetch_add(&m->rebalances, 1);
}

void dl_metrics_set_inflight(dl_metrics *m, int64_t n)
{
    if (m)
        atomic_store(&m->inflight, n);
}

void dl_metrics_assigned(dl_metrics *m, int delta)
{
    if (!m)
        return;
    if (atomic_fetch_add(&m->assigned, delta) + delta <= 0) {
        atomic_store(&m->assigned, 0);
        /* Nothing assigned: no partition has a lag of ours any more. */
        pthread_mutex_lock(&m->lock);
        m->n_lags = 0;
        pthread_mutex_unlock(&m->lock);
    }
}

void dl_metrics_rules_reload(dl_metrics *m, int ok)
{
    if (m)
        atomic_fetch_add(ok ? &m->reloads_ok : &m->reloads_failed, 1);
}

void dl_metrics_update_lag(dl_metrics *m, rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t now, lo, hi;
    part_lag lags[METRICS_MAX_PARTS];
    size_t n = 0;

    if (!m || !rk)
        return;
    now = dl_now_ms();
    if (now < m->next_lag_ms) /* only this thread writes next_lag_ms */
        return;
    m->next_lag_ms = now + METRICS_LAG_EVERY_MS;
    if (rd_kafka_assignment(rk, &parts) || !parts)
        return;
    if (!rd_kafka_position(rk, parts)) {
        for (int i = 0; i < parts->cnt && n < METRICS_MAX_PARTS; i++) {
            const rd_kafka_topic_partition_t *p = &parts->elems[i];

            if (rd_kafka_get_watermark_offsets(rk, p->topic, p->partition, &lo, &hi) || hi < 0)
                continue; /* nothing fetched yet: unknown, not 0 */
            /* No position yet: everything from the low watermark is behind. */
            lags[n].partition = p->partition;
            lags[n].lag = hi - (p->offset >= 0 ? p->offset : lo);
            if (lags[n].lag < 0)
                lags[n].lag = 0;
            n++;
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    pthread_mutex_lock(&m->lock);
    memcpy(m->lags, lags, n * sizeof(lags[0]));
    m->n_lags = n;
    pthread_mutex_unlock(&m->lock);
}

void dl_metrics_heartbeat(dl_metrics *m)
{
    if (m)
        atomic_store(&m->heartbeat_ms, dl_now_ms());
}

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "dl_metrics_set_running() must be async-signal-safe");

void dl_metrics_set_running(dl_metrics *m, int running)
{
    if (m)
        atomic_store(&m->running, running ? 1 : 0);
}

void dl_metrics_set_probe(dl_metrics *m, rd_kafka_t *rk)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->probe_lock);
    m->probe_rk = rk;
    m->probe_at_ms = 0;
    pthread_mutex_unlock(&m->probe_lock);
}

int dl_metrics_healthy(dl_metrics *m, int stall_ms, char *why, size_t size)
{
    int64_t beat, age;

    if (!m)
        return 1;
    beat = atomic_load(&m->heartbeat_ms);
    if (!beat)
        return 1;
    age = dl_now_ms() - beat;
    if (age > stall_ms) {
        snprintf(why, size, "stage loop has not turned for %" PRId64 " ms (limit %d ms)", age,
                 stall_ms);
        return 0;
    }
    return 1;
}

/* Asks a broker for metadata (no topics): does any broker answer? */
static int metrics_probe(dl_metrics *m, char *why, size_t size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err;
    int64_t now = dl_now_ms();
    int ok;

    pthread_mutex_lock(&m->probe_lock);
    if (!m->probe_rk) {
        pthread_mutex_unlock(&m->probe_lock);
        snprintf(why, size, "no Kafka client");
        return 0;
    }
    if (!m->probe_at_ms || now - m->probe_at_ms >= METRICS_PROBE_TTL_MS) {
        err = rd_kafka_metadata(m->probe_rk, 0, NULL, &md, METRICS_PROBE_WAIT);
        m->probe_ok = !err && md && md->broker_cnt > 0;
        if (err)
            snprintf(m->probe_err, sizeof(m->probe_err), "broker unreachable: %s",
                     rd_kafka_err2str(err));
        else if (!m->probe_ok)
            snprintf(m->probe_err, sizeof(m->probe_err), "broker unreachable: no brokers");
        if (md)
            rd_kafka_metadata_destroy(md);
        m->probe_at_ms = dl_now_ms();
    }
    ok = m->probe_ok;
    if (!ok)
        snprintf(why, size, "%s", m->probe_err);
    pthread_mutex_unlock(&m->probe_lock);
    return ok;
}

int dl_metrics_ready(dl_metrics *m, char *why, size_t size)
{
    if (!m) {
        snprintf(why, size, "no stage");
        return 0;
    }
    if (!atomic_load(&m->running)) {
        snprintf(why, size, "stage not running (starting or stopping)");
        return 0;
    }
    if (atomic_load(&m->assigned) <= 0) {
        snprintf(why, size, "no partitions assigned");
        return 0;
    }
    return metrics_probe(m, why, size);
}

/* ---- rendering ---------------------------------------------------------- */

typedef struct outbuf {
    char *p;
    size_t len, cap;
    int oom;
} outbuf;

__attribute__((format(printf, 2, 3))) static void out_printf(outbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->oom)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *p = realloc(b->p, cap);

        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* A label value with \ " and newline escaped, as the text format wants. */
static const char *label_escape(const char *s, char *buf, size_t size)
{
    size_t j = 0;

    for (; *s && j + 3 < size; s++) {
        if (*s == '\\' || *s == '"') {
            buf[j++] = '\\';
            buf[j++] = *s;
        } else if (*s == '\n') {
            buf[j++] = '\\';
            buf[j++] = 'n';
        } else {
            buf[j++] = *s;
        }
    }
    buf[j] = '\0';
    return buf;
}

static void out_header(outbuf *b, const char *name, const char *type, const char *help)
{
    out_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void out_hist(outbuf *b, const char *name, const char *help, const hist *h)
{
    uint64_t cum = 0;

    out_header(b, name, "histogram", help);
    for (size_t i = 0; i < h->nb; i++) {
        cum += h->buckets[i];
        out_printf(b, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, h->bounds[i], cum);
    }
    out_printf(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
    out_printf(b, "%s_sum %.9f\n", name, h->sum);
    out_printf(b, "%s_count %" PRIu64 "\n", name, h->count);
}

static void out_labelled(outbuf *b, const char *name, const char *label, const label_count *tab,
                         size_t n)
{
    char esc[160];

    for (size_t i = 0; i < n; i++)
        out_printf(b, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label,
                   label_escape(tab[i].label, esc, sizeof(esc)), tab[i].n);
}

int dl_metrics_render(dl_metrics *m, char **out, size_t *len)
{
    outbuf b = {0};
    char e1[200], e2[200], e3[200];
    int64_t beat;

    *out = NULL;
    *len = 0;
    if (!(b.p = malloc(b.cap = 4096)))
        return DL_ENOMEM;
    b.p[0] = '\0';

    out_header(&b, "dateline_build_info", "gauge", "Build information of this binary.");
    out_printf(&b,
               "dateline_build_info{version=\"%s\",commit=\"%s\",compiler=\"%s\","
               "librdkafka=\"%s\"} 1\n",
               label_escape(dl_build_version(), e1, sizeof(e1)),
               label_escape(dl_build_commit(), e2, sizeof(e2)),
               label_escape(dl_build_compiler(), e3, sizeof(e3)), rd_kafka_version_str());
    out_header(&b, "dateline_messages_consumed_total", "counter",
               "Messages consumed from the input topic.");
    out_printf(&b, "dateline_messages_consumed_total %" PRIuFAST64 "\n",
               m ? (uint_fast64_t)atomic_load(&m->consumed) : 0);
    out_header(&b, "dateline_rebalances_total", "counter",
               "Consumer group rebalance events (assignments and revocations).");
    out_printf(&b, "dateline_rebalances_total %" PRIuFAST64 "\n",
               m ? (uint_fast64_t)atomic_load(&m->rebalances) : 0);
    out_header(&b, "dateline_inflight", "gauge",
               "Consumed messages whose outputs are not yet all acknowledged.");
    out_printf(&b, "dateline_inflight %" PRIdFAST64 "\n",
               m ? (int_fast64_t)atomic_load(&m->inflight) : 0);
    out_header(&b, "dateline_assigned_partitions", "gauge",
               "Input partitions currently assigned to this instance.");
    out_printf(&b, "dateline_assigned_partitions %d\n", m ? atomic_load(&m->assigned) : 0);
    if (m) {
        out_header(&b, "dateline_rules_reloads_total", "counter",
                   "Rule reloads on SIGHUP, by result.");
        out_printf(&b, "dateline_rules_reloads_total{result=\"ok\"} %" PRIuFAST64 "\n",
                   (uint_fast64_t)atomic_load(&m->reloads_ok));
        out_printf(&b, "dateline_rules_reloads_total{result=\"failed\"} %" PRIuFAST64 "\n",
                   (uint_fast64_t)atomic_load(&m->reloads_failed));
        beat = atomic_load(&m->heartbeat_ms);
        out_header(&b, "dateline_heartbeat_age_seconds", "gauge",
                   "Seconds since the stage loop last turned (-1: not started).");
        if (beat)
            out_printf(&b, "dateline_heartbeat_age_seconds %.3f\n",
                       (double)(dl_now_ms() - beat) / 1000.0);
        else
            out_printf(&b, "dateline_heartbeat_age_seconds -1\n");
        /* The cheap part of readiness only: the broker probe is /ready's. */
        out_header(&b, "dateline_ready", "gauge",
                   "1 while running with partitions assigned (see /ready for the broker check).");
        out_printf(&b, "dateline_ready %d\n",
                   atomic_load(&m->running) && atomic_load(&m->assigned) > 0 ? 1 : 0);

        pthread_mutex_lock(&m->lock);
        out_header(&b, "dateline_rules_info", "gauge", "Hash of the loaded rules.");
        out_printf(&b, "dateline_rules_info{hash=\"%s\"} 1\n",
                   label_escape(m->rules_hash, e1, sizeof(e1)));
        out_header(&b, "dateline_records_produced_total", "counter",
                   "Records acknowledged by the broker, by output topic.");
        out_labelled(&b, "dateline_records_produced_total", "topic", m->produced, m->n_produced);
        out_header(&b, "dateline_dead_letters_total", "counter",
                   "Dead letters acknowledged by the broker, by reason.");
        out_labelled(&b, "dateline_dead_letters_total", "reason", m->dead, m->n_dead);
        out_hist(&b, "dateline_extract_seconds", "Time to decode, extract and encode one message.",
                 &m->extract);
        out_hist(&b, "dateline_stage_seconds",
                 "From consuming a message to the broker's acknowledgement of its enriched "
                 "record or dead letter.",
                 &m->stage);
        out_hist(&b, "dateline_record_latency_seconds",
                 "From a message's timestamp (CreateTime or LogAppendTime) to the broker's "
                 "acknowledgement of its enriched record or dead letter.",
                 &m->age);
        out_header(&b, "dateline_consumer_lag", "gauge",
                   "Messages behind the high watermark, by assigned input partition.");
        for (size_t i = 0; i < m->n_lags; i++)
            out_printf(&b, "dateline_consumer_lag{partition=\"%" PRId32 "\"} %" PRId64 "\n",
                       m->lags[i].partition, m->lags[i].lag);
        pthread_mutex_unlock(&m->lock);
    }
    if (b.oom) {
        free(b.p);
        return DL_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

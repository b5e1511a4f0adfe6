/*
 * dateline - the operations HTTP endpoint of `dateline run` (libmicrohttpd):
 *
 *   GET /metrics  Prometheus text format (dl_metrics_render)
 *   GET /healthz  200 "ok" while the stage loop turns, else 503 with why
 *   GET /ready    200 "ready" while running with partitions assigned and a
 *                 broker answering, else 503 with why
 *
 * Any other path is 404, any other method 405. The server runs on its own
 * thread (libmicrohttpd's internal polling thread) and only reads the
 * metrics registry.
 */
#ifndef DATELINE_HTTP_H
#define DATELINE_HTTP_H

#include "dateline/common.h"
#include "dateline/metrics.h"

typedef struct dl_http dl_http;

/** Paths served (also checked by the deploy test against the manifests). */
#define DL_HTTP_PATH_METRICS "/metrics"
#define DL_HTTP_PATH_HEALTHZ "/healthz"
#define DL_HTTP_PATH_READY   "/ready"

/**
 * @brief Parses "HOST:PORT" ("127.0.0.1:9102", "0.0.0.0:9102", "[::]:9102",
 *        "localhost:9102"; port 0 = any free port). Used by the config check.
 * @returns 0, or DL_EINVAL with a message in @p msg.
 */
int dl_http_parse_listen(const char *listen, char *host, size_t host_size, int *port, char *msg,
                         size_t msg_size);

/**
 * @brief Starts serving on @p listen.
 * @param m borrowed; must outlive the server.
 * @param stall_ms /healthz fails when the loop has not turned for this long.
 * @returns NULL with @p err set (DL_EINVAL bad address, DL_EIO cannot bind).
 */
dl_http *dl_http_start(const char *listen, dl_metrics *m, int stall_ms, dl_err *err);

/** @returns the port actually bound (useful with port 0). */
int dl_http_port(const dl_http *h);

/** @brief Stops the server, waiting for requests in progress. NULL is fine. */
void dl_http_stop(dl_http *h);

#endif

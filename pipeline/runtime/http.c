/*
 * The operations HTTP endpoint (see include/dateline/http.h), on
 * libmicrohttpd's internal polling thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "dateline/http.h"
#include "dateline/log.h"

#if MHD_VERSION < 0x00097002
typedef int dl_mhd_result;
#else
typedef enum MHD_Result dl_mhd_result;
#endif

struct dl_http {
    struct MHD_Daemon *d;
    dl_metrics *m;
    int stall_ms;
    int port;
};

int dl_http_parse_listen(const char *listen, char *host, size_t host_size, int *port, char *msg,
                         size_t msg_size)
{
    const char *colon, *h = listen, *p;
    size_t hlen;
    char *end;
    long v;

    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');

        if (!close || close[1] != ':') {
            snprintf(msg, msg_size, "'%s': expected [IPv6]:PORT", listen);
            return DL_EINVAL;
        }
        h = listen + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        if (!(colon = strrchr(listen, ':'))) {
            snprintf(msg, msg_size, "'%s': expected HOST:PORT such as 127.0.0.1:9102", listen);
            return DL_EINVAL;
        }
        hlen = (size_t)(colon - listen);
        if (memchr(listen, ':', hlen)) {
            snprintf(msg, msg_size, "'%s': write an IPv6 address as [ADDR]:PORT", listen);
            return DL_EINVAL;
        }
    }
    if (hlen == 0 || hlen >= host_size) {
        snprintf(msg, msg_size, "'%s': %s", listen,
                 hlen ? "host is too long" : "missing host (use 0.0.0.0 for every interface)");
        return DL_EINVAL;
    }
    p = colon + 1;
    errno = 0;
    v = strtol(p, &end, 10);
    if (!*p || *end || errno || v < 0 || v > 65535) {
        snprintf(msg, msg_size, "'%s': port must be a number from 0 to 65535", listen);
        return DL_EINVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)v;
    return 0;
}

static dl_mhd_result http_reply(struct MHD_Connection *conn, unsigned status, const char *type,
                                char *body, size_t len, int owned)
{
    struct MHD_Response *resp;
    dl_mhd_result ret;

    resp = MHD_create_response_from_buffer(len, body,
                                           owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A plain-text answer: @p prefix then @p arg, one line. */
static dl_mhd_result http_text(struct MHD_Connection *conn, unsigned status, const char *prefix,
                               const char *arg)
{
    char body[512];
    int n = snprintf(body, sizeof(body), "%s%s\n", prefix, arg);

    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(body))
        n = sizeof(body) - 1;
    return http_reply(conn, status, "text/plain; charset=utf-8", body, (size_t)n, 0);
}

static dl_mhd_result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    dl_http *h = cls;
    char why[256];
    char *body;
    size_t len;

    (void)version;
    (void)upload;
    (void)con_cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return http_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", "");
    if (*upload_size) /* a GET with a body: ignore it */
        *upload_size = 0;
    if (!strcmp(url, DL_HTTP_PATH_METRICS)) {
        if (dl_metrics_render(h->m, &body, &len))
            return http_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", "");
        return http_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
                          1);
    }
    why[0] = '\0';
    if (!strcmp(url, DL_HTTP_PATH_HEALTHZ)) {
        if (dl_metrics_healthy(h->m, h->stall_ms, why, sizeof(why)))
            return http_text(conn, MHD_HTTP_OK, "ok", "");
        return http_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unhealthy: ", why);
    }
    if (!strcmp(url, DL_HTTP_PATH_READY)) {
        if (dl_metrics_ready(h->m, why, sizeof(why)))
            return http_text(conn, MHD_HTTP_OK, "ready", "");
        return http_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: ", why);
    }
    return http_text(conn, MHD_HTTP_NOT_FOUND, "not found: ",
                     "try " DL_HTTP_PATH_METRICS ", " DL_HTTP_PATH_HEALTHZ " or " DL_HTTP_PATH_READY);
}

__attribute__((format(printf, 2, 0))) static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    dl_log_write(DL_LOG_WARN, "http", msg, NULL);
}

dl_http *dl_http_start(const char *listen, dl_metrics *m, int stall_ms, dl_err *err)
{
    struct addrinfo hints, *ai = NULL;
    char host[256], msg[256], portstr[8];
    const union MHD_DaemonInfo *info;
    unsigned flags;
    dl_http *h;
    int port, rc;

    if (dl_http_parse_listen(listen, host, sizeof(host), &port, msg, sizeof(msg))) {
        dl_err_set(err, DL_EINVAL, "http.listen: %s", msg);
        return NULL;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    if ((rc = getaddrinfo(host, portstr, &hints, &ai)) || !ai) {
        dl_err_set(err, DL_EINVAL, "http.listen: '%s': %s", listen, gai_strerror(rc));
        return NULL;
    }
    if (!(h = calloc(1, sizeof(*h)))) {
        freeaddrinfo(ai);
        dl_err_set(err, DL_ENOMEM, "out of memory");
        return NULL;
    }
    h->m = m;
    h->stall_ms = stall_ms;
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* Probes and scrapes are few and small: bound what one client can hold. */
    /* The logger first: libmicrohttpd logs option problems as it parses. */
    h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, http_handle, h,
                            MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
                            ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->d) {
        dl_err_set(err, DL_EIO, "http.listen: cannot listen on %s (address in use or not local?)",
                   listen);
        free(h);
        return NULL;
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? (int)info->port : port;
    {
        char bound[16];
        const char *kv[] = {"listen", listen, "port", bound, NULL};

        snprintf(bound, sizeof(bound), "%d", h->port);
        dl_log_write(DL_LOG_INFO, "http", "serving /metrics, /healthz, /ready", kv);
    }
    return h;
}

int dl_http_port(const dl_http *h)
{
    return h ? h->port : 0;
}

void dl_http_stop(dl_http *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    free(h);
}

/* Unit tests of pipeline/runtime/metrics.c and http.c: rendering, health
 * logic, listen addresses, and the endpoint over a real socket (127.0.0.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dateline/http.h"
#include "dateline/metrics.h"

static char *render(dl_metrics *m)
{
    char *text;
    size_t len;

    assert_int_equal(dl_metrics_render(m, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    return text;
}

static void assert_has(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing %s in:\n%s", line, text);
}

static void test_render_counters(void **state)
{
    dl_metrics *m = dl_metrics_new();
    char *text;

    (void)state;
    assert_non_null(m);
    dl_metrics_consumed(m);
    dl_metrics_consumed(m);
    dl_metrics_produced(m, "articles.enriched");
    dl_metrics_set_produced(m, "articles.dlq", 7);
    dl_metrics_dead_letter(m, "no_date");
    dl_metrics_dead_letter(m, "no_date");
    dl_metrics_dead_letter(m, "quote\"d\\");
    dl_metrics_rebalance(m);
    dl_metrics_set_inflight(m, 3);
    dl_metrics_assigned(m, 2);
    dl_metrics_rules_reload(m, 0);
    dl_metrics_set_rules_hash(m, "abc123");
    text = render(m);
    assert_has(text, "# TYPE dateline_messages_consumed_total counter\n");
    assert_has(text, "\ndateline_messages_consumed_total 2\n");
    assert_has(text, "dateline_records_produced_total{topic=\"articles.enriched\"} 1\n");
    assert_has(text, "dateline_records_produced_total{topic=\"articles.dlq\"} 7\n");
    assert_has(text, "dateline_dead_letters_total{reason=\"no_date\"} 2\n");
    assert_has(text, "dateline_dead_letters_total{reason=\"quote\\\"d\\\\\"} 1\n");
    assert_has(text, "dateline_rebalances_total 1\n");
    assert_has(text, "dateline_inflight 3\n");
    assert_has(text, "dateline_assigned_partitions 2\n");
    assert_has(text, "dateline_rules_reloads_total{result=\"failed\"} 1\n");
    assert_has(text, "dateline_rules_info{hash=\"abc123\"} 1\n");
    assert_has(text, "dateline_build_info{version=\"");
    free(text);

    /* Setters replace, they do not add. */
    dl_metrics_set_consumed(m, 40);
    dl_metrics_set_dead_letters(m, "no_date", 5);
    text = render(m);
    assert_has(text, "\ndateline_messages_consumed_total 40\n");
    assert_has(text, "dateline_dead_letters_total{reason=\"no_date\"} 5\n");
    free(text);
    dl_metrics_free(m);
}

static void test_histogram(void **state)
{
    dl_metrics *m = dl_metrics_new();
    char *text;

    (void)state;
    dl_metrics_extract_seconds(m, 0.0001); /* first bucket */
    dl_metrics_extract_seconds(m, 0.003);  /* le 0.005 */
    dl_metrics_extract_seconds(m, 100);    /* only +Inf */
    text = render(m);
    assert_has(text, "# TYPE dateline_extract_seconds histogram\n");
    assert_has(text, "dateline_extract_seconds_bucket{le=\"0.0005\"} 1\n");
    assert_has(text, "dateline_extract_seconds_bucket{le=\"0.0025\"} 1\n");
    assert_has(text, "dateline_extract_seconds_bucket{le=\"0.005\"} 2\n");
    assert_has(text, "dateline_extract_seconds_bucket{le=\"2.5\"} 2\n");
    assert_has(text, "dateline_extract_seconds_bucket{le=\"+Inf\"} 3\n");
    assert_has(text, "dateline_extract_seconds_count 3\n");
    assert_has(text, "dateline_extract_seconds_sum 100.0031");
    free(text);
    dl_metrics_free(m);
}

static void test_latency(void **state)
{
    dl_metrics *m = dl_metrics_new();
    char *text;

    (void)state;
    dl_metrics_record_latency(m, 0.004, 0.02); /* le 0.005; le 0.025 */
    dl_metrics_record_latency(m, 0.5, -1);     /* no timestamp: stage only */
    dl_metrics_record_latency(m, 0.0005, 60);  /* a backlog: +Inf */
    text = render(m);
    assert_has(text, "# TYPE dateline_stage_seconds histogram\n");
    assert_has(text, "dateline_stage_seconds_bucket{le=\"0.001\"} 1\n");
    assert_has(text, "dateline_stage_seconds_bucket{le=\"0.005\"} 2\n");
    assert_has(text, "dateline_stage_seconds_bucket{le=\"0.5\"} 3\n");
    assert_has(text, "dateline_stage_seconds_count 3\n");
    assert_has(text, "# TYPE dateline_record_latency_seconds histogram\n");
    assert_has(text, "dateline_record_latency_seconds_bucket{le=\"0.01\"} 0\n");
    assert_has(text, "dateline_record_latency_seconds_bucket{le=\"0.025\"} 1\n");
    assert_has(text, "dateline_record_latency_seconds_bucket{le=\"30\"} 1\n");
    assert_has(text, "dateline_record_latency_seconds_bucket{le=\"+Inf\"} 2\n");
    assert_has(text, "dateline_record_latency_seconds_count 2\n");
    assert_has(text, "dateline_record_latency_seconds_sum 60.02");
    free(text);
    dl_metrics_free(m);
}

static void test_label_overflow(void **state)
{
    dl_metrics *m = dl_metrics_new();
    char reason[32], *text;

    (void)state;
    for (int i = 0; i < 100; i++) {
        snprintf(reason, sizeof(reason), "r%d", i);
        dl_metrics_dead_letter(m, reason);
    }
    text = render(m);
    /* 31 own series, then "other" takes the rest: bounded cardinality. */
    assert_has(text, "dateline_dead_letters_total{reason=\"r30\"} 1\n");
    assert_has(text, "dateline_dead_letters_total{reason=\"other\"} 69\n");
    assert_null(strstr(text, "reason=\"r31\""));
    free(text);
    dl_metrics_free(m);
}

static void test_health_and_ready(void **state)
{
    dl_metrics *m = dl_metrics_new();
    char why[256];

    (void)state;
    /* Starting: alive, not ready. */
    assert_int_equal(dl_metrics_healthy(m, 1000, why, sizeof(why)), 1);
    assert_int_equal(dl_metrics_ready(m, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "not running"));
    dl_metrics_heartbeat(m);
    assert_int_equal(dl_metrics_healthy(m, 1000, why, sizeof(why)), 1);
    nanosleep(&(struct timespec){0, 30000000}, NULL);
    assert_int_equal(dl_metrics_healthy(m, 10, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "has not turned"));

    dl_metrics_set_running(m, 1);
    assert_int_equal(dl_metrics_ready(m, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "no partitions"));
    dl_metrics_assigned(m, 3);
    /* No Kafka client registered: the broker probe fails. */
    assert_int_equal(dl_metrics_ready(m, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "no Kafka client"));
    dl_metrics_assigned(m, -3);
    assert_int_equal(dl_metrics_ready(m, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "no partitions"));
    dl_metrics_free(m);

    /* NULL registry: every call is a no-op. */
    dl_metrics_consumed(NULL);
    dl_metrics_set_running(NULL, 1);
    dl_metrics_update_lag(NULL, NULL);
    dl_metrics_free(NULL);
}

static void test_parse_listen(void **state)
{
    char host[64], msg[256];
    int port;

    (void)state;
    assert_int_equal(dl_http_parse_listen("127.0.0.1:9102", host, sizeof(host), &port, msg,
                                          sizeof(msg)),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9102);
    assert_int_equal(dl_http_parse_listen("[::1]:0", host, sizeof(host), &port, msg, sizeof(msg)),
                     0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_int_not_equal(dl_http_parse_listen("9102", host, sizeof(host), &port, msg, sizeof(msg)),
                         0);
    assert_int_not_equal(
        dl_http_parse_listen("a:70000", host, sizeof(host), &port, msg, sizeof(msg)), 0);
    assert_int_not_equal(dl_http_parse_listen(":1", host, sizeof(host), &port, msg, sizeof(msg)),
                         0);
    assert_int_not_equal(dl_http_parse_listen("::1:1", host, sizeof(host), &port, msg, sizeof(msg)),
                         0);
}

/* One HTTP/1.0 request; returns the status and copies the body. */
static int http_get(int port, const char *method, const char *path, char *body, size_t size)
{
    struct sockaddr_in sa;
    char req[256], buf[16384];
    size_t got = 0;
    ssize_t n;
    int fd, status = -1;
    const char *p;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    body[0] = '\0';
    if ((p = strstr(buf, "\r\n\r\n")))
        snprintf(body, size, "%s", p + 4);
    return status;
}

static void test_endpoint(void **state)
{
    dl_metrics *m = dl_metrics_new();
    dl_http *h;
    dl_err err = {0};
    char body[16384];
    int port;

    (void)state;
    assert_null(dl_http_start("nonsense", m, 1000, &err));
    assert_non_null(strstr(err.msg, "http.listen"));
    h = dl_http_start("127.0.0.1:0", m, 60000, &err);
    assert_non_null(h);
    port = dl_http_port(h);
    assert_true(port > 0);

    dl_metrics_consumed(m);
    assert_int_equal(http_get(port, "GET", "/metrics", body, sizeof(body)), 200);
    assert_has(body, "dateline_messages_consumed_total 1\n");
    assert_int_equal(http_get(port, "GET", "/healthz", body, sizeof(body)), 200);
    assert_string_equal(body, "ok\n");
    assert_int_equal(http_get(port, "GET", "/ready", body, sizeof(body)), 503);
    assert_has(body, "not ready: ");
    assert_int_equal(http_get(port, "GET", "/nope", body, sizeof(body)), 404);
    assert_int_equal(http_get(port, "POST", "/metrics", body, sizeof(body)), 405);
    /* The port is taken: a second server cannot start. */
    {
        char listen[32];

        snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
        assert_null(dl_http_start(listen, m, 1000, &err));
    }
    dl_http_stop(h);
    dl_http_stop(NULL);
    dl_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_counters), cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_latency),
        cmocka_unit_test(test_label_overflow),  cmocka_unit_test(test_health_and_ready),
        cmocka_unit_test(test_parse_listen),    cmocka_unit_test(test_endpoint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

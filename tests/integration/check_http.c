/*
 * HTTP integration: the real server (libmicrohttpd, ingest, SQLite) on an ephemeral loopback
 * port, driven with libcurl. Asserts status codes, error bodies, what the API shows as stored,
 * and the metrics a user would scrape.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>

#include "httpc.h"
#include "rr/auth.h"
#include "rr/http.h"
#include "rr/ingest.h"
#include "rr/live.h"
#include "rr/metrics.h"
#include "testlib.h"

struct server {
    char *dir;
    char db[512];
    char base[128];
    struct rr_auth *auth;
    struct rr_live *live;
    char routing[512], runbooks[512];
    struct rr_ingest *ingest;
    struct rr_http *http;
    char *cert, *key;
};

static struct server srv;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Starts a server; token/basic are credential file contents or NULL. */
static void start_with(const char *token, const char *basic, size_t max_body, int busy_ms,
                       unsigned deadline_ms, bool tls)
{
    memset(&srv, 0, sizeof srv);
    srv.dir = rr_test_tmpdir();
    snprintf(srv.db, sizeof srv.db, "%s/rr.db", srv.dir);
    char tfile[600], bfile[600];
    snprintf(tfile, sizeof tfile, "%s/token", srv.dir);
    snprintf(bfile, sizeof bfile, "%s/basic", srv.dir);
    if (token)
        write_file(tfile, token);
    if (basic)
        write_file(bfile, basic);
    struct rr_diag diag = {{0}};
    ck_assert_int_eq(rr_auth_load(token ? tfile : NULL, basic ? bfile : NULL, &srv.auth, &diag),
                     RR_OK);
    /* A private copy of the decision-test configuration, so reload tests may break it. */
    snprintf(srv.routing, sizeof srv.routing, "%s/routing", srv.dir);
    snprintf(srv.runbooks, sizeof srv.runbooks, "%s/runbooks", srv.dir);
    char *fx = rr_test_fixture("classify");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -r '%s/routing' '%s/runbooks' '%s/'", fx, fx, srv.dir);
    free(fx);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(rr_live_new(srv.routing, srv.runbooks, &srv.live, &diag) == RR_OK, "%s",
                  diag.msg);
    struct rr_ingest_options io = {.busy_timeout_ms = busy_ms, .live = srv.live};
    ck_assert_msg(rr_ingest_start(srv.db, &io, &srv.ingest, &diag) == RR_OK, "%s", diag.msg);
    if (tls) {
        snprintf(cmd, sizeof cmd,
                 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                 "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
                 ">/dev/null 2>&1", srv.dir, srv.dir);
        ck_assert_int_eq(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "%s/cert.pem", srv.dir);
        srv.cert = rr_test_read_file(cmd, NULL);
        snprintf(cmd, sizeof cmd, "%s/key.pem", srv.dir);
        srv.key = rr_test_read_file(cmd, NULL);
    }
    struct rr_http_options ho = {.listen = "127.0.0.1:0",
                                 .max_body_bytes = max_body,
                                 .auth = srv.auth,
                                 .ingest = srv.ingest,
                                 .live = srv.live,
                                 .db_path = srv.db,
                                 .tls_cert_pem = srv.cert,
                                 .tls_key_pem = srv.key,
                                 .request_deadline_ms = deadline_ms};
    ck_assert_msg(rr_http_start(&ho, &srv.http, &diag) == RR_OK, "%s", diag.msg);
    snprintf(srv.base, sizeof srv.base, "%s://127.0.0.1:%u", tls ? "https" : "http",
             (unsigned)rr_http_port(srv.http));
}

static void start(void)
{
    start_with(NULL, NULL, 8388608, 0, 0, false);
}

static void stop(void)
{
    rr_http_stop(srv.http);
    rr_ingest_stop(srv.ingest);
    rr_live_free(srv.live);
    rr_auth_free(srv.auth);
    free(srv.cert);
    free(srv.key);
    rr_test_rmtree(srv.dir);
    free(srv.dir);
}

static char *url(const char *path)
{
    static _Thread_local char buf[4][512];
    static _Thread_local int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s%s", srv.base, path);
    return buf[i];
}

static char *fixture(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "alertmanager/%s", name);
    char *path = rr_test_fixture(rel);
    char *text = rr_test_read_file(path, len);
    free(path);
    return text;
}

static void post_fixture(const char *name, long want)
{
    size_t len;
    char *body = fixture(name, &len);
    struct httpc_resp r;
    httpc_post_json(url("/webhook"), body, len, &r);
    ck_assert_msg(r.code == want, "%s: got %ld %s", name, r.code, r.body);
    httpc_resp_release(&r);
    free(body);
}

/* GET /api/v1/alerts<query> parsed; caller json_decref()s. */
static json_t *get_alerts(const char *query)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/alerts%s", query);
    struct httpc_resp r;
    httpc_get(url(path), &r);
    ck_assert_msg(r.code == 200, "alerts: %ld %s", r.code, r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    httpc_resp_release(&r);
    return j;
}

static void assert_error(const struct httpc_resp *r, long code, const char *error,
                         const char *detail)
{
    ck_assert_msg(r->code == code, "want %ld got %ld: %s", code, r->code, r->body);
    json_t *j = json_loads(r->body, 0, NULL);
    ck_assert_msg(j != NULL, "error body is not JSON: %s", r->body);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), error);
    if (detail)
        ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), detail);
    json_decref(j);
}

START_TEST(test_fixture_stored_and_listed)
{
    start();
    post_fixture("am-firing-app-workflow-failures.json", 200);
    json_t *j = get_alerts("");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
    json_t *a = json_array_get(json_object_get(j, "alerts"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(a, "status")), "firing");
    /* Classified at ingest: the team label names a known application team. */
    json_t *d = json_object_get(a, "decision");
    ck_assert_str_eq(json_string_value(json_object_get(d, "layer")), "application");
    ck_assert_str_eq(json_string_value(json_object_get(d, "team")), "payments");
    ck_assert_str_eq(json_string_value(json_object_get(d, "owner_source")), "team_label");
    ck_assert_str_eq(json_string_value(json_object_get(d, "runbook")), "temporal-generic");
    ck_assert(json_array_size(json_object_get(d, "evidence")) > 0);
    ck_assert(json_is_null(json_object_get(a, "endsAt")));
    ck_assert_int_eq(json_integer_value(json_object_get(a, "repeats")), 0);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(a, "labels"), "team")), "payments");
    json_decref(j);
    stop();
}
END_TEST

START_TEST(test_repeat_is_duplicate_and_resolve_is_stored)
{
    start();
    post_fixture("am-firing-cluster-unavailable.json", 200);
    uint64_t stored = rr_metrics_get(RR_M_ALERTS_STORED);
    uint64_t dup = rr_metrics_get(RR_M_ALERTS_DUPLICATE);
    post_fixture("am-firing-cluster-unavailable.json", 200);
    ck_assert_uint_eq(rr_metrics_get(RR_M_ALERTS_STORED), stored);
    ck_assert_uint_eq(rr_metrics_get(RR_M_ALERTS_DUPLICATE), dup + 1);
    json_t *j = get_alerts("");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    json_t *a = json_array_get(json_object_get(j, "alerts"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "repeats")), 1);
    json_decref(j);
    post_fixture("am-resolved-cluster-unavailable.json", 200);
    ck_assert_uint_eq(rr_metrics_get(RR_M_ALERTS_STORED), stored + 1);
    j = get_alerts("?status=resolved");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    a = json_array_get(json_object_get(j, "alerts"), 0);
    ck_assert(json_is_string(json_object_get(a, "endsAt")));
    json_decref(j);
    stop();
}
END_TEST

START_TEST(test_status_order_and_errors)
{
    start_with(NULL, NULL, 4096, 0, 0, false);
    struct httpc_resp r;
    httpc_get(url("/nope"), &r);
    assert_error(&r, 404, "not_found", "path: no such endpoint");
    httpc_resp_release(&r);

    httpc_get(url("/webhook"), &r);
    assert_error(&r, 405, "method_not_allowed", NULL);
    char allow[64];
    ck_assert_str_eq(httpc_header(&r, "Allow", allow, sizeof allow), "POST");
    httpc_resp_release(&r);

    struct httpc_req q = {.method = "POST", .url = url("/webhook"), .body = "{}", .len = 2};
    httpc_do(&q, &r);
    assert_error(&r, 415, "unsupported_media_type", "content-type: missing, want application/json");
    httpc_resp_release(&r);

    q.content_type = "text/plain";
    httpc_do(&q, &r);
    assert_error(&r, 415, "unsupported_media_type", "content-type: want application/json");
    httpc_resp_release(&r);

    /* Over the cap: by Content-Length before reading, and for a chunked body while reading. */
    char *big = rr_xmalloc(5000);
    memset(big, ' ', 5000);
    q.content_type = "application/json";
    q.body = big;
    q.len = 5000;
    httpc_do(&q, &r);
    assert_error(&r, 413, "payload_too_large", "body: larger than 4096 bytes");
    httpc_resp_release(&r);
    q.chunked = 1;
    httpc_do(&q, &r);
    ck_assert_msg(r.code == 413 || r.code == 0, "chunked over cap: %ld", r.code);
    httpc_resp_release(&r);
    free(big);

    /* Parameters of the media type are ignored. */
    q = (struct httpc_req){.method = "POST", .url = url("/webhook"),
                           .content_type = "application/json; charset=utf-8",
                           .body = "{\"version\":\"3\"}", .len = 15};
    httpc_do(&q, &r);
    assert_error(&r, 400, "invalid_payload", NULL);
    ck_assert_ptr_nonnull(strstr(r.body, "version"));
    httpc_resp_release(&r);

    httpc_post_json(url("/webhook"), "{\"version\":", 11, &r);
    assert_error(&r, 400, "invalid_payload", NULL);
    httpc_resp_release(&r);

    /* The API rejects a bad filter by name. */
    httpc_get(url("/api/v1/alerts?limit=0"), &r);
    assert_error(&r, 400, "bad_filter", "limit: want an integer from 1 to 10000");
    httpc_resp_release(&r);
    httpc_get(url("/api/v1/alerts?stauts=firing"), &r);
    assert_error(&r, 400, "bad_filter", NULL);
    httpc_resp_release(&r);
    stop();
}
END_TEST

START_TEST(test_field_named_in_400)
{
    start();
    size_t len;
    char *body = fixture("am-firing-app-workflow-failures.json", &len);
    /* Break the second alert's startsAt. */
    char *p = strstr(body, "\"startsAt\"");
    p = strstr(p + 1, "\"startsAt\"");
    ck_assert_ptr_nonnull(p);
    char *v = strchr(p + 10, '"') + 1;
    memcpy(v, "yesterday", 9);
    struct httpc_resp r;
    httpc_post_json(url("/webhook"), body, len, &r);
    ck_assert_int_eq(r.code, 400);
    ck_assert_msg(strstr(r.body, "alerts[1].startsAt: ") != NULL, "%s", r.body);
    httpc_resp_release(&r);
    free(body);
    /* A 4xx stores nothing. */
    json_t *j = get_alerts("");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    stop();
}
END_TEST

START_TEST(test_bearer_auth)
{
    start_with("s3cret-token\n", NULL, 8388608, 0, 0, false);
    size_t len;
    char *body = fixture("am-firing-cluster-unavailable.json", &len);
    struct httpc_req q = {.method = "POST", .url = url("/webhook"),
                          .content_type = "application/json", .body = body, .len = len};
    struct httpc_resp r;
    httpc_do(&q, &r);
    assert_error(&r, 401, "unauthorized", NULL);
    char hdr[128];
    ck_assert_ptr_nonnull(httpc_header(&r, "WWW-Authenticate", hdr, sizeof hdr));
    ck_assert_ptr_nonnull(strstr(hdr, "Bearer"));
    httpc_resp_release(&r);
    q.auth = "Bearer s3cret-tokeN";
    httpc_do(&q, &r);
    ck_assert_int_eq(r.code, 401);
    httpc_resp_release(&r);
    q.auth = "Bearer s3cret-token";
    httpc_do(&q, &r);
    ck_assert_int_eq(r.code, 200);
    httpc_resp_release(&r);
    /* 401 comes before 415: auth is checked first. */
    q.auth = NULL;
    q.content_type = "text/plain";
    httpc_do(&q, &r);
    ck_assert_int_eq(r.code, 401);
    httpc_resp_release(&r);
    /* Health and readiness stay open; metrics and the API do not. */
    httpc_get(url("/-/healthy"), &r);
    ck_assert_int_eq(r.code, 200);
    httpc_resp_release(&r);
    httpc_get(url("/-/ready"), &r);
    ck_assert_int_eq(r.code, 200);
    httpc_resp_release(&r);
    httpc_get(url("/metrics"), &r);
    ck_assert_int_eq(r.code, 401);
    httpc_resp_release(&r);
    httpc_get(url("/api/v1/alerts"), &r);
    ck_assert_int_eq(r.code, 401);
    httpc_resp_release(&r);
    free(body);
    stop();
}
END_TEST

START_TEST(test_basic_auth)
{
    start_with(NULL, "# alertmanager\nam:pa:ss\n", 8388608, 0, 0, false);
    char enc[64];
    rr_base64_encode((const unsigned char *)"am:pa:ss", 8, enc, sizeof enc);
    char header[96];
    snprintf(header, sizeof header, "Basic %s", enc);
    struct httpc_req q = {.method = "GET", .url = url("/metrics"), .auth = header};
    struct httpc_resp r;
    httpc_do(&q, &r);
    ck_assert_int_eq(r.code, 200);
    httpc_resp_release(&r);
    q.auth = "Basic YW06d3Jvbmc="; /* am:wrong */
    httpc_do(&q, &r);
    ck_assert_int_eq(r.code, 401);
    char hdr[128];
    ck_assert_ptr_nonnull(strstr(httpc_header(&r, "WWW-Authenticate", hdr, sizeof hdr), "Basic"));
    httpc_resp_release(&r);
    stop();
}
END_TEST

START_TEST(test_metrics_exposition)
{
    start();
    post_fixture("am-firing-app-workflow-failures.json", 200);
    post_fixture("am-firing-app-workflow-failures.json", 200);
    struct httpc_resp r;
    httpc_post_json(url("/webhook"), "[]", 2, &r);
    httpc_resp_release(&r);
    httpc_get(url("/metrics"), &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "runbook_router_webhook_requests_total{code=\"200\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "runbook_router_webhook_requests_total{code=\"400\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "runbook_router_alerts_stored_total 2\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "runbook_router_alerts_duplicate_total 2\n"));
    httpc_resp_release(&r);
    stop();
}
END_TEST

/* A client that holds its write transaction: the store is locked past its timeout. */
START_TEST(test_locked_store_is_503_then_recovers)
{
    start_with(NULL, NULL, 8388608, 200, 0, false);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(srv.db, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    size_t len;
    char *body = fixture("am-firing-cluster-unavailable.json", &len);
    struct httpc_resp r;
    httpc_post_json(url("/webhook"), body, len, &r);
    assert_error(&r, 503, "store_unavailable", NULL);
    httpc_resp_release(&r);
    httpc_get(url("/-/ready"), &r);
    ck_assert_int_eq(r.code, 503);
    httpc_resp_release(&r);
    ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    /* Alertmanager retries a 503; the retry is stored. */
    httpc_post_json(url("/webhook"), body, len, &r);
    ck_assert_int_eq(r.code, 200);
    httpc_resp_release(&r);
    httpc_get(url("/-/ready"), &r);
    ck_assert_int_eq(r.code, 200);
    httpc_resp_release(&r);
    free(body);
    stop();
}
END_TEST

static int connect_raw(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(rr_http_port(srv.http))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* A slow-drip sender is cut off at the deadline while everyone else is served. */
START_TEST(test_slow_drip_closed_others_served)
{
    start_with(NULL, NULL, 8388608, 0, 1000, false);
    int fd = connect_raw();
    const char *head = "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 1000\r\n\r\n{";
    ck_assert(write(fd, head, strlen(head)) > 0);
    bool closed = false;
    for (int i = 0; i < 40 && !closed; i++) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
        if (write(fd, " ", 1) < 0)
            closed = true;
        if (i == 2)
            post_fixture("am-firing-cluster-unavailable.json", 200); /* others are served */
    }
    ck_assert_msg(closed, "slow sender was not disconnected within 4 s");
    close(fd);
    stop();
}
END_TEST

START_TEST(test_hostile_bodies_rejected_server_keeps_serving)
{
    start();
    struct rr_buf b;
    rr_buf_init(&b, (size_t)8 << 20);
    /* 100 000 labels */
    ck_assert(!rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":"
                               "\"firing\",\"fingerprint\":\"0123456789abcdef\",\"startsAt\":"
                               "\"2026-01-01T00:00:00Z\",\"labels\":{\"alertname\":\"X\""));
    for (int i = 0; i < 100000; i++)
        ck_assert(!rr_buf_printf(&b, ",\"l%d\":\"v\"", i));
    ck_assert(!rr_buf_puts(&b, "}}]}"));
    struct httpc_resp r;
    httpc_post_json(url("/webhook"), b.data, b.len, &r);
    assert_error(&r, 400, "limit_exceeded", "alerts[0].labels: more than 128 labels");
    httpc_resp_release(&r);
    /* deep nesting */
    rr_buf_reset(&b);
    ck_assert(!rr_buf_puts(&b, "{\"x\":"));
    for (int i = 0; i < 5000; i++)
        ck_assert(!rr_buf_puts(&b, "["));
    httpc_post_json(url("/webhook"), b.data, b.len, &r);
    ck_assert_int_eq(r.code, 400);
    httpc_resp_release(&r);
    /* invalid UTF-8 */
    const char bad[] = "{\"version\":\"4\",\"status\":\"fir\xff\",\"alerts\":[]}";
    httpc_post_json(url("/webhook"), bad, sizeof bad - 1, &r);
    ck_assert_int_eq(r.code, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "UTF-8"));
    httpc_resp_release(&r);
    rr_buf_release(&b);
    post_fixture("am-firing-cluster-unavailable.json", 200);
    stop();
}
END_TEST

START_TEST(test_tls)
{
    start_with(NULL, NULL, 8388608, 0, 0, true);
    char ca[600];
    snprintf(ca, sizeof ca, "%s/cert.pem", srv.dir);
    size_t len;
    char *body = fixture("am-firing-cluster-unavailable.json", &len);
    struct httpc_req q = {.method = "POST", .url = url("/webhook"),
                          .content_type = "application/json", .body = body, .len = len,
                          .cainfo = ca};
    struct httpc_resp r;
    httpc_do(&q, &r);
    ck_assert_msg(r.code == 200, "%ld %s", r.code, r.error);
    httpc_resp_release(&r);
    free(body);
    stop();
}
END_TEST

struct poster {
    int id;
    int ok;
};

static void *post_distinct(void *arg)
{
    struct poster *p = arg;
    for (int i = 0; i < 25; i++) {
        char body[512];
        int n = snprintf(body, sizeof body,
                         "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":"
                         "\"firing\",\"labels\":{\"alertname\":\"Load\",\"i\":\"%d-%d\"},"
                         "\"startsAt\":\"2026-01-01T00:00:00Z\",\"fingerprint\":\"%016x\"}]}\n",
                         p->id, i, (unsigned)(p->id * 1000 + i));
        struct httpc_resp r;
        httpc_post_json(url("/webhook"), body, (size_t)n, &r);
        p->ok += r.code == 200;
        httpc_resp_release(&r);
    }
    return NULL;
}

START_TEST(test_concurrent_senders_all_stored)
{
    start();
    pthread_t t[16];
    struct poster p[16];
    for (int i = 0; i < 16; i++) {
        p[i] = (struct poster){.id = i};
        pthread_create(&t[i], NULL, post_distinct, &p[i]);
    }
    int ok = 0;
    for (int i = 0; i < 16; i++) {
        pthread_join(t[i], NULL);
        ok += p[i].ok;
    }
    ck_assert_int_eq(ok, 400);
    json_t *j = get_alerts("?limit=1");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 400);
    json_decref(j);
    stop();
}
END_TEST

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text);
}

/* The persistence alert carrying an application team label pages the platform, and the API
 * filters by the decided team and layer. */
START_TEST(test_decision_filters)
{
    start();
    const char *persistence =
        "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
        "\"labels\":{\"alertname\":\"TemporalPersistenceLatencyHigh\",\"service_name\":"
        "\"history\",\"team\":\"payments\",\"temporal_cluster\":\"prod-west\","
        "\"temporal_namespace\":\"payments-prod\"},"
        "\"startsAt\":\"2026-11-22T01:00:00Z\",\"fingerprint\":\"1111111111111111\"}]}";
    struct httpc_resp pr;
    httpc_post_json(url("/webhook"), persistence, strlen(persistence), &pr);
    ck_assert_int_eq(pr.code, 200);
    httpc_resp_release(&pr);
    /* Ambiguous workflow failures in prod-east: the prod-west outage is no evidence. */
    post_fixture("am-firing-app-workflow-failures.json", 200);
    json_t *j = get_alerts("?layer=platform");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    json_t *d = json_object_get(json_array_get(json_object_get(j, "alerts"), 0), "decision");
    ck_assert_str_eq(json_string_value(json_object_get(d, "team")), "temporal-platform");
    ck_assert_str_eq(json_string_value(json_object_get(d, "affected_team")), "payments");
    json_decref(j);
    j = get_alerts("?team=payments");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    struct httpc_resp r;
    httpc_get(url("/metrics"), &r);
    ck_assert_ptr_nonnull(strstr(
        r.body, "runbook_router_alerts_classified_total{kind=\"latency\",layer=\"platform\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "runbook_router_route_decisions_total{route=\"persistence\"} 1\n"));
    httpc_resp_release(&r);
    stop();
}
END_TEST

START_TEST(test_runbook_page)
{
    start();
    struct httpc_resp r;
    httpc_get(url("/runbooks/temporal-persistence"), &r);
    ck_assert_int_eq(r.code, 200);
    char ctype[128];
    ck_assert_str_eq(httpc_header(&r, "Content-Type", ctype, sizeof ctype),
                     "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r.body, "Diagnosis"));
    httpc_resp_release(&r);
    httpc_get(url("/runbooks/no-such-runbook"), &r);
    assert_error(&r, 404, "not_found", "runbook: no runbook with this id");
    httpc_resp_release(&r);
    httpc_get(url("/runbooks/"), &r);
    ck_assert_int_eq(r.code, 404);
    httpc_resp_release(&r);
    stop();
}
END_TEST

struct reload_poster {
    int id;
    int ok;
    int sent;
};

static void *post_while_reloading(void *arg)
{
    struct reload_poster *p = arg;
    for (int i = 0; i < 40; i++) {
        char body[512];
        int n = snprintf(body, sizeof body,
                         "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":"
                         "\"firing\",\"labels\":{\"alertname\":\"TemporalWorkflowFailureRatioHigh\","
                         "\"temporal_namespace\":\"orders-prod\",\"i\":\"%d-%d\"},"
                         "\"startsAt\":\"2026-01-01T00:00:00Z\",\"fingerprint\":\"%016x\"}]}\n",
                         p->id, i, (unsigned)(p->id * 1000 + i + 1));
        struct httpc_resp r;
        httpc_post_json(url("/webhook"), body, (size_t)n, &r);
        p->ok += r.code == 200;
        p->sent++;
        httpc_resp_release(&r);
    }
    return NULL;
}

/* Reloads swap the whole configuration while webhooks keep flowing: every request is stored
 * and classified by either the old or the new table, never half of each; a broken file is
 * refused with its position and the old configuration keeps serving. */
START_TEST(test_reload_under_concurrent_webhooks)
{
    start();
    pthread_t t[8];
    struct reload_poster p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = (struct reload_poster){.id = i};
        pthread_create(&t[i], NULL, post_while_reloading, &p[i]);
    }
    struct httpc_resp r;
    for (int k = 0; k < 6; k++) {
        /* Alternate who owns orders-prod: orders, then search (by a new exact namespace). */
        write_text(srv.routing, "teams.yml",
                   k % 2 == 0 ? "teams:\n"
                                "  - name: temporal-platform\n    layer: platform\n"
                                "    slack: { url: \"http://127.0.0.1:9/p\" }\n"
                                "  - name: search\n    layer: application\n"
                                "    namespaces: [orders-prod]\n"
                                "    slack: { url_env: SLACK_SEARCH_URL }\n"
                              : "teams:\n"
                                "  - name: temporal-platform\n    layer: platform\n"
                                "    slack: { url: \"http://127.0.0.1:9/p\" }\n"
                                "  - name: orders\n    layer: application\n"
                                "    namespaces: [orders-prod]\n"
                                "    slack: { url_env: SLACK_ORDERS_URL }\n");
        write_text(srv.routing, "routes.yml", "routes: []\n");
        struct httpc_req q = {.method = "POST", .url = url("/-/reload")};
        httpc_do(&q, &r);
        ck_assert_msg(r.code == 200, "reload %d: %ld %s", k, r.code, r.body);
        ck_assert_str_eq(r.body, "{\"status\":\"reloaded\"}");
        httpc_resp_release(&r);
    }
    /* A broken file: 500 naming file:line:column, and the last good table keeps serving. */
    write_text(srv.routing, "teams.yml", "teams:\n  - name: Bad Name\n    layer: application\n");
    struct httpc_req q = {.method = "POST", .url = url("/-/reload")};
    httpc_do(&q, &r);
    ck_assert_int_eq(r.code, 500);
    json_t *e = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(e, "error")), "reload_failed");
    ck_assert_msg(strstr(json_string_value(json_object_get(e, "detail")), "teams.yml:2:") != NULL,
                  "%s", r.body);
    json_decref(e);
    httpc_resp_release(&r);
    int ok = 0, sent = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ok += p[i].ok;
        sent += p[i].sent;
    }
    ck_assert_int_eq(ok, sent);
    /* Every stored decision names one of the two owners the table ever had. */
    json_t *all = get_alerts("?limit=10000");
    ck_assert_int_eq(json_integer_value(json_object_get(all, "total")), sent);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(all, "alerts"), i, a) {
        const char *team =
            json_string_value(json_object_get(json_object_get(a, "decision"), "team"));
        ck_assert_msg(team && (!strcmp(team, "orders") || !strcmp(team, "search")), "team %s",
                      team ? team : "(none)");
    }
    json_decref(all);
    /* After the failed reload the last good table (orders owns orders-prod) still decides. */
    const char *body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
                       "\"labels\":{\"alertname\":\"TemporalWorkflowFailureRatioHigh\","
                       "\"temporal_namespace\":\"orders-prod\",\"i\":\"last\"},\"startsAt\":"
                       "\"2026-01-01T00:00:00Z\",\"fingerprint\":\"00000000000fffff\"}]}";
    httpc_post_json(url("/webhook"), body, strlen(body), &r);
    ck_assert_int_eq(r.code, 200);
    httpc_resp_release(&r);
    json_t *last = get_alerts("?fingerprint=00000000000fffff");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(json_object_get(last, "alerts"), 0),
                                         "decision"),
                         "team")),
                     "orders");
    json_decref(last);
    stop();
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fixture_stored_and_listed);
    tcase_add_test(tc, test_repeat_is_duplicate_and_resolve_is_stored);
    tcase_add_test(tc, test_status_order_and_errors);
    tcase_add_test(tc, test_field_named_in_400);
    tcase_add_test(tc, test_bearer_auth);
    tcase_add_test(tc, test_basic_auth);
    tcase_add_test(tc, test_metrics_exposition);
    tcase_add_test(tc, test_locked_store_is_503_then_recovers);
    tcase_add_test(tc, test_slow_drip_closed_others_served);
    tcase_add_test(tc, test_hostile_bodies_rejected_server_keeps_serving);
    tcase_add_test(tc, test_tls);
    tcase_add_test(tc, test_concurrent_senders_all_stored);
    tcase_add_test(tc, test_decision_filters);
    tcase_add_test(tc, test_runbook_page);
    tcase_add_test(tc, test_reload_under_concurrent_webhooks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    SRunner *sr = srunner_create(http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

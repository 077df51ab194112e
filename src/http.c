/*
 * http: the libmicrohttpd daemon, the handler table, per-request contexts, the checks that
 * come before a handler (404, 405, 401, 415, 413, deadline), and the reply helpers.
 */
#define RR_LOG_MODULE "http"
#include "rr/http.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "rr/auth.h"
#include "rr/clock.h"
#include "rr/log.h"
#include "rr/metrics.h"
#include "rr/store.h"

#include "http_int.h"

static enum MHD_Result handle_healthy(struct request *req)
{
    return http_reply_text(req, MHD_HTTP_OK, "text/plain; charset=utf-8", "healthy\n", 8);
}

static enum MHD_Result handle_ready(struct request *req)
{
    if (rr_ingest_ready(req->http->opts.ingest))
        return http_reply_text(req, MHD_HTTP_OK, "text/plain; charset=utf-8", "ready\n", 6);
    return http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                            "store: the database is not writable");
}

static enum MHD_Result handle_metrics(struct request *req)
{
    struct rr_buf out;
    rr_buf_init(&out, (size_t)16 << 20);
    enum MHD_Result r;
    if (rr_metrics_render(&out) == RR_OK)
        r = http_reply_text(req, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.data,
                            out.len);
    else
        r = http_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                             "metrics: exposition too large");
    rr_buf_release(&out);
    return r;
}

static const struct handler handlers[] = {
    {.method = "POST", .path = "/webhook", .fn = http_handle_webhook, .takes_json_body = true},
    {.method = "GET", .path = "/-/healthy", .fn = handle_healthy, .public = true},
    {.method = "GET", .path = "/-/ready", .fn = handle_ready, .public = true},
    {.method = "GET", .path = "/metrics", .fn = handle_metrics},
    {.method = "GET", .path = "/api/v1/alerts", .fn = http_handle_alerts},
    {.method = "POST", .path = "/-/reload", .fn = http_handle_reload},
    {.method = "GET", .path = "/runbooks/", .fn = http_handle_runbook, .prefix = true},
    {.method = "GET", .path = "/api/v1/escalations", .fn = http_handle_escalations},
    {.method = "GET", .path = "/api/v1/escalations/", .fn = http_handle_escalation, .prefix = true},
};
#define N_HANDLERS (sizeof handlers / sizeof handlers[0])

/* ==== Replies ==== */

static enum MHD_Result queue(struct request *req, int status, const char *content_type,
                             const char *data, size_t len, const char *extra_header,
                             const char *extra_value)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (extra_header)
        MHD_add_response_header(resp, extra_header, extra_value);
    req->status = status;
    /* Counted when the answer is queued, so a client that has its answer sees it counted. */
    if (req->counts_as_webhook)
        rr_metrics_webhook_request(status);
    enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

enum MHD_Result http_reply_text(struct request *req, int status, const char *content_type,
                                const char *text, size_t len)
{
    return queue(req, status, content_type, text, len, NULL, NULL);
}

enum MHD_Result http_reply_json(struct request *req, int status, const char *json)
{
    return queue(req, status, "application/json", json, strlen(json), NULL, NULL);
}

static enum MHD_Result reply_error_with_header(struct request *req, int status, const char *code,
                                               const char *detail, const char *header,
                                               const char *value)
{
    json_t *obj = json_pack("{s:s, s:s}", "error", code, "detail", detail);
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text) /* detail was not UTF-8; it never is from our own messages, but stay safe */
        text = strdup("{\"error\":\"internal\",\"detail\":\"unprintable detail\"}");
    if (!text)
        abort();
    enum MHD_Result r = queue(req, status, "application/json", text, strlen(text), header, value);
    free(text);
    if (status >= 400) {
        char qpath[256], qdetail[512];
        const char *path = req->handler ? req->handler->path : "-";
        RR_LOG(status >= 500 ? RR_LOG_WARN : RR_LOG_INFO, "request refused",
               "status=%d error=%s path=%s detail=%s", status, code,
               rr_log_q(qpath, sizeof qpath, path), rr_log_q(qdetail, sizeof qdetail, detail));
    }
    return r;
}

enum MHD_Result http_reply_error(struct request *req, int status, const char *code,
                                 const char *detail)
{
    return reply_error_with_header(req, status, code, detail, NULL, NULL);
}

/* ==== Checks before the handler ==== */

static bool path_matches(const struct handler *h, const char *url)
{
    if (!h->prefix)
        return strcmp(h->path, url) == 0;
    size_t n = strlen(h->path);
    return strncmp(h->path, url, n) == 0 && url[n] != '\0';
}

static const struct handler *find_handler(const char *method, const char *url, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < N_HANDLERS; i++) {
        if (!path_matches(&handlers[i], url))
            continue;
        *path_known = true;
        if (strcmp(handlers[i].method, method) == 0)
            return &handlers[i];
    }
    return NULL;
}

static void allow_header(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < N_HANDLERS; i++) {
        if (!path_matches(&handlers[i], url))
            continue;
        if (out[0])
            strncat(out, ", ", cap - strlen(out) - 1);
        strncat(out, handlers[i].method, cap - strlen(out) - 1);
        if (strcmp(handlers[i].method, "GET") == 0)
            strncat(out, ", HEAD", cap - strlen(out) - 1);
    }
}

/* "application/json" with any parameters (charset=...), case-insensitive. */
static bool is_json_media_type(const char *value)
{
    if (!value)
        return false;
    while (*value == ' ' || *value == '\t')
        value++;
    static const char want[] = "application/json";
    if (strncasecmp(value, want, sizeof want - 1) != 0)
        return false;
    char next = value[sizeof want - 1];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/*
 * The first call for a request: decide everything that needs no body. Returns MHD_YES with
 * nothing queued when the body (if any) should be read.
 */
static enum MHD_Result admit(struct request *req, const char *url, const char *method)
{
    struct rr_http *http = req->http;
    bool path_known;
    const char *lookup_method = strcmp(method, "HEAD") == 0 ? "GET" : method;
    const struct handler *h = find_handler(lookup_method, url, &path_known);
    req->counts_as_webhook = strcmp(url, "/webhook") == 0;
    if (!path_known)
        return http_reply_error(req, MHD_HTTP_NOT_FOUND, "not_found", "path: no such endpoint");
    if (!h) {
        char allow[64];
        allow_header(url, allow, sizeof allow);
        return reply_error_with_header(req, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                       "method: not allowed on this path", "Allow", allow);
    }
    req->handler = h;
    if (h->prefix)
        req->path_arg = url + strlen(h->path);
    if (!h->public &&
        !rr_auth_check(http->opts.auth,
                       MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization")))
        return reply_error_with_header(req, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                                       "authorization: missing or wrong credentials",
                                       "WWW-Authenticate", rr_auth_challenge(http->opts.auth));
    if (!h->takes_json_body)
        return MHD_YES;
    const char *ctype = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
    if (!is_json_media_type(ctype))
        return http_reply_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                                ctype ? "content-type: want application/json"
                                      : "content-type: missing, want application/json");
    const char *clen = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Length");
    if (clen && strtoull(clen, NULL, 10) > http->opts.max_body_bytes) {
        char detail[128];
        snprintf(detail, sizeof detail, "body: larger than %zu bytes", http->opts.max_body_bytes);
        return http_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large", detail);
    }
    return MHD_YES;
}

/* ==== libmicrohttpd callbacks ==== */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct rr_http *http = cls;
    struct request *req = *con_cls;
    if (!req) {
        req = rr_xcalloc(1, sizeof *req);
        req->http = http;
        req->conn = conn;
        req->start_ns = rr_clock_mono_ns();
        rr_buf_init(&req->body, http->opts.max_body_bytes);
        atomic_fetch_add(&http->in_flight, 1);
        *con_cls = req;
        return admit(req, url, method);
    }
    if (req->status) { /* answered already: drop whatever body still arrives */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        int64_t deadline_ms = http->opts.request_deadline_ms
                                  ? http->opts.request_deadline_ms
                                  : (int64_t)RR_HTTP_REQUEST_DEADLINE_S * 1000;
        if (rr_clock_mono_ns() - req->start_ns > deadline_ms * 1000000) {
            /* A slow-drip sender would otherwise hold a connection for as long as it likes. */
            RR_INFO("request too slow, closing", "deadline_ms=%lld", (long long)deadline_ms);
            return MHD_NO;
        }
        if (rr_buf_append(&req->body, upload_data, *upload_data_size) != RR_OK) {
            /* A chunked body passed the cap: answer 413 once it has been drained, but never
             * buffer more of it. Closing here would also do; the 413 tells the sender why. */
            char detail[128];
            snprintf(detail, sizeof detail, "body: larger than %zu bytes",
                     http->opts.max_body_bytes);
            *upload_data_size = 0;
            enum MHD_Result r =
                http_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large", detail);
            return r == MHD_YES ? MHD_YES : MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->state == REQ_WAITING) {
        req->state = REQ_RESUMED;
        return http_handle_webhook_resumed(req);
    }
    if (req->state == REQ_RESUMED)
        return MHD_YES;
    return req->handler->fn(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct rr_http *http = cls;
    struct request *req = *con_cls;
    if (!req)
        return;
    if (req->counts_as_webhook && !req->status) /* never answered: the client went away */
        rr_metrics_webhook_request(0);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && req->status == 0)
        RR_DEBUG("request ended without a reply", "reason=%d", (int)toe);
    rr_webhook_free(req->webhook);
    rr_buf_release(&req->body);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&http->in_flight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512], q[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    RR_WARN("libmicrohttpd", "detail=%s", rr_log_q(q, sizeof q, msg));
}

/* ==== Start and stop ==== */

static enum rr_err resolve_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *len,
                                  struct rr_diag *diag)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        return rr_diag_set(diag, RR_ERR_INVAL, "listen address '%s': want ADDR:PORT", listen);
    size_t hlen = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof host)
        return rr_diag_set(diag, RR_ERR_INVAL, "listen address '%s': host too long", listen);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || !res)
        return rr_diag_set(diag, RR_ERR_INVAL, "listen address '%s': %s", listen, gai_strerror(rc));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return RR_OK;
}

enum rr_err rr_http_start(const struct rr_http_options *opts, struct rr_http **out,
                          struct rr_diag *diag)
{
    struct sockaddr_storage addr;
    socklen_t addrlen;
    enum rr_err err = resolve_listen(opts->listen, &addr, &addrlen, diag);
    if (err)
        return err;
    struct rr_http *http = rr_xcalloc(1, sizeof *http);
    http->opts = *opts;
    pthread_mutex_init(&http->readers_lock, NULL);
    /* poll(), not epoll: with a thread pool on epoll, MHD_quiesce_daemon edits the workers'
     * epoll sets while they may do so themselves, and libmicrohttpd 0.9.75 aborts the process
     * when that race is lost ("Failed to remove listen FD from epoll set"); with poll, quiescing
     * is a flag. Each worker polls its own connections, a few hundred at most. */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (opts->tls_cert_pem)
        flags |= MHD_USE_TLS;
    unsigned threads = opts->threads ? opts->threads : 2;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)opts->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)opts->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem no_opts[] = {{MHD_OPTION_END, 0, NULL}};
    http->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, http, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)RR_HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)RR_HTTP_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)RR_HTTP_MAX_CONNECTIONS_PER_IP,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, http, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_ARRAY, opts->tls_cert_pem ? tls_opts : no_opts, MHD_OPTION_END);
    if (!http->daemon) {
        pthread_mutex_destroy(&http->readers_lock);
        free(http);
        return rr_diag_set(diag, RR_ERR_IO,
                           "cannot listen on %s (address in use, or bad TLS certificate/key)",
                           opts->listen);
    }
    *out = http;
    return RR_OK;
}

uint16_t rr_http_port(const struct rr_http *http)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void rr_http_stop(struct rr_http *http)
{
    if (!http)
        return;
    /* Stop accepting. The listen socket is now ours, but libmicrohttpd's threads may still be
     * taking it out of their epoll sets: close it only after MHD_stop_daemon. */
    MHD_socket listener = MHD_quiesce_daemon(http->daemon);
    /* In-flight requests include those suspended while their group commit runs. */
    int64_t deadline = rr_clock_mono_ns() + (int64_t)RR_HTTP_STOP_GRACE_MS * 1000000;
    while (atomic_load(&http->in_flight) > 0 && rr_clock_mono_ns() < deadline) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&http->in_flight);
    if (left > 0)
        RR_WARN("stopping with requests still in flight", "requests=%d", left);
    MHD_stop_daemon(http->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    for (int i = 0; i < http->n_readers; i++)
        rr_store_close(http->readers[i]);
    pthread_mutex_destroy(&http->readers_lock);
    free(http);
}

enum rr_err http_reader_get(struct rr_http *http, struct rr_store **out, struct rr_diag *diag)
{
    pthread_mutex_lock(&http->readers_lock);
    struct rr_store *s = http->n_readers ? http->readers[--http->n_readers] : NULL;
    pthread_mutex_unlock(&http->readers_lock);
    if (s) {
        *out = s;
        return RR_OK;
    }
    struct rr_store_options o = {.readonly = true, .busy_timeout_ms = 2000};
    return rr_store_open(http->opts.db_path, &o, out, diag);
}

void http_reader_put(struct rr_http *http, struct rr_store *store)
{
    pthread_mutex_lock(&http->readers_lock);
    if (http->n_readers < (int)(sizeof http->readers / sizeof http->readers[0])) {
        http->readers[http->n_readers++] = store;
        store = NULL;
    }
    pthread_mutex_unlock(&http->readers_lock);
    rr_store_close(store);
}

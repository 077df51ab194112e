/*
 * http: the HTTP interface of `serve` (PRODUCT §3) on libmicrohttpd.
 *
 * A handler table maps (method, path) to handlers; unknown paths are 404, known paths with
 * another method 405 with Allow. For guarded endpoints a failed Authorization check is 401
 * with WWW-Authenticate. POST /webhook is checked in the order PRODUCT §3.1 fixes — 415 for
 * a media type other than application/json, 413 past --max-body-bytes (by Content-Length
 * before any body is read, or as soon as a chunked body passes it), 400 naming the field for
 * any other body problem, 503 when the store cannot commit — and is answered 200 only after
 * the group commit that holds its alerts (see ingest.h). While a request waits for its commit
 * its connection is suspended, so a few threads serve many concurrent senders.
 *
 * Hostile clients: bodies are capped, a request must arrive within RR_HTTP_REQUEST_DEADLINE_S
 * (slow drip), idle connections time out, the number of connections is bounded; none of
 * it costs other clients their service.
 *
 * <microhttpd.h> stays inside src/http*.c. Thread: start/stop from the main thread.
 */
#ifndef RR_HTTP_H
#define RR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "rr/err.h"

#define RR_HTTP_REQUEST_DEADLINE_S     30 /* whole request, headers to last body byte */
#define RR_HTTP_IDLE_TIMEOUT_S         15 /* a connection silent this long is closed */
#define RR_HTTP_MAX_CONNECTIONS        1024
#define RR_HTTP_MAX_CONNECTIONS_PER_IP 256   /* one sender cannot take every slot */
#define RR_HTTP_STOP_GRACE_MS          10000 /* how long SIGTERM waits for in-flight requests */

struct rr_auth;
struct rr_ingest;
struct rr_http;
struct rr_live;

struct rr_http_options {
    const char *listen;           /* "ADDR:PORT" or "[V6]:PORT"; port 0 picks a free one */
    size_t max_body_bytes;        /* webhook body cap */
    const struct rr_auth *auth;   /* borrowed until rr_http_stop; NULL = no authentication */
    const char *tls_cert_pem;     /* borrowed PEM text, or NULL for plain HTTP */
    const char *tls_key_pem;      /* borrowed PEM text, or NULL */
    struct rr_ingest *ingest;     /* borrowed until rr_http_stop */
    struct rr_live *live;         /* borrowed until rr_http_stop: routing table and runbooks */
    const char *db_path;          /* database the read-only API endpoints open */
    unsigned threads;             /* request threads; 0 = 2 */
    unsigned request_deadline_ms; /* 0 = RR_HTTP_REQUEST_DEADLINE_S; tests shorten it */
};

/* Binds and starts serving. @param[out] out owned; stop with rr_http_stop(). */
RR_NODISCARD enum rr_err rr_http_start(const struct rr_http_options *opts, struct rr_http **out,
                                       struct rr_diag *diag);
/* The bound port (useful with port 0). */
uint16_t rr_http_port(const struct rr_http *http);
/* Reloads the routing table and runbooks (POST /-/reload; serve's SIGHUP uses it too) and logs
 * the outcome; on failure the previous configuration keeps serving and diag says why. */
enum rr_err rr_http_reload_config(struct rr_live *live, const char *trigger, struct rr_diag *diag);
/* Stops accepting, lets in-flight requests finish (up to RR_HTTP_STOP_GRACE_MS), frees. */
void rr_http_stop(struct rr_http *http);

#endif

/*
 * http_int: what the files of the http module share — the per-request context and the reply
 * helpers. Not part of any other module's contract.
 */
#ifndef RR_HTTP_INT_H
#define RR_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "rr/alert.h"
#include "rr/buf.h"
#include "rr/http.h"
#include "rr/ingest.h"

struct rr_store;

struct rr_http {
    struct MHD_Daemon *daemon;
    struct rr_http_options opts;  /* borrowed pointers, see rr_http_options */
    _Atomic int in_flight;        /* requests between first callback and completion */
    pthread_mutex_t readers_lock; /* guards readers[] */
    struct rr_store *readers[4];  /* idle read-only connections for the API */
    int n_readers;
};

enum request_state { REQ_RECEIVING, REQ_WAITING, REQ_RESUMED };

/* Everything one request owns; freed only in the completion callback. */
struct request {
    struct rr_http *http;
    struct MHD_Connection *conn;
    const struct handler *handler; /* NULL when answered before dispatch */
    const char *path_arg;          /* for prefix handlers: the URL after the prefix; borrowed */
    struct rr_buf body;            /* capped at max_body_bytes */
    int64_t start_ns;              /* monotonic, for the deadline and the access log */
    enum request_state state;
    bool counts_as_webhook;     /* counted in runbook_router_webhook_requests_total */
    int status;                 /* the status answered, for metrics and the log */
    struct rr_webhook *webhook; /* owned once parsed */
    struct rr_ingest_job job;   /* in flight while state == REQ_WAITING */
};

typedef enum MHD_Result (*handler_fn)(struct request *req);

struct handler {
    const char *method;
    const char *path; /* exact, or a prefix ending in '/' when `prefix` is set */
    handler_fn fn;
    bool takes_json_body; /* 415/413 checks apply, the body is accumulated */
    bool public;          /* not guarded by authentication */
    bool prefix;          /* path is a prefix; the rest of the URL is the handler's argument */
};

/* Replies with JSON text (copied). */
enum MHD_Result http_reply_json(struct request *req, int status, const char *json);
/* Replies {"error": code, "detail": detail}. */
enum MHD_Result http_reply_error(struct request *req, int status, const char *code,
                                 const char *detail);
/* Replies with text of a content type (copied). */
enum MHD_Result http_reply_text(struct request *req, int status, const char *content_type,
                                const char *text, size_t len);

/* Handlers (http_webhook.c, http_api.c). */
enum MHD_Result http_handle_webhook(struct request *req);
enum MHD_Result http_handle_webhook_resumed(struct request *req);
enum MHD_Result http_handle_alerts(struct request *req);
enum MHD_Result http_handle_reload(struct request *req);
enum MHD_Result http_handle_runbook(struct request *req);

/* Query-string values shared by the API handlers: an integer in [min, max]; an RFC 3339 time
 * or a Prometheus duration before now, as ms since the epoch. */
bool http_parse_count(const char *value, int64_t min, int64_t max, int64_t *out);
bool http_parse_since(const char *value, int64_t *out_ms);
/* Stored JSON text as a jansson value (null for NULL or unparseable text). */
struct json_t;
struct json_t *http_json_text_or_null(const char *text);
enum MHD_Result http_handle_escalations(struct request *req);
enum MHD_Result http_handle_escalation(struct request *req);

/* A read-only store connection for API handlers; return it with http_reader_put. */
enum rr_err http_reader_get(struct rr_http *http, struct rr_store **out, struct rr_diag *diag);
void http_reader_put(struct rr_http *http, struct rr_store *store);

#endif

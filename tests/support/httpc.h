/*
 * httpc: a small blocking HTTP client for tests (libcurl), loopback only, bounded by timeouts.
 */
#ifndef RR_HTTPC_H
#define RR_HTTPC_H

#include <stddef.h>

struct httpc_resp {
    long code;     /* HTTP status, 0 when the transport failed */
    char *body;    /* owned, NUL-terminated */
    size_t len;
    char *headers; /* owned, raw response headers */
    char error[256]; /* curl's message when code == 0 */
};

struct httpc_req {
    const char *method;       /* "GET", "POST", ... */
    const char *url;
    const char *content_type; /* NULL: no Content-Type header */
    const char *body;         /* NULL for none */
    size_t len;
    const char *auth;         /* full Authorization value, or NULL */
    const char *cainfo;       /* CA file for https, or NULL */
    int chunked;              /* send the body with Transfer-Encoding: chunked */
    long timeout_ms;          /* 0 = 10000 */
};

/* Performs the request; the response is owned by the caller (httpc_resp_release). */
void httpc_do(const struct httpc_req *req, struct httpc_resp *resp);
void httpc_resp_release(struct httpc_resp *resp);
/* Convenience: GET url. */
void httpc_get(const char *url, struct httpc_resp *resp);
/* Convenience: POST a JSON body. */
void httpc_post_json(const char *url, const char *body, size_t len, struct httpc_resp *resp);
/* Case-insensitive lookup of a response header's value into out; returns out or NULL. */
char *httpc_header(const struct httpc_resp *resp, const char *name, char *out, size_t cap);

#endif

/* httpc: libcurl easy requests for tests. */
#include "httpc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "rr/buf.h"

struct sink {
    struct rr_buf buf;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    if (rr_buf_append(&s->buf, ptr, size * n) != RR_OK)
        return 0;
    return size * n;
}

struct source {
    const char *data;
    size_t len, pos;
};

static size_t on_read(char *ptr, size_t size, size_t n, void *ud)
{
    struct source *s = ud;
    size_t want = size * n;
    size_t left = s->len - s->pos;
    if (want > left)
        want = left;
    memcpy(ptr, s->data + s->pos, want);
    s->pos += want;
    return want;
}

void httpc_do(const struct httpc_req *req, struct httpc_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    CURL *c = curl_easy_init();
    struct sink body, headers;
    rr_buf_init(&body.buf, (size_t)256 << 20);
    rr_buf_init(&headers.buf, (size_t)1 << 20);
    struct curl_slist *hdrs = NULL;
    char line[1024];
    struct source src = {req->body, req->len, 0};
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, resp->error);
    if (!strcmp(req->method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (req->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", req->content_type);
        hdrs = curl_slist_append(hdrs, line);
    } else if (req->body) {
        hdrs = curl_slist_append(hdrs, "Content-Type:"); /* suppress curl's default */
    }
    if (req->auth) {
        snprintf(line, sizeof line, "Authorization: %s", req->auth);
        hdrs = curl_slist_append(hdrs, line);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &src);
        if (req->chunked)
            hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        else
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->len);
    }
    if (req->cainfo)
        curl_easy_setopt(c, CURLOPT_CAINFO, req->cainfo);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->code);
    resp->len = body.buf.len;
    resp->body = rr_buf_take(&body.buf);
    resp->headers = rr_buf_take(&headers.buf);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
}

void httpc_resp_release(struct httpc_resp *resp)
{
    free(resp->body);
    free(resp->headers);
    memset(resp, 0, sizeof *resp);
}

void httpc_get(const char *url, struct httpc_resp *resp)
{
    struct httpc_req r = {.method = "GET", .url = url};
    httpc_do(&r, resp);
}

void httpc_post_json(const char *url, const char *body, size_t len, struct httpc_resp *resp)
{
    struct httpc_req r = {.method = "POST", .url = url, .content_type = "application/json",
                          .body = body, .len = len};
    httpc_do(&r, resp);
}

char *httpc_header(const struct httpc_resp *resp, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = resp->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - p) > n && !strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t len = (size_t)(eol - v);
            if (len >= cap)
                len = cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
        p = eol + 2;
    }
    return NULL;
}

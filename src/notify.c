/*
 * notify: the sender (one reusable libcurl easy handle per notifier) and the helpers the
 * renderers share.
 *
 * The URL is a credential (Slack's webhook URL is the secret, PD's events URL may carry a
 * proxy token), so nothing derived from it reaches the result: transport errors are described
 * by curl_easy_strerror() alone, never by curl's error buffer (which names the host and may
 * quote the URL), and a response excerpt that happens to echo the URL's path is redacted.
 */
#include "rr/notify.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "rr/clock.h"

#include "notify_int.h"

#define EXCERPT_MAX       200   /* response bytes quoted in result.detail */
#define RETRY_AFTER_MAX_S 86400 /* a larger Retry-After is clamped: the outbox caps at 1 h */
#define USER_AGENT        "runbook-router/0.1"

/* ---- helpers shared by the renderers ---- */

size_t notify_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    *cp = 0xFFFD;
    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    size_t n;
    uint32_t c, min;
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        n = 2, c = u[0] & 0x1F, min = 0x80;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        n = 3, c = u[0] & 0x0F, min = 0x800;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        n = 4, c = u[0] & 0x07, min = 0x10000;
    } else {
        return 1;
    }
    if (len < n)
        return 1;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 1;
        c = (c << 6) | (u[i] & 0x3F);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8. */
    if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 1;
    *cp = c;
    return n;
}

enum rr_err notify_utf8_put(struct rr_buf *out, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return rr_buf_append(out, b, n);
}

bool notify_present(const char *s)
{
    return s && *s;
}

bool notify_url_ok(const char *url)
{
    if (!url)
        return false;
    size_t scheme;
    if (strncmp(url, "https://", 8) == 0)
        scheme = 8;
    else if (strncmp(url, "http://", 7) == 0)
        scheme = 7;
    else
        return false;
    size_t len = strlen(url);
    if (len <= scheme || len > NOTIFY_URL_MAX || url[scheme] == '/')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>' || c == '|' || c == '"' || c == '\\' ||
            c == '`')
            return false;
    }
    return true;
}

const char *notify_pd_severity(const char *label)
{
    static const struct {
        const char *label, *pd;
    } map[] = {
        {"critical", "critical"}, {"crit", "critical"},      {"page", "critical"},
        {"fatal", "critical"},    {"emergency", "critical"}, {"error", "error"},
        {"err", "error"},         {"high", "error"},         {"major", "error"},
        {"warning", "warning"},   {"warn", "warning"},       {"medium", "warning"},
        {"minor", "warning"},     {"info", "info"},          {"informational", "info"},
        {"notice", "info"},       {"low", "info"},           {"none", "info"},
    };
    if (label)
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (strcasecmp(label, map[i].label) == 0)
                return map[i].pd;
    return "error";
}

/* ---- sender ---- */

struct rr_notifier {
    CURL *curl;      /* owned; reused so keep-alive connections are too */
    long timeout_ms; /* whole request */
    long connect_ms;
    struct rr_buf resp;     /* the response body, at most RR_NOTIFY_MAX_RESPONSE bytes */
    bool resp_truncated;    /* more came than we keep */
    int64_t retry_after_ms; /* from the last response's headers, -1 when absent */
};

void rr_notify_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        abort(); /* nothing can be sent; the process must not pretend otherwise */
}

struct rr_notifier *rr_notifier_new(void)
{
    struct rr_notifier *n = rr_xcalloc(1, sizeof *n);
    n->curl = curl_easy_init();
    if (!n->curl)
        abort(); /* out of memory */
    n->timeout_ms = RR_NOTIFY_TIMEOUT_MS;
    n->connect_ms = RR_NOTIFY_CONNECT_MS;
    rr_buf_init(&n->resp, RR_NOTIFY_MAX_RESPONSE);
    return n;
}

void rr_notifier_free(struct rr_notifier *n)
{
    if (!n)
        return;
    curl_easy_cleanup(n->curl);
    rr_buf_release(&n->resp);
    free(n);
}

void rr_notifier_set_timeout_ms(struct rr_notifier *n, long timeout_ms)
{
    if (timeout_ms <= 0)
        timeout_ms = RR_NOTIFY_TIMEOUT_MS;
    n->timeout_ms = timeout_ms;
    n->connect_ms = timeout_ms < RR_NOTIFY_CONNECT_MS ? timeout_ms : RR_NOTIFY_CONNECT_MS;
}

const char *rr_delivery_name(enum rr_delivery d)
{
    switch (d) {
    case RR_DELIVERY_SENT:
        return "sent";
    case RR_DELIVERY_RETRY:
        return "retry";
    case RR_DELIVERY_PERMANENT:
        return "permanent";
    }
    return "unknown";
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct rr_notifier *n = ud;
    size_t len = size * nmemb;
    size_t room = n->resp.max - n->resp.len;
    size_t keep = len < room ? len : room;
    /* Past the cap the rest is read and dropped: failing the transfer would turn a delivered
     * page with a chatty answer into a retry. */
    if (keep && rr_buf_append(&n->resp, ptr, keep) != RR_OK)
        return 0;
    if (keep < len)
        n->resp_truncated = true;
    return len;
}

/* Retry-After: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds from now. */
static int64_t parse_retry_after(const char *v, size_t len)
{
    while (len > 0 && (*v == ' ' || *v == '\t'))
        v++, len--;
    while (len > 0 &&
           (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r' || v[len - 1] == '\n'))
        len--;
    if (len == 0 || len > 64)
        return -1;
    char s[65];
    memcpy(s, v, len);
    s[len] = '\0';
    bool all_digits = true;
    for (size_t i = 0; i < len; i++)
        all_digits = all_digits && isdigit((unsigned char)s[i]);
    if (all_digits) {
        int64_t secs = len > 6 ? RETRY_AFTER_MAX_S : strtoll(s, NULL, 10);
        if (secs > RETRY_AFTER_MAX_S)
            secs = RETRY_AFTER_MAX_S;
        return secs * 1000;
    }
    time_t when = curl_getdate(s, NULL);
    if (when == (time_t)-1)
        return -1;
    int64_t ms = (int64_t)when * 1000 - rr_clock_wall_ms();
    if (ms < 0)
        return 0;
    return ms > (int64_t)RETRY_AFTER_MAX_S * 1000 ? (int64_t)RETRY_AFTER_MAX_S * 1000 : ms;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct rr_notifier *n = ud;
    size_t len = size * nmemb;
    static const char name[] = "retry-after:";
    if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
        n->retry_after_ms = -1; /* a new response (after a 1xx): its own headers count */
    else if (len >= sizeof name - 1 && strncasecmp(ptr, name, sizeof name - 1) == 0)
        n->retry_after_ms = parse_retry_after(ptr + sizeof name - 1, len - (sizeof name - 1));
    return len;
}

/* Removes every occurrence of needle (at least 8 bytes: shorter parts of a URL say nothing
 * secret) from s in place. */
static void redact(char *s, const char *needle, size_t nlen)
{
    static const char mark[] = "[redacted]";
    if (nlen < 8)
        return;
    char *hit;
    char *from = s;
    while ((hit = strstr(from, needle)) != NULL) {
        if (nlen < sizeof mark - 1) {
            /* The mark would not fit in place; the text never grows. */
            memset(hit, '*', nlen);
            from = hit + nlen;
            continue;
        }
        size_t rest = strlen(hit + nlen);
        memcpy(hit, mark, sizeof mark - 1);
        memmove(hit + sizeof mark - 1, hit + nlen, rest + 1);
        from = hit + sizeof mark - 1;
    }
}

/* Takes out of s the URL, its path and every long path segment: a server (or a proxy in front
 * of it) may echo the request line, and the path is the Slack secret. */
static void redact_url(char *s, const char *url)
{
    redact(s, url, strlen(url));
    const char *scheme = strstr(url, "://");
    const char *path = scheme ? strchr(scheme + 3, '/') : NULL;
    if (!path)
        return;
    redact(s, path, strlen(path));
    while (*path) {
        path += strspn(path, "/?&=");
        size_t seg = strcspn(path, "/?&=");
        char part[NOTIFY_URL_MAX + 1];
        if (seg >= 8 && seg < sizeof part) {
            memcpy(part, path, seg);
            part[seg] = '\0';
            redact(s, part, seg);
        }
        path += seg;
    }
}

/* One line of printable text from the response: PagerDuty's "message: errors" when the body is
 * its error JSON, else the body; redacted, then cut to EXCERPT_MAX bytes at a UTF-8 boundary
 * with control bytes as spaces. */
static void excerpt(const struct rr_notifier *n, const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    if (n->resp.len == 0)
        return;
    struct rr_buf text;
    rr_buf_init(&text, (size_t)RR_NOTIFY_MAX_RESPONSE * 2);
    enum rr_err err = RR_OK;
    json_error_t jerr;
    json_t *j = json_loadb(n->resp.data, n->resp.len, 0, &jerr);
    const char *message = json_string_value(json_object_get(j, "message"));
    json_t *errors = json_object_get(j, "errors");
    if (message && json_is_array(errors) && json_array_size(errors) > 0) {
        err = rr_buf_printf(&text, "%s:", message);
        for (size_t i = 0; i < json_array_size(errors) && !err; i++) {
            const char *e = json_string_value(json_array_get(errors, i));
            if (e)
                err = rr_buf_printf(&text, "%s %s", i ? "," : "", e);
        }
    } else {
        /* NUL bytes would end the string early; they become spaces below anyway. */
        for (size_t i = 0; i < n->resp.len && !err; i++)
            err = rr_buf_append(&text, n->resp.data[i] ? n->resp.data + i : " ", 1);
    }
    json_decref(j);
    /* A cap hit only shortens the excerpt. */
    (void)err;
    char *s = rr_buf_take(&text);
    redact_url(s, url);
    size_t len = strlen(s);
    if (len > EXCERPT_MAX)
        len = EXCERPT_MAX;
    if (len > cap - 1)
        len = cap - 1;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    for (size_t i = 0; i < len; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) ? (char)' ' : s[i];
    while (len > 0 && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
    free(s);
}

static bool body_is_ok(const struct rr_notifier *n)
{
    const char *s = n->resp.data ? n->resp.data : "";
    size_t len = n->resp.len;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    while (len > 0 && isspace((unsigned char)*s))
        s++, len--;
    return len == 2 && memcmp(s, "ok", 2) == 0;
}

static enum rr_delivery classify(enum rr_channel_kind channel, long status,
                                 const struct rr_notifier *n)
{
    if (status >= 200 && status < 300) {
        /* RS-SL-1: a webhook that answers 2xx with anything but "ok" did not post. */
        if (channel == RR_NOTIFY_SLACK && !body_is_ok(n))
            return RR_DELIVERY_PERMANENT;
        return RR_DELIVERY_SENT;
    }
    if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600))
        return RR_DELIVERY_RETRY;
    /* Other 4xx, and 3xx (redirects are never followed: the URL is misconfigured). */
    return RR_DELIVERY_PERMANENT;
}

void rr_notify_send(struct rr_notifier *n, enum rr_channel_kind channel, const char *url,
                    const char *body, size_t len, struct rr_delivery_result *result)
{
    memset(result, 0, sizeof *result);
    result->retry_after_ms = -1;
    if (!n || !url || !*url || (!body && len > 0)) {
        result->outcome = RR_DELIVERY_PERMANENT;
        snprintf(result->detail, sizeof result->detail, "no endpoint URL or body");
        return;
    }
    CURL *c = n->curl;
    curl_easy_reset(c); /* options only: the connection cache survives */
    rr_buf_reset(&n->resp);
    n->resp_truncated = false;
    n->retry_after_ms = -1;

    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    if (!hdrs)
        abort();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, n->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, n->connect_ms);
    curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, n);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, n);

    int64_t start = rr_clock_mono_ns();
    CURLcode rc = curl_easy_perform(c);
    result->duration_ms = (rr_clock_mono_ns() - start) / 1000000;
    curl_slist_free_all(hdrs);
    /* The handle must not keep pointers into the caller's body and our header list. */
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);

    if (rc != CURLE_OK) {
        /* A URL we can never send to is configuration, not weather: retrying cannot help. */
        bool config = rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT;
        result->outcome = config ? RR_DELIVERY_PERMANENT : RR_DELIVERY_RETRY;
        snprintf(result->detail, sizeof result->detail, "transport: %s", curl_easy_strerror(rc));
        return;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    result->status = status;
    result->outcome = classify(channel, status, n);
    result->retry_after_ms = n->retry_after_ms;

    char ex[EXCERPT_MAX + 1];
    excerpt(n, url, ex, sizeof ex);
    if (ex[0])
        snprintf(result->detail, sizeof result->detail, "HTTP %ld: %s%s", status, ex,
                 n->resp_truncated ? " (truncated)" : "");
    else
        snprintf(result->detail, sizeof result->detail, "HTTP %ld", status);
}

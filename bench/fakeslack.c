/*
 * fakeslack: a strict fake Slack incoming webhook as a standalone process, for bench/page.sh
 * ("alert -> page" latency, PRODUCT §11).
 *
 * Every POST /slack/... is checked by the strict validator of tests/support/fake_paging.c
 * (fake_validate_slack_ex with FAKE_STRICT_SHOULD: paging-apis.md §E.3, MUST and SHOULD) and
 * answered as Slack does: 200 "ok" when valid, 400 "invalid_blocks: <rule>" otherwise. (The
 * in-process server of fake_paging.c asserts with Check, which only works inside a Check test:
 * hence this small server around its validator.) Each request's arrival — when its headers
 * were read — is recorded on CLOCK_MONOTONIC, the clock bench/loadgen uses too, so the two
 * processes' times compare on one machine.
 *
 * usage: fakeslack OUT_FILE
 * Prints "port=N" on stdout once listening on 127.0.0.1 (port chosen by the kernel), then waits
 * for SIGTERM or SIGINT. Then writes one line per request to OUT_FILE and exits 0:
 *   <fingerprint> <arrived_ns> <status> <valid 0|1> <path> [<rule broken>]
 * The fingerprint is the alert's, read from the message's context block ("fingerprint X",
 * src/notify_slack.c); "-" when the message carries none (a digest, say).
 * Exit 1 when the server cannot start or OUT_FILE cannot be written, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "fake_paging.h"

#define BODY_MAX (1u << 20)

struct record {
    char fp[17];
    int64_t arrived_ns;
    int status;
    bool valid;
    char path[96];
    char why[200];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct record *records;
static size_t n_records, cap_records;

struct conn {
    int64_t arrived_ns;
    char *body;
    size_t len;
    bool too_big;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "fakeslack: out of memory\n");
        abort();
    }
    return p;
}

/* The 16 hex digits after "fingerprint" (skipping spaces and backquotes), or "-". */
static void fingerprint_of(const char *body, char out[17])
{
    snprintf(out, 17, "-");
    for (const char *p = strstr(body, "fingerprint"); p; p = strstr(p + 1, "fingerprint")) {
        const char *q = p + 11;
        while (*q == ' ' || *q == '`')
            q++;
        size_t n = 0;
        while (n < 16 && isxdigit((unsigned char)q[n]))
            n++;
        if (n == 16 && !isxdigit((unsigned char)q[16])) {
            memcpy(out, q, 16);
            out[16] = '\0';
            return;
        }
    }
}

static bool json_type(const char *ct)
{
    size_t n = strlen("application/json");
    return ct && !strncasecmp(ct, "application/json", n) &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result answer(struct MHD_Connection *conn, const char *url, const char *method,
                              struct conn *c)
{
    struct record r = {.arrived_ns = c->arrived_ns};
    snprintf(r.path, sizeof r.path, "%s", url);
    if (strcmp(method, "POST"))
        snprintf(r.why, sizeof r.why, "SL-01 method %s, not POST", method);
    else if (strncmp(url, "/slack/", 7))
        snprintf(r.why, sizeof r.why, "no such endpoint: %s", url);
    else if (!json_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type")))
        snprintf(r.why, sizeof r.why, "SL-02 Content-Type is not application/json");
    else if (c->too_big)
        snprintf(r.why, sizeof r.why, "SL-03 body over %u bytes", BODY_MAX);
    else
        r.valid = fake_validate_slack_ex(c->body ? c->body : "", c->len, FAKE_STRICT_SHOULD, r.why,
                                         sizeof r.why);
    fingerprint_of(c->body ? c->body : "", r.fp);
    r.status = r.valid ? 200 : 400;
    char err[256];
    snprintf(err, sizeof err, "invalid_blocks: %s", r.why);
    const char *text = r.valid ? "ok" : err;

    pthread_mutex_lock(&mu);
    if (n_records == cap_records) {
        cap_records = cap_records ? 2 * cap_records : 4096;
        records = xrealloc(records, cap_records * sizeof *records);
    }
    records[n_records++] = r;
    pthread_mutex_unlock(&mu);

    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version;
    struct conn *c = *con_cls;
    if (!c) {
        c = xrealloc(NULL, sizeof *c);
        memset(c, 0, sizeof *c);
        c->arrived_ns = mono_ns();
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_size) {
        if (c->len + *upload_size > BODY_MAX) {
            c->too_big = true;
        } else if (!c->too_big) {
            c->body = xrealloc(c->body, c->len + *upload_size + 1);
            memcpy(c->body + c->len, upload, *upload_size);
            c->len += *upload_size;
            c->body[c->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(conn, url, method, c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    struct conn *c = *con_cls;
    if (c) {
        free(c->body);
        free(c);
        *con_cls = NULL;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fakeslack OUT_FILE\n");
        return 2;
    }
    /* Blocked before the server's threads start, so only sigwait() below sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* A thread per connection: the receiver keeps one keep-alive connection per sender. */
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, on_request,
        NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info || !info->port) {
        fprintf(stderr, "fakeslack: cannot listen on 127.0.0.1\n");
        return 1;
    }
    printf("port=%u\n", (unsigned)info->port);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);

    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    for (size_t i = 0; i < n_records; i++) {
        const struct record *r = &records[i];
        fprintf(out, "%s %lld %d %d %s%s%s\n", r->fp, (long long)r->arrived_ns, r->status,
                r->valid ? 1 : 0, r->path, r->valid ? "" : " ", r->why);
    }
    free(records);
    return fclose(out) == 0 ? 0 : 1;
}

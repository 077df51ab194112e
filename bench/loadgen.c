/*
 * loadgen: an open-loop, fixed-rate HTTP/1.1 load generator for POST /webhook (PRODUCT §11,
 * "webhook latency at 1 000 req/s"). Debian 12 ships wrk but not wrk2, and wrk is closed-loop:
 * a slow answer delays the next request, so its percentiles hide the stall (coordinated
 * omission). Here request i is due at start + i/rate whatever happened before, and its latency
 * is measured from that scheduled time: a request that waits for a free connection, or behind
 * a slow one, is charged the wait.
 *
 * One thread, epoll, a timerfd for the schedule, keep-alive connections (more are opened, up
 * to --conns, when every open one is busy). Every payload is a distinct one-alert Alertmanager
 * webhook (distinct labels and fingerprint "%02x%014x" of run and index). Loopback only: the
 * host is fixed to 127.0.0.1.
 *
 * --payload latency (bench/ingest.sh): alertname BenchLatency for team payments.
 * --payload page (bench/page.sh): alertname BenchPage, severities critical/warning/info in
 * turn, for a bench team that pages Slack for each. With --out FILE, one line per request:
 * <fingerprint> <send_ns> <answer_ns> <status> (0 0 0 when never sent or answered), times on
 * CLOCK_MONOTONIC (bench/fakeslack uses the same clock), so page.sh can join every alert with
 * the moment its page reached the fake.
 *
 * usage: loadgen --port P [--path /webhook] [--rate 1000] [--duration 10] [--run 4]
 *                [--conns 64] [--timeout 5] [--payload latency|page] [--out FILE]
 * prints one line: loadgen: rate=.. sent=.. ok=.. errors=.. p50_ms=.. p99_ms=.. ...
 * exit 0 when it ran (errors are reported, not fatal), 2 on bad usage, 1 on setup failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define OUT_CAP   2048
#define IN_CAP    8192

enum conn_state { C_CLOSED, C_IDLE, C_BUSY };

struct conn {
    int fd;
    enum conn_state state;
    char out[OUT_CAP];
    size_t out_len, out_off;
    char in[IN_CAP];
    size_t in_len;
    int64_t req; /* index of the request in flight */
};

struct opts {
    unsigned port;
    const char *path;
    double rate;
    double duration_s;
    unsigned run;
    int conns;
    double timeout_s;
    const char *payload; /* "latency" or "page" */
    const char *out;     /* per-request records, or NULL */
};

/* One request: when it went out, when and how it was answered. */
struct rec {
    int64_t send_ns, answer_ns;
    int status; /* 0: no answer */
};

static struct conn conns[MAX_CONNS];
static int n_conns;
static int ep;
static int64_t start_ns, interval_ns, total;
static struct rec *recs;
static int64_t max_send_lag_ns;
static int64_t ok, errors, answered;
static struct opts o = {0, "/webhook", 1000, 10, 4, 64, 5, "latency", NULL};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int64_t sched_of(int64_t i)
{
    return start_ns + i * interval_ns;
}

/* Opens a keep-alive connection in a free slot; -1 when --conns are open already. */
static int open_conn(void)
{
    int slot = -1, live = 0;
    for (int k = 0; k < n_conns; k++) {
        if (conns[k].state != C_CLOSED)
            live++;
        else if (slot < 0)
            slot = k;
    }
    if (live >= o.conns)
        return -1;
    if (slot < 0)
        slot = n_conns++;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct conn *c = &conns[slot];
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->state = C_IDLE;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)slot};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        die("epoll_ctl");
    return slot;
}

static void fail_conn(struct conn *c)
{
    if (c->state == C_BUSY) {
        errors++;
        answered++;
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->state = C_CLOSED;
}

static void flush_out(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
                                     .data.u32 = (uint32_t)(c - conns)};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            return;
        }
        fail_conn(c);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(c - conns)};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void fingerprint(int64_t i, char fp[17])
{
    snprintf(fp, 17, "%02x%014" PRIx64, o.run & 0xffu, (uint64_t)i & 0xffffffffffffffu);
}

/* The Alertmanager webhook body of request i into body (cap bytes); its length. */
static int webhook_body(char *body, size_t cap, int64_t i)
{
    char fp[17];
    fingerprint(i, fp);
    bool page = !strcmp(o.payload, "page");
    /* page: a mix of severities; the bench team of page.sh pages Slack for each of them. */
    static const char *const severities[] = {"critical", "warning", "info"};
    const char *name = page ? "BenchPage" : "BenchLatency";
    return snprintf(
        body, cap,
        "{\"receiver\":\"bench\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
        "\"labels\":{\"alertname\":\"%s\",\"bench_id\":\"%u-%" PRId64 "\","
        "\"severity\":\"%s\",%s},\"annotations\":{\"summary\":\"%s probe %" PRId64 "\"},"
        "\"startsAt\":\"2026-01-01T00:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
        "\"generatorURL\":\"http://prometheus.bench:9090/graph\",\"fingerprint\":\"%s\"}],"
        "\"groupLabels\":{\"alertname\":\"%s\"},\"commonLabels\":{},"
        "\"commonAnnotations\":{},\"externalURL\":\"http://alertmanager.bench:9093\","
        "\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"%s\\\"}\","
        "\"truncatedAlerts\":0}\n",
        name, o.run, i, page ? severities[i % 3] : "warning",
        page ? "\"temporal_namespace\":\"bench-prod\",\"workflow_type\":\"BenchWorkflow\","
               "\"task_queue\":\"bench-tq\""
             : "\"team\":\"payments\",\"temporal_namespace\":\"payments-prod\"",
        page ? "page latency" : "latency", i, fp, name, name);
}

static void send_request(struct conn *c, int64_t i)
{
    char body[1400];
    int blen = webhook_body(body, sizeof body, i);
    int n = snprintf(c->out, sizeof c->out,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: loadgen\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     o.path, o.port, blen, body);
    if (blen < 0 || (size_t)blen >= sizeof body || n < 0 || (size_t)n >= sizeof c->out) {
        fprintf(stderr, "loadgen: request too large\n");
        exit(1);
    }
    c->out_len = (size_t)n;
    c->out_off = 0;
    c->in_len = 0;
    c->req = i;
    c->state = C_BUSY;
    recs[i].send_ns = now_ns();
    int64_t lag = recs[i].send_ns - sched_of(i);
    if (lag > max_send_lag_ns)
        max_send_lag_ns = lag;
    flush_out(c);
}

/* A complete response in c->in? Then record it and return true. */
static bool take_response(struct conn *c)
{
    c->in[c->in_len < IN_CAP ? c->in_len : IN_CAP - 1] = '\0';
    char *eoh = strstr(c->in, "\r\n\r\n");
    if (!eoh)
        return false;
    size_t head = (size_t)(eoh - c->in) + 4;
    long clen = 0;
    for (char *p = strstr(c->in, "\r\n"); p && p < eoh; p = strstr(p + 2, "\r\n")) {
        if (!strncasecmp(p + 2, "Content-Length:", 15))
            clen = strtol(p + 17, NULL, 10);
    }
    if (c->in_len < head + (size_t)clen)
        return false;
    int status = 0;
    if (!strncmp(c->in, "HTTP/1.", 7))
        status = atoi(c->in + 9);
    recs[c->req].answer_ns = now_ns();
    recs[c->req].status = status;
    if (status == 200)
        ok++;
    else
        errors++;
    answered++;
    size_t rest = c->in_len - head - (size_t)clen;
    memmove(c->in, c->in + head + clen, rest);
    c->in_len = rest;
    c->state = C_IDLE;
    return true;
}

static void on_readable(struct conn *c)
{
    for (;;) {
        if (c->in_len >= IN_CAP - 1) {
            fail_conn(c);
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - 1 - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        fail_conn(c); /* closed by the server or an error */
        return;
    }
    if (c->state == C_BUSY)
        take_response(c);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *sorted, int64_t n, double p)
{
    if (n == 0)
        return 0;
    int64_t k = (int64_t)(p / 100.0 * (double)n + 0.999999) - 1;
    if (k < 0)
        k = 0;
    if (k >= n)
        k = n - 1;
    return (double)sorted[k] / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: loadgen --port P [--path /webhook] [--rate 1000] [--duration 10] "
                    "[--run 4] [--conns 64] [--timeout 5] [--payload latency|page] [--out FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (!strcmp(k, "--port"))
            o.port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(k, "--path"))
            o.path = v;
        else if (!strcmp(k, "--rate"))
            o.rate = strtod(v, NULL);
        else if (!strcmp(k, "--duration"))
            o.duration_s = strtod(v, NULL);
        else if (!strcmp(k, "--run"))
            o.run = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(k, "--conns"))
            o.conns = atoi(v);
        else if (!strcmp(k, "--timeout"))
            o.timeout_s = strtod(v, NULL);
        else if (!strcmp(k, "--payload"))
            o.payload = v;
        else if (!strcmp(k, "--out"))
            o.out = v;
        else
            usage();
    }
    if (!o.port || o.port > 65535 || o.rate <= 0 || o.rate > 100000 || o.duration_s <= 0 ||
        o.duration_s > 600 || o.conns < 1 || o.conns > MAX_CONNS || o.timeout_s <= 0 ||
        o.timeout_s > 60 || (strcmp(o.payload, "latency") && strcmp(o.payload, "page")))
        usage();

    total = (int64_t)(o.rate * o.duration_s);
    interval_ns = (int64_t)(1e9 / o.rate);
    recs = calloc((size_t)total, sizeof *recs);
    int64_t *latency_ns = calloc((size_t)total, sizeof *latency_ns);
    if (!recs || !latency_ns)
        die("calloc");
    ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1");
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (tfd < 0)
        die("timerfd_create");
    struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev) != 0)
        die("epoll_ctl timer");
    for (int i = 0; i < 8 && i < o.conns; i++)
        open_conn();

    start_ns = now_ns() + 100 * 1000000LL;
    int64_t next = 0; /* next request to send */
    int64_t end_ns = sched_of(total) + (int64_t)(o.timeout_s * 1e9);
    struct epoll_event evs[64];
    while (answered < total) {
        int64_t now = now_ns();
        if (now > end_ns)
            break;
        /* Send every due request that has a connection; the rest wait, charged from their
         * scheduled time. */
        bool blocked = false; /* a due request waits for a connection to free up */
        while (next < total && sched_of(next) <= now) {
            int slot = -1;
            for (int k = 0; k < n_conns && slot < 0; k++)
                if (conns[k].state == C_IDLE)
                    slot = k;
            if (slot < 0)
                slot = open_conn();
            if (slot < 0) {
                blocked = true;
                break;
            }
            send_request(&conns[slot], next++);
        }
        if (next < total && !blocked) {
            int64_t at = sched_of(next);
            struct itimerspec its = {.it_value = {at / 1000000000, at % 1000000000}};
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        }
        int64_t wait_ms = (end_ns - now_ns()) / 1000000;
        if (wait_ms > 1000)
            wait_ms = 1000;
        if (wait_ms < 0)
            wait_ms = 0;
        int n = epoll_wait(ep, evs, 64, (int)wait_ms);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int k = 0; k < n; k++) {
            if (evs[k].data.u32 == UINT32_MAX) {
                uint64_t expirations;
                ssize_t r = read(tfd, &expirations, sizeof expirations);
                (void)r;
                continue;
            }
            struct conn *c = &conns[evs[k].data.u32];
            if (c->state == C_CLOSED)
                continue;
            if (evs[k].events & EPOLLOUT)
                flush_out(c);
            if (c->state != C_CLOSED && (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                on_readable(c);
        }
    }
    int64_t unanswered = total - answered;
    errors += unanswered;

    /* Latency from each request's scheduled time: a request that waited is charged the wait. */
    int64_t n = 0;
    for (int64_t i = 0; i < total; i++)
        if (recs[i].answer_ns)
            latency_ns[n++] = recs[i].answer_ns - sched_of(i);
    if (o.out) {
        FILE *out = fopen(o.out, "w");
        if (!out)
            die(o.out);
        for (int64_t i = 0; i < total; i++) {
            char fp[17];
            fingerprint(i, fp);
            fprintf(out, "%s %" PRId64 " %" PRId64 " %d\n", fp, recs[i].send_ns,
                    recs[i].answer_ns, recs[i].status);
        }
        if (fclose(out) != 0)
            die(o.out);
    }
    qsort(latency_ns, (size_t)n, sizeof *latency_ns, cmp_i64);
    double elapsed_s = (double)(sched_of(total) - start_ns) / 1e9;
    printf("loadgen: rate=%.0f duration_s=%.1f sent=%" PRId64 " ok=%" PRId64 " errors=%" PRId64
           " unanswered=%" PRId64 " conns=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
           "p999_ms=%.2f max_ms=%.2f max_send_lag_ms=%.2f offered_rps=%.1f\n",
           o.rate, o.duration_s, next, ok, errors, unanswered, n_conns, pct_ms(latency_ns, n, 50),
           pct_ms(latency_ns, n, 90), pct_ms(latency_ns, n, 99), pct_ms(latency_ns, n, 99.9),
           n ? (double)latency_ns[n - 1] / 1e6 : 0.0, (double)max_send_lag_ns / 1e6,
           elapsed_s > 0 ? (double)next / elapsed_s : 0.0);
    for (int k = 0; k < n_conns; k++)
        if (conns[k].state != C_CLOSED)
            close(conns[k].fd);
    close(tfd);
    close(ep);
    free(latency_ns);
    free(recs);
    return 0;
}

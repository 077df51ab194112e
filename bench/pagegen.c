/*
 * pagegen: the open-loop alert source of bench/page.sh ("alert -> page" latency, PRODUCT §11).
 *
 * Like bench/loadgen (whose design it follows: one thread, epoll, a timerfd schedule, keep-alive
 * connections opened up to --conns when every open one is busy), but it records, for every
 * alert, when its request was sent and answered, so page.sh can join each alert with the
 * moment its page reached the fake Slack. One distinct firing alert per request: labels
 * {alertname="BenchPage", bench_id, severity, temporal_namespace="bench-prod"} and the
 * fingerprint "%02x%014x" (run, index), as given to the receiver.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (bench/fakeslack uses the same clock). send_ns is when
 * the request was handed to the kernel (its first send()); on loopback that is a close proxy
 * for the webhook's arrival at the receiver.
 *
 * usage: pagegen --port P --out FILE [--rate 1000] [--duration 10] [--run 1] [--conns 64]
 *                [--timeout 5]
 * FILE gets one line per alert: <fingerprint> <send_ns> <answer_ns> <status> (0 0 0 when never
 * sent or answered). stdout gets one line:
 *   pagegen: rate=.. sent=.. ok=.. errors=.. unanswered=.. ack_p50_ms=.. ack_p99_ms=..
 *            max_send_lag_ms=..
 * Exit 0 when it ran (errors are reported, not fatal), 2 on bad usage, 1 on setup failure.
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
    int64_t req; /* the alert in flight */
};

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

static unsigned o_port, o_run = 1;
static const char *o_out;
static double o_rate = 1000, o_duration = 10, o_timeout = 5;
static int o_conns = 64;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "pagegen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int64_t sched_of(int64_t i)
{
    return start_ns + i * interval_ns;
}

static void fingerprint(int64_t i, char fp[17])
{
    snprintf(fp, 17, "%02x%014" PRIx64, o_run & 0xffu, (uint64_t)i & 0xffffffffffffffu);
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
    if (live >= o_conns)
        return -1;
    if (slot < 0)
        slot = n_conns++;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o_port)};
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

static void send_request(struct conn *c, int64_t i)
{
    char body[1400], fp[17];
    fingerprint(i, fp);
    /* A mix of severities: the bench team pages Slack for every one of them. */
    static const char *const severities[] = {"critical", "warning", "info"};
    int blen = snprintf(
        body, sizeof body,
        "{\"receiver\":\"bench\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
        "\"labels\":{\"alertname\":\"BenchPage\",\"bench_id\":\"%u-%" PRId64 "\","
        "\"severity\":\"%s\",\"temporal_namespace\":\"bench-prod\",\"workflow_type\":"
        "\"BenchWorkflow\",\"task_queue\":\"bench-tq\"},\"annotations\":{\"summary\":"
        "\"page latency probe %" PRId64 "\",\"description\":\"bench/page.sh: one alert per "
        "request at a fixed rate\"},\"startsAt\":\"2026-01-01T00:00:00Z\",\"endsAt\":"
        "\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://prometheus.bench:9090/graph\","
        "\"fingerprint\":\"%s\"}],\"groupLabels\":{\"alertname\":\"BenchPage\"},"
        "\"commonLabels\":{},\"commonAnnotations\":{},\"externalURL\":"
        "\"http://alertmanager.bench:9093\",\"version\":\"4\",\"groupKey\":"
        "\"{}:{alertname=\\\"BenchPage\\\"}\",\"truncatedAlerts\":0}\n",
        o_run, i, severities[i % 3], i, fp);
    int n = snprintf(c->out, sizeof c->out,
                     "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: pagegen\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     o_port, blen, body);
    if (blen < 0 || (size_t)blen >= sizeof body || n < 0 || (size_t)n >= sizeof c->out) {
        fprintf(stderr, "pagegen: request too large\n");
        exit(1);
    }
    c->out_len = (size_t)n;
    c->out_off = 0;
    c->in_len = 0;
    c->req = i;
    c->state = C_BUSY;
    int64_t t = now_ns();
    recs[i].send_ns = t;
    if (t - sched_of(i) > max_send_lag_ns)
        max_send_lag_ns = t - sched_of(i);
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
    int status = !strncmp(c->in, "HTTP/1.", 7) ? atoi(c->in + 9) : 0;
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
    k = k < 0 ? 0 : k >= n ? n - 1 : k;
    return (double)sorted[k] / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: pagegen --port P --out FILE [--rate 1000] [--duration 10] [--run 1] "
                    "[--conns 64] [--timeout 5]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (!strcmp(k, "--port"))
            o_port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(k, "--out"))
            o_out = v;
        else if (!strcmp(k, "--rate"))
            o_rate = strtod(v, NULL);
        else if (!strcmp(k, "--duration"))
            o_duration = strtod(v, NULL);
        else if (!strcmp(k, "--run"))
            o_run = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(k, "--conns"))
            o_conns = atoi(v);
        else if (!strcmp(k, "--timeout"))
            o_timeout = strtod(v, NULL);
        else
            usage();
    }
    if (!o_port || o_port > 65535 || !o_out || o_rate <= 0 || o_rate > 100000 || o_duration <= 0 ||
        o_duration > 600 || o_conns < 1 || o_conns > MAX_CONNS || o_timeout <= 0 || o_timeout > 60)
        usage();

    total = (int64_t)(o_rate * o_duration);
    interval_ns = (int64_t)(1e9 / o_rate);
    recs = calloc((size_t)total, sizeof *recs);
    if (!recs)
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
    for (int i = 0; i < 8 && i < o_conns; i++)
        open_conn();

    start_ns = now_ns() + 100 * 1000000LL;
    int64_t next = 0; /* next alert to send */
    int64_t end_ns = sched_of(total) + (int64_t)(o_timeout * 1e9);
    struct epoll_event evs[64];
    while (answered < total) {
        int64_t now = now_ns();
        if (now > end_ns)
            break;
        bool blocked = false; /* a due alert waits for a connection to free up */
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
        wait_ms = wait_ms > 1000 ? 1000 : wait_ms < 0 ? 0 : wait_ms;
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

    FILE *out = fopen(o_out, "w");
    if (!out)
        die(o_out);
    int64_t *ack = calloc((size_t)total + 1, sizeof *ack);
    if (!ack)
        die("calloc");
    int64_t n_ack = 0;
    for (int64_t i = 0; i < total; i++) {
        char fp[17];
        fingerprint(i, fp);
        fprintf(out, "%s %" PRId64 " %" PRId64 " %d\n", fp, recs[i].send_ns, recs[i].answer_ns,
                recs[i].status);
        if (recs[i].status)
            ack[n_ack++] = recs[i].answer_ns - recs[i].send_ns;
    }
    if (fclose(out) != 0)
        die(o_out);
    qsort(ack, (size_t)n_ack, sizeof *ack, cmp_i64);
    double elapsed_s = (double)(sched_of(total) - start_ns) / 1e9;
    printf("pagegen: rate=%.0f duration_s=%.1f sent=%" PRId64 " ok=%" PRId64 " errors=%" PRId64
           " unanswered=%" PRId64 " conns=%d ack_p50_ms=%.2f ack_p99_ms=%.2f "
           "max_send_lag_ms=%.2f offered_rps=%.1f\n",
           o_rate, o_duration, next, ok, errors, unanswered, n_conns, pct_ms(ack, n_ack, 50),
           pct_ms(ack, n_ack, 99), (double)max_send_lag_ns / 1e6,
           elapsed_s > 0 ? (double)next / elapsed_s : 0.0);
    for (int k = 0; k < n_conns; k++)
        if (conns[k].state != C_CLOSED)
            close(conns[k].fd);
    close(tfd);
    close(ep);
    free(ack);
    free(recs);
    return 0;
}

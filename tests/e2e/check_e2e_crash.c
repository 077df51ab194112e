/*
 * End to end durability of the real runbook-router binary: "200 only after commit" must hold
 * across a SIGKILL in the middle of concurrent ingest, and SIGTERM must drain in-flight
 * requests and exit 0.
 *
 * Client threads post distinct one-alert payloads (real Alertmanager fingerprints of distinct
 * label sets) and record every alert acknowledged with 200. The receiver is killed while they
 * post, restarted on the same database, and every acknowledged alert must be there. A request
 * that was committed but whose answer was lost may be stored too; nothing else may.
 *
 * The receiver is a child with PR_SET_PDEATHSIG, so a failing test never leaves it behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "rr/buf.h"
#include "rr/clock.h"

#include "httpc.h"
#include "proc.h"
#include "testlib.h"

#define POSTERS          8
#define MAX_PER_POSTER   50000 /* bound on one poster's requests in one run */
#define KILL_CYCLES      3
#define POST_BEFORE_KILL 1500 /* ms of concurrent posting before SIGKILL */
#define REQUEST_TIMEOUT  5000 /* ms, per request */
#define START_TIMEOUT_MS 20000
#define SIGTERM_BOUND_MS 15000 /* RR_HTTP_STOP_GRACE_MS (10 s) plus margin */
#define STOP_GRACE_MS    10000
#define PAGE             10000 /* the API's largest limit */
#define SLOW_SENDERS     4     /* requests surely in flight at SIGTERM */
#define TAIL_MAX         1200  /* log bytes in a failure message (Check caps their size) */

/* ==== Processes ==== */

struct receiver {
    char *dir;
    char db[600], log[600];
    pid_t pid;
    char base[64];
    size_t log_offset; /* where this start's log lines begin */
};

static struct receiver rcv;

/* Starts the binary on rcv.db (created on first start) and waits until it is ready. */
static void receiver_start(void)
{
    char *existing = proc_slurp(rcv.log);
    rcv.log_offset = strlen(existing);
    free(existing);
    char *routing = rr_test_source_path("routing");
    char *runbooks = rr_test_source_path("runbooks");
    const char *argv[] = {rr_test_binary(), "serve",  "--listen",  "127.0.0.1:0",
                          "--db",           rcv.db,   "--routing", routing,
                          "--runbooks",     runbooks, "--dry-run", NULL};
    /* Output appended to rcv.log; the child dies with the test process. */
    struct proc_spawn sp = {.out_path = rcv.log, .err_path = rcv.log, .death_signal = SIGKILL};
    rcv.pid = proc_spawn(argv, &sp);
    free(routing);
    free(runbooks);
    proc_wait_receiver(&rcv.pid, rcv.log, rcv.log_offset, START_TIMEOUT_MS, 50, TAIL_MAX, rcv.base,
                       sizeof rcv.base);
}

/* Fails with the end of the receiver's log unless ok. */
static void assert_receiver(bool ok, const char *what, int status)
{
    if (ok)
        return;
    char *log = proc_slurp(rcv.log);
    ck_abort_msg("%s (wait status %d):\n%s", what, status, proc_tail(log, TAIL_MAX));
    free(log);
}

static void setup_dir(void)
{
    memset(&rcv, 0, sizeof rcv);
    rcv.dir = rr_test_tmpdir();
    snprintf(rcv.db, sizeof rcv.db, "%s/rr.db", rcv.dir);
    snprintf(rcv.log, sizeof rcv.log, "%s/receiver.log", rcv.dir);
}

static void teardown_dir(void)
{
    rr_test_rmtree(rcv.dir);
    free(rcv.dir);
    rcv.dir = NULL;
}

/* ==== Payloads ==== */

/* One firing alert with labels {alertname, run, poster, seq}; returns its fingerprint. */
static uint64_t make_payload(const char *run, int poster, size_t seq, char *body, size_t cap,
                             size_t *len)
{
    char p[16], s[24];
    snprintf(p, sizeof p, "%d", poster);
    snprintf(s, sizeof s, "%zu", seq);
    const char *pairs[] = {"alertname", "E2EDurability", "poster", p, "run", run, "seq", s};
    uint64_t fp = proc_am_fingerprint_pairs(pairs, 4);
    int n = snprintf(body, cap,
                     "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"e2e\","
                     "\"groupKey\":\"{}:{alertname=\\\"E2EDurability\\\"}\",\"alerts\":[{"
                     "\"status\":\"firing\",\"labels\":{\"alertname\":\"E2EDurability\","
                     "\"poster\":\"%s\",\"run\":\"%s\",\"seq\":\"%s\"},\"annotations\":{"
                     "\"summary\":\"durability %s/%s/%s\"},\"startsAt\":\"2026-01-01T00:00:00Z\","
                     "\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\","
                     "\"fingerprint\":\"%016" PRIx64 "\"}]}\n",
                     p, run, s, run, p, s, fp);
    ck_assert(n > 0 && (size_t)n < cap);
    *len = (size_t)n;
    return fp;
}

/* ==== Posters ==== */

struct poster {
    pthread_t thread;
    int id;
    const char *run; /* label value distinguishing runs (kill cycles) */
    const char *url;
    atomic_bool *stop;
    bool stop_on_transport_error;
    const _Atomic int64_t *signal_ms; /* mono ms when the signal was sent, 0 before */
    uint64_t *acked;                  /* fingerprints answered 200 */
    size_t n_acked;
    size_t attempts;
    size_t transport_errors;
    size_t acked_after_signal;
    size_t other;    /* answers other than 200 */
    long other_code; /* the first of them */
    char other_body[256];
};

static void *post_loop(void *arg)
{
    struct poster *p = arg;
    char body[1024];
    while (!atomic_load(p->stop) && p->attempts < MAX_PER_POSTER) {
        size_t len;
        uint64_t fp = make_payload(p->run, p->id, p->attempts, body, sizeof body, &len);
        p->attempts++;
        struct httpc_req q = {.method = "POST",
                              .url = p->url,
                              .content_type = "application/json",
                              .body = body,
                              .len = len,
                              .timeout_ms = REQUEST_TIMEOUT};
        struct httpc_resp r;
        httpc_do(&q, &r);
        if (r.code == 200) {
            p->acked[p->n_acked++] = fp;
            if (atomic_load(p->signal_ms) != 0)
                p->acked_after_signal++;
        } else if (r.code == 0) {
            p->transport_errors++;
        } else if (p->other++ == 0) {
            p->other_code = r.code;
            snprintf(p->other_body, sizeof p->other_body, "%s", r.body ? r.body : "");
        }
        httpc_resp_release(&r);
        if (r.code == 0) {
            if (p->stop_on_transport_error && atomic_load(p->signal_ms) != 0)
                break;
            proc_sleep_ms(5); /* the receiver is gone: do not spin until the stop flag */
        }
    }
    return NULL;
}

struct run {
    struct poster posters[POSTERS];
    atomic_bool stop;
    _Atomic int64_t signal_ms;
    char url[128];
    char name[16];
};

static void run_start(struct run *run, const char *name, bool stop_on_transport_error)
{
    memset(run, 0, sizeof *run);
    atomic_init(&run->stop, false);
    atomic_init(&run->signal_ms, 0);
    snprintf(run->url, sizeof run->url, "%s/webhook", rcv.base);
    snprintf(run->name, sizeof run->name, "%s", name);
    for (int i = 0; i < POSTERS; i++) {
        struct poster *p = &run->posters[i];
        p->id = i;
        p->run = run->name;
        p->url = run->url;
        p->stop = &run->stop;
        p->signal_ms = &run->signal_ms;
        p->stop_on_transport_error = stop_on_transport_error;
        p->acked = rr_xcalloc(MAX_PER_POSTER, sizeof *p->acked);
        ck_assert_int_eq(pthread_create(&p->thread, NULL, post_loop, p), 0);
    }
}

struct totals {
    size_t attempts, acked, transport_errors, other, acked_after_signal;
};

/* Stops and joins the posters; sums their counts. Fails on any answer other than 200. */
static struct totals run_join(struct run *run)
{
    struct totals t = {0};
    atomic_store(&run->stop, true);
    for (int i = 0; i < POSTERS; i++)
        pthread_join(run->posters[i].thread, NULL);
    for (int i = 0; i < POSTERS; i++) {
        const struct poster *p = &run->posters[i];
        t.attempts += p->attempts;
        t.acked += p->n_acked;
        t.transport_errors += p->transport_errors;
        t.other += p->other;
        t.acked_after_signal += p->acked_after_signal;
        ck_assert_msg(p->other == 0, "poster %d: %zu answers other than 200, first %ld %s", i,
                      p->other, p->other_code, p->other_body);
    }
    return t;
}

static void run_free(struct run *run)
{
    for (int i = 0; i < POSTERS; i++)
        free(run->posters[i].acked);
}

/* ==== Requests surely in flight ==== */

/*
 * A raw-socket request whose headers and first half of body arrive before the signal and
 * the rest 50 ms after it: "in flight" by any definition. It must be answered 200 and stored.
 */
struct slow_sender {
    pthread_t thread;
    int id;
    unsigned port;
    atomic_int *ready;                /* senders whose first half is on the wire */
    const _Atomic int64_t *signal_ms; /* mono ms when the signal was sent, 0 before */
    uint64_t fp;
    char status_line[128]; /* the response's first line, or what went wrong */
    bool ok;               /* answered 200 */
};

static bool send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static void *slow_send(void *arg)
{
    struct slow_sender *ss = arg;
    char body[1024], head[256], resp[512];
    size_t len;
    ss->fp = make_payload("slow", ss->id, 0, body, sizeof body, &len);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ss->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int hl = snprintf(head, sizeof head,
                      "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: "
                      "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      ss->port, len);
    size_t half = len / 2;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        !send_all(fd, head, (size_t)hl) || !send_all(fd, body, half)) {
        snprintf(ss->status_line, sizeof ss->status_line, "first half: %s", strerror(errno));
        atomic_fetch_add(ss->ready, 1);
        goto out;
    }
    atomic_fetch_add(ss->ready, 1);
    int64_t deadline = proc_mono_ms() + 10000;
    while (atomic_load(ss->signal_ms) == 0 && proc_mono_ms() < deadline)
        proc_sleep_ms(5);
    proc_sleep_ms(50);
    if (!send_all(fd, body + half, len - half)) {
        snprintf(ss->status_line, sizeof ss->status_line, "second half: %s", strerror(errno));
        goto out;
    }
    size_t got = 0;
    while (got + 1 < sizeof resp) {
        ssize_t n = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        resp[got] = '\0';
        if (strstr(resp, "\r\n"))
            break;
    }
    resp[got] = '\0';
    resp[strcspn(resp, "\r\n")] = '\0';
    snprintf(ss->status_line, sizeof ss->status_line, "%.100s",
             got ? resp : "connection closed without an answer");
    ss->ok = !strncmp(resp, "HTTP/1.1 200 ", 13);
out:
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* ==== What the receiver holds ==== */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every stored fingerprint, sorted, paged through GET /api/v1/alerts. Owned. */
static uint64_t *stored_fingerprints(size_t *n_out)
{
    size_t n = 0, cap = 1024;
    uint64_t *fps = rr_xcalloc(cap, sizeof *fps);
    json_int_t total = -1;
    for (int page = 0; page < 1000; page++) {
        char url[256];
        snprintf(url, sizeof url, "%s/api/v1/alerts?limit=%d&offset=%zu", rcv.base, PAGE, n);
        struct httpc_req q = {.method = "GET", .url = url, .timeout_ms = 30000};
        struct httpc_resp r;
        httpc_do(&q, &r);
        ck_assert_msg(r.code == 200, "GET %s: %ld %s %s", url, r.code, r.body, r.error);
        json_t *j = json_loads(r.body, 0, NULL);
        httpc_resp_release(&r);
        ck_assert_ptr_nonnull(j);
        json_int_t t = json_integer_value(json_object_get(j, "total"));
        ck_assert_msg(total < 0 || t == total, "total changed while paging: %lld -> %lld",
                      (long long)total, (long long)t);
        total = t;
        json_t *alerts = json_object_get(j, "alerts");
        size_t i;
        json_t *a;
        json_array_foreach(alerts, i, a)
        {
            const char *fp = json_string_value(json_object_get(a, "fingerprint"));
            ck_assert_msg(fp && strlen(fp) == 16, "bad fingerprint in the API");
            if (n == cap) {
                cap *= 2;
                fps = rr_xrealloc(fps, cap * sizeof *fps);
            }
            fps[n++] = strtoull(fp, NULL, 16);
        }
        size_t got = json_array_size(alerts);
        json_decref(j);
        if (got == 0 || (json_int_t)n >= total)
            break;
    }
    ck_assert_int_eq((json_int_t)n, total);
    qsort(fps, n, sizeof *fps, cmp_u64);
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(fps[i] != fps[i - 1], "fingerprint %016" PRIx64 " stored twice", fps[i]);
    *n_out = n;
    return fps;
}

/* Asserts every fingerprint acknowledged in run is among the stored ones. */
static void assert_acked_stored(const struct run *run, const uint64_t *fps, size_t n)
{
    size_t missing = 0;
    char first[256] = "";
    for (int i = 0; i < POSTERS; i++) {
        const struct poster *p = &run->posters[i];
        for (size_t k = 0; k < p->n_acked; k++) {
            if (bsearch(&p->acked[k], fps, n, sizeof *fps, cmp_u64))
                continue;
            if (missing++ < 4) {
                size_t o = strlen(first);
                snprintf(first + o, sizeof first - o, " %016" PRIx64, p->acked[k]);
            }
        }
    }
    ck_assert_msg(missing == 0, "run %s: %zu alerts answered 200 are not stored:%s", run->name,
                  missing, first);
}

static void assert_integrity_ok(void)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(rcv.db, &db, SQLITE_OPEN_READONLY, NULL);
    ck_assert_msg(rc == SQLITE_OK, "open %s: %s", rcv.db, sqlite3_errstr(rc));
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    ck_assert_msg(rc == SQLITE_OK, "integrity_check: %s", sqlite3_errmsg(db));
    rc = sqlite3_step(st);
    ck_assert_msg(rc == SQLITE_ROW, "integrity_check: %s", sqlite3_errmsg(db));
    char result[256];
    snprintf(result, sizeof result, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_str_eq(result, "ok");
}

/* A new alert after a restart is answered 200 and listed. */
static void assert_accepts_new_alert(const char *run)
{
    char body[1024], url[256];
    size_t len;
    uint64_t fp = make_payload(run, 999, 0, body, sizeof body, &len);
    snprintf(url, sizeof url, "%s/webhook", rcv.base);
    struct httpc_resp r;
    httpc_post_json(url, body, len, &r);
    ck_assert_msg(r.code == 200, "post after restart: %ld %s %s", r.code, r.body, r.error);
    httpc_resp_release(&r);
    snprintf(url, sizeof url, "%s/api/v1/alerts?fingerprint=%016" PRIx64, rcv.base, fp);
    httpc_get(url, &r);
    ck_assert_msg(r.code == 200, "GET %s: %ld", url, r.code);
    json_t *j = json_loads(r.body, 0, NULL);
    httpc_resp_release(&r);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);
}

/* ==== Tests ==== */

/* SIGKILL during concurrent ingest, three times over one database. */
START_TEST(test_sigkill_loses_no_acknowledged_alert)
{
    setup_dir();
    receiver_start();
    size_t acked_total = 0, attempts_total = 0;
    for (int cycle = 0; cycle < KILL_CYCLES; cycle++) {
        char name[16];
        snprintf(name, sizeof name, "kill%d", cycle);
        struct run *run = rr_xcalloc(1, sizeof *run);
        run_start(run, name, false);
        proc_sleep_ms(POST_BEFORE_KILL);
        int st = 0;
        assert_receiver(proc_alive(rcv.pid, &st), "receiver died by itself during ingest", st);
        kill(rcv.pid, SIGKILL);
        atomic_store(&run->signal_ms, proc_mono_ms());
        waitpid(rcv.pid, &st, 0);
        rcv.pid = 0;
        assert_receiver(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "not ended by our SIGKILL", st);
        proc_sleep_ms(100);
        struct totals t = run_join(run);
        ck_assert_msg(t.acked > 0, "cycle %d: no request was answered 200 before the kill", cycle);
        acked_total += t.acked;
        attempts_total += t.attempts;

        assert_integrity_ok(); /* as the crash left it, before any recovery by the receiver */
        receiver_start();
        size_t n;
        uint64_t *fps = stored_fingerprints(&n);
        assert_acked_stored(run, fps, n);
        /* Only what was sent can be stored (plus one probe alert per earlier cycle). */
        ck_assert_msg(n >= acked_total && n <= attempts_total + (size_t)cycle,
                      "cycle %d: %zu stored, %zu acknowledged, %zu attempted", cycle, n,
                      acked_total, attempts_total);
        printf("e2e.crash: cycle %d: %zu alerts acknowledged before SIGKILL (%zu attempted, "
               "%zu transport errors); %zu stored in total after restart\n",
               cycle, t.acked, t.attempts, t.transport_errors, n);
        fflush(stdout);
        free(fps);
        run_free(run);
        free(run);
        /* For the next cycle, the database must still take writes. */
        snprintf(name, sizeof name, "probe%d", cycle);
        assert_accepts_new_alert(name);
    }
    int st = proc_stop(rcv.pid, STOP_GRACE_MS);
    rcv.pid = 0;
    assert_receiver(WIFEXITED(st) && WEXITSTATUS(st) == 0, "receiver failed to stop cleanly", st);
    assert_integrity_ok();
    teardown_dir();
}
END_TEST

/* SIGTERM while posts are in flight: exit 0 within the bound, every 200 stored, "stopped". */
START_TEST(test_sigterm_drains_in_flight_and_exits_0)
{
    setup_dir();
    receiver_start();
    struct run *run = rr_xcalloc(1, sizeof *run);
    run_start(run, "term", true);
    struct slow_sender slow[SLOW_SENDERS];
    atomic_int ready;
    atomic_init(&ready, 0);
    unsigned port = (unsigned)strtoul(strrchr(rcv.base, ':') + 1, NULL, 10);
    for (int i = 0; i < SLOW_SENDERS; i++) {
        slow[i] = (struct slow_sender){
            .id = i, .port = port, .ready = &ready, .signal_ms = &run->signal_ms};
        ck_assert_int_eq(pthread_create(&slow[i].thread, NULL, slow_send, &slow[i]), 0);
    }
    int64_t bound = proc_mono_ms() + 5000;
    while (atomic_load(&ready) < SLOW_SENDERS && proc_mono_ms() < bound)
        proc_sleep_ms(5);
    proc_sleep_ms(700); /* the receiver has read their headers; the fast posters are busy */
    int st = 0;
    assert_receiver(proc_alive(rcv.pid, &st), "receiver died by itself during ingest", st);
    int64_t t0 = proc_mono_ms();
    atomic_store(&run->signal_ms, t0);
    kill(rcv.pid, SIGTERM);
    bool exited = false;
    while (proc_mono_ms() - t0 < SIGTERM_BOUND_MS) {
        if (!proc_alive(rcv.pid, &st)) {
            exited = true;
            break;
        }
        proc_sleep_ms(5);
    }
    int64_t took = proc_mono_ms() - t0;
    if (!exited) {
        kill(rcv.pid, SIGKILL);
        waitpid(rcv.pid, &st, 0);
    }
    rcv.pid = 0;
    ck_assert_msg(exited, "receiver still running %d ms after SIGTERM", SIGTERM_BOUND_MS);
    struct totals t = run_join(run);
    for (int i = 0; i < SLOW_SENDERS; i++)
        pthread_join(slow[i].thread, NULL);
    char *log = proc_slurp(rcv.log);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d after SIGTERM:\n%s", st,
                  proc_tail(log, TAIL_MAX));
    ck_assert_msg(strstr(log, "msg=stopped") != NULL, "no \"stopped\" in the log:\n%s",
                  proc_tail(log, TAIL_MAX));
    free(log);
    ck_assert_msg(t.acked > 0, "no request was answered 200 before SIGTERM");
    for (int i = 0; i < SLOW_SENDERS; i++)
        ck_assert_msg(slow[i].ok, "request in flight at SIGTERM: %s", slow[i].status_line);
    printf("e2e.crash: SIGTERM: exited 0 after %lld ms; %zu alerts acknowledged (%zu of them "
           "after the signal), %zu attempted, %zu transport errors; %d requests in flight at "
           "the signal all answered 200\n",
           (long long)took, t.acked, t.acked_after_signal, t.attempts, t.transport_errors,
           SLOW_SENDERS);
    fflush(stdout);

    assert_integrity_ok();
    receiver_start();
    size_t n;
    uint64_t *fps = stored_fingerprints(&n);
    assert_acked_stored(run, fps, n);
    for (int i = 0; i < SLOW_SENDERS; i++)
        ck_assert_msg(bsearch(&slow[i].fp, fps, n, sizeof *fps, cmp_u64) != NULL,
                      "request in flight at SIGTERM answered 200 but not stored");
    ck_assert_msg(n >= t.acked + SLOW_SENDERS && n <= t.attempts + SLOW_SENDERS,
                  "%zu stored, %zu + %d acknowledged, %zu attempted", n, t.acked, SLOW_SENDERS,
                  t.attempts);
    free(fps);
    run_free(run);
    free(run);
    st = proc_stop(rcv.pid, STOP_GRACE_MS);
    rcv.pid = 0;
    assert_receiver(WIFEXITED(st) && WEXITSTATUS(st) == 0, "receiver failed to stop cleanly", st);
    teardown_dir();
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("e2e.crash");
    TCase *tc = tcase_create("crash");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sigkill_loses_no_acknowledged_alert);
    tcase_add_test(tc, test_sigterm_drains_in_flight_and_exits_0);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* curl_global_init comes before any thread: curl_easy_init would otherwise race on it. */
    return proc_main(crash_suite, "rr-e2e", NULL, NULL);
}

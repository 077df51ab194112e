/*
 * End to end with the real Alertmanager: Debian's prometheus-alertmanager 0.25 on a loopback
 * port sends its webhook to the real runbook-router binary (bearer auth) on another loopback
 * port. Alerts are posted to Alertmanager's POST /api/v2/alerts; the assertions are on what the
 * receiver stored (GET /api/v1/alerts) and counted (/metrics), compared with what Alertmanager
 * itself shows (GET /api/v2/alerts) and with fingerprints computed here.
 *
 * Both processes are children of the test process with PR_SET_PDEATHSIG, so a failing test
 * (Check's fork mode _exit()s the test process) never leaves them behind; the passing path
 * stops them with SIGTERM, then SIGKILL after a bound. Every wait is a bounded poll.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>

#include "rr/buf.h"
#include "rr/clock.h"

#include "httpc.h"
#include "testlib.h"

#define AM_BINARY        "/usr/bin/prometheus-alertmanager"
#define RR_TOKEN         "e2e-receiver-token-5f0c"
#define START_TIMEOUT_MS 20000 /* process start to ready (the receiver may run under ASan) */
#define WAIT_TIMEOUT_MS  20000 /* an expected effect of Alertmanager's delivery */
#define POLL_MS          100
#define STOP_GRACE_MS    10000 /* SIGTERM to SIGKILL */

/* ==== Small helpers ==== */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int64_t mono_ms(void)
{
    return rr_clock_mono_ns() / 1000000;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Reads a file that may not exist yet; "" then. Owned. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rr_xstrdup("");
    fclose(f);
    return rr_test_read_file(path, NULL);
}

/* The last bytes of a log, for a failure message (Check caps their size). Borrowed. */
static const char *tail(const char *text)
{
    size_t n = strlen(text);
    return n > 1200 ? text + n - 1200 : text;
}

/* A loopback port free right now (bind 0, read it, close). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* fork + exec with stdout and stderr appended to log_path. The child dies with the test
 * process (PR_SET_PDEATHSIG), so a failed assertion cannot leak it. */
static pid_t spawn(const char *const argv[], const char *log_path)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (fd < 0 || in < 0)
            _exit(127);
        dup2(in, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    return pid;
}

/* True while pid runs; reaps it (and stores its wait status) when it has exited. */
static bool alive(pid_t pid, int *status)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
        if (status)
            *status = st;
        return false;
    }
    return r == 0;
}

/* SIGTERM, then SIGKILL after STOP_GRACE_MS. Returns the wait status. */
static int stop_process(pid_t pid)
{
    int st = 0;
    if (pid <= 0)
        return 0;
    kill(pid, SIGTERM);
    int64_t deadline = mono_ms() + STOP_GRACE_MS;
    while (mono_ms() < deadline) {
        if (!alive(pid, &st))
            return st;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return st;
}

/* FNV-1a 64 over the label names in byte order, each name and value followed by 0xFF:
 * Alertmanager's (prometheus/common's) fingerprint, written here independently. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void fingerprint(const json_t *labels, char out[17])
{
    size_t n = json_object_size(labels);
    const char **names = rr_xcalloc(n ? n : 1, sizeof *names);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)labels, k, v)
    {
        names[i++] = k;
    }
    qsort(names, n, sizeof *names, cmp_str);
    uint64_t h = 14695981039346656037ULL;
    for (i = 0; i < n; i++) {
        const char *parts[2] = {names[i], json_string_value(json_object_get(labels, names[i]))};
        for (int p = 0; p < 2; p++) {
            for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++) {
                h ^= *c;
                h *= 1099511628211ULL;
            }
            h ^= 0xFF;
            h *= 1099511628211ULL;
        }
    }
    free(names);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Milliseconds since the epoch of an RFC 3339 JSON string; fails the test otherwise. */
static int64_t json_time_ms(const json_t *v, const char *what)
{
    const char *s = json_string_value(v);
    ck_assert_msg(s != NULL, "%s: not a string", what);
    struct rr_time t;
    ck_assert_msg(rr_time_parse(s, strlen(s), &t, NULL) == RR_OK, "%s: bad time '%s'", what, s);
    return rr_time_to_ms(t);
}

static const char *fmt_ms(int64_t ms, char *buf, size_t cap)
{
    return rr_clock_format_ms(ms, buf, cap);
}

/* ==== The two processes ==== */

struct e2e {
    char *dir;
    char rr_log[600], am_log[600];
    pid_t rr_pid, am_pid;
    char rr_base[64], am_base[64];
};

static struct e2e env;

static void start_receiver(void)
{
    memset(&env, 0, sizeof env);
    env.dir = rr_test_tmpdir();
    char db[600], token[600];
    snprintf(db, sizeof db, "%s/rr.db", env.dir);
    snprintf(token, sizeof token, "%s/token", env.dir);
    snprintf(env.rr_log, sizeof env.rr_log, "%s/receiver.log", env.dir);
    snprintf(env.am_log, sizeof env.am_log, "%s/alertmanager.log", env.dir);
    write_file(token, RR_TOKEN "\n");
    char *routing = rr_test_source_path("routing");
    char *runbooks = rr_test_source_path("runbooks");
    const char *argv[] = {rr_test_binary(), "serve", "--listen",          "127.0.0.1:0",
                          "--db",           db,      "--auth-token-file", token,
                          "--routing",      routing, "--runbooks",        runbooks,
                          "--dry-run",      NULL};
    env.rr_pid = spawn(argv, env.rr_log);
    free(routing);
    free(runbooks);

    /* The port comes from the "listening" log line (port=N). */
    unsigned port = 0;
    int64_t deadline = mono_ms() + START_TIMEOUT_MS;
    while (!port && mono_ms() < deadline) {
        int st;
        char *log = slurp(env.rr_log);
        const char *line = strstr(log, "msg=listening");
        const char *p = line ? strstr(line, " port=") : NULL;
        if (p)
            port = (unsigned)strtoul(p + 6, NULL, 10);
        bool up = alive(env.rr_pid, &st);
        if (!port && !up) {
            env.rr_pid = 0;
            ck_abort_msg("receiver exited at start-up (status %d):\n%s", st, tail(log));
        }
        free(log);
        if (!port)
            sleep_ms(20);
    }
    ck_assert_msg(port > 0, "receiver did not log its port within %d ms", START_TIMEOUT_MS);
    snprintf(env.rr_base, sizeof env.rr_base, "http://127.0.0.1:%u", port);

    char url[128];
    snprintf(url, sizeof url, "%s/-/ready", env.rr_base);
    long code = 0;
    while (code != 200 && mono_ms() < deadline) {
        struct httpc_resp r;
        httpc_get(url, &r);
        code = r.code;
        httpc_resp_release(&r);
        if (code != 200)
            sleep_ms(POLL_MS);
    }
    ck_assert_msg(code == 200, "receiver /-/ready: %ld", code);
}

/*
 * Starts Alertmanager with one webhook receiver pointing at ours, sending credentials.
 * repeat_interval is a Prometheus duration. A port taken between free_port() and the bind
 * makes Alertmanager exit: then it is tried again on another port (3 tries).
 */
static void start_alertmanager(const char *credentials, const char *repeat_interval)
{
    char cfg_path[700], storage[700], cfg[2048];
    snprintf(cfg_path, sizeof cfg_path, "%s/alertmanager.yml", env.dir);
    snprintf(cfg, sizeof cfg,
             "global:\n"
             "  resolve_timeout: 5m\n"
             "route:\n"
             "  receiver: runbook-router\n"
             "  group_by: [alertname, temporal_namespace]\n"
             "  group_wait: 1s\n"
             "  group_interval: 1s\n"
             "  repeat_interval: %s\n"
             "receivers:\n"
             "- name: runbook-router\n"
             "  webhook_configs:\n"
             "  - url: %s/webhook\n"
             "    send_resolved: true\n"
             "    http_config:\n"
             "      authorization:\n"
             "        type: Bearer\n"
             "        credentials: %s\n",
             repeat_interval, env.rr_base, credentials);
    write_file(cfg_path, cfg);

    for (int attempt = 0; attempt < 3; attempt++) {
        unsigned port = free_port();
        snprintf(storage, sizeof storage, "%s/am-data-%d", env.dir, attempt);
        char a_cfg[800], a_storage[800], a_listen[64], a_url[96];
        snprintf(a_cfg, sizeof a_cfg, "--config.file=%s", cfg_path);
        snprintf(a_storage, sizeof a_storage, "--storage.path=%s", storage);
        snprintf(a_listen, sizeof a_listen, "--web.listen-address=127.0.0.1:%u", port);
        snprintf(a_url, sizeof a_url, "--web.external-url=http://127.0.0.1:%u", port);
        const char *argv[] = {AM_BINARY,          a_cfg, a_storage,
                              a_listen,           a_url, "--cluster.listen-address=",
                              "--log.level=info", NULL};
        env.am_pid = spawn(argv, env.am_log);
        snprintf(env.am_base, sizeof env.am_base, "http://127.0.0.1:%u", port);
        char url[128];
        snprintf(url, sizeof url, "%s/-/ready", env.am_base);
        int64_t deadline = mono_ms() + START_TIMEOUT_MS;
        bool exited = false;
        while (mono_ms() < deadline) {
            struct httpc_resp r;
            httpc_get(url, &r);
            long code = r.code;
            httpc_resp_release(&r);
            if (code == 200)
                return;
            if (!alive(env.am_pid, NULL)) {
                exited = true;
                break;
            }
            sleep_ms(POLL_MS);
        }
        if (!exited)
            break;
        env.am_pid = 0;
    }
    char *log = slurp(env.am_log);
    ck_abort_msg("Alertmanager did not become ready:\n%s", tail(log));
    free(log);
}

static void stop_all(void)
{
    stop_process(env.am_pid);
    env.am_pid = 0;
    int st = stop_process(env.rr_pid);
    env.rr_pid = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *log = slurp(env.rr_log);
        ck_abort_msg("receiver wait status %d after SIGTERM:\n%s", st, tail(log));
        free(log);
    }
    rr_test_rmtree(env.dir);
    free(env.dir);
    env.dir = NULL;
}

/* ==== Requests ==== */

static void post_to_alertmanager(const char *body)
{
    char url[128];
    snprintf(url, sizeof url, "%s/api/v2/alerts", env.am_base);
    struct httpc_resp r;
    httpc_post_json(url, body, strlen(body), &r);
    ck_assert_msg(r.code == 200, "Alertmanager POST /api/v2/alerts: %ld %s %s", r.code, r.body,
                  r.error);
    httpc_resp_release(&r);
}

static void post_json_to_alertmanager(const json_t *alerts)
{
    char *body = json_dumps(alerts, JSON_COMPACT);
    ck_assert_ptr_nonnull(body);
    post_to_alertmanager(body);
    free(body);
}

/* GET on the receiver with the bearer token; the body when 200, else the test fails. Owned. */
static char *receiver_get(const char *path)
{
    char url[512], auth[128];
    snprintf(url, sizeof url, "%s%s", env.rr_base, path);
    snprintf(auth, sizeof auth, "Bearer %s", RR_TOKEN);
    struct httpc_req q = {.method = "GET", .url = url, .auth = auth};
    struct httpc_resp r;
    httpc_do(&q, &r);
    ck_assert_msg(r.code == 200, "receiver GET %s: %ld %s %s", path, r.code, r.body, r.error);
    char *body = r.body;
    r.body = NULL;
    httpc_resp_release(&r);
    return body;
}

/* GET /api/v1/alerts<query>: the whole response object, checked for its shape. */
static json_t *episodes(const char *query)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/alerts%s", query);
    char *body = receiver_get(path);
    json_error_t e;
    json_t *j = json_loads(body, 0, &e);
    ck_assert_msg(j != NULL, "alerts: not JSON (%s): %s", e.text, body);
    free(body);
    ck_assert(json_is_integer(json_object_get(j, "total")));
    ck_assert(json_is_array(json_object_get(j, "alerts")));
    return j;
}

static json_int_t episodes_total(const char *query)
{
    json_t *j = episodes(query);
    json_int_t n = json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return n;
}

/* The value of one series of the receiver's /metrics ("name" or "name{labels}"). */
static long long metric(const char *series)
{
    char *text = receiver_get("/metrics");
    size_t n = strlen(series);
    long long value = -1;
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, series, n) && p[n] == ' ') {
            value = strtoll(p + n + 1, NULL, 10);
            break;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    free(text);
    ck_assert_msg(value >= 0, "metric %s not exposed", series);
    return value;
}

#define M_200       "runbook_router_webhook_requests_total{code=\"200\"}"
#define M_401       "runbook_router_webhook_requests_total{code=\"401\"}"
#define M_STORED    "runbook_router_alerts_stored_total"
#define M_DUPLICATE "runbook_router_alerts_duplicate_total"

/* Polls metric(series) until it is at least want; returns the last value seen. */
static long long wait_metric_at_least(const char *series, long long want)
{
    int64_t deadline = mono_ms() + WAIT_TIMEOUT_MS;
    long long v = metric(series);
    while (v < want && mono_ms() < deadline) {
        sleep_ms(POLL_MS);
        v = metric(series);
    }
    ck_assert_msg(v >= want, "%s stayed at %lld, want >= %lld within %d ms", series, v, want,
                  WAIT_TIMEOUT_MS);
    return v;
}

static void wait_total(const char *query, json_int_t want)
{
    int64_t deadline = mono_ms() + WAIT_TIMEOUT_MS;
    json_int_t n = episodes_total(query);
    while (n != want && mono_ms() < deadline) {
        sleep_ms(POLL_MS);
        n = episodes_total(query);
    }
    if (n != want) {
        char *log = slurp(env.am_log);
        ck_abort_msg("receiver holds %lld episodes for '%s', want %lld within %d ms; "
                     "Alertmanager log:\n%s",
                     (long long)n, query, (long long)want, WAIT_TIMEOUT_MS, tail(log));
        free(log);
    }
}

/* The metrics stop moving once Alertmanager is stopped; read them twice 300 ms apart. */
static void wait_metrics_settled(const char *series)
{
    long long prev = metric(series);
    for (int i = 0; i < 50; i++) {
        sleep_ms(300);
        long long now = metric(series);
        if (now == prev)
            return;
        prev = now;
    }
    ck_abort_msg("%s kept changing after Alertmanager stopped", series);
}

/* Alertmanager's own view: GET /api/v2/alerts. */
static json_t *alertmanager_alerts(void)
{
    char url[128];
    snprintf(url, sizeof url, "%s/api/v2/alerts", env.am_base);
    struct httpc_resp r;
    httpc_get(url, &r);
    ck_assert_msg(r.code == 200, "Alertmanager GET /api/v2/alerts: %ld", r.code);
    json_t *j = json_loads(r.body, 0, NULL);
    httpc_resp_release(&r);
    ck_assert(json_is_array(j));
    return j;
}

static json_t *find_by_fingerprint(json_t *alerts, const char *fp)
{
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a)
    {
        if (!strcmp(json_string_value(json_object_get(a, "fingerprint")), fp))
            return a;
    }
    return NULL;
}

static json_t *fixture_alerts(void)
{
    char *path = rr_test_fixture("alertmanager/am-api-v2-postable-alerts.json");
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", path, e.text);
    free(path);
    ck_assert(json_is_array(j) && json_array_size(j) > 0);
    return j;
}

/*
 * The receiver holds exactly the posted alerts, each one firing episode: labels and
 * annotations as posted, the fingerprint computed here and shown by Alertmanager, startsAt
 * as Alertmanager has it. Returns the receiver's episodes (owned).
 */
static json_t *assert_exactly_posted_firing(json_t *posted)
{
    json_t *stored = episodes("?limit=10000");
    json_t *list = json_object_get(stored, "alerts");
    json_t *am = alertmanager_alerts();
    ck_assert_int_eq(json_integer_value(json_object_get(stored, "total")), json_array_size(posted));
    ck_assert_int_eq(json_array_size(list), json_array_size(posted));
    ck_assert_int_eq(json_array_size(am), json_array_size(posted));
    size_t i;
    json_t *p;
    json_array_foreach(posted, i, p)
    {
        char fp[17];
        fingerprint(json_object_get(p, "labels"), fp);
        json_t *s = find_by_fingerprint(list, fp);
        ck_assert_msg(s != NULL, "posted alert %zu (fingerprint %s) not stored", i, fp);
        json_t *a = find_by_fingerprint(am, fp);
        ck_assert_msg(a != NULL, "Alertmanager has no alert with fingerprint %s", fp);
        ck_assert_msg(json_equal(json_object_get(s, "labels"), json_object_get(p, "labels")),
                      "alert %s: labels differ", fp);
        ck_assert_msg(
            json_equal(json_object_get(s, "annotations"), json_object_get(p, "annotations")),
            "alert %s: annotations differ", fp);
        ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "firing");
        ck_assert_msg(json_is_null(json_object_get(s, "endsAt")), "alert %s: endsAt set", fp);
        ck_assert_int_eq(json_time_ms(json_object_get(s, "startsAt"), "stored startsAt"),
                         json_time_ms(json_object_get(a, "startsAt"), "Alertmanager startsAt"));
        ck_assert(json_is_integer(json_object_get(s, "repeats")));
        json_time_ms(json_object_get(s, "receivedAt"), "receivedAt");
        json_time_ms(json_object_get(s, "updatedAt"), "updatedAt");
    }
    json_decref(am);
    return stored;
}

/* ==== Tests ==== */

/* (a) The fixture's alerts fire: exactly those episodes, as Alertmanager sees them. */
START_TEST(test_fire_stored_exactly)
{
    start_receiver();
    start_alertmanager(RR_TOKEN, "1h");
    json_t *posted = fixture_alerts();
    post_json_to_alertmanager(posted);
    size_t n = json_array_size(posted);
    wait_total("", (json_int_t)n);
    /* Two groups by (alertname, temporal_namespace): two deliveries, nothing else. */
    ck_assert_int_eq(wait_metric_at_least(M_200, 2), 2);
    json_t *stored = assert_exactly_posted_firing(posted);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(stored, "alerts"), i, s)
    {
        ck_assert_int_eq(json_integer_value(json_object_get(s, "repeats")), 0);
    }
    json_decref(stored);
    ck_assert_int_eq(metric(M_STORED), (long long)n);
    ck_assert_int_eq(metric(M_DUPLICATE), 0);
    ck_assert_int_eq(metric(M_401), 0);
    /* Filters see the same episodes. */
    ck_assert_int_eq(episodes_total("?status=firing"), (json_int_t)n);
    ck_assert_int_eq(episodes_total("?status=resolved"), 0);
    char q[64], fp[17];
    fingerprint(json_object_get(json_array_get(posted, 0), "labels"), fp);
    snprintf(q, sizeof q, "?fingerprint=%s", fp);
    ck_assert_int_eq(episodes_total(q), 1);
    json_decref(posted);
    stop_all();
}
END_TEST

/* (b) Repeats every repeat_interval: counted as duplicates, no new episodes. */
START_TEST(test_repeats_are_duplicates)
{
    start_receiver();
    start_alertmanager(RR_TOKEN, "2s");
    json_t *posted = fixture_alerts();
    size_t n = json_array_size(posted);
    /* The counting below relies on the fixture's shape: alerts 0 and 1 share a group
     * (alertname, temporal_namespace), alert 2 is alone in another. */
    ck_assert_int_eq(n, 3);
    const char *an[3];
    for (size_t k = 0; k < 3; k++)
        an[k] = json_string_value(
            json_object_get(json_object_get(json_array_get(posted, k), "labels"), "alertname"));
    ck_assert(an[0] && an[1] && an[2] && !strcmp(an[0], an[1]) && strcmp(an[0], an[2]));
    post_json_to_alertmanager(posted);
    wait_total("", (json_int_t)n);
    long long first = wait_metric_at_least(M_200, 2);
    /* At least one repeat of each of the two groups. */
    wait_metric_at_least(M_200, first + 2);
    wait_metric_at_least(M_DUPLICATE, 1);
    stop_process(env.am_pid);
    env.am_pid = 0;
    wait_metrics_settled(M_200);

    json_t *stored = episodes("?limit=10000");
    json_t *list = json_object_get(stored, "alerts");
    ck_assert_int_eq(json_integer_value(json_object_get(stored, "total")), (json_int_t)n);
    ck_assert_int_eq(json_array_size(list), n);
    long long sum = 0;
    json_int_t group_repeats = -1; /* the fixture's first two alerts form one group */
    size_t i;
    json_t *p;
    json_array_foreach(posted, i, p)
    {
        char fp[17];
        fingerprint(json_object_get(p, "labels"), fp);
        json_t *s = find_by_fingerprint(list, fp);
        ck_assert_msg(s != NULL, "alert %s not stored", fp);
        ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "firing");
        ck_assert(json_equal(json_object_get(s, "labels"), json_object_get(p, "labels")));
        json_int_t r = json_integer_value(json_object_get(s, "repeats"));
        ck_assert_msg(r > 0, "alert %s: repeats %lld", fp, (long long)r);
        sum += r;
        ck_assert_int_ge(json_time_ms(json_object_get(s, "updatedAt"), "updatedAt"),
                         json_time_ms(json_object_get(s, "receivedAt"), "receivedAt"));
        if (i < 2) {
            if (group_repeats < 0)
                group_repeats = r;
            ck_assert_int_eq(r, group_repeats); /* each delivery carries the whole group */
        }
    }
    /* Every delivery after the first of its group is one repeat of each of its alerts. */
    ck_assert_int_eq(metric(M_STORED), (long long)n);
    ck_assert_int_eq(metric(M_DUPLICATE), sum);
    long long deliveries = metric(M_200);
    ck_assert_int_eq(deliveries, 2 + group_repeats + (sum - 2 * group_repeats));
    json_decref(stored);
    json_decref(posted);
    stop_all();
}
END_TEST

static json_t *one_alert(const char *alertname, int64_t starts_ms, int64_t ends_ms)
{
    char s[40], e[40];
    json_t *a = json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s}, s:s}", "labels", "alertname",
                          alertname, "temporal_namespace", "orders-prod", "team", "orders",
                          "severity", "warning", "annotations", "summary", "e2e lifecycle",
                          "startsAt", fmt_ms(starts_ms, s, sizeof s));
    ck_assert_ptr_nonnull(a);
    if (ends_ms)
        json_object_set_new(a, "endsAt", json_string(fmt_ms(ends_ms, e, sizeof e)));
    json_t *arr = json_array();
    json_array_append_new(arr, a);
    return arr;
}

/* (c) A resolution closes the episode; (d) a re-fire after it is a second episode. */
START_TEST(test_resolve_then_refire)
{
    start_receiver();
    start_alertmanager(RR_TOKEN, "1h");
    int64_t s1 = rr_clock_wall_ms() - 5000;
    json_t *fire = one_alert("E2ELifecycle", s1, 0);
    char fp[17], q[128];
    fingerprint(json_object_get(json_array_get(fire, 0), "labels"), fp);
    post_json_to_alertmanager(fire);
    wait_total("", 1);
    json_t *stored = assert_exactly_posted_firing(fire);
    json_t *ep = json_array_get(json_object_get(stored, "alerts"), 0);
    ck_assert_int_eq(json_time_ms(json_object_get(ep, "startsAt"), "startsAt"), s1);
    json_decref(stored);
    wait_metric_at_least(M_STORED, 1);

    /* (c) resolve: same alert, endsAt in the past. */
    int64_t e1 = rr_clock_wall_ms() - 200;
    json_t *resolve = one_alert("E2ELifecycle", s1, e1);
    post_json_to_alertmanager(resolve);
    wait_total("?status=resolved", 1);
    stored = episodes("");
    ck_assert_int_eq(json_integer_value(json_object_get(stored, "total")), 1);
    ep = json_array_get(json_object_get(stored, "alerts"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(ep, "fingerprint")), fp);
    ck_assert_str_eq(json_string_value(json_object_get(ep, "status")), "resolved");
    ck_assert_int_eq(json_time_ms(json_object_get(ep, "startsAt"), "startsAt"), s1);
    ck_assert_msg(json_is_string(json_object_get(ep, "endsAt")), "resolved without endsAt");
    ck_assert_int_eq(json_time_ms(json_object_get(ep, "endsAt"), "endsAt"), e1);
    json_decref(stored);
    ck_assert_int_eq(wait_metric_at_least(M_STORED, 2), 2);

    /* (d) re-fire: new startsAt after the resolution. */
    int64_t s2 = rr_clock_wall_ms();
    json_t *refire = one_alert("E2ELifecycle", s2, 0);
    post_json_to_alertmanager(refire);
    wait_total("", 2);
    snprintf(q, sizeof q, "?fingerprint=%s", fp);
    stored = episodes(q);
    ck_assert_int_eq(json_integer_value(json_object_get(stored, "total")), 2);
    json_t *newest = json_array_get(json_object_get(stored, "alerts"), 0);
    json_t *older = json_array_get(json_object_get(stored, "alerts"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(newest, "fingerprint")), fp);
    ck_assert_str_eq(json_string_value(json_object_get(newest, "status")), "firing");
    ck_assert_int_eq(json_time_ms(json_object_get(newest, "startsAt"), "startsAt"), s2);
    ck_assert(json_is_null(json_object_get(newest, "endsAt")));
    ck_assert_str_eq(json_string_value(json_object_get(older, "status")), "resolved");
    ck_assert_int_eq(json_time_ms(json_object_get(older, "startsAt"), "startsAt"), s1);
    ck_assert_int_eq(json_time_ms(json_object_get(older, "endsAt"), "endsAt"), e1);
    json_decref(stored);
    ck_assert_int_eq(episodes_total("?status=firing"), 1);
    ck_assert_int_eq(episodes_total("?status=resolved"), 1);
    ck_assert_int_eq(wait_metric_at_least(M_STORED, 3), 3);
    ck_assert_int_eq(metric(M_401), 0);
    json_decref(fire);
    json_decref(resolve);
    json_decref(refire);
    stop_all();
}
END_TEST

/* (e) Alertmanager with the wrong token: 401s, re-sent, and nothing stored. */
START_TEST(test_wrong_token_stores_nothing)
{
    start_receiver();
    start_alertmanager("not-the-receiver-token", "1h");
    json_t *posted = fixture_alerts();
    post_json_to_alertmanager(posted);
    /* Alertmanager does not retry a 4xx within a flush but sends it again on the next
     * group_interval tick: wait for a second attempt. */
    wait_metric_at_least(M_401, 2);
    ck_assert_int_eq(metric(M_200), 0);
    ck_assert_int_eq(metric(M_STORED), 0);
    ck_assert_int_eq(episodes_total(""), 0);
    char *log = slurp(env.am_log);
    ck_assert_msg(strstr(log, "401") != NULL, "Alertmanager did not log the 401:\n%s", tail(log));
    free(log);
    json_decref(posted);
    stop_all();
}
END_TEST

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e.alertmanager");
    TCase *tc = tcase_create("alertmanager");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_fire_stored_exactly);
    tcase_add_test(tc, test_repeats_are_duplicates);
    tcase_add_test(tc, test_resolve_then_refire);
    tcase_add_test(tc, test_wrong_token_stores_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* Every test's files live under one directory removed at the end, even after a failed
     * test whose process _exit()ed before its own clean-up. */
    const char *tmp = getenv("TMPDIR");
    char base[512];
    snprintf(base, sizeof base, "%s/rr-e2e-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    setenv("TMPDIR", base, 1);
    SRunner *sr = srunner_create(e2e_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    rr_test_rmtree(base);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

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
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>

#include "rr/buf.h"
#include "rr/clock.h"

#include "httpc.h"
#include "proc.h"
#include "testlib.h"

#define RR_TOKEN         "e2e-receiver-token-5f0c"
#define START_TIMEOUT_MS 20000 /* process start to ready (the receiver may run under ASan) */
#define WAIT_TIMEOUT_MS  20000 /* an expected effect of Alertmanager's delivery */
#define POLL_MS          100
#define STOP_GRACE_MS    10000 /* SIGTERM to SIGKILL */
#define TAIL_MAX         1200  /* log bytes in a failure message (Check caps their size) */

/* ==== Small helpers ==== */

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
    proc_write_file(token, RR_TOKEN "\n");
    char *routing = rr_test_source_path("routing");
    char *runbooks = rr_test_source_path("runbooks");
    const char *argv[] = {rr_test_binary(), "serve", "--listen",          "127.0.0.1:0",
                          "--db",           db,      "--auth-token-file", token,
                          "--routing",      routing, "--runbooks",        runbooks,
                          "--dry-run",      NULL};
    /* The child dies with the test process (PR_SET_PDEATHSIG), so a failed assertion cannot
     * leak it. */
    struct proc_spawn sp = {
        .out_path = env.rr_log, .err_path = env.rr_log, .death_signal = SIGKILL};
    env.rr_pid = proc_spawn(argv, &sp);
    free(routing);
    free(runbooks);
    proc_wait_receiver(&env.rr_pid, env.rr_log, 0, START_TIMEOUT_MS, POLL_MS, TAIL_MAX, env.rr_base,
                       sizeof env.rr_base);
}

/* Starts Alertmanager with one webhook receiver pointing at ours, sending credentials.
 * repeat_interval is a Prometheus duration. */
static void start_alertmanager(const char *credentials, const char *repeat_interval)
{
    struct proc_am am = {.dir = env.dir,
                         .receiver_base = env.rr_base,
                         .credentials = credentials,
                         .repeat_interval = repeat_interval,
                         .log_path = env.am_log,
                         .spawn = {.death_signal = SIGKILL},
                         .timeout_ms = START_TIMEOUT_MS,
                         .poll_ms = POLL_MS,
                         .tail_max = TAIL_MAX};
    proc_am_start(&am, &env.am_pid, env.am_base, sizeof env.am_base);
}

static void stop_all(void)
{
    proc_stop(env.am_pid, STOP_GRACE_MS);
    env.am_pid = 0;
    int st = proc_stop(env.rr_pid, STOP_GRACE_MS);
    env.rr_pid = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *log = proc_slurp(env.rr_log);
        ck_abort_msg("receiver wait status %d after SIGTERM:\n%s", st, proc_tail(log, TAIL_MAX));
        free(log);
    }
    rr_test_rmtree(env.dir);
    free(env.dir);
    env.dir = NULL;
}

/* ==== Requests ==== */

static void post_json_to_alertmanager(const json_t *alerts)
{
    char *body = json_dumps(alerts, JSON_COMPACT);
    ck_assert_ptr_nonnull(body);
    proc_am_post(env.am_base, body);
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
    long long value = proc_metric_value(text, series);
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
    return proc_wait_metric_at_least(metric, series, want, WAIT_TIMEOUT_MS, POLL_MS, NULL, 0);
}

static void wait_total(const char *query, json_int_t want)
{
    int64_t deadline = proc_mono_ms() + WAIT_TIMEOUT_MS;
    json_int_t n = episodes_total(query);
    while (n != want && proc_mono_ms() < deadline) {
        proc_sleep_ms(POLL_MS);
        n = episodes_total(query);
    }
    if (n != want) {
        char *log = proc_slurp(env.am_log);
        ck_abort_msg("receiver holds %lld episodes for '%s', want %lld within %d ms; "
                     "Alertmanager log:\n%s",
                     (long long)n, query, (long long)want, WAIT_TIMEOUT_MS,
                     proc_tail(log, TAIL_MAX));
        free(log);
    }
}

/* The metrics stop moving once Alertmanager is stopped; read them twice 300 ms apart. */
static void wait_metrics_settled(const char *series)
{
    long long prev = metric(series);
    for (int i = 0; i < 50; i++) {
        proc_sleep_ms(300);
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
        proc_am_fingerprint(json_object_get(p, "labels"), fp);
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
    proc_am_fingerprint(json_object_get(json_array_get(posted, 0), "labels"), fp);
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
    proc_stop(env.am_pid, STOP_GRACE_MS);
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
        proc_am_fingerprint(json_object_get(p, "labels"), fp);
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
    proc_am_fingerprint(json_object_get(json_array_get(fire, 0), "labels"), fp);
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
    char *log = proc_slurp(env.am_log);
    ck_assert_msg(strstr(log, "401") != NULL, "Alertmanager did not log the 401:\n%s",
                  proc_tail(log, TAIL_MAX));
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
    /* Every test's files live under one directory removed at the end, even after a failed
     * test whose process _exit()ed before its own clean-up. */
    return proc_main(e2e_suite, "rr-e2e", NULL, NULL);
}

/*
 * End to end paging: the real runbook-router binary sends its pages, through its durable
 * outbox, to the strict fakes of tests/support/fake_paging.h (a Slack incoming webhook and the
 * PagerDuty Events API v2), which run in this test process on 127.0.0.1.
 *
 *   (a) kill -9 while a PagerDuty trigger is in flight (the fake holds the request), restart
 *       on the same database: the trigger goes out again with the same dedup_key and routing
 *       key, one escalation exists, and `outbox list --state sent` shows the page;
 *   (b) Debian's prometheus-alertmanager 0.25 in front of the receiver: one critical alert
 *       gives one valid PagerDuty trigger and one valid Slack message for the owning team;
 *       Alertmanager's repeats page nothing; the resolution gives exactly one PagerDuty
 *       resolve (same dedup_key) and one Slack "resolved" message;
 *   (c) the newcomer's first run: no secret in the environment => serve says it runs in dry
 *       run, a posted alert gives "page (dry run)" log lines, the fakes receive nothing.
 *
 * The routing table is written into each test's temporary directory: the static part comes
 * from tests/fixtures/e2e-paging/routing/, the teams file (channels pointing at the fakes'
 * ports) from write_teams().
 *
 * Process hygiene: every child (receiver, Alertmanager, the `outbox` CLI) runs in its own
 * process group with PR_SET_PDEATHSIG=SIGTERM and its pid recorded in a registry file. A
 * passing test stops them itself (SIGTERM, SIGKILL after STOP_GRACE_MS). When a test fails,
 * Check's fork mode _exit()s the test process: its children get SIGTERM from the kernel, are
 * re-parented to this test binary's main process (a child subreaper), and the tcase's
 * unchecked teardown waits for them and SIGKILLs what is left after STOP_GRACE_MS.
 * Every wait is bounded.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>

#include "rr/buf.h"
#include "rr/clock.h"

#include "fake_paging.h"
#include "httpc.h"
#include "proc.h"
#include "testlib.h"

#define RR_TOKEN         "e2e-paging-receiver-token-81d2"
#define START_TIMEOUT_MS 20000 /* process start to ready (the receiver may run under ASan) */
#define WAIT_TIMEOUT_MS  20000 /* an expected page, log line or metric */
#define POLL_MS          50
#define STOP_GRACE_MS    10000 /* SIGTERM to SIGKILL */
#define FAKE_HANG_MS     3000  /* the fake holds the first PagerDuty trigger this long */
#define SETTLE_MS        500   /* "nothing more arrives": pages go out within milliseconds */
#define FAKE_FLAGS       FAKE_STRICT_SHOULD
#define TAIL_MAX         1500 /* log bytes in a failure message (Check caps their size) */

/* PagerDuty routing keys (PD-10: exactly 32 characters, [A-Za-z0-9]). Fake values. */
#define PD_KEY_PAYMENTS "e2ePaymentsRoutingKey0000000000a"
#define PD_KEY_PLATFORM "e2ePlatformRoutingKey0000000000b"
_Static_assert(sizeof PD_KEY_PAYMENTS == 33 && sizeof PD_KEY_PLATFORM == 33, "32 characters");

/* Secret variables of the dry-run test: named in the routing table, never set. */
#define ENV_SLACK_PAYMENTS "RR_E2E_PAGING_SLACK_PAYMENTS_URL"
#define ENV_SLACK_PLATFORM "RR_E2E_PAGING_SLACK_PLATFORM_URL"
#define ENV_PD_PAYMENTS    "RR_E2E_PAGING_PD_PAYMENTS_KEY"
#define ENV_PD_PLATFORM    "RR_E2E_PAGING_PD_PLATFORM_KEY"

#define ALERTNAME          "TemporalWorkflowFailureRatioHigh"
#define M_DUPLICATE        "runbook_router_alerts_duplicate_total"

extern char **environ;

/* ==== Child processes ==== */

/* Where spawned pids are recorded for the clean-up after a failed test (see the top). Set by
 * main before any test runs. */
static char registry_path[600];

/* The environment of a child: this process's, without any RUNBOOK_ROUTER_* setting (the test
 * passes flags explicitly) and without the dry-run test's secret variables. Owned array of
 * borrowed strings. */
static char **child_environment(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = rr_xcalloc(n + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        if (!strncmp(e, "RUNBOOK_ROUTER_", 15) || !strncmp(e, "RR_E2E_PAGING_", 14))
            continue;
        env[k++] = environ[i];
    }
    env[k] = NULL;
    return env;
}

/* The options of every child: its own process group, SIGTERM when the test process dies, this
 * file's environment (set by spawn), its pid in the registry. */
static struct proc_spawn spawn_options(char **env)
{
    return (struct proc_spawn){
        .death_signal = SIGTERM, .own_group = true, .envp = env, .registry = registry_path};
}

/* fork + exec with stdout to out_path and stderr to err_path (appended; they may be the same
 * file), with the options above. */
static pid_t spawn(const char *const argv[], const char *out_path, const char *err_path)
{
    char **env = child_environment();
    struct proc_spawn o = spawn_options(env);
    o.out_path = out_path;
    o.err_path = err_path;
    pid_t pid = proc_spawn(argv, &o);
    free(env);
    return pid;
}

/* Runs argv to completion within timeout_ms (SIGKILL after it); stdout into *out (owned).
 * Returns the exit code, or -1 when it did not exit normally. */
static int run_cli(const char *const argv[], const char *dir, long timeout_ms, char **out)
{
    char out_path[700], err_path[700];
    snprintf(out_path, sizeof out_path, "%s/cli.out", dir);
    snprintf(err_path, sizeof err_path, "%s/cli.err", dir);
    unlink(out_path);
    unlink(err_path);
    pid_t pid = spawn(argv, out_path, err_path);
    int st = 0;
    int64_t deadline = proc_mono_ms() + timeout_ms;
    bool done = false;
    while (!done && proc_mono_ms() < deadline) {
        done = !proc_alive(pid, &st);
        if (!done)
            proc_sleep_ms(10);
    }
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    *out = proc_slurp(out_path);
    if (!WIFEXITED(st)) {
        char *err = proc_slurp(err_path);
        fprintf(stderr, "%s did not exit normally (status %d): %s\n", argv[1], st, err);
        free(err);
        return -1;
    }
    return WEXITSTATUS(st);
}

/* In the main process, after each tcase: the children a failed test left behind were
 * re-parented here; wait for them (they got SIGTERM), SIGKILL after STOP_GRACE_MS. */
static void reap_orphans(void)
{
    proc_reap_registered(registry_path, STOP_GRACE_MS, "e2e.paging");
}

/* ==== The world of one test ==== */

struct world {
    char *dir;
    char routing[600], db[600], token[600], rr_log[600], am_log[600];
    pid_t rr_pid, am_pid;
    char rr_base[64], am_base[64];
    size_t log_offset; /* where the current receiver start's lines begin in rr_log */
    bool auth;         /* the receiver requires RR_TOKEN */
    bool secrets;      /* the team channels resolve (else: unset environment variables) */
    struct fake_paging *slack, *pd;
};

static struct world w;

static void copy_fixture(const char *rel, const char *dst)
{
    char *src = rr_test_fixture(rel);
    char *text = rr_test_read_file(src, NULL);
    proc_write_file(dst, text);
    free(text);
    free(src);
}

/* One team's channels. With secrets: the Slack URL literally (a test value, not a secret)
 * and the PagerDuty key in a file; without: environment variables that are not set. */
static void team_yaml(struct rr_buf *b, const char *name, const char *layer, const char *ns,
                      const char *key, const char *env_slack, const char *env_pd)
{
    char pd_url[128], slack_url[160], key_file[700], text[2600];
    fake_paging_url(w.pd, "/pagerduty", pd_url, sizeof pd_url);
    char path[64];
    snprintf(path, sizeof path, "/slack/%s", name);
    fake_paging_url(w.slack, path, slack_url, sizeof slack_url);
    snprintf(key_file, sizeof key_file, "%s/pd-%s.key", w.dir, name);
    proc_write_file(key_file, key);
    char slack[800], pd[900];
    if (w.secrets) {
        snprintf(slack, sizeof slack, "      url: \"%s\"\n", slack_url);
        snprintf(pd, sizeof pd, "      routing_key_file: \"%s\"\n      url: \"%s\"\n", key_file,
                 pd_url);
    } else {
        snprintf(slack, sizeof slack, "      url_env: %s\n", env_slack);
        snprintf(pd, sizeof pd, "      routing_key_env: %s\n      url: \"%s\"\n", env_pd, pd_url);
    }
    snprintf(text, sizeof text,
             "  - name: %s\n"
             "    layer: %s\n"
             "%s%s%s"
             "    slack:\n%s"
             "    pagerduty:\n%s"
             "    page:\n"
             "      critical: [pagerduty, slack]\n"
             "      info: []\n"
             "      default: [slack]\n",
             name, layer, ns ? "    namespaces: [" : "", ns ? ns : "", ns ? "]\n" : "", slack, pd);
    ck_assert(rr_buf_puts(b, text) == RR_OK);
}

static void write_teams(void)
{
    struct rr_buf b;
    rr_buf_init(&b, 1 << 16);
    ck_assert(rr_buf_puts(&b, "# written by tests/e2e/check_e2e_paging.c\nteams:\n") == RR_OK);
    team_yaml(&b, "payments", "application", "payments-prod", PD_KEY_PAYMENTS, ENV_SLACK_PAYMENTS,
              ENV_PD_PAYMENTS);
    team_yaml(&b, "temporal-platform", "platform", NULL, PD_KEY_PLATFORM, ENV_SLACK_PLATFORM,
              ENV_PD_PLATFORM);
    ck_assert(rr_buf_append(&b, "", 1) == RR_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/teams.yml", w.routing);
    proc_write_file(path, b.data);
    rr_buf_release(&b);
}

static void world_setup(bool secrets, bool auth)
{
    memset(&w, 0, sizeof w);
    w.secrets = secrets;
    w.auth = auth;
    w.dir = rr_test_tmpdir();
    w.slack = fake_paging_start(FAKE_FLAGS);
    w.pd = fake_paging_start(FAKE_FLAGS);
    snprintf(w.routing, sizeof w.routing, "%s/routing", w.dir);
    snprintf(w.db, sizeof w.db, "%s/rr.db", w.dir);
    snprintf(w.token, sizeof w.token, "%s/token", w.dir);
    snprintf(w.rr_log, sizeof w.rr_log, "%s/receiver.log", w.dir);
    snprintf(w.am_log, sizeof w.am_log, "%s/alertmanager.log", w.dir);
    ck_assert_int_eq(mkdir(w.routing, 0700), 0);
    char dst[700];
    snprintf(dst, sizeof dst, "%s/settings.yml", w.routing);
    copy_fixture("e2e-paging/routing/settings.yml", dst);
    snprintf(dst, sizeof dst, "%s/routes.yml", w.routing);
    copy_fixture("e2e-paging/routing/routes.yml", dst);
    write_teams();
    proc_write_file(w.token, RR_TOKEN "\n");
}

/* Starts the receiver on w.db and waits until it is ready. */
static void receiver_start(void)
{
    char *existing = proc_slurp(w.rr_log);
    w.log_offset = strlen(existing);
    free(existing);
    char *runbooks = rr_test_source_path("runbooks");
    const char *argv[16] = {rr_test_binary(), "serve",   "--listen",   "127.0.0.1:0", "--db", w.db,
                            "--routing",      w.routing, "--runbooks", runbooks};
    size_t n = 10;
    if (w.secrets) {
        argv[n++] = "--external-url";
        argv[n++] = "http://runbook-router.e2e.test:9095";
    }
    if (w.auth) {
        argv[n++] = "--auth-token-file";
        argv[n++] = w.token;
    }
    argv[n] = NULL;
    w.rr_pid = spawn(argv, w.rr_log, w.rr_log);
    free(runbooks);
    proc_wait_receiver(&w.rr_pid, w.rr_log, w.log_offset, START_TIMEOUT_MS, POLL_MS, TAIL_MAX,
                       w.rr_base, sizeof w.rr_base);
}

/* SIGTERM: the receiver must exit 0 within the bound. */
static void receiver_stop(void)
{
    int st = proc_stop(w.rr_pid, STOP_GRACE_MS);
    w.rr_pid = 0;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "receiver exit status %d", st);
}

static void receiver_kill9(void)
{
    ck_assert_msg(proc_alive(w.rr_pid, NULL), "receiver died by itself");
    kill(w.rr_pid, SIGKILL);
    int st = 0;
    waitpid(w.rr_pid, &st, 0);
    w.rr_pid = 0;
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* This receiver start's log lines (owned). */
static char *receiver_log(void)
{
    char *log = proc_slurp(w.rr_log);
    size_t n = strlen(log);
    char *mine = rr_xstrdup(log + (w.log_offset <= n ? w.log_offset : n));
    free(log);
    return mine;
}

static void world_teardown(void)
{
    proc_stop(w.am_pid, STOP_GRACE_MS);
    w.am_pid = 0;
    if (w.rr_pid)
        receiver_stop();
    fake_paging_stop(w.slack);
    fake_paging_stop(w.pd);
    w.slack = w.pd = NULL;
    rr_test_rmtree(w.dir);
    free(w.dir);
    w.dir = NULL;
}

/* Alertmanager with one webhook receiver pointing at ours (bearer auth). */
static void am_start(const char *repeat_interval)
{
    char **env = child_environment();
    struct proc_am am = {.dir = w.dir,
                         .receiver_base = w.rr_base,
                         .credentials = RR_TOKEN,
                         .repeat_interval = repeat_interval,
                         .log_path = w.am_log,
                         .spawn = spawn_options(env),
                         .timeout_ms = START_TIMEOUT_MS,
                         .poll_ms = POLL_MS,
                         .tail_max = TAIL_MAX};
    proc_am_start(&am, &w.am_pid, w.am_base, sizeof w.am_base);
    free(env);
}

/* ==== Requests to the receiver and Alertmanager ==== */

/* A request to the receiver (with the token when it wants one); the body when the status is
 * want, else the test fails. Owned. */
static char *receiver_do(const char *method, const char *path, const char *body, long want)
{
    char url[512], auth[128];
    snprintf(url, sizeof url, "%s%s", w.rr_base, path);
    snprintf(auth, sizeof auth, "Bearer %s", RR_TOKEN);
    struct httpc_req q = {.method = method,
                          .url = url,
                          .content_type = body ? "application/json" : NULL,
                          .body = body,
                          .len = body ? strlen(body) : 0,
                          .auth = w.auth ? auth : NULL};
    struct httpc_resp r;
    httpc_do(&q, &r);
    ck_assert_msg(r.code == want, "receiver %s %s: %ld, want %ld: %s %s", method, path, r.code,
                  want, r.body ? r.body : "", r.error);
    char *text = r.body;
    r.body = NULL;
    httpc_resp_release(&r);
    return text ? text : rr_xstrdup("");
}

static json_t *receiver_json(const char *path)
{
    char *body = receiver_do("GET", path, NULL, 200);
    json_error_t e;
    json_t *j = json_loads(body, 0, &e);
    ck_assert_msg(j != NULL, "GET %s: not JSON (%s): %s", path, e.text, body);
    free(body);
    return j;
}

static void post_webhook_fixture(const char *rel)
{
    char *path = rr_test_fixture(rel);
    char *body = rr_test_read_file(path, NULL);
    free(receiver_do("POST", "/webhook", body, 200));
    free(body);
    free(path);
}

/* The value of one series of the receiver's /metrics. */
static long long metric(const char *series)
{
    char *text = receiver_do("GET", "/metrics", NULL, 200);
    long long value = proc_metric_value(text, series);
    free(text);
    ck_assert_msg(value >= 0, "metric %s not exposed", series);
    return value;
}

/* Polls metric(series) until it is at least want; fails with Alertmanager's log. */
static long long wait_metric_at_least(const char *series, long long want)
{
    return proc_wait_metric_at_least(metric, series, want, WAIT_TIMEOUT_MS, POLL_MS, w.am_log,
                                     TAIL_MAX);
}

/* Alertmanager's POST /api/v2/alerts with one fixture alert, startsAt (and endsAt when not 0)
 * set here. */
static void am_post_fixture(int64_t starts_ms, int64_t ends_ms)
{
    char *path = rr_test_fixture("e2e-paging/am-postable-critical.json");
    json_error_t e;
    json_t *alerts = json_load_file(path, 0, &e);
    ck_assert_msg(alerts != NULL, "%s: %s", path, e.text);
    free(path);
    ck_assert_int_eq(json_array_size(alerts), 1);
    json_t *a = json_array_get(alerts, 0);
    char s[40], t[40];
    json_object_set_new(a, "startsAt", json_string(rr_clock_format_ms(starts_ms, s, sizeof s)));
    if (ends_ms)
        json_object_set_new(a, "endsAt", json_string(rr_clock_format_ms(ends_ms, t, sizeof t)));
    char *body = json_dumps(alerts, JSON_COMPACT);
    json_decref(alerts);
    proc_am_post(w.am_base, body);
    free(body);
}

/* Alertmanager's fingerprint of the fixture alert's labels. */
static void fixture_fingerprint(char out[17])
{
    char *path = rr_test_fixture("e2e-paging/am-postable-critical.json");
    json_t *alerts = json_load_file(path, 0, NULL);
    free(path);
    ck_assert_ptr_nonnull(alerts);
    proc_am_fingerprint(json_object_get(json_array_get(alerts, 0), "labels"), out);
    json_decref(alerts);
}

/* ==== What the fakes saw ==== */

/* Waits until fake f has recorded at least n requests; fails with the receiver's log. */
static void wait_fake(struct fake_paging *f, size_t n, const char *what)
{
    if (fake_paging_wait(f, n, WAIT_TIMEOUT_MS))
        return;
    char *log = proc_slurp(w.rr_log);
    ck_abort_msg("%s: %zu request(s) within %d ms, want %zu; receiver log:\n%s", what,
                 fake_paging_count(f), WAIT_TIMEOUT_MS, n, proc_tail(log, TAIL_MAX));
    free(log);
}

/* Request i of fake f, which the strict validator accepted. */
static const struct fake_request *valid_request(struct fake_paging *f, size_t i, const char *what)
{
    const struct fake_request *r = fake_paging_get(f, i);
    ck_assert_msg(r != NULL, "%s: no request %zu", what, i);
    ck_assert_msg(r->valid, "%s request %zu is invalid: %s\n%.1500s", what, i, r->why, r->body);
    return r;
}

struct pd_event {
    char action[32], dedup_key[300], routing_key[64];
};

/* PagerDuty request i: valid, on /pagerduty, its action and keys. */
static struct pd_event pd_event(size_t i)
{
    const struct fake_request *r = valid_request(w.pd, i, "PagerDuty");
    ck_assert_str_eq(r->path, "/pagerduty");
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    struct pd_event e;
    snprintf(e.action, sizeof e.action, "%s",
             json_string_value(json_object_get(j, "event_action")));
    snprintf(e.dedup_key, sizeof e.dedup_key, "%s",
             json_string_value(json_object_get(j, "dedup_key")));
    snprintf(e.routing_key, sizeof e.routing_key, "%s",
             json_string_value(json_object_get(j, "routing_key")));
    json_decref(j);
    return e;
}

/* Slack request i: valid, to the payments team's webhook; its `text` (owned). */
static char *slack_text(size_t i)
{
    const struct fake_request *r = valid_request(w.slack, i, "Slack");
    ck_assert_str_eq(r->path, "/slack/payments");
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    const char *t = json_string_value(json_object_get(j, "text"));
    char *text = rr_xstrdup(t ? t : "");
    json_decref(j);
    return text;
}

/* ==== Escalations ==== */

/* The only escalation: asserts there is exactly one and returns it (owned). */
static json_t *the_escalation(void)
{
    json_t *list = receiver_json("/api/v1/escalations");
    ck_assert_int_eq(json_integer_value(json_object_get(list, "total")), 1);
    json_t *e = json_incref(json_array_get(json_object_get(list, "escalations"), 0));
    json_decref(list);
    ck_assert_ptr_nonnull(e);
    return e;
}

/* GET /api/v1/escalations/{id} (owned). */
static json_t *escalation_detail(json_int_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/escalations/%lld", (long long)id);
    return receiver_json(path);
}

/* The state of the escalation's page on channel of kind ("" when there is none). */
static const char *page_state(json_t *detail, const char *channel, const char *kind)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(detail, "pages"), i, p)
    {
        if (!strcmp(json_string_value(json_object_get(p, "channel")), channel) &&
            !strcmp(json_string_value(json_object_get(p, "kind")), kind))
            return json_string_value(json_object_get(p, "state"));
    }
    return "";
}

/* Polls until the escalation's page (channel, kind) is sent. */
static void wait_page_sent(json_int_t id, const char *channel, const char *kind)
{
    int64_t deadline = proc_mono_ms() + WAIT_TIMEOUT_MS;
    char state[32] = "";
    for (;;) {
        json_t *d = escalation_detail(id);
        snprintf(state, sizeof state, "%s", page_state(d, channel, kind));
        json_decref(d);
        if (!strcmp(state, "sent") || proc_mono_ms() >= deadline)
            break;
        proc_sleep_ms(POLL_MS);
    }
    ck_assert_msg(!strcmp(state, "sent"), "escalation %lld: %s %s page is '%s', not sent",
                  (long long)id, channel, kind, state);
}

/* ==== Tests ==== */

/* (a) kill -9 while the PagerDuty trigger is in flight; the restart sends it again, same keys. */
START_TEST(test_kill9_mid_send_resends_same_dedup_key)
{
    world_setup(true, false);
    /* The fake holds the first PagerDuty request; the script is then used up, so every later
     * request is answered normally (202). */
    struct fake_response hang = {.status = 0, .hang_ms = FAKE_HANG_MS};
    fake_paging_script(w.pd, &hang);
    receiver_start();
    post_webhook_fixture("e2e-paging/webhook-critical.json");

    wait_fake(w.pd, 1, "first PagerDuty trigger");
    receiver_kill9(); /* the fake still holds that request: the send is cut mid-way */
    struct pd_event first = pd_event(0);
    ck_assert_str_eq(first.action, "trigger");
    ck_assert_str_eq(first.routing_key, PD_KEY_PAYMENTS);
    ck_assert_msg(strstr(first.dedup_key, "7edf8781a54fdfbe") != NULL, "dedup_key %s",
                  first.dedup_key);

    receiver_start(); /* same database */
    wait_fake(w.pd, 2, "PagerDuty trigger after the restart");
    struct pd_event again = pd_event(1);
    ck_assert_str_eq(again.action, "trigger");
    ck_assert_str_eq(again.dedup_key, first.dedup_key);
    ck_assert_str_eq(again.routing_key, first.routing_key);
    ck_assert_int_eq(fake_paging_get(w.pd, 1)->status, 202);
    char *log = receiver_log();
    ck_assert_msg(strstr(log, "msg=\"resuming pages interrupted by the last stop\"") != NULL,
                  "the restart did not resume the interrupted page:\n%s", proc_tail(log, TAIL_MAX));
    free(log);

    /* Exactly one escalation, its PagerDuty trigger delivered. */
    json_t *esc = the_escalation();
    json_int_t id = json_integer_value(json_object_get(esc, "id"));
    ck_assert_str_eq(json_string_value(json_object_get(esc, "team")), "payments");
    ck_assert_str_eq(json_string_value(json_object_get(esc, "dedup_key")), first.dedup_key);
    json_decref(esc);
    wait_page_sent(id, "pagerduty", "trigger");
    wait_page_sent(id, "slack", "trigger");
    json_t *detail = escalation_detail(id);
    bool delivered = false;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(detail, "deliveries"), i, d)
    {
        delivered |= json_integer_value(json_object_get(d, "status")) == 202 &&
                     !strcmp(json_string_value(json_object_get(d, "outcome")), "sent");
    }
    ck_assert_msg(delivered, "no delivery recorded with status 202");
    json_decref(detail);

    /* At least once, never more than the interrupted attempt plus one: every PagerDuty
     * request is that trigger; every Slack request is the payments page of that alert. */
    proc_sleep_ms(SETTLE_MS);
    ck_assert_int_eq(fake_paging_count(w.pd), 2);
    size_t n_slack = fake_paging_count(w.slack);
    ck_assert_msg(n_slack >= 1 && n_slack <= 2, "%zu Slack messages", n_slack);
    for (i = 0; i < n_slack; i++) {
        char *text = slack_text(i);
        ck_assert_msg(strstr(text, ALERTNAME) != NULL, "Slack text: %s", text);
        free(text);
        ck_assert(strstr(fake_paging_get(w.slack, i)->body, "7edf8781a54fdfbe") != NULL);
    }

    /* The operator's view after a clean stop. */
    receiver_stop();
    const char *argv[] = {rr_test_binary(), "outbox", "list", "--state",
                          "sent",           "--db",   w.db,   NULL};
    char *out = NULL;
    ck_assert_int_eq(run_cli(argv, w.dir, 10000, &out), 0);
    bool listed = false;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char sid[32], state[32], channel[32], kind[32], team[64];
        if (sscanf(line, "%31s %31s %31s %31s %63s", sid, state, channel, kind, team) == 5 &&
            !strcmp(state, "sent") && !strcmp(channel, "pagerduty") && !strcmp(kind, "trigger") &&
            !strcmp(team, "payments"))
            listed = strstr(line, ALERTNAME) != NULL;
    }
    ck_assert_msg(listed, "outbox list --state sent shows no sent PagerDuty trigger:\n%s", out);
    free(out);
    world_teardown();
}
END_TEST

/* (b) Alertmanager in front: one page per channel, repeats page nothing, one resolve. */
START_TEST(test_alertmanager_pages_once_resolves_once)
{
    world_setup(true, true);
    receiver_start();
    am_start("2s");
    char fp[17];
    fixture_fingerprint(fp);
    int64_t starts = rr_clock_wall_ms() - 5000;
    am_post_fixture(starts, 0);

    /* The trigger: one valid PagerDuty event and one valid Slack message, payments team. */
    wait_fake(w.pd, 1, "PagerDuty trigger");
    wait_fake(w.slack, 1, "Slack page");
    struct pd_event trig = pd_event(0);
    ck_assert_str_eq(trig.action, "trigger");
    ck_assert_str_eq(trig.routing_key, PD_KEY_PAYMENTS);
    ck_assert_msg(strstr(trig.dedup_key, fp) != NULL, "dedup_key %s lacks fingerprint %s",
                  trig.dedup_key, fp);
    char *text = slack_text(0);
    ck_assert_msg(strstr(text, ALERTNAME) != NULL && strstr(text, "payments") != NULL,
                  "Slack text: %s", text);
    free(text);
    ck_assert(strstr(fake_paging_get(w.slack, 0)->body, fp) != NULL);
    json_t *esc = the_escalation();
    json_int_t id = json_integer_value(json_object_get(esc, "id"));
    ck_assert_str_eq(json_string_value(json_object_get(esc, "team")), "payments");
    ck_assert_str_eq(json_string_value(json_object_get(esc, "status")), "open");
    ck_assert_str_eq(json_string_value(json_object_get(esc, "dedup_key")), trig.dedup_key);
    json_decref(esc);

    /* Alertmanager repeats the group every repeat_interval: no second page. */
    wait_metric_at_least(M_DUPLICATE, 2);
    proc_sleep_ms(SETTLE_MS);
    ck_assert_int_eq(fake_paging_count(w.pd), 1);
    ck_assert_int_eq(fake_paging_count(w.slack), 1);

    /* Resolved (endsAt in the past): one PagerDuty resolve with the trigger's keys, one
     * Slack "resolved" message. */
    am_post_fixture(starts, rr_clock_wall_ms() - 1000);
    wait_fake(w.pd, 2, "PagerDuty resolve");
    wait_fake(w.slack, 2, "Slack resolved message");
    struct pd_event res = pd_event(1);
    ck_assert_str_eq(res.action, "resolve");
    ck_assert_str_eq(res.dedup_key, trig.dedup_key);
    ck_assert_str_eq(res.routing_key, trig.routing_key);
    text = slack_text(1);
    ck_assert_msg(strstr(text, "Resolved") != NULL && strstr(text, ALERTNAME) != NULL,
                  "Slack resolved text: %s", text);
    free(text);
    /* Longer than a group_interval tick and a repeat: Alertmanager would have sent again. */
    proc_sleep_ms(2500);
    ck_assert_int_eq(fake_paging_count(w.pd), 2);
    ck_assert_int_eq(fake_paging_count(w.slack), 2);
    esc = the_escalation();
    ck_assert_int_eq(json_integer_value(json_object_get(esc, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(esc, "status")), "resolved");
    json_decref(esc);
    wait_page_sent(id, "pagerduty", "resolve");
    wait_page_sent(id, "slack", "resolve");
    world_teardown();
}
END_TEST

/* (c) No secret in the environment: dry run, pages in the log, nothing sent. */
START_TEST(test_newcomer_dry_run_logs_pages)
{
    world_setup(false, false);
    receiver_start();
    char *log = receiver_log();
    ck_assert_msg(strstr(log, "dry run: no Slack or PagerDuty secret is set") != NULL,
                  "serve did not say it runs in dry run:\n%s", proc_tail(log, TAIL_MAX));
    free(log);
    post_webhook_fixture("e2e-paging/webhook-critical.json");

    /* One "page (dry run)" line per channel of the payments team's critical policy. */
    bool slack = false, pd = false;
    int64_t deadline = proc_mono_ms() + WAIT_TIMEOUT_MS;
    while (!(slack && pd) && proc_mono_ms() < deadline) {
        log = receiver_log();
        for (char *save = NULL, *line = strtok_r(log, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            if (!strstr(line, "msg=\"page (dry run)\"") || !strstr(line, " team=payments ") ||
                !strstr(line, ALERTNAME) || !strstr(line, " kind=trigger "))
                continue;
            slack |= strstr(line, " channel=slack ") != NULL;
            pd |= strstr(line, " channel=pagerduty ") != NULL;
        }
        free(log);
        if (!(slack && pd))
            proc_sleep_ms(POLL_MS);
    }
    log = receiver_log();
    ck_assert_msg(slack && pd, "no \"page (dry run)\" line for slack (%d) / pagerduty (%d):\n%s",
                  slack, pd, proc_tail(log, TAIL_MAX));
    free(log);
    proc_sleep_ms(SETTLE_MS);
    ck_assert_int_eq(fake_paging_count(w.slack), 0);
    ck_assert_int_eq(fake_paging_count(w.pd), 0);
    json_t *esc = the_escalation(); /* the escalation exists; only the sending is dry */
    ck_assert_str_eq(json_string_value(json_object_get(esc, "team")), "payments");
    json_decref(esc);
    receiver_stop();
    world_teardown();
}
END_TEST

static Suite *paging_suite(void)
{
    Suite *s = suite_create("e2e.paging");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"kill9", test_kill9_mid_send_resends_same_dedup_key},
        {"alertmanager", test_alertmanager_pages_once_resolves_once},
        {"dryrun", test_newcomer_dry_run_logs_pages},
    };
    /* One tcase per test, so that the clean-up after a failure runs before the next test. */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 90);
        tcase_add_unchecked_fixture(tc, NULL, reap_orphans);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

/* Once the run's directory exists: the registry of spawned pids lives in it. */
static void registry_init(const char *base)
{
    snprintf(registry_path, sizeof registry_path, "%s/children.pids", base);
}

int main(void)
{
    /* Children of a failed test are re-parented here, to be stopped by reap_orphans. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return proc_main(paging_suite, "rr-e2e-paging", registry_init, reap_orphans);
}

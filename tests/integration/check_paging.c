/*
 * Paging integration (PRODUCT §7): the real ingest, outbox dispatcher and HTTP API in-process,
 * paging a strict fake Slack and a strict fake PagerDuty (tests/support/fake_paging.h) on
 * loopback. Every test asserts what a user would observe: the requests the vendors received
 * (how many, where, and that every one of them is valid), the escalations API, /metrics, the
 * `outbox` CLI and the log.
 *
 * Slack and PagerDuty are two separate fakes, so a test can script one vendor's answers without
 * caring how the dispatcher interleaves the two. The routing table (tests/fixtures/
 * paging-config) is copied to a temporary directory with the fakes' URLs filled in; PagerDuty
 * routing keys come from the environment (each Check test runs in its own child process).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "rr/buf.h"
#include "rr/clock.h"
#include "rr/dispatch.h"
#include "rr/http.h"
#include "rr/ingest.h"
#include "rr/live.h"
#include "rr/notify.h"

#include "fake_paging.h"
#include "httpc.h"
#include "testlib.h"

#define KEY_PAYMENTS "0123456789abcdefPAYMENTS00000001" /* 32 characters, PD-10 */
#define KEY_SEARCH   "0123456789abcdefSEARCH0000000002"
#define EXTERNAL_URL "http://runbooks.example.test"
#define STARTS_AT    "2026-03-01T10:00:00Z"
#define ENDS_AT      "2026-03-01T10:30:00Z"
#define WAIT_MS      10000 /* upper bound of every wait for something that must happen */
#define QUIET_MS     400   /* how long "nothing more arrives" is watched */
#define BACKOFF_MS   50
#define BACKOFF_MAX  200

struct fixture {
    char *dir;
    char db[512], routing[512], runbooks[512], base[128], log[512];
    struct fake_paging *slack, *pd;
    struct rr_live *live;
    struct rr_dispatch *dispatch;
    struct rr_ingest *ingest;
    struct rr_http *http;
    int saved_stderr; /* -1 unless stderr goes to `log` */
};

static struct fixture fx;

struct start_opts {
    bool dry_run;
    long send_timeout_ms; /* 0: 3000 */
    bool no_keys;         /* leave the PagerDuty routing keys unset */
    bool capture_log;     /* stderr (the log) to fx.log */
    int max_attempts;     /* 0: the dispatcher's default */
};

/* ==== Set-up ==== */

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The line after the one at p, or NULL at the end. */
static const char *next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl + 1 : NULL;
}

/* text with every `from` replaced by `to`; owned. */
static char *replace_all(const char *text, const char *from, const char *to)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 20);
    size_t n = strlen(from);
    for (const char *p = text, *hit; *p; p = hit + n) {
        hit = strstr(p, from);
        if (!hit) {
            ck_assert(rr_buf_puts(&b, p) == RR_OK);
            break;
        }
        ck_assert(rr_buf_append(&b, p, (size_t)(hit - p)) == RR_OK);
        ck_assert(rr_buf_puts(&b, to) == RR_OK);
    }
    ck_assert(rr_buf_append(&b, "", 1) == RR_OK);
    return rr_buf_take(&b);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* The fixture's routing/ with the fakes' URLs filled in, and its runbooks/, under fx.dir. */
static void copy_config(void)
{
    char *src = rr_test_fixture("paging-config");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -r '%s/routing' '%s/runbooks' '%s/'", src, src, fx.dir);
    ck_assert_int_eq(system(cmd), 0);
    char slack[64], pd[64];
    fake_paging_url(fx.slack, "", slack, sizeof slack);
    fake_paging_url(fx.pd, "", pd, sizeof pd);
    static const char *const files[] = {"settings.yml", "teams.yml", "routes.yml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/routing/%s", src, files[i]);
        char *text = rr_test_read_file(path, NULL);
        char *a = replace_all(text, "@SLACK@", slack);
        char *b = replace_all(a, "@PAGERDUTY@", pd);
        snprintf(path, sizeof path, "%s/%s", fx.routing, files[i]);
        write_file(path, b);
        free(text);
        free(a);
        free(b);
    }
    free(src);
}

static void start_with(const struct start_opts *o)
{
    memset(&fx, 0, sizeof fx);
    fx.saved_stderr = -1;
    fx.dir = rr_test_tmpdir();
    snprintf(fx.db, sizeof fx.db, "%s/rr.db", fx.dir);
    snprintf(fx.routing, sizeof fx.routing, "%s/routing", fx.dir);
    snprintf(fx.runbooks, sizeof fx.runbooks, "%s/runbooks", fx.dir);
    snprintf(fx.log, sizeof fx.log, "%s/log", fx.dir);
    if (o->capture_log) {
        fflush(stderr);
        fx.saved_stderr = dup(STDERR_FILENO);
        int fd = open(fx.log, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        ck_assert_int_ge(fd, 0);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    fx.slack = fake_paging_start(FAKE_STRICT_SHOULD);
    fx.pd = fake_paging_start(FAKE_STRICT_SHOULD);
    copy_config();
    if (!o->no_keys) {
        setenv("RR_TEST_PD_PAYMENTS", KEY_PAYMENTS, 1);
        setenv("RR_TEST_PD_SEARCH", KEY_SEARCH, 1);
    } else {
        unsetenv("RR_TEST_PD_PAYMENTS");
        unsetenv("RR_TEST_PD_SEARCH");
    }
    struct rr_diag diag = {{0}};
    ck_assert_msg(rr_live_new(fx.routing, fx.runbooks, &fx.live, &diag) == RR_OK, "%s", diag.msg);
    struct rr_dispatch_options d = {.db_path = fx.db,
                                    .live = fx.live,
                                    .external_url = EXTERNAL_URL,
                                    .dry_run = o->dry_run,
                                    .backoff_ms = BACKOFF_MS,
                                    .backoff_max_ms = BACKOFF_MAX,
                                    .max_attempts = o->max_attempts,
                                    .send_timeout_ms =
                                        o->send_timeout_ms ? o->send_timeout_ms : 3000};
    ck_assert_msg(rr_dispatch_start(&d, &fx.dispatch, &diag) == RR_OK, "%s", diag.msg);
    struct rr_ingest_options io = {.live = fx.live,
                                   .external_url = EXTERNAL_URL,
                                   .on_commit = rr_dispatch_kick,
                                   .on_commit_ctx = fx.dispatch};
    ck_assert_msg(rr_ingest_start(fx.db, &io, &fx.ingest, &diag) == RR_OK, "%s", diag.msg);
    struct rr_http_options ho = {.listen = "127.0.0.1:0",
                                 .max_body_bytes = 8388608,
                                 .ingest = fx.ingest,
                                 .live = fx.live,
                                 .db_path = fx.db};
    ck_assert_msg(rr_http_start(&ho, &fx.http, &diag) == RR_OK, "%s", diag.msg);
    snprintf(fx.base, sizeof fx.base, "http://127.0.0.1:%u", (unsigned)rr_http_port(fx.http));
}

static void start(void)
{
    struct start_opts o = {0};
    start_with(&o);
}

static void restore_stderr(void)
{
    if (fx.saved_stderr < 0)
        return;
    fflush(stderr);
    dup2(fx.saved_stderr, STDERR_FILENO);
    close(fx.saved_stderr);
    fx.saved_stderr = -1;
}

static void stop(void)
{
    rr_http_stop(fx.http);
    rr_ingest_stop(fx.ingest);
    /* The fakes first: stopping them ends any hang, so the dispatcher's last sends return. */
    fake_paging_stop(fx.slack);
    fake_paging_stop(fx.pd);
    rr_dispatch_stop(fx.dispatch);
    rr_live_free(fx.live);
    restore_stderr();
    rr_test_rmtree(fx.dir);
    free(fx.dir);
}

/* ==== Alertmanager payloads ==== */

struct al {
    const char *name;     /* alertname */
    const char *ns;       /* temporal_namespace, or NULL */
    const char *severity; /* or NULL */
    const char *team;     /* team label, or NULL */
    unsigned fp;          /* the fingerprint, as a number */
    bool resolved;
};

static const char *fingerprint(unsigned fp, char *buf, size_t cap)
{
    snprintf(buf, cap, "%016x", fp);
    return buf;
}

/* A version 4 webhook body carrying alerts a[0..n); owned. */
static char *payload(const struct al *a, size_t n)
{
    json_t *alerts = json_array();
    bool all_resolved = true;
    for (size_t i = 0; i < n; i++) {
        json_t *labels = json_pack("{s:s}", "alertname", a[i].name);
        if (a[i].ns)
            json_object_set_new(labels, "temporal_namespace", json_string(a[i].ns));
        if (a[i].severity)
            json_object_set_new(labels, "severity", json_string(a[i].severity));
        if (a[i].team)
            json_object_set_new(labels, "team", json_string(a[i].team));
        char summary[256], fp[32];
        snprintf(summary, sizeof summary, "%s is firing in %s", a[i].name,
                 a[i].ns ? a[i].ns : "the cluster");
        json_array_append_new(
            alerts,
            json_pack("{s:s, s:o, s:{s:s, s:s}, s:s, s:s, s:s, s:s}", "status",
                      a[i].resolved ? "resolved" : "firing", "labels", labels, "annotations",
                      "summary", summary, "description", "Seen by check_paging.", "startsAt",
                      STARTS_AT, "endsAt", a[i].resolved ? ENDS_AT : "0001-01-01T00:00:00Z",
                      "generatorURL", "http://prometheus.example.test/graph?g0.expr=up",
                      "fingerprint", fingerprint(a[i].fp, fp, sizeof fp)));
        all_resolved &= a[i].resolved;
    }
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{}, s:{}, s:s, s:i, s:o}", "version", "4", "status",
                  all_resolved ? "resolved" : "firing", "receiver", "runbook-router", "groupKey",
                  "{}:{}", "groupLabels", "commonLabels", "commonAnnotations", "externalURL",
                  "http://alertmanager.test", "truncatedAlerts", 0, "alerts", alerts);
    ck_assert_ptr_nonnull(body);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static const char *url(const char *path)
{
    static _Thread_local char buf[4][1024];
    static _Thread_local int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s%s", fx.base, path);
    return buf[i];
}

static void post(const struct al *a, size_t n)
{
    char *body = payload(a, n);
    struct httpc_resp r;
    httpc_post_json(url("/webhook"), body, strlen(body), &r);
    ck_assert_msg(r.code == 200, "webhook: %ld %s", r.code, r.body ? r.body : r.error);
    httpc_resp_release(&r);
    free(body);
}

/* ==== The API, metrics and the CLI ==== */

/* GET path, expecting want; the parsed body (caller json_decref()s). */
static json_t *get_json(const char *path, long want)
{
    struct httpc_resp r;
    httpc_get(url(path), &r);
    ck_assert_msg(r.code == want, "GET %s: want %ld, got %ld %s", path, want, r.code,
                  r.body ? r.body : r.error);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "GET %s: not JSON: %s", path, r.body);
    httpc_resp_release(&r);
    return j;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static json_int_t num(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static json_t *escalations(const char *query)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/escalations%s", query);
    return get_json(path, 200);
}

static json_t *escalation(json_int_t id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/escalations/%lld", (long long)id);
    return get_json(path, 200);
}

/* The id of the only escalation of team; fails unless there is exactly one. */
static json_int_t only_escalation(const char *team)
{
    char q[128];
    snprintf(q, sizeof q, "?team=%s", team);
    json_t *l = escalations(q);
    ck_assert_msg(num(l, "total") == 1, "team %s: %lld escalations", team,
                  (long long)num(l, "total"));
    json_int_t id = num(json_array_get(json_object_get(l, "escalations"), 0), "id");
    json_decref(l);
    return id;
}

/* The page of an escalation with this kind and channel (borrowed from e), or NULL. */
static json_t *page_of(json_t *e, const char *kind, const char *channel)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(e, "pages"), i, p)
    {
        if (!strcmp(str(p, "kind"), kind) && !strcmp(str(p, "channel"), channel))
            return p;
    }
    return NULL;
}

/* Polls escalation id until its kind/channel page is in state; returns the escalation. */
static json_t *wait_page_state(json_int_t id, const char *kind, const char *channel,
                               const char *state)
{
    int64_t deadline = rr_clock_mono_ns() + (int64_t)WAIT_MS * 1000000;
    for (;;) {
        json_t *e = escalation(id);
        json_t *p = page_of(e, kind, channel);
        if (p && !strcmp(str(p, "state"), state))
            return e;
        if (rr_clock_mono_ns() > deadline) {
            char *text = json_dumps(e, JSON_COMPACT);
            ck_abort_msg("escalation %lld: no %s %s page in state %s: %s", (long long)id, kind,
                         channel, state, text);
        }
        json_decref(e);
        sleep_us(20000);
    }
}

/* The value of one exposition line ("name{labels}"), -1 when absent. */
static double metric(const char *series)
{
    struct httpc_resp r;
    httpc_get(url("/metrics"), &r);
    ck_assert_int_eq(r.code, 200);
    double v = -1;
    size_t n = strlen(series);
    for (const char *line = r.body; line && *line; line = next_line(line)) {
        if (!strncmp(line, series, n) && line[n] == ' ') {
            v = strtod(line + n + 1, NULL);
            break;
        }
    }
    httpc_resp_release(&r);
    return v;
}

static const char *pages_series(const char *team, const char *channel, const char *result)
{
    static _Thread_local char buf[4][256];
    static _Thread_local int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i],
             "runbook_router_pages_total{team=\"%s\",channel=\"%s\",result=\"%s\"}", team, channel,
             result);
    return buf[i];
}

static void wait_metric(const char *series, double want)
{
    int64_t deadline = rr_clock_mono_ns() + (int64_t)WAIT_MS * 1000000;
    double v;
    while ((v = metric(series)) != want) {
        ck_assert_msg(rr_clock_mono_ns() < deadline, "%s: want %g, still %g", series, want, v);
        sleep_us(20000);
    }
}

/* Runs `runbook-router outbox ARGS --db DB`, which must exit with want; its stdout and stderr
 * into out. */
static void outbox_cli(const char *args, int want, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' outbox %s --db '%s' 2>&1", rr_test_binary(), args, fx.db);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == want,
                  "outbox %s: want exit %d, got status %d:\n%s", args, want, status, out);
}

/* ==== The fakes ==== */

static void wait_requests(struct fake_paging *f, size_t n, const char *what)
{
    ck_assert_msg(fake_paging_wait(f, n, WAIT_MS), "%s: want %zu requests, got %zu", what, n,
                  fake_paging_count(f));
}

/* Nothing more than n requests arrives for a while. */
static void assert_quiet(struct fake_paging *f, size_t n, const char *what)
{
    sleep_us(QUIET_MS * 1000);
    ck_assert_msg(fake_paging_count(f) == n, "%s: want exactly %zu requests, got %zu", what, n,
                  fake_paging_count(f));
}

/* Every request either fake received obeys paging-apis.md §E (strict). */
static void assert_all_valid(void)
{
    struct fake_paging *fakes[] = {fx.slack, fx.pd};
    for (size_t k = 0; k < 2; k++) {
        const struct fake_request *r;
        for (size_t i = 0; (r = fake_paging_get(fakes[k], i)); i++)
            ck_assert_msg(r->valid, "%s request %zu to %s is invalid: %s: %s",
                          k ? "PagerDuty" : "Slack", i, r->path, r->why, r->body);
    }
}

static const struct fake_request *req(struct fake_paging *f, size_t i)
{
    const struct fake_request *r = fake_paging_get(f, i);
    ck_assert_msg(r != NULL, "no request %zu", i);
    return r;
}

static json_t *req_json(struct fake_paging *f, size_t i)
{
    json_t *j = json_loads(req(f, i)->body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    return j;
}

static double gap_ms(const struct fake_request *a, const struct fake_request *b)
{
    return (double)(b->arrived_ns - a->arrived_ns) / 1e6;
}

static void collect_strings(const json_t *j, struct rr_buf *out)
{
    if (json_is_string(j)) {
        ck_assert(rr_buf_puts(out, json_string_value(j)) == RR_OK);
        ck_assert(rr_buf_puts(out, "\n") == RR_OK);
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)(uintptr_t)j, k, v)
        {
            collect_strings(v, out);
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            collect_strings(v, out);
        }
    }
}

/* Every string of a Slack message (text, blocks, buttons) joined: what a reader can see. */
static char *slack_words(struct fake_paging *f, size_t i)
{
    json_t *j = req_json(f, i);
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 20);
    collect_strings(j, &b);
    ck_assert(rr_buf_append(&b, "", 1) == RR_OK);
    json_decref(j);
    return rr_buf_take(&b);
}

/* The plain text of a Slack message's header block. */
static char *slack_header(struct fake_paging *f, size_t i)
{
    json_t *j = req_json(f, i);
    json_t *h = json_array_get(json_object_get(j, "blocks"), 0);
    ck_assert_str_eq(str(h, "type"), "header");
    char *text = rr_xstrdup(str(json_object_get(h, "text"), "text"));
    json_decref(j);
    return text;
}

/* The index of the request whose path is path, or -1. */
static int find_path(struct fake_paging *f, const char *path)
{
    const struct fake_request *r;
    for (size_t i = 0; (r = fake_paging_get(f, i)); i++)
        if (!strcmp(r->path, path))
            return (int)i;
    return -1;
}

static void assert_contains(const char *hay, const char *needle, const char *what)
{
    ck_assert_msg(hay && strstr(hay, needle), "%s: \"%s\" not in: %s", what, needle,
                  hay ? hay : "(null)");
}

/* ==== 1. Happy path ==== */

START_TEST(test_critical_pages_pagerduty_and_slack)
{
    start();
    struct al a = {"TemporalWorkflowFailed", "payments-prod", "critical", NULL, 0x101, false};
    post(&a, 1);
    wait_requests(fx.pd, 1, "PagerDuty");
    wait_requests(fx.slack, 1, "Slack");
    assert_quiet(fx.pd, 1, "PagerDuty");
    assert_quiet(fx.slack, 1, "Slack");
    assert_all_valid();

    json_int_t id = only_escalation("payments");
    json_t *e = wait_page_state(id, "trigger", "slack", "sent");
    json_decref(e);
    e = wait_page_state(id, "trigger", "pagerduty", "sent");
    ck_assert_str_eq(str(e, "status"), "open");
    ck_assert_str_eq(str(e, "layer"), "application");
    ck_assert_str_eq(str(e, "runbook"), "temporal-workflow");
    json_t *ch = json_object_get(e, "channels");
    ck_assert_int_eq(json_array_size(ch), 2);
    ck_assert_str_eq(json_string_value(json_array_get(ch, 0)), "pagerduty");
    ck_assert_str_eq(json_string_value(json_array_get(ch, 1)), "slack");
    const char *dedup = str(e, "dedup_key");
    ck_assert_str_eq(dedup, "runbook-router/0000000000000101/" STARTS_AT);

    /* PagerDuty: a trigger with the deterministic key, the key from the environment, the
     * runbook in links and the decision in custom_details. */
    const struct fake_request *r = req(fx.pd, 0);
    ck_assert_str_eq(r->path, "/pagerduty");
    ck_assert_int_eq(r->status, 202);
    json_t *ev = req_json(fx.pd, 0);
    ck_assert_str_eq(str(ev, "event_action"), "trigger");
    ck_assert_str_eq(str(ev, "routing_key"), KEY_PAYMENTS);
    ck_assert_str_eq(str(ev, "dedup_key"), dedup);
    ck_assert_str_eq(str(json_object_get(ev, "payload"), "severity"), "critical");
    bool runbook_linked = false;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(ev, "links"), i, l)
    {
        runbook_linked |= !strcmp(str(l, "href"), EXTERNAL_URL "/runbooks/temporal-workflow");
    }
    ck_assert_msg(runbook_linked, "no runbook link in %s", r->body);
    json_t *dec = json_object_get(json_object_get(json_object_get(ev, "payload"), "custom_details"),
                                  "decision");
    ck_assert(json_is_object(dec));
    ck_assert_str_eq(str(dec, "team"), "payments");
    ck_assert_str_eq(str(dec, "layer"), "application");
    ck_assert_str_eq(str(dec, "route"), "workflow");
    ck_assert_str_eq(str(dec, "runbook"), "temporal-workflow");
    ck_assert(json_equal(dec, json_object_get(e, "decision")));
    json_decref(ev);

    /* Slack: the header names the alert; the runbook link and "why you" evidence are there. */
    r = req(fx.slack, 0);
    ck_assert_str_eq(r->path, "/slack/payments");
    ck_assert_int_eq(r->status, 200);
    char *header = slack_header(fx.slack, 0);
    assert_contains(header, "TemporalWorkflowFailed", "Slack header");
    char *words = slack_words(fx.slack, 0);
    assert_contains(words, EXTERNAL_URL "/runbooks/temporal-workflow", "Slack page");
    assert_contains(words, "Open the failing workflow in the Temporal UI", "Slack page");
    assert_contains(words, "Why you", "Slack page");
    json_t *evidence = json_object_get(json_object_get(e, "decision"), "evidence");
    ck_assert_int_gt(json_array_size(evidence), 0);
    assert_contains(words, json_string_value(json_array_get(evidence, 0)), "Slack page");
    free(header);
    free(words);

    /* Deliveries: one attempt each, delivered. */
    json_t *ds = json_object_get(e, "deliveries");
    ck_assert_int_eq(json_array_size(ds), 2);
    json_t *d;
    json_array_foreach(ds, i, d)
    {
        ck_assert_str_eq(str(d, "outcome"), "sent");
        ck_assert_int_eq(num(d, "attempt"), 1);
    }
    json_t *p;
    json_array_foreach(json_object_get(e, "pages"), i, p)
    {
        ck_assert_str_eq(str(p, "result"), "sent");
        ck_assert_int_eq(num(p, "attempts"), 1);
    }
    json_decref(e);

    wait_metric(pages_series("payments", "pagerduty", "sent"), 1);
    wait_metric(pages_series("payments", "slack", "sent"), 1);
    wait_metric("runbook_router_outbox_pending", 0);
    ck_assert(metric("runbook_router_page_delivery_seconds_count") == 2);
    ck_assert(metric("runbook_router_escalations_total") == 1);
    stop();
}
END_TEST

/* ==== 2. Outage, then recovery ==== */

START_TEST(test_outage_retried_with_growing_gaps)
{
    start();
    fake_paging_fail_until(fx.slack, 3, 503, NULL);
    struct al a = {"TemporalWorkflowFailed", "orders-prod", "warning", NULL, 0x201, false};
    post(&a, 1);
    wait_requests(fx.slack, 4, "Slack");
    assert_quiet(fx.slack, 4, "Slack");
    assert_all_valid();
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(req(fx.slack, i)->path, "/slack/orders");
        ck_assert_int_eq(req(fx.slack, i)->status, i < 3 ? 503 : 200);
    }
    /* Exponential backoff with ±20 % jitter: 50, 100, 200 ms at least 40, 80, 160. */
    double g1 = gap_ms(req(fx.slack, 0), req(fx.slack, 1));
    double g2 = gap_ms(req(fx.slack, 1), req(fx.slack, 2));
    double g3 = gap_ms(req(fx.slack, 2), req(fx.slack, 3));
    ck_assert_msg(g1 >= 0.8 * BACKOFF_MS && g2 >= 1.6 * BACKOFF_MS && g3 >= 3.2 * BACKOFF_MS,
                  "gaps %.1f %.1f %.1f ms", g1, g2, g3);
    ck_assert_msg(g3 > g1, "gaps do not grow: %.1f %.1f %.1f ms", g1, g2, g3);

    json_int_t id = only_escalation("orders");
    json_t *e = wait_page_state(id, "trigger", "slack", "sent");
    json_t *p = page_of(e, "trigger", "slack");
    ck_assert_int_eq(num(p, "attempts"), 4);
    ck_assert_str_eq(str(p, "result"), "sent");
    json_t *ds = json_object_get(e, "deliveries");
    ck_assert_int_eq(json_array_size(ds), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *d = json_array_get(ds, i);
        ck_assert_int_eq(num(d, "attempt"), (json_int_t)i + 1);
        ck_assert_int_eq(num(d, "status"), i < 3 ? 503 : 200);
        ck_assert_str_eq(str(d, "outcome"), i < 3 ? "retry" : "sent");
    }
    json_decref(e);
    wait_metric(pages_series("orders", "slack", "sent"), 1);
    ck_assert(metric(pages_series("orders", "slack", "failed")) == -1);
    wait_metric("runbook_router_outbox_pending", 0);
    stop();
}
END_TEST

/* ==== 3. Retry-After ==== */

START_TEST(test_retry_after_honoured)
{
    start();
    struct fake_response rl = {.status = 429, .retry_after = "1"};
    fake_paging_script(fx.slack, &rl);
    struct al a = {"TemporalWorkflowFailed", "orders-prod", "warning", NULL, 0x301, false};
    post(&a, 1);
    wait_requests(fx.slack, 2, "Slack");
    assert_all_valid();
    ck_assert_int_eq(req(fx.slack, 0)->status, 429);
    ck_assert_int_eq(req(fx.slack, 1)->status, 200);
    double g = gap_ms(req(fx.slack, 0), req(fx.slack, 1));
    ck_assert_msg(g >= 1000, "second attempt %.1f ms after the 429, before Retry-After: 1", g);
    json_int_t id = only_escalation("orders");
    json_t *e = wait_page_state(id, "trigger", "slack", "sent");
    json_t *d = json_array_get(json_object_get(e, "deliveries"), 0);
    ck_assert_int_eq(num(d, "status"), 429);
    ck_assert_str_eq(str(d, "outcome"), "retry");
    json_decref(e);
    assert_quiet(fx.slack, 2, "Slack");
    stop();
}
END_TEST

/* ==== 4. Dead letters and the fallback notice ==== */

/* The id of the first `outbox list` row whose line holds all of the words, or 0. */
static long long cli_row(const char *listing, const char *w1, const char *w2, const char *w3)
{
    for (const char *line = listing; line && *line; line = next_line(line)) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char one[2048];
        snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), line);
        if (strstr(one, w1) && strstr(one, w2) && strstr(one, w3))
            return strtoll(one, NULL, 10);
    }
    return 0;
}

START_TEST(test_permanent_failure_dead_letter_and_fallback)
{
    start();
    /* search pages PagerDuty only; PagerDuty refuses the trigger for good. */
    struct fake_response bad = {.status = 400};
    fake_paging_script(fx.pd, &bad);
    struct al a = {"TemporalWorkflowFailed", "search-prod", "critical", NULL, 0x401, false};
    post(&a, 1);
    wait_requests(fx.slack, 1, "Slack fallback");
    assert_quiet(fx.pd, 1, "PagerDuty");
    assert_quiet(fx.slack, 1, "Slack");
    ck_assert_int_eq(req(fx.pd, 0)->status, 400);
    ck_assert_str_eq(req(fx.slack, 0)->path, "/slack/platform");
    char *words = slack_words(fx.slack, 0);
    assert_contains(words, "search", "fallback");
    assert_contains(words, "pagerduty", "fallback");
    assert_contains(words, "HTTP 400", "fallback");
    assert_contains(words, "TemporalWorkflowFailed", "fallback");
    ck_assert_msg(!strstr(words, KEY_SEARCH), "the fallback shows the routing key");
    free(words);

    json_int_t id = only_escalation("search");
    json_t *e = wait_page_state(id, "trigger", "pagerduty", "dead");
    json_t *p = page_of(e, "trigger", "pagerduty");
    ck_assert_str_eq(str(p, "result"), "failed");
    ck_assert_int_eq(num(p, "attempts"), 1);
    assert_contains(str(p, "lastError"), "HTTP 400", "lastError");
    json_decref(e);
    e = wait_page_state(id, "fallback", "slack", "sent");
    ck_assert_str_eq(str(page_of(e, "fallback", "slack"), "team"), "temporal-platform");
    json_decref(e);
    wait_metric(pages_series("search", "pagerduty", "failed"), 1);
    wait_metric(pages_series("temporal-platform", "slack", "sent"), 1);

    /* The fallback target refuses too: that failure sends no further notice. */
    fake_paging_script(fx.pd, &bad);
    fake_paging_script(fx.slack, &bad);
    struct al b = {"TemporalWorkflowStuck", "search-prod", "critical", NULL, 0x402, false};
    post(&b, 1);
    wait_requests(fx.slack, 2, "Slack fallback");
    assert_quiet(fx.pd, 2, "PagerDuty");
    assert_quiet(fx.slack, 2, "Slack");
    ck_assert_int_eq(req(fx.slack, 1)->status, 400);
    wait_metric(pages_series("temporal-platform", "slack", "failed"), 1);
    wait_metric(pages_series("search", "pagerduty", "failed"), 2);
    assert_all_valid();

    /* The operator sees the dead letters and sends the first one again. */
    char out[16384];
    outbox_cli("list --state dead", 0, out, sizeof out);
    long long dead = cli_row(out, "TemporalWorkflowFailed", "pagerduty", "dead");
    ck_assert_msg(dead > 0, "no dead PagerDuty row in:\n%s", out);
    ck_assert_msg(cli_row(out, "TemporalWorkflowStuck", "pagerduty", "dead") > 0, "%s", out);
    ck_assert_msg(cli_row(out, "fallback", "temporal-platform", "dead") > 0, "%s", out);
    ck_assert_msg(!strstr(out, KEY_SEARCH), "outbox list shows the routing key");
    char args[64];
    snprintf(args, sizeof args, "retry %lld", dead);
    outbox_cli(args, 0, out, sizeof out);
    assert_contains(out, "queued again", "outbox retry");
    wait_requests(fx.pd, 3, "PagerDuty after retry");
    ck_assert_int_eq(req(fx.pd, 2)->status, 202);
    json_t *first = req_json(fx.pd, 0), *again = req_json(fx.pd, 2);
    ck_assert_str_eq(str(again, "dedup_key"), str(first, "dedup_key"));
    json_decref(first);
    json_decref(again);
    e = wait_page_state(id, "trigger", "pagerduty", "sent");
    json_decref(e);
    wait_metric(pages_series("search", "pagerduty", "sent"), 1);
    outbox_cli("list --state dead", 0, out, sizeof out);
    ck_assert_msg(cli_row(out, "TemporalWorkflowFailed", "pagerduty", "dead") == 0, "%s", out);
    /* Retrying something that is not dead or pending is refused. */
    outbox_cli(args, 1, out, sizeof out);
    assert_quiet(fx.slack, 2, "Slack");
    assert_quiet(fx.pd, 3, "PagerDuty");
    assert_all_valid();
    stop();
}
END_TEST

/* Transient failures that never end: past the attempt cap the page is a dead letter too. */
START_TEST(test_retry_cap_dead_letter)
{
    struct start_opts o = {.max_attempts = 3};
    start_with(&o);
    fake_paging_fail_until(fx.pd, 1000, 503, NULL);
    struct al a = {"TemporalWorkflowFailed", "search-prod", "critical", NULL, 0x451, false};
    post(&a, 1);
    wait_requests(fx.slack, 1, "Slack fallback");
    assert_quiet(fx.pd, 3, "PagerDuty");
    assert_quiet(fx.slack, 1, "Slack");
    assert_all_valid();
    ck_assert_str_eq(req(fx.slack, 0)->path, "/slack/platform");
    char *words = slack_words(fx.slack, 0);
    assert_contains(words, "search", "fallback");
    assert_contains(words, "HTTP 503", "fallback");
    free(words);
    json_int_t id = only_escalation("search");
    json_t *e = wait_page_state(id, "trigger", "pagerduty", "dead");
    ck_assert_int_eq(num(page_of(e, "trigger", "pagerduty"), "attempts"), 3);
    json_t *ds = json_object_get(e, "deliveries");
    size_t n = 0, i;
    json_t *d;
    json_array_foreach(ds, i, d)
    {
        if (!strcmp(str(d, "outcome"), "retry") && num(d, "status") == 503)
            n++;
    }
    ck_assert_int_eq(n, 3);
    json_decref(e);
    wait_metric(pages_series("search", "pagerduty", "failed"), 1);
    wait_metric("runbook_router_outbox_pending", 0);
    stop();
}
END_TEST

/* ==== 5. Repeats and resolve ==== */

START_TEST(test_repeats_never_page_twice_resolve_once)
{
    start();
    struct al a = {"TemporalWorkflowFailed", "payments-prod", "critical", NULL, 0x501, false};
    for (int i = 0; i < 3; i++)
        post(&a, 1);
    wait_requests(fx.pd, 1, "PagerDuty");
    wait_requests(fx.slack, 1, "Slack");
    assert_quiet(fx.pd, 1, "PagerDuty");
    assert_quiet(fx.slack, 1, "Slack");
    json_int_t id = only_escalation("payments");
    json_decref(wait_page_state(id, "trigger", "slack", "sent"));
    json_decref(wait_page_state(id, "trigger", "pagerduty", "sent"));

    a.resolved = true;
    post(&a, 1);
    wait_requests(fx.pd, 2, "PagerDuty resolve");
    wait_requests(fx.slack, 2, "Slack resolved");
    json_t *trigger = req_json(fx.pd, 0), *resolve = req_json(fx.pd, 1);
    ck_assert_str_eq(str(resolve, "event_action"), "resolve");
    ck_assert_str_eq(str(resolve, "dedup_key"), str(trigger, "dedup_key"));
    ck_assert_str_eq(str(resolve, "routing_key"), str(trigger, "routing_key"));
    json_decref(trigger);
    json_decref(resolve);
    ck_assert_str_eq(req(fx.slack, 1)->path, "/slack/payments");
    char *words = slack_words(fx.slack, 1);
    assert_contains(words, "Resolved", "Slack resolved message");
    assert_contains(words, "TemporalWorkflowFailed", "Slack resolved message");
    free(words);
    json_t *e = wait_page_state(id, "resolve", "pagerduty", "sent");
    json_decref(e);
    e = wait_page_state(id, "resolve", "slack", "sent");
    ck_assert_str_eq(str(e, "status"), "resolved");
    ck_assert_ptr_nonnull(str(e, "resolvedAt"));
    json_decref(e);

    post(&a, 1); /* the resolved notification again */
    assert_quiet(fx.pd, 2, "PagerDuty");
    assert_quiet(fx.slack, 2, "Slack");
    assert_all_valid();
    wait_metric(pages_series("payments", "pagerduty", "sent"), 2);
    wait_metric(pages_series("payments", "slack", "sent"), 2);
    ck_assert(metric("runbook_router_alerts_duplicate_total") == 3);
    stop();
}
END_TEST

/* A resolve written while its trigger is still being retried must not overtake it: PagerDuty
 * drops a resolve for an alert it does not have, and the trigger arriving after it would open
 * an incident nothing ever resolves. */
START_TEST(test_resolve_waits_for_its_trigger)
{
    start();
    struct fake_response slow = {.status = 503, .retry_after = "1"};
    fake_paging_script(fx.pd, &slow);
    struct al a = {"TemporalWorkflowFailed", "search-prod", "critical", NULL, 0x551, false};
    post(&a, 1);
    wait_requests(fx.pd, 1, "PagerDuty");
    a.resolved = true;
    post(&a, 1);
    wait_requests(fx.pd, 3, "PagerDuty");
    assert_quiet(fx.pd, 3, "PagerDuty");
    assert_all_valid();
    static const char *const want[] = {"trigger", "trigger", "resolve"};
    for (size_t i = 0; i < 3; i++) {
        json_t *j = req_json(fx.pd, i);
        ck_assert_msg(!strcmp(str(j, "event_action"), want[i]), "request %zu is a %s, want %s", i,
                      str(j, "event_action"), want[i]);
        json_decref(j);
    }
    ck_assert_int_eq(req(fx.pd, 1)->status, 202);
    ck_assert_int_eq(req(fx.pd, 2)->status, 202);
    json_int_t id = only_escalation("search");
    json_t *e = wait_page_state(id, "resolve", "pagerduty", "sent");
    ck_assert_str_eq(str(e, "status"), "resolved");
    json_decref(e);
    stop();
}
END_TEST

/* ==== 6. Storms ==== */

START_TEST(test_storm_folds_slack_never_pagerduty)
{
    start();
    struct al a[16];
    char names[16][64];
    for (unsigned i = 0; i < 8; i++) {
        snprintf(names[i], sizeof names[i], "TemporalWorkflowStormOrders%u", i + 1);
        a[i] = (struct al){names[i], "orders-prod", "warning", NULL, 0x600 + i, false};
        snprintf(names[8 + i], sizeof names[8 + i], "TemporalWorkflowStormSearch%u", i + 1);
        a[8 + i] = (struct al){names[8 + i], "search-prod", "critical", NULL, 0x610 + i, false};
    }
    int64_t posted = rr_clock_mono_ns();
    post(a, 16);
    /* PagerDuty is never folded: all eight triggers, at once. */
    wait_requests(fx.pd, 8, "PagerDuty");
    /* Slack: the first three of the window, then nothing until it ends. */
    wait_requests(fx.slack, 3, "Slack");
    sleep_us(1000000);
    ck_assert_msg(fake_paging_count(fx.slack) == 3, "Slack: %zu pages before the window ended",
                  fake_paging_count(fx.slack));
    for (size_t i = 0; i < 8; i++)
        ck_assert_msg(req(fx.pd, i)->arrived_ns - posted < 1500000000LL,
                      "PagerDuty trigger %zu waited for the storm window", i);
    wait_requests(fx.slack, 4, "Slack digest");
    const struct fake_request *digest = req(fx.slack, 3);
    double after = (double)(digest->arrived_ns - posted) / 1e6;
    ck_assert_msg(after >= 1950, "digest %.0f ms after the post, before the 2 s window ended",
                  after);
    ck_assert_str_eq(digest->path, "/slack/orders");
    char *header = slack_header(fx.slack, 3);
    assert_contains(header, "5 more pages for orders", "digest header");
    free(header);
    /* The digest names exactly the five alerts that were not paged on their own. */
    char *paged[3];
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(req(fx.slack, i)->path, "/slack/orders");
        paged[i] = slack_header(fx.slack, i);
    }
    char *words = slack_words(fx.slack, 3);
    for (size_t i = 0; i < 8; i++) {
        bool alone = false;
        for (size_t k = 0; k < 3; k++)
            alone |= strstr(paged[k], names[i]) != NULL;
        ck_assert_msg(alone != (strstr(words, names[i]) != NULL),
                      "%s: paged alone %d, in the digest %d", names[i], alone, !alone);
    }
    free(words);
    for (size_t k = 0; k < 3; k++)
        free(paged[k]);
    assert_quiet(fx.slack, 4, "Slack");
    assert_quiet(fx.pd, 8, "PagerDuty");
    assert_all_valid();

    /* Nothing is dropped from the database: every alert and escalation is listed. */
    json_t *all = get_json("/api/v1/alerts?limit=100", 200);
    ck_assert_int_eq(num(all, "total"), 16);
    json_decref(all);
    json_t *l = escalations("?team=orders");
    ck_assert_int_eq(num(l, "total"), 8);
    json_decref(l);
    char out[16384];
    outbox_cli("list --state folded", 0, out, sizeof out);
    int folded = 0;
    for (const char *s = out; (s = strstr(s, " folded ")); s++)
        folded++;
    ck_assert_msg(folded == 5, "%d folded rows:\n%s", folded, out);
    wait_metric(pages_series("orders", "slack", "sent"), 4);
    wait_metric(pages_series("search", "pagerduty", "sent"), 8);
    stop();
}
END_TEST

/* ==== 7. FYI ==== */

START_TEST(test_platform_alert_fyi_to_affected_team)
{
    start();
    struct al a = {
        "TemporalPersistenceLatencyHigh", "payments-prod", "critical", "payments", 0x701, false};
    post(&a, 1);
    wait_requests(fx.slack, 2, "Slack");
    assert_quiet(fx.slack, 2, "Slack");
    assert_quiet(fx.pd, 0, "PagerDuty"); /* payments has PagerDuty: an FYI never uses it */
    assert_all_valid();
    int platform = find_path(fx.slack, "/slack/platform");
    int fyi = find_path(fx.slack, "/slack/payments");
    ck_assert_msg(platform >= 0 && fyi >= 0, "want one page to platform, one FYI to payments");
    char *header = slack_header(fx.slack, (size_t)platform);
    assert_contains(header, "TemporalPersistenceLatencyHigh", "platform page");
    free(header);
    header = slack_header(fx.slack, (size_t)fyi);
    assert_contains(header, "FYI", "FYI header");
    free(header);
    char *words = slack_words(fx.slack, (size_t)fyi);
    assert_contains(words, "temporal-platform", "FYI");
    assert_contains(words, "TemporalPersistenceLatencyHigh", "FYI");
    free(words);

    /* One escalation, the platform team's; the FYI is not one. */
    json_t *l = escalations("");
    ck_assert_int_eq(num(l, "total"), 1);
    json_decref(l);
    json_int_t id = only_escalation("temporal-platform");
    l = escalations("?team=payments");
    ck_assert_int_eq(num(l, "total"), 0);
    json_decref(l);
    json_t *e = wait_page_state(id, "trigger", "slack", "sent");
    ck_assert_str_eq(str(e, "layer"), "platform");
    ck_assert_str_eq(str(json_object_get(e, "decision"), "affected_team"), "payments");
    ck_assert_int_eq(json_array_size(json_object_get(e, "pages")), 1);
    json_decref(e);
    wait_metric(pages_series("temporal-platform", "slack", "sent"), 1);
    wait_metric(pages_series("payments", "slack", "sent"), 1);
    ck_assert(metric(pages_series("payments", "pagerduty", "sent")) == -1);
    stop();
}
END_TEST

/* ==== 8. A hanging endpoint ==== */

START_TEST(test_hung_endpoint_retried_others_not_held)
{
    const long timeout_ms = 1500;
    struct start_opts o = {.send_timeout_ms = timeout_ms};
    start_with(&o);
    struct fake_response hang = {.status = 0, .hang_ms = 3 * timeout_ms};
    fake_paging_script(fx.slack, &hang);
    struct al stuck = {"TemporalWorkflowFailed", "orders-prod", "warning", NULL, 0x801, false};
    post(&stuck, 1);
    wait_requests(fx.slack, 1, "Slack (hanging)");
    struct al other = {"TemporalWorkflowFailed", "payments-prod", "warning", NULL, 0x802, false};
    post(&other, 1);
    wait_requests(fx.slack, 2, "Slack");
    ck_assert_str_eq(req(fx.slack, 0)->path, "/slack/orders");
    ck_assert_str_eq(req(fx.slack, 1)->path, "/slack/payments");
    double g = gap_ms(req(fx.slack, 0), req(fx.slack, 1));
    ck_assert_msg(g < (double)timeout_ms, "payments' page waited %.0f ms for the hang", g);
    json_int_t pid = only_escalation("payments");
    json_decref(wait_page_state(pid, "trigger", "slack", "sent"));

    /* The hung page times out, is retried, and is delivered. */
    wait_requests(fx.slack, 3, "Slack retry");
    ck_assert_str_eq(req(fx.slack, 2)->path, "/slack/orders");
    double retry = gap_ms(req(fx.slack, 0), req(fx.slack, 2));
    ck_assert_msg(retry >= (double)timeout_ms, "retried %.0f ms after, before the timeout", retry);
    json_int_t oid = only_escalation("orders");
    json_t *e = wait_page_state(oid, "trigger", "slack", "sent");
    json_t *ds = json_object_get(e, "deliveries");
    ck_assert_int_eq(json_array_size(ds), 2);
    json_t *d0 = json_array_get(ds, 0), *d1 = json_array_get(ds, 1);
    ck_assert_str_eq(str(d0, "outcome"), "retry");
    ck_assert_int_eq(num(d0, "status"), 0);
    assert_contains(str(d0, "detail"), "transport", "timed-out attempt");
    ck_assert_str_eq(str(d1, "outcome"), "sent");
    json_decref(e);
    assert_quiet(fx.slack, 3, "Slack");
    assert_all_valid();
    stop();
}
END_TEST

/* Stopping (SIGTERM) while a send hangs: the dispatcher lets that send finish, and waits for it
 * asleep, not spinning through the database until the send's timeout. */
START_TEST(test_stop_waits_for_hung_send_without_spinning)
{
    const long timeout_ms = 1500;
    struct start_opts o = {.send_timeout_ms = timeout_ms};
    start_with(&o);
    struct fake_response hang = {.status = 0, .hang_ms = 3 * timeout_ms};
    fake_paging_script(fx.slack, &hang);
    struct al a = {"TemporalWorkflowFailed", "orders-prod", "warning", NULL, 0x851, false};
    post(&a, 1);
    wait_requests(fx.slack, 1, "Slack (hanging)");
    rr_http_stop(fx.http);
    rr_ingest_stop(fx.ingest);
    struct rusage before, after;
    ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
    int64_t t0 = rr_clock_mono_ns();
    rr_dispatch_stop(fx.dispatch);
    double waited = (double)(rr_clock_mono_ns() - t0) / 1e6;
    ck_assert_int_eq(getrusage(RUSAGE_SELF, &after), 0);
    double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
                 (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                 (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
                 (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
    ck_assert_msg(waited >= 0.5 * (double)timeout_ms, "stop did not wait for the send: %.0f ms",
                  waited);
    ck_assert_msg(cpu < 0.25 * waited / 1000, "stop burnt %.2f s of CPU in %.2f s", cpu,
                  waited / 1000);
    fake_paging_stop(fx.slack);
    fake_paging_stop(fx.pd);
    rr_live_free(fx.live);
    rr_test_rmtree(fx.dir);
    free(fx.dir);
}
END_TEST

/* ==== 9. Pages that are only logged ==== */

static char *read_log(void)
{
    fflush(stderr);
    return rr_test_read_file(fx.log, NULL);
}

/* The log line holding every word, or NULL (owned). */
static char *log_line(const char *log, const char *w1, const char *w2, const char *w3)
{
    for (const char *line = log; line && *line; line = next_line(line)) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char *one = rr_xmalloc(n + 1);
        memcpy(one, line, n);
        one[n] = '\0';
        if (strstr(one, w1) && strstr(one, w2) && strstr(one, w3))
            return one;
        free(one);
    }
    return NULL;
}

START_TEST(test_unconfigured_channel_is_logged)
{
    struct start_opts o = {.no_keys = true, .capture_log = true};
    start_with(&o);
    struct al a = {"TemporalWorkflowFailed", "search-prod", "critical", NULL, 0x901, false};
    post(&a, 1);
    wait_metric(pages_series("search", "pagerduty", "unconfigured"), 1);
    json_int_t id = only_escalation("search");
    json_t *e = escalation(id);
    json_t *p = page_of(e, "trigger", "pagerduty");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(str(p, "result"), "unconfigured");
    json_decref(e);
    char *log = read_log();
    char *line = log_line(log, "channel unconfigured", "team=search", "channel=pagerduty");
    ck_assert_msg(line != NULL, "no log line for the page in:\n%s", log);
    assert_contains(line, "TemporalWorkflowFailed", "log line");
    free(line);
    free(log);
    assert_quiet(fx.pd, 0, "PagerDuty");
    assert_quiet(fx.slack, 0, "Slack");
    ck_assert(metric(pages_series("search", "pagerduty", "sent")) == -1);
    stop();
}
END_TEST

START_TEST(test_dry_run_sends_nothing)
{
    struct start_opts o = {.dry_run = true, .capture_log = true};
    start_with(&o);
    struct al a = {"TemporalWorkflowFailed", "payments-prod", "critical", NULL, 0x951, false};
    post(&a, 1);
    wait_metric(pages_series("payments", "pagerduty", "dry_run"), 1);
    wait_metric(pages_series("payments", "slack", "dry_run"), 1);
    a.resolved = true;
    post(&a, 1);
    wait_metric(pages_series("payments", "pagerduty", "dry_run"), 2);
    wait_metric(pages_series("payments", "slack", "dry_run"), 2);
    assert_quiet(fx.pd, 0, "PagerDuty");
    assert_quiet(fx.slack, 0, "Slack");
    char *log = read_log();
    char *line = log_line(log, "dry run", "team=payments", "channel=pagerduty");
    ck_assert_msg(line != NULL, "no dry-run log line in:\n%s", log);
    free(line);
    ck_assert_msg(!strstr(log, KEY_PAYMENTS), "the log shows the routing key");
    free(log);
    json_int_t id = only_escalation("payments");
    json_t *e = escalation(id);
    ck_assert_str_eq(str(e, "status"), "resolved");
    ck_assert_str_eq(str(page_of(e, "trigger", "slack"), "result"), "dry_run");
    json_decref(e);
    ck_assert(metric(pages_series("payments", "slack", "sent")) == -1);
    stop();
}
END_TEST

/* ==== 10. The escalations API ==== */

static void assert_bad_filter(const char *query, const char *field)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/escalations%s", query);
    json_t *j = get_json(path, 400);
    ck_assert_str_eq(str(j, "error"), "bad_filter");
    const char *detail = str(j, "detail");
    ck_assert_msg(detail && !strncmp(detail, field, strlen(field)) && detail[strlen(field)] == ':',
                  "%s: detail \"%s\" does not name %s", query, detail, field);
    json_decref(j);
}

static json_int_t total_of(const char *query)
{
    json_t *l = escalations(query);
    json_int_t n = num(l, "total");
    ck_assert_int_eq(json_array_size(json_object_get(l, "escalations")), n < 100 ? n : 100);
    json_decref(l);
    return n;
}

START_TEST(test_escalations_api_filters)
{
    start();
    struct al a[] = {
        {"TemporalWorkflowFailed", "payments-prod", "critical", NULL, 0xa01, false},
        {"TemporalWorkflowFailed", "search-prod", "critical", NULL, 0xa02, false},
        {"TemporalPersistenceLatencyHigh", "orders-prod", "critical", NULL, 0xa03, false},
    };
    post(a, 3);
    a[1].resolved = true;
    post(&a[1], 1);
    ck_assert_int_eq(total_of(""), 3);
    ck_assert_int_eq(total_of("?team=payments"), 1);
    ck_assert_int_eq(total_of("?team=nobody"), 0);
    ck_assert_int_eq(total_of("?layer=platform"), 1);
    ck_assert_int_eq(total_of("?layer=application"), 2);
    ck_assert_int_eq(total_of("?status=open"), 2);
    ck_assert_int_eq(total_of("?status=resolved"), 1);
    ck_assert_int_eq(total_of("?status=rerouted"), 0);
    ck_assert_int_eq(total_of("?misrouted=false"), 3);
    ck_assert_int_eq(total_of("?since=1h"), 3);
    ck_assert_int_eq(total_of("?since=2999-01-01T00:00:00Z"), 0);
    ck_assert_int_eq(total_of("?team=search&status=resolved&layer=application"), 1);
    json_t *l = escalations("?layer=platform");
    json_t *pe = json_array_get(json_object_get(l, "escalations"), 0);
    ck_assert_str_eq(str(pe, "team"), "temporal-platform");
    ck_assert_str_eq(str(json_object_get(pe, "alert"), "alertname"),
                     "TemporalPersistenceLatencyHigh");
    json_decref(l);
    l = escalations("?status=resolved");
    ck_assert_str_eq(str(json_array_get(json_object_get(l, "escalations"), 0), "team"), "search");
    json_decref(l);

    /* limit: total counts before it; newest first. */
    l = escalations("?limit=1");
    ck_assert_int_eq(num(l, "total"), 3);
    ck_assert_int_eq(json_array_size(json_object_get(l, "escalations")), 1);
    json_int_t newest = num(json_array_get(json_object_get(l, "escalations"), 0), "id");
    json_decref(l);
    l = escalations("?limit=1&offset=1");
    ck_assert_int_eq(json_array_size(json_object_get(l, "escalations")), 1);
    ck_assert_int_lt(num(json_array_get(json_object_get(l, "escalations"), 0), "id"), newest);
    json_decref(l);

    assert_bad_filter("?layer=database", "layer");
    assert_bad_filter("?status=closed", "status");
    assert_bad_filter("?misrouted=maybe", "misrouted");
    assert_bad_filter("?since=yesterday", "since");
    assert_bad_filter("?limit=0", "limit");
    assert_bad_filter("?limit=10001", "limit");
    assert_bad_filter("?offset=-1", "offset");
    assert_bad_filter("?colour=red", "colour");

    json_t *j = get_json("/api/v1/escalations/999999", 404);
    ck_assert_str_eq(str(j, "error"), "not_found");
    json_decref(j);
    static const char *const bad_ids[] = {"abc", "12abc", "0", "-3"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/escalations/%s", bad_ids[i]);
        j = get_json(path, 400);
        ck_assert_str_eq(str(j, "error"), "bad_request");
        json_decref(j);
    }

    /* One escalation: its alert, decision and runbook. */
    json_t *e = escalation(newest);
    ck_assert_int_eq(num(e, "id"), newest);
    ck_assert(json_is_object(json_object_get(e, "decision")));
    ck_assert(json_is_object(json_object_get(json_object_get(e, "alert"), "labels")));
    ck_assert(json_is_array(json_object_get(e, "pages")));
    ck_assert(json_is_array(json_object_get(e, "deliveries")));
    ck_assert(json_is_array(json_object_get(e, "reroutes")));
    json_decref(e);
    stop();
}
END_TEST

static Suite *paging_suite(void)
{
    Suite *s = suite_create("paging");
    TCase *tc = tcase_create("paging");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_critical_pages_pagerduty_and_slack);
    tcase_add_test(tc, test_outage_retried_with_growing_gaps);
    tcase_add_test(tc, test_retry_after_honoured);
    tcase_add_test(tc, test_permanent_failure_dead_letter_and_fallback);
    tcase_add_test(tc, test_retry_cap_dead_letter);
    tcase_add_test(tc, test_repeats_never_page_twice_resolve_once);
    tcase_add_test(tc, test_resolve_waits_for_its_trigger);
    tcase_add_test(tc, test_storm_folds_slack_never_pagerduty);
    tcase_add_test(tc, test_platform_alert_fyi_to_affected_team);
    tcase_add_test(tc, test_hung_endpoint_retried_others_not_held);
    tcase_add_test(tc, test_stop_waits_for_hung_send_without_spinning);
    tcase_add_test(tc, test_unconfigured_channel_is_logged);
    tcase_add_test(tc, test_dry_run_sends_nothing);
    tcase_add_test(tc, test_escalations_api_filters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    rr_notify_global_init(); /* before any thread, as serve does */
    SRunner *sr = srunner_create(paging_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

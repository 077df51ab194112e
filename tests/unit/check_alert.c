/*
 * check_alert: the webhook parser against real Alertmanager captures (tests/fixtures/
 * alertmanager), a table of bodies that must be rejected with an exact detail, the caps
 * (reject for labels, truncate for annotations and other text), timestamps, and the label-set
 * helpers (lookup, fingerprint, JSON).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rr/alert.h"
#include "rr/buf.h"

#include "testlib.h"

/* ---- helpers ---- */

static struct rr_webhook *parse_ok(const char *body, size_t len)
{
    struct rr_webhook *wh = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_webhook_parse(body, len, &wh, &diag);
    ck_assert_msg(err == RR_OK, "rejected (%s): %s", rr_strerror(err), diag.msg);
    ck_assert_ptr_nonnull(wh);
    ck_assert_str_eq(diag.msg, "");
    return wh;
}

static struct rr_webhook *parse_str_ok(const char *body)
{
    return parse_ok(body, strlen(body));
}

static struct rr_webhook *parse_fixture(const char *name, char **body_out, size_t *len_out)
{
    char rel[256];
    ck_assert_int_lt(snprintf(rel, sizeof rel, "alertmanager/%s", name), (int)sizeof rel);
    char *path = rr_test_fixture(rel);
    size_t len;
    char *body = rr_test_read_file(path, &len);
    free(path);
    struct rr_webhook *wh = parse_ok(body, len);
    if (body_out) {
        *body_out = body;
        *len_out = len;
    } else {
        free(body);
    }
    return wh;
}

static const char *fmt_time(struct rr_time t, char *buf)
{
    return rr_time_format(t, buf, 40);
}

/* A strict UTF-8 check written independently of the parser's. */
static bool valid_utf8(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        unsigned cp, len;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xE0) == 0xC0) {
            cp = s[i] & 0x1F, len = 2;
        } else if ((s[i] & 0xF0) == 0xE0) {
            cp = s[i] & 0x0F, len = 3;
        } else if ((s[i] & 0xF8) == 0xF0) {
            cp = s[i] & 0x07, len = 4;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

static void assert_sorted(const struct rr_labelset *set)
{
    for (size_t i = 1; i < set->n; i++)
        ck_assert_msg(strcmp(set->items[i - 1].name, set->items[i].name) < 0,
                      "not sorted: %s before %s", set->items[i - 1].name, set->items[i].name);
}

/* Pieces of a minimal valid payload. */
#define S_OK "\"status\":\"firing\""
#define L_OK "\"labels\":{\"alertname\":\"A\"}"
#define T_OK "\"startsAt\":\"2024-01-01T00:00:00Z\""
#define F_OK "\"fingerprint\":\"0123456789abcdef\""
#define A_OK "{" S_OK "," L_OK "," T_OK "," F_OK "}"
/* One alert with its four required members replaced or extended. */
#define ALERT(s, l, t, f) "{" s "," l "," t "," f "}"
#define ALERT_PLUS(extra) "{" S_OK "," L_OK "," T_OK "," F_OK "," extra "}"
#define BODY(alerts)      "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[" alerts "]}"
#define ROOT_PLUS(extra)  "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[" A_OK "]," extra "}"

/* ---- the captured fixtures ---- */

static const struct {
    const char *file;
    size_t n_alerts;
    const char *status;
    const char *alert_statuses; /* f / r per alert, payload order */
    const char *receiver;
    const char *alertname; /* of alerts[0] */
    const char *starts_at; /* of alerts[0], formatted back */
} fixtures[] = {
    {"am-all-resolved.json", 1, "resolved", "r", "temporal-escalation",
     "TemporalWorkflowFailureRateHigh", "2026-11-22T01:33:12.168Z"},
    {"am-firing-app-workflow-failures.json", 2, "firing", "ff", "temporal-escalation",
     "TemporalWorkflowFailureRateHigh", "2026-11-22T01:33:12.168Z"},
    {"am-firing-cluster-unavailable.json", 1, "firing", "f", "temporal-escalation",
     "TemporalClusterUnavailable", "2026-11-22T01:37:11.004Z"},
    {"am-firing-task-queue-backlog-ambiguous.json", 1, "firing", "f", "temporal-escalation",
     "TemporalTaskQueueBacklog", "2026-11-22T01:33:12.168Z"},
    {"am-partially-resolved.json", 2, "firing", "rf", "temporal-escalation",
     "TemporalWorkflowFailureRateHigh", "2026-11-22T01:33:12.168Z"},
    {"am-receiver-name-quotemeta.json", 1, "firing", "f", "temporal-escalation\\.v1",
     "TemporalTaskQueueBacklog", "2026-11-22T01:33:12.168Z"},
    {"am-resolved-cluster-unavailable.json", 1, "resolved", "r", "temporal-escalation",
     "TemporalClusterUnavailable", "2026-11-22T01:37:11.004Z"},
    {"am-truncated-max-alerts.json", 3, "firing", "fff", "temporal-escalation-capped",
     "TemporalWorkerDown", "2026-11-22T01:33:12.168Z"},
    {"am-v034-format-notification-reason.json", 2, "firing", "ff", "temporal-escalation",
     "TemporalWorkflowFailureRateHigh", "2026-11-22T01:33:12.168Z"},
    {"am-wire-raw-html-escaped.json", 1, "firing", "f", "temporal-escalation",
     "TemporalWorkflowFailureRateHigh", "2026-11-22T01:38:53.44082212Z"},
};

START_TEST(test_fixture_parses)
{
    struct rr_webhook *wh = parse_fixture(fixtures[_i].file, NULL, NULL);
    char t[40];
    ck_assert_uint_eq(wh->n_alerts, fixtures[_i].n_alerts);
    ck_assert_str_eq(rr_alert_status_name(wh->status), fixtures[_i].status);
    ck_assert_str_eq(wh->receiver, fixtures[_i].receiver);
    ck_assert_str_eq(wh->external_url, "http://alertmanager.example.internal:9093");
    ck_assert_str_eq(rr_labelset_get(&wh->alerts[0].labels, "alertname"), fixtures[_i].alertname);
    ck_assert_str_eq(fmt_time(wh->alerts[0].starts_at, t), fixtures[_i].starts_at);
    ck_assert_uint_eq(wh->truncated, 0);
    ck_assert_str_eq(rr_labelset_get(&wh->group_labels, "alertname"), fixtures[_i].alertname);
    ck_assert(strncmp(wh->group_key, "{}/{alertname=", 14) == 0);
    for (size_t i = 0; i < wh->n_alerts; i++) {
        const struct rr_alert *a = &wh->alerts[i];
        bool firing = fixtures[_i].alert_statuses[i] == 'f';
        ck_assert_int_eq(a->status, firing ? RR_ALERT_FIRING : RR_ALERT_RESOLVED);
        /* Alertmanager zeroes endsAt of firing alerts; resolved ones carry the resolve time. */
        ck_assert(rr_time_is_zero(a->ends_at) == firing);
        ck_assert(strncmp(a->generator_url, "http://prometheus.example.internal:9090/graph?", 46) ==
                  0);
        ck_assert_uint_gt(a->annotations.n, 0);
        assert_sorted(&a->labels);
        assert_sorted(&a->annotations);
    }
    rr_webhook_free(wh);
}
END_TEST

/* The reference checked that every captured fingerprint is FNV-1a of the label set; so must
 * rr_labelset_fingerprint, or stored episodes would not match what Alertmanager shows. */
START_TEST(test_fixture_fingerprints)
{
    struct rr_webhook *wh = parse_fixture(fixtures[_i].file, NULL, NULL);
    for (size_t i = 0; i < wh->n_alerts; i++) {
        char hex[17];
        ck_assert_int_eq(
            snprintf(hex, sizeof hex, "%016llx",
                     (unsigned long long)rr_labelset_fingerprint(&wh->alerts[i].labels)),
            16);
        ck_assert_str_eq(hex, wh->alerts[i].fingerprint);
    }
    rr_webhook_free(wh);
}
END_TEST

START_TEST(test_fixture_details)
{
    char t[40];
    struct rr_webhook *wh = parse_fixture("am-firing-app-workflow-failures.json", NULL, NULL);
    ck_assert_str_eq(wh->alerts[0].fingerprint, "3bec3a4ced2ca7a6");
    ck_assert_str_eq(wh->alerts[1].fingerprint, "59ab3f947671979c");
    ck_assert_str_eq(rr_labelset_get(&wh->alerts[0].labels, "workflow_type"), "ChargeCardWorkflow");
    ck_assert_str_eq(rr_labelset_get(&wh->alerts[1].labels, "task_queue"), "refunds-tq");
    ck_assert_uint_eq(wh->alerts[0].labels.n, 9);
    ck_assert_str_eq(rr_labelset_get(&wh->alerts[0].annotations, "summary"),
                     "ChargeCardWorkflow failures at 12.5% over 10m");
    ck_assert_uint_eq(wh->group_labels.n, 3);
    ck_assert_uint_eq(wh->common_labels.n, 7);
    ck_assert_ptr_null(rr_labelset_get(&wh->common_labels, "workflow_type"));
    ck_assert_uint_eq(wh->common_annotations.n, 1);
    ck_assert_str_eq(wh->common_annotations.items[0].name, "runbook_url");
    ck_assert_str_eq(wh->group_key, "{}/{alertname=~\"Temporal.*\"}:{alertname="
                                    "\"TemporalWorkflowFailureRateHigh\", team=\"payments\", "
                                    "temporal_namespace=\"payments-prod\"}");
    ck_assert_str_eq(fmt_time(wh->alerts[1].ends_at, t), "0001-01-01T00:00:00Z");
    ck_assert_int_eq(wh->truncated_alerts, 0);
    ck_assert_str_eq(wh->notification_reason, "");
    ck_assert_uint_eq(wh->route_labels.n, 0);
    rr_webhook_free(wh);

    wh = parse_fixture("am-partially-resolved.json", NULL, NULL);
    ck_assert_str_eq(fmt_time(wh->alerts[0].ends_at, t), "2026-11-22T01:37:54.958Z");
    ck_assert_str_eq(fmt_time(wh->alerts[1].ends_at, t), "0001-01-01T00:00:00Z");
    rr_webhook_free(wh);

    wh = parse_fixture("am-resolved-cluster-unavailable.json", NULL, NULL);
    ck_assert_str_eq(fmt_time(wh->alerts[0].ends_at, t), "2026-11-22T01:37:37.88Z");
    ck_assert_str_eq(wh->alerts[0].fingerprint, "0868746fed63ff56");
    rr_webhook_free(wh);

    wh = parse_fixture("am-all-resolved.json", NULL, NULL);
    ck_assert_str_eq(fmt_time(wh->alerts[0].ends_at, t), "2026-11-22T01:37:59.026Z");
    rr_webhook_free(wh);

    wh = parse_fixture("am-truncated-max-alerts.json", NULL, NULL);
    ck_assert_int_eq(wh->truncated_alerts, 3);
    ck_assert_str_eq(rr_labelset_get(&wh->alerts[2].labels, "pod"),
                     "shipping-worker-7d9f8c6b5-cx2q");
    ck_assert_str_eq(wh->alerts[2].fingerprint, "fb1e8f40334ed02b");
    rr_webhook_free(wh);

    /* regexp.QuoteMeta'd receiver name arrives with one literal backslash. */
    wh = parse_fixture("am-receiver-name-quotemeta.json", NULL, NULL);
    ck_assert_str_eq(wh->receiver, "temporal-escalation\\.v1");
    ck_assert_uint_eq(strlen(wh->receiver), 23);
    rr_webhook_free(wh);

    wh = parse_fixture("am-v034-format-notification-reason.json", NULL, NULL);
    ck_assert_str_eq(wh->notification_reason, "repeat interval elapsed");
    ck_assert_uint_eq(wh->route_labels.n, 0);
    rr_webhook_free(wh);
}
END_TEST

/* The exact bytes Alertmanager put on the wire: HTML-safe \u escapes, raw UTF-8, and the
 * trailing newline of Go's json.Encoder. */
START_TEST(test_fixture_wire_bytes)
{
    char *body;
    size_t len;
    char t[40];
    struct rr_webhook *wh = parse_fixture("am-wire-raw-html-escaped.json", &body, &len);
    ck_assert_int_eq(body[len - 1], '\n');
    ck_assert_ptr_nonnull(strstr(body, "\\u0026"));
    const struct rr_alert *a = &wh->alerts[0];
    ck_assert_str_eq(rr_labelset_get(&a->annotations, "runbook_url"),
                     "https://runbooks.example.internal/temporal/workflow-failure-rate"
                     "?section=a&b=c");
    ck_assert_str_eq(rr_labelset_get(&a->annotations, "summary"),
                     "failures > 5% <b>&</b> rising \xe2\x86\x92 check \"ChargeCard\"");
    ck_assert_str_eq(a->generator_url,
                     "http://prometheus.example.internal:9090/graph?g0.expr=x&g0.tab=1");
    ck_assert_str_eq(fmt_time(a->starts_at, t), "2026-11-22T01:38:53.44082212Z");
    ck_assert_str_eq(a->fingerprint, "e5613989af534df3");
    ck_assert_str_eq(rr_labelset_get(&wh->common_annotations, "summary"),
                     rr_labelset_get(&a->annotations, "summary"));
    rr_webhook_free(wh);
    free(body);
}
END_TEST

/* The Alertmanager API body (what Prometheus posts to Alertmanager) is a JSON array: someone
 * pointed the wrong sender at us. */
START_TEST(test_api_v2_body_rejected)
{
    char *path = rr_test_fixture("alertmanager/am-api-v2-postable-alerts.json");
    size_t len;
    char *body = rr_test_read_file(path, &len);
    static struct rr_webhook sentinel;
    struct rr_webhook *wh = &sentinel; /* out-params are written only on success */
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_webhook_parse(body, len, &wh, &diag), RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg, "body: not a JSON object");
    ck_assert_ptr_eq(wh, &sentinel);
    free(body);
    free(path);
}
END_TEST

/* ---- bodies that must be rejected ---- */

static char *take(struct rr_buf *b, size_t *len)
{
    *len = b->len;
    return rr_buf_take(b);
}

static char *make_alerts(size_t n, size_t *len)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    ck_assert(rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[") == RR_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert(rr_buf_printf(&b, "%s" A_OK, i ? "," : "") == RR_OK);
    ck_assert(rr_buf_puts(&b, "]}") == RR_OK);
    return take(&b, len);
}

/* One alert whose labels are alertname plus `extra` labels l000000="v" ..., and optionally
 * one label of the given name and value size. */
static char *make_labels(size_t extra, size_t name_len, size_t value_len, size_t *len)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    ck_assert(rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{" S_OK
                              ",\"labels\":{\"alertname\":\"A\"") == RR_OK);
    for (size_t i = 0; i < extra; i++)
        ck_assert(rr_buf_printf(&b, ",\"l%06zu\":\"v\"", i) == RR_OK);
    if (name_len || value_len) {
        ck_assert(rr_buf_puts(&b, ",\"") == RR_OK);
        for (size_t i = 0; i < name_len; i++)
            ck_assert(rr_buf_append(&b, "n", 1) == RR_OK);
        ck_assert(rr_buf_puts(&b, "\":\"") == RR_OK);
        for (size_t i = 0; i < value_len; i++)
            ck_assert(rr_buf_append(&b, "v", 1) == RR_OK);
        ck_assert(rr_buf_puts(&b, "\"") == RR_OK);
    }
    ck_assert(rr_buf_puts(&b, "}," T_OK "," F_OK "}]}") == RR_OK);
    return take(&b, len);
}

/* A valid payload with `depth` nested arrays in an unknown member (the root object is one). */
static char *make_deep(size_t depth, size_t *len)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    ck_assert(rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[],\"x\":") ==
              RR_OK);
    for (size_t i = 0; i < depth; i++)
        ck_assert(rr_buf_append(&b, "[", 1) == RR_OK);
    for (size_t i = 0; i < depth; i++)
        ck_assert(rr_buf_append(&b, "]", 1) == RR_OK);
    ck_assert(rr_buf_puts(&b, "}") == RR_OK);
    return take(&b, len);
}

static char *make_10001_alerts(size_t *len)
{
    return make_alerts(RR_ALERT_MAX_ALERTS + 1, len);
}
static char *make_100000_labels(size_t *len)
{
    return make_labels(100000, 0, 0, len);
}
static char *make_129_labels(size_t *len)
{
    return make_labels(RR_ALERT_MAX_LABELS, 0, 0, len); /* plus alertname */
}
static char *make_long_name(size_t *len)
{
    return make_labels(0, RR_ALERT_MAX_LABEL_NAME + 1, 1, len);
}
static char *make_long_value(size_t *len)
{
    return make_labels(0, 4, RR_ALERT_MAX_LABEL_VALUE + 1, len);
}
static char *make_deep_17(size_t *len)
{
    return make_deep(RR_ALERT_MAX_DEPTH, len);
}
static char *make_deep_100(size_t *len)
{
    return make_deep(100, len);
}

static const struct {
    const char *body;           /* NUL-terminated body, or NULL to use make */
    char *(*make)(size_t *len); /* builds a big body (owned) */
    enum rr_err err;
    const char *detail;
} bad[] = {
    /* not JSON at all, or not complete */
    {"", NULL, RR_ERR_INVAL, "body: empty"},
    {"hello", NULL, RR_ERR_INVAL, "body: line 1 column 5: invalid token near 'hello'"},
    {"{\"version\":\"4\",\"status\":\"fir", NULL, RR_ERR_INVAL,
     "body: line 1 column 28: premature end of input near '\"fir'"},
    {"{\"version\":\"4\"", NULL, RR_ERR_INVAL,
     "body: line 1 column 14: '}' expected near end of file"},
    {BODY(A_OK) " x", NULL, RR_ERR_INVAL, "body: line 1 column 160: end of file expected near 'x'"},
    {BODY(A_OK) ",", NULL, RR_ERR_INVAL, "body: line 1 column 159: end of file expected near ','"},
    {"{\"receiver\":\"a\x01\"}", NULL, RR_ERR_INVAL,
     "body: line 1 column 14: control character 0x1 near '\"a'"},
    /* invalid UTF-8: offsets are 0-based bytes; "é" before the bad byte takes two */
    {"{\"receiver\":\"\xc3\xa9\xff\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 15"},
    {"{\"receiver\":\"\x80\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\xc0\xaf\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\xe0\x80\xaf\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\xf0\x80\x80\xaf\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\xed\xa0\x80\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\xf4\x90\x80\x80\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\xe2\x86\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\xe2\x86", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 13"},
    {"{\"receiver\":\"\\\xff\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 14"},
    {"{\"\xff\":1}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 2"},
    /* reported before any other fault jansson may have met first (here a duplicate key) */
    {"{\"a\":1,\"a\":\"\xff\"}", NULL, RR_ERR_INVAL, "body: invalid UTF-8 at byte 12"},
    {"{\"receiver\":\"\\ud800\"}", NULL, RR_ERR_INVAL,
     "body: line 1 column 20: invalid Unicode '\\uD800' near '\"\\ud800\"'"},
    /* \u0000 would cut C strings short */
    {ROOT_PLUS("\"receiver\":\"a\\u0000b\""), NULL, RR_ERR_INVAL,
     "body: line 1 column 179: \\u0000 is not allowed in strings"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":\"A\\u0000\"}", T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "body: line 1 column 93: \\u0000 is not allowed in strings"},
    /* the root */
    {"[]", NULL, RR_ERR_INVAL, "body: not a JSON object"},
    {"\"x\"", NULL, RR_ERR_INVAL, "body: not a JSON object"},
    {"4", NULL, RR_ERR_INVAL, "body: not a JSON object"},
    {"null", NULL, RR_ERR_INVAL, "body: not a JSON object"},
    {"{\"a\":1,\"a\":2}", NULL, RR_ERR_INVAL,
     "body: line 1 column 10: duplicate object key near '\"a\"'"},
    /* version */
    {"{\"status\":\"firing\",\"alerts\":[]}", NULL, RR_ERR_INVAL, "version: missing"},
    {"{\"version\":null,\"status\":\"firing\",\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "version: missing"},
    {"{\"version\":4,\"status\":\"firing\",\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "version: not a string"},
    {"{\"version\":\"3\",\"status\":\"firing\",\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "version: unsupported version \"3\", want \"4\""},
    {"{\"version\":\"4.0\",\"status\":\"firing\",\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "version: unsupported version \"4.0\", want \"4\""},
    {"{\"version\":\"\\\"\\n\",\"status\":\"firing\",\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "version: unsupported version \"\\\"\\u000a\", want \"4\""},
    /* group status */
    {"{\"version\":\"4\",\"alerts\":[]}", NULL, RR_ERR_INVAL, "status: missing"},
    {"{\"version\":\"4\",\"status\":\"bogus\",\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "status: unknown status \"bogus\", want \"firing\" or \"resolved\""},
    {"{\"version\":\"4\",\"status\":\"FIRING\",\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "status: unknown status \"FIRING\", want \"firing\" or \"resolved\""},
    {"{\"version\":\"4\",\"status\":true,\"alerts\":[]}", NULL, RR_ERR_INVAL,
     "status: not a string"},
    /* alerts */
    {"{\"version\":\"4\",\"status\":\"firing\"}", NULL, RR_ERR_INVAL, "alerts: missing"},
    {"{\"version\":\"4\",\"status\":\"firing\",\"alerts\":{}}", NULL, RR_ERR_INVAL,
     "alerts: not an array"},
    {NULL, make_10001_alerts, RR_ERR_LIMIT, "alerts: more than 10000 alerts"},
    {BODY("1"), NULL, RR_ERR_INVAL, "alerts[0]: not an object"},
    {BODY(A_OK ",[]"), NULL, RR_ERR_INVAL, "alerts[1]: not an object"},
    /* alert status */
    {BODY("{" L_OK "," T_OK "," F_OK "}"), NULL, RR_ERR_INVAL, "alerts[0].status: missing"},
    {BODY(ALERT("\"status\":\"pending\"", L_OK, T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].status: unknown status \"pending\", want \"firing\" or \"resolved\""},
    {BODY(ALERT("\"status\":1", L_OK, T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].status: not a string"},
    /* labels */
    {BODY("{" S_OK "," T_OK "," F_OK "}"), NULL, RR_ERR_INVAL, "alerts[0].labels: missing"},
    {BODY(ALERT(S_OK, "\"labels\":[\"alertname\"]", T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].labels: not an object"},
    {BODY(ALERT(S_OK, "\"labels\":\"alertname=A\"", T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].labels: not an object"},
    {BODY(A_OK "," ALERT(S_OK, "\"labels\":{\"alertname\":\"A\",\"team\":[\"x\"]}", T_OK, F_OK)),
     NULL, RR_ERR_INVAL, "alerts[1].labels.team: not a string"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":\"A\",\"team\":7}", T_OK, F_OK)), NULL,
     RR_ERR_INVAL, "alerts[0].labels.team: not a string"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":\"A\",\"team\":null}", T_OK, F_OK)), NULL,
     RR_ERR_INVAL, "alerts[0].labels.team: not a string"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":\"A\",\"a.b\\\"c\":1}", T_OK, F_OK)), NULL,
     RR_ERR_INVAL, "alerts[0].labels[\"a.b\\\"c\"]: not a string"},
    {BODY(ALERT(S_OK, "\"labels\":{\"team\":\"x\"}", T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].labels.alertname: missing or empty"},
    {BODY(ALERT(S_OK, "\"labels\":{}", T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].labels.alertname: missing or empty"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":\"\"}", T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].labels.alertname: missing or empty"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":1}", T_OK, F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].labels.alertname: not a string"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":\"A\",\"\":\"x\"}", T_OK, F_OK)), NULL,
     RR_ERR_INVAL, "alerts[0].labels: empty label name"},
    {BODY(ALERT(S_OK, "\"labels\":{\"alertname\":\"A\",\"alertname\":\"B\"}", T_OK, F_OK)), NULL,
     RR_ERR_INVAL, "body: line 1 column 99: duplicate object key near '\"alertname\"'"},
    {NULL, make_100000_labels, RR_ERR_LIMIT, "alerts[0].labels: more than 128 labels"},
    {NULL, make_129_labels, RR_ERR_LIMIT, "alerts[0].labels: more than 128 labels"},
    {NULL, make_long_name, RR_ERR_LIMIT, "alerts[0].labels: label name longer than 256 bytes"},
    {NULL, make_long_value, RR_ERR_LIMIT, "alerts[0].labels.nnnn: value longer than 4096 bytes"},
    /* startsAt / endsAt */
    {BODY("{" S_OK "," L_OK "," F_OK "}"), NULL, RR_ERR_INVAL, "alerts[0].startsAt: missing"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":\"yesterday\"", F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].startsAt: not an RFC 3339 time"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":\"\"", F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].startsAt: not an RFC 3339 time"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":\"2024-13-01T00:00:00Z\"", F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].startsAt: not an RFC 3339 time (field out of range)"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":\"2023-02-29T00:00:00Z\"", F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].startsAt: not an RFC 3339 time (no such day)"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":\"2024-01-01T00:00:00.1234567891Z\"", F_OK)), NULL,
     RR_ERR_INVAL, "alerts[0].startsAt: not an RFC 3339 time (fraction must have 1-9 digits)"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":\"2024-01-01T00:00:00\"", F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].startsAt: not an RFC 3339 time"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":\"2024-01-01T00:00:00.5\"", F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].startsAt: not an RFC 3339 time (missing or bad offset)"},
    {BODY(ALERT(S_OK, L_OK, "\"startsAt\":1704067200", F_OK)), NULL, RR_ERR_INVAL,
     "alerts[0].startsAt: not a string"},
    {BODY(ALERT_PLUS("\"endsAt\":\"tomorrow\"")), NULL, RR_ERR_INVAL,
     "alerts[0].endsAt: not an RFC 3339 time"},
    {BODY(ALERT_PLUS("\"endsAt\":0")), NULL, RR_ERR_INVAL, "alerts[0].endsAt: not a string"},
    /* fingerprint */
    {BODY("{" S_OK "," L_OK "," T_OK "}"), NULL, RR_ERR_INVAL, "alerts[0].fingerprint: missing"},
    {BODY(ALERT(S_OK, L_OK, T_OK, "\"fingerprint\":\"0123abcd\"")), NULL, RR_ERR_INVAL,
     "alerts[0].fingerprint: not 16 lowercase hex digits"},
    {BODY(ALERT(S_OK, L_OK, T_OK, "\"fingerprint\":\"0123456789ABCDEF\"")), NULL, RR_ERR_INVAL,
     "alerts[0].fingerprint: not 16 lowercase hex digits"},
    {BODY(ALERT(S_OK, L_OK, T_OK, "\"fingerprint\":\"0123456789abcdeg\"")), NULL, RR_ERR_INVAL,
     "alerts[0].fingerprint: not 16 lowercase hex digits"},
    {BODY(ALERT(S_OK, L_OK, T_OK, "\"fingerprint\":\"0123456789abcdef0\"")), NULL, RR_ERR_INVAL,
     "alerts[0].fingerprint: not 16 lowercase hex digits"},
    {BODY(ALERT(S_OK, L_OK, T_OK, "\"fingerprint\":81985529216486895")), NULL, RR_ERR_INVAL,
     "alerts[0].fingerprint: not a string"},
    /* annotations and other optional members: wrong types */
    {BODY(ALERT_PLUS("\"annotations\":{\"summary\":1}")), NULL, RR_ERR_INVAL,
     "alerts[0].annotations.summary: not a string"},
    {BODY(ALERT_PLUS("\"annotations\":[]")), NULL, RR_ERR_INVAL,
     "alerts[0].annotations: not an object"},
    {BODY(ALERT_PLUS("\"generatorURL\":{}")), NULL, RR_ERR_INVAL,
     "alerts[0].generatorURL: not a string"},
    {ROOT_PLUS("\"receiver\":1"), NULL, RR_ERR_INVAL, "receiver: not a string"},
    {ROOT_PLUS("\"externalURL\":false"), NULL, RR_ERR_INVAL, "externalURL: not a string"},
    {ROOT_PLUS("\"groupKey\":[]"), NULL, RR_ERR_INVAL, "groupKey: not a string"},
    {ROOT_PLUS("\"notification_reason\":2"), NULL, RR_ERR_INVAL,
     "notification_reason: not a string"},
    {ROOT_PLUS("\"groupLabels\":[]"), NULL, RR_ERR_INVAL, "groupLabels: not an object"},
    {ROOT_PLUS("\"commonLabels\":{\"team\":1}"), NULL, RR_ERR_INVAL,
     "commonLabels.team: not a string"},
    {ROOT_PLUS("\"routeLabels\":\"x\""), NULL, RR_ERR_INVAL, "routeLabels: not an object"},
    {ROOT_PLUS("\"commonAnnotations\":{\"summary\":{}}"), NULL, RR_ERR_INVAL,
     "commonAnnotations.summary: not a string"},
    {ROOT_PLUS("\"truncatedAlerts\":-1"), NULL, RR_ERR_INVAL,
     "truncatedAlerts: not a non-negative integer"},
    {ROOT_PLUS("\"truncatedAlerts\":\"3\""), NULL, RR_ERR_INVAL,
     "truncatedAlerts: not a non-negative integer"},
    {ROOT_PLUS("\"truncatedAlerts\":1.5"), NULL, RR_ERR_INVAL,
     "truncatedAlerts: not a non-negative integer"},
    /* nesting: brackets are counted outside strings only */
    {NULL, make_deep_17, RR_ERR_LIMIT, "body: JSON nesting deeper than 16"},
    {NULL, make_deep_100, RR_ERR_LIMIT, "body: JSON nesting deeper than 16"},
    /* "a\\" ends at its quote (the backslash is escaped), so the brackets after it count */
    {"{\"x\":\"a\\\\\",\"y\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}", NULL, RR_ERR_LIMIT,
     "body: JSON nesting deeper than 16"},
};

START_TEST(test_bad_body)
{
    size_t len;
    char *owned = NULL;
    const char *body = bad[_i].body;
    if (body) {
        len = strlen(body);
    } else {
        owned = bad[_i].make(&len);
        body = owned;
    }
    struct rr_webhook *wh = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_webhook_parse(body, len, &wh, &diag);
    ck_assert_msg(err == bad[_i].err, "row %d: got %s (%s), want %s", _i, rr_strerror(err),
                  diag.msg, rr_strerror(bad[_i].err));
    ck_assert_str_eq(diag.msg, bad[_i].detail);
    ck_assert_ptr_null(wh);
    /* Without a diag the verdict is the same. */
    ck_assert_int_eq(rr_webhook_parse(body, len, &wh, NULL), bad[_i].err);
    ck_assert_ptr_null(wh);
    free(owned);
}
END_TEST

/* ---- bodies that must be accepted ---- */

START_TEST(test_minimal_and_defaults)
{
    char t[40];
    struct rr_webhook *wh = parse_str_ok(BODY(A_OK));
    ck_assert_uint_eq(wh->n_alerts, 1);
    ck_assert_int_eq(wh->status, RR_ALERT_FIRING);
    ck_assert_str_eq(wh->receiver, "");
    ck_assert_str_eq(wh->external_url, "");
    ck_assert_str_eq(wh->group_key, "");
    ck_assert_str_eq(wh->notification_reason, "");
    ck_assert_uint_eq(wh->group_labels.n + wh->common_labels.n + wh->common_annotations.n +
                          wh->route_labels.n,
                      0);
    ck_assert_int_eq(wh->truncated_alerts, 0);
    const struct rr_alert *a = &wh->alerts[0];
    ck_assert_str_eq(a->generator_url, "");
    ck_assert_uint_eq(a->annotations.n, 0);
    ck_assert(rr_time_is_zero(a->ends_at));
    ck_assert_str_eq(fmt_time(a->starts_at, t), "2024-01-01T00:00:00Z");
    ck_assert_str_eq(a->fingerprint, "0123456789abcdef"); /* as given, not recomputed */
    rr_webhook_free(wh);

    /* No alerts at all is a well-formed (if odd) notification. */
    wh = parse_str_ok("{\"version\":\"4\",\"status\":\"resolved\",\"alerts\":[]}");
    ck_assert_uint_eq(wh->n_alerts, 0);
    ck_assert_int_eq(wh->status, RR_ALERT_RESOLVED);
    rr_webhook_free(wh);
}
END_TEST

START_TEST(test_null_is_absent_and_unknown_ignored)
{
    struct rr_webhook *wh = parse_str_ok(
        "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":null,\"groupLabels\":null,"
        "\"commonAnnotations\":null,\"truncatedAlerts\":null,\"future\":{\"a\":[1,2.5,{\"b\":"
        "null}],\"c\":\"[[[[[[[[[[[[[[[[[[[[\\\"{{{{{{{{{{{{{{{{{{{{\"},"
        "\"alerts\":[{" S_OK "," L_OK "," T_OK "," F_OK ",\"endsAt\":null,\"annotations\":null,"
        "\"generatorURL\":null,\"silencedBy\":[],\"value\":3.5}]}\n\n");
    ck_assert_str_eq(wh->receiver, "");
    ck_assert_uint_eq(wh->group_labels.n, 0);
    ck_assert(rr_time_is_zero(wh->alerts[0].ends_at));
    ck_assert_str_eq(wh->alerts[0].generator_url, "");
    rr_webhook_free(wh);
}
END_TEST

START_TEST(test_caps_at_the_limit_accepted)
{
    size_t len;
    char *body = make_alerts(RR_ALERT_MAX_ALERTS, &len);
    struct rr_webhook *wh = parse_ok(body, len);
    ck_assert_uint_eq(wh->n_alerts, RR_ALERT_MAX_ALERTS);
    ck_assert_str_eq(wh->alerts[RR_ALERT_MAX_ALERTS - 1].fingerprint, "0123456789abcdef");
    rr_webhook_free(wh);
    free(body);

    body = make_labels(RR_ALERT_MAX_LABELS - 1, 0, 0, &len);
    wh = parse_ok(body, len);
    ck_assert_uint_eq(wh->alerts[0].labels.n, RR_ALERT_MAX_LABELS);
    ck_assert_str_eq(rr_labelset_get(&wh->alerts[0].labels, "l000126"), "v");
    rr_webhook_free(wh);
    free(body);

    body = make_labels(0, RR_ALERT_MAX_LABEL_NAME, RR_ALERT_MAX_LABEL_VALUE, &len);
    wh = parse_ok(body, len);
    const struct rr_labelset *l = &wh->alerts[0].labels;
    ck_assert_uint_eq(l->n, 2);
    ck_assert_uint_eq(strlen(l->items[1].name), RR_ALERT_MAX_LABEL_NAME);
    ck_assert_uint_eq(strlen(l->items[1].value), RR_ALERT_MAX_LABEL_VALUE);
    rr_webhook_free(wh);
    free(body);

    body = make_deep(RR_ALERT_MAX_DEPTH - 1, &len);
    wh = parse_ok(body, len);
    rr_webhook_free(wh);
    free(body);
}
END_TEST

START_TEST(test_labels_sorted_and_kept)
{
    /* Any order on the wire; empty values kept as given; UTF-8 names (Alertmanager >= 0.27). */
    struct rr_webhook *wh = parse_str_ok(BODY(
        ALERT(S_OK,
              "\"labels\":{\"zone\":\"b\",\"alertname\":\"A\",\"env\":\"\",\"\xc3\xa9t\xc3\xa9\":"
              "\"summer\",\"Zeta\":\"1\",\"_x\":\"2\"}",
              T_OK, F_OK)));
    const struct rr_labelset *l = &wh->alerts[0].labels;
    static const char *const order[] = {"Zeta", "_x",   "alertname",
                                        "env",  "zone", "\xc3\xa9t\xc3\xa9"};
    ck_assert_uint_eq(l->n, 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(l->items[i].name, order[i]);
    ck_assert_str_eq(rr_labelset_get(l, "env"), "");
    ck_assert_str_eq(rr_labelset_get(l, "\xc3\xa9t\xc3\xa9"), "summer");
    ck_assert_str_eq(rr_labelset_get(l, "Zeta"), "1");
    ck_assert_ptr_null(rr_labelset_get(l, "missing"));
    ck_assert_ptr_null(rr_labelset_get(l, ""));
    ck_assert_ptr_null(rr_labelset_get(l, "zzzz"));

    /* The fingerprint depends on the set, not on the order it was sent in. */
    struct rr_webhook *sorted = parse_str_ok(BODY(
        ALERT(S_OK,
              "\"labels\":{\"Zeta\":\"1\",\"_x\":\"2\",\"alertname\":\"A\",\"env\":\"\",\"zone\":"
              "\"b\",\"\xc3\xa9t\xc3\xa9\":\"summer\"}",
              T_OK, F_OK)));
    ck_assert(rr_labelset_fingerprint(l) == rr_labelset_fingerprint(&sorted->alerts[0].labels));
    rr_webhook_free(sorted);
    rr_webhook_free(wh);
}
END_TEST

/* An annotation body of 20000 bytes of `unit`, optionally after one ASCII byte. */
static char *make_annotation(const char *prefix, const char *unit, size_t total, size_t *len)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    ck_assert(rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{" S_OK "," L_OK
                              "," T_OK "," F_OK ",\"annotations\":{\"d\":\"") == RR_OK);
    ck_assert(rr_buf_puts(&b, prefix) == RR_OK);
    while (b.len < total)
        ck_assert(rr_buf_puts(&b, unit) == RR_OK);
    ck_assert(rr_buf_puts(&b, "\"}}]}") == RR_OK);
    return take(&b, len);
}

START_TEST(test_annotation_truncated_at_character)
{
    static const struct {
        const char *prefix, *unit;
        size_t want; /* bytes kept */
    } cases[] = {
        {"", "\xe2\x9c\x93", 16383},     /* 3-byte ✓: 5461 whole characters */
        {"", "\xc3\xa9", 16384},         /* 2-byte é: the cap falls on a boundary */
        {"a", "\xc3\xa9", 16383},        /* shifted by one: the last é would be split */
        {"", "\xf0\x9f\x94\xa5", 16384}, /* 4-byte 🔥 */
        {"ab", "\xf0\x9f\x94\xa5", 16382},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t len;
        char *body = make_annotation(cases[c].prefix, cases[c].unit, 20000, &len);
        struct rr_webhook *wh = parse_ok(body, len);
        const char *d = rr_labelset_get(&wh->alerts[0].annotations, "d");
        size_t n = strlen(d);
        ck_assert_uint_le(n, RR_ALERT_MAX_ANNOTATION);
        ck_assert_uint_eq(n, cases[c].want);
        ck_assert(valid_utf8(d, n));
        ck_assert(memcmp(d, strstr(body, "\"d\":\"") + 5, n) == 0); /* a prefix of what came */
        ck_assert_uint_eq(wh->truncated, 1);
        rr_webhook_free(wh);
        free(body);
    }
}
END_TEST

START_TEST(test_too_many_annotations_dropped)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    ck_assert(rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{" S_OK "," L_OK
                              "," T_OK "," F_OK ",\"annotations\":{") == RR_OK);
    for (int i = 199; i >= 0; i--) /* reverse order: what is kept must not depend on it */
        ck_assert(rr_buf_printf(&b, "\"a%03d\":\"v%d\"%s", i, i, i ? "," : "") == RR_OK);
    ck_assert(rr_buf_puts(&b, "}}]}") == RR_OK);
    struct rr_webhook *wh = parse_ok(b.data, b.len);
    const struct rr_labelset *a = &wh->alerts[0].annotations;
    ck_assert_uint_eq(a->n, RR_ALERT_MAX_ANNOTATIONS);
    ck_assert_uint_eq(wh->truncated, 200 - RR_ALERT_MAX_ANNOTATIONS);
    ck_assert_str_eq(a->items[0].name, "a000");
    ck_assert_str_eq(a->items[127].name, "a127");
    ck_assert_str_eq(rr_labelset_get(a, "a127"), "v127");
    ck_assert_ptr_null(rr_labelset_get(a, "a128"));
    assert_sorted(a);
    rr_webhook_free(wh);
    rr_buf_release(&b);
}
END_TEST

static void put_run(struct rr_buf *b, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert(rr_buf_append(b, &c, 1) == RR_OK);
}

START_TEST(test_long_strings_truncated)
{
    /* receiver, externalURL, groupKey, notification_reason, generatorURL, one commonAnnotation
     * value: each one byte over its cap. One annotation name over the label-name cap is
     * dropped. Seven truncations in all; nothing rejected. */
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    static const char *const root_fields[] = {"receiver", "externalURL", "groupKey",
                                              "notification_reason"};
    ck_assert(rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\"") == RR_OK);
    for (size_t i = 0; i < 4; i++) {
        ck_assert(rr_buf_printf(&b, ",\"%s\":\"", root_fields[i]) == RR_OK);
        put_run(&b, 'x', RR_ALERT_MAX_STRING + 1);
        ck_assert(rr_buf_puts(&b, "\"") == RR_OK);
    }
    ck_assert(rr_buf_puts(&b, ",\"commonAnnotations\":{\"s\":\"") == RR_OK);
    put_run(&b, 'c', RR_ALERT_MAX_ANNOTATION + 1);
    ck_assert(rr_buf_puts(&b, "\"},\"alerts\":[{" S_OK "," L_OK "," T_OK "," F_OK
                              ",\"generatorURL\":\"") == RR_OK);
    put_run(&b, 'g', RR_ALERT_MAX_STRING + 1);
    ck_assert(rr_buf_puts(&b, "\",\"annotations\":{\"ok\":\"1\",\"") == RR_OK);
    put_run(&b, 'n', RR_ALERT_MAX_LABEL_NAME + 1);
    ck_assert(rr_buf_puts(&b, "\":\"dropped\",\"") == RR_OK);
    put_run(&b, 'm', RR_ALERT_MAX_LABEL_NAME);
    ck_assert(rr_buf_puts(&b, "\":\"kept\"}}]}") == RR_OK);

    struct rr_webhook *wh = parse_ok(b.data, b.len);
    ck_assert_uint_eq(strlen(wh->receiver), RR_ALERT_MAX_STRING);
    ck_assert_uint_eq(strlen(wh->external_url), RR_ALERT_MAX_STRING);
    ck_assert_uint_eq(strlen(wh->group_key), RR_ALERT_MAX_STRING);
    ck_assert_uint_eq(strlen(wh->notification_reason), RR_ALERT_MAX_STRING);
    ck_assert_uint_eq(strlen(wh->alerts[0].generator_url), RR_ALERT_MAX_STRING);
    ck_assert_uint_eq(strlen(rr_labelset_get(&wh->common_annotations, "s")),
                      RR_ALERT_MAX_ANNOTATION);
    const struct rr_labelset *a = &wh->alerts[0].annotations;
    ck_assert_uint_eq(a->n, 2);
    ck_assert_str_eq(a->items[0].value, "kept");
    ck_assert_str_eq(rr_labelset_get(a, "ok"), "1");
    ck_assert_uint_eq(wh->truncated, 7);
    rr_webhook_free(wh);
    rr_buf_release(&b);
}
END_TEST

static const struct {
    const char *in;
    const char *utc;
} times[] = {
    {"2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"},
    {"2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00.1Z"},
    {"2024-01-01T00:00:00.12Z", "2024-01-01T00:00:00.12Z"},
    {"2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00.123Z"},
    {"2024-01-01T00:00:00.1234Z", "2024-01-01T00:00:00.1234Z"},
    {"2024-01-01T00:00:00.12345Z", "2024-01-01T00:00:00.12345Z"},
    {"2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00.123456Z"},
    {"2024-01-01T00:00:00.1234567Z", "2024-01-01T00:00:00.1234567Z"},
    {"2024-01-01T00:00:00.12345678Z", "2024-01-01T00:00:00.12345678Z"},
    {"2024-01-01T00:00:00.123456789Z", "2024-01-01T00:00:00.123456789Z"},
    {"2024-01-01T00:00:00.120Z", "2024-01-01T00:00:00.12Z"},
    {"2024-01-01T02:00:00+02:00", "2024-01-01T00:00:00Z"},
    {"2023-12-31T18:30:00.5-05:30", "2024-01-01T00:00:00.5Z"},
    {"2024-01-01T00:00:00z", "2024-01-01T00:00:00Z"},
    {"2024-02-29T23:59:59.999999999Z", "2024-02-29T23:59:59.999999999Z"},
};

START_TEST(test_timestamps)
{
    char body[512], t[40];
    int n = snprintf(body, sizeof body,
                     BODY("{" S_OK "," L_OK "," F_OK ",\"startsAt\":\"%s\",\"endsAt\":\"%s\"}"),
                     times[_i].in, times[_i].in);
    ck_assert_int_lt(n, (int)sizeof body);
    struct rr_webhook *wh = parse_str_ok(body);
    ck_assert_str_eq(fmt_time(wh->alerts[0].starts_at, t), times[_i].utc);
    ck_assert_str_eq(fmt_time(wh->alerts[0].ends_at, t), times[_i].utc);
    rr_webhook_free(wh);
}
END_TEST

START_TEST(test_ends_at_zero_forms)
{
    static const char *const forms[] = {
        ALERT_PLUS("\"endsAt\":\"0001-01-01T00:00:00Z\""),
        ALERT_PLUS("\"endsAt\":\"\""),
        ALERT_PLUS("\"endsAt\":null"),
        A_OK,
    };
    for (size_t i = 0; i < 4; i++) {
        char body[512];
        int n = snprintf(body, sizeof body,
                         "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[%s]}", forms[i]);
        ck_assert_int_lt(n, (int)sizeof body);
        struct rr_webhook *wh = parse_str_ok(body);
        ck_assert(rr_time_is_zero(wh->alerts[0].ends_at));
        rr_webhook_free(wh);
    }
}
END_TEST

/* ---- label-set helpers ---- */

START_TEST(test_labelset_to_json)
{
    struct rr_label items[] = {
        {"a\"b", "c\\d"},
        {"ctl", "\x01\n\x1f\x7f"},
        {"empty", ""},
        {"utf", "\xe2\x86\x92\xc3\xa9"},
    };
    struct rr_labelset set = {items, 4};
    struct rr_buf b;
    rr_buf_init(&b, 1024);
    ck_assert(rr_buf_puts(&b, "x=") == RR_OK);
    ck_assert_int_eq(rr_labelset_to_json(&set, &b), RR_OK);
    ck_assert_str_eq(b.data, "x={\"a\\\"b\":\"c\\\\d\",\"ctl\":\"\\u0001\\u000a\\u001f\x7f\","
                             "\"empty\":\"\",\"utf\":\"\xe2\x86\x92\xc3\xa9\"}");
    rr_buf_release(&b);

    struct rr_labelset none = {NULL, 0};
    rr_buf_init(&b, 1024);
    ck_assert_int_eq(rr_labelset_to_json(&none, &b), RR_OK);
    ck_assert_str_eq(b.data, "{}");
    rr_buf_release(&b);

    /* Over the buffer's cap: an error, and the buffer as it was. */
    rr_buf_init(&b, 20);
    ck_assert(rr_buf_puts(&b, "keep") == RR_OK);
    ck_assert_int_eq(rr_labelset_to_json(&set, &b), RR_ERR_LIMIT);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(b.data, "keep");
    rr_buf_release(&b);
}
END_TEST

START_TEST(test_labelset_to_json_of_parsed)
{
    struct rr_webhook *wh = parse_fixture("am-wire-raw-html-escaped.json", NULL, NULL);
    struct rr_buf b;
    rr_buf_init(&b, 4096);
    ck_assert_int_eq(rr_labelset_to_json(&wh->alerts[0].annotations, &b), RR_OK);
    ck_assert_str_eq(b.data, "{\"runbook_url\":\"https://runbooks.example.internal/temporal/"
                             "workflow-failure-rate?section=a&b=c\",\"summary\":\"failures > 5% "
                             "<b>&</b> rising \xe2\x86\x92 check \\\"ChargeCard\\\"\"}");
    rr_buf_release(&b);
    rr_webhook_free(wh);
}
END_TEST

START_TEST(test_fingerprint_known_values)
{
    struct rr_labelset none = {NULL, 0};
    ck_assert(rr_labelset_fingerprint(&none) == 0xcbf29ce484222325ULL); /* FNV offset basis */
    /* FNV-1a 64 of "a" 0xFF "b" 0xFF, computed by hand from the published constants. */
    struct rr_label one[] = {{"a", "b"}};
    struct rr_labelset set = {one, 1};
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char bytes[] = {'a', 0xFF, 'b', 0xFF};
    for (size_t i = 0; i < 4; i++)
        h = (h ^ bytes[i]) * 0x100000001b3ULL;
    ck_assert(rr_labelset_fingerprint(&set) == h);
}
END_TEST

START_TEST(test_misc)
{
    ck_assert_str_eq(rr_alert_status_name(RR_ALERT_FIRING), "firing");
    ck_assert_str_eq(rr_alert_status_name(RR_ALERT_RESOLVED), "resolved");
    rr_webhook_free(NULL);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *alert_suite(void)
{
    Suite *s = suite_create("alert");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, test_fixture_parses, 0, N(fixtures));
    tcase_add_loop_test(tc, test_fixture_fingerprints, 0, N(fixtures));
    tcase_add_test(tc, test_fixture_details);
    tcase_add_test(tc, test_fixture_wire_bytes);
    tcase_add_test(tc, test_api_v2_body_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("reject");
    tcase_set_timeout(tc, 30); /* 10001 alerts and 100000 labels under sanitizers */
    tcase_add_loop_test(tc, test_bad_body, 0, N(bad));
    suite_add_tcase(s, tc);

    tc = tcase_create("accept");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_minimal_and_defaults);
    tcase_add_test(tc, test_null_is_absent_and_unknown_ignored);
    tcase_add_test(tc, test_caps_at_the_limit_accepted);
    tcase_add_test(tc, test_labels_sorted_and_kept);
    tcase_add_test(tc, test_annotation_truncated_at_character);
    tcase_add_test(tc, test_too_many_annotations_dropped);
    tcase_add_test(tc, test_long_strings_truncated);
    tcase_add_loop_test(tc, test_timestamps, 0, N(times));
    tcase_add_test(tc, test_ends_at_zero_forms);
    suite_add_tcase(s, tc);

    tc = tcase_create("labelset");
    tcase_add_test(tc, test_labelset_to_json);
    tcase_add_test(tc, test_labelset_to_json_of_parsed);
    tcase_add_test(tc, test_fingerprint_known_values);
    tcase_add_test(tc, test_misc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alert_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

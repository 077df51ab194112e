/*
 * check_notify: the Slack and PagerDuty renderers and the sender.
 *
 * Every rendered payload goes through the strict fakes' validators (MUST and SHOULD rules of
 * paging-apis.md §E), for each page kind and for inputs far past every limit; then exact
 * fields: header text, truncation ("…", valid UTF-8, the expected character count), mrkdwn
 * escaping, dedup_key, severity mapping, links, the decision object. The sender runs against
 * the HTTP fakes on loopback: each answer class, Retry-After, timeouts, a refused connection,
 * and the URL (a secret) never showing in the result.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "rr/buf.h"
#include "rr/clock.h"
#include "rr/notify.h"

#include "fake_paging.h"

#define N(a)        ((int)(sizeof(a) / sizeof((a)[0])))

#define ROUTING_KEY "R0123456789abcdef0123456789abcde"
#define DEDUP_KEY   "9f2c4e1a7b3d5f6e8a0c2e4f6a8b0d1e3f5a7c9e1b3d5f7a9c1e3a5b7d9f1e3a"
#define ELLIPSIS    "\xE2\x80\xA6"

static const char decision[] =
    "{\"layer\":\"platform\",\"team\":\"platform\",\"kind\":\"latency\","
    "\"route\":\"persistence-latency\",\"owner_source\":\"route\",\"affected_team\":\"payments\","
    "\"evidence\":[\"alert TemporalPersistenceLatencyHigh matches route persistence-latency\"],"
    "\"runbook\":\"temporal-persistence-latency\",\"score\":0.93,\"tags\":[\"db\",null]}";

static const char *const evidence[] = {
    "alert TemporalPersistenceLatencyHigh matches route persistence-latency "
    "(routing/routes.yml:12)",
    "namespace payments-prod belongs to team payments, which is affected, not the owner",
};

static const char *const teams[] = {"platform", "payments", "search", "identity"};

/* A trigger with every field set. */
static struct rr_page_content full_page(void)
{
    return (struct rr_page_content){
        .kind = RR_PAGE_TRIGGER,
        .escalation_id = 42,
        .alertname = "TemporalPersistenceLatencyHigh",
        .fingerprint = "a1b2c3d4e5f60718",
        .starts_at = "2026-11-22T01:33:12.168Z",
        .severity = "critical",
        .summary = "Persistence latency p99 above 1s",
        .description = "p99 of persistence requests in cluster prod-1 has been over 1s for 10m.",
        .generator_url = "http://prometheus.example.com/graph?g0.expr=x&g0.tab=1",
        .decision_json = decision,
        .layer = "platform",
        .team = "platform",
        .kind_name = "latency",
        .route = "persistence-latency",
        .owner_source = "route",
        .affected_team = "payments",
        .evidence = evidence,
        .n_evidence = N(evidence),
        .namespace = "payments-prod",
        .workflow_type = "ChargeWorkflow",
        .task_queue = "charges",
        .cluster = "prod-1",
        .runbook_id = "temporal-persistence-latency",
        .runbook_url = "https://rr.example.com/runbooks/temporal-persistence-latency",
        .runbook_excerpt = "Check the persistence store's p99 in the Temporal dashboard.",
        .external_url = "https://rr.example.com/",
        .dedup_key = DEDUP_KEY,
        .teams = teams,
        .n_teams = N(teams),
    };
}

/* ---- helpers ---- */

static json_t *render_slack(const struct rr_page_content *p)
{
    struct rr_buf out;
    rr_buf_init(&out, RR_NOTIFY_MAX_BODY);
    ck_assert_int_eq(rr_notify_render_slack(p, &out), RR_OK);
    char why[512];
    ck_assert_msg(fake_validate_slack_ex(out.data, out.len, FAKE_STRICT_SHOULD, why, sizeof why),
                  "invalid Slack payload: %s\n%.2000s", why, out.data);
    json_t *j = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(j);
    rr_buf_release(&out);
    return j;
}

static json_t *render_pd(const struct rr_page_content *p, size_t *len)
{
    struct rr_buf out;
    rr_buf_init(&out, RR_NOTIFY_MAX_BODY);
    ck_assert_int_eq(rr_notify_render_pagerduty(p, ROUTING_KEY, &out), RR_OK);
    char why[512];
    ck_assert_msg(
        fake_validate_pagerduty_ex(out.data, out.len, FAKE_STRICT_SHOULD, why, sizeof why),
        "invalid PagerDuty event: %s", why);
    ck_assert_uint_le(out.len, RR_PAGERDUTY_MAX_EVENT);
    if (len)
        *len = out.len;
    json_t *j = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(j);
    rr_buf_release(&out);
    return j;
}

static const char *str(json_t *j)
{
    ck_assert_msg(json_is_string(j), "not a string");
    return json_string_value(j);
}

static json_t *blocks(json_t *msg)
{
    return json_object_get(msg, "blocks");
}

/* The block with this block_id, or NULL. */
static json_t *block(json_t *msg, const char *id)
{
    size_t i;
    json_t *b;
    json_array_foreach(blocks(msg), i, b)
    {
        const char *bid = json_string_value(json_object_get(b, "block_id"));
        if (bid && strcmp(bid, id) == 0)
            return b;
    }
    return NULL;
}

static const char *block_text(json_t *msg, const char *id)
{
    json_t *b = block(msg, id);
    ck_assert_msg(b != NULL, "no block %s", id);
    return str(json_object_get(json_object_get(b, "text"), "text"));
}

/* The element of the actions block with this type, or NULL. */
static json_t *action(json_t *msg, const char *type)
{
    json_t *b = block(msg, "actions");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(b, "elements"), i, e)
    {
        if (strcmp(str(json_object_get(e, "type")), type) == 0)
            return e;
    }
    return NULL;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* Strict UTF-8 (jansson's decoder already refused anything else; this checks our cut). */
static bool valid_utf8(const char *s)
{
    json_t *j = json_string(s);
    bool ok = j != NULL;
    json_decref(j);
    return ok;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = rr_xmalloc(u * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

/* ---- Slack: the kinds ---- */

START_TEST(test_slack_trigger_full)
{
    struct rr_page_content p = full_page();
    json_t *m = render_slack(&p);
    json_t *header = json_object_get(block(m, "header"), "text");
    ck_assert_str_eq(str(json_object_get(header, "type")), "plain_text");
    ck_assert_str_eq(str(json_object_get(header, "text")),
                     "\xF0\x9F\x94\xA5 [CRITICAL] TemporalPersistenceLatencyHigh");
    ck_assert_str_eq(block_text(m, "summary"),
                     "*Persistence latency p99 above 1s*\np99 of persistence requests in cluster "
                     "prod-1 has been over 1s for 10m.");
    ck_assert_str_eq(block_text(m, "why"),
                     "*Why you:*\n\xE2\x80\xA2 alert TemporalPersistenceLatencyHigh matches route "
                     "persistence-latency (routing/routes.yml:12)\n\xE2\x80\xA2 namespace "
                     "payments-prod belongs to team payments, which is affected, not the owner");
    json_t *fields = json_object_get(block(m, "facts"), "fields");
    static const char *const want[] = {"*Layer:*\nplatform",
                                       "*Team:*\nplatform",
                                       "*Affected team:*\npayments",
                                       "*Kind:*\nlatency",
                                       "*Route:*\npersistence-latency",
                                       "*Namespace:*\npayments-prod",
                                       "*Workflow type:*\nChargeWorkflow",
                                       "*Task queue:*\ncharges",
                                       "*Cluster:*\nprod-1"};
    ck_assert_uint_eq(json_array_size(fields), N(want));
    for (int i = 0; i < N(want); i++)
        ck_assert_str_eq(str(json_object_get(json_array_get(fields, (size_t)i), "text")), want[i]);
    ck_assert_str_eq(block_text(m, "runbook"),
                     "*Runbook:* <https://rr.example.com/runbooks/temporal-persistence-latency|"
                     "temporal-persistence-latency>\n*Diagnosis*\nCheck the persistence "
                     "store's p99 in the Temporal dashboard.");
    json_t *btn = action(m, "button");
    ck_assert_str_eq(str(json_object_get(json_object_get(btn, "text"), "text")), "Runbook");
    ck_assert_str_eq(str(json_object_get(btn, "url")), p.runbook_url);
    json_t *sel = action(m, "static_select");
    ck_assert_str_eq(str(json_object_get(sel, "action_id")), "reroute");
    ck_assert_str_eq(str(json_object_get(json_object_get(sel, "placeholder"), "text")),
                     "Not ours" ELLIPSIS);
    /* Every team but the one paged. */
    json_t *opts = json_object_get(sel, "options");
    ck_assert_uint_eq(json_array_size(opts), 3);
    ck_assert_str_eq(str(json_object_get(json_array_get(opts, 0), "value")), "42:payments");
    ck_assert_str_eq(str(json_object_get(json_object_get(json_array_get(opts, 0), "text"), "text")),
                     "payments");
    ck_assert_str_eq(str(json_object_get(json_array_get(opts, 2), "value")), "42:identity");
    const char *ctx = str(json_object_get(
        json_array_get(json_object_get(block(m, "context"), "elements"), 0), "text"));
    ck_assert_str_eq(ctx, "runbook-router \xC2\xB7 "
                          "<https://rr.example.com/api/v1/escalations/42|escalation #42> \xC2\xB7 "
                          "fingerprint a1b2c3d4e5f60718 \xC2\xB7 started 2026-11-22T01:33:12.168Z "
                          "\xC2\xB7 <http://prometheus.example.com/graph?g0.expr=x&amp;g0.tab=1|"
                          "Prometheus>");
    ck_assert_str_eq(str(json_object_get(m, "text")),
                     "\xF0\x9F\x94\xA5 [CRITICAL] TemporalPersistenceLatencyHigh: Persistence "
                     "latency p99 above 1s \xE2\x80\x94 team platform");
    json_decref(m);
}
END_TEST

START_TEST(test_slack_trigger_minimal)
{
    struct rr_page_content p = {.kind = RR_PAGE_TRIGGER, .alertname = "TemporalWorkflowFailed"};
    json_t *m = render_slack(&p);
    ck_assert_str_eq(str(json_object_get(json_object_get(block(m, "header"), "text"), "text")),
                     "\xF0\x9F\x94\x94 TemporalWorkflowFailed");
    ck_assert_str_eq(block_text(m, "summary"), "*TemporalWorkflowFailed* is firing");
    ck_assert_ptr_null(block(m, "why"));
    ck_assert_ptr_null(block(m, "facts"));
    ck_assert_ptr_null(block(m, "actions")); /* no URL, no escalation: no buttons */
    ck_assert_str_eq(block_text(m, "runbook"), "*Runbook:* No runbook in runbooks/ for this alert");
    ck_assert_uint_eq(json_array_size(blocks(m)), 4);
    json_decref(m);

    /* Not even an alert name. */
    struct rr_page_content empty = {.kind = RR_PAGE_TRIGGER};
    m = render_slack(&empty);
    ck_assert_str_eq(block_text(m, "summary"), "*unnamed alert* is firing");
    json_decref(m);
}
END_TEST

START_TEST(test_slack_trigger_no_runbook)
{
    struct rr_page_content p = full_page();
    p.runbook_id = NULL;
    p.runbook_url = NULL;
    p.runbook_excerpt = NULL;
    p.annotation_runbook_url = "https://wiki.example.com/runbooks/latency?x=1&y=2";
    json_t *m = render_slack(&p);
    ck_assert_str_eq(block_text(m, "runbook"),
                     "*Runbook:* No runbook in runbooks/ for this alert\nThe alert names one: "
                     "<https://wiki.example.com/runbooks/latency?x=1&amp;y=2|runbook_url "
                     "annotation>");
    ck_assert_str_eq(str(json_object_get(action(m, "button"), "url")), p.annotation_runbook_url);
    json_decref(m);

    /* An annotation URL that would break out of a link is left out, as is its button. */
    p.annotation_runbook_url = "https://x.example.com/a>b|c";
    p.teams = NULL;
    p.n_teams = 0;
    m = render_slack(&p);
    ck_assert_str_eq(block_text(m, "runbook"), "*Runbook:* No runbook in runbooks/ for this alert");
    ck_assert_ptr_null(block(m, "actions"));
    json_decref(m);

    /* A runbook whose URL is unusable is still named. */
    p = full_page();
    p.runbook_url = "javascript:alert(1)";
    p.runbook_excerpt = NULL;
    m = render_slack(&p);
    ck_assert_str_eq(block_text(m, "runbook"), "*Runbook:* temporal-persistence-latency");
    ck_assert_ptr_null(action(m, "button"));
    ck_assert_ptr_nonnull(action(m, "static_select"));
    json_decref(m);
}
END_TEST

START_TEST(test_slack_resolve)
{
    struct rr_page_content p = full_page();
    p.kind = RR_PAGE_RESOLVE;
    p.ends_at = "2026-11-22T02:00:00Z";
    json_t *m = render_slack(&p);
    ck_assert_str_eq(str(json_object_get(m, "text")),
                     "\xE2\x9C\x85 Resolved: TemporalPersistenceLatencyHigh");
    ck_assert_str_eq(block_text(m, "resolved"),
                     "\xE2\x9C\x85 *Resolved:* TemporalPersistenceLatencyHigh\n*Team:* platform "
                     "\xC2\xB7 *Namespace:* payments-prod");
    const char *ctx = str(json_object_get(
        json_array_get(json_object_get(block(m, "context"), "elements"), 0), "text"));
    ck_assert_ptr_nonnull(strstr(ctx, "|escalation #42>"));
    ck_assert_ptr_nonnull(strstr(ctx, "ended 2026-11-22T02:00:00Z"));
    ck_assert_ptr_null(block(m, "actions"));
    ck_assert_uint_eq(json_array_size(blocks(m)), 2);
    json_decref(m);
}
END_TEST

START_TEST(test_slack_fyi)
{
    struct rr_page_content p = full_page();
    p.kind = RR_PAGE_FYI;
    p.escalation_id = 0;
    json_t *m = render_slack(&p);
    ck_assert_str_eq(str(json_object_get(json_object_get(block(m, "header"), "text"), "text")),
                     "FYI: platform incident affecting your workflows");
    ck_assert_str_eq(block_text(m, "owner"),
                     "Owned by the *platform* team (platform layer), who has been paged. Nothing "
                     "is needed from *payments*: this explains failures or latency your "
                     "workflows may show.");
    ck_assert(
        starts_with(block_text(m, "summary"), "*TemporalPersistenceLatencyHigh*: *Persistence"));
    ck_assert(starts_with(block_text(m, "why"), "*Why:*\n\xE2\x80\xA2 alert"));
    ck_assert_ptr_nonnull(block(m, "facts"));
    ck_assert_ptr_null(block(m, "actions")); /* never a reroute select */
    json_decref(m);
}
END_TEST

static char **digest_lines(size_t n)
{
    char **lines = rr_xcalloc(n, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        char line[160];
        snprintf(line, sizeof line,
                 "TemporalWorkflowFailed ChargeWorkflow %04zu in payments-prod <fp %016zx> & co", i,
                 i);
        lines[i] = rr_xstrdup(line);
    }
    return lines;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

START_TEST(test_slack_digest)
{
    size_t n = 500;
    char **lines = digest_lines(n);
    struct rr_page_content p = {.kind = RR_PAGE_DIGEST,
                                .team = "payments",
                                .digest_lines = (const char *const *)lines,
                                .n_digest = n};
    json_t *m = render_slack(&p);
    ck_assert_str_eq(str(json_object_get(json_object_get(block(m, "header"), "text"), "text")),
                     "500 more pages for payments folded (storm)");
    ck_assert_str_eq(str(json_object_get(m, "text")), "500 more pages for payments folded (storm)");
    /* The listed lines, in order and escaped, plus "…and N more" add up to 500. */
    size_t listed = 0, more = 0;
    size_t i;
    json_t *b;
    json_array_foreach(blocks(m), i, b)
    {
        if (strcmp(str(json_object_get(b, "type")), "section") != 0)
            continue;
        const char *t = str(json_object_get(json_object_get(b, "text"), "text"));
        ck_assert_uint_le(chars(t), 3000);
        for (const char *l = t; l && *l;) {
            if (strncmp(l, "\xE2\x80\xA2 ", 4) == 0) {
                char want[200];
                snprintf(want, sizeof want,
                         "\xE2\x80\xA2 TemporalWorkflowFailed ChargeWorkflow %04zu in "
                         "payments-prod &lt;fp %016zx&gt; &amp; co",
                         listed, listed);
                ck_assert(strncmp(l, want, strlen(want)) == 0);
                listed++;
            } else {
                ck_assert_int_eq(sscanf(l, ELLIPSIS "and %zu more", &more), 1);
            }
            l = strchr(l, '\n');
            l = l ? l + 1 : NULL;
        }
    }
    ck_assert_uint_gt(listed, 50);
    ck_assert_uint_lt(listed, n);
    ck_assert_uint_eq(listed + more, n);
    ck_assert_uint_le(json_array_size(blocks(m)), 50);
    json_decref(m);
    free_lines(lines, n);

    /* A short digest lists everything. */
    lines = digest_lines(3);
    p.digest_lines = (const char *const *)lines;
    p.n_digest = 3;
    p.team = NULL;
    m = render_slack(&p);
    ck_assert_str_eq(str(json_object_get(json_object_get(block(m, "header"), "text"), "text")),
                     "3 more pages for unknown team folded (storm)");
    const char *t = block_text(m, "digest-1");
    ck_assert_ptr_null(strstr(t, "more"));
    ck_assert_uint_eq(json_array_size(blocks(m)), 3);
    json_decref(m);
    free_lines(lines, 3);
}
END_TEST

START_TEST(test_slack_fallback)
{
    struct rr_page_content p = full_page();
    p.kind = RR_PAGE_FALLBACK;
    p.failed_team = "payments";
    p.failed_channel = "pagerduty";
    p.failure = "HTTP 400: Event object is invalid: PD-21 payload.summary <too long>";
    json_t *m = render_slack(&p);
    ck_assert_str_eq(str(json_object_get(m, "text")),
                     "Page to payments via pagerduty could not be delivered: HTTP 400: Event "
                     "object is invalid: PD-21 payload.summary &lt;too long&gt;");
    const char *t = block_text(m, "failure");
    ck_assert_msg(starts_with(t, "Page to *payments* via *pagerduty* could not be delivered: HTTP "
                                 "400: Event object is invalid: PD-21 payload.summary &lt;too "
                                 "long&gt;\n*Alert:* TemporalPersistenceLatencyHigh \xE2\x80\x94 "
                                 "Persistence latency p99 above 1s"),
                  "%s", t);
    /* page->team is the notice's recipient (the platform team), not the failed page's. */
    ck_assert_ptr_null(strstr(t, "Routed"));
    ck_assert_ptr_nonnull(
        strstr(str(json_object_get(
                   json_array_get(json_object_get(block(m, "context"), "elements"), 0), "text")),
               "escalation #42"));
    json_decref(m);

    struct rr_page_content bare = {.kind = RR_PAGE_FALLBACK};
    json_decref(render_slack(&bare));
}
END_TEST

/* ---- Slack: escaping and limits ---- */

START_TEST(test_slack_escaping)
{
    struct rr_page_content p = full_page();
    p.alertname = "<b>Alert&</b>";
    p.summary = "<script>&";
    p.description = "a > b && c < d";
    p.team = "team<x>";
    p.runbook_id = "rb|<1>";
    const char *ev[] = {"<@U123> & <!channel>"};
    p.evidence = ev;
    p.n_evidence = 1;
    json_t *m = render_slack(&p);
    /* plain_text is shown as is; mrkdwn gets & < > as entities. */
    ck_assert_str_eq(str(json_object_get(json_object_get(block(m, "header"), "text"), "text")),
                     "\xF0\x9F\x94\xA5 [CRITICAL] <b>Alert&</b>");
    ck_assert_str_eq(block_text(m, "summary"),
                     "*&lt;script&gt;&amp;*\na &gt; b &amp;&amp; c &lt; d");
    ck_assert_str_eq(block_text(m, "why"), "*Why you:*\n\xE2\x80\xA2 &lt;@U123&gt; &amp; "
                                           "&lt;!channel&gt;");
    ck_assert_str_eq(str(json_object_get(
                         json_array_get(json_object_get(block(m, "facts"), "fields"), 1), "text")),
                     "*Team:*\nteam&lt;x&gt;");
    ck_assert(
        starts_with(block_text(m, "runbook"),
                    "*Runbook:* <https://rr.example.com/runbooks/temporal-persistence-latency|"
                    "rb|&lt;1&gt;>\n*Diagnosis*\n"));
    ck_assert_str_eq(str(json_object_get(m, "text")),
                     "\xF0\x9F\x94\xA5 [CRITICAL] &lt;b&gt;Alert&amp;&lt;/b&gt;: "
                     "&lt;script&gt;&amp; \xE2\x80\x94 team team&lt;x&gt;");
    /* The paged team is "team<x>" now, so "platform" is offered again. */
    ck_assert_uint_eq(json_array_size(json_object_get(action(m, "static_select"), "options")), 4);
    json_decref(m);
}
END_TEST

START_TEST(test_slack_huge_summary)
{
    /* 100 KB of two- and three-byte characters. */
    char *big = repeat("\xC3\xBC\xE2\x9C\x93", 20000);
    struct rr_page_content p = full_page();
    p.summary = big;
    json_t *m = render_slack(&p);
    /* Bold summary: its own cap (a third of the section), cut with "…", then the closing "*". */
    const char *s = block_text(m, "summary");
    const char *end = strstr(s, "*\n");
    ck_assert_ptr_nonnull(end);
    size_t bold_len = (size_t)(end - s) - 1;
    char *bold = rr_xstrndup(s + 1, bold_len);
    ck_assert(valid_utf8(bold));
    ck_assert_uint_eq(chars(bold), 1000);
    ck_assert(ends_with(bold, ELLIPSIS));
    ck_assert(strncmp(bold, big, bold_len - 3) == 0);
    free(bold);
    /* The notification text: exactly 3000 UTF-16 units (the fire emoji is two of them, so
     * 2999 characters), the last one "…". */
    const char *text = str(json_object_get(m, "text"));
    ck_assert(valid_utf8(text));
    ck_assert_uint_eq(chars(text), 2999);
    ck_assert(ends_with(text, ELLIPSIS));
    json_decref(m);
    free(big);
}
END_TEST

START_TEST(test_slack_many_evidence_lines)
{
    size_t n = 1000;
    char **lines = digest_lines(n);
    struct rr_page_content p = full_page();
    p.evidence = (const char *const *)lines;
    p.n_evidence = n;
    json_t *m = render_slack(&p);
    const char *why = block_text(m, "why");
    ck_assert_uint_le(chars(why), 3000);
    const char *last = strrchr(why, '\n');
    size_t more = 0;
    ck_assert_int_eq(sscanf(last + 1, ELLIPSIS "and %zu more", &more), 1);
    size_t bullets = 0;
    for (const char *b = why; (b = strstr(b, "\xE2\x80\xA2 ")) != NULL; b++)
        bullets++;
    ck_assert_uint_eq(bullets + more, n);
    ck_assert_uint_gt(bullets, 10);
    json_decref(m);
    free_lines(lines, n);
}
END_TEST

START_TEST(test_slack_many_teams)
{
    size_t n = 200;
    char **names = rr_xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        char t[32];
        snprintf(t, sizeof t, "team-%03zu", i);
        names[i] = rr_xstrdup(t);
    }
    struct rr_page_content p = full_page();
    p.team = "team-000";
    p.teams = (const char *const *)names;
    p.n_teams = n;
    json_t *m = render_slack(&p);
    json_t *opts = json_object_get(action(m, "static_select"), "options");
    ck_assert_uint_eq(json_array_size(opts), 100);
    ck_assert_str_eq(str(json_object_get(json_array_get(opts, 0), "value")), "42:team-001");
    ck_assert_str_eq(str(json_object_get(json_array_get(opts, 99), "value")), "42:team-100");
    const char *ctx = str(json_object_get(
        json_array_get(json_object_get(block(m, "context"), "elements"), 0), "text"));
    ck_assert_ptr_nonnull(
        strstr(ctx, "99 more teams not listed: runbook-router reroute 42 --team TEAM"));
    json_decref(m);

    /* Option text is cut at 75 characters; a value over 150 characters leaves the team out. */
    char *long_name = repeat("\xC3\xA9", 80);
    char *too_long = repeat("x", 150);
    const char *odd[] = {long_name, too_long, "", NULL, "ok"};
    p.teams = odd;
    p.n_teams = N(odd);
    m = render_slack(&p);
    opts = json_object_get(action(m, "static_select"), "options");
    ck_assert_uint_eq(json_array_size(opts), 2);
    const char *t = str(json_object_get(json_object_get(json_array_get(opts, 0), "text"), "text"));
    ck_assert_uint_eq(chars(t), 75);
    ck_assert(ends_with(t, ELLIPSIS));
    ck_assert_str_eq(str(json_object_get(json_array_get(opts, 1), "value")), "42:ok");
    json_decref(m);
    free(long_name);
    free(too_long);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
END_TEST

/* Every input far past its limit at once: the message must shrink to fit SL-60, not fail. */
START_TEST(test_slack_everything_huge)
{
    char *big = repeat("\xC3\xBC<&>", 25000);
    char *name = repeat("n", 70);
    size_t n = 1000;
    char **lines = digest_lines(n);
    char **names = rr_xcalloc(200, sizeof *names);
    for (size_t i = 0; i < 200; i++) {
        names[i] = rr_xstrdup(name);
        names[i][0] = (char)('a' + i % 26);
        names[i][1] = (char)('a' + i / 26);
    }
    struct rr_page_content p = full_page();
    p.alertname = big;
    p.severity = big;
    p.summary = big;
    p.description = big;
    p.runbook_excerpt = big;
    p.layer = p.team = p.kind_name = p.route = p.affected_team = big;
    p.namespace = p.workflow_type = p.task_queue = p.cluster = p.fingerprint = big;
    p.starts_at = big;
    p.evidence = (const char *const *)lines;
    p.n_evidence = n;
    p.teams = (const char *const *)names;
    p.n_teams = 200;
    for (int kind = RR_PAGE_TRIGGER; kind <= RR_PAGE_FALLBACK; kind++) {
        p.kind = (enum rr_page_kind)kind;
        p.digest_lines = (const char *const *)lines;
        p.n_digest = n;
        p.failure = big;
        p.failed_team = big;
        json_decref(render_slack(&p)); /* strict validation inside */
    }
    free_lines(lines, n);
    for (size_t i = 0; i < 200; i++)
        free(names[i]);
    free(names);
    free(name);
    free(big);
}
END_TEST

START_TEST(test_slack_invalid_utf8_and_controls)
{
    struct rr_page_content p = full_page();
    p.summary = "bad \xC3\x28 byte \xF0\x9F\x94 and \x01 control";
    p.alertname = "Line\nBreak";
    json_t *m = render_slack(&p);
    ck_assert_str_eq(str(json_object_get(json_object_get(block(m, "header"), "text"), "text")),
                     "\xF0\x9F\x94\xA5 [CRITICAL] Line Break");
    ck_assert_msg(starts_with(block_text(m, "summary"),
                              "*bad \xEF\xBF\xBD( byte "
                              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD and   "
                              "control*\n"),
                  "%s", block_text(m, "summary"));
    json_decref(m);
}
END_TEST

START_TEST(test_slack_errors)
{
    struct rr_page_content p = full_page();
    p.kind = (enum rr_page_kind)99;
    struct rr_buf out;
    rr_buf_init(&out, RR_NOTIFY_MAX_BODY);
    ck_assert_int_eq(rr_notify_render_slack(&p, &out), RR_ERR_INVAL);
    ck_assert_uint_eq(out.len, 0);
    rr_buf_release(&out);
    /* A buffer too small: nothing appended. */
    p = full_page();
    rr_buf_init(&out, 100);
    ck_assert(rr_buf_puts(&out, "keep") == RR_OK);
    ck_assert_int_eq(rr_notify_render_slack(&p, &out), RR_ERR_LIMIT);
    ck_assert_str_eq(out.data, "keep");
    rr_buf_release(&out);
}
END_TEST

/* ---- PagerDuty ---- */

START_TEST(test_pd_trigger_full)
{
    struct rr_page_content p = full_page();
    json_t *ev = render_pd(&p, NULL);
    ck_assert_str_eq(str(json_object_get(ev, "routing_key")), ROUTING_KEY);
    ck_assert_str_eq(str(json_object_get(ev, "event_action")), "trigger");
    ck_assert_str_eq(str(json_object_get(ev, "dedup_key")), DEDUP_KEY);
    json_t *pl = json_object_get(ev, "payload");
    ck_assert_str_eq(str(json_object_get(pl, "summary")),
                     "TemporalPersistenceLatencyHigh: Persistence latency p99 above 1s");
    ck_assert_str_eq(str(json_object_get(pl, "source")), "prod-1");
    ck_assert_str_eq(str(json_object_get(pl, "severity")), "critical");
    ck_assert_str_eq(str(json_object_get(pl, "timestamp")), "2026-11-22T01:33:12.168Z");
    ck_assert_str_eq(str(json_object_get(pl, "component")), "payments-prod");
    ck_assert_str_eq(str(json_object_get(pl, "group")), "platform");
    ck_assert_str_eq(str(json_object_get(pl, "class")), "latency");
    json_t *cd = json_object_get(pl, "custom_details");
    json_t *want = json_loads(decision, 0, NULL);
    ck_assert(json_is_object(json_object_get(cd, "decision")));
    ck_assert(json_equal(json_object_get(cd, "decision"), want));
    json_decref(want);
    ck_assert_str_eq(str(json_object_get(cd, "summary")), p.summary);
    ck_assert_str_eq(str(json_object_get(cd, "description")), p.description);
    ck_assert_int_eq(json_integer_value(json_object_get(cd, "escalation_id")), 42);
    ck_assert_uint_eq(json_array_size(json_object_get(cd, "evidence")), 2);
    json_t *links = json_object_get(ev, "links");
    ck_assert_uint_eq(json_array_size(links), 2);
    ck_assert_str_eq(str(json_object_get(json_array_get(links, 0), "href")), p.runbook_url);
    ck_assert_str_eq(str(json_object_get(json_array_get(links, 0), "text")),
                     "Runbook: temporal-persistence-latency");
    ck_assert_str_eq(str(json_object_get(json_array_get(links, 1), "href")), p.generator_url);
    ck_assert_str_eq(str(json_object_get(ev, "client")), "runbook-router");
    ck_assert_str_eq(str(json_object_get(ev, "client_url")),
                     "https://rr.example.com/api/v1/escalations/42");
    json_decref(ev);
}
END_TEST

START_TEST(test_pd_trigger_minimal)
{
    struct rr_page_content p = {.kind = RR_PAGE_TRIGGER, .dedup_key = "k"};
    json_t *ev = render_pd(&p, NULL);
    json_t *pl = json_object_get(ev, "payload");
    ck_assert_str_eq(str(json_object_get(pl, "summary")), "alert");
    ck_assert_str_eq(str(json_object_get(pl, "source")), "runbook-router");
    ck_assert_str_eq(str(json_object_get(pl, "severity")), "error");
    ck_assert_ptr_null(json_object_get(pl, "timestamp"));
    ck_assert_ptr_null(json_object_get(pl, "component"));
    ck_assert_ptr_null(json_object_get(ev, "links"));
    ck_assert_ptr_null(json_object_get(ev, "client_url"));
    json_decref(ev);

    /* Namespace for source when there is no cluster; workflow type for component. */
    p.alertname = "A";
    p.description = "only a description";
    p.namespace = "ns";
    p.workflow_type = "WF";
    p.starts_at = "not a time";
    ev = render_pd(&p, NULL);
    pl = json_object_get(ev, "payload");
    ck_assert_str_eq(str(json_object_get(pl, "summary")), "A: only a description");
    ck_assert_str_eq(str(json_object_get(pl, "source")), "ns");
    ck_assert_str_eq(str(json_object_get(pl, "component")), "ns");
    ck_assert_ptr_null(json_object_get(pl, "timestamp"));
    json_decref(ev);
    p.namespace = NULL;
    ev = render_pd(&p, NULL);
    ck_assert_str_eq(str(json_object_get(json_object_get(ev, "payload"), "component")), "WF");
    json_decref(ev);
}
END_TEST

START_TEST(test_pd_no_runbook)
{
    struct rr_page_content p = full_page();
    p.runbook_id = NULL;
    p.annotation_runbook_url = "https://wiki.example.com/latency";
    p.generator_url = "";
    p.external_url = "https://rr.example.com";
    p.escalation_id = 0;
    json_t *ev = render_pd(&p, NULL);
    json_t *links = json_object_get(ev, "links");
    ck_assert_uint_eq(json_array_size(links), 1);
    ck_assert_str_eq(str(json_object_get(json_array_get(links, 0), "href")),
                     "https://wiki.example.com/latency");
    ck_assert_str_eq(str(json_object_get(json_array_get(links, 0), "text")),
                     "Runbook (alert annotation)");
    ck_assert_str_eq(str(json_object_get(ev, "client_url")), "https://rr.example.com");
    json_decref(ev);
}
END_TEST

START_TEST(test_pd_resolve)
{
    struct rr_page_content p = full_page();
    p.kind = RR_PAGE_RESOLVE;
    json_t *ev = render_pd(&p, NULL);
    ck_assert_uint_eq(json_object_size(ev), 3);
    ck_assert_str_eq(str(json_object_get(ev, "routing_key")), ROUTING_KEY);
    ck_assert_str_eq(str(json_object_get(ev, "dedup_key")), DEDUP_KEY);
    ck_assert_str_eq(str(json_object_get(ev, "event_action")), "resolve");
    json_decref(ev);
}
END_TEST

static const struct {
    const char *label, *pd;
} severities[] = {
    {"critical", "critical"}, {"CRITICAL", "critical"}, {"page", "critical"}, {"error", "error"},
    {"warning", "warning"},   {"warn", "warning"},      {"info", "info"},     {"none", "info"},
    {"high", "error"},        {"bogus", "error"},       {"", "error"},        {NULL, "error"},
};

START_TEST(test_pd_severity)
{
    struct rr_page_content p = full_page();
    p.severity = severities[_i].label;
    json_t *ev = render_pd(&p, NULL);
    ck_assert_str_eq(str(json_object_get(json_object_get(ev, "payload"), "severity")),
                     severities[_i].pd);
    json_decref(ev);
}
END_TEST

START_TEST(test_pd_summary_cut)
{
    char *big = repeat("\xC3\xBC\xE2\x9C\x93", 20000);
    struct rr_page_content p = full_page();
    p.summary = big;
    json_t *ev = render_pd(&p, NULL);
    const char *s = str(json_object_get(json_object_get(ev, "payload"), "summary"));
    ck_assert_uint_eq(chars(s), 1024);
    ck_assert(ends_with(s, ELLIPSIS));
    ck_assert(starts_with(s, "TemporalPersistenceLatencyHigh: \xC3\xBC\xE2\x9C\x93"));
    ck_assert(valid_utf8(s));
    json_decref(ev);
    free(big);
}
END_TEST

START_TEST(test_pd_huge_description)
{
    char *big = repeat("d\xC3\xA9", 700000); /* 2.1 MB */
    struct rr_page_content p = full_page();
    p.description = big;
    size_t len;
    json_t *ev = render_pd(&p, &len);
    json_t *cd = json_object_get(json_object_get(ev, "payload"), "custom_details");
    /* custom_details shrank: the description is cut, the decision is whole. */
    const char *d = str(json_object_get(cd, "description"));
    ck_assert_uint_eq(chars(d), 4096);
    ck_assert(ends_with(d, ELLIPSIS));
    json_t *want = json_loads(decision, 0, NULL);
    ck_assert(json_equal(json_object_get(cd, "decision"), want));
    json_decref(want);
    json_decref(ev);

    /* A decision too big on its own: custom_details is replaced, as Alertmanager does. */
    size_t n = 600000;
    char *huge = rr_xmalloc(n + 32);
    snprintf(huge, n + 32, "{\"x\":\"%s\"}", big + (strlen(big) - n));
    p.decision_json = huge;
    ev = render_pd(&p, &len);
    cd = json_object_get(json_object_get(ev, "payload"), "custom_details");
    ck_assert_uint_eq(json_object_size(cd), 1);
    ck_assert_str_eq(str(json_object_get(cd, "error")),
                     "custom details removed: event over 512000 bytes");
    ck_assert_str_eq(str(json_object_get(ev, "dedup_key")), DEDUP_KEY);
    ck_assert_uint_lt(len, 10000);
    json_decref(ev);
    free(huge);
    free(big);
}
END_TEST

START_TEST(test_pd_inputs)
{
    struct rr_page_content p = full_page();
    struct rr_buf out;
    rr_buf_init(&out, RR_NOTIFY_MAX_BODY);
    /* dedup_key: required, at most 255 characters (counted as characters). */
    p.dedup_key = NULL;
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, ROUTING_KEY, &out), RR_ERR_INVAL);
    char *k = repeat("\xE2\x9C\x93", 256);
    p.dedup_key = k;
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, ROUTING_KEY, &out), RR_ERR_INVAL);
    k[255 * 3] = '\0';
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, ROUTING_KEY, &out), RR_OK);
    ck_assert_ptr_nonnull(strstr(out.data, k));
    rr_buf_reset(&out);
    free(k);
    p.dedup_key = "line\nbreak";
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, ROUTING_KEY, &out), RR_ERR_INVAL);
    p.dedup_key = DEDUP_KEY;
    /* routing_key: required; passed as given otherwise. */
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, NULL, &out), RR_ERR_INVAL);
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, "", &out), RR_ERR_INVAL);
    /* Slack-only kinds. */
    p.kind = RR_PAGE_FYI;
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, ROUTING_KEY, &out), RR_ERR_INVAL);
    p.kind = RR_PAGE_DIGEST;
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, ROUTING_KEY, &out), RR_ERR_INVAL);
    ck_assert_uint_eq(out.len, 0);
    rr_buf_release(&out);

    /* A decision that is not JSON still pages, with the text kept. */
    p = full_page();
    p.decision_json = "{not json";
    json_t *ev = render_pd(&p, NULL);
    json_t *cd = json_object_get(json_object_get(ev, "payload"), "custom_details");
    ck_assert_ptr_null(json_object_get(cd, "decision"));
    ck_assert_str_eq(str(json_object_get(cd, "decision_raw")), "{not json");
    json_decref(ev);

    /* Invalid UTF-8 is replaced, never passed on. */
    p.summary = "bad \xC3\x28 byte";
    ev = render_pd(&p, NULL);
    ck_assert_str_eq(str(json_object_get(json_object_get(ev, "payload"), "summary")),
                     "TemporalPersistenceLatencyHigh: bad \xEF\xBF\xBD( byte");
    json_decref(ev);
}
END_TEST

/* ---- sender ---- */

static const char secret_path[] = "/slack/T0SECRET/B0SECRET/s3cr3t-t0k3n-XYZ";

static void send_to(struct rr_notifier *n, enum rr_channel_kind ch, const char *url,
                    const char *body, struct rr_delivery_result *r)
{
    rr_notify_send(n, ch, url, body, strlen(body), r);
    ck_assert_ptr_null(strstr(r->detail, "s3cr3t"));
    ck_assert_ptr_null(strstr(r->detail, "SECRET"));
    ck_assert_ptr_null(strstr(r->detail, "127.0.0.1"));
}

static char *slack_body(void)
{
    struct rr_page_content p = full_page();
    struct rr_buf out;
    rr_buf_init(&out, RR_NOTIFY_MAX_BODY);
    ck_assert_int_eq(rr_notify_render_slack(&p, &out), RR_OK);
    return rr_buf_take(&out);
}

static char *pd_body(void)
{
    struct rr_page_content p = full_page();
    struct rr_buf out;
    rr_buf_init(&out, RR_NOTIFY_MAX_BODY);
    ck_assert_int_eq(rr_notify_render_pagerduty(&p, ROUTING_KEY, &out), RR_OK);
    return rr_buf_take(&out);
}

START_TEST(test_send_sent)
{
    struct fake_paging *f = fake_paging_start(FAKE_STRICT_SHOULD);
    struct rr_notifier *n = rr_notifier_new();
    char url[256];
    char *body = slack_body();
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_SLACK, fake_paging_url(f, secret_path, url, sizeof url), body, &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_SENT);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.retry_after_ms, -1);
    ck_assert_str_eq(r.detail, "HTTP 200: ok");
    ck_assert_int_ge(r.duration_ms, 0);
    const struct fake_request *req = fake_paging_get(f, 0);
    ck_assert(req->valid);
    ck_assert_str_eq(req->content_type, "application/json");
    ck_assert_str_eq(req->body, body);
    free(body);

    /* The same notifier (and connection) for PagerDuty. */
    body = pd_body();
    send_to(n, RR_NOTIFY_PAGERDUTY, fake_paging_url(f, "/v2/enqueue", url, sizeof url), body, &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_SENT);
    ck_assert_int_eq(r.status, 202);
    ck_assert_str_eq(r.detail, "HTTP 202: {\"status\":\"success\",\"message\":\"Event "
                               "processed\",\"dedup_key\":\"" DEDUP_KEY "\"}");
    ck_assert(fake_paging_get(f, 1)->valid);
    ck_assert_uint_eq(fake_paging_count(f), 2);
    free(body);
    rr_notifier_free(n);
    fake_paging_stop(f);
}
END_TEST

static const struct {
    enum rr_channel_kind ch;
    struct fake_response answer;
    enum rr_delivery outcome;
    long status;
    int64_t retry_after_ms;
    const char *detail;
} answers[] = {
    {RR_NOTIFY_SLACK, {.status = 500}, RR_DELIVERY_RETRY, 500, -1, "HTTP 500: rollup_error"},
    {RR_NOTIFY_SLACK,
     {.status = 429, .retry_after = "2"},
     RR_DELIVERY_RETRY,
     429,
     2000,
     "HTTP 429: rate_limited"},
    {RR_NOTIFY_SLACK,
     {.status = 429, .body = "", .retry_after = " 120 "},
     RR_DELIVERY_RETRY,
     429,
     120000,
     "HTTP 429"},
    {RR_NOTIFY_SLACK,
     {.status = 429, .body = "", .retry_after = "soon"},
     RR_DELIVERY_RETRY,
     429,
     -1,
     "HTTP 429"},
    {RR_NOTIFY_SLACK,
     {.status = 503, .body = "<html>\n<b>down</b>\n</html>"},
     RR_DELIVERY_RETRY,
     503,
     -1,
     "HTTP 503: <html> <b>down</b> </html>"},
    {RR_NOTIFY_SLACK, {.status = 408, .body = ""}, RR_DELIVERY_RETRY, 408, -1, "HTTP 408"},
    {RR_NOTIFY_SLACK, {.status = 425, .body = ""}, RR_DELIVERY_RETRY, 425, -1, "HTTP 425"},
    {RR_NOTIFY_SLACK,
     {.status = 400, .body = "invalid_blocks"},
     RR_DELIVERY_PERMANENT,
     400,
     -1,
     "HTTP 400: invalid_blocks"},
    {RR_NOTIFY_SLACK,
     {.status = 404, .body = "channel_not_found"},
     RR_DELIVERY_PERMANENT,
     404,
     -1,
     "HTTP 404: channel_not_found"},
    {RR_NOTIFY_SLACK,
     {.status = 410},
     RR_DELIVERY_PERMANENT,
     410,
     -1,
     "HTTP 410: channel_is_archived"},
    {RR_NOTIFY_SLACK,
     {.status = 200, .body = "not ok"},
     RR_DELIVERY_PERMANENT,
     200,
     -1,
     "HTTP 200: not ok"},
    {RR_NOTIFY_SLACK, {.status = 200, .body = "ok\n"}, RR_DELIVERY_SENT, 200, -1, "HTTP 200: ok"},
    {RR_NOTIFY_SLACK,
     {.status = 302, .body = "moved"},
     RR_DELIVERY_PERMANENT,
     302,
     -1,
     "HTTP 302: moved"},
    {RR_NOTIFY_PAGERDUTY,
     {.status = 200, .body = "whatever"},
     RR_DELIVERY_SENT,
     200,
     -1,
     "HTTP 200: whatever"},
    {RR_NOTIFY_PAGERDUTY, {.status = 429, .body = ""}, RR_DELIVERY_RETRY, 429, -1, "HTTP 429"},
    {RR_NOTIFY_PAGERDUTY,
     {.status = 502},
     RR_DELIVERY_RETRY,
     502,
     -1,
     "HTTP 502: Event object format is unrecognized: JSON parse error"},
    {RR_NOTIFY_PAGERDUTY,
     {.status = 403, .body = "{\"message\":\"Forbidden\"}"},
     RR_DELIVERY_PERMANENT,
     403,
     -1,
     "HTTP 403: {\"message\":\"Forbidden\"}"},
};

START_TEST(test_send_answers)
{
    struct fake_paging *f = fake_paging_start(0);
    fake_paging_script(f, &answers[_i].answer);
    struct rr_notifier *n = rr_notifier_new();
    char url[256];
    const char *path = answers[_i].ch == RR_NOTIFY_SLACK ? secret_path : "/pagerduty";
    char *body = answers[_i].ch == RR_NOTIFY_SLACK ? slack_body() : pd_body();
    struct rr_delivery_result r;
    send_to(n, answers[_i].ch, fake_paging_url(f, path, url, sizeof url), body, &r);
    ck_assert_int_eq(r.outcome, answers[_i].outcome);
    ck_assert_int_eq(r.status, answers[_i].status);
    ck_assert_int_eq(r.retry_after_ms, answers[_i].retry_after_ms);
    ck_assert_str_eq(r.detail, answers[_i].detail);
    ck_assert_uint_eq(fake_paging_count(f), 1); /* never followed, never repeated */
    free(body);
    rr_notifier_free(n);
    fake_paging_stop(f);
}
END_TEST

/* A payload the vendor refuses: the fake's answer names the rule, and it is permanent. */
START_TEST(test_send_rejected_payload)
{
    struct fake_paging *f = fake_paging_start(0);
    struct rr_notifier *n = rr_notifier_new();
    char url[256];
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_SLACK, fake_paging_url(f, secret_path, url, sizeof url),
            "{\"blocks\":[{\"type\":\"header\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"}}]}",
            &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_PERMANENT);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.detail,
                     "HTTP 400: invalid_blocks: SL-30 blocks[0].text.type: mrkdwn, must be "
                     "plain_text");
    send_to(n, RR_NOTIFY_PAGERDUTY, fake_paging_url(f, "/pagerduty", url, sizeof url),
            "{\"routing_key\":\"short\",\"event_action\":\"resolve\",\"dedup_key\":\"k\"}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_PERMANENT);
    ck_assert_str_eq(r.detail, "HTTP 400: Event object is invalid: PD-10 routing_key: 5 "
                               "characters, not 32 (Length of 'routing_key' is incorrect (should "
                               "be 32 characters))");
    rr_notifier_free(n);
    fake_paging_stop(f);
}
END_TEST

START_TEST(test_send_retry_after_date)
{
    /* 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT. */
    rr_clock_set_fake_ms(1700000000000);
    struct fake_paging *f = fake_paging_start(0);
    fake_paging_script(
        f, &(struct fake_response){.status = 503, .retry_after = "Tue, 14 Nov 2023 22:15:20 GMT"});
    fake_paging_script(
        f, &(struct fake_response){.status = 429, .retry_after = "Tue, 14 Nov 2023 22:00:00 GMT"});
    struct rr_notifier *n = rr_notifier_new();
    char url[256];
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_SLACK, fake_paging_url(f, secret_path, url, sizeof url),
            "{\"text\":\"x\"}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_RETRY);
    ck_assert_int_eq(r.retry_after_ms, 120000);
    send_to(n, RR_NOTIFY_SLACK, url, "{\"text\":\"x\"}", &r);
    ck_assert_int_eq(r.retry_after_ms, 0); /* a date in the past: now */
    rr_notifier_free(n);
    fake_paging_stop(f);
    rr_clock_set_fake_ms(0);
}
END_TEST

START_TEST(test_send_timeout)
{
    struct fake_paging *f = fake_paging_start(0);
    fake_paging_script(f, &(struct fake_response){.status = 200, .hang_ms = 5000});
    struct rr_notifier *n = rr_notifier_new();
    rr_notifier_set_timeout_ms(n, 300);
    char url[256];
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_SLACK, fake_paging_url(f, secret_path, url, sizeof url),
            "{\"text\":\"x\"}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_RETRY);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.detail, "transport: Timeout was reached");
    ck_assert_int_ge(r.duration_ms, 250);
    ck_assert_int_lt(r.duration_ms, 4000);
    /* The notifier is usable again after a timeout. */
    send_to(n, RR_NOTIFY_SLACK, url, "{\"text\":\"x\"}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_SENT);
    rr_notifier_free(n);
    fake_paging_stop(f);
}
END_TEST

/* A port nobody listens on: bound, then closed. */
static unsigned closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

START_TEST(test_send_refused)
{
    struct rr_notifier *n = rr_notifier_new();
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", closed_port(), secret_path);
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_SLACK, url, "{\"text\":\"x\"}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_RETRY);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.retry_after_ms, -1);
    ck_assert_str_eq(r.detail, "transport: Couldn't connect to server");
    rr_notifier_free(n);
}
END_TEST

START_TEST(test_send_config_errors)
{
    struct rr_notifier *n = rr_notifier_new();
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_SLACK, "file:///etc/s3cr3t", "{}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_PERMANENT);
    ck_assert_str_eq(r.detail, "transport: Unsupported protocol");
    send_to(n, RR_NOTIFY_SLACK, "", "{}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_PERMANENT);
    rr_notify_send(n, RR_NOTIFY_SLACK, NULL, "{}", 2, &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_PERMANENT);
    rr_notifier_free(n);
    rr_notifier_free(NULL);
    ck_assert_str_eq(rr_delivery_name(RR_DELIVERY_SENT), "sent");
    ck_assert_str_eq(rr_delivery_name(RR_DELIVERY_RETRY), "retry");
    ck_assert_str_eq(rr_delivery_name(RR_DELIVERY_PERMANENT), "permanent");
}
END_TEST

/* A server that echoes the request path: the secret is cut out of the detail. */
START_TEST(test_send_redacts_echo)
{
    struct fake_paging *f = fake_paging_start(0);
    char echo[512];
    snprintf(echo, sizeof echo, "no_service for POST %s (token s3cr3t-t0k3n-XYZ)", secret_path);
    fake_paging_script(f, &(struct fake_response){.status = 404, .body = echo});
    struct rr_notifier *n = rr_notifier_new();
    char url[256];
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_SLACK, fake_paging_url(f, secret_path, url, sizeof url),
            "{\"text\":\"x\"}", &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_PERMANENT);
    ck_assert_str_eq(r.detail, "HTTP 404: no_service for POST [redacted] (token [redacted])");
    rr_notifier_free(n);
    fake_paging_stop(f);
}
END_TEST

/* A long answer is read to its end (the page was delivered) but quoted short. */
START_TEST(test_send_long_answer)
{
    char *big = repeat("y", 200000);
    struct fake_paging *f = fake_paging_start(0);
    fake_paging_script(f, &(struct fake_response){.status = 202, .body = big});
    struct rr_notifier *n = rr_notifier_new();
    char url[256];
    char *body = pd_body();
    struct rr_delivery_result r;
    send_to(n, RR_NOTIFY_PAGERDUTY, fake_paging_url(f, "/pagerduty", url, sizeof url), body, &r);
    ck_assert_int_eq(r.outcome, RR_DELIVERY_SENT);
    ck_assert(starts_with(r.detail, "HTTP 202: yyyy"));
    ck_assert(ends_with(r.detail, "y (truncated)"));
    ck_assert_uint_lt(strlen(r.detail), 300);
    free(body);
    rr_notifier_free(n);
    fake_paging_stop(f);
    free(big);
}
END_TEST

static Suite *notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("slack");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_slack_trigger_full);
    tcase_add_test(tc, test_slack_trigger_minimal);
    tcase_add_test(tc, test_slack_trigger_no_runbook);
    tcase_add_test(tc, test_slack_resolve);
    tcase_add_test(tc, test_slack_fyi);
    tcase_add_test(tc, test_slack_digest);
    tcase_add_test(tc, test_slack_fallback);
    tcase_add_test(tc, test_slack_escaping);
    tcase_add_test(tc, test_slack_huge_summary);
    tcase_add_test(tc, test_slack_many_evidence_lines);
    tcase_add_test(tc, test_slack_many_teams);
    tcase_add_test(tc, test_slack_everything_huge);
    tcase_add_test(tc, test_slack_invalid_utf8_and_controls);
    tcase_add_test(tc, test_slack_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("pagerduty");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pd_trigger_full);
    tcase_add_test(tc, test_pd_trigger_minimal);
    tcase_add_test(tc, test_pd_no_runbook);
    tcase_add_test(tc, test_pd_resolve);
    tcase_add_loop_test(tc, test_pd_severity, 0, N(severities));
    tcase_add_test(tc, test_pd_summary_cut);
    tcase_add_test(tc, test_pd_huge_description);
    tcase_add_test(tc, test_pd_inputs);
    suite_add_tcase(s, tc);
    tc = tcase_create("send");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_send_sent);
    tcase_add_loop_test(tc, test_send_answers, 0, N(answers));
    tcase_add_test(tc, test_send_rejected_payload);
    tcase_add_test(tc, test_send_retry_after_date);
    tcase_add_test(tc, test_send_timeout);
    tcase_add_test(tc, test_send_refused);
    tcase_add_test(tc, test_send_config_errors);
    tcase_add_test(tc, test_send_redacts_echo);
    tcase_add_test(tc, test_send_long_answer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Loopback only: a proxy from the environment must not see the fakes' traffic. */
    static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                          "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (int i = 0; i < N(proxies); i++)
        unsetenv(proxies[i]);
    rr_notify_global_init();
    SRunner *sr = srunner_create(notify_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

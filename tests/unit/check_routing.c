/* check_routing: loading routing/ (every validation of PRODUCT §4 with its exact message and
 * position), defaults, ownership lookups, page policies, and first-match routing through the
 * index, checked against a linear scan over thousands of random routes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "rr/buf.h"
#include "rr/matcher.h"
#include "rr/routing.h"
#include "rr/yaml.h"

#include "testlib.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ==== Helpers ==== */

/* Writes dir/rel, creating the directories on the way. */
static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        (void)mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
}

static struct rr_routing *load_ok(const char *dir)
{
    struct rr_routing *rt = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_routing_load(dir, &rt, &diag);
    ck_assert_msg(err == RR_OK, "load %s failed: %s: %s", dir, rr_strerror(err), diag.msg);
    ck_assert_ptr_nonnull(rt);
    return rt;
}

/* want with every '@' replaced by dir. */
static char *expand(const char *want, const char *dir)
{
    struct rr_buf b;
    rr_buf_init(&b, 1 << 16);
    for (const char *p = want; *p; p++)
        ck_assert(*p == '@' ? rr_buf_puts(&b, dir) == RR_OK : rr_buf_append(&b, p, 1) == RR_OK);
    return rr_buf_take(&b);
}

static void load_fails(const char *dir, enum rr_err want_err, const char *want)
{
    struct rr_routing *rt = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_routing_load(dir, &rt, &diag);
    char *msg = expand(want, dir);
    ck_assert_msg(err == want_err, "want %s, got %s: %s", rr_strerror(want_err), rr_strerror(err),
                  diag.msg);
    ck_assert_ptr_null(rt);
    ck_assert_str_eq(diag.msg, msg);
    free(msg);
}

/* A label set from "name=value" strings (split at the first '='), sorted by name as
 * rr_labelset requires. */
struct lset {
    struct rr_label items[16];
    char text[16][128];
    struct rr_labelset set;
};

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct rr_label *)a)->name, ((const struct rr_label *)b)->name);
}

static void lset_init(struct lset *l, const char *const *pairs, size_t n)
{
    ck_assert_uint_le(n, 16);
    for (size_t i = 0; i < n; i++) {
        snprintf(l->text[i], sizeof l->text[i], "%s", pairs[i]);
        char *eq = strchr(l->text[i], '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        l->items[i] = (struct rr_label){l->text[i], eq + 1};
    }
    qsort(l->items, n, sizeof l->items[0], cmp_label);
    l->set = (struct rr_labelset){l->items, n};
}

/* The name of the route rr_routing_match() picks for the labels, or "-". */
static const char *match_name(const struct rr_routing *rt, const char *const *pairs, size_t n)
{
    struct lset l;
    lset_init(&l, pairs, n);
    const struct rr_route *r = rr_routing_match(rt, &l.set);
    return r ? r->name : "-";
}

#define MATCH(rt, ...)                                                                             \
    match_name(rt, (const char *const[]){__VA_ARGS__},                                             \
               sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static const char base_file[] = "settings:\n"
                                "  platform_team: plat\n"
                                "teams:\n"
                                "  - name: plat\n"
                                "    layer: platform\n"
                                "    slack: { url_env: SLACK_PLAT }\n";

/* ==== The shipped routing/ directory ==== */

START_TEST(shipped_table_loads)
{
    char *dir = rr_test_source_path("routing");
    struct rr_routing *rt = load_ok(dir);
    const struct rr_settings *s = rr_routing_settings(rt);
    ck_assert_uint_eq(rr_routing_team_count(rt), 6);
    ck_assert_str_eq(s->platform_team->name, "temporal-platform");
    ck_assert_ptr_eq(s->unowned_team, s->platform_team);
    ck_assert_int_eq(s->platform_team->layer, RR_LAYER_PLATFORM);
    /* Lexical order: teams/checkout.yml first, teams/temporal-platform.yml last. */
    ck_assert_str_eq(rr_routing_team_at(rt, 0)->name, "checkout");
    ck_assert_str_eq(rr_routing_team_at(rt, 5)->name, "temporal-platform");
    ck_assert_uint_eq(rr_routing_route_count(rt), 20);
    ck_assert_str_eq(rr_routing_route_at(rt, 0)->name, "temporal-system-namespace");
    ck_assert_str_eq(rr_routing_route_at(rt, 19)->name, "cloud-task-queue-backlog");
    ck_assert_ptr_null(rr_routing_route_at(rt, 20));

    ck_assert_str_eq(rr_routing_namespace_owner(rt, "payments-prod")->name, "payments");
    ck_assert_str_eq(rr_routing_namespace_owner(rt, "payments-canary")->name, "payments");
    ck_assert_str_eq(rr_routing_namespace_owner(rt, "orders-staging")->name, "orders");
    ck_assert_str_eq(rr_routing_namespace_owner(rt, "shipping-prod")->name, "shipping");
    ck_assert_str_eq(rr_routing_namespace_owner(rt, "checkout-prod")->name, "checkout");
    /* Temporal Cloud: <ns>.<account> is owned through <ns>. */
    ck_assert_str_eq(rr_routing_namespace_owner(rt, "checkout-prod.a1b2c")->name, "checkout");
    ck_assert_str_eq(rr_routing_namespace_owner(rt, "checkout-staging.a1b2c")->name, "checkout");
    ck_assert_ptr_null(rr_routing_namespace_owner(rt, "checkout-dev.a1b2c"));
    ck_assert_ptr_null(rr_routing_namespace_owner(rt, "shared-prod"));
    ck_assert_ptr_null(rr_routing_namespace_owner(rt, "temporal-system"));
    ck_assert_str_eq(rr_routing_task_queue_owner(rt, "notify-sms-tq")->name, "notifications");
    ck_assert_ptr_null(rr_routing_task_queue_owner(rt, "orders-tq"));

    ck_assert_str_eq(
        MATCH(rt, "alertname=TemporalWorkflowTaskFailing", "temporal_namespace=temporal-system"),
        "temporal-system-namespace");
    ck_assert_str_eq(
        MATCH(rt, "alertname=TemporalWorkflowTaskFailing", "failure_reason=NonDeterminismError"),
        "nondeterminism");
    ck_assert_str_eq(MATCH(rt, "alertname=TemporalActivityScheduleToStartLatencyHigh"),
                     "schedule-to-start");
    ck_assert_str_eq(MATCH(rt, "alertname=SomethingElse"), "-");
    const struct rr_route *r = rr_routing_route_at(rt, 1);
    ck_assert_str_eq(r->runbook, "temporal-nondeterminism");
    ck_assert_int_eq(r->kind, RR_KIND_WORKFLOW_FAILURE);
    ck_assert_int_eq(rr_routing_route_at(rt, 7)->layer, RR_LAYER_AMBIGUOUS);
    ck_assert_int_eq(rr_routing_route_at(rt, 7)->fallback, RR_LAYER_APPLICATION);
    const struct rr_team *pay = rr_routing_team(rt, "payments");
    ck_assert_uint_eq(rr_team_channels(pay, "critical"), RR_CHANNEL_PAGERDUTY | RR_CHANNEL_SLACK);
    ck_assert_uint_eq(rr_team_channels(pay, "info"), 0);
    ck_assert_str_eq(pay->slack.env, "SLACK_PAYMENTS_URL");
    rr_routing_free(rt);
    free(dir);
}
END_TEST

/* ==== Every load error, exactly as the user sees it ==== */

struct file {
    const char *rel;
    const char *text;
};

static const struct {
    const char *what;
    bool no_base;         /* the row brings its own settings */
    struct file files[3]; /* besides 0base.yml */
    enum rr_err err;
    const char *msg; /* '@' stands for the directory */
} bad[] = {
    /* --- files and top-level keys --- */
    {"unknown top-level key",
     false,
     {{"t.yml", "teams: []\nrutes: []\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:1: unknown key 'rutes' (allowed: settings, teams, routes)"},
    {"root is a sequence",
     false,
     {{"t.yml", "- teams\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:1:1: expected a mapping, found a sequence"},
    {"teams is a mapping",
     false,
     {{"t.yml", "teams:\n  name: x\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:3: teams: expected a sequence, found a mapping"},
    {"routes is a scalar",
     false,
     {{"t.yml", "routes: all\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:1:9: routes: expected a sequence, found a scalar"},
    {"malformed YAML",
     false,
     {{"t.yml", "teams: [a\n"}},
     RR_ERR_INVAL,
     "@/t.yml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at 1:8)"},
    /* --- settings --- */
    {"settings missing",
     true,
     {{"teams.yml", "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@: settings missing (no file defines 'settings')"},
    {"settings twice",
     false,
     {{"sub/x.yml", "settings:\n  platform_team: plat\n"}},
     RR_ERR_CONFIG,
     "@/sub/x.yml:1:1: settings defined twice (first defined at @/0base.yml:1:1)"},
    {"settings unknown key",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  colour: red\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:3:3: unknown key 'colour' (allowed: platform_team, unowned_team, labels, "
     "correlation, storm)"},
    {"settings a sequence",
     true,
     {{"s.yml", "settings: [plat]\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:1:11: settings: expected a mapping, found a sequence"},
    {"platform_team missing",
     true,
     {{"s.yml", "settings:\n  unowned_team: plat\nteams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:1:1: settings: missing 'platform_team'"},
    {"settings empty",
     true,
     {{"s.yml", "settings:\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:1:1: settings: missing 'platform_team'"},
    {"platform_team unknown",
     true,
     {{"s.yml", "settings:\n  platform_team: nobody\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:2:18: settings: platform_team 'nobody' is not a known team"},
    {"platform_team not a platform team",
     true,
     {{"s.yml", "settings:\n  platform_team: app\nteams:\n  - name: app\n"
                "    layer: application\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:2:18: settings: platform_team 'app' is a layer: application team, not layer: "
     "platform"},
    {"unowned_team unknown (own settings)",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  unowned_team: lost\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:3:17: settings: unowned_team 'lost' is not a known team"},
    {"labels unknown canonical name",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  labels:\n    namespaces: [ns]\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:5: unknown key 'namespaces' (allowed: namespace, team, task_queue, "
     "workflow_type, cluster)"},
    {"labels entry not a sequence",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  labels:\n    team: owner\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:11: settings.labels.team: expected a sequence, found a scalar"},
    {"labels bad label name",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  labels:\n    team: [team, my-team]\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:18: settings.labels.team: 'my-team' is not a label name"},
    {"correlation unknown key",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  correlation:\n    windw: 5m\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:5: unknown key 'windw' (allowed: window, platform_namespaces)"},
    {"correlation.window not a duration",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  correlation:\n    window: 10x\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:13: correlation.window: not a duration (unknown unit): '10x'"},
    {"correlation.window zero",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  correlation:\n    window: 0s\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:13: correlation.window must be longer than 0"},
    {"platform_namespaces below 2",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  correlation:\n    platform_namespaces: 1\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:26: correlation.platform_namespaces must be an integer from 2 to 1000000, "
     "found '1'"},
    {"platform_namespaces not a number",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  correlation:\n    platform_namespaces: -3\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:26: correlation.platform_namespaces must be an integer from 2 to 1000000, "
     "found '-3'"},
    {"storm unknown key",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  storm:\n    max_page: 5\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:5: unknown key 'max_page' (allowed: max_pages, window)"},
    {"storm.max_pages not a number",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  storm:\n    max_pages: many\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:16: storm.max_pages must be an integer from 1 to 1000000, found 'many'"},
    {"storm.window not a duration",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  storm:\n    window: 5 minutes\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:4:13: storm.window: not a duration (unknown unit): '5 minutes'"},
    {"storm a sequence",
     true,
     {{"s.yml", "settings:\n  platform_team: plat\n  storm: [20]\n"
                "teams:\n  - name: plat\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/s.yml:3:10: storm: expected a mapping, found a sequence"},
    /* --- teams --- */
    {"team unknown key",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    owner: x\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:5: unknown key 'owner' (allowed: name, layer, namespaces, namespace_regex, "
     "task_queues, slack, pagerduty, page)"},
    {"team not a mapping",
     false,
     {{"t.yml", "teams:\n  - a\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:5: team: expected a mapping, found a scalar"},
    {"team without name",
     false,
     {{"t.yml", "teams:\n  - layer: application\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:5: team: missing 'name'"},
    {"team name with capitals",
     false,
     {{"t.yml", "teams:\n  - name: Payments\n    layer: application\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:11: team name 'Payments' must match [a-z0-9-]+"},
    {"team name with underscore",
     false,
     {{"t.yml", "teams:\n  - name: pay_ments\n    layer: application\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:11: team name 'pay_ments' must match [a-z0-9-]+"},
    {"team name empty",
     false,
     {{"t.yml", "teams:\n  - name: ''\n    layer: application\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:11: name is empty"},
    {"team name a list",
     false,
     {{"t.yml", "teams:\n  - name: [a]\n    layer: application\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:11: name: expected a scalar, found a sequence"},
    {"team defined twice across files",
     false,
     {{"teams/a.yml", "teams:\n  - name: pay\n    layer: application\n"},
      {"teams/b.yml", "teams:\n  - name: ops\n    layer: application\n"
                      "  - name: pay\n    layer: application\n"}},
     RR_ERR_CONFIG,
     "@/teams/b.yml:4:5: team 'pay' defined twice (first defined at @/teams/a.yml:2:5)"},
    {"team without layer",
     false,
     {{"t.yml", "teams:\n  - name: a\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:2:5: team 'a': missing 'layer'"},
    {"team layer ambiguous",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: ambiguous\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:3:12: team 'a': unknown layer 'ambiguous' (allowed: platform, application)"},
    {"namespaces a scalar",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    namespaces: a-prod\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:17: namespaces: expected a sequence, found a scalar"},
    {"namespace empty",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    namespaces: [a-prod, '']\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:26: namespaces is empty"},
    {"namespace listed by two teams",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    namespaces: [pay-prod]\n"},
      {"u.yml", "teams:\n  - name: b\n    layer: application\n    namespaces: [x, pay-prod]\n"}},
     RR_ERR_CONFIG,
     "@/u.yml:4:21: namespace 'pay-prod' of team 'b' is already listed by team 'a' (first "
     "defined at @/t.yml:4:18)"},
    {"namespace listed twice by one team",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    namespaces: [p, p]\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:21: namespace 'p' of team 'a' is already listed by team 'a' (first defined at "
     "@/t.yml:4:18)"},
    {"task queue listed by two teams",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    task_queues: [tq]\n"
                "  - name: b\n    layer: application\n    task_queues:\n      - tq\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:8:9: task queue 'tq' of team 'b' is already listed by team 'a' (first defined at "
     "@/t.yml:4:19)"},
    {"namespace_regex matches an earlier team's namespace",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    namespaces: [pay-prod]\n"
                "  - name: b\n    layer: application\n    namespace_regex: ['pay-.*']\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:7:23: team 'b': namespace_regex 'pay-.*' matches namespace 'pay-prod' of team "
     "'a' (listed at @/t.yml:4:18)"},
    {"namespace matched by an earlier team's namespace_regex",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    namespace_regex: ['pay-.*']\n"
                "  - name: b\n    layer: application\n    namespaces: [pay-prod]\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:7:18: namespace 'pay-prod' of team 'b' is matched by namespace_regex 'pay-.*' of "
     "team 'a' (at @/t.yml:4:23)"},
    {"namespace_regex does not compile",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    namespace_regex: ['pay-(']\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:23: team 'a': namespace_regex: invalid matcher 'namespace=~\"pay-(\"': missing "
     "closing parenthesis at offset 5"},
    {"slack unknown key",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n"
                "    slack: { url_env: S, channel: '#a' }\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:26: unknown key 'channel' (allowed: url_env, url_file, url)"},
    {"slack two sources",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n"
                "    slack: { url_env: S, url_file: /run/s }\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:12: team 'a': slack needs exactly one of url_env, url_file, url"},
    {"slack no source",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    slack: {}\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:12: team 'a': slack needs exactly one of url_env, url_file, url"},
    {"slack a scalar",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    slack: SLACK_A\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:12: slack: expected a mapping, found a scalar"},
    {"slack url_env not a variable name",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    slack: { url_env: $SLACK }\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:23: team 'a': slack url_env is not an environment variable name (want "
     "[A-Za-z_][A-Za-z0-9_]*; is a secret written here by mistake?)"},
    {"pagerduty without a key source",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n"
                "    pagerduty: { url: 'http://127.0.0.1:1/v2/enqueue' }\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:16: team 'a': pagerduty needs exactly one of routing_key_env, routing_key_file"},
    {"pagerduty literal routing key",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n"
                "    pagerduty: { routing_key: abc }\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:18: unknown key 'routing_key' (allowed: routing_key_env, routing_key_file, url)"},
    {"pagerduty empty env",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n"
                "    pagerduty:\n      routing_key_env:\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:5:23: routing_key_env is empty"},
    {"page a sequence",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    page: [slack]\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:4:11: page: expected a mapping, found a sequence"},
    {"page entry a scalar",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    slack: { url: 'http://x' }\n"
                "    page:\n      critical: slack\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:6:17: page 'critical': expected a sequence, found a scalar"},
    {"page unknown channel",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    slack: { url: 'http://x' }\n"
                "    page:\n      critical: [slack, email]\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:6:25: team 'a': page 'critical': unknown channel 'email' (allowed: slack, "
     "pagerduty)"},
    {"page channel not configured",
     false,
     {{"t.yml", "teams:\n  - name: a\n    layer: application\n    slack: { url: 'http://x' }\n"
                "    page:\n      warning: [slack]\n      critical: [pagerduty, slack]\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:7:18: team 'a': page 'critical' names pagerduty, which the team does not "
     "configure"},
    {"page default channel not configured",
     false,
     {{"t.yml",
       "teams:\n  - name: a\n    layer: application\n    page:\n      default: [slack]\n"}},
     RR_ERR_CONFIG,
     "@/t.yml:5:17: team 'a': page 'default' names slack, which the team does not configure"},
    /* --- routes --- */
    {"route unknown key",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: platform\n"
                "    severity: critical\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:5:5: unknown key 'severity' (allowed: name, match, layer, fallback, kind, team, "
     "runbook)"},
    {"route not a mapping",
     false,
     {{"r.yml", "routes:\n  - [r]\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:2:5: route: expected a mapping, found a sequence"},
    {"route without name",
     false,
     {{"r.yml", "routes:\n  - match: ['a=\"b\"']\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:2:5: route: missing 'name'"},
    {"route defined twice across files",
     false,
     {{"r/1.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: platform\n"},
      {"r/2.yml", "routes:\n  - name: r\n    match: ['a=\"c\"']\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r/2.yml:2:5: route 'r' defined twice (first defined at @/r/1.yml:2:5)"},
    {"route without match",
     false,
     {{"r.yml", "routes:\n  - name: r\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:2:5: route 'r': missing 'match'"},
    {"route with empty match",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: []\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:3:12: route 'r': empty 'match' (a route needs at least one matcher)"},
    {"route match a scalar",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: 'a=\"b\"'\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:3:12: match: expected a sequence, found a scalar"},
    {"route matcher does not parse",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"', 'c=~\"(\"']\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:3:22: route 'r': invalid matcher 'c=~\"(\"': missing closing parenthesis at "
     "offset 1"},
    {"route matcher RE2 rejects",
     false,
     {{"r.yml",
       "routes:\n  - name: r\n    match:\n      - 'a=~\"(?=x)y\"'\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:4:9: route 'r': invalid matcher 'a=~\"(?=x)y\"': lookahead is not supported "
     "(RE2 syntax) at offset 0"},
    {"route matcher holds two",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\",c=\"d\"']\n    layer: platform\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:3:13: route 'r': invalid matcher 'a=\"b\",c=\"d\"': holds more than one matcher; use "
     "one list entry per matcher"},
    {"route without layer",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:2:5: route 'r': missing 'layer'"},
    {"route unknown layer",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: app\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:4:12: route 'r': unknown layer 'app' (allowed: platform, application, ambiguous)"},
    {"ambiguous without fallback",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: ambiguous\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:4:12: route 'r': layer ambiguous needs a fallback (platform or application)"},
    {"fallback on a platform route",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: platform\n"
                "    fallback: application\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:5:15: route 'r': fallback is only allowed with layer: ambiguous"},
    {"fallback ambiguous",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: ambiguous\n"
                "    fallback: ambiguous\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:5:15: route 'r': unknown fallback 'ambiguous' (allowed: platform, application)"},
    {"route unknown kind",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: platform\n"
                "    kind: other\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:5:11: route 'r': unknown kind 'other' (allowed: workflow_failure, latency, "
     "queue_depth)"},
    {"route unknown team",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: platform\n"
                "    team: platt\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:5:11: route 'r': unknown team 'platt'"},
    {"route team of another layer",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: application\n"
                "    team: plat\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:5:11: route 'r': team 'plat' is a platform team, but the route's layer is "
     "application"},
    {"route runbook a list",
     false,
     {{"r.yml", "routes:\n  - name: r\n    match: ['a=\"b\"']\n    layer: platform\n"
                "    runbook: [a, b]\n"}},
     RR_ERR_CONFIG,
     "@/r.yml:5:14: runbook: expected a scalar, found a sequence"},
};

START_TEST(load_errors)
{
    char *dir = rr_test_tmpdir();
    if (!bad[_i].no_base)
        write_file(dir, "0base.yml", base_file);
    for (size_t k = 0; k < 3 && bad[_i].files[k].rel; k++)
        write_file(dir, bad[_i].files[k].rel, bad[_i].files[k].text);
    load_fails(dir, bad[_i].err, bad[_i].msg);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(load_errors_io)
{
    char *dir = rr_test_tmpdir();
    char *missing = expand("@/nope", dir);
    struct rr_routing *rt = NULL;
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_routing_load(missing, &rt, &diag), RR_ERR_IO);
    ck_assert_ptr_null(rt);
    char *want = expand("@/nope: cannot open directory: No such file or directory", dir);
    ck_assert_str_eq(diag.msg, want);
    free(want);
    /* Over the YAML size cap. */
    write_file(dir, "0base.yml", base_file);
    char *big = rr_xmalloc(RR_YAML_MAX_BYTES + 16);
    memset(big, '#', RR_YAML_MAX_BYTES + 15);
    big[RR_YAML_MAX_BYTES + 15] = '\0';
    write_file(dir, "big.yml", big);
    free(big);
    load_fails(dir, RR_ERR_LIMIT, "@/big.yml: larger than 1048576 bytes");
    /* Directories nested past RR_ROUTING_MAX_DEPTH (a symlink loop ends the same way). */
    char *bigpath = expand("@/big.yml", dir);
    ck_assert_int_eq(remove(bigpath), 0);
    free(bigpath);
    char rel[256] = "";
    for (int i = 0; i <= RR_ROUTING_MAX_DEPTH; i++)
        strcat(rel, "d/");
    strcat(rel, "x.yml");
    write_file(dir, rel, "teams: []\n");
    load_fails(dir, RR_ERR_LIMIT,
               "@/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d: directories nested deeper than 16");
    free(missing);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ==== Files, order, defaults ==== */

START_TEST(lexical_order_across_files)
{
    char *dir = rr_test_fixture("routing/lexical");
    struct rr_routing *rt = load_ok(dir);
    /* a.yml < a/x.yml < b.yaml (bytewise: '.' sorts before '/'); hidden files and
     * directories, README.md and empty files are skipped or harmless. */
    ck_assert_uint_eq(rr_routing_team_count(rt), 3);
    ck_assert_str_eq(rr_routing_team_at(rt, 0)->name, "alpha");
    ck_assert_str_eq(rr_routing_team_at(rt, 1)->name, "ax");
    ck_assert_str_eq(rr_routing_team_at(rt, 2)->name, "plat");
    ck_assert_uint_eq(rr_routing_team_at(rt, 2)->index, 2);
    ck_assert_uint_eq(rr_routing_route_count(rt), 3);
    const struct rr_route *r = rr_routing_route_at(rt, 1);
    ck_assert_str_eq(r->name, "from-a-x");
    ck_assert_uint_eq(r->index, 1);
    char *file = expand("@/a/x.yml", dir);
    ck_assert_str_eq(r->pos.file, file);
    free(file);
    ck_assert_uint_eq(r->pos.line, 6);
    ck_assert_uint_eq(r->pos.col, 5);
    /* First match wins in table order: the earlier file's route. */
    ck_assert_str_eq(MATCH(rt, "alertname=Shared", "team=alpha"), "from-a");
    ck_assert_str_eq(MATCH(rt, "alertname=Shared", "team=beta"), "from-a-x");
    ck_assert_str_eq(MATCH(rt, "alertname=Shark"), "from-b");
    /* Regex ownership in team file order: alpha's 'ns-.*' precedes ax's 'ns-a.*'. */
    ck_assert_str_eq(rr_routing_namespace_owner(rt, "ns-abc")->name, "alpha");
    rr_routing_free(rt);
    free(dir);
}
END_TEST

START_TEST(defaults)
{
    char *dir = rr_test_tmpdir();
    write_file(dir, "0base.yml", base_file);
    struct rr_routing *rt = load_ok(dir);
    const struct rr_settings *s = rr_routing_settings(rt);
    ck_assert_str_eq(s->platform_team->name, "plat");
    ck_assert_ptr_eq(s->unowned_team, s->platform_team);
    ck_assert_int_eq(s->correlation_window_ms, 600000);
    ck_assert_uint_eq(s->platform_namespaces, 3);
    ck_assert_uint_eq(s->storm_max_pages, 20);
    ck_assert_int_eq(s->storm_window_ms, 300000);
    static const char *const want[RR_CANON_COUNT][4] = {
        {"temporal_namespace", "exported_namespace", "namespace", NULL},
        {"team", NULL},
        {"task_queue", "taskqueue", "temporal_task_queue", NULL},
        {"workflow_type", "workflowType", "temporal_workflow_type", NULL},
        {"temporal_cluster", "cluster", NULL},
    };
    for (int c = 0; c < RR_CANON_COUNT; c++) {
        int i = 0;
        for (; want[c][i]; i++)
            ck_assert_str_eq(s->labels[c][i], want[c][i]);
        ck_assert_ptr_null(s->labels[c][i]);
    }
    ck_assert_uint_eq(rr_routing_route_count(rt), 0);
    ck_assert_str_eq(MATCH(rt, "alertname=X"), "-");
    ck_assert_ptr_null(rr_routing_team(rt, "nobody"));
    ck_assert_ptr_null(rr_routing_team(rt, NULL));
    ck_assert_ptr_null(rr_routing_namespace_owner(rt, NULL));
    ck_assert_ptr_null(rr_routing_task_queue_owner(rt, NULL));
    rr_routing_free(rt);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(settings_given)
{
    char *dir = rr_test_tmpdir();
    write_file(dir, "settings.yml",
               "settings:\n"
               "  platform_team: plat\n"
               "  unowned_team: triage\n"
               "  labels:\n"
               "    team: [owner, team]\n"
               "    cluster: []\n"
               "  correlation:\n"
               "    window: 1h30m\n"
               "    platform_namespaces: 2\n"
               "  storm:\n"
               "    max_pages: 5\n"
               "    window: 90s\n");
    write_file(dir, "teams.yml",
               "teams:\n"
               "  - name: plat\n"
               "    layer: platform\n"
               "  - name: triage\n"
               "    layer: application\n");
    struct rr_routing *rt = load_ok(dir);
    const struct rr_settings *s = rr_routing_settings(rt);
    ck_assert_str_eq(s->unowned_team->name, "triage");
    ck_assert_str_eq(s->labels[RR_CANON_TEAM][0], "owner");
    ck_assert_str_eq(s->labels[RR_CANON_TEAM][1], "team");
    ck_assert_ptr_null(s->labels[RR_CANON_TEAM][2]);
    ck_assert_ptr_null(s->labels[RR_CANON_CLUSTER][0]);
    /* An omitted canonical name keeps its defaults. */
    ck_assert_str_eq(s->labels[RR_CANON_NAMESPACE][0], "temporal_namespace");
    ck_assert_str_eq(s->labels[RR_CANON_WORKFLOW_TYPE][2], "temporal_workflow_type");
    ck_assert_int_eq(s->correlation_window_ms, 5400000);
    ck_assert_uint_eq(s->platform_namespaces, 2);
    ck_assert_uint_eq(s->storm_max_pages, 5);
    ck_assert_int_eq(s->storm_window_ms, 90000);
    char *file = expand("@/settings.yml", dir);
    ck_assert_str_eq(s->pos.file, file);
    ck_assert_uint_eq(s->pos.line, 1);
    free(file);
    rr_routing_free(rt);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ==== Teams: channels, page policy, ownership ==== */

START_TEST(teams_and_page_policy)
{
    char *dir = rr_test_tmpdir();
    write_file(dir, "0base.yml", base_file);
    write_file(dir, "teams.yml",
               "teams:\n"
               "  - name: both\n"
               "    layer: application\n"
               "    namespaces: [both-prod]\n"
               "    task_queues: [both-tq, both-tq-2]\n"
               "    slack: { url_file: /run/secrets/slack }\n"
               "    pagerduty: { routing_key_env: PD_BOTH, url: 'http://127.0.0.1:9/enqueue' }\n"
               "    page:\n"
               "      critical: [pagerduty, slack]\n"
               "      info: []\n"
               "      default: [pagerduty]\n"
               "  - name: slack-only\n"
               "    layer: application\n"
               "    slack: { url: 'http://127.0.0.1:9/hook' }\n"
               "  - name: slack-rules\n"
               "    layer: application\n"
               "    slack: { url_env: SLACK_RULES }\n"
               "    pagerduty: { routing_key_file: /run/secrets/pd }\n"
               "    page:\n"
               "      critical: [pagerduty]\n"
               "  - name: pd-only\n"
               "    layer: application\n"
               "    pagerduty: { routing_key_env: PD_ONLY }\n"
               "    page:\n"
               "      critical: [pagerduty]\n"
               "  - name: silent\n"
               "    layer: application\n");
    struct rr_routing *rt = load_ok(dir);
    ck_assert_uint_eq(rr_routing_team_count(rt), 6);
    const struct rr_team *both = rr_routing_team(rt, "both");
    ck_assert_uint_eq(both->index, 1);
    ck_assert_int_eq(both->layer, RR_LAYER_APPLICATION);
    ck_assert_uint_eq(both->n_namespaces, 1);
    ck_assert_str_eq(both->namespaces[0], "both-prod");
    ck_assert_uint_eq(both->n_task_queues, 2);
    ck_assert(both->slack.configured);
    ck_assert_str_eq(both->slack.file, "/run/secrets/slack");
    ck_assert_ptr_null(both->slack.env);
    ck_assert_ptr_null(both->slack.url);
    ck_assert(both->pagerduty.configured);
    ck_assert_str_eq(both->pagerduty.env, "PD_BOTH");
    ck_assert_str_eq(both->pagerduty.endpoint, "http://127.0.0.1:9/enqueue");
    ck_assert_uint_eq(both->pos.line, 2);
    ck_assert_uint_eq(both->pos.col, 5);
    /* Explicit severities, `[]`, and default for unmapped or missing severities. */
    ck_assert_uint_eq(both->n_page, 2);
    ck_assert_uint_eq(rr_team_channels(both, "critical"), RR_CHANNEL_PAGERDUTY | RR_CHANNEL_SLACK);
    ck_assert_uint_eq(rr_team_channels(both, "info"), 0);
    ck_assert_uint_eq(rr_team_channels(both, "warning"), RR_CHANNEL_PAGERDUTY);
    ck_assert_uint_eq(rr_team_channels(both, NULL), RR_CHANNEL_PAGERDUTY);
    /* No default: Slack when the team has Slack, else nothing. */
    const struct rr_team *so = rr_routing_team(rt, "slack-only");
    ck_assert_str_eq(so->slack.url, "http://127.0.0.1:9/hook");
    ck_assert(!so->pagerduty.configured);
    ck_assert_uint_eq(rr_team_channels(so, "critical"), RR_CHANNEL_SLACK);
    ck_assert_uint_eq(rr_team_channels(so, NULL), RR_CHANNEL_SLACK);
    const struct rr_team *sr = rr_routing_team(rt, "slack-rules");
    ck_assert_str_eq(sr->pagerduty.file, "/run/secrets/pd");
    ck_assert_uint_eq(rr_team_channels(sr, "critical"), RR_CHANNEL_PAGERDUTY);
    ck_assert_uint_eq(rr_team_channels(sr, "warning"), RR_CHANNEL_SLACK);
    const struct rr_team *pd = rr_routing_team(rt, "pd-only");
    ck_assert_uint_eq(rr_team_channels(pd, "critical"), RR_CHANNEL_PAGERDUTY);
    ck_assert_uint_eq(rr_team_channels(pd, "warning"), 0);
    ck_assert_uint_eq(rr_team_channels(pd, NULL), 0);
    ck_assert_uint_eq(rr_team_channels(rr_routing_team(rt, "silent"), "critical"), 0);
    ck_assert_str_eq(rr_routing_task_queue_owner(rt, "both-tq-2")->name, "both");
    ck_assert_ptr_null(rr_routing_task_queue_owner(rt, "both-tq-3"));
    rr_routing_free(rt);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(namespace_ownership)
{
    char *dir = rr_test_tmpdir();
    write_file(dir, "0base.yml", base_file);
    write_file(dir, "teams/a.yml",
               "teams:\n"
               "  - name: pay\n"
               "    layer: application\n"
               "    namespaces: [payments, billing.eu]\n"
               "    namespace_regex: ['pay-.*', 'cash-[0-9]+']\n");
    write_file(dir, "teams/b.yml",
               "teams:\n"
               "  - name: ord\n"
               "    layer: application\n"
               "    namespaces: [orders]\n"
               "    namespace_regex: ['ord-.*', 'pay']\n");
    struct rr_routing *rt = load_ok(dir);
    struct {
        const char *ns;
        const char *owner;
    } cases[] = {
        {"payments", "pay"}, /* exact */
        {"pay-prod", "pay"}, /* regex */
        {"cash-42", "pay"},  /* second regex */
        {"cash-4x", NULL},   /* anchored */
        {"xpay-prod", NULL}, /* anchored at the start too */
        {"pay", "ord"},      /* only ord's regex matches */
        {"orders", "ord"},
        {"ord-1.acct", "ord"},     /* the regex matches the whole Cloud name */
        {"payments.a1b2c", "pay"}, /* Cloud: before the last '.' */
        {"orders.a1b2c", "ord"},
        {"cash-7.a1b2c", "pay"},    /* the retry uses the regexes too */
        {"billing.eu", "pay"},      /* exact names may hold dots */
        {"billing.eu.acct", "pay"}, /* only the part after the LAST '.' goes */
        {"billing.acct", NULL},
        {"payments.x.y", NULL}, /* one retry, as "payments.x" */
        {".payments", NULL},
        {"", NULL},
        {"unknown", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct rr_team *t = rr_routing_namespace_owner(rt, cases[i].ns);
        ck_assert_msg((t ? t->name : NULL) == cases[i].owner ||
                          (t && cases[i].owner && strcmp(t->name, cases[i].owner) == 0),
                      "%s: got %s, want %s", cases[i].ns, t ? t->name : "(null)",
                      cases[i].owner ? cases[i].owner : "(null)");
    }
    /* A long Cloud name goes through the heap path of the retry. */
    char longns[600];
    memset(longns, 'p', sizeof longns);
    memcpy(longns, "pay-", 4);
    longns[500] = '.';
    longns[599] = '\0';
    ck_assert_str_eq(rr_routing_namespace_owner(rt, longns)->name, "pay");
    memcpy(longns, "zzz-", 4);
    ck_assert_ptr_null(rr_routing_namespace_owner(rt, longns));
    rr_routing_free(rt);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ==== Routes: fields, runbooks, matching ==== */

static bool runbook_known(const char *id, void *ctx)
{
    (*(int *)ctx)++;
    return strcmp(id, "missing") != 0;
}

START_TEST(route_fields_and_runbooks)
{
    char *dir = rr_test_tmpdir();
    write_file(dir, "0base.yml", base_file);
    write_file(dir, "routes.yml",
               "routes:\n"
               "  - name: amb\n"
               "    match: ['alertname=~\"Temporal.*ScheduleToStart.*\"']\n"
               "    layer: ambiguous\n"
               "    fallback: application\n"
               "    kind: latency\n"
               "    team: plat\n"
               "    runbook: temporal-schedule-to-start\n"
               "  - name: plain\n"
               "    match: ['alertname=\"A\"', 'severity!=\"info\"']\n"
               "    layer: platform\n"
               "    kind: queue_depth\n");
    struct rr_routing *rt = load_ok(dir);
    const struct rr_route *r = rr_routing_route_at(rt, 0);
    ck_assert_int_eq(r->layer, RR_LAYER_AMBIGUOUS);
    ck_assert_int_eq(r->fallback, RR_LAYER_APPLICATION);
    ck_assert_int_eq(r->kind, RR_KIND_LATENCY);
    ck_assert_str_eq(r->team->name, "plat");
    ck_assert_str_eq(r->runbook, "temporal-schedule-to-start");
    ck_assert_uint_eq(r->runbook_pos.line, 8);
    ck_assert_uint_eq(r->runbook_pos.col, 14);
    ck_assert_uint_eq(r->n_match, 1);
    ck_assert_str_eq(rr_matcher_string(r->match[0]), "alertname=~\"Temporal.*ScheduleToStart.*\"");
    r = rr_routing_route_at(rt, 1);
    ck_assert_int_eq(r->kind, RR_KIND_QUEUE_DEPTH);
    ck_assert_ptr_null(r->team);
    ck_assert_ptr_null(r->runbook);
    ck_assert_uint_eq(r->n_match, 2);
    ck_assert_uint_eq(r->index, 1);

    int calls = 0;
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_routing_check_runbooks(rt, runbook_known, &calls, &diag), RR_OK);
    ck_assert_int_eq(calls, 1);
    rr_routing_free(rt);

    write_file(dir, "z.yml",
               "routes:\n"
               "  - name: broken\n"
               "    match: ['alertname=\"B\"']\n"
               "    layer: platform\n"
               "    runbook: missing\n");
    rt = load_ok(dir);
    calls = 0;
    ck_assert_int_eq(rr_routing_check_runbooks(rt, runbook_known, &calls, &diag), RR_ERR_CONFIG);
    char *want = expand("@/z.yml:5:14: route 'broken': unknown runbook 'missing'", dir);
    ck_assert_str_eq(diag.msg, want);
    free(want);
    rr_routing_free(rt);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(matching_semantics)
{
    char *dir = rr_test_tmpdir();
    write_file(dir, "0base.yml", base_file);
    write_file(dir, "routes.yml",
               "routes:\n"
               "  - name: no-team-label\n"
               "    match: ['alertname=\"Orphan\"', 'team=\"\"']\n"
               "    layer: platform\n"
               "  - name: not-x\n"
               "    match: ['alertname=\"NotX\"', 'team!=\"x\"']\n"
               "    layer: platform\n"
               "  - name: not-pay\n"
               "    match: ['alertname=\"NotPay\"', 'team!~\"pay.*\"']\n"
               "    layer: platform\n"
               "  - name: any-team\n"
               "    match: ['alertname=\"Any\"', 'team=~\".*\"']\n"
               "    layer: platform\n"
               "  - name: persistence\n"
               "    match: ['alertname=~\"TemporalPersistence.*\"']\n"
               "    layer: platform\n"
               "  - name: latency-anywhere\n"
               "    match: ['alertname=~\".*Latency.*\"']\n"
               "    layer: ambiguous\n"
               "    fallback: application\n"
               "  - name: exact-regex\n"
               "    match: ['alertname=~\"Exact\\.Name\"']\n"
               "    layer: platform\n"
               "  - name: alternation\n"
               "    match: ['alertname=~\"Alt1|Alt2\"']\n"
               "    layer: platform\n"
               "  - name: case-insensitive\n"
               "    match: ['alertname=~\"(?i)shout.*\"']\n"
               "    layer: platform\n"
               "  - name: later-same-alert\n"
               "    match: ['alertname=\"Orphan\"']\n"
               "    layer: application\n"
               "  - name: only-negative\n"
               "    match: ['severity!=\"info\"', 'alertname!~\"Quiet.*\"']\n"
               "    layer: application\n");
    struct rr_routing *rt = load_ok(dir);
    /* Missing labels equal "". */
    ck_assert_str_eq(MATCH(rt, "alertname=Orphan"), "no-team-label");
    ck_assert_str_eq(MATCH(rt, "alertname=Orphan", "team=a"), "later-same-alert");
    ck_assert_str_eq(MATCH(rt, "alertname=NotX"), "not-x");
    ck_assert_str_eq(MATCH(rt, "alertname=NotX", "team=x", "severity=info"), "-");
    ck_assert_str_eq(MATCH(rt, "alertname=NotPay", "severity=info"), "not-pay");
    ck_assert_str_eq(MATCH(rt, "alertname=NotPay", "team=payments", "severity=info"), "-");
    ck_assert_str_eq(MATCH(rt, "alertname=Any"), "any-team");
    /* Regexes are anchored; prefix, substring, exact, alternation and case-insensitive. */
    ck_assert_str_eq(MATCH(rt, "alertname=TemporalPersistenceLatencyHigh"), "persistence");
    ck_assert_str_eq(MATCH(rt, "alertname=TemporalRequestLatencyHigh"), "latency-anywhere");
    ck_assert_str_eq(MATCH(rt, "alertname=Latency"), "latency-anywhere");
    ck_assert_str_eq(MATCH(rt, "alertname=Exact.Name"), "exact-regex");
    ck_assert_str_eq(MATCH(rt, "alertname=ExactxName"), "only-negative");
    ck_assert_str_eq(MATCH(rt, "alertname=Alt2", "severity=info"), "alternation");
    ck_assert_str_eq(MATCH(rt, "alertname=SHOUTING", "severity=info"), "case-insensitive");
    ck_assert_str_eq(MATCH(rt, "alertname=QuietOne"), "-");
    ck_assert_str_eq(MATCH(rt, "alertname=Loud"), "only-negative");
    ck_assert_str_eq(MATCH(rt, "severity=info"), "-");
    struct rr_routing_index_stats st;
    rr_routing_index_stats(rt, &st);
    ck_assert_uint_eq(st.exact, 6);     /* five equalities and Exact\.Name */
    ck_assert_uint_eq(st.prefix, 1);    /* TemporalPersistence.* */
    ck_assert_uint_eq(st.substring, 1); /* .*Latency.* */
    ck_assert_uint_eq(st.always, 3);    /* Alt1|Alt2, (?i)..., only negative matchers */
    rr_routing_free(rt);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Regexes the substring and prefix scans must get right: each route holds one regex on label
 * v, and every value below is tried against the index and the matcher itself. */
static const char *const tricky_regex[] = {
    "abc",         "abc.*",        ".*abc.*",
    ".*abc",       "ab+c",         "abc+d",
    "abc*d",       "abcd?e",       "ab{2}cde",
    "ab{2,}cde",   "abc{,2}d",     "x{abc}",
    "\\.abc",      "abc\\.def",    "abc\\d+",
    "(abc)+def",   "(a|b)cde",     "[abc]def",
    "[]x]abc",     "[^]]abcd",     "[[:alpha:]]+bcd",
    "(?:ab)cde",   "abc|def",      "(?i)abcd",
    "ab(?i)cde",   "a\\Qb.c\\Ede", "éabc",
    "aé*bcd",      "^abc$",        "abc$",
    ".*(abc|abd)", "\\babc\\b",    "abc\\s*def",
    "((a)bc)def",  "a(b)cde",      "[a-c]{3}def",
    "a\\[bcd\\]",  "\\x{61}bcd",   "a\\tbcd",
    ".*abc*d",     ".*abcd?e",     ".*ab{2}cde",
    ".*abc{,2}d",  ".*aé*bcd",     ".*abé*cd",
    ".*abc+d",     "(z)?abcd?e",   "abc)|(def",
};

static const char *const tricky_value[] = {
    "abc",    "abcd",   "abcde",   "abcdef", "aabc",    "xabcx", "abbc",    "abccd",  "abd",
    "abde",   "abbcde", "abbbcde", "abcccd", "x{abc}",  ".abc",  "abc.def", "abc12",  "abcabcdef",
    "acde",   "bcde",   "adef",    "]abc",   "xabcd",   "zbcd",  "ABCD",    "abCDE",  "ab.cde",
    "éabc",   "aébcd",  "abécd",   "abcd e", "abc def", "bcdef", "abcdefg", "a[bcd]", "aa",
    "a\tbcd", "abce",   "zabce",   "abdd",   "",
};

START_TEST(tricky_regexes)
{
    char *dir = rr_test_tmpdir();
    write_file(dir, "0base.yml", base_file);
    struct rr_buf b;
    rr_buf_init(&b, 1 << 20);
    ck_assert(rr_buf_puts(&b, "routes:\n") == RR_OK);
    for (int i = 0; i < N(tricky_regex); i++)
        ck_assert(rr_buf_printf(&b,
                                "  - name: r%d\n    match: ['v=~\"%s\"']\n    layer: platform\n", i,
                                tricky_regex[i]) == RR_OK);
    write_file(dir, "routes.yml", b.data);
    rr_buf_release(&b);
    struct rr_routing *rt = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_routing_load(dir, &rt, &diag);
    /* The last regex escapes its group; the matcher refuses it. Drop it and load the rest. */
    ck_assert_int_eq(err, RR_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(diag.msg, "route 'r47'"));
    rr_buf_init(&b, 1 << 20);
    ck_assert(rr_buf_puts(&b, "routes:\n") == RR_OK);
    for (int i = 0; i < N(tricky_regex) - 1; i++)
        ck_assert(rr_buf_printf(&b,
                                "  - name: r%d\n    match: ['v=~\"%s\"']\n    layer: platform\n", i,
                                tricky_regex[i]) == RR_OK);
    write_file(dir, "routes.yml", b.data);
    rr_buf_release(&b);
    rt = load_ok(dir);
    /* Each route alone: the index must find it exactly when its matcher holds. */
    size_t n = rr_routing_route_count(rt);
    for (int v = 0; v < N(tricky_value); v++) {
        char pair[128];
        snprintf(pair, sizeof pair, "v=%s", tricky_value[v]);
        struct lset l;
        lset_init(&l, (const char *const[]){pair, "alertname=A"}, 2);
        const struct rr_route *got = rr_routing_match(rt, &l.set);
        const struct rr_route *want = NULL;
        for (size_t i = 0; i < n && !want; i++) {
            const struct rr_route *r = rr_routing_route_at(rt, i);
            if (rr_matcher_matches(r->match[0], tricky_value[v]))
                want = r;
        }
        ck_assert_msg(got == want, "value '%s': index gave %s, linear scan %s", tricky_value[v],
                      got ? rr_matcher_string(got->match[0]) : "-",
                      want ? rr_matcher_string(want->match[0]) : "-");
    }
    rr_routing_free(rt);
    /* And each regex alone, so none hides behind an earlier route. */
    for (int first = 0; first < N(tricky_regex) - 1; first++) {
        rr_buf_init(&b, 1 << 20);
        ck_assert(rr_buf_printf(&b,
                                "routes:\n  - name: only\n    match: ['v=~\"%s\"']\n"
                                "    layer: platform\n",
                                tricky_regex[first]) == RR_OK);
        write_file(dir, "routes.yml", b.data);
        rr_buf_release(&b);
        rt = load_ok(dir);
        const struct rr_route *r = rr_routing_route_at(rt, 0);
        for (int v = 0; v < N(tricky_value); v++) {
            char pair[128];
            snprintf(pair, sizeof pair, "v=%s", tricky_value[v]);
            struct lset l;
            lset_init(&l, (const char *const[]){pair}, 1);
            bool want = rr_matcher_matches(r->match[0], tricky_value[v]);
            bool got = rr_routing_match(rt, &l.set) != NULL;
            ck_assert_msg(got == want, "regex '%s' value '%s': index %d, matcher %d",
                          tricky_regex[first], tricky_value[v], got, want);
        }
        rr_routing_free(rt);
    }
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ==== Property: the index picks what a linear scan picks ==== */

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic across platforms. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static size_t pick(size_t n)
{
    return (size_t)(rng() % n);
}

static const char *const prop_names[] = {"alertname", "ns", "team", "sev", "q"};
static const char *const prop_tokens[] = {"Tem", "poral", "Lat",     "ency",  "Ab",
                                          "x",   "y",     "z",       "Queue", "-",
                                          ".",   "é",     "Backlog", "Fail",  "ab"};

/* Label sets drawn from these match no anchor: the "no route" outcome. */
static const char *const foreign_tokens[] = {"Qq", "Ww", "Kk"};

static void random_tokens_from(char *out, size_t cap, size_t min_tokens, size_t max_tokens,
                               const char *const *tokens, size_t n_tokens)
{
    size_t n = min_tokens + pick(max_tokens - min_tokens + 1), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *t = tokens[pick(n_tokens)];
        if (len + strlen(t) + 1 >= cap)
            break;
        strcpy(out + len, t);
        len += strlen(t);
    }
}

static void random_tokens(char *out, size_t cap, size_t min_tokens, size_t max_tokens)
{
    random_tokens_from(out, cap, min_tokens, max_tokens, prop_tokens, N(prop_tokens));
}

/* A random regex over tokens (escaping '.'); broad shapes such as ".*" only when asked. */
static void random_regex(char *out, size_t cap, bool broad)
{
    static const char *const shapes[] = {
        "%s.*",     ".*%s.*",  ".*%s",      "%s",         "%s(%s|x)", "(x|y)%s.*",
        "[A-Z]%s+", "%s|%s",   "(?i)%s.*",  "%s?%s",      "%s*",      "%s{2}",
        "%s\\d*",   ".+%s.+",  "(%s)+%s",   "%s[xy]%s",   "%s.%s",    "[^x]*%s",
        "%s\\s?%s", ".*%s?%s", "(x)?%s*%s", "[^x]*%s{2}", "",         ".*",
    };
    char tok[2][32], esc[2][64];
    for (int t = 0; t < 2; t++) {
        random_tokens(tok[t], sizeof tok[t], 1, 2);
        size_t k = 0;
        for (const char *p = tok[t]; *p; p++) {
            if (*p == '.')
                esc[t][k++] = '\\';
            esc[t][k++] = *p;
        }
        esc[t][k] = '\0';
    }
    snprintf(out, cap, shapes[pick((size_t)N(shapes) - (broad ? 0 : 2))], esc[0], esc[1]);
}

/* An anchor matcher (a non-empty equality or a regex over tokens) gives a route a chance to be
 * indexed; extras are anything, including matchers that hold for almost every label set. */
static void random_matcher(char *out, size_t cap, bool anchor, bool always)
{
    const char *name = prop_names[pick(N(prop_names))];
    char v[96], a[32], b[32];
    size_t op = pick(10);
    if (always) {
        /* Selective, yet no index key: a top-level alternation or a case-insensitive regex. */
        random_tokens(a, sizeof a, 1, 1);
        random_tokens(b, sizeof b, 1, 2);
        snprintf(out, cap, op < 5 ? "%s=~\"%s|%s\"" : "%s=~\"(?i)%s%s.*\"", name, a, b);
    } else if (anchor) {
        if (op < 6) {
            random_tokens(v, sizeof v, 1, 3);
            snprintf(out, cap, "%s=\"%s\"", name, v);
        } else {
            random_regex(v, sizeof v, false);
            snprintf(out, cap, "%s=~\"%s\"", name, v);
        }
    } else if (op < 4) {
        random_tokens(v, sizeof v, 0, 2);
        snprintf(out, cap, "%s=\"%s\"", name, v);
    } else if (op < 6) {
        random_tokens(v, sizeof v, 0, 2);
        snprintf(out, cap, "%s!=\"%s\"", name, v);
    } else if (op < 9) {
        random_regex(v, sizeof v, true);
        snprintf(out, cap, "%s=~\"%s\"", name, v);
    } else {
        random_regex(v, sizeof v, true);
        snprintf(out, cap, "%s!~\"%s\"", name, v);
    }
}

static const struct rr_route *linear_match(const struct rr_routing *rt,
                                           const struct rr_labelset *labels)
{
    for (size_t i = 0; i < rr_routing_route_count(rt); i++) {
        const struct rr_route *r = rr_routing_route_at(rt, i);
        size_t k = 0;
        while (
            k < r->n_match &&
            rr_matcher_matches(r->match[k], rr_labelset_get(labels, rr_matcher_name(r->match[k]))))
            k++;
        if (k == r->n_match)
            return r;
    }
    return NULL;
}

#define PROP_ROUTES 5000
#define PROP_SETS   20000

START_TEST(index_equals_linear_scan)
{
    rng_state = UINT64_C(0x9E3779B97F4A7C15);
    char *dir = rr_test_tmpdir();
    write_file(dir, "0base.yml", base_file);
    /* Two files so the order across files counts too; each well under the YAML size cap. */
    for (int f = 0; f < 2; f++) {
        struct rr_buf b;
        rr_buf_init(&b, RR_YAML_MAX_BYTES);
        ck_assert(rr_buf_puts(&b, "routes:\n") == RR_OK);
        for (int i = 0; i < PROP_ROUTES / 2; i++) {
            ck_assert(rr_buf_printf(&b, "  - name: r%d-%d\n    layer: platform\n    match:\n", f,
                                    i) == RR_OK);
            /* An anchor and up to two extras; one route in 500 has extras only (the always
             * list). */
            bool anchored = pick(500) != 0;
            size_t nm = 1 + pick(3);
            for (size_t k = 0; k < nm; k++) {
                char m[160];
                random_matcher(m, sizeof m, anchored && k == 0, !anchored && k == 0);
                ck_assert(rr_buf_printf(&b, "      - '%s'\n", m) == RR_OK);
            }
        }
        char name[32];
        snprintf(name, sizeof name, "routes-%d.yml", f);
        write_file(dir, name, b.data);
        rr_buf_release(&b);
    }
    struct rr_routing *rt = NULL;
    struct rr_diag diag = {""};
    ck_assert_msg(rr_routing_load(dir, &rt, &diag) == RR_OK, "%s", diag.msg);
    ck_assert_uint_eq(rr_routing_route_count(rt), PROP_ROUTES);
    struct rr_routing_index_stats st;
    rr_routing_index_stats(rt, &st);
    ck_assert_uint_gt(st.exact, 0);
    ck_assert_uint_gt(st.prefix, 0);
    ck_assert_uint_gt(st.substring, 0);
    ck_assert_uint_gt(st.always, 0);
    size_t matched = 0, deep = 0;
    for (int s = 0; s < PROP_SETS; s++) {
        char text[N(prop_names)][128];
        const char *pairs[N(prop_names)];
        size_t n = 0;
        bool foreign = pick(4) == 0;
        for (int k = 0; k < N(prop_names); k++) {
            if (pick(10) < 3)
                continue;
            char v[96];
            if (foreign)
                random_tokens_from(v, sizeof v, 1, 3, foreign_tokens, N(foreign_tokens));
            else
                random_tokens(v, sizeof v, 0, 4);
            snprintf(text[n], sizeof text[n], "%s=%s", prop_names[k], v);
            pairs[n] = text[n];
            n++;
        }
        struct lset l;
        lset_init(&l, pairs, n);
        const struct rr_route *want = linear_match(rt, &l.set);
        const struct rr_route *got = rr_routing_match(rt, &l.set);
        if (got != want) {
            for (size_t k = 0; k < n; k++)
                fprintf(stderr, "  label %s\n", pairs[k]);
        }
        ck_assert_msg(got == want, "label set %d: index gave %s, linear scan %s", s,
                      got ? got->name : "-", want ? want->name : "-");
        matched += want != NULL;
        deep += want && want->index > 100;
    }
    /* The sets must exercise both outcomes and first matches deep in the table. */
    ck_assert_uint_gt(matched, PROP_SETS / 10);
    ck_assert_uint_lt(matched, PROP_SETS - PROP_SETS / 20);
    ck_assert_uint_gt(deep, PROP_SETS / 20);
    rr_routing_free(rt);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(rr_layer_name(RR_LAYER_PLATFORM), "platform");
    ck_assert_str_eq(rr_layer_name(RR_LAYER_APPLICATION), "application");
    ck_assert_str_eq(rr_layer_name(RR_LAYER_AMBIGUOUS), "ambiguous");
    ck_assert_str_eq(rr_kind_name(RR_KIND_WORKFLOW_FAILURE), "workflow_failure");
    ck_assert_str_eq(rr_kind_name(RR_KIND_LATENCY), "latency");
    ck_assert_str_eq(rr_kind_name(RR_KIND_QUEUE_DEPTH), "queue_depth");
    ck_assert_str_eq(rr_kind_name(RR_KIND_OTHER), "other");
    ck_assert_str_eq(rr_kind_name(RR_KIND_NONE), "none");
    ck_assert_str_eq(rr_channel_name(RR_CHANNEL_SLACK), "slack");
    ck_assert_str_eq(rr_channel_name(RR_CHANNEL_PAGERDUTY), "pagerduty");
    rr_routing_free(NULL);
}
END_TEST

static Suite *routing_suite(void)
{
    Suite *s = suite_create("routing");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, shipped_table_loads);
    tcase_add_loop_test(tc, load_errors, 0, N(bad));
    tcase_add_test(tc, load_errors_io);
    tcase_add_test(tc, lexical_order_across_files);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, settings_given);
    tcase_add_test(tc, teams_and_page_policy);
    tcase_add_test(tc, namespace_ownership);
    tcase_add_test(tc, route_fields_and_runbooks);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    tc = tcase_create("match");
    tcase_set_timeout(tc, 60); /* 20000 linear scans over 5000 routes under sanitizers */
    tcase_add_test(tc, matching_semantics);
    tcase_add_test(tc, tricky_regexes);
    tcase_add_test(tc, index_equals_linear_scan);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(routing_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

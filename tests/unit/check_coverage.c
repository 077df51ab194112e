/*
 * coverage: who receives each rule and what each (alert, team) pair lacks, checked on the
 * structures (tests/fixtures/coverage/receivers: decided owners, owners known only at run time,
 * the platform team of an ambiguous rule, unowned; base: the clean set), and the exact wording
 * and shape of the text, JSON and JUnit reports. The binary's exit codes and output on every
 * fixture case are in tests/integration/check_coverage_cli.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "rr/coverage.h"

#include "testlib.h"

struct fixture {
    struct rr_routing *routing;
    struct rr_runbooks *runbooks;
    struct rr_promrules *rules;
};

static void load(struct fixture *f, const char *routing, const char *runbooks, const char *rules)
{
    struct rr_diag diag = {{0}};
    char *path = rr_test_fixture(routing);
    ck_assert_msg(rr_routing_load(path, &f->routing, &diag) == RR_OK, "%s", diag.msg);
    free(path);
    path = rr_test_fixture(runbooks);
    ck_assert_msg(rr_runbooks_load(path, &f->runbooks, &diag) == RR_OK, "%s", diag.msg);
    free(path);
    path = rr_test_fixture(rules);
    const char *p = path;
    ck_assert_msg(rr_promrules_load(&p, 1, &f->rules, &diag) == RR_OK, "%s", diag.msg);
    free(path);
}

static void unload(struct fixture *f)
{
    rr_routing_free(f->routing);
    rr_runbooks_free(f->runbooks);
    rr_promrules_free(f->rules);
}

/* One pair as "Alert team via runbook finding-checks...". */
static void pair_text(const struct rr_coverage_pair *p, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s %s %s %s", p->rule->alert, p->team->name, p->via,
                                p->runbook ? p->runbook->id : "-");
    for (size_t k = 0; k < p->n_findings; k++)
        n += (size_t)snprintf(out + n, cap - n, " %s", rr_finding_check_name(p->findings[k].kind));
}

static void assert_pairs(const struct rr_coverage *cov, const char *const *want, size_t n)
{
    char got[512];
    for (size_t i = 0; i < cov->n_pairs && i < n; i++) {
        pair_text(&cov->pairs[i], got, sizeof got);
        ck_assert_str_eq(got, want[i]);
    }
    ck_assert_uint_eq(cov->n_pairs, n);
}

static const char *const receivers_all[] = {
    "Explicit orders route generic",                /* the route's explicit runbook */
    "AmbiguousOrders orders route generic",         /* the fallback's owner... */
    "AmbiguousOrders platform correlation generic", /* ...and the platform, by correlation */
    "PinnedNamespace payments namespace generic",   /* the rule pins what decides */
    "PinnedTaskQueue notify task_queue generic",
    "UnownedNamespace notify run_time generic", /* only a task queue can still decide */
    "NsRunbook orders run_time ns-orders",      /* each sees its own namespace's runbook */
    "NsRunbook payments run_time ns-payments",
    "NsRunbook notify run_time generic",     /* owns no exact namespace */
    "NsRunbook legacy run_time generic",     /* namespace_regex only */
    "ClusterWide platform platform generic", /* no namespace: built-in platform */
    "UnownedBoth platform unowned generic unowned",
};

START_TEST(test_receivers)
{
    struct fixture f = {0};
    load(&f, "coverage/receivers/routing", "coverage/receivers/runbooks",
         "coverage/receivers/rules.yml");
    struct rr_coverage cov;
    struct rr_coverage_options opts = {.allow_generic = true};
    rr_coverage_run(f.routing, f.runbooks, f.rules, &opts, &cov);
    assert_pairs(&cov, receivers_all, sizeof receivers_all / sizeof receivers_all[0]);
    ck_assert_uint_eq(cov.n_rules, 8);
    ck_assert_uint_eq(cov.n_failing, 1);
    ck_assert_uint_eq(cov.n_findings, 1);
    ck_assert_int_eq(cov.pairs[2].layer, RR_LAYER_PLATFORM);
    ck_assert_int_eq(cov.pairs[1].layer, RR_LAYER_APPLICATION);
    ck_assert_str_eq(cov.pairs[1].route->name, "ambiguous-orders");
    rr_coverage_release(&cov);
    unload(&f);
}
END_TEST

START_TEST(test_no_generic_and_team)
{
    struct fixture f = {0};
    load(&f, "coverage/receivers/routing", "coverage/receivers/runbooks",
         "coverage/receivers/rules.yml");
    struct rr_coverage cov;
    /* A "*" runbook stops counting, except where a route names it. */
    struct rr_coverage_options opts = {.team = "notify", .allow_generic = false};
    rr_coverage_run(f.routing, f.runbooks, f.rules, &opts, &cov);
    static const char *const notify[] = {
        "PinnedTaskQueue notify task_queue - no_runbook",
        "UnownedNamespace notify run_time - no_runbook",
        "NsRunbook notify run_time - no_runbook",
    };
    assert_pairs(&cov, notify, 3);
    ck_assert_uint_eq(cov.n_rules, 8);
    rr_coverage_release(&cov);
    opts.team = "orders";
    rr_coverage_run(f.routing, f.runbooks, f.rules, &opts, &cov);
    static const char *const orders[] = {
        "Explicit orders route generic",             /* named by the route: still counts */
        "AmbiguousOrders orders route - no_runbook", /* only the generic one matched */
        "NsRunbook orders run_time ns-orders",
    };
    assert_pairs(&cov, orders, 3);
    rr_coverage_release(&cov);
    opts.team = "nobody";
    rr_coverage_run(f.routing, f.runbooks, f.rules, &opts, &cov);
    ck_assert_uint_eq(cov.n_pairs, 0);
    rr_coverage_release(&cov);
    unload(&f);
}
END_TEST

START_TEST(test_base_clean)
{
    struct fixture f = {0};
    load(&f, "coverage/base/routing", "coverage/base/runbooks", "coverage/base/rules");
    struct rr_coverage cov;
    struct rr_coverage_options opts = {.allow_generic = true};
    rr_coverage_run(f.routing, f.runbooks, f.rules, &opts, &cov);
    static const char *const want[] = {
        "DatabaseDown platform platform database-down",
        "ChargeFailing payments route charge-failing",
        "WorkflowFailureRatioHigh orders run_time workflow-failure-ratio",
        "WorkflowFailureRatioHigh payments run_time workflow-failure-ratio",
        "TaskQueueBacklogGrowing orders run_time task-queue-backlog",
        "TaskQueueBacklogGrowing payments run_time task-queue-backlog",
        "TaskQueueBacklogGrowing platform correlation task-queue-backlog",
        "OrdersSagaStuck orders team_label orders-saga",
    };
    assert_pairs(&cov, want, sizeof want / sizeof want[0]);
    ck_assert_uint_eq(cov.n_findings, 0);
    struct rr_buf out;
    rr_buf_init(&out, 1 << 20);
    ck_assert(rr_coverage_text(&cov, &out) == RR_OK);
    ck_assert_uint_eq(out.len, 0);
    rr_buf_release(&out);
    rr_coverage_release(&cov);
    unload(&f);
}
END_TEST

START_TEST(test_wording)
{
    static const struct {
        struct rr_finding f;
        const char *text;
    } cases[] = {
        {{.kind = RR_FINDING_UNOWNED}, "falls to unowned"},
        {{.kind = RR_FINDING_NO_RUNBOOK}, "no runbook"},
        {{.kind = RR_FINDING_MISSING_SECTION, .runbook = "rb", .section = RR_SECTION_TERMINATE},
         "runbook rb: missing section Terminate and restart"},
        {{.kind = RR_FINDING_EMPTY_SECTION, .runbook = "rb", .section = RR_SECTION_DIAGNOSIS},
         "runbook rb: empty section Diagnosis"},
        {{.kind = RR_FINDING_FAILURE_MODES, .runbook = "rb", .failure_modes = 2},
         "runbook rb: Remediation names 2 failure modes, needs 3"},
        {{.kind = RR_FINDING_NO_CHANNEL, .severity = "critical"},
         "no channel for severity critical"},
        {{.kind = RR_FINDING_NO_SEVERITY}, "no severity label"},
        {{.kind = RR_FINDING_NO_SIGNAL}, "no signal label and no route kind"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rr_buf b;
        rr_buf_init(&b, 1024);
        ck_assert(rr_finding_append(&cases[i].f, &b) == RR_OK);
        ck_assert_str_eq(b.data, cases[i].text);
        rr_buf_release(&b);
    }
}
END_TEST

/* A report over hand-made pairs, so escaping can be tested with names no fixture needs. */
START_TEST(test_reports)
{
    struct rr_label labels[] = {{"alertname", "Odd<&>\"'Name"}};
    struct rr_promrule rule = {.file = "rules/a&b.yml",
                               .line = 7,
                               .col = 9,
                               .group = "g",
                               .alert = "Odd<&>\"'Name",
                               .labels = {labels, 1}};
    struct rr_team team = {.name = "payments"};
    struct rr_runbook rb = {.id = "rb"};
    struct rr_coverage_pair pairs[2] = {
        {.rule = &rule, .team = &team, .via = "run_time", .layer = RR_LAYER_APPLICATION},
        {.rule = &rule, .team = &team, .via = "route", .layer = RR_LAYER_PLATFORM, .runbook = &rb},
    };
    pairs[0].findings[0] = (struct rr_finding){.kind = RR_FINDING_NO_RUNBOOK};
    pairs[0].findings[1] = (struct rr_finding){.kind = RR_FINDING_NO_CHANNEL, .severity = "a\"b"};
    pairs[0].n_findings = 2;
    struct rr_coverage cov = {pairs, 2, 1, 1, 2};
    struct rr_buf out;
    rr_buf_init(&out, 1 << 20);

    ck_assert(rr_coverage_text(&cov, &out) == RR_OK);
    ck_assert_str_eq(out.data,
                     "rules/a&b.yml:7: alert Odd<&>\"'Name for team payments: no runbook\n"
                     "rules/a&b.yml:7: alert Odd<&>\"'Name for team payments: no channel for "
                     "severity a\"b\n");

    rr_buf_reset(&out);
    ck_assert(rr_coverage_junit(&cov, &out) == RR_OK);
    ck_assert_str_eq(
        out.data,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuite name=\"runbook-coverage\" tests=\"2\" failures=\"1\" errors=\"0\" "
        "skipped=\"0\">\n"
        "  <testcase classname=\"rules/a&amp;b.yml\" name=\"alert Odd&lt;&amp;&gt;&quot;&apos;Name "
        "for team payments\" file=\"rules/a&amp;b.yml\" line=\"7\">\n"
        "    <failure message=\"no runbook\" type=\"no_runbook\">rules/a&amp;b.yml:7: alert "
        "Odd&lt;&amp;&gt;&quot;&apos;Name for team payments: no runbook</failure>\n"
        "    <failure message=\"no channel for severity a&quot;b\" type=\"no_channel\">"
        "rules/a&amp;b.yml:7: alert Odd&lt;&amp;&gt;&quot;&apos;Name for team payments: no "
        "channel for severity a&quot;b</failure>\n"
        "  </testcase>\n"
        "  <testcase classname=\"rules/a&amp;b.yml\" name=\"alert Odd&lt;&amp;&gt;&quot;&apos;Name "
        "for team payments\" file=\"rules/a&amp;b.yml\" line=\"7\"/>\n"
        "</testsuite>\n");

    rr_buf_reset(&out);
    ck_assert(rr_coverage_json(&cov, &out) == RR_OK);
    json_error_t jerr;
    json_t *doc = json_loads(out.data, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s", jerr.text);
    json_t *want = json_pack(
        "{s:{s:i,s:i,s:i,s:i},s:[{s:s,s:i,s:s,s:s,s:s,s:s,s:n,s:n,s:[{s:s,s:s},{s:s,s:s}]},"
        "{s:s,s:i,s:s,s:s,s:s,s:s,s:n,s:s,s:[]}]}",
        "summary", "alerts", 1, "pairs", 2, "failing_pairs", 1, "findings", 2, "pairs", "file",
        "rules/a&b.yml", "line", 7, "alert", "Odd<&>\"'Name", "team", "payments", "via", "run_time",
        "layer", "application", "route", "runbook", "findings", "check", "no_runbook", "message",
        "no runbook", "check", "no_channel", "message", "no channel for severity a\"b", "file",
        "rules/a&b.yml", "line", 7, "alert", "Odd<&>\"'Name", "team", "payments", "via", "route",
        "layer", "platform", "route", "runbook", "rb", "findings");
    ck_assert_ptr_nonnull(want);
    ck_assert_msg(json_equal(doc, want), "got %s", out.data);
    json_decref(want);
    json_decref(doc);
    rr_buf_release(&out);
}
END_TEST

START_TEST(test_xml_control_characters)
{
    struct rr_promrule rule = {.file = "r.yml",
                               .line = 1,
                               .alert = "A\tB\x01"
                                        "C"};
    struct rr_team team = {.name = "t"};
    struct rr_coverage_pair pair = {.rule = &rule, .team = &team, .via = "platform"};
    struct rr_coverage cov = {&pair, 1, 1, 0, 0};
    struct rr_buf out;
    rr_buf_init(&out, 4096);
    ck_assert(rr_coverage_junit(&cov, &out) == RR_OK);
    ck_assert_ptr_nonnull(strstr(out.data, "name=\"alert A&#9;B?C for team t\""));
    rr_buf_release(&out);
}
END_TEST

START_TEST(test_report_cap)
{
    struct rr_promrule rule = {.file = "r.yml", .line = 1, .alert = "A"};
    struct rr_team team = {.name = "t"};
    struct rr_coverage_pair pair = {.rule = &rule, .team = &team, .via = "platform"};
    pair.findings[0].kind = RR_FINDING_NO_SEVERITY;
    pair.n_findings = 1;
    struct rr_coverage cov = {&pair, 1, 1, 1, 1};
    struct rr_buf out;
    rr_buf_init(&out, 16);
    ck_assert_int_eq(rr_coverage_text(&cov, &out), RR_ERR_LIMIT);
    ck_assert_int_eq(rr_coverage_json(&cov, &out), RR_ERR_LIMIT);
    ck_assert_int_eq(rr_coverage_junit(&cov, &out), RR_ERR_LIMIT);
    rr_buf_release(&out);
}
END_TEST

START_TEST(test_shipped_config_clean)
{
    struct rr_diag diag = {{0}};
    struct fixture f = {0};
    char *path = rr_test_source_path("routing");
    ck_assert_msg(rr_routing_load(path, &f.routing, &diag) == RR_OK, "%s", diag.msg);
    free(path);
    path = rr_test_source_path("runbooks");
    ck_assert_msg(rr_runbooks_load(path, &f.runbooks, &diag) == RR_OK, "%s", diag.msg);
    free(path);
    path = rr_test_source_path("deploy/prometheus");
    const char *p = path;
    ck_assert_msg(rr_promrules_load(&p, 1, &f.rules, &diag) == RR_OK, "%s", diag.msg);
    free(path);
    struct rr_coverage cov;
    struct rr_coverage_options opts = {.allow_generic = true};
    rr_coverage_run(f.routing, f.runbooks, f.rules, &opts, &cov);
    ck_assert_uint_gt(cov.n_pairs, cov.n_rules);
    struct rr_buf out;
    rr_buf_init(&out, 1 << 20);
    ck_assert(rr_coverage_text(&cov, &out) == RR_OK);
    ck_assert_msg(cov.n_findings == 0, "findings:\n%s", out.data ? out.data : "");
    /* Every application team may receive the SDK rules (their owner is known at run time);
     * none falls to unowned and none is without a runbook, even with generics excluded. */
    rr_coverage_release(&cov);
    opts.allow_generic = false;
    rr_coverage_run(f.routing, f.runbooks, f.rules, &opts, &cov);
    rr_buf_reset(&out);
    ck_assert(rr_coverage_text(&cov, &out) == RR_OK);
    ck_assert_msg(cov.n_findings == 0, "findings with --no-generic:\n%s", out.data);
    rr_buf_release(&out);
    rr_coverage_release(&cov);
    unload(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("coverage");
    TCase *tc = tcase_create("coverage");
    tcase_add_test(tc, test_receivers);
    tcase_add_test(tc, test_no_generic_and_team);
    tcase_add_test(tc, test_base_clean);
    tcase_add_test(tc, test_wording);
    tcase_add_test(tc, test_reports);
    tcase_add_test(tc, test_xml_control_characters);
    tcase_add_test(tc, test_report_cap);
    tcase_add_test(tc, test_shipped_config_clean);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * coverage CLI: `runbook-router coverage` as CI runs it — the built binary ($RR_BINARY) in a
 * child process, stdout compared exactly, the exit status asserted (PRODUCT §9, §10).
 *
 * The shipped deploy/prometheus + routing/ + runbooks/ must pass clean. Every case under
 * tests/fixtures/coverage/ changes exactly one thing of the clean set in base/ (a runbook
 * missing, a section missing or empty, two failure modes, no critical channel, a rule falling
 * to unowned, no severity, no signal, a syntax error...) and must print exactly its finding
 * lines. Children run in tests/fixtures/coverage so paths in the output are relative. JUnit is
 * validated with xmllint (Debian libxml2-utils) and counted; JSON is parsed with jansson.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "testlib.h"

#define MAX_ARGS 32

struct run {
    int status; /* exit status, -1 when killed by a signal */
    char *out;  /* stdout, owned */
    char *err;  /* stderr, owned */
};

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

/* Runs `runbook-router coverage ARGS...` (NULL-terminated) in dir with env ("NAME=value" or
 * NULL) added; output goes through files, so a large report cannot block the child. */
static struct run run_in(const char *dir, const char *env, ...)
{
    char binary[4096], cwd[2048];
    /* Absolute, since the child changes directory before exec. */
    if (rr_test_binary()[0] == '/')
        snprintf(binary, sizeof binary, "%s", rr_test_binary());
    else
        snprintf(binary, sizeof binary, "%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".",
                 rr_test_binary());
    const char *argv[MAX_ARGS + 3] = {binary, "coverage"};
    int n = 2;
    va_list ap;
    va_start(ap, env);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < MAX_ARGS + 2;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    char *tmp = rr_test_tmpdir();
    char out_path[4096], err_path[4096];
    snprintf(out_path, sizeof out_path, "%s/out", tmp);
    snprintf(err_path, sizeof err_path, "%s/err", tmp);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(dir) != 0)
            _exit(127);
        /* The suite's own environment must not pick rule files or teams for the child. */
        const char *vars[] = {"RULES", "ROUTING", "RUNBOOKS", "TEAM", "FORMAT", "NO_GENERIC"};
        for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
            char name[64];
            snprintf(name, sizeof name, "RUNBOOK_ROUTER_%s", vars[i]);
            unsetenv(name);
        }
        const char *eq = env ? strchr(env, '=') : NULL;
        if (eq) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(eq - env), env);
            setenv(name, eq + 1, 1);
        }
        execv(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    struct run r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, NULL, NULL};
    r.out = rr_test_read_file(out_path, NULL);
    r.err = rr_test_read_file(err_path, NULL);
    rr_test_rmtree(tmp);
    free(tmp);
    return r;
}

static char *fixtures;
static char *source;

static void setup(void)
{
    fixtures = rr_test_fixture("coverage");
    source = rr_test_source_path("");
}

static void teardown(void)
{
    free(fixtures);
    free(source);
}

/* ==== Every fixture case: exact stdout and exit status ==== */

#define BASE "--routing", "base/routing", "--runbooks", "base/runbooks"

static const struct {
    const char *name;
    const char *args[12];
    int status;
    const char *out;
} cases[] = {
    {"base is clean", {"--rules", "base/rules", BASE}, 0, ""},
    {"no runbook",
     {"--rules", "base/rules", "--routing", "base/routing", "--runbooks", "no-runbook/runbooks"},
     1,
     "base/rules/base.yml:12: alert ChargeFailing for team payments: no runbook\n"},
    {"missing section",
     {"--rules", "base/rules", "--routing", "base/routing", "--runbooks",
      "missing-section/runbooks"},
     1,
     "base/rules/base.yml:12: alert ChargeFailing for team payments: runbook charge-failing: "
     "missing section Terminate and restart\n"},
    {"empty section",
     {"--rules", "base/rules", "--routing", "base/routing", "--runbooks", "empty-section/runbooks"},
     1,
     "base/rules/base.yml:12: alert ChargeFailing for team payments: runbook charge-failing: "
     "empty section Escalation\n"},
    {"two failure modes",
     {"--rules", "base/rules", "--routing", "base/routing", "--runbooks",
      "two-failure-modes/runbooks"},
     1,
     "base/rules/base.yml:12: alert ChargeFailing for team payments: runbook charge-failing: "
     "Remediation names 2 failure modes, needs 3\n"},
    {"no channel for critical",
     {"--rules", "base/rules", "--routing", "no-critical-channel/routing", "--runbooks",
      "base/runbooks"},
     1,
     "base/rules/base.yml:12: alert ChargeFailing for team payments: no channel for severity "
     "critical\n"},
    {"falls to unowned",
     {"--rules", "unowned/rules.yml", BASE},
     1,
     "unowned/rules.yml:17: alert WorkflowFailureRatioHigh for team platform: falls to unowned\n"},
    {"no severity",
     {"--rules", "no-severity/rules.yml", BASE},
     1,
     "no-severity/rules.yml:6: alert DatabaseDown for team platform: no severity label\n"},
    {"no signal",
     {"--rules", "no-signal/rules.yml", BASE},
     1,
     "no-signal/rules.yml:17: alert WorkflowFailureRatioHigh for team orders: no signal label "
     "and no route kind\n"
     "no-signal/rules.yml:17: alert WorkflowFailureRatioHigh for team payments: no signal "
     "label and no route kind\n"},
    {"generic runbook counts",
     {"--rules", "base/rules", "--routing", "base/routing", "--runbooks", "generic/runbooks"},
     0,
     ""},
    {"--no-generic",
     {"--rules", "base/rules", "--routing", "base/routing", "--runbooks", "generic/runbooks",
      "--no-generic"},
     1,
     "base/rules/base.yml:17: alert WorkflowFailureRatioHigh for team orders: no runbook\n"
     "base/rules/base.yml:17: alert WorkflowFailureRatioHigh for team payments: no runbook\n"},
    {"--team keeps that team's pairs",
     {"--rules", "no-signal/rules.yml", BASE, "--team", "payments"},
     1,
     "no-signal/rules.yml:17: alert WorkflowFailureRatioHigh for team payments: no signal "
     "label and no route kind\n"},
    {"--team that goes live clean",
     {"--rules", "no-signal/rules.yml", BASE, "--team", "platform"},
     0,
     ""},
    {"several rule paths after one --rules",
     {"--rules", "base/rules/base.yml", "no-severity/rules.yml", BASE},
     1,
     "no-severity/rules.yml:6: alert DatabaseDown for team platform: no severity label\n"},
    {"--rules repeated",
     {"--rules", "no-severity/rules.yml", BASE, "--rules", "no-signal/rules.yml", "--team",
      "orders"},
     1,
     "no-signal/rules.yml:17: alert WorkflowFailureRatioHigh for team orders: no signal label "
     "and no route kind\n"},
    /* Cannot load: nothing on stdout, exit 3. */
    {"syntax error", {"--rules", "syntax-error/rules.yml", BASE}, 3, ""},
    {"wrong shape", {"--rules", "bad-shape/rules.yml", BASE}, 3, ""},
    {"promtool test file named", {"--rules", "base/rules/tests/base_test.yml", BASE}, 3, ""},
    {"missing rule file", {"--rules", "nope.yml", BASE}, 3, ""},
    {"routing not loadable", {"--rules", "base/rules", "--routing", "nope"}, 3, ""},
    /* Usage. */
    {"no --rules", {BASE}, 2, ""},
    {"unknown team", {"--rules", "base/rules", BASE, "--team", "nobody"}, 2, ""},
    {"bad format", {"--rules", "base/rules", BASE, "--format", "xml"}, 2, ""},
    {"stray argument", {"base/rules", "--rules", "base/rules", BASE}, 2, ""},
};

static struct run run_case(int i)
{
    const char *a[12] = {0};
    memcpy(a, cases[i].args, sizeof a);
    return run_in(fixtures, NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
                  a[11], NULL);
}

START_TEST(test_case)
{
    struct run r = run_case(_i);
    ck_assert_msg(r.status == cases[_i].status, "%s: exit %d, want %d; stderr:\n%s", cases[_i].name,
                  r.status, cases[_i].status, r.err);
    ck_assert_msg(!strcmp(r.out, cases[_i].out), "%s: stdout:\n%s\nwant:\n%s", cases[_i].name,
                  r.out, cases[_i].out);
    if (r.status == 0 || r.status == 1)
        ck_assert_msg(strstr(r.err, r.status ? "FAILED" : "PASSED"), "%s: stderr %s",
                      cases[_i].name, r.err);
    run_free(&r);
}
END_TEST

/* The load errors name the place exactly, on stderr. */
START_TEST(test_load_errors)
{
    static const struct {
        const char *rules;
        const char *err;
    } want[] = {
        {"syntax-error/rules.yml",
         "syntax-error/rules.yml:14:16: mapping values are not allowed in this context\n"},
        {"bad-shape/rules.yml",
         "bad-shape/rules.yml:12:9: unknown key 'name' (allowed: record, alert, expr, for, "
         "keep_firing_for, labels, annotations)\n"},
        {"base/rules/tests/base_test.yml",
         "base/rules/tests/base_test.yml:2:1: a promtool test file, not a rule file: name the "
         "rule files it tests instead\n"},
        {"nope.yml", "nope.yml: cannot open: No such file or directory\n"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct run r = run_in(fixtures, NULL, "--rules", want[i].rules, BASE, NULL);
        ck_assert_int_eq(r.status, 3);
        ck_assert_str_eq(r.out, "");
        ck_assert_str_eq(r.err, want[i].err);
        run_free(&r);
    }
    struct run r = run_in(fixtures, NULL, "--rules", "base/rules", BASE, "--team", "nobody", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--team: unknown team 'nobody'"));
    run_free(&r);
}
END_TEST

/* ==== The shipped configuration ==== */

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Writes the text to a file and runs xmllint --noout on it. */
static void assert_well_formed(const char *xml)
{
    char *tmp = rr_test_tmpdir();
    char path[4096], cmd[8300];
    snprintf(path, sizeof path, "%s/report.xml", tmp);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(xml, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "xmllint --noout failed (%d; is libxml2-utils installed?):\n%s", rc,
                  xml);
    rr_test_rmtree(tmp);
    free(tmp);
}

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    ck_assert_msg(doc != NULL, "line %d: %s\n%s", jerr.line, jerr.text, text);
    return doc;
}

START_TEST(test_shipped_clean)
{
    struct run r = run_in(source, NULL, "--rules", "deploy/prometheus", NULL);
    ck_assert_msg(r.status == 0, "exit %d\n%s%s", r.status, r.out, r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "no findings: PASSED"));
    run_free(&r);

    r = run_in(source, NULL, "--rules", "deploy/prometheus", "--format", "json", NULL);
    ck_assert_int_eq(r.status, 0);
    json_t *doc = parse_json(r.out);
    json_t *pairs = json_object_get(doc, "pairs");
    size_t n_pairs = json_array_size(pairs);
    ck_assert_uint_gt(n_pairs, 18);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "summary"), "pairs")),
                     (json_int_t)n_pairs);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(doc, "summary"), "findings")), 0);
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p)
    {
        ck_assert_ptr_nonnull(json_string_value(json_object_get(p, "runbook")));
        ck_assert_uint_eq(json_array_size(json_object_get(p, "findings")), 0);
        ck_assert_str_ne(json_string_value(json_object_get(p, "via")), "unowned");
    }
    json_decref(doc);
    run_free(&r);

    r = run_in(source, NULL, "--rules", "deploy/prometheus", "--format", "junit", NULL);
    ck_assert_int_eq(r.status, 0);
    assert_well_formed(r.out);
    ck_assert_uint_eq(count(r.out, "<testcase "), n_pairs);
    ck_assert_uint_eq(count(r.out, "<failure "), 0);
    char head[128];
    snprintf(head, sizeof head, "<testsuite name=\"runbook-coverage\" tests=\"%zu\" failures=\"0\"",
             n_pairs);
    ck_assert_ptr_nonnull(strstr(r.out, head));
    run_free(&r);

    /* "May payments go live?": only payments' pairs, all clean. */
    r = run_in(source, NULL, "--rules", "deploy/prometheus", "--team", "payments", "--format",
               "json", NULL);
    ck_assert_int_eq(r.status, 0);
    doc = parse_json(r.out);
    pairs = json_object_get(doc, "pairs");
    ck_assert_uint_gt(json_array_size(pairs), 0);
    json_array_foreach(pairs, i, p)
        ck_assert_str_eq(json_string_value(json_object_get(p, "team")), "payments");
    json_decref(doc);
    run_free(&r);
}
END_TEST

/* ==== Report formats on a failing case ==== */

START_TEST(test_junit_failing)
{
    struct run r =
        run_in(fixtures, NULL, "--rules", "no-signal/rules.yml", BASE, "--format", "junit", NULL);
    ck_assert_int_eq(r.status, 1);
    assert_well_formed(r.out);
    ck_assert_uint_eq(count(r.out, "<testcase "), 8);
    ck_assert_uint_eq(count(r.out, "<failure "), 2);
    ck_assert_ptr_nonnull(strstr(r.out, "<testsuite name=\"runbook-coverage\" tests=\"8\" "
                                        "failures=\"2\""));
    ck_assert_ptr_nonnull(strstr(
        r.out, "  <testcase classname=\"no-signal/rules.yml\" name=\"alert "
               "WorkflowFailureRatioHigh for team orders\" file=\"no-signal/rules.yml\" "
               "line=\"17\">\n"
               "    <failure message=\"no signal label and no route kind\" type=\"no_signal\">"
               "no-signal/rules.yml:17: alert WorkflowFailureRatioHigh for team orders: no signal "
               "label and no route kind</failure>\n"
               "  </testcase>\n"));
    run_free(&r);

    /* One failure element per finding, two in one testcase; failures= counts testcases. */
    r = run_in(fixtures, NULL, "--rules", "no-signal/rules.yml", BASE, "--runbooks",
               "generic/runbooks", "--no-generic", "--format", "junit", NULL);
    ck_assert_int_eq(r.status, 1);
    assert_well_formed(r.out);
    ck_assert_uint_eq(count(r.out, "<testcase "), 8);
    ck_assert_uint_eq(count(r.out, "<failure "), 4);
    ck_assert_ptr_nonnull(strstr(r.out, "tests=\"8\" failures=\"2\""));
    ck_assert_ptr_nonnull(strstr(
        r.out, "line=\"17\">\n"
               "    <failure message=\"no runbook\" type=\"no_runbook\">no-signal/rules.yml:17: "
               "alert WorkflowFailureRatioHigh for team payments: no runbook</failure>\n"
               "    <failure message=\"no signal label and no route kind\" type=\"no_signal\">"));
    run_free(&r);
}
END_TEST

START_TEST(test_json_failing)
{
    struct run r = run_in(fixtures, NULL, "--rules", "base/rules", "--routing", "base/routing",
                          "--runbooks", "missing-section/runbooks", "--format", "json", NULL);
    ck_assert_int_eq(r.status, 1);
    json_t *doc = parse_json(r.out);
    json_t *want_summary =
        json_pack("{s:i,s:i,s:i,s:i}", "alerts", 5, "pairs", 8, "failing_pairs", 1, "findings", 1);
    ck_assert(json_equal(json_object_get(doc, "summary"), want_summary));
    json_decref(want_summary);
    json_t *pairs = json_object_get(doc, "pairs");
    ck_assert_uint_eq(json_array_size(pairs), 8);
    json_t *want = json_pack(
        "{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}", "file", "base/rules/base.yml", "line",
        12, "alert", "ChargeFailing", "team", "payments", "via", "route", "layer", "application",
        "route", "charge", "runbook", "charge-failing", "findings", "check", "missing_section",
        "message", "runbook charge-failing: missing section Terminate and restart");
    ck_assert_msg(json_equal(json_array_get(pairs, 1), want), "%s", r.out);
    json_decref(want);
    /* A platform pair added by correlation, and a decided one with no route. */
    json_t *corr = json_array_get(pairs, 6);
    ck_assert_str_eq(json_string_value(json_object_get(corr, "team")), "platform");
    ck_assert_str_eq(json_string_value(json_object_get(corr, "via")), "correlation");
    ck_assert_str_eq(json_string_value(json_object_get(corr, "layer")), "platform");
    ck_assert(json_is_null(json_object_get(json_array_get(pairs, 7), "route")));
    json_decref(doc);
    run_free(&r);
}
END_TEST

START_TEST(test_environment)
{
    /* RUNBOOK_ROUTER_RULES names the rules; a --rules flag replaces it. */
    struct run r = run_in(fixtures, "RUNBOOK_ROUTER_RULES=no-severity/rules.yml", BASE, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out,
                     "no-severity/rules.yml:6: alert DatabaseDown for team platform: no severity "
                     "label\n");
    run_free(&r);
    r = run_in(fixtures, "RUNBOOK_ROUTER_RULES=no-severity/rules.yml", "--rules", "base/rules",
               BASE, NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
}
END_TEST

START_TEST(test_help)
{
    struct run r = run_in(fixtures, NULL, "--help", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--rules"));
    ck_assert_ptr_nonnull(strstr(r.out, "--no-generic"));
    ck_assert_ptr_nonnull(strstr(r.out, "RUNBOOK_ROUTER_TEAM"));
    run_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("coverage_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_case, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_shipped_clean);
    tcase_add_test(tc, test_junit_failing);
    tcase_add_test(tc, test_json_failing);
    tcase_add_test(tc, test_environment);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

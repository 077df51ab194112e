/*
 * promrules: Prometheus rule files as coverage reads them — the static labels each alerting
 * rule attaches (group labels, rule labels over them, alertname last; empty and templated
 * values left out), the line of its `- alert:` entry, directories in lexical order with
 * promtool test files skipped, and the exact `file:line:column: message` of every shape
 * Prometheus would refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "rr/promrules.h"

#include "testlib.h"

static char *tmp;

static void setup(void)
{
    tmp = rr_test_tmpdir();
}

static void teardown(void)
{
    rr_test_rmtree(tmp);
    free(tmp);
}

/* tmp/rel, created with its directories; returns the path (owned). */
static char *write_file(const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmp, rel);
    for (char *p = path + strlen(tmp) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return strdup(path);
}

static char *tmp_path(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmp, rel);
    return strdup(path);
}

static struct rr_promrules *load_ok(const char *path)
{
    struct rr_promrules *rules = NULL;
    struct rr_diag diag = {{0}};
    enum rr_err err = rr_promrules_load(&path, 1, &rules, &diag);
    ck_assert_msg(err == RR_OK, "%s", diag.msg);
    return rules;
}

/* The labels as "a=1,b=2". */
static void labels_text(const struct rr_labelset *set, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < set->n; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s=%s", i ? "," : "", set->items[i].name,
                              set->items[i].value);
}

START_TEST(test_static_labels)
{
    char *path = write_file("a.yml", "# comment\n"
                                     "groups:\n"
                                     "  - name: g1\n"
                                     "    labels: {team: orders, source: sdk}\n"
                                     "    rules:\n"
                                     "      - record: job:x:rate5m\n"
                                     "        expr: rate(x[5m])\n"
                                     "      - alert: First\n"
                                     "        expr: x > 0\n"
                                     "        for: 5m\n"
                                     "        labels:\n"
                                     "          severity: critical\n"
                                     "          team: payments\n"
                                     "          alertname: Renamed\n"
                                     "          namespace: '{{ $labels.ns }}'\n"
                                     "          empty: ''\n"
                                     "          nothing:\n"
                                     "        annotations:\n"
                                     "          summary: 'x is {{ $value }}'\n"
                                     "          description: d\n"
                                     "  - name: g2\n"
                                     "    rules:\n"
                                     "      - expr: y > 0\n"
                                     "        alert: \"Second\"\n");
    struct rr_promrules *rules = load_ok(path);
    ck_assert_uint_eq(rr_promrules_count(rules), 2);
    ck_assert_uint_eq(rr_promrules_file_count(rules), 1);
    char text[512];
    const struct rr_promrule *r = rr_promrules_at(rules, 0);
    ck_assert_str_eq(r->file, path);
    ck_assert_uint_eq(r->line, 8);
    ck_assert_uint_eq(r->col, 9);
    ck_assert_str_eq(r->group, "g1");
    ck_assert_str_eq(r->alert, "First");
    labels_text(&r->labels, text, sizeof text);
    ck_assert_str_eq(text, "alertname=First,severity=critical,source=sdk,team=payments");
    labels_text(&r->annotations, text, sizeof text);
    ck_assert_str_eq(text, "description=d,summary=x is {{ $value }}");
    r = rr_promrules_at(rules, 1);
    ck_assert_uint_eq(r->line, 23); /* the entry's line, though `alert` is its second key */
    ck_assert_str_eq(r->group, "g2");
    labels_text(&r->labels, text, sizeof text);
    ck_assert_str_eq(text, "alertname=Second");
    ck_assert_uint_eq(r->annotations.n, 0);
    rr_promrules_free(rules);
    free(path);
}
END_TEST

START_TEST(test_empty_files)
{
    const char *texts[] = {"",
                           "# only a comment\n",
                           "groups:\n",
                           "groups: []\n",
                           "groups:\n  - name: g\n",
                           "groups:\n  - name: g\n    rules: []\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *path = write_file("e.yml", texts[i]);
        struct rr_promrules *rules = load_ok(path);
        ck_assert_uint_eq(rr_promrules_count(rules), 0);
        ck_assert_uint_eq(rr_promrules_file_count(rules), 1);
        rr_promrules_free(rules);
        free(path);
    }
}
END_TEST

static const char one_rule[] = "groups:\n  - name: g\n    rules:\n      - alert: %s\n"
                               "        expr: up == 0\n";

static void write_rule(const char *rel, const char *alert)
{
    char text[256];
    snprintf(text, sizeof text, one_rule, alert);
    free(write_file(rel, text));
}

START_TEST(test_directory)
{
    write_rule("b.yml", "B");
    write_rule("a.yaml", "A");
    write_rule("sub/c.yml", "C");
    write_rule("a/z.yml", "AZ");
    write_rule(".hidden.yml", "Hidden");
    write_rule(".git/x.yml", "Git");
    write_rule("notes.txt", "Text");
    free(write_file("tests/a_test.yml", "rule_files: [../a.yaml]\ntests: []\n"));
    free(write_file("tests/b_test.yml", "rule_files: [../b.yml]\n"));
    struct rr_promrules *rules = load_ok(tmp);
    /* Byte order of the paths below the directory: "a.yaml" ('.' is 0x2e) before "a/z.yml"
     * ('/' is 0x2f); hidden names, other extensions and promtool test files are not read. */
    const char *want[] = {"A", "AZ", "B", "C"};
    ck_assert_uint_eq(rr_promrules_count(rules), 4);
    ck_assert_uint_eq(rr_promrules_file_count(rules), 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(rr_promrules_at(rules, i)->alert, want[i]);
    char *expect = tmp_path("sub/c.yml");
    ck_assert_str_eq(rr_promrules_at(rules, 3)->file, expect);
    free(expect);
    rr_promrules_free(rules);

    /* Paths are read in the order given, each directory expanded; a trailing slash is kept
     * single in the names. */
    char *b = tmp_path("b.yml"), *sub = tmp_path("sub/");
    const char *paths[] = {b, sub};
    struct rr_diag diag = {{0}};
    ck_assert_int_eq(rr_promrules_load(paths, 2, &rules, &diag), RR_OK);
    ck_assert_uint_eq(rr_promrules_count(rules), 2);
    ck_assert_str_eq(rr_promrules_at(rules, 0)->alert, "B");
    ck_assert_str_eq(rr_promrules_at(rules, 1)->alert, "C");
    expect = tmp_path("sub/c.yml");
    ck_assert_str_eq(rr_promrules_at(rules, 1)->file, expect);
    free(expect);
    rr_promrules_free(rules);
    free(b);
    free(sub);
}
END_TEST

START_TEST(test_promtool_file_named)
{
    char *path = write_file("t.yml", "# test\nrule_files:\n  - a.yml\ntests: []\n");
    struct rr_promrules *rules = NULL;
    struct rr_diag diag = {{0}};
    const char *p = path;
    ck_assert_int_eq(rr_promrules_load(&p, 1, &rules, &diag), RR_ERR_INVAL);
    ck_assert_ptr_null(rules);
    char want[4200];
    snprintf(want, sizeof want,
             "%s:2:1: a promtool test file, not a rule file: name the rule files it tests "
             "instead",
             path);
    ck_assert_str_eq(diag.msg, want);
    free(path);
}
END_TEST

START_TEST(test_missing_path)
{
    char *path = tmp_path("nope.yml");
    struct rr_promrules *rules = NULL;
    struct rr_diag diag = {{0}};
    const char *p = path;
    ck_assert_int_eq(rr_promrules_load(&p, 1, &rules, &diag), RR_ERR_IO);
    char want[4200];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq(diag.msg, want);
    free(path);
}
END_TEST

/* Shapes Prometheus refuses, and the message for each (after "file:"). */
static const struct {
    const char *text;
    enum rr_err err;
    const char *msg;
} bad[] = {
    {"groups: [\n", RR_ERR_INVAL, "2:1: did not find expected node content"},
    {"- a\n", RR_ERR_INVAL, "1:1: rule file: expected a mapping, found a list"},
    {"group:\n  - name: g\n", RR_ERR_INVAL, "1:1: unknown key 'group' (allowed: groups)"},
    {"other: 1\n", RR_ERR_INVAL, "1:1: unknown key 'other' (allowed: groups)"},
    {"groups: {name: g}\n", RR_ERR_INVAL, "1:9: groups: expected a list, found a mapping"},
    {"groups:\n  - g\n", RR_ERR_INVAL, "2:5: group: expected a mapping, found a scalar"},
    {"groups:\n  - rules: []\n", RR_ERR_INVAL, "2:5: group has no 'name'"},
    {"groups:\n  - name: [a]\n", RR_ERR_INVAL, "2:11: group name is not a non-empty string"},
    {"groups:\n  - name: g\n    interval: 1m\n    lables: {}\n", RR_ERR_INVAL,
     "4:5: unknown key 'lables' (allowed: name, interval, query_offset, limit, labels, rules, "
     "partial_response_strategy, source_tenants, evaluation_delay)"},
    {"groups:\n  - name: g\n  - name: h\n  - name: g\n", RR_ERR_INVAL,
     "4:11: group name 'g' repeated (first at 2:11)"},
    {"groups:\n  - name: g\n    rules: {}\n", RR_ERR_INVAL,
     "3:12: rules: expected a list, found a mapping"},
    {"groups:\n  - name: g\n    rules:\n      - up\n", RR_ERR_INVAL,
     "4:9: rule: expected a mapping, found a scalar"},
    {"groups:\n  - name: g\n    rules:\n      - expr: up\n", RR_ERR_INVAL,
     "4:9: rule has neither 'alert' nor 'record'"},
    {"groups:\n  - name: g\n    rules:\n      - alert: A\n        record: b\n        expr: up\n",
     RR_ERR_INVAL, "4:9: rule has both 'alert' and 'record'"},
    {"groups:\n  - name: g\n    rules:\n      - alert: [A]\n        expr: up\n", RR_ERR_INVAL,
     "4:16: alert name is not a non-empty string"},
    {"groups:\n  - name: g\n    rules:\n      - alert: ''\n        expr: up\n", RR_ERR_INVAL,
     "4:16: alert name is not a non-empty string"},
    {"groups:\n  - name: g\n    rules:\n      - alert: A\n", RR_ERR_INVAL,
     "4:9: alert 'A': 'expr' must be a non-empty string"},
    {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        label: {}\n",
     RR_ERR_INVAL,
     "6:9: unknown key 'label' (allowed: record, alert, expr, for, keep_firing_for, labels, "
     "annotations)"},
    {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels: [a]\n",
     RR_ERR_INVAL, "6:17: labels: expected a mapping, found a list"},
    {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
     "        labels:\n          severity: [critical]\n",
     RR_ERR_INVAL, "7:21: labels.severity: expected a string, found a list"},
    {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
     "        annotations:\n          summary: {a: b}\n",
     RR_ERR_INVAL, "7:20: annotations.summary: expected a string, found a mapping"},
    {"groups:\n  - name: g\n    labels: x\n", RR_ERR_INVAL,
     "3:13: labels: expected a mapping, found a scalar"},
    {"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n      - alert: B\n"
     "        expr: up\n        labels: {a: 1, a: 2}\n",
     RR_ERR_INVAL, "8:24: duplicate key 'a' (first at 8:18)"},
};

START_TEST(test_bad_shape)
{
    char *path = write_file("bad.yml", bad[_i].text);
    struct rr_promrules *rules = NULL;
    struct rr_diag diag = {{0}};
    const char *p = path;
    ck_assert_int_eq(rr_promrules_load(&p, 1, &rules, &diag), bad[_i].err);
    ck_assert_ptr_null(rules);
    char want[4200];
    snprintf(want, sizeof want, "%s:%s", path, bad[_i].msg);
    ck_assert_str_eq(diag.msg, want);
    free(path);
}
END_TEST

START_TEST(test_bad_file_in_directory)
{
    write_rule("a.yml", "A");
    free(write_file("b.yml", "groups:\n  - name: g\n    rules:\n      - expr: up\n"));
    struct rr_promrules *rules = NULL;
    struct rr_diag diag = {{0}};
    const char *p = tmp;
    ck_assert_int_eq(rr_promrules_load(&p, 1, &rules, &diag), RR_ERR_INVAL);
    ck_assert_ptr_null(rules);
    char want[4200];
    snprintf(want, sizeof want, "%s/b.yml:4:9: rule has neither 'alert' nor 'record'", tmp);
    ck_assert_str_eq(diag.msg, want);
}
END_TEST

START_TEST(test_caps)
{
    struct rr_buf b;
    rr_buf_init(&b, 1 << 20);
    ck_assert(!rr_buf_puts(&b, "groups:\n  - name: g\n    rules:\n      - alert: A\n"
                               "        expr: up\n        labels:\n"));
    for (int i = 0; i <= RR_ALERT_MAX_LABELS; i++)
        ck_assert(!rr_buf_printf(&b, "          l%d: v\n", i));
    char *path = write_file("caps.yml", b.data);
    struct rr_promrules *rules = NULL;
    struct rr_diag diag = {{0}};
    const char *p = path;
    ck_assert_int_eq(rr_promrules_load(&p, 1, &rules, &diag), RR_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(diag.msg, "labels: more than 128 labels"));
    rr_buf_release(&b);
    free(path);
}
END_TEST

START_TEST(test_shipped_rules)
{
    char *dir = rr_test_source_path("deploy/prometheus");
    struct rr_promrules *rules = load_ok(dir);
    ck_assert_uint_eq(rr_promrules_file_count(rules), 3); /* tests/ skipped */
    ck_assert_uint_ge(rr_promrules_count(rules), 10);
    for (size_t i = 0; i < rr_promrules_count(rules); i++) {
        const struct rr_promrule *r = rr_promrules_at(rules, i);
        ck_assert_ptr_nonnull(rr_labelset_get(&r->labels, "severity"));
        ck_assert_str_eq(rr_labelset_get(&r->labels, "alertname"), r->alert);
    }
    rr_promrules_free(rules);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("promrules");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_static_labels);
    tcase_add_test(tc, test_empty_files);
    tcase_add_test(tc, test_directory);
    tcase_add_test(tc, test_promtool_file_named);
    tcase_add_test(tc, test_missing_path);
    tcase_add_loop_test(tc, test_bad_shape, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_bad_file_in_directory);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_shipped_rules);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

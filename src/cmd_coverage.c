/*
 * cmd_coverage: `runbook-router coverage` — the go-live gate of PRODUCT §9.
 *
 *   runbook-router coverage --rules FILE_OR_DIR... [--routing DIR] [--runbooks DIR]
 *                           [--team NAME] [--format text|json|junit] [--no-generic]
 *
 * stdout carries the report only (text: one line per finding, nothing when clean), so CI can
 * diff it or publish it; a one-line summary goes to stderr. Exit 0 clean, 1 with findings,
 * 2 for bad arguments (an unknown --team included), 3 when the routing table, the runbooks or
 * a rule file cannot be loaded: the error as `file:line:column: message` on stderr and no
 * report at all, because a half-read rule set would pass alerts it never saw.
 */
#include <stdio.h>
#include <string.h>

#include "rr/cli.h"
#include "rr/config.h"
#include "rr/coverage.h"
#include "rr/live.h"
#include "rr/promrules.h"

#define REPORT_MAX_BYTES ((size_t)1 << 30)

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_JUNIT };

static int usage_error(const char *msg)
{
    fprintf(stderr, "runbook-router coverage: %s\n(see runbook-router coverage --help)\n", msg);
    return RR_EXIT_USAGE;
}

static void help(void)
{
    printf("usage: runbook-router coverage --rules FILE_OR_DIR... [--routing DIR] [--runbooks "
           "DIR]\n"
           "                               [--team NAME] [--format text|json|junit] "
           "[--no-generic]\n\n"
           "For every alerting rule in the Prometheus rule files (directories: every *.yml and\n"
           "*.yaml below, promtool test files skipped), checks each team it can reach: an owner\n"
           "other than unowned, a runbook with Diagnosis, Remediation (three failure modes),\n"
           "Terminate and restart and Escalation, a channel for its severity, and severity and\n"
           "signal labels. One line per finding: `rule-file:line: alert X for team Y: ...`.\n"
           "Exit 0 clean, 1 findings, 2 bad arguments, 3 an input cannot be loaded.\n\n");
    rr_config_usage(RR_CMD_COVERAGE, stdout);
}

static bool parse_format(const char *s, enum format *out)
{
    if (!s || !strcmp(s, "text"))
        *out = FORMAT_TEXT;
    else if (!strcmp(s, "json"))
        *out = FORMAT_JSON;
    else if (!strcmp(s, "junit"))
        *out = FORMAT_JUNIT;
    else
        return false;
    return true;
}

int rr_cmd_coverage(int argc, char **argv)
{
    struct rr_config cfg;
    struct rr_diag diag = {{0}};
    int code = RR_EXIT_OK;
    struct rr_snapshot *snap = NULL;
    struct rr_promrules *rules = NULL;
    struct rr_coverage cov = {0};
    struct rr_buf report;
    rr_buf_init(&report, REPORT_MAX_BYTES);
    enum format format = FORMAT_TEXT;
    char msg[sizeof diag.msg + 64];
    if (rr_config_parse(RR_CMD_COVERAGE, argc, argv, &cfg, &diag)) {
        code = usage_error(diag.msg);
        goto out;
    }
    if (cfg.help) {
        help();
        goto out;
    }
    if (cfg.n_args) {
        (void)snprintf(msg, sizeof msg, "unexpected argument '%s' (rule paths follow --rules)",
                       cfg.args[0]);
        code = usage_error(msg);
        goto out;
    }
    if (!cfg.rules.n) {
        code = usage_error("--rules FILE_OR_DIR is required");
        goto out;
    }
    if (!parse_format(cfg.format, &format)) {
        code = usage_error("--format: want text, json or junit");
        goto out;
    }
    if (rr_snapshot_load(cfg.routing, cfg.runbooks, &snap, &diag)) {
        fprintf(stderr, "%s\n", diag.msg);
        code = RR_EXIT_LOAD;
        goto out;
    }
    if (cfg.team && !rr_routing_team(snap->routing, cfg.team)) {
        (void)snprintf(msg, sizeof msg, "--team: unknown team '%s' (not in %s)", cfg.team,
                       cfg.routing);
        code = usage_error(msg);
        goto out;
    }
    if (rr_promrules_load(cfg.rules.items, (size_t)cfg.rules.n, &rules, &diag)) {
        fprintf(stderr, "%s\n", diag.msg);
        code = RR_EXIT_LOAD;
        goto out;
    }
    struct rr_coverage_options opts = {.team = cfg.team, .allow_generic = !cfg.no_generic};
    rr_coverage_run(snap->routing, snap->runbooks, rules, &opts, &cov);
    enum rr_err err = format == FORMAT_JSON    ? rr_coverage_json(&cov, &report)
                      : format == FORMAT_JUNIT ? rr_coverage_junit(&cov, &report)
                                               : rr_coverage_text(&cov, &report);
    if (err) {
        fprintf(stderr, "runbook-router coverage: report larger than %zu bytes\n",
                REPORT_MAX_BYTES);
        code = RR_EXIT_RUNTIME;
        goto out;
    }
    if (report.len)
        fwrite(report.data, 1, report.len, stdout);
    size_t n_files = rr_promrules_file_count(rules);
    fprintf(stderr,
            "coverage: %zu alerting rules in %zu rule file%s, %zu (alert, team) pairs%s%s: ",
            cov.n_rules, n_files, n_files == 1 ? "" : "s", cov.n_pairs,
            cfg.team ? " for team " : "", cfg.team ? cfg.team : "");
    if (cov.n_findings)
        fprintf(stderr, "%zu finding%s in %zu pairs: FAILED\n", cov.n_findings,
                cov.n_findings == 1 ? "" : "s", cov.n_failing);
    else
        fprintf(stderr, "no findings: PASSED\n");
    code = cov.n_findings ? RR_EXIT_FINDINGS : RR_EXIT_OK;
out:
    rr_coverage_release(&cov);
    rr_promrules_free(rules);
    rr_snapshot_free(snap);
    rr_buf_release(&report);
    rr_config_release(&cfg);
    return code;
}

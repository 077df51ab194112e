/*
 * cmd_check: `runbook-router check` — validate routing/ and runbooks/ like amtool check-config.
 *
 * Exit 0 when both load and every runbook answers the four questions of PRODUCT §6; 1 for rule
 * violations (an unknown team, a duplicate name, a runbook missing a section...); 3 when a file
 * cannot be read or parsed. Every problem is printed as `file:line:column: message` on stderr.
 * Warnings (a secret written literally) never change the exit code.
 */
#include <stdio.h>
#include <string.h>

#include "rr/cli.h"
#include "rr/config.h"
#include "rr/coverage.h"
#include "rr/routing.h"
#include "rr/runbook.h"

static int exit_for(enum rr_err err)
{
    return err == RR_ERR_CONFIG ? RR_EXIT_FINDINGS : RR_EXIT_LOAD;
}

static bool runbook_exists(const char *id, void *ctx)
{
    return rr_runbooks_find(ctx, id) != NULL;
}

/* The four questions, judged as coverage judges them; printed at the section concerned.
 * Returns the number of findings printed. */
static unsigned check_runbook(const struct rr_runbook *rb)
{
    struct rr_finding found[RR_RUNBOOK_MAX_FINDINGS];
    size_t n = rr_runbook_findings(rb, found);
    for (size_t i = 0; i < n; i++) {
        enum rr_section s =
            found[i].kind == RR_FINDING_FAILURE_MODES ? RR_SECTION_REMEDIATION : found[i].section;
        unsigned line = rb->sections[s].line ? rb->sections[s].line : 1;
        struct rr_buf text;
        rr_buf_init(&text, 1024);
        if (rr_finding_append(&found[i], &text) == RR_OK)
            fprintf(stderr, "%s:%u:1: %s\n", rb->path, line, text.data);
        rr_buf_release(&text);
    }
    return (unsigned)n;
}

/* A Slack URL in a committed file is a secret leaked to everyone who can read the repo. */
static void warn_literal_secrets(const struct rr_routing *routing)
{
    for (size_t i = 0; i < rr_routing_team_count(routing); i++) {
        const struct rr_team *t = rr_routing_team_at(routing, i);
        if (t->slack.url && strstr(t->slack.url, "hooks.slack.com"))
            fprintf(stderr,
                    "%s:%u:%u: warning: team %s: a Slack webhook URL is written literally; "
                    "use url_env or url_file\n",
                    t->pos.file, t->pos.line, t->pos.col, t->name);
        if (t->pagerduty.endpoint && strstr(t->pagerduty.endpoint, "routing_key"))
            fprintf(stderr,
                    "%s:%u:%u: warning: team %s: the PagerDuty url looks like it "
                    "carries a key; use routing_key_env or routing_key_file\n",
                    t->pos.file, t->pos.line, t->pos.col, t->name);
    }
}

int rr_cmd_check(int argc, char **argv)
{
    struct rr_config cfg;
    struct rr_diag diag = {{0}};
    if (rr_config_parse(RR_CMD_CHECK, argc, argv, &cfg, &diag) || cfg.n_args) {
        fprintf(stderr, "runbook-router check: %s\n",
                diag.msg[0] ? diag.msg : "unexpected argument");
        rr_config_release(&cfg);
        return RR_EXIT_USAGE;
    }
    if (cfg.help) {
        printf("usage: runbook-router check [--routing DIR] [--runbooks DIR]\n\n"
               "Validates the routing table and the runbooks. Exit 0 ok, 1 rule violations,\n"
               "3 a file cannot be read or parsed.\n\n");
        rr_config_usage(RR_CMD_CHECK, stdout);
        rr_config_release(&cfg);
        return RR_EXIT_OK;
    }
    int code = RR_EXIT_OK;
    struct rr_routing *routing = NULL;
    struct rr_runbooks *runbooks = NULL;
    enum rr_err err = rr_routing_load(cfg.routing, &routing, &diag);
    if (err) {
        fprintf(stderr, "%s\n", diag.msg);
        code = exit_for(err);
    }
    err = rr_runbooks_load(cfg.runbooks, &runbooks, &diag);
    if (err) {
        fprintf(stderr, "%s\n", diag.msg);
        if (code != RR_EXIT_LOAD)
            code = exit_for(err);
    }
    unsigned findings = 0;
    if (routing && runbooks &&
        rr_routing_check_runbooks(routing, runbook_exists, runbooks, &diag) != RR_OK) {
        fprintf(stderr, "%s\n", diag.msg);
        findings++;
    }
    for (size_t i = 0; runbooks && i < rr_runbooks_count(runbooks); i++)
        findings += check_runbook(rr_runbooks_at(runbooks, i));
    if (routing)
        warn_literal_secrets(routing);
    if (findings && code == RR_EXIT_OK)
        code = RR_EXIT_FINDINGS;
    if (code == RR_EXIT_OK)
        printf("%s: %zu teams, %zu routes; %s: %zu runbooks: SUCCESS\n", cfg.routing,
               rr_routing_team_count(routing), rr_routing_route_count(routing), cfg.runbooks,
               rr_runbooks_count(runbooks));
    else
        fprintf(stderr, "check: FAILED\n");
    rr_routing_free(routing);
    rr_runbooks_free(runbooks);
    rr_config_release(&cfg);
    return code;
}

/*
 * coverage: the go-live gate of PRODUCT §9 — for every alerting rule, which teams it can reach,
 * and whether each of them gets an owner, a runbook answering the four questions, a channel
 * for the rule's severity, and the labels classification needs.
 *
 * For a rule, L = its static labels plus alertname (promrules.h), classified by rr_classify()
 * without correlation: an ambiguous decision takes its fallback. Receiving teams:
 *  - the decided team when its owner_source is route, team_label, platform, or namespace /
 *    task_queue (the rule pins them as static labels);
 *  - when the decision fell to unowned only because L lacks a namespace or a task queue, the
 *    owner is decided per alert at run time from labels the expression carries: every
 *    application team that owns a namespace (exact or namespace_regex, when L has no
 *    namespace) or a task queue (when L has no task queue) may receive it; when no team owns
 *    one, or L pins both and nobody owns them, the unowned team, flagged `falls to unowned`;
 *  - for an ambiguous decision that fell back to application, also the team a platform-layer
 *    decision names (correlation can make it platform at run time): L is classified again
 *    with one platform alert as evidence.
 * A team appears once per rule; pairs are in rule order, then team (file) order.
 *
 * Per (rule, team): L gains the team's first exact namespace under the first alias of
 * settings.labels.namespace when L has no namespace, and is classified again (with the
 * platform evidence for the correlation team); the runbook is the route's explicit one, else
 * rr_runbooks_select() for that layer and team ("*" runbooks only when allow_generic).
 *
 * Memory: a struct rr_coverage owns its pair array; every pair borrows from the rules, the
 * routing table and the runbooks it was made from, which must outlive it. Thread: any.
 */
#ifndef RR_COVERAGE_H
#define RR_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "rr/buf.h"
#include "rr/err.h"
#include "rr/promrules.h"
#include "rr/routing.h"
#include "rr/runbook.h"

#define RR_COVERAGE_MAX_FINDINGS  8 /* per pair: the checks below can raise at most 7 */
#define RR_COVERAGE_FAILURE_MODES 3 /* Remediation must name this many (PRODUCT §6) */
#define RR_RUNBOOK_MAX_FINDINGS   (RR_SECTION_COUNT + 1) /* per runbook: sections + modes */

/* The checks of PRODUCT §9, in the order findings are listed. */
enum rr_finding_kind {
    RR_FINDING_UNOWNED,         /* falls to unowned */
    RR_FINDING_NO_RUNBOOK,      /* no runbook */
    RR_FINDING_MISSING_SECTION, /* runbook R: missing section S */
    RR_FINDING_EMPTY_SECTION,   /* runbook R: empty section S */
    RR_FINDING_FAILURE_MODES,   /* runbook R: Remediation names N failure modes, needs 3 */
    RR_FINDING_NO_CHANNEL,      /* no channel for severity S */
    RR_FINDING_NO_SEVERITY,     /* no severity label */
    RR_FINDING_NO_SIGNAL,       /* no signal label and no route kind */
};

struct rr_finding {
    enum rr_finding_kind kind;
    const char *runbook;     /* section and failure-mode findings: runbook id, borrowed */
    enum rr_section section; /* missing or empty section */
    unsigned failure_modes;  /* failure modes the Remediation names */
    const char *severity;    /* no channel: the severity value, borrowed from the rule */
};

/* One (alert, team) pair and what it lacks. */
struct rr_coverage_pair {
    const struct rr_promrule *rule;   /* borrowed */
    const struct rr_team *team;       /* borrowed from the routing table */
    const char *via;                  /* why the team receives it: "route", "team_label",
                                         "namespace", "task_queue", "platform" (the decision),
                                         "run_time", "correlation" or "unowned"; static */
    enum rr_layer layer;              /* the layer decided for this team */
    const struct rr_route *route;     /* the route matched for this team, or NULL */
    const struct rr_runbook *runbook; /* the runbook this team gets, or NULL */
    struct rr_finding findings[RR_COVERAGE_MAX_FINDINGS];
    size_t n_findings;
};

struct rr_coverage_options {
    const char *team;   /* only this team's pairs, or NULL for all; borrowed */
    bool allow_generic; /* a "*" runbook counts (false: --no-generic) */
};

struct rr_coverage {
    struct rr_coverage_pair *pairs; /* owned, n_pairs entries */
    size_t n_pairs;
    size_t n_rules;    /* alerting rules examined (before the team filter) */
    size_t n_failing;  /* pairs with at least one finding */
    size_t n_findings; /* findings over all pairs */
};

/* Runs every check over every rule into *out (initialised here; release with
 * rr_coverage_release). Cannot fail: memory exhaustion aborts, and inputs are capped. */
void rr_coverage_run(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                     const struct rr_promrules *rules, const struct rr_coverage_options *opts,
                     struct rr_coverage *out);
/* Frees the pairs. NULL-safe; the struct may be run again. */
void rr_coverage_release(struct rr_coverage *cov);

/*
 * What a runbook lacks against the four questions of PRODUCT §6 — a missing or empty section,
 * fewer than RR_COVERAGE_FAILURE_MODES failure modes under Remediation — in section order.
 * The one judgement `coverage` and `check` share. Returns the number of findings written.
 */
size_t rr_runbook_findings(const struct rr_runbook *rb,
                           struct rr_finding out[RR_RUNBOOK_MAX_FINDINGS]);

/* Appends a finding's wording ("runbook R: empty section Diagnosis"), no newline. */
RR_NODISCARD enum rr_err rr_finding_append(const struct rr_finding *f, struct rr_buf *out);
/* Stable short name of a check for machines ("no_runbook", "missing_section", ...). */
const char *rr_finding_check_name(enum rr_finding_kind kind);

/*
 * Output. Each appends the whole report to out; RR_ERR_LIMIT when out's cap is reached.
 *   text:  one line per finding, `rule-file:line: alert X for team Y: <finding>`; nothing when
 *          clean.
 *   json:  {"summary": {"alerts", "pairs", "failing_pairs", "findings"}, "pairs": [{"file",
 *          "line", "alert", "team", "via", "layer", "route", "runbook", "findings":
 *          [{"check", "message"}]}]} with null for no route or runbook.
 *   junit: one <testsuite name="runbook-coverage" tests= failures=> (failures counts failing
 *          testcases), one <testcase classname=rule-file name="alert X for team Y"> per pair,
 *          one <failure message=finding type=check> per finding; XML-escaped.
 */
RR_NODISCARD enum rr_err rr_coverage_text(const struct rr_coverage *cov, struct rr_buf *out);
RR_NODISCARD enum rr_err rr_coverage_json(const struct rr_coverage *cov, struct rr_buf *out);
RR_NODISCARD enum rr_err rr_coverage_junit(const struct rr_coverage *cov, struct rr_buf *out);

#endif

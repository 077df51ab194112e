/*
 * coverage: PRODUCT §9 over the one classification function. Who receives a rule is worked out
 * from decisions rr_classify() makes on the rule's static labels; nothing here re-implements a
 * step of §5, so coverage cannot disagree with what `serve` would do.
 */
#include "rr/coverage.h"

#include <stdlib.h>
#include <string.h>

#include "rr/classify.h"
#include "rr/text.h"

/* ==== Who receives a rule ==== */

struct receiver {
    const struct rr_team *team;
    const char *via;
    bool correlated; /* classify with the platform evidence below */
};

struct receivers {
    struct receiver *v; /* capacity: teams + 1 */
    size_t n;
};

static void add_receiver(struct receivers *r, const struct rr_team *team, const char *via,
                         bool correlated)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].team == team)
            return;
    r->v[r->n++] = (struct receiver){team, via, correlated};
}

static int cmp_receiver(const void *a, const void *b)
{
    const struct receiver *x = a, *y = b;
    return (x->team->index > y->team->index) - (x->team->index < y->team->index);
}

/* One firing platform-layer alert with no cluster: correlation (§5 step 3) then makes every
 * ambiguous alert platform, which is what happens at run time when the cluster is the cause. */
static const struct rr_fact platform_fact = {.alertname = "(a platform-layer alert)",
                                             .base_layer = RR_LAYER_PLATFORM};
static const struct rr_evidence_set platform_set = {&platform_fact, 1, NULL};

static void find_receivers(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                           const struct rr_labelset *labels, const struct rr_decision *d,
                           struct receivers *r)
{
    if (d->owner_source != RR_OWNER_UNOWNED) {
        add_receiver(r, d->team, rr_owner_source_name(d->owner_source), false);
    } else {
        /* The expression's labels decide the owner per alert: anyone owning what is missing. */
        bool no_ns = !d->canon[RR_CANON_NAMESPACE], no_tq = !d->canon[RR_CANON_TASK_QUEUE];
        for (size_t i = 0; i < rr_routing_team_count(routing); i++) {
            const struct rr_team *t = rr_routing_team_at(routing, i);
            bool owns_ns = t->n_namespaces || t->n_namespace_regex;
            if (t->layer == RR_LAYER_APPLICATION &&
                ((no_ns && owns_ns) || (no_tq && t->n_task_queues)))
                add_receiver(r, t, "run_time", false);
        }
        if (!r->n)
            add_receiver(r, d->team, "unowned", false);
    }
    if (d->base_layer == RR_LAYER_AMBIGUOUS && d->layer == RR_LAYER_APPLICATION) {
        struct rr_decision *p = rr_xmalloc(sizeof *p);
        rr_classify(routing, runbooks, labels, &platform_set, p);
        add_receiver(r, p->team, "correlation", true);
        free(p);
    }
    qsort(r->v, r->n, sizeof *r->v, cmp_receiver);
}

/* labels plus name=value (replacing a value already there), into storage for n + 1 labels. */
static void with_label(const struct rr_labelset *labels, const char *name, const char *value,
                       struct rr_label *storage, struct rr_labelset *out)
{
    size_t n = 0;
    bool placed = false;
    for (size_t i = 0; i < labels->n; i++) {
        int c = strcmp(labels->items[i].name, name);
        if (!placed && c >= 0) {
            storage[n++] = (struct rr_label){name, value};
            placed = true;
            if (c == 0)
                continue;
        }
        storage[n++] = labels->items[i];
    }
    if (!placed)
        storage[n++] = (struct rr_label){name, value};
    *out = (struct rr_labelset){storage, n};
}

/* ==== Checks for one (rule, team) ==== */

static struct rr_finding *add(struct rr_coverage_pair *p, enum rr_finding_kind kind)
{
    struct rr_finding *f = &p->findings[p->n_findings++];
    *f = (struct rr_finding){.kind = kind};
    return f;
}

size_t rr_runbook_findings(const struct rr_runbook *rb,
                           struct rr_finding out[RR_RUNBOOK_MAX_FINDINGS])
{
    size_t n = 0;
    for (int s = 0; s < RR_SECTION_COUNT; s++) {
        const struct rr_runbook_section *sec = &rb->sections[s];
        if (!sec->present || !sec->has_content)
            out[n++] = (struct rr_finding){.kind = sec->present ? RR_FINDING_EMPTY_SECTION
                                                                : RR_FINDING_MISSING_SECTION,
                                           .runbook = rb->id,
                                           .section = (enum rr_section)s};
    }
    /* An absent or empty Remediation is reported above; counting its modes adds nothing. */
    if (rb->sections[RR_SECTION_REMEDIATION].has_content &&
        rb->failure_modes < RR_COVERAGE_FAILURE_MODES)
        out[n++] = (struct rr_finding){.kind = RR_FINDING_FAILURE_MODES,
                                       .runbook = rb->id,
                                       .failure_modes = rb->failure_modes};
    return n;
}

static void check_runbook(struct rr_coverage_pair *p, const struct rr_runbook *rb)
{
    if (!rb) {
        add(p, RR_FINDING_NO_RUNBOOK);
        return;
    }
    struct rr_finding found[RR_RUNBOOK_MAX_FINDINGS];
    size_t n = rr_runbook_findings(rb, found);
    for (size_t i = 0; i < n; i++)
        *add(p, found[i].kind) = found[i];
}

static void check_pair(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                       const struct rr_promrule *rule, const struct rr_decision *d0,
                       const struct receiver *rc, bool allow_generic, struct rr_coverage_pair *p)
{
    const struct rr_team *t = rc->team;
    struct rr_label *storage = rr_xcalloc(rule->labels.n + 1, sizeof *storage);
    struct rr_labelset labels = rule->labels;
    /* The runbook a team gets may match on its namespace: show it one, as its alerts will. */
    if (!d0->canon[RR_CANON_NAMESPACE] && t->n_namespaces)
        with_label(&rule->labels, rr_routing_settings(routing)->labels[RR_CANON_NAMESPACE][0],
                   t->namespaces[0], storage, &labels);
    struct rr_decision *d = rr_xmalloc(sizeof *d);
    rr_classify(routing, runbooks, &labels, rc->correlated ? &platform_set : NULL, d);
    const struct rr_runbook *rb = NULL;
    if (d->route && d->route->runbook)
        rb = rr_runbooks_find(runbooks, d->route->runbook); /* explicit: wins unconditionally */
    else
        rb = rr_runbooks_select(runbooks, &labels, d->layer, t->name, allow_generic);
    *p = (struct rr_coverage_pair){.rule = rule,
                                   .team = t,
                                   .via = rc->via,
                                   .layer = d->layer,
                                   .route = d->route,
                                   .runbook = rb};
    if (!strcmp(rc->via, "unowned"))
        add(p, RR_FINDING_UNOWNED);
    check_runbook(p, rb);
    const char *severity = rr_labelset_get(&rule->labels, "severity");
    /* Without a severity the rule is flagged as such; its channel is judged once it has one. */
    if (!severity)
        add(p, RR_FINDING_NO_SEVERITY);
    else if (rr_team_channels(t, severity) == 0)
        add(p, RR_FINDING_NO_CHANNEL)->severity = severity;
    if (!rr_labelset_get(&rule->labels, "signal") && !(d->route && d->route->kind != RR_KIND_NONE))
        add(p, RR_FINDING_NO_SIGNAL);
    free(d);
    free(storage);
}

void rr_coverage_run(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                     const struct rr_promrules *rules, const struct rr_coverage_options *opts,
                     struct rr_coverage *out)
{
    memset(out, 0, sizeof *out);
    size_t n_teams = rr_routing_team_count(routing);
    struct receivers r = {rr_xcalloc(n_teams + 1, sizeof *r.v), 0};
    struct rr_decision *d0 = rr_xmalloc(sizeof *d0);
    size_t cap = 0;
    out->n_rules = rr_promrules_count(rules);
    for (size_t i = 0; i < out->n_rules; i++) {
        const struct rr_promrule *rule = rr_promrules_at(rules, i);
        rr_classify(routing, runbooks, &rule->labels, NULL, d0);
        r.n = 0;
        find_receivers(routing, runbooks, &rule->labels, d0, &r);
        for (size_t k = 0; k < r.n; k++) {
            if (opts->team && strcmp(opts->team, r.v[k].team->name) != 0)
                continue;
            if (out->n_pairs == cap) {
                cap = cap ? cap * 2 : 64;
                out->pairs = rr_xrealloc(out->pairs, cap * sizeof *out->pairs);
            }
            struct rr_coverage_pair *p = &out->pairs[out->n_pairs++];
            check_pair(routing, runbooks, rule, d0, &r.v[k], opts->allow_generic, p);
            out->n_findings += p->n_findings;
            out->n_failing += p->n_findings > 0;
        }
    }
    free(d0);
    free(r.v);
}

void rr_coverage_release(struct rr_coverage *cov)
{
    if (!cov)
        return;
    free(cov->pairs);
    memset(cov, 0, sizeof *cov);
}

/* ==== Wording ==== */

const char *rr_finding_check_name(enum rr_finding_kind kind)
{
    static const char *const names[] = {"unowned",       "no_runbook",    "missing_section",
                                        "empty_section", "failure_modes", "no_channel",
                                        "no_severity",   "no_signal"};
    return names[kind];
}

enum rr_err rr_finding_append(const struct rr_finding *f, struct rr_buf *out)
{
    switch (f->kind) {
    case RR_FINDING_UNOWNED:
        return rr_buf_puts(out, "falls to unowned");
    case RR_FINDING_NO_RUNBOOK:
        return rr_buf_puts(out, "no runbook");
    case RR_FINDING_MISSING_SECTION:
    case RR_FINDING_EMPTY_SECTION:
        return rr_buf_printf(out, "runbook %s: %s section %s", f->runbook,
                             f->kind == RR_FINDING_MISSING_SECTION ? "missing" : "empty",
                             rr_section_name(f->section));
    case RR_FINDING_FAILURE_MODES:
        return rr_buf_printf(out, "runbook %s: Remediation names %u failure modes, needs %d",
                             f->runbook, f->failure_modes, RR_COVERAGE_FAILURE_MODES);
    case RR_FINDING_NO_CHANNEL:
        return rr_buf_printf(out, "no channel for severity %s", f->severity);
    case RR_FINDING_NO_SEVERITY:
        return rr_buf_puts(out, "no severity label");
    case RR_FINDING_NO_SIGNAL:
        return rr_buf_puts(out, "no signal label and no route kind");
    }
    return RR_ERR_INTERNAL;
}

/* `rule-file:line: alert X for team Y: ` */
static enum rr_err line_prefix(const struct rr_coverage_pair *p, struct rr_buf *out)
{
    return rr_buf_printf(out, "%s:%u: alert %s for team %s: ", p->rule->file, p->rule->line,
                         p->rule->alert, p->team->name);
}

enum rr_err rr_coverage_text(const struct rr_coverage *cov, struct rr_buf *out)
{
    enum rr_err err = RR_OK;
    for (size_t i = 0; i < cov->n_pairs && !err; i++) {
        const struct rr_coverage_pair *p = &cov->pairs[i];
        for (size_t k = 0; k < p->n_findings && !err; k++) {
            err = line_prefix(p, out);
            if (!err)
                err = rr_finding_append(&p->findings[k], out);
            if (!err)
                err = rr_buf_puts(out, "\n");
        }
    }
    return err;
}

/* ==== JSON ==== */

static enum rr_err json_key_string(struct rr_buf *out, const char *key, const char *value)
{
    enum rr_err err = rr_buf_printf(out, ",\"%s\":", key);
    if (!err)
        err = value ? rr_json_append_string(out, value) : rr_buf_puts(out, "null");
    return err;
}

static enum rr_err json_pair(const struct rr_coverage_pair *p, struct rr_buf *out,
                             struct rr_buf *scratch)
{
    enum rr_err err = rr_buf_puts(out, "{\"file\":");
    if (!err)
        err = rr_json_append_string(out, p->rule->file);
    if (!err)
        err = rr_buf_printf(out, ",\"line\":%u", p->rule->line);
    if (!err)
        err = json_key_string(out, "alert", p->rule->alert);
    if (!err)
        err = json_key_string(out, "team", p->team->name);
    if (!err)
        err = json_key_string(out, "via", p->via);
    if (!err)
        err = json_key_string(out, "layer", rr_layer_name(p->layer));
    if (!err)
        err = json_key_string(out, "route", p->route ? p->route->name : NULL);
    if (!err)
        err = json_key_string(out, "runbook", p->runbook ? p->runbook->id : NULL);
    if (!err)
        err = rr_buf_puts(out, ",\"findings\":[");
    for (size_t k = 0; k < p->n_findings && !err; k++) {
        rr_buf_reset(scratch);
        err = rr_finding_append(&p->findings[k], scratch);
        if (!err)
            err = rr_buf_printf(out, "%s{\"check\":\"%s\",\"message\":", k ? "," : "",
                                rr_finding_check_name(p->findings[k].kind));
        if (!err)
            err = rr_json_append_string(out, scratch->data);
        if (!err)
            err = rr_buf_puts(out, "}");
    }
    if (!err)
        err = rr_buf_puts(out, "]}");
    return err;
}

enum rr_err rr_coverage_json(const struct rr_coverage *cov, struct rr_buf *out)
{
    struct rr_buf scratch;
    rr_buf_init(&scratch, (size_t)64 << 10);
    enum rr_err err = rr_buf_printf(
        out,
        "{\"summary\":{\"alerts\":%zu,\"pairs\":%zu,\"failing_pairs\":%zu,\"findings\":%zu},"
        "\"pairs\":[",
        cov->n_rules, cov->n_pairs, cov->n_failing, cov->n_findings);
    for (size_t i = 0; i < cov->n_pairs && !err; i++) {
        err = rr_buf_puts(out, i ? ",\n" : "\n");
        if (!err)
            err = json_pair(&cov->pairs[i], out, &scratch);
    }
    if (!err)
        err = rr_buf_puts(out, "\n]}\n");
    rr_buf_release(&scratch);
    return err;
}

/* ==== JUnit XML ==== */

/* Appends s XML-escaped for an attribute or text. Control characters XML 1.0 cannot carry
 * at all become '?'; tab, newline and CR are kept as character references. */
static enum rr_err xml_escape(struct rr_buf *out, const char *s)
{
    enum rr_err err = RR_OK;
    const char *run = s;
    for (const char *p = s; *p && !err; p++) {
        unsigned char c = (unsigned char)*p;
        const char *rep = c == '&'    ? "&amp;"
                          : c == '<'  ? "&lt;"
                          : c == '>'  ? "&gt;"
                          : c == '"'  ? "&quot;"
                          : c == '\'' ? "&apos;"
                          : c == '\t' ? "&#9;"
                          : c == '\n' ? "&#10;"
                          : c == '\r' ? "&#13;"
                          : c < 0x20  ? "?"
                                      : NULL;
        if (!rep)
            continue;
        err = rr_buf_append(out, run, (size_t)(p - run));
        if (!err)
            err = rr_buf_puts(out, rep);
        run = p + 1;
    }
    if (!err)
        err = rr_buf_puts(out, run);
    return err;
}

static enum rr_err junit_pair(const struct rr_coverage_pair *p, struct rr_buf *out,
                              struct rr_buf *scratch)
{
    enum rr_err err = rr_buf_puts(out, "  <testcase classname=\"");
    if (!err)
        err = xml_escape(out, p->rule->file);
    if (!err)
        err = rr_buf_puts(out, "\" name=\"alert ");
    if (!err)
        err = xml_escape(out, p->rule->alert);
    if (!err) /* team names are [a-z0-9-]+: nothing to escape */
        err = rr_buf_printf(out, " for team %s\" file=\"", p->team->name);
    if (!err)
        err = xml_escape(out, p->rule->file);
    if (!err)
        err = rr_buf_printf(out, "\" line=\"%u\"%s\n", p->rule->line, p->n_findings ? ">" : "/>");
    for (size_t k = 0; k < p->n_findings && !err; k++) {
        /* scratch = the whole finding line; the message is its tail after the prefix. */
        rr_buf_reset(scratch);
        err = line_prefix(p, scratch);
        size_t prefix = scratch->len;
        if (!err)
            err = rr_finding_append(&p->findings[k], scratch);
        if (!err)
            err = rr_buf_puts(out, "    <failure message=\"");
        if (!err)
            err = xml_escape(out, scratch->data + prefix);
        if (!err)
            err = rr_buf_printf(out, "\" type=\"%s\">", rr_finding_check_name(p->findings[k].kind));
        if (!err)
            err = xml_escape(out, scratch->data);
        if (!err)
            err = rr_buf_puts(out, "</failure>\n");
    }
    if (!err && p->n_findings)
        err = rr_buf_puts(out, "  </testcase>\n");
    return err;
}

enum rr_err rr_coverage_junit(const struct rr_coverage *cov, struct rr_buf *out)
{
    struct rr_buf scratch;
    rr_buf_init(&scratch, (size_t)64 << 10);
    enum rr_err err = rr_buf_printf(out,
                                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                    "<testsuite name=\"runbook-coverage\" tests=\"%zu\" "
                                    "failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
                                    cov->n_pairs, cov->n_failing);
    for (size_t i = 0; i < cov->n_pairs && !err; i++)
        err = junit_pair(&cov->pairs[i], out, &scratch);
    if (!err)
        err = rr_buf_puts(out, "</testsuite>\n");
    rr_buf_release(&scratch);
    return err;
}

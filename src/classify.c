/*
 * classify: PRODUCT §5, step by step. Each step that decides something appends one sentence
 * to the evidence, so a page can say "why you" and `route` can explain itself.
 */
#include "rr/classify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr/matcher.h"
#include "rr/text.h"

/* ==== Evidence ==== */

static void evidence(struct rr_decision *d, const char *fmt, ...) RR_PRINTF(2, 3);
static void evidence(struct rr_decision *d, const char *fmt, ...)
{
    if (d->n_evidence == RR_DECISION_MAX_EVIDENCE)
        return;
    char *slot = d->evidence[d->n_evidence++];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(slot, RR_DECISION_EVIDENCE_BYTES, fmt, ap);
    va_end(ap);
    /* A label value may make the sentence too long: never leave half a character behind. */
    if (n >= RR_DECISION_EVIDENCE_BYTES)
        slot[rr_utf8_cut(slot, RR_DECISION_EVIDENCE_BYTES - 1, RR_DECISION_EVIDENCE_BYTES - 4)] =
            '\0';
}

/* Values Temporal and exporters use for "no value". */
static bool is_placeholder(const char *v)
{
    return !*v || !strcmp(v, "none") || !strcmp(v, "_unknown_") || !strcmp(v, "__omitted__");
}

/* ==== Step 1: canonical labels and kind ==== */

static void normalise(const struct rr_settings *s, const struct rr_labelset *labels,
                      struct rr_decision *d)
{
    for (int c = 0; c < RR_CANON_COUNT; c++) {
        d->canon[c] = NULL;
        for (int i = 0; i < RR_ROUTING_MAX_ALIASES && s->labels[c][i]; i++) {
            const char *v = rr_labelset_get(labels, s->labels[c][i]);
            if (v && !is_placeholder(v)) {
                d->canon[c] = v;
                break;
            }
        }
    }
}

static enum rr_kind kind_from_name(const char *v)
{
    if (!strcmp(v, "workflow_failure"))
        return RR_KIND_WORKFLOW_FAILURE;
    if (!strcmp(v, "latency"))
        return RR_KIND_LATENCY;
    if (!strcmp(v, "queue_depth"))
        return RR_KIND_QUEUE_DEPTH;
    return RR_KIND_NONE;
}

static enum rr_kind kind_from_alertname(const char *name)
{
    static const struct {
        const char *part;
        enum rr_kind kind;
    } table[] = {{"NonDeterminism", RR_KIND_WORKFLOW_FAILURE},
                 {"Fail", RR_KIND_WORKFLOW_FAILURE},
                 {"Error", RR_KIND_WORKFLOW_FAILURE},
                 {"Latency", RR_KIND_LATENCY},
                 {"Backlog", RR_KIND_QUEUE_DEPTH},
                 {"Queue", RR_KIND_QUEUE_DEPTH},
                 {"Poller", RR_KIND_QUEUE_DEPTH},
                 {"Slots", RR_KIND_QUEUE_DEPTH}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strstr(name, table[i].part))
            return table[i].kind;
    }
    return RR_KIND_OTHER;
}

static void decide_kind(const struct rr_labelset *labels, struct rr_decision *d)
{
    const char *signal = rr_labelset_get(labels, "signal");
    if (d->route && d->route->kind != RR_KIND_NONE)
        d->kind = d->route->kind;
    else if (signal && kind_from_name(signal) != RR_KIND_NONE)
        d->kind = kind_from_name(signal);
    else
        d->kind = kind_from_alertname(d->alertname);
}

/* ==== Step 2: layer before correlation ==== */

static bool parse_layer(const char *v, enum rr_layer *out)
{
    if (v && !strcmp(v, "platform"))
        *out = RR_LAYER_PLATFORM;
    else if (v && !strcmp(v, "application"))
        *out = RR_LAYER_APPLICATION;
    else if (v && !strcmp(v, "ambiguous"))
        *out = RR_LAYER_AMBIGUOUS;
    else
        return false;
    return true;
}

static bool label_in(const struct rr_labelset *labels, const char *name, const char *const values[],
                     const char **hit)
{
    const char *v = rr_labelset_get(labels, name);
    for (size_t i = 0; v && values[i]; i++) {
        if (!strcmp(v, values[i])) {
            *hit = v;
            return true;
        }
    }
    return false;
}

/* The built-in Temporal rules of PRODUCT §5 step 2, first hit wins. */
static void builtin_layer(const struct rr_labelset *labels, struct rr_decision *d)
{
    static const char *const system[] = {"System", NULL};
    static const char *const namespace_scope[] = {"Namespace", NULL};
    static const char *const app_failures[] = {"NonDeterminismError", "WorkflowError",
                                               "PayloadsTooLarge", "GrpcMessageTooLarge", NULL};
    static const char *const services[] = {
        "frontend", "internal-frontend", "history", "matching", "worker", NULL};
    const char *v = NULL;
    const char *ns = d->canon[RR_CANON_NAMESPACE];
    d->fallback = RR_LAYER_APPLICATION;
    if (label_in(labels, "resource_exhausted_scope", system, &v)) {
        d->base_layer = RR_LAYER_PLATFORM;
        evidence(d, "resource_exhausted_scope=\"System\": the cluster itself is overloaded");
    } else if (label_in(labels, "resource_exhausted_scope", namespace_scope, &v)) {
        d->base_layer = RR_LAYER_APPLICATION;
        evidence(d, "resource_exhausted_scope=\"Namespace\": the namespace hit its own limits");
    } else if (label_in(labels, "failure_reason", app_failures, &v)) {
        d->base_layer = RR_LAYER_APPLICATION;
        evidence(d, "failure_reason=\"%s\" is raised by workflow code", v);
    } else if (label_in(labels, "service_name", services, &v)) {
        d->base_layer = RR_LAYER_PLATFORM;
        evidence(d, "service_name=\"%s\" is a Temporal server service", v);
    } else if (strstr(d->alertname, "Persistence") ||
               ((v = rr_labelset_get(labels, "component")) && !strcmp(v, "persistence"))) {
        d->base_layer = RR_LAYER_PLATFORM;
        evidence(d, "the alert concerns the persistence store");
    } else if (!ns || !strcmp(ns, "all") || !strcmp(ns, "temporal-system")) {
        d->base_layer = RR_LAYER_PLATFORM;
        evidence(d, ns ? "namespace '%s' is cluster-wide" : "no namespace: the alert is %s",
                 ns ? ns : "cluster-wide");
    } else {
        d->base_layer = RR_LAYER_AMBIGUOUS;
        evidence(d, "no built-in rule decides: ambiguous, fallback application");
    }
}

static void append_matchers(char *out, size_t cap, const struct rr_route *r)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_match && n + 1 < cap; i++) {
        int w = snprintf(out + n, cap - n, "%s%s", i ? ", " : "", rr_matcher_string(r->match[i]));
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

void rr_classify_base(const struct rr_routing *routing, const struct rr_labelset *labels,
                      struct rr_decision *d)
{
    memset(d, 0, sizeof *d);
    const struct rr_settings *s = rr_routing_settings(routing);
    const char *alertname = rr_labelset_get(labels, "alertname");
    d->alertname = alertname ? alertname : "";
    normalise(s, labels, d);
    d->route = rr_routing_match(routing, labels);
    decide_kind(labels, d);
    enum rr_layer label_layer;
    if (d->route) {
        char matchers[256];
        append_matchers(matchers, sizeof matchers, d->route);
        d->base_layer = d->route->layer;
        d->fallback = d->route->fallback;
        evidence(d, "route '%s' matched %s", d->route->name, matchers);
    } else if (parse_layer(rr_labelset_get(labels, "layer"), &label_layer)) {
        d->base_layer = label_layer;
        d->fallback = RR_LAYER_APPLICATION;
        enum rr_layer fb;
        if (label_layer == RR_LAYER_AMBIGUOUS &&
            parse_layer(rr_labelset_get(labels, "layer_fallback"), &fb) && fb != RR_LAYER_AMBIGUOUS)
            d->fallback = fb;
        evidence(d, "no route matched; the alert's layer label says '%s'",
                 rr_layer_name(label_layer));
    } else {
        builtin_layer(labels, d);
    }
}

/* ==== Step 3: correlation for ambiguous alerts ==== */

static bool same_cluster(const char *a, const char *b)
{
    return !a || !b || !strcmp(a, b);
}

/*
 * The last correlation of a request. Its answer depends only on the evidence set, the alert's
 * alertname, cluster, namespace and fallback: alerts of a storm share all of those, so each
 * is answered once instead of rescanning the whole set per alert (quadratic in the request).
 */
struct correlation_memo {
    bool valid; /* cleared whenever the evidence set changes */
    const char *alertname, *cluster, *ns;
    enum rr_layer fallback, layer;
    char evidence[RR_DECISION_EVIDENCE_BYTES];
};

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool memo_answers(const struct correlation_memo *m, const struct rr_decision *d)
{
    return m && m->valid && m->fallback == d->fallback && same_text(m->alertname, d->alertname) &&
           same_text(m->cluster, d->canon[RR_CANON_CLUSTER]) &&
           same_text(m->ns, d->canon[RR_CANON_NAMESPACE]);
}

static void correlate_scan(const struct rr_settings *s, const struct rr_evidence_set *set,
                           struct rr_decision *d)
{
    const char *cluster = d->canon[RR_CANON_CLUSTER];
    const char *own_ns = d->canon[RR_CANON_NAMESPACE];
    for (const struct rr_evidence_set *part = set; part; part = part->next) {
        for (size_t i = 0; i < part->n; i++) {
            const struct rr_fact *f = &part->facts[i];
            if (f->base_layer == RR_LAYER_PLATFORM && same_cluster(cluster, f->cluster)) {
                d->layer = RR_LAYER_PLATFORM;
                evidence(d, "ambiguous, but platform alert %s is firing%s%s", f->alertname,
                         f->cluster ? " in cluster " : "", f->cluster ? f->cluster : "");
                return;
            }
        }
    }
    /* Distinct namespaces on which this alertname fires in the same cluster, own included. */
    const char *seen[64] = {NULL};
    size_t n_seen = 0;
    if (own_ns)
        seen[n_seen++] = own_ns;
    /* Stops as soon as the count decides: a request of many alerts stays linear. */
    for (const struct rr_evidence_set *part = set;
         part && n_seen < s->platform_namespaces && n_seen < 64; part = part->next) {
        for (size_t i = 0; i < part->n && n_seen < s->platform_namespaces && n_seen < 64; i++) {
            const struct rr_fact *f = &part->facts[i];
            if (!f->namespace || strcmp(f->alertname, d->alertname) != 0 ||
                !same_cluster(cluster, f->cluster))
                continue;
            bool dup = false;
            for (size_t k = 0; k < n_seen && !dup; k++)
                dup = !strcmp(seen[k], f->namespace);
            if (!dup)
                seen[n_seen++] = f->namespace;
        }
    }
    if (n_seen >= s->platform_namespaces) {
        d->layer = RR_LAYER_PLATFORM;
        evidence(d,
                 "ambiguous, but %s fires on %zu namespaces at once (%s, %s, ...): "
                 "a shared cause",
                 d->alertname, n_seen, seen[0], seen[1]);
        return;
    }
    d->layer = d->fallback;
    evidence(d,
             "ambiguous: no platform alert firing and %s fires on %zu namespace%s "
             "(platform from %u): fallback %s",
             d->alertname, n_seen, n_seen == 1 ? "" : "s", s->platform_namespaces,
             rr_layer_name(d->fallback));
}

static void correlate(const struct rr_settings *s, const struct rr_evidence_set *set,
                      struct rr_decision *d, struct correlation_memo *memo)
{
    if (memo_answers(memo, d) && d->n_evidence < RR_DECISION_MAX_EVIDENCE) {
        d->layer = memo->layer;
        memcpy(d->evidence[d->n_evidence++], memo->evidence, sizeof memo->evidence);
        return;
    }
    size_t before = d->n_evidence;
    correlate_scan(s, set, d);
    if (memo && d->n_evidence == before + 1) {
        *memo = (struct correlation_memo){.valid = true,
                                          .alertname = d->alertname,
                                          .cluster = d->canon[RR_CANON_CLUSTER],
                                          .ns = d->canon[RR_CANON_NAMESPACE],
                                          .fallback = d->fallback,
                                          .layer = d->layer};
        memcpy(memo->evidence, d->evidence[before], sizeof memo->evidence);
    }
}

/* ==== Step 4: team ==== */

static const struct rr_team *label_team(const struct rr_routing *routing,
                                        const struct rr_decision *d)
{
    const char *t = d->canon[RR_CANON_TEAM];
    return t ? rr_routing_team(routing, t) : NULL;
}

static void decide_platform_team(const struct rr_routing *routing, struct rr_decision *d)
{
    const struct rr_settings *s = rr_routing_settings(routing);
    const struct rr_team *route_team = d->route ? d->route->team : NULL;
    if (route_team && route_team->layer == RR_LAYER_PLATFORM) {
        d->team = route_team;
        d->owner_source = RR_OWNER_ROUTE;
        evidence(d, "owner: route '%s' names %s", d->route->name, route_team->name);
    } else {
        d->team = s->platform_team;
        d->owner_source = RR_OWNER_PLATFORM;
        evidence(d, "owner: platform-layer alerts go to %s", s->platform_team->name);
    }
    if (d->canon[RR_CANON_TEAM])
        evidence(d, "the team label '%s' does not make a platform-layer alert page that team",
                 d->canon[RR_CANON_TEAM]);
    /* Who is hit, told by FYI: the first application team among these. */
    const struct rr_team *cands[4] = {
        d->canon[RR_CANON_NAMESPACE]
            ? rr_routing_namespace_owner(routing, d->canon[RR_CANON_NAMESPACE])
            : NULL,
        d->canon[RR_CANON_TASK_QUEUE]
            ? rr_routing_task_queue_owner(routing, d->canon[RR_CANON_TASK_QUEUE])
            : NULL,
        label_team(routing, d),
        route_team != d->team ? route_team : NULL,
    };
    static const char *const why[4] = {"owns namespace", "owns task queue",
                                       "is named by the team label", "is the route's team"};
    for (int i = 0; i < 4; i++) {
        if (cands[i] && cands[i]->layer == RR_LAYER_APPLICATION) {
            d->affected_team = cands[i];
            evidence(d, "affected team: %s (%s%s%s)", cands[i]->name, why[i], i < 2 ? " " : "",
                     i == 0   ? d->canon[RR_CANON_NAMESPACE]
                     : i == 1 ? d->canon[RR_CANON_TASK_QUEUE]
                              : "");
            break;
        }
    }
}

static void decide_application_team(const struct rr_routing *routing, struct rr_decision *d)
{
    const struct rr_settings *s = rr_routing_settings(routing);
    const struct rr_team *t;
    const char *ns = d->canon[RR_CANON_NAMESPACE];
    const char *tq = d->canon[RR_CANON_TASK_QUEUE];
    if (d->route && d->route->team && d->route->team->layer == RR_LAYER_APPLICATION) {
        d->team = d->route->team;
        d->owner_source = RR_OWNER_ROUTE;
        evidence(d, "owner: route '%s' names %s", d->route->name, d->team->name);
    } else if ((t = label_team(routing, d)) != NULL) {
        d->team = t;
        d->owner_source = RR_OWNER_TEAM_LABEL;
        evidence(d, "owner: the team label names %s", t->name);
    } else if (ns && (t = rr_routing_namespace_owner(routing, ns)) != NULL) {
        d->team = t;
        d->owner_source = RR_OWNER_NAMESPACE;
        evidence(d, "owner: %s owns namespace %s", t->name, ns);
    } else if (tq && (t = rr_routing_task_queue_owner(routing, tq)) != NULL) {
        d->team = t;
        d->owner_source = RR_OWNER_TASK_QUEUE;
        evidence(d, "owner: %s owns task queue %s", t->name, tq);
    } else {
        d->team = s->unowned_team;
        d->owner_source = RR_OWNER_UNOWNED;
        if (d->canon[RR_CANON_TEAM])
            evidence(d, "the team label '%s' names no known team", d->canon[RR_CANON_TEAM]);
        evidence(d,
                 "unowned: no route team, known team label, namespace or task queue owner; "
                 "sent to %s",
                 d->team->name);
    }
}

/* ==== Steps 3-5 ==== */

static void finish(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                   const struct rr_labelset *labels, const struct rr_evidence_set *set,
                   struct rr_decision *d, struct correlation_memo *memo)
{
    if (d->base_layer == RR_LAYER_AMBIGUOUS)
        correlate(rr_routing_settings(routing), set, d, memo);
    else
        d->layer = d->base_layer;
    if (d->layer == RR_LAYER_PLATFORM)
        decide_platform_team(routing, d);
    else
        decide_application_team(routing, d);
    d->runbook = NULL;
    if (d->route && d->route->runbook) {
        d->runbook = runbooks ? rr_runbooks_find(runbooks, d->route->runbook) : NULL;
        if (d->runbook)
            evidence(d, "runbook: route '%s' names %s", d->route->name, d->runbook->id);
    }
    if (!d->runbook && runbooks)
        d->runbook = rr_runbooks_select(runbooks, labels, d->layer, d->team->name, true);
    if (!d->runbook)
        evidence(d, "runbook: none in runbooks/ covers %s", d->alertname);
    else if (!(d->route && d->route->runbook))
        evidence(d, "runbook: %s covers %s", d->runbook->id, d->alertname);
}

void rr_classify_finish(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                        const struct rr_labelset *labels, const struct rr_evidence_set *set,
                        struct rr_decision *d)
{
    finish(routing, runbooks, labels, set, d, NULL);
}

void rr_classify(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                 const struct rr_labelset *labels, const struct rr_evidence_set *set,
                 struct rr_decision *d)
{
    rr_classify_base(routing, labels, d);
    rr_classify_finish(routing, runbooks, labels, set, d);
}

enum rr_err rr_classify_request(const struct rr_routing *routing,
                                const struct rr_runbooks *runbooks,
                                const struct rr_webhook *webhook, rr_stored_facts_fn stored,
                                void *stored_ctx, rr_decision_fn each, void *each_ctx)
{
    size_t n = webhook->n_alerts;
    struct rr_fact *own = rr_xcalloc(n ? n : 1, sizeof *own); /* this request's firing alerts */
    size_t n_own = 0;
    struct rr_decision *d = rr_xmalloc(sizeof *d);
    for (size_t i = 0; i < n; i++) {
        const struct rr_alert *a = &webhook->alerts[i];
        if (a->status != RR_ALERT_FIRING)
            continue;
        rr_classify_base(routing, &a->labels, d);
        own[n_own++] = (struct rr_fact){.alertname = d->alertname,
                                        .namespace = d->canon[RR_CANON_NAMESPACE],
                                        .cluster = d->canon[RR_CANON_CLUSTER],
                                        .base_layer = d->base_layer};
    }
    struct rr_evidence_set own_set = {.facts = own, .n = n_own};
    struct rr_evidence_set with_stored = {.next = &own_set};
    const char *asked_name = NULL, *asked_cluster = NULL; /* the last stored question */
    bool asked = false;
    struct correlation_memo memo = {.valid = false}, own_memo = {.valid = false};
    unsigned max_ns = rr_routing_settings(routing)->platform_namespaces;
    enum rr_err err = RR_OK;
    for (size_t i = 0; i < n && !err; i++) {
        const struct rr_labelset *labels = &webhook->alerts[i].labels;
        rr_classify_base(routing, labels, d);
        const struct rr_evidence_set *set = &own_set;
        if (d->base_layer == RR_LAYER_AMBIGUOUS && stored) {
            const char *cluster = d->canon[RR_CANON_CLUSTER];
            if (!asked || !same_text(asked_name, d->alertname) ||
                !same_text(asked_cluster, cluster)) {
                const struct rr_evidence_set *got =
                    stored(stored_ctx, d->alertname, cluster, max_ns);
                with_stored.facts = got ? got->facts : NULL;
                with_stored.n = got ? got->n : 0;
                memo.valid = false; /* another evidence set */
                asked = true;
                asked_name = d->alertname;
                asked_cluster = cluster;
            }
            set = &with_stored;
        }
        /* One memo per evidence set: without stored facts, the request's own. */
        finish(routing, runbooks, labels, set, d, set == &with_stored ? &memo : &own_memo);
        err = each(each_ctx, i, d);
    }
    free(d);
    free(own);
    return err;
}

/* ==== JSON ==== */

static enum rr_err key_string_or_null(struct rr_buf *out, const char *key, const char *value)
{
    enum rr_err err = rr_buf_printf(out, ",\"%s\":", key);
    if (!err)
        err = value ? rr_json_append_string(out, value) : rr_buf_puts(out, "null");
    return err;
}

enum rr_err rr_decision_to_json(const struct rr_decision *d, struct rr_buf *out)
{
    enum rr_err err = rr_buf_printf(out, "{\"layer\":\"%s\"", rr_layer_name(d->layer));
    if (!err)
        err = key_string_or_null(out, "team", d->team->name);
    if (!err)
        err = rr_buf_printf(out, ",\"kind\":\"%s\"", rr_kind_name(d->kind));
    if (!err)
        err = key_string_or_null(out, "route", d->route ? d->route->name : "-");
    if (!err)
        err = rr_buf_printf(out, ",\"owner_source\":\"%s\"", rr_owner_source_name(d->owner_source));
    if (!err)
        err = key_string_or_null(out, "affected_team",
                                 d->affected_team ? d->affected_team->name : NULL);
    if (!err)
        err = key_string_or_null(out, "runbook", d->runbook ? d->runbook->id : NULL);
    if (!err)
        err = rr_buf_puts(out, ",\"evidence\":[");
    for (size_t i = 0; i < d->n_evidence && !err; i++) {
        if (i)
            err = rr_buf_puts(out, ",");
        if (!err)
            err = rr_json_append_string(out, d->evidence[i]);
    }
    if (!err)
        err = rr_buf_puts(out, "]}");
    return err;
}

const char *rr_owner_source_name(enum rr_owner_source s)
{
    static const char *const names[] = {"route",      "team_label", "namespace",
                                        "task_queue", "platform",   "unowned"};
    return names[s];
}

/*
 * ingest_decide: classification at ingest (PRODUCT §5 in `serve`). Runs on the writer thread
 * inside the group commit's transaction, so the correlation evidence it reads includes every
 * request committed before it, batch mates included, and the decision is stored in the same
 * transaction as the alert it describes.
 */
#include <stdlib.h>
#include <string.h>

#include "rr/buf.h"
#include "rr/classify.h"
#include "rr/metrics.h"

#include "ingest_int.h"

/* The stored part of the evidence set for one request; strings owned here. */
struct facts {
    struct rr_fact *items;
    size_t n, cap;
    struct rr_evidence_set set;
};

struct job_ctx {
    struct rr_store *store;
    const struct rr_snapshot *snap;
    const char *external_url;
    struct rr_ingest_job *job;
    int64_t receipt;
    struct ingest_tally *tally;
    struct facts facts;
    struct rr_buf json; /* one decision's JSON at a time */
    enum rr_err facts_err;
};

static enum rr_err add_fact(void *ctx, const char *alertname, const char *ns, const char *cluster,
                            const char *base_layer)
{
    struct facts *f = ctx;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->items = rr_xrealloc(f->items, f->cap * sizeof *f->items);
    }
    enum rr_layer layer = !strcmp(base_layer, "platform")      ? RR_LAYER_PLATFORM
                          : !strcmp(base_layer, "application") ? RR_LAYER_APPLICATION
                                                               : RR_LAYER_AMBIGUOUS;
    f->items[f->n++] = (struct rr_fact){.alertname = rr_xstrdup(alertname),
                                        .namespace = ns ? rr_xstrdup(ns) : NULL,
                                        .cluster = cluster ? rr_xstrdup(cluster) : NULL,
                                        .base_layer = layer};
    return RR_OK;
}

static void facts_clear(struct facts *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free((char *)(uintptr_t)f->items[i].alertname);
        free((char *)(uintptr_t)f->items[i].namespace);
        free((char *)(uintptr_t)f->items[i].cluster);
    }
    f->n = 0;
}

static void facts_release(struct facts *f)
{
    facts_clear(f);
    free(f->items);
}

/* Asked once per distinct (alertname, cluster) of a request: a handful of rows at most. */
static const struct rr_evidence_set *stored_facts(void *arg, const char *alertname,
                                                  const char *cluster, unsigned max_namespaces)
{
    struct job_ctx *c = arg;
    const struct rr_settings *s = rr_routing_settings(c->snap->routing);
    int64_t since = c->job->received_ms - s->correlation_window_ms;
    facts_clear(&c->facts);
    if (!c->facts_err)
        c->facts_err = rr_store_firing_facts(c->store, since, alertname, cluster, max_namespaces,
                                             add_fact, &c->facts, &c->job->diag);
    c->facts.set = (struct rr_evidence_set){.facts = c->facts.items, .n = c->facts.n};
    return &c->facts.set;
}

static void tally_decision(struct ingest_tally *t, const struct rr_decision *d)
{
    int layer = d->layer == RR_LAYER_PLATFORM ? 0 : 1;
    int kind = d->kind == RR_KIND_WORKFLOW_FAILURE ? 0
               : d->kind == RR_KIND_LATENCY        ? 1
               : d->kind == RR_KIND_QUEUE_DEPTH    ? 2
                                                   : 3;
    t->classified[kind][layer]++;
    t->unowned += d->owner_source == RR_OWNER_UNOWNED;
    t->without_runbook += d->runbook == NULL;
    const char *route = d->route ? d->route->name : "-";
    for (size_t i = 0; i < t->n_routes; i++) {
        if (t->routes[i].route == route || !strcmp(t->routes[i].route, route)) {
            t->routes[i].n++;
            return;
        }
    }
    if (t->n_routes == t->cap_routes) {
        t->cap_routes = t->cap_routes ? t->cap_routes * 2 : 4;
        t->routes = rr_xrealloc(t->routes, t->cap_routes * sizeof *t->routes);
    }
    t->routes[t->n_routes++] = (struct route_count){route, 1};
}

static enum rr_err count_outcome(struct rr_ingest_job *job, enum rr_store_outcome outcome)
{
    if (outcome == RR_STORE_DUPLICATE)
        job->duplicates++;
    else
        job->stored++;
    return RR_OK;
}

static enum rr_err store_decided(void *arg, size_t i, const struct rr_decision *d)
{
    struct job_ctx *c = arg;
    if (c->facts_err)
        return c->facts_err;
    rr_buf_reset(&c->json);
    if (rr_decision_to_json(d, &c->json) != RR_OK)
        return rr_diag_set(&c->job->diag, RR_ERR_INTERNAL, "alerts[%zu]: decision too large", i);
    struct rr_store_decision rec = {.json = c->json.data,
                                    .layer = rr_layer_name(d->layer),
                                    .team = d->team ? d->team->name : NULL,
                                    .base_layer = rr_layer_name(d->base_layer),
                                    .namespace = d->canon[RR_CANON_NAMESPACE],
                                    .cluster = d->canon[RR_CANON_CLUSTER]};
    enum rr_store_outcome outcome;
    enum rr_err err = rr_store_put_alert(c->store, &c->job->webhook->alerts[i], c->receipt,
                                         c->job->received_ms, &rec, &outcome, &c->job->diag);
    if (err) {
        rr_diag_prefix(&c->job->diag, "alerts[%zu]", i);
        return err;
    }
    /* Paging is written in this same transaction: a page exists exactly when its alert does. */
    const struct rr_alert *alert = &c->job->webhook->alerts[i];
    int64_t alert_id = rr_store_last_alert_id(c->store);
    if (outcome == RR_STORE_NEW_EPISODE) {
        tally_decision(c->tally, d);
        err = rr_pager_new_episode(c->store, c->snap, c->external_url, alert, d, c->json.data,
                                   alert_id, c->job->received_ms, &c->tally->pager, &c->job->diag);
    } else if (outcome == RR_STORE_RESOLVED) {
        err = rr_pager_resolved(c->store, c->snap, c->external_url, alert, alert_id,
                                c->job->received_ms, &c->tally->pager, &c->job->diag);
    }
    if (err) {
        rr_diag_prefix(&c->job->diag, "alerts[%zu]", i);
        return err;
    }
    return count_outcome(c->job, outcome);
}

enum rr_err ingest_store_alerts(struct rr_store *store, const struct rr_snapshot *snap,
                                const char *external_url, struct rr_ingest_job *job,
                                int64_t receipt, struct ingest_tally *tally)
{
    const struct rr_webhook *wh = job->webhook;
    if (!snap) {
        enum rr_err err = RR_OK;
        for (size_t i = 0; !err && i < wh->n_alerts; i++) {
            enum rr_store_outcome outcome;
            err = rr_store_put_alert(store, &wh->alerts[i], receipt, job->received_ms,
                                     job->decisions ? &job->decisions[i] : NULL, &outcome,
                                     &job->diag);
            if (err)
                rr_diag_prefix(&job->diag, "alerts[%zu]", i);
            else
                count_outcome(job, outcome);
        }
        return err;
    }
    struct job_ctx c = {.store = store,
                        .snap = snap,
                        .external_url = external_url,
                        .job = job,
                        .receipt = receipt,
                        .tally = tally};
    rr_buf_init(&c.json, (size_t)1 << 20);
    enum rr_err err =
        rr_classify_request(snap->routing, snap->runbooks, wh, stored_facts, &c, store_decided, &c);
    rr_buf_release(&c.json);
    facts_release(&c.facts);
    return err;
}

void ingest_tally_apply(const struct ingest_tally *t)
{
    static const char *const kinds[] = {"workflow_failure", "latency", "queue_depth", "other"};
    static const char *const layers[] = {"platform", "application"};
    for (int k = 0; k < 4; k++) {
        for (int l = 0; l < 2; l++) {
            if (t->classified[k][l])
                rr_metrics_add_classified(kinds[k], layers[l], t->classified[k][l]);
        }
    }
    rr_metrics_add(RR_M_ALERTS_UNOWNED, t->unowned);
    rr_metrics_add(RR_M_ALERTS_WITHOUT_RUNBOOK, t->without_runbook);
    for (size_t i = 0; i < t->n_routes; i++)
        rr_metrics_add_route_decision(t->routes[i].route, t->routes[i].n);
    rr_metrics_add(RR_M_PAGES_WITHOUT_RUNBOOK, t->pager.without_runbook);
    rr_metrics_add(RR_M_ESCALATIONS, t->pager.escalations);
}

void ingest_tally_release(struct ingest_tally *t)
{
    free(t->routes);
    memset(t, 0, sizeof *t);
}

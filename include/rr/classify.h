/*
 * classify: the one decision of PRODUCT §5 — whose alert is this, which layer, which runbook,
 * and why. Pure: no I/O, no clock, no globals; the same labels, table, runbooks and evidence
 * set give the same decision in `serve`, `route`, `coverage` and `replay`.
 *
 * Two phases, because correlation (step 3) needs every alert of a request classified up to
 * step 2 first (so payload order never matters):
 *   rr_classify_base()   steps 1-2: canonical labels, kind, layer before correlation;
 *   rr_classify_finish() steps 3-5: correlation for ambiguous alerts, team, runbook.
 * rr_classify() runs both for one alert.
 *
 * The evidence list holds one human sentence per step that decided; it is never compared
 * exactly by anyone.
 *
 * Memory: a decision borrows from the labels, the routing table and the runbooks it was made
 * from; it must not outlive them. Thread: any.
 */
#ifndef RR_CLASSIFY_H
#define RR_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "rr/alert.h"
#include "rr/buf.h"
#include "rr/routing.h"
#include "rr/runbook.h"

#define RR_DECISION_MAX_EVIDENCE   12
#define RR_DECISION_EVIDENCE_BYTES 384

enum rr_owner_source {
    RR_OWNER_ROUTE,
    RR_OWNER_TEAM_LABEL,
    RR_OWNER_NAMESPACE,
    RR_OWNER_TASK_QUEUE,
    RR_OWNER_PLATFORM,
    RR_OWNER_UNOWNED
};

/* One firing alert of the correlation evidence set (PRODUCT §5 step 3). */
struct rr_fact {
    const char *alertname;    /* borrowed */
    const char *namespace;    /* canonical namespace, or NULL */
    const char *cluster;      /* canonical cluster, or NULL */
    enum rr_layer base_layer; /* layer before step 3 (may be ambiguous) */
};

/* A set of facts, possibly chained to another (stored facts, then the request's own). */
struct rr_evidence_set {
    const struct rr_fact *facts; /* borrowed */
    size_t n;
    const struct rr_evidence_set *next; /* borrowed, or NULL */
};

struct rr_decision {
    enum rr_layer layer;          /* decided: platform or application */
    enum rr_layer base_layer;     /* after step 2: platform, application or ambiguous */
    enum rr_layer fallback;       /* when base_layer is ambiguous */
    enum rr_kind kind;            /* never RR_KIND_NONE once classified */
    const struct rr_route *route; /* matching route, or NULL ("-") */
    const struct rr_team *team;   /* owner */
    enum rr_owner_source owner_source;
    const struct rr_team *affected_team; /* platform decisions only, or NULL */
    const struct rr_runbook *runbook;    /* or NULL */
    const char *canon[RR_CANON_COUNT];   /* canonical label values, borrowed, or NULL */
    const char *alertname;               /* borrowed from the labels */
    char evidence[RR_DECISION_MAX_EVIDENCE][RR_DECISION_EVIDENCE_BYTES];
    size_t n_evidence;
};

/* Steps 1-2. */
void rr_classify_base(const struct rr_routing *routing, const struct rr_labelset *labels,
                      struct rr_decision *d);
/* Steps 3-5 on a decision from rr_classify_base(); set may be NULL (no correlation). */
void rr_classify_finish(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                        const struct rr_labelset *labels, const struct rr_evidence_set *set,
                        struct rr_decision *d);
/* All steps. */
void rr_classify(const struct rr_routing *routing, const struct rr_runbooks *runbooks,
                 const struct rr_labelset *labels, const struct rr_evidence_set *set,
                 struct rr_decision *d);

/*
 * Supplies the stored part of the evidence set for one ambiguous alert: among episodes still
 * firing whose last receipt lies within the correlation window, in the alert's cluster (NULL:
 * any), at least one platform-layer fact if there is one, and the alertname's facts on up to
 * max_namespaces distinct namespaces. Facts that cannot change this alert's decision may be
 * left out; that is what keeps it cheap. Called once per distinct (alertname, cluster) of a
 * request; the set stays valid until the next call or until rr_classify_request returns.
 */
typedef const struct rr_evidence_set *(*rr_stored_facts_fn)(void *ctx, const char *alertname,
                                                            const char *cluster,
                                                            unsigned max_namespaces);
/* Receives the decision for webhook->alerts[index]; a non-OK return stops and is returned. */
typedef enum rr_err (*rr_decision_fn)(void *ctx, size_t index, const struct rr_decision *d);

/*
 * Classifies every alert of one request so that payload order never matters: steps 1-2 for
 * all, then the evidence set = stored facts (may be NULL: none) + this request's firing
 * alerts, then steps 3-5 for each, handed to `each` in payload order. Uses one decision at a
 * time, so a request of 10 000 alerts costs no more memory than a small one.
 */
RR_NODISCARD enum rr_err rr_classify_request(const struct rr_routing *routing,
                                             const struct rr_runbooks *runbooks,
                                             const struct rr_webhook *webhook,
                                             rr_stored_facts_fn stored, void *stored_ctx,
                                             rr_decision_fn each, void *each_ctx);

/* Appends the decision object of PRODUCT §5:
 * {"layer","team","kind","route","owner_source","affected_team","runbook","evidence":[...]} */
RR_NODISCARD enum rr_err rr_decision_to_json(const struct rr_decision *d, struct rr_buf *out);

const char *rr_owner_source_name(enum rr_owner_source s); /* "route", "team_label", ... */

#endif

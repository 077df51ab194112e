/*
 * metrics: the process's counters and histograms, rendered in the Prometheus text format.
 *
 * A static descriptor table names every metric once (name, help, type, labels); storage is
 * C11 atomics, so any thread may count without locks. Label values come only from fixed sets
 * (HTTP codes) or from configuration, never from alert text, so cardinality stays bounded.
 * The names of PRODUCT §8 are fixed: runbook_router_webhook_requests_total{code},
 * runbook_router_alerts_stored_total, runbook_router_alerts_duplicate_total, ...
 *
 * Thread: any.
 */
#ifndef RR_METRICS_H
#define RR_METRICS_H

#include <stdint.h>

#include "rr/buf.h"

enum rr_metric_counter {
    RR_M_ALERTS_STORED,          /* new episodes and firing -> resolved transitions */
    RR_M_ALERTS_DUPLICATE,       /* known episodes that changed nothing that counts */
    RR_M_ALERTS_RECEIVED_FIRING, /* alerts in accepted requests, by status */
    RR_M_ALERTS_RECEIVED_RESOLVED,
    RR_M_VALUES_TRUNCATED,       /* annotation and other values cut at their caps */
    RR_M_STORE_COMMIT_FAILURES,  /* group commits that failed (each request answered 503) */
    RR_M_ALERTS_UNOWNED,         /* new episodes whose owner fell to settings.unowned_team */
    RR_M_ALERTS_WITHOUT_RUNBOOK, /* new episodes no runbook in runbooks/ covers */
    RR_M_PAGES_WITHOUT_RUNBOOK,  /* escalations whose decision names no runbook */
    RR_M_ESCALATIONS,            /* escalations created */
    RR_M_RELOADS_OK,             /* configuration reloads that took effect */
    RR_M_RELOADS_FAILED,         /* reloads refused (the old configuration kept serving) */
    RR_M_COUNTER_COUNT
};

/* Adds n to a counter. */
void rr_metrics_add(enum rr_metric_counter counter, uint64_t n);
/* Reads a counter (tests, health). */
uint64_t rr_metrics_get(enum rr_metric_counter counter);
/* Counts one answered webhook request with its HTTP status code. */
void rr_metrics_webhook_request(int code);
/* Reads runbook_router_webhook_requests_total{code="..."}. */
uint64_t rr_metrics_webhook_requests(int code);
/* Records one group commit: how long it took and how many requests it carried. */
void rr_metrics_observe_commit(int64_t duration_ns, unsigned requests);
/* Counts new episodes by decided kind and layer (fixed value sets; others are ignored). */
void rr_metrics_add_classified(const char *kind, const char *layer, uint64_t n);
/* Counts new episodes decided by a route (its name from config, or "-" for none). */
void rr_metrics_add_route_decision(const char *route, uint64_t n);
/* Reads the route-decision counter (tests). */
uint64_t rr_metrics_route_decisions(const char *route);

/* Counts pages by team, channel and final result (sent, failed, dry_run, unconfigured). */
void rr_metrics_add_page(const char *team, const char *channel, const char *result, uint64_t n);
uint64_t rr_metrics_pages(const char *team, const char *channel, const char *result);
/* Alert-to-delivery time of one sent page (created in the outbox -> 2xx answer). */
void rr_metrics_observe_delivery(int64_t ms);
/* The outbox gauges: pending pages and the age of the oldest, ms. */
void rr_metrics_set_outbox(int64_t pending, int64_t oldest_age_ms);

/* Appends the whole exposition (text format 0.0.4) to out. */
RR_NODISCARD enum rr_err rr_metrics_render(struct rr_buf *out);
/* Zeroes everything (tests). */
void rr_metrics_reset(void);

#endif

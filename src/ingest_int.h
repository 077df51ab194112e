/*
 * ingest_int: what ingest.c shares with ingest_decide.c — storing one request's alerts with
 * their classification, and the tally of what that did, counted once its commit succeeds.
 */
#ifndef RR_INGEST_INT_H
#define RR_INGEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rr/ingest.h"
#include "rr/live.h"
#include "rr/pager.h"
#include "rr/store.h"

struct route_count {
    const char *route; /* borrowed from the snapshot held for the batch */
    uint64_t n;
};

/* What one job's new episodes were decided as; applied to metrics only after commit. */
struct ingest_tally {
    uint64_t classified[4][2]; /* kind (workflow_failure, latency, queue_depth, other) x layer */
    uint64_t unowned;
    uint64_t without_runbook;
    struct rr_pager_tally pager; /* escalations and pages written */
    struct route_count *routes;  /* owned */
    size_t n_routes, cap_routes;
};

/*
 * Stores every alert of job (receipt already written) inside the open savepoint. With snap,
 * each alert is classified first (correlation evidence read from store) and a new episode keeps
 * its decision; without, job->decisions (if any) is stored as given.
 */
enum rr_err ingest_store_alerts(struct rr_store *store, const struct rr_snapshot *snap,
                                const char *external_url, struct rr_ingest_job *job,
                                int64_t receipt, struct ingest_tally *tally);
/* Adds a committed job's tally to the metrics. */
void ingest_tally_apply(const struct ingest_tally *tally);
void ingest_tally_release(struct ingest_tally *tally);

#endif

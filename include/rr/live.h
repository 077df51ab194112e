/*
 * live: the configuration `serve` is running on — routing table and runbooks loaded together
 * as one snapshot — and its atomic replacement on reload (SIGHUP, POST /-/reload).
 *
 * A snapshot is immutable and reference-counted. Readers take a reference for the length of
 * their work (a request, a group commit) and drop it after; a reload builds a complete new
 * snapshot first and swaps one pointer, so nobody ever sees half a configuration, and a
 * broken file leaves the old snapshot serving with the reason reported.
 *
 * Thread: every function may be called from any thread.
 */
#ifndef RR_LIVE_H
#define RR_LIVE_H

#include <stdint.h>

#include "rr/err.h"
#include "rr/routing.h"
#include "rr/runbook.h"

struct rr_snapshot {
    struct rr_routing *routing;   /* owned by the snapshot */
    struct rr_runbooks *runbooks; /* owned by the snapshot */
    int64_t loaded_ms;            /* when it was loaded, ms since the epoch */
    unsigned generation;          /* 1 for the first load, +1 per successful reload */
    int refs;                     /* private: guarded by the live lock */
};

struct rr_live;

/*
 * Loads routing_dir and runbooks_dir into a snapshot: both must load and every route's
 * `runbook:` must name a loaded runbook. Errors are "file:line:column: message".
 * @return RR_OK; RR_ERR_CONFIG for a rule violation; RR_ERR_INVAL/RR_ERR_IO/RR_ERR_LIMIT when a
 *         file cannot be read or parsed.
 */
RR_NODISCARD enum rr_err rr_snapshot_load(const char *routing_dir, const char *runbooks_dir,
                                          struct rr_snapshot **out, struct rr_diag *diag);
/* Frees a snapshot nobody references (loaded but never made live). NULL-safe. */
void rr_snapshot_free(struct rr_snapshot *snap);

/* Loads the first snapshot. The directory names are borrowed for the live object's life. */
RR_NODISCARD enum rr_err rr_live_new(const char *routing_dir, const char *runbooks_dir,
                                     struct rr_live **out, struct rr_diag *diag);
/* Frees; every acquired snapshot must have been released. NULL-safe. */
void rr_live_free(struct rr_live *live);

/* The current snapshot, referenced; give it back with rr_live_release(). Never NULL. */
struct rr_snapshot *rr_live_acquire(struct rr_live *live);
void rr_live_release(struct rr_live *live, struct rr_snapshot *snap);

/* Loads anew and swaps on success; on failure the old snapshot keeps serving and diag says
 * why. Reloads are serialised. */
RR_NODISCARD enum rr_err rr_live_reload(struct rr_live *live, struct rr_diag *diag);

#endif

/*
 * pager: what a decided alert episode puts in the outbox, written in the alert's transaction
 * (PRODUCT §7).
 *
 * A new firing episode whose team's page policy yields channels gets one escalation and one
 * trigger page per channel. A platform-layer decision with an affected application team also
 * sends that team one Slack FYI (never PagerDuty, not an escalation). Slack pages past the
 * storm cap (settings.storm, per team) are stored folded and carried by one digest due at the
 * window's end; PagerDuty is never folded. A firing -> resolved transition sends one resolve per
 * trigger: PagerDuty `resolve` with the trigger's routing key and dedup_key, a Slack "resolved"
 * message where the trigger went to Slack. Repeats of an episode page nothing.
 *
 * Secrets: a PagerDuty routing key is resolved (environment or file) when its trigger is
 * written, because the resolve must reuse it; Slack URLs are resolved when sending.
 *
 * Thread: the ingest writer's, inside its transaction.
 */
#ifndef RR_PAGER_H
#define RR_PAGER_H

#include <stdint.h>

#include "rr/alert.h"
#include "rr/classify.h"
#include "rr/err.h"
#include "rr/live.h"
#include "rr/store.h"

#define RR_SECRET_MAX_BYTES 4096 /* a secret read from a file: its first line */

struct rr_pager_tally {
    uint64_t escalations;     /* escalations created */
    uint64_t pages;           /* outbox rows written (folded ones included) */
    uint64_t without_runbook; /* trigger pages whose decision names no runbook */
    /* Storm state of the last team paged in this request: within one request the window's
     * count only changes by the pages written here, so the store is asked once per team. */
    const char *storm_team; /* borrowed from the snapshot; NULL: nothing cached */
    int64_t storm_count, storm_oldest_ms, storm_digest_id;
};

/* A new episode was stored (alert_id): escalate it if its team's policy says so. */
RR_NODISCARD enum rr_err
rr_pager_new_episode(struct rr_store *store, const struct rr_snapshot *snap,
                     const char *external_url, const struct rr_alert *alert,
                     const struct rr_decision *d, const char *decision_json, int64_t alert_id,
                     int64_t now_ms, struct rr_pager_tally *tally, struct rr_diag *diag);

/* An episode went firing -> resolved: resolve its open escalation, once. */
RR_NODISCARD enum rr_err rr_pager_resolved(struct rr_store *store, const struct rr_snapshot *snap,
                                           const char *external_url, const struct rr_alert *alert,
                                           int64_t alert_id, int64_t now_ms,
                                           struct rr_pager_tally *tally, struct rr_diag *diag);

/* Resolves a channel secret: $env, the first line of a file, or the literal url. Returns out,
 * or NULL when unset (the channel then logs its pages as "unconfigured"). Never logged. */
const char *rr_secret_resolve(const struct rr_secret_ref *ref, char *out, size_t cap);

/* True when some team's Slack or PagerDuty secret resolves (serve uses --dry-run otherwise). */
bool rr_pager_any_secret(const struct rr_routing *routing);

#endif

/*
 * outbox: escalations, the pages waiting to be sent, and every delivery attempt — the durable
 * half of paging (PRODUCT §7), kept in the store's database.
 *
 * Ingest writes an alert's escalation and its outbox rows in the alert's own transaction, so a
 * page exists exactly when its alert does. The dispatcher claims due rows (pending -> sending),
 * sends them and records the attempt (sending -> sent | pending at a later time | dead). A row
 * left `sending` by a crash goes back to pending at the next start (rr_outbox_recover): pages
 * are delivered at least once, and PagerDuty's dedup_key makes a repeat harmless.
 *
 * States: pending, sending, sent, dead (permanent failure or retry caps), folded (a Slack page
 * past the storm cap, carried by a digest), dropped (by an operator).
 *
 * Thread: like the store — a struct rr_store belongs to one thread; writers are serialised by
 * SQLite. Functions marked "in a transaction" expect the caller's BEGIN.
 */
#ifndef RR_OUTBOX_H
#define RR_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "rr/err.h"
#include "rr/store.h"

/* ==== Written by ingest, in the alert's transaction ==== */

struct rr_escalation_new {
    int64_t alert_id;
    const char *team, *layer, *route; /* route "-" when none */
    const char *runbook;              /* runbook id, or NULL */
    /* NULL: the decision its alert was stored with in this transaction (not stored twice);
     * else a decision of its own, as a reroute has. */
    const char *decision_json;
    const char *channels; /* "pagerduty,slack" */
    const char *dedup_key;
    int64_t created_ms;
};
RR_NODISCARD enum rr_err rr_outbox_create_escalation(struct rr_store *store,
                                                     const struct rr_escalation_new *e, int64_t *id,
                                                     struct rr_diag *diag);

struct rr_outbox_new {
    int64_t escalation_id; /* 0: none (FYI, digest, fallback) */
    int64_t alert_id;      /* 0: none (digest) */
    const char *team;
    const char *channel; /* "slack" | "pagerduty" */
    const char *kind;    /* "trigger" | "resolve" | "fyi" | "digest" | "fallback" */
    const char *payload; /* rendered body; NULL for a digest */
    const char *line;    /* one-line summary (digests, `outbox list`) */
    int64_t created_ms;
    int64_t next_attempt_ms; /* when it is due */
    bool folded;             /* past the storm cap: carried by digest_id instead */
    int64_t digest_id;       /* the digest carrying a folded row */
};
RR_NODISCARD enum rr_err rr_outbox_enqueue(struct rr_store *store, const struct rr_outbox_new *row,
                                           int64_t *id, struct rr_diag *diag);

/* Slack pages (triggers and FYIs, folded ones excluded) queued for team since since_ms,
 * counted up to cap (the storm limit: more is never needed), and the creation time of the
 * oldest of them (0 when none). Reads at most cap index entries. */
RR_NODISCARD enum rr_err rr_outbox_storm_count(struct rr_store *store, const char *team,
                                               int64_t since_ms, int64_t cap, int64_t *count,
                                               int64_t *oldest_ms, struct rr_diag *diag);
/* The still-pending digest of team, or 0. */
RR_NODISCARD enum rr_err rr_outbox_open_digest(struct rr_store *store, const char *team,
                                               int64_t *digest_id, struct rr_diag *diag);

/* The open escalation of an alert episode, or 0. */
RR_NODISCARD enum rr_err rr_outbox_open_escalation(struct rr_store *store, int64_t alert_id,
                                                   int64_t *escalation_id, struct rr_diag *diag);
/* Each trigger sent for an escalation (for its resolve): team, channel, and for PagerDuty the
 * routing key and dedup key the trigger carried. Strings borrowed for the callback. */
typedef enum rr_err (*rr_trigger_fn)(void *ctx, const char *team, const char *channel,
                                     const char *routing_key, const char *dedup_key);
RR_NODISCARD enum rr_err rr_outbox_triggers(struct rr_store *store, int64_t escalation_id,
                                            rr_trigger_fn fn, void *ctx, struct rr_diag *diag);
RR_NODISCARD enum rr_err rr_outbox_resolve_escalation(struct rr_store *store, int64_t escalation_id,
                                                      int64_t now_ms, struct rr_diag *diag);

/* ==== The dispatcher ==== */

/* Rows left `sending` by a previous process go back to pending, due now. */
RR_NODISCARD enum rr_err rr_outbox_recover(struct rr_store *store, int64_t now_ms,
                                           int64_t *recovered, struct rr_diag *diag);

/* A claimed row; strings borrowed for the callback. */
struct rr_outbox_item {
    int64_t id, escalation_id, alert_id;
    const char *team, *channel, *kind, *payload, *line;
    int attempts; /* including this one */
    int64_t created_ms;
};
typedef enum rr_err (*rr_outbox_item_fn)(void *ctx, const struct rr_outbox_item *item);
/* Marks up to limit due rows (pending, next_attempt_at <= now) sending, oldest due first, and
 * hands each to fn. In a transaction. */
RR_NODISCARD enum rr_err rr_outbox_claim(struct rr_store *store, int64_t now_ms, int limit,
                                         rr_outbox_item_fn fn, void *ctx, struct rr_diag *diag);

/* The end of one attempt. */
struct rr_outbox_attempt {
    int64_t id;  /* outbox row */
    int attempt; /* 1-based */
    int64_t at_ms;
    long status;         /* HTTP status, 0 for none */
    const char *outcome; /* "sent" | "retry" | "permanent" | "dry_run" | "unconfigured" */
    const char *detail;  /* never a secret */
    int64_t duration_ms;
    const char *state;       /* new state: "sent" | "pending" | "dead" */
    const char *result;      /* pages_total result label for this row */
    int64_t next_attempt_ms; /* for pending */
};
/* Records the attempt and moves the row. In a transaction. */
RR_NODISCARD enum rr_err rr_outbox_record(struct rr_store *store, const struct rr_outbox_attempt *a,
                                          struct rr_diag *diag);

/* When the next pending row falls due (INT64_MAX when none). */
RR_NODISCARD enum rr_err rr_outbox_next_due(struct rr_store *store, int64_t *due_ms,
                                            struct rr_diag *diag);
/* Pending rows (pending + sending) and the creation time of the oldest (0 when none). */
RR_NODISCARD enum rr_err rr_outbox_pending(struct rr_store *store, int64_t *count,
                                           int64_t *oldest_ms, struct rr_diag *diag);
/* The lines of the pages a digest carries, oldest first. */
typedef enum rr_err (*rr_line_fn)(void *ctx, const char *line);
RR_NODISCARD enum rr_err rr_outbox_digest_lines(struct rr_store *store, int64_t digest_id,
                                                rr_line_fn fn, void *ctx, struct rr_diag *diag);

/* ==== Operators: `runbook-router outbox` and the escalations API ==== */

struct rr_outbox_row {
    int64_t id, escalation_id, alert_id;
    const char *team, *channel, *kind, *state, *result, *line, *last_error;
    int attempts;
    int64_t created_ms, next_attempt_ms, sent_ms; /* sent_ms 0 when not sent */
};
typedef enum rr_err (*rr_outbox_row_fn)(void *ctx, const struct rr_outbox_row *row);
/* Rows in a state (NULL: pending, sending and dead), newest first, at most limit. */
RR_NODISCARD enum rr_err rr_outbox_list(struct rr_store *store, const char *state, int limit,
                                        rr_outbox_row_fn fn, void *ctx, struct rr_diag *diag);
/* Every row of an escalation, oldest first. */
RR_NODISCARD enum rr_err rr_outbox_rows_of(struct rr_store *store, int64_t escalation_id,
                                           rr_outbox_row_fn fn, void *ctx, struct rr_diag *diag);
/* dead or pending -> pending now with attempts reset (retry); pending/dead -> dropped (drop).
 * RR_ERR_NOTFOUND when the row does not exist or is in another state. */
RR_NODISCARD enum rr_err rr_outbox_retry(struct rr_store *store, int64_t id, int64_t now_ms,
                                         struct rr_diag *diag);
RR_NODISCARD enum rr_err rr_outbox_drop(struct rr_store *store, int64_t id, struct rr_diag *diag);

struct rr_delivery_row {
    int64_t outbox_id;
    int attempt;
    int64_t at_ms;
    long status;
    const char *outcome, *detail;
    int64_t duration_ms;
};
typedef enum rr_err (*rr_delivery_row_fn)(void *ctx, const struct rr_delivery_row *row);
RR_NODISCARD enum rr_err rr_outbox_deliveries_of(struct rr_store *store, int64_t escalation_id,
                                                 rr_delivery_row_fn fn, void *ctx,
                                                 struct rr_diag *diag);

struct rr_escalation_row {
    int64_t id, alert_id;
    const char *team, *layer, *route, *runbook, *decision_json, *channels, *dedup_key, *status;
    int64_t created_ms, resolved_ms; /* resolved_ms 0 while open */
    const char *fingerprint, *alertname, *starts_at, *alert_status, *labels_json, *annotations_json;
};
struct rr_escalation_query {
    const char *team, *layer, *status; /* NULL: any */
    int64_t since_ms;                  /* created at or after; 0: any */
    int misrouted;                     /* -1 any, 0 not rerouted, 1 rerouted */
    int64_t id;                        /* exact id; 0: any */
    int64_t limit, offset;             /* limit 0 = 100 */
};
typedef enum rr_err (*rr_escalation_row_fn)(void *ctx, const struct rr_escalation_row *row);
RR_NODISCARD enum rr_err rr_outbox_escalations(struct rr_store *store,
                                               const struct rr_escalation_query *q, int64_t *total,
                                               rr_escalation_row_fn fn, void *ctx,
                                               struct rr_diag *diag);

#endif

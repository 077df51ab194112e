/*
 * store: the SQLite database behind runbook-router — schema, migrations, statements, queries.
 *
 * The database holds alert episodes and webhook receipts (and, as later features land,
 * decisions, escalations, outbox rows and reroutes). It runs in WAL mode with
 * synchronous=FULL: a committed transaction survives power loss. Migrations are an ordered
 * list of SQL scripts applied by PRAGMA user_version, each in its own transaction.
 *
 * An episode is (fingerprint, startsAt) — PRODUCT §3.1. Its only transition is firing ->
 * resolved; any other receipt of a known episode is a duplicate that updates nothing but the
 * latest annotations, the last-receipt time and the repeat count.
 *
 * Errors: SQLITE_BUSY/LOCKED past the busy timeout -> RR_ERR_BUSY; read-only, disk full, I/O
 * and corruption -> RR_ERR_DB; both mean "not stored" (503). sqlite3_errmsg goes to the diag.
 *
 * Thread: a struct rr_store is one connection and belongs to one thread at a time. Open one
 * per thread; WAL lets readers run beside the single writer. <sqlite3.h> stays in store.c.
 */
#ifndef RR_STORE_H
#define RR_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "rr/alert.h"
#include "rr/err.h"

struct rr_store;

struct rr_store_options {
    bool readonly;       /* open SQLITE_OPEN_READONLY (report, API readers) */
    int busy_timeout_ms; /* how long to wait for a lock before RR_ERR_BUSY; 0 = default 2000 */
};

/* What storing one alert did. */
enum rr_store_outcome {
    RR_STORE_NEW_EPISODE, /* first receipt of (fingerprint, startsAt) */
    RR_STORE_RESOLVED,    /* a firing episode became resolved */
    RR_STORE_DUPLICATE,   /* anything else on a known episode */
};

/*
 * Opens (creating it and its parent directory when writable) and migrates the database.
 * @param[out] out owned; close with rr_store_close()
 */
RR_NODISCARD enum rr_err rr_store_open(const char *path, const struct rr_store_options *opts,
                                       struct rr_store **out, struct rr_diag *diag);
/* Finalizes every statement and closes the connection. NULL-safe. */
void rr_store_close(struct rr_store *store);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Commit failure leaves no transaction open. */
RR_NODISCARD enum rr_err rr_store_begin(struct rr_store *store, struct rr_diag *diag);
RR_NODISCARD enum rr_err rr_store_commit(struct rr_store *store, struct rr_diag *diag);
void rr_store_rollback(struct rr_store *store);
/* A savepoint inside the open transaction, so one request's failure spares its batch mates. */
RR_NODISCARD enum rr_err rr_store_savepoint(struct rr_store *store, struct rr_diag *diag);
RR_NODISCARD enum rr_err rr_store_savepoint_release(struct rr_store *store, struct rr_diag *diag);
void rr_store_savepoint_rollback(struct rr_store *store);

/* Records one webhook receipt (receiver, groupKey, status, counts, time). Inside a transaction. */
RR_NODISCARD enum rr_err rr_store_put_receipt(struct rr_store *store,
                                              const struct rr_webhook *webhook,
                                              int64_t received_ms, int64_t *receipt_id,
                                              struct rr_diag *diag);

/*
 * Stores one alert of a receipt: a new episode, a firing -> resolved transition, or a duplicate.
 * decision_json (borrowed, may be NULL) is kept only for a new episode: stored decisions are
 * never recomputed. Inside a transaction.
 */
RR_NODISCARD enum rr_err rr_store_put_alert(struct rr_store *store, const struct rr_alert *alert,
                                            int64_t receipt_id, int64_t received_ms,
                                            const char *decision_json,
                                            enum rr_store_outcome *outcome,
                                            struct rr_diag *diag);

/* One stored episode as the API shows it. Every pointer is borrowed until the callback returns. */
struct rr_alert_row {
    const char *fingerprint;
    const char *starts_at;        /* RFC 3339 UTC */
    const char *ends_at;          /* RFC 3339 UTC, or NULL while not ended */
    const char *status;           /* "firing" | "resolved" */
    const char *labels_json;      /* JSON object text */
    const char *annotations_json; /* JSON object text */
    const char *decision_json;    /* JSON object text, or NULL when not classified */
    int64_t received_ms;          /* first receipt, ms since the epoch */
    int64_t updated_ms;           /* last receipt, ms since the epoch */
    int64_t repeats;              /* duplicate receipts */
};

/* Filters of GET /api/v1/alerts; NULL / 0 means "no filter". */
struct rr_alert_query {
    int64_t since_ms;        /* received at or after, ms since the epoch; 0 = any */
    const char *team;        /* decision team */
    const char *layer;       /* decision layer */
    const char *status;      /* "firing" | "resolved" */
    const char *fingerprint; /* exact */
    int64_t limit;           /* rows to return, 1..10000 */
    int64_t offset;          /* rows to skip */
};

typedef enum rr_err (*rr_alert_row_fn)(const struct rr_alert_row *row, void *ctx);

/* Lists matching episodes newest receipt first; *total counts matches before limit/offset. */
RR_NODISCARD enum rr_err rr_store_list_alerts(struct rr_store *store,
                                              const struct rr_alert_query *query, int64_t *total,
                                              rr_alert_row_fn fn, void *ctx,
                                              struct rr_diag *diag);

/* True when the connection can write: not opened read-only and not degraded to read-only. */
bool rr_store_writable(struct rr_store *store);

#endif

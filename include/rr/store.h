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
 * and corruption (and anything else the engine reports) -> RR_ERR_DB; both mean "not stored"
 * (503). A row that breaks the schema (a NOT NULL or CHECK constraint, say an alert without an
 * alertname) -> RR_ERR_INVAL: that one request is wrong, the database is fine. sqlite3_errmsg
 * goes to the diag, prefixed with the operation ("put alert: database or disk is full").
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

#define RR_STORE_DEFAULT_BUSY_TIMEOUT_MS 2000

struct rr_store_options {
    bool readonly;           /* open SQLITE_OPEN_READONLY (report, API readers) */
    int busy_timeout_ms;     /* how long to wait for a lock before RR_ERR_BUSY; 0 = default 2000 */
    unsigned max_page_count; /* cap on the file size in pages (PRAGMA max_page_count); past it a
                                write fails as on a full disk. 0 = SQLite's default. Tests. */
    bool manual_checkpoints; /* no checkpoint at commit (SQLite's automatic one copies the WAL
                                into the database and fsyncs it inside whichever COMMIT crosses
                                1000 pages); the owner calls rr_store_checkpoint. The writer. */
};

/* What storing one alert did. */
enum rr_store_outcome {
    RR_STORE_NEW_EPISODE, /* first receipt of (fingerprint, startsAt) */
    RR_STORE_RESOLVED,    /* a firing episode became resolved */
    RR_STORE_DUPLICATE,   /* anything else on a known episode */
};

/*
 * Opens (creating it and its parent directory when writable) and migrates the database.
 * A read-only open never migrates: it fails when the file is missing or its schema is older.
 * A database whose schema is newer than this binary's is refused (RR_ERR_DB), never touched.
 * @param[out] out owned; close with rr_store_close()
 * @return RR_OK; RR_ERR_IO when the parent directory cannot be created; RR_ERR_DB or
 *         RR_ERR_BUSY (locked during migration) with the reason in diag.
 */
RR_NODISCARD enum rr_err rr_store_open(const char *path, const struct rr_store_options *opts,
                                       struct rr_store **out, struct rr_diag *diag);
/* Finalizes every statement and closes the connection (rolling back an open transaction).
 * NULL-safe. */
void rr_store_close(struct rr_store *store);

/* With manual_checkpoints: pages in the write-ahead log after the last commit on this
 * connection (0 before any). Without, always 0: SQLite checkpoints by itself. */
int rr_store_wal_pages(const struct rr_store *store);
/* Copies what it can of the WAL into the database without waiting for anyone (a PASSIVE
 * checkpoint) and fsyncs the database; the WAL restarts from its beginning at the next write
 * once all of it is copied. Outside a transaction; any connection. RR_ERR_BUSY: another
 * checkpoint is running. */
RR_NODISCARD enum rr_err rr_store_checkpoint(struct rr_store *store, struct rr_diag *diag);

/* The schema version (PRAGMA user_version) this binary creates and understands. */
int rr_store_schema_version(void);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Commit failure leaves no transaction open. Rollback
 * without an open transaction does nothing. */
RR_NODISCARD enum rr_err rr_store_begin(struct rr_store *store, struct rr_diag *diag);
RR_NODISCARD enum rr_err rr_store_commit(struct rr_store *store, struct rr_diag *diag);
void rr_store_rollback(struct rr_store *store);
/* True while a transaction is open. After a failed statement it tells whether SQLite kept the
 * transaction (only that statement was undone) or rolled all of it back itself, as it may on
 * SQLITE_FULL, SQLITE_IOERR or SQLITE_BUSY: then everything written since BEGIN is gone. */
bool rr_store_in_transaction(struct rr_store *store);

/* Records one webhook receipt (receiver, groupKey, status, counts, time). Inside a transaction. */
RR_NODISCARD enum rr_err rr_store_put_receipt(struct rr_store *store,
                                              const struct rr_webhook *webhook, int64_t received_ms,
                                              int64_t *receipt_id, struct rr_diag *diag);

/* A classification as stored with a new episode; every pointer borrowed for the call. */
struct rr_store_decision {
    const char *json;       /* the decision object (PRODUCT §5), or NULL */
    const char *layer;      /* two of its fields, kept in columns the API filters on: */
    const char *team;       /* "platform" or "application"; the owning team (or NULL) */
    const char *base_layer; /* layer before correlation: "platform", "application", "ambiguous" */
    const char *namespace;  /* canonical namespace, or NULL */
    const char *cluster;    /* canonical cluster, or NULL */
};

/*
 * Stores one alert of a receipt: a new episode, a firing -> resolved transition, or a duplicate.
 * The episode key is the fingerprint plus startsAt in rr_time_format's canonical UTC text, so
 * one instant sent with another offset or fraction padding is the same episode. A transition
 * sets ends_at; a transition or duplicate keeps the latest annotations and moves the
 * last-receipt time and id (only a duplicate counts a repeat). decision (borrowed, may be
 * NULL) is kept only for a new episode: stored decisions are never recomputed. Inside a
 * transaction.
 * @param[out] outcome what the receipt did, on RR_OK
 * @return RR_OK; RR_ERR_INVAL for a row the schema refuses (no alertname); RR_ERR_DB/BUSY.
 */
RR_NODISCARD enum rr_err rr_store_put_alert(struct rr_store *store, const struct rr_alert *alert,
                                            int64_t receipt_id, int64_t received_ms,
                                            const struct rr_store_decision *decision,
                                            enum rr_store_outcome *outcome, struct rr_diag *diag);

/* alerts.id of the episode the last rr_store_put_alert stored or touched. */
int64_t rr_store_last_alert_id(const struct rr_store *store);

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

/* Filters of GET /api/v1/alerts; NULL / 0 means "no filter". team and layer match the
 * decision's "team" and "layer" fields, so episodes without a decision never match them. */
struct rr_alert_query {
    int64_t since_ms;        /* received at or after, ms since the epoch; 0 = any */
    const char *team;        /* decision team */
    const char *layer;       /* decision layer */
    const char *status;      /* "firing" | "resolved" */
    const char *fingerprint; /* exact */
    int64_t limit;           /* rows to return, 1..10000; 0 = the API default, 100 */
    int64_t offset;          /* rows to skip, >= 0 */
};

typedef enum rr_err (*rr_alert_row_fn)(const struct rr_alert_row *row, void *ctx);

/* Lists matching episodes newest first receipt first (ties: newest row first); *total counts
 * matches before limit/offset. Total and rows come from one snapshot. fn may be NULL (count
 * only); a non-RR_OK return from fn stops the listing and is returned. RR_ERR_INVAL for a
 * limit or offset out of range. */
RR_NODISCARD enum rr_err rr_store_list_alerts(struct rr_store *store,
                                              const struct rr_alert_query *query, int64_t *total,
                                              rr_alert_row_fn fn, void *ctx, struct rr_diag *diag);

/* Receives one correlation fact; strings are borrowed until it returns (namespace and
 * cluster may be NULL). */
typedef enum rr_err (*rr_fact_row_fn)(void *ctx, const char *alertname, const char *namespace,
                                      const char *cluster, const char *base_layer);

/*
 * The stored evidence PRODUCT §5 step 3 needs for one ambiguous alert, from episodes still
 * firing whose last receipt is at or after since_ms, in the alert's cluster (NULL: any; an
 * episode without a cluster counts for every cluster): at most one platform-layer episode
 * (fn gets its alertname and cluster, base_layer "platform"), then up to max_namespaces
 * distinct namespaces on which alertname fires (fn gets alertname and the namespace, base_layer
 * "ambiguous" — its layer does not matter for this question). Index-only; its cost grows with the
 * episodes it reads inside the window and the namespaces alertname fires on, never with episodes
 * last received before since_ms.
 */
RR_NODISCARD enum rr_err rr_store_firing_facts(struct rr_store *store, int64_t since_ms,
                                               const char *alertname, const char *cluster,
                                               unsigned max_namespaces, rr_fact_row_fn fn,
                                               void *ctx, struct rr_diag *diag);

/* True when the connection can write: not opened read-only and not degraded to read-only
 * (a file SQLite could only open read-only, or PRAGMA query_only). */
bool rr_store_writable(struct rr_store *store);

/* Proves the database takes a durable write: BEGIN IMMEDIATE, rewrite the one-row health
 * table with now_ms, COMMIT. Outside a transaction. Errors as for rr_store_commit. */
RR_NODISCARD enum rr_err rr_store_probe(struct rr_store *store, int64_t now_ms,
                                        struct rr_diag *diag);

#endif

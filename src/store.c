/*
 * store: SQLite schema, migrations and statements (see include/rr/store.h for the contract).
 *
 * Every statement the hot path runs is prepared once at open from the stmt_sql table; storing
 * an alert is a lookup of its episode key, then an insert or an update. Listing queries are
 * assembled from a fixed set of WHERE fragments (never from input text) and cached per filter
 * combination.
 */
#define RR_LOG_MODULE "store"
#include "rr/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "rr/buf.h"
#include "rr/clock.h"
#include "rr/log.h"

#include "store_int.h"

#define JSON_MAX           ((size_t)64 << 20) /* labels/annotations JSON; inputs are capped */
#define JOURNAL_SIZE_LIMIT (64 << 20)         /* bytes the WAL keeps after a checkpoint */
#define LIST_DEFAULT_LIMIT 100
#define LIST_MAX_LIMIT     10000

/*
 * Migrations: migrations[i] takes the schema from version i to i + 1. Append, never edit: a
 * database records how far it got in PRAGMA user_version.
 *
 * v1. receipts: one row per accepted webhook, repeats included (the audit trail of what
 * Alertmanager sent). alerts: one row per episode (fingerprint, starts_at); starts_at is the
 * canonical UTC text of rr_time_format, so the same instant spelled with another offset or
 * fraction is the same episode. last_outcome is what the latest receipt did (0 new episode,
 * 1 resolved, 2 duplicate). layer and team copy the
 * decision's fields so the API can filter on them. last_receipt_id is deliberately not a
 * foreign key: receipts may be pruned on their own schedule without touching episodes.
 * Indexes: alerts_received serves "newest first" (the rowid tie-break comes free, as the last
 * index column); alerts_status_updated serves correlation ("still firing, last receipt within
 * the window"); the UNIQUE constraint's index serves lookups by fingerprint. health: one row
 * rewritten by rr_store_probe.
 */
static const char *const migrations[] = {
    "CREATE TABLE receipts ("
    "  id INTEGER PRIMARY KEY,"
    "  received_at INTEGER NOT NULL," /* ms since the epoch */
    "  receiver TEXT NOT NULL, group_key TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),"
    "  alerts INTEGER NOT NULL, truncated_alerts INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX receipts_received ON receipts (received_at);"
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),"
    "  alertname TEXT NOT NULL CHECK (alertname <> ''),"
    "  labels TEXT NOT NULL, annotations TEXT NOT NULL," /* JSON objects */
    "  generator_url TEXT NOT NULL DEFAULT '',"
    "  received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL," /* first, last receipt */
    "  last_receipt_id INTEGER NOT NULL, repeats INTEGER NOT NULL DEFAULT 0,"
    "  last_outcome INTEGER NOT NULL,"
    "  decision TEXT, layer TEXT, team TEXT," /* decision JSON, two of its fields */
    "  UNIQUE (fingerprint, starts_at)"
    ");"
    "CREATE INDEX alerts_received ON alerts (received_at);"
    "CREATE INDEX alerts_status_updated ON alerts (status, updated_at);"
    "CREATE TABLE health (id INTEGER PRIMARY KEY CHECK (id = 1), probed_at INTEGER NOT NULL);",
    /* 2: what correlation (PRODUCT §5 step 3) needs of a stored episode — its layer before
     * correlation and its canonical namespace and cluster — and the API's team filter. */
    "ALTER TABLE alerts ADD COLUMN base_layer TEXT;"
    "ALTER TABLE alerts ADD COLUMN namespace TEXT;"
    "ALTER TABLE alerts ADD COLUMN cluster TEXT;"
    "CREATE INDEX alerts_firing_base ON alerts (base_layer, status, updated_at);"
    "CREATE INDEX alerts_firing_name ON alerts (alertname, status, updated_at);"
    "CREATE INDEX alerts_team_received ON alerts (team, received_at);",
    /* 3: paging (PRODUCT §7). An escalation is one paging episode of an alert; the outbox
     * holds every page to send, written in the alert's transaction; deliveries records every
     * attempt. A PagerDuty trigger's payload carries its routing key: the resolve must use the
     * same one (the database is created private to its user). */
    "CREATE TABLE escalations ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL,"
    "  team TEXT NOT NULL, layer TEXT NOT NULL, route TEXT NOT NULL, runbook TEXT,"
    "  decision TEXT NOT NULL, channels TEXT NOT NULL, dedup_key TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'rerouted')),"
    "  created_at INTEGER NOT NULL, resolved_at INTEGER, rerouted_from INTEGER"
    ");"
    "CREATE INDEX escalations_alert ON escalations (alert_id);"
    "CREATE INDEX escalations_created ON escalations (created_at);"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  escalation_id INTEGER, alert_id INTEGER,"
    "  team TEXT NOT NULL,"
    "  channel TEXT NOT NULL CHECK (channel IN ('slack', 'pagerduty')),"
    "  kind TEXT NOT NULL CHECK (kind IN ('trigger', 'resolve', 'fyi', 'digest', 'fallback')),"
    "  payload TEXT," /* NULL for a digest: rendered when it is due */
    "  line TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'folded',"
    "                                       'dropped')),"
    "  result TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, sent_at INTEGER,"
    "  digest_id INTEGER, last_error TEXT"
    ");"
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_at);"
    "CREATE INDEX outbox_escalation ON outbox (escalation_id);"
    "CREATE INDEX outbox_storm ON outbox (team, channel, created_at);"
    "CREATE INDEX outbox_digest ON outbox (digest_id);"
    "CREATE TABLE deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  outbox_id INTEGER NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL,"
    "  duration_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX deliveries_outbox ON deliveries (outbox_id);",
    /* 4: the questions ingest asks on every alert must stay cheap in a storm. The storm
     * window and the open digest get partial indexes holding only the rows they count, and
     * correlation's two questions (a platform alert firing in this cluster? this alert on
     * which namespaces?) are answered from covering indexes. */
    "DROP INDEX outbox_storm;"
    "CREATE INDEX outbox_storm_window ON outbox (team, channel, created_at)"
    "  WHERE kind IN ('trigger', 'fyi') AND state <> 'folded';"
    "CREATE INDEX outbox_open_digest ON outbox (team) WHERE kind = 'digest' AND state = 'pending';"
    "DROP INDEX alerts_firing_base;"
    "DROP INDEX alerts_firing_name;"
    "CREATE INDEX alerts_platform_firing ON alerts (base_layer, status, updated_at, cluster,"
    "  alertname);"
    "CREATE INDEX alerts_name_firing ON alerts (alertname, status, updated_at, cluster, "
    "namespace);",
    /* 5: "on which distinct namespaces does this alert fire?" as a skip-scan: ordered by
     * namespace, each step seeks past a whole namespace, so thousands of episodes of one
     * alertname in one namespace cost one index seek, not a scan. */
    "DROP INDEX alerts_name_firing;"
    "CREATE INDEX alerts_name_namespaces ON alerts (alertname, status, namespace, updated_at,"
    "  cluster);",
    /* 6: fewer b-trees per paged alert. SQLite checks `x IN (3 or more values)` through a
     * temporary b-tree built on every row written, so the CHECKs of outbox and escalations are
     * rebuilt as OR chains. outbox_due holds only rows the dispatcher may still send (a sent or
     * folded page leaves it), outbox_digest only folded rows; receipts_received had no reader. */
    "CREATE TABLE escalations_v6 ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL,"
    "  team TEXT NOT NULL, layer TEXT NOT NULL, route TEXT NOT NULL, runbook TEXT,"
    "  decision TEXT NOT NULL, channels TEXT NOT NULL, dedup_key TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'open'"
    "   CHECK (status = 'open' OR status = 'resolved' OR status = 'rerouted'),"
    "  created_at INTEGER NOT NULL, resolved_at INTEGER, rerouted_from INTEGER"
    ");"
    "INSERT INTO escalations_v6 SELECT * FROM escalations;"
    "DROP TABLE escalations;"
    "ALTER TABLE escalations_v6 RENAME TO escalations;"
    "CREATE INDEX escalations_alert ON escalations (alert_id);"
    "CREATE INDEX escalations_created ON escalations (created_at);"
    "CREATE TABLE outbox_v6 ("
    "  id INTEGER PRIMARY KEY,"
    "  escalation_id INTEGER, alert_id INTEGER,"
    "  team TEXT NOT NULL,"
    "  channel TEXT NOT NULL CHECK (channel = 'slack' OR channel = 'pagerduty'),"
    "  kind TEXT NOT NULL CHECK (kind = 'trigger' OR kind = 'resolve' OR kind = 'fyi'"
    "   OR kind = 'digest' OR kind = 'fallback'),"
    "  payload TEXT,"
    "  line TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'sending' OR state = 'sent'"
    "   OR state = 'dead' OR state = 'folded' OR state = 'dropped'),"
    "  result TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, sent_at INTEGER,"
    "  digest_id INTEGER, last_error TEXT"
    ");"
    "INSERT INTO outbox_v6 SELECT * FROM outbox;"
    "DROP TABLE outbox;"
    "ALTER TABLE outbox_v6 RENAME TO outbox;"
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)"
    "  WHERE state = 'pending' OR state = 'sending';"
    "CREATE INDEX outbox_escalation ON outbox (escalation_id);"
    "CREATE INDEX outbox_storm_window ON outbox (team, channel, created_at)"
    "  WHERE kind IN ('trigger', 'fyi') AND state <> 'folded';"
    "CREATE INDEX outbox_open_digest ON outbox (team) WHERE kind = 'digest' AND state = 'pending';"
    "CREATE INDEX outbox_digest ON outbox (digest_id) WHERE digest_id IS NOT NULL;"
    "DROP INDEX receipts_received;"
    /* Correlation's covering indexes hold only firing episodes (and the platform one only
     * platform-layer ones): most alerts enter one of them, not two, and leave when resolved.
     * alerts_status_updated goes: the API's count of firing episodes reads the partial
     * alerts_name_namespaces instead. */
    "DROP INDEX alerts_status_updated;"
    "DROP INDEX alerts_platform_firing;"
    "DROP INDEX alerts_name_namespaces;"
    "CREATE INDEX alerts_platform_firing ON alerts (updated_at, cluster, alertname)"
    "  WHERE base_layer = 'platform' AND status = 'firing';"
    "CREATE INDEX alerts_name_namespaces ON alerts (alertname, namespace, updated_at, cluster)"
    "  WHERE status = 'firing';",
    /* 7: an escalation's decision is NULL when it is its alert's own (the one written in the
     * same transaction): a paged alert no longer stores the same ~0.5 KB twice, a fifth of
     * what it writes. A decision of its own (a reroute) is still stored here. */
    "CREATE TABLE escalations_v7 ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL,"
    "  team TEXT NOT NULL, layer TEXT NOT NULL, route TEXT NOT NULL, runbook TEXT,"
    "  decision TEXT, channels TEXT NOT NULL, dedup_key TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'open'"
    "   CHECK (status = 'open' OR status = 'resolved' OR status = 'rerouted'),"
    "  created_at INTEGER NOT NULL, resolved_at INTEGER, rerouted_from INTEGER"
    ");"
    "INSERT INTO escalations_v7 SELECT * FROM escalations;"
    "DROP TABLE escalations;"
    "ALTER TABLE escalations_v7 RENAME TO escalations;"
    "CREATE INDEX escalations_alert ON escalations (alert_id);"
    "CREATE INDEX escalations_created ON escalations (created_at);",
    /* 8: the episode key leads with starts_at. Alertmanager's fingerprints are hashes, so keyed
     * on them first every new episode landed on a random page of the key's index and a commit
     * of n new episodes rewrote about n of its pages: a 100-alert webhook wrote ~400 KiB more
     * WAL, and batched ingest halved. New episodes start shortly before they arrive and the
     * alerts of one rule evaluation share startsAt, so keyed on starts_at first they land on
     * the index's last pages. The API's rarely used fingerprint filter reads this index whole
     * (it covers fingerprint) instead of seeking it. */
    "CREATE TABLE alerts_v8 ("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),"
    "  alertname TEXT NOT NULL CHECK (alertname <> ''),"
    "  labels TEXT NOT NULL, annotations TEXT NOT NULL,"
    "  generator_url TEXT NOT NULL DEFAULT '',"
    "  received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  last_receipt_id INTEGER NOT NULL, repeats INTEGER NOT NULL DEFAULT 0,"
    "  last_outcome INTEGER NOT NULL,"
    "  decision TEXT, layer TEXT, team TEXT,"
    "  base_layer TEXT, namespace TEXT, cluster TEXT,"
    "  UNIQUE (starts_at, fingerprint)"
    ");"
    "INSERT INTO alerts_v8 (id, fingerprint, starts_at, ends_at, status, alertname, labels,"
    "  annotations, generator_url, received_at, updated_at, last_receipt_id, repeats,"
    "  last_outcome, decision, layer, team, base_layer, namespace, cluster)"
    " SELECT id, fingerprint, starts_at, ends_at, status, alertname, labels, annotations,"
    "  generator_url, received_at, updated_at, last_receipt_id, repeats, last_outcome, decision,"
    "  layer, team, base_layer, namespace, cluster FROM alerts;"
    "DROP TABLE alerts;"
    "ALTER TABLE alerts_v8 RENAME TO alerts;"
    "CREATE INDEX alerts_received ON alerts (received_at);"
    "CREATE INDEX alerts_team_received ON alerts (team, received_at);"
    "CREATE INDEX alerts_platform_firing ON alerts (updated_at, cluster, alertname)"
    "  WHERE base_layer = 'platform' AND status = 'firing';"
    "CREATE INDEX alerts_name_namespaces ON alerts (alertname, namespace, updated_at, cluster)"
    "  WHERE status = 'firing';",
};
#define WRITER_CACHE_SIZE (-16384) /* PRAGMA cache_size for the writer: negative means KiB */
#define SCHEMA_VERSION    ((int)(sizeof migrations / sizeof migrations[0]))

enum stmt {
    ST_BEGIN,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_PUT_RECEIPT,
    ST_FIND_ALERT,
    ST_INSERT_ALERT,
    ST_UPDATE_ALERT,
    ST_PROBE,
    ST_QUERY_ONLY,
    ST_FACTS_PLATFORM,
    ST_FACTS_NAME,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_PUT_RECEIPT] = "INSERT INTO receipts (received_at, receiver, group_key, status, alerts,"
                       " truncated_alerts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* An alert is looked up, then inserted or updated: no upsert with RETURNING, whose
     * result rows go through a temporary table on every alert. alerts.last_outcome records
     * what the latest receipt did (0 new episode, 1 resolved, 2 duplicate). */
    [ST_FIND_ALERT] = "SELECT id, status = 'firing' FROM alerts"
                      " WHERE fingerprint = ?1 AND starts_at = ?2",
    [ST_INSERT_ALERT] =
        "INSERT INTO alerts (fingerprint, starts_at, ends_at, status, alertname, labels,"
        " annotations, generator_url, received_at, updated_at, last_receipt_id, repeats,"
        " last_outcome, decision, layer, team, base_layer, namespace, cluster)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, 0, 0, ?11, ?12, ?13, ?14, ?15,"
        " ?16)",
    /* ?6: this receipt resolves a firing episode (the one transition); else a repeat. */
    [ST_UPDATE_ALERT] =
        "UPDATE alerts SET"
        " status = CASE WHEN ?6 THEN 'resolved' ELSE status END,"
        " ends_at = CASE WHEN ?6 THEN ?2 ELSE ends_at END,"
        " repeats = repeats + NOT ?6, last_outcome = CASE WHEN ?6 THEN 1 ELSE 2 END,"
        " annotations = ?3, updated_at = ?4, last_receipt_id = ?5"
        " WHERE id = ?1",
    [ST_PROBE] = "INSERT INTO health (id, probed_at) VALUES (1, ?1)"
                 " ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
    [ST_QUERY_ONLY] = "PRAGMA query_only",
    /* Correlation (PRODUCT §5 step 3) for one ambiguous alert, from firing episodes seen since
     * ?1 in its cluster ?2 (an episode or the alert without a cluster matches any): is one
     * platform-layer? On which distinct namespaces does its alertname ?3 fire (enough of them
     * to decide, ?4)? Both read covering indexes and stop early. The platform question seeks
     * straight to the window (updated_at leads its index). */
    [ST_FACTS_PLATFORM] =
        "SELECT alertname, cluster FROM alerts"
        " WHERE base_layer = 'platform' AND status = 'firing'"
        " AND updated_at >= ?1 AND (?2 IS NULL OR cluster IS NULL OR cluster = ?2)"
        " LIMIT 1",
    /* The namespace question skips from one namespace of the alertname to the next (one seek
     * each), then seeks inside it to the window's start, so an episode firing but last received
     * before the window is never read: one Alertmanager has not re-sent (repeat_interval is 4h
     * by default) or whose resolve never arrived. Filtering on updated_at while skipping walked
     * every such episode on every ambiguous alert: 30 000 of them cost 1.7 ms a question, now
     * 41 us (30 namespaces; bench/facts.sh). */
    [ST_FACTS_NAME] =
        "WITH RECURSIVE ns(n) AS ("
        " SELECT (SELECT min(namespace) FROM alerts WHERE alertname = ?3 AND status = 'firing'"
        "  AND namespace IS NOT NULL)"
        " UNION ALL"
        " SELECT (SELECT min(namespace) FROM alerts WHERE alertname = ?3 AND status = 'firing'"
        "  AND namespace > ns.n)"
        " FROM ns WHERE ns.n IS NOT NULL)"
        " SELECT n FROM ns WHERE n IS NOT NULL AND EXISTS (SELECT 1 FROM alerts"
        "  WHERE alertname = ?3 AND status = 'firing' AND namespace = ns.n AND updated_at >= ?1"
        "  AND (?2 IS NULL OR cluster IS NULL OR cluster = ?2))"
        " LIMIT ?4",
};

/* WHERE fragments of rr_store_list_alerts; bit i of a filter mask selects list_where[i]. The
 * row query says "+status" so the planner walks alerts_received newest first and stops at the
 * limit, instead of sorting every episode of a status (two values: the index is no filter);
 * the count of firing episodes reads the partial index alerts_name_namespaces (firing only).
 * A fingerprint's episodes are found by reading the episode key's index (starts_at,
 * fingerprint) whole, which covers fingerprint: the row query says so with "id IN", or it would
 * walk alerts_received and every row behind it (7 ms against 78 ms at 120 000 episodes). */
static const struct {
    const char *rows;
    const char *count;
} list_where[] = {
    {"received_at >= :since", "received_at >= :since"},
    {"team = :team", "team = :team"},
    {"layer = :layer", "layer = :layer"},
    {"+status = :status", "status = :status"},
    {"id IN (SELECT id FROM alerts WHERE fingerprint = :fingerprint)",
     "fingerprint = :fingerprint"},
};
#define N_FILTERS    (sizeof list_where / sizeof list_where[0])
#define N_LIST_MASKS (1u << N_FILTERS)

struct rr_store {
    sqlite3 *db;                                  /* owned */
    bool readonly;                                /* opened SQLITE_OPEN_READONLY */
    sqlite3_stmt *stmt[ST_COUNT];                 /* owned, prepared at open */
    sqlite3_stmt *list_rows[N_LIST_MASKS];        /* owned, prepared on first use, by filter mask */
    sqlite3_stmt *list_count[N_LIST_MASKS];       /* likewise, the count(*) twin */
    sqlite3_stmt *outbox[RR__STORE_OUTBOX_STMTS]; /* owned, store_outbox.c's, on first use */
    int64_t last_alert_id;                        /* alerts.id of the last rr_store_put_alert */
    int wal_pages;                                /* the WAL's size after the last commit */
    struct rr_buf labels;                         /* scratch JSON of rr_store_put_alert */
    struct rr_buf annotations;
};

sqlite3 *rr__store_db(struct rr_store *s)
{
    return s->db;
}

sqlite3_stmt **rr__store_outbox_stmts(struct rr_store *s)
{
    return s->outbox;
}

int64_t rr_store_last_alert_id(const struct rr_store *s)
{
    return s->last_alert_id;
}

/* Which rr_err a SQLite result code means to the caller (see the header). */
static enum rr_err map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return RR_ERR_BUSY;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        return RR_ERR_INVAL;
    default:
        return RR_ERR_DB;
    }
}

/* Must run before anything else touches the connection: sqlite3_errmsg is the last error. */
static enum rr_err fail(struct rr_store *s, int rc, const char *what, struct rr_diag *diag)
{
    return rr_diag_set(diag, map_rc(rc), "%s: %s", what, sqlite3_errmsg(s->db));
}

enum rr_err rr__store_fail(struct rr_store *s, int rc, const char *what, struct rr_diag *diag)
{
    return fail(s, rc, what, diag);
}

/* Steps st to completion (rows ignored) and resets it, so no statement stays active. */
static enum rr_err run(struct rr_store *s, sqlite3_stmt *st, const char *what, struct rr_diag *diag)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    enum rr_err err = rc == SQLITE_DONE ? RR_OK : fail(s, rc, what, diag);
    sqlite3_reset(st);
    return err;
}

enum rr_err rr__store_run(struct rr_store *s, sqlite3_stmt *st, const char *what,
                          struct rr_diag *diag)
{
    return run(s, st, what, diag);
}

static enum rr_err exec(struct rr_store *s, const char *sql, const char *what, struct rr_diag *diag)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? RR_OK : fail(s, rc, what, diag);
}

/* mkdir -p of the directory part of path. */
static enum rr_err make_parent_dir(const char *path, struct rr_diag *diag)
{
    char *dir = rr_xstrdup(path);
    enum rr_err err = RR_OK;
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        goto out;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
            char why[128] = "unknown error";
            (void)strerror_r(errno, why, sizeof why); /* strerror is not thread-safe */
            err = rr_diag_set(diag, RR_ERR_IO, "cannot create directory %s: %s", dir, why);
            goto out;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        err = rr_diag_set(diag, RR_ERR_IO, "%s is not a directory", dir);
out:
    free(dir);
    return err;
}

/* Runs a one-row PRAGMA; its value goes to *num and, when text is not NULL, to text. */
static enum rr_err pragma(struct rr_store *s, const char *sql, int *num, char *text, size_t cap,
                          struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    enum rr_err err = rc == SQLITE_ROW ? RR_OK : fail(s, rc, sql, diag);
    if (!err) {
        *num = sqlite3_column_int(st, 0);
        if (text)
            (void)snprintf(text, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return err;
}

static enum rr_err user_version(struct rr_store *s, int *out, struct rr_diag *diag)
{
    return pragma(s, "PRAGMA user_version", out, NULL, 0, diag);
}

static enum rr_err configure(struct rr_store *s, const struct rr_store_options *o,
                             struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    if (!s->readonly) {
        /* WAL is a property of the file; check SQLite really switched (it will not on
         * some network file systems), since durability and concurrent readers rely on it. */
        char mode[16];
        int ignored;
        err = pragma(s, "PRAGMA journal_mode = WAL", &ignored, mode, sizeof mode, diag);
        if (!err && sqlite3_stricmp(mode, "wal") != 0)
            err = rr_diag_set(diag, RR_ERR_DB, "journal mode stays '%s', not WAL", mode);
        if (err)
            return err;
    }
    /* temp_store = MEMORY keeps savepoint sub-journals (a copy of every page a job touches)
     * in memory: on disk they cost a write() per page and halved batched ingest. The writer
     * gets a 16 MiB page cache (SQLite's default is 2 MiB): the index pages every alert
     * touches stay resident as the database grows, which took one-alert ingest from ~7k to
     * ~10k requests/s; readers keep the default, so serve stays well under 64 MiB. */
    char sql[240];
    (void)snprintf(
        sql, sizeof sql,
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
        " PRAGMA journal_size_limit = %d; PRAGMA cache_size = %d;",
        JOURNAL_SIZE_LIMIT, o->readonly ? -2000 : WRITER_CACHE_SIZE);
    err = exec(s, sql, "configure", diag);
    if (!err && o->max_page_count) {
        (void)snprintf(sql, sizeof sql, "PRAGMA max_page_count = %u", o->max_page_count);
        err = exec(s, sql, "configure", diag);
    }
    return err;
}

/* Applies every migration the file lacks, each in its own IMMEDIATE transaction; the version
 * is read again inside it, so two processes opening one file never apply a step twice. */
static enum rr_err migrate(struct rr_store *s, struct rr_diag *diag)
{
    int version = 0;
    enum rr_err err = user_version(s, &version, diag);
    /* An upgrade may rebuild a table: say so before, so a slow start has its reason in the log.
     * (A new file, version 0, is no upgrade; a read-only connection fails below.) */
    int from = version;
    bool upgrading = !err && from > 0 && from < SCHEMA_VERSION && !s->readonly;
    int64_t t0 = rr_clock_mono_ns();
    if (upgrading)
        RR_INFO("migrating schema", "from=%d to=%d", from, SCHEMA_VERSION);
    while (!err && version < SCHEMA_VERSION) {
        if (s->readonly)
            return rr_diag_set(diag, RR_ERR_DB,
                               "schema version %d is older than %d and this connection is "
                               "read-only; open the database writable once to migrate it",
                               version, SCHEMA_VERSION);
        err = exec(s, "BEGIN IMMEDIATE", "migrate", diag);
        if (!err)
            err = user_version(s, &version, diag);
        if (!err && version < SCHEMA_VERSION) {
            char sql[64];
            (void)snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
            err = exec(s, migrations[version], "migrate", diag);
            if (!err)
                err = exec(s, sql, "migrate", diag);
            if (err)
                rr_diag_prefix(diag, "schema version %d", version + 1);
            version++;
        }
        if (!err)
            err = exec(s, "COMMIT", "migrate", diag);
        if (err && !sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (!err && upgrading)
        RR_INFO("schema migrated", "from=%d to=%d ms=%lld", from, SCHEMA_VERSION,
                (long long)((rr_clock_mono_ns() - t0) / 1000000));
    if (!err && version > SCHEMA_VERSION)
        err = rr_diag_set(diag, RR_ERR_DB,
                          "schema version %d is newer than this binary knows (%d); "
                          "run a newer runbook-router",
                          version, SCHEMA_VERSION);
    return err;
}

static enum rr_err prepare(struct rr_store *s, const char *sql, sqlite3_stmt **out,
                           struct rr_diag *diag)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    return rc == SQLITE_OK ? RR_OK : fail(s, rc, "prepare", diag);
}

/* SQLite's WAL hook, installed with manual_checkpoints only: it replaces SQLite's automatic
 * checkpoint (itself a WAL hook) and notes the log's size after each commit. */
static int note_wal_size(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    struct rr_store *s = arg;
    s->wal_pages = pages;
    return SQLITE_OK;
}

int rr_store_wal_pages(const struct rr_store *store)
{
    return store->wal_pages;
}

enum rr_err rr_store_checkpoint(struct rr_store *store, struct rr_diag *diag)
{
    int rc = sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK ? RR_OK : fail(store, rc, "checkpoint", diag);
}

int rr_store_schema_version(void)
{
    return SCHEMA_VERSION;
}

/* Before SQLite initializes: its allocator's statistics take a global mutex on every malloc
 * and free, and nothing here reads them. Fails harmlessly if SQLite is already initialized. */
static void configure_sqlite(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum rr_err rr_store_open(const char *path, const struct rr_store_options *opts,
                          struct rr_store **out, struct rr_diag *diag)
{
    struct rr_store_options o = opts ? *opts : (struct rr_store_options){0};
    struct rr_store *s = rr_xcalloc(1, sizeof *s);
    enum rr_err err = RR_OK;
    s->readonly = o.readonly;
    rr_buf_init(&s->labels, JSON_MAX);
    rr_buf_init(&s->annotations, JSON_MAX);
    if (!o.readonly && (err = make_parent_dir(path, diag)))
        goto out;
    /* NOMUTEX: a connection belongs to one thread at a time (header contract). */
    int flags = (o.readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    /* The writer's WAL frames go out in one write per commit (store_walbuf.c). */
    const char *vfs = o.manual_checkpoints ? rr__store_walbuf_vfs() : NULL;
    int rc = sqlite3_open_v2(path, &s->db, flags, vfs);
    if (rc != SQLITE_OK) {
        err = rr_diag_set(diag, RR_ERR_DB, "open: %s",
                          s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, o.busy_timeout_ms > 0 ? o.busy_timeout_ms
                                                      : RR_STORE_DEFAULT_BUSY_TIMEOUT_MS);
    if ((err = configure(s, &o, diag)) || (err = migrate(s, diag)))
        goto out;
    if (o.manual_checkpoints)
        sqlite3_wal_hook(s->db, note_wal_size, s);
    for (int i = 0; i < ST_COUNT && !err; i++)
        err = prepare(s, stmt_sql[i], &s->stmt[i], diag);
    if (err)
        goto out;
    *out = s;
    s = NULL;
out:
    if (err)
        rr_diag_prefix(diag, "database %s", path);
    rr_store_close(s);
    return err;
}

void rr_store_close(struct rr_store *store)
{
    if (!store)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(store->stmt[i]);
    for (unsigned i = 0; i < N_LIST_MASKS; i++) {
        sqlite3_finalize(store->list_rows[i]);
        sqlite3_finalize(store->list_count[i]);
    }
    for (int i = 0; i < RR__STORE_OUTBOX_STMTS; i++)
        sqlite3_finalize(store->outbox[i]);
    sqlite3_close_v2(store->db);
    rr_buf_release(&store->labels);
    rr_buf_release(&store->annotations);
    free(store);
}

enum rr_err rr_store_begin(struct rr_store *store, struct rr_diag *diag)
{
    return run(store, store->stmt[ST_BEGIN], "begin", diag);
}

enum rr_err rr_store_commit(struct rr_store *store, struct rr_diag *diag)
{
    enum rr_err err = run(store, store->stmt[ST_COMMIT], "commit", diag);
    /* A failed COMMIT may leave the transaction open (SQLite lets the caller retry); we never
     * retry, so end it here rather than let the next BEGIN fail. */
    if (err)
        rr_store_rollback(store);
    return err;
}

void rr_store_rollback(struct rr_store *store)
{
    if (!sqlite3_get_autocommit(store->db))
        (void)run(store, store->stmt[ST_ROLLBACK], "rollback", NULL);
}

bool rr_store_in_transaction(struct rr_store *store)
{
    return !sqlite3_get_autocommit(store->db);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

enum rr_err rr_store_put_receipt(struct rr_store *store, const struct rr_webhook *webhook,
                                 int64_t received_ms, int64_t *receipt_id, struct rr_diag *diag)
{
    sqlite3_stmt *st = store->stmt[ST_PUT_RECEIPT];
    sqlite3_bind_int64(st, 1, received_ms);
    sqlite3_bind_text(st, 2, or_empty(webhook->receiver), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, or_empty(webhook->group_key), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rr_alert_status_name(webhook->status), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)webhook->n_alerts);
    sqlite3_bind_int64(st, 6, webhook->truncated_alerts);
    enum rr_err err = run(store, st, "put receipt", diag);
    if (!err)
        *receipt_id = sqlite3_last_insert_rowid(store->db);
    return err;
}

void rr__store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Finds the episode (fingerprint, starts_at): *id 0 when there is none. */
static enum rr_err find_alert(struct rr_store *store, const char *fingerprint, const char *starts,
                              int64_t *id, bool *firing, struct rr_diag *diag)
{
    sqlite3_stmt *st = store->stmt[ST_FIND_ALERT];
    sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, starts, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    *firing = rc == SQLITE_ROW && sqlite3_column_int(st, 1);
    enum rr_err err =
        rc == SQLITE_ROW || rc == SQLITE_DONE ? RR_OK : fail(store, rc, "find alert", diag);
    sqlite3_reset(st);
    return err;
}

enum rr_err rr_store_put_alert(struct rr_store *store, const struct rr_alert *alert,
                               int64_t receipt_id, int64_t received_ms,
                               const struct rr_store_decision *decision,
                               enum rr_store_outcome *outcome, struct rr_diag *diag)
{
    char starts[48], ends[48];
    rr_buf_reset(&store->labels);
    rr_buf_reset(&store->annotations);
    if (rr_labelset_to_json(&alert->labels, &store->labels) ||
        rr_labelset_to_json(&alert->annotations, &store->annotations))
        return rr_diag_set(diag, RR_ERR_LIMIT, "put alert: labels or annotations too large");
    rr_time_format(alert->starts_at, starts, sizeof starts);
    const char *ends_at =
        rr_time_is_zero(alert->ends_at) ? NULL : rr_time_format(alert->ends_at, ends, sizeof ends);
    int64_t id;
    bool firing;
    enum rr_err err = find_alert(store, alert->fingerprint, starts, &id, &firing, diag);
    if (err)
        return err;
    sqlite3_stmt *st;
    if (id) {
        bool resolves = firing && alert->status == RR_ALERT_RESOLVED;
        st = store->stmt[ST_UPDATE_ALERT];
        sqlite3_bind_int64(st, 1, id);
        rr__store_bind_text(st, 2, ends_at);
        sqlite3_bind_text(st, 3, store->annotations.data, (int)store->annotations.len,
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, received_ms);
        sqlite3_bind_int64(st, 5, receipt_id);
        sqlite3_bind_int(st, 6, resolves);
        *outcome = resolves ? RR_STORE_RESOLVED : RR_STORE_DUPLICATE;
    } else {
        st = store->stmt[ST_INSERT_ALERT];
        sqlite3_bind_text(st, 1, alert->fingerprint, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, starts, -1, SQLITE_STATIC);
        rr__store_bind_text(st, 3, ends_at);
        sqlite3_bind_text(st, 4, rr_alert_status_name(alert->status), -1, SQLITE_STATIC);
        /* NULL when absent: the NOT NULL constraint then rejects the row (RR_ERR_INVAL). */
        rr__store_bind_text(st, 5, rr_labelset_get(&alert->labels, "alertname"));
        sqlite3_bind_text(st, 6, store->labels.data, (int)store->labels.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, store->annotations.data, (int)store->annotations.len,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 8, or_empty(alert->generator_url), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, received_ms);
        sqlite3_bind_int64(st, 10, receipt_id);
        const struct rr_store_decision none = {0}, *d = decision ? decision : &none;
        const char *fields[] = {d->json,       d->layer,     d->team,
                                d->base_layer, d->namespace, d->cluster};
        for (int i = 0; i < 6; i++)
            rr__store_bind_text(st, 11 + i, fields[i]);
        *outcome = RR_STORE_NEW_EPISODE;
    }
    int rc = sqlite3_step(st);
    err = rc == SQLITE_DONE ? RR_OK : fail(store, rc, "put alert", diag);
    sqlite3_reset(st);
    if (!err)
        store->last_alert_id = id ? id : sqlite3_last_insert_rowid(store->db);
    return err;
}

/* The cached listing statements for one filter combination, prepared on first use. */
static enum rr_err list_statements(struct rr_store *s, unsigned mask, sqlite3_stmt **rows,
                                   sqlite3_stmt **count, struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    if (!s->list_rows[mask]) {
        struct rr_buf where, count_where, sql;
        rr_buf_init(&where, 1024);
        rr_buf_init(&count_where, 1024);
        rr_buf_init(&sql, 2048);
        for (unsigned i = 0; i < N_FILTERS && !err; i++) {
            if (!(mask & (1u << i)))
                continue;
            const char *sep = where.len ? " AND " : " WHERE ";
            err = rr_buf_printf(&where, "%s%s", sep, list_where[i].rows);
            if (!err)
                err = rr_buf_printf(&count_where, "%s%s", sep, list_where[i].count);
        }
        if (!err)
            err = rr_buf_printf(&sql,
                                "SELECT fingerprint, starts_at, ends_at, status, labels,"
                                " annotations, decision, received_at, updated_at, repeats"
                                " FROM alerts%s ORDER BY received_at DESC, id DESC"
                                " LIMIT :limit OFFSET :offset",
                                or_empty(where.data));
        if (!err)
            err = prepare(s, sql.data, &s->list_rows[mask], diag);
        rr_buf_reset(&sql);
        if (!err)
            err = rr_buf_printf(&sql, "SELECT count(*) FROM alerts%s", or_empty(count_where.data));
        if (!err)
            err = prepare(s, sql.data, &s->list_count[mask], diag);
        if (err) {
            sqlite3_finalize(s->list_rows[mask]);
            s->list_rows[mask] = NULL;
        }
        rr_buf_release(&where);
        rr_buf_release(&count_where);
        rr_buf_release(&sql);
    }
    if (!err) {
        *rows = s->list_rows[mask];
        *count = s->list_count[mask];
    }
    return err;
}

/* Binds the query's filters by name; a parameter the statement lacks has index 0: skipped. */
static void bind_filters(sqlite3_stmt *st, const struct rr_alert_query *q, int64_t limit)
{
    const struct {
        const char *name;
        const char *value;
    } texts[] = {{":team", q->team},
                 {":layer", q->layer},
                 {":status", q->status},
                 {":fingerprint", q->fingerprint}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int idx = sqlite3_bind_parameter_index(st, texts[i].name);
        if (idx)
            sqlite3_bind_text(st, idx, texts[i].value, -1, SQLITE_STATIC);
    }
    int idx = sqlite3_bind_parameter_index(st, ":since");
    if (idx)
        sqlite3_bind_int64(st, idx, q->since_ms);
    if ((idx = sqlite3_bind_parameter_index(st, ":limit")))
        sqlite3_bind_int64(st, idx, limit);
    if ((idx = sqlite3_bind_parameter_index(st, ":offset")))
        sqlite3_bind_int64(st, idx, q->offset);
}

static const char *column_text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

enum rr_err rr_store_list_alerts(struct rr_store *store, const struct rr_alert_query *query,
                                 int64_t *total, rr_alert_row_fn fn, void *ctx,
                                 struct rr_diag *diag)
{
    int64_t limit = query->limit ? query->limit : LIST_DEFAULT_LIMIT;
    if (limit < 1 || limit > LIST_MAX_LIMIT || query->offset < 0)
        return rr_diag_set(diag, RR_ERR_INVAL, "list alerts: limit must be 1..%d, offset >= 0",
                           LIST_MAX_LIMIT);
    const bool set[N_FILTERS] = {query->since_ms != 0, query->team != NULL, query->layer != NULL,
                                 query->status != NULL, query->fingerprint != NULL};
    unsigned mask = 0;
    for (unsigned i = 0; i < N_FILTERS; i++)
        mask |= set[i] ? 1u << i : 0;
    sqlite3_stmt *rows = NULL, *count = NULL;
    enum rr_err err = list_statements(store, mask, &rows, &count, diag);
    if (err)
        return err;
    /* One read transaction, so the total and the rows describe the same snapshot. */
    bool own_tx = sqlite3_get_autocommit(store->db);
    if (own_tx && (err = run(store, store->stmt[ST_BEGIN_READ], "list alerts", diag)))
        return err;
    int64_t n = 0;
    bind_filters(count, query, limit);
    int rc = sqlite3_step(count);
    if (rc == SQLITE_ROW)
        n = sqlite3_column_int64(count, 0);
    else
        err = fail(store, rc, "list alerts", diag);
    sqlite3_reset(count);
    if (!err)
        bind_filters(rows, query, limit);
    while (!err && fn && (rc = sqlite3_step(rows)) == SQLITE_ROW) {
        struct rr_alert_row row = {
            .fingerprint = column_text(rows, 0),
            .starts_at = column_text(rows, 1),
            .ends_at = column_text(rows, 2),
            .status = column_text(rows, 3),
            .labels_json = column_text(rows, 4),
            .annotations_json = column_text(rows, 5),
            .decision_json = column_text(rows, 6),
            .received_ms = sqlite3_column_int64(rows, 7),
            .updated_ms = sqlite3_column_int64(rows, 8),
            .repeats = sqlite3_column_int64(rows, 9),
        };
        err = fn(&row, ctx);
    }
    if (!err && fn && rc != SQLITE_DONE)
        err = fail(store, rc, "list alerts", diag);
    sqlite3_reset(rows);
    if (own_tx)
        rr_store_rollback(store); /* a read transaction: nothing to commit */
    if (!err)
        *total = n;
    return err;
}

bool rr_store_writable(struct rr_store *store)
{
    if (!store || store->readonly || sqlite3_db_readonly(store->db, "main") != 0)
        return false;
    sqlite3_stmt *st = store->stmt[ST_QUERY_ONLY];
    bool query_only = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    return !query_only;
}

enum rr_err rr_store_probe(struct rr_store *store, int64_t now_ms, struct rr_diag *diag)
{
    enum rr_err err = rr_store_begin(store, diag);
    if (err)
        return err;
    sqlite3_bind_int64(store->stmt[ST_PROBE], 1, now_ms);
    err = run(store, store->stmt[ST_PROBE], "probe", diag);
    if (err)
        rr_store_rollback(store);
    else
        err = rr_store_commit(store, diag);
    return err;
}

enum rr_err rr_store_firing_facts(struct rr_store *store, int64_t since_ms, const char *alertname,
                                  const char *cluster, unsigned max_namespaces, rr_fact_row_fn fn,
                                  void *ctx, struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    int rc;
    sqlite3_stmt *st = store->stmt[ST_FACTS_PLATFORM];
    sqlite3_bind_int64(st, 1, since_ms);
    rr__store_bind_text(st, 2, cluster);
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = fn(ctx, column_text(st, 0), NULL, column_text(st, 1), "platform");
    if (!err && rc != SQLITE_DONE)
        err = fail(store, rc, "read correlation facts", diag);
    sqlite3_reset(st);
    st = store->stmt[ST_FACTS_NAME];
    sqlite3_bind_int64(st, 1, since_ms);
    rr__store_bind_text(st, 2, cluster);
    sqlite3_bind_text(st, 3, alertname, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)max_namespaces);
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = fn(ctx, alertname, column_text(st, 0), NULL, "ambiguous");
    if (!err && rc != SQLITE_DONE)
        err = fail(store, rc, "read correlation facts", diag);
    sqlite3_reset(st);
    return err;
}

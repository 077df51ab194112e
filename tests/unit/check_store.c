/*
 * check_store: the SQLite store as its callers see it — schema and migrations on disk, the
 * episode rules of PRODUCT §3.1, listing filters, and the failures that must become a 503
 * (read-only, disk full, locked) without leaving anything half stored.
 *
 * Tests look at the file with a plain sqlite3 connection where the store's own answers would
 * be circular (journal mode, schema version, row counts).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>

#include "rr/clock.h"
#include "rr/outbox.h"
#include "rr/store.h"

#include "failing_vfs.h"
#include "testlib.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z, a receipt time in ms */

/* One hand-built alert with its own label storage (never copy it by value). */
struct talert {
    struct rr_alert a;
    struct rr_label labels[2];
    struct rr_label annotations[1];
};

static struct rr_time parse_time(const char *s)
{
    struct rr_time t;
    ck_assert_msg(rr_time_parse(s, strlen(s), &t, NULL) == RR_OK, "bad test time %s", s);
    return t;
}

static void talert_init(struct talert *t, const char *fp, const char *starts, const char *ends,
                        const char *summary)
{
    memset(t, 0, sizeof *t);
    t->labels[0] = (struct rr_label){"alertname", "TemporalWorkflowFailures"};
    t->labels[1] = (struct rr_label){"temporal_namespace", "payments-prod"};
    t->a.labels = (struct rr_labelset){t->labels, 2};
    t->annotations[0] = (struct rr_label){"summary", summary};
    t->a.annotations = (struct rr_labelset){t->annotations, summary ? 1 : 0};
    t->a.status = ends ? RR_ALERT_RESOLVED : RR_ALERT_FIRING;
    t->a.starts_at = parse_time(starts);
    t->a.ends_at = parse_time(ends ? ends : "0001-01-01T00:00:00Z");
    t->a.generator_url = "http://prometheus:9090/graph";
    snprintf(t->a.fingerprint, sizeof t->a.fingerprint, "%s", fp);
}

static struct rr_webhook webhook_of(struct rr_alert *alerts, size_t n)
{
    return (struct rr_webhook){.receiver = "temporal",
                               .status =
                                   n && alerts[0].status ? RR_ALERT_RESOLVED : RR_ALERT_FIRING,
                               .alerts = alerts,
                               .n_alerts = n,
                               .group_key = "{}:{alertname=\"TemporalWorkflowFailures\"}"};
}

struct fx {
    char *dir;
    char path[512];
    struct rr_store *store;
};

static void fx_open(struct fx *f, const struct rr_store_options *o)
{
    f->dir = rr_test_tmpdir();
    (void)snprintf(f->path, sizeof f->path, "%s/var/rr.db", f->dir);
    struct rr_diag d = {{0}};
    ck_assert_msg(rr_store_open(f->path, o, &f->store, &d) == RR_OK, "open: %s", d.msg);
}

static void fx_close(struct fx *f)
{
    rr_store_close(f->store);
    rr_test_rmtree(f->dir);
    free(f->dir);
}

/* One webhook with one alert and its decision fields, in its own transaction, as the writer
 * would store it. */
static enum rr_err put_decided(struct rr_store *s, struct talert *t, int64_t ms,
                               const struct rr_store_decision *rec, enum rr_store_outcome *outcome,
                               struct rr_diag *d)
{
    struct rr_webhook w = webhook_of(&t->a, 1);
    int64_t receipt = 0;
    enum rr_err err = rr_store_begin(s, d);
    if (!err)
        err = rr_store_put_receipt(s, &w, ms, &receipt, d);
    if (!err)
        err = rr_store_put_alert(s, &t->a, receipt, ms, rec, outcome, d);
    if (!err)
        err = rr_store_commit(s, d);
    else
        rr_store_rollback(s);
    return err;
}

/* As put_decided, with the decision's layer and team taken from its JSON (NULL: none). */
static enum rr_err put_one(struct rr_store *s, struct talert *t, int64_t ms, const char *decision,
                           enum rr_store_outcome *outcome, struct rr_diag *d)
{
    json_t *j = decision ? json_loads(decision, 0, NULL) : NULL;
    struct rr_store_decision rec = {.json = decision,
                                    .layer = json_string_value(json_object_get(j, "layer")),
                                    .team = json_string_value(json_object_get(j, "team"))};
    enum rr_err err = put_decided(s, t, ms, decision ? &rec : NULL, outcome, d);
    json_decref(j);
    return err;
}

static enum rr_store_outcome put_ok(struct rr_store *s, struct talert *t, int64_t ms,
                                    const char *decision)
{
    struct rr_diag d = {{0}};
    enum rr_store_outcome outcome = RR_STORE_DUPLICATE;
    enum rr_err err = put_one(s, t, ms, decision, &outcome, &d);
    ck_assert_msg(err == RR_OK, "put: %s: %s", rr_strerror(err), d.msg);
    return outcome;
}

/* Rows of a listing, copied out of the callback; a NULL text reads "(null)". */
struct row {
    char fp[17], starts[48], ends[48], status[16], labels[256], annotations[256], decision[256];
    int64_t received, updated, repeats;
};
struct rows {
    struct row r[16];
    size_t n;
    size_t stop_after; /* 0 = never: the callback fails after this many rows otherwise */
};

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "(null)")

static enum rr_err collect(const struct rr_alert_row *row, void *ctx)
{
    struct rows *rs = ctx;
    if (rs->stop_after && rs->n == rs->stop_after)
        return RR_ERR_INTERNAL;
    ck_assert_uint_lt(rs->n, 16);
    struct row *r = &rs->r[rs->n++];
    COPY(r->fp, row->fingerprint);
    COPY(r->starts, row->starts_at);
    COPY(r->ends, row->ends_at);
    COPY(r->status, row->status);
    COPY(r->labels, row->labels_json);
    COPY(r->annotations, row->annotations_json);
    COPY(r->decision, row->decision_json);
    r->received = row->received_ms;
    r->updated = row->updated_ms;
    r->repeats = row->repeats;
    return RR_OK;
}

#define Q(...) (&(struct rr_alert_query){__VA_ARGS__})

/* Lists into out (emptied first) and returns the total. */
static int64_t list(struct rr_store *s, const struct rr_alert_query *q, struct rows *out)
{
    struct rr_diag d = {{0}};
    int64_t total = -1;
    out->n = 0;
    enum rr_err err = rr_store_list_alerts(s, q, &total, collect, out, &d);
    ck_assert_msg(err == RR_OK, "list: %s", d.msg);
    return total;
}

/* The first row of sql on a plain connection to the file (read-only, so it never migrates);
 * raw_done() closes both. */
static sqlite3_stmt *raw_row(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    return st;
}

static void raw_done(sqlite3_stmt *st)
{
    sqlite3 *db = sqlite3_db_handle(st);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* One integer, read as raw_row does. */
static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3_stmt *st = raw_row(path, sql);
    int64_t v = sqlite3_column_int64(st, 0);
    raw_done(st);
    return v;
}

/* One text (or "(null)"), read as raw_row does; owned, free(). */
static char *raw_text(const char *path, const char *sql)
{
    sqlite3_stmt *st = raw_row(path, sql);
    const unsigned char *v = sqlite3_column_text(st, 0);
    char *copy = strdup(v ? (const char *)v : "(null)");
    raw_done(st);
    return copy;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    sqlite3_close(db);
}

START_TEST(test_open_creates_file_wal_and_schema)
{
    struct fx f;
    fx_open(&f, NULL); /* var/ did not exist: open creates it */
    struct stat st;
    ck_assert_int_eq(stat(f.path, &st), 0);
    ck_assert(rr_store_writable(f.store));
    ck_assert(!rr_store_writable(NULL));
    struct rr_diag d = {{0}};
    ck_assert_int_eq(rr_store_probe(f.store, T0, &d), RR_OK);
    ck_assert_int_eq(rr_store_probe(f.store, T0 + 1, &d), RR_OK);
    ck_assert(!rr_store_in_transaction(f.store));
    rr_store_close(f.store);
    f.store = NULL;
    rr_store_close(NULL);
    ck_assert_int_eq(raw_int(f.path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT probed_at FROM health"), T0 + 1);
    ck_assert_int_ge(rr_store_schema_version(), 1);
    ck_assert_int_eq(raw_int(f.path, "PRAGMA user_version"), rr_store_schema_version());
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                     " ('receipts', 'alerts', 'health')"),
                     3);
    fx_close(&f);
}
END_TEST

START_TEST(test_reopen_keeps_data_and_does_not_migrate_again)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert t;
    talert_init(&t, "0123456789abcdef", "2026-01-01T00:00:00Z", NULL, "s");
    put_ok(f.store, &t, T0, NULL);
    rr_store_close(f.store);
    int64_t objects = raw_int(f.path, "SELECT count(*) FROM sqlite_master");
    struct rr_diag d = {{0}};
    ck_assert_msg(rr_store_open(f.path, NULL, &f.store, &d) == RR_OK, "reopen: %s", d.msg);
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(0), &rs), 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM sqlite_master"), objects);
    ck_assert_int_eq(raw_int(f.path, "PRAGMA user_version"), rr_store_schema_version());
    fx_close(&f);
}
END_TEST

/* Every stored row of the tables an upgrade rebuilds or must not touch, as one text. */
#define ALL_ROWS                                                                                   \
    "SELECT group_concat(r, ';') FROM ("                                                           \
    " SELECT * FROM (SELECT 'a' || id || fingerprint || starts_at || coalesce(ends_at, '-') ||"    \
    "  status || alertname || labels || annotations || generator_url || received_at ||"            \
    "  updated_at || last_receipt_id || repeats || last_outcome || coalesce(decision, '-') ||"     \
    "  coalesce(layer, '-') || coalesce(team, '-') || coalesce(base_layer, '-') ||"                \
    "  coalesce(namespace, '-') || coalesce(cluster, '-') AS r FROM alerts ORDER BY id)"           \
    " UNION ALL SELECT 'counts' || (SELECT count(*) FROM receipts) || '/' ||"                      \
    "  (SELECT count(*) FROM escalations) || '/' || (SELECT count(*) FROM outbox) || '/' ||"       \
    "  (SELECT count(*) FROM deliveries))"

/* A database written by the previous schema (tests/fixtures/store/v7.sql: four episodes, two
 * firing, with their pages) opens with every row kept and its episodes still found by key. */
START_TEST(test_version_7_database_upgrades_keeping_every_row_and_episode)
{
    struct fx f;
    f.dir = rr_test_tmpdir();
    (void)snprintf(f.path, sizeof f.path, "%s/rr.db", f.dir);
    char *dump_path = rr_test_fixture("store/v7.sql");
    char *dump = rr_test_read_file(dump_path, NULL);
    raw_exec(f.path, dump);
    ck_assert_int_eq(raw_int(f.path, "PRAGMA user_version"), 7);
    char *before = raw_text(f.path, ALL_ROWS);
    ck_assert_msg(strstr(before, "counts5/4/12/12"), "fixture not loaded: %s", before);

    struct rr_diag d = {{0}};
    ck_assert_msg(rr_store_open(f.path, NULL, &f.store, &d) == RR_OK, "open: %s", d.msg);
    ck_assert_int_eq(raw_int(f.path, "PRAGMA user_version"), rr_store_schema_version());
    char *after = raw_text(f.path, ALL_ROWS);
    ck_assert_str_eq(after, before);

    /* The firing episode 59ab3f947671979c @ 01:33:12.168Z: a repeat, then its resolve, then a
     * re-fire (a new startsAt) of the same fingerprint, received after the fixture's receipts. */
    const int64_t later = 1800000000000LL;
    struct talert t;
    talert_init(&t, "59ab3f947671979c", "2026-11-22T01:33:12.168Z", NULL, NULL);
    ck_assert_int_eq(put_ok(f.store, &t, later, NULL), RR_STORE_DUPLICATE);
    talert_init(&t, "59ab3f947671979c", "2026-11-22T01:33:12.168Z", "2026-11-22T02:00:00Z", NULL);
    ck_assert_int_eq(put_ok(f.store, &t, later + 1, NULL), RR_STORE_RESOLVED);
    talert_init(&t, "59ab3f947671979c", "2026-11-22T03:00:00Z", NULL, NULL);
    ck_assert_int_eq(put_ok(f.store, &t, later + 2, NULL), RR_STORE_NEW_EPISODE);
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(.fingerprint = "59ab3f947671979c"), &rs), 2);
    ck_assert_str_eq(rs.r[0].starts, "2026-11-22T03:00:00Z");
    ck_assert_str_eq(rs.r[1].starts, "2026-11-22T01:33:12.168Z");
    ck_assert_str_eq(rs.r[1].status, "resolved");
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 5);
    free(after);
    free(before);
    free(dump);
    free(dump_path);
    fx_close(&f);
}
END_TEST

START_TEST(test_newer_schema_is_refused_untouched)
{
    struct fx f;
    fx_open(&f, NULL);
    rr_store_close(f.store);
    f.store = NULL;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", rr_store_schema_version() + 1);
    raw_exec(f.path, sql);
    struct rr_diag d = {{0}};
    struct rr_store *s = NULL;
    ck_assert_int_eq(rr_store_open(f.path, NULL, &s, &d), RR_ERR_DB);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(d.msg, "newer") && strstr(d.msg, f.path), "diag: %s", d.msg);
    ck_assert_int_eq(raw_int(f.path, "PRAGMA user_version"), rr_store_schema_version() + 1);
    fx_close(&f);
}
END_TEST

START_TEST(test_new_episode_stores_every_field)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert t;
    talert_init(&t, "0123456789abcdef", "2026-01-01T00:00:00.120Z", NULL, "3 workflows failed");
    const char *decision = "{\"layer\":\"application\",\"team\":\"payments\"}";
    ck_assert_int_eq(put_ok(f.store, &t, T0, decision), RR_STORE_NEW_EPISODE);
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(0), &rs), 1);
    struct row *r = &rs.r[0];
    ck_assert_str_eq(r->fp, "0123456789abcdef");
    ck_assert_str_eq(r->starts, "2026-01-01T00:00:00.12Z");
    ck_assert_str_eq(r->ends, "(null)");
    ck_assert_str_eq(r->status, "firing");
    ck_assert_str_eq(r->labels, "{\"alertname\":\"TemporalWorkflowFailures\","
                                "\"temporal_namespace\":\"payments-prod\"}");
    ck_assert_str_eq(r->annotations, "{\"summary\":\"3 workflows failed\"}");
    ck_assert_str_eq(r->decision, decision);
    ck_assert_int_eq(r->received, T0);
    ck_assert_int_eq(r->updated, T0);
    ck_assert_int_eq(r->repeats, 0);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts WHERE receiver = 'temporal'"
                                     " AND status = 'firing' AND alerts = 1"),
                     1);
    fx_close(&f);
}
END_TEST

static enum rr_err copy_escalation_decision(void *ctx, const struct rr_escalation_row *row)
{
    char(*out)[256] = ctx;
    snprintf(out[row->id - 1], sizeof out[0], "%s", row->decision_json);
    return RR_OK;
}

/* An escalation paged with its alert's decision reads that decision back (it is stored once,
 * with the alert); one given a decision of its own (a reroute) keeps its own. */
START_TEST(test_escalation_reads_its_alerts_decision_unless_it_has_its_own)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert t;
    talert_init(&t, "0123456789abcdef", "2026-01-01T00:00:00Z", NULL, "3 workflows failed");
    const char *decision = "{\"layer\":\"application\",\"team\":\"payments\"}";
    const char *own = "{\"layer\":\"platform\",\"team\":\"platform\"}";
    ck_assert_int_eq(put_ok(f.store, &t, T0, decision), RR_STORE_NEW_EPISODE);
    struct rr_diag d = {{0}};
    int64_t id = 0;
    ck_assert_int_eq(rr_store_begin(f.store, &d), RR_OK);
    for (int i = 0; i < 2; i++) {
        struct rr_escalation_new e = {.alert_id = rr_store_last_alert_id(f.store),
                                      .team = "payments",
                                      .layer = "application",
                                      .route = "-",
                                      .decision_json = i ? own : NULL,
                                      .channels = "slack",
                                      .dedup_key = "k",
                                      .created_ms = T0};
        ck_assert_int_eq(rr_outbox_create_escalation(f.store, &e, &id, &d), RR_OK);
    }
    ck_assert_int_eq(rr_store_commit(f.store, &d), RR_OK);
    char got[2][256] = {{0}};
    int64_t total = 0;
    ck_assert_int_eq(rr_outbox_escalations(f.store, &(struct rr_escalation_query){.misrouted = -1},
                                           &total, copy_escalation_decision, got, &d),
                     RR_OK);
    ck_assert_int_eq(total, 2);
    ck_assert_str_eq(got[0], decision);
    ck_assert_str_eq(got[1], own);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM escalations WHERE decision IS NULL"), 1);
    fx_close(&f);
}
END_TEST

/* The writer's connection (manual checkpoints) gathers a commit's WAL frames into few writes:
 * a commit of several MiB, far more than one write carries, is whole for another connection,
 * and so are the small commits around it. */
START_TEST(test_writer_commits_of_any_size_are_whole_for_readers)
{
    struct fx f;
    fx_open(&f, &(struct rr_store_options){.manual_checkpoints = true});
    enum { N = 600, SUMMARY = 8000 }; /* ~5 MiB of WAL in one transaction */
    char *summary = malloc(SUMMARY + 1);
    memset(summary, 's', SUMMARY);
    summary[SUMMARY] = '\0';
    struct talert t;
    talert_init(&t, "00000000000000ff", "2026-01-01T00:00:00Z", NULL, "small");
    ck_assert_int_eq(put_ok(f.store, &t, T0, NULL), RR_STORE_NEW_EPISODE);
    struct rr_diag d = {{0}};
    enum rr_store_outcome oc;
    int64_t receipt;
    ck_assert_int_eq(rr_store_begin(f.store, &d), RR_OK);
    struct rr_webhook w = webhook_of(&t.a, 1);
    ck_assert_int_eq(rr_store_put_receipt(f.store, &w, T0, &receipt, &d), RR_OK);
    for (int i = 0; i < N; i++) {
        char fp[17];
        snprintf(fp, sizeof fp, "%016x", i);
        talert_init(&t, fp, "2026-01-01T00:00:01Z", NULL, summary);
        ck_assert_int_eq(rr_store_put_alert(f.store, &t.a, receipt, T0, NULL, &oc, &d), RR_OK);
    }
    ck_assert_msg(rr_store_commit(f.store, &d) == RR_OK, "%s", d.msg);
    talert_init(&t, "00000000000000fe", "2026-01-01T00:00:00Z", NULL, "small");
    ck_assert_int_eq(put_ok(f.store, &t, T0, NULL), RR_STORE_NEW_EPISODE);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), N + 2);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts WHERE annotations = "
                                     "json_object('summary', printf('%.8000c', 's'))"),
                     N);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM pragma_integrity_check"
                                     " WHERE integrity_check = 'ok'"),
                     1);
    free(summary);
    fx_close(&f);
}
END_TEST

static int exec_rc(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff; /* the primary result code */
}

/* In a child process: the disk fills while the writer's connection has frames of an open
 * transaction buffered, and SQLite answers the failed statement alone (SQLITE_FULL). Exits 0
 * when the transaction is all or nothing: committed with every row, or not committed at all. */
static int full_disk_mid_transaction(const char *dir)
{
    if (failing_vfs_register() != SQLITE_OK) /* below the writer's VFS: it takes the default */
        return 9;
    char path[512];
    snprintf(path, sizeof path, "%s/var/rr.db", dir);
    struct rr_store *s = NULL;
    struct rr_diag d = {{0}};
    if (rr_store_open(path, &(struct rr_store_options){.manual_checkpoints = true}, &s, &d))
        return 10;
    rr_store_close(s);
    sqlite3 *db = NULL; /* a connection like the writer's, for SQL the store does not offer */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, "rr-walbuf") != SQLITE_OK ||
        exec_rc(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                    " PRAGMA wal_autocheckpoint = 0;"
                    " CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER UNIQUE, v BLOB);"
                    " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)"
                    " INSERT INTO t (u, v) SELECT i, randomblob(1000) FROM n;"
                    " PRAGMA wal_checkpoint(TRUNCATE); PRAGMA cache_size = 10;"
                    " UPDATE t SET v = randomblob(1000) WHERE id <= 200;"
                    " PRAGMA wal_checkpoint(PASSIVE);"
                    " BEGIN; UPDATE t SET v = zeroblob(1000) WHERE id <= 200;") != SQLITE_OK)
        return 11;
    atomic_store(&failing_vfs_full, true); /* the next statement reads spilled pages */
    int update = exec_rc(db, "UPDATE t SET u = u + 100000 WHERE id <= 100");
    atomic_store(&failing_vfs_full, false);
    int commit = exec_rc(db, "COMMIT");
    sqlite3_close(db);
    int64_t zeroed = raw_int(path, "SELECT count(*) FROM t WHERE v = zeroblob(1000)");
    if (update != SQLITE_FULL)
        return 12;
    return (commit == SQLITE_OK && zeroed == 200) || (commit != SQLITE_OK && zeroed == 0) ? 0 : 13;
}

/* A write-out that fails is the whole transaction's failure: SQLite takes SQLITE_FULL for the
 * failed statement's alone and may carry on, but the buffered frames lost with it belong to
 * earlier statements too. Before the error was kept, COMMIT succeeded with 24 of 200 rows. */
START_TEST(test_writer_transaction_is_all_or_nothing_when_the_disk_fills)
{
    char *dir = rr_test_tmpdir();
    pid_t pid = fork(); /* the failing disk is the process's default VFS: keep it in a child */
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(full_disk_mid_transaction(dir));
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(
        WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "child: status %d (9 register, 10 open, 11 setup, 12 no SQLITE_FULL, 13 partial commit)",
        status);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_repeats_are_duplicates_changing_only_counters_and_annotations)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert t;
    talert_init(&t, "0123456789abcdef", "2026-01-01T00:00:00Z", NULL, "s");
    put_ok(f.store, &t, T0, "{\"team\":\"a\"}");
    ck_assert_int_eq(put_ok(f.store, &t, T0 + 60000, "{\"team\":\"b\"}"), RR_STORE_DUPLICATE);
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(0), &rs), 1);
    struct row *r = &rs.r[0];
    ck_assert_int_eq(r->repeats, 1);
    ck_assert_int_eq(r->received, T0);
    ck_assert_int_eq(r->updated, T0 + 60000);
    ck_assert_str_eq(r->status, "firing");
    ck_assert_str_eq(r->ends, "(null)");
    ck_assert_str_eq(r->annotations, "{\"summary\":\"s\"}");
    ck_assert_str_eq(r->decision, "{\"team\":\"a\"}"); /* never recomputed */
    /* Every receipt is recorded, repeats included. */
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 2);
    ck_assert_int_eq(raw_int(f.path, "SELECT last_receipt_id FROM alerts"),
                     raw_int(f.path, "SELECT max(id) FROM receipts"));
    /* Changed annotations are still a duplicate; the latest are kept. */
    t.annotations[0].value = "7 failed";
    ck_assert_int_eq(put_ok(f.store, &t, T0 + 120000, NULL), RR_STORE_DUPLICATE);
    list(f.store, Q(0), &rs);
    ck_assert_str_eq(rs.r[0].annotations, "{\"summary\":\"7 failed\"}");
    ck_assert_int_eq(rs.r[0].repeats, 2);
    fx_close(&f);
}
END_TEST

START_TEST(test_firing_to_resolved_then_firing_again)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert fire, res;
    talert_init(&fire, "0123456789abcdef", "2026-01-01T00:00:00Z", NULL, "firing");
    talert_init(&res, "0123456789abcdef", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00.5Z",
                "resolved");
    put_ok(f.store, &fire, T0, NULL);
    ck_assert_int_eq(put_ok(f.store, &res, T0 + 1000, NULL), RR_STORE_RESOLVED);
    struct rows rs = {0};
    list(f.store, Q(0), &rs);
    ck_assert_str_eq(rs.r[0].status, "resolved");
    ck_assert_str_eq(rs.r[0].ends, "2026-01-01T00:05:00.5Z");
    ck_assert_str_eq(rs.r[0].annotations, "{\"summary\":\"resolved\"}");
    ck_assert_int_eq(rs.r[0].repeats, 0); /* a transition is not a repeat */
    ck_assert_int_eq(rs.r[0].updated, T0 + 1000);
    /* A late firing of the same episode, and a repeated resolve, change nothing that counts. */
    ck_assert_int_eq(put_ok(f.store, &fire, T0 + 2000, NULL), RR_STORE_DUPLICATE);
    ck_assert_int_eq(put_ok(f.store, &res, T0 + 3000, NULL), RR_STORE_DUPLICATE);
    list(f.store, Q(0), &rs);
    ck_assert_uint_eq(rs.n, 1);
    ck_assert_str_eq(rs.r[0].status, "resolved");
    ck_assert_str_eq(rs.r[0].ends, "2026-01-01T00:05:00.5Z");
    ck_assert_int_eq(rs.r[0].repeats, 2);
    fx_close(&f);
}
END_TEST

START_TEST(test_resolved_first_sighting_and_refire_are_new_episodes)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert a, b;
    talert_init(&a, "0123456789abcdef", "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z", "s");
    talert_init(&b, "0123456789abcdef", "2026-01-01T02:00:00Z", NULL, "s");
    /* A resolved first sighting is a new episode too (Alertmanager restarted, say). */
    ck_assert_int_eq(put_ok(f.store, &a, T0, NULL), RR_STORE_NEW_EPISODE);
    ck_assert_int_eq(put_ok(f.store, &b, T0 + 1, NULL), RR_STORE_NEW_EPISODE);
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(.fingerprint = "0123456789abcdef"), &rs), 2);
    ck_assert_str_eq(rs.r[0].starts, "2026-01-01T02:00:00Z");
    ck_assert_str_eq(rs.r[0].status, "firing");
    ck_assert_str_eq(rs.r[1].status, "resolved");
    ck_assert_str_eq(rs.r[1].ends, "2026-01-01T00:10:00Z");
    fx_close(&f);
}
END_TEST

START_TEST(test_same_instant_other_offset_is_same_episode)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert a, b;
    talert_init(&a, "0123456789abcdef", "2026-01-01T03:04:05.500+02:00", NULL, "s");
    talert_init(&b, "0123456789abcdef", "2026-01-01T01:04:05.5Z", NULL, "s");
    ck_assert_int_eq(put_ok(f.store, &a, T0, NULL), RR_STORE_NEW_EPISODE);
    ck_assert_int_eq(put_ok(f.store, &b, T0 + 1, NULL), RR_STORE_DUPLICATE);
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(0), &rs), 1);
    ck_assert_str_eq(rs.r[0].starts, "2026-01-01T01:04:05.5Z");
    fx_close(&f);
}
END_TEST

START_TEST(test_list_filters_order_and_total)
{
    struct fx f;
    fx_open(&f, NULL);
    /* Five episodes: received T0..T0+3, two sharing T0+3 (tie broken newest row first). */
    static const char *const fps[] = {"000000000000000a", "000000000000000b", "000000000000000c",
                                      "000000000000000d", "000000000000000e"};
    static const int64_t at[] = {T0, T0 + 1, T0 + 2, T0 + 3, T0 + 3};
    static const char *const dec[] = {"{\"layer\":\"platform\",\"team\":\"temporal-platform\"}",
                                      "{\"layer\":\"application\",\"team\":\"payments\"}",
                                      "{\"layer\":\"application\",\"team\":\"orders\"}", NULL,
                                      "{\"layer\":\"application\",\"team\":\"payments\"}"};
    for (int i = 0; i < 5; i++) {
        struct talert t;
        talert_init(&t, fps[i], "2026-01-01T00:00:00Z", i == 2 ? "2026-01-01T00:01:00Z" : NULL,
                    "s");
        put_ok(f.store, &t, at[i], dec[i]);
    }
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(0), &rs), 5);
    const char *order = "edcba";
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(rs.r[i].fp[15], order[i]);
    ck_assert_int_eq(list(f.store, Q(.status = "resolved"), &rs), 1);
    ck_assert_str_eq(rs.r[0].fp, "000000000000000c");
    ck_assert_int_eq(list(f.store, Q(.since_ms = T0 + 2), &rs), 3);
    ck_assert_int_eq(list(f.store, Q(.team = "payments"), &rs), 2);
    ck_assert_str_eq(rs.r[0].fp, "000000000000000e");
    ck_assert_str_eq(rs.r[1].fp, "000000000000000b");
    ck_assert_int_eq(list(f.store, Q(.layer = "application", .status = "firing"), &rs), 2);
    ck_assert_int_eq(list(f.store, Q(.fingerprint = "000000000000000d"), &rs), 1);
    ck_assert_str_eq(rs.r[0].decision, "(null)");
    /* total counts matches before limit/offset */
    ck_assert_int_eq(list(f.store, Q(.limit = 2, .offset = 1), &rs), 5);
    ck_assert_uint_eq(rs.n, 2);
    ck_assert_str_eq(rs.r[0].fp, "000000000000000d");
    ck_assert_str_eq(rs.r[1].fp, "000000000000000c");
    ck_assert_int_eq(list(f.store, Q(.offset = 10), &rs), 5);
    ck_assert_uint_eq(rs.n, 0);
    /* Text that looks like SQL is just a value. */
    ck_assert_int_eq(list(f.store, Q(.team = "x' OR '1'='1"), &rs), 0);
    /* Bad arguments, and a callback that fails: out-params untouched, no transaction left. */
    struct rr_diag d = {{0}};
    int64_t total = -1;
    ck_assert_int_eq(rr_store_list_alerts(f.store, Q(.limit = 10001), &total, collect, &rs, &d),
                     RR_ERR_INVAL);
    ck_assert_int_eq(rr_store_list_alerts(f.store, Q(.offset = -1), &total, collect, &rs, &d),
                     RR_ERR_INVAL);
    rs = (struct rows){.stop_after = 1};
    ck_assert_int_eq(rr_store_list_alerts(f.store, Q(0), &total, collect, &rs, &d),
                     RR_ERR_INTERNAL);
    ck_assert_uint_eq(rs.n, 1);
    ck_assert_int_eq(total, -1);
    ck_assert(!rr_store_in_transaction(f.store));
    ck_assert_int_eq(rr_store_list_alerts(f.store, Q(0), &total, NULL, NULL, &d), RR_OK);
    ck_assert_int_eq(total, 5);
    fx_close(&f);
}
END_TEST

/* What ingest's group commit relies on: a bad alert fails alone, naming the problem, and the
 * transaction survives, so the batch can be rolled back and run again without it. */
START_TEST(test_failed_put_keeps_the_transaction_and_rollback_discards_it)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert good, bad;
    talert_init(&good, "000000000000000a", "2026-01-01T00:00:00Z", NULL, "s");
    talert_init(&bad, "000000000000000b", "2026-01-01T00:00:00Z", NULL, "s");
    bad.a.labels = (struct rr_labelset){&bad.labels[1], 1}; /* no alertname */
    struct rr_diag d = {{0}};
    enum rr_store_outcome oc;
    int64_t receipt;
    ck_assert_int_eq(rr_store_begin(f.store, &d), RR_OK);
    struct rr_webhook w = webhook_of(&good.a, 1);
    ck_assert_int_eq(rr_store_put_receipt(f.store, &w, T0, &receipt, &d), RR_OK);
    ck_assert_int_eq(rr_store_put_alert(f.store, &good.a, receipt, T0, NULL, &oc, &d), RR_OK);
    ck_assert_int_eq(rr_store_put_alert(f.store, &bad.a, receipt, T0, NULL, &oc, &d), RR_ERR_INVAL);
    ck_assert_msg(strstr(d.msg, "NOT NULL") && strstr(d.msg, "alertname"), "%s", d.msg);
    ck_assert(rr_store_in_transaction(f.store));
    rr_store_rollback(f.store);
    ck_assert(!rr_store_in_transaction(f.store));
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 0);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 0);
    /* Run again without the bad one: stored. */
    ck_assert_int_eq(put_ok(f.store, &good, T0, NULL), RR_STORE_NEW_EPISODE);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 1);
    fx_close(&f);
}
END_TEST

START_TEST(test_readonly_connection_cannot_store)
{
    struct fx f;
    fx_open(&f, NULL);
    struct talert t;
    talert_init(&t, "0123456789abcdef", "2026-01-01T00:00:00Z", NULL, "s");
    put_ok(f.store, &t, T0, NULL);
    rr_store_close(f.store);
    /* SQLITE_OPEN_READONLY holds even for root, unlike chmod 0444. */
    struct rr_diag d = {{0}};
    ck_assert_int_eq(
        rr_store_open(f.path, &(struct rr_store_options){.readonly = true}, &f.store, &d), RR_OK);
    ck_assert(!rr_store_writable(f.store));
    struct talert t2;
    talert_init(&t2, "fedcba9876543210", "2026-01-01T00:00:00Z", NULL, "s");
    enum rr_store_outcome oc;
    ck_assert_int_eq(put_one(f.store, &t2, T0 + 1, NULL, &oc, &d), RR_ERR_DB);
    ck_assert_msg(strstr(d.msg, "readonly"), "diag: %s", d.msg);
    ck_assert_int_eq(rr_store_probe(f.store, T0, &d), RR_ERR_DB);
    ck_assert(!rr_store_in_transaction(f.store));
    struct rows rs = {0}; /* reading still works */
    ck_assert_int_eq(list(f.store, Q(0), &rs), 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 1);
    fx_close(&f);
}
END_TEST

START_TEST(test_readonly_open_of_missing_file_fails_and_creates_nothing)
{
    char *dir = rr_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/none/rr.db", dir);
    struct rr_store *s = NULL;
    struct rr_diag d = {{0}};
    ck_assert_int_eq(rr_store_open(path, &(struct rr_store_options){.readonly = true}, &s, &d),
                     RR_ERR_DB);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(d.msg, path), "diag names the file: %s", d.msg);
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0);
    /* A parent that cannot be a directory is an I/O error. */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/file/sub/rr.db", dir);
    ck_assert_int_eq(rr_store_open(path, NULL, &s, &d), RR_ERR_IO);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_disk_full_fails_cleanly)
{
    struct fx f;
    /* Room for the schema (21 pages at version 3) and a handful more: each alert below needs
     * about one. */
    fx_open(&f, &(struct rr_store_options){.max_page_count = 32});
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct rr_diag d = {{0}};
    enum rr_err err = RR_OK;
    int stored = 0;
    for (int i = 0; i < 64 && !err; i++) {
        struct talert t;
        char fp[17];
        snprintf(fp, sizeof fp, "%016x", i);
        talert_init(&t, fp, "2026-01-01T00:00:00Z", NULL, big);
        enum rr_store_outcome oc;
        err = put_one(f.store, &t, T0 + i, NULL, &oc, &d);
        stored += !err;
    }
    ck_assert_int_eq(err, RR_ERR_DB);
    ck_assert_msg(strstr(d.msg, "full"), "diag: %s", d.msg);
    ck_assert_int_gt(stored, 0);
    ck_assert(!rr_store_in_transaction(f.store));
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), stored);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), stored);
    fx_close(&f);
}
END_TEST

START_TEST(test_locked_database_is_busy_after_timeout)
{
    struct fx f;
    fx_open(&f, &(struct rr_store_options){.busy_timeout_ms = 100});
    sqlite3 *other = NULL;
    ck_assert_int_eq(sqlite3_open(f.path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other,
                                  "BEGIN IMMEDIATE; INSERT INTO receipts (received_at, receiver,"
                                  " group_key, status, alerts) VALUES (1, 'x', 'x', 'firing', 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    struct talert t;
    talert_init(&t, "0123456789abcdef", "2026-01-01T00:00:00Z", NULL, "s");
    struct rr_diag d = {{0}};
    enum rr_store_outcome oc;
    int64_t t0 = rr_clock_mono_ns();
    ck_assert_int_eq(put_one(f.store, &t, T0, NULL, &oc, &d), RR_ERR_BUSY);
    int64_t waited_ms = (rr_clock_mono_ns() - t0) / 1000000;
    ck_assert_msg(waited_ms >= 90 && waited_ms < 1500, "waited %lld ms", (long long)waited_ms);
    ck_assert_msg(strstr(d.msg, "locked"), "diag: %s", d.msg);
    ck_assert(!rr_store_in_transaction(f.store));
    /* Readers are not blocked by the writer (WAL). */
    struct rows rs = {0};
    ck_assert_int_eq(list(f.store, Q(0), &rs), 0);
    ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    ck_assert_int_eq(put_ok(f.store, &t, T0, NULL), RR_STORE_NEW_EPISODE);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 1);
    fx_close(&f);
}
END_TEST

/* ==== correlation facts (PRODUCT §5 step 3) ==== */

/* One episode of alertname on namespace/cluster (NULL: none), last received at ms. */
static void put_episode(struct rr_store *s, const char *fp, const char *alertname,
                        const char *namespace, const char *cluster, const char *base_layer,
                        bool resolved, int64_t ms)
{
    struct talert t;
    talert_init(&t, fp, "2026-01-01T00:00:00Z", resolved ? "2026-01-01T00:05:00Z" : NULL, NULL);
    t.labels[0].value = alertname;
    struct rr_store_decision d = {.json = "{}",
                                  .layer = "application",
                                  .base_layer = base_layer,
                                  .namespace = namespace,
                                  .cluster = cluster};
    struct rr_diag diag = {{0}};
    enum rr_store_outcome outcome;
    ck_assert_msg(put_decided(s, &t, ms, &d, &outcome, &diag) == RR_OK, "put: %s", diag.msg);
}

struct facts_seen {
    char text[512]; /* "alertname/namespace/cluster/base_layer;" per fact, "-" for NULL */
};

static enum rr_err see_fact(void *ctx, const char *alertname, const char *namespace,
                            const char *cluster, const char *base_layer)
{
    struct facts_seen *f = ctx;
    size_t used = strlen(f->text);
    (void)snprintf(f->text + used, sizeof f->text - used, "%s/%s/%s/%s;", alertname,
                   namespace ? namespace : "-", cluster ? cluster : "-", base_layer);
    return RR_OK;
}

static const char *facts(struct rr_store *s, const char *cluster, unsigned max_namespaces,
                         struct facts_seen *f)
{
    struct rr_diag diag = {{0}};
    f->text[0] = '\0';
    ck_assert_msg(rr_store_firing_facts(s, T0, "TemporalWorkflowFailures", cluster, max_namespaces,
                                        see_fact, f, &diag) == RR_OK,
                  "%s", diag.msg);
    return f->text;
}

START_TEST(test_firing_facts_read_only_episodes_received_in_the_window)
{
    struct fx f;
    fx_open(&f, NULL);
    const char *name = "TemporalWorkflowFailures";
    int64_t day_ago = T0 - 86400000, fresh = T0 + 1000;
    /* Left firing a day ago (their resolve never came): outside the window from T0, however
     * many. They sort before every namespace below. */
    char fp[17];
    for (int i = 0; i < 200; i++) {
        snprintf(fp, sizeof fp, "%016x", 0x100 + i);
        put_episode(f.store, fp, name, "a-stuck", "east", "ambiguous", false, day_ago);
    }
    put_episode(f.store, "00000000000000b1", name, "b-east", "east", "ambiguous", false, fresh);
    put_episode(f.store, "00000000000000c1", name, "c-resolved", "east", "ambiguous", false, fresh);
    put_episode(f.store, "00000000000000c1", name, "c-resolved", "east", "ambiguous", true, fresh);
    /* d: one stuck episode, one fresh without a cluster (it counts for every cluster). */
    put_episode(f.store, "00000000000000d1", name, "d-mixed", "west", "ambiguous", false, day_ago);
    put_episode(f.store, "00000000000000d2", name, "d-mixed", NULL, "ambiguous", false, fresh);
    put_episode(f.store, "00000000000000e1", "OtherAlert", "e-other", "east", "ambiguous", false,
                fresh);
    /* Platform-layer: stuck in east, fresh in west. */
    put_episode(f.store, "00000000000000f1", "PersistenceDown", NULL, "east", "platform", false,
                day_ago);
    put_episode(f.store, "00000000000000f2", "PersistenceDown", NULL, "west", "platform", false,
                fresh);

    struct facts_seen seen;
    ck_assert_str_eq(facts(f.store, "east", 3, &seen),
                     "TemporalWorkflowFailures/b-east/-/ambiguous;"
                     "TemporalWorkflowFailures/d-mixed/-/ambiguous;");
    ck_assert_str_eq(facts(f.store, "west", 3, &seen),
                     "PersistenceDown/-/west/platform;"
                     "TemporalWorkflowFailures/d-mixed/-/ambiguous;");
    /* An alert without a cluster sees every cluster. */
    ck_assert_str_eq(facts(f.store, NULL, 3, &seen),
                     "PersistenceDown/-/west/platform;"
                     "TemporalWorkflowFailures/b-east/-/ambiguous;"
                     "TemporalWorkflowFailures/d-mixed/-/ambiguous;");
    /* Enough namespaces to decide, and no more. */
    ck_assert_str_eq(facts(f.store, NULL, 1, &seen),
                     "PersistenceDown/-/west/platform;"
                     "TemporalWorkflowFailures/b-east/-/ambiguous;");
    /* A repeat brings a stuck episode back into the window. */
    put_episode(f.store, "0000000000000100", name, "a-stuck", "east", "ambiguous", false, fresh);
    ck_assert_str_eq(facts(f.store, "east", 3, &seen),
                     "TemporalWorkflowFailures/a-stuck/-/ambiguous;"
                     "TemporalWorkflowFailures/b-east/-/ambiguous;"
                     "TemporalWorkflowFailures/d-mixed/-/ambiguous;");
    fx_close(&f);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("schema");
    tcase_add_test(tc, test_open_creates_file_wal_and_schema);
    tcase_add_test(tc, test_reopen_keeps_data_and_does_not_migrate_again);
    tcase_add_test(tc, test_newer_schema_is_refused_untouched);
    tcase_add_test(tc, test_version_7_database_upgrades_keeping_every_row_and_episode);
    suite_add_tcase(s, tc);
    tc = tcase_create("episodes");
    tcase_add_test(tc, test_new_episode_stores_every_field);
    tcase_add_test(tc, test_repeats_are_duplicates_changing_only_counters_and_annotations);
    tcase_add_test(tc, test_firing_to_resolved_then_firing_again);
    tcase_add_test(tc, test_resolved_first_sighting_and_refire_are_new_episodes);
    tcase_add_test(tc, test_same_instant_other_offset_is_same_episode);
    suite_add_tcase(s, tc);
    tc = tcase_create("correlation");
    tcase_add_test(tc, test_firing_facts_read_only_episodes_received_in_the_window);
    suite_add_tcase(s, tc);
    tc = tcase_create("list");
    tcase_add_test(tc, test_list_filters_order_and_total);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_add_test(tc, test_failed_put_keeps_the_transaction_and_rollback_discards_it);
    tcase_add_test(tc, test_readonly_connection_cannot_store);
    tcase_add_test(tc, test_readonly_open_of_missing_file_fails_and_creates_nothing);
    tcase_add_test(tc, test_disk_full_fails_cleanly);
    tcase_add_test(tc, test_locked_database_is_busy_after_timeout);
    tcase_add_test(tc, test_escalation_reads_its_alerts_decision_unless_it_has_its_own);
    tcase_add_test(tc, test_writer_commits_of_any_size_are_whole_for_readers);
    tcase_add_test(tc, test_writer_transaction_is_all_or_nothing_when_the_disk_fills);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

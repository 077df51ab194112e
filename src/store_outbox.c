/*
 * store_outbox: the SQL behind outbox.h — escalations, outbox rows and delivery attempts in the
 * store's database (tables from migration 3 in store.c). Statements are prepared on first use
 * and kept in the store's outbox slots; every value is bound, no SQL is built from input.
 */
#include <stdint.h>
#include <string.h>

#include "rr/outbox.h"

#include "store_int.h"

enum ob_stmt {
    OB_CREATE_ESC,
    OB_ENQUEUE,
    OB_STORM,
    OB_OPEN_DIGEST,
    OB_OPEN_ESC,
    OB_TRIGGERS,
    OB_RESOLVE_ESC,
    OB_RECOVER,
    OB_CLAIM,
    OB_RECORD_ROW,
    OB_RECORD_DELIVERY,
    OB_NEXT_DUE,
    OB_PENDING,
    OB_DIGEST_LINES,
    OB_LIST,
    OB_LIST_STATE,
    OB_ROWS_OF,
    OB_RETRY,
    OB_DROP,
    OB_DELIVERIES_OF,
    OB_ESCALATIONS,
    OB_ESCALATIONS_COUNT,
    OB_COUNT
};

/* Filters of the escalations listing: NULL/0 parameters mean "any" (?N IS NULL OR ...). */
#define ESC_WHERE                                                                                  \
    " WHERE (?1 IS NULL OR e.team = ?1) AND (?2 IS NULL OR e.layer = ?2)"                          \
    " AND (?3 IS NULL OR e.status = ?3) AND e.created_at >= ?4"                                    \
    " AND (?5 < 0 OR (e.status = 'rerouted') = (?5 = 1)) AND (?6 = 0 OR e.id = ?6)"

/* A resolve (row `o`) waits while its trigger on the same channel is still pending or being
 * sent: sent first, it would reach PagerDuty before the alert it resolves (PagerDuty drops it)
 * and the retried trigger would then open an incident nothing ever resolves. */
#define RESOLVE_BEHIND_TRIGGER                                                                     \
    "(o.kind = 'resolve' AND EXISTS (SELECT 1 FROM outbox t"                                       \
    " WHERE t.escalation_id = o.escalation_id AND t.channel = o.channel AND t.kind = 'trigger'"    \
    " AND (t.state = 'pending' OR t.state = 'sending')))"

#define ROW_COLUMNS                                                                                \
    "id, coalesce(escalation_id, 0), coalesce(alert_id, 0), team, channel, kind, state, result,"   \
    " line, last_error, attempts, created_at, next_attempt_at, coalesce(sent_at, 0)"

static const char *const sql[OB_COUNT] = {
    [OB_CREATE_ESC] =
        "INSERT INTO escalations (alert_id, team, layer, route, runbook, decision,"
        " channels, dedup_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [OB_ENQUEUE] = "INSERT INTO outbox (escalation_id, alert_id, team, channel, kind, payload,"
                   " line, state, created_at, next_attempt_at, digest_id)"
                   " VALUES (nullif(?1, 0), nullif(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                   " nullif(?11, 0))",
    /* At most ?3 rows of the partial index outbox_storm_window: a storm of 10 000 pages costs
     * the same as one of 20. */
    [OB_STORM] = "SELECT count(*), coalesce(min(created_at), 0) FROM"
                 " (SELECT created_at FROM outbox"
                 "  WHERE team = ?1 AND channel = 'slack' AND created_at >= ?2"
                 "  AND kind IN ('trigger', 'fyi') AND state <> 'folded'"
                 "  ORDER BY created_at LIMIT ?3)",
    [OB_OPEN_DIGEST] = "SELECT id FROM outbox WHERE team = ?1 AND kind = 'digest'"
                       " AND state = 'pending' ORDER BY id DESC LIMIT 1",
    [OB_OPEN_ESC] = "SELECT id FROM escalations WHERE alert_id = ?1 AND status = 'open'"
                    " ORDER BY id DESC LIMIT 1",
    [OB_TRIGGERS] = "SELECT team, channel, json_extract(payload, '$.routing_key'),"
                    " json_extract(payload, '$.dedup_key') FROM outbox"
                    " WHERE escalation_id = ?1 AND kind = 'trigger'"
                    " AND state NOT IN ('dropped', 'folded')"
                    " ORDER BY id",
    [OB_RESOLVE_ESC] = "UPDATE escalations SET status = 'resolved', resolved_at = ?2"
                       " WHERE id = ?1 AND status = 'open'",
    [OB_RECOVER] = "UPDATE outbox SET state = 'pending', next_attempt_at = ?1"
                   " WHERE state = 'sending'",
    [OB_CLAIM] = "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN"
                 " (SELECT o.id FROM outbox o WHERE o.state = 'pending'"
                 "  AND o.next_attempt_at <= ?1 AND NOT " RESOLVE_BEHIND_TRIGGER
                 "  ORDER BY o.next_attempt_at, o.id LIMIT ?2)"
                 " RETURNING id, coalesce(escalation_id, 0), coalesce(alert_id, 0), team,"
                 " channel, kind, payload, line, attempts, created_at",
    [OB_RECORD_ROW] = "UPDATE outbox SET state = ?2, result = ?3, next_attempt_at = ?4,"
                      " last_error = ?5, sent_at = CASE WHEN ?2 = 'sent' THEN ?6 END"
                      " WHERE id = ?1",
    [OB_RECORD_DELIVERY] = "INSERT INTO deliveries (outbox_id, attempt, at, status, outcome,"
                           " detail, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [OB_NEXT_DUE] = "SELECT min(o.next_attempt_at) FROM outbox o WHERE o.state = 'pending'"
                    " AND NOT " RESOLVE_BEHIND_TRIGGER,
    [OB_PENDING] = "SELECT count(*), coalesce(min(created_at), 0) FROM outbox"
                   " WHERE state = 'pending' OR state = 'sending'",
    [OB_DIGEST_LINES] = "SELECT line FROM outbox WHERE digest_id = ?1 ORDER BY id",
    [OB_LIST] = "SELECT " ROW_COLUMNS " FROM outbox WHERE state IN ('pending', 'sending', 'dead')"
                " ORDER BY id DESC LIMIT ?1",
    [OB_LIST_STATE] = "SELECT " ROW_COLUMNS " FROM outbox WHERE state = ?2"
                      " ORDER BY id DESC LIMIT ?1",
    [OB_ROWS_OF] = "SELECT " ROW_COLUMNS " FROM outbox WHERE escalation_id = ?1 ORDER BY id",
    [OB_RETRY] = "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2,"
                 " created_at = ?2 WHERE id = ?1 AND state IN ('dead', 'pending')",
    [OB_DROP] = "UPDATE outbox SET state = 'dropped' WHERE id = ?1"
                " AND state IN ('dead', 'pending')",
    [OB_DELIVERIES_OF] = "SELECT d.outbox_id, d.attempt, d.at, d.status, d.outcome, d.detail,"
                         " d.duration_ms FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
                         " WHERE o.escalation_id = ?1 ORDER BY d.id",
    [OB_ESCALATIONS] =
        "SELECT e.id, e.alert_id, e.team, e.layer, e.route, e.runbook,"
        " coalesce(e.decision, a.decision), e.channels,"
        " e.dedup_key, e.status, e.created_at, coalesce(e.resolved_at, 0), a.fingerprint,"
        " a.alertname, a.starts_at, a.status, a.labels, a.annotations"
        " FROM escalations e JOIN alerts a ON a.id = e.alert_id" ESC_WHERE
        " ORDER BY e.created_at DESC, e.id DESC LIMIT ?7 OFFSET ?8",
    [OB_ESCALATIONS_COUNT] = "SELECT count(*) FROM escalations e" ESC_WHERE,
};

_Static_assert(OB_COUNT <= RR__STORE_OUTBOX_STMTS, "outbox statement slots");

static enum rr_err prepare(struct rr_store *s, enum ob_stmt which, sqlite3_stmt **out,
                           struct rr_diag *diag)
{
    sqlite3_stmt **slot = &rr__store_outbox_stmts(s)[which];
    if (!*slot) {
        int rc = sqlite3_prepare_v3(rr__store_db(s), sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    slot, NULL);
        if (rc != SQLITE_OK)
            return rr__store_fail(s, rc, "prepare outbox statement", diag);
    }
    sqlite3_reset(*slot);
    sqlite3_clear_bindings(*slot);
    *out = *slot;
    return RR_OK;
}

static const char *text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

/* Runs a statement that yields one row of integers into out[0..n). */
static enum rr_err one_row(struct rr_store *s, sqlite3_stmt *st, int64_t *out, int n,
                           const char *what, struct rr_diag *diag)
{
    int rc = sqlite3_step(st);
    for (int i = 0; i < n; i++)
        out[i] = rc == SQLITE_ROW ? sqlite3_column_int64(st, i) : 0;
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    enum rr_err err = rc == SQLITE_DONE ? RR_OK : rr__store_fail(s, rc, what, diag);
    sqlite3_reset(st);
    return err;
}

/* Steps st to the end, handing each row to on_row (st positioned on it); stops at the first
 * non-OK return. Resets st in every case. */
static enum rr_err for_each_row(struct rr_store *store, sqlite3_stmt *st, const char *what,
                                enum rr_err (*on_row)(sqlite3_stmt *st, void *ctx), void *ctx,
                                struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = on_row(st, ctx);
    if (!err && rc != SQLITE_DONE)
        err = rr__store_fail(store, rc, what, diag);
    sqlite3_reset(st);
    return err;
}

enum rr_err rr_outbox_create_escalation(struct rr_store *store, const struct rr_escalation_new *e,
                                        int64_t *id, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_CREATE_ESC, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, e->alert_id);
    rr__store_bind_text(st, 2, e->team);
    rr__store_bind_text(st, 3, e->layer);
    rr__store_bind_text(st, 4, e->route);
    rr__store_bind_text(st, 5, e->runbook);
    rr__store_bind_text(st, 6, e->decision_json);
    rr__store_bind_text(st, 7, e->channels);
    rr__store_bind_text(st, 8, e->dedup_key);
    sqlite3_bind_int64(st, 9, e->created_ms);
    err = rr__store_run(store, st, "create escalation", diag);
    if (!err)
        *id = sqlite3_last_insert_rowid(rr__store_db(store));
    return err;
}

enum rr_err rr_outbox_enqueue(struct rr_store *store, const struct rr_outbox_new *row, int64_t *id,
                              struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_ENQUEUE, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, row->escalation_id);
    sqlite3_bind_int64(st, 2, row->alert_id);
    rr__store_bind_text(st, 3, row->team);
    rr__store_bind_text(st, 4, row->channel);
    rr__store_bind_text(st, 5, row->kind);
    rr__store_bind_text(st, 6, row->payload);
    rr__store_bind_text(st, 7, row->line ? row->line : "");
    rr__store_bind_text(st, 8, row->folded ? "folded" : "pending");
    sqlite3_bind_int64(st, 9, row->created_ms);
    sqlite3_bind_int64(st, 10, row->next_attempt_ms);
    sqlite3_bind_int64(st, 11, row->digest_id);
    err = rr__store_run(store, st, "enqueue page", diag);
    if (!err && id)
        *id = sqlite3_last_insert_rowid(rr__store_db(store));
    return err;
}

enum rr_err rr_outbox_storm_count(struct rr_store *store, const char *team, int64_t since_ms,
                                  int64_t cap, int64_t *count, int64_t *oldest_ms,
                                  struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_STORM, &st, diag);
    if (err)
        return err;
    rr__store_bind_text(st, 1, team);
    sqlite3_bind_int64(st, 2, since_ms);
    sqlite3_bind_int64(st, 3, cap);
    int64_t v[2];
    err = one_row(store, st, v, 2, "count recent pages", diag);
    if (!err) {
        *count = v[0];
        *oldest_ms = v[1];
    }
    return err;
}

enum rr_err rr_outbox_open_digest(struct rr_store *store, const char *team, int64_t *digest_id,
                                  struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_OPEN_DIGEST, &st, diag);
    if (!err) {
        rr__store_bind_text(st, 1, team);
        err = one_row(store, st, digest_id, 1, "find digest", diag);
    }
    return err;
}

enum rr_err rr_outbox_open_escalation(struct rr_store *store, int64_t alert_id,
                                      int64_t *escalation_id, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_OPEN_ESC, &st, diag);
    if (!err) {
        sqlite3_bind_int64(st, 1, alert_id);
        err = one_row(store, st, escalation_id, 1, "find escalation", diag);
    }
    return err;
}

struct trigger_cb {
    rr_trigger_fn fn;
    void *ctx;
};

static enum rr_err trigger_row(sqlite3_stmt *st, void *arg)
{
    struct trigger_cb *cb = arg;
    return cb->fn(cb->ctx, text(st, 0), text(st, 1), text(st, 2), text(st, 3));
}

enum rr_err rr_outbox_triggers(struct rr_store *store, int64_t escalation_id, rr_trigger_fn fn,
                               void *ctx, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_TRIGGERS, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, escalation_id);
    struct trigger_cb cb = {fn, ctx};
    return for_each_row(store, st, "read triggers", trigger_row, &cb, diag);
}

enum rr_err rr_outbox_resolve_escalation(struct rr_store *store, int64_t escalation_id,
                                         int64_t now_ms, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_RESOLVE_ESC, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, escalation_id);
    sqlite3_bind_int64(st, 2, now_ms);
    return rr__store_run(store, st, "resolve escalation", diag);
}

enum rr_err rr_outbox_recover(struct rr_store *store, int64_t now_ms, int64_t *recovered,
                              struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_RECOVER, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, now_ms);
    err = rr__store_run(store, st, "recover outbox", diag);
    if (!err && recovered)
        *recovered = sqlite3_changes(rr__store_db(store));
    return err;
}

struct item_cb {
    rr_outbox_item_fn fn;
    void *ctx;
};

static enum rr_err item_row(sqlite3_stmt *st, void *arg)
{
    struct item_cb *cb = arg;
    struct rr_outbox_item it = {
        .id = sqlite3_column_int64(st, 0),
        .escalation_id = sqlite3_column_int64(st, 1),
        .alert_id = sqlite3_column_int64(st, 2),
        .team = text(st, 3),
        .channel = text(st, 4),
        .kind = text(st, 5),
        .payload = text(st, 6),
        .line = text(st, 7),
        .attempts = sqlite3_column_int(st, 8),
        .created_ms = sqlite3_column_int64(st, 9),
    };
    return cb->fn(cb->ctx, &it);
}

enum rr_err rr_outbox_claim(struct rr_store *store, int64_t now_ms, int limit, rr_outbox_item_fn fn,
                            void *ctx, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_CLAIM, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    struct item_cb cb = {fn, ctx};
    return for_each_row(store, st, "claim pages", item_row, &cb, diag);
}

enum rr_err rr_outbox_record(struct rr_store *store, const struct rr_outbox_attempt *a,
                             struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_RECORD_DELIVERY, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int(st, 2, a->attempt);
    sqlite3_bind_int64(st, 3, a->at_ms);
    sqlite3_bind_int64(st, 4, a->status);
    rr__store_bind_text(st, 5, a->outcome);
    rr__store_bind_text(st, 6, a->detail ? a->detail : "");
    sqlite3_bind_int64(st, 7, a->duration_ms);
    err = rr__store_run(store, st, "record delivery", diag);
    if (!err)
        err = prepare(store, OB_RECORD_ROW, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, a->id);
    rr__store_bind_text(st, 2, a->state);
    rr__store_bind_text(st, 3, a->result);
    sqlite3_bind_int64(st, 4, a->next_attempt_ms);
    rr__store_bind_text(st, 5, strcmp(a->state, "sent") ? a->detail : NULL);
    sqlite3_bind_int64(st, 6, a->at_ms);
    return rr__store_run(store, st, "update page", diag);
}

enum rr_err rr_outbox_next_due(struct rr_store *store, int64_t *due_ms, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_NEXT_DUE, &st, diag);
    if (err)
        return err;
    int rc = sqlite3_step(st);
    *due_ms = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                  ? sqlite3_column_int64(st, 0)
                  : INT64_MAX;
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    err = rc == SQLITE_DONE ? RR_OK : rr__store_fail(store, rc, "next due page", diag);
    sqlite3_reset(st);
    return err;
}

enum rr_err rr_outbox_pending(struct rr_store *store, int64_t *count, int64_t *oldest_ms,
                              struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_PENDING, &st, diag);
    int64_t v[2] = {0, 0};
    if (!err)
        err = one_row(store, st, v, 2, "count pending pages", diag);
    if (!err) {
        *count = v[0];
        *oldest_ms = v[1];
    }
    return err;
}

struct line_cb {
    rr_line_fn fn;
    void *ctx;
};

static enum rr_err line_row(sqlite3_stmt *st, void *arg)
{
    struct line_cb *cb = arg;
    return cb->fn(cb->ctx, text(st, 0));
}

enum rr_err rr_outbox_digest_lines(struct rr_store *store, int64_t digest_id, rr_line_fn fn,
                                   void *ctx, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_DIGEST_LINES, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, digest_id);
    struct line_cb cb = {fn, ctx};
    return for_each_row(store, st, "read digest", line_row, &cb, diag);
}

struct outbox_row_cb {
    rr_outbox_row_fn fn;
    void *ctx;
};

static enum rr_err outbox_row(sqlite3_stmt *st, void *arg)
{
    struct outbox_row_cb *cb = arg;
    struct rr_outbox_row r = {
        .id = sqlite3_column_int64(st, 0),
        .escalation_id = sqlite3_column_int64(st, 1),
        .alert_id = sqlite3_column_int64(st, 2),
        .team = text(st, 3),
        .channel = text(st, 4),
        .kind = text(st, 5),
        .state = text(st, 6),
        .result = text(st, 7),
        .line = text(st, 8),
        .last_error = text(st, 9),
        .attempts = sqlite3_column_int(st, 10),
        .created_ms = sqlite3_column_int64(st, 11),
        .next_attempt_ms = sqlite3_column_int64(st, 12),
        .sent_ms = sqlite3_column_int64(st, 13),
    };
    return cb->fn(cb->ctx, &r);
}

static enum rr_err each_row(struct rr_store *store, sqlite3_stmt *st, rr_outbox_row_fn fn,
                            void *ctx, struct rr_diag *diag)
{
    struct outbox_row_cb cb = {fn, ctx};
    return for_each_row(store, st, "list pages", outbox_row, &cb, diag);
}

enum rr_err rr_outbox_list(struct rr_store *store, const char *state, int limit,
                           rr_outbox_row_fn fn, void *ctx, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, state ? OB_LIST_STATE : OB_LIST, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int(st, 1, limit);
    if (state)
        rr__store_bind_text(st, 2, state);
    return each_row(store, st, fn, ctx, diag);
}

enum rr_err rr_outbox_rows_of(struct rr_store *store, int64_t escalation_id, rr_outbox_row_fn fn,
                              void *ctx, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_ROWS_OF, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, escalation_id);
    return each_row(store, st, fn, ctx, diag);
}

static enum rr_err change_one(struct rr_store *store, sqlite3_stmt *st, int64_t id,
                              const char *what, struct rr_diag *diag)
{
    enum rr_err err = rr__store_run(store, st, what, diag);
    if (!err && sqlite3_changes(rr__store_db(store)) == 0)
        err = rr_diag_set(diag, RR_ERR_NOTFOUND, "%s: no pending or dead page with id %lld", what,
                          (long long)id);
    return err;
}

enum rr_err rr_outbox_retry(struct rr_store *store, int64_t id, int64_t now_ms,
                            struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_RETRY, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    return change_one(store, st, id, "retry", diag);
}

enum rr_err rr_outbox_drop(struct rr_store *store, int64_t id, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_DROP, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, id);
    return change_one(store, st, id, "drop", diag);
}

struct delivery_cb {
    rr_delivery_row_fn fn;
    void *ctx;
};

static enum rr_err delivery_row(sqlite3_stmt *st, void *arg)
{
    struct delivery_cb *cb = arg;
    struct rr_delivery_row d = {
        .outbox_id = sqlite3_column_int64(st, 0),
        .attempt = sqlite3_column_int(st, 1),
        .at_ms = sqlite3_column_int64(st, 2),
        .status = (long)sqlite3_column_int64(st, 3),
        .outcome = text(st, 4),
        .detail = text(st, 5),
        .duration_ms = sqlite3_column_int64(st, 6),
    };
    return cb->fn(cb->ctx, &d);
}

enum rr_err rr_outbox_deliveries_of(struct rr_store *store, int64_t escalation_id,
                                    rr_delivery_row_fn fn, void *ctx, struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_DELIVERIES_OF, &st, diag);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, escalation_id);
    struct delivery_cb cb = {fn, ctx};
    return for_each_row(store, st, "list deliveries", delivery_row, &cb, diag);
}

static void bind_escalation_query(sqlite3_stmt *st, const struct rr_escalation_query *q)
{
    rr__store_bind_text(st, 1, q->team);
    rr__store_bind_text(st, 2, q->layer);
    rr__store_bind_text(st, 3, q->status);
    sqlite3_bind_int64(st, 4, q->since_ms);
    sqlite3_bind_int(st, 5, q->misrouted);
    sqlite3_bind_int64(st, 6, q->id);
}

struct escalation_cb {
    rr_escalation_row_fn fn;
    void *ctx;
};

static enum rr_err escalation_row(sqlite3_stmt *st, void *arg)
{
    struct escalation_cb *cb = arg;
    struct rr_escalation_row r = {
        .id = sqlite3_column_int64(st, 0),
        .alert_id = sqlite3_column_int64(st, 1),
        .team = text(st, 2),
        .layer = text(st, 3),
        .route = text(st, 4),
        .runbook = text(st, 5),
        .decision_json = text(st, 6),
        .channels = text(st, 7),
        .dedup_key = text(st, 8),
        .status = text(st, 9),
        .created_ms = sqlite3_column_int64(st, 10),
        .resolved_ms = sqlite3_column_int64(st, 11),
        .fingerprint = text(st, 12),
        .alertname = text(st, 13),
        .starts_at = text(st, 14),
        .alert_status = text(st, 15),
        .labels_json = text(st, 16),
        .annotations_json = text(st, 17),
    };
    return cb->fn(cb->ctx, &r);
}

enum rr_err rr_outbox_escalations(struct rr_store *store, const struct rr_escalation_query *q,
                                  int64_t *total, rr_escalation_row_fn fn, void *ctx,
                                  struct rr_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum rr_err err = prepare(store, OB_ESCALATIONS_COUNT, &st, diag);
    if (err)
        return err;
    bind_escalation_query(st, q);
    if ((err = one_row(store, st, total, 1, "count escalations", diag)))
        return err;
    if ((err = prepare(store, OB_ESCALATIONS, &st, diag)))
        return err;
    bind_escalation_query(st, q);
    sqlite3_bind_int64(st, 7, q->limit ? q->limit : 100);
    sqlite3_bind_int64(st, 8, q->offset);
    struct escalation_cb cb = {fn, ctx};
    return for_each_row(store, st, "list escalations", escalation_row, &cb, diag);
}

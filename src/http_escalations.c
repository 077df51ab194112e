/*
 * http_escalations: GET /api/v1/escalations and GET /api/v1/escalations/{id} (PRODUCT §3, §7).
 *
 * The list filters by team, layer, since, status (open, resolved, rerouted) and misrouted
 * (true/false); one escalation comes with its alert, decision, runbook, every page written for
 * it and every delivery attempt. Unknown or malformed filters are a 400 naming the filter.
 */
#define RR_LOG_MODULE "http"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rr/clock.h"
#include "rr/outbox.h"
#include "rr/store.h"

#include "http_int.h"

struct esc_filter {
    struct rr_escalation_query q;
    char error[256];
};

static bool one_of(const char *v, const char *a, const char *b, const char *c)
{
    return !strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c));
}

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    struct esc_filter *f = cls;
    struct rr_escalation_query *q = &f->q;
    const char *want = NULL;
    value = value ? value : "";
    if (!strcmp(key, "team")) {
        q->team = value;
    } else if (!strcmp(key, "layer")) {
        q->layer = value;
        if (!one_of(value, "platform", "application", NULL))
            want = "platform or application";
    } else if (!strcmp(key, "status")) {
        q->status = value;
        if (!one_of(value, "open", "resolved", "rerouted"))
            want = "open, resolved or rerouted";
    } else if (!strcmp(key, "misrouted")) {
        q->misrouted = !strcmp(value, "true") ? 1 : 0;
        if (!one_of(value, "true", "false", NULL))
            want = "true or false";
    } else if (!strcmp(key, "since")) {
        if (!http_parse_since(value, &q->since_ms))
            want = "an RFC 3339 time or a duration such as 30m";
    } else if (!strcmp(key, "limit")) {
        if (!http_parse_count(value, 1, 10000, &q->limit))
            want = "an integer from 1 to 10000";
    } else if (!strcmp(key, "offset")) {
        if (!http_parse_count(value, 0, INT64_MAX / 2, &q->offset))
            want = "a non-negative integer";
    } else {
        snprintf(f->error, sizeof f->error,
                 "%.64s: unknown filter (known: team, layer, since, status, misrouted, limit, "
                 "offset)",
                 key);
        return MHD_NO;
    }
    if (want) {
        snprintf(f->error, sizeof f->error, "%s: want %s", key, want);
        return MHD_NO;
    }
    return MHD_YES;
}

static json_t *time_or_null(int64_t ms)
{
    char buf[40];
    return ms ? json_string(rr_clock_format_ms(ms, buf, sizeof buf)) : json_null();
}

static json_t *channels_array(const char *channels)
{
    json_t *a = json_array();
    char copy[64];
    snprintf(copy, sizeof copy, "%s", channels ? channels : "");
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(t));
    return a;
}

static json_t *escalation_json(const struct rr_escalation_row *r)
{
    json_t *alert = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "fingerprint", r->fingerprint,
                              "alertname", r->alertname, "startsAt", r->starts_at, "status",
                              r->alert_status, "labels", http_json_text_or_null(r->labels_json),
                              "annotations", http_json_text_or_null(r->annotations_json));
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)r->id, "status", r->status, "team", r->team, "layer", r->layer,
                     "route", r->route, "runbook",
                     r->runbook ? json_string(r->runbook) : json_null(), "channels",
                     channels_array(r->channels), "dedup_key", r->dedup_key, "createdAt",
                     time_or_null(r->created_ms), "resolvedAt", time_or_null(r->resolved_ms),
                     "alert", alert, "decision", http_json_text_or_null(r->decision_json));
}

static enum rr_err add_escalation(void *ctx, const struct rr_escalation_row *r)
{
    json_array_append_new(ctx, escalation_json(r));
    return RR_OK;
}

static enum rr_err add_page(void *ctx, const struct rr_outbox_row *r)
{
    json_array_append_new(
        ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:o}", "id",
                       (json_int_t)r->id, "team", r->team, "channel", r->channel, "kind", r->kind,
                       "state", r->state, "result",
                       r->result ? json_string(r->result) : json_null(), "attempts", r->attempts,
                       "createdAt", time_or_null(r->created_ms), "sentAt", time_or_null(r->sent_ms),
                       "lastError", r->last_error ? json_string(r->last_error) : json_null()));
    return RR_OK;
}

static enum rr_err add_delivery(void *ctx, const struct rr_delivery_row *r)
{
    json_array_append_new(ctx, json_pack("{s:I, s:i, s:o, s:I, s:s, s:s, s:I}", "page",
                                         (json_int_t)r->outbox_id, "attempt", r->attempt, "at",
                                         time_or_null(r->at_ms), "status", (json_int_t)r->status,
                                         "outcome", r->outcome, "detail", r->detail, "durationMs",
                                         (json_int_t)r->duration_ms));
    return RR_OK;
}

static enum MHD_Result reply_json_value(struct request *req, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    enum MHD_Result r = http_reply_json(req, status, text);
    free(text);
    return r;
}

static enum MHD_Result store_failed(struct request *req, const struct rr_diag *diag)
{
    char detail[600];
    snprintf(detail, sizeof detail, "store: %s", diag->msg);
    return http_reply_error(req, 503, "store_unavailable", detail);
}

enum MHD_Result http_handle_escalations(struct request *req)
{
    struct esc_filter f = {.q = {.misrouted = -1}};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_arg, &f);
    if (f.error[0])
        return http_reply_error(req, 400, "bad_filter", f.error);
    struct rr_store *store = NULL;
    struct rr_diag diag = {{0}};
    json_t *list = json_array();
    int64_t total = 0;
    enum rr_err err = http_reader_get(req->http, &store, &diag);
    if (!err)
        err = rr_outbox_escalations(store, &f.q, &total, add_escalation, list, &diag);
    if (store)
        http_reader_put(req->http, store);
    if (err) {
        json_decref(list);
        return store_failed(req, &diag);
    }
    return reply_json_value(
        req, 200, json_pack("{s:I, s:o}", "total", (json_int_t)total, "escalations", list));
}

enum MHD_Result http_handle_escalation(struct request *req)
{
    char *end;
    errno = 0;
    long long id = strtoll(req->path_arg, &end, 10);
    if (errno || *end || id <= 0)
        return http_reply_error(req, 400, "bad_request", "id: want a positive integer");
    struct rr_escalation_query q = {.misrouted = -1, .id = id, .limit = 1};
    struct rr_store *store = NULL;
    struct rr_diag diag = {{0}};
    json_t *found = json_array(), *pages = json_array(), *deliveries = json_array();
    int64_t total = 0;
    enum rr_err err = http_reader_get(req->http, &store, &diag);
    if (!err)
        err = rr_outbox_escalations(store, &q, &total, add_escalation, found, &diag);
    if (!err && total)
        err = rr_outbox_rows_of(store, id, add_page, pages, &diag);
    if (!err && total)
        err = rr_outbox_deliveries_of(store, id, add_delivery, deliveries, &diag);
    if (store)
        http_reader_put(req->http, store);
    enum MHD_Result r;
    if (err) {
        r = store_failed(req, &diag);
    } else if (!total) {
        r = http_reply_error(req, 404, "not_found", "id: no such escalation");
    } else {
        json_t *e = json_incref(json_array_get(found, 0));
        json_object_set(e, "pages", pages);
        json_object_set(e, "deliveries", deliveries);
        json_object_set_new(e, "reroutes", json_array());
        r = reply_json_value(req, 200, e);
    }
    json_decref(found);
    json_decref(pages);
    json_decref(deliveries);
    return r;
}

/*
 * http_api: GET /api/v1/alerts — stored episodes and their decisions (PRODUCT §3).
 *
 * Filters: since (RFC 3339 time or Prometheus duration), team, layer, status, fingerprint,
 * limit (default 100, 1..10000), offset. Unknown or malformed filters are a 400 naming the
 * filter, so a typo never silently returns everything.
 */
#define RR_LOG_MODULE "http"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rr/clock.h"
#include "rr/store.h"

#include "http_int.h"

#define API_DEFAULT_LIMIT 100
#define API_MAX_LIMIT     10000

struct filter_parse {
    struct rr_alert_query query;
    char error[256]; /* set on the first bad filter */
};

bool http_parse_count(const char *value, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(value, &end, 10);
    if (errno || end == value || *end || n < min || n > max)
        return false;
    *out = n;
    return true;
}

bool http_parse_since(const char *value, int64_t *out_ms)
{
    struct rr_time t;
    if (rr_time_parse(value, strlen(value), &t, NULL) == RR_OK) {
        *out_ms = rr_time_to_ms(t);
        return true;
    }
    int64_t d;
    if (rr_duration_parse(value, &d, NULL) == RR_OK) {
        *out_ms = rr_clock_wall_ms() - d;
        return true;
    }
    return false;
}

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    struct filter_parse *f = cls;
    struct rr_alert_query *q = &f->query;
    if (f->error[0])
        return MHD_NO;
    if (!value)
        value = "";
    bool ok = true;
    if (!strcmp(key, "since"))
        ok = http_parse_since(value, &q->since_ms);
    else if (!strcmp(key, "team"))
        q->team = value;
    else if (!strcmp(key, "layer")) {
        q->layer = value;
        ok = !strcmp(value, "platform") || !strcmp(value, "application");
    } else if (!strcmp(key, "status")) {
        q->status = value;
        ok = !strcmp(value, "firing") || !strcmp(value, "resolved");
    } else if (!strcmp(key, "fingerprint"))
        q->fingerprint = value;
    else if (!strcmp(key, "limit"))
        ok = http_parse_count(value, 1, API_MAX_LIMIT, &q->limit);
    else if (!strcmp(key, "offset"))
        ok = http_parse_count(value, 0, INT64_MAX / 2, &q->offset);
    else {
        snprintf(f->error, sizeof f->error,
                 "%.64s: unknown filter (known: since, team, layer, status, fingerprint, "
                 "limit, offset)",
                 key);
        return MHD_NO;
    }
    if (!ok) {
        static const struct {
            const char *key, *want;
        } wants[] = {{"since", "an RFC 3339 time or a duration such as 30m"},
                     {"layer", "platform or application"},
                     {"status", "firing or resolved"},
                     {"limit", "an integer from 1 to 10000"},
                     {"offset", "a non-negative integer"}};
        const char *want = "a valid value";
        for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++)
            if (!strcmp(wants[i].key, key))
                want = wants[i].want;
        snprintf(f->error, sizeof f->error, "%s: want %s", key, want);
        return MHD_NO;
    }
    return MHD_YES;
}

json_t *http_json_text_or_null(const char *text)
{
    if (!text)
        return json_null();
    json_t *v = json_loads(text, 0, NULL);
    return v ? v : json_null();
}

static enum rr_err add_row(const struct rr_alert_row *row, void *ctx)
{
    json_t *alerts = ctx;
    char received[40], updated[40];
    json_t *o = json_object();
    json_object_set_new(o, "fingerprint", json_string(row->fingerprint));
    json_object_set_new(o, "startsAt", json_string(row->starts_at));
    json_object_set_new(o, "endsAt", row->ends_at ? json_string(row->ends_at) : json_null());
    json_object_set_new(o, "status", json_string(row->status));
    json_object_set_new(o, "labels", http_json_text_or_null(row->labels_json));
    json_object_set_new(o, "annotations", http_json_text_or_null(row->annotations_json));
    json_object_set_new(
        o, "receivedAt",
        json_string(rr_clock_format_ms(row->received_ms, received, sizeof received)));
    json_object_set_new(o, "updatedAt",
                        json_string(rr_clock_format_ms(row->updated_ms, updated, sizeof updated)));
    json_object_set_new(o, "repeats", json_integer(row->repeats));
    json_object_set_new(o, "decision", http_json_text_or_null(row->decision_json));
    json_array_append_new(alerts, o);
    return RR_OK;
}

enum MHD_Result http_handle_alerts(struct request *req)
{
    struct filter_parse f = {.query = {.limit = API_DEFAULT_LIMIT}};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_arg, &f);
    if (f.error[0])
        return http_reply_error(req, 400, "bad_filter", f.error);
    struct rr_store *store = NULL;
    struct rr_diag diag = {{0}};
    enum rr_err err = http_reader_get(req->http, &store, &diag);
    json_t *alerts = json_array();
    int64_t total = 0;
    if (!err)
        err = rr_store_list_alerts(store, &f.query, &total, add_row, alerts, &diag);
    if (store)
        http_reader_put(req->http, store);
    if (err) {
        json_decref(alerts);
        char detail[600];
        snprintf(detail, sizeof detail, "store: %s", diag.msg);
        return http_reply_error(req, 503, "store_unavailable", detail);
    }
    json_t *body = json_pack("{s:I, s:o}", "total", (json_int_t)total, "alerts", alerts);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    enum MHD_Result r = http_reply_json(req, 200, text);
    free(text);
    return r;
}

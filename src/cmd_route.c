/*
 * cmd_route: `runbook-router route` — explain the decision for alerts without a server.
 *
 *   runbook-router route --payload FILE [--format json|text] [--db PATH]
 *   runbook-router route alertname=X temporal_namespace=Y ... [--format json|text] [--db PATH]
 *
 * The payload is an Alertmanager webhook body; label pairs make one firing alert (split at the
 * first '=', fingerprinted as Alertmanager does). Correlation sees the payload's own firing
 * alerts, plus the store's firing episodes when --db names a database. Exit 0 whenever
 * decisions print; 2 for bad arguments or a bad payload; 3 when config cannot be loaded.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr/classify.h"
#include "rr/cli.h"
#include "rr/clock.h"
#include "rr/config.h"
#include "rr/live.h"
#include "rr/store.h"
#include "rr/text.h"

#define PAYLOAD_MAX_BYTES (64 << 20)

struct output {
    struct rr_buf out;
    const struct rr_webhook *webhook;
    bool json;
};

/* A firing alert of the given label pairs as a webhook body. */
static enum rr_err pairs_body(const char *const *pairs, int n, struct rr_buf *body,
                              struct rr_diag *diag)
{
    enum rr_err err = rr_buf_puts(body, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{"
                                        "\"status\":\"firing\",\"startsAt\":\"");
    char now[48];
    struct rr_time t = {.sec = rr_clock_wall_ms() / 1000};
    if (!err)
        err = rr_buf_printf(body, "%s\",\"fingerprint\":\"0000000000000000\",\"labels\":{",
                            rr_time_format(t, now, sizeof now));
    for (int i = 0; i < n && !err; i++) {
        const char *eq = strchr(pairs[i], '=');
        if (!eq || eq == pairs[i])
            return rr_diag_set(diag, RR_ERR_INVAL, "argument '%s': want label=value", pairs[i]);
        size_t name_len = (size_t)(eq - pairs[i]);
        for (int k = 0; k < i; k++) /* earlier pairs hold a '=' (checked above) */
            if (strchr(pairs[k], '=') - pairs[k] == (ptrdiff_t)name_len &&
                !memcmp(pairs[k], pairs[i], name_len))
                return rr_diag_set(diag, RR_ERR_INVAL, "label '%.*s' given twice", (int)name_len,
                                   pairs[i]);
        if (i)
            err = rr_buf_puts(body, ",");
        if (!err)
            err = rr_json_append_stringn(body, pairs[i], name_len);
        if (!err)
            err = rr_buf_puts(body, ":");
        if (!err)
            err = rr_json_append_string(body, eq + 1);
    }
    if (!err)
        err = rr_buf_puts(body, "}}]}");
    return err ? rr_diag_set(diag, RR_ERR_LIMIT, "labels too large") : RR_OK;
}

static enum rr_err read_payload(const char *path, struct rr_buf *body, struct rr_diag *diag)
{
    enum rr_err err = rr_buf_read_file(body, path, diag);
    return err == RR_ERR_IO ? RR_ERR_INVAL : err; /* a payload we cannot read: usage, exit 2 */
}

/* ==== Correlation facts from --db ==== */

struct db_facts {
    struct rr_store *store;
    int64_t since_ms;
    struct rr_fact items[2048];
    char *strings[3 * 2048];
    size_t n, n_strings;
    struct rr_evidence_set set;
};

static const char *keep(struct db_facts *f, const char *s)
{
    if (!s)
        return NULL;
    char *copy = rr_xstrdup(s);
    f->strings[f->n_strings++] = copy;
    return copy;
}

static enum rr_err add_fact(void *ctx, const char *alertname, const char *ns, const char *cluster,
                            const char *base_layer)
{
    struct db_facts *f = ctx;
    if (f->n == sizeof f->items / sizeof f->items[0])
        return RR_OK;
    f->items[f->n++] =
        (struct rr_fact){.alertname = keep(f, alertname),
                         .namespace = keep(f, ns),
                         .cluster = keep(f, cluster),
                         .base_layer = !strcmp(base_layer, "platform")      ? RR_LAYER_PLATFORM
                                       : !strcmp(base_layer, "application") ? RR_LAYER_APPLICATION
                                                                            : RR_LAYER_AMBIGUOUS};
    return RR_OK;
}

static const struct rr_evidence_set *db_stored_facts(void *ctx, const char *alertname,
                                                     const char *cluster, unsigned max_namespaces)
{
    struct db_facts *f = ctx;
    struct rr_diag diag = {{0}};
    for (size_t i = 0; i < f->n_strings; i++) /* the previous question's answer is done with */
        free(f->strings[i]);
    f->n = f->n_strings = 0;
    if (rr_store_firing_facts(f->store, f->since_ms, alertname, cluster, max_namespaces, add_fact,
                              f, &diag))
        fprintf(stderr, "route: warning: cannot read correlation facts: %s\n", diag.msg);
    f->set = (struct rr_evidence_set){.facts = f->items, .n = f->n};
    return &f->set;
}

/* ==== Output ==== */

static enum rr_err print_text(struct output *o, size_t i, const struct rr_decision *d)
{
    const struct rr_alert *a = &o->webhook->alerts[i];
    enum rr_err err = rr_buf_printf(
        &o->out,
        "%s%s (fingerprint %s, %s)\n  layer:    %s%s\n  team:     %s (from %s)\n"
        "  affected: %s\n  kind:     %s\n  route:    %s\n  runbook:  %s\n  why:\n",
        i ? "\n" : "", d->alertname, a->fingerprint, rr_alert_status_name(a->status),
        rr_layer_name(d->layer), d->base_layer == RR_LAYER_AMBIGUOUS ? " (was ambiguous)" : "",
        d->team->name, rr_owner_source_name(d->owner_source),
        d->affected_team ? d->affected_team->name : "-", rr_kind_name(d->kind),
        d->route ? d->route->name : "-", d->runbook ? d->runbook->id : "none");
    for (size_t k = 0; k < d->n_evidence && !err; k++)
        err = rr_buf_printf(&o->out, "    - %s\n", d->evidence[k]);
    return err;
}

static enum rr_err print_one(void *ctx, size_t i, const struct rr_decision *d)
{
    struct output *o = ctx;
    if (!o->json)
        return print_text(o, i, d);
    const struct rr_alert *a = &o->webhook->alerts[i];
    enum rr_err err = rr_buf_printf(&o->out, "%s{\"fingerprint\":\"%s\",\"labels\":", i ? "," : "",
                                    a->fingerprint);
    if (!err)
        err = rr_labelset_to_json(&a->labels, &o->out);
    if (!err)
        err = rr_buf_puts(&o->out, ",\"decision\":");
    if (!err)
        err = rr_decision_to_json(d, &o->out);
    if (!err)
        err = rr_buf_puts(&o->out, "}");
    return err;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "runbook-router route: %s\n(see runbook-router route --help)\n", msg);
    return RR_EXIT_USAGE;
}

int rr_cmd_route(int argc, char **argv)
{
    struct rr_config cfg;
    struct rr_diag diag = {{0}};
    int code = RR_EXIT_OK;
    struct rr_snapshot *snap = NULL;
    struct rr_webhook *wh = NULL;
    struct db_facts *facts = NULL;
    struct rr_buf body;
    struct output o = {0};
    rr_buf_init(&body, PAYLOAD_MAX_BYTES);
    rr_buf_init(&o.out, (size_t)1 << 30);
    /* The default database is never read implicitly: correlation with the store needs --db
     * or its environment variable (PRODUCT §2: the two are one option). */
    const char *db_env = getenv("RUNBOOK_ROUTER_DB"); /* NOLINT(concurrency-mt-unsafe) */
    bool db_given = db_env && *db_env;
    for (int i = 1; i < argc; i++)
        db_given |= !strcmp(argv[i], "--db") || !strncmp(argv[i], "--db=", 5);
    if (rr_config_parse(RR_CMD_ROUTE, argc, argv, &cfg, &diag)) {
        code = usage_error(diag.msg);
        goto out;
    }
    if (cfg.help) {
        printf(
            "usage: runbook-router route --payload FILE [--format json|text] [--db PATH]\n"
            "       runbook-router route label=value ... [--format json|text] [--db PATH]\n\n"
            "Prints the decision (layer, team, kind, route, runbook, evidence) for each alert.\n"
            "Exit 0 when decisions print, 2 bad arguments or payload, 3 config not loadable.\n\n");
        rr_config_usage(RR_CMD_ROUTE, stdout);
        goto out;
    }
    o.json = cfg.format && !strcmp(cfg.format, "json");
    if (cfg.format && !o.json && strcmp(cfg.format, "text")) {
        code = usage_error("--format: want json or text");
        goto out;
    }
    if ((cfg.payload != NULL) == (cfg.n_args > 0)) {
        code = usage_error("give either --payload FILE or label=value pairs");
        goto out;
    }
    enum rr_err err = cfg.payload ? read_payload(cfg.payload, &body, &diag)
                                  : pairs_body(cfg.args, cfg.n_args, &body, &diag);
    if (!err)
        err = rr_webhook_parse(body.data, body.len, &wh, &diag);
    if (err) {
        code = usage_error(diag.msg);
        goto out;
    }
    if (!cfg.payload)
        snprintf(wh->alerts[0].fingerprint, sizeof wh->alerts[0].fingerprint, "%016llx",
                 (unsigned long long)rr_labelset_fingerprint(&wh->alerts[0].labels));
    if (rr_snapshot_load(cfg.routing, cfg.runbooks, &snap, &diag)) {
        fprintf(stderr, "%s\n", diag.msg);
        code = RR_EXIT_LOAD;
        goto out;
    }
    if (db_given) {
        facts = rr_xcalloc(1, sizeof *facts);
        struct rr_store_options so = {.readonly = true};
        if (rr_store_open(cfg.db, &so, &facts->store, &diag)) {
            fprintf(stderr, "runbook-router route: %s\n", diag.msg);
            code = RR_EXIT_RUNTIME;
            goto out;
        }
        facts->since_ms =
            rr_clock_wall_ms() - rr_routing_settings(snap->routing)->correlation_window_ms;
    }
    o.webhook = wh;
    err = o.json ? rr_buf_puts(&o.out, "{\"alerts\":[") : RR_OK;
    if (!err)
        err = rr_classify_request(snap->routing, snap->runbooks, wh, facts ? db_stored_facts : NULL,
                                  facts, print_one, &o);
    if (!err && o.json)
        err = rr_buf_puts(&o.out, "]}\n");
    if (err) {
        fprintf(stderr, "runbook-router route: output too large\n");
        code = RR_EXIT_RUNTIME;
        goto out;
    }
    fwrite(o.out.data, 1, o.out.len, stdout);
out:
    if (facts) {
        rr_store_close(facts->store);
        for (size_t i = 0; i < facts->n_strings; i++)
            free(facts->strings[i]);
        free(facts);
    }
    rr_snapshot_free(snap);
    rr_webhook_free(wh);
    rr_buf_release(&body);
    rr_buf_release(&o.out);
    rr_config_release(&cfg);
    return code;
}

/*
 * metrics: a static descriptor table and C11 atomics, rendered in the Prometheus text
 * exposition format 0.0.4. Nothing here allocates per increment or takes a lock.
 */
#include "rr/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr/buf.h"
#include "rr/text.h"

struct counter_desc {
    const char *name;
    const char *help;
    const char *labels; /* a fixed label set rendered as-is, or NULL */
};

/* Indexed by enum rr_metric_counter; counters sharing a name are rendered as one family. */
static const struct counter_desc counters[RR_M_COUNTER_COUNT] = {
    [RR_M_ALERTS_STORED] = {"runbook_router_alerts_stored_total",
                            "Alert episodes stored: new episodes and firing to resolved changes.",
                            NULL},
    [RR_M_ALERTS_DUPLICATE] = {"runbook_router_alerts_duplicate_total",
                               "Alerts of known episodes that changed nothing (repeats).", NULL},
    [RR_M_ALERTS_RECEIVED_FIRING] = {"runbook_router_alerts_received_total",
                                     "Alerts in accepted webhook requests, by status.",
                                     "status=\"firing\""},
    [RR_M_ALERTS_RECEIVED_RESOLVED] = {"runbook_router_alerts_received_total",
                                       "Alerts in accepted webhook requests, by status.",
                                       "status=\"resolved\""},
    [RR_M_VALUES_TRUNCATED] = {"runbook_router_values_truncated_total",
                               "Annotation and other informational values cut at their caps.",
                               NULL},
    [RR_M_STORE_COMMIT_FAILURES] = {"runbook_router_store_commit_failures_total",
                                    "Group commits that failed; their requests were answered 503.",
                                    NULL},
    [RR_M_ALERTS_UNOWNED] = {"runbook_router_alerts_unowned_total",
                             "New alert episodes with no identifiable owner (sent to the "
                             "unowned team).",
                             NULL},
    [RR_M_ALERTS_WITHOUT_RUNBOOK] = {"runbook_router_alerts_without_runbook_total",
                                     "New alert episodes that no runbook in runbooks/ covers.",
                                     NULL},
    [RR_M_PAGES_WITHOUT_RUNBOOK] = {"runbook_router_pages_without_runbook_total",
                                    "Escalations paged with no runbook in runbooks/: a "
                                    "production coverage gap.",
                                    NULL},
    [RR_M_ESCALATIONS] = {"runbook_router_escalations_total", "Escalations created.", NULL},
    [RR_M_RELOADS_OK] = {"runbook_router_config_reloads_total", "Configuration reloads, by result.",
                         "result=\"success\""},
    [RR_M_RELOADS_FAILED] = {"runbook_router_config_reloads_total",
                             "Configuration reloads, by result.", "result=\"failure\""},
};

/* New episodes by kind and layer: fixed sets, so a 4 x 2 table. */
static const char *const kinds[] = {"workflow_failure", "latency", "queue_depth", "other"};
static const char *const layers[] = {"platform", "application"};
static _Atomic uint64_t classified[4][2];

/* Counters keyed by names from config (routes; team, channel and result of pages): bounded
 * but not fixed sets. Open-addressing tables that only grow (a reload may add names; old ones
 * keep counting). */
#define ROUTE_SLOTS 32768
#define PAGE_SLOTS  4096
struct keyed_counter {
    _Atomic(char *) name; /* owned once set; never changes after */
    _Atomic uint64_t value;
};
static struct keyed_counter route_counters[ROUTE_SLOTS];
static struct keyed_counter page_counters[PAGE_SLOTS];
static pthread_mutex_t keyed_lock = PTHREAD_MUTEX_INITIALIZER;

/* Page delivery time, seconds: alert committed to the outbox -> the channel's 2xx. */
static const double delivery_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                          1,     2.5,  5,     10,   30,  60,   300};
#define N_DELIVERY_BUCKETS (sizeof delivery_buckets / sizeof delivery_buckets[0])
static _Atomic uint64_t delivery_bucket_counts[N_DELIVERY_BUCKETS];
static _Atomic uint64_t delivery_count;
static _Atomic uint64_t delivery_sum_ms;
static _Atomic int64_t outbox_pending;
static _Atomic int64_t outbox_oldest_age_ms;

static _Atomic uint64_t counter_values[RR_M_COUNTER_COUNT];

/* The status codes /webhook can answer; anything else is counted as "other". */
static const int webhook_codes[] = {200, 400, 401, 404, 405, 413, 415, 500, 503};
#define N_CODES (sizeof webhook_codes / sizeof webhook_codes[0])
static _Atomic uint64_t webhook_requests[N_CODES + 1];

/* Group-commit latency histogram, seconds; and the batch size it carried. */
static const double commit_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,  0.1,    0.25,  1.0};
#define N_COMMIT_BUCKETS (sizeof commit_buckets / sizeof commit_buckets[0])
static _Atomic uint64_t commit_bucket_counts[N_COMMIT_BUCKETS];
static _Atomic uint64_t commit_count;
static _Atomic uint64_t commit_sum_ns;
static _Atomic uint64_t commit_requests;

void rr_metrics_add(enum rr_metric_counter counter, uint64_t n)
{
    atomic_fetch_add_explicit(&counter_values[counter], n, memory_order_relaxed);
}

uint64_t rr_metrics_get(enum rr_metric_counter counter)
{
    return atomic_load(&counter_values[counter]);
}

static size_t code_index(int code)
{
    for (size_t i = 0; i < N_CODES; i++) {
        if (webhook_codes[i] == code)
            return i;
    }
    return N_CODES;
}

void rr_metrics_webhook_request(int code)
{
    atomic_fetch_add_explicit(&webhook_requests[code_index(code)], 1, memory_order_relaxed);
}

uint64_t rr_metrics_webhook_requests(int code)
{
    return atomic_load(&webhook_requests[code_index(code)]);
}

void rr_metrics_observe_commit(int64_t duration_ns, unsigned requests)
{
    double seconds = (double)duration_ns / 1e9;
    for (size_t i = 0; i < N_COMMIT_BUCKETS; i++) {
        if (seconds <= commit_buckets[i]) {
            atomic_fetch_add_explicit(&commit_bucket_counts[i], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&commit_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&commit_sum_ns, (uint64_t)(duration_ns > 0 ? duration_ns : 0),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&commit_requests, requests, memory_order_relaxed);
}

void rr_metrics_add_classified(const char *kind, const char *layer, uint64_t n)
{
    for (int k = 0; k < 4; k++) {
        for (int l = 0; l < 2; l++) {
            if (!strcmp(kinds[k], kind) && !strcmp(layers[l], layer))
                atomic_fetch_add_explicit(&classified[k][l], n, memory_order_relaxed);
        }
    }
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of a name in a table, created when create is set; NULL when absent or full. */
static struct keyed_counter *keyed_slot(struct keyed_counter *table, size_t slots, const char *key,
                                        bool create)
{
    size_t i = (size_t)(hash_name(key) % slots);
    for (size_t probe = 0; probe < slots; probe++, i = (i + 1) % slots) {
        char *name = atomic_load(&table[i].name);
        if (name && !strcmp(name, key))
            return &table[i];
        if (name)
            continue;
        if (!create)
            return NULL;
        /* Empty slot: claim it under the lock, re-checking that nobody else just did. */
        pthread_mutex_lock(&keyed_lock);
        struct keyed_counter *found = NULL;
        if (!atomic_load(&table[i].name)) {
            atomic_store(&table[i].name, rr_xstrdup(key));
            found = &table[i];
        }
        pthread_mutex_unlock(&keyed_lock);
        if (found)
            return found;
        if (!strcmp(atomic_load(&table[i].name), key))
            return &table[i];
    }
    return NULL;
}

void rr_metrics_add_route_decision(const char *route, uint64_t n)
{
    struct keyed_counter *c = keyed_slot(route_counters, ROUTE_SLOTS, route, true);
    if (c)
        atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

uint64_t rr_metrics_route_decisions(const char *route)
{
    struct keyed_counter *c = keyed_slot(route_counters, ROUTE_SLOTS, route, false);
    return c ? atomic_load(&c->value) : 0;
}

/* Tab cannot appear in team names ([a-z0-9-]+) or in the fixed channel and result names. */
static void page_key(char *out, size_t cap, const char *team, const char *channel,
                     const char *result)
{
    snprintf(out, cap, "%s\t%s\t%s", team, channel, result);
}

void rr_metrics_add_page(const char *team, const char *channel, const char *result, uint64_t n)
{
    char key[256];
    page_key(key, sizeof key, team, channel, result);
    struct keyed_counter *c = keyed_slot(page_counters, PAGE_SLOTS, key, true);
    if (c)
        atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

uint64_t rr_metrics_pages(const char *team, const char *channel, const char *result)
{
    char key[256];
    page_key(key, sizeof key, team, channel, result);
    struct keyed_counter *c = keyed_slot(page_counters, PAGE_SLOTS, key, false);
    return c ? atomic_load(&c->value) : 0;
}

void rr_metrics_observe_delivery(int64_t ms)
{
    double seconds = (double)ms / 1000.0;
    for (size_t i = 0; i < N_DELIVERY_BUCKETS; i++) {
        if (seconds <= delivery_buckets[i]) {
            atomic_fetch_add_explicit(&delivery_bucket_counts[i], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&delivery_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&delivery_sum_ms, (uint64_t)(ms > 0 ? ms : 0), memory_order_relaxed);
}

void rr_metrics_set_outbox(int64_t pending, int64_t oldest_age_ms)
{
    atomic_store(&outbox_pending, pending);
    atomic_store(&outbox_oldest_age_ms, oldest_age_ms);
}

static enum rr_err render_paging(struct rr_buf *out)
{
    const char *name = "runbook_router_pages_total";
    enum rr_err err = rr_buf_printf(out,
                                    "# HELP %s Pages by team, channel and final result.\n"
                                    "# TYPE %s counter\n",
                                    name, name);
    for (size_t i = 0; i < PAGE_SLOTS && !err; i++) {
        char *key = atomic_load(&page_counters[i].name);
        if (!key)
            continue;
        char team[128], channel[32], result[32];
        if (sscanf(key, "%127[^\t]\t%31[^\t]\t%31s", team, channel, result) != 3)
            continue;
        err = rr_buf_printf(out, "%s{team=\"%s\",channel=\"%s\",result=\"%s\"} %llu\n", name, team,
                            channel, result,
                            (unsigned long long)atomic_load(&page_counters[i].value));
    }
    if (!err)
        err = rr_buf_printf(
            out,
            "# HELP runbook_router_outbox_pending Pages waiting to be sent.\n"
            "# TYPE runbook_router_outbox_pending gauge\nrunbook_router_outbox_pending %lld\n"
            "# HELP runbook_router_outbox_oldest_pending_seconds Age of the oldest page "
            "waiting to be sent.\n"
            "# TYPE runbook_router_outbox_oldest_pending_seconds gauge\n"
            "runbook_router_outbox_oldest_pending_seconds %.3f\n",
            (long long)atomic_load(&outbox_pending),
            (double)atomic_load(&outbox_oldest_age_ms) / 1000.0);
    name = "runbook_router_page_delivery_seconds";
    if (!err)
        err = rr_buf_printf(out,
                            "# HELP %s Time from an alert's commit to its page's delivery.\n"
                            "# TYPE %s histogram\n",
                            name, name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N_DELIVERY_BUCKETS && !err; i++) {
        cumulative += atomic_load(&delivery_bucket_counts[i]);
        err = rr_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, delivery_buckets[i],
                            (unsigned long long)cumulative);
    }
    uint64_t count = atomic_load(&delivery_count);
    if (!err)
        err = rr_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.3f\n%s_count %llu\n", name,
                            (unsigned long long)count, name,
                            (double)atomic_load(&delivery_sum_ms) / 1000.0, name,
                            (unsigned long long)count);
    return err;
}

static enum rr_err render_classified(struct rr_buf *out)
{
    const char *name = "runbook_router_alerts_classified_total";
    enum rr_err err = rr_buf_printf(
        out, "# HELP %s New alert episodes by decided kind and layer.\n# TYPE %s counter\n", name,
        name);
    for (int k = 0; k < 4 && !err; k++) {
        for (int l = 0; l < 2 && !err; l++)
            err = rr_buf_printf(out, "%s{kind=\"%s\",layer=\"%s\"} %llu\n", name, kinds[k],
                                layers[l], (unsigned long long)atomic_load(&classified[k][l]));
    }
    name = "runbook_router_route_decisions_total";
    if (!err)
        err = rr_buf_printf(out,
                            "# HELP %s New alert episodes by the route that decided them "
                            "(\"-\": none).\n# TYPE %s counter\n",
                            name, name);
    for (size_t i = 0; i < ROUTE_SLOTS && !err; i++) {
        char *route = atomic_load(&route_counters[i].name);
        if (!route)
            continue;
        /* Route names are config text: escape them as label values. */
        err = rr_buf_printf(out, "%s{route=", name);
        if (!err)
            err = rr_json_append_string(out, route);
        if (!err)
            err = rr_buf_printf(out, "} %llu\n",
                                (unsigned long long)atomic_load(&route_counters[i].value));
    }
    return err;
}

static enum rr_err render_counters(struct rr_buf *out)
{
    enum rr_err err = RR_OK;
    for (size_t i = 0; i < RR_M_COUNTER_COUNT && !err; i++) {
        const struct counter_desc *d = &counters[i];
        /* A family's HELP/TYPE is written once, before its first sample. */
        if (i == 0 || counters[i - 1].name != d->name)
            err =
                rr_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", d->name, d->help, d->name);
        if (!err)
            err = rr_buf_printf(out, "%s%s%s%s %llu\n", d->name, d->labels ? "{" : "",
                                d->labels ? d->labels : "", d->labels ? "}" : "",
                                (unsigned long long)atomic_load(&counter_values[i]));
    }
    return err;
}

static enum rr_err render_webhook_requests(struct rr_buf *out)
{
    const char *name = "runbook_router_webhook_requests_total";
    enum rr_err err = rr_buf_printf(
        out, "# HELP %s Webhook requests answered, by HTTP status code.\n# TYPE %s counter\n", name,
        name);
    for (size_t i = 0; i < N_CODES && !err; i++)
        err = rr_buf_printf(out, "%s{code=\"%d\"} %llu\n", name, webhook_codes[i],
                            (unsigned long long)atomic_load(&webhook_requests[i]));
    if (!err)
        err = rr_buf_printf(out, "%s{code=\"other\"} %llu\n", name,
                            (unsigned long long)atomic_load(&webhook_requests[N_CODES]));
    return err;
}

static enum rr_err render_commits(struct rr_buf *out)
{
    const char *name = "runbook_router_store_commit_seconds";
    enum rr_err err = rr_buf_printf(
        out,
        "# HELP %s Duration of group commits (one fsync shared by every request in it).\n"
        "# TYPE %s histogram\n",
        name, name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N_COMMIT_BUCKETS && !err; i++) {
        cumulative += atomic_load(&commit_bucket_counts[i]);
        err = rr_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, commit_buckets[i],
                            (unsigned long long)cumulative);
    }
    uint64_t count = atomic_load(&commit_count);
    if (!err)
        err = rr_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
                            (unsigned long long)count, name,
                            (double)atomic_load(&commit_sum_ns) / 1e9, name,
                            (unsigned long long)count);
    if (!err)
        err = rr_buf_printf(out,
                            "# HELP runbook_router_store_commit_requests_total Webhook requests "
                            "carried by group commits.\n"
                            "# TYPE runbook_router_store_commit_requests_total counter\n"
                            "runbook_router_store_commit_requests_total %llu\n",
                            (unsigned long long)atomic_load(&commit_requests));
    return err;
}

enum rr_err rr_metrics_render(struct rr_buf *out)
{
    enum rr_err err = render_webhook_requests(out);
    if (!err)
        err = render_counters(out);
    if (!err)
        err = render_commits(out);
    if (!err)
        err = render_classified(out);
    if (!err)
        err = render_paging(out);
    return err;
}

void rr_metrics_reset(void)
{
    for (size_t i = 0; i < RR_M_COUNTER_COUNT; i++)
        atomic_store(&counter_values[i], 0);
    for (size_t i = 0; i <= N_CODES; i++)
        atomic_store(&webhook_requests[i], 0);
    for (size_t i = 0; i < N_COMMIT_BUCKETS; i++)
        atomic_store(&commit_bucket_counts[i], 0);
    atomic_store(&commit_count, 0);
    atomic_store(&commit_sum_ns, 0);
    atomic_store(&commit_requests, 0);
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < 2; l++)
            atomic_store(&classified[k][l], 0);
    for (size_t i = 0; i < ROUTE_SLOTS; i++)
        atomic_store(&route_counters[i].value, 0);
    for (size_t i = 0; i < PAGE_SLOTS; i++)
        atomic_store(&page_counters[i].value, 0);
    for (size_t i = 0; i < N_DELIVERY_BUCKETS; i++)
        atomic_store(&delivery_bucket_counts[i], 0);
    atomic_store(&delivery_count, 0);
    atomic_store(&delivery_sum_ms, 0);
    atomic_store(&outbox_pending, 0);
    atomic_store(&outbox_oldest_age_ms, 0);
}

/*
 * metrics: a static descriptor table and C11 atomics, rendered in the Prometheus text
 * exposition format 0.0.4. Nothing here allocates per increment or takes a lock.
 */
#include "rr/metrics.h"

#include <stdatomic.h>
#include <stddef.h>

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
};

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

static enum rr_err render_counters(struct rr_buf *out)
{
    enum rr_err err = RR_OK;
    for (size_t i = 0; i < RR_M_COUNTER_COUNT && !err; i++) {
        const struct counter_desc *d = &counters[i];
        /* A family's HELP/TYPE is written once, before its first sample. */
        if (i == 0 || counters[i - 1].name != d->name)
            err = rr_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", d->name, d->help,
                                d->name);
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
        out, "# HELP %s Webhook requests answered, by HTTP status code.\n# TYPE %s counter\n",
        name, name);
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
        err = rr_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n",
                            name, (unsigned long long)count, name,
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
}

/*
 * facts_bench: the cost of correlation's store question (rr_store_firing_facts, PRODUCT §5
 * step 3), which the writer asks for every ambiguous alert inside the group commit. Built and
 * run by bench/facts.sh against the release build's librr_core.a.
 *
 *   facts_bench DB_PATH [MIN_SECONDS]
 *
 * Two states of one database, each asked the same question ("which namespaces does
 * BenchIngest fire on, in any cluster?") until MIN_SECONDS (default 1) have passed:
 *   fresh  1 000 episodes firing now in one namespace (what bench/ingest.sh builds);
 *   stuck  the same, plus 30 000 episodes firing but last received a day ago, over 30
 *          namespaces that sort first: outside the 10-minute window (alerts Alertmanager has
 *          not re-sent within it, or whose resolve never arrived).
 * Each batch of 100 questions runs inside one write transaction, as the writer asks them.
 * Prints one line:
 *   facts_us_fresh=X facts_us_stuck=Y stuck_episodes=30000 namespaces_fresh=A namespaces_stuck=B
 * namespaces_* is what the question answered (1 both times: stuck episodes are not evidence).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rr/alert.h"
#include "rr/clock.h"
#include "rr/store.h"

#define FRESH_EPISODES  1000
#define STUCK_EPISODES  30000
#define STUCK_NAMESPACE 30
#define WINDOW_MS       (10 * 60 * 1000)
#define PER_TRANSACTION 1000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void must(enum rr_err err, const struct rr_diag *diag, const char *what)
{
    if (err) {
        fprintf(stderr, "facts_bench: %s: %s\n", what, diag->msg);
        exit(1);
    }
}

/* Stores episodes [first, first + n) of BenchIngest, firing, last received at ms; episode i
 * lives on namespace i / per_namespace of `prefix` (or `prefix` itself when per_namespace is 0). */
static void put_episodes(struct rr_store *store, int first, int n, const char *prefix,
                         int per_namespace, int64_t ms)
{
    struct rr_diag diag = {{0}};
    char namespace[64];
    struct rr_label labels[2] = {{"alertname", "BenchIngest"}, {"temporal_namespace", namespace}};
    struct rr_alert alert = {.status = RR_ALERT_FIRING,
                             .labels = {labels, 2},
                             .starts_at = {.sec = ms / 1000},
                             .generator_url = ""};
    struct rr_webhook webhook = {.receiver = "bench", .alerts = &alert, .n_alerts = 1};
    for (int i = first; i < first + n; i++) {
        if ((i - first) % PER_TRANSACTION == 0)
            must(rr_store_begin(store, &diag), &diag, "begin");
        if (per_namespace)
            (void)snprintf(namespace, sizeof namespace, "%s-%02d", prefix, i / per_namespace);
        else
            (void)snprintf(namespace, sizeof namespace, "%s", prefix);
        (void)snprintf(alert.fingerprint, sizeof alert.fingerprint, "%016x", (unsigned)i);
        struct rr_store_decision decision = {.json = "{}",
                                             .layer = "application",
                                             .base_layer = "ambiguous",
                                             .namespace = namespace};
        int64_t receipt = 0;
        enum rr_store_outcome outcome;
        must(rr_store_put_receipt(store, &webhook, ms, &receipt, &diag), &diag, "receipt");
        must(rr_store_put_alert(store, &alert, receipt, ms, &decision, &outcome, &diag), &diag,
             "alert");
        if ((i - first) % PER_TRANSACTION == PER_TRANSACTION - 1 || i == first + n - 1)
            must(rr_store_commit(store, &diag), &diag, "commit");
    }
}

static enum rr_err count_fact(void *ctx, const char *alertname, const char *namespace,
                              const char *cluster, const char *base_layer)
{
    (void)alertname, (void)cluster, (void)base_layer;
    *(unsigned *)ctx += namespace != NULL;
    return RR_OK;
}

/* Microseconds per question, asked until min_s have passed; *namespaces: the last answer's. */
static double time_question(struct rr_store *store, int64_t since_ms, double min_s,
                            unsigned *namespaces)
{
    struct rr_diag diag = {{0}};
    long asked = 0;
    double t0 = now_s(), t;
    do { /* inside a write transaction, as the writer asks it */
        must(rr_store_begin(store, &diag), &diag, "begin");
        for (int i = 0; i < 100; i++, asked++) {
            *namespaces = 0;
            must(rr_store_firing_facts(store, since_ms, "BenchIngest", NULL, 3, count_fact,
                                       namespaces, &diag),
                 &diag, "facts");
        }
        rr_store_rollback(store);
        t = now_s();
    } while (t - t0 < min_s);
    return (t - t0) * 1e6 / (double)asked;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: facts_bench DB_PATH [MIN_SECONDS]\n");
        return 2;
    }
    double min_s = argc > 2 ? atof(argv[2]) : 1.0;
    struct rr_store *store = NULL;
    struct rr_diag diag = {{0}};
    must(rr_store_open(argv[1], NULL, &store, &diag), &diag, "open");
    int64_t now = rr_clock_wall_ms();
    put_episodes(store, 0, FRESH_EPISODES, "payments-prod", 0, now);
    unsigned ns_fresh = 0, ns_stuck = 0;
    double fresh = time_question(store, now - WINDOW_MS, min_s, &ns_fresh);
    put_episodes(store, FRESH_EPISODES, STUCK_EPISODES, "aa-stuck",
                 STUCK_EPISODES / STUCK_NAMESPACE, now - 86400000);
    double stuck = time_question(store, now - WINDOW_MS, min_s, &ns_stuck);
    printf("facts_us_fresh=%.2f facts_us_stuck=%.2f stuck_episodes=%d namespaces_fresh=%u "
           "namespaces_stuck=%u\n",
           fresh, stuck, STUCK_EPISODES, ns_fresh, ns_stuck);
    rr_store_close(store);
    return 0;
}

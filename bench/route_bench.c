/*
 * route_bench: the cost of one decision (PRODUCT §5 steps 1-5: canonical labels, first
 * matching route, built-in rules, team lookup, runbook selection, evidence text) over a
 * generated routing table and runbook set — PRODUCT §11 "routing cost". Built and run by
 * bench/route.sh against the release build's librr_core.a.
 *
 *   route_bench ROUTING_DIR RUNBOOKS_DIR LABELS_FILE [MIN_SECONDS [MAX_SETS]]
 *
 * LABELS_FILE holds one label set per line, space-separated name=value pairs (as
 * bench/route_gen.sh -l writes them). They become one Alertmanager webhook, parsed once, so
 * the timed loop holds nothing but rr_classify() calls: whole passes over every label set,
 * repeated until MIN_SECONDS (default 2) have passed. No correlation set (an ambiguous alert
 * takes its fallback), as `route` without --db decides. MAX_SETS (default 0: all) reads only
 * the first label sets: 10 000 parsed alerts weigh more than the table, so the memory figure
 * comes from a run with few of them.
 *
 * Prints one line:
 *   routes=N runbooks=M label_sets=K load_ms=L us_per_decision=X p99_us=P routed_pct=R
 *   runbook_pct=B index_always=A rss_mib=Y hwm_mib=H rss_loaded_mib=W rss_base_mib=Z
 * rss_mib is VmRSS of this process at the end (table, runbooks, the parsed label sets and
 * everything the decisions touched); hwm_mib its peak (VmHWM: loading included);
 * rss_loaded_mib right after the table and runbooks were loaded; rss_base_mib before.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rr/alert.h"
#include "rr/buf.h"
#include "rr/classify.h"
#include "rr/routing.h"
#include "rr/runbook.h"
#include "rr/text.h"

#define MAX_LINE 8192

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A /proc/self/status field ("VmRSS", "VmHWM") in MiB, or -1. */
static double status_mib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    double mib = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long kb;
        size_t n = strlen(field);
        if (!strncmp(line, field, n) && line[n] == ':' && sscanf(line + n + 1, "%lu", &kb) == 1) {
            mib = (double)kb / 1024.0;
            break;
        }
    }
    fclose(f);
    return mib;
}

static double rss_mib(void)
{
    return status_mib("VmRSS");
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The label sets of LABELS_FILE as one webhook body. */
static char *webhook_from_labels(const char *path, size_t max_sets, size_t *n_sets)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    enum rr_err err = rr_buf_puts(&b, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[");
    char line[MAX_LINE];
    size_t n = 0;
    while (!err && (!max_sets || n < max_sets) && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!*line)
            continue;
        err = rr_buf_printf(&b,
                            "%s{\"status\":\"firing\",\"startsAt\":\"2026-11-22T01:00:00Z\","
                            "\"fingerprint\":\"%016zx\",\"labels\":{",
                            n ? "," : "", n + 1);
        bool first = true;
        for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok && !err;
             tok = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(tok, '=');
            if (!eq)
                continue;
            if (!first)
                err = rr_buf_puts(&b, ",");
            first = false;
            if (!err)
                err = rr_json_append_stringn(&b, tok, (size_t)(eq - tok));
            if (!err)
                err = rr_buf_puts(&b, ":");
            if (!err)
                err = rr_json_append_string(&b, eq + 1);
        }
        if (!err)
            err = rr_buf_puts(&b, "}}");
        n++;
    }
    if (!err)
        err = rr_buf_puts(&b, "]}");
    fclose(f);
    if (err) {
        fprintf(stderr, "route_bench: %s: too large\n", path);
        exit(2);
    }
    *n_sets = n;
    return rr_buf_take(&b);
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: route_bench ROUTING_DIR RUNBOOKS_DIR LABELS_FILE [MIN_SECONDS "
                        "[MAX_SETS]]\n");
        return 2;
    }
    double min_seconds = argc >= 5 ? atof(argv[4]) : 2.0;
    size_t max_sets = argc >= 6 ? (size_t)strtoul(argv[5], NULL, 10) : 0;
    double rss_base = rss_mib();
    struct rr_diag diag = {{0}};
    struct rr_routing *routing = NULL;
    struct rr_runbooks *runbooks = NULL;
    double t0 = now_s();
    if (rr_routing_load(argv[1], &routing, &diag) != RR_OK ||
        rr_runbooks_load(argv[2], &runbooks, &diag) != RR_OK) {
        fprintf(stderr, "route_bench: %s\n", diag.msg);
        return 3;
    }
    double load_ms = (now_s() - t0) * 1000.0;
    double rss_loaded = rss_mib();

    size_t n_sets = 0;
    char *body = webhook_from_labels(argv[3], max_sets, &n_sets);
    struct rr_webhook *wh = NULL;
    if (rr_webhook_parse(body, strlen(body), &wh, &diag) != RR_OK) {
        fprintf(stderr, "route_bench: labels: %s\n", diag.msg);
        return 2;
    }
    free(body);
    if (wh->n_alerts == 0) {
        fprintf(stderr, "route_bench: no label sets in %s\n", argv[3]);
        return 2;
    }

    /* One untimed pass: warms caches and counts what the decisions were. */
    struct rr_decision d;
    size_t routed = 0, with_runbook = 0;
    for (size_t i = 0; i < wh->n_alerts; i++) {
        rr_classify(routing, runbooks, &wh->alerts[i].labels, NULL, &d);
        routed += d.route != NULL;
        with_runbook += d.runbook != NULL;
    }

    /* Throughput: whole passes until min_seconds. */
    uint64_t decisions = 0;
    uintptr_t sink = 0;
    double start = now_s(), elapsed;
    do {
        for (size_t i = 0; i < wh->n_alerts; i++) {
            rr_classify(routing, runbooks, &wh->alerts[i].labels, NULL, &d);
            sink += (uintptr_t)d.runbook + (uintptr_t)d.route + d.n_evidence;
        }
        decisions += wh->n_alerts;
        elapsed = now_s() - start;
    } while (elapsed < min_seconds);

    /* Tail: every decision of one pass timed on its own. */
    int64_t *each = malloc(wh->n_alerts * sizeof *each);
    for (size_t i = 0; i < wh->n_alerts; i++) {
        int64_t a = now_ns();
        rr_classify(routing, runbooks, &wh->alerts[i].labels, NULL, &d);
        each[i] = now_ns() - a;
        sink += (uintptr_t)d.runbook;
    }
    qsort(each, wh->n_alerts, sizeof *each, cmp_i64);
    double p99_us = (double)each[(wh->n_alerts * 99) / 100] / 1000.0;
    free(each);

    struct rr_routing_index_stats st;
    rr_routing_index_stats(routing, &st);
    printf("routes=%zu runbooks=%zu label_sets=%zu load_ms=%.0f us_per_decision=%.3f p99_us=%.2f "
           "routed_pct=%.0f runbook_pct=%.0f index_always=%zu rss_mib=%.1f hwm_mib=%.1f "
           "rss_loaded_mib=%.1f rss_base_mib=%.1f\n",
           rr_routing_route_count(routing), rr_runbooks_count(runbooks), wh->n_alerts, load_ms,
           elapsed * 1e6 / (double)decisions, p99_us, 100.0 * (double)routed / (double)wh->n_alerts,
           100.0 * (double)with_runbook / (double)wh->n_alerts, st.always, rss_mib(),
           status_mib("VmHWM"), rss_loaded, rss_base);
    if (sink == 42)
        fprintf(stderr, "\n"); /* keeps the loop's results alive */
    rr_webhook_free(wh);
    rr_routing_free(routing);
    rr_runbooks_free(runbooks);
    return 0;
}

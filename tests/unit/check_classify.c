/*
 * classify: table-driven decisions. Each file in tests/fixtures/classify/cases/ is a payload
 * (alerts, and optionally alerts already stored and firing) and the exact decision expected
 * for every alert, under the routing table and runbooks of tests/fixtures/classify/. Evidence
 * is human text: it must be there, but only the other fields are compared exactly.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "rr/classify.h"
#include "testlib.h"

static char *case_files[64];
static int n_cases;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_cases(void)
{
    char *dir = rr_test_fixture("classify/cases");
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".json") && n_cases < 64) {
            size_t len = strlen(dir) + n + 2;
            case_files[n_cases] = malloc(len);
            snprintf(case_files[n_cases++], len, "%s/%s", dir, e->d_name);
        }
    }
    if (d)
        closedir(d);
    free(dir);
    qsort(case_files, (size_t)n_cases, sizeof case_files[0], by_name);
}

/* A version 4 body around alerts given as {"labels": {...}, "status"?: ...}. */
static char *webhook_body(json_t *alerts)
{
    json_t *out = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a) {
        const char *status = json_string_value(json_object_get(a, "status"));
        char fp[17];
        snprintf(fp, sizeof fp, "%016zx", i + 1);
        json_array_append_new(out, json_pack("{s:s, s:O, s:s, s:s}", "status",
                                             status ? status : "firing", "labels",
                                             json_object_get(a, "labels"), "startsAt",
                                             "2026-11-22T01:00:00Z", "fingerprint", fp));
    }
    json_t *body = json_pack("{s:s, s:s, s:o}", "version", "4", "status", "firing", "alerts", out);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

struct collected {
    struct rr_decision *d;
};

static enum rr_err collect(void *ctx, size_t index, const struct rr_decision *d)
{
    struct collected *c = ctx;
    c->d[index] = *d;
    return RR_OK;
}

/* The test's stored facts are few: hand them all over, whatever the question. */
static const struct rr_evidence_set *stored_facts(void *ctx, const char *alertname,
                                                  const char *cluster, unsigned max_namespaces)
{
    (void)alertname;
    (void)cluster;
    (void)max_namespaces;
    return ctx;
}

static struct rr_routing *routing;
static struct rr_runbooks *runbooks;

static void load_config(void)
{
    struct rr_diag diag = {{0}};
    char *dir = rr_test_fixture("classify/routing");
    ck_assert_msg(rr_routing_load(dir, &routing, &diag) == RR_OK, "%s", diag.msg);
    free(dir);
    dir = rr_test_fixture("classify/runbooks");
    ck_assert_msg(rr_runbooks_load(dir, &runbooks, &diag) == RR_OK, "%s", diag.msg);
    free(dir);
}

static void free_config(void)
{
    rr_routing_free(routing);
    rr_runbooks_free(runbooks);
}

START_TEST(test_case)
{
    load_config();
    json_error_t jerr;
    json_t *c = json_load_file(case_files[_i], 0, &jerr);
    ck_assert_msg(c != NULL, "%s: %s", case_files[_i], jerr.text);
    char *body = webhook_body(json_object_get(c, "alerts"));
    struct rr_webhook *wh = NULL;
    struct rr_diag diag = {{0}};
    ck_assert_msg(rr_webhook_parse(body, strlen(body), &wh, &diag) == RR_OK, "%s", diag.msg);

    /* Stored firing alerts become facts the way the store keeps them: their step-2 layer. */
    json_t *stored_labels = json_object_get(c, "stored_firing");
    char *stored_body = NULL;
    struct rr_webhook *stored = NULL;
    struct rr_fact facts[16];
    struct rr_decision base;
    size_t n_facts = 0;
    if (stored_labels) {
        json_t *wrapped = json_array();
        size_t i;
        json_t *l;
        json_array_foreach(stored_labels, i, l) json_array_append_new(wrapped,
                                                                      json_pack("{s:O}", "labels", l));
        stored_body = webhook_body(wrapped);
        json_decref(wrapped);
        ck_assert(rr_webhook_parse(stored_body, strlen(stored_body), &stored, &diag) == RR_OK);
        for (i = 0; i < stored->n_alerts && n_facts < 16; i++) {
            rr_classify_base(routing, &stored->alerts[i].labels, &base);
            facts[n_facts++] = (struct rr_fact){base.alertname, base.canon[RR_CANON_NAMESPACE],
                                                base.canon[RR_CANON_CLUSTER], base.base_layer};
        }
    }
    struct rr_evidence_set set = {facts, n_facts, NULL};
    struct collected got_decisions = {.d = calloc(wh->n_alerts, sizeof(struct rr_decision))};
    ck_assert(rr_classify_request(routing, runbooks, wh, stored_facts, &set, collect,
                                  &got_decisions) == RR_OK);
    struct rr_decision *d = got_decisions.d;

    json_t *expect = json_object_get(c, "expect");
    ck_assert_uint_eq(json_array_size(expect), wh->n_alerts);
    for (size_t i = 0; i < wh->n_alerts; i++) {
        struct rr_buf out;
        rr_buf_init(&out, 1 << 20);
        ck_assert(rr_decision_to_json(&d[i], &out) == RR_OK);
        json_t *got = json_loads(out.data, 0, &jerr);
        ck_assert_msg(got != NULL, "decision is not JSON: %s", out.data);
        json_t *ev = json_object_get(got, "evidence");
        ck_assert_msg(json_is_array(ev) && json_array_size(ev) > 0, "no evidence: %s", out.data);
        for (size_t k = 0; k < json_array_size(ev); k++)
            ck_assert(json_string_length(json_array_get(ev, k)) > 0);
        json_object_del(got, "evidence");
        char *want_text = json_dumps(json_array_get(expect, i), JSON_SORT_KEYS);
        char *got_text = json_dumps(got, JSON_SORT_KEYS);
        ck_assert_msg(json_equal(got, json_array_get(expect, i)),
                      "%s alert %zu:\n want %s\n  got %s\n full %s", case_files[_i], i, want_text,
                      got_text, out.data);
        free(want_text);
        free(got_text);
        json_decref(got);
        rr_buf_release(&out);
    }
    free(d);
    rr_webhook_free(stored);
    free(stored_body);
    rr_webhook_free(wh);
    free(body);
    json_decref(c);
    free_config();
}
END_TEST

/* Payload order never matters: the 3-namespace case gives the same decisions reversed. */
START_TEST(test_order_independent)
{
    load_config();
    const char *alerts[3] = {"payments-prod", "orders-prod", "search-prod"};
    char body[2048];
    size_t n = 0;
    n += (size_t)snprintf(body, sizeof body, "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[");
    for (int k = 2; k >= 0; k--)
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "%s{\"status\":\"firing\",\"labels\":{\"alertname\":"
                              "\"TemporalWorkflowTaskScheduleToStartLatencyHigh\","
                              "\"temporal_namespace\":\"%s\"},\"startsAt\":"
                              "\"2026-11-22T01:00:00Z\",\"fingerprint\":\"000000000000000%d\"}",
                              k == 2 ? "" : ",", alerts[k], k);
    snprintf(body + n, sizeof body - n, "]}");
    struct rr_webhook *wh = NULL;
    ck_assert(rr_webhook_parse(body, strlen(body), &wh, NULL) == RR_OK);
    struct rr_decision d[3];
    struct collected c = {d};
    ck_assert(rr_classify_request(routing, runbooks, wh, NULL, NULL, collect, &c) == RR_OK);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(d[k].layer, RR_LAYER_PLATFORM);
    rr_webhook_free(wh);
    free_config();
}
END_TEST

/* A request of many ambiguous alerts (mixed namespaces and clusters, one platform alert in one
 * cluster, stored facts too) gets, alert by alert, exactly the decision rr_classify gives that
 * alert with the request's evidence set: answering a storm's alerts once changes nothing. */
START_TEST(test_request_matches_alert_by_alert)
{
    load_config();
    enum { N = 60 };
    static const char *const ns[] = {"payments-prod", "payments-prod", "orders-prod",
                                     "payments-prod", "orders-prod"};
    static const char *const clusters[] = {NULL, "east", "west"};
    json_t *alerts = json_array();
    for (int i = 0; i < N; i++) {
        /* Neighbours share a namespace across clusters: an answer reused from the wrong
         * cluster (or namespace) would show. */
        const char *cluster = i == 37 ? "east" : clusters[i % 3];
        json_t *labels = json_pack("{s:s, s:s}", "alertname",
                                   i == 37 ? "TemporalPersistenceLatencyHigh"
                                           : "TemporalWorkflowTaskScheduleToStartLatencyHigh",
                                   "temporal_namespace", ns[(i / 3) % 5]);
        if (cluster)
            json_object_set_new(labels, "temporal_cluster", json_string(cluster));
        json_array_append_new(alerts, json_pack("{s:o}", "labels", labels));
    }
    char *body = webhook_body(alerts);
    json_decref(alerts);
    struct rr_webhook *wh = NULL;
    ck_assert(rr_webhook_parse(body, strlen(body), &wh, NULL) == RR_OK);
    struct rr_fact stored[] = {
        {.alertname = "TemporalWorkflowTaskScheduleToStartLatencyHigh",
         .namespace = "billing-prod",
         .cluster = "north",
         .base_layer = RR_LAYER_AMBIGUOUS},
    };
    /* The reference evidence: the request's own firing alerts (after the stored facts). */
    struct rr_fact own[N];
    static struct rr_decision base[N], got[N], want;
    for (int i = 0; i < N; i++) {
        rr_classify_base(routing, &wh->alerts[i].labels, &base[i]);
        own[i] = (struct rr_fact){.alertname = base[i].alertname,
                                  .namespace = base[i].canon[RR_CANON_NAMESPACE],
                                  .cluster = base[i].canon[RR_CANON_CLUSTER],
                                  .base_layer = base[i].base_layer};
    }
    struct rr_evidence_set own_set = {.facts = own, .n = N};
    struct rr_evidence_set stored_set = {.facts = stored, .n = 1, .next = &own_set};
    for (int with_stored = 0; with_stored < 2; with_stored++) {
        struct rr_evidence_set only_stored = {.facts = stored, .n = 1};
        struct collected c = {got};
        ck_assert(rr_classify_request(routing, runbooks, wh, with_stored ? stored_facts : NULL,
                                      &only_stored, collect, &c) == RR_OK);
        int platform = 0;
        for (int i = 0; i < N; i++) {
            rr_classify(routing, runbooks, &wh->alerts[i].labels,
                        with_stored ? &stored_set : &own_set, &want);
            ck_assert_msg(got[i].layer == want.layer, "alert %d, stored facts %d", i, with_stored);
            ck_assert_uint_eq(got[i].n_evidence, want.n_evidence);
            for (size_t k = 0; k < want.n_evidence; k++)
                ck_assert_str_eq(got[i].evidence[k], want.evidence[k]);
            platform += want.layer == RR_LAYER_PLATFORM;
        }
        /* Both answers occur, so the comparison covers both. */
        ck_assert_int_gt(platform, 0);
        ck_assert_int_lt(platform, N);
    }
    rr_webhook_free(wh);
    free(body);
    free_config();
}
END_TEST

/* The shipped configuration loads and decides the captured fixtures sensibly. */
START_TEST(test_shipped_config_loads)
{
    struct rr_diag diag = {{0}};
    struct rr_routing *r = NULL;
    struct rr_runbooks *rb = NULL;
    char *dir = rr_test_source_path("routing");
    ck_assert_msg(rr_routing_load(dir, &r, &diag) == RR_OK, "%s", diag.msg);
    free(dir);
    dir = rr_test_source_path("runbooks");
    ck_assert_msg(rr_runbooks_load(dir, &rb, &diag) == RR_OK, "%s", diag.msg);
    free(dir);
    rr_routing_free(r);
    rr_runbooks_free(rb);
}
END_TEST

int main(void)
{
    find_cases();
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("decisions");
    tcase_add_loop_test(tc, test_case, 0, n_cases);
    tcase_add_test(tc, test_order_independent);
    tcase_add_test(tc, test_request_matches_alert_by_alert);
    tcase_add_test(tc, test_shipped_config_loads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < n_cases; i++)
        free(case_files[i]);
    return failed || n_cases < 14 ? EXIT_FAILURE : EXIT_SUCCESS;
}

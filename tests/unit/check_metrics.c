/* metrics: the exposition a scraper reads — names, values, and promtool's lint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rr/metrics.h"

#include "testlib.h"

static char *render(void)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 20);
    ck_assert_int_eq(rr_metrics_render(&b), RR_OK);
    return rr_buf_take(&b);
}

START_TEST(test_counters_render_their_values)
{
    rr_metrics_reset();
    rr_metrics_add(RR_M_ALERTS_STORED, 3);
    rr_metrics_add(RR_M_ALERTS_DUPLICATE, 2);
    rr_metrics_add(RR_M_ALERTS_RECEIVED_RESOLVED, 5);
    rr_metrics_webhook_request(200);
    rr_metrics_webhook_request(200);
    rr_metrics_webhook_request(503);
    rr_metrics_webhook_request(418); /* not a code /webhook answers: "other" */
    rr_metrics_observe_commit(3000000, 7);
    char *text = render();
    ck_assert_ptr_nonnull(strstr(text, "runbook_router_alerts_stored_total 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "runbook_router_alerts_duplicate_total 2\n"));
    ck_assert_ptr_nonnull(
        strstr(text, "runbook_router_alerts_received_total{status=\"resolved\"} 5\n"));
    ck_assert_ptr_nonnull(
        strstr(text, "runbook_router_alerts_received_total{status=\"firing\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "runbook_router_webhook_requests_total{code=\"200\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "runbook_router_webhook_requests_total{code=\"503\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(text, "runbook_router_webhook_requests_total{code=\"other\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(text, "runbook_router_store_commit_seconds_bucket{le=\"0.0025\"} 0\n"));
    ck_assert_ptr_nonnull(
        strstr(text, "runbook_router_store_commit_seconds_bucket{le=\"0.005\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "runbook_router_store_commit_seconds_count 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "runbook_router_store_commit_requests_total 7\n"));
    /* One HELP line per family even when a family has several samples. */
    const char *help = "# HELP runbook_router_alerts_received_total";
    char *first = strstr(text, help);
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(strstr(first + 1, help));
    free(text);
}
END_TEST

START_TEST(test_promtool_check_metrics_is_clean)
{
    rr_metrics_reset();
    rr_metrics_add(RR_M_ALERTS_STORED, 1);
    rr_metrics_observe_commit(1000000, 1);
    char *text = render();
    char *dir = rr_test_tmpdir();
    char path[600], cmd[1400];
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s > %s/lint.txt 2>&1", path, dir);
    int rc = system(cmd);
    snprintf(path, sizeof path, "%s/lint.txt", dir);
    char *lint = rr_test_read_file(path, NULL);
    ck_assert_msg(rc == 0 && lint[0] == '\0', "promtool check metrics: rc=%d\n%s", rc, lint);
    free(lint);
    free(text);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_counters_render_their_values);
    tcase_add_test(tc, test_promtool_check_metrics_is_clean);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

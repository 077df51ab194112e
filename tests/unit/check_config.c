/* config: defaults, environment, flags, and the errors a user sees for bad ones. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rr/config.h"

static enum rr_err parse(enum rr_command cmd, struct rr_config *cfg, struct rr_diag *diag, ...)
{
    static char name[] = "serve";
    char *argv[32];
    int argc = 0;
    argv[argc++] = name;
    va_list ap;
    va_start(ap, diag);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    return rr_config_parse(cmd, argc, argv, cfg, diag);
}

START_TEST(test_defaults)
{
    unsetenv("RUNBOOK_ROUTER_LISTEN");
    struct rr_config cfg;
    struct rr_diag d = {{0}};
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, NULL), RR_OK);
    ck_assert_str_eq(cfg.listen, "127.0.0.1:9095");
    ck_assert_str_eq(cfg.db, "var/runbook-router.db");
    ck_assert_str_eq(cfg.routing, "routing");
    ck_assert_str_eq(cfg.runbooks, "runbooks");
    ck_assert_str_eq(cfg.external_url, "http://127.0.0.1:9095");
    ck_assert_int_eq(cfg.max_body_bytes, 8388608);
    ck_assert_int_eq(cfg.log_level, RR_LOG_INFO);
    ck_assert(!cfg.dry_run);
    ck_assert_ptr_null(cfg.auth_token_file);
    rr_config_release(&cfg);
}
END_TEST

START_TEST(test_flag_wins_over_environment)
{
    setenv("RUNBOOK_ROUTER_LISTEN", "127.0.0.1:7000", 1);
    setenv("RUNBOOK_ROUTER_MAX_BODY_BYTES", "4096", 1);
    setenv("RUNBOOK_ROUTER_DRY_RUN", "true", 1);
    struct rr_config cfg;
    struct rr_diag d = {{0}};
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, "--listen", "127.0.0.1:8000", NULL), RR_OK);
    ck_assert_str_eq(cfg.listen, "127.0.0.1:8000");
    ck_assert_int_eq(cfg.max_body_bytes, 4096);
    ck_assert(cfg.dry_run);
    rr_config_release(&cfg);
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, "--max-body-bytes=2048", "--dry-run=false",
                           "--log-level", "debug", NULL),
                     RR_OK);
    ck_assert_int_eq(cfg.max_body_bytes, 2048);
    ck_assert(!cfg.dry_run);
    ck_assert_int_eq(cfg.log_level, RR_LOG_DEBUG);
    rr_config_release(&cfg);
    rr_log_threshold = RR_LOG_INFO;
}
END_TEST

START_TEST(test_errors_name_the_flag_or_variable)
{
    struct rr_config cfg;
    struct rr_diag d = {{0}};
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, "--nope", NULL), RR_ERR_INVAL);
    ck_assert_str_eq(d.msg, "unknown flag --nope");
    rr_config_release(&cfg);
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, "--listen", NULL), RR_ERR_INVAL);
    ck_assert_str_eq(d.msg, "flag --listen needs a value");
    rr_config_release(&cfg);
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, "--log-level", "loud", NULL), RR_ERR_INVAL);
    ck_assert_str_eq(d.msg, "flag --log-level: want debug, info, warn or error, got 'loud'");
    rr_config_release(&cfg);
    setenv("RUNBOOK_ROUTER_MAX_BODY_BYTES", "lots", 1);
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, NULL), RR_ERR_INVAL);
    ck_assert_str_eq(d.msg, "RUNBOOK_ROUTER_MAX_BODY_BYTES: want a byte count between 1024 and "
                            "1073741824, got 'lots'");
    unsetenv("RUNBOOK_ROUTER_MAX_BODY_BYTES");
    rr_config_release(&cfg);
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, "--tls-cert", "c.pem", NULL), RR_ERR_INVAL);
    ck_assert_str_eq(d.msg, "--tls-cert and --tls-key go together");
    rr_config_release(&cfg);
}
END_TEST

START_TEST(test_tls_makes_external_url_https_and_args_are_kept)
{
    struct rr_config cfg;
    struct rr_diag d = {{0}};
    ck_assert_int_eq(
        parse(RR_CMD_SERVE, &cfg, &d, "--tls-cert", "c", "--tls-key", "k", "extra", NULL), RR_OK);
    ck_assert_str_eq(cfg.external_url, "https://127.0.0.1:9095");

    ck_assert_int_eq(cfg.n_args, 1);
    ck_assert_str_eq(cfg.args[0], "extra");
    rr_config_release(&cfg);
    /* Links append "/runbooks/id": a trailing slash is dropped, so there is never "//". */
    ck_assert_int_eq(parse(RR_CMD_SERVE, &cfg, &d, "--external-url", "https://rr.example/x//",
                           NULL),
                     RR_OK);
    ck_assert_str_eq(cfg.external_url, "https://rr.example/x");
    rr_config_release(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_flag_wins_over_environment);
    tcase_add_test(tc, test_errors_name_the_flag_or_variable);
    tcase_add_test(tc, test_tls_makes_external_url_https_and_args_are_kept);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * cmd_serve: `runbook-router serve` — start the store's writer, the HTTP server, then wait for
 * signals. SIGTERM/SIGINT: stop accepting, finish in-flight requests (their commits included),
 * close the store, exit 0.
 */
#define RR_LOG_MODULE "serve"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rr/auth.h"
#include "rr/buf.h"
#include "rr/cli.h"
#include "rr/config.h"
#include "rr/dispatch.h"
#include "rr/http.h"
#include "rr/ingest.h"
#include "rr/live.h"
#include "rr/log.h"
#include "rr/notify.h"
#include "rr/pager.h"

#define PEM_MAX_BYTES (1 << 20)

static enum rr_err read_pem(const char *path, char **out, struct rr_diag *diag)
{
    struct rr_buf b;
    rr_buf_init(&b, PEM_MAX_BYTES);
    enum rr_err err = rr_buf_read_file(&b, path, diag);
    if (err) {
        rr_buf_release(&b);
        return err;
    }
    *out = rr_buf_take(&b);
    return RR_OK;
}

static int fail(int code, const char *what, const struct rr_diag *diag)
{
    char q[600];
    RR_ERROR(what, "detail=%s", rr_log_q(q, sizeof q, diag->msg));
    return code;
}

/* Blocks until SIGTERM or SIGINT; SIGHUP reloads routing/ and runbooks/ meanwhile. */
static int wait_for_stop(const sigset_t *set, struct rr_live *live)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            return SIGTERM;
        if (sig == SIGHUP) {
            struct rr_diag diag = {{0}};
            /* The outcome is logged there; a failure keeps the old configuration. */
            rr_http_reload_config(live, "SIGHUP", &diag);
            continue;
        }
        return sig;
    }
}

int rr_cmd_serve(int argc, char **argv)
{
    struct rr_config cfg;
    struct rr_diag diag = {{0}};
    if (rr_config_parse(RR_CMD_SERVE, argc, argv, &cfg, &diag)) {
        fprintf(stderr, "runbook-router serve: %s\n", diag.msg);
        rr_config_release(&cfg);
        return RR_EXIT_USAGE;
    }
    if (cfg.help) {
        printf("usage: runbook-router serve [options]\n\n");
        rr_config_usage(RR_CMD_SERVE, stdout);
        rr_config_release(&cfg);
        return RR_EXIT_OK;
    }
    if (cfg.n_args) {
        fprintf(stderr, "runbook-router serve: unexpected argument '%s'\n", cfg.args[0]);
        rr_config_release(&cfg);
        return RR_EXIT_USAGE;
    }

    int code = RR_EXIT_OK;
    struct rr_auth *auth = NULL;
    char *cert = NULL, *key = NULL;
    struct rr_ingest *ingest = NULL;
    struct rr_http *http = NULL;
    struct rr_live *live = NULL;
    struct rr_dispatch *dispatch = NULL;

    /* Signals are blocked before any thread starts, so only sigwait() below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (rr_auth_load(cfg.auth_token_file, cfg.basic_auth_file, &auth, &diag)) {
        code = fail(RR_EXIT_LOAD, "cannot load credentials", &diag);
        goto out;
    }
    if (cfg.tls_cert &&
        (read_pem(cfg.tls_cert, &cert, &diag) || read_pem(cfg.tls_key, &key, &diag))) {
        code = fail(RR_EXIT_LOAD, "cannot load TLS certificate or key", &diag);
        goto out;
    }
    if (rr_live_new(cfg.routing, cfg.runbooks, &live, &diag)) {
        code = fail(RR_EXIT_LOAD, "cannot load the routing table or runbooks", &diag);
        goto out;
    }
    /* The database holds PagerDuty routing keys for resolves: keep it private to this user. */
    umask(077);
    struct rr_snapshot *first = rr_live_acquire(live);
    bool dry_run = cfg.dry_run || !rr_pager_any_secret(first->routing);
    rr_live_release(live, first);
    if (dry_run)
        RR_WARN(cfg.dry_run ? "dry run: pages are written to the log, not sent"
                            : "dry run: no Slack or PagerDuty secret is set, so pages are written "
                              "to the log, not sent",
                "%s", "");
    rr_notify_global_init();
    struct rr_ingest_options iopts = {.live = live, .external_url = cfg.external_url};
    if (rr_ingest_start(cfg.db, &iopts, &ingest, &diag)) {
        code = fail(RR_EXIT_RUNTIME, "cannot open the database", &diag);
        goto out;
    }
    /* The dispatcher writes through ingest's group commits: one writer for the database. */
    struct rr_dispatch_options dopts = {.db_path = cfg.db,
                                        .ingest = ingest,
                                        .live = live,
                                        .external_url = cfg.external_url,
                                        .dry_run = dry_run};
    if (rr_dispatch_start(&dopts, &dispatch, &diag)) {
        code = fail(RR_EXIT_RUNTIME, "cannot start the page dispatcher", &diag);
        goto out;
    }
    rr_ingest_set_on_commit(ingest, rr_dispatch_kick, dispatch);
    struct rr_http_options hopts = {
        .listen = cfg.listen,
        .max_body_bytes = (size_t)cfg.max_body_bytes,
        .auth = auth,
        .tls_cert_pem = cert,
        .tls_key_pem = key,
        .ingest = ingest,
        .live = live,
        .db_path = cfg.db,
    };
    if (rr_http_start(&hopts, &http, &diag)) {
        code = fail(RR_EXIT_RUNTIME, "cannot start the HTTP server", &diag);
        goto out;
    }
    char qdb[512];
    RR_INFO("listening", "addr=%s port=%u tls=%s auth=%s db=%s", cfg.listen,
            (unsigned)rr_http_port(http), cert ? "on" : "off", rr_auth_enabled(auth) ? "on" : "off",
            rr_log_q(qdb, sizeof qdb, cfg.db));

    struct rr_snapshot *snap = rr_live_acquire(live);
    RR_INFO("configuration loaded", "teams=%zu routes=%zu runbooks=%zu",
            rr_routing_team_count(snap->routing), rr_routing_route_count(snap->routing),
            rr_runbooks_count(snap->runbooks));
    rr_live_release(live, snap);
    int sig = wait_for_stop(&set, live);
    RR_INFO("stopping", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");

out:
    rr_http_stop(http); /* finishes in-flight requests, their commits included */
    /* No new webhooks now; the dispatcher finishes its sends and records them through ingest,
     * so it stops first. */
    if (ingest)
        rr_ingest_set_on_commit(ingest, NULL, NULL);
    rr_dispatch_stop(dispatch);
    rr_ingest_stop(ingest);
    rr_live_free(live);
    rr_auth_free(auth);
    free(cert);
    if (key) {
        memset(key, 0, strlen(key));
        free(key);
    }
    if (code == RR_EXIT_OK)
        RR_INFO("stopped", "%s", "");
    rr_config_release(&cfg);
    return code;
}

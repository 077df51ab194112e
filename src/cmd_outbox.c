/*
 * cmd_outbox: `runbook-router outbox list|retry|drop` — see and mend undeliverable pages.
 *
 *   runbook-router outbox list [--state pending|sending|sent|dead|folded|dropped] [--db PATH]
 *   runbook-router outbox retry ID     dead (or pending) -> pending now, attempts reset
 *   runbook-router outbox drop ID      pending or dead -> dropped (never sent)
 *
 * Works beside a running `serve` (SQLite serialises the writers; the dispatcher picks a retried
 * page up within a second). Payloads are never printed: they may hold routing keys.
 * Exit 0 ok, 1 no such page in a state that allows it, 2 usage, 4 database failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr/cli.h"
#include "rr/clock.h"
#include "rr/config.h"
#include "rr/outbox.h"
#include "rr/store.h"

static enum rr_err print_row(void *ctx, const struct rr_outbox_row *r)
{
    (void)ctx;
    char created[40], next[40];
    printf("%-6lld %-8s %-9s %-8s %-16s %-9s %8d  %s  %s  %s%s%s\n", (long long)r->id, r->state,
           r->channel, r->kind, r->team, r->result ? r->result : "-", r->attempts,
           rr_clock_format_ms(r->created_ms, created, sizeof created),
           strcmp(r->state, "pending") ? "-"
                                       : rr_clock_format_ms(r->next_attempt_ms, next, sizeof next),
           r->line, r->last_error ? "  last error: " : "", r->last_error ? r->last_error : "");
    return RR_OK;
}

static int usage(FILE *out)
{
    fprintf(out, "usage: runbook-router outbox list [--state STATE] [--db PATH]\n"
                 "       runbook-router outbox retry ID [--db PATH]\n"
                 "       runbook-router outbox drop ID [--db PATH]\n");
    return out == stdout ? RR_EXIT_OK : RR_EXIT_USAGE;
}

int rr_cmd_outbox(int argc, char **argv)
{
    struct rr_config cfg;
    struct rr_diag diag = {{0}};
    int code = RR_EXIT_OK;
    struct rr_store *store = NULL;
    if (rr_config_parse(RR_CMD_OUTBOX, argc, argv, &cfg, &diag)) {
        fprintf(stderr, "runbook-router outbox: %s\n", diag.msg);
        code = RR_EXIT_USAGE;
        goto out;
    }
    if (cfg.help) {
        code = usage(stdout);
        goto out;
    }
    const char *verb = cfg.n_args ? cfg.args[0] : "";
    bool list = !strcmp(verb, "list") && cfg.n_args == 1;
    bool change = (!strcmp(verb, "retry") || !strcmp(verb, "drop")) && cfg.n_args == 2;
    if (!list && !change) {
        code = usage(stderr);
        goto out;
    }
    static const char *const states[] = {"pending", "sending", "sent", "dead", "folded", "dropped"};
    bool known = !cfg.state;
    for (size_t i = 0; i < sizeof states / sizeof states[0] && !known; i++)
        known = !strcmp(cfg.state, states[i]);
    if (!known) {
        fprintf(stderr, "runbook-router outbox: --state: want pending, sending, sent, dead, "
                        "folded or dropped\n");
        code = RR_EXIT_USAGE;
        goto out;
    }
    if (cfg.state && !list) {
        fprintf(stderr, "runbook-router outbox: --state goes with list\n");
        code = RR_EXIT_USAGE;
        goto out;
    }
    long long id = 0;
    if (change) {
        char *end;
        errno = 0;
        id = strtoll(cfg.args[1], &end, 10);
        if (errno || *end || id <= 0) {
            fprintf(stderr, "runbook-router outbox: '%s' is not a page id\n", cfg.args[1]);
            code = RR_EXIT_USAGE;
            goto out;
        }
    }
    struct rr_store_options so = {.readonly = list};
    if (rr_store_open(cfg.db, &so, &store, &diag)) {
        fprintf(stderr, "runbook-router outbox: %s\n", diag.msg);
        code = RR_EXIT_RUNTIME;
        goto out;
    }
    enum rr_err err;
    if (list) {
        printf("%-6s %-8s %-9s %-8s %-16s %-9s %8s  %-24s  %-24s  %s\n", "ID", "STATE", "CHANNEL",
               "KIND", "TEAM", "RESULT", "ATTEMPTS", "CREATED", "NEXT ATTEMPT", "PAGE");
        err = rr_outbox_list(store, cfg.state, 1000, print_row, NULL, &diag);
    } else {
        err = rr_store_begin(store, &diag);
        if (!err)
            err = !strcmp(verb, "retry") ? rr_outbox_retry(store, id, rr_clock_wall_ms(), &diag)
                                         : rr_outbox_drop(store, id, &diag);
        if (!err)
            err = rr_store_commit(store, &diag);
        else
            rr_store_rollback(store);
        if (!err)
            printf("page %lld: %s\n", id, !strcmp(verb, "retry") ? "queued again" : "dropped");
    }
    if (err) {
        fprintf(stderr, "runbook-router outbox: %s\n", diag.msg);
        code = err == RR_ERR_NOTFOUND ? RR_EXIT_FINDINGS : RR_EXIT_RUNTIME;
    }
out:
    rr_store_close(store);
    rr_config_release(&cfg);
    return code;
}

/*
 * config: command-line flags and environment variables of every subcommand, from one table.
 *
 * Each option is described once (name, kind, default, help, which subcommands take it); that
 * table drives parsing, defaults, `--help` and the README's configuration reference. Flag
 * `--foo-bar` and environment variable RUNBOOK_ROUTER_FOO_BAR set the same option; the flag
 * wins over the variable, which wins over the default (PRODUCT §2). Options naming secrets
 * take FILES (--auth-token-file); the secret itself is read by the module that needs it and
 * never printed.
 *
 * Thread: parse once at start-up; the result is then read-only.
 */
#ifndef RR_CONFIG_H
#define RR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rr/err.h"
#include "rr/log.h"

/* Subcommands, as bits so an option can belong to several. */
enum rr_command {
    RR_CMD_SERVE = 1 << 0,
    RR_CMD_CHECK = 1 << 1,
    RR_CMD_ROUTE = 1 << 2,
    RR_CMD_COVERAGE = 1 << 3,
    RR_CMD_REPORT = 1 << 4,
    RR_CMD_REROUTE = 1 << 5,
    RR_CMD_REPLAY = 1 << 6,
    RR_CMD_OUTBOX = 1 << 7,
};

#define RR_CONFIG_MAX_ARGS 256 /* positional arguments kept */
#define RR_CONFIG_MAX_LIST 256 /* values of a repeatable option such as --rules */

/* A repeatable option: the flag may be given again and takes the non-flag arguments after it
 * too (--rules a.yml b.yml --rules dir); flags replace what the environment set. */
struct rr_config_list {
    const char *items[RR_CONFIG_MAX_LIST]; /* borrowed from argv or the environment */
    int n;
};

struct rr_config {
    const char *listen;                    /* serve: ADDR:PORT, default 127.0.0.1:9095 */
    const char *db;                        /* database path, default var/runbook-router.db */
    const char *routing;                   /* routing table directory, default routing */
    const char *runbooks;                  /* runbooks directory, default runbooks */
    const char *external_url;              /* base of links in pages; default http://<listen> */
    bool dry_run;                          /* write pages to the log instead of sending them */
    const char *auth_token_file;           /* bearer token file, or NULL */
    const char *basic_auth_file;           /* "user:password" lines, or NULL */
    const char *tls_cert;                  /* PEM certificate file, or NULL */
    const char *tls_key;                   /* PEM key file, or NULL */
    const char *slack_signing_secret_file; /* or NULL */
    int64_t max_body_bytes;                /* cap on a webhook body, default 8388608 */
    enum rr_log_level log_level;           /* default info */
    const char *format;                    /* route/coverage/report output format, or NULL */
    const char *payload;                   /* route: payload file, or NULL */
    const char *state;                     /* outbox list: a page state, or NULL */
    struct rr_config_list rules;           /* coverage: Prometheus rule files or directories */
    const char *team; /* coverage: only this team's (alert, team) pairs, or NULL */
    bool no_generic;  /* coverage: a "*" runbook does not count */
    bool help;        /* --help was given */
    const char *args[RR_CONFIG_MAX_ARGS]; /* positional arguments, borrowed from argv */
    int n_args;
    char *owned[32]; /* private: strings this module allocated */
    int n_owned;
};

/*
 * Fills cfg from defaults, the environment and argv (argv[0] is the subcommand name).
 * Borrowed pointers into argv and the environment stay valid for the process's life.
 * @return RR_OK, or RR_ERR_INVAL with "flag --foo: ..." / "RUNBOOK_ROUTER_FOO: ..." in diag.
 */
RR_NODISCARD enum rr_err rr_config_parse(enum rr_command cmd, int argc, char **argv,
                                         struct rr_config *cfg, struct rr_diag *diag);

/* Frees what rr_config_parse allocated. */
void rr_config_release(struct rr_config *cfg);

/* Writes the option list of cmd (flag, environment variable, default, help) to out. */
void rr_config_usage(enum rr_command cmd, FILE *out);

#endif

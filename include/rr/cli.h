/*
 * cli: the subcommands of runbook-router and their exit codes (PRODUCT §10).
 *
 * Adding a subcommand: (1) write src/cmd_<name>.c with rr_cmd_<name>(argc, argv), where
 * argv[0] is the subcommand name; (2) declare it here; (3) add it to `commands` in main.c;
 * (4) give its options a row in config.c; (5) test it and document it in the README.
 */
#ifndef RR_CLI_H
#define RR_CLI_H

enum rr_exit {
    RR_EXIT_OK = 0,       /* done */
    RR_EXIT_FINDINGS = 1, /* coverage gaps; check: rule violations */
    RR_EXIT_USAGE = 2,    /* bad flags or arguments, bad payload for route */
    RR_EXIT_LOAD = 3,     /* could not load configuration or input files */
    RR_EXIT_RUNTIME = 4,  /* database or network failure */
};

int rr_cmd_serve(int argc, char **argv);
int rr_cmd_check(int argc, char **argv);
int rr_cmd_route(int argc, char **argv);
int rr_cmd_outbox(int argc, char **argv);
int rr_cmd_coverage(int argc, char **argv);

#endif

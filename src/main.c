/* main: the command table of runbook-router. */
#include <stdio.h>
#include <string.h>

#include "rr/cli.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"serve", rr_cmd_serve, "run the Alertmanager webhook receiver and its HTTP API"},
    {"check", rr_cmd_check, "validate routing/ and runbooks/"},
    {"route", rr_cmd_route, "explain the decision for alerts from a payload or label=value pairs"},
    {"outbox", rr_cmd_outbox, "list, retry or drop undeliverable pages"},
    {"coverage", rr_cmd_coverage, "go-live gate: rule files x routing table x runbooks"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: runbook-router <command> [options]   (runbook-router <command> --help)\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nExit codes: 0 ok, 1 findings, 2 usage, 3 could not load, 4 runtime failure\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RR_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return RR_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("runbook-router 0.1.0\n");
        return RR_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "runbook-router: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return RR_EXIT_USAGE;
}

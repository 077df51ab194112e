/*
 * fakeslack: the strict fake Slack incoming webhook of tests/support/fake_paging.c as a
 * standalone process, for bench/page.sh ("alert -> page" latency, PRODUCT §11).
 *
 * Every request is validated against paging-apis.md §E.3 (MUST and SHOULD rules) and answered
 * as Slack does: 200 "ok" when valid, 400 "invalid_blocks: <rule>" otherwise. The fake records
 * when each request's headers arrived (CLOCK_MONOTONIC, the clock bench/pagegen uses too, so
 * the two processes' times compare on one machine).
 *
 * usage: fakeslack OUT_FILE
 * Prints "port=N" on stdout once listening on 127.0.0.1 (port chosen by the kernel), then waits
 * for SIGTERM or SIGINT. Then writes one line per request to OUT_FILE and exits 0:
 *   <fingerprint> <arrived_ns> <status> <valid 0|1> <path> [<rule broken>]
 * The fingerprint is the alert's, read from the message's context block ("fingerprint X",
 * src/notify_slack.c), "-" when the message carries none (a digest, say).
 * Exit 1 when OUT_FILE cannot be written, 2 on bad usage.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_paging.h"

/* The 16 lowercase hex digits after "fingerprint" (skipping spaces and backquotes), or "-". */
static void fingerprint_of(const char *body, char out[17])
{
    snprintf(out, 17, "-");
    for (const char *p = strstr(body, "fingerprint"); p; p = strstr(p + 1, "fingerprint")) {
        const char *q = p + 11;
        while (*q == ' ' || *q == '`')
            q++;
        size_t n = 0;
        while (n < 16 && isxdigit((unsigned char)q[n]))
            n++;
        if (n == 16 && !isxdigit((unsigned char)q[16])) {
            memcpy(out, q, 16);
            out[16] = '\0';
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fakeslack OUT_FILE\n");
        return 2;
    }
    /* Blocked before the server's threads start, so only sigwait() below sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct fake_paging *f = fake_paging_start(FAKE_STRICT_SHOULD);
    printf("port=%u\n", (unsigned)fake_paging_port(f));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);

    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        fake_paging_stop(f);
        return 1;
    }
    size_t n = fake_paging_count(f);
    for (size_t i = 0; i < n; i++) {
        const struct fake_request *r = fake_paging_get(f, i);
        char fp[17];
        fingerprint_of(r->body, fp);
        fprintf(out, "%s %lld %d %d %s%s%s\n", fp, (long long)r->arrived_ns, r->status,
                r->valid ? 1 : 0, r->path, r->valid ? "" : " ", r->why);
    }
    int rc = fclose(out) == 0 ? 0 : 1;
    fake_paging_stop(f);
    return rc;
}

/*
 * dispatch: the outbox worker — sends due pages, retries, dead-letters, resumes after restarts
 * (PRODUCT §7).
 *
 * One dispatcher thread claims due rows (its writes run inside ingest's group commit), hands them
 * to a few sender threads (network only, so one hanging endpoint holds one sender, not the
 * queue), and records every attempt. 2xx is delivered; 429, 5xx, 408, 425 and transport errors
 * retry with exponential backoff and jitter, never sooner than Retry-After; other 4xx, or
 * RR_DISPATCH_MAX_ATTEMPTS attempts, or RR_DISPATCH_MAX_AGE_MS of trying, move the page to dead
 * letters and send a fallback notice to the platform team's Slack (a failing fallback sends no
 * further notice). With dry_run, or for a channel whose secret is unset, pages are written to
 * the log instead (results "dry_run" / "unconfigured").
 *
 * Thread: start/stop from the main thread; rr_dispatch_kick from any thread.
 */
#ifndef RR_DISPATCH_H
#define RR_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "rr/err.h"

#define RR_DISPATCH_MAX_ATTEMPTS 12
#define RR_DISPATCH_MAX_AGE_MS   (60 * 60 * 1000)
#define RR_DISPATCH_BACKOFF_MS   1000   /* first retry delay, doubled per attempt */
#define RR_DISPATCH_BACKOFF_MAX  300000 /* longest delay between attempts */
#define RR_DISPATCH_SENDERS      8      /* pages being sent at once */
#define RR_DISPATCH_CLAIM_AHEAD                                                                    \
    64 /* pages claimed at once: queued for the senders, so                                        \
          one trip through the writer feeds them for a while */
#define RR_DISPATCH_SLACK_429_DEFAULT_MS 30000 /* Slack 429 without Retry-After */

struct rr_ingest;
struct rr_live;
struct rr_dispatch;

struct rr_dispatch_options {
    const char *db_path;      /* borrowed: the store's database */
    struct rr_ingest *ingest; /* borrowed until stop: writes (claims, attempts) run inside its
                                 group commits, so the database keeps a single writer; NULL:
                                 the dispatcher writes through its own connection */
    struct rr_live *live;     /* borrowed: teams (Slack URLs, platform team) */
    const char *external_url; /* borrowed: links in digests and fallbacks */
    bool dry_run;             /* log pages instead of sending them */
    unsigned senders;         /* 0 = RR_DISPATCH_SENDERS */
    int64_t backoff_ms;       /* 0 = RR_DISPATCH_BACKOFF_MS (tests shorten it) */
    int64_t backoff_max_ms;   /* 0 = RR_DISPATCH_BACKOFF_MAX */
    int max_attempts;         /* 0 = RR_DISPATCH_MAX_ATTEMPTS */
    int64_t max_age_ms;       /* 0 = RR_DISPATCH_MAX_AGE_MS */
    long send_timeout_ms;     /* 0 = the notifier's default */
};

/* Opens its own store connection, puts rows a crash left `sending` back to pending, starts. */
RR_NODISCARD enum rr_err rr_dispatch_start(const struct rr_dispatch_options *opts,
                                           struct rr_dispatch **out, struct rr_diag *diag);
/* Something may be due now (ingest calls it after each commit). Never blocks. */
void rr_dispatch_kick(void *dispatch);
/* Stops claiming, lets in-flight sends finish and records them, stops. NULL-safe. */
void rr_dispatch_stop(struct rr_dispatch *dispatch);

#endif

/*
 * notify: the paging channels — Slack incoming webhooks, PagerDuty Events API v2, and `log`
 * (dry run) — each as a pure renderer (page content -> request body) and one libcurl sender
 * that classifies the answer (delivered / retry later / permanent failure).
 *
 * Rendering obeys every limit of ../shared/reference/paging-apis.md §E: limits count
 * characters (code points), truncation never splits a UTF-8 sequence, mrkdwn text escapes
 * & < >, and a PagerDuty event stays under 512 000 bytes (custom_details shrink first).
 * Sending never follows redirects, always has timeouts, caps the response it reads, and never
 * logs or returns the URL or key it was given (they are secrets).
 *
 * <curl/curl.h> stays inside notify*.c. Thread: renderers are pure; a struct rr_notifier (one
 * curl handle) belongs to one thread. Call curl_global_init once before threads
 * (rr_notify_global_init).
 */
#ifndef RR_NOTIFY_H
#define RR_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rr/buf.h"
#include "rr/err.h"

#define RR_NOTIFY_TIMEOUT_MS     10000 /* whole request */
#define RR_NOTIFY_CONNECT_MS     3000
#define RR_NOTIFY_MAX_RESPONSE   65536  /* response bytes read */
#define RR_PAGERDUTY_MAX_EVENT   512000 /* bytes of one encoded event */
#define RR_PAGERDUTY_DEFAULT_URL "https://events.pagerduty.com/v2/enqueue"
#define RR_NOTIFY_MAX_BODY       1048576 /* an rr_buf this large holds any rendered page */

enum rr_page_kind {
    RR_PAGE_TRIGGER,  /* a new firing episode, to its owner */
    RR_PAGE_RESOLVE,  /* the episode resolved: PagerDuty resolve / Slack "resolved" message */
    RR_PAGE_FYI,      /* platform-layer alert, told to the affected application team (Slack) */
    RR_PAGE_DIGEST,   /* Slack pages folded past the storm cap, sent at the window's end */
    RR_PAGE_FALLBACK, /* a page went to dead letters: notice to the platform team's Slack */
};

/* Everything a page may say. Every pointer is borrowed for the call; NULL means absent. */
struct rr_page_content {
    enum rr_page_kind kind;
    int64_t escalation_id; /* 0 when none (FYI, digest, fallback) */
    const char *alertname;
    const char *fingerprint;
    const char *starts_at;     /* RFC 3339 */
    const char *ends_at;       /* RFC 3339, resolve only */
    const char *severity;      /* the severity label */
    const char *summary;       /* annotation summary (or description) */
    const char *description;   /* annotation description */
    const char *generator_url; /* Prometheus graph link, may be "" */
    const char *decision_json; /* PRODUCT §5 decision object text (PagerDuty custom_details) */
    const char *layer, *team, *kind_name, *route, *owner_source, *affected_team;
    const char *const *evidence; /* the decision's sentences: "why you" */
    size_t n_evidence;
    const char *namespace, *workflow_type, *task_queue, *cluster;
    const char *runbook_id;      /* NULL: no runbook in runbooks/ (say so in the page) */
    const char *runbook_url;     /* --external-url + /runbooks/{id}, with runbook_id */
    const char *runbook_excerpt; /* first lines of Diagnosis */
    const char
        *annotation_runbook_url; /* the alert's runbook_url annotation, used when no runbook */
    const char *external_url;    /* base for the escalation link */
    const char *dedup_key;       /* PagerDuty: deterministic per episode */
    const char *const *teams;    /* team names for the "Not ours..." select */
    size_t n_teams;
    const char *const *digest_lines; /* DIGEST: one line per folded page */
    size_t n_digest;
    const char *failed_team;    /* FALLBACK: whose page failed */
    const char *failed_channel; /* FALLBACK: "slack" | "pagerduty" */
    const char *failure;        /* FALLBACK: why (status and response excerpt; no secrets) */
};

/* Slack incoming-webhook body (Block Kit, with a `text` fallback), appended to out. Every kind
 * renders. TRIGGER: header, summary, "Why you:" evidence, fields, runbook (or "No runbook in
 * runbooks/ for this alert"), buttons *Runbook* and *Not ours…* (a static_select, action_id
 * "reroute", one option per team other than page->team, value "<escalation_id>:<team>"; only
 * with an escalation id), context. Long content shrinks to fit rather than failing.
 * RR_ERR_INVAL for an unknown kind; RR_ERR_LIMIT when out's cap is too small (out unchanged). */
RR_NODISCARD enum rr_err rr_notify_render_slack(const struct rr_page_content *page,
                                                struct rr_buf *out);
/* PagerDuty Events API v2 body, appended to out: trigger for RR_PAGE_TRIGGER, resolve for
 * RR_PAGE_RESOLVE. routing_key (borrowed, a secret) goes into the body as given. RR_ERR_INVAL
 * for another kind, a missing routing_key, or a dedup_key that is missing, over 255 characters
 * or holds control characters; RR_ERR_LIMIT when out's cap is too small (out unchanged). */
RR_NODISCARD enum rr_err rr_notify_render_pagerduty(const struct rr_page_content *page,
                                                    const char *routing_key, struct rr_buf *out);

/* How a delivery attempt ended. */
enum rr_delivery {
    RR_DELIVERY_SENT,      /* 2xx (Slack: 200 with body "ok"; PagerDuty: 202) */
    RR_DELIVERY_RETRY,     /* 429, 5xx, 408, 425, transport error or timeout */
    RR_DELIVERY_PERMANENT, /* any other 4xx (and a Slack 2xx whose body is not "ok") */
};

struct rr_delivery_result {
    enum rr_delivery outcome;
    long status;            /* HTTP status, 0 for a transport error */
    int64_t retry_after_ms; /* from Retry-After (seconds or HTTP date), -1 when absent */
    int64_t duration_ms;    /* request time */
    char detail[512];       /* status and a response excerpt, or curl's error; no secrets */
};

enum rr_channel_kind { RR_NOTIFY_SLACK, RR_NOTIFY_PAGERDUTY };

struct rr_notifier;

/* Short stable name: "sent", "retry", "permanent". Never NULL. */
const char *rr_delivery_name(enum rr_delivery d);

/* curl_global_init; call once in main before any thread. */
void rr_notify_global_init(void);
/* Owned; aborts on out-of-memory. Timeouts start at RR_NOTIFY_TIMEOUT_MS/RR_NOTIFY_CONNECT_MS. */
struct rr_notifier *rr_notifier_new(void);
void rr_notifier_free(struct rr_notifier *n);
/* Whole-request timeout for later sends (connect timeout: the smaller of it and
 * RR_NOTIFY_CONNECT_MS); <= 0 restores the default. For tests and slow networks. */
void rr_notifier_set_timeout_ms(struct rr_notifier *n, long timeout_ms);
/* POSTs body (application/json) to url and classifies the answer for that channel's contract.
 * url is a secret: it is never copied into result. Plain http:// is allowed (local fakes and
 * proxies); redirects are never followed. Blocks for at most the timeout. result (caller's
 * storage) is always filled: detail is "HTTP 400: invalid_blocks", "HTTP 429",
 * "HTTP 400: Event object is invalid: <errors>" or "transport: <curl's error name>". */
void rr_notify_send(struct rr_notifier *n, enum rr_channel_kind channel, const char *url,
                    const char *body, size_t len, struct rr_delivery_result *result);

#endif

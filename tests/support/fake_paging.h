/*
 * fake_paging: strict stand-ins for Slack incoming webhooks and the PagerDuty Events API v2,
 * for tests only.
 *
 * Two parts. The validators check a request body against every MUST rule of
 * ../shared/reference/paging-apis.md §E.2 (PD-xx) and §E.3 (SL-xx) — and, with
 * FAKE_STRICT_SHOULD, the SHOULD rules too (our own policy for what runbook-router sends) —
 * and name the first rule broken: "SL-30 blocks[0].text.text: 151 characters, over 150".
 * Characters are code points of the decoded JSON string (§E.1).
 *
 * Block Kit rules that §E does not list but Slack enforces are checked under their own ids:
 *   SLX-1  static_select: placeholder plain_text 1..150; exactly one of options (1..100) and
 *          option_groups (1..100, each with a plain_text label 1..75 and 1..100 options);
 *          action_id <= 255.
 *   SLX-2  option object: text plain_text 1..75, value 1..150, description plain_text 1..75.
 *   SLX-3  a property Slack's block schemas do not define (they forbid extra properties), or
 *          a block or element type Slack does not know.
 *   SLX-4  context image element: image_url and alt_text strings.
 *
 * The server is an in-process libmicrohttpd daemon on 127.0.0.1 (port chosen by the kernel)
 * serving both vendors by path: POST /slack/<anything> is a Slack webhook, POST /pagerduty
 * (or /pagerduty/<anything>, or /v2/enqueue) is PagerDuty, anything else is 404; another
 * method is 405 and a Content-Type other than application/json is 400 (SL-02/PD-02). It
 * answers as the vendor does — Slack: 200 "ok", or 400 "invalid_blocks: SL-30 …" (the vendor's
 * code, then the rule); PagerDuty: 202 {"status":"success",…,"dedup_key":…}, or 400
 * {"status":"invalid event", "message":"Event object is invalid","errors":["PD-21 …"]} — and
 * records every request. Tests may script the answers: a queue of forced responses consumed in
 * arrival order, or "fail the first N". Every wait is bounded; a hang is interrupted by
 * fake_paging_stop.
 *
 * Thread: the validators are pure. A struct fake_paging may be used from any thread; its
 * records are stable until fake_paging_stop or fake_paging_reset.
 */
#ifndef RR_FAKE_PAGING_H
#define RR_FAKE_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Also enforce the SHOULD rules (SL-05, SL-11 fallback, SL-12 <= 20, SL-13, SL-21 unique
 * block_id, SL-22, SL-52 unique action_id per message, SL-60; PD-04, PD-10 pattern, PD-14,
 * PD-40 in the server) and reject duplicate JSON keys. */
#define FAKE_STRICT_SHOULD 1u

/* true when json (len bytes) is a valid webhook body; else why (cap bytes, may be NULL) names
 * the first rule broken, starting with its id. */
bool fake_validate_slack(const char *json, size_t len, char *why, size_t cap);
bool fake_validate_pagerduty(const char *json, size_t len, char *why, size_t cap);
/* The same with FAKE_* flags. */
bool fake_validate_slack_ex(const char *json, size_t len, unsigned flags, char *why, size_t cap);
bool fake_validate_pagerduty_ex(const char *json, size_t len, unsigned flags, char *why,
                                size_t cap);

enum fake_target { FAKE_SLACK, FAKE_PAGERDUTY, FAKE_OTHER };

/* One request as the fake saw it. Owned by the fake. */
struct fake_request {
    enum fake_target target;
    char *method;       /* "POST" */
    char *path;         /* "/slack/T000/B000/secret" */
    char *content_type; /* "" when absent */
    char *body;         /* NUL-terminated */
    size_t len;
    int64_t arrived_ns; /* rr_clock_mono_ns() when its headers arrived */
    bool valid;         /* the validator's verdict (false for a bad method/path/type too) */
    char why[512];      /* the rule broken, "" when valid */
    int status;         /* the answer chosen (recorded before it is sent) */
};

/* A forced answer. status 0 means "answer normally" (useful after a hang). */
struct fake_response {
    int status;
    const char *body;        /* NULL: the vendor's usual body for status */
    const char *retry_after; /* Retry-After header value, or NULL */
    long hang_ms;            /* wait this long before answering (capped at 30 s) */
};

struct fake_paging;

/* Starts a server on 127.0.0.1 with FAKE_* flags. Aborts the test when it cannot. Owned. */
struct fake_paging *fake_paging_start(unsigned flags);
/* Stops the server (interrupting hangs) and frees everything. NULL-safe. */
void fake_paging_stop(struct fake_paging *f);
/* "http://127.0.0.1:PORT" + path into buf; returns buf. */
const char *fake_paging_url(const struct fake_paging *f, const char *path, char *buf, size_t cap);
uint16_t fake_paging_port(const struct fake_paging *f);

/* Appends a forced answer (copied) to the script. */
void fake_paging_script(struct fake_paging *f, const struct fake_response *r);
/* Answers the requests numbered below n (counted from the start or the last reset) with
 * status, with Retry-After retry_after when not NULL; scripted answers still come first. */
void fake_paging_fail_until(struct fake_paging *f, size_t n, int status, const char *retry_after);
/* Forgets records, script and fail-until. */
void fake_paging_reset(struct fake_paging *f);

size_t fake_paging_count(struct fake_paging *f);
/* Record i (borrowed, valid until stop/reset), or NULL when there is none. */
const struct fake_request *fake_paging_get(struct fake_paging *f, size_t i);
/* Waits until at least n requests are recorded or timeout_ms passes; true when they are. */
bool fake_paging_wait(struct fake_paging *f, size_t n, long timeout_ms);

#endif

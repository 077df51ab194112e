/*
 * notify_int: helpers shared by the notify renderers (notify_slack.c, notify_pagerduty.c) and
 * the sender (notify.c). Private to src/notify*.c.
 *
 * Renderer inputs come from parsed JSON and validated files, so they should be valid UTF-8;
 * the helpers still decode defensively (an invalid byte becomes U+FFFD) because one bad byte in
 * a label must not turn a page into a payload the vendor rejects.
 */
#ifndef RR_NOTIFY_INT_H
#define RR_NOTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rr/notify.h"

/* Longest URL put into a link or button; a longer one is left out rather than cut (a cut URL
 * points somewhere else). Slack allows 3000 for a button url. */
#define NOTIFY_URL_MAX 2000

/* Decodes the UTF-8 sequence at s[0..len): returns its byte length (>= 1 when len > 0) and
 * the code point in *cp; an invalid or truncated sequence is one byte with *cp = U+FFFD. */
size_t notify_utf8_next(const char *s, size_t len, uint32_t *cp);
/* Appends code point cp as UTF-8. */
RR_NODISCARD enum rr_err notify_utf8_put(struct rr_buf *out, uint32_t cp);

/* True when s is non-NULL and not empty. */
bool notify_present(const char *s);
/* True for an absolute http(s) URL we can place in a payload as is: at most NOTIFY_URL_MAX
 * bytes, printable ASCII only, and none of the characters that end a Slack link (< > |),
 * whitespace or quotes. */
bool notify_url_ok(const char *url);

/* PagerDuty severity for an Alertmanager severity label: critical|error|warning|info; unknown
 * or absent labels map to "error" (a page nobody can classify should still wake someone). */
const char *notify_pd_severity(const char *label);

#endif

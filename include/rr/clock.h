/*
 * clock: time as runbook-router uses it, and its textual forms.
 *
 * Wall time is milliseconds since the Unix epoch; tests may pin it with rr_clock_set_fake_ms()
 * so backoff, windows and "since" filters are driven without sleeping. Monotonic nanoseconds
 * serve latency measurements and deadlines.
 *
 * Text: RFC 3339 with 0-9 fraction digits and any offset (what Alertmanager sends, Go's
 * RFC3339Nano) is parsed into struct rr_time (seconds + nanoseconds, years 0001-9999, no
 * overflow for the zero time "0001-01-01T00:00:00Z"); formatting is UTC with trailing zeros of
 * the fraction trimmed, exactly as Go prints it, so a stored time reads like the one received.
 * Prometheus durations ("30m", "1h30m", "500ms") are parsed to milliseconds.
 *
 * Thread: any. The fake clock is a process-wide atomic.
 */
#ifndef RR_CLOCK_H
#define RR_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rr/err.h"

struct rr_time {
    int64_t sec;  /* seconds since 1970-01-01T00:00:00Z; negative before 1970 */
    int32_t nsec; /* 0..999999999 */
};

/* Milliseconds since the epoch (the fake value when one is set). */
int64_t rr_clock_wall_ms(void);
/* Monotonic nanoseconds, for durations only. Not affected by the fake clock. */
int64_t rr_clock_mono_ns(void);
/* Pins rr_clock_wall_ms() to ms; 0 returns to the real clock. Tests only. */
void rr_clock_set_fake_ms(int64_t ms);

/* Parses an RFC 3339 time of exactly len bytes. RR_ERR_INVAL with a reason in diag. */
RR_NODISCARD enum rr_err rr_time_parse(const char *s, size_t len, struct rr_time *out,
                                       struct rr_diag *diag);
/* Formats t as UTC RFC 3339 with trimmed fraction into buf (>= 40 bytes). Returns buf. */
const char *rr_time_format(struct rr_time t, char *buf, size_t cap);
/* True for Go's zero time, 0001-01-01T00:00:00Z (what Alertmanager sends for no endsAt). */
bool rr_time_is_zero(struct rr_time t);
/* Milliseconds since the epoch, saturating for times outside the int64 ms range. */
int64_t rr_time_to_ms(struct rr_time t);
/* Formats epoch milliseconds as RFC 3339 UTC with exactly three fraction digits. */
const char *rr_clock_format_ms(int64_t ms, char *buf, size_t cap);

/* Parses a Prometheus duration ("10m", "1h30m", "250ms", "2d", "1w", "1y") into ms. */
RR_NODISCARD enum rr_err rr_duration_parse(const char *s, int64_t *out_ms, struct rr_diag *diag);

#endif

/*
 * err: the one result enum of runbook-router and a diagnostic record for the detail.
 *
 * Fallible functions return enum rr_err (RR_OK is 0), fill their out-parameters only on
 * success, and put a human-readable reason into an optional struct rr_diag. A value exists
 * only because some caller acts differently on it: RR_ERR_BUSY and RR_ERR_DB both mean "the
 * store could not commit" (503), RR_ERR_INVAL means the input is wrong (4xx, exit 2/3).
 *
 * Thread: any. struct rr_diag is caller-owned storage, no allocation.
 */
#ifndef RR_ERR_H
#define RR_ERR_H

#include <stddef.h>

#define RR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define RR_NODISCARD         __attribute__((warn_unused_result))

enum rr_err {
    RR_OK = 0,
    RR_ERR_INVAL,    /* input breaks the contract: bad payload, bad flag, bad file */
    RR_ERR_LIMIT,    /* input over a named cap */
    RR_ERR_NOTFOUND, /* the thing asked for does not exist */
    RR_ERR_IO,       /* a file or socket could not be read or written */
    RR_ERR_DB,       /* the store failed (read-only, disk full, corrupt) */
    RR_ERR_BUSY,     /* the store stayed locked past its timeout */
    RR_ERR_CONFIG,   /* configuration could not be loaded */
    RR_ERR_INTERNAL, /* a bug: an invariant broke */
};

/* Detail for a failure: "alerts[3].startsAt: not an RFC 3339 time". Always NUL-terminated. */
struct rr_diag {
    char msg[512]; /* the reason, empty when none was set */
};

/* Short stable name of an error ("inval", "db", ...). Never NULL. */
const char *rr_strerror(enum rr_err err);

/* Formats into diag->msg when diag is not NULL; returns err so callers can write
 * `return rr_diag_set(diag, RR_ERR_INVAL, "...")`. */
enum rr_err rr_diag_set(struct rr_diag *diag, enum rr_err err, const char *fmt, ...)
    RR_PRINTF(3, 4);

/* Prefixes diag->msg with "<prefix>: " (used to add a field path on the way up). */
void rr_diag_prefix(struct rr_diag *diag, const char *fmt, ...) RR_PRINTF(2, 3);

#endif

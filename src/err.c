/* err: names of the result codes and the diagnostic helpers. */
#include "rr/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rr_strerror(enum rr_err err)
{
    switch (err) {
    case RR_OK:
        return "ok";
    case RR_ERR_INVAL:
        return "inval";
    case RR_ERR_LIMIT:
        return "limit";
    case RR_ERR_NOTFOUND:
        return "notfound";
    case RR_ERR_IO:
        return "io";
    case RR_ERR_DB:
        return "db";
    case RR_ERR_BUSY:
        return "busy";
    case RR_ERR_CONFIG:
        return "config";
    case RR_ERR_INTERNAL:
        return "internal";
    }
    return "unknown";
}

enum rr_err rr_diag_set(struct rr_diag *diag, enum rr_err err, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
        va_end(ap);
    }
    return err;
}

void rr_diag_prefix(struct rr_diag *diag, const char *fmt, ...)
{
    if (!diag)
        return;
    char prefix[256];
    char old[sizeof diag->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, diag->msg, sizeof old);
    /* Truncation is acceptable: the message is for people and stays NUL-terminated. */
    size_t n = strlen(prefix);
    if (n > sizeof diag->msg - 3)
        n = sizeof diag->msg - 3;
    memcpy(diag->msg, prefix, n);
    memcpy(diag->msg + n, ": ", 2);
    size_t rest = sizeof diag->msg - n - 3;
    size_t m = strnlen(old, rest);
    memcpy(diag->msg + n + 2, old, m);
    diag->msg[n + 2 + m] = '\0';
}

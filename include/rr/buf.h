/*
 * buf: allocation that aborts on out-of-memory, and a growable byte buffer with a hard cap.
 *
 * Every input runbook-router reads is capped, so running out of memory means the host is
 * broken; rr_xmalloc and friends log and abort rather than thread ENOMEM through every caller.
 * struct rr_buf refuses to grow past the cap it was initialised with (RR_ERR_LIMIT) and always
 * keeps its data NUL-terminated, so text can be used as a C string.
 *
 * Thread: a buffer belongs to one thread at a time.
 */
#ifndef RR_BUF_H
#define RR_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "rr/err.h"

void *rr_xmalloc(size_t size);
void *rr_xcalloc(size_t n, size_t size);
void *rr_xrealloc(void *ptr, size_t size);
char *rr_xstrdup(const char *s);
char *rr_xstrndup(const char *s, size_t n);

struct rr_buf {
    char *data; /* owned; NUL-terminated; NULL until the first append */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard limit on len */
};

/* Initialises an empty buffer that may hold at most max bytes. Cannot fail. */
void rr_buf_init(struct rr_buf *b, size_t max);
/* Frees the contents; the buffer may be initialised again. NULL-safe. */
void rr_buf_release(struct rr_buf *b);
/* Empties the buffer, keeping its allocation. */
void rr_buf_reset(struct rr_buf *b);
/* Appends n bytes. RR_ERR_LIMIT (and nothing appended) when len + n would pass max. */
RR_NODISCARD enum rr_err rr_buf_append(struct rr_buf *b, const void *data, size_t n);
RR_NODISCARD enum rr_err rr_buf_puts(struct rr_buf *b, const char *s);
RR_NODISCARD enum rr_err rr_buf_printf(struct rr_buf *b, const char *fmt, ...) RR_PRINTF(2, 3);
RR_NODISCARD enum rr_err rr_buf_vprintf(struct rr_buf *b, const char *fmt, va_list ap)
    RR_PRINTF(2, 0);
/* Appends the whole file at path. Errors name the file: RR_ERR_IO "path: cannot open: <why>"
 * or "path: cannot read: <why>", RR_ERR_LIMIT "path: larger than <max> bytes" (nothing
 * appended in any failure). */
RR_NODISCARD enum rr_err rr_buf_read_file(struct rr_buf *b, const char *path, struct rr_diag *diag);
/* Hands the data to the caller (owned, free()) and leaves the buffer empty. Never NULL. */
char *rr_buf_take(struct rr_buf *b);

#endif

/* buf: aborting allocators and the capped byte buffer. */
#include "rr/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "level=error module=buf msg=\"out of memory\" bytes=%zu\n", size);
    abort();
}

void *rr_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *rr_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *rr_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

char *rr_xstrdup(const char *s)
{
    return rr_xstrndup(s, strlen(s));
}

char *rr_xstrndup(const char *s, size_t n)
{
    char *p = rr_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void rr_buf_init(struct rr_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void rr_buf_release(struct rr_buf *b)
{
    if (!b)
        return;
    free(b->data);
    rr_buf_init(b, b->max);
}

void rr_buf_reset(struct rr_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

enum rr_err rr_buf_append(struct rr_buf *b, const void *data, size_t n)
{
    if (n > b->max - b->len)
        return RR_ERR_LIMIT;
    if (b->len + n + 1 > b->cap) {
        size_t want = b->cap ? b->cap : 256;
        while (want < b->len + n + 1)
            want *= 2;
        b->data = rr_xrealloc(b->data, want);
        b->cap = want;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return RR_OK;
}

enum rr_err rr_buf_puts(struct rr_buf *b, const char *s)
{
    return rr_buf_append(b, s, strlen(s));
}

enum rr_err rr_buf_vprintf(struct rr_buf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0)
        return RR_ERR_INTERNAL;
    if ((size_t)n < sizeof small)
        return rr_buf_append(b, small, (size_t)n);
    char *big = rr_xmalloc((size_t)n + 1);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    enum rr_err err = rr_buf_append(b, big, (size_t)n);
    free(big);
    return err;
}

enum rr_err rr_buf_printf(struct rr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum rr_err err = rr_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return err;
}

static enum rr_err file_error(struct rr_diag *diag, const char *path, const char *what, int e)
{
    char why[128] = "";
    if (strerror_r(e, why, sizeof why) != 0)
        (void)snprintf(why, sizeof why, "error %d", e);
    return rr_diag_set(diag, RR_ERR_IO, "%s: %s: %s", path, what, why);
}

enum rr_err rr_buf_read_file(struct rr_buf *b, const char *path, struct rr_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return file_error(diag, path, "cannot open", errno);
    size_t start = b->len;
    enum rr_err err = RR_OK;
    char chunk[16384];
    size_t n;
    while (!err && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (rr_buf_append(b, chunk, n) != RR_OK)
            err = rr_diag_set(diag, RR_ERR_LIMIT, "%s: larger than %zu bytes", path, b->max);
    }
    if (!err && ferror(f))
        err = file_error(diag, path, "cannot read", errno);
    fclose(f);
    if (err) { /* leave the buffer as it was */
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
    }
    return err;
}

char *rr_buf_take(struct rr_buf *b)
{
    char *p = b->data ? b->data : rr_xstrdup("");
    rr_buf_init(b, b->max);
    return p;
}

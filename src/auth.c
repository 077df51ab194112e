/* auth: credential files and the constant-time check of an Authorization header. */
#include "rr/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr/buf.h"

struct rr_auth {
    char *accepted[RR_AUTH_MAX_CREDENTIALS]; /* owned: exact Authorization values */
    size_t n;
    bool has_bearer;
    bool has_basic;
};

char *rr_base64_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static enum rr_err read_small_file(const char *path, char **out, struct rr_diag *diag)
{
    struct rr_buf b;
    rr_buf_init(&b, RR_AUTH_MAX_FILE_BYTES);
    enum rr_err err = rr_buf_read_file(&b, path, diag);
    if (err) {
        rr_buf_release(&b);
        return err;
    }
    *out = rr_buf_take(&b);
    return RR_OK;
}

static enum rr_err add_accepted(struct rr_auth *a, const char *scheme, const char *value,
                                const char *path, struct rr_diag *diag)
{
    if (a->n == RR_AUTH_MAX_CREDENTIALS)
        return rr_diag_set(diag, RR_ERR_LIMIT, "'%s': more than %d credentials", path,
                           RR_AUTH_MAX_CREDENTIALS);
    size_t len = strlen(scheme) + 1 + strlen(value) + 1;
    char *v = rr_xmalloc(len);
    snprintf(v, len, "%s %s", scheme, value);
    a->accepted[a->n++] = v;
    return RR_OK;
}

static enum rr_err load_token(struct rr_auth *a, const char *path, struct rr_diag *diag)
{
    char *text = NULL;
    enum rr_err err = read_small_file(path, &text, diag);
    if (err)
        return err;
    text[strcspn(text, "\r\n")] = '\0';
    if (!*text)
        err = rr_diag_set(diag, RR_ERR_CONFIG, "bearer token file '%s' is empty", path);
    else
        err = add_accepted(a, "Bearer", text, path, diag);
    a->has_bearer = !err;
    free(text);
    return err;
}

static enum rr_err load_basic(struct rr_auth *a, const char *path, struct rr_diag *diag)
{
    char *text = NULL;
    enum rr_err err = read_small_file(path, &text, diag);
    if (err)
        return err;
    int lineno = 0;
    size_t before = a->n;
    for (char *line = text; line && !err;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (*line && *line != '#') {
            const char *colon = strchr(line, ':');
            if (!colon || colon == line) {
                err = rr_diag_set(diag, RR_ERR_CONFIG, "%s:%d: want user:password", path, lineno);
            } else {
                char enc[1024];
                size_t n = strlen(line);
                if (n > 700)
                    err = rr_diag_set(diag, RR_ERR_LIMIT, "%s:%d: line too long", path, lineno);
                else
                    err = add_accepted(
                        a, "Basic",
                        rr_base64_encode((const unsigned char *)line, n, enc, sizeof enc), path,
                        diag);
            }
        }
        line = next;
    }
    if (!err && a->n == before)
        err = rr_diag_set(diag, RR_ERR_CONFIG, "basic auth file '%s' has no user:password line",
                          path);
    a->has_basic = !err;
    /* The decoded credentials are no longer needed; do not leave them in freed memory. */
    memset(text, 0, strlen(text));
    free(text);
    return err;
}

enum rr_err rr_auth_load(const char *token_file, const char *basic_file, struct rr_auth **out,
                         struct rr_diag *diag)
{
    struct rr_auth *a = rr_xcalloc(1, sizeof *a);
    enum rr_err err = RR_OK;
    if (token_file)
        err = load_token(a, token_file, diag);
    if (!err && basic_file)
        err = load_basic(a, basic_file, diag);
    if (err) {
        rr_auth_free(a);
        return err;
    }
    *out = a;
    return RR_OK;
}

void rr_auth_free(struct rr_auth *auth)
{
    if (!auth)
        return;
    for (size_t i = 0; i < auth->n; i++) {
        memset(auth->accepted[i], 0, strlen(auth->accepted[i]));
        free(auth->accepted[i]);
    }
    free(auth);
}

bool rr_auth_enabled(const struct rr_auth *auth)
{
    return auth && auth->n > 0;
}

/* Compares in time that depends only on the lengths, never on where the bytes differ. */
static bool equal_constant_time(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = alen != blen;
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

bool rr_auth_check(const struct rr_auth *auth, const char *header)
{
    if (!rr_auth_enabled(auth))
        return true;
    if (!header)
        return false;
    size_t hlen = strlen(header);
    bool ok = false;
    for (size_t i = 0; i < auth->n; i++) /* no early exit: every credential is compared */
        ok |= equal_constant_time(header, hlen, auth->accepted[i], strlen(auth->accepted[i]));
    return ok;
}

const char *rr_auth_challenge(const struct rr_auth *auth)
{
    if (auth && auth->has_basic && !auth->has_bearer)
        return "Basic realm=\"runbook-router\"";
    if (auth && auth->has_basic)
        return "Bearer realm=\"runbook-router\", Basic realm=\"runbook-router\"";
    return "Bearer realm=\"runbook-router\"";
}

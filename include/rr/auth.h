/*
 * auth: the credentials `serve` accepts, as Alertmanager's http_config can send them.
 *
 * A bearer token (--auth-token-file: the file's first line) and/or HTTP basic credentials
 * (--basic-auth-file: one `user:password` per line, blank lines and # comments ignored). Each
 * accepted credential is kept as the exact Authorization header value it produces
 * ("Bearer <token>", "Basic <base64(user:password)>") and a request's header is compared with
 * every one of them in constant time, so timing reveals neither which nor how much matched.
 * Secrets are never logged; errors name the file, never its contents.
 *
 * Thread: load once; rr_auth_check is read-only and safe from any thread.
 */
#ifndef RR_AUTH_H
#define RR_AUTH_H

#include <stdbool.h>

#include "rr/err.h"

#define RR_AUTH_MAX_FILE_BYTES  65536 /* cap on a credentials file */
#define RR_AUTH_MAX_CREDENTIALS 64    /* accepted header values */

struct rr_auth;

/*
 * Loads credentials from the files given (either may be NULL). With both NULL the result
 * accepts everything (no authentication configured).
 * @param[out] out owned; free with rr_auth_free()
 */
RR_NODISCARD enum rr_err rr_auth_load(const char *token_file, const char *basic_file,
                                      struct rr_auth **out, struct rr_diag *diag);
void rr_auth_free(struct rr_auth *auth);

/* True when some credential is configured. */
bool rr_auth_enabled(const struct rr_auth *auth);
/* True when authentication is off, or header (the Authorization value, may be NULL) matches. */
bool rr_auth_check(const struct rr_auth *auth, const char *header);
/* The WWW-Authenticate challenge for a 401 ("Bearer", "Basic realm=..."). */
const char *rr_auth_challenge(const struct rr_auth *auth);

/* Standard base64 of n bytes into out (cap >= 4*((n+2)/3)+1). Returns out. */
char *rr_base64_encode(const unsigned char *in, size_t n, char *out, size_t cap);

#endif

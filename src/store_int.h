/*
 * store_int: what store.c shares with store_outbox.c, the other half of the same database
 * module. Not part of any other module's contract.
 */
#ifndef RR_STORE_INT_H
#define RR_STORE_INT_H

#include <sqlite3.h>

#include "rr/store.h"

#define RR__STORE_OUTBOX_STMTS 32 /* statement slots store_outbox.c prepares on first use */

sqlite3 *rr__store_db(struct rr_store *s);
/* RR__STORE_OUTBOX_STMTS slots, NULL until prepared; rr_store_close finalizes them. */
sqlite3_stmt **rr__store_outbox_stmts(struct rr_store *s);
/* "what: sqlite's message" with the result code mapped as store.h says. */
enum rr_err rr__store_fail(struct rr_store *s, int rc, const char *what, struct rr_diag *diag);
/* Steps st to completion (rows ignored) and resets it. */
enum rr_err rr__store_run(struct rr_store *s, sqlite3_stmt *st, const char *what,
                          struct rr_diag *diag);
/* Binds v (borrowed until the statement is reset), or NULL when v is NULL. */
void rr__store_bind_text(sqlite3_stmt *st, int i, const char *v);

/* The name of a VFS that writes each transaction's WAL frames with one write instead of two
 * per page (store_walbuf.c), registered on first call; NULL if it cannot be (then the default
 * VFS serves). Only for connections with synchronous=FULL: it relies on the WAL being synced
 * before frames are published. Thread-safe. */
const char *rr__store_walbuf_vfs(void);

#endif

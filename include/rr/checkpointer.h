/*
 * checkpointer: copies the write-ahead log into the database on its own thread, so the writer's
 * group commits never wait for it.
 *
 * SQLite's automatic checkpoint runs inside whichever COMMIT takes the WAL past 1000 pages: that
 * request, and every request queued behind it, waits for 4 MB of page writes and an fsync of the
 * database. Here a thread with its own connection does that bulk copy while the writer keeps
 * committing. It can never copy the frames committed while it ran, and the WAL only restarts
 * from its beginning once all of it is copied, so after each bulk copy the writer copies that
 * short tail itself, between two commits. The log stays near 1000-2000 pages under any load.
 *
 * Thread: rr_checkpointer_after_commit is the writer's; start and stop belong to its owner.
 */
#ifndef RR_CHECKPOINTER_H
#define RR_CHECKPOINTER_H

#include <stdbool.h>

#include "rr/err.h"

#define RR_CHECKPOINT_PAGES 1000 /* WAL size that wakes the thread (SQLite's default) */
#define RR_CHECKPOINT_HARD  16   /* past 16x that, the writer copies by itself (thread stuck) */

struct rr_checkpointer;

/* Opens its own connection to db_path (schema already migrated) and starts the thread.
 * pages: the WAL size that wakes it; 0 = RR_CHECKPOINT_PAGES. */
RR_NODISCARD enum rr_err rr_checkpointer_start(const char *db_path, int pages,
                                               struct rr_checkpointer **out,
                                               struct rr_diag *diag);

/* Called by the writer after each commit with the WAL's size in pages. Wakes the thread past
 * its threshold; returns true when the writer should checkpoint now itself: the thread
 * finished a bulk copy (the tail is short), or the log passed RR_CHECKPOINT_HARD times the
 * threshold. */
bool rr_checkpointer_after_commit(struct rr_checkpointer *c, int wal_pages);

/* Stops the thread (after a copy in progress) and closes its connection. NULL-safe. */
void rr_checkpointer_stop(struct rr_checkpointer *c);

#endif

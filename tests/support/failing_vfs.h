/*
 * failing_vfs: a disk that fills up when a test says so. A pass-through VFS over SQLite's
 * default one, registered as the new default, whose writes to WAL files fail with SQLITE_FULL
 * while failing_vfs_full is set: exactly what a commit meets when the file system runs out of
 * space. Register it before anything else in the process opens a database (a VFS layered over
 * the default, like the store's writer VFS, captures the default at its own first use).
 */
#ifndef RR_TEST_FAILING_VFS_H
#define RR_TEST_FAILING_VFS_H

#include <stdatomic.h>

extern atomic_bool failing_vfs_full; /* read on whichever thread writes */

/* Returns SQLite's result of registering it. */
int failing_vfs_register(void);

#endif

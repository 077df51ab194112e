/*
 * failing_vfs: a pass-through VFS over SQLite's default one, registered as the new default,
 * whose writes to WAL files fail with SQLITE_FULL while failing_vfs_fail is set — a disk that
 * fills up at the moment a test chooses. Register it before anything else opens a database
 * in the process (a VFS layered over the default, like the store's, captures it at its own
 * first use).
 */
#ifndef RR_TEST_FAILING_VFS_H
#define RR_TEST_FAILING_VFS_H

#include <stdbool.h>

extern volatile bool failing_vfs_fail;

void failing_vfs_register(void);

#endif

/* failing_vfs: see failing_vfs.h. */
#include "failing_vfs.h"

#include <string.h>

#include <sqlite3.h>

volatile bool failing_vfs_fail;

struct failing_file {
    sqlite3_file base;
    sqlite3_file *real; /* the default VFS's file, right after this struct */
    bool wal;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs failing;
static sqlite3_io_methods methods;

static sqlite3_file *real(sqlite3_file *f)
{
    return ((struct failing_file *)f)->real;
}

static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    if (((struct failing_file *)f)->wal && failing_vfs_fail)
        return SQLITE_FULL;
    return real(f)->pMethods->xWrite(real(f), p, n, off);
}

static int f_close(sqlite3_file *f)
{
    return real(f)->pMethods->xClose(real(f));
}
static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return real(f)->pMethods->xRead(real(f), p, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return real(f)->pMethods->xTruncate(real(f), size);
}
static int f_sync(sqlite3_file *f, int flags)
{
    return real(f)->pMethods->xSync(real(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real(f)->pMethods->xFileSize(real(f), size);
}
static int f_lock(sqlite3_file *f, int l)
{
    return real(f)->pMethods->xLock(real(f), l);
}
static int f_unlock(sqlite3_file *f, int l)
{
    return real(f)->pMethods->xUnlock(real(f), l);
}
static int f_reserved(sqlite3_file *f, int *out)
{
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
static int f_control(sqlite3_file *f, int op, void *arg)
{
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}
static int f_sector(sqlite3_file *f)
{
    return real(f)->pMethods->xSectorSize(real(f));
}
static int f_device(sqlite3_file *f)
{
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
static int f_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
static void f_shm_barrier(sqlite3_file *f)
{
    real(f)->pMethods->xShmBarrier(real(f));
}
static int f_shm_unmap(sqlite3_file *f, int del)
{
    return real(f)->pMethods->xShmUnmap(real(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
    return real(f)->pMethods->xFetch(real(f), off, n, out);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real(f)->pMethods->xUnfetch(real(f), off, p);
}

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    struct failing_file *ff = (struct failing_file *)f;
    memset(ff, 0, sizeof *ff);
    ff->real = (sqlite3_file *)(ff + 1);
    int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out);
    if (rc != SQLITE_OK || !ff->real->pMethods)
        return rc;
    ff->wal = (flags & SQLITE_OPEN_WAL) != 0;
    ff->base.pMethods = &methods;
    return SQLITE_OK;
}

void failing_vfs_register(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    methods = (sqlite3_io_methods){
        3,          f_close,       f_read,      f_write,   f_truncate, f_sync,   f_size,
        f_lock,     f_unlock,      f_reserved,  f_control, f_sector,   f_device, f_shm_map,
        f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch,   f_unfetch};
    failing = *real_vfs; /* every other method is the default's own */
    failing.zName = "rr-test-failing";
    failing.pNext = NULL;
    failing.szOsFile = (int)sizeof(struct failing_file) + real_vfs->szOsFile;
    failing.xOpen = f_open;
    sqlite3_vfs_register(&failing, 1);
}

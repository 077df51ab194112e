/*
 * store_walbuf: a VFS over SQLite's default one that gathers a transaction's WAL frames into
 * one write (see store_int.h for the contract).
 *
 * Why: SQLite writes every WAL frame as two pwrite() calls (its 24-byte header, then the page).
 * A group commit of a few dozen pages is therefore ~70 system calls on the writer thread, and
 * on a virtual machine each costs several microseconds: a fifth of the writer's time at load.
 * The frames of one commit are contiguous in the file, so they are appended to a buffer here
 * and written with one call.
 *
 * Why it is safe: a frame is only ever read by another connection after SQLite has published
 * it in the wal-index (shared memory), and SQLite publishes only after writing the frames and,
 * with synchronous=FULL, syncing the WAL. The buffer is written out before anything that could
 * observe the file: a sync, a read, a size, a truncate, a close, a lock or barrier on the
 * database's shared memory (the publish itself goes through one), and any write that does not
 * extend it. A failed write-out is returned by that call and by every later write, read and
 * sync until the write transaction ends: SQLite may carry on after an error it takes for a
 * statement's own (SQLITE_FULL), but the frames lost with the buffer belong to the whole
 * transaction, so its commit must fail too. No frame that was never written is published.
 *
 * Only the WAL file is buffered; the database file and everything else pass straight through.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define WALBUF_VFS_NAME "rr-walbuf"
#define WALBUF_CAP      (1u << 20) /* a longer run of frames is written out in parts */
/* The unix VFS writes at most 0x1ffff bytes per call (it masks larger sizes): write less. */
#define WALBUF_PIECE (124u * 1024)

struct walbuf_file {
    sqlite3_file base;  /* pMethods: &walbuf_methods, or NULL when the open failed */
    sqlite3_file *real; /* the default VFS's file, allocated right after this struct */
    bool is_wal;        /* buffer writes; otherwise pass everything through */
    /* A WAL file and its database file point at each other while both are open: the
     * shared-memory calls that publish frames reach the database file, not the WAL. */
    struct walbuf_file *partner;
    int failed;         /* a write-out's error, kept until the write transaction ends */
    unsigned char *buf; /* frames not yet written; owned */
    size_t len;         /* bytes in buf */
    sqlite3_int64 at;   /* file offset of buf[0] */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs walbuf_vfs;
static sqlite3_io_methods walbuf_methods;

static struct walbuf_file *walbuf(sqlite3_file *f)
{
    return (struct walbuf_file *)f;
}

static int flush(struct walbuf_file *w)
{
    if (w->failed || !w->len)
        return w->failed;
    size_t len = w->len;
    w->len = 0;
    int rc = SQLITE_OK;
    for (size_t done = 0; rc == SQLITE_OK && done < len; done += WALBUF_PIECE) {
        size_t n = len - done < WALBUF_PIECE ? len - done : WALBUF_PIECE;
        rc = w->real->pMethods->xWrite(w->real, w->buf + done, (int)n, w->at + (sqlite3_int64)done);
    }
    w->failed = rc;
    return rc;
}

/* The write transaction ended (committed, so already written out, or rolled back): whatever
 * is still buffered lies beyond the last commit and is dropped, and so is a kept error. */
static void end_write_transaction(struct walbuf_file *w)
{
    w->len = 0;
    w->failed = SQLITE_OK;
}

/* For a database file: writes out its WAL's buffered frames. */
static int flush_wal_of(struct walbuf_file *db)
{
    return db->partner ? flush(db->partner) : SQLITE_OK;
}

static int walbuf_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
    struct walbuf_file *w = walbuf(f);
    if (!w->is_wal)
        return w->real->pMethods->xWrite(w->real, data, amt, off);
    bool extends = w->len && off == w->at + (sqlite3_int64)w->len;
    bool fits = (size_t)amt <= WALBUF_PIECE && w->len + (size_t)amt <= WALBUF_CAP;
    int rc = extends && fits ? w->failed : flush(w);
    if (rc != SQLITE_OK)
        return rc;
    if ((size_t)amt > WALBUF_PIECE) /* never a frame; pass it on as SQLite gave it */
        return w->real->pMethods->xWrite(w->real, data, amt, off);
    if (!w->buf)
        w->buf = malloc(WALBUF_CAP);
    if (!w->buf)
        return w->real->pMethods->xWrite(w->real, data, amt, off);
    if (!w->len)
        w->at = off;
    memcpy(w->buf + w->len, data, (size_t)amt);
    w->len += (size_t)amt;
    return SQLITE_OK;
}

static int walbuf_close(sqlite3_file *f)
{
    struct walbuf_file *w = walbuf(f);
    int rc = flush(w);
    if (w->partner)
        w->partner->partner = NULL;
    int rc_close = w->real->pMethods->xClose(w->real);
    free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : rc_close;
}

static int walbuf_read(sqlite3_file *f, void *out, int amt, sqlite3_int64 off)
{
    struct walbuf_file *w = walbuf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, out, amt, off);
}

static int walbuf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct walbuf_file *w = walbuf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int walbuf_sync(sqlite3_file *f, int flags)
{
    struct walbuf_file *w = walbuf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int walbuf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct walbuf_file *w = walbuf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int walbuf_lock(sqlite3_file *f, int level)
{
    return walbuf(f)->real->pMethods->xLock(walbuf(f)->real, level);
}

static int walbuf_unlock(sqlite3_file *f, int level)
{
    return walbuf(f)->real->pMethods->xUnlock(walbuf(f)->real, level);
}

static int walbuf_check_reserved_lock(sqlite3_file *f, int *out)
{
    return walbuf(f)->real->pMethods->xCheckReservedLock(walbuf(f)->real, out);
}

static int walbuf_file_control(sqlite3_file *f, int op, void *arg)
{
    struct walbuf_file *w = walbuf(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int walbuf_sector_size(sqlite3_file *f)
{
    return walbuf(f)->real->pMethods->xSectorSize(walbuf(f)->real);
}

static int walbuf_device_characteristics(sqlite3_file *f)
{
    return walbuf(f)->real->pMethods->xDeviceCharacteristics(walbuf(f)->real);
}

/* Shared memory belongs to the database file; a lock or barrier there may publish frames. */
static int walbuf_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    int rc = flush_wal_of(walbuf(f));
    return rc != SQLITE_OK
               ? rc
               : walbuf(f)->real->pMethods->xShmMap(walbuf(f)->real, region, size, extend, out);
}

#define WAL_WRITE_LOCK 0 /* wal.c's slot of the writer's lock in shared memory */

static int walbuf_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    struct walbuf_file *db = walbuf(f);
    /* An unlock always goes through (SQLite ignores its result); releasing the writer's lock
     * ends the write transaction. A lock may be the first step of a publish: write out first. */
    if (flags & SQLITE_SHM_UNLOCK) {
        if (db->partner && offset == WAL_WRITE_LOCK)
            end_write_transaction(db->partner);
    } else {
        int rc = flush_wal_of(db);
        if (rc != SQLITE_OK)
            return rc;
    }
    return db->real->pMethods->xShmLock(db->real, offset, n, flags);
}

static void walbuf_shm_barrier(sqlite3_file *f)
{
    /* No way to report a failure here; with synchronous=FULL the sync before the publish has
     * already written the buffer out (and failed the commit if it could not). */
    (void)flush_wal_of(walbuf(f));
    walbuf(f)->real->pMethods->xShmBarrier(walbuf(f)->real);
}

static int walbuf_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return walbuf(f)->real->pMethods->xShmUnmap(walbuf(f)->real, delete_flag);
}

static int walbuf_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
    return walbuf(f)->real->pMethods->xFetch(walbuf(f)->real, off, amt, out);
}

static int walbuf_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return walbuf(f)->real->pMethods->xUnfetch(walbuf(f)->real, off, p);
}

static int walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                       int *out_flags)
{
    (void)vfs;
    struct walbuf_file *w = walbuf(f);
    memset(w, 0, sizeof *w);
    w->real = (sqlite3_file *)(w + 1);
    int rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK && w->real->pMethods) /* allowed by the VFS contract: close it here */
        w->real->pMethods->xClose(w->real);
    if (rc != SQLITE_OK || !w->real->pMethods)
        return rc; /* base.pMethods stays NULL: SQLite will not call xClose */
    w->base.pMethods = &walbuf_methods;
    if (flags & SQLITE_OPEN_WAL) {
        /* Its database was opened through this VFS too: SQLite opens a WAL for its database. */
        struct walbuf_file *db = walbuf(sqlite3_database_file_object(name));
        w->is_wal = true;
        w->partner = db;
        db->partner = w;
    }
    return SQLITE_OK;
}

/* Everything but xOpen and szOsFile is the default VFS's own. */
static int walbuf_delete(sqlite3_vfs *v, const char *n, int sync)
{
    (void)v;
    return real_vfs->xDelete(real_vfs, n, sync);
}

static int walbuf_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
    (void)v;
    return real_vfs->xAccess(real_vfs, n, flags, out);
}

static int walbuf_full_pathname(sqlite3_vfs *v, const char *n, int size, char *out)
{
    (void)v;
    return real_vfs->xFullPathname(real_vfs, n, size, out);
}

static void *walbuf_dl_open(sqlite3_vfs *v, const char *n)
{
    (void)v;
    return real_vfs->xDlOpen(real_vfs, n);
}

static void walbuf_dl_error(sqlite3_vfs *v, int size, char *out)
{
    (void)v;
    real_vfs->xDlError(real_vfs, size, out);
}

static void (*walbuf_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return real_vfs->xDlSym(real_vfs, h, sym);
}

static void walbuf_dl_close(sqlite3_vfs *v, void *h)
{
    (void)v;
    real_vfs->xDlClose(real_vfs, h);
}

static int walbuf_randomness(sqlite3_vfs *v, int size, char *out)
{
    (void)v;
    return real_vfs->xRandomness(real_vfs, size, out);
}

static int walbuf_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}

static int walbuf_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int walbuf_get_last_error(sqlite3_vfs *v, int size, char *out)
{
    (void)v;
    return real_vfs->xGetLastError(real_vfs, size, out);
}

static int walbuf_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static int registered = SQLITE_ERROR;

static void register_once(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    /* The unix VFS is version 3 with every method set; anything else is used as it is. */
    if (!real_vfs || real_vfs->iVersion < 2 || !real_vfs->xCurrentTimeInt64)
        return;
    walbuf_methods = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = walbuf_close,
        .xRead = walbuf_read,
        .xWrite = walbuf_write,
        .xTruncate = walbuf_truncate,
        .xSync = walbuf_sync,
        .xFileSize = walbuf_file_size,
        .xLock = walbuf_lock,
        .xUnlock = walbuf_unlock,
        .xCheckReservedLock = walbuf_check_reserved_lock,
        .xFileControl = walbuf_file_control,
        .xSectorSize = walbuf_sector_size,
        .xDeviceCharacteristics = walbuf_device_characteristics,
        .xShmMap = walbuf_shm_map,
        .xShmLock = walbuf_shm_lock,
        .xShmBarrier = walbuf_shm_barrier,
        .xShmUnmap = walbuf_shm_unmap,
        .xFetch = walbuf_fetch,
        .xUnfetch = walbuf_unfetch,
    };
    walbuf_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct walbuf_file) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = WALBUF_VFS_NAME,
        .xOpen = walbuf_open,
        .xDelete = walbuf_delete,
        .xAccess = walbuf_access,
        .xFullPathname = walbuf_full_pathname,
        .xDlOpen = walbuf_dl_open,
        .xDlError = walbuf_dl_error,
        .xDlSym = walbuf_dl_sym,
        .xDlClose = walbuf_dl_close,
        .xRandomness = walbuf_randomness,
        .xSleep = walbuf_sleep,
        .xCurrentTime = walbuf_current_time,
        .xGetLastError = walbuf_get_last_error,
        .xCurrentTimeInt64 = walbuf_current_time_int64,
    };
    registered = sqlite3_vfs_register(&walbuf_vfs, 0);
}

const char *rr__store_walbuf_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_once);
    return registered == SQLITE_OK ? WALBUF_VFS_NAME : NULL;
}

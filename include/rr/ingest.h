/*
 * ingest: group commit of webhook requests into the store.
 *
 * One writer thread owns the write connection. Requests hand it a job and are told, through a
 * callback, once their alerts are on disk (or not). The writer takes every job queued while
 * the previous commit was syncing, stores them in ONE transaction (a job that fails on its own
 * is left out and the rest run again, so one bad job spares its batch mates), commits, and only
 * then reports success.
 * A request answered 200 therefore always has its alerts committed with synchronous=FULL, and
 * the fsync cost is shared by the whole batch: throughput is not capped by the disk's fsync
 * rate.
 *
 * Metrics (stored, duplicate, commit timings) are counted only after a successful commit.
 *
 * Readiness: rr_ingest_ready turns false when a group commit fails (or a job hits a storage
 * error) and true again after the next clean commit; while it is false and no traffic comes,
 * the writer probes the database about once a second, so /-/ready recovers on its own once the
 * disk has room again or the lock is released.
 *
 * Thread: rr_ingest_submit, rr_ingest_submit_wait, rr_ingest_ready and rr_ingest_get_stats may
 * be called from any thread; job callbacks run on the writer thread and must not block. Lock
 * order: the ingest's queue lock is a leaf — it is never held while the store, a done()
 * callback, the log or the metrics run — so a done() may take its own locks freely.
 */
#ifndef RR_INGEST_H
#define RR_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "rr/alert.h"
#include "rr/err.h"

struct rr_live;
struct rr_store;
struct rr_store_decision;

struct rr_ingest;

struct rr_ingest_job {
    /* Filled by the submitter: either a webhook to store, or a write to run. */
    const struct rr_webhook *webhook; /* borrowed until done() is called; NULL for a write */
    /* A write run inside the group commit — how other parts of serve (the page dispatcher)
     * write, so the database has exactly one writer and nobody waits on SQLite's lock. A
     * non-OK return leaves just this job out. It may run more than once: when a batch mate
     * fails, the batch is rolled back and run again without it. Each run must start from
     * scratch; only the last one is committed. */
    enum rr_err (*write)(struct rr_store *store, void *write_ctx, struct rr_diag *diag);
    void *write_ctx;
    const struct rr_store_decision *decisions; /* borrowed until done(); without `live`:
                                                  NULL, or webhook->n_alerts decisions to
                                                  store as given, kept for new episodes only */
    int64_t received_ms;          /* receipt time, ms since the epoch */
    /* Called exactly once: on the writer thread, or at once on the submitting thread when
     * ingest is stopping. Ingest never touches the job after calling it. */
    void (*done)(struct rr_ingest_job *job);
    void *ctx; /* the submitter's */
    /* Filled by ingest before done(). */
    enum rr_err err;     /* RR_OK when committed; RR_ERR_BUSY / RR_ERR_DB: not stored */
    struct rr_diag diag; /* why, when err != RR_OK */
    unsigned stored;     /* new episodes + transitions committed */
    unsigned duplicates; /* known episodes that changed nothing */
    uint64_t batch;      /* which group commit carried it (1, 2, ...); logs and tests */
    /* Private. */
    struct rr_ingest_job *next;
};

struct rr_ingest_options {
    int busy_timeout_ms;      /* passed to the store; 0 = its default */
    unsigned max_batch_jobs;  /* jobs per transaction; 0 = default 4096 */
    int checkpoint_pages;     /* WAL size that starts a checkpoint; 0 = default 1000. Tests. */
    struct rr_live *live;     /* borrowed until rr_ingest_stop; when set, every alert is
                                 classified at ingest (PRODUCT §5) and a new episode stores its
                                 decision in the same transaction; NULL: job->decisions */
    const char *external_url; /* borrowed: base of links in pages (with live) */
    /* Called on the writer thread after every successful commit (the dispatcher's wake-up). */
    void (*on_commit)(void *ctx);
    void *on_commit_ctx;
};

/*
 * Opens the store at db_path and starts the writer thread.
 * @param[out] out owned; stop with rr_ingest_stop()
 */
RR_NODISCARD enum rr_err rr_ingest_start(const char *db_path, const struct rr_ingest_options *opts,
                                         struct rr_ingest **out, struct rr_diag *diag);

/* Queues a job. done() runs later on the writer thread (or at once with RR_ERR_DB when
 * ingest is stopping). Never blocks on the disk. */
void rr_ingest_submit(struct rr_ingest *ingest, struct rr_ingest_job *job);

/* Submits and waits: for the CLI and tests. Sets job->done and job->ctx itself (the caller's
 * are ignored). Returns job->err. */
enum rr_err rr_ingest_submit_wait(struct rr_ingest *ingest, struct rr_ingest_job *job);

/* Sets (or clears, with NULL) the after-commit hook: serve starts the dispatcher after ingest
 * and must stop calling it before the dispatcher goes. */
void rr_ingest_set_on_commit(struct rr_ingest *ingest, void (*on_commit)(void *ctx), void *ctx);

/* True while the last commit (or probe) succeeded and the database is writable. */
bool rr_ingest_ready(struct rr_ingest *ingest);

/* Counters since start, for tests and diagnostics (metrics.h holds the exported ones). */
struct rr_ingest_stats {
    uint64_t batches;         /* transactions attempted */
    uint64_t commits;         /* transactions committed */
    uint64_t commit_failures; /* transactions that failed: begin, a lost transaction or commit */
    uint64_t jobs_committed;  /* jobs answered RR_OK */
    uint64_t jobs_failed;     /* jobs answered an error (refused ones included) */
    uint64_t probes;          /* health probes run while not ready */
};
void rr_ingest_get_stats(struct rr_ingest *ingest, struct rr_ingest_stats *out);

/* Refuses new jobs (done() at once with RR_ERR_DB "shutting down"), finishes every queued job,
 * stops the writer, closes the store. Submits may race with it, but none may start after it
 * returns. NULL-safe. */
void rr_ingest_stop(struct rr_ingest *ingest);

#endif

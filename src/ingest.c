/*
 * ingest: the writer thread and its group commit (see include/rr/ingest.h for the contract).
 *
 * Requests append jobs to a FIFO under one mutex and signal the writer. The writer takes
 * everything queued (up to max_batch_jobs), stores it in one IMMEDIATE transaction, commits
 * once, and only then fills in each job and calls its done(). While it commits, new jobs queue
 * up behind it and form the next batch, so batches grow with load and one fsync
 * (synchronous=FULL) serves many requests.
 *
 * Lock order: `lock` guards the queue and `stopping` and is a leaf: it is released before the
 * writer touches the store, calls done(), logs or counts metrics. Everything else the writer
 * owns alone (the store, batch_seq, next_probe_ns); other threads read only atomics.
 */
#define RR_LOG_MODULE "ingest"
#include "rr/ingest.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rr/buf.h"
#include "rr/checkpointer.h"
#include "rr/clock.h"
#include "rr/log.h"
#include "rr/metrics.h"
#include "rr/store.h"

#include "ingest_int.h"

#define DEFAULT_MAX_BATCH_JOBS 4096
#define PROBE_INTERVAL_NS      1000000000LL /* how often an idle, unready writer probes */

struct rr_ingest {
    char *db_path; /* owned; for reopening a store gone read-only */
    struct rr_store_options store_opts;
    unsigned max_batch; /* jobs per transaction */
    pthread_t writer;

    pthread_mutex_t lock;              /* guards the fields up to `stopping` */
    pthread_cond_t wake;               /* signalled on submit and stop; CLOCK_MONOTONIC */
    struct rr_ingest_job *head, *tail; /* FIFO of queued jobs, linked through job->next */
    bool stopping;                     /* refuse new jobs; the writer exits once drained */

    struct rr_store *store;              /* owned; the writer thread's alone while it runs */
    struct rr_checkpointer *checkpointer; /* owned; copies the WAL into the database */
    struct rr_live *live;                /* borrowed; NULL: alerts are stored unclassified */
    const char *external_url;            /* borrowed: base of links in pages */
    _Atomic(void (*)(void *)) on_commit; /* after each successful commit, or NULL */
    _Atomic(void *) on_commit_ctx;
    int64_t next_probe_ns; /* writer only: monotonic time of the next probe */

    atomic_bool ready; /* last commit or probe succeeded and writable */
    _Atomic uint64_t batches, commits, commit_failures, jobs_committed, jobs_failed, probes;
};

/* Only RR_ERR_BUSY and RR_ERR_DB reach a job: both mean "not stored" (503). */
static enum rr_err job_err(enum rr_err err)
{
    return err == RR_ERR_BUSY ? RR_ERR_BUSY : RR_ERR_DB;
}

static void set_ready(struct rr_ingest *ing, bool ready, const char *how)
{
    bool was = atomic_exchange(&ing->ready, ready);
    if (ready && !was)
        RR_INFO("store writable again", "after=%s", how);
    if (!ready)
        ing->next_probe_ns = rr_clock_mono_ns() + PROBE_INTERVAL_NS;
}

/* Stores one job in the open transaction. On failure the reason is in job->diag and whatever the
 * job wrote so far is still in the transaction: the caller rolls the whole pass back. */
static enum rr_err run_job(struct rr_ingest *ing, const struct rr_snapshot *snap,
                           struct rr_ingest_job *job, struct ingest_tally *tally)
{
    if (job->write)
        return job->write(ing->store, job->write_ctx, &job->diag);
    int64_t receipt = 0;
    enum rr_err err =
        rr_store_put_receipt(ing->store, job->webhook, job->received_ms, &receipt, &job->diag);
    if (!err)
        err = ingest_store_alerts(ing->store, snap, ing->external_url, job, receipt, tally);
    return err;
}

/* Counts what a committed batch did; metrics only ever describe what is on disk. */
static unsigned count_committed(struct rr_ingest_job *jobs, int64_t duration_ns)
{
    uint64_t stored = 0, duplicates = 0, firing = 0, resolved = 0, truncated = 0;
    unsigned ok = 0, webhooks = 0;
    for (struct rr_ingest_job *j = jobs; j; j = j->next) {
        if (j->err)
            continue;
        ok++;
        if (!j->webhook)
            continue; /* a write: no alerts to count */
        webhooks++;
        stored += j->stored;
        duplicates += j->duplicates;
        truncated += j->webhook->truncated;
        for (size_t i = 0; i < j->webhook->n_alerts; i++) {
            if (j->webhook->alerts[i].status == RR_ALERT_RESOLVED)
                resolved++;
            else
                firing++;
        }
    }
    rr_metrics_add(RR_M_ALERTS_STORED, stored);
    rr_metrics_add(RR_M_ALERTS_DUPLICATE, duplicates);
    rr_metrics_add(RR_M_ALERTS_RECEIVED_FIRING, firing);
    rr_metrics_add(RR_M_ALERTS_RECEIVED_RESOLVED, resolved);
    rr_metrics_add(RR_M_VALUES_TRUNCATED, truncated);
    rr_metrics_observe_commit(duration_ns, webhooks);
    return ok;
}

/*
 * One pass over the jobs of a batch not yet failed, in one transaction. A job that fails on its
 * own (the transaction survives: a constraint, a value too large) is marked failed and the pass
 * is rolled back, *again set: the next pass runs its batch mates without it. Rolling back and
 * running again costs only on that rare path; a savepoint per job would cost on every job (each
 * page a job touches is first copied to a sub-journal). A failure that took the transaction with
 * it (SQLITE_FULL, IOERR, BUSY) is returned: the batch fails as one.
 */
static enum rr_err run_pass(struct rr_ingest *ing, const struct rr_snapshot *snap,
                            struct rr_ingest_job *jobs, struct ingest_tally *tallies, uint64_t seq,
                            bool *again, bool *trouble, struct rr_diag *diag)
{
    struct rr_store *store = ing->store;
    size_t k = 0;
    for (struct rr_ingest_job *j = jobs; j; j = j->next, k++) {
        ingest_tally_release(&tallies[k]);
        j->stored = j->duplicates = 0;
    }
    enum rr_err err = rr_store_begin(store, diag);
    k = 0;
    for (struct rr_ingest_job *j = jobs; !err && j; j = j->next, k++) {
        if (j->err)
            continue; /* failed in an earlier pass */
        enum rr_err jerr = run_job(ing, snap, j, &tallies[k]);
        if (!jerr)
            continue;
        if (!rr_store_in_transaction(store)) {
            *diag = j->diag;
            return jerr;
        }
        char reason[256];
        RR_WARN(j->webhook ? "request not stored" : "write not stored",
                "batch=%llu alerts=%zu reason=%s", (unsigned long long)seq,
                j->webhook ? j->webhook->n_alerts : 0,
                rr_log_q(reason, sizeof reason, j->diag.msg));
        *trouble |= jerr == RR_ERR_BUSY || jerr == RR_ERR_DB;
        j->err = job_err(jerr);
        rr_store_rollback(store);
        *again = true;
        return RR_OK;
    }
    return err;
}

static void run_batch(struct rr_ingest *ing, struct rr_ingest_job *jobs, unsigned n)
{
    struct rr_store *store = ing->store;
    struct rr_diag diag = {{0}};
    uint64_t seq = atomic_fetch_add(&ing->batches, 1) + 1;
    bool trouble = false; /* a job failed because of the database, not because of itself */
    int64_t t0 = rr_clock_mono_ns();
    for (struct rr_ingest_job *j = jobs; j; j = j->next) {
        j->err = RR_OK;
        j->diag.msg[0] = '\0';
        j->batch = seq;
    }
    /* One configuration for the whole batch, even if a reload lands meanwhile. */
    struct rr_snapshot *snap = ing->live ? rr_live_acquire(ing->live) : NULL;
    struct ingest_tally *tallies = rr_xcalloc(n, sizeof *tallies);
    enum rr_err err;
    bool again;
    do { /* at most n + 1 passes: each one but the last fails one more job */
        again = false;
        err = run_pass(ing, snap, jobs, tallies, seq, &again, &trouble, &diag);
    } while (!err && again);
    if (err)
        rr_store_rollback(store);
    else
        err = rr_store_commit(store, &diag);
    int64_t duration_ns = rr_clock_mono_ns() - t0;

    if (err) {
        for (struct rr_ingest_job *j = jobs; j; j = j->next) {
            if (!j->err) {
                j->err = job_err(err);
                j->diag = diag;
            }
            j->stored = j->duplicates = 0;
        }
        rr_metrics_add(RR_M_STORE_COMMIT_FAILURES, 1);
        atomic_fetch_add(&ing->commit_failures, 1);
        atomic_fetch_add(&ing->jobs_failed, n);
        char reason[256];
        RR_WARN("group commit failed", "batch=%llu jobs=%u err=%s reason=%s",
                (unsigned long long)seq, n, rr_strerror(err),
                rr_log_q(reason, sizeof reason, diag.msg));
        set_ready(ing, false, "commit");
    } else {
        unsigned ok = count_committed(jobs, duration_ns);
        size_t k = 0;
        for (struct rr_ingest_job *j = jobs; j; j = j->next, k++) {
            if (!j->err)
                ingest_tally_apply(&tallies[k]);
        }
        void (*hook)(void *) = atomic_load(&ing->on_commit);
        if (hook)
            hook(atomic_load(&ing->on_commit_ctx));
        atomic_fetch_add(&ing->commits, 1);
        atomic_fetch_add(&ing->jobs_committed, ok);
        atomic_fetch_add(&ing->jobs_failed, n - ok);
        set_ready(ing, !trouble && rr_store_writable(store), "commit");
    }
    for (unsigned i = 0; i < n; i++)
        ingest_tally_release(&tallies[i]);
    free(tallies);
    /* The decisions are stored and counted: route names are no longer needed. */
    if (snap)
        rr_live_release(ing->live, snap);
    /* done() may free the job (or let its owner do so), so read next first. */
    for (struct rr_ingest_job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        j->done(j);
    }
    /* Last, with every request of the batch answered: the WAL's tail, when it is the writer's
     * turn to copy it (see checkpointer.h). Busy: the thread is copying; next time. */
    if (!err && rr_checkpointer_after_commit(ing->checkpointer, rr_store_wal_pages(store)) &&
        rr_store_checkpoint(store, &diag) == RR_ERR_DB) {
        char reason[256];
        RR_WARN("checkpoint failed", "reason=%s", rr_log_q(reason, sizeof reason, diag.msg));
    }
}

/* While not ready and idle: prove a durable write works. A store SQLite could only open
 * read-only stays read-only, so that one is reopened instead. */
static void probe(struct rr_ingest *ing)
{
    struct rr_diag diag = {{0}};
    atomic_fetch_add(&ing->probes, 1);
    if (!rr_store_writable(ing->store)) {
        struct rr_store *fresh = NULL;
        if (rr_store_open(ing->db_path, &ing->store_opts, &fresh, &diag) == RR_OK) {
            rr_store_close(ing->store);
            ing->store = fresh;
        }
    }
    enum rr_err err = rr_store_probe(ing->store, rr_clock_wall_ms(), &diag);
    if (!err && !rr_store_writable(ing->store))
        err = rr_diag_set(&diag, RR_ERR_DB, "database is read-only");
    if (err) {
        char reason[256];
        RR_DEBUG("probe failed", "reason=%s", rr_log_q(reason, sizeof reason, diag.msg));
    }
    set_ready(ing, !err, "probe");
}

static void *writer_main(void *arg)
{
    (void)prctl(PR_SET_NAME, "rr-writer"); /* shown by top -H and perf */
    struct rr_ingest *ing = arg;
    pthread_mutex_lock(&ing->lock);
    for (;;) {
        if (ing->head) {
            struct rr_ingest_job *batch = ing->head, *last = batch;
            unsigned n = 1;
            while (n < ing->max_batch && last->next) {
                last = last->next;
                n++;
            }
            ing->head = last->next;
            if (!ing->head)
                ing->tail = NULL;
            last->next = NULL;
            pthread_mutex_unlock(&ing->lock);
            run_batch(ing, batch, n);
            pthread_mutex_lock(&ing->lock);
        } else if (ing->stopping) {
            break;
        } else if (atomic_load(&ing->ready)) {
            pthread_cond_wait(&ing->wake, &ing->lock);
        } else if (rr_clock_mono_ns() < ing->next_probe_ns) {
            struct timespec ts = {.tv_sec = (time_t)(ing->next_probe_ns / 1000000000),
                                  .tv_nsec = (long)(ing->next_probe_ns % 1000000000)};
            pthread_cond_timedwait(&ing->wake, &ing->lock, &ts);
        } else {
            pthread_mutex_unlock(&ing->lock);
            probe(ing);
            pthread_mutex_lock(&ing->lock);
        }
    }
    pthread_mutex_unlock(&ing->lock);
    return NULL;
}

enum rr_err rr_ingest_start(const char *db_path, const struct rr_ingest_options *opts,
                            struct rr_ingest **out, struct rr_diag *diag)
{
    struct rr_ingest_options o = opts ? *opts : (struct rr_ingest_options){0};
    struct rr_ingest *ing = rr_xcalloc(1, sizeof *ing);
    ing->db_path = rr_xstrdup(db_path);
    ing->store_opts.busy_timeout_ms = o.busy_timeout_ms;
    ing->max_batch = o.max_batch_jobs ? o.max_batch_jobs : DEFAULT_MAX_BATCH_JOBS;
    ing->live = o.live;
    ing->external_url = o.external_url;
    atomic_store(&ing->on_commit, o.on_commit);
    atomic_store(&ing->on_commit_ctx, o.on_commit_ctx);
    pthread_mutex_init(&ing->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* rr_clock_mono_ns's clock */
    pthread_cond_init(&ing->wake, &attr);
    pthread_condattr_destroy(&attr);
    ing->store_opts.manual_checkpoints = true;
    enum rr_err err = rr_store_open(db_path, &ing->store_opts, &ing->store, diag);
    if (!err)
        err = rr_checkpointer_start(db_path, o.checkpoint_pages, &ing->checkpointer, diag);
    if (err)
        goto out;
    atomic_store(&ing->ready, rr_store_writable(ing->store));
    ing->next_probe_ns = rr_clock_mono_ns(); /* not writable: probe (reopen) at once */
    if (pthread_create(&ing->writer, NULL, writer_main, ing) != 0) {
        err = rr_diag_set(diag, RR_ERR_INTERNAL, "cannot start the writer thread");
        goto out;
    }
    RR_INFO("writer started", "max_batch_jobs=%u ready=%d", ing->max_batch,
            (int)atomic_load(&ing->ready));
    *out = ing;
    ing = NULL;
out:
    if (ing) {
        rr_checkpointer_stop(ing->checkpointer);
        rr_store_close(ing->store);
        pthread_cond_destroy(&ing->wake);
        pthread_mutex_destroy(&ing->lock);
        free(ing->db_path);
        free(ing);
    }
    return err;
}

void rr_ingest_set_on_commit(struct rr_ingest *ingest, void (*on_commit)(void *ctx), void *ctx)
{
    /* The context first: the writer loads the hook, then its context. Clearing writes the hook
     * first so the writer never pairs a new hook with a stale context. */
    if (on_commit) {
        atomic_store(&ingest->on_commit_ctx, ctx);
        atomic_store(&ingest->on_commit, on_commit);
    } else {
        atomic_store(&ingest->on_commit, NULL);
        atomic_store(&ingest->on_commit_ctx, NULL);
    }
}

void rr_ingest_submit(struct rr_ingest *ingest, struct rr_ingest_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&ingest->lock);
    bool refused = ingest->stopping;
    if (!refused) {
        if (ingest->tail)
            ingest->tail->next = job;
        else
            ingest->head = job;
        ingest->tail = job;
        pthread_cond_signal(&ingest->wake);
    }
    pthread_mutex_unlock(&ingest->lock);
    if (refused) {
        job->err = rr_diag_set(&job->diag, RR_ERR_DB, "shutting down");
        job->stored = job->duplicates = 0;
        job->batch = 0;
        atomic_fetch_add(&ingest->jobs_failed, 1);
        job->done(job);
    }
}

struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};

static void wake_waiter(struct rr_ingest_job *job)
{
    struct waiter *w = job->ctx;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    /* The waiter may return and pop w off its stack as soon as this unlock lands. */
    pthread_mutex_unlock(&w->lock);
}

enum rr_err rr_ingest_submit_wait(struct rr_ingest *ingest, struct rr_ingest_job *job)
{
    struct waiter w = {.done = false};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    job->done = wake_waiter;
    job->ctx = &w;
    rr_ingest_submit(ingest, job);
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
    return job->err;
}

bool rr_ingest_ready(struct rr_ingest *ingest)
{
    return atomic_load(&ingest->ready);
}

void rr_ingest_get_stats(struct rr_ingest *ingest, struct rr_ingest_stats *out)
{
    *out = (struct rr_ingest_stats){
        .batches = atomic_load(&ingest->batches),
        .commits = atomic_load(&ingest->commits),
        .commit_failures = atomic_load(&ingest->commit_failures),
        .jobs_committed = atomic_load(&ingest->jobs_committed),
        .jobs_failed = atomic_load(&ingest->jobs_failed),
        .probes = atomic_load(&ingest->probes),
    };
}

void rr_ingest_stop(struct rr_ingest *ingest)
{
    if (!ingest)
        return;
    pthread_mutex_lock(&ingest->lock);
    ingest->stopping = true;
    pthread_cond_broadcast(&ingest->wake);
    pthread_mutex_unlock(&ingest->lock);
    pthread_join(ingest->writer, NULL);
    rr_store_close(ingest->store);
    rr_checkpointer_stop(ingest->checkpointer);
    pthread_cond_destroy(&ingest->wake);
    pthread_mutex_destroy(&ingest->lock);
    RR_INFO("writer stopped", "db=%s", ingest->db_path);
    free(ingest->db_path);
    free(ingest);
}

/*
 * check_ingest: the group commit as a request sees it — done() exactly once, with the counts,
 * only after the rows are on disk; many concurrent requests share commits; a bad request does
 * not sink its batch mates; a failed commit fails every request in it and turns readiness off
 * until the database takes writes again; stop drains the queue.
 *
 * A full disk is simulated below SQLite by tests/support/failing_vfs (WAL writes fail with
 * SQLITE_FULL while failing_vfs_full is set). A lock is simulated with a second connection.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>
#include <sqlite3.h>

#include "rr/ingest.h"
#include "rr/store.h"
#include "rr/metrics.h"

#include "failing_vfs.h"
#include "testlib.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

/* ---- hand-built requests ---- */

#define MAX_ALERTS 4

struct tjob {
    struct rr_ingest_job job;
    struct rr_webhook wh;
    struct rr_alert alerts[MAX_ALERTS];
    struct rr_label labels[MAX_ALERTS][2];
    char instance[MAX_ALERTS][48];
    atomic_int done_calls;
};

static atomic_int done_total;

static void on_done(struct rr_ingest_job *job)
{
    struct tjob *t = job->ctx;
    atomic_fetch_add(&t->done_calls, 1);
    atomic_fetch_add(&done_total, 1);
}

/* A firing request of n alerts with fingerprints unique to id. */
static void tjob_init(struct tjob *t, unsigned id, size_t n)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        struct rr_alert *a = &t->alerts[i];
        snprintf(t->instance[i], sizeof t->instance[i], "i-%u-%zu", id, i);
        t->labels[i][0] = (struct rr_label){"alertname", "TemporalWorkflowFailures"};
        t->labels[i][1] = (struct rr_label){"instance", t->instance[i]};
        a->labels = (struct rr_labelset){t->labels[i], 2};
        a->status = RR_ALERT_FIRING;
        a->starts_at = (struct rr_time){.sec = T0 / 1000};
        a->ends_at = (struct rr_time){.sec = -62135596800LL}; /* Go's zero time */
        a->generator_url = "";
        snprintf(a->fingerprint, sizeof a->fingerprint, "%012x%04x", id, (unsigned)(i & 0xffff));
    }
    t->wh = (struct rr_webhook){.receiver = "temporal",
                                .alerts = t->alerts,
                                .n_alerts = n,
                                .group_key = "{}",
                                .status = RR_ALERT_FIRING};
    t->job.webhook = &t->wh;
    t->job.received_ms = T0;
    t->job.done = on_done;
    t->job.ctx = t;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void wait_done_total(int n)
{
    for (int i = 0; i < 20000 && atomic_load(&done_total) < n; i++)
        sleep_ms(1);
    ck_assert_int_eq(atomic_load(&done_total), n);
}

static bool wait_ready(struct rr_ingest *ing, bool want, long timeout_ms)
{
    for (long waited = 0; waited < timeout_ms; waited += 10) {
        if (rr_ingest_ready(ing) == want)
            return true;
        sleep_ms(10);
    }
    return rr_ingest_ready(ing) == want;
}

struct fx {
    char *dir;
    char path[512];
    struct rr_ingest *ing;
};

static void fx_start(struct fx *f, const struct rr_ingest_options *o)
{
    rr_metrics_reset();
    atomic_store(&done_total, 0);
    f->dir = rr_test_tmpdir();
    snprintf(f->path, sizeof f->path, "%s/rr.db", f->dir);
    struct rr_diag d = {{0}};
    ck_assert_msg(rr_ingest_start(f->path, o, &f->ing, &d) == RR_OK, "start: %s", d.msg);
    ck_assert(rr_ingest_ready(f->ing));
}

/* Stops ingest (if still running) and removes the database. */
static void fx_finish(struct fx *f)
{
    rr_ingest_stop(f->ing);
    f->ing = NULL;
    rr_test_rmtree(f->dir);
    free(f->dir);
}

static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
                  sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A second connection holding the write lock, as another process would. */
static sqlite3 *hold_write_lock(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static void release_write_lock(sqlite3 *db)
{
    ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

START_TEST(test_single_job_committed_with_counts)
{
    struct fx f;
    fx_start(&f, NULL);
    static struct tjob t;
    tjob_init(&t, 1, 2);
    t.wh.truncated = 3;
    const struct rr_store_decision decisions[] = {
        {.json = "{\"layer\":\"application\",\"team\":\"payments\"}",
         .layer = "application",
         .team = "payments"},
        {0}};
    t.job.decisions = decisions;
    rr_ingest_submit(f.ing, &t.job);
    wait_done_total(1);
    ck_assert_int_eq(atomic_load(&t.done_calls), 1);
    ck_assert_int_eq(t.job.err, RR_OK);
    ck_assert_uint_eq(t.job.stored, 2);
    ck_assert_uint_eq(t.job.duplicates, 0);
    ck_assert_uint_ge(t.job.batch, 1);
    /* On disk by the time done() ran: a fresh connection sees it. */
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 2);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts WHERE team = 'payments'"), 1);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_STORED), 2);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_RECEIVED_FIRING), 2);
    ck_assert_int_eq(rr_metrics_get(RR_M_VALUES_TRUNCATED), 3);
    /* Alertmanager's repeat: committed again, all duplicates. */
    ck_assert_int_eq(rr_ingest_submit_wait(f.ing, &t.job), RR_OK);
    ck_assert_uint_eq(t.job.stored, 0);
    ck_assert_uint_eq(t.job.duplicates, 2);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_DUPLICATE), 2);
    /* Resolving one of them is a stored transition. */
    t.alerts[1].status = RR_ALERT_RESOLVED;
    t.alerts[1].ends_at = (struct rr_time){.sec = T0 / 1000 + 60};
    ck_assert_int_eq(rr_ingest_submit_wait(f.ing, &t.job), RR_OK);
    ck_assert_uint_eq(t.job.stored, 1);
    ck_assert_uint_eq(t.job.duplicates, 1);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_STORED), 3);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_RECEIVED_RESOLVED), 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 3);
    ck_assert_int_eq(rr_metrics_get(RR_M_STORE_COMMIT_FAILURES), 0);
    ck_assert(rr_ingest_ready(f.ing));
    fx_finish(&f);
}
END_TEST

#define N_THREADS       64
#define JOBS_PER_THREAD 16
#define ALERTS_PER_JOB  2

struct worker {
    struct rr_ingest *ing;
    unsigned id;
    struct tjob jobs[JOBS_PER_THREAD];
    int failures;
};

static void *submitter(void *arg)
{
    struct worker *w = arg;
    for (unsigned k = 0; k < JOBS_PER_THREAD; k++) {
        struct tjob *t = &w->jobs[k];
        tjob_init(t, w->id * JOBS_PER_THREAD + k, ALERTS_PER_JOB);
        /* Half wait like an HTTP request does; half are fired and forgotten. */
        if (k % 2) {
            w->failures += rr_ingest_submit_wait(w->ing, &t->job) != RR_OK;
            atomic_fetch_add(&t->done_calls, 1);
            atomic_fetch_add(&done_total, 1);
        } else {
            rr_ingest_submit(w->ing, &t->job);
        }
    }
    return NULL;
}

START_TEST(test_concurrent_requests_share_commits)
{
    struct fx f;
    fx_start(&f, NULL);
    static struct worker workers[N_THREADS];
    pthread_t threads[N_THREADS];
    for (unsigned i = 0; i < N_THREADS; i++) {
        workers[i] = (struct worker){.ing = f.ing, .id = i};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, submitter, &workers[i]), 0);
    }
    for (unsigned i = 0; i < N_THREADS; i++)
        pthread_join(threads[i], NULL);
    const int n_jobs = N_THREADS * JOBS_PER_THREAD;
    wait_done_total(n_jobs);
    struct rr_ingest_stats st;
    rr_ingest_get_stats(f.ing, &st);
    rr_ingest_stop(f.ing);
    f.ing = NULL;
    for (unsigned i = 0; i < N_THREADS; i++) {
        ck_assert_int_eq(workers[i].failures, 0);
        for (unsigned k = 0; k < JOBS_PER_THREAD; k++) {
            const struct tjob *t = &workers[i].jobs[k];
            ck_assert_int_eq(atomic_load(&t->done_calls), 1);
            ck_assert_int_eq(t->job.err, RR_OK);
            ck_assert_uint_eq(t->job.stored, ALERTS_PER_JOB);
        }
    }
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), n_jobs);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(DISTINCT fingerprint) FROM alerts"),
                     n_jobs * ALERTS_PER_JOB);
    ck_assert_uint_eq(st.jobs_committed, (uint64_t)n_jobs);
    ck_assert_uint_eq(st.commit_failures, 0);
    /* Grouping: fewer transactions than requests (typically a few dozen for 1024). */
    ck_assert_msg(st.commits < (uint64_t)n_jobs, "commits=%llu jobs=%d",
                  (unsigned long long)st.commits, n_jobs);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_STORED), n_jobs * ALERTS_PER_JOB);
    fx_finish(&f);
}
END_TEST

START_TEST(test_bad_request_spares_its_batch_mates)
{
    struct fx f;
    fx_start(&f, &(struct rr_ingest_options){.busy_timeout_ms = 10000});
    static struct tjob good[4], bad;
    for (unsigned i = 0; i < 4; i++)
        tjob_init(&good[i], i, 2);
    tjob_init(&bad, 100, 2);
    bad.alerts[1].labels = (struct rr_labelset){&bad.labels[1][1], 1}; /* no alertname */
    /* Hold the writer on its first batch so the rest queue up into one batch behind it. */
    sqlite3 *lock = hold_write_lock(f.path);
    rr_ingest_submit(f.ing, &good[0].job);
    sleep_ms(50);
    rr_ingest_submit(f.ing, &good[1].job);
    rr_ingest_submit(f.ing, &bad.job);
    rr_ingest_submit(f.ing, &good[2].job);
    rr_ingest_submit(f.ing, &good[3].job);
    sleep_ms(100);
    release_write_lock(lock);
    wait_done_total(5);
    ck_assert_int_eq(bad.job.err, RR_ERR_DB);
    ck_assert_msg(strstr(bad.job.diag.msg, "alerts[1]") && strstr(bad.job.diag.msg, "alertname"),
                  "diag: %s", bad.job.diag.msg);
    ck_assert_uint_eq(bad.job.stored, 0);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(good[i].job.err, RR_OK);
        ck_assert_int_eq(atomic_load(&good[i].done_calls), 1);
    }
    ck_assert_int_eq(atomic_load(&bad.done_calls), 1);
    ck_assert_uint_eq(bad.job.batch, good[1].job.batch); /* really batch mates */
    ck_assert_uint_eq(bad.job.batch, good[3].job.batch);
    /* The bad request left nothing behind, not even its first alert or its receipt. */
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 4);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 8);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_STORED), 8);
    ck_assert_int_eq(rr_metrics_get(RR_M_STORE_COMMIT_FAILURES), 0);
    ck_assert(rr_ingest_ready(f.ing)); /* the database is fine */
    fx_finish(&f);
}
END_TEST

START_TEST(test_failed_commit_fails_the_batch_and_readiness_recovers)
{
    ck_assert_int_eq(failing_vfs_register(), SQLITE_OK);
    struct fx f;
    fx_start(&f, NULL);
    static struct tjob first, jobs[8];
    tjob_init(&first, 99, 1);
    ck_assert_int_eq(rr_ingest_submit_wait(f.ing, &first.job), RR_OK);
    atomic_store(&done_total, 0);
    atomic_store(&failing_vfs_full, true); /* the disk is full from now on */
    for (unsigned i = 0; i < 8; i++) {
        tjob_init(&jobs[i], i, 2);
        rr_ingest_submit(f.ing, &jobs[i].job);
    }
    wait_done_total(8);
    for (unsigned i = 0; i < 8; i++) {
        ck_assert_int_eq(atomic_load(&jobs[i].done_calls), 1);
        ck_assert_int_eq(jobs[i].job.err, RR_ERR_DB);
        ck_assert_msg(strstr(jobs[i].job.diag.msg, "full"), "diag: %s", jobs[i].job.diag.msg);
        ck_assert_uint_eq(jobs[i].job.stored, 0);
    }
    ck_assert(!rr_ingest_ready(f.ing));
    ck_assert_uint_ge(rr_metrics_get(RR_M_STORE_COMMIT_FAILURES), 1);
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_STORED), 1); /* only `first` */
    ck_assert_int_eq(rr_metrics_get(RR_M_ALERTS_RECEIVED_FIRING), 1);
    /* Idle and still full: the probes keep failing, readiness stays off. */
    sleep_ms(1500);
    struct rr_ingest_stats st;
    rr_ingest_get_stats(f.ing, &st);
    ck_assert_uint_ge(st.probes, 1);
    ck_assert(!rr_ingest_ready(f.ing));
    /* Space comes back: readiness recovers without any request. */
    atomic_store(&failing_vfs_full, false);
    ck_assert_msg(wait_ready(f.ing, true, 5000), "ready did not recover");
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 1);
    /* Alertmanager's retry now succeeds: nothing of the failed batch had been stored. */
    for (unsigned i = 0; i < 8; i++) {
        ck_assert_int_eq(rr_ingest_submit_wait(f.ing, &jobs[i].job), RR_OK);
        ck_assert_uint_eq(jobs[i].job.stored, 2);
    }
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), 17);
    fx_finish(&f);
}
END_TEST

START_TEST(test_locked_database_fails_busy_and_readiness_recovers)
{
    struct fx f;
    fx_start(&f, &(struct rr_ingest_options){.busy_timeout_ms = 100});
    static struct tjob t;
    tjob_init(&t, 1, 1);
    sqlite3 *lock = hold_write_lock(f.path);
    ck_assert_int_eq(rr_ingest_submit_wait(f.ing, &t.job), RR_ERR_BUSY);
    ck_assert_msg(strstr(t.job.diag.msg, "locked"), "diag: %s", t.job.diag.msg);
    ck_assert(!rr_ingest_ready(f.ing));
    release_write_lock(lock);
    ck_assert_msg(wait_ready(f.ing, true, 5000), "ready did not recover");
    ck_assert_int_eq(rr_ingest_submit_wait(f.ing, &t.job), RR_OK);
    ck_assert_uint_eq(t.job.stored, 1);
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), 1);
    fx_finish(&f);
}
END_TEST

#define N_QUEUED 20
#define N_LATE   2000

struct late {
    struct fx *f;
    sqlite3 *lock;
    struct tjob jobs[N_LATE];
    unsigned accepted; /* jobs[0..accepted) were queued; jobs[accepted] was refused */
};

/* Submits until a job is refused (stop has begun), then lets the writer go. */
static void *late_submitter(void *arg)
{
    struct late *l = arg;
    for (l->accepted = 0; l->accepted < N_LATE - 1; l->accepted++) {
        struct tjob *t = &l->jobs[l->accepted];
        tjob_init(t, 1000 + l->accepted, 1);
        rr_ingest_submit(l->f->ing, &t->job);
        /* The writer is stuck behind the lock, so only a refused job is done already. */
        if (atomic_load(&t->done_calls))
            break;
        sleep_ms(2);
    }
    release_write_lock(l->lock);
    return NULL;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* The WAL is copied into the database while commits go on, by the checkpoint thread and the
 * writer's tail copies: it stays near its threshold. Without the thread it would reach the
 * writer's own hard limit (16x); without any checkpoint, every frame ever written. */
START_TEST(test_wal_stays_near_its_checkpoint_threshold)
{
    enum { PAGES = 32, JOBS = 600, PAGE = 4096 };
    struct fx f;
    fx_start(&f, &(struct rr_ingest_options){.checkpoint_pages = PAGES});
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", f.path);
    static struct tjob t;
    off_t wal_max = 0;
    for (unsigned i = 0; i < JOBS; i++) {
        tjob_init(&t, 1000 + i, MAX_ALERTS);
        ck_assert_int_eq(rr_ingest_submit_wait(f.ing, &t.job), RR_OK);
        off_t n = file_size(wal);
        wal_max = n > wal_max ? n : wal_max;
    }
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM alerts"), JOBS * MAX_ALERTS);
    /* The pages reached the database file itself, while ingest still runs. */
    ck_assert_int_ge(file_size(f.path), 16 * PAGE);
    ck_assert_msg(wal_max <= 8 * PAGES * (PAGE + 24) + 32, "WAL reached %lld bytes",
                  (long long)wal_max);
    fx_finish(&f);
}
END_TEST

START_TEST(test_stop_refuses_new_jobs_and_drains_the_queue)
{
    struct fx f;
    fx_start(&f, &(struct rr_ingest_options){.busy_timeout_ms = 30000});
    static struct tjob queued[N_QUEUED];
    static struct late l;
    l.f = &f;
    l.lock = hold_write_lock(f.path);
    for (unsigned i = 0; i < N_QUEUED; i++) {
        tjob_init(&queued[i], i, 1);
        rr_ingest_submit(f.ing, &queued[i].job);
    }
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, late_submitter, &l), 0);
    sleep_ms(50);
    rr_ingest_stop(f.ing); /* returns only once the queue is drained */
    f.ing = NULL;
    pthread_join(th, NULL);
    ck_assert_uint_lt(l.accepted, N_LATE - 1);
    const struct tjob *refused = &l.jobs[l.accepted];
    ck_assert_int_eq(atomic_load(&refused->done_calls), 1);
    ck_assert_int_eq(refused->job.err, RR_ERR_DB);
    ck_assert_str_eq(refused->job.diag.msg, "shutting down");
    for (unsigned i = 0; i < N_QUEUED; i++) {
        ck_assert_int_eq(atomic_load(&queued[i].done_calls), 1);
        ck_assert_int_eq(queued[i].job.err, RR_OK);
    }
    for (unsigned i = 0; i < l.accepted; i++) {
        ck_assert_int_eq(atomic_load(&l.jobs[i].done_calls), 1);
        ck_assert_int_eq(l.jobs[i].job.err, RR_OK);
    }
    ck_assert_int_eq(raw_int(f.path, "SELECT count(*) FROM receipts"), N_QUEUED + l.accepted);
    rr_ingest_stop(NULL);
    fx_finish(&f);
}
END_TEST

START_TEST(test_start_fails_on_a_database_it_cannot_open)
{
    char *dir = rr_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/rr.db", dir);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 1000", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct rr_ingest *ing = NULL;
    struct rr_diag d = {{0}};
    ck_assert_int_eq(rr_ingest_start(path, NULL, &ing, &d), RR_ERR_DB);
    ck_assert_ptr_null(ing);
    ck_assert_msg(strstr(d.msg, "newer"), "diag: %s", d.msg);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *ingest_suite(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("commit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_single_job_committed_with_counts);
    tcase_add_test(tc, test_concurrent_requests_share_commits);
    tcase_add_test(tc, test_bad_request_spares_its_batch_mates);
    tcase_add_test(tc, test_wal_stays_near_its_checkpoint_threshold);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_failed_commit_fails_the_batch_and_readiness_recovers);
    tcase_add_test(tc, test_locked_database_fails_busy_and_readiness_recovers);
    tcase_add_test(tc, test_stop_refuses_new_jobs_and_drains_the_queue);
    tcase_add_test(tc, test_start_fails_on_a_database_it_cannot_open);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ingest_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * checkpointer: the WAL's bulk copy on its own thread (see include/rr/checkpointer.h).
 *
 * Lock order: `lock` is a leaf, never held while the store runs.
 */
#define RR_LOG_MODULE "checkpoint"
#include "rr/checkpointer.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <stdlib.h>

#include "rr/log.h"
#include "rr/store.h"

struct rr_checkpointer {
    struct rr_store *store; /* owned; the thread's alone */
    int pages;              /* WAL size that wakes the thread */
    pthread_t thread;
    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t wake;
    bool wanted;    /* the writer asked for a copy */
    bool running;   /* a copy is in progress */
    bool copied;    /* a copy finished since the writer last looked */
    bool stopping;
};

static void *checkpointer_main(void *arg)
{
    (void)prctl(PR_SET_NAME, "rr-checkpoint"); /* shown by top -H and perf */
    struct rr_checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->wanted && !c->stopping)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stopping)
            break;
        c->wanted = false;
        c->running = true;
        pthread_mutex_unlock(&c->lock);
        struct rr_diag diag = {{0}};
        enum rr_err err = rr_store_checkpoint(c->store, &diag);
        if (err && err != RR_ERR_BUSY) {
            char reason[256];
            RR_WARN("checkpoint failed", "reason=%s", rr_log_q(reason, sizeof reason, diag.msg));
        }
        pthread_mutex_lock(&c->lock);
        c->running = false;
        c->copied = !err;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

enum rr_err rr_checkpointer_start(const char *db_path, int pages, struct rr_checkpointer **out,
                                  struct rr_diag *diag)
{
    struct rr_checkpointer *c = rr_xcalloc(1, sizeof *c);
    c->pages = pages > 0 ? pages : RR_CHECKPOINT_PAGES;
    enum rr_err err = rr_store_open(db_path, &(struct rr_store_options){0}, &c->store, diag);
    if (err) {
        free(c);
        return err;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        rr_store_close(c->store);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return rr_diag_set(diag, RR_ERR_INTERNAL, "cannot start the checkpoint thread");
    }
    *out = c;
    return RR_OK;
}

bool rr_checkpointer_after_commit(struct rr_checkpointer *c, int wal_pages)
{
    pthread_mutex_lock(&c->lock);
    bool tail = c->copied && !c->running;
    c->copied = false;
    if (!tail && !c->running && wal_pages >= c->pages) {
        c->wanted = true;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    return tail || wal_pages >= RR_CHECKPOINT_HARD * c->pages;
}

void rr_checkpointer_stop(struct rr_checkpointer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    rr_store_close(c->store);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

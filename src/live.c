/* live: snapshot loading, reference counting and the reload swap. */
#include "rr/live.h"

#include <pthread.h>
#include <stdlib.h>

#include "rr/buf.h"
#include "rr/clock.h"

struct rr_live {
    const char *routing_dir;
    const char *runbooks_dir;
    pthread_mutex_t lock;        /* guards current and every snapshot's refs */
    pthread_mutex_t reload_lock; /* one reload at a time; held while loading, not the above */
    struct rr_snapshot *current; /* referenced by the live object itself */
};

static bool runbook_exists(const char *id, void *ctx)
{
    return rr_runbooks_find(ctx, id) != NULL;
}

enum rr_err rr_snapshot_load(const char *routing_dir, const char *runbooks_dir,
                             struct rr_snapshot **out, struct rr_diag *diag)
{
    struct rr_snapshot *s = rr_xcalloc(1, sizeof *s);
    enum rr_err err = rr_routing_load(routing_dir, &s->routing, diag);
    if (!err)
        err = rr_runbooks_load(runbooks_dir, &s->runbooks, diag);
    if (!err)
        err = rr_routing_check_runbooks(s->routing, runbook_exists, s->runbooks, diag);
    if (err) {
        rr_snapshot_free(s);
        return err;
    }
    s->loaded_ms = rr_clock_wall_ms();
    *out = s;
    return RR_OK;
}

void rr_snapshot_free(struct rr_snapshot *snap)
{
    if (!snap)
        return;
    rr_routing_free(snap->routing);
    rr_runbooks_free(snap->runbooks);
    free(snap);
}

enum rr_err rr_live_new(const char *routing_dir, const char *runbooks_dir, struct rr_live **out,
                        struct rr_diag *diag)
{
    struct rr_snapshot *first = NULL;
    enum rr_err err = rr_snapshot_load(routing_dir, runbooks_dir, &first, diag);
    if (err)
        return err;
    struct rr_live *live = rr_xcalloc(1, sizeof *live);
    live->routing_dir = routing_dir;
    live->runbooks_dir = runbooks_dir;
    pthread_mutex_init(&live->lock, NULL);
    pthread_mutex_init(&live->reload_lock, NULL);
    first->generation = 1;
    first->refs = 1;
    live->current = first;
    *out = live;
    return RR_OK;
}

void rr_live_free(struct rr_live *live)
{
    if (!live)
        return;
    rr_snapshot_free(live->current);
    pthread_mutex_destroy(&live->lock);
    pthread_mutex_destroy(&live->reload_lock);
    free(live);
}

struct rr_snapshot *rr_live_acquire(struct rr_live *live)
{
    pthread_mutex_lock(&live->lock);
    struct rr_snapshot *s = live->current;
    s->refs++;
    pthread_mutex_unlock(&live->lock);
    return s;
}

void rr_live_release(struct rr_live *live, struct rr_snapshot *snap)
{
    if (!snap)
        return;
    pthread_mutex_lock(&live->lock);
    int left = --snap->refs;
    pthread_mutex_unlock(&live->lock);
    if (left == 0)
        rr_snapshot_free(snap); /* the last reader of a replaced snapshot frees it */
}

enum rr_err rr_live_reload(struct rr_live *live, struct rr_diag *diag)
{
    pthread_mutex_lock(&live->reload_lock);
    struct rr_snapshot *next = NULL;
    enum rr_err err = rr_snapshot_load(live->routing_dir, live->runbooks_dir, &next, diag);
    if (!err) {
        pthread_mutex_lock(&live->lock);
        struct rr_snapshot *old = live->current;
        next->generation = old->generation + 1;
        next->refs = 1;
        live->current = next;
        pthread_mutex_unlock(&live->lock);
        rr_live_release(live, old); /* drop the live object's own reference */
    }
    pthread_mutex_unlock(&live->reload_lock);
    return err;
}

/*
 * dispatch: the outbox worker (see include/rr/dispatch.h). The dispatcher thread is the only
 * one touching the database; senders only talk HTTP. Work and results travel through two
 * lists under one lock.
 */
#define RR_LOG_MODULE "dispatch"
#include "rr/dispatch.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "rr/buf.h"
#include "rr/clock.h"
#include "rr/ingest.h"
#include "rr/live.h"
#include "rr/log.h"
#include "rr/metrics.h"
#include "rr/notify.h"
#include "rr/outbox.h"
#include "rr/pager.h"

#define CLAIM_IDLE_WAIT_MS 1000 /* longest sleep with nothing due: bounds clock drift */
/* The outbox gauges read every pending row (count and oldest): at most once a second, never
 * once per batch, or a backlog makes each batch slower and the backlog grows. */
#define GAUGE_INTERVAL_MS 1000

/* A page the dispatcher settles without sending it over the network. */
enum local {
    LOCAL_NONE,         /* sent by a sender */
    LOCAL_DRY_RUN,      /* written to the log: --dry-run */
    LOCAL_UNCONFIGURED, /* written to the log: the channel's secret is unset */
    LOCAL_FAILED,       /* cannot be sent at all (no such channel, unrenderable): dead letter */
};

/* One page on its way: claimed by the dispatcher, sent by a sender, recorded back. */
struct work {
    struct work *next;
    int64_t id, escalation_id, alert_id, created_ms;
    int attempt;
    char *team, *channel, *kind, *line;
    char *payload; /* owned */
    char *url;     /* owned secret: wiped before free */
    enum rr_channel_kind channel_kind;
    struct rr_delivery_result result;
    enum local local; /* decided here, without sending: see enum local */
};

struct rr_dispatch {
    struct rr_dispatch_options o;
    struct rr_store *store; /* dispatcher thread only: reads, and writes when o.ingest is NULL */
    pthread_t thread;
    pthread_t *senders;
    unsigned n_senders;
    uint64_t rng;      /* dispatcher thread only: jitter */
    int64_t gauges_ms; /* dispatcher thread only: monotonic ms of the last gauge update */

    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t wake_dispatcher;
    pthread_cond_t wake_senders;
    struct work *todo;  /* claimed, waiting for a sender */
    struct work *done;  /* attempted, waiting to be recorded */
    unsigned in_flight; /* claimed and not yet recorded */
    bool kicked;
    bool stopping;
};

static void work_free(struct work *w)
{
    if (!w)
        return;
    if (w->url) {
        memset(w->url, 0, strlen(w->url));
        free(w->url);
    }
    free(w->team);
    free(w->channel);
    free(w->kind);
    free(w->line);
    free(w->payload);
    free(w);
}

static void work_list_free(struct work *w)
{
    while (w) {
        struct work *next = w->next;
        work_free(w);
        w = next;
    }
}

/* Runs fn inside a transaction: ingest's group commit when there is one (one writer for the
 * whole database, no lock waits), else a transaction of the dispatcher's own connection. */
static enum rr_err write_through(struct rr_dispatch *d,
                                 enum rr_err (*fn)(struct rr_store *, void *, struct rr_diag *),
                                 void *ctx, struct rr_diag *diag)
{
    if (d->o.ingest) {
        struct rr_ingest_job job = {
            .write = fn, .write_ctx = ctx, .received_ms = rr_clock_wall_ms()};
        enum rr_err err = rr_ingest_submit_wait(d->o.ingest, &job);
        if (err)
            *diag = job.diag;
        return err;
    }
    enum rr_err err = rr_store_begin(d->store, diag);
    if (!err)
        err = fn(d->store, ctx, diag);
    if (!err)
        err = rr_store_commit(d->store, diag);
    else
        rr_store_rollback(d->store);
    return err;
}

/* ==== Senders ==== */

static void *sender_main(void *arg)
{
    (void)prctl(PR_SET_NAME, "rr-sender"); /* shown by top -H and perf */
    struct rr_dispatch *d = arg;
    struct rr_notifier *n = rr_notifier_new();
    if (d->o.send_timeout_ms)
        rr_notifier_set_timeout_ms(n, d->o.send_timeout_ms);
    pthread_mutex_lock(&d->lock);
    for (;;) {
        while (!d->todo && !d->stopping)
            pthread_cond_wait(&d->wake_senders, &d->lock);
        struct work *w = d->todo;
        if (!w)
            break; /* stopping and nothing left to send */
        d->todo = w->next;
        pthread_mutex_unlock(&d->lock);
        rr_notify_send(n, w->channel_kind, w->url, w->payload, strlen(w->payload), &w->result);
        pthread_mutex_lock(&d->lock);
        w->next = d->done;
        d->done = w;
        pthread_cond_signal(&d->wake_dispatcher);
    }
    pthread_mutex_unlock(&d->lock);
    rr_notifier_free(n);
    return NULL;
}

/* ==== Preparing a claimed row ==== */

static enum rr_err add_digest_line(void *ctx, const char *line)
{
    struct rr_buf *lines = ctx; /* NUL-separated */
    enum rr_err err = rr_buf_puts(lines, line);
    return err ? err : rr_buf_append(lines, "", 1);
}

/* A digest is rendered when due: only then is it known what it carries. */
static enum rr_err render_digest(struct rr_dispatch *d, struct work *w, struct rr_diag *diag)
{
    struct rr_buf lines;
    rr_buf_init(&lines, (size_t)8 << 20);
    enum rr_err err = rr_outbox_digest_lines(d->store, w->id, add_digest_line, &lines, diag);
    size_t n = 0;
    for (size_t i = 0; !err && i < lines.len; i++)
        n += lines.data[i] == '\0';
    const char **v = rr_xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0, k = 0; !err && k < n; k++) {
        v[k] = lines.data + i;
        i += strlen(lines.data + i) + 1;
    }
    struct rr_page_content p = {.kind = RR_PAGE_DIGEST,
                                .team = w->team,
                                .external_url = d->o.external_url,
                                .digest_lines = v,
                                .n_digest = n};
    struct rr_buf body;
    rr_buf_init(&body, (size_t)1 << 20);
    if (!err)
        err = rr_notify_render_slack(&p, &body);
    if (!err)
        w->payload = rr_buf_take(&body);
    rr_buf_release(&body);
    free(v);
    rr_buf_release(&lines);
    return err;
}

/* Resolves where a row goes, or decides it is not sent at all (dry run, unconfigured). */
static void prepare(struct rr_dispatch *d, const struct rr_snapshot *snap, struct work *w)
{
    struct rr_diag diag = {{0}};
    const struct rr_team *team = rr_routing_team(snap->routing, w->team);
    bool pd = !strcmp(w->channel, "pagerduty");
    w->channel_kind = pd ? RR_NOTIFY_PAGERDUTY : RR_NOTIFY_SLACK;
    if (!strcmp(w->kind, "digest") && render_digest(d, w, &diag) != RR_OK) {
        w->local = LOCAL_FAILED;
        snprintf(w->result.detail, sizeof w->result.detail, "digest: %.480s", diag.msg);
        return;
    }
    if (!w->payload) {
        w->local = LOCAL_FAILED;
        snprintf(w->result.detail, sizeof w->result.detail,
                 "the page could not be rendered (a bug: please report it)");
        return;
    }
    if (d->o.dry_run) {
        w->local = LOCAL_DRY_RUN;
        return;
    }
    const struct rr_secret_ref *ref = team ? (pd ? &team->pagerduty : &team->slack) : NULL;
    if (!ref || !ref->configured) {
        w->local = LOCAL_FAILED;
        snprintf(w->result.detail, sizeof w->result.detail,
                 "team %s has no %s channel in the routing table", w->team, w->channel);
        return;
    }
    char secret[RR_SECRET_MAX_BYTES];
    if (pd) {
        /* The routing key travels in the payload (fixed when the trigger was written). */
        json_t *j = json_loads(w->payload, 0, NULL);
        const char *key = json_string_value(json_object_get(j, "routing_key"));
        bool has_key = key && *key;
        json_decref(j);
        if (!has_key) {
            w->local = LOCAL_UNCONFIGURED;
            return;
        }
        w->url = rr_xstrdup(ref->endpoint ? ref->endpoint : RR_PAGERDUTY_DEFAULT_URL);
    } else if (rr_secret_resolve(ref, secret, sizeof secret)) {
        w->url = rr_xstrdup(secret);
        memset(secret, 0, sizeof secret);
    } else {
        w->local = LOCAL_UNCONFIGURED;
    }
}

static enum rr_err take_item(void *ctx, const struct rr_outbox_item *it)
{
    struct work **list = ctx;
    struct work *w = rr_xcalloc(1, sizeof *w);
    w->id = it->id;
    w->escalation_id = it->escalation_id;
    w->alert_id = it->alert_id;
    w->created_ms = it->created_ms;
    w->attempt = it->attempts;
    w->team = rr_xstrdup(it->team);
    w->channel = rr_xstrdup(it->channel);
    w->kind = rr_xstrdup(it->kind);
    w->line = rr_xstrdup(it->line ? it->line : "");
    w->payload = it->payload ? rr_xstrdup(it->payload) : NULL;
    w->next = *list;
    *list = w;
    return RR_OK;
}

/* ==== Recording ==== */

static uint64_t next_random(struct rr_dispatch *d)
{
    d->rng ^= d->rng << 13; /* xorshift64: jitter needs spread, not secrecy */
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    return d->rng;
}

/* Exponential backoff with ±20 % jitter, never sooner than the server asked. */
static int64_t backoff_ms(struct rr_dispatch *d, int attempt, int64_t retry_after_ms)
{
    int64_t delay = d->o.backoff_ms;
    for (int i = 1; i < attempt && delay < d->o.backoff_max_ms; i++)
        delay *= 2;
    if (delay > d->o.backoff_max_ms)
        delay = d->o.backoff_max_ms;
    delay = delay * (80 + (int64_t)(next_random(d) % 41)) / 100;
    return retry_after_ms > delay ? retry_after_ms : delay;
}

static void log_page(const struct work *w, const char *why)
{
    char q[600];
    RR_INFO(why, "id=%lld escalation=%lld team=%s channel=%s kind=%s page=%s", (long long)w->id,
            (long long)w->escalation_id, w->team, w->channel, w->kind,
            rr_log_q(q, sizeof q, w->line));
}

/* The fallback notice for a page gone to dead letters, to the platform team's Slack. */
static enum rr_err enqueue_fallback(struct rr_dispatch *d, struct rr_store *store,
                                    const struct rr_snapshot *snap, const struct work *w,
                                    int64_t now, struct rr_diag *diag)
{
    const struct rr_team *platform = rr_routing_settings(snap->routing)->platform_team;
    if (!strcmp(w->kind, "fallback") || !platform->slack.configured) {
        RR_ERROR("page went to dead letters; no fallback notice is possible",
                 "id=%lld team=%s channel=%s", (long long)w->id, w->team, w->channel);
        return RR_OK;
    }
    struct rr_page_content p = {.kind = RR_PAGE_FALLBACK,
                                .escalation_id = w->escalation_id,
                                .alertname = w->line,
                                .team = platform->name,
                                .failed_team = w->team,
                                .failed_channel = w->channel,
                                .failure = w->result.detail,
                                .external_url = d->o.external_url};
    struct rr_buf body;
    rr_buf_init(&body, (size_t)1 << 20);
    enum rr_err err = rr_notify_render_slack(&p, &body);
    char line[700];
    snprintf(line, sizeof line, "fallback for %s/%s: %s", w->team, w->channel, w->line);
    struct rr_outbox_new row = {.escalation_id = w->escalation_id,
                                .alert_id = w->alert_id,
                                .team = platform->name,
                                .channel = "slack",
                                .kind = "fallback",
                                .payload = body.data,
                                .line = line,
                                .created_ms = now,
                                .next_attempt_ms = now};
    if (!err)
        err = rr_outbox_enqueue(store, &row, NULL, diag);
    rr_buf_release(&body);
    return err;
}

struct recorded {
    const struct work *w;
    const char *result; /* pages_total result when final, else NULL */
};

static enum rr_err record_one(struct rr_dispatch *d, struct rr_store *store,
                              const struct rr_snapshot *snap, struct work *w, int64_t now,
                              struct recorded *rec, struct rr_diag *diag)
{
    const char *outcome, *state, *result = NULL;
    int64_t next = 0;
    if (w->local == LOCAL_DRY_RUN || w->local == LOCAL_UNCONFIGURED) {
        bool dry = w->local == LOCAL_DRY_RUN;
        state = "sent"; /* written to the log: that is this row's delivery */
        outcome = result = dry ? "dry_run" : "unconfigured";
        log_page(w, dry ? "page (dry run)" : "page (channel unconfigured, logged)");
    } else if (w->local == LOCAL_NONE && w->result.outcome == RR_DELIVERY_SENT) {
        outcome = state = result = "sent";
    } else if (w->local == LOCAL_NONE && w->result.outcome == RR_DELIVERY_RETRY &&
               w->attempt < d->o.max_attempts && now - w->created_ms < d->o.max_age_ms) {
        outcome = "retry";
        state = "pending";
        int64_t retry_after = w->result.retry_after_ms;
        /* Slack's 429 without Retry-After: wait its documented default rather than hammer it
         * (paging-apis.md RS-SL-2; a rate-limited hook can be disabled for good). */
        if (retry_after < 0 && w->result.status == 429 && w->channel_kind == RR_NOTIFY_SLACK)
            retry_after = RR_DISPATCH_SLACK_429_DEFAULT_MS;
        next = now + backoff_ms(d, w->attempt, retry_after);
    } else {
        outcome = w->local == LOCAL_NONE && w->result.outcome == RR_DELIVERY_RETRY ? "retry"
                                                                                   : "permanent";
        state = "dead";
        result = "failed";
    }
    struct rr_outbox_attempt a = {.id = w->id,
                                  .attempt = w->attempt,
                                  .at_ms = now,
                                  .status = w->result.status,
                                  .outcome = outcome,
                                  .detail = w->result.detail,
                                  .duration_ms = w->result.duration_ms,
                                  .state = state,
                                  .result = result ? result : "retrying",
                                  .next_attempt_ms = next};
    enum rr_err err = rr_outbox_record(store, &a, diag);
    if (!err && !strcmp(state, "dead")) {
        char q[600];
        RR_WARN("page moved to dead letters", "id=%lld team=%s channel=%s attempts=%d detail=%s",
                (long long)w->id, w->team, w->channel, w->attempt,
                rr_log_q(q, sizeof q, w->result.detail));
        err = enqueue_fallback(d, store, snap, w, now, diag);
    }
    rec->w = w;
    rec->result = result;
    return err;
}

struct record_ctx {
    struct rr_dispatch *d;
    const struct rr_snapshot *snap;
    struct work *done;
    struct recorded *recs;
    int64_t now;
};

static enum rr_err record_write(struct rr_store *store, void *arg, struct rr_diag *diag)
{
    struct record_ctx *c = arg;
    enum rr_err err = RR_OK;
    size_t i = 0;
    for (struct work *w = c->done; !err && w; w = w->next)
        err = record_one(c->d, store, c->snap, w, c->now, &c->recs[i++], diag);
    return err;
}

/* Records finished attempts in one transaction; metrics after it commits. False when the
 * transaction failed (nothing recorded): the caller keeps the list and tries again. */
static bool record_done(struct rr_dispatch *d, struct work *done)
{
    struct rr_snapshot *snap = rr_live_acquire(d->o.live);
    struct rr_diag diag = {{0}};
    size_t n = 0;
    for (struct work *w = done; w; w = w->next)
        n++;
    struct record_ctx c = {.d = d,
                           .snap = snap,
                           .done = done,
                           .recs = rr_xcalloc(n, sizeof *c.recs),
                           .now = rr_clock_wall_ms()};
    enum rr_err err = write_through(d, record_write, &c, &diag);
    if (err) {
        char q[600];
        RR_WARN("cannot record delivery attempts, will retry", "pages=%zu detail=%s", n,
                rr_log_q(q, sizeof q, diag.msg));
    }
    for (size_t k = 0; !err && k < n; k++) {
        if (c.recs[k].result) {
            rr_metrics_add_page(c.recs[k].w->team, c.recs[k].w->channel, c.recs[k].result, 1);
            if (!strcmp(c.recs[k].result, "sent"))
                rr_metrics_observe_delivery(c.now - c.recs[k].w->created_ms);
        }
    }
    free(c.recs);
    rr_live_release(d->o.live, snap);
    return err == RR_OK;
}

/* ==== The dispatcher loop ==== */

struct claim_ctx {
    int64_t now;
    unsigned slots;
    struct work *claimed;
};

static enum rr_err claim_write(struct rr_store *store, void *arg, struct rr_diag *diag)
{
    struct claim_ctx *c = arg;
    work_list_free(c->claimed); /* read by an earlier run the group commit rolled back */
    c->claimed = NULL;
    return rr_outbox_claim(store, c->now, (int)c->slots, take_item, &c->claimed, diag);
}

static unsigned claim(struct rr_dispatch *d, unsigned slots, struct work **local)
{
    struct rr_diag diag = {{0}};
    struct claim_ctx c = {.now = rr_clock_wall_ms(), .slots = slots};
    enum rr_err err = write_through(d, claim_write, &c, &diag);
    struct work *claimed = c.claimed;
    if (err) {
        /* Not committed: the rows are still pending; forget what was read. */
        char q[600];
        RR_WARN("cannot claim pages", "detail=%s", rr_log_q(q, sizeof q, diag.msg));
        work_list_free(claimed);
        return 0;
    }
    struct rr_snapshot *snap = rr_live_acquire(d->o.live);
    unsigned n = 0;
    for (struct work *w = claimed, *next; w; w = next, n++) {
        next = w->next;
        prepare(d, snap, w);
        if (w->local != LOCAL_NONE) {
            w->next = *local;
            *local = w;
        } else {
            pthread_mutex_lock(&d->lock);
            w->next = d->todo;
            d->todo = w;
            pthread_cond_signal(&d->wake_senders);
            pthread_mutex_unlock(&d->lock);
        }
    }
    rr_live_release(d->o.live, snap);
    return n;
}

static void update_gauges(struct rr_dispatch *d)
{
    int64_t mono_ms = rr_clock_mono_ns() / 1000000;
    if (d->gauges_ms && mono_ms - d->gauges_ms < GAUGE_INTERVAL_MS)
        return;
    d->gauges_ms = mono_ms;
    int64_t pending = 0, oldest = 0;
    struct rr_diag diag = {{0}};
    if (rr_outbox_pending(d->store, &pending, &oldest, &diag) == RR_OK)
        rr_metrics_set_outbox(pending, oldest ? rr_clock_wall_ms() - oldest : 0);
}

/* Sleeps until a kick, a finished send, the next due row, or CLAIM_IDLE_WAIT_MS. With every
 * sender busy, due rows cannot be taken: then only a finished send (or stop) wakes it. */
static void wait_for_work(struct rr_dispatch *d, bool senders_busy)
{
    int64_t due = INT64_MAX;
    struct rr_diag diag = {{0}};
    if (senders_busy || rr_outbox_next_due(d->store, &due, &diag) != RR_OK)
        due = INT64_MAX;
    int64_t now = rr_clock_wall_ms();
    int64_t wait_ms = due == INT64_MAX ? CLAIM_IDLE_WAIT_MS : due - now;
    if (wait_ms > CLAIM_IDLE_WAIT_MS)
        wait_ms = CLAIM_IDLE_WAIT_MS;
    pthread_mutex_lock(&d->lock);
    /* Stopping: nothing is claimed any more, so only a finished send is worth waking for (a
     * hung one may take the whole send timeout: sleep through it, do not spin). */
    if (d->stopping)
        wait_ms = d->in_flight ? CLAIM_IDLE_WAIT_MS : 0;
    if (wait_ms > 0 && (d->stopping || senders_busy || !d->kicked) && !d->done) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&d->wake_dispatcher, &d->lock, &ts);
    }
    d->kicked = false;
    pthread_mutex_unlock(&d->lock);
}

static void *dispatcher_main(void *arg)
{
    (void)prctl(PR_SET_NAME, "rr-dispatch"); /* shown by top -H and perf */
    struct rr_dispatch *d = arg;
    int failed_records_while_stopping = 0;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        struct work *done = d->done;
        d->done = NULL;
        bool stopping = d->stopping;
        /* Claim ahead of the senders: each claim is a trip through the writer's group commit,
         * so claiming only for idle senders would cap sending at a few pages per commit. */
        unsigned slots =
            RR_DISPATCH_CLAIM_AHEAD > d->in_flight ? RR_DISPATCH_CLAIM_AHEAD - d->in_flight : 0;
        pthread_mutex_unlock(&d->lock);
        unsigned finished = 0;
        for (struct work *w = done; w; w = w->next)
            finished++;
        struct work *local = NULL;
        /* Claiming is a write: ask (a read) whether anything is due first. */
        int64_t due = INT64_MAX;
        struct rr_diag ddiag = {{0}};
        if (!stopping && slots && rr_outbox_next_due(d->store, &due, &ddiag) != RR_OK)
            due = 0; /* cannot tell: try the claim, it reports the problem */
        unsigned claimed =
            stopping || !slots || due > rr_clock_wall_ms() ? 0 : claim(d, slots, &local);
        /* Rows not sent over the network (dry run...) are recorded with the finished ones. */
        for (struct work *w = local, *next; w; w = next) {
            next = w->next;
            w->next = done;
            done = w;
            finished++;
        }
        if (done && !record_done(d, done)) {
            if (stopping && ++failed_records_while_stopping > 20) {
                /* The database stays unwritable at shutdown: give up; these rows stay
                 * `sending`, and the next start puts them back to pending. */
                work_list_free(done);
                break;
            }
            /* The database refused (locked, full): keep the attempts and record them on the
             * next round; the rows stay `sending` meanwhile, so nobody sends them twice. */
            pthread_mutex_lock(&d->lock);
            struct work *tail = done;
            while (tail->next)
                tail = tail->next;
            tail->next = d->done;
            d->done = done;
            d->in_flight += claimed;
            pthread_mutex_unlock(&d->lock);
            struct timespec pause = {0, 100 * 1000000};
            nanosleep(&pause, NULL);
            continue;
        }
        pthread_mutex_lock(&d->lock);
        d->in_flight = d->in_flight + claimed - finished;
        bool idle = d->in_flight == 0;
        pthread_mutex_unlock(&d->lock);
        work_list_free(done);
        update_gauges(d);
        if (stopping && idle)
            break;
        if (!claimed || claimed < slots)
            wait_for_work(d, !slots);
    }
    return NULL;
}

struct recover_ctx {
    int64_t now, recovered;
};

static enum rr_err recover_write(struct rr_store *store, void *arg, struct rr_diag *diag)
{
    struct recover_ctx *c = arg;
    return rr_outbox_recover(store, c->now, &c->recovered, diag);
}

enum rr_err rr_dispatch_start(const struct rr_dispatch_options *opts, struct rr_dispatch **out,
                              struct rr_diag *diag)
{
    struct rr_dispatch *d = rr_xcalloc(1, sizeof *d);
    d->o = *opts;
    if (!d->o.senders)
        d->o.senders = RR_DISPATCH_SENDERS;
    if (!d->o.backoff_ms)
        d->o.backoff_ms = RR_DISPATCH_BACKOFF_MS;
    if (!d->o.backoff_max_ms)
        d->o.backoff_max_ms = RR_DISPATCH_BACKOFF_MAX;
    if (!d->o.max_attempts)
        d->o.max_attempts = RR_DISPATCH_MAX_ATTEMPTS;
    if (!d->o.max_age_ms)
        d->o.max_age_ms = RR_DISPATCH_MAX_AGE_MS;
    d->rng = (uint64_t)rr_clock_mono_ns() | 1;
    struct recover_ctx rc = {.now = rr_clock_wall_ms()};
    struct rr_store_options so = {.readonly = opts->ingest != NULL};
    enum rr_err err = rr_store_open(opts->db_path, &so, &d->store, diag);
    if (!err)
        err = write_through(d, recover_write, &rc, diag);
    int64_t recovered = rc.recovered;
    if (err) {
        rr_store_close(d->store);
        free(d);
        return err;
    }
    if (recovered)
        RR_INFO("resuming pages interrupted by the last stop", "pages=%lld", (long long)recovered);
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wake_dispatcher, &attr);
    pthread_condattr_destroy(&attr);
    pthread_cond_init(&d->wake_senders, NULL);
    d->senders = rr_xcalloc(d->o.senders, sizeof *d->senders);
    for (; d->n_senders < d->o.senders; d->n_senders++)
        pthread_create(&d->senders[d->n_senders], NULL, sender_main, d);
    pthread_create(&d->thread, NULL, dispatcher_main, d);
    RR_INFO("dispatcher started", "senders=%u dry_run=%d", d->n_senders, (int)d->o.dry_run);
    *out = d;
    return RR_OK;
}

void rr_dispatch_kick(void *dispatch)
{
    struct rr_dispatch *d = dispatch;
    pthread_mutex_lock(&d->lock);
    d->kicked = true;
    pthread_cond_signal(&d->wake_dispatcher);
    pthread_mutex_unlock(&d->lock);
}

void rr_dispatch_stop(struct rr_dispatch *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_broadcast(&d->wake_dispatcher);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    pthread_mutex_lock(&d->lock);
    pthread_cond_broadcast(&d->wake_senders);
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = 0; i < d->n_senders; i++)
        pthread_join(d->senders[i], NULL);
    free(d->senders);
    /* Only when the dispatcher gave up on an unwritable database is anything left here; those
     * rows are still `sending` in the database and resume at the next start. */
    work_list_free(d->todo);
    work_list_free(d->done);
    rr_store_close(d->store);
    pthread_cond_destroy(&d->wake_dispatcher);
    pthread_cond_destroy(&d->wake_senders);
    pthread_mutex_destroy(&d->lock);
    RR_INFO("dispatcher stopped", "%s", "");
    free(d);
}

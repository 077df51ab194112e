/*
 * pager: escalations and outbox rows for decided episodes (see include/rr/pager.h). Pages are
 * rendered here, once, so the dispatcher only sends bytes; only a digest is rendered when due,
 * because its content is only known then.
 */
#include "rr/pager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr/buf.h"
#include "rr/notify.h"
#include "rr/outbox.h"
#include "rr/text.h"

#define PAGE_MAX_BYTES ((size_t)1 << 20)

const char *rr_secret_resolve(const struct rr_secret_ref *ref, char *out, size_t cap)
{
    const char *v = NULL;
    if (ref->env) {
        v = getenv(ref->env); /* NOLINT(concurrency-mt-unsafe): the environment is not modified */
    } else if (ref->file) {
        FILE *f = fopen(ref->file, "r");
        if (f) {
            if (fgets(out, (int)cap, f))
                v = out;
            fclose(f);
        }
    } else {
        v = ref->url;
    }
    if (!v || !*v)
        return NULL;
    if (v != out)
        snprintf(out, cap, "%s", v);
    out[strcspn(out, "\r\n")] = '\0';
    return *out ? out : NULL;
}

bool rr_pager_any_secret(const struct rr_routing *routing)
{
    char tmp[RR_SECRET_MAX_BYTES];
    for (size_t i = 0; i < rr_routing_team_count(routing); i++) {
        const struct rr_team *t = rr_routing_team_at(routing, i);
        if ((t->slack.configured && rr_secret_resolve(&t->slack, tmp, sizeof tmp)) ||
            (t->pagerduty.configured && rr_secret_resolve(&t->pagerduty, tmp, sizeof tmp)))
            return true;
    }
    return false;
}

/* Everything the renderers need, with the storage the pointers refer to. */
struct page_build {
    struct rr_page_content page;
    char starts[48], ends[48], dedup[128], runbook_url[1024];
    const char *evidence[RR_DECISION_MAX_EVIDENCE];
    const char **teams;
};

static void build_page(struct page_build *b, const struct rr_snapshot *snap,
                       const char *external_url, const struct rr_alert *alert,
                       const struct rr_decision *d, const char *decision_json)
{
    memset(b, 0, sizeof *b);
    struct rr_page_content *p = &b->page;
    const struct rr_labelset *ann = &alert->annotations;
    p->alertname = rr_labelset_get(&alert->labels, "alertname");
    p->fingerprint = alert->fingerprint;
    p->starts_at = rr_time_format(alert->starts_at, b->starts, sizeof b->starts);
    if (!rr_time_is_zero(alert->ends_at))
        p->ends_at = rr_time_format(alert->ends_at, b->ends, sizeof b->ends);
    p->severity = rr_labelset_get(&alert->labels, "severity");
    p->summary = rr_labelset_get(ann, "summary");
    p->description = rr_labelset_get(ann, "description");
    if (!p->summary)
        p->summary = p->description;
    p->generator_url = alert->generator_url;
    p->annotation_runbook_url = rr_labelset_get(ann, "runbook_url");
    p->external_url = external_url;
    snprintf(b->dedup, sizeof b->dedup, "runbook-router/%s/%s", alert->fingerprint, b->starts);
    p->dedup_key = b->dedup;
    if (!d)
        return;
    p->decision_json = decision_json;
    p->layer = rr_layer_name(d->layer);
    p->team = d->team->name;
    p->kind_name = rr_kind_name(d->kind);
    p->route = d->route ? d->route->name : "-";
    p->owner_source = rr_owner_source_name(d->owner_source);
    p->affected_team = d->affected_team ? d->affected_team->name : NULL;
    for (size_t i = 0; i < d->n_evidence; i++)
        b->evidence[i] = d->evidence[i];
    p->evidence = b->evidence;
    p->n_evidence = d->n_evidence;
    p->namespace = d->canon[RR_CANON_NAMESPACE];
    p->workflow_type = d->canon[RR_CANON_WORKFLOW_TYPE];
    p->task_queue = d->canon[RR_CANON_TASK_QUEUE];
    p->cluster = d->canon[RR_CANON_CLUSTER];
    if (d->runbook) {
        p->runbook_id = d->runbook->id;
        p->runbook_excerpt = d->runbook->excerpt;
        snprintf(b->runbook_url, sizeof b->runbook_url, "%s/runbooks/%s",
                 external_url ? external_url : "", d->runbook->id);
        p->runbook_url = b->runbook_url;
    }
    size_t n = rr_routing_team_count(snap->routing);
    b->teams = rr_xcalloc(n ? n : 1, sizeof *b->teams);
    for (size_t i = 0; i < n; i++)
        b->teams[i] = rr_routing_team_at(snap->routing, i)->name;
    p->teams = b->teams;
    p->n_teams = n;
}

/* One line per page, for digests, `outbox list` and the dry-run log. */
static void page_line(char *out, size_t cap, const struct rr_page_content *p, const char *team)
{
    bool trigger = p->kind == RR_PAGE_TRIGGER || p->kind == RR_PAGE_FYI;
    snprintf(out, cap, "%s%s%s%s severity=%s team=%s%s%s", p->kind == RR_PAGE_FYI ? "FYI " : "",
             p->alertname ? p->alertname : "?", p->namespace ? " namespace=" : "",
             p->namespace ? p->namespace : "", p->severity ? p->severity : "-", team,
             trigger ? " runbook=" : "",
             !trigger         ? ""
             : p->runbook_url ? p->runbook_url
                              : "none");
}

/* The body of a page, or NULL. Paging must never keep an alert from being stored, so a page
 * that cannot be rendered is still written (payload NULL): the dispatcher moves it to dead
 * letters and the platform team gets the fallback notice. A PagerDuty page whose routing key
 * is unset is written as "{}" and logged as unconfigured when due. */
static const char *render(enum rr_channel channel, const struct rr_page_content *p,
                          const char *routing_key, struct rr_buf *out)
{
    rr_buf_reset(out);
    if (channel == RR_CHANNEL_PAGERDUTY && !routing_key)
        return rr_buf_puts(out, "{}") == RR_OK ? out->data : NULL;
    enum rr_err err = channel == RR_CHANNEL_PAGERDUTY
                          ? rr_notify_render_pagerduty(p, routing_key, out)
                          : rr_notify_render_slack(p, out);
    return err ? NULL : out->data;
}

/* Past the storm cap, a Slack page is folded into the team's digest (created on the first
 * fold, due at the window's end). Decided before rendering: a folded page is never sent by
 * itself, only its line travels in the digest. */
static enum rr_err storm_fold(struct rr_store *store, const struct rr_snapshot *snap,
                              struct rr_outbox_new *row, struct rr_pager_tally *t,
                              struct rr_diag *diag)
{
    const struct rr_settings *s = rr_routing_settings(snap->routing);
    enum rr_err err = RR_OK;
    if (!t->storm_team || strcmp(t->storm_team, row->team) != 0) {
        t->storm_team = NULL;
        t->storm_digest_id = 0;
        err = rr_outbox_storm_count(store, row->team, row->created_ms - s->storm_window_ms,
                                    s->storm_max_pages, &t->storm_count, &t->storm_oldest_ms, diag);
        if (err)
            return err;
        t->storm_team = row->team;
    }
    if (t->storm_count < (int64_t)s->storm_max_pages) {
        if (!t->storm_oldest_ms)
            t->storm_oldest_ms = row->created_ms;
        t->storm_count++; /* this page is about to be written, unfolded */
        return RR_OK;
    }
    if (!t->storm_digest_id)
        err = rr_outbox_open_digest(store, row->team, &t->storm_digest_id, diag);
    if (!err && !t->storm_digest_id) {
        struct rr_outbox_new dg = {.team = row->team,
                                   .channel = "slack",
                                   .kind = "digest",
                                   .line = "storm digest",
                                   .created_ms = row->created_ms,
                                   .next_attempt_ms = t->storm_oldest_ms + s->storm_window_ms};
        err = rr_outbox_enqueue(store, &dg, &t->storm_digest_id, diag);
    }
    row->folded = true;
    row->digest_id = t->storm_digest_id;
    return err;
}

/* Writes one Slack page (trigger or FYI): folded, or rendered and due now. */
static enum rr_err enqueue_slack(struct rr_store *store, const struct rr_snapshot *snap,
                                 struct rr_outbox_new *row, const struct rr_page_content *page,
                                 struct rr_buf *body, struct rr_pager_tally *t,
                                 struct rr_diag *diag)
{
    enum rr_err err = storm_fold(store, snap, row, t, diag);
    if (!err && !row->folded)
        row->payload = render(RR_CHANNEL_SLACK, page, NULL, body);
    if (!err)
        err = rr_outbox_enqueue(store, row, NULL, diag);
    return err;
}


enum rr_err rr_pager_new_episode(struct rr_store *store, const struct rr_snapshot *snap,
                                 const char *external_url, const struct rr_alert *alert,
                                 const struct rr_decision *d, const char *decision_json,
                                 int64_t alert_id, int64_t now_ms, struct rr_pager_tally *tally,
                                 struct rr_diag *diag)
{
    if (alert->status != RR_ALERT_FIRING)
        return RR_OK; /* first seen already resolved: nothing to wake anyone for */
    unsigned channels = rr_team_channels(d->team, rr_labelset_get(&alert->labels, "severity"));
    bool fyi =
        d->layer == RR_LAYER_PLATFORM && d->affected_team && d->affected_team->slack.configured;
    if (!channels && !fyi)
        return RR_OK;
    struct page_build b;
    build_page(&b, snap, external_url, alert, d, decision_json);
    struct rr_buf body;
    rr_buf_init(&body, PAGE_MAX_BYTES);
    char line[512], key[RR_SECRET_MAX_BYTES];
    enum rr_err err = RR_OK;
    if (channels) {
        char names[32];
        snprintf(names, sizeof names, "%s%s%s", channels & RR_CHANNEL_PAGERDUTY ? "pagerduty" : "",
                 (channels & RR_CHANNEL_PAGERDUTY) && (channels & RR_CHANNEL_SLACK) ? "," : "",
                 channels & RR_CHANNEL_SLACK ? "slack" : "");
        struct rr_escalation_new e = {.alert_id = alert_id,
                                      .team = d->team->name,
                                      .layer = b.page.layer,
                                      .route = b.page.route,
                                      .runbook = b.page.runbook_id,
                                      .decision_json = NULL, /* the alert's own */
                                      .channels = names,
                                      .dedup_key = b.page.dedup_key,
                                      .created_ms = now_ms};
        err = rr_outbox_create_escalation(store, &e, &b.page.escalation_id, diag);
        tally->escalations += !err;
        tally->without_runbook += !err && !d->runbook;
    }
    page_line(line, sizeof line, &b.page, d->team->name);
    b.page.kind = RR_PAGE_TRIGGER;
    for (unsigned ch = RR_CHANNEL_SLACK; !err && ch <= RR_CHANNEL_PAGERDUTY; ch <<= 1) {
        if (!(channels & ch))
            continue;
        const char *rk = ch == RR_CHANNEL_PAGERDUTY
                             ? rr_secret_resolve(&d->team->pagerduty, key, sizeof key)
                             : NULL;
        struct rr_outbox_new row = {.escalation_id = b.page.escalation_id,
                                    .alert_id = alert_id,
                                    .team = d->team->name,
                                    .channel = rr_channel_name(ch),
                                    .kind = "trigger",
                                    .line = line,
                                    .created_ms = now_ms,
                                    .next_attempt_ms = now_ms};
        if (ch == RR_CHANNEL_SLACK) {
            err = enqueue_slack(store, snap, &row, &b.page, &body, tally, diag);
        } else {
            row.payload = render(RR_CHANNEL_PAGERDUTY, &b.page, rk, &body);
            err = rr_outbox_enqueue(store, &row, NULL, diag);
        }
        tally->pages += !err;
    }
    if (!err && fyi) {
        b.page.kind = RR_PAGE_FYI;
        page_line(line, sizeof line, &b.page, d->affected_team->name);
        struct rr_outbox_new row = {.escalation_id = 0,
                                    .alert_id = alert_id,
                                    .team = d->affected_team->name,
                                    .channel = "slack",
                                    .kind = "fyi",
                                    .line = line,
                                    .created_ms = now_ms,
                                    .next_attempt_ms = now_ms};
        err = enqueue_slack(store, snap, &row, &b.page, &body, tally, diag);
        tally->pages += !err;
    }
    memset(key, 0, sizeof key);
    rr_buf_release(&body);
    free(b.teams);
    return err;
}

struct resolve_ctx {
    struct rr_store *store;
    struct page_build *b;
    struct rr_buf *body;
    int64_t alert_id, now_ms;
    struct rr_pager_tally *tally;
    struct rr_diag *diag;
};

static enum rr_err resolve_one(void *arg, const char *team, const char *channel,
                               const char *routing_key, const char *dedup_key)
{
    struct resolve_ctx *c = arg;
    bool pd = !strcmp(channel, "pagerduty");
    c->b->page.team = team;
    if (pd && dedup_key)
        c->b->page.dedup_key = dedup_key; /* exactly what the trigger carried */
    char line[512];
    page_line(line, sizeof line, &c->b->page, team);
    const char *payload = render(pd ? RR_CHANNEL_PAGERDUTY : RR_CHANNEL_SLACK, &c->b->page,
                                 routing_key && *routing_key ? routing_key : NULL, c->body);
    struct rr_outbox_new row = {.escalation_id = c->b->page.escalation_id,
                                .alert_id = c->alert_id,
                                .team = team,
                                .channel = channel,
                                .kind = "resolve",
                                .payload = payload,
                                .line = line,
                                .created_ms = c->now_ms,
                                .next_attempt_ms = c->now_ms};
    enum rr_err err = rr_outbox_enqueue(c->store, &row, NULL, c->diag);
    c->tally->pages += !err;
    return err;
}

enum rr_err rr_pager_resolved(struct rr_store *store, const struct rr_snapshot *snap,
                              const char *external_url, const struct rr_alert *alert,
                              int64_t alert_id, int64_t now_ms, struct rr_pager_tally *tally,
                              struct rr_diag *diag)
{
    int64_t esc = 0;
    enum rr_err err = rr_outbox_open_escalation(store, alert_id, &esc, diag);
    if (err || !esc)
        return err;
    struct page_build b;
    build_page(&b, snap, external_url, alert, NULL, NULL);
    b.page.kind = RR_PAGE_RESOLVE;
    b.page.escalation_id = esc;
    struct rr_buf body;
    rr_buf_init(&body, PAGE_MAX_BYTES);
    struct resolve_ctx c = {store, &b, &body, alert_id, now_ms, tally, diag};
    err = rr_outbox_triggers(store, esc, resolve_one, &c, diag);
    if (!err)
        err = rr_outbox_resolve_escalation(store, esc, now_ms, diag);
    rr_buf_release(&body);
    return err;
}

/*
 * notify_pagerduty: the PagerDuty Events API v2 renderer (paging-apis.md §A, §E.2).
 *
 * A trigger carries the decision (PRODUCT §5) as a JSON object in custom_details, the runbook
 * in links and the escalation in client_url. An event must stay within 512 000 bytes (§A.4,
 * the stricter reading): when it does not, custom_details shrink first — long texts cut, then,
 * as Alertmanager does, replaced by a one-line error — so the page itself always goes out.
 * Every other field has a cap small enough that the event fits once custom_details is gone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rr/notify.h"
#include "rr/text.h"

#include "notify_int.h"

#define PD_SUMMARY_MAX   1024 /* PD-21, characters */
#define PD_DEDUP_KEY_MAX 255  /* PD-12, characters */
#define PD_ROUTING_MAX   256  /* bytes: far above the 32 PD wants; PD itself reports the length */
#define PD_FIELD_MAX     1024 /* source, component, group, class: our cap */
#define PD_DETAIL_MAX    1024 /* each label-like value in custom_details */
#define PD_SHRUNK_TEXT   4096 /* summary/description/evidence in custom_details, second try */
#define PD_SHRUNK_LINES  100  /* evidence lines kept on the second try */
#define PD_REMOVED_MSG   "custom details removed: event over 512000 bytes"

/* Copies len bytes of s with every invalid UTF-8 sequence replaced by U+FFFD (jansson refuses
 * invalid UTF-8, and one bad byte must not cost the page). Owned, free(). */
static char *utf8_clean(const char *s, size_t len, size_t *out_len)
{
    struct rr_buf b;
    rr_buf_init(&b, len * 3 + 1);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = notify_utf8_next(s + i, len - i, &cp);
        /* Cannot pass the cap: each input byte yields at most 3 output bytes. */
        enum rr_err err = cp == 0xFFFD ? notify_utf8_put(&b, cp) : rr_buf_append(&b, s + i, n);
        if (err)
            abort();
        i += n;
    }
    *out_len = b.len;
    return rr_buf_take(&b);
}

/* A JSON string of at most max_chars code points: cut ones end with "…". NULL when s is
 * absent or empty (the field is then left out). */
static json_t *jstr(const char *s, size_t max_chars)
{
    if (!notify_present(s))
        return NULL;
    size_t len = strlen(s);
    size_t clean_len;
    char *clean = utf8_clean(s, len, &clean_len);
    json_t *j;
    if (rr_utf8_chars(clean, clean_len) <= max_chars) {
        j = json_stringn(clean, clean_len);
    } else {
        size_t keep = rr_utf8_prefix_bytes(clean, clean_len, max_chars - 1);
        char *cut = rr_xmalloc(keep + 4);
        memcpy(cut, clean, keep);
        memcpy(cut + keep, "\xE2\x80\xA6", 4);
        j = json_stringn(cut, keep + 3);
        free(cut);
    }
    free(clean);
    if (!j)
        abort(); /* only out of memory: the text is valid UTF-8 without NUL */
    return j;
}

/* Sets key to value when value is not NULL (jansson steals the reference). */
static void set(json_t *obj, const char *key, json_t *value)
{
    if (value)
        json_object_set_new(obj, key, value);
}

/* "alertname: summary", or whichever exists. */
static json_t *summary_of(const struct rr_page_content *p)
{
    const char *text = notify_present(p->summary) ? p->summary : p->description;
    if (!notify_present(text))
        return jstr(notify_present(p->alertname) ? p->alertname : "alert", PD_SUMMARY_MAX);
    if (!notify_present(p->alertname))
        return jstr(text, PD_SUMMARY_MAX);
    size_t n = strlen(p->alertname) + strlen(text) + 3;
    char *both = rr_xmalloc(n);
    snprintf(both, n, "%s: %s", p->alertname, text);
    json_t *j = jstr(both, PD_SUMMARY_MAX);
    free(both);
    return j;
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!digit(s[i]))
            return false;
    return true;
}

/* PD-24: 2024-05-14T09:21:07.512Z, +02:00 and +0200 offsets. Anything else is left out (PD
 * then stamps the event itself) rather than risking a rejected page. */
static bool pd_timestamp_ok(const char *s)
{
    if (!s || strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return false;
    const char *z = s + 19;
    if (*z == '.') {
        z++;
        if (!digit(*z))
            return false;
        while (digit(*z))
            z++;
    }
    if (strcmp(z, "Z") == 0)
        return true;
    if (*z != '+' && *z != '-')
        return false;
    z++;
    if (!digits(z, 2))
        return false;
    z += 2;
    if (*z == ':')
        z++;
    return digits(z, 2) && z[2] == '\0';
}

/* How much custom_details may say. */
enum detail_level { DETAILS_FULL, DETAILS_SHRUNK, DETAILS_REMOVED };

static json_t *custom_details(const struct rr_page_content *p, enum detail_level level)
{
    json_t *d = json_object();
    if (level == DETAILS_REMOVED) {
        set(d, "error", json_string(PD_REMOVED_MSG));
        return d;
    }
    size_t text_max = level == DETAILS_FULL ? SIZE_MAX : PD_SHRUNK_TEXT;
    if (notify_present(p->decision_json)) {
        json_error_t jerr;
        json_t *decision = json_loads(p->decision_json, 0, &jerr);
        if (json_is_object(decision)) {
            set(d, "decision", decision);
        } else {
            /* Not expected (classify writes it); the page still goes out with the raw text. */
            json_decref(decision);
            set(d, "decision_raw", jstr(p->decision_json, PD_SHRUNK_TEXT));
        }
    }
    set(d, "alertname", jstr(p->alertname, PD_DETAIL_MAX));
    set(d, "summary", jstr(p->summary, text_max));
    set(d, "description", jstr(p->description, text_max));
    set(d, "severity", jstr(p->severity, PD_DETAIL_MAX));
    set(d, "fingerprint", jstr(p->fingerprint, PD_DETAIL_MAX));
    set(d, "starts_at", jstr(p->starts_at, PD_DETAIL_MAX));
    if (p->escalation_id > 0)
        set(d, "escalation_id", json_integer(p->escalation_id));
    set(d, "layer", jstr(p->layer, PD_DETAIL_MAX));
    set(d, "team", jstr(p->team, PD_DETAIL_MAX));
    set(d, "affected_team", jstr(p->affected_team, PD_DETAIL_MAX));
    set(d, "kind", jstr(p->kind_name, PD_DETAIL_MAX));
    set(d, "route", jstr(p->route, PD_DETAIL_MAX));
    set(d, "owner_source", jstr(p->owner_source, PD_DETAIL_MAX));
    set(d, "namespace", jstr(p->namespace, PD_DETAIL_MAX));
    set(d, "workflow_type", jstr(p->workflow_type, PD_DETAIL_MAX));
    set(d, "task_queue", jstr(p->task_queue, PD_DETAIL_MAX));
    set(d, "cluster", jstr(p->cluster, PD_DETAIL_MAX));
    set(d, "runbook_id", jstr(p->runbook_id, PD_DETAIL_MAX));
    set(d, "runbook_excerpt", jstr(p->runbook_excerpt, text_max));
    if (p->n_evidence > 0 && p->evidence) {
        json_t *ev = json_array();
        size_t keep = level == DETAILS_FULL ? p->n_evidence : PD_SHRUNK_LINES;
        for (size_t i = 0; i < p->n_evidence && i < keep; i++)
            if (notify_present(p->evidence[i]))
                json_array_append_new(ev, jstr(p->evidence[i], text_max));
        if (p->n_evidence > keep) {
            char more[64];
            snprintf(more, sizeof more,
                     "\xE2\x80\xA6"
                     "and %zu more",
                     p->n_evidence - keep);
            json_array_append_new(ev, json_string(more));
        }
        set(d, "evidence", ev);
    }
    return d;
}

static void add_link(json_t *links, const char *href, const char *text)
{
    if (!notify_url_ok(href))
        return;
    json_t *l = json_object();
    set(l, "href", json_string(href));
    set(l, "text", jstr(text, PD_FIELD_MAX));
    json_array_append_new(links, l);
}

static json_t *trigger_event(const struct rr_page_content *p, const char *routing_key,
                             enum detail_level level)
{
    json_t *ev = json_object();
    set(ev, "routing_key", json_string(routing_key));
    set(ev, "event_action", json_string("trigger"));
    set(ev, "dedup_key", json_string(p->dedup_key));

    json_t *pl = json_object();
    set(pl, "summary", summary_of(p));
    const char *source = notify_present(p->cluster)     ? p->cluster
                         : notify_present(p->namespace) ? p->namespace
                                                        : "runbook-router";
    set(pl, "source", jstr(source, PD_FIELD_MAX));
    set(pl, "severity", json_string(notify_pd_severity(p->severity)));
    if (pd_timestamp_ok(p->starts_at))
        set(pl, "timestamp", json_string(p->starts_at));
    set(pl, "component",
        jstr(notify_present(p->namespace) ? p->namespace : p->workflow_type, PD_FIELD_MAX));
    set(pl, "group", jstr(p->team, PD_FIELD_MAX));
    set(pl, "class", jstr(p->kind_name, PD_FIELD_MAX));
    set(pl, "custom_details", custom_details(p, level));
    set(ev, "payload", pl);

    json_t *links = json_array();
    if (notify_present(p->runbook_id)) {
        size_t n = strlen(p->runbook_id) + 16;
        char *text = rr_xmalloc(n);
        snprintf(text, n, "Runbook: %s", p->runbook_id);
        add_link(links, p->runbook_url, text);
        free(text);
    } else {
        add_link(links, p->annotation_runbook_url, "Runbook (alert annotation)");
    }
    add_link(links, p->generator_url, "Prometheus graph");
    if (json_array_size(links) > 0)
        set(ev, "links", links);
    else
        json_decref(links);

    set(ev, "client", json_string("runbook-router"));
    if (notify_present(p->external_url)) {
        size_t n = strlen(p->external_url);
        while (n > 0 && p->external_url[n - 1] == '/')
            n--;
        char *url = rr_xmalloc(n + 64);
        if (p->escalation_id > 0)
            snprintf(url, n + 64, "%.*s/api/v1/escalations/%" PRId64, (int)n, p->external_url,
                     p->escalation_id);
        else
            snprintf(url, n + 64, "%.*s", (int)n, p->external_url);
        if (notify_url_ok(url))
            set(ev, "client_url", json_string(url));
        free(url);
    }
    return ev;
}

static json_t *resolve_event(const struct rr_page_content *p, const char *routing_key)
{
    json_t *ev = json_object();
    set(ev, "routing_key", json_string(routing_key));
    set(ev, "dedup_key", json_string(p->dedup_key));
    set(ev, "event_action", json_string("resolve"));
    return ev;
}

/* Valid UTF-8 of 1..max_chars characters without control characters. */
static bool key_ok(const char *s, size_t max_chars)
{
    if (!notify_present(s))
        return false;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = notify_utf8_next(s + i, len - i, &cp);
        if ((cp == 0xFFFD && n == 1) || cp < 0x20 || cp == 0x7F)
            return false;
        i += n;
    }
    return rr_utf8_chars(s, len) <= max_chars;
}

enum rr_err rr_notify_render_pagerduty(const struct rr_page_content *page, const char *routing_key,
                                       struct rr_buf *out)
{
    if (!page || !out || !key_ok(routing_key, PD_ROUTING_MAX))
        return RR_ERR_INVAL;
    /* PD-12/PD-13/PD-14: a deterministic key on every event, or resolve is impossible. */
    if (!key_ok(page->dedup_key, PD_DEDUP_KEY_MAX))
        return RR_ERR_INVAL;
    if (page->kind != RR_PAGE_TRIGGER && page->kind != RR_PAGE_RESOLVE)
        return RR_ERR_INVAL; /* FYI, digest and fallback notices are Slack-only (PRODUCT §7) */

    static const enum detail_level tries[] = {DETAILS_FULL, DETAILS_SHRUNK, DETAILS_REMOVED};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        json_t *ev = page->kind == RR_PAGE_TRIGGER ? trigger_event(page, routing_key, tries[i])
                                                   : resolve_event(page, routing_key);
        char *text = json_dumps(ev, JSON_COMPACT);
        json_decref(ev);
        if (!text)
            abort(); /* only out of memory: every string above is valid UTF-8 */
        size_t len = strlen(text);
        enum rr_err err = RR_ERR_LIMIT;
        if (len <= RR_PAGERDUTY_MAX_EVENT)
            err = rr_buf_append(out, text, len);
        free(text);
        if (err != RR_ERR_LIMIT || len <= RR_PAGERDUTY_MAX_EVENT)
            return err;
    }
    return RR_ERR_LIMIT; /* cannot happen: without custom_details every field is capped */
}

/*
 * notify_slack: the Slack incoming-webhook renderer — a Block Kit message with a `text`
 * fallback, inside every limit of paging-apis.md §B.3/§E.3.
 *
 * Every text is built piece by piece against its limit: a piece is one character, one mrkdwn
 * entity (&amp; &lt; &gt;) or one construct of ours (a link, a label), so a cut never splits
 * UTF-8, an entity or a link, and a cut text ends with "…" within the limit. Lengths are counted
 * in UTF-16 code units, which is never less than the code points the validator counts: Slack
 * does not say which it counts (§F), so an astral emoji at a boundary stays safe either way.
 *
 * The whole message must also stay under SL-60 (12 000 characters of block text). The message
 * is rendered with generous caps first; when it comes out over, it is rendered again with the
 * next, smaller set of caps (excerpt, evidence and description shrink first, then fields and
 * the team list) until it fits. The last set fits by construction.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rr/notify.h"
#include "rr/text.h"

#include "notify_int.h"

#define SLACK_TEXT_MAX         3000              /* SL-32, SL-35: any text object */
#define SLACK_HEADER_MAX       150               /* SL-30 */
#define SLACK_FIELD_MAX        2000              /* SL-34 */
#define SLACK_BUTTON_TEXT_MAX  75                /* SL-51 */
#define SLACK_OPTION_TEXT_MAX  75                /* Block Kit option object: text */
#define SLACK_OPTION_VALUE_MAX 150               /* Block Kit option object: value */
#define SLACK_OPTIONS_MAX      100               /* Block Kit static_select: options */
#define SLACK_BLOCKS_MAX       50                /* SL-20 */
#define SLACK_TOTAL_MAX        12000             /* SL-60: block text of the whole message */
#define SLACK_FALLBACK_MAX     3000              /* SL-11 (ours): the notification text */
#define SLACK_BODY_MAX         ((size_t)1 << 20) /* far above any message these caps allow */

/* Caps of one rendering attempt, in UTF-16 units. */
struct caps {
    size_t summary;     /* summary + description section */
    size_t why;         /* evidence section */
    size_t runbook;     /* runbook link + Diagnosis excerpt */
    size_t field;       /* each field of the fields section */
    size_t line;        /* each evidence or digest line */
    size_t option_text; /* each team in the "Not ours…" select */
    size_t options;     /* teams listed in the select */
};

static const struct caps levels[] = {
    {SLACK_TEXT_MAX, SLACK_TEXT_MAX, SLACK_TEXT_MAX, SLACK_FIELD_MAX, 600, SLACK_OPTION_TEXT_MAX,
     SLACK_OPTIONS_MAX},
    {1500, 1500, 1200, 500, 300, SLACK_OPTION_TEXT_MAX, SLACK_OPTIONS_MAX},
    {800, 800, 600, 200, 200, 40, SLACK_OPTIONS_MAX},
    /* Worst case: 150 + 400 + 400 + 300 + 9 * 120 + 50 * 30 + context and FYI notes, far below
     * SLACK_TOTAL_MAX whatever the input. */
    {400, 400, 300, 120, 150, 30, 50},
};

/* ---- text builder ---- */

struct tb {
    struct rr_buf buf;
    size_t units;      /* UTF-16 units in buf */
    size_t max;        /* limit in units */
    size_t safe_len;   /* buf.len at the last point where "…" still fits */
    size_t safe_units; /* units at that point */
    bool mrkdwn;       /* escape & < > in user text */
    bool flat;         /* user text on one line: control characters become spaces */
    bool full;         /* cut: "…" appended, later pieces ignored */
    enum rr_err err;   /* sticky */
};

static void tb_init(struct tb *t, size_t max, bool mrkdwn, bool flat)
{
    memset(t, 0, sizeof *t);
    /* A unit is at most 4 bytes ("&amp;" is 5 bytes for 5 units); "…" is 3 bytes for 1. */
    rr_buf_init(&t->buf, max * 4 + 16);
    t->max = max;
    t->mrkdwn = mrkdwn;
    t->flat = flat;
}

static void tb_release(struct tb *t)
{
    rr_buf_release(&t->buf);
}

static const char *tb_str(const struct tb *t)
{
    return t->buf.data ? t->buf.data : "";
}

static size_t utf16_units(const char *s, size_t len)
{
    size_t units = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += notify_utf8_next(s + i, len - i, &cp);
        units += cp >= 0x10000 ? 2 : 1;
    }
    return units;
}

static void tb_append(struct tb *t, const char *p, size_t n)
{
    if (!t->err)
        t->err = rr_buf_append(&t->buf, p, n);
}

/* Appends one atomic piece of `units` units, or cuts the text with "…" when it does not fit. */
static void tb_piece(struct tb *t, const char *p, size_t n, size_t units)
{
    if (t->full || t->err)
        return;
    if (units <= t->max - t->units) {
        tb_append(t, p, n);
        t->units += units;
        if (t->units < t->max) {
            t->safe_len = t->buf.len;
            t->safe_units = t->units;
        }
        return;
    }
    if (t->buf.data) {
        t->buf.len = t->safe_len;
        t->buf.data[t->buf.len] = '\0';
    }
    t->units = t->safe_units;
    tb_append(t, "\xE2\x80\xA6", 3);
    t->units++;
    t->full = true;
}

/* Our own markup: one piece, not escaped. */
static void tb_raw(struct tb *t, const char *s)
{
    size_t n = strlen(s);
    tb_piece(t, s, n, utf16_units(s, n));
}

/* User-derived text: escaped for mrkdwn, invalid UTF-8 replaced, cut with "…" at the limit. */
static void tb_user(struct tb *t, const char *s)
{
    if (!s)
        return;
    size_t len = strlen(s);
    for (size_t i = 0; i < len && !t->full && !t->err;) {
        uint32_t cp;
        size_t n = notify_utf8_next(s + i, len - i, &cp);
        if (t->mrkdwn && cp == '&') {
            tb_piece(t, "&amp;", 5, 5);
        } else if (t->mrkdwn && cp == '<') {
            tb_piece(t, "&lt;", 4, 4);
        } else if (t->mrkdwn && cp == '>') {
            tb_piece(t, "&gt;", 4, 4);
        } else if ((cp < 0x20 && (t->flat || (cp != '\n' && cp != '\t'))) || cp == 0x7F) {
            tb_piece(t, " ", 1, 1);
        } else if (cp == 0xFFFD) {
            tb_piece(t, "\xEF\xBF\xBD", 3, 1);
        } else {
            tb_piece(t, s + i, n, cp >= 0x10000 ? 2 : 1);
        }
        i += n;
    }
}

/* User text with its own, smaller limit, appended as one piece (so the outer text keeps what
 * follows it, such as a closing "*"). */
static void tb_sub(struct tb *t, const char *s, size_t max)
{
    struct tb sub;
    tb_init(&sub, max, t->mrkdwn, t->flat);
    tb_user(&sub, s);
    if (sub.err && !t->err)
        t->err = sub.err;
    tb_piece(t, tb_str(&sub), sub.buf.len, sub.units);
    tb_release(&sub);
}

/* A mrkdwn link <url|label>: one piece. The URL was checked by notify_url_ok; its & is written
 * as &amp;, as Slack itself stores links. */
static void tb_link(struct tb *t, const char *url, const char *label, size_t label_max)
{
    struct tb link;
    tb_init(&link, (size_t)NOTIFY_URL_MAX * 5 + label_max + 8, true, true);
    tb_raw(&link, "<");
    tb_user(&link, url);
    tb_raw(&link, "|");
    tb_sub(&link, label, label_max);
    tb_raw(&link, ">");
    if (link.err && !t->err)
        t->err = link.err;
    tb_piece(t, tb_str(&link), link.buf.len, link.units);
    tb_release(&link);
}

/* Units a piece of user text would take (to decide before appending it). */
static size_t user_units(const char *s, size_t max, bool mrkdwn, bool flat, struct tb *scratch)
{
    tb_init(scratch, max, mrkdwn, flat);
    tb_user(scratch, s);
    return scratch->units;
}

/* ---- message builder ---- */

struct msg {
    struct rr_buf out; /* the blocks array contents */
    size_t total;      /* units of every text object in blocks (SL-60) */
    int blocks;
    int elements;    /* in the current array of elements or fields */
    enum rr_err err; /* sticky */
};

static void m_raw(struct msg *m, const char *s)
{
    if (!m->err)
        m->err = rr_buf_puts(&m->out, s);
}

static void m_str(struct msg *m, const char *s)
{
    if (!m->err)
        m->err = rr_json_append_string(&m->out, s);
}

/* A text object; an empty text is a bug of the caller (Slack wants 1..3000). */
static void m_text(struct msg *m, const char *type, struct tb *t)
{
    if (t->err && !m->err)
        m->err = t->err;
    if (t->units == 0 && !m->err)
        m->err = RR_ERR_INTERNAL;
    m_raw(m, "{\"type\":\"");
    m_raw(m, type);
    m_raw(m, "\",\"text\":");
    m_str(m, tb_str(t));
    m_raw(m, strcmp(type, "plain_text") == 0 ? ",\"emoji\":true}" : "}");
    m->total += t->units;
}

static void m_block(struct msg *m, const char *type, const char *block_id)
{
    m_raw(m, m->blocks ? ",{\"type\":\"" : "{\"type\":\"");
    m_raw(m, type);
    m_raw(m, "\",\"block_id\":");
    m_str(m, block_id);
    m->blocks++;
    m->elements = 0;
}

/* Opens the next element of an array: a comma after the first. */
static void m_elem(struct msg *m)
{
    if (m->elements++)
        m_raw(m, ",");
}

static void header_block(struct msg *m, struct tb *t)
{
    m_block(m, "header", "header");
    m_raw(m, ",\"text\":");
    m_text(m, "plain_text", t);
    m_raw(m, "}");
}

static void section_block(struct msg *m, const char *block_id, struct tb *t)
{
    m_block(m, "section", block_id);
    m_raw(m, ",\"text\":");
    m_text(m, "mrkdwn", t);
    m_raw(m, "}");
}

static void context_block(struct msg *m, struct tb *t)
{
    m_block(m, "context", "context");
    m_raw(m, ",\"elements\":[");
    m_text(m, "mrkdwn", t);
    m_raw(m, "]}");
}

/* ---- pieces shared by the kinds ---- */

static const char *severity_emoji(const char *severity)
{
    if (severity && strcmp(notify_pd_severity(severity), "critical") == 0)
        return "\xF0\x9F\x94\xA5 "; /* fire */
    if (severity && strcmp(notify_pd_severity(severity), "warning") == 0)
        return "\xE2\x9A\xA0\xEF\xB8\x8F "; /* warning sign */
    if (severity && strcmp(notify_pd_severity(severity), "info") == 0)
        return "\xE2\x84\xB9\xEF\xB8\x8F "; /* information */
    return "\xF0\x9F\x94\x94 ";             /* bell */
}

static const char *alertname_of(const struct rr_page_content *p)
{
    return notify_present(p->alertname) ? p->alertname : "unnamed alert";
}

/* "🔥 [CRITICAL] TemporalPersistenceLatencyHigh" */
static void trigger_title(struct tb *t, const struct rr_page_content *p)
{
    tb_raw(t, severity_emoji(p->severity));
    if (notify_present(p->severity)) {
        char upper[32];
        size_t i = 0;
        for (; p->severity[i] && i < 20; i++)
            upper[i] = (char)toupper((unsigned char)p->severity[i]);
        upper[i] = '\0';
        tb_raw(t, "[");
        tb_sub(t, upper, 20);
        tb_raw(t, "] ");
    }
    tb_user(t, alertname_of(p));
}

/* Summary in bold, then the description; the alert name when there is neither. */
static void summary_text(struct tb *t, const struct rr_page_content *p, bool with_name)
{
    bool any = false;
    if (with_name) {
        tb_raw(t, "*");
        tb_sub(t, alertname_of(p), 200);
        tb_raw(t, "*");
        any = true;
    }
    if (notify_present(p->summary)) {
        tb_raw(t, any ? ": *" : "*");
        /* Bold stays on one line, and short enough that its closing "*" survives. */
        struct tb flat;
        tb_init(&flat, t->max / 3, true, true);
        tb_user(&flat, p->summary);
        tb_piece(t, tb_str(&flat), flat.buf.len, flat.units);
        if (flat.err && !t->err)
            t->err = flat.err;
        tb_release(&flat);
        tb_raw(t, "*");
        any = true;
    }
    if (notify_present(p->description) &&
        !(notify_present(p->summary) && strcmp(p->summary, p->description) == 0)) {
        if (any)
            tb_raw(t, "\n");
        tb_user(t, p->description);
        any = true;
    }
    if (!any) {
        tb_raw(t, "*");
        tb_sub(t, alertname_of(p), 200);
        tb_raw(t, "* is firing");
    }
}

/* "*Why you:*" and one bullet per evidence sentence; what does not fit is counted. */
static void why_text(struct tb *t, const char *title, const struct rr_page_content *p,
                     const struct caps *c)
{
    static const size_t reserve = 24; /* "\n…and 18446744073709551615 more" never needed */
    tb_raw(t, title);
    size_t i = 0;
    for (; i < p->n_evidence; i++) {
        if (!notify_present(p->evidence[i]))
            continue;
        struct tb line;
        size_t units = user_units(p->evidence[i], c->line, true, true, &line) + 3;
        bool last = i + 1 == p->n_evidence;
        if (units + (last ? 0 : reserve) > t->max - t->units) {
            tb_release(&line);
            break;
        }
        tb_raw(t, "\n\xE2\x80\xA2 "); /* bullet */
        tb_piece(t, tb_str(&line), line.buf.len, line.units);
        tb_release(&line);
    }
    if (i < p->n_evidence) {
        char more[64];
        snprintf(more, sizeof more,
                 "\n\xE2\x80\xA6"
                 "and %zu more",
                 p->n_evidence - i);
        tb_raw(t, more);
    }
}

static bool has_evidence(const struct rr_page_content *p)
{
    for (size_t i = 0; i < p->n_evidence; i++)
        if (notify_present(p->evidence[i]))
            return true;
    return false;
}

/* The fields section: only the facts present. */
static void fields_block(struct msg *m, const struct rr_page_content *p, const struct caps *c)
{
    const struct {
        const char *label, *value;
    } fields[] = {
        {"*Layer:*\n", p->layer},
        {"*Team:*\n", p->team},
        {"*Affected team:*\n", p->affected_team},
        {"*Kind:*\n", p->kind_name},
        {"*Route:*\n", p->route},
        {"*Namespace:*\n", p->namespace},
        {"*Workflow type:*\n", p->workflow_type},
        {"*Task queue:*\n", p->task_queue},
        {"*Cluster:*\n", p->cluster},
    }; /* 9 <= the 10 of SL-33 */
    bool any = false;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        any = any || notify_present(fields[i].value);
    if (!any)
        return;
    m_block(m, "section", "facts");
    m_raw(m, ",\"fields\":[");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!notify_present(fields[i].value))
            continue;
        struct tb t;
        tb_init(&t, c->field, true, false);
        tb_raw(&t, fields[i].label);
        tb_user(&t, fields[i].value);
        m_elem(m);
        m_text(m, "mrkdwn", &t);
        tb_release(&t);
    }
    m_raw(m, "]}");
}

static const char *runbook_link_url(const struct rr_page_content *p)
{
    if (notify_present(p->runbook_id) && notify_url_ok(p->runbook_url))
        return p->runbook_url;
    if (!notify_present(p->runbook_id) && notify_url_ok(p->annotation_runbook_url))
        return p->annotation_runbook_url;
    return NULL;
}

static void runbook_block(struct msg *m, const struct rr_page_content *p, const struct caps *c)
{
    struct tb t;
    tb_init(&t, c->runbook, true, false);
    if (notify_present(p->runbook_id)) {
        tb_raw(&t, "*Runbook:* ");
        if (notify_url_ok(p->runbook_url))
            tb_link(&t, p->runbook_url, p->runbook_id, 200);
        else
            tb_sub(&t, p->runbook_id, 200);
        if (notify_present(p->runbook_excerpt)) {
            tb_raw(&t, "\n*Diagnosis*\n");
            tb_user(&t, p->runbook_excerpt);
        }
    } else {
        tb_raw(&t, "*Runbook:* No runbook in runbooks/ for this alert");
        if (notify_url_ok(p->annotation_runbook_url)) {
            tb_raw(&t, "\nThe alert names one: ");
            tb_link(&t, p->annotation_runbook_url, "runbook_url annotation", 40);
        }
    }
    section_block(m, "runbook", &t);
    tb_release(&t);
}

static bool listed_before(const struct rr_page_content *p, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (p->teams[j] && strcmp(p->teams[j], p->teams[i]) == 0)
            return true;
    return false;
}

/* Teams the "Not ours…" select can offer: not the paged team, not twice, and with a value that
 * fits (a value cannot be cut: it names the team). */
static bool option_ok(const struct rr_page_content *p, size_t i, const char *value)
{
    if (!notify_present(p->teams[i]) || listed_before(p, i))
        return false;
    if (notify_present(p->team) && strcmp(p->teams[i], p->team) == 0)
        return false;
    return utf16_units(value, strlen(value)) <= SLACK_OPTION_VALUE_MAX;
}

/* Buttons: Runbook (a URL button) and the "Not ours…" select. Returns the teams left out of
 * the select for its cap (the context block says so). */
static size_t actions_block(struct msg *m, const struct rr_page_content *p, const struct caps *c)
{
    const char *url = runbook_link_url(p);
    size_t offered = 0, left_out = 0;
    bool select = p->escalation_id > 0 && p->teams;
    if (select) {
        for (size_t i = 0; i < p->n_teams; i++) {
            char value[512];
            snprintf(value, sizeof value, "%" PRId64 ":%s", p->escalation_id,
                     p->teams[i] ? p->teams[i] : "");
            if (option_ok(p, i, value))
                offered++;
        }
    }
    if (!url && offered == 0)
        return 0;
    m_block(m, "actions", "actions");
    m_raw(m, ",\"elements\":[");
    if (url) {
        struct tb t;
        tb_init(&t, SLACK_BUTTON_TEXT_MAX, false, true);
        tb_raw(&t, "Runbook");
        m_elem(m);
        m_raw(m, "{\"type\":\"button\",\"action_id\":\"runbook\",\"text\":");
        m_text(m, "plain_text", &t);
        m_raw(m, ",\"url\":");
        m_str(m, url);
        m_raw(m, "}");
        tb_release(&t);
    }
    if (offered > 0) {
        struct tb t;
        tb_init(&t, SLACK_HEADER_MAX, false, true);
        tb_raw(&t, "Not ours\xE2\x80\xA6");
        m_elem(m);
        m_raw(m, "{\"type\":\"static_select\",\"action_id\":\"reroute\",\"placeholder\":");
        m_text(m, "plain_text", &t);
        tb_release(&t);
        m_raw(m, ",\"options\":[");
        size_t n = 0;
        for (size_t i = 0; i < p->n_teams; i++) {
            char value[512];
            snprintf(value, sizeof value, "%" PRId64 ":%s", p->escalation_id,
                     p->teams[i] ? p->teams[i] : "");
            if (!option_ok(p, i, value))
                continue;
            if (n == c->options) {
                left_out++;
                continue;
            }
            struct tb o;
            tb_init(&o, c->option_text, false, true);
            tb_user(&o, p->teams[i]);
            m_raw(m, n++ ? ",{\"text\":" : "{\"text\":");
            m_text(m, "plain_text", &o);
            m_raw(m, ",\"value\":");
            m_str(m, value);
            m_raw(m, "}");
            tb_release(&o);
        }
        m_raw(m, "]}");
    }
    m_raw(m, "]}");
    return left_out;
}

/* "Escalation #42 · fingerprint `…` · started …" with links where we have them. */
static void context_text(struct tb *t, const struct rr_page_content *p, bool ended)
{
    tb_raw(t, "runbook-router");
    if (p->escalation_id > 0) {
        char label[48], url[NOTIFY_URL_MAX + 64];
        snprintf(label, sizeof label, "escalation #%" PRId64, p->escalation_id);
        tb_raw(t, " \xC2\xB7 ");
        url[0] = '\0';
        if (notify_present(p->external_url)) {
            size_t n = strlen(p->external_url);
            while (n > 0 && p->external_url[n - 1] == '/')
                n--;
            if (n <= NOTIFY_URL_MAX)
                snprintf(url, sizeof url, "%.*s/api/v1/escalations/%" PRId64, (int)n,
                         p->external_url, p->escalation_id);
        }
        if (notify_url_ok(url))
            tb_link(t, url, label, sizeof label);
        else
            tb_raw(t, label);
    }
    if (notify_present(p->fingerprint)) {
        tb_raw(t, " \xC2\xB7 fingerprint ");
        tb_sub(t, p->fingerprint, 64);
    }
    const char *at = ended ? p->ends_at : p->starts_at;
    if (notify_present(at)) {
        tb_raw(t, ended ? " \xC2\xB7 ended " : " \xC2\xB7 started ");
        tb_sub(t, at, 64);
    }
    if (notify_url_ok(p->generator_url)) {
        tb_raw(t, " \xC2\xB7 ");
        tb_link(t, p->generator_url, "Prometheus", 16);
    }
}

/* ---- the kinds ---- */

static void render_trigger(struct msg *m, struct tb *text, const struct rr_page_content *p,
                           const struct caps *c)
{
    struct tb t;
    tb_init(&t, SLACK_HEADER_MAX, false, true);
    trigger_title(&t, p);
    header_block(m, &t);
    tb_release(&t);

    tb_init(&t, c->summary, true, false);
    summary_text(&t, p, false);
    section_block(m, "summary", &t);
    tb_release(&t);

    if (has_evidence(p)) {
        tb_init(&t, c->why, true, false);
        why_text(&t, "*Why you:*", p, c);
        section_block(m, "why", &t);
        tb_release(&t);
    }
    fields_block(m, p, c);
    runbook_block(m, p, c);
    size_t left_out = actions_block(m, p, c);

    tb_init(&t, 600, true, true);
    context_text(&t, p, false);
    if (left_out > 0) {
        char more[160];
        snprintf(more, sizeof more,
                 " \xC2\xB7 %zu more teams not listed: runbook-router reroute %" PRId64
                 " --team TEAM",
                 left_out, p->escalation_id);
        tb_raw(&t, more);
    }
    context_block(m, &t);
    tb_release(&t);

    trigger_title(text, p);
    if (notify_present(p->summary)) {
        tb_raw(text, ": ");
        tb_user(text, p->summary);
    }
    if (notify_present(p->team)) {
        tb_raw(text, " \xE2\x80\x94 team ");
        tb_sub(text, p->team, 200);
    }
}

static void render_resolve(struct msg *m, struct tb *text, const struct rr_page_content *p)
{
    struct tb t;
    tb_init(&t, SLACK_TEXT_MAX, true, false);
    tb_raw(&t, "\xE2\x9C\x85 *Resolved:* ");
    tb_sub(&t, alertname_of(p), 300);
    if (notify_present(p->team)) {
        tb_raw(&t, "\n*Team:* ");
        tb_sub(&t, p->team, 300);
    }
    if (notify_present(p->namespace)) {
        tb_raw(&t, notify_present(p->team) ? " \xC2\xB7 *Namespace:* " : "\n*Namespace:* ");
        tb_sub(&t, p->namespace, 300);
    }
    section_block(m, "resolved", &t);
    tb_release(&t);

    tb_init(&t, 600, true, true);
    context_text(&t, p, true);
    context_block(m, &t);
    tb_release(&t);

    tb_raw(text, "\xE2\x9C\x85 Resolved: ");
    tb_user(text, alertname_of(p));
}

static void render_fyi(struct msg *m, struct tb *text, const struct rr_page_content *p,
                       const struct caps *c)
{
    static const char title[] = "FYI: platform incident affecting your workflows";
    struct tb t;
    tb_init(&t, SLACK_HEADER_MAX, false, true);
    tb_raw(&t, title);
    header_block(m, &t);
    tb_release(&t);

    tb_init(&t, c->summary, true, false);
    summary_text(&t, p, true);
    section_block(m, "summary", &t);
    tb_release(&t);

    tb_init(&t, 800, true, true);
    tb_raw(&t, "Owned by the *");
    tb_sub(&t, notify_present(p->team) ? p->team : "platform", 100);
    tb_raw(&t, "* team (platform layer), who has been paged. Nothing is needed from ");
    if (notify_present(p->affected_team)) {
        tb_raw(&t, "*");
        tb_sub(&t, p->affected_team, 100);
        tb_raw(&t, "*");
    } else {
        tb_raw(&t, "you");
    }
    tb_raw(&t, ": this explains failures or latency your workflows may show.");
    section_block(m, "owner", &t);
    tb_release(&t);

    if (has_evidence(p)) {
        tb_init(&t, c->why, true, false);
        why_text(&t, "*Why:*", p, c);
        section_block(m, "why", &t);
        tb_release(&t);
    }
    fields_block(m, p, c);

    tb_init(&t, 600, true, true);
    context_text(&t, p, false);
    context_block(m, &t);
    tb_release(&t);

    tb_raw(text, title);
    tb_raw(text, ": ");
    tb_user(text, alertname_of(p));
    if (notify_present(p->summary)) {
        tb_raw(text, " \xE2\x80\x94 ");
        tb_user(text, p->summary);
    }
}

static void digest_title(struct tb *t, const struct rr_page_content *p)
{
    char n[64];
    snprintf(n, sizeof n, "%zu more page%s for ", p->n_digest, p->n_digest == 1 ? "" : "s");
    tb_raw(t, n);
    tb_sub(t, notify_present(p->team) ? p->team : "unknown team", 100);
    tb_raw(t, " folded (storm)");
}

static void render_digest(struct msg *m, struct tb *text, const struct rr_page_content *p,
                          const struct caps *c)
{
    /* Room kept for the "…and N more" line, in a section and in the message. */
    static const size_t reserve = 32;
    static const size_t context_max = 300;
    struct tb t;
    tb_init(&t, SLACK_HEADER_MAX, false, true);
    digest_title(&t, p);
    header_block(m, &t);
    tb_release(&t);

    size_t budget = SLACK_TOTAL_MAX - m->total - context_max - reserve;
    size_t used = 0;
    int sections = 0;
    struct tb sec;
    tb_init(&sec, SLACK_TEXT_MAX, true, false);
    size_t i = 0;
    for (; i < p->n_digest; i++) {
        const char *line = notify_present(p->digest_lines[i]) ? p->digest_lines[i] : "(empty)";
        struct tb l;
        size_t units = user_units(line, c->line, true, true, &l) + 3; /* "\n• " */
        if (used + units > budget) {
            tb_release(&l);
            break;
        }
        if (sec.units > 0 && units + reserve > SLACK_TEXT_MAX - sec.units) {
            /* Start the next section; header + sections + context stay within 50 blocks. */
            if (m->blocks + 3 > SLACK_BLOCKS_MAX) {
                tb_release(&l);
                break;
            }
            char id[32];
            snprintf(id, sizeof id, "digest-%d", ++sections);
            section_block(m, id, &sec);
            tb_release(&sec);
            tb_init(&sec, SLACK_TEXT_MAX, true, false);
        }
        if (sec.units > 0)
            tb_raw(&sec, "\n");
        tb_raw(&sec, "\xE2\x80\xA2 ");
        tb_piece(&sec, tb_str(&l), l.buf.len, l.units);
        used += units;
        tb_release(&l);
    }
    if (i < p->n_digest) {
        char more[64];
        snprintf(more, sizeof more,
                 "%s\xE2\x80\xA6"
                 "and %zu more",
                 sec.units ? "\n" : "", p->n_digest - i);
        tb_raw(&sec, more);
    }
    if (sec.units == 0)
        tb_raw(&sec, "No pages were folded.");
    char id[32];
    snprintf(id, sizeof id, "digest-%d", ++sections);
    section_block(m, id, &sec);
    tb_release(&sec);

    tb_init(&t, context_max, true, true);
    tb_raw(&t, "runbook-router folded these Slack pages past the storm cap; every alert is "
               "stored and listed by the escalations API.");
    context_block(m, &t);
    tb_release(&t);

    digest_title(text, p);
}

static void render_fallback(struct msg *m, struct tb *text, const struct rr_page_content *p)
{
    struct tb t;
    tb_init(&t, SLACK_HEADER_MAX, false, true);
    tb_raw(&t, "\xE2\x9A\xA0\xEF\xB8\x8F Page not delivered");
    header_block(m, &t);
    tb_release(&t);

    const char *team = notify_present(p->failed_team) ? p->failed_team : "unknown team";
    const char *channel = notify_present(p->failed_channel) ? p->failed_channel : "unknown";
    tb_init(&t, SLACK_TEXT_MAX, true, false);
    tb_raw(&t, "Page to *");
    tb_sub(&t, team, 100);
    tb_raw(&t, "* via *");
    tb_sub(&t, channel, 30);
    tb_raw(&t, "* could not be delivered: ");
    tb_sub(&t, notify_present(p->failure) ? p->failure : "unknown failure", 1200);
    tb_raw(&t, "\n*Alert:* ");
    tb_sub(&t, alertname_of(p), 500);
    if (notify_present(p->summary)) {
        tb_raw(&t, " \xE2\x80\x94 ");
        tb_sub(&t, p->summary, 600);
    }
    section_block(m, "failure", &t);
    tb_release(&t);

    tb_init(&t, 600, true, true);
    context_text(&t, p, false);
    context_block(m, &t);
    tb_release(&t);

    tb_raw(text, "Page to ");
    tb_sub(text, team, 100);
    tb_raw(text, " via ");
    tb_sub(text, channel, 30);
    tb_raw(text, " could not be delivered: ");
    tb_user(text, notify_present(p->failure) ? p->failure : "unknown failure");
}

/* One attempt with caps c: the whole body into body (empty on entry). */
static enum rr_err render_once(const struct rr_page_content *p, const struct caps *c,
                               struct rr_buf *body, size_t *total, int *blocks)
{
    struct msg m;
    memset(&m, 0, sizeof m);
    rr_buf_init(&m.out, SLACK_BODY_MAX);
    struct tb text;
    tb_init(&text, SLACK_FALLBACK_MAX, true, true);
    switch (p->kind) {
    case RR_PAGE_TRIGGER:
        render_trigger(&m, &text, p, c);
        break;
    case RR_PAGE_RESOLVE:
        render_resolve(&m, &text, p);
        break;
    case RR_PAGE_FYI:
        render_fyi(&m, &text, p, c);
        break;
    case RR_PAGE_DIGEST:
        render_digest(&m, &text, p, c);
        break;
    case RR_PAGE_FALLBACK:
        render_fallback(&m, &text, p);
        break;
    default:
        m.err = RR_ERR_INVAL;
        break;
    }
    enum rr_err err = m.err ? m.err : text.err;
    if (!err && text.units == 0)
        err = RR_ERR_INTERNAL;
    if (!err)
        err = rr_buf_puts(body, "{\"text\":");
    if (!err)
        err = rr_json_append_string(body, tb_str(&text));
    if (!err)
        err = rr_buf_puts(body, ",\"blocks\":[");
    if (!err)
        err = rr_buf_append(body, m.out.data ? m.out.data : "", m.out.len);
    if (!err)
        err = rr_buf_puts(body, "]}");
    *total = m.total;
    *blocks = m.blocks;
    tb_release(&text);
    rr_buf_release(&m.out);
    return err;
}

enum rr_err rr_notify_render_slack(const struct rr_page_content *page, struct rr_buf *out)
{
    if (!page || !out)
        return RR_ERR_INVAL;
    struct rr_buf body;
    rr_buf_init(&body, SLACK_BODY_MAX);
    enum rr_err err = RR_ERR_INTERNAL;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        size_t total = 0;
        int blocks = 0;
        rr_buf_reset(&body);
        err = render_once(page, &levels[i], &body, &total, &blocks);
        if (err)
            break;
        if (total <= SLACK_TOTAL_MAX && blocks <= SLACK_BLOCKS_MAX)
            break;
        err = RR_ERR_INTERNAL; /* the last level must fit by construction */
    }
    if (!err)
        err = rr_buf_append(out, body.data, body.len);
    rr_buf_release(&body);
    return err;
}

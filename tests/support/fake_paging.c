/* fake_paging: strict Slack webhook and PagerDuty Events v2 validators and an in-process fake
 * server (libmicrohttpd on loopback). Tests only. The validators share no code with the
 * renderers in src/notify*.c on purpose: they are the independent reading of §E. */
#include "fake_paging.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <check.h>
#include <jansson.h>
#include <microhttpd.h>

#include "rr/buf.h"
#include "rr/clock.h"

#define PD_MAX_EVENT  512000            /* PD-03, bytes */
#define FAKE_BODY_MAX ((size_t)8 << 20) /* the fake reads at most this much, then 413 */
#define FAKE_HANG_MAX 30000             /* ms */

/* ==== validation ==== */

struct v {
    unsigned flags;
    char *why;
    size_t cap;
    size_t total;       /* SL-60: characters of every text object in blocks */
    json_t *block_ids;  /* SL-21 (strict): ids seen */
    json_t *action_ids; /* SL-52 (strict): action_ids seen in the message */
};

static bool strict(const struct v *v)
{
    return v->flags & FAKE_STRICT_SHOULD;
}

/* Records the first failure ("RULE detail") and returns false. */
static bool broke(struct v *v, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool broke(struct v *v, const char *rule, const char *fmt, ...)
{
    if (v->why && v->cap) {
        char detail[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        snprintf(v->why, v->cap, "%s %s", rule, detail);
    }
    return false;
}

/* Code points of a decoded JSON string (jansson guarantees valid UTF-8). */
static size_t chars(json_t *s)
{
    const unsigned char *p = (const unsigned char *)json_string_value(s);
    size_t len = json_string_length(s), n = 0;
    for (size_t i = 0; i < len; i++)
        n += (p[i] & 0xC0) != 0x80;
    return n;
}

/* A string of min..max characters. */
static bool str_len(struct v *v, json_t *s, size_t min, size_t max, const char *rule,
                    const char *path)
{
    if (!json_is_string(s))
        return broke(v, rule, "%s: not a string", path);
    size_t n = chars(s);
    if (n < min)
        return broke(v, rule, "%s: %zu characters, under %zu", path, n, min);
    if (n > max)
        return broke(v, rule, "%s: %zu characters, over %zu", path, n, max);
    return true;
}

/* SLX-3: every key of o is in the NULL-terminated list. */
static bool known_keys(struct v *v, json_t *o, const char *const *keys, const char *path)
{
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        bool ok = false;
        for (size_t i = 0; keys[i] && !ok; i++)
            ok = strcmp(k, keys[i]) == 0;
        if (!ok)
            return broke(v, "SLX-3", "%s: unknown property \"%s\"", path, k);
    }
    return true;
}

static bool url_string(json_t *s)
{
    const char *u = json_string_value(s);
    if (!u)
        return false;
    size_t scheme = strncmp(u, "https://", 8) == 0 ? 8 : strncmp(u, "http://", 7) == 0 ? 7 : 0;
    if (!scheme || !u[scheme])
        return false;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7F)
            return false;
    return true;
}

/* SL-13 (strict): & < > in mrkdwn are escaped unless they form <url|label>, <@U…>, <#C…>,
 * <!…> syntax. */
static bool mrkdwn_escaped(struct v *v, const char *s, const char *path)
{
    for (const char *p = s; *p; p++) {
        if (*p == '&') {
            if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4))
                return broke(v, "SL-13", "%s: unescaped & at offset %td", path, p - s);
        } else if (*p == '<') {
            const char *end = strpbrk(p + 1, "<>\n");
            if (!end || *end != '>')
                return broke(v, "SL-13", "%s: unescaped < at offset %td", path, p - s);
            const char *in = p + 1;
            if (strncmp(in, "http://", 7) && strncmp(in, "https://", 8) &&
                strncmp(in, "mailto:", 7) && *in != '@' && *in != '#' && *in != '!')
                return broke(v, "SL-13", "%s: < at offset %td starts no link or mention", path,
                             p - s);
            p = end;
        } else if (*p == '>') {
            return broke(v, "SL-13", "%s: unescaped > at offset %td", path, p - s);
        }
    }
    return true;
}

/*
 * A text object. type_rule/only is the rule and the type a container requires (header and
 * buttons want plain_text); len_rule/max the rule and limit for its text.
 */
static bool text_obj(struct v *v, json_t *o, const char *path, const char *only,
                     const char *type_rule, size_t max, const char *len_rule)
{
    static const char *const keys[] = {"type", "text", "emoji", "verbatim", NULL};
    char sub[256];
    if (!json_is_object(o))
        return broke(v, type_rule, "%s: not a text object", path);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type || (strcmp(type, "plain_text") && strcmp(type, "mrkdwn")))
        return broke(v, "SL-35", "%s.type: \"%s\" is not plain_text or mrkdwn", path,
                     type ? type : "(missing)");
    if (only && strcmp(type, only))
        return broke(v, type_rule, "%s.type: %s, must be %s", path, type, only);
    if (!known_keys(v, o, keys, path))
        return false;
    json_t *emoji = json_object_get(o, "emoji");
    if (emoji && (!json_is_boolean(emoji) || strcmp(type, "plain_text")))
        return broke(v, "SL-35", "%s.emoji: only a boolean on plain_text", path);
    json_t *verbatim = json_object_get(o, "verbatim");
    if (verbatim && (!json_is_boolean(verbatim) || strcmp(type, "mrkdwn")))
        return broke(v, "SL-35", "%s.verbatim: only a boolean on mrkdwn", path);
    json_t *text = json_object_get(o, "text");
    snprintf(sub, sizeof sub, "%s.text", path);
    if (!str_len(v, text, 1, max, len_rule, sub))
        return false;
    if (max > 3000 && !str_len(v, text, 1, 3000, "SL-35", sub))
        return false;
    v->total += chars(text);
    if (strict(v) && !strcmp(type, "mrkdwn") && !mrkdwn_escaped(v, json_string_value(text), sub))
        return false;
    return true;
}

/* SL-52: action_id unique within its block (MUST) and the message (strict). */
static bool action_id(struct v *v, json_t *e, json_t *block_ids, const char *path,
                      const char *len_rule)
{
    json_t *id = json_object_get(e, "action_id");
    if (!id)
        return true;
    char sub[256];
    snprintf(sub, sizeof sub, "%s.action_id", path);
    if (!str_len(v, id, 1, 255, len_rule, sub))
        return false;
    const char *s = json_string_value(id);
    if (json_object_get(block_ids, s))
        return broke(v, "SL-52", "%s: \"%s\" repeats an action_id of this block", sub, s);
    json_object_set_new(block_ids, s, json_true());
    if (strict(v)) {
        if (json_object_get(v->action_ids, s))
            return broke(v, "SL-52", "%s: \"%s\" repeats an action_id of the message", sub, s);
        json_object_set_new(v->action_ids, s, json_true());
    }
    return true;
}

static bool button(struct v *v, json_t *e, const char *path, json_t *block_ids)
{
    static const char *const keys[] = {"type",  "text",    "action_id",           "url", "value",
                                       "style", "confirm", "accessibility_label", NULL};
    char sub[256];
    if (!known_keys(v, e, keys, path))
        return false;
    snprintf(sub, sizeof sub, "%s.text", path);
    if (!text_obj(v, json_object_get(e, "text"), sub, "plain_text", "SL-51", 75, "SL-51"))
        return false;
    if (!action_id(v, e, block_ids, path, "SL-52"))
        return false;
    json_t *value = json_object_get(e, "value");
    snprintf(sub, sizeof sub, "%s.value", path);
    if (value && !str_len(v, value, 1, 2000, "SL-53", sub))
        return false;
    json_t *url = json_object_get(e, "url");
    snprintf(sub, sizeof sub, "%s.url", path);
    if (url && !str_len(v, url, 1, 3000, "SL-54", sub))
        return false;
    json_t *style = json_object_get(e, "style");
    const char *st = json_string_value(style);
    if (style && (!st || (strcmp(st, "primary") && strcmp(st, "danger"))))
        return broke(v, "SL-55", "%s.style: \"%s\" is not primary or danger", path,
                     st ? st : "(not a string)");
    json_t *confirm = json_object_get(e, "confirm");
    if (confirm && !json_is_object(confirm))
        return broke(v, "SLX-3", "%s.confirm: not an object", path);
    return true;
}

static bool option(struct v *v, json_t *o, const char *path)
{
    static const char *const keys[] = {"text", "value", "description", NULL};
    char sub[256];
    if (!json_is_object(o))
        return broke(v, "SLX-2", "%s: not an option object", path);
    if (!known_keys(v, o, keys, path))
        return false;
    snprintf(sub, sizeof sub, "%s.text", path);
    if (!text_obj(v, json_object_get(o, "text"), sub, "plain_text", "SLX-2", 75, "SLX-2"))
        return false;
    snprintf(sub, sizeof sub, "%s.value", path);
    if (!str_len(v, json_object_get(o, "value"), 1, 150, "SLX-2", sub))
        return false;
    json_t *d = json_object_get(o, "description");
    snprintf(sub, sizeof sub, "%s.description", path);
    if (d && !text_obj(v, d, sub, "plain_text", "SLX-2", 75, "SLX-2"))
        return false;
    return true;
}

static bool options(struct v *v, json_t *a, const char *path, const char *rule)
{
    char sub[256];
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > 100)
        return broke(v, rule, "%s: needs an array of 1..100 options, has %zu", path,
                     json_is_array(a) ? json_array_size(a) : 0);
    for (size_t i = 0; i < json_array_size(a); i++) {
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (!option(v, json_array_get(a, i), sub))
            return false;
    }
    return true;
}

static bool static_select(struct v *v, json_t *e, const char *path, json_t *block_ids)
{
    static const char *const keys[] = {"type",          "action_id",      "options",
                                       "option_groups", "initial_option", "confirm",
                                       "focus_on_load", "placeholder",    NULL};
    char sub[256];
    if (!known_keys(v, e, keys, path))
        return false;
    if (!action_id(v, e, block_ids, path, "SLX-1"))
        return false;
    json_t *ph = json_object_get(e, "placeholder");
    snprintf(sub, sizeof sub, "%s.placeholder", path);
    if (ph && !text_obj(v, ph, sub, "plain_text", "SLX-1", 150, "SLX-1"))
        return false;
    json_t *opts = json_object_get(e, "options");
    json_t *groups = json_object_get(e, "option_groups");
    if (!opts == !groups)
        return broke(v, "SLX-1", "%s: needs exactly one of options and option_groups", path);
    snprintf(sub, sizeof sub, "%s.options", path);
    if (opts && !options(v, opts, sub, "SLX-1"))
        return false;
    if (groups) {
        if (!json_is_array(groups) || json_array_size(groups) < 1 || json_array_size(groups) > 100)
            return broke(v, "SLX-1", "%s.option_groups: needs an array of 1..100 groups", path);
        for (size_t i = 0; i < json_array_size(groups); i++) {
            static const char *const gkeys[] = {"label", "options", NULL};
            json_t *g = json_array_get(groups, i);
            snprintf(sub, sizeof sub, "%s.option_groups[%zu]", path, i);
            if (!json_is_object(g))
                return broke(v, "SLX-1", "%s: not an object", sub);
            if (!known_keys(v, g, gkeys, sub))
                return false;
            char lab[300];
            snprintf(lab, sizeof lab, "%s.label", sub);
            if (!text_obj(v, json_object_get(g, "label"), lab, "plain_text", "SLX-1", 75, "SLX-1"))
                return false;
            snprintf(lab, sizeof lab, "%s.options", sub);
            if (!options(v, json_object_get(g, "options"), lab, "SLX-1"))
                return false;
        }
    }
    json_t *init = json_object_get(e, "initial_option");
    snprintf(sub, sizeof sub, "%s.initial_option", path);
    if (init && !option(v, init, sub))
        return false;
    return true;
}

/* Interactive elements Slack knows but runbook-router does not emit: accepted without a deep
 * check unless strict. */
static bool other_element(const char *type)
{
    static const char *const known[] = {"overflow",
                                        "datepicker",
                                        "timepicker",
                                        "datetimepicker",
                                        "checkboxes",
                                        "radio_buttons",
                                        "users_select",
                                        "conversations_select",
                                        "channels_select",
                                        "external_select",
                                        "multi_static_select",
                                        "multi_users_select",
                                        "multi_conversations_select",
                                        "multi_channels_select",
                                        "multi_external_select",
                                        "workflow_button",
                                        "rich_text_input",
                                        NULL};
    for (size_t i = 0; known[i]; i++)
        if (!strcmp(type, known[i]))
            return true;
    return false;
}

static bool element(struct v *v, json_t *e, const char *path, json_t *block_ids, const char *rule)
{
    if (!json_is_object(e))
        return broke(v, rule, "%s: not an element object", path);
    const char *type = json_string_value(json_object_get(e, "type"));
    if (!type)
        return broke(v, rule, "%s.type: missing", path);
    if (!strcmp(type, "button"))
        return button(v, e, path, block_ids);
    if (!strcmp(type, "static_select"))
        return static_select(v, e, path, block_ids);
    if (other_element(type) && !strict(v))
        return true;
    return broke(v, other_element(type) ? "SL-22" : "SLX-3", "%s.type: \"%s\" is %s", path, type,
                 other_element(type) ? "not an element runbook-router emits"
                                     : "not a Block Kit element");
}

static bool image_element(struct v *v, json_t *e, const char *path)
{
    static const char *const keys[] = {"type", "image_url", "alt_text", "slack_file", NULL};
    if (!known_keys(v, e, keys, path))
        return false;
    if (!json_is_string(json_object_get(e, "image_url")) &&
        !json_is_object(json_object_get(e, "slack_file")))
        return broke(v, "SLX-4", "%s: image_url missing", path);
    if (!json_is_string(json_object_get(e, "alt_text")))
        return broke(v, "SLX-4", "%s: alt_text missing", path);
    return true;
}

static bool block(struct v *v, json_t *b, size_t i)
{
    char path[64], sub[256];
    snprintf(path, sizeof path, "blocks[%zu]", i);
    if (!json_is_object(b))
        return broke(v, "SL-20", "%s: not an object", path);
    const char *type = json_string_value(json_object_get(b, "type"));
    if (!type)
        return broke(v, "SL-20", "%s.type: missing or not a string", path);
    json_t *id = json_object_get(b, "block_id");
    if (id) {
        snprintf(sub, sizeof sub, "%s.block_id", path);
        if (!str_len(v, id, 1, 255, "SL-21", sub))
            return false;
        if (strict(v)) {
            if (json_object_get(v->block_ids, json_string_value(id)))
                return broke(v, "SL-21", "%s: \"%s\" is not unique", sub, json_string_value(id));
            json_object_set_new(v->block_ids, json_string_value(id), json_true());
        }
    }
    if (!strcmp(type, "header")) {
        static const char *const keys[] = {"type", "block_id", "text", NULL};
        snprintf(sub, sizeof sub, "%s.text", path);
        return known_keys(v, b, keys, path) &&
               text_obj(v, json_object_get(b, "text"), sub, "plain_text", "SL-30", 150, "SL-30");
    }
    if (!strcmp(type, "section")) {
        static const char *const keys[] = {"type",      "block_id", "text", "fields",
                                           "accessory", "expand",   NULL};
        if (!known_keys(v, b, keys, path))
            return false;
        json_t *text = json_object_get(b, "text");
        json_t *fields = json_object_get(b, "fields");
        if (!text && !fields)
            return broke(v, "SL-31", "%s: has neither text nor fields", path);
        snprintf(sub, sizeof sub, "%s.text", path);
        if (text && !text_obj(v, text, sub, NULL, "SL-32", 3000, "SL-32"))
            return false;
        if (fields) {
            if (!json_is_array(fields) || json_array_size(fields) < 1 ||
                json_array_size(fields) > 10)
                return broke(v, "SL-33", "%s.fields: needs an array of 1..10 text objects, has %zu",
                             path, json_is_array(fields) ? json_array_size(fields) : 0);
            for (size_t f = 0; f < json_array_size(fields); f++) {
                snprintf(sub, sizeof sub, "%s.fields[%zu]", path, f);
                if (!text_obj(v, json_array_get(fields, f), sub, NULL, "SL-33", 2000, "SL-34"))
                    return false;
            }
        }
        json_t *expand = json_object_get(b, "expand");
        if (expand && !json_is_boolean(expand))
            return broke(v, "SLX-3", "%s.expand: not a boolean", path);
        json_t *acc = json_object_get(b, "accessory");
        if (acc) {
            json_t *ids = json_object();
            snprintf(sub, sizeof sub, "%s.accessory", path);
            const char *at = json_string_value(json_object_get(acc, "type"));
            bool ok = at && !strcmp(at, "image") ? image_element(v, acc, sub)
                                                 : element(v, acc, sub, ids, "SLX-3");
            json_decref(ids);
            if (!ok)
                return false;
        }
        return true;
    }
    if (!strcmp(type, "divider")) {
        static const char *const keys[] = {"type", "block_id", NULL};
        return known_keys(v, b, keys, path);
    }
    if (!strcmp(type, "context")) {
        static const char *const keys[] = {"type", "block_id", "elements", NULL};
        if (!known_keys(v, b, keys, path))
            return false;
        json_t *els = json_object_get(b, "elements");
        if (!json_is_array(els) || json_array_size(els) < 1 || json_array_size(els) > 10)
            return broke(v, "SL-40", "%s.elements: needs an array of 1..10 items, has %zu", path,
                         json_is_array(els) ? json_array_size(els) : 0);
        for (size_t e = 0; e < json_array_size(els); e++) {
            json_t *el = json_array_get(els, e);
            snprintf(sub, sizeof sub, "%s.elements[%zu]", path, e);
            const char *et = json_string_value(json_object_get(el, "type"));
            bool ok = et && !strcmp(et, "image")
                          ? image_element(v, el, sub)
                          : text_obj(v, el, sub, NULL, "SL-40", 3000, "SL-35");
            if (!ok)
                return false;
        }
        return true;
    }
    if (!strcmp(type, "actions")) {
        static const char *const keys[] = {"type", "block_id", "elements", NULL};
        if (!known_keys(v, b, keys, path))
            return false;
        json_t *els = json_object_get(b, "elements");
        if (!json_is_array(els) || json_array_size(els) < 1 || json_array_size(els) > 25)
            return broke(v, "SL-50", "%s.elements: needs an array of 1..25 elements, has %zu", path,
                         json_is_array(els) ? json_array_size(els) : 0);
        json_t *ids = json_object();
        bool ok = true;
        for (size_t e = 0; e < json_array_size(els) && ok; e++) {
            snprintf(sub, sizeof sub, "%s.elements[%zu]", path, e);
            ok = element(v, json_array_get(els, e), sub, ids, "SL-50");
        }
        json_decref(ids);
        return ok;
    }
    static const char *const other_blocks[] = {"image",    "rich_text", "file", "video",
                                               "markdown", "input",     "call", NULL};
    for (size_t k = 0; other_blocks[k]; k++)
        if (!strcmp(type, other_blocks[k]))
            return strict(v) ? broke(v, "SL-22",
                                     "%s.type: \"%s\" is not a block runbook-router "
                                     "emits",
                                     path, type)
                             : true;
    return broke(v, "SLX-3", "%s.type: \"%s\" is not a Block Kit block", path, type);
}

static bool slack_body(struct v *v, json_t *root)
{
    if (!json_is_object(root))
        return broke(v, "SL-03", "top level: not an object");
    if (strict(v)) {
        static const char *const ignored[] = {"channel", "username", "icon_emoji", "icon_url"};
        for (size_t i = 0; i < 4; i++)
            if (json_object_get(root, ignored[i]))
                return broke(v, "SL-05", "%s: ignored by app webhooks", ignored[i]);
    }
    json_t *text = json_object_get(root, "text");
    json_t *blocks = json_object_get(root, "blocks");
    json_t *att = json_object_get(root, "attachments");
    if (text && !str_len(v, text, 0, 40000, "SL-11", "text"))
        return false;
    if (att) {
        if (!json_is_array(att) || json_array_size(att) > 100)
            return broke(v, "SL-12", "attachments: needs an array of at most 100, has %zu",
                         json_is_array(att) ? json_array_size(att) : 0);
        for (size_t i = 0; i < json_array_size(att); i++)
            if (!json_is_object(json_array_get(att, i)))
                return broke(v, "SL-12", "attachments[%zu]: not an object", i);
        if (strict(v) && json_array_size(att) > 20)
            return broke(v, "SL-12", "attachments: %zu, over 20", json_array_size(att));
    }
    bool has_text = json_is_string(text) && json_string_length(text) > 0;
    bool has_blocks = json_is_array(blocks) && json_array_size(blocks) > 0;
    bool has_att = json_is_array(att) && json_array_size(att) > 0;
    if (!has_text && !has_blocks && !has_att)
        return broke(v, "SL-10", "no text, blocks or attachments");
    if (blocks) {
        if (!json_is_array(blocks) || json_array_size(blocks) < 1 || json_array_size(blocks) > 50)
            return broke(v, "SL-20", "blocks: needs an array of 1..50 blocks, has %zu",
                         json_is_array(blocks) ? json_array_size(blocks) : 0);
        if (strict(v) && !has_text)
            return broke(v, "SL-11", "text: no notification fallback next to blocks");
        if (strict(v) && !str_len(v, text, 1, 3000, "SL-11", "text"))
            return false;
        for (size_t i = 0; i < json_array_size(blocks); i++)
            if (!block(v, json_array_get(blocks, i), i))
                return false;
        if (strict(v) && v->total > 12000)
            return broke(v, "SL-60", "blocks: %zu characters of text, over 12000", v->total);
    }
    json_t *mrkdwn = json_object_get(root, "mrkdwn");
    if (strict(v) && has_text && !json_is_false(mrkdwn) &&
        !mrkdwn_escaped(v, json_string_value(text), "text"))
        return false;
    return true;
}

bool fake_validate_slack_ex(const char *json, size_t len, unsigned flags, char *why, size_t cap)
{
    struct v v = {.flags = flags, .why = why, .cap = cap};
    if (why && cap)
        why[0] = '\0';
    json_error_t jerr;
    json_t *root =
        json_loadb(json, len, (flags & FAKE_STRICT_SHOULD) ? JSON_REJECT_DUPLICATES : 0, &jerr);
    if (!root)
        return broke(&v, "SL-03", "not valid UTF-8 JSON: %s at %d:%d", jerr.text, jerr.line,
                     jerr.column);
    v.block_ids = json_object();
    v.action_ids = json_object();
    bool ok = slack_body(&v, root);
    json_decref(v.block_ids);
    json_decref(v.action_ids);
    json_decref(root);
    return ok;
}

bool fake_validate_slack(const char *json, size_t len, char *why, size_t cap)
{
    return fake_validate_slack_ex(json, len, 0, why, cap);
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* PD-24: ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$ */
static bool iso8601(const char *s)
{
    if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return false;
    const char *z = s + 19;
    if (*z == '.') {
        if (!digits(++z, 1))
            return false;
        while (digits(z, 1))
            z++;
    }
    if (!strcmp(z, "Z"))
        return true;
    if (*z != '+' && *z != '-')
        return false;
    if (!digits(++z, 2))
        return false;
    z += 2;
    if (*z == ':')
        z++;
    return digits(z, 2) && z[2] == '\0';
}

static bool pd_payload(struct v *v, json_t *pl)
{
    if (!json_is_object(pl))
        return broke(v, "PD-20", "payload: trigger needs a payload object");
    if (!str_len(v, json_object_get(pl, "summary"), 1, 1024, "PD-21", "payload.summary"))
        return false;
    if (!str_len(v, json_object_get(pl, "source"), 1, SIZE_MAX, "PD-22", "payload.source"))
        return false;
    const char *sev = json_string_value(json_object_get(pl, "severity"));
    if (!sev || (strcmp(sev, "critical") && strcmp(sev, "error") && strcmp(sev, "warning") &&
                 strcmp(sev, "info")))
        return broke(v, "PD-23", "payload.severity: \"%s\" is not critical, error, warning or info",
                     sev ? sev : "(missing)");
    json_t *ts = json_object_get(pl, "timestamp");
    if (ts && (!json_is_string(ts) || !iso8601(json_string_value(ts))))
        return broke(v, "PD-24", "payload.timestamp: not an ISO 8601 date-time");
    static const char *const strs[] = {"component", "group", "class"};
    for (size_t i = 0; i < 3; i++) {
        json_t *s = json_object_get(pl, strs[i]);
        if (s && !json_is_string(s))
            return broke(v, "PD-25", "payload.%s: not a string", strs[i]);
    }
    json_t *cd = json_object_get(pl, "custom_details");
    if (cd && !json_is_object(cd))
        return broke(v, "PD-26", "payload.custom_details: not an object");
    return true;
}

static bool pd_body(struct v *v, json_t *root)
{
    if (!json_is_object(root))
        return broke(v, "PD-03", "top level: not an object");
    if (strict(v)) {
        static const char *const v1[] = {"service_key", "event_type", "incident_key",
                                         "description", "details",    NULL};
        for (size_t i = 0; v1[i]; i++)
            if (json_object_get(root, v1[i]))
                return broke(v, "PD-04", "%s: an Events API v1 field", v1[i]);
        static const char *const keys[] = {"routing_key", "event_action", "dedup_key",
                                           "payload",     "images",       "links",
                                           "client",      "client_url",   NULL};
        const char *k;
        json_t *val;
        json_object_foreach(root, k, val)
        {
            bool ok = false;
            for (size_t i = 0; keys[i] && !ok; i++)
                ok = !strcmp(k, keys[i]);
            if (!ok)
                return broke(v, "PD-04", "%s: unknown top-level key", k);
        }
    }
    json_t *rk = json_object_get(root, "routing_key");
    if (!json_is_string(rk))
        return broke(v, "PD-10", "routing_key: missing or not a string");
    if (chars(rk) != 32)
        return broke(v, "PD-10",
                     "routing_key: %zu characters, not 32 (Length of 'routing_key' is incorrect "
                     "(should be 32 characters))",
                     chars(rk));
    if (strict(v))
        for (const char *p = json_string_value(rk); *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
                return broke(v, "PD-10", "routing_key: not [A-Za-z0-9]{32}");
    const char *action = json_string_value(json_object_get(root, "event_action"));
    if (!action ||
        (strcmp(action, "trigger") && strcmp(action, "acknowledge") && strcmp(action, "resolve")))
        return broke(v, "PD-11", "event_action: \"%s\" is not trigger, acknowledge or resolve",
                     action ? action : "(missing)");
    json_t *dk = json_object_get(root, "dedup_key");
    if (dk && !str_len(v, dk, 1, 255, "PD-12", "dedup_key"))
        return false;
    bool trigger = !strcmp(action, "trigger");
    if (!trigger && !dk)
        return broke(v, "PD-13", "dedup_key: required for %s", action);
    if (trigger && !dk && strict(v))
        return broke(v, "PD-14", "dedup_key: a trigger without one cannot be resolved");
    if (trigger && !pd_payload(v, json_object_get(root, "payload")))
        return false;
    json_t *images = json_object_get(root, "images");
    if (images) {
        if (!json_is_array(images))
            return broke(v, "PD-30", "images: not an array");
        for (size_t i = 0; i < json_array_size(images); i++) {
            json_t *im = json_array_get(images, i);
            const char *src = json_string_value(json_object_get(im, "src"));
            if (!json_is_object(im) || !src || strncmp(src, "https://", 8) || !src[8])
                return broke(v, "PD-30", "images[%zu].src: needs an https:// URL", i);
            json_t *href = json_object_get(im, "href");
            if (href && !url_string(href))
                return broke(v, "PD-30", "images[%zu].href: not a URL", i);
            json_t *alt = json_object_get(im, "alt");
            if (alt && !json_is_string(alt))
                return broke(v, "PD-30", "images[%zu].alt: not a string", i);
        }
    }
    json_t *links = json_object_get(root, "links");
    if (links) {
        if (!json_is_array(links))
            return broke(v, "PD-31", "links: not an array");
        for (size_t i = 0; i < json_array_size(links); i++) {
            json_t *l = json_array_get(links, i);
            json_t *href = json_object_get(l, "href");
            if (!json_is_object(l) || !json_is_string(href) || json_string_length(href) == 0)
                return broke(v, "PD-31", "links[%zu].href: missing or empty", i);
            json_t *text = json_object_get(l, "text");
            if (text && !json_is_string(text))
                return broke(v, "PD-31", "links[%zu].text: not a string", i);
        }
    }
    json_t *client = json_object_get(root, "client");
    if (client && !json_is_string(client))
        return broke(v, "PD-32", "client: not a string");
    json_t *curl = json_object_get(root, "client_url");
    if (curl && !url_string(curl))
        return broke(v, "PD-32", "client_url: not a URL");
    return true;
}

bool fake_validate_pagerduty_ex(const char *json, size_t len, unsigned flags, char *why, size_t cap)
{
    struct v v = {.flags = flags, .why = why, .cap = cap};
    if (why && cap)
        why[0] = '\0';
    if (len > PD_MAX_EVENT)
        return broke(&v, "PD-03", "body: %zu bytes, over %d", len, PD_MAX_EVENT);
    json_error_t jerr;
    json_t *root =
        json_loadb(json, len, (flags & FAKE_STRICT_SHOULD) ? JSON_REJECT_DUPLICATES : 0, &jerr);
    if (!root)
        return broke(&v, "PD-03", "not valid UTF-8 JSON: %s at %d:%d", jerr.text, jerr.line,
                     jerr.column);
    bool ok = pd_body(&v, root);
    json_decref(root);
    return ok;
}

bool fake_validate_pagerduty(const char *json, size_t len, char *why, size_t cap)
{
    return fake_validate_pagerduty_ex(json, len, 0, why, cap);
}

/* ==== server ==== */

struct forced {
    int status;
    char *body;
    char *retry_after;
    long hang_ms;
};

struct fake_paging {
    struct MHD_Daemon *daemon;
    uint16_t port;
    unsigned flags;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a record arrived, or stopping */
    bool stopping;
    struct fake_request **reqs;
    size_t n, cap;
    struct forced *script;
    size_t s_head, s_len, s_cap;
    size_t fail_n;
    int fail_status;
    char *fail_retry_after;
    json_t *pd_keys; /* PD-40 (strict): dedup_key -> routing_key of its trigger */
};

struct conn {
    struct rr_buf body;
    bool too_big;
    int64_t arrived_ns;
};

static char *dup_or_empty(const char *s)
{
    return rr_xstrdup(s ? s : "");
}

static void request_free(struct fake_request *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->path);
    free(r->content_type);
    free(r->body);
    free(r);
}

static void forced_release(struct forced *f)
{
    free(f->body);
    free(f->retry_after);
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n))
        return false;
    ct += n;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

static enum fake_target target_of(const char *path)
{
    if (!strncmp(path, "/slack/", 7) && path[7])
        return FAKE_SLACK;
    if (!strcmp(path, "/pagerduty") || !strncmp(path, "/pagerduty/", 11) ||
        !strcmp(path, "/v2/enqueue"))
        return FAKE_PAGERDUTY;
    return FAKE_OTHER;
}

/* The vendor's code word for a Slack rule (what its 400 body starts with). */
static const char *slack_code(const char *why)
{
    if (!strncmp(why, "SL-10", 5))
        return "no_text";
    if (!strncmp(why, "SL-12", 5))
        return "too_many_attachments";
    if (!strncmp(why, "SL-2", 4) || !strncmp(why, "SL-3", 4) || !strncmp(why, "SL-4", 4) ||
        !strncmp(why, "SL-5", 4) || !strncmp(why, "SL-6", 4) || !strncmp(why, "SLX", 3))
        return "invalid_blocks";
    return "invalid_payload";
}

static const char *slack_default_body(int status)
{
    switch (status) {
    case 200:
        return "ok";
    case 400:
        return "invalid_payload";
    case 403:
        return "action_prohibited";
    case 404:
        return "channel_not_found";
    case 410:
        return "channel_is_archived";
    case 429:
        return "rate_limited";
    default:
        return status >= 500 ? "rollup_error" : "error";
    }
}

static char *pd_error_body(const char *status, const char *message, const char *error)
{
    json_t *j =
        json_pack("{s:s, s:s, s:[s]}", "status", status, "message", message, "errors", error);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static char *pd_default_body(int status)
{
    if (status == 429)
        return pd_error_body("throttle event", "Requests for this service are arriving too quickly",
                             "Please retry later");
    if (status >= 500)
        return pd_error_body("Unrecognized object", "Event object format is unrecognized",
                             "JSON parse error");
    if (status >= 400)
        return pd_error_body("invalid event", "Event object is invalid", "forced by the test");
    return rr_xstrdup("{\"status\":\"success\",\"message\":\"Event processed\"}");
}

/* 202 {"status":"success","message":"Event processed","dedup_key":…} */
static char *pd_success_body(const char *body, size_t len, size_t seq)
{
    json_t *req = json_loadb(body, len, 0, NULL);
    const char *dk = json_string_value(json_object_get(req, "dedup_key"));
    char generated[64];
    if (!dk) {
        snprintf(generated, sizeof generated, "fake-%zu", seq);
        dk = generated;
    }
    json_t *j = json_pack("{s:s, s:s, s:s}", "status", "success", "message", "Event processed",
                          "dedup_key", dk);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_decref(req);
    return s;
}

/* PD-40 (strict): a resolve/acknowledge must use the routing_key of its trigger. */
static bool pd_session(struct fake_paging *f, struct fake_request *r)
{
    json_t *req = json_loadb(r->body, r->len, 0, NULL);
    const char *rk = json_string_value(json_object_get(req, "routing_key"));
    const char *dk = json_string_value(json_object_get(req, "dedup_key"));
    const char *action = json_string_value(json_object_get(req, "event_action"));
    bool ok = true;
    if (rk && dk && action) {
        const char *known = json_string_value(json_object_get(f->pd_keys, dk));
        if (!strcmp(action, "trigger"))
            json_object_set_new(f->pd_keys, dk, json_string(rk));
        else if (known && strcmp(known, rk)) {
            snprintf(r->why, sizeof r->why,
                     "PD-40 routing_key: differs from the trigger's for dedup_key %s", dk);
            ok = false;
        }
    }
    json_decref(req);
    return ok;
}

static void validate(struct fake_paging *f, struct fake_request *r, const struct conn *c)
{
    const char *rule = r->target == FAKE_SLACK ? "SL" : "PD";
    if (r->target == FAKE_OTHER) {
        snprintf(r->why, sizeof r->why, "no such endpoint: %s", r->path);
    } else if (strcmp(r->method, "POST")) {
        snprintf(r->why, sizeof r->why, "%s-01 method %s, not POST", rule, r->method);
    } else if (!is_json_type(r->content_type)) {
        snprintf(r->why, sizeof r->why, "%s-02 Content-Type \"%s\", not application/json", rule,
                 r->content_type);
    } else if (c->too_big) {
        snprintf(r->why, sizeof r->why, "%s-03 body over the fake's %zu bytes", rule,
                 FAKE_BODY_MAX);
    } else if (r->target == FAKE_SLACK) {
        r->valid = fake_validate_slack_ex(r->body, r->len, f->flags, r->why, sizeof r->why);
    } else {
        r->valid = fake_validate_pagerduty_ex(r->body, r->len, f->flags, r->why, sizeof r->why);
        if (r->valid && (f->flags & FAKE_STRICT_SHOULD))
            r->valid = pd_session(f, r);
    }
}

static enum MHD_Result reply(struct MHD_Connection *conn, int status, const char *content_type,
                             const char *body, const char *retry_after)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (retry_after)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result answer(struct fake_paging *f, struct MHD_Connection *conn, const char *url,
                              const char *method, struct conn *c)
{
    struct fake_request *r = rr_xcalloc(1, sizeof *r);
    r->method = dup_or_empty(method);
    r->path = dup_or_empty(url);
    r->content_type =
        dup_or_empty(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"));
    r->len = c->body.len;
    r->body = rr_buf_take(&c->body);
    r->arrived_ns = c->arrived_ns;
    r->target = target_of(r->path);

    pthread_mutex_lock(&f->mu);
    validate(f, r, c);
    size_t seq = f->n;
    struct forced forced = {0};
    bool is_forced = false;
    if (f->s_head < f->s_len) {
        forced = f->script[f->s_head];
        memset(&f->script[f->s_head++], 0, sizeof forced);
        is_forced = true;
    } else if (seq < f->fail_n) {
        forced.status = f->fail_status;
        forced.retry_after = f->fail_retry_after ? rr_xstrdup(f->fail_retry_after) : NULL;
        is_forced = true;
    }
    /* Decide the answer now so the record says it before the client sees it. */
    int status;
    char *body;
    const char *ct = r->target == FAKE_PAGERDUTY ? "application/json" : "text/html";
    if (is_forced && forced.status) {
        status = forced.status;
        body = forced.body                   ? rr_xstrdup(forced.body)
               : r->target == FAKE_PAGERDUTY ? pd_default_body(status)
                                             : rr_xstrdup(slack_default_body(status));
        if (r->target == FAKE_PAGERDUTY && status >= 200 && status < 300 && !forced.body) {
            free(body);
            body = pd_success_body(r->body, r->len, seq);
        }
    } else if (r->target == FAKE_OTHER) {
        status = 404;
        body = rr_xstrdup("no_service");
        ct = "text/plain";
    } else if (r->valid) {
        status = r->target == FAKE_SLACK ? 200 : 202;
        body = r->target == FAKE_SLACK ? rr_xstrdup("ok") : pd_success_body(r->body, r->len, seq);
    } else {
        status = !strcmp(r->method, "POST") ? (c->too_big ? 413 : 400) : 405;
        if (r->target == FAKE_SLACK) {
            size_t n = strlen(r->why) + 64;
            body = rr_xmalloc(n);
            snprintf(body, n, "%s: %s", slack_code(r->why), r->why);
        } else {
            body = pd_error_body("invalid event", "Event object is invalid", r->why);
        }
    }
    r->status = status;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->reqs = rr_xrealloc(f->reqs, f->cap * sizeof *f->reqs);
    }
    f->reqs[f->n++] = r;
    pthread_cond_broadcast(&f->cv);

    if (is_forced && forced.hang_ms > 0) {
        long hang = forced.hang_ms < FAKE_HANG_MAX ? forced.hang_ms : FAKE_HANG_MAX;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += hang / 1000;
        until.tv_nsec += (hang % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!f->stopping && pthread_cond_timedwait(&f->cv, &f->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&f->mu);

    enum MHD_Result ret = reply(conn, status, ct, body, forced.retry_after);
    free(body);
    forced_release(&forced);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct fake_paging *f = cls;
    struct conn *c = *con_cls;
    if (!c) {
        c = rr_xcalloc(1, sizeof *c);
        rr_buf_init(&c->body, FAKE_BODY_MAX);
        c->arrived_ns = rr_clock_mono_ns();
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!c->too_big && rr_buf_append(&c->body, upload_data, *upload_data_size) != RR_OK)
            c->too_big = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(f, conn, url, method, c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    struct conn *c = *con_cls;
    if (!c)
        return;
    rr_buf_release(&c->body);
    free(c);
    *con_cls = NULL;
}

struct fake_paging *fake_paging_start(unsigned flags)
{
    struct fake_paging *f = rr_xcalloc(1, sizeof *f);
    f->flags = flags;
    f->pd_keys = json_object();
    pthread_mutex_init(&f->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &attr);
    pthread_condattr_destroy(&attr);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, on_request,
        f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, f, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    ck_assert_msg(f->daemon != NULL, "fake_paging: cannot start libmicrohttpd on 127.0.0.1");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_msg(info && info->port, "fake_paging: no port");
    f->port = info->port;
    return f;
}

static void clear(struct fake_paging *f)
{
    for (size_t i = 0; i < f->n; i++)
        request_free(f->reqs[i]);
    f->n = 0;
    for (size_t i = f->s_head; i < f->s_len; i++)
        forced_release(&f->script[i]);
    f->s_head = f->s_len = 0;
    f->fail_n = 0;
    free(f->fail_retry_after);
    f->fail_retry_after = NULL;
    json_object_clear(f->pd_keys);
}

void fake_paging_stop(struct fake_paging *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stopping = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    MHD_stop_daemon(f->daemon);
    clear(f);
    free(f->reqs);
    free(f->script);
    json_decref(f->pd_keys);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

uint16_t fake_paging_port(const struct fake_paging *f)
{
    return f->port;
}

const char *fake_paging_url(const struct fake_paging *f, const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "http://127.0.0.1:%u%s", (unsigned)f->port, path ? path : "");
    return buf;
}

void fake_paging_script(struct fake_paging *f, const struct fake_response *r)
{
    pthread_mutex_lock(&f->mu);
    if (f->s_len == f->s_cap) {
        f->s_cap = f->s_cap ? f->s_cap * 2 : 8;
        f->script = rr_xrealloc(f->script, f->s_cap * sizeof *f->script);
    }
    f->script[f->s_len++] = (struct forced){
        .status = r->status,
        .body = r->body ? rr_xstrdup(r->body) : NULL,
        .retry_after = r->retry_after ? rr_xstrdup(r->retry_after) : NULL,
        .hang_ms = r->hang_ms,
    };
    pthread_mutex_unlock(&f->mu);
}

void fake_paging_fail_until(struct fake_paging *f, size_t n, int status, const char *retry_after)
{
    pthread_mutex_lock(&f->mu);
    f->fail_n = n;
    f->fail_status = status;
    free(f->fail_retry_after);
    f->fail_retry_after = retry_after ? rr_xstrdup(retry_after) : NULL;
    pthread_mutex_unlock(&f->mu);
}

void fake_paging_reset(struct fake_paging *f)
{
    pthread_mutex_lock(&f->mu);
    clear(f);
    pthread_mutex_unlock(&f->mu);
}

size_t fake_paging_count(struct fake_paging *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->n;
    pthread_mutex_unlock(&f->mu);
    return n;
}

const struct fake_request *fake_paging_get(struct fake_paging *f, size_t i)
{
    pthread_mutex_lock(&f->mu);
    const struct fake_request *r = i < f->n ? f->reqs[i] : NULL;
    pthread_mutex_unlock(&f->mu);
    return r;
}

bool fake_paging_wait(struct fake_paging *f, size_t n, long timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->mu);
    while (f->n < n && !f->stopping)
        if (pthread_cond_timedwait(&f->cv, &f->mu, &until) == ETIMEDOUT)
            break;
    bool ok = f->n >= n;
    pthread_mutex_unlock(&f->mu);
    return ok;
}

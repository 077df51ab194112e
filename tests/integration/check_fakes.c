/*
 * check_fakes: the strict Slack and PagerDuty fakes themselves. Every test vector of
 * paging-apis.md §E.5 (tests/fixtures/paging/, a copy of ../shared/fixtures/paging) must get
 * the verdict and the rule the reference names for it, directly and over HTTP; so must the
 * one-line mutations listed under the §E.5 table, the boundaries next to them, and one case
 * for each other rule. Then the server: its answers as the vendors give them, scripted
 * failures, hangs, the request log and its bounded wait.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "rr/buf.h"
#include "rr/clock.h"

#include "fake_paging.h"
#include "httpc.h"
#include "testlib.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- the §E.5 table ---- */

static const struct {
    const char *file;
    enum fake_target target;
    const char *rule; /* NULL: valid */
} vectors[] = {
    {"pd-valid-trigger-full.json", FAKE_PAGERDUTY, NULL},
    {"pd-valid-trigger-boundary.json", FAKE_PAGERDUTY, NULL},
    {"pd-valid-resolve.json", FAKE_PAGERDUTY, NULL},
    {"pd-invalid-severity-not-in-enum.json", FAKE_PAGERDUTY, "PD-23"},
    {"pd-invalid-routing-key-length.json", FAKE_PAGERDUTY, "PD-10"},
    {"pd-invalid-summary-too-long.json", FAKE_PAGERDUTY, "PD-21"},
    {"pd-invalid-resolve-missing-dedup-key.json", FAKE_PAGERDUTY, "PD-13"},
    {"slack-valid-text-only.json", FAKE_SLACK, NULL},
    {"slack-valid-blocks-alert.json", FAKE_SLACK, NULL},
    {"slack-valid-blocks-boundary.json", FAKE_SLACK, NULL},
    {"slack-invalid-header-too-long.json", FAKE_SLACK, "SL-30"},
    {"slack-invalid-section-text-too-long.json", FAKE_SLACK, "SL-32"},
    {"slack-invalid-section-too-many-fields.json", FAKE_SLACK, "SL-33"},
    {"slack-invalid-no-content.json", FAKE_SLACK, "SL-10"},
};

static bool validate(enum fake_target t, const char *json, size_t len, unsigned flags, char *why,
                     size_t cap)
{
    return t == FAKE_SLACK ? fake_validate_slack_ex(json, len, flags, why, cap)
                           : fake_validate_pagerduty_ex(json, len, flags, why, cap);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *read_vector(const char *file, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "paging/%s", file);
    char *path = rr_test_fixture(rel);
    char *body = rr_test_read_file(path, len);
    free(path);
    return body;
}

/* Posts body to the fake as the vendor's client would; the record must match the verdict. */
static void post(struct fake_paging *f, enum fake_target t, const char *body, size_t len,
                 struct httpc_resp *resp)
{
    char url[128];
    fake_paging_url(f, t == FAKE_SLACK ? "/slack/T0000/B0000/XXXXXXXX" : "/v2/enqueue", url,
                    sizeof url);
    httpc_post_json(url, body, len, resp);
}

/* Checks the fake's HTTP answer for a body whose verdict is rule (NULL: valid). */
static void expect_http(enum fake_target t, const struct httpc_resp *resp, const char *rule)
{
    if (!rule) {
        ck_assert_int_eq(resp->code, t == FAKE_SLACK ? 200 : 202);
        if (t == FAKE_SLACK) {
            ck_assert_str_eq(resp->body, "ok");
        } else {
            json_t *j = json_loads(resp->body, 0, NULL);
            ck_assert_ptr_nonnull(j);
            ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "success");
            ck_assert_str_eq(json_string_value(json_object_get(j, "message")), "Event processed");
            ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "dedup_key")));
            json_decref(j);
        }
        return;
    }
    ck_assert_int_eq(resp->code, 400);
    if (t == FAKE_SLACK) {
        /* "<vendor code>: <rule> <detail>" */
        const char *colon = strstr(resp->body, ": ");
        ck_assert_msg(colon && starts_with(colon + 2, rule), "body %s lacks %s", resp->body, rule);
    } else {
        json_t *j = json_loads(resp->body, 0, NULL);
        ck_assert_ptr_nonnull(j);
        ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "invalid event");
        ck_assert_str_eq(json_string_value(json_object_get(j, "message")),
                         "Event object is invalid");
        const char *e = json_string_value(json_array_get(json_object_get(j, "errors"), 0));
        ck_assert_msg(e && starts_with(e, rule), "errors[0] %s lacks %s", e ? e : "-", rule);
        json_decref(j);
    }
}

START_TEST(test_vector_direct)
{
    size_t len;
    char *body = read_vector(vectors[_i].file, &len);
    char why[512];
    bool ok = validate(vectors[_i].target, body, len, 0, why, sizeof why);
    if (vectors[_i].rule) {
        ck_assert_msg(!ok, "%s accepted", vectors[_i].file);
        ck_assert_msg(starts_with(why, vectors[_i].rule), "%s: %s, expected %s", vectors[_i].file,
                      why, vectors[_i].rule);
    } else {
        ck_assert_msg(ok, "%s rejected: %s", vectors[_i].file, why);
        ck_assert_str_eq(why, "");
    }
    free(body);
}
END_TEST

START_TEST(test_vector_http)
{
    size_t len;
    char *body = read_vector(vectors[_i].file, &len);
    struct fake_paging *f = fake_paging_start(0);
    struct httpc_resp resp;
    post(f, vectors[_i].target, body, len, &resp);
    expect_http(vectors[_i].target, &resp, vectors[_i].rule);
    ck_assert_uint_eq(fake_paging_count(f), 1);
    const struct fake_request *r = fake_paging_get(f, 0);
    ck_assert_int_eq(r->target, vectors[_i].target);
    ck_assert_str_eq(r->method, "POST");
    ck_assert_uint_eq(r->len, len);
    ck_assert_mem_eq(r->body, body, len);
    ck_assert_int_eq(r->valid, vectors[_i].rule == NULL);
    ck_assert_int_eq(r->status, resp.code);
    if (vectors[_i].rule)
        ck_assert_msg(starts_with(r->why, vectors[_i].rule), "%s", r->why);
    httpc_resp_release(&resp);
    fake_paging_stop(f);
    free(body);
}
END_TEST

/* Every file in the directory is in the table, so a new vector cannot go unchecked. */
START_TEST(test_every_vector_listed)
{
    char *dir = rr_test_fixture("paging");
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        bool listed = false;
        for (int i = 0; i < N(vectors) && !listed; i++)
            listed = strcmp(vectors[i].file, e->d_name) == 0;
        ck_assert_msg(listed, "%s/%s is not in the test table", dir, e->d_name);
        bool want_valid = strstr(e->d_name, "-valid-") != NULL;
        ck_assert_msg(want_valid != (strstr(e->d_name, "-invalid-") != NULL), "%s", e->d_name);
        files++;
    }
    closedir(d);
    ck_assert_int_eq(files, N(vectors));
    for (int i = 0; i < N(vectors); i++)
        ck_assert_int_eq(strstr(vectors[i].file, "-valid-") != NULL, vectors[i].rule == NULL);
    free(dir);
}
END_TEST

/* ---- mutations ---- */

static json_t *load_vector(const char *file)
{
    size_t len;
    char *body = read_vector(file, &len);
    json_t *j = json_loadb(body, len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    free(body);
    return j;
}

static json_t *nchars(const char *unit, size_t n)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)64 << 20);
    for (size_t i = 0; i < n; i++)
        ck_assert(rr_buf_puts(&b, unit) == RR_OK);
    json_t *s = json_stringn(b.data ? b.data : "", b.len);
    rr_buf_release(&b);
    return s;
}

static json_t *pd_payload(json_t *j)
{
    return json_object_get(j, "payload");
}

static json_t *sl_block(json_t *j, size_t i)
{
    return json_array_get(json_object_get(j, "blocks"), i);
}

/* The actions block of slack-valid-blocks-alert.json: blocks[4]. */
static json_t *sl_buttons(json_t *j)
{
    return json_object_get(sl_block(j, 4), "elements");
}

static json_t *button(const char *action_id, const char *text)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "type", "button", "action_id", action_id,
                     "text", "type", "plain_text", "text", text, "value", "v");
}

/* §E.5 mutations */
static void m_pd_escalate(json_t *j)
{
    json_object_set_new(j, "event_action", json_string("escalate"));
}
static void m_pd_dedup_256(json_t *j)
{
    json_object_set_new(j, "dedup_key", nchars("k", 256));
}
static void m_pd_no_source(json_t *j)
{
    json_object_del(pd_payload(j), "source");
}
static void m_pd_severity_upper(json_t *j)
{
    json_object_set_new(pd_payload(j), "severity", json_string("CRITICAL"));
}
static void m_pd_image_http(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(j, "images"), 0), "src",
                        json_string("http://grafana.example.com/render/x.png"));
}
static void m_pd_details_text(json_t *j)
{
    json_object_set_new(pd_payload(j), "custom_details", json_string("text"));
}
/* Pads custom_details so the compact encoding is exactly `size` bytes. */
static void pad_to(json_t *j, size_t size)
{
    json_t *cd = json_object_get(pd_payload(j), "custom_details");
    json_object_set_new(cd, "pad", json_string(""));
    char *s = json_dumps(j, JSON_COMPACT);
    size_t base = strlen(s);
    free(s);
    ck_assert_uint_lt(base, size);
    json_object_set_new(cd, "pad", nchars("x", size - base));
}
static void m_pd_512001(json_t *j)
{
    pad_to(j, 512001);
}
static void m_sl_51_blocks(json_t *j)
{
    json_t *blocks = json_object_get(j, "blocks");
    while (json_array_size(blocks) < 51)
        json_array_append_new(blocks, json_pack("{s:s}", "type", "divider"));
}
static void m_sl_header_mrkdwn(json_t *j)
{
    json_object_set_new(json_object_get(sl_block(j, 0), "text"), "type", json_string("mrkdwn"));
    json_object_del(json_object_get(sl_block(j, 0), "text"), "emoji");
}
static void m_sl_section_empty(json_t *j)
{
    json_object_set_new(json_object_get(sl_block(j, 1), "text"), "text", json_string(""));
}
static void m_sl_26_buttons(json_t *j)
{
    json_t *els = sl_buttons(j);
    json_array_clear(els);
    for (int i = 0; i < 26; i++) {
        char id[16];
        snprintf(id, sizeof id, "b%d", i);
        json_array_append_new(els, button(id, "Go"));
    }
}
static void m_sl_button_76(json_t *j)
{
    json_object_set_new(json_object_get(json_array_get(sl_buttons(j), 0), "text"), "text",
                        nchars("\xC3\xBC", 76));
}
static void m_sl_same_action_id(json_t *j)
{
    json_object_set_new(json_array_get(sl_buttons(j), 1), "action_id", json_string("ack"));
}
static void m_sl_style_default(json_t *j)
{
    json_object_set_new(json_array_get(sl_buttons(j), 0), "style", json_string("default"));
}
static void m_sl_101_attachments(json_t *j)
{
    json_t *a = json_array();
    for (int i = 0; i < 101; i++)
        json_array_append_new(a, json_pack("{s:s}", "text", "x"));
    json_object_set_new(j, "attachments", a);
}

/* The boundaries next to them: valid. */
static void m_pd_dedup_255(json_t *j)
{
    json_object_set_new(j, "dedup_key", nchars("\xE2\x9C\x93", 255));
}
static void m_pd_512000(json_t *j)
{
    pad_to(j, 512000);
}
static void m_pd_ack(json_t *j)
{
    json_object_set_new(j, "event_action", json_string("acknowledge"));
    json_object_del(j, "payload");
}
static void m_pd_timestamp_pd_form(json_t *j)
{
    json_object_set_new(pd_payload(j), "timestamp", json_string("2015-07-17T08:42:58.315+0000"));
}
static void m_sl_50_blocks(json_t *j)
{
    json_t *blocks = json_object_get(j, "blocks");
    while (json_array_size(blocks) < 50)
        json_array_append_new(blocks, json_pack("{s:s}", "type", "divider"));
}
static void m_sl_25_buttons(json_t *j)
{
    json_t *els = sl_buttons(j);
    json_array_clear(els);
    for (int i = 0; i < 25; i++) {
        char id[16];
        snprintf(id, sizeof id, "b%d", i);
        json_array_append_new(els, button(id, "Go"));
    }
}
static void m_sl_button_75(json_t *j)
{
    json_object_set_new(json_object_get(json_array_get(sl_buttons(j), 0), "text"), "text",
                        nchars("\xC3\xBC", 75));
}
static void m_sl_100_attachments(json_t *j)
{
    json_t *a = json_array();
    for (int i = 0; i < 100; i++)
        json_array_append_new(a, json_pack("{s:s}", "text", "x"));
    json_object_set_new(j, "attachments", a);
}
static void m_sl_select_ok(json_t *j)
{
    json_t *opts = json_array();
    for (int i = 0; i < 100; i++) {
        char v[32];
        snprintf(v, sizeof v, "42:team-%d", i);
        json_array_append_new(opts, json_pack("{s:{s:s, s:o}, s:s}", "text", "type", "plain_text",
                                              "text", nchars("t", 75), "value", v));
    }
    json_array_append_new(sl_buttons(j),
                          json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "type", "static_select",
                                    "action_id", "reroute", "placeholder", "type", "plain_text",
                                    "text", "Not ours\xE2\x80\xA6", "options", opts));
}

/* Other rules, one defect each. */
static void m_pd_not_object(json_t *j)
{
    json_object_clear(j);
}
static void m_pd_no_routing_key(json_t *j)
{
    json_object_del(j, "routing_key");
}
static void m_pd_no_payload(json_t *j)
{
    json_object_del(j, "payload");
}
static void m_pd_summary_empty(json_t *j)
{
    json_object_set_new(pd_payload(j), "summary", json_string(""));
}
static void m_pd_timestamp_bad(json_t *j)
{
    json_object_set_new(pd_payload(j), "timestamp", json_string("14/05/2024 09:21"));
}
static void m_pd_component_number(json_t *j)
{
    json_object_set_new(pd_payload(j), "component", json_integer(7));
}
static void m_pd_link_no_href(json_t *j)
{
    json_object_del(json_array_get(json_object_get(j, "links"), 0), "href");
}
static void m_pd_client_url_bad(json_t *j)
{
    json_object_set_new(j, "client_url", json_string("alertmanager"));
}
static void m_pd_dedup_empty(json_t *j)
{
    json_object_set_new(j, "dedup_key", json_string(""));
}
static void m_sl_text_40001(json_t *j)
{
    json_object_set_new(j, "text", nchars("a", 40001));
}
static void m_sl_block_id_256(json_t *j)
{
    json_object_set_new(sl_block(j, 0), "block_id", nchars("b", 256));
}
static void m_sl_section_bare(json_t *j)
{
    json_object_del(sl_block(j, 1), "text");
}
static void m_sl_fields_empty(json_t *j)
{
    json_array_clear(json_object_get(sl_block(j, 2), "fields"));
}
static void m_sl_field_2001(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(sl_block(j, 2), "fields"), 0), "text",
                        nchars("f", 2001));
}
static void m_sl_verbatim_plain(json_t *j)
{
    json_object_set_new(json_object_get(sl_block(j, 0), "text"), "verbatim", json_true());
}
static void m_sl_text_type(json_t *j)
{
    json_object_set_new(json_object_get(sl_block(j, 1), "text"), "type", json_string("markdown"));
}
static void m_sl_context_11(json_t *j)
{
    json_t *els = json_object_get(sl_block(j, 5), "elements");
    while (json_array_size(els) < 11)
        json_array_append_new(els, json_pack("{s:s, s:s}", "type", "mrkdwn", "text", "x"));
}
static void m_sl_actions_empty(json_t *j)
{
    json_array_clear(sl_buttons(j));
}
static void m_sl_value_2001(json_t *j)
{
    json_object_set_new(json_array_get(sl_buttons(j), 0), "value", nchars("v", 2001));
}
static void m_sl_url_3001(json_t *j)
{
    json_t *url = nchars("u", 3001 - 8);
    char *s = rr_xmalloc(3002);
    snprintf(s, 3002, "https://%s", json_string_value(url));
    json_object_set_new(json_array_get(sl_buttons(j), 2), "url", json_string(s));
    free(s);
    json_decref(url);
}
static void m_sl_blocks_not_array(json_t *j)
{
    json_object_set_new(j, "blocks", json_string("[]"));
}
static void m_sl_block_no_type(json_t *j)
{
    json_object_del(sl_block(j, 3), "type");
}
static void m_sl_unknown_block(json_t *j)
{
    json_object_set_new(sl_block(j, 3), "type", json_string("banner"));
}
static void m_sl_unknown_property(json_t *j)
{
    json_object_set_new(sl_block(j, 3), "text", json_string("x"));
}
static void m_sl_select_101(json_t *j)
{
    m_sl_select_ok(j);
    json_t *sel = json_array_get(sl_buttons(j), 3);
    json_array_append_new(
        json_object_get(sel, "options"),
        json_pack("{s:{s:s, s:s}, s:s}", "text", "type", "plain_text", "text", "x", "value", "x"));
}
static void m_sl_option_text_76(json_t *j)
{
    m_sl_select_ok(j);
    json_t *opt = json_array_get(json_object_get(json_array_get(sl_buttons(j), 3), "options"), 0);
    json_object_set_new(json_object_get(opt, "text"), "text", nchars("t", 76));
}
static void m_sl_option_value_151(json_t *j)
{
    m_sl_select_ok(j);
    json_t *opt = json_array_get(json_object_get(json_array_get(sl_buttons(j), 3), "options"), 0);
    json_object_set_new(opt, "value", nchars("v", 151));
}
static void m_sl_context_image_no_alt(json_t *j)
{
    json_array_append_new(
        json_object_get(sl_block(j, 5), "elements"),
        json_pack("{s:s, s:s}", "type", "image", "image_url", "https://example.com/x.png"));
}

static const struct {
    const char *name;
    const char *base;
    enum fake_target target;
    void (*mutate)(json_t *);
    const char *rule; /* NULL: still valid */
} mutations[] = {
    /* The list at the end of §E.5. */
    {"pd event_action escalate", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_escalate,
     "PD-11"},
    {"pd dedup_key 256 chars", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_dedup_256,
     "PD-12"},
    {"pd no payload.source", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_no_source, "PD-22"},
    {"pd severity CRITICAL", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_severity_upper,
     "PD-23"},
    {"pd image src http://", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_image_http,
     "PD-30"},
    {"pd custom_details text", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_details_text,
     "PD-26"},
    {"pd body 512001 bytes", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_512001, "PD-03"},
    {"slack 51 blocks", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_51_blocks, "SL-20"},
    {"slack header mrkdwn", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_header_mrkdwn,
     "SL-30"},
    {"slack section text empty", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_section_empty,
     "SL-32"},
    {"slack 26 buttons", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_26_buttons, "SL-50"},
    {"slack button text 76", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_button_76, "SL-51"},
    {"slack same action_id", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_same_action_id,
     "SL-52"},
    {"slack style default", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_style_default,
     "SL-55"},
    {"slack 101 attachments", "slack-valid-text-only.json", FAKE_SLACK, m_sl_101_attachments,
     "SL-12"},
    /* Their boundaries. */
    {"pd dedup_key 255 chars", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_dedup_255, NULL},
    {"pd body 512000 bytes", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_512000, NULL},
    {"pd acknowledge", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_ack, NULL},
    {"pd timestamp +0000", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_timestamp_pd_form,
     NULL},
    {"slack 50 blocks", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_50_blocks, NULL},
    {"slack 25 buttons", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_25_buttons, NULL},
    {"slack button text 75", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_button_75, NULL},
    {"slack 100 attachments", "slack-valid-text-only.json", FAKE_SLACK, m_sl_100_attachments, NULL},
    {"slack select 100 options", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_select_ok, NULL},
    /* Every other rule. */
    {"pd empty object", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_not_object, "PD-10"},
    {"pd no routing_key", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_no_routing_key,
     "PD-10"},
    {"pd dedup_key empty", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_dedup_empty, "PD-12"},
    {"pd trigger without payload", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_no_payload,
     "PD-20"},
    {"pd summary empty", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_summary_empty, "PD-21"},
    {"pd timestamp not ISO", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_timestamp_bad,
     "PD-24"},
    {"pd component number", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_component_number,
     "PD-25"},
    {"pd link without href", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_link_no_href,
     "PD-31"},
    {"pd client_url not URL", "pd-valid-trigger-full.json", FAKE_PAGERDUTY, m_pd_client_url_bad,
     "PD-32"},
    {"slack text 40001", "slack-valid-text-only.json", FAKE_SLACK, m_sl_text_40001, "SL-11"},
    {"slack blocks not array", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_blocks_not_array,
     "SL-20"},
    {"slack block without type", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_block_no_type,
     "SL-20"},
    {"slack block_id 256", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_block_id_256, "SL-21"},
    {"slack section bare", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_section_bare, "SL-31"},
    {"slack fields empty", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_fields_empty, "SL-33"},
    {"slack field 2001", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_field_2001, "SL-34"},
    {"slack verbatim on plain_text", "slack-valid-blocks-alert.json", FAKE_SLACK,
     m_sl_verbatim_plain, "SL-35"},
    {"slack text type markdown", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_text_type,
     "SL-35"},
    {"slack context 11 elements", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_context_11,
     "SL-40"},
    {"slack actions empty", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_actions_empty,
     "SL-50"},
    {"slack button value 2001", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_value_2001,
     "SL-53"},
    {"slack button url 3001", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_url_3001, "SL-54"},
    {"slack select 101 options", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_select_101,
     "SLX-1"},
    {"slack option text 76", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_option_text_76,
     "SLX-2"},
    {"slack option value 151", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_option_value_151,
     "SLX-2"},
    {"slack unknown block type", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_unknown_block,
     "SLX-3"},
    {"slack unknown property", "slack-valid-blocks-alert.json", FAKE_SLACK, m_sl_unknown_property,
     "SLX-3"},
    {"slack context image without alt", "slack-valid-blocks-alert.json", FAKE_SLACK,
     m_sl_context_image_no_alt, "SLX-4"},
};

START_TEST(test_mutation)
{
    json_t *j = load_vector(mutations[_i].base);
    mutations[_i].mutate(j);
    char *body = json_dumps(j, JSON_COMPACT);
    size_t len = strlen(body);
    enum fake_target t = mutations[_i].target;
    const char *rule = mutations[_i].rule;
    char why[512];
    bool ok = validate(t, body, len, 0, why, sizeof why);
    if (rule)
        ck_assert_msg(!ok && starts_with(why, rule), "%s: got \"%s\", expected %s",
                      mutations[_i].name, ok ? "valid" : why, rule);
    else
        ck_assert_msg(ok, "%s rejected: %s", mutations[_i].name, why);

    struct fake_paging *f = fake_paging_start(0);
    struct httpc_resp resp;
    post(f, t, body, len, &resp);
    expect_http(t, &resp, rule);
    httpc_resp_release(&resp);
    fake_paging_stop(f);
    free(body);
    json_decref(j);
}
END_TEST

/* Bodies that are not JSON at all. */
START_TEST(test_not_json)
{
    static const char *const bodies[] = {"",   "not json", "{\"text\":\"a\"",
                                         "[]", "\"text\"", "{\"text\":\"\xC3\x28\"}"};
    char why[512];
    for (int i = 0; i < N(bodies); i++) {
        ck_assert(!fake_validate_slack(bodies[i], strlen(bodies[i]), why, sizeof why));
        ck_assert_msg(starts_with(why, "SL-03"), "%s", why);
        ck_assert(!fake_validate_pagerduty(bodies[i], strlen(bodies[i]), why, sizeof why));
        ck_assert_msg(starts_with(why, "PD-03"), "%s", why);
    }
    /* NULL why is allowed. */
    ck_assert(!fake_validate_slack("x", 1, NULL, 0));
}
END_TEST

/* ---- strict mode (our SHOULD rules) ---- */

static const struct {
    const char *name;
    enum fake_target target;
    const char *body;
    const char *rule; /* in strict mode; every one of them is valid without it */
} shoulds[] = {
    {"webhook channel override", FAKE_SLACK, "{\"text\":\"hi\",\"channel\":\"#x\"}", "SL-05"},
    {"no fallback text", FAKE_SLACK,
     "{\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"}}]}",
     "SL-11"},
    {"unescaped < in mrkdwn", FAKE_SLACK,
     "{\"text\":\"x\",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":"
     "\"<script>\"}}]}",
     "SL-13"},
    {"unescaped & in text", FAKE_SLACK, "{\"text\":\"a & b\"}", "SL-13"},
    {"unescaped > in text", FAKE_SLACK, "{\"text\":\"a > b\"}", "SL-13"},
    {"duplicate block_id", FAKE_SLACK,
     "{\"text\":\"x\",\"blocks\":[{\"type\":\"divider\",\"block_id\":\"a\"},{\"type\":"
     "\"divider\",\"block_id\":\"a\"}]}",
     "SL-21"},
    {"image block", FAKE_SLACK,
     "{\"text\":\"x\",\"blocks\":[{\"type\":\"image\",\"image_url\":\"https://x/y.png\","
     "\"alt_text\":\"y\"}]}",
     "SL-22"},
    {"action_id repeated across blocks", FAKE_SLACK,
     "{\"text\":\"x\",\"blocks\":[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\","
     "\"action_id\":\"a\",\"text\":{\"type\":\"plain_text\",\"text\":\"A\"}}]},{\"type\":"
     "\"actions\",\"elements\":[{\"type\":\"button\",\"action_id\":\"a\",\"text\":{\"type\":"
     "\"plain_text\",\"text\":\"B\"}}]}]}",
     "SL-52"},
    {"v1 field", FAKE_PAGERDUTY,
     "{\"routing_key\":\"0123456789abcdef0123456789abcdef\",\"event_action\":\"resolve\","
     "\"dedup_key\":\"k\",\"incident_key\":\"k\"}",
     "PD-04"},
    {"routing key not alphanumeric", FAKE_PAGERDUTY,
     "{\"routing_key\":\"0123456789abcdef0123456789abcde-\",\"event_action\":\"resolve\","
     "\"dedup_key\":\"k\"}",
     "PD-10"},
    {"trigger without dedup_key", FAKE_PAGERDUTY,
     "{\"routing_key\":\"0123456789abcdef0123456789abcdef\",\"event_action\":\"trigger\","
     "\"payload\":{\"summary\":\"s\",\"source\":\"x\",\"severity\":\"info\"}}",
     "PD-14"},
    {"duplicate key", FAKE_PAGERDUTY,
     "{\"routing_key\":\"0123456789abcdef0123456789abcdef\",\"event_action\":\"resolve\","
     "\"dedup_key\":\"k\",\"dedup_key\":\"k\"}",
     "PD-03"},
};

START_TEST(test_should_rules)
{
    const char *b = shoulds[_i].body;
    char why[512];
    ck_assert_msg(validate(shoulds[_i].target, b, strlen(b), 0, why, sizeof why), "%s: %s",
                  shoulds[_i].name, why);
    ck_assert(!validate(shoulds[_i].target, b, strlen(b), FAKE_STRICT_SHOULD, why, sizeof why));
    ck_assert_msg(starts_with(why, shoulds[_i].rule), "%s: %s", shoulds[_i].name, why);
}
END_TEST

/* SL-60: five full sections are 15 000 characters: Slack's documented limits allow it, our
 * policy does not. The escaped forms pass SL-13. */
START_TEST(test_should_total_text)
{
    json_t *blocks = json_array();
    for (int i = 0; i < 5; i++)
        json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:o}}", "type", "section", "text",
                                                "type", "mrkdwn", "text", nchars("&lt;", 750)));
    json_t *j = json_pack("{s:s, s:o}", "text", "x &amp; <https://x.example/a?b=1&amp;c=2|y>",
                          "blocks", blocks);
    char *body = json_dumps(j, 0);
    char why[512];
    ck_assert_msg(fake_validate_slack(body, strlen(body), why, sizeof why), "%s", why);
    ck_assert(!fake_validate_slack_ex(body, strlen(body), FAKE_STRICT_SHOULD, why, sizeof why));
    ck_assert_msg(starts_with(why, "SL-60 blocks: 15000 characters"), "%s", why);
    free(body);
    json_decref(j);
}
END_TEST

/* The vectors were written to our own policy too, except where §E.5 says otherwise. */
START_TEST(test_vectors_strict)
{
    char why[512];
    size_t len;
    char *body = read_vector("slack-invalid-no-content.json", &len);
    ck_assert(!fake_validate_slack_ex(body, len, FAKE_STRICT_SHOULD, why, sizeof why));
    ck_assert_msg(starts_with(why, "SL-05"), "%s", why); /* "also trips SL-05" */
    free(body);
    body = read_vector("pd-valid-trigger-full.json", &len);
    ck_assert_msg(fake_validate_pagerduty_ex(body, len, FAKE_STRICT_SHOULD, why, sizeof why), "%s",
                  why);
    free(body);
}
END_TEST

/* ---- the server ---- */

START_TEST(test_http_routing_and_types)
{
    struct fake_paging *f = fake_paging_start(0);
    char url[128];
    struct httpc_resp resp;
    static const char ok[] = "{\"text\":\"hi\"}";

    struct httpc_req req = {.method = "POST",
                            .url = fake_paging_url(f, "/slack/T/B/x", url, sizeof url),
                            .content_type = "text/plain",
                            .body = ok,
                            .len = sizeof ok - 1};
    httpc_do(&req, &resp);
    ck_assert_int_eq(resp.code, 400);
    ck_assert_msg(starts_with(resp.body, "invalid_payload: SL-02"), "%s", resp.body);
    httpc_resp_release(&resp);

    req.content_type = "application/json; charset=utf-8";
    httpc_do(&req, &resp);
    ck_assert_int_eq(resp.code, 200);
    ck_assert_str_eq(resp.body, "ok");
    httpc_resp_release(&resp);

    req.content_type = NULL;
    req.url = fake_paging_url(f, "/pagerduty", url, sizeof url);
    httpc_do(&req, &resp);
    ck_assert_int_eq(resp.code, 400);
    ck_assert_msg(strstr(resp.body, "PD-02"), "%s", resp.body);
    httpc_resp_release(&resp);

    httpc_get(fake_paging_url(f, "/slack/T/B/x", url, sizeof url), &resp);
    ck_assert_int_eq(resp.code, 405);
    httpc_resp_release(&resp);

    httpc_post_json(fake_paging_url(f, "/elsewhere", url, sizeof url), ok, sizeof ok - 1, &resp);
    ck_assert_int_eq(resp.code, 404);
    httpc_resp_release(&resp);

    httpc_post_json(fake_paging_url(f, "/slack/T/B/x", url, sizeof url), "{", 1, &resp);
    ck_assert_int_eq(resp.code, 400);
    ck_assert_msg(starts_with(resp.body, "invalid_payload: SL-03"), "%s", resp.body);
    httpc_resp_release(&resp);

    ck_assert_uint_eq(fake_paging_count(f), 6);
    const struct fake_request *r = fake_paging_get(f, 0);
    ck_assert_str_eq(r->content_type, "text/plain");
    ck_assert(!r->valid);
    ck_assert(fake_paging_get(f, 1)->valid);
    ck_assert_str_eq(fake_paging_get(f, 3)->method, "GET");
    ck_assert_int_eq(fake_paging_get(f, 4)->target, FAKE_OTHER);
    ck_assert_ptr_null(fake_paging_get(f, 6));
    for (size_t i = 1; i < 6; i++)
        ck_assert_int_ge(fake_paging_get(f, i)->arrived_ns, fake_paging_get(f, i - 1)->arrived_ns);
    fake_paging_stop(f);
}
END_TEST

START_TEST(test_http_script)
{
    struct fake_paging *f = fake_paging_start(0);
    fake_paging_script(f, &(struct fake_response){.status = 500});
    fake_paging_script(f, &(struct fake_response){.status = 429, .retry_after = "2"});
    fake_paging_script(f, &(struct fake_response){.status = 404, .body = "channel_not_found"});
    fake_paging_script(f, &(struct fake_response){.hang_ms = 300});
    char url[128];
    fake_paging_url(f, "/slack/T/B/x", url, sizeof url);
    static const char ok[] = "{\"text\":\"hi\"}";
    struct httpc_resp resp;

    httpc_post_json(url, ok, sizeof ok - 1, &resp);
    ck_assert_int_eq(resp.code, 500);
    ck_assert_str_eq(resp.body, "rollup_error");
    httpc_resp_release(&resp);

    httpc_post_json(url, ok, sizeof ok - 1, &resp);
    ck_assert_int_eq(resp.code, 429);
    char ra[16];
    ck_assert_ptr_nonnull(httpc_header(&resp, "Retry-After", ra, sizeof ra));
    ck_assert_str_eq(ra, "2");
    httpc_resp_release(&resp);

    httpc_post_json(url, ok, sizeof ok - 1, &resp);
    ck_assert_int_eq(resp.code, 404);
    ck_assert_str_eq(resp.body, "channel_not_found");
    httpc_resp_release(&resp);

    int64_t t0 = rr_clock_mono_ns();
    httpc_post_json(url, ok, sizeof ok - 1, &resp);
    int64_t waited_ms = (rr_clock_mono_ns() - t0) / 1000000;
    ck_assert_int_eq(resp.code, 200); /* after the hang, the normal answer */
    ck_assert_int_ge(waited_ms, 300);
    httpc_resp_release(&resp);

    httpc_post_json(url, ok, sizeof ok - 1, &resp); /* script used up */
    ck_assert_int_eq(resp.code, 200);
    httpc_resp_release(&resp);

    ck_assert_uint_eq(fake_paging_count(f), 5);
    ck_assert_int_eq(fake_paging_get(f, 0)->status, 500);
    ck_assert(fake_paging_get(f, 0)->valid); /* the verdict is recorded whatever the answer */
    ck_assert_int_eq(fake_paging_get(f, 3)->status, 200);
    fake_paging_stop(f);
}
END_TEST

START_TEST(test_http_fail_until)
{
    struct fake_paging *f = fake_paging_start(0);
    fake_paging_fail_until(f, 2, 503, "1");
    char url[128];
    fake_paging_url(f, "/pagerduty", url, sizeof url);
    size_t len;
    char *body = read_vector("pd-valid-resolve.json", &len);
    struct httpc_resp resp;
    for (int i = 0; i < 3; i++) {
        httpc_post_json(url, body, len, &resp);
        ck_assert_int_eq(resp.code, i < 2 ? 503 : 202);
        if (i == 2)
            ck_assert_msg(strstr(resp.body, "\"dedup_key\":\"6e7b989d"), "%s", resp.body);
        httpc_resp_release(&resp);
    }
    fake_paging_reset(f);
    ck_assert_uint_eq(fake_paging_count(f), 0);
    httpc_post_json(url, body, len, &resp);
    ck_assert_int_eq(resp.code, 202);
    httpc_resp_release(&resp);
    free(body);
    fake_paging_stop(f);
}
END_TEST

/* PD-40 needs the session: a resolve with another routing key than its trigger's. */
START_TEST(test_http_pd_session)
{
    struct fake_paging *f = fake_paging_start(FAKE_STRICT_SHOULD);
    char url[128];
    fake_paging_url(f, "/pagerduty", url, sizeof url);
    size_t len;
    char *trigger = read_vector("pd-valid-trigger-full.json", &len);
    struct httpc_resp resp;
    httpc_post_json(url, trigger, len, &resp);
    ck_assert_int_eq(resp.code, 202);
    httpc_resp_release(&resp);
    static const char other[] =
        "{\"routing_key\":\"ffffffffffffffffffffffffffffffff\",\"event_action\":\"resolve\","
        "\"dedup_key\":\"6e7b989d8535613e212c372b65f42f506b940488b0a2bba7805c4cf68e596a10\"}";
    httpc_post_json(url, other, sizeof other - 1, &resp);
    ck_assert_int_eq(resp.code, 400);
    ck_assert_msg(strstr(resp.body, "PD-40"), "%s", resp.body);
    httpc_resp_release(&resp);
    free(trigger);
    fake_paging_stop(f);
}
END_TEST

START_TEST(test_wait_is_bounded)
{
    struct fake_paging *f = fake_paging_start(0);
    int64_t t0 = rr_clock_mono_ns();
    ck_assert(!fake_paging_wait(f, 1, 150));
    int64_t ms = (rr_clock_mono_ns() - t0) / 1000000;
    ck_assert_int_ge(ms, 140);
    ck_assert_int_lt(ms, 5000);
    ck_assert(fake_paging_wait(f, 0, 0));
    fake_paging_stop(f);
}
END_TEST

struct poster {
    const char *url;
    struct httpc_resp resp;
};

static void *post_thread(void *arg)
{
    struct poster *p = arg;
    struct httpc_req req = {.method = "POST",
                            .url = p->url,
                            .content_type = "application/json",
                            .body = "{\"text\":\"x\"}",
                            .len = 12,
                            .timeout_ms = 20000};
    httpc_do(&req, &p->resp);
    return NULL;
}

/* A hang ends when the fake stops: stop never waits for the scripted time. */
START_TEST(test_stop_interrupts_hang)
{
    struct fake_paging *f = fake_paging_start(0);
    fake_paging_script(f, &(struct fake_response){.status = 200, .hang_ms = 20000});
    char url[128];
    struct poster p = {.url = fake_paging_url(f, "/slack/T/B/x", url, sizeof url)};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, post_thread, &p), 0);
    ck_assert(fake_paging_wait(f, 1, 5000));
    int64_t t0 = rr_clock_mono_ns();
    fake_paging_stop(f);
    int64_t ms = (rr_clock_mono_ns() - t0) / 1000000;
    pthread_join(t, NULL);
    ck_assert_int_lt(ms, 5000);
    httpc_resp_release(&p.resp);
}
END_TEST

static Suite *fakes_suite(void)
{
    Suite *s = suite_create("fakes");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, test_every_vector_listed);
    tcase_add_loop_test(tc, test_vector_direct, 0, N(vectors));
    tcase_add_loop_test(tc, test_vector_http, 0, N(vectors));
    suite_add_tcase(s, tc);
    tc = tcase_create("mutations");
    tcase_add_loop_test(tc, test_mutation, 0, N(mutations));
    tcase_add_test(tc, test_not_json);
    suite_add_tcase(s, tc);
    tc = tcase_create("strict");
    tcase_add_loop_test(tc, test_should_rules, 0, N(shoulds));
    tcase_add_test(tc, test_should_total_text);
    tcase_add_test(tc, test_vectors_strict);
    suite_add_tcase(s, tc);
    tc = tcase_create("server");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_http_routing_and_types);
    tcase_add_test(tc, test_http_script);
    tcase_add_test(tc, test_http_fail_until);
    tcase_add_test(tc, test_http_pd_session);
    tcase_add_test(tc, test_wait_is_bounded);
    tcase_add_test(tc, test_stop_interrupts_hang);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Loopback only: a proxy from the environment must not see the fakes' traffic. */
    static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                          "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (int i = 0; i < N(proxies); i++)
        unsetenv(proxies[i]);
    SRunner *sr = srunner_create(fakes_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * alert: the webhook parser. The body is first scanned for nesting depth (jansson's own limit
 * is 2048), then decoded by jansson (which also checks UTF-8; when it fails, a second scan
 * finds the offending byte for the detail), then converted field by field into structs that
 * live in one arena per webhook: a request costs a few mallocs beyond jansson's, not one per
 * string. The jansson tree is dropped before rr_webhook_parse returns.
 */
#include "rr/alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Go's zero time.Time, what Alertmanager sends as endsAt of a firing alert. */
static const struct rr_time zero_time = {.sec = -62135596800LL, .nsec = 0};

/* ---- arena ---- */

/* One block of the arena. Structs are carved from the bottom (aligned), strings from the top
 * (unaligned), so strings never pay for alignment padding. */
struct chunk {
    struct chunk *next;
    max_align_t data[];
};

struct arena {
    struct chunk *chunks; /* newest first; what rr_webhook.arena points to */
    char *lo, *hi;        /* free space in the newest chunk */
    size_t chunk_size;    /* size of the next chunk */
};

#define ALIGN _Alignof(max_align_t)

static void arena_grow(struct arena *a, size_t need)
{
    size_t size = need > a->chunk_size ? need : a->chunk_size;
    struct chunk *c = rr_xmalloc(sizeof *c + size);
    c->next = a->chunks;
    a->chunks = c;
    a->lo = (char *)c->data;
    a->hi = a->lo + size;
}

static void arena_free(struct chunk *c)
{
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
}

/* Zeroed, aligned storage for n objects of size bytes (n * size cannot overflow: n is capped
 * or bounded by the body length). */
static void *arena_array(struct arena *a, size_t n, size_t size)
{
    size_t bytes = (n * size + ALIGN - 1) & ~(ALIGN - 1);
    if ((size_t)(a->hi - a->lo) < bytes)
        arena_grow(a, bytes);
    void *p = a->lo;
    a->lo += bytes;
    return memset(p, 0, bytes);
}

static const char *arena_str(struct arena *a, const char *s, size_t len)
{
    if (len == 0)
        return "";
    if ((size_t)(a->hi - a->lo) < len + 1)
        arena_grow(a, len + 1);
    a->hi -= len + 1;
    memcpy(a->hi, s, len);
    a->hi[len] = '\0';
    return a->hi;
}

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0. RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF -- the same set jansson accepts. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF; /* range of the second byte */
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* The longest prefix of valid UTF-8 s (longer than cap) that fits in cap bytes: the cut moves
 * back over continuation bytes so no sequence is split. */
static size_t utf8_cut(const char *s, size_t cap)
{
    while (cap > 0 && ((unsigned char)s[cap] & 0xC0) == 0x80)
        cap--;
    return cap;
}

/* ---- error details ---- */

/* Where a value sits in the payload, for "alerts[3].labels.team: not a string". */
struct where {
    long alert;        /* index in alerts[], or -1 outside the alerts */
    const char *field; /* member name (also the key looked up), or NULL for alerts[i] itself */
};

#define AT(i, f)  ((struct where){(i), (f)})
#define QUOTE_MAX 40 /* bytes of a sender's string shown in a detail */

/* Appends to a fixed buffer, clamping at its end (details are for people; truncation is fine). */
static size_t catf(char *buf, size_t cap, size_t n, const char *fmt, ...) RR_PRINTF(4, 5);
static size_t catf(char *buf, size_t cap, size_t n, const char *fmt, ...)
{
    if (n >= cap - 1)
        return n;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
    n += k < 0 ? 0 : (size_t)k;
    return n < cap - 1 ? n : cap - 1;
}

struct quoted {
    char s[QUOTE_MAX * 6 + 8];
};

/* A sender's string as "..." with quotes, backslashes and control bytes escaped, cut after
 * QUOTE_MAX bytes at a character boundary (then followed by ...). Returns q->s. */
static const char *quote(struct quoted *q, const char *s, size_t len)
{
    size_t show = len > QUOTE_MAX ? utf8_cut(s, QUOTE_MAX) : len;
    size_t n = catf(q->s, sizeof q->s, 0, "\"");
    for (size_t i = 0; i < show; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            n = catf(q->s, sizeof q->s, n, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            n = catf(q->s, sizeof q->s, n, "\\u%04x", c);
        else
            n = catf(q->s, sizeof q->s, n, "%c", c);
    }
    catf(q->s, sizeof q->s, n, "\"%s", show < len ? "..." : "");
    return q->s;
}

/* A key that reads fine unquoted in a path: Prometheus's classic label-name syntax. */
static bool is_identifier(const char *s, size_t len)
{
    return len > 0 && len <= QUOTE_MAX && !(s[0] >= '0' && s[0] <= '9') &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == len;
}

/* Sets diag to "<path>: <problem>", the path being w plus .key (or ["key"] when the key is not
 * a plain identifier). Returns err. Formats nothing when diag is NULL. */
static enum rr_err fail(struct rr_diag *diag, enum rr_err err, struct where w, const char *key,
                        const char *fmt, ...) RR_PRINTF(5, 6);
static enum rr_err fail(struct rr_diag *diag, enum rr_err err, struct where w, const char *key,
                        const char *fmt, ...)
{
    if (!diag)
        return err;
    char path[384], msg[384];
    size_t n = 0;
    path[0] = '\0';
    if (w.alert >= 0)
        n = catf(path, sizeof path, n, "alerts[%ld]", w.alert);
    if (w.field)
        n = catf(path, sizeof path, n, "%s%s", n ? "." : "", w.field);
    struct quoted q;
    if (key && is_identifier(key, strlen(key)))
        catf(path, sizeof path, n, ".%s", key);
    else if (key)
        catf(path, sizeof path, n, "[%s]", quote(&q, key, strlen(key)));
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rr_diag_set(diag, err, "%s: %s", path, msg);
}

/* ---- the body scan ---- */

/* Offset of the first invalid UTF-8 byte, or len. Only run once jansson has failed: it checks
 * every byte too (the same set of sequences), but does not say where. */
static size_t find_bad_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80)
            continue;
        size_t n = utf8_seq(s + i, len - i);
        if (!n)
            return i;
        i += n - 1;
    }
    return len;
}

/* Caps nesting before jansson builds a tree of it. Brackets inside strings do not count, and
 * strings (most of a payload) are skipped with memchr: a quote ends the string unless an odd
 * number of backslashes precedes it. */
static enum rr_err check_depth(const char *s, size_t len, struct rr_diag *diag)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            for (;;) {
                const char *q = memchr(s + i + 1, '"', len - i - 1);
                if (!q)
                    return RR_OK; /* unterminated: jansson says so */
                i = (size_t)(q - s);
                size_t k = i;
                while (s[k - 1] == '\\')
                    k--;
                if ((i - k) % 2 == 0)
                    break;
            }
        } else if (c == '[' || c == '{') {
            if (++depth > RR_ALERT_MAX_DEPTH)
                return fail(diag, RR_ERR_LIMIT, AT(-1, "body"), NULL, "JSON nesting deeper than %d",
                            RR_ALERT_MAX_DEPTH);
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return RR_OK;
}

/* ---- fields ---- */

struct parser {
    struct arena arena;
    struct rr_webhook *wh;
    struct rr_diag *diag;
};

/* Member w.field of obj, NULL when absent or null: Go decodes null as "not set", so do we. */
static json_t *member(const json_t *obj, struct where w)
{
    json_t *v = json_object_get(obj, w.field);
    return json_is_null(v) ? NULL : v;
}

/* *out = the string member w.field of obj, or NULL when it is absent and not required. */
static enum rr_err member_string(const json_t *obj, struct where w, bool required,
                                 struct rr_diag *diag, json_t **out)
{
    json_t *v = member(obj, w);
    if (!v && required)
        return fail(diag, RR_ERR_INVAL, w, NULL, "missing");
    if (v && !json_is_string(v))
        return fail(diag, RR_ERR_INVAL, w, NULL, "not a string");
    *out = v;
    return RR_OK;
}

/* Copies s into the arena, truncated (and counted) when over cap. */
static const char *copy_capped(struct parser *ps, const char *s, size_t len, size_t cap)
{
    if (len > cap) {
        len = utf8_cut(s, cap);
        ps->wh->truncated++;
    }
    return arena_str(&ps->arena, s, len);
}

/* An optional string: "" when absent, truncated at cap. */
static enum rr_err opt_string(struct parser *ps, const json_t *obj, struct where w, size_t cap,
                              const char **out)
{
    json_t *v = NULL;
    enum rr_err err = member_string(obj, w, false, ps->diag, &v);
    if (err)
        return err;
    *out = v ? copy_capped(ps, json_string_value(v), json_string_length(v), cap) : "";
    return RR_OK;
}

static enum rr_err parse_status(const json_t *obj, struct where w, struct rr_diag *diag,
                                enum rr_alert_status *out)
{
    json_t *v = NULL;
    enum rr_err err = member_string(obj, w, true, diag, &v);
    if (err)
        return err;
    const char *s = json_string_value(v);
    struct quoted q;
    if (strcmp(s, "firing") == 0)
        *out = RR_ALERT_FIRING;
    else if (strcmp(s, "resolved") == 0)
        *out = RR_ALERT_RESOLVED;
    else
        return fail(diag, RR_ERR_INVAL, w, NULL,
                    "unknown status %s, want \"firing\" or \"resolved\"",
                    quote(&q, s, json_string_length(v)));
    return RR_OK;
}

/* A timestamp; when not required, absent and "" are Go's zero time (no endsAt). */
static enum rr_err parse_time(const json_t *obj, struct where w, bool required,
                              struct rr_diag *diag, struct rr_time *out)
{
    json_t *v = NULL;
    enum rr_err err = member_string(obj, w, required, diag, &v);
    if (err)
        return err;
    if (!v || (!required && json_string_length(v) == 0)) {
        *out = zero_time;
        return RR_OK;
    }
    struct rr_diag why;
    if (rr_time_parse(json_string_value(v), json_string_length(v), out, &why) != RR_OK)
        return fail(diag, RR_ERR_INVAL, w, NULL, "%s", why.msg);
    return RR_OK;
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rr_label *)a)->name, ((const struct rr_label *)b)->name);
}

/* Sorts by name. Alertmanager sends label maps sorted (Go encodes maps in key order), so the
 * insertion sort usually makes one pass; big annotation sets go to qsort. */
static void sort_labels(struct rr_label *items, size_t n)
{
    if (n > RR_ALERT_MAX_LABELS) {
        qsort(items, n, sizeof *items, label_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct rr_label x = items[i];
        size_t j = i;
        for (; j > 0 && strcmp(items[j - 1].name, x.name) > 0; j--)
            items[j] = items[j - 1];
        items[j] = x;
    }
}

/* A label set (identity): over a cap rejects, since an altered set would be another alert.
 * Names are unique (duplicate keys are rejected by the decoder) and contain no NUL. Absent
 * (obj NULL) is an empty set. */
static enum rr_err parse_labels(struct parser *ps, json_t *obj, struct where w,
                                struct rr_labelset *out)
{
    out->items = NULL;
    out->n = 0;
    if (!obj)
        return RR_OK;
    if (!json_is_object(obj))
        return fail(ps->diag, RR_ERR_INVAL, w, NULL, "not an object");
    size_t n = json_object_size(obj);
    if (n > RR_ALERT_MAX_LABELS)
        return fail(ps->diag, RR_ERR_LIMIT, w, NULL, "more than %d labels", RR_ALERT_MAX_LABELS);
    struct rr_label *items = arena_array(&ps->arena, n, sizeof *items);
    size_t k = 0;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it), k++) {
        const char *name = json_object_iter_key(it);
        size_t name_len = json_object_iter_key_len(it);
        json_t *value = json_object_iter_value(it);
        if (name_len == 0)
            return fail(ps->diag, RR_ERR_INVAL, w, NULL, "empty label name");
        if (name_len > RR_ALERT_MAX_LABEL_NAME)
            return fail(ps->diag, RR_ERR_LIMIT, w, NULL, "label name longer than %d bytes",
                        RR_ALERT_MAX_LABEL_NAME);
        if (!json_is_string(value))
            return fail(ps->diag, RR_ERR_INVAL, w, name, "not a string");
        if (json_string_length(value) > RR_ALERT_MAX_LABEL_VALUE)
            return fail(ps->diag, RR_ERR_LIMIT, w, name, "value longer than %d bytes",
                        RR_ALERT_MAX_LABEL_VALUE);
        items[k].name = arena_str(&ps->arena, name, name_len);
        items[k].value = arena_str(&ps->arena, json_string_value(value), json_string_length(value));
    }
    sort_labels(items, k);
    out->items = items;
    out->n = k;
    return RR_OK;
}

/* An annotation set (information): never rejected for size. Values over their cap are
 * truncated; names over the label-name cap and annotations past the first
 * RR_ALERT_MAX_ANNOTATIONS (in name order, so the same ones every time) are dropped. Each is
 * counted in wh->truncated. Absent is an empty set. */
static enum rr_err parse_annotations(struct parser *ps, json_t *obj, struct where w,
                                     struct rr_labelset *out)
{
    out->items = NULL;
    out->n = 0;
    if (!obj)
        return RR_OK;
    if (!json_is_object(obj))
        return fail(ps->diag, RR_ERR_INVAL, w, NULL, "not an object");
    size_t n = json_object_size(obj), k = 0;
    /* Borrowed jansson pointers first, copied once the kept ones are known. */
    bool big = n > RR_ALERT_MAX_ANNOTATIONS;
    struct rr_label *items =
        big ? rr_xmalloc(n * sizeof *items) : arena_array(&ps->arena, n, sizeof *items);
    enum rr_err err = RR_OK;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *name = json_object_iter_key(it);
        json_t *value = json_object_iter_value(it);
        if (!json_is_string(value)) {
            err = fail(ps->diag, RR_ERR_INVAL, w, name, "not a string");
            goto out;
        }
        if (json_object_iter_key_len(it) > RR_ALERT_MAX_LABEL_NAME) {
            ps->wh->truncated++;
            continue;
        }
        items[k].name = name;
        items[k++].value = json_string_value(value);
    }
    sort_labels(items, k);
    if (k > RR_ALERT_MAX_ANNOTATIONS) {
        ps->wh->truncated += k - RR_ALERT_MAX_ANNOTATIONS;
        k = RR_ALERT_MAX_ANNOTATIONS;
    }
    out->items = big ? arena_array(&ps->arena, k, sizeof *items) : items;
    out->n = k;
    for (size_t i = 0; i < k; i++) {
        out->items[i].name = arena_str(&ps->arena, items[i].name, strlen(items[i].name));
        out->items[i].value =
            copy_capped(ps, items[i].value, strlen(items[i].value), RR_ALERT_MAX_ANNOTATION);
    }
out:
    if (big)
        free(items);
    return err;
}

static bool is_fingerprint(const char *s, size_t len)
{
    return len == 16 && strspn(s, "0123456789abcdef") == 16;
}

static enum rr_err parse_alert(struct parser *ps, json_t *obj, long i, struct rr_alert *out)
{
    struct rr_diag *diag = ps->diag;
    if (!json_is_object(obj))
        return fail(diag, RR_ERR_INVAL, AT(i, NULL), NULL, "not an object");
    enum rr_err err = parse_status(obj, AT(i, "status"), diag, &out->status);
    if (err)
        return err;
    json_t *labels = member(obj, AT(i, "labels"));
    if (!labels)
        return fail(diag, RR_ERR_INVAL, AT(i, "labels"), NULL, "missing");
    if ((err = parse_labels(ps, labels, AT(i, "labels"), &out->labels)))
        return err;
    const char *alertname = rr_labelset_get(&out->labels, "alertname");
    if (!alertname || !*alertname)
        return fail(diag, RR_ERR_INVAL, AT(i, "labels"), "alertname", "missing or empty");
    if ((err = parse_time(obj, AT(i, "startsAt"), true, diag, &out->starts_at)) ||
        (err = parse_time(obj, AT(i, "endsAt"), false, diag, &out->ends_at)))
        return err;
    json_t *fp = NULL;
    if ((err = member_string(obj, AT(i, "fingerprint"), true, diag, &fp)))
        return err;
    if (!is_fingerprint(json_string_value(fp), json_string_length(fp)))
        return fail(diag, RR_ERR_INVAL, AT(i, "fingerprint"), NULL, "not 16 lowercase hex digits");
    memcpy(out->fingerprint, json_string_value(fp), 17);
    if ((err = parse_annotations(ps, member(obj, AT(i, "annotations")), AT(i, "annotations"),
                                 &out->annotations)))
        return err;
    return opt_string(ps, obj, AT(i, "generatorURL"), RR_ALERT_MAX_STRING, &out->generator_url);
}

static enum rr_err parse_root(struct parser *ps, json_t *root)
{
    struct rr_webhook *wh = ps->wh;
    struct rr_diag *diag = ps->diag;
    enum rr_err err;
    if (!json_is_object(root))
        return fail(diag, RR_ERR_INVAL, AT(-1, "body"), NULL, "not a JSON object");

    json_t *version = NULL;
    struct quoted q;
    if ((err = member_string(root, AT(-1, "version"), true, diag, &version)))
        return err;
    if (strcmp(json_string_value(version), "4") != 0 || json_string_length(version) != 1)
        return fail(diag, RR_ERR_INVAL, AT(-1, "version"), NULL,
                    "unsupported version %s, want \"4\"",
                    quote(&q, json_string_value(version), json_string_length(version)));
    if ((err = parse_status(root, AT(-1, "status"), diag, &wh->status)))
        return err;

    json_t *alerts = member(root, AT(-1, "alerts"));
    if (!alerts)
        return fail(diag, RR_ERR_INVAL, AT(-1, "alerts"), NULL, "missing");
    if (!json_is_array(alerts))
        return fail(diag, RR_ERR_INVAL, AT(-1, "alerts"), NULL, "not an array");
    size_t n = json_array_size(alerts);
    if (n > RR_ALERT_MAX_ALERTS)
        return fail(diag, RR_ERR_LIMIT, AT(-1, "alerts"), NULL, "more than %d alerts",
                    RR_ALERT_MAX_ALERTS);
    wh->alerts = arena_array(&ps->arena, n, sizeof *wh->alerts);
    wh->n_alerts = n;
    for (size_t i = 0; i < n; i++)
        if ((err = parse_alert(ps, json_array_get(alerts, i), (long)i, &wh->alerts[i])))
            return err;

    const struct {
        const char *field;
        const char **out;
    } strings[] = {{"receiver", &wh->receiver},
                   {"externalURL", &wh->external_url},
                   {"groupKey", &wh->group_key},
                   {"notification_reason", &wh->notification_reason}};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if ((err = opt_string(ps, root, AT(-1, strings[i].field), RR_ALERT_MAX_STRING,
                              strings[i].out)))
            return err;
    const struct {
        const char *field;
        struct rr_labelset *out;
    } sets[] = {{"groupLabels", &wh->group_labels},
                {"commonLabels", &wh->common_labels},
                {"routeLabels", &wh->route_labels}};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if ((err = parse_labels(ps, member(root, AT(-1, sets[i].field)), AT(-1, sets[i].field),
                                sets[i].out)))
            return err;
    if ((err = parse_annotations(ps, member(root, AT(-1, "commonAnnotations")),
                                 AT(-1, "commonAnnotations"), &wh->common_annotations)))
        return err;

    json_t *truncated = member(root, AT(-1, "truncatedAlerts"));
    if (truncated && (!json_is_integer(truncated) || json_integer_value(truncated) < 0))
        return fail(diag, RR_ERR_INVAL, AT(-1, "truncatedAlerts"), NULL,
                    "not a non-negative integer");
    wh->truncated_alerts = truncated ? json_integer_value(truncated) : 0;
    return RR_OK;
}

/* ---- the contract ---- */

enum rr_err rr_webhook_parse(const char *body, size_t len, struct rr_webhook **out,
                             struct rr_diag *diag)
{
    struct parser ps = {.diag = diag};
    json_t *root = NULL;
    json_error_t jerr;
    enum rr_err err = len ? check_depth(body, len, diag)
                          : fail(diag, RR_ERR_INVAL, AT(-1, "body"), NULL, "empty");
    if (err)
        goto out;
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        /* Bad UTF-8 is the more basic fault, and jansson does not say where it is. It names its
         * own flag for \\u0000; say what is wrong instead. */
        size_t bad = find_bad_utf8((const unsigned char *)body, len);
        const char *text = json_error_code(&jerr) == json_error_null_character
                               ? "\\u0000 is not allowed in strings"
                               : jerr.text;
        err = bad < len
                  ? fail(diag, RR_ERR_INVAL, AT(-1, "body"), NULL, "invalid UTF-8 at byte %zu", bad)
                  : fail(diag, RR_ERR_INVAL, AT(-1, "body"), NULL, "line %d column %d: %s",
                         jerr.line, jerr.column, text);
        goto out;
    }
    /* Decoded strings are never longer than their JSON form, so one chunk of about the body's
     * size holds a typical payload; structs take the rest. */
    ps.arena.chunk_size = len + len / 2 + 1024;
    ps.wh = arena_array(&ps.arena, 1, sizeof *ps.wh);
    err = parse_root(&ps, root);
    if (err)
        goto out;
    ps.wh->arena = ps.arena.chunks;
    *out = ps.wh;
out:
    json_decref(root);
    if (err)
        arena_free(ps.arena.chunks);
    return err;
}

void rr_webhook_free(struct rr_webhook *webhook)
{
    if (webhook)
        arena_free(webhook->arena); /* the webhook itself lives in the arena */
}

const char *rr_labelset_get(const struct rr_labelset *set, const char *name)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(set->items[mid].name, name);
        if (c == 0)
            return set->items[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

uint64_t rr_labelset_fingerprint(const struct rr_labelset *set)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 offset basis */
    for (size_t i = 0; i < set->n; i++) {
        const char *parts[2] = {set->items[i].name, set->items[i].value};
        for (int p = 0; p < 2; p++) {
            for (const unsigned char *s = (const unsigned char *)parts[p]; *s; s++)
                h = (h ^ *s) * 1099511628211ULL;
            h = (h ^ 0xFF) * 1099511628211ULL; /* model.SeparatorByte */
        }
    }
    return h;
}

/* Appends s as a JSON string: quote, backslash and control bytes escaped, the rest raw. */
static enum rr_err json_quote(struct rr_buf *b, const char *s)
{
    enum rr_err err = rr_buf_append(b, "\"", 1);
    const char *run = s;
    for (; !err && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char esc[8];
        int n = c < 0x20 ? snprintf(esc, sizeof esc, "\\u%04x", c)
                         : snprintf(esc, sizeof esc, "\\%c", c);
        if (!(err = rr_buf_append(b, run, (size_t)(s - run))))
            err = rr_buf_append(b, esc, (size_t)n);
        run = s + 1;
    }
    if (!err)
        err = rr_buf_append(b, run, (size_t)(s - run));
    if (!err)
        err = rr_buf_append(b, "\"", 1);
    return err;
}

enum rr_err rr_labelset_to_json(const struct rr_labelset *set, struct rr_buf *out)
{
    size_t start = out->len;
    enum rr_err err = rr_buf_append(out, "{", 1);
    for (size_t i = 0; !err && i < set->n; i++) {
        if (i)
            err = rr_buf_append(out, ",", 1);
        if (!err)
            err = json_quote(out, set->items[i].name);
        if (!err)
            err = rr_buf_append(out, ":", 1);
        if (!err)
            err = json_quote(out, set->items[i].value);
    }
    if (!err)
        err = rr_buf_append(out, "}", 1);
    if (err && out->data) { /* all or nothing: drop the partial object */
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

const char *rr_alert_status_name(enum rr_alert_status status)
{
    return status == RR_ALERT_RESOLVED ? "resolved" : "firing";
}

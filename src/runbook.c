/*
 * runbook: `runbooks/` loaded into an immutable index, each body's sections read, and the
 * runbook for an alert chosen (PRODUCT §6). Selection runs for every alert, so runbooks are
 * indexed by alertname (a hash to a pre-ranked candidate list) plus the pre-ranked "*" list;
 * a call looks at those two lists only and stops at the first rank group with an eligible
 * runbook. The Markdown reading is in markdown.c, the HTML page in runbook_html.c.
 */
#include "rr/runbook.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rr/dir.h"
#include "rr/matcher.h"
#include "rr/yaml.h"

/* One alertname of the hash index and the runbooks naming it, best rank first. */
struct slot {
    const char *name;                /* borrowed from a runbook; NULL: empty slot */
    uint64_t hash;                   /* FNV-1a 64 of name */
    const struct rr_runbook **cands; /* owned */
    size_t n, cap;
};

struct rr_runbooks {
    struct rr_runbook *items; /* owned; n, lexical path order */
    size_t n;
    const struct rr_runbook **by_id; /* owned; the items sorted by id */
    struct slot *slots;              /* owned hash table; n_slots is a power of two */
    size_t n_slots;
    const struct rr_runbook **generic; /* owned; "*" runbooks, best rank first */
    size_t n_generic;
    void **owned; /* every string and array the runbooks point to, freed together */
    size_t n_owned, cap_owned;
};

/* Where a runbook's id was given (1:1 when it comes from the file name). */
struct id_pos {
    unsigned line, col;
};

static const char *const section_names[RR_SECTION_COUNT] = {"Diagnosis", "Remediation",
                                                            "Terminate and restart", "Escalation"};

const char *rr_section_name(enum rr_section s)
{
    return (unsigned)s < RR_SECTION_COUNT ? section_names[s] : "?";
}

static void *keep(struct rr_runbooks *rbs, void *p)
{
    if (rbs->n_owned == rbs->cap_owned) {
        rbs->cap_owned = rbs->cap_owned ? rbs->cap_owned * 2 : 64;
        rbs->owned = rr_xrealloc(rbs->owned, rbs->cap_owned * sizeof *rbs->owned);
    }
    rbs->owned[rbs->n_owned++] = p;
    return p;
}

/* Bytes of the UTF-8 sequence at s (n available) with its code point in *cp; 0 when it is
 * invalid: truncated, overlong, a surrogate or above U+10FFFF. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t k;
    uint32_t min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        k = 2, min = 0x80, *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        k = 3, min = 0x800, *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        k = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return k;
}

/* ==== Reading files ==== */

static const char *const md_suffixes[] = {".md", NULL};
static const struct rr_dir_walk runbook_files = {.suffixes = md_suffixes,
                                                 .max_files = RR_RUNBOOK_MAX_FILES,
                                                 .max_depth = RR_RUNBOOK_MAX_DEPTH,
                                                 .noun = "runbook files"};


/* Valid UTF-8 without NUL bytes, so every string cut from it is a C string and every page and
 * payload built from it is valid. Columns count characters, as YAML positions do. */
static enum rr_err check_text(const char *path, const char *text, size_t len, struct rr_diag *diag)
{
    unsigned line = 1, col = 1;
    for (size_t i = 0; i < len; col++) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)text + i, len - i, &cp);
        if (k == 0)
            return rr_diag_set(diag, RR_ERR_INVAL, "%s:%u:%u: invalid UTF-8 (byte 0x%02x)", path,
                               line, col, (unsigned char)text[i]);
        if (cp == 0)
            return rr_diag_set(diag, RR_ERR_INVAL, "%s:%u:%u: NUL byte", path, line, col);
        if (cp == '\n')
            line++, col = 0;
        i += k;
    }
    return RR_OK;
}

/* ==== Front matter ==== */

static const char *const keys[] = {"id", "title", "alerts", "match", "layer", "owner", NULL};

static const char no_controls[] = "control characters are not allowed";

/* Why id cannot be a URL path segment, or NULL when it can. */
static const char *id_problem(const char *id)
{
    size_t n = strlen(id);
    if (n == 0)
        return "it is empty";
    if (n > RR_RUNBOOK_MAX_ID_BYTES)
        return "longer than 128 bytes";
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return "'.' and '..' are not usable in a URL path";
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)id + i, n - i, &cp);
        if (k == 0) // cannot happen after check_text(); YAML escapes yield valid UTF-8
            return "invalid UTF-8";
        i += k;
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return no_controls;
        if (cp == ' ' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
            cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
            cp == 0xFEFF)
            return "whitespace is not allowed";
        /* Browsers read '\' as '/'; '?', '#' and '%' would end or re-encode the segment. */
        if (cp == '/' || cp == '\\' || cp == '?' || cp == '#' || cp == '%')
            return "'/', '\\', '?', '#' and '%' are not allowed";
    }
    return NULL;
}

/* An optional string value: *out stays NULL when the key is absent or YAML null. */
static enum rr_err opt_string(const struct rr_yaml_node *v, const char *key, const char *path,
                              const char **out, struct rr_diag *diag)
{
    if (!v || rr_yaml_is_null(v))
        return RR_OK;
    if (v->kind != RR_YAML_SCALAR)
        return rr_yaml_diag(diag, RR_ERR_CONFIG, path, v, "'%s' must be a string, found a %s", key,
                            rr_yaml_kind_name(v->kind));
    *out = v->str;
    return RR_OK;
}

static enum rr_err read_id(struct rr_runbooks *rbs, const struct rr_yaml_node *root,
                           const char *path, struct rr_runbook *rb, struct id_pos *pos,
                           struct rr_diag *diag)
{
    const struct rr_yaml_node *v = rr_yaml_map_get(root, "id");
    const char *id = NULL;
    enum rr_err err = opt_string(v, "id", path, &id, diag);
    if (err)
        return err;
    if (id) {
        *pos = (struct id_pos){v->line, v->col};
        rb->id = keep(rbs, rr_xstrdup(id));
    } else {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        *pos = (struct id_pos){1, 1};
        rb->id = keep(rbs, rr_xstrndup(base, strlen(base) - 3));
    }
    const char *why = id_problem(rb->id);
    if (!why)
        return RR_OK;
    /* An id with control characters is not echoed: it would break the log line. */
    bool echo = why != no_controls;
    return rr_diag_set(diag, RR_ERR_CONFIG, "%s:%u:%u: invalid runbook id%s%.*s%s%s: %s", path,
                       pos->line, pos->col, echo ? " '" : "", echo ? 128 : 0, rb->id,
                       echo ? "'" : "", id ? "" : " (from the file name)", why);
}

static enum rr_err read_alerts(struct rr_runbooks *rbs, const struct rr_yaml_node *root,
                               const char *path, struct rr_runbook *rb, struct rr_diag *diag)
{
    const struct rr_yaml_node *v = rr_yaml_map_get(root, "alerts");
    if (!v || rr_yaml_is_null(v)) {
        unsigned line = root ? root->line : 1, col = root ? root->col : 1;
        return rr_diag_set(diag, RR_ERR_CONFIG,
                           "%s:%u:%u: missing required key 'alerts' (the alertnames this "
                           "runbook covers, \"*\" for any)",
                           path, line, col);
    }
    if (v->kind != RR_YAML_SEQ)
        return rr_yaml_diag(diag, RR_ERR_CONFIG, path, v,
                            "'alerts' must be a sequence of alertnames, found a %s",
                            rr_yaml_kind_name(v->kind));
    if (v->count == 0)
        return rr_yaml_diag(diag, RR_ERR_CONFIG, path, v,
                            "'alerts' is empty: list the alertnames this runbook covers");
    rb->alerts = keep(rbs, rr_xcalloc(v->count, sizeof *rb->alerts));
    for (size_t i = 0; i < v->count; i++) {
        const struct rr_yaml_node *a = &v->items[i];
        if (a->kind != RR_YAML_SCALAR)
            return rr_yaml_diag(diag, RR_ERR_CONFIG, path, a,
                                "'alerts' entries must be alertnames, found a %s",
                                rr_yaml_kind_name(a->kind));
        if (a->len == 0 || rr_yaml_is_null(a))
            return rr_yaml_diag(diag, RR_ERR_CONFIG, path, a, "empty alertname in 'alerts'");
        for (size_t j = 0; j < i; j++)
            if (strcmp(v->items[j].str, a->str) == 0)
                return rr_yaml_diag(diag, RR_ERR_CONFIG, path, a,
                                    "duplicate alertname '%.200s' in 'alerts' (first at %u:%u)",
                                    a->str, v->items[j].line, v->items[j].col);
        rb->alerts[i] = keep(rbs, rr_xstrdup(a->str));
        rb->n_alerts++;
        if (strcmp(a->str, "*") == 0)
            rb->generic = true;
    }
    return RR_OK;
}

static enum rr_err read_match(struct rr_runbooks *rbs, const struct rr_yaml_node *root,
                              const char *path, struct rr_runbook *rb, struct rr_diag *diag)
{
    const struct rr_yaml_node *v = rr_yaml_map_get(root, "match");
    if (!v || rr_yaml_is_null(v))
        return RR_OK;
    if (v->kind != RR_YAML_SEQ)
        return rr_yaml_diag(diag, RR_ERR_CONFIG, path, v,
                            "'match' must be a sequence of matchers, found a %s",
                            rr_yaml_kind_name(v->kind));
    rb->match = keep(rbs, rr_xcalloc(v->count, sizeof(struct rr_matcher *)));
    for (size_t i = 0; i < v->count; i++) {
        const struct rr_yaml_node *m = &v->items[i];
        struct rr_diag md = {""};
        if (m->kind != RR_YAML_SCALAR)
            return rr_yaml_diag(diag, RR_ERR_CONFIG, path, m,
                                "'match' entries must be matcher strings, found a %s",
                                rr_yaml_kind_name(m->kind));
        if (rr_matcher_parse(m->str, &rb->match[i], &md) != RR_OK)
            return rr_yaml_diag(diag, RR_ERR_CONFIG, path, m, "%s", md.msg);
        rb->n_match++;
    }
    return RR_OK;
}

static enum rr_err read_front_matter(struct rr_runbooks *rbs, const struct rr_yaml_node *root,
                                     const char *path, struct rr_runbook *rb, struct id_pos *pos,
                                     struct rr_diag *diag)
{
    const char *title = NULL, *layer = NULL, *owner = NULL;
    enum rr_err err = rr_yaml_check_keys(root, keys, path, diag);
    if (err)
        return RR_ERR_CONFIG;
    if ((err = read_id(rbs, root, path, rb, pos, diag)) ||
        (err = opt_string(rr_yaml_map_get(root, "title"), "title", path, &title, diag)) ||
        (err = read_alerts(rbs, root, path, rb, diag)) ||
        (err = read_match(rbs, root, path, rb, diag)) ||
        (err = opt_string(rr_yaml_map_get(root, "layer"), "layer", path, &layer, diag)) ||
        (err = opt_string(rr_yaml_map_get(root, "owner"), "owner", path, &owner, diag)))
        return err;
    rb->title = keep(rbs, rr_xstrdup(title ? title : ""));
    if (layer) {
        rb->has_layer = true;
        if (strcmp(layer, "platform") == 0)
            rb->layer = RR_LAYER_PLATFORM;
        else if (strcmp(layer, "application") == 0)
            rb->layer = RR_LAYER_APPLICATION;
        else
            return rr_yaml_diag(diag, RR_ERR_CONFIG, path, rr_yaml_map_get(root, "layer"),
                                "invalid layer '%.100s' (allowed: platform, application)", layer);
    }
    if (owner && !owner[0])
        return rr_yaml_diag(diag, RR_ERR_CONFIG, path, rr_yaml_map_get(root, "owner"),
                            "'owner' is empty");
    rb->owner = owner ? keep(rbs, rr_xstrdup(owner)) : NULL;
    return RR_OK;
}

/* ==== Sections ==== */

static void read_sections(struct rr_runbooks *rbs, struct rr_runbook *rb, unsigned first_line)
{
    struct rr_md_span spans[RR_SECTION_COUNT];
    rr_md_find_sections(rb->body, first_line, spans);
    for (int s = 0; s < RR_SECTION_COUNT; s++) {
        struct rr_runbook_section *sec = &rb->sections[s];
        sec->present = spans[s].present;
        sec->line = spans[s].line;
        sec->text =
            sec->present ? keep(rbs, rr_xstrndup(rb->body + spans[s].off, spans[s].len)) : "";
        sec->has_content = sec->present && rr_md_has_content(sec->text);
    }
    rb->failure_modes = rr_md_failure_modes(rb->sections[RR_SECTION_REMEDIATION].text);
    rb->excerpt = rb->sections[RR_SECTION_DIAGNOSIS].present
                      ? keep(rbs, rr_md_excerpt(rb->sections[RR_SECTION_DIAGNOSIS].text))
                      : "";
}

/* ==== Loading ==== */

static enum rr_err load_one(struct rr_runbooks *rbs, const char *path, struct rr_runbook *rb,
                            struct id_pos *pos, struct rr_diag *diag)
{
    struct rr_buf b;
    struct rr_yaml_doc *doc = NULL;
    size_t off = 0;
    unsigned body_line = 1;
    rr_buf_init(&b, (size_t)RR_RUNBOOK_MAX_FILE_BYTES);
    rb->path = keep(rbs, rr_xstrdup(path));
    enum rr_err err = rr_buf_read_file(&b, path, diag);
    if (err)
        goto out;
    const char *text = b.data ? b.data : "";
    size_t len = b.len;
    if ((err = check_text(path, text, len, diag)))
        goto out;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3; // a byte order mark some editors write
        len -= 3;
    }
    /* The opening fence as yaml.c reads it, so a file without one gets a position here. */
    size_t fence = strcspn(text, "\n");
    if (fence && text[fence - 1] == '\r')
        fence--;
    while (fence && (text[fence - 1] == ' ' || text[fence - 1] == '\t'))
        fence--;
    if (fence != 3 || memcmp(text, "---", 3) != 0) {
        /* Malformed input (exit 3), not a rule violation (exit 1): PRODUCT §10. */
        err = rr_diag_set(diag, RR_ERR_INVAL,
                          "%s:1:1: no front matter: the file must start with a line '---'", path);
        goto out;
    }
    err = rr_yaml_parse_front_matter(path, text, len, &doc, &off, &body_line, diag);
    if (err) /* RR_ERR_INVAL for malformed YAML, RR_ERR_LIMIT past a cap: both exit 3 */
        goto out;
    if ((err = read_front_matter(rbs, rr_yaml_root(doc), path, rb, pos, diag)))
        goto out;
    rb->body = keep(rbs, rr_xstrndup(text + off, len - off));
    read_sections(rbs, rb, body_line);
out:
    rr_yaml_doc_free(doc);
    rr_buf_release(&b);
    return err;
}

static int cmp_id(const void *a, const void *b)
{
    const struct rr_runbook *x = *(const struct rr_runbook *const *)a;
    const struct rr_runbook *y = *(const struct rr_runbook *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x > y) - (x < y); // equal ids in path order
}

/* Selection order within one list: more matchers first, then the smaller id. The owner
 * preference depends on the alert's team and is applied at selection. */
static int cmp_rank(const void *a, const void *b)
{
    const struct rr_runbook *x = *(const struct rr_runbook *const *)a;
    const struct rr_runbook *y = *(const struct rr_runbook *const *)b;
    if (x->n_match != y->n_match)
        return x->n_match > y->n_match ? -1 : 1;
    return strcmp(x->id, y->id);
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

static struct slot *find_slot(const struct rr_runbooks *rbs, const char *name, uint64_t h)
{
    size_t mask = rbs->n_slots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct slot *s = &rbs->slots[i];
        if (!s->name || (s->hash == h && strcmp(s->name, name) == 0))
            return s;
    }
}

static void push(const struct rr_runbook ***list, size_t *n, size_t *cap,
                 const struct rr_runbook *rb)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *list = rr_xrealloc(*list, *cap * sizeof(const struct rr_runbook *));
    }
    (*list)[(*n)++] = rb;
}

static enum rr_err build_index(struct rr_runbooks *rbs, const struct id_pos *pos,
                               struct rr_diag *diag)
{
    rbs->by_id = rr_xcalloc(rbs->n, sizeof(const struct rr_runbook *));
    size_t names = 0;
    for (size_t i = 0; i < rbs->n; i++) {
        rbs->by_id[i] = &rbs->items[i];
        names += rbs->items[i].n_alerts;
    }
    if (rbs->n)
        qsort(rbs->by_id, rbs->n, sizeof(const struct rr_runbook *), cmp_id);
    /* Report the duplicate a reader meets first: the one latest in a run of equal ids whose
     * file comes earliest in path order. */
    const struct rr_runbook *dup = NULL, *first = NULL;
    for (size_t i = 1, run = 0; i < rbs->n; i++) {
        if (strcmp(rbs->by_id[i]->id, rbs->by_id[run]->id) != 0) {
            run = i;
        } else if (!dup || rbs->by_id[i] < dup) {
            dup = rbs->by_id[i];
            first = rbs->by_id[run];
        }
    }
    if (dup) {
        const struct id_pos *p = &pos[dup - rbs->items];
        return rr_diag_set(diag, RR_ERR_CONFIG, "%s:%u:%u: duplicate runbook id '%s' (first in %s)",
                           dup->path, p->line, p->col, dup->id, first->path);
    }

    for (rbs->n_slots = 16; rbs->n_slots < 2 * names;)
        rbs->n_slots *= 2;
    rbs->slots = rr_xcalloc(rbs->n_slots, sizeof *rbs->slots);
    size_t cap_generic = 0;
    for (size_t i = 0; i < rbs->n; i++) {
        const struct rr_runbook *rb = &rbs->items[i];
        for (size_t j = 0; j < rb->n_alerts; j++) {
            if (strcmp(rb->alerts[j], "*") == 0) {
                push(&rbs->generic, &rbs->n_generic, &cap_generic, rb);
                continue;
            }
            uint64_t h = hash_name(rb->alerts[j]);
            struct slot *s = find_slot(rbs, rb->alerts[j], h);
            s->name = rb->alerts[j];
            s->hash = h;
            push(&s->cands, &s->n, &s->cap, rb);
        }
    }
    for (size_t i = 0; i < rbs->n_slots; i++)
        if (rbs->slots[i].n)
            qsort(rbs->slots[i].cands, rbs->slots[i].n, sizeof(const struct rr_runbook *),
                  cmp_rank);
    if (rbs->n_generic)
        qsort(rbs->generic, rbs->n_generic, sizeof(const struct rr_runbook *), cmp_rank);
    return RR_OK;
}

enum rr_err rr_runbooks_load(const char *dir, struct rr_runbooks **out, struct rr_diag *diag)
{
    struct rr_dir_files f = {NULL, 0};
    struct rr_runbooks *rbs = rr_xcalloc(1, sizeof *rbs);
    struct id_pos *pos = NULL;
    enum rr_err err = rr_dir_files(dir, &runbook_files, &f, diag);
    if (err)
        goto out;
    rbs->items = rr_xcalloc(f.n, sizeof *rbs->items);
    pos = rr_xcalloc(f.n, sizeof *pos);
    for (size_t i = 0; i < f.n; i++) {
        rbs->n = i + 1; // so the runbook is freed with its matchers when it fails
        if ((err = load_one(rbs, f.paths[i], &rbs->items[i], &pos[i], diag)))
            goto out;
    }
    if ((err = build_index(rbs, pos, diag)))
        goto out;
    *out = rbs;
    rbs = NULL;
out:
    rr_dir_files_release(&f);
    free(pos);
    rr_runbooks_free(rbs);
    return err;
}

void rr_runbooks_free(struct rr_runbooks *rbs)
{
    if (!rbs)
        return;
    for (size_t i = 0; i < rbs->n; i++)
        for (size_t j = 0; j < rbs->items[i].n_match; j++)
            rr_matcher_free(rbs->items[i].match[j]);
    for (size_t i = 0; i < rbs->n_slots; i++)
        free(rbs->slots[i].cands);
    for (size_t i = 0; i < rbs->n_owned; i++)
        free(rbs->owned[i]);
    free(rbs->owned);
    free(rbs->slots);
    free(rbs->generic);
    free(rbs->by_id);
    free(rbs->items);
    free(rbs);
}

/* ==== Lookups ==== */

size_t rr_runbooks_count(const struct rr_runbooks *rbs)
{
    return rbs ? rbs->n : 0;
}

const struct rr_runbook *rr_runbooks_at(const struct rr_runbooks *rbs, size_t i)
{
    return rbs && i < rbs->n ? &rbs->items[i] : NULL;
}

const struct rr_runbook *rr_runbooks_find(const struct rr_runbooks *rbs, const char *id)
{
    if (!rbs || !id)
        return NULL;
    size_t lo = 0, hi = rbs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, rbs->by_id[mid]->id);
        if (c == 0)
            return rbs->by_id[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static bool eligible(const struct rr_runbook *rb, const struct rr_labelset *labels,
                     enum rr_layer layer)
{
    if (rb->has_layer && rb->layer != layer)
        return false;
    for (size_t i = 0; i < rb->n_match; i++) {
        const struct rr_matcher *m = rb->match[i];
        if (!rr_matcher_matches(m, rr_labelset_get(labels, rr_matcher_name(m))))
            return false;
    }
    return true;
}

static bool owned_by(const struct rr_runbook *rb, const char *team)
{
    return team && rb->owner && strcmp(rb->owner, team) == 0;
}

/* The best eligible runbook of a ranked list: the first eligible one fixes the matcher count;
 * within that group the first one owned by team wins, else the first one (smallest id). */
static const struct rr_runbook *pick(const struct rr_runbook *const *c, size_t n,
                                     const struct rr_labelset *labels, enum rr_layer layer,
                                     const char *team)
{
    const struct rr_runbook *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (best && (c[i]->n_match < best->n_match || owned_by(best, team)))
            break;
        if (eligible(c[i], labels, layer) && (!best || owned_by(c[i], team)))
            best = c[i];
    }
    return best;
}

const struct rr_runbook *rr_runbooks_select(const struct rr_runbooks *rbs,
                                            const struct rr_labelset *labels, enum rr_layer layer,
                                            const char *team, bool allow_generic)
{
    if (!rbs)
        return NULL;
    const char *name = rr_labelset_get(labels, "alertname");
    if (name && rbs->n_slots) {
        const struct slot *s = find_slot(rbs, name, hash_name(name));
        const struct rr_runbook *rb = s->name ? pick(s->cands, s->n, labels, layer, team) : NULL;
        if (rb)
            return rb;
    }
    return allow_generic ? pick(rbs->generic, rbs->n_generic, labels, layer, team) : NULL;
}

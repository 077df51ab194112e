/*
 * promrules: Prometheus rule files → alerting rules with their static labels. The YAML tree
 * of every file read is kept for the set's life, so rules borrow their strings from it instead
 * of copying them.
 */
#include "rr/promrules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rr/buf.h"
#include "rr/dir.h"
#include "rr/yaml.h"

struct rr_promrules {
    struct rr_yaml_doc **docs; /* owned: every rule file read; rules borrow from them */
    size_t n_docs;
    struct rr_promrule *rules; /* owned array; each rule's label arrays owned too */
    size_t n_rules;
};

static const char *const top_keys[] = {"groups", NULL};
/* Prometheus's group keys, then Thanos's partial_response_strategy and Cortex/Mimir's. */
static const char *const group_keys[] = {"name",
                                         "interval",
                                         "query_offset",
                                         "limit",
                                         "labels",
                                         "rules",
                                         "partial_response_strategy",
                                         "source_tenants",
                                         "evaluation_delay",
                                         NULL};
static const char *const rule_keys[] = {"record",          "alert",  "expr",        "for",
                                        "keep_firing_for", "labels", "annotations", NULL};

/* ==== Finding the files ==== */

static enum rr_err sys_error(struct rr_diag *diag, const char *path, const char *what)
{
    char why[128];
    int e = errno;
    if (strerror_r(e, why, sizeof why) != 0)
        (void)snprintf(why, sizeof why, "error %d", e);
    return rr_diag_set(diag, RR_ERR_IO, "%s: %s: %s", path, what, why);
}


/* ==== Reading one file ==== */

struct loader {
    struct rr_promrules *set;
    const char *file; /* the document's name */
    struct rr_diag *diag;
};

#define FAIL(ld, node, ...) rr_yaml_diag((ld)->diag, RR_ERR_INVAL, (ld)->file, node, __VA_ARGS__)

/* A key's value, with a plain null (`key:`, `key: ~`) read as absent. */
static const struct rr_yaml_node *opt(const struct rr_yaml_node *map, const char *key)
{
    const struct rr_yaml_node *v = rr_yaml_map_get(map, key);
    return v && !rr_yaml_is_null(v) ? v : NULL;
}

static enum rr_err want_kind(struct loader *ld, const struct rr_yaml_node *node,
                             enum rr_yaml_kind kind, const char *what)
{
    if (node->kind == kind)
        return RR_OK;
    return FAIL(ld, node, "%s: expected a %s, found a %s", what,
                kind == RR_YAML_SEQ ? "list" : rr_yaml_kind_name(kind),
                node->kind == RR_YAML_SEQ ? "list" : rr_yaml_kind_name(node->kind));
}

/* A mapping of label (or annotation) names to strings; a null map is empty. */
static enum rr_err check_string_map(struct loader *ld, const struct rr_yaml_node *map,
                                    const char *what, bool capped)
{
    if (!map)
        return RR_OK;
    enum rr_err err = want_kind(ld, map, RR_YAML_MAP, what);
    if (err)
        return err;
    if (capped && map->count > RR_ALERT_MAX_LABELS)
        return rr_yaml_diag(ld->diag, RR_ERR_LIMIT, ld->file, map, "%s: more than %d labels", what,
                            RR_ALERT_MAX_LABELS);
    for (size_t i = 0; i < map->count; i++) {
        const struct rr_yaml_pair *p = &map->pairs[i];
        if (p->value.kind != RR_YAML_SCALAR)
            return FAIL(ld, &p->value, "%s.%s: expected a string, found a %s", what, p->key.str,
                        p->value.kind == RR_YAML_SEQ ? "list" : rr_yaml_kind_name(p->value.kind));
        if (capped && p->key.len == 0)
            return FAIL(ld, &p->key, "%s: empty label name", what);
        if (capped && p->key.len > RR_ALERT_MAX_LABEL_NAME)
            return rr_yaml_diag(ld->diag, RR_ERR_LIMIT, ld->file, &p->key,
                                "%s: label name over %d bytes", what, RR_ALERT_MAX_LABEL_NAME);
        if (capped && p->value.len > RR_ALERT_MAX_LABEL_VALUE)
            return rr_yaml_diag(ld->diag, RR_ERR_LIMIT, ld->file, &p->value,
                                "%s.%s: value over %d bytes", what, p->key.str,
                                RR_ALERT_MAX_LABEL_VALUE);
    }
    return RR_OK;
}

/* A label entry while merging: higher rank wins a name (group < rule < alertname). */
struct ranked {
    struct rr_label label;
    int rank;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    int c = strcmp(x->label.name, y->label.name);
    return c ? c : y->rank - x->rank;
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct rr_label *)a)->name, ((const struct rr_label *)b)->name);
}

/* Empty values are dropped by Prometheus; templated ones are only known per alert. */
static bool is_static_value(const char *v)
{
    return *v && !strstr(v, "{{");
}

static const char *scalar_value(const struct rr_yaml_node *v)
{
    return rr_yaml_is_null(v) ? "" : v->str;
}

/* The labels Prometheus attaches from the rule alone: group labels, rule labels over them,
 * alertname over both; only static values kept. */
static void build_labels(const struct rr_yaml_node *glabels, const struct rr_yaml_node *rlabels,
                         const char *alert, struct rr_labelset *out)
{
    size_t cap = (glabels ? glabels->count : 0) + (rlabels ? rlabels->count : 0) + 1, n = 0;
    struct ranked *tmp = rr_xcalloc(cap, sizeof *tmp);
    const struct rr_yaml_node *maps[2] = {glabels, rlabels};
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; maps[m] && i < maps[m]->count; i++)
            tmp[n++] = (struct ranked){
                {maps[m]->pairs[i].key.str, scalar_value(&maps[m]->pairs[i].value)}, m};
    tmp[n++] = (struct ranked){{"alertname", alert}, 2};
    qsort(tmp, n, sizeof *tmp, cmp_ranked);
    out->items = rr_xcalloc(n, sizeof *out->items);
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(tmp[i].label.name, tmp[i - 1].label.name))
            continue; /* a lower rank of a name already taken */
        if (is_static_value(tmp[i].label.value))
            out->items[out->n++] = tmp[i].label;
    }
    free(tmp);
}

static void build_annotations(const struct rr_yaml_node *map, struct rr_labelset *out)
{
    size_t n = map ? map->count : 0;
    out->items = rr_xcalloc(n ? n : 1, sizeof *out->items);
    for (size_t i = 0; i < n; i++)
        out->items[i] =
            (struct rr_label){map->pairs[i].key.str, scalar_value(&map->pairs[i].value)};
    out->n = n;
    if (n)
        qsort(out->items, n, sizeof *out->items, cmp_label);
}

static enum rr_err read_rule(struct loader *ld, const struct rr_yaml_node *group_name,
                             const struct rr_yaml_node *glabels, const struct rr_yaml_node *rule)
{
    enum rr_err err = want_kind(ld, rule, RR_YAML_MAP, "rule");
    if (!err)
        err = rr_yaml_check_keys(rule, rule_keys, ld->file, ld->diag);
    if (err)
        return err;
    const struct rr_yaml_node *alert = opt(rule, "alert"), *record = opt(rule, "record");
    const struct rr_yaml_node *expr = opt(rule, "expr");
    if (alert && record)
        return FAIL(ld, rule, "rule has both 'alert' and 'record'");
    if (!alert && !record)
        return FAIL(ld, rule, "rule has neither 'alert' nor 'record'");
    const struct rr_yaml_node *name = alert ? alert : record;
    if (name->kind != RR_YAML_SCALAR || name->len == 0)
        return FAIL(ld, name, "%s name is not a non-empty string", alert ? "alert" : "record");
    if (alert && alert->len > RR_ALERT_MAX_LABEL_VALUE)
        return rr_yaml_diag(ld->diag, RR_ERR_LIMIT, ld->file, alert, "alert name over %d bytes",
                            RR_ALERT_MAX_LABEL_VALUE);
    if (!expr || expr->kind != RR_YAML_SCALAR || expr->len == 0)
        return FAIL(ld, expr ? expr : rule, "%s '%s': 'expr' must be a non-empty string",
                    alert ? "alert" : "record", name->str);
    const struct rr_yaml_node *labels = opt(rule, "labels");
    const struct rr_yaml_node *annotations = opt(rule, "annotations");
    if ((err = check_string_map(ld, labels, "labels", true)) ||
        (err = check_string_map(ld, annotations, "annotations", false)))
        return err;
    if (glabels && labels && glabels->count + labels->count > RR_ALERT_MAX_LABELS)
        return rr_yaml_diag(ld->diag, RR_ERR_LIMIT, ld->file, labels,
                            "group and rule labels: more than %d", RR_ALERT_MAX_LABELS);
    if (record)
        return RR_OK;
    struct rr_promrules *set = ld->set;
    if (set->n_rules == RR_PROMRULES_MAX_RULES)
        return rr_yaml_diag(ld->diag, RR_ERR_LIMIT, ld->file, rule, "more than %d alerting rules",
                            RR_PROMRULES_MAX_RULES);
    /* Grown one at a time is fine: a realloc doubles underneath on common allocators, and no
     * pointer into the array is handed out before loading ends. */
    set->rules = rr_xrealloc(set->rules, (set->n_rules + 1) * sizeof *set->rules);
    struct rr_promrule *r = &set->rules[set->n_rules++];
    *r = (struct rr_promrule){.file = ld->file,
                              .line = rule->line,
                              .col = rule->col,
                              .group = group_name->str,
                              .alert = alert->str};
    build_labels(glabels, labels, alert->str, &r->labels);
    build_annotations(annotations, &r->annotations);
    return RR_OK;
}

struct named {
    const struct rr_yaml_node *node;
    size_t index;
};

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int c = strcmp(x->node->str, y->node->str);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Prometheus refuses a group name used twice in one file. */
static enum rr_err check_group_names(struct loader *ld, const struct rr_yaml_node *groups)
{
    struct named *v = rr_xcalloc(groups->count, sizeof *v);
    for (size_t i = 0; i < groups->count; i++)
        v[i] = (struct named){rr_yaml_map_get(&groups->items[i], "name"), i};
    qsort(v, groups->count, sizeof *v, cmp_named);
    enum rr_err err = RR_OK;
    for (size_t i = 1; i < groups->count && !err; i++)
        if (!strcmp(v[i].node->str, v[i - 1].node->str))
            err = FAIL(ld, v[i].node, "group name '%s' repeated (first at %u:%u)", v[i].node->str,
                       v[i - 1].node->line, v[i - 1].node->col);
    free(v);
    return err;
}

/* Reads one document. *skipped says it was a promtool test file, left out (in_dir only). */
static enum rr_err read_file(struct loader *ld, const struct rr_yaml_node *root, bool in_dir,
                             bool *skipped)
{
    *skipped = false;
    if (!root)
        return RR_OK; /* an empty file: no groups, as Prometheus reads it */
    enum rr_err err = want_kind(ld, root, RR_YAML_MAP, "rule file");
    if (err)
        return err;
    const struct rr_yaml_node *groups = rr_yaml_map_get(root, "groups");
    if (!groups && (rr_yaml_map_get(root, "rule_files") || rr_yaml_map_get(root, "tests"))) {
        if (in_dir) {
            *skipped = true;
            return RR_OK;
        }
        return FAIL(ld, root,
                    "a promtool test file, not a rule file: name the rule files it "
                    "tests instead");
    }
    if ((err = rr_yaml_check_keys(root, top_keys, ld->file, ld->diag)))
        return err;
    if (!groups)
        return FAIL(ld, root, "no 'groups' key: not a Prometheus rule file");
    if (rr_yaml_is_null(groups))
        return RR_OK;
    if ((err = want_kind(ld, groups, RR_YAML_SEQ, "groups")))
        return err;
    for (size_t g = 0; g < groups->count; g++) {
        const struct rr_yaml_node *group = &groups->items[g];
        if ((err = want_kind(ld, group, RR_YAML_MAP, "group")) ||
            (err = rr_yaml_check_keys(group, group_keys, ld->file, ld->diag)))
            return err;
        const struct rr_yaml_node *name = opt(group, "name");
        if (!name)
            return FAIL(ld, group, "group has no 'name'");
        if (name->kind != RR_YAML_SCALAR || name->len == 0)
            return FAIL(ld, name, "group name is not a non-empty string");
        const struct rr_yaml_node *glabels = opt(group, "labels");
        if ((err = check_string_map(ld, glabels, "labels", true)))
            return err;
        const struct rr_yaml_node *rules = opt(group, "rules");
        if (!rules)
            continue;
        if ((err = want_kind(ld, rules, RR_YAML_SEQ, "rules")))
            return err;
        for (size_t i = 0; i < rules->count; i++)
            if ((err = read_rule(ld, name, glabels, &rules->items[i])))
                return err;
    }
    return check_group_names(ld, groups);
}

/* Loads one file into the set; a promtool test file found in a directory is dropped. */
static enum rr_err load_file(struct rr_promrules *set, const char *path, bool in_dir,
                             struct rr_diag *diag)
{
    struct rr_yaml_doc *doc = NULL;
    enum rr_err err = rr_yaml_load_file(path, &doc, diag);
    if (err)
        return err;
    struct loader ld = {set, rr_yaml_doc_name(doc), diag};
    size_t rules_before = set->n_rules;
    bool skipped = false;
    err = read_file(&ld, rr_yaml_root(doc), in_dir, &skipped);
    if (err || skipped) {
        /* Rules read before a failure borrow from doc: drop them with it. */
        for (size_t i = rules_before; i < set->n_rules; i++) {
            free(set->rules[i].labels.items);
            free(set->rules[i].annotations.items);
        }
        set->n_rules = rules_before;
        rr_yaml_doc_free(doc);
        return err;
    }
    set->docs = rr_xrealloc(set->docs, (set->n_docs + 1) * sizeof *set->docs);
    set->docs[set->n_docs++] = doc;
    return RR_OK;
}

static enum rr_err load_dir(struct rr_promrules *set, const char *dir, size_t *total,
                            struct rr_diag *diag)
{
    static const char *const suffixes[] = {".yml", ".yaml", NULL};
    /* The cap counts rule files across every --rules argument. */
    struct rr_dir_walk w = {.suffixes = suffixes,
                            .max_files = RR_PROMRULES_MAX_FILES - *total,
                            .max_depth = RR_PROMRULES_MAX_DEPTH,
                            .noun = "rule files"};
    struct rr_dir_files files = {NULL, 0};
    enum rr_err err = rr_dir_files(dir, &w, &files, diag);
    *total += files.n;
    for (size_t i = 0; i < files.n && !err; i++)
        err = load_file(set, files.paths[i], true, diag);
    rr_dir_files_release(&files);
    return err;
}

enum rr_err rr_promrules_load(const char *const *paths, size_t n, struct rr_promrules **out,
                              struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    struct rr_promrules *set = rr_xcalloc(1, sizeof *set);
    size_t total = 0;
    for (size_t i = 0; i < n && !err; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            err = sys_error(diag, paths[i], "cannot open");
        } else if (S_ISDIR(st.st_mode)) {
            err = load_dir(set, paths[i], &total, diag);
        } else if (total == RR_PROMRULES_MAX_FILES) {
            err = rr_diag_set(diag, RR_ERR_LIMIT, "%s: more than %d rule files", paths[i],
                              RR_PROMRULES_MAX_FILES);
        } else {
            total++;
            err = load_file(set, paths[i], false, diag);
        }
    }
    if (err)
        goto out;
    *out = set;
    set = NULL;
out:
    rr_promrules_free(set);
    return err;
}

void rr_promrules_free(struct rr_promrules *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n_rules; i++) {
        free(set->rules[i].labels.items);
        free(set->rules[i].annotations.items);
    }
    free(set->rules);
    for (size_t i = 0; i < set->n_docs; i++)
        rr_yaml_doc_free(set->docs[i]);
    free(set->docs);
    free(set);
}

size_t rr_promrules_count(const struct rr_promrules *set)
{
    return set ? set->n_rules : 0;
}

const struct rr_promrule *rr_promrules_at(const struct rr_promrules *set, size_t i)
{
    return &set->rules[i];
}

size_t rr_promrules_file_count(const struct rr_promrules *set)
{
    return set ? set->n_docs : 0;
}

/*
 * routing: loads routing/ (PRODUCT §4) into one immutable table — teams, settings, routes —
 * and answers the ownership lookups. The route index behind rr_routing_match() lives in
 * routing_index.c.
 *
 * Loading reads every file first (lexical order of the relative paths), then works in passes
 * over the parsed documents, because a name may be used before the file that defines it is
 * read (routes.yml sorts before teams/): top-level keys and settings-defined-once; teams;
 * settings; routes. Every rule violation stops the load with "file:line:col: message" at the
 * offending node. The documents are freed at the end: the table keeps copies in its arena.
 */
#include "rr/routing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rr/buf.h"
#include "rr/clock.h"
#include "rr/dir.h"
#include "rr/matcher.h"
#include "rr/yaml.h"

#include "routing_int.h"

#define MAX_INTEGER 1000000 /* largest integer setting accepted */

/* An exact namespace or task queue, and who listed it where. */
struct claim {
    const char *value;          /* arena */
    const struct rr_team *team; /* the claiming team */
    struct rr_source_pos pos;   /* the list entry */
};

struct rr_routing {
    struct rr_arena arena; /* every string and array of the table */
    struct rr_settings settings;
    struct rr_team *teams; /* arena; file order */
    size_t n_teams;
    struct rr_route *routes; /* arena; table order */
    size_t n_routes;
    struct rr__map team_names;  /* name -> struct rr_team */
    struct rr__map namespaces;  /* exact namespace -> struct claim */
    struct rr__map task_queues; /* task queue -> struct claim */
    struct rr__route_index *index;
};

/* ==== Load state ==== */

/* A team's namespace_regex entry, kept while loading to check it against other teams. */
struct regex_ref {
    const struct rr_team *team;
    const struct rr_matcher *m;
    struct rr_source_pos pos;
};

struct loader {
    struct rr_routing *rt;
    struct rr_diag *diag;
    const char *file;           /* the file being read (arena copy) */
    struct rr__map route_names; /* name -> struct rr_route, for duplicates */
    struct claim **ns_claims;   /* every exact namespace so far, in file order */
    size_t n_ns_claims;
    struct regex_ref *regexes; /* every namespace_regex so far, in file order */
    size_t n_regexes;
};

static const char *const top_keys[] = {"settings", "teams", "routes", NULL};
static const char *const settings_keys[] = {"platform_team", "unowned_team", "labels",
                                            "correlation",   "storm",        NULL};
static const char *const canon_keys[] = {"namespace",     "team",    "task_queue",
                                         "workflow_type", "cluster", NULL};
static const char *const correlation_keys[] = {"window", "platform_namespaces", NULL};
static const char *const storm_keys[] = {"max_pages", "window", NULL};
static const char *const team_keys[] = {"name",        "layer", "namespaces", "namespace_regex",
                                        "task_queues", "slack", "pagerduty",  "page",
                                        NULL};
static const char *const slack_keys[] = {"url_env", "url_file", "url", NULL};
static const char *const pagerduty_keys[] = {"routing_key_env", "routing_key_file", "url", NULL};
static const char *const route_keys[] = {"name", "match", "layer",   "fallback",
                                         "kind", "team",  "runbook", NULL};

/* PRODUCT §4 defaults, in enum rr_canon order. */
static const char *const default_labels[RR_CANON_COUNT][4] = {
    {"temporal_namespace", "exported_namespace", "namespace", NULL},
    {"team", NULL},
    {"task_queue", "taskqueue", "temporal_task_queue", NULL},
    {"workflow_type", "workflowType", "temporal_workflow_type", NULL},
    {"temporal_cluster", "cluster", NULL},
};

#define FAIL(ld, node, ...) rr_yaml_diag((ld)->diag, RR_ERR_CONFIG, (ld)->file, (node), __VA_ARGS__)

static struct rr_source_pos pos_of(const char *file, const struct rr_yaml_node *n)
{
    return (struct rr_source_pos){file, n->line, n->col};
}

/* The value under key, or NULL when it is absent or a YAML null (`key:` alone). */
static const struct rr_yaml_node *opt(const struct rr_yaml_node *map, const char *key)
{
    const struct rr_yaml_node *v = rr_yaml_map_get(map, key);
    return v && rr_yaml_is_null(v) ? NULL : v;
}

/* rr_yaml_check_keys, as a rule violation rather than a syntax error. */
static enum rr_err check_keys(struct loader *ld, const struct rr_yaml_node *map,
                              const char *const allowed[])
{
    return rr_yaml_check_keys(map, allowed, ld->file, ld->diag) ? RR_ERR_CONFIG : RR_OK;
}

static enum rr_err want_kind(struct loader *ld, const struct rr_yaml_node *n,
                             enum rr_yaml_kind kind, const char *what)
{
    if (n->kind == kind)
        return RR_OK;
    return FAIL(ld, n, "%s: expected a %s, found a %s", what, rr_yaml_kind_name(kind),
                rr_yaml_kind_name(n->kind));
}

/* The text of a non-empty scalar, copied into the table's arena. */
static enum rr_err get_string(struct loader *ld, const struct rr_yaml_node *n, const char *what,
                              const char **out)
{
    enum rr_err err = want_kind(ld, n, RR_YAML_SCALAR, what);
    if (err)
        return err;
    if (n->len == 0 || rr_yaml_is_null(n))
        return FAIL(ld, n, "%s is empty", what);
    *out = rr_arena_strndup(&ld->rt->arena, n->str, n->len);
    return RR_OK;
}

/* A sequence of non-empty scalars; an absent node gives an empty list. */
static enum rr_err get_strings(struct loader *ld, const struct rr_yaml_node *n, const char *what,
                               const char ***out, size_t *count)
{
    if (!n)
        return RR_OK;
    enum rr_err err = want_kind(ld, n, RR_YAML_SEQ, what);
    if (err)
        return err;
    const char **v = rr_arena_alloc(&ld->rt->arena, n->count * sizeof *v);
    for (size_t i = 0; i < n->count; i++)
        if ((err = get_string(ld, &n->items[i], what, &v[i])))
            return err;
    *out = v;
    *count = n->count;
    return RR_OK;
}

static bool is_team_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

/* [a-zA-Z_][a-zA-Z0-9_]*: Prometheus label names, and (the same shape) environment variables. */
static bool is_identifier(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static const struct rr_team *find_team(const struct rr_routing *rt, const char *name)
{
    size_t len = strlen(name);
    return rr__map_get(&rt->team_names, rr__hash(RR__HASH_INIT, name, len), name, len, NULL, 0);
}

static const struct claim *find_claim(const struct rr__map *m, const char *s, size_t len)
{
    return rr__map_get(m, rr__hash(RR__HASH_INIT, s, len), s, len, NULL, 0);
}

/* ==== Teams ==== */

static enum rr_err parse_layer(struct loader *ld, const struct rr_yaml_node *n, const char *who,
                               const char *what, bool ambiguous_ok, enum rr_layer *out)
{
    const char *s = NULL;
    enum rr_err err = get_string(ld, n, what, &s);
    if (err)
        return err;
    if (strcmp(s, "platform") == 0)
        *out = RR_LAYER_PLATFORM;
    else if (strcmp(s, "application") == 0)
        *out = RR_LAYER_APPLICATION;
    else if (ambiguous_ok && strcmp(s, "ambiguous") == 0)
        *out = RR_LAYER_AMBIGUOUS;
    else
        return FAIL(ld, n, "%s: unknown %s '%.100s' (allowed: platform, application%s)", who, what,
                    s, ambiguous_ok ? ", ambiguous" : "");
    return RR_OK;
}

/* Records an exact namespace or task queue, refusing one another list entry already holds. */
static enum rr_err claim(struct loader *ld, struct rr__map *m, const char *what,
                         const struct rr_yaml_node *n, const char *value, const struct rr_team *t,
                         struct claim **out)
{
    size_t len = strlen(value);
    const struct claim *first = find_claim(m, value, len);
    if (first)
        return FAIL(ld, n,
                    "%s '%.100s' of team '%s' is already listed by team '%s' (first defined at "
                    "%s:%u:%u)",
                    what, value, t->name, first->team->name, first->pos.file, first->pos.line,
                    first->pos.col);
    struct claim *c = rr_arena_alloc(&ld->rt->arena, sizeof *c);
    *c = (struct claim){value, t, pos_of(ld->file, n)};
    rr__map_put(m, rr__hash(RR__HASH_INIT, value, len), value, len, c);
    if (out)
        *out = c;
    return RR_OK;
}

static enum rr_err parse_namespaces(struct loader *ld, const struct rr_yaml_node *team_node,
                                    struct rr_team *t)
{
    const struct rr_yaml_node *n = opt(team_node, "namespaces");
    enum rr_err err = get_strings(ld, n, "namespaces", &t->namespaces, &t->n_namespaces);
    for (size_t i = 0; !err && i < t->n_namespaces; i++) {
        struct claim *c = NULL;
        if ((err = claim(ld, &ld->rt->namespaces, "namespace", &n->items[i], t->namespaces[i], t,
                         &c)))
            break;
        ld->ns_claims = rr_xrealloc(ld->ns_claims, (ld->n_ns_claims + 1) * sizeof *ld->ns_claims);
        ld->ns_claims[ld->n_ns_claims++] = c;
        /* An earlier team's regex would take this namespace from its owner. */
        for (size_t k = 0; k < ld->n_regexes; k++) {
            const struct regex_ref *r = &ld->regexes[k];
            if (r->team != t && rr_matcher_matches(r->m, c->value))
                return FAIL(ld, &n->items[i],
                            "namespace '%.100s' of team '%s' is matched by namespace_regex "
                            "'%.100s' of team '%s' (at %s:%u:%u)",
                            c->value, t->name, rr_matcher_value(r->m), r->team->name, r->pos.file,
                            r->pos.line, r->pos.col);
        }
    }
    return err;
}

static enum rr_err parse_namespace_regex(struct loader *ld, const struct rr_yaml_node *team_node,
                                         struct rr_team *t)
{
    const struct rr_yaml_node *n = opt(team_node, "namespace_regex");
    if (!n)
        return RR_OK;
    enum rr_err err = want_kind(ld, n, RR_YAML_SEQ, "namespace_regex");
    if (err)
        return err;
    t->namespace_regex = rr_arena_alloc(&ld->rt->arena, n->count * sizeof *t->namespace_regex);
    for (size_t i = 0; i < n->count; i++) {
        const struct rr_yaml_node *item = &n->items[i];
        const char *s = NULL;
        struct rr_diag md = {""};
        if ((err = get_string(ld, item, "namespace_regex", &s)))
            return err;
        if (rr_matcher_new("namespace", RR_MATCHER_RE, s, &t->namespace_regex[i], &md))
            return FAIL(ld, item, "team '%s': namespace_regex: %s", t->name, md.msg);
        const struct rr_matcher *m = t->namespace_regex[t->n_namespace_regex++];
        for (size_t k = 0; k < ld->n_ns_claims; k++) {
            const struct claim *c = ld->ns_claims[k];
            if (c->team != t && rr_matcher_matches(m, c->value))
                return FAIL(ld, item,
                            "team '%s': namespace_regex '%.100s' matches namespace '%.100s' of "
                            "team '%s' (listed at %s:%u:%u)",
                            t->name, s, c->value, c->team->name, c->pos.file, c->pos.line,
                            c->pos.col);
        }
        ld->regexes = rr_xrealloc(ld->regexes, (ld->n_regexes + 1) * sizeof *ld->regexes);
        ld->regexes[ld->n_regexes++] = (struct regex_ref){t, m, pos_of(ld->file, item)};
    }
    return RR_OK;
}

static enum rr_err parse_task_queues(struct loader *ld, const struct rr_yaml_node *team_node,
                                     struct rr_team *t)
{
    const struct rr_yaml_node *n = opt(team_node, "task_queues");
    enum rr_err err = get_strings(ld, n, "task_queues", &t->task_queues, &t->n_task_queues);
    for (size_t i = 0; !err && i < t->n_task_queues; i++)
        err =
            claim(ld, &ld->rt->task_queues, "task queue", &n->items[i], t->task_queues[i], t, NULL);
    return err;
}

/* slack or pagerduty: exactly one secret source among the first two or three keys of keys[]
 * (n_sources of them); pagerduty's `url` is the endpoint, not a source. */
static enum rr_err parse_channel(struct loader *ld, const struct rr_yaml_node *team_node,
                                 const struct rr_team *t, const char *channel,
                                 const char *const keys[], size_t n_sources,
                                 struct rr_secret_ref *out)
{
    const struct rr_yaml_node *n = opt(team_node, channel);
    if (!n)
        return RR_OK;
    enum rr_err err = want_kind(ld, n, RR_YAML_MAP, channel);
    if (err || (err = check_keys(ld, n, keys)))
        return err;
    const char *v[3] = {NULL, NULL, NULL};
    size_t given = 0;
    for (size_t i = 0; keys[i]; i++) {
        const struct rr_yaml_node *k = rr_yaml_map_get(n, keys[i]);
        if (!k)
            continue;
        if ((err = get_string(ld, k, keys[i], &v[i])))
            return err;
        given += i < n_sources;
        if (strstr(keys[i], "_env") && !is_identifier(v[i]))
            /* The value is not echoed: a URL or key pasted here by mistake is a secret. */
            return FAIL(ld, k,
                        "team '%s': %s %s is not an environment variable name (want "
                        "[A-Za-z_][A-Za-z0-9_]*; is a secret written here by mistake?)",
                        t->name, channel, keys[i]);
    }
    if (given != 1)
        return FAIL(ld, n, "team '%s': %s needs exactly one of %s, %s%s%s", t->name, channel,
                    keys[0], keys[1], n_sources > 2 ? ", " : "", n_sources > 2 ? keys[2] : "");
    out->configured = true;
    out->env = v[0];
    out->file = v[1];
    if (n_sources > 2)
        out->url = v[2];
    else
        out->endpoint = v[2];
    return RR_OK;
}

static enum rr_err parse_page(struct loader *ld, const struct rr_yaml_node *team_node,
                              struct rr_team *t)
{
    const struct rr_yaml_node *n = opt(team_node, "page");
    if (!n)
        return RR_OK;
    enum rr_err err = want_kind(ld, n, RR_YAML_MAP, "page");
    if (err)
        return err;
    t->page = rr_arena_alloc(&ld->rt->arena, n->count * sizeof *t->page);
    for (size_t i = 0; i < n->count; i++) {
        const char *sev = n->pairs[i].key.str;
        const struct rr_yaml_node *list = &n->pairs[i].value;
        char what[160];
        (void)snprintf(what, sizeof what, "page '%.100s'", sev);
        if ((err = want_kind(ld, list, RR_YAML_SEQ, what)))
            return err;
        unsigned channels = 0;
        for (size_t k = 0; k < list->count; k++) {
            const struct rr_yaml_node *item = &list->items[k];
            const char *ch = NULL;
            if ((err = get_string(ld, item, what, &ch)))
                return err;
            enum rr_channel bit;
            const struct rr_secret_ref *ref;
            if (strcmp(ch, "slack") == 0) {
                bit = RR_CHANNEL_SLACK;
                ref = &t->slack;
            } else if (strcmp(ch, "pagerduty") == 0) {
                bit = RR_CHANNEL_PAGERDUTY;
                ref = &t->pagerduty;
            } else {
                return FAIL(ld, item,
                            "team '%s': %s: unknown channel '%.100s' (allowed: slack, pagerduty)",
                            t->name, what, ch);
            }
            if (!ref->configured)
                return FAIL(ld, item, "team '%s': %s names %s, which the team does not configure",
                            t->name, what, ch);
            channels |= (unsigned)bit;
        }
        if (strcmp(sev, "default") == 0) {
            t->has_default = true;
            t->default_channels = channels;
        } else {
            t->page[t->n_page++] = (struct rr_page_rule){
                rr_arena_strndup(&ld->rt->arena, sev, n->pairs[i].key.len), channels};
        }
    }
    return RR_OK;
}

static enum rr_err parse_team(struct loader *ld, const struct rr_yaml_node *n, struct rr_team *t)
{
    enum rr_err err = RR_OK;
    if (n->kind != RR_YAML_MAP)
        return FAIL(ld, n, "team: expected a mapping, found a %s", rr_yaml_kind_name(n->kind));
    if ((err = check_keys(ld, n, team_keys)))
        return err;
    const struct rr_yaml_node *v = opt(n, "name");
    if (!v)
        return FAIL(ld, n, "team: missing 'name'");
    if ((err = get_string(ld, v, "name", &t->name)))
        return err;
    if (!is_team_name(t->name))
        return FAIL(ld, v, "team name '%.100s' must match [a-z0-9-]+", t->name);
    const struct rr_team *first = find_team(ld->rt, t->name);
    if (first)
        return FAIL(ld, n, "team '%s' defined twice (first defined at %s:%u:%u)", t->name,
                    first->pos.file, first->pos.line, first->pos.col);
    t->pos = pos_of(ld->file, n);
    size_t len = strlen(t->name);
    rr__map_put(&ld->rt->team_names, rr__hash(RR__HASH_INIT, t->name, len), t->name, len, t);
    char who[128];
    (void)snprintf(who, sizeof who, "team '%s'", t->name);
    if (!(v = opt(n, "layer")))
        return FAIL(ld, n, "%s: missing 'layer'", who);
    if ((err = parse_layer(ld, v, who, "layer", false, &t->layer)) ||
        (err = parse_namespaces(ld, n, t)) || (err = parse_namespace_regex(ld, n, t)) ||
        (err = parse_task_queues(ld, n, t)) ||
        (err = parse_channel(ld, n, t, "slack", slack_keys, 3, &t->slack)) ||
        (err = parse_channel(ld, n, t, "pagerduty", pagerduty_keys, 2, &t->pagerduty)))
        return err;
    return parse_page(ld, n, t);
}

/* ==== Settings ==== */

static enum rr_err parse_count(struct loader *ld, const struct rr_yaml_node *n, const char *what,
                               unsigned min, unsigned *out)
{
    const char *s = NULL;
    enum rr_err err = get_string(ld, n, what, &s);
    if (err)
        return err;
    unsigned long v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9' && v <= MAX_INTEGER)
        v = v * 10 + (unsigned long)(*p++ - '0');
    if (*p || v < min || v > MAX_INTEGER)
        return FAIL(ld, n, "%s must be an integer from %u to %d, found '%.100s'", what, min,
                    MAX_INTEGER, s);
    *out = (unsigned)v;
    return RR_OK;
}

static enum rr_err parse_window(struct loader *ld, const struct rr_yaml_node *n, const char *what,
                                int64_t *out)
{
    const char *s = NULL;
    struct rr_diag md = {""};
    int64_t ms = 0;
    enum rr_err err = get_string(ld, n, what, &s);
    if (err)
        return err;
    if (rr_duration_parse(s, &ms, &md))
        return FAIL(ld, n, "%s: %s", what, md.msg);
    if (ms <= 0)
        return FAIL(ld, n, "%s must be longer than 0", what);
    *out = ms;
    return RR_OK;
}

static enum rr_err parse_labels(struct loader *ld, const struct rr_yaml_node *n,
                                struct rr_settings *s)
{
    enum rr_err err = RR_OK;
    if (n &&
        ((err = want_kind(ld, n, RR_YAML_MAP, "labels")) || (err = check_keys(ld, n, canon_keys))))
        return err;
    for (size_t c = 0; c < RR_CANON_COUNT; c++) {
        const struct rr_yaml_node *list = n ? rr_yaml_map_get(n, canon_keys[c]) : NULL;
        if (!list) {
            for (size_t i = 0; default_labels[c][i]; i++)
                s->labels[c][i] = default_labels[c][i];
            continue;
        }
        char what[64];
        (void)snprintf(what, sizeof what, "settings.labels.%s", canon_keys[c]);
        if ((err = want_kind(ld, list, RR_YAML_SEQ, what)))
            return err;
        if (list->count >= RR_ROUTING_MAX_ALIASES)
            return FAIL(ld, list, "%s: more than %d label names", what, RR_ROUTING_MAX_ALIASES - 1);
        for (size_t i = 0; i < list->count; i++) {
            if ((err = get_string(ld, &list->items[i], what, &s->labels[c][i])))
                return err;
            if (!is_identifier(s->labels[c][i]))
                return FAIL(ld, &list->items[i], "%s: '%.100s' is not a label name", what,
                            s->labels[c][i]);
        }
    }
    return RR_OK;
}

static enum rr_err parse_settings(struct loader *ld, const struct rr_yaml_node *key,
                                  const struct rr_yaml_node *n)
{
    struct rr_settings *s = &ld->rt->settings;
    enum rr_err err = RR_OK;
    s->pos = pos_of(ld->file, key);
    s->correlation_window_ms = 10 * 60 * 1000;
    s->platform_namespaces = 3;
    s->storm_max_pages = 20;
    s->storm_window_ms = 5 * 60 * 1000;
    if (rr_yaml_is_null(n))
        n = NULL;
    if (n && ((err = want_kind(ld, n, RR_YAML_MAP, "settings")) ||
              (err = check_keys(ld, n, settings_keys))))
        return err;
    const struct rr_yaml_node *v = opt(n, "platform_team");
    const char *name = NULL;
    if (!v)
        return FAIL(ld, key, "settings: missing 'platform_team'");
    if ((err = get_string(ld, v, "platform_team", &name)))
        return err;
    if (!(s->platform_team = find_team(ld->rt, name)))
        return FAIL(ld, v, "settings: platform_team '%.100s' is not a known team", name);
    if (s->platform_team->layer != RR_LAYER_PLATFORM)
        return FAIL(ld, v, "settings: platform_team '%s' is a layer: %s team, not layer: platform",
                    name, rr_layer_name(s->platform_team->layer));
    s->unowned_team = s->platform_team;
    if ((v = opt(n, "unowned_team"))) {
        if ((err = get_string(ld, v, "unowned_team", &name)))
            return err;
        if (!(s->unowned_team = find_team(ld->rt, name)))
            return FAIL(ld, v, "settings: unowned_team '%.100s' is not a known team", name);
    }
    if ((err = parse_labels(ld, opt(n, "labels"), s)))
        return err;
    if ((v = opt(n, "correlation"))) {
        const struct rr_yaml_node *w;
        if ((err = want_kind(ld, v, RR_YAML_MAP, "correlation")) ||
            (err = check_keys(ld, v, correlation_keys)))
            return err;
        if ((w = opt(v, "window")) &&
            (err = parse_window(ld, w, "correlation.window", &s->correlation_window_ms)))
            return err;
        if ((w = opt(v, "platform_namespaces")) &&
            (err =
                 parse_count(ld, w, "correlation.platform_namespaces", 2, &s->platform_namespaces)))
            return err;
    }
    if ((v = opt(n, "storm"))) {
        const struct rr_yaml_node *w;
        if ((err = want_kind(ld, v, RR_YAML_MAP, "storm")) || (err = check_keys(ld, v, storm_keys)))
            return err;
        if ((w = opt(v, "max_pages")) &&
            (err = parse_count(ld, w, "storm.max_pages", 1, &s->storm_max_pages)))
            return err;
        if ((w = opt(v, "window")) &&
            (err = parse_window(ld, w, "storm.window", &s->storm_window_ms)))
            return err;
    }
    return RR_OK;
}

/* ==== Routes ==== */

static enum rr_err parse_match(struct loader *ld, const struct rr_yaml_node *route_node,
                               struct rr_route *r)
{
    const struct rr_yaml_node *n = opt(route_node, "match");
    if (!n)
        return FAIL(ld, route_node, "route '%s': missing 'match'", r->name);
    enum rr_err err = want_kind(ld, n, RR_YAML_SEQ, "match");
    if (err)
        return err;
    if (n->count == 0)
        return FAIL(ld, n, "route '%s': empty 'match' (a route needs at least one matcher)",
                    r->name);
    r->match = rr_arena_alloc(&ld->rt->arena, n->count * sizeof *r->match);
    for (size_t i = 0; i < n->count; i++) {
        struct rr_diag md = {""};
        if ((err = want_kind(ld, &n->items[i], RR_YAML_SCALAR, "match")))
            return err;
        if (rr_matcher_parse(n->items[i].str, &r->match[i], &md))
            return FAIL(ld, &n->items[i], "route '%s': %s", r->name, md.msg);
        r->n_match++;
    }
    return RR_OK;
}

static enum rr_err parse_kind(struct loader *ld, const struct rr_yaml_node *n, const char *who,
                              enum rr_kind *out)
{
    static const enum rr_kind kinds[] = {RR_KIND_WORKFLOW_FAILURE, RR_KIND_LATENCY,
                                         RR_KIND_QUEUE_DEPTH};
    const char *s = NULL;
    enum rr_err err = get_string(ld, n, "kind", &s);
    if (err)
        return err;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, rr_kind_name(kinds[i])) == 0) {
            *out = kinds[i];
            return RR_OK;
        }
    return FAIL(ld, n,
                "%s: unknown kind '%.100s' (allowed: workflow_failure, latency, queue_depth)", who,
                s);
}

static enum rr_err parse_route(struct loader *ld, const struct rr_yaml_node *n, struct rr_route *r)
{
    enum rr_err err = RR_OK;
    if (n->kind != RR_YAML_MAP)
        return FAIL(ld, n, "route: expected a mapping, found a %s", rr_yaml_kind_name(n->kind));
    if ((err = check_keys(ld, n, route_keys)))
        return err;
    const struct rr_yaml_node *v = opt(n, "name");
    if (!v)
        return FAIL(ld, n, "route: missing 'name'");
    if ((err = get_string(ld, v, "name", &r->name)))
        return err;
    size_t len = strlen(r->name);
    uint64_t h = rr__hash(RR__HASH_INIT, r->name, len);
    const struct rr_route *first = rr__map_get(&ld->route_names, h, r->name, len, NULL, 0);
    if (first)
        return FAIL(ld, n, "route '%.100s' defined twice (first defined at %s:%u:%u)", r->name,
                    first->pos.file, first->pos.line, first->pos.col);
    r->pos = pos_of(ld->file, n);
    rr__map_put(&ld->route_names, h, r->name, len, r);
    char who[128];
    (void)snprintf(who, sizeof who, "route '%.100s'", r->name);
    if ((err = parse_match(ld, n, r)))
        return err;
    const struct rr_yaml_node *layer = opt(n, "layer");
    if (!layer)
        return FAIL(ld, n, "%s: missing 'layer'", who);
    if ((err = parse_layer(ld, layer, who, "layer", true, &r->layer)))
        return err;
    r->fallback = r->layer;
    if ((v = opt(n, "fallback"))) {
        if (r->layer != RR_LAYER_AMBIGUOUS)
            return FAIL(ld, v, "%s: fallback is only allowed with layer: ambiguous", who);
        if ((err = parse_layer(ld, v, who, "fallback", false, &r->fallback)))
            return err;
    } else if (r->layer == RR_LAYER_AMBIGUOUS) {
        return FAIL(ld, layer, "%s: layer ambiguous needs a fallback (platform or application)",
                    who);
    }
    if ((v = opt(n, "kind")) && (err = parse_kind(ld, v, who, &r->kind)))
        return err;
    if ((v = opt(n, "team"))) {
        const char *name = NULL;
        if ((err = get_string(ld, v, "team", &name)))
            return err;
        if (!(r->team = find_team(ld->rt, name)))
            return FAIL(ld, v, "%s: unknown team '%.100s'", who, name);
        if (r->layer != RR_LAYER_AMBIGUOUS && r->team->layer != r->layer)
            return FAIL(ld, v, "%s: team '%s' is a %s team, but the route's layer is %s", who, name,
                        rr_layer_name(r->team->layer), rr_layer_name(r->layer));
    }
    if ((v = opt(n, "runbook"))) {
        if ((err = get_string(ld, v, "runbook", &r->runbook)))
            return err;
        r->runbook_pos = pos_of(ld->file, v);
    }
    return RR_OK;
}

/* ==== Files ==== */

static const char *const yaml_suffixes[] = {".yml", ".yaml", NULL};
static const struct rr_dir_walk routing_files = {.suffixes = yaml_suffixes,
                                                 .max_files = RR_ROUTING_MAX_FILES,
                                                 .max_depth = RR_ROUTING_MAX_DEPTH,
                                                 .noun = "YAML files"};

/* The key node of the pair holding key in map (a position for `settings:` even when null). */
static const struct rr_yaml_node *key_node(const struct rr_yaml_node *map, const char *key)
{
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->pairs[i].key.str, key) == 0)
            return &map->pairs[i].key;
    return NULL;
}

struct settings_src {
    const char *file;
    const struct rr_yaml_node *key;
    const struct rr_yaml_node *value;
};

/* First pass over one file: top-level keys, shapes, counts, and settings defined once. */
static enum rr_err scan_file(struct loader *ld, const struct rr_yaml_node *root,
                             struct settings_src *settings, size_t *n_teams, size_t *n_routes)
{
    enum rr_err err = check_keys(ld, root, top_keys);
    if (err)
        return err;
    const struct rr_yaml_node *v;
    if ((v = opt(root, "teams"))) {
        if ((err = want_kind(ld, v, RR_YAML_SEQ, "teams")))
            return err;
        *n_teams += v->count;
    }
    if ((v = opt(root, "routes"))) {
        if ((err = want_kind(ld, v, RR_YAML_SEQ, "routes")))
            return err;
        *n_routes += v->count;
    }
    const struct rr_yaml_node *key = key_node(root, "settings");
    if (key) {
        if (settings->key)
            return FAIL(ld, key, "settings defined twice (first defined at %s:%u:%u)",
                        settings->file, settings->key->line, settings->key->col);
        *settings = (struct settings_src){ld->file, key, rr_yaml_map_get(root, "settings")};
    }
    return RR_OK;
}

enum rr_err rr_routing_load(const char *dir, struct rr_routing **out, struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    struct rr_dir_files files = {NULL, 0};
    struct rr_yaml_doc **docs = NULL;
    const char **names = NULL;
    struct rr_routing *rt = rr_xcalloc(1, sizeof *rt);
    struct loader ld = {.rt = rt, .diag = diag};
    struct settings_src settings = {NULL, NULL, NULL};
    size_t n_teams = 0, n_routes = 0;

    if ((err = rr_dir_files(dir, &routing_files, &files, diag)))
        goto out;
    docs = rr_xcalloc(files.n, sizeof *docs);
    names = rr_xcalloc(files.n, sizeof *names);
    for (size_t i = 0; i < files.n; i++) {
        names[i] = rr_arena_strndup(&rt->arena, files.paths[i], strlen(files.paths[i]));
        if ((err = rr_yaml_load_file(names[i], &docs[i], diag)))
            goto out;
    }
    for (size_t i = 0; i < files.n; i++) {
        const struct rr_yaml_node *root = rr_yaml_root(docs[i]);
        ld.file = names[i];
        if (root && (err = scan_file(&ld, root, &settings, &n_teams, &n_routes)))
            goto out;
    }
    if (n_teams > RR_ROUTING_MAX_TEAMS || n_routes > RR_ROUTING_MAX_ROUTES) {
        err = rr_diag_set(diag, RR_ERR_LIMIT, "%s: more than %d teams or %d routes", dir,
                          RR_ROUTING_MAX_TEAMS, RR_ROUTING_MAX_ROUTES);
        goto out;
    }
    rt->teams = rr_arena_alloc(&rt->arena, n_teams * sizeof *rt->teams);
    rt->routes = rr_arena_alloc(&rt->arena, n_routes * sizeof *rt->routes);
    for (size_t i = 0; i < files.n; i++) {
        const struct rr_yaml_node *teams = opt(rr_yaml_root(docs[i]), "teams");
        ld.file = names[i];
        for (size_t k = 0; teams && k < teams->count; k++) {
            struct rr_team *t = &rt->teams[rt->n_teams];
            t->index = rt->n_teams++; /* counted first, so rr_routing_free frees its regexes */
            if ((err = parse_team(&ld, &teams->items[k], t)))
                goto out;
        }
    }
    if (!settings.key) {
        err = rr_diag_set(diag, RR_ERR_CONFIG, "%s: settings missing (no file defines 'settings')",
                          dir);
        goto out;
    }
    ld.file = settings.file;
    if ((err = parse_settings(&ld, settings.key, settings.value)))
        goto out;
    for (size_t i = 0; i < files.n; i++) {
        const struct rr_yaml_node *routes = opt(rr_yaml_root(docs[i]), "routes");
        ld.file = names[i];
        for (size_t k = 0; routes && k < routes->count; k++) {
            struct rr_route *r = &rt->routes[rt->n_routes];
            r->index = rt->n_routes++;
            if ((err = parse_route(&ld, &routes->items[k], r)))
                goto out;
        }
    }
    rt->index = rr__route_index_new(rt->routes, rt->n_routes);
    *out = rt;
    rt = NULL;
out:
    for (size_t i = 0; docs && i < files.n; i++)
        rr_yaml_doc_free(docs[i]);
    rr_dir_files_release(&files);
    free(docs);
    free(names);
    free(ld.ns_claims);
    free(ld.regexes);
    rr__map_release(&ld.route_names);
    rr_routing_free(rt);
    return err;
}

void rr_routing_free(struct rr_routing *rt)
{
    if (!rt)
        return;
    rr__route_index_free(rt->index);
    for (size_t i = 0; i < rt->n_teams; i++)
        for (size_t k = 0; k < rt->teams[i].n_namespace_regex; k++)
            rr_matcher_free(rt->teams[i].namespace_regex[k]);
    for (size_t i = 0; i < rt->n_routes; i++)
        for (size_t k = 0; k < rt->routes[i].n_match; k++)
            rr_matcher_free(rt->routes[i].match[k]);
    rr__map_release(&rt->team_names);
    rr__map_release(&rt->namespaces);
    rr__map_release(&rt->task_queues);
    rr_arena_release(&rt->arena);
    free(rt);
}

/* ==== Lookups ==== */

const struct rr_settings *rr_routing_settings(const struct rr_routing *rt)
{
    return &rt->settings;
}

size_t rr_routing_team_count(const struct rr_routing *rt)
{
    return rt->n_teams;
}

const struct rr_team *rr_routing_team_at(const struct rr_routing *rt, size_t i)
{
    return i < rt->n_teams ? &rt->teams[i] : NULL;
}

size_t rr_routing_route_count(const struct rr_routing *rt)
{
    return rt->n_routes;
}

const struct rr_route *rr_routing_route_at(const struct rr_routing *rt, size_t i)
{
    return i < rt->n_routes ? &rt->routes[i] : NULL;
}

const struct rr_team *rr_routing_team(const struct rr_routing *rt, const char *name)
{
    return name ? find_team(rt, name) : NULL;
}

static const struct rr_team *owner_of(const struct rr_routing *rt, const char *ns)
{
    const struct claim *c = find_claim(&rt->namespaces, ns, strlen(ns));
    if (c)
        return c->team;
    for (size_t i = 0; i < rt->n_teams; i++)
        for (size_t k = 0; k < rt->teams[i].n_namespace_regex; k++)
            if (rr_matcher_matches(rt->teams[i].namespace_regex[k], ns))
                return &rt->teams[i];
    return NULL;
}

const struct rr_team *rr_routing_namespace_owner(const struct rr_routing *rt, const char *ns)
{
    if (!ns || !*ns)
        return NULL;
    const struct rr_team *t = owner_of(rt, ns);
    const char *dot = strrchr(ns, '.');
    if (t || !dot || dot == ns)
        return t;
    /* Temporal Cloud names namespaces `<ns>.<account>`; teams list the `<ns>` they created. */
    char local[256];
    size_t len = (size_t)(dot - ns);
    char *base = len < sizeof local ? local : rr_xmalloc(len + 1);
    memcpy(base, ns, len);
    base[len] = '\0';
    t = owner_of(rt, base);
    if (base != local)
        free(base);
    return t;
}

const struct rr_team *rr_routing_task_queue_owner(const struct rr_routing *rt,
                                                  const char *task_queue)
{
    if (!task_queue)
        return NULL;
    const struct claim *c = find_claim(&rt->task_queues, task_queue, strlen(task_queue));
    return c ? c->team : NULL;
}

const struct rr_route *rr_routing_match(const struct rr_routing *rt,
                                        const struct rr_labelset *labels)
{
    size_t i = rr__route_index_match(rt->index, rt->routes, labels);
    return i == SIZE_MAX ? NULL : &rt->routes[i];
}

void rr_routing_index_stats(const struct rr_routing *rt, struct rr_routing_index_stats *out)
{
    rr__route_index_stats(rt->index, out);
}

unsigned rr_team_channels(const struct rr_team *team, const char *severity)
{
    for (size_t i = 0; severity && i < team->n_page; i++)
        if (strcmp(team->page[i].severity, severity) == 0)
            return team->page[i].channels;
    if (team->has_default)
        return team->default_channels;
    return team->slack.configured ? (unsigned)RR_CHANNEL_SLACK : 0;
}

enum rr_err rr_routing_check_runbooks(const struct rr_routing *rt, rr_runbook_exists_fn exists,
                                      void *ctx, struct rr_diag *diag)
{
    for (size_t i = 0; i < rt->n_routes; i++) {
        const struct rr_route *r = &rt->routes[i];
        if (r->runbook && !exists(r->runbook, ctx))
            return rr_diag_set(
                diag, RR_ERR_CONFIG, "%s:%u:%u: route '%.100s': unknown runbook '%.100s'",
                r->runbook_pos.file, r->runbook_pos.line, r->runbook_pos.col, r->name, r->runbook);
    }
    return RR_OK;
}

const char *rr_layer_name(enum rr_layer layer)
{
    switch (layer) {
    case RR_LAYER_PLATFORM:
        return "platform";
    case RR_LAYER_APPLICATION:
        return "application";
    case RR_LAYER_AMBIGUOUS:
        return "ambiguous";
    }
    return "unknown";
}

const char *rr_kind_name(enum rr_kind kind)
{
    switch (kind) {
    case RR_KIND_NONE:
        return "none";
    case RR_KIND_WORKFLOW_FAILURE:
        return "workflow_failure";
    case RR_KIND_LATENCY:
        return "latency";
    case RR_KIND_QUEUE_DEPTH:
        return "queue_depth";
    case RR_KIND_OTHER:
        return "other";
    }
    return "unknown";
}

const char *rr_channel_name(enum rr_channel ch)
{
    switch (ch) {
    case RR_CHANNEL_SLACK:
        return "slack";
    case RR_CHANNEL_PAGERDUTY:
        return "pagerduty";
    }
    return "unknown";
}

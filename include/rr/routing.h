/*
 * routing: the routing table of `routing/` (PRODUCT §4) as an immutable, indexed structure.
 *
 * Every *.yml / *.yaml file under the directory (recursively) is read in lexical path order;
 * a file may hold `settings`, `teams` and `routes`. Every validation of PRODUCT §4 is a load
 * error "file:line:column: message": unknown keys at any level, duplicate team or route names,
 * an exact namespace or task queue claimed twice, one team's exact namespace matched by another
 * team's namespace_regex, a route naming an unknown team or runbook (runbooks are checked by
 * the caller through rr_routing_check_runbooks), ambiguous without fallback or fallback
 * without ambiguous, a non-ambiguous route whose team has another layer, an empty match, a
 * page entry naming a channel the team does not configure, settings missing or twice, a
 * platform_team that is not a platform team.
 *
 * Lookups are indexed: namespaces and task queues by hash; routes by an index over their most
 * selective matcher (an equality, a regex's literal prefix, or a literal every value the regex
 * accepts contains), so the first matching route is found without running every route's
 * regexes (PRODUCT §11: < 10 µs at 10 000 routes).
 *
 * Memory: a struct rr_routing owns everything in it; every pointer it hands out is borrowed
 * until rr_routing_free(). Thread: immutable after load; any number of threads may read it.
 * A reload builds a new table and swaps the pointer (see serve).
 */
#ifndef RR_ROUTING_H
#define RR_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rr/alert.h"
#include "rr/err.h"

struct rr_matcher;

enum rr_layer { RR_LAYER_PLATFORM = 0, RR_LAYER_APPLICATION = 1, RR_LAYER_AMBIGUOUS = 2 };
enum rr_kind {
    RR_KIND_NONE = 0, /* route: not set */
    RR_KIND_WORKFLOW_FAILURE,
    RR_KIND_LATENCY,
    RR_KIND_QUEUE_DEPTH,
    RR_KIND_OTHER,
};

/* The five canonical labels of PRODUCT §5 step 1. */
enum rr_canon {
    RR_CANON_NAMESPACE,
    RR_CANON_TEAM,
    RR_CANON_TASK_QUEUE,
    RR_CANON_WORKFLOW_TYPE,
    RR_CANON_CLUSTER,
    RR_CANON_COUNT
};

/* Channels as bits, so a page policy entry is one small integer. */
enum rr_channel { RR_CHANNEL_SLACK = 1 << 0, RR_CHANNEL_PAGERDUTY = 1 << 1 };

#define RR_ROUTING_MAX_ALIASES 16     /* alert label names per canonical label */
#define RR_ROUTING_MAX_FILES   10000  /* *.yml / *.yaml files under the directory */
#define RR_ROUTING_MAX_DEPTH   16     /* directories nested below the routing directory */
#define RR_ROUTING_MAX_TEAMS   10000  /* teams across all files */
#define RR_ROUTING_MAX_ROUTES  200000 /* routes across all files */

struct rr_source_pos {
    const char *file; /* borrowed: path as loaded */
    unsigned line;    /* 1-based */
    unsigned col;     /* 1-based */
};

/* Where a channel's secret comes from; at most one of env/file/url is set. */
struct rr_secret_ref {
    const char *env;      /* environment variable name, or NULL */
    const char *file;     /* file path, or NULL */
    const char *url;      /* literal, non-secret value (tests), or NULL */
    const char *endpoint; /* pagerduty `url:` override of the Events API endpoint, or NULL */
    bool configured;      /* the team declared this channel */
};

struct rr_page_rule {
    const char *severity; /* severity label value; "default" rule is kept separately */
    unsigned channels;    /* enum rr_channel bits; 0 = no page */
};

struct rr_team {
    const char *name;        /* [a-z0-9-]+ */
    enum rr_layer layer;     /* platform or application */
    const char **namespaces; /* exact namespaces owned */
    size_t n_namespaces;
    struct rr_matcher **namespace_regex; /* anchored; matched against the namespace value */
    size_t n_namespace_regex;
    const char **task_queues;
    size_t n_task_queues;
    struct rr_secret_ref slack;
    struct rr_secret_ref pagerduty;
    struct rr_page_rule *page; /* explicit severity rules, file order */
    size_t n_page;
    bool has_default;          /* `default:` given */
    unsigned default_channels; /* channels for a missing or unmapped severity */
    size_t index;              /* position in file order */
    struct rr_source_pos pos;  /* where the team is declared */
};

struct rr_route {
    const char *name;
    struct rr_matcher **match; /* all must hold */
    size_t n_match;
    enum rr_layer layer;        /* platform, application or ambiguous */
    enum rr_layer fallback;     /* for ambiguous: platform or application */
    enum rr_kind kind;          /* RR_KIND_NONE when not set */
    const struct rr_team *team; /* explicit owner, or NULL */
    const char *runbook;        /* explicit runbook id, or NULL */
    size_t index;               /* position across files; first match wins */
    struct rr_source_pos pos;
    struct rr_source_pos runbook_pos; /* where `runbook:` is, when runbook is set */
};

struct rr_settings {
    const struct rr_team *platform_team;
    const struct rr_team *unowned_team;                         /* defaults to platform_team */
    const char *labels[RR_CANON_COUNT][RR_ROUTING_MAX_ALIASES]; /* NULL-terminated lists */
    int64_t correlation_window_ms;                              /* default 10m */
    unsigned platform_namespaces;                               /* default 3, at least 2 */
    unsigned storm_max_pages;                                   /* default 20 */
    int64_t storm_window_ms;                                    /* default 5m */
    struct rr_source_pos pos;
};

struct rr_routing;

/* Loads the directory. @param[out] out owned, free with rr_routing_free(). Errors as above;
 * RR_ERR_IO when the directory or a file cannot be read, RR_ERR_CONFIG for every rule
 * violation (including unknown keys and wrong node types), RR_ERR_INVAL for malformed YAML
 * (rr_yaml_parse's message), RR_ERR_LIMIT past a cap (a file over RR_YAML_MAX_BYTES, more than
 * RR_ROUTING_MAX_FILES files, ...). Files and directories whose name starts with '.' are
 * skipped, as a shell glob would. */
RR_NODISCARD enum rr_err rr_routing_load(const char *dir, struct rr_routing **out,
                                         struct rr_diag *diag);
void rr_routing_free(struct rr_routing *routing);

const struct rr_settings *rr_routing_settings(const struct rr_routing *routing);
size_t rr_routing_team_count(const struct rr_routing *routing);
const struct rr_team *rr_routing_team_at(const struct rr_routing *routing, size_t i);
size_t rr_routing_route_count(const struct rr_routing *routing);
const struct rr_route *rr_routing_route_at(const struct rr_routing *routing, size_t i);

/* Team by name, or NULL. */
const struct rr_team *rr_routing_team(const struct rr_routing *routing, const char *name);
/* Owner of a namespace: exact `namespaces`, else the first team (file order) whose
 * namespace_regex matches; a Temporal Cloud `<ns>.<account>` nobody owns is looked up again as
 * the part before its last '.'. NULL when nobody owns it. */
const struct rr_team *rr_routing_namespace_owner(const struct rr_routing *routing, const char *ns);
/* Owner of a task queue through `task_queues`, or NULL. */
const struct rr_team *rr_routing_task_queue_owner(const struct rr_routing *routing,
                                                  const char *task_queue);
/* The first route (in table order) whose matchers all hold on labels, or NULL. */
const struct rr_route *rr_routing_match(const struct rr_routing *routing,
                                        const struct rr_labelset *labels);
/* The channels a team pages for a severity value (NULL = missing label), PRODUCT §4. */
unsigned rr_team_channels(const struct rr_team *team, const char *severity);

/* Calls fn for every route naming a runbook, so the caller can check it exists; the first
 * non-OK return stops and is returned with "file:line:col: route 'x': ..." in diag. */
typedef bool (*rr_runbook_exists_fn)(const char *id, void *ctx);
RR_NODISCARD enum rr_err rr_routing_check_runbooks(const struct rr_routing *routing,
                                                   rr_runbook_exists_fn exists, void *ctx,
                                                   struct rr_diag *diag);

/* How the route index filed the routes (what rr_routing_match() has to try for an alert):
 * each route sits under exactly one of these. For tests and benchmarks. */
struct rr_routing_index_stats {
    size_t exact;     /* routes filed under one `name="value"` (or a regex matching one value) */
    size_t prefix;    /* routes filed under the literal prefix of a `=~` regex */
    size_t substring; /* routes filed under a literal every value the `=~` regex accepts holds */
    size_t always;    /* routes with none of those: tried for every alert */
};
void rr_routing_index_stats(const struct rr_routing *routing, struct rr_routing_index_stats *out);

const char *rr_layer_name(enum rr_layer layer);  /* "platform", "application", "ambiguous" */
const char *rr_kind_name(enum rr_kind kind);     /* "workflow_failure", ... "other" */
const char *rr_channel_name(enum rr_channel ch); /* "slack", "pagerduty" */

#endif

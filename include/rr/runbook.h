/*
 * runbook: the runbooks of `runbooks/` (PRODUCT §6) — loading, sections, selection, HTML.
 *
 * One Markdown file per runbook (*.md, recursively, lexical order) with YAML front matter:
 * id (default: file name without .md), title, alerts (alertnames, "*" for a generic one),
 * match (Alertmanager matchers on the received labels), layer, owner. Load errors, as
 * "file:line:column: message": no front matter, no `alerts`, a duplicate id, unknown keys,
 * a bad matcher or layer.
 *
 * The body's four required sections are the `##` headings Diagnosis, Remediation, Terminate
 * and restart, Escalation, matched case-insensitively. Their presence, content and the number
 * of failure modes under Remediation (list items at the section's top level, or `###`
 * subsections) are recorded, not enforced at load: `check` and `coverage` judge them.
 *
 * Memory: struct rr_runbooks owns every runbook; pointers are borrowed until
 * rr_runbooks_free(). Thread: immutable after load, readable from any thread.
 */
#ifndef RR_RUNBOOK_H
#define RR_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "rr/alert.h"
#include "rr/buf.h"
#include "rr/err.h"
#include "rr/routing.h"

#define RR_RUNBOOK_MAX_FILE_BYTES (256 * 1024) /* a runbook file */
#define RR_RUNBOOK_MAX_FILES      20000        /* runbooks per directory */
#define RR_RUNBOOK_EXCERPT_LINES  5            /* Diagnosis lines carried in pages */
#define RR_RUNBOOK_EXCERPT_BYTES  1200

enum rr_section { RR_SECTION_DIAGNOSIS, RR_SECTION_REMEDIATION, RR_SECTION_TERMINATE,
                  RR_SECTION_ESCALATION, RR_SECTION_COUNT };

struct rr_runbook_section {
    bool present;     /* the heading exists */
    bool has_content; /* something other than whitespace under it */
    unsigned line;    /* 1-based line of the heading in the file, 0 when absent */
    const char *text; /* borrowed: the section's Markdown (without the heading); "" if absent */
};

struct rr_runbook {
    const char *id;
    const char *title;                 /* "" when not given */
    const char **alerts;               /* alertnames; "*" allowed */
    size_t n_alerts;
    struct rr_matcher **match;         /* extra matchers, all must hold */
    size_t n_match;
    bool has_layer;
    enum rr_layer layer;               /* when has_layer */
    const char *owner;                 /* team name, or NULL */
    const char *path;                  /* file as loaded */
    const char *body;                  /* Markdown after the front matter */
    struct rr_runbook_section sections[RR_SECTION_COUNT];
    unsigned failure_modes;            /* list items or ### subsections under Remediation */
    const char *excerpt;               /* first lines of Diagnosis, plain text */
};

struct rr_runbooks;

RR_NODISCARD enum rr_err rr_runbooks_load(const char *dir, struct rr_runbooks **out,
                                          struct rr_diag *diag);
void rr_runbooks_free(struct rr_runbooks *runbooks);

size_t rr_runbooks_count(const struct rr_runbooks *runbooks);
const struct rr_runbook *rr_runbooks_at(const struct rr_runbooks *runbooks, size_t i);
/* By id, or NULL. */
const struct rr_runbook *rr_runbooks_find(const struct rr_runbooks *runbooks, const char *id);

/*
 * The runbook for an alert (PRODUCT §6): eligible when its alerts list the alertname (or "*"),
 * every match holds on the received labels, and its layer (if set) equals the decided layer.
 * Rank: a named alertname over "*", then more matchers, then owner == team, then the smallest
 * id in byte order. allow_generic=false ignores "*" runbooks (coverage --no-generic).
 * NULL when none is eligible.
 */
const struct rr_runbook *rr_runbooks_select(const struct rr_runbooks *runbooks,
                                            const struct rr_labelset *labels,
                                            enum rr_layer layer, const char *team,
                                            bool allow_generic);

/* Canonical heading of a section ("Diagnosis", "Remediation", ...). */
const char *rr_section_name(enum rr_section s);

/* Renders the runbook as a standalone HTML page (escaped; no external assets). */
RR_NODISCARD enum rr_err rr_runbook_render_html(const struct rr_runbook *rb, struct rr_buf *out);

#endif

/*
 * runbook: the runbooks of `runbooks/` (PRODUCT §6) — loading, sections, selection, HTML.
 *
 * One Markdown file per runbook (*.md, recursively, lexical path order; names starting with '.'
 * are skipped, so editor files and the `..data` links of a Kubernetes ConfigMap are not read
 * twice) with YAML front matter: id (default: file name without .md), title, alerts
 * (alertnames, "*" for a generic one), match (Alertmanager matchers on the received labels),
 * layer, owner. Load errors, as "file:line:column: message": invalid UTF-8 or a NUL byte, no
 * front matter, no `alerts`, a duplicate id, unknown keys, a bad id, matcher or layer, a value
 * of the wrong type. An id becomes a URL path segment (`/runbooks/{id}`), so it may not hold
 * '/', a backslash, '?', '#', '%', whitespace or control characters, nor be "." or "..".
 *
 * The body's four required sections are the `##` headings Diagnosis, Remediation, Terminate
 * and restart, Escalation, matched case-insensitively (runs of blanks count as one space;
 * headings inside fenced code are not headings). A section runs to the next heading of level
 * 1 or 2. Their presence, content (an HTML comment alone is not content) and the number of
 * failure modes under Remediation (`###` subsections when there are any, else list items at
 * the section's top level) are recorded, not enforced at load: `check` and `coverage` judge
 * them.
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
#define RR_RUNBOOK_MAX_DEPTH      16  /* directories nested under the runbook dir */
#define RR_RUNBOOK_MAX_ID_BYTES   128 /* bytes in an id */

enum rr_section {
    RR_SECTION_DIAGNOSIS,
    RR_SECTION_REMEDIATION,
    RR_SECTION_TERMINATE,
    RR_SECTION_ESCALATION,
    RR_SECTION_COUNT
};

struct rr_runbook_section {
    bool present;     /* the heading exists */
    bool has_content; /* something other than whitespace under it */
    unsigned line;    /* 1-based line of the heading in the file, 0 when absent */
    const char *text; /* borrowed: the section's Markdown (without the heading); "" if absent */
};

struct rr_runbook {
    const char *id;
    const char *title;   /* "" when not given */
    const char **alerts; /* alertnames; "*" allowed */
    size_t n_alerts;
    struct rr_matcher **match; /* extra matchers, all must hold */
    size_t n_match;
    bool has_layer;
    enum rr_layer layer; /* when has_layer */
    const char *owner;   /* team name, or NULL */
    const char *path;    /* file as loaded */
    const char *body;    /* Markdown after the front matter */
    struct rr_runbook_section sections[RR_SECTION_COUNT];
    unsigned failure_modes; /* list items or ### subsections under Remediation */
    const char *excerpt;    /* first RR_RUNBOOK_EXCERPT_LINES non-empty lines of
                               Diagnosis, trimmed, '\n'-joined, at most
                               RR_RUNBOOK_EXCERPT_BYTES; "" without Diagnosis */
    bool generic;           /* alerts holds "*" */
};

struct rr_runbooks;

/**
 * Loads every runbook under dir.
 *
 * @param dir       borrowed; errors name files as dir + "/" + the path below it
 * @param[out] out  on RR_OK: owned index (possibly empty), free with rr_runbooks_free()
 * @param[out] diag optional; "runbooks/a.md:3:9: unknown key 'x' (allowed: ...)"
 * @return RR_OK; RR_ERR_IO when a directory or file cannot be read; RR_ERR_LIMIT over
 *         RR_RUNBOOK_MAX_FILES, RR_RUNBOOK_MAX_FILE_BYTES or RR_RUNBOOK_MAX_DEPTH; RR_ERR_INVAL
 *         for malformed input (no or unclosed front matter, YAML syntax, invalid UTF-8, a NUL
 *         byte: exit 3); RR_ERR_CONFIG for every rule violation (exit 1 from `check`).
 */
RR_NODISCARD enum rr_err rr_runbooks_load(const char *dir, struct rr_runbooks **out,
                                          struct rr_diag *diag);
/* Frees the index and every runbook in it. NULL-safe. */
void rr_runbooks_free(struct rr_runbooks *runbooks);

/* Runbooks in lexical path order; 0 for NULL. */
size_t rr_runbooks_count(const struct rr_runbooks *runbooks);
const struct rr_runbook *rr_runbooks_at(const struct rr_runbooks *runbooks, size_t i);
/* By id (binary search), or NULL; NULL for a NULL index. */
const struct rr_runbook *rr_runbooks_find(const struct rr_runbooks *runbooks, const char *id);

/*
 * The runbook for an alert (PRODUCT §6): eligible when its alerts list the alertname (or "*"),
 * every match holds on the received labels, and its layer (if set) equals the decided layer.
 * Rank: a named alertname over "*", then more matchers, then owner == team, then the smallest
 * id in byte order. allow_generic=false ignores "*" runbooks (coverage --no-generic).
 * NULL when none is eligible, or runbooks is NULL. team may be NULL (no owner preference).
 * Indexed by alertname: only the runbooks naming it and the "*" runbooks are looked at.
 */
const struct rr_runbook *rr_runbooks_select(const struct rr_runbooks *runbooks,
                                            const struct rr_labelset *labels, enum rr_layer layer,
                                            const char *team, bool allow_generic);

/* Canonical heading of a section ("Diagnosis", "Remediation", ...). */
const char *rr_section_name(enum rr_section s);

/**
 * Appends the runbook as a standalone HTML5 page (src/runbook_html.c): title, id, alerts,
 * match, layer, owner, a note on missing or empty sections, then the body (HTML comments
 * dropped) in a small Markdown subset: headings, paragraphs, nested lists, fenced code, pipe
 * tables, `code`, **bold**, [links](https://...). Every byte of runbook text is HTML-escaped
 * (& < > " '); links are made only for http and https URLs; inline CSS, no JavaScript, and a
 * Content-Security-Policy that forbids scripts, so a runbook can never inject behaviour into
 * the page.
 *
 * @return RR_OK; RR_ERR_LIMIT when out's cap is reached (out is then left as it was).
 */
RR_NODISCARD enum rr_err rr_runbook_render_html(const struct rr_runbook *rb, struct rr_buf *out);

/*
 * Markdown, read one line at a time (src/markdown.c): the block structure that section
 * parsing, failure-mode counting, the excerpt and the HTML page share, so they agree on what is
 * a heading, a list item or code. Recognised: ATX headings (indent up to 3), fenced code (```
 * or ~~~ at any indent, closed by a run of the same character at least as long; an unclosed
 * fence runs to the end), list items (-, *, +, 1. or 1) followed by a blank or the line end),
 * thematic breaks. Everything else (setext headings, indented code, quotes, tables) is text.
 */
enum rr_md_kind {
    RR_MD_BLANK,   /* only blanks */
    RR_MD_TEXT,    /* any other line outside code */
    RR_MD_HEADING, /* `#` to `######` */
    RR_MD_ITEM,    /* a list item's first line */
    RR_MD_BREAK,   /* thematic break: ---, *** or ___ */
    RR_MD_FENCE,   /* a line opening or closing fenced code */
    RR_MD_CODE,    /* a line inside fenced code */
};

struct rr_md_line {
    enum rr_md_kind kind;
    const char *start;    /* borrowed from the text; not NUL-terminated */
    size_t len;           /* bytes, without the line break */
    unsigned lineno;      /* 1-based, counted from the reader's first line */
    unsigned indent;      /* columns of leading blanks (tabs stop every 4 columns) */
    unsigned level;       /* heading: 1-6; else 0 */
    bool ordered;         /* item: numbered */
    unsigned long number; /* item: its number when ordered */
    unsigned content_col; /* item: column where its text starts (nested items start there) */
    const char *content;  /* heading: title without #'s; item: text after the marker; fence:
                             info string; code: the line less the fence's indent; else the
                             line without surrounding blanks. Borrowed, not NUL-terminated */
    size_t content_len;   /* bytes in content */
};

/* Reader state; caller-owned storage, no allocation. */
struct rr_md_reader {
    const char *p;         /* next line; borrowed */
    const char *end;       /* end of the text */
    unsigned lineno;       /* number of the next line */
    bool in_fence;         /* inside fenced code */
    char fence_char;       /* '`' or '~' */
    size_t fence_len;      /* length of the opening run */
    unsigned fence_indent; /* indent of the opening fence */
};

/* Starts reading len bytes of text (borrowed until reading ends) whose first line is
 * first_line. Cannot fail. */
void rr_md_reader_init(struct rr_md_reader *r, const char *text, size_t len, unsigned first_line);
/* Reads the next line into *line; false at the end of the text. */
bool rr_md_next(struct rr_md_reader *r, struct rr_md_line *line);

/* Where a section's text lies in a runbook body. */
struct rr_md_span {
    bool present;  /* the heading exists */
    unsigned line; /* line of the heading, counted from first_line; 0 when absent */
    size_t off;    /* byte offset of the text (the line after the heading) in the body */
    size_t len;    /* bytes of text, up to the next heading of level 1 or 2 or the end */
};

/* Finds the four sections in a runbook body (NUL-terminated, borrowed) whose first line is
 * first_line: `##` headings matched as the module comment says, outside fenced code; when a
 * heading repeats, the first one counts. Cannot fail. */
void rr_md_find_sections(const char *body, unsigned first_line,
                         struct rr_md_span spans[RR_SECTION_COUNT]);
/* The text without its HTML comments (`<!-- ... -->`, across lines; an unclosed one runs to the
 * end), fenced code left alone: authors leave notes in comments, and no reader of a runbook
 * should count or show them. Owned, free(). */
char *rr_md_strip_comments(const char *text);
/* True when text holds something other than blanks and HTML comments. */
bool rr_md_has_content(const char *text);
/* The failure modes a Remediation section's text names: its `###` subsections when there are
 * any, else its top-level list items that have text (nested items and items inside fenced code
 * do not count). */
unsigned rr_md_failure_modes(const char *text);
/* The excerpt of a Diagnosis section's text, as rr_runbook.excerpt describes it: non-empty
 * lines trimmed (list markers kept, heading #'s, fence lines, thematic breaks, HTML comments
 * and "**" outside code dropped). Owned, free(). */
char *rr_md_excerpt(const char *text);

#endif

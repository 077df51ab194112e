/*
 * yaml: a YAML file as a small immutable tree of scalars, sequences and mappings, each node
 * carrying the 1-based line and column it starts at, so loaders can say `file:line:column`.
 *
 * It is libyaml's event stream (<yaml.h> stays inside yaml.c) folded into a tree, with the
 * config-file subset enforced at load time: exactly one document; mapping keys are scalars and
 * unique within their mapping (compared byte for byte, so `"a"` and `a` collide); no anchors,
 * aliases or explicit tags (aliases are how "billion laughs" documents blow up, and tags would
 * give scalars a second typing system); no NUL characters in scalars (so every scalar is a C
 * string). Scalars stay text: the tree does no implicit typing, it records whether a scalar
 * was plain or quoted and leaves `yes`, `1` or `null` to the loader. Columns count characters
 * (Unicode code points), as libyaml does. Inputs are capped by RR_YAML_MAX_BYTES,
 * RR_YAML_MAX_DEPTH and RR_YAML_MAX_NODES.
 *
 * It is not a YAML writer, not a schema validator and not a general YAML 1.2 loader.
 *
 * Memory: a struct rr_yaml_doc owns every node and string in it; nodes are borrowed until
 * rr_yaml_doc_free(). Thread: a document is immutable after load and may be read from any
 * thread; loading has no shared state.
 */
#ifndef RR_YAML_H
#define RR_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "rr/err.h"

#define RR_YAML_MAX_BYTES ((size_t)1 << 20) /* largest file or buffer accepted, bytes */
#define RR_YAML_MAX_DEPTH 64                /* sequences and mappings nested in each other */
#define RR_YAML_MAX_NODES 100000            /* scalars + sequences + mappings per document */

enum rr_yaml_kind {
    RR_YAML_SCALAR,
    RR_YAML_SEQ,
    RR_YAML_MAP,
};

struct rr_yaml_pair;

/* One node. All pointers are borrowed from the document that holds the node. */
struct rr_yaml_node {
    enum rr_yaml_kind kind;
    unsigned line;                    /* 1-based line of the node's first character */
    unsigned col;                     /* 1-based column of it, in characters */
    bool quoted;                      /* scalar: not plain ('…', "…", | or >); else false */
    const char *str;                  /* scalar: text, NUL-terminated; else NULL */
    size_t len;                       /* scalar: bytes in str, excluding the NUL; else 0 */
    size_t count;                     /* sequence: items; mapping: pairs; scalar: 0 */
    const struct rr_yaml_node *items; /* sequence: count items in order; else NULL */
    const struct rr_yaml_pair *pairs; /* mapping: count pairs in file order; else NULL */
};

/* One mapping entry. The key is always a scalar. */
struct rr_yaml_pair {
    struct rr_yaml_node key;
    struct rr_yaml_node value;
};

/* A loaded document: opaque, owns the tree. */
struct rr_yaml_doc;

/**
 * Parses len bytes of YAML text into a document.
 *
 * @param name     how errors name the input, usually the file path; borrowed (copied)
 * @param text     the YAML; borrowed, need not be NUL-terminated
 * @param len      bytes in text (at most RR_YAML_MAX_BYTES)
 * @param[out] out on RR_OK: owned document, free with rr_yaml_doc_free()
 * @param[out] diag optional; on error "name:line:col: message", e.g. libyaml's
 *                 "f.yml:2:1: did not find expected ',' or ']' (while parsing a flow sequence
 *                 started at 1:4)" or "f.yml:3:1: duplicate key 'a' (first at 1:1)"
 * @return RR_OK; RR_ERR_INVAL for a syntax error or a construct outside the subset above;
 *         RR_ERR_LIMIT past a cap.
 */
RR_NODISCARD enum rr_err rr_yaml_parse(const char *name, const char *text, size_t len,
                                       struct rr_yaml_doc **out, struct rr_diag *diag);

/**
 * Reads and parses a file; errors are named by path.
 *
 * @return as rr_yaml_parse(), plus RR_ERR_IO when the file cannot be read ("path: cannot
 *         open: No such file or directory") and RR_ERR_LIMIT when it exceeds RR_YAML_MAX_BYTES.
 */
RR_NODISCARD enum rr_err rr_yaml_load_file(const char *path, struct rr_yaml_doc **out,
                                           struct rr_diag *diag);

/**
 * Splits Markdown front matter from the body and parses it. The text must start with a line
 * holding only `---` (trailing spaces allowed, LF or CRLF); the front matter runs to the next
 * such line; the body starts on the line after it. Line and column numbers in the document
 * and in errors are those of the whole file (line 2 is the first front-matter line).
 *
 * @param name     how errors name the file; borrowed (copied)
 * @param text     the whole file; borrowed, need not be NUL-terminated
 * @param[out] out on RR_OK: owned document (root NULL for an empty front matter)
 * @param[out] body_offset on RR_OK: byte offset of the body in text (len when there is none)
 * @param[out] body_line   on RR_OK: 1-based line number of the body's first line
 * @return RR_OK; RR_ERR_INVAL when the file does not open with `---` ("name: no front
 *         matter: ...") or the front matter is never closed ("name:1:1: front matter is not
 *         closed ..."), or the YAML in it is invalid; RR_ERR_LIMIT past a cap.
 */
RR_NODISCARD enum rr_err rr_yaml_parse_front_matter(const char *name, const char *text, size_t len,
                                                    struct rr_yaml_doc **out, size_t *body_offset,
                                                    unsigned *body_line, struct rr_diag *diag);

/* Frees a document and every node in it. NULL-safe. */
void rr_yaml_doc_free(struct rr_yaml_doc *doc);

/* The document's root node, borrowed until rr_yaml_doc_free(); NULL for an empty document:
 * a stream with no document (an empty or comment-only file) or a bare `---`. */
const struct rr_yaml_node *rr_yaml_root(const struct rr_yaml_doc *doc);

/* The name given at load (the path), borrowed until rr_yaml_doc_free(). */
const char *rr_yaml_doc_name(const struct rr_yaml_doc *doc);

/* The value for key in a mapping, borrowed from the node's document; NULL when node is NULL,
 * not a mapping, or has no such key. Linear: mappings in config files are small. */
const struct rr_yaml_node *rr_yaml_map_get(const struct rr_yaml_node *node, const char *key);

/* "scalar", "sequence" or "mapping", for messages like "expected a mapping, found a sequence". */
const char *rr_yaml_kind_name(enum rr_yaml_kind kind);

/* True for a plain scalar that YAML reads as null: empty, `~`, `null`, `Null`, `NULL`. */
bool rr_yaml_is_null(const struct rr_yaml_node *node);

/**
 * Fills diag with "file:line:col: <message>" at node's position and returns err, so loaders
 * write `return rr_yaml_diag(diag, RR_ERR_INVAL, file, node, "unknown team '%s'", name)`.
 *
 * @param file borrowed; usually rr_yaml_doc_name(doc)
 * @param node borrowed; NULL gives "file: <message>"
 */
enum rr_err rr_yaml_diag(struct rr_diag *diag, enum rr_err err, const char *file,
                         const struct rr_yaml_node *node, const char *fmt, ...) RR_PRINTF(5, 6);

/**
 * Checks that map is a mapping whose keys are all in allowed. A NULL map (an empty document or
 * an absent section) passes: there is no key to reject.
 *
 * @param allowed NULL-terminated list of key names; borrowed
 * @param file    borrowed, names the file in the message
 * @return RR_OK; RR_ERR_INVAL with "file:line:col: unknown key 'foo' (allowed: a, b, c)" at the
 *         first offending key, or "file:line:col: expected a mapping, found a sequence".
 */
RR_NODISCARD enum rr_err rr_yaml_check_keys(const struct rr_yaml_node *map,
                                            const char *const allowed[], const char *file,
                                            struct rr_diag *diag);

#endif

/*
 * yaml: libyaml events folded into an arena-allocated tree, with the config subset and caps of
 * yaml.h enforced while the events arrive, so a hostile file stops at the first violation.
 */
#include "rr/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "rr/arena.h"
#include "rr/buf.h"

struct rr_yaml_doc {
    char *name;                      /* owned copy of the name errors use */
    const struct rr_yaml_node *root; /* into the arena; NULL for an empty document */
    struct rr_arena arena;           /* owned: every node and string of the document */
};

void rr_yaml_doc_free(struct rr_yaml_doc *doc)
{
    if (!doc)
        return;
    rr_arena_release(&doc->arena);
    free(doc->name);
    free(doc);
}

/* ==== Building the tree from events ==== */

/* An open sequence or mapping: its header plus the children seen so far (keys and values
 * alternate for a mapping), copied into the arena when the collection ends. */
struct frame {
    struct rr_yaml_node node;
    struct rr_yaml_node *kids; /* owned scratch array */
    size_t n;                  /* entries used in kids */
    size_t cap;                /* entries allocated in kids */
};

struct builder {
    struct rr_yaml_doc *doc;
    const char *text; /* the input, for positions of reader errors */
    size_t len;
    struct frame frames[RR_YAML_MAX_DEPTH];
    size_t depth;   /* open frames */
    size_t nodes;   /* nodes created so far, against RR_YAML_MAX_NODES */
    unsigned ndocs; /* documents started */
    struct rr_diag *diag;
};

static enum rr_err at_mark(struct builder *b, enum rr_err err, yaml_mark_t mark, const char *fmt,
                           ...) RR_PRINTF(4, 5);

static enum rr_err at_mark(struct builder *b, enum rr_err err, yaml_mark_t mark, const char *fmt,
                           ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rr_diag_set(b->diag, err, "%s:%zu:%zu: %s", b->doc->name, mark.line + 1, mark.column + 1,
                       msg);
}

/* Events that may start a node share these checks: nothing our configs need, everything a
 * surprising document would use. */
static enum rr_err check_new_node(struct builder *b, const yaml_event_t *ev,
                                  const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor)
        return at_mark(b, RR_ERR_INVAL, ev->start_mark, "anchors are not supported (&%s)",
                       (const char *)anchor);
    if (tag)
        return at_mark(b, RR_ERR_INVAL, ev->start_mark, "tags are not supported (%s)",
                       (const char *)tag);
    if (++b->nodes > RR_YAML_MAX_NODES)
        return at_mark(b, RR_ERR_LIMIT, ev->start_mark, "more than %d nodes in the document",
                       RR_YAML_MAX_NODES);
    return RR_OK;
}

/* Hands a finished node to the open collection, or makes it the root. */
static void add_node(struct builder *b, const struct rr_yaml_node *node)
{
    if (b->depth == 0) {
        /* A bare `---` parses as an empty plain scalar: that is the empty document. */
        if (node->kind == RR_YAML_SCALAR && !node->quoted && node->len == 0)
            return;
        struct rr_yaml_node *root = rr_arena_alloc(&b->doc->arena, sizeof *root);
        *root = *node;
        b->doc->root = root;
        return;
    }
    struct frame *f = &b->frames[b->depth - 1];
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->kids = rr_xrealloc(f->kids, f->cap * sizeof *f->kids);
    }
    f->kids[f->n++] = *node;
}

static int cmp_keys(const void *pa, const void *pb)
{
    const struct rr_yaml_node *a = *(const struct rr_yaml_node *const *)pa;
    const struct rr_yaml_node *b = *(const struct rr_yaml_node *const *)pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->str, b->str, n);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    /* Equal keys keep file order (the scratch array is in file order), so the first of a run
     * is the original and the second its first duplicate. */
    return a < b ? -1 : a > b;
}

static bool same_key(const struct rr_yaml_node *a, const struct rr_yaml_node *b)
{
    return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* Sorting makes the check O(n log n): a generated file with a huge mapping stays cheap. */
static enum rr_err check_duplicates(struct builder *b, const struct frame *f)
{
    size_t npairs = f->n / 2;
    if (npairs < 2)
        return RR_OK;
    const struct rr_yaml_node **keys = rr_xmalloc(npairs * sizeof(const struct rr_yaml_node *));
    for (size_t i = 0; i < npairs; i++)
        keys[i] = &f->kids[2 * i];
    qsort(keys, npairs, sizeof(const struct rr_yaml_node *), cmp_keys);
    const struct rr_yaml_node *first = NULL, *dup = NULL;
    for (size_t i = 1; i < npairs; i++) {
        /* keys[i - 1] opens a run of equal keys: it is the original, keys[i] its first
         * duplicate. Report the duplicate that comes first in the file. */
        if (!same_key(keys[i - 1], keys[i]) || (i >= 2 && same_key(keys[i - 2], keys[i - 1])))
            continue;
        if (!dup || keys[i] < dup) {
            dup = keys[i];
            first = keys[i - 1];
        }
    }
    enum rr_err err = RR_OK;
    if (dup && first)
        err =
            rr_diag_set(b->diag, RR_ERR_INVAL, "%s:%u:%u: duplicate key '%.100s' (first at %u:%u)",
                        b->doc->name, dup->line, dup->col, dup->str, first->line, first->col);
    free(keys);
    return err;
}

static enum rr_err open_collection(struct builder *b, const yaml_event_t *ev,
                                   enum rr_yaml_kind kind)
{
    const yaml_char_t *anchor =
        kind == RR_YAML_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag =
        kind == RR_YAML_MAP ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    enum rr_err err = check_new_node(b, ev, anchor, tag);
    if (err)
        return err;
    if (b->depth > 0) {
        const struct frame *top = &b->frames[b->depth - 1];
        if (top->node.kind == RR_YAML_MAP && top->n % 2 == 0)
            return at_mark(b, RR_ERR_INVAL, ev->start_mark, "mapping keys must be scalars");
    }
    if (b->depth == RR_YAML_MAX_DEPTH)
        return at_mark(b, RR_ERR_LIMIT, ev->start_mark, "nesting deeper than %d levels",
                       RR_YAML_MAX_DEPTH);
    struct frame *f = &b->frames[b->depth++];
    memset(f, 0, sizeof *f);
    f->node.kind = kind;
    f->node.line = (unsigned)ev->start_mark.line + 1;
    f->node.col = (unsigned)ev->start_mark.column + 1;
    return RR_OK;
}

static enum rr_err close_collection(struct builder *b)
{
    struct frame *f = &b->frames[b->depth - 1];
    struct rr_yaml_node node = f->node;
    enum rr_err err = RR_OK;
    if (node.kind == RR_YAML_MAP) {
        err = check_duplicates(b, f);
        if (err)
            goto out;
        node.count = f->n / 2;
        struct rr_yaml_pair *pairs = rr_arena_alloc(&b->doc->arena, node.count * sizeof *pairs);
        for (size_t i = 0; i < node.count; i++) {
            pairs[i].key = f->kids[2 * i];
            pairs[i].value = f->kids[2 * i + 1];
        }
        node.pairs = node.count ? pairs : NULL;
    } else {
        node.count = f->n;
        struct rr_yaml_node *items = rr_arena_alloc(&b->doc->arena, node.count * sizeof *items);
        if (node.count)
            memcpy(items, f->kids, node.count * sizeof *items);
        node.items = node.count ? items : NULL;
    }
out:
    /* The frame goes even on error so the caller's cleanup sees only open frames. */
    free(f->kids);
    b->depth--;
    if (!err)
        add_node(b, &node);
    return err;
}

static enum rr_err on_scalar(struct builder *b, const yaml_event_t *ev)
{
    enum rr_err err = check_new_node(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
    if (err)
        return err;
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, '\0', len))
        return at_mark(b, RR_ERR_INVAL, ev->start_mark, "scalar contains a NUL character");
    char *copy = rr_arena_strndup(&b->doc->arena, value, len);
    struct rr_yaml_node node = {
        .kind = RR_YAML_SCALAR,
        .line = (unsigned)ev->start_mark.line + 1,
        .col = (unsigned)ev->start_mark.column + 1,
        .quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
        .str = copy,
        .len = len,
    };
    add_node(b, &node);
    return RR_OK;
}

static enum rr_err on_event(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->ndocs++ > 0)
            return at_mark(b, RR_ERR_INVAL, ev->start_mark,
                           "expected one YAML document, a second one starts here");
        return RR_OK;
    case YAML_ALIAS_EVENT:
        return at_mark(b, RR_ERR_INVAL, ev->start_mark, "aliases are not supported (*%s)",
                       (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return open_collection(b, ev, RR_YAML_SEQ);
    case YAML_MAPPING_START_EVENT:
        return open_collection(b, ev, RR_YAML_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return close_collection(b);
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        return RR_OK;
    }
    return RR_OK;
}

/* libyaml's own complaint, positioned. Reader errors (bad UTF-8) carry a byte offset instead
 * of a mark, so the position is recomputed from the text. */
static enum rr_err syntax_error(struct builder *b, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR) {
        (void)fprintf(stderr, "level=error module=yaml msg=\"out of memory\"\n");
        abort();
    }
    if (p->error == YAML_READER_ERROR) {
        size_t line = 0, col = 0, end = p->problem_offset < b->len ? p->problem_offset : b->len;
        for (size_t i = 0; i < end; i++) {
            if (b->text[i] == '\n') {
                line++;
                col = 0;
            } else if (((unsigned char)b->text[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        yaml_mark_t mark = {.index = end, .line = line, .column = col};
        if (p->problem_value >= 0)
            return at_mark(b, RR_ERR_INVAL, mark, "%s (byte 0x%02x)", problem,
                           (unsigned)p->problem_value & 0xFF);
        return at_mark(b, RR_ERR_INVAL, mark, "%s", problem);
    }
    yaml_mark_t pm = p->problem_mark, cm = p->context_mark;
    if (p->context && (pm.line != cm.line || pm.column != cm.column))
        return at_mark(b, RR_ERR_INVAL, pm, "%s (%s at %zu:%zu)", problem, p->context, cm.line + 1,
                       cm.column + 1);
    return at_mark(b, RR_ERR_INVAL, pm, "%s", problem);
}

enum rr_err rr_yaml_parse(const char *name, const char *text, size_t len, struct rr_yaml_doc **out,
                          struct rr_diag *diag)
{
    if (len > RR_YAML_MAX_BYTES)
        return rr_diag_set(diag, RR_ERR_LIMIT, "%s: larger than %zu bytes", name,
                           RR_YAML_MAX_BYTES);
    if (!text)
        text = ""; /* libyaml asserts on a NULL input, even an empty one */
    enum rr_err err = RR_OK;
    struct builder *b = rr_xcalloc(1, sizeof *b);
    b->doc = rr_xcalloc(1, sizeof *b->doc);
    b->doc->name = rr_xstrdup(name);
    b->text = text;
    b->len = len;
    b->diag = diag;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        (void)fprintf(stderr, "level=error module=yaml msg=\"out of memory\"\n");
        abort();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    /* Config files are UTF-8; autodetecting UTF-16 would shift reader-error offsets. */
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            err = syntax_error(b, &parser);
            goto out;
        }
        err = on_event(b, &ev);
        yaml_event_type_t type = ev.type;
        yaml_event_delete(&ev);
        if (err)
            goto out;
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    *out = b->doc;
    b->doc = NULL;
out:
    yaml_parser_delete(&parser);
    while (b->depth > 0)
        free(b->frames[--b->depth].kids);
    rr_yaml_doc_free(b->doc);
    free(b);
    return err;
}

enum rr_err rr_yaml_load_file(const char *path, struct rr_yaml_doc **out, struct rr_diag *diag)
{
    struct rr_buf buf;
    rr_buf_init(&buf, RR_YAML_MAX_BYTES);
    enum rr_err err = rr_buf_read_file(&buf, path, diag);
    if (!err)
        err = rr_yaml_parse(path, buf.data ? buf.data : "", buf.len, out, diag);
    rr_buf_release(&buf);
    return err;
}

/* ==== Front matter ==== */

/* True when the line starting at off is `---` with optional trailing blanks; *next is the
 * offset after its line break (or len). */
static bool is_fence(const char *text, size_t len, size_t off, size_t *next)
{
    const char *nl = memchr(text + off, '\n', len - off);
    size_t end = nl ? (size_t)(nl - text) : len;
    *next = nl ? end + 1 : len;
    if (end > off && text[end - 1] == '\r')
        end--;
    while (end > off && (text[end - 1] == ' ' || text[end - 1] == '\t'))
        end--;
    return end - off == 3 && memcmp(text + off, "---", 3) == 0;
}

enum rr_err rr_yaml_parse_front_matter(const char *name, const char *text, size_t len,
                                       struct rr_yaml_doc **out, size_t *body_offset,
                                       unsigned *body_line, struct rr_diag *diag)
{
    size_t next;
    if (len == 0 || !is_fence(text, len, 0, &next))
        return rr_diag_set(diag, RR_ERR_INVAL,
                           "%s: no front matter: the file must start with a line '---'", name);
    unsigned line = 2;
    for (size_t off = next; off < len; off = next, line++) {
        if (!is_fence(text, len, off, &next))
            continue;
        /* Parse from the opening fence, which YAML reads as a document start: positions then
         * are the file's own, with no mapping. The closing fence stays out (a second document). */
        struct rr_yaml_doc *doc = NULL;
        enum rr_err err = rr_yaml_parse(name, text, off, &doc, diag);
        if (err)
            return err;
        *out = doc;
        *body_offset = next;
        *body_line = line + 1;
        return RR_OK;
    }
    return rr_diag_set(diag, RR_ERR_INVAL, "%s:1:1: front matter is not closed by a line '---'",
                       name);
}

/* ==== Reading the tree ==== */

const struct rr_yaml_node *rr_yaml_root(const struct rr_yaml_doc *doc)
{
    return doc ? doc->root : NULL;
}

const char *rr_yaml_doc_name(const struct rr_yaml_doc *doc)
{
    return doc->name;
}

const struct rr_yaml_node *rr_yaml_map_get(const struct rr_yaml_node *node, const char *key)
{
    if (!node || node->kind != RR_YAML_MAP)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < node->count; i++) {
        const struct rr_yaml_node *k = &node->pairs[i].key;
        if (k->len == n && memcmp(k->str, key, n) == 0)
            return &node->pairs[i].value;
    }
    return NULL;
}

const char *rr_yaml_kind_name(enum rr_yaml_kind kind)
{
    switch (kind) {
    case RR_YAML_SCALAR:
        return "scalar";
    case RR_YAML_SEQ:
        return "sequence";
    case RR_YAML_MAP:
        return "mapping";
    }
    return "node";
}

bool rr_yaml_is_null(const struct rr_yaml_node *node)
{
    if (!node || node->kind != RR_YAML_SCALAR || node->quoted)
        return false;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(node->str, nulls[i]) == 0)
            return true;
    return false;
}

enum rr_err rr_yaml_diag(struct rr_diag *diag, enum rr_err err, const char *file,
                         const struct rr_yaml_node *node, const char *fmt, ...)
{
    if (!diag)
        return err;
    char msg[sizeof diag->msg];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node)
        return rr_diag_set(diag, err, "%s:%u:%u: %s", file, node->line, node->col, msg);
    return rr_diag_set(diag, err, "%s: %s", file, msg);
}

enum rr_err rr_yaml_check_keys(const struct rr_yaml_node *map, const char *const allowed[],
                               const char *file, struct rr_diag *diag)
{
    if (!map)
        return RR_OK;
    if (map->kind != RR_YAML_MAP)
        return rr_yaml_diag(diag, RR_ERR_INVAL, file, map, "expected a mapping, found a %s",
                            rr_yaml_kind_name(map->kind));
    for (size_t i = 0; i < map->count; i++) {
        const struct rr_yaml_node *key = &map->pairs[i].key;
        size_t j = 0;
        while (allowed[j] && strcmp(allowed[j], key->str) != 0)
            j++;
        if (allowed[j])
            continue;
        char list[256] = "";
        size_t used = 0;
        for (j = 0; allowed[j] && used < sizeof list; j++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
            used += w > 0 ? (size_t)w : 0;
        }
        return rr_yaml_diag(diag, RR_ERR_INVAL, file, key, "unknown key '%.100s' (allowed: %s)",
                            key->str, list);
    }
    return RR_OK;
}

/* check_yaml: the YAML tree loader and front matter, with the positions users see in errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rr/buf.h"
#include "rr/yaml.h"

#include "testlib.h"

/* Parses s as "f.yml", asserting success; owned document. */
static struct rr_yaml_doc *parse_ok(const char *s)
{
    struct rr_yaml_doc *doc = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_yaml_parse("f.yml", s, strlen(s), &doc, &diag);
    ck_assert_msg(err == RR_OK, "parse failed: %s", diag.msg);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

/* Parses s as "f.yml", asserting failure with err and exactly the message msg. */
static void parse_fails(const char *s, enum rr_err want, const char *msg)
{
    struct rr_yaml_doc *doc = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_yaml_parse("f.yml", s, strlen(s), &doc, &diag);
    ck_assert_msg(err == want, "for %s: got %s (%s)", s, rr_strerror(err), diag.msg);
    ck_assert_ptr_null(doc);
    ck_assert_str_eq(diag.msg, msg);
}

static void assert_node(const struct rr_yaml_node *n, enum rr_yaml_kind kind, unsigned line,
                        unsigned col)
{
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->kind, kind);
    ck_assert_uint_eq(n->line, line);
    ck_assert_uint_eq(n->col, col);
}

static void assert_scalar(const struct rr_yaml_node *n, const char *text, unsigned line,
                          unsigned col, bool quoted)
{
    assert_node(n, RR_YAML_SCALAR, line, col);
    ck_assert_str_eq(n->str, text);
    ck_assert_uint_eq(n->len, strlen(text));
    ck_assert(n->quoted == quoted);
}

START_TEST(nested_positions)
{
    const char *s = "teams:\n"
                    "  - name: payments\n"
                    "    namespaces: [payments-prod, payments-staging]\n"
                    "    page:\n"
                    "      critical: [pagerduty, slack]\n"
                    "routes: []\n";
    struct rr_yaml_doc *doc = parse_ok(s);
    const struct rr_yaml_node *root = rr_yaml_root(doc);
    assert_node(root, RR_YAML_MAP, 1, 1);
    ck_assert_uint_eq(root->count, 2);
    assert_scalar(&root->pairs[0].key, "teams", 1, 1, false);
    assert_scalar(&root->pairs[1].key, "routes", 6, 1, false);

    const struct rr_yaml_node *teams = rr_yaml_map_get(root, "teams");
    assert_node(teams, RR_YAML_SEQ, 2, 3);
    ck_assert_uint_eq(teams->count, 1);
    const struct rr_yaml_node *team = &teams->items[0];
    assert_node(team, RR_YAML_MAP, 2, 5);
    assert_scalar(rr_yaml_map_get(team, "name"), "payments", 2, 11, false);
    const struct rr_yaml_node *ns = rr_yaml_map_get(team, "namespaces");
    assert_node(ns, RR_YAML_SEQ, 3, 17);
    ck_assert_uint_eq(ns->count, 2);
    assert_scalar(&ns->items[0], "payments-prod", 3, 18, false);
    assert_scalar(&ns->items[1], "payments-staging", 3, 33, false);
    const struct rr_yaml_node *page = rr_yaml_map_get(team, "page");
    assert_node(page, RR_YAML_MAP, 5, 7);
    const struct rr_yaml_node *crit = rr_yaml_map_get(page, "critical");
    assert_node(crit, RR_YAML_SEQ, 5, 17);
    assert_scalar(&crit->items[1], "slack", 5, 29, false);
    const struct rr_yaml_node *routes = rr_yaml_map_get(root, "routes");
    assert_node(routes, RR_YAML_SEQ, 6, 9);
    ck_assert_uint_eq(routes->count, 0);
    ck_assert_ptr_null(routes->items);

    ck_assert_ptr_null(rr_yaml_map_get(root, "settings"));
    ck_assert_ptr_null(rr_yaml_map_get(teams, "name")); /* not a mapping */
    ck_assert_ptr_null(rr_yaml_map_get(NULL, "name"));
    ck_assert_str_eq(rr_yaml_doc_name(doc), "f.yml");
    rr_yaml_doc_free(doc);
}
END_TEST

START_TEST(flow_and_block_styles)
{
    const char *s = "{a: 1, b: [x, \"y\"], c: {d: e}}";
    struct rr_yaml_doc *doc = parse_ok(s);
    const struct rr_yaml_node *root = rr_yaml_root(doc);
    assert_node(root, RR_YAML_MAP, 1, 1);
    ck_assert_uint_eq(root->count, 3);
    assert_scalar(&root->pairs[0].key, "a", 1, 2, false);
    assert_scalar(&root->pairs[0].value, "1", 1, 5, false);
    const struct rr_yaml_node *b = rr_yaml_map_get(root, "b");
    assert_node(b, RR_YAML_SEQ, 1, 11);
    assert_scalar(&b->items[0], "x", 1, 12, false);
    assert_scalar(&b->items[1], "y", 1, 15, true);
    const struct rr_yaml_node *c = rr_yaml_map_get(root, "c");
    assert_node(c, RR_YAML_MAP, 1, 24);
    assert_scalar(rr_yaml_map_get(c, "d"), "e", 1, 28, false);
    rr_yaml_doc_free(doc);

    /* A block sequence of block mappings, and a sequence as the root. */
    doc = parse_ok("- a: 1\n  b: 2\n- - x\n  - y\n");
    root = rr_yaml_root(doc);
    assert_node(root, RR_YAML_SEQ, 1, 1);
    ck_assert_uint_eq(root->count, 2);
    assert_node(&root->items[0], RR_YAML_MAP, 1, 3);
    assert_scalar(rr_yaml_map_get(&root->items[0], "b"), "2", 2, 6, false);
    assert_node(&root->items[1], RR_YAML_SEQ, 3, 3);
    assert_scalar(&root->items[1].items[1], "y", 4, 5, false);
    rr_yaml_doc_free(doc);

    /* A scalar root. */
    doc = parse_ok("hello\n");
    assert_scalar(rr_yaml_root(doc), "hello", 1, 1, false);
    rr_yaml_doc_free(doc);
}
END_TEST

START_TEST(quoted_and_plain)
{
    const char *s = "a: yes\nb: \"yes\"\nc: 'yes'\nd: ''\ne:\nf: ~\ng: 'it''s'\nh: \"\\t\\u00e9\"\n"
                    "i: é ü\n";
    struct rr_yaml_doc *doc = parse_ok(s);
    const struct rr_yaml_node *root = rr_yaml_root(doc);
    assert_scalar(rr_yaml_map_get(root, "a"), "yes", 1, 4, false);
    assert_scalar(rr_yaml_map_get(root, "b"), "yes", 2, 4, true);
    assert_scalar(rr_yaml_map_get(root, "c"), "yes", 3, 4, true);
    assert_scalar(rr_yaml_map_get(root, "d"), "", 4, 4, true);
    ck_assert(!rr_yaml_is_null(rr_yaml_map_get(root, "d")));
    /* An empty value is an empty plain scalar, placed where the value would start. */
    const struct rr_yaml_node *e = rr_yaml_map_get(root, "e");
    ck_assert_int_eq(e->kind, RR_YAML_SCALAR);
    ck_assert_str_eq(e->str, "");
    ck_assert(!e->quoted);
    ck_assert(rr_yaml_is_null(e));
    ck_assert(rr_yaml_is_null(rr_yaml_map_get(root, "f")));
    ck_assert(!rr_yaml_is_null(rr_yaml_map_get(root, "a")));
    ck_assert(!rr_yaml_is_null(root));
    ck_assert(!rr_yaml_is_null(NULL));
    assert_scalar(rr_yaml_map_get(root, "g"), "it's", 7, 4, true);
    assert_scalar(rr_yaml_map_get(root, "h"), "\t\xc3\xa9", 8, 4, true);
    /* Columns count characters: "é: ü" puts ü in column 4 although it is byte 5. */
    const struct rr_yaml_node *i = rr_yaml_map_get(root, "i");
    assert_scalar(i, "é ü", 9, 4, false);
    rr_yaml_doc_free(doc);

    doc = parse_ok("é: ü\n");
    assert_scalar(&rr_yaml_root(doc)->pairs[0].value, "ü", 1, 4, false);
    rr_yaml_doc_free(doc);
}
END_TEST

START_TEST(multi_line_strings)
{
    const char *s = "lit: |\n  line1\n  line2\nfold: >\n  f1\n  f2\n\n  f3\nplain: one\n  two\n"
                    "dq: \"a\n  b\"\nstrip: |-\n  x\n";
    struct rr_yaml_doc *doc = parse_ok(s);
    const struct rr_yaml_node *root = rr_yaml_root(doc);
    assert_scalar(rr_yaml_map_get(root, "lit"), "line1\nline2\n", 1, 6, true);
    assert_scalar(rr_yaml_map_get(root, "fold"), "f1 f2\nf3\n", 4, 7, true);
    assert_scalar(rr_yaml_map_get(root, "plain"), "one two", 9, 8, false);
    assert_scalar(rr_yaml_map_get(root, "dq"), "a b", 11, 5, true);
    assert_scalar(rr_yaml_map_get(root, "strip"), "x", 13, 8, true);
    rr_yaml_doc_free(doc);
}
END_TEST

START_TEST(duplicate_keys)
{
    parse_fails("a: 1\nb: 2\na: 3\n", RR_ERR_INVAL, "f.yml:3:1: duplicate key 'a' (first at 1:1)");
    /* Quoting does not make a different key. */
    parse_fails("a: 1\n\"a\": 2\n", RR_ERR_INVAL, "f.yml:2:1: duplicate key 'a' (first at 1:1)");
    /* Nested, flow style; the earliest duplicate is reported, with its own original. */
    parse_fails("x:\n  - {k: 1, z: 0, z: 1, k: 2}\n", RR_ERR_INVAL,
                "f.yml:2:18: duplicate key 'z' (first at 2:12)");
    /* The same key in two different mappings is fine. */
    rr_yaml_doc_free(parse_ok("- {a: 1}\n- {a: 2}\n"));

    /* A large mapping: the sorted check still finds the one duplicate. */
    struct rr_buf b;
    rr_buf_init(&b, RR_YAML_MAX_BYTES);
    for (int i = 0; i < 5000; i++)
        ck_assert(rr_buf_printf(&b, "k%d: %d\n", i, i) == RR_OK);
    ck_assert(rr_buf_puts(&b, "k4321: again\n") == RR_OK);
    parse_fails(b.data, RR_ERR_INVAL, "f.yml:5001:1: duplicate key 'k4321' (first at 4322:1)");
    rr_buf_release(&b);
}
END_TEST

START_TEST(aliases_anchors_tags_rejected)
{
    parse_fails("a: &x 1\nb: 2\n", RR_ERR_INVAL, "f.yml:1:4: anchors are not supported (&x)");
    parse_fails("a: &x [1]\n", RR_ERR_INVAL, "f.yml:1:4: anchors are not supported (&x)");
    parse_fails("a: *x\n", RR_ERR_INVAL, "f.yml:1:4: aliases are not supported (*x)");
    /* Billion laughs stops at the first anchor, before anything is expanded. */
    parse_fails("a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n", RR_ERR_INVAL,
                "f.yml:1:4: anchors are not supported (&a)");
    parse_fails("a: !!str 5\n", RR_ERR_INVAL,
                "f.yml:1:4: tags are not supported (tag:yaml.org,2002:str)");
    parse_fails("a: !custom {}\n", RR_ERR_INVAL, "f.yml:1:4: tags are not supported (!custom)");
}
END_TEST

START_TEST(syntax_errors)
{
    parse_fails("a: [1, 2", RR_ERR_INVAL,
                "f.yml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at "
                "1:4)");
    /* A tab where indentation is expected. */
    parse_fails("a:\n\tb: 1\n", RR_ERR_INVAL,
                "f.yml:2:1: found character that cannot start any token");
    parse_fails("a: 1\n b: 2\n", RR_ERR_INVAL,
                "f.yml:2:3: mapping values are not allowed in this context");
    parse_fails("a: \"open\n", RR_ERR_INVAL,
                "f.yml:2:1: found unexpected end of stream (while scanning a quoted scalar at "
                "1:4)");
    /* Invalid UTF-8 comes from libyaml's reader, positioned from its byte offset. */
    parse_fails("a: 1\nbb: \xff\n", RR_ERR_INVAL,
                "f.yml:2:5: invalid leading UTF-8 octet (byte 0xff)");
    /* Complex keys, NUL characters and second documents are outside the subset. */
    parse_fails("? [a, b]\n: c\n", RR_ERR_INVAL, "f.yml:1:3: mapping keys must be scalars");
    parse_fails("{a: 1, {b: 2}: 3}", RR_ERR_INVAL, "f.yml:1:8: mapping keys must be scalars");
    parse_fails("a: \"x\\0y\"\n", RR_ERR_INVAL, "f.yml:1:4: scalar contains a NUL character");
    parse_fails("a: 1\n---\nb: 2\n", RR_ERR_INVAL,
                "f.yml:2:1: expected one YAML document, a second one starts here");
}
END_TEST

/* "[" x n + "]" x n: n nested sequences. */
static char *nested(int n)
{
    char *s = rr_xmalloc((size_t)n * 2 + 1);
    memset(s, '[', (size_t)n);
    memset(s + (size_t)n, ']', (size_t)n);
    s[2 * n] = '\0';
    return s;
}

START_TEST(caps)
{
    char *s = nested(RR_YAML_MAX_DEPTH);
    struct rr_yaml_doc *doc = parse_ok(s);
    const struct rr_yaml_node *n = rr_yaml_root(doc);
    for (int i = 1; i < RR_YAML_MAX_DEPTH; i++) {
        ck_assert_uint_eq(n->count, 1);
        n = &n->items[0];
    }
    assert_node(n, RR_YAML_SEQ, 1, RR_YAML_MAX_DEPTH);
    ck_assert_uint_eq(n->count, 0);
    rr_yaml_doc_free(doc);
    free(s);

    s = nested(RR_YAML_MAX_DEPTH + 1);
    parse_fails(s, RR_ERR_LIMIT, "f.yml:1:65: nesting deeper than 64 levels");
    free(s);
    s = nested(100000); /* deep enough to hurt a recursive builder */
    parse_fails(s, RR_ERR_LIMIT, "f.yml:1:65: nesting deeper than 64 levels");
    free(s);

    /* Node cap: the sequence itself plus RR_YAML_MAX_NODES scalars is one too many. */
    struct rr_buf b;
    rr_buf_init(&b, RR_YAML_MAX_BYTES);
    ck_assert(rr_buf_puts(&b, "[") == RR_OK);
    for (int i = 0; i < RR_YAML_MAX_NODES - 1; i++)
        ck_assert(rr_buf_puts(&b, "0,") == RR_OK);
    ck_assert(rr_buf_puts(&b, "]") == RR_OK);
    doc = parse_ok(b.data);
    ck_assert_uint_eq(rr_yaml_root(doc)->count, RR_YAML_MAX_NODES - 1);
    rr_yaml_doc_free(doc);
    b.data[b.len - 1] = '0';
    ck_assert(rr_buf_puts(&b, "]") == RR_OK);
    parse_fails(b.data, RR_ERR_LIMIT, "f.yml:1:200000: more than 100000 nodes in the document");
    rr_buf_release(&b);

    /* Size cap, checked before parsing. */
    size_t big = RR_YAML_MAX_BYTES + 1;
    char *text = rr_xmalloc(big);
    memset(text, '#', big);
    struct rr_diag diag = {""};
    doc = NULL;
    ck_assert_int_eq(rr_yaml_parse("big.yml", text, big, &doc, &diag), RR_ERR_LIMIT);
    ck_assert_ptr_null(doc);
    ck_assert_str_eq(diag.msg, "big.yml: larger than 1048576 bytes");
    free(text);
}
END_TEST

START_TEST(empty_documents)
{
    static const char *const empties[] = {"", "\n", "# only a comment\n", "---\n", "--- \n...\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        struct rr_yaml_doc *doc = parse_ok(empties[i]);
        ck_assert_msg(rr_yaml_root(doc) == NULL, "root for '%s'", empties[i]);
        rr_yaml_doc_free(doc);
    }
    /* A quoted empty string is a value, not an empty document. */
    struct rr_yaml_doc *doc = parse_ok("''\n");
    assert_scalar(rr_yaml_root(doc), "", 1, 1, true);
    rr_yaml_doc_free(doc);
    doc = NULL;
    ck_assert_int_eq(rr_yaml_parse("none", NULL, 0, &doc, NULL), RR_OK);
    ck_assert_ptr_null(rr_yaml_root(doc));
    rr_yaml_doc_free(doc);
    ck_assert_ptr_null(rr_yaml_root(NULL));
    rr_yaml_doc_free(NULL);
    /* A NULL map has no unknown key. */
    ck_assert_int_eq(rr_yaml_check_keys(NULL, (const char *const[]){"a", NULL}, "f", NULL), RR_OK);
}
END_TEST

START_TEST(check_keys_and_diag)
{
    struct rr_yaml_doc *doc = parse_ok("settings:\n  platform_team: p\n  colour: blue\n");
    const struct rr_yaml_node *root = rr_yaml_root(doc);
    static const char *const top[] = {"settings", "teams", "routes", NULL};
    static const char *const settings[] = {"platform_team", "unowned_team", "labels", NULL};
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_yaml_check_keys(root, top, "routing/a.yml", &diag), RR_OK);
    ck_assert_int_eq(
        rr_yaml_check_keys(rr_yaml_map_get(root, "settings"), settings, "routing/a.yml", &diag),
        RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg, "routing/a.yml:3:3: unknown key 'colour' (allowed: platform_team, "
                               "unowned_team, labels)");
    ck_assert_int_eq(rr_yaml_check_keys(&root->pairs[0].key, top, "routing/a.yml", &diag),
                     RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg, "routing/a.yml:1:1: expected a mapping, found a scalar");
    ck_assert_int_eq(rr_yaml_check_keys(root, top, "x", NULL), RR_OK);

    ck_assert_int_eq(rr_yaml_diag(&diag, RR_ERR_CONFIG, rr_yaml_doc_name(doc), root,
                                  "unknown team '%s'", "orders"),
                     RR_ERR_CONFIG);
    ck_assert_str_eq(diag.msg, "f.yml:1:1: unknown team 'orders'");
    ck_assert_int_eq(rr_yaml_diag(&diag, RR_ERR_INVAL, "f.yml", NULL, "settings missing"),
                     RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg, "f.yml: settings missing");
    ck_assert_int_eq(rr_yaml_diag(NULL, RR_ERR_INVAL, "f.yml", NULL, "x"), RR_ERR_INVAL);
    ck_assert_str_eq(rr_yaml_kind_name(RR_YAML_SEQ), "sequence");
    ck_assert_str_eq(rr_yaml_kind_name(RR_YAML_MAP), "mapping");
    rr_yaml_doc_free(doc);
}
END_TEST

START_TEST(load_file)
{
    char *dir = rr_test_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/routes.yml", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("routes:\n  - name: x\n    match: ['a=\"b\"']\n    bogus: 1\n", f);
    fclose(f);
    struct rr_yaml_doc *doc = NULL;
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_yaml_load_file(path, &doc, &diag), RR_OK);
    const struct rr_yaml_node *route = &rr_yaml_map_get(rr_yaml_root(doc), "routes")->items[0];
    assert_scalar(&rr_yaml_map_get(route, "match")->items[0], "a=\"b\"", 3, 13, true);
    static const char *const keys[] = {"name", "match", NULL};
    ck_assert_int_eq(rr_yaml_check_keys(route, keys, rr_yaml_doc_name(doc), &diag), RR_ERR_INVAL);
    char want[4200];
    snprintf(want, sizeof want, "%s:4:5: unknown key 'bogus' (allowed: name, match)", path);
    ck_assert_str_eq(diag.msg, want);
    rr_yaml_doc_free(doc);

    /* Errors are named by the path. */
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("a: [", f);
    fclose(f);
    doc = NULL;
    ck_assert_int_eq(rr_yaml_load_file(path, &doc, &diag), RR_ERR_INVAL);
    ck_assert_ptr_null(doc);
    snprintf(want, sizeof want, "%s:2:1: ", path);
    ck_assert_msg(strncmp(diag.msg, want, strlen(want)) == 0, "%s", diag.msg);

    /* Too big. */
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i <= RR_YAML_MAX_BYTES / 8; i++)
        fputs("#######\n", f);
    fclose(f);
    ck_assert_int_eq(rr_yaml_load_file(path, &doc, &diag), RR_ERR_LIMIT);
    snprintf(want, sizeof want, "%s: larger than 1048576 bytes", path);
    ck_assert_str_eq(diag.msg, want);

    /* An empty file is an empty document. */
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(rr_yaml_load_file(path, &doc, &diag), RR_OK);
    ck_assert_ptr_null(rr_yaml_root(doc));
    rr_yaml_doc_free(doc);

    snprintf(path, sizeof path, "%s/missing.yml", dir);
    doc = NULL;
    ck_assert_int_eq(rr_yaml_load_file(path, &doc, &diag), RR_ERR_IO);
    ck_assert_ptr_null(doc);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq(diag.msg, want);
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Front matter of s as "rb.md"; returns the status, fills doc/body on success. */
static enum rr_err front(const char *s, struct rr_yaml_doc **doc, size_t *off, unsigned *line,
                         struct rr_diag *diag)
{
    return rr_yaml_parse_front_matter("rb.md", s, strlen(s), doc, off, line, diag);
}

START_TEST(front_matter)
{
    const char *s = "---\n"
                    "id: temporal-nondeterminism\n"
                    "alerts: [TemporalWorkflowNonDeterminismError]\n"
                    "match: ['workflow_type=~\"Checkout.*\"']\n"
                    "---\n"
                    "## Diagnosis\n"
                    "text\n";
    struct rr_yaml_doc *doc = NULL;
    size_t off = 0;
    unsigned line = 0;
    struct rr_diag diag = {""};
    ck_assert_int_eq(front(s, &doc, &off, &line, &diag), RR_OK);
    const struct rr_yaml_node *root = rr_yaml_root(doc);
    assert_node(root, RR_YAML_MAP, 2, 1);
    assert_scalar(rr_yaml_map_get(root, "id"), "temporal-nondeterminism", 2, 5, false);
    assert_scalar(&rr_yaml_map_get(root, "alerts")->items[0], "TemporalWorkflowNonDeterminismError",
                  3, 10, false);
    assert_scalar(&rr_yaml_map_get(root, "match")->items[0], "workflow_type=~\"Checkout.*\"", 4, 9,
                  true);
    ck_assert_str_eq(s + off, "## Diagnosis\ntext\n");
    ck_assert_uint_eq(line, 6);
    rr_yaml_doc_free(doc);

    /* CRLF line ends, trailing blanks on the fences, no body at all. */
    s = "--- \r\nid: x\r\n---\t\r\n";
    doc = NULL;
    ck_assert_int_eq(front(s, &doc, &off, &line, &diag), RR_OK);
    assert_scalar(rr_yaml_map_get(rr_yaml_root(doc), "id"), "x", 2, 5, false);
    ck_assert_uint_eq(off, strlen(s));
    ck_assert_uint_eq(line, 4);
    rr_yaml_doc_free(doc);

    /* Closing fence as the last line without a newline. */
    s = "---\nid: x\n---";
    doc = NULL;
    ck_assert_int_eq(front(s, &doc, &off, &line, &diag), RR_OK);
    ck_assert_uint_eq(off, strlen(s));
    rr_yaml_doc_free(doc);

    /* Empty front matter: an empty document, the loader says what is missing. */
    s = "---\n---\nbody\n";
    doc = NULL;
    ck_assert_int_eq(front(s, &doc, &off, &line, &diag), RR_OK);
    ck_assert_ptr_null(rr_yaml_root(doc));
    ck_assert_str_eq(s + off, "body\n");
    ck_assert_uint_eq(line, 3);
    rr_yaml_doc_free(doc);

    /* Errors inside the front matter carry the file's line numbers. */
    doc = NULL;
    ck_assert_int_eq(front("---\nid: x\nid: y\n---\n", &doc, &off, &line, &diag), RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg, "rb.md:3:1: duplicate key 'id' (first at 2:1)");
    ck_assert_int_eq(front("---\nid: x\nalerts: [a\n---\n", &doc, &off, &line, &diag),
                     RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg, "rb.md:4:1: did not find expected ',' or ']' (while parsing a "
                               "flow sequence at 3:9)");
    ck_assert_ptr_null(doc);

    /* Missing: no opening fence, including a fence that is not the first line. */
    static const char *const missing[] = {"",           "# Title\n",        "\n---\nid: x\n---\n",
                                          "---id: x\n", "--- id: x\n---\n", "----\nid: x\n----\n"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        ck_assert_int_eq(front(missing[i], &doc, &off, &line, &diag), RR_ERR_INVAL);
        ck_assert_str_eq(diag.msg, "rb.md: no front matter: the file must start with a line '---'");
    }
    /* Unterminated. */
    static const char *const open[] = {"---\n", "---\nid: x\n", "---\nid: x\n## Diagnosis\n"};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        ck_assert_int_eq(front(open[i], &doc, &off, &line, &diag), RR_ERR_INVAL);
        ck_assert_str_eq(diag.msg, "rb.md:1:1: front matter is not closed by a line '---'");
    }
    ck_assert_ptr_null(doc);
}
END_TEST

static Suite *yaml_suite(void)
{
    Suite *s = suite_create("yaml");
    TCase *tc = tcase_create("tree");
    tcase_add_test(tc, nested_positions);
    tcase_add_test(tc, flow_and_block_styles);
    tcase_add_test(tc, quoted_and_plain);
    tcase_add_test(tc, multi_line_strings);
    tcase_add_test(tc, empty_documents);
    tcase_add_test(tc, check_keys_and_diag);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, duplicate_keys);
    tcase_add_test(tc, aliases_anchors_tags_rejected);
    tcase_add_test(tc, syntax_errors);
    tcase_add_test(tc, caps);
    tcase_add_test(tc, load_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("front_matter");
    tcase_add_test(tc, front_matter);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(yaml_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

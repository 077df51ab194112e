/* check_runbook: loading runbooks/ (with the exact load errors users see), sections, failure
 * modes, the Diagnosis excerpt, selection rule by rule, and the HTML page's escaping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "rr/buf.h"
#include "rr/matcher.h"
#include "rr/runbook.h"

#include "testlib.h"

/* ==== Helpers ==== */

static struct rr_runbooks *load_dir(const char *dir)
{
    struct rr_runbooks *rbs = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_runbooks_load(dir, &rbs, &diag);
    ck_assert_msg(err == RR_OK, "loading %s: %s (%s)", dir, rr_strerror(err), diag.msg);
    ck_assert_ptr_nonnull(rbs);
    return rbs;
}

/* Loads tests/fixtures/runbooks/<name>; owned. */
static struct rr_runbooks *load_fixture(const char *name)
{
    char rel[256];
    (void)snprintf(rel, sizeof rel, "runbooks/%s", name);
    char *dir = rr_test_fixture(rel);
    struct rr_runbooks *rbs = load_dir(dir);
    free(dir);
    return rbs;
}

/* Asserts that loading dir fails with err and msg, where "{d}" in msg stands for dir. */
static void load_fails_in(const char *dir, enum rr_err want, const char *msg)
{
    char expect[1024] = "";
    for (const char *p = msg; *p;) {
        size_t used = strlen(expect);
        if (strncmp(p, "{d}", 3) == 0) {
            (void)snprintf(expect + used, sizeof expect - used, "%s", dir);
            p += 3;
        } else {
            (void)snprintf(expect + used, sizeof expect - used, "%c", *p++);
        }
    }
    struct rr_runbooks *rbs = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_runbooks_load(dir, &rbs, &diag);
    ck_assert_msg(err == want, "%s: got %s (%s), want %s", dir, rr_strerror(err), diag.msg,
                  rr_strerror(want));
    ck_assert_ptr_null(rbs);
    ck_assert_str_eq(diag.msg, expect);
}

static void load_fails(const char *name, enum rr_err want, const char *msg)
{
    char rel[256];
    (void)snprintf(rel, sizeof rel, "runbooks/%s", name);
    char *dir = rr_test_fixture(rel);
    load_fails_in(dir, want, msg);
    free(dir);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    (void)snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
}

static const struct rr_runbook *must_find(const struct rr_runbooks *rbs, const char *id)
{
    const struct rr_runbook *rb = rr_runbooks_find(rbs, id);
    ck_assert_msg(rb != NULL, "runbook %s not found", id);
    return rb;
}

/* True when every tag in html is one the page writer uses: runbook text cannot add any. */
static bool only_known_tags(const char *html, char *bad, size_t bad_size)
{
    static const char *const known[] = {
        "!DOCTYPE", "html",  "head",    "meta", "title",  "style", "body", "main", "header",
        "h1",       "h2",    "h3",      "h4",   "h5",     "h6",    "dl",   "dt",   "dd",
        "code",     "p",     "article", "a",    "strong", "ul",    "ol",   "li",   "pre",
        "table",    "thead", "tbody",   "tr",   "th",     "td",    "hr",   NULL};
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        const char *name = p + 1 + (p[1] == '/');
        size_t n = strcspn(name, " >\n");
        size_t i = 0;
        while (known[i] && (strlen(known[i]) != n || strncmp(known[i], name, n) != 0))
            i++;
        if (!known[i]) {
            (void)snprintf(bad, bad_size, "%.40s", p);
            return false;
        }
    }
    return true;
}

/* ==== The shipped runbooks (PRODUCT §6: four sections with content, three failure modes) ==== */

START_TEST(shipped_runbooks)
{
    char *dir = rr_test_source_path("runbooks");
    struct rr_runbooks *rbs = load_dir(dir);
    free(dir);
    ck_assert_uint_gt(rr_runbooks_count(rbs), 0);
    struct rr_buf problems, html;
    rr_buf_init(&problems, 1 << 20);
    rr_buf_init(&html, 1 << 22);
    for (size_t i = 0; i < rr_runbooks_count(rbs); i++) {
        const struct rr_runbook *rb = rr_runbooks_at(rbs, i);
        ck_assert_ptr_eq(rr_runbooks_find(rbs, rb->id), rb);
        for (int s = 0; s < RR_SECTION_COUNT; s++) {
            if (!rb->sections[s].present || !rb->sections[s].has_content)
                ck_assert(rr_buf_printf(&problems, "\n%s: %s section %s", rb->path,
                                        rb->sections[s].present ? "empty" : "missing",
                                        rr_section_name((enum rr_section)s)) == RR_OK);
        }
        if (rb->failure_modes < 3)
            ck_assert(rr_buf_printf(&problems, "\n%s: Remediation names %u failure modes", rb->path,
                                    rb->failure_modes) == RR_OK);
        if (rb->sections[RR_SECTION_DIAGNOSIS].has_content && !rb->excerpt[0])
            ck_assert(rr_buf_printf(&problems, "\n%s: empty excerpt", rb->path) == RR_OK);
        rr_buf_reset(&html);
        ck_assert(rr_runbook_render_html(rb, &html) == RR_OK);
        char bad[64];
        ck_assert_msg(only_known_tags(html.data, bad, sizeof bad), "%s: tag %s", rb->path, bad);
    }
    ck_assert_msg(problems.len == 0, "shipped runbooks break PRODUCT §6:%s",
                  problems.data ? problems.data : "");
    rr_buf_release(&problems);
    rr_buf_release(&html);
    rr_runbooks_free(rbs);
}
END_TEST

/* ==== Load errors ==== */

START_TEST(load_errors)
{
    load_fails("err-no-front-matter", RR_ERR_INVAL,
               "{d}/a.md:1:1: no front matter: the file must start with a line '---'");
    load_fails("err-unclosed", RR_ERR_INVAL,
               "{d}/a.md:1:1: front matter is not closed by a line '---'");
    load_fails("err-no-alerts", RR_ERR_CONFIG,
               "{d}/a.md:2:1: missing required key 'alerts' (the alertnames this runbook "
               "covers, \"*\" for any)");
    load_fails("err-empty-front-matter", RR_ERR_CONFIG,
               "{d}/a.md:1:1: missing required key 'alerts' (the alertnames this runbook "
               "covers, \"*\" for any)");
    load_fails("err-alerts-empty", RR_ERR_CONFIG,
               "{d}/a.md:3:9: 'alerts' is empty: list the alertnames this runbook covers");
    load_fails("err-alerts-scalar", RR_ERR_CONFIG,
               "{d}/a.md:2:9: 'alerts' must be a sequence of alertnames, found a scalar");
    load_fails("err-alerts-entry", RR_ERR_CONFIG,
               "{d}/a.md:4:5: 'alerts' entries must be alertnames, found a mapping");
    load_fails("err-alerts-empty-entry", RR_ERR_CONFIG,
               "{d}/a.md:2:21: empty alertname in 'alerts'");
    load_fails("err-alerts-duplicate", RR_ERR_CONFIG,
               "{d}/a.md:2:32: duplicate alertname 'TemporalX' in 'alerts' (first at 2:10)");
    /* Three files share the id: the second in path order is named, at its id. */
    load_fails("err-duplicate-id", RR_ERR_CONFIG,
               "{d}/b.md:3:7: duplicate runbook id 'x' (first in {d}/a.md)");
    /* Default ids collide too; "sub/x.md" sorts before "x.md". */
    load_fails("err-duplicate-default-id", RR_ERR_CONFIG,
               "{d}/x.md:1:1: duplicate runbook id 'x' (first in {d}/sub/x.md)");
    load_fails("err-unknown-key", RR_ERR_CONFIG,
               "{d}/a.md:4:1: unknown key 'owners' (allowed: id, title, alerts, match, layer, "
               "owner)");
    load_fails("err-bad-matcher", RR_ERR_CONFIG,
               "{d}/a.md:5:5: invalid matcher 'workflow_type=~\"(\"': missing closing "
               "parenthesis at offset 1");
    load_fails("err-bad-layer", RR_ERR_CONFIG,
               "{d}/a.md:3:8: invalid layer 'ambiguous' (allowed: platform, application)");
    load_fails("err-match-scalar", RR_ERR_CONFIG,
               "{d}/a.md:3:8: 'match' must be a sequence of matchers, found a scalar");
    load_fails("err-owner-type", RR_ERR_CONFIG,
               "{d}/a.md:3:8: 'owner' must be a string, found a sequence");
    load_fails("err-title-type", RR_ERR_CONFIG,
               "{d}/a.md:2:8: 'title' must be a string, found a mapping");
    load_fails("err-id-slash", RR_ERR_CONFIG,
               "{d}/a.md:2:5: invalid runbook id 'payments/checkout': '/', '\\', '?', '#' and "
               "'%' are not allowed");
    load_fails("err-id-control", RR_ERR_CONFIG,
               "{d}/a.md:2:5: invalid runbook id: control characters are not allowed");
    /* Columns count characters: "café " is five. */
    load_fails("err-utf8", RR_ERR_INVAL, "{d}/a.md:6:6: invalid UTF-8 (byte 0xff)");
    load_fails("err-overlong", RR_ERR_INVAL, "{d}/a.md:4:1: invalid UTF-8 (byte 0xc0)");
    load_fails("err-nul", RR_ERR_INVAL, "{d}/a.md:4:3: NUL byte");
    load_fails("err-yaml", RR_ERR_INVAL,
               "{d}/a.md:3:1: did not find expected ',' or ']' (while parsing a flow sequence "
               "at 2:9)");
}
END_TEST

START_TEST(load_errors_generated)
{
    char *tmp = rr_test_tmpdir();
    char dir[1024];

    /* The id from a file name is checked like a written one. */
    (void)snprintf(dir, sizeof dir, "%s/name", tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    write_file(dir, "my runbook.md", "---\nalerts: [A]\n---\n");
    load_fails_in(dir, RR_ERR_CONFIG,
                  "{d}/my runbook.md:1:1: invalid runbook id 'my runbook' (from the file name): "
                  "whitespace is not allowed");

    /* A file one byte over the cap. */
    (void)snprintf(dir, sizeof dir, "%s/big", tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    size_t cap = (size_t)RR_RUNBOOK_MAX_FILE_BYTES;
    char *big = rr_xmalloc(cap + 2);
    memset(big, 'x', cap + 1);
    memcpy(big, "---\nalerts: [A]\n---\n", 20);
    big[cap + 1] = '\0';
    write_file(dir, "a.md", big);
    load_fails_in(dir, RR_ERR_LIMIT, "{d}/a.md: larger than 262144 bytes");
    big[cap] = '\0'; // exactly at the cap loads
    write_file(dir, "a.md", big);
    rr_runbooks_free(load_dir(dir));
    free(big);

    /* A link back to a parent would make the walk endless. */
    (void)snprintf(dir, sizeof dir, "%s/loop", tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    char link[1100];
    (void)snprintf(link, sizeof link, "%s/up", dir);
    ck_assert_int_eq(symlink(dir, link), 0);
    /* A loop cannot be loaded (exit 3), it breaks no rule of the runbook format (exit 1). */
    load_fails_in(dir, RR_ERR_IO, "{d}/up: directory loop (a link to a parent)");

    /* Nesting past RR_RUNBOOK_MAX_DEPTH. */
    (void)snprintf(dir, sizeof dir, "%s/deep", tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    char path[1024];
    (void)snprintf(path, sizeof path, "%s", dir);
    for (int i = 0; i <= RR_RUNBOOK_MAX_DEPTH; i++) {
        size_t used = strlen(path);
        (void)snprintf(path + used, sizeof path - used, "/d");
        ck_assert_int_eq(mkdir(path, 0700), 0);
    }
    load_fails_in(dir, RR_ERR_LIMIT,
                  "{d}/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d: directories nested deeper than 16");

    /* A missing directory; an empty one is a valid, empty index. */
    (void)snprintf(dir, sizeof dir, "%s/missing", tmp);
    load_fails_in(dir, RR_ERR_IO, "{d}: cannot open directory: No such file or directory");
    (void)snprintf(dir, sizeof dir, "%s/empty", tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    write_file(dir, ".hidden.md", "not a runbook");
    write_file(dir, "notes.txt", "not a runbook");
    struct rr_runbooks *rbs = load_dir(dir);
    ck_assert_uint_eq(rr_runbooks_count(rbs), 0);
    struct rr_label l = {"alertname", "A"};
    struct rr_labelset set = {&l, 1};
    ck_assert_ptr_null(rr_runbooks_select(rbs, &set, RR_LAYER_PLATFORM, NULL, true));
    rr_runbooks_free(rbs);

    rr_test_rmtree(tmp);
    free(tmp);
}
END_TEST

START_TEST(too_many_files)
{
    char *tmp = rr_test_tmpdir();
    char name[32];
    for (int i = 0; i <= RR_RUNBOOK_MAX_FILES; i++) {
        (void)snprintf(name, sizeof name, "r%05d.md", i);
        write_file(tmp, name, "");
    }
    struct rr_runbooks *rbs = NULL;
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_runbooks_load(tmp, &rbs, &diag), RR_ERR_LIMIT);
    ck_assert_ptr_null(rbs);
    char want[1100];
    (void)snprintf(want, sizeof want, "%s: more than 20000 runbook files", tmp);
    ck_assert_str_eq(diag.msg, want);
    rr_test_rmtree(tmp);
    free(tmp);
}
END_TEST

/* ==== Front matter, order, ids ==== */

START_TEST(front_matter_and_order)
{
    struct rr_runbooks *rbs = load_fixture("sections");
    static const char *const ids[] = {"checkout-stuck", "defaulted-id", "empty",
                                      "excerpt",        "headings",     "modes-list",
                                      "modes-two",      "no-diagnosis"};
    ck_assert_uint_eq(rr_runbooks_count(rbs), 8);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_str_eq(rr_runbooks_at(rbs, i)->id, ids[i]); // lexical path order
        ck_assert_ptr_eq(rr_runbooks_find(rbs, ids[i]), rr_runbooks_at(rbs, i));
    }
    ck_assert_ptr_null(rr_runbooks_at(rbs, 8));
    ck_assert_ptr_null(rr_runbooks_find(rbs, "nope"));
    ck_assert_ptr_null(rr_runbooks_find(rbs, "checkout"));

    const struct rr_runbook *rb = must_find(rbs, "checkout-stuck");
    ck_assert_str_eq(rb->title, "Checkout workflows stuck");
    ck_assert_uint_eq(rb->n_alerts, 2);
    ck_assert_str_eq(rb->alerts[0], "TemporalWorkflowTaskFailing");
    ck_assert_str_eq(rb->alerts[1], "TemporalWorkflowFailureRatioHigh");
    ck_assert(!rb->generic);
    ck_assert_uint_eq(rb->n_match, 2);
    ck_assert_str_eq(rr_matcher_string(rb->match[0]), "workflow_type=~\"Checkout.*\"");
    ck_assert_str_eq(rr_matcher_string(rb->match[1]), "temporal_namespace=\"checkout-prod\"");
    ck_assert(rb->has_layer);
    ck_assert_int_eq(rb->layer, RR_LAYER_APPLICATION);
    ck_assert_str_eq(rb->owner, "checkout");
    const char *suffix = "/runbooks/sections/app/checkout.md";
    ck_assert_str_eq(rb->path + strlen(rb->path) - strlen(suffix), suffix);
    ck_assert_uint_eq(rb->failure_modes, 3);
    ck_assert_str_eq(rb->sections[RR_SECTION_ESCALATION].text, "#checkout-oncall\n");

    /* No id: the file name without .md. */
    rb = must_find(rbs, "defaulted-id");
    ck_assert_str_eq(rb->title, "No id: the file name is the id");
    ck_assert(rb->generic);
    ck_assert_uint_eq(rb->n_match, 0);
    ck_assert(!rb->has_layer);
    ck_assert_ptr_null(rb->owner);
    ck_assert_str_eq(rb->body, "## Diagnosis\nx\n");
    ck_assert_str_eq(must_find(rbs, "empty")->title, "");
    rr_runbooks_free(rbs);
}
END_TEST

/* ==== Sections ==== */

START_TEST(headings)
{
    struct rr_runbooks *rbs = load_fixture("sections");
    const struct rr_runbook *rb = must_find(rbs, "headings");
    const struct rr_runbook_section *s = rb->sections;
    /* "##   DIAGNOSIS", "## Remediation ##", "## terminate  and RESTART" all match. */
    ck_assert(s[RR_SECTION_DIAGNOSIS].present);
    ck_assert_uint_eq(s[RR_SECTION_DIAGNOSIS].line, 6);
    ck_assert_str_eq(s[RR_SECTION_DIAGNOSIS].text, "First.\n\n");
    ck_assert(s[RR_SECTION_REMEDIATION].present);
    ck_assert_uint_eq(s[RR_SECTION_REMEDIATION].line, 9);
    ck_assert(s[RR_SECTION_TERMINATE].present);
    ck_assert(s[RR_SECTION_TERMINATE].has_content);
    ck_assert_uint_eq(s[RR_SECTION_TERMINATE].line, 15);
    /* "## Escalation" inside a ~~~ fence is code, "##Escalation" is no heading. */
    ck_assert(!s[RR_SECTION_ESCALATION].present);
    ck_assert(!s[RR_SECTION_ESCALATION].has_content);
    ck_assert_uint_eq(s[RR_SECTION_ESCALATION].line, 0);
    ck_assert_str_eq(s[RR_SECTION_ESCALATION].text, "");
    ck_assert_str_eq(s[RR_SECTION_TERMINATE].text,
                     "~~~\n## Escalation\n~~~\n\n##Escalation\n(not a heading: no blank after "
                     "the #'s)\n");
    ck_assert_str_eq(rr_section_name(RR_SECTION_TERMINATE), "Terminate and restart");
    ck_assert_str_eq(rr_section_name(RR_SECTION_DIAGNOSIS), "Diagnosis");
    ck_assert_str_eq(rr_section_name(RR_SECTION_REMEDIATION), "Remediation");
    ck_assert_str_eq(rr_section_name(RR_SECTION_ESCALATION), "Escalation");
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(empty_sections)
{
    struct rr_runbooks *rbs = load_fixture("sections");
    const struct rr_runbook_section *s = must_find(rbs, "empty")->sections;
    /* A level-1 heading ends Diagnosis; only blank lines, or only a comment, is no content. */
    ck_assert(s[RR_SECTION_DIAGNOSIS].has_content);
    ck_assert_str_eq(s[RR_SECTION_DIAGNOSIS].text, "Something.\n");
    for (int i = RR_SECTION_REMEDIATION; i < RR_SECTION_COUNT; i++) {
        ck_assert_msg(s[i].present, "%s", rr_section_name((enum rr_section)i));
        ck_assert_msg(!s[i].has_content, "%s", rr_section_name((enum rr_section)i));
    }
    ck_assert_str_eq(s[RR_SECTION_REMEDIATION].text, "\n\n");
    ck_assert_uint_eq(must_find(rbs, "empty")->failure_modes, 0);
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(failure_modes)
{
    struct rr_runbooks *rbs = load_fixture("sections");
    /* ### subsections; #### ones do not count. */
    ck_assert_uint_eq(must_find(rbs, "headings")->failure_modes, 3);
    /* -, *, +, 1. and 2) at the top level; nested, fenced and empty items do not count. */
    ck_assert_uint_eq(must_find(rbs, "modes-list")->failure_modes, 6);
    ck_assert_uint_eq(must_find(rbs, "modes-two")->failure_modes, 2);
    ck_assert_uint_eq(must_find(rbs, "checkout-stuck")->failure_modes, 3);
    ck_assert_uint_eq(must_find(rbs, "defaulted-id")->failure_modes, 0); // no Remediation
    rr_runbooks_free(rbs);

    ck_assert_uint_eq(rr_md_failure_modes("### A\n- x\n- y\n### B\n"), 2);
    ck_assert_uint_eq(rr_md_failure_modes("- a\n\n    - b\n\nText.\n- c\n"), 2);
    ck_assert_uint_eq(rr_md_failure_modes("1. a\n   2. nested\n10) b\n"), 2);
    ck_assert_uint_eq(rr_md_failure_modes("- a\n---\n* b\n- c\n"), 3);
    ck_assert_uint_eq(rr_md_failure_modes("* * *\n-not an item\n"), 0);
}
END_TEST

START_TEST(excerpt)
{
    struct rr_runbooks *rbs = load_fixture("sections");
    ck_assert_str_eq(must_find(rbs, "excerpt")->excerpt, "Is it platform or `application**code`?\n"
                                                         "- Check `temporal_namespace`.\n"
                                                         "Sub heading\n"
                                                         "kubectl get pods\n"
                                                         "Line five.");
    ck_assert_str_eq(must_find(rbs, "no-diagnosis")->excerpt, "");
    ck_assert_str_eq(must_find(rbs, "empty")->excerpt, "Something.");
    rr_runbooks_free(rbs);

    /* The byte cap, and it cuts between characters, never inside one. */
    struct rr_buf b;
    rr_buf_init(&b, 1 << 16);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 700; j++)
            ck_assert(rr_buf_puts(&b, "a") == RR_OK);
        ck_assert(rr_buf_puts(&b, "\n") == RR_OK);
    }
    char *e = rr_md_excerpt(b.data);
    ck_assert_uint_eq(strlen(e), RR_RUNBOOK_EXCERPT_BYTES);
    ck_assert_int_eq(e[700], '\n');
    free(e);
    rr_buf_reset(&b);
    ck_assert(rr_buf_puts(&b, "x") == RR_OK);
    for (int i = 0; i < 600; i++)
        ck_assert(rr_buf_puts(&b, "é") == RR_OK);
    e = rr_md_excerpt(b.data);
    ck_assert_uint_eq(strlen(e), RR_RUNBOOK_EXCERPT_BYTES - 1); // "x" + 599 characters
    free(e);
    rr_buf_release(&b);

    ck_assert_int_eq(rr_md_has_content("  \n<!-- a -->\n\t\n"), false);
    ck_assert_int_eq(rr_md_has_content("<!-- a --> b"), true);
    ck_assert_int_eq(rr_md_has_content("<!-- never closed\ntext"), false);
}
END_TEST

START_TEST(md_reader)
{
    const char *md = "## Title ##\n"
                     "\t- item\n"
                     "12) twelve\n"
                     "````go info\n"
                     "  ```\n"
                     "````\n"
                     "#nope\n"
                     "***\n";
    struct rr_md_reader r;
    struct rr_md_line l;
    rr_md_reader_init(&r, md, strlen(md), 7);
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_HEADING);
    ck_assert_uint_eq(l.level, 2);
    ck_assert_uint_eq(l.lineno, 7);
    ck_assert_int_eq((int)l.content_len, 5);
    ck_assert(strncmp(l.content, "Title", 5) == 0);
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_ITEM);
    ck_assert_uint_eq(l.indent, 4);
    ck_assert_uint_eq(l.content_col, 6);
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_ITEM);
    ck_assert(l.ordered);
    ck_assert_uint_eq(l.number, 12);
    ck_assert_uint_eq(l.content_col, 4);
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_FENCE);
    ck_assert(strncmp(l.content, "go info", l.content_len) == 0);
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_CODE); // a shorter run does not close
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_FENCE);
    ck_assert(!r.in_fence);
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_TEXT);
    ck_assert(rr_md_next(&r, &l));
    ck_assert_int_eq(l.kind, RR_MD_BREAK);
    ck_assert(!rr_md_next(&r, &l));
}
END_TEST

/* ==== Selection ==== */

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct rr_label *)a)->name, ((const struct rr_label *)b)->name);
}

/* Selects for "name=value" pairs (sorted here, as the webhook parser sorts them); the id or
 * NULL. */
static const char *select_id(const struct rr_runbooks *rbs, enum rr_layer layer, const char *team,
                             bool allow_generic, const char *pairs)
{
    struct rr_label items[8];
    char buf[512];
    size_t n = 0;
    (void)snprintf(buf, sizeof buf, "%s", pairs);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && n < 8;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        items[n++] = (struct rr_label){tok, eq + 1};
    }
    qsort(items, n, sizeof *items, cmp_label);
    struct rr_labelset set = {items, n};
    const struct rr_runbook *rb = rr_runbooks_select(rbs, &set, layer, team, allow_generic);
    return rb ? rb->id : NULL;
}

#define APP  RR_LAYER_APPLICATION
#define PLAT RR_LAYER_PLATFORM

START_TEST(select_named_over_generic)
{
    struct rr_runbooks *rbs = load_fixture("select");
    /* g-owned has a matcher and the team as owner, but names no alertname. */
    ck_assert_str_eq(select_id(rbs, APP, "payments", true, "alertname=AlertA namespace=pay"),
                     "a-plain");
    ck_assert_str_eq(select_id(rbs, APP, "payments", false, "alertname=AlertA namespace=pay"),
                     "a-plain");
    /* A runbook listing "*" and AlertF is named for AlertF. */
    ck_assert_str_eq(select_id(rbs, APP, "payments", true, "alertname=AlertF namespace=pay"),
                     "f-mixed");
    ck_assert_str_eq(select_id(rbs, APP, NULL, false, "alertname=AlertF"), "f-mixed");
    /* Every alertname of a runbook is indexed. */
    ck_assert_str_eq(select_id(rbs, APP, NULL, false, "alertname=AlertG1"), "g-multi");
    ck_assert_str_eq(select_id(rbs, APP, NULL, false, "alertname=AlertG2"), "g-multi");
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(select_more_matchers)
{
    struct rr_runbooks *rbs = load_fixture("select");
    /* b-two (2 matchers, owner orders) beats b-one (1 matcher, owner payments). */
    ck_assert_str_eq(
        select_id(rbs, APP, "payments", true, "alertname=AlertB namespace=pay task_queue=pay-tq"),
        "b-two");
    /* Among "*" runbooks too: f-mixed and g-owned (one matcher each) before g-platform (none);
     * between the two, the smaller id or the owner. */
    ck_assert_str_eq(select_id(rbs, PLAT, NULL, true, "alertname=AlertZ namespace=pay"), "f-mixed");
    ck_assert_str_eq(select_id(rbs, PLAT, "payments", true, "alertname=AlertZ namespace=pay"),
                     "g-owned");
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(select_match_filter)
{
    struct rr_runbooks *rbs = load_fixture("select");
    /* b-two's task_queue matcher fails (wrong value, or label absent): b-one. */
    ck_assert_str_eq(
        select_id(rbs, APP, "orders", true, "alertname=AlertB namespace=pay task_queue=ord-tq"),
        "b-one");
    ck_assert_str_eq(select_id(rbs, APP, "orders", true, "alertname=AlertB namespace=pay"),
                     "b-one");
    /* Neither matches: the generic runbooks are next; f-mixed's env!="staging" holds on a
     * missing env label but not on env=staging. */
    ck_assert_str_eq(select_id(rbs, APP, NULL, true, "alertname=AlertB namespace=ord"), "f-mixed");
    ck_assert_ptr_null(select_id(rbs, APP, NULL, true, "alertname=AlertB env=staging"));
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(select_owner_tie_break)
{
    struct rr_runbooks *rbs = load_fixture("select");
    /* c-aaa (orders), c-bbb and c-ccc (payments): the owner wins, then the smaller id. */
    ck_assert_str_eq(select_id(rbs, APP, "payments", true, "alertname=AlertC"), "c-bbb");
    ck_assert_str_eq(select_id(rbs, APP, "orders", true, "alertname=AlertC"), "c-aaa");
    ck_assert_str_eq(select_id(rbs, APP, "shipping", true, "alertname=AlertC"), "c-aaa");
    ck_assert_str_eq(select_id(rbs, APP, NULL, true, "alertname=AlertC"), "c-aaa");
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(select_smallest_id)
{
    struct rr_runbooks *rbs = load_fixture("select");
    /* Byte order, not numeric: "d-10" < "d-2". */
    ck_assert_str_eq(select_id(rbs, APP, NULL, true, "alertname=AlertD"), "d-10");
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(select_layer_filter)
{
    struct rr_runbooks *rbs = load_fixture("select");
    ck_assert_str_eq(select_id(rbs, PLAT, NULL, true, "alertname=AlertE"), "e-platform");
    ck_assert_str_eq(select_id(rbs, APP, NULL, true, "alertname=AlertE"), "e-app");
    /* Generic: g-platform only for platform decisions. */
    ck_assert_str_eq(select_id(rbs, PLAT, NULL, true, "alertname=AlertZ env=staging"),
                     "g-platform");
    ck_assert_ptr_null(select_id(rbs, APP, NULL, true, "alertname=AlertZ env=staging"));
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(select_generic_and_none)
{
    struct rr_runbooks *rbs = load_fixture("select");
    ck_assert_str_eq(select_id(rbs, PLAT, NULL, true, "alertname=AlertZ"), "f-mixed");
    ck_assert_ptr_null(select_id(rbs, PLAT, NULL, false, "alertname=AlertZ"));
    /* None eligible at all. */
    ck_assert_ptr_null(select_id(rbs, APP, "payments", true, "alertname=AlertZ env=staging"));
    ck_assert_ptr_null(select_id(rbs, APP, NULL, false, "alertname=Unknown"));
    /* No index, no runbook; no alertname, only generic ones. */
    ck_assert_ptr_null(select_id(NULL, APP, NULL, true, "alertname=AlertA"));
    ck_assert_str_eq(select_id(rbs, PLAT, NULL, true, "namespace=x"), "f-mixed");
    ck_assert_uint_eq(rr_runbooks_count(NULL), 0);
    ck_assert_ptr_null(rr_runbooks_find(NULL, "a-plain"));
    rr_runbooks_free(NULL);
    rr_runbooks_free(rbs);
}
END_TEST

/* ==== HTML ==== */

START_TEST(html_escapes_everything)
{
    struct rr_runbooks *rbs = load_fixture("html");
    struct rr_buf b;
    rr_buf_init(&b, 1 << 20);
    ck_assert(rr_buf_puts(&b, "prefix|") == RR_OK);
    ck_assert(rr_runbook_render_html(must_find(rbs, "hostile"), &b) == RR_OK);
    const char *h = b.data;
    ck_assert(strncmp(h, "prefix|<!DOCTYPE html>\n", 23) == 0); // appended
    char bad[64];
    ck_assert_msg(only_known_tags(h, bad, sizeof bad), "foreign tag %s", bad);
    ck_assert_ptr_null(strstr(h, "<script"));
    ck_assert_ptr_null(strstr(h, "<img"));
    ck_assert_ptr_null(strstr(h, "javascript:alert(1)\""));
    ck_assert_ptr_nonnull(strstr(h, "content=\"default-src 'none'; style-src 'unsafe-inline'\""));
    /* Front matter. */
    ck_assert_ptr_nonnull(strstr(h, "<title>&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; "
                                    "&amp; &#39;x&#39; · runbook</title>"));
    ck_assert_ptr_nonnull(strstr(h, "<h1>&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; "
                                    "&amp; &#39;x&#39;</h1>"));
    ck_assert_ptr_nonnull(strstr(h, "<dt>Alerts</dt><dd><code>Evil&lt;Alert&gt;</code></dd>"));
    ck_assert_ptr_nonnull(
        strstr(h, "<dt>Match</dt><dd><code>workflow_type=~&quot;&lt;b&gt;.*&quot;</code></dd>"));
    ck_assert_ptr_nonnull(strstr(h, "<dt>Layer</dt><dd>platform</dd>"));
    ck_assert_ptr_nonnull(strstr(h, "<dt>Owner</dt><dd>team&quot;&gt;&lt;img src=x&gt;</dd>"));
    ck_assert_ptr_nonnull(
        strstr(h, "<p class=\"warn\">Missing section: Terminate and restart, Escalation</p>"));
    /* Body: raw HTML is text; a quote cannot leave href; javascript: is no link. */
    ck_assert_ptr_nonnull(
        strstr(h, "<h2>Diagnosis</h2>\n<p>&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(h, "<a href=\"https://example.com/a&quot;onmouseover=&quot;x\" "
                                    "rel=\"noopener noreferrer\">here</a>"));
    ck_assert_ptr_nonnull(strstr(h, " or [there](javascript:alert(1)) or "));
    ck_assert_ptr_nonnull(strstr(h, "<a href=\"https://example.com/?a=1&amp;b=2\" "
                                    "rel=\"noopener noreferrer\">ok</a>"));
    ck_assert_ptr_nonnull(strstr(h, "Some <code>&lt;b&gt;code&lt;/b&gt;</code> and "
                                    "<strong>bold &lt;i&gt;</strong> and  and **literal**.</p>"));
    ck_assert_ptr_null(strstr(h, "a comment"));
    /* Headings, a code block (with a heading-like line), lists, a table. */
    ck_assert_ptr_nonnull(strstr(h, "<h2>Remediation</h2>\n<h3>One</h3>\n"));
    ck_assert_ptr_nonnull(strstr(h, "<pre><code>echo &quot;&lt;tag&gt;&quot; &amp;&amp; rm -rf "
                                    "&#39;/&#39;\n## not a heading\n</code></pre>\n"));
    ck_assert_ptr_nonnull(strstr(h, "<ol>\n<li>First<ul>\n<li>nested &lt;em&gt;</li>\n</ul>\n"
                                    "</li>\n<li>Second</li>\n</ol>\n"));
    ck_assert_ptr_nonnull(strstr(h, "<tr><th>Column</th><th><code>a|b</code></th></tr>"));
    ck_assert_ptr_nonnull(strstr(h, "<tr><td>&lt;td&gt;</td><td>x</td></tr>"));
    ck_assert(strcmp(h + b.len - 24, "</main>\n</body>\n</html>\n") == 0);

    /* Over the buffer's cap: RR_ERR_LIMIT and the buffer as it was. */
    struct rr_buf small;
    rr_buf_init(&small, 2000);
    ck_assert(rr_buf_puts(&small, "keep") == RR_OK);
    ck_assert_int_eq(rr_runbook_render_html(must_find(rbs, "hostile"), &small), RR_ERR_LIMIT);
    ck_assert_str_eq(small.data, "keep");
    ck_assert_uint_eq(small.len, 4);
    rr_buf_release(&small);
    rr_buf_release(&b);
    rr_runbooks_free(rbs);
}
END_TEST

START_TEST(html_inline_edge_cases)
{
    /* Rendered through a generated runbook, so only the public API is used. */
    char *tmp = rr_test_tmpdir();
    write_file(tmp, "e.md",
               "---\nalerts: [A]\n---\n"
               "``` no close, `` a ` b `` and ** open [x](https://a)\n"
               "[not](ftp://x) [bad url](https://a b) [u](HTTPS://A/(b)) \\<b\\>\n"
               "~~~\n"
               "<b>\n");
    struct rr_runbooks *rbs = load_dir(tmp);
    struct rr_buf b;
    rr_buf_init(&b, 1 << 20);
    ck_assert(rr_runbook_render_html(must_find(rbs, "e"), &b) == RR_OK);
    /* Unmatched runs stay text; `` pads; only http(s) URLs without blanks link. */
    ck_assert_ptr_nonnull(strstr(b.data, "<p>``` no close, <code>a ` b</code> and ** open <a "
                                         "href=\"https://a\" rel=\"noopener noreferrer\">x</a>\n"));
    ck_assert_ptr_nonnull(strstr(b.data, "[not](ftp://x) [bad url](https://a b) <a "
                                         "href=\"HTTPS://A/(b)\" rel=\"noopener "
                                         "noreferrer\">u</a> &lt;b&gt;</p>\n"));
    /* An unclosed fence runs to the end and is closed on the page. */
    ck_assert_ptr_nonnull(strstr(b.data, "<pre><code>&lt;b&gt;\n</code></pre>\n</article>"));
    rr_buf_release(&b);
    rr_runbooks_free(rbs);
    rr_test_rmtree(tmp);
    free(tmp);
}
END_TEST

static Suite *runbook_suite(void)
{
    Suite *s = suite_create("runbook");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, shipped_runbooks);
    tcase_add_test(tc, load_errors);
    tcase_add_test(tc, front_matter_and_order);
    suite_add_tcase(s, tc);
    /* Generated trees: 20 001 files take a moment on a slow disk under ASan. */
    tc = tcase_create("caps");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, load_errors_generated);
    tcase_add_test(tc, too_many_files);
    suite_add_tcase(s, tc);
    tc = tcase_create("sections");
    tcase_add_test(tc, headings);
    tcase_add_test(tc, empty_sections);
    tcase_add_test(tc, failure_modes);
    tcase_add_test(tc, excerpt);
    tcase_add_test(tc, md_reader);
    suite_add_tcase(s, tc);
    tc = tcase_create("select");
    tcase_add_test(tc, select_named_over_generic);
    tcase_add_test(tc, select_more_matchers);
    tcase_add_test(tc, select_match_filter);
    tcase_add_test(tc, select_owner_tie_break);
    tcase_add_test(tc, select_smallest_id);
    tcase_add_test(tc, select_layer_filter);
    tcase_add_test(tc, select_generic_and_none);
    suite_add_tcase(s, tc);
    tc = tcase_create("html");
    tcase_add_test(tc, html_escapes_everything);
    tcase_add_test(tc, html_inline_edge_cases);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(runbook_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

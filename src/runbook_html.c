/*
 * runbook_html: a runbook as a standalone HTML page (GET /runbooks/{id}).
 *
 * The body is rendered in a small, safe Markdown subset: headings, paragraphs, bullet and
 * numbered lists (nested by indentation), fenced code, pipe tables, inline `code`, **bold**,
 * backslash escapes and [links](https://...). It is not CommonMark: single-`*` emphasis,
 * reference links, images, raw HTML and block quotes come out as the escaped text they are,
 * and inline markup does not span lines. Every byte taken from a runbook goes through
 * put_escaped(), so the only markup on the page is the one written here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rr/matcher.h"
#include "rr/runbook.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* ==== HTML output ==== */

#define MAX_LISTS     16   /* nesting depth rendered; deeper items become siblings */
#define MAX_LINK_TEXT 1024 /* bytes between [ and ] searched for a link */
#define MAX_LINK_URL  2048 /* bytes of a link target */

struct list {
    bool ordered;
    unsigned content_col; /* column where the open item's text starts */
};

struct page {
    struct rr_buf *b;
    enum rr_err err;  /* first failed append; later output is skipped */
    bool in_para;     /* a <p> is open */
    bool in_item;     /* text of the open <li> may continue */
    bool after_blank; /* the previous line was blank */
    bool in_table;
    struct list lists[MAX_LISTS];
    size_t depth; /* open lists */
};

static void put(struct page *pg, const char *s, size_t n)
{
    if (!pg->err)
        pg->err = rr_buf_append(pg->b, s, n);
}

static void put_str(struct page *pg, const char *s)
{
    put(pg, s, strlen(s));
}

static void put_escaped(struct page *pg, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        put(pg, s + run, i - run);
        put_str(pg, rep);
        run = i + 1;
    }
    put(pg, s + run, n - run);
}

static void put_escaped_str(struct page *pg, const char *s)
{
    put_escaped(pg, s, strlen(s));
}

/* ==== Inline markup ==== */

/* What a search found missing further on in the same text, so a line full of unmatched
 * markers costs linear time instead of quadratic. */
struct memo {
    bool no_bold;
    uint64_t no_code; /* bit k: no run of exactly k backticks further on */
};

static bool all_spaces(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ')
            return false;
    return true;
}

static bool is_http_url(const char *u, size_t n)
{
    static const char *const schemes[] = {"http://", "https://"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(schemes[i]);
        if (n <= k)
            continue;
        size_t j = 0;
        while (j < k && (u[j] >= 'A' && u[j] <= 'Z' ? u[j] + 32 : u[j]) == schemes[i][j])
            j++;
        if (j == k)
            return true;
    }
    return false;
}

static void put_inline(struct page *pg, const char *s, size_t n, bool links);

/* `code` at s[i] (a run of k backticks); returns the bytes consumed: the span, or the run
 * alone (written as it is) when nothing closes it. */
static size_t code_span(struct page *pg, const char *s, size_t n, size_t i, struct memo *m)
{
    size_t k = 0;
    while (i + k < n && s[i + k] == '`')
        k++;
    for (size_t j = i + k; j < n && k < 64 && !(m->no_code >> k & 1);) {
        if (s[j] != '`') {
            j++;
            continue;
        }
        size_t e = j;
        while (e < n && s[e] == '`')
            e++;
        if (e - j == k) {
            const char *c = s + i + k;
            size_t cn = j - i - k;
            /* One blank on each side is padding, so `` `x` `` can show backticks. */
            if (cn >= 2 && c[0] == ' ' && c[cn - 1] == ' ' && !all_spaces(c, cn)) {
                c++;
                cn -= 2;
            }
            put_str(pg, "<code>");
            put_escaped(pg, c, cn);
            put_str(pg, "</code>");
            return e - i;
        }
        j = e;
    }
    if (k < 64)
        m->no_code |= (uint64_t)1 << k;
    put(pg, s + i, k); // the unmatched run stays literal as a whole
    return k;
}

/* [text](http...) at s[i]; returns bytes consumed, 0 when it is no link. */
static size_t link(struct page *pg, const char *s, size_t n, size_t i)
{
    size_t lim = n - i > MAX_LINK_TEXT ? i + MAX_LINK_TEXT : n;
    const char *close = memchr(s + i + 1, ']', lim - i - 1);
    if (!close || (size_t)(close - s) + 1 >= n || close[1] != '(')
        return 0;
    size_t u = (size_t)(close - s) + 2;
    size_t k = u;
    int depth = 0;
    for (; k < n && k - u < MAX_LINK_URL; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c <= ' ' || c == 0x7f)
            return 0;
        if (c == '(')
            depth++;
        else if (c == ')' && depth-- == 0)
            break;
    }
    if (k >= n || s[k] != ')' || !is_http_url(s + u, k - u))
        return 0;
    put_str(pg, "<a href=\"");
    put_escaped(pg, s + u, k - u);
    put_str(pg, "\" rel=\"noopener noreferrer\">");
    put_inline(pg, s + i + 1, (size_t)(close - s) - i - 1, false);
    put_str(pg, "</a>");
    return k + 1 - i;
}

/* **bold** at s[i]; returns bytes consumed, 0 when it is no bold span. */
static size_t bold(struct page *pg, const char *s, size_t n, size_t i, bool links, struct memo *m)
{
    if (m->no_bold)
        return 0;
    for (size_t j = i + 2; j + 1 < n; j++) {
        if (s[j] != '*' || s[j + 1] != '*')
            continue;
        if (j == i + 2)
            return 0; // "****" is text
        put_str(pg, "<strong>");
        put_inline(pg, s + i + 2, j - i - 2, links);
        put_str(pg, "</strong>");
        return j + 2 - i;
    }
    m->no_bold = true;
    return 0;
}

/* One line of text with inline markup; links=false inside a link's own text. The first
 * closing "**" ends a bold span, so bold spans never nest and recursion stays shallow. */
static void put_inline(struct page *pg, const char *s, size_t n, bool links)
{
    static const char punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    struct memo m = {false, 0};
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        size_t used = 0;
        bool escaped = false; /* a backslash makes the next punctuation character text */
        if (s[i] == '\\' && i + 1 < n && s[i + 1] && strchr(punct, s[i + 1]))
            escaped = true;
        else if (s[i] == '`' || (s[i] == '*' && i + 1 < n && s[i + 1] == '*') ||
                 (s[i] == '[' && links)) {
            put_escaped(pg, s + run, i - run);
            run = i;
            if (s[i] == '`')
                used = code_span(pg, s, n, i, &m);
            else if (s[i] == '*')
                used = bold(pg, s, n, i, links, &m);
            else
                used = link(pg, s, n, i);
        }
        if (escaped) {
            put_escaped(pg, s + run, i - run);
            put_escaped(pg, s + i + 1, 1);
            i += 2;
            run = i;
        } else if (used) {
            i += used;
            run = i;
        } else {
            i += s[i] == '*' && i + 1 < n && s[i + 1] == '*' ? 2 : 1; // "**" stays a pair
        }
    }
    put_escaped(pg, s + run, n - run);
}

/* ==== Blocks ==== */

static void close_para(struct page *pg)
{
    if (pg->in_para)
        put_str(pg, "</p>\n");
    pg->in_para = false;
    pg->in_item = false;
}

static void close_table(struct page *pg)
{
    if (pg->in_table)
        put_str(pg, "</tbody></table>\n");
    pg->in_table = false;
}

static void pop_list(struct page *pg)
{
    close_para(pg);
    put_str(pg, pg->lists[--pg->depth].ordered ? "</li>\n</ol>\n" : "</li>\n</ul>\n");
}

/* Closes the lists a block starting at column indent is not part of. */
static void leave_lists(struct page *pg, unsigned indent)
{
    while (pg->depth && indent < pg->lists[pg->depth - 1].content_col)
        pop_list(pg);
}

static void item(struct page *pg, const struct rr_md_line *l)
{
    close_para(pg);
    close_table(pg);
    while (pg->depth) {
        struct list *top = &pg->lists[pg->depth - 1];
        if (l->indent >= top->content_col && pg->depth < MAX_LISTS)
            break; // nested in the open item
        bool sibling = pg->depth == 1 || l->indent >= pg->lists[pg->depth - 2].content_col;
        if (sibling && (top->ordered == l->ordered || pg->depth == MAX_LISTS)) {
            put_str(pg, "</li>\n<li>");
            top->content_col = l->content_col;
            goto text;
        }
        pop_list(pg);
    }
    if (l->ordered && l->number != 1) {
        char open[40];
        (void)snprintf(open, sizeof open, "<ol start=\"%lu\">\n<li>", l->number);
        put_str(pg, open);
    } else {
        put_str(pg, l->ordered ? "<ol>\n<li>" : "<ul>\n<li>");
    }
    pg->lists[pg->depth++] = (struct list){l->ordered, l->content_col};
text:
    put_inline(pg, l->content, l->content_len, true);
    pg->in_item = true;
}

static bool is_table_row(const struct rr_md_line *l)
{
    return l->kind == RR_MD_TEXT && l->content[0] == '|';
}

static bool is_delimiter_row(const struct rr_md_line *l)
{
    if (!is_table_row(l) || !memchr(l->content, '-', l->content_len))
        return false;
    for (size_t i = 0; i < l->content_len; i++)
        if (!strchr("|-: \t", l->content[i]))
            return false;
    return true;
}

/* One table row: cells between unescaped pipes outside code spans. */
static void table_row(struct page *pg, const struct rr_md_line *l, const char *cell_tag)
{
    const char *s = l->content + 1; // past the leading pipe
    size_t n = l->content_len - 1;
    if (n && s[n - 1] == '|' && (n < 2 || s[n - 2] != '\\'))
        n--;
    put_str(pg, "<tr>");
    bool code = false;
    for (size_t start = 0, i = 0; i <= n; i++) {
        if (i < n && s[i] == '\\') {
            i++;
            continue;
        }
        if (i < n && s[i] == '`')
            code = !code;
        if (i < n && (s[i] != '|' || code))
            continue;
        const char *c = s + start;
        size_t cn = i - start;
        trim(&c, &cn);
        put(pg, "<", 1);
        put_str(pg, cell_tag);
        put(pg, ">", 1);
        put_inline(pg, c, cn, true);
        put_str(pg, "</");
        put_str(pg, cell_tag);
        put(pg, ">", 1);
        start = i + 1;
    }
    put_str(pg, "</tr>\n");
}

static void text(struct page *pg, struct rr_md_reader *r, const struct rr_md_line *l)
{
    if (pg->in_table && is_table_row(l)) {
        table_row(pg, l, "td");
        return;
    }
    close_table(pg);
    struct rr_md_reader peek = *r;
    struct rr_md_line next;
    if (is_table_row(l) && rr_md_next(&peek, &next) && is_delimiter_row(&next)) {
        close_para(pg);
        leave_lists(pg, l->indent);
        put_str(pg, "<table><thead>");
        table_row(pg, l, "th");
        put_str(pg, "</thead><tbody>\n");
        *r = peek;
        pg->in_table = true;
        return;
    }
    /* Without a blank line before it, text continues the open paragraph or item (lazily). */
    if (pg->after_blank)
        leave_lists(pg, l->indent);
    if (pg->in_para || pg->in_item) {
        put(pg, "\n", 1);
    } else {
        put_str(pg, "<p>");
        pg->in_para = true;
    }
    put_inline(pg, l->content, l->content_len, true);
}

static void close_all(struct page *pg)
{
    close_para(pg);
    close_table(pg);
    while (pg->depth)
        pop_list(pg);
}

static void render_body(struct page *pg, const char *md)
{
    struct rr_md_reader r;
    struct rr_md_line l;
    char tag[8];
    rr_md_reader_init(&r, md, strlen(md), 1);
    while (rr_md_next(&r, &l)) {
        switch (l.kind) {
        case RR_MD_BLANK:
            close_para(pg);
            close_table(pg);
            pg->after_blank = true;
            continue;
        case RR_MD_CODE:
            put_escaped(pg, l.content, l.content_len);
            put(pg, "\n", 1);
            break;
        case RR_MD_FENCE:
            if (!r.in_fence) {
                put_str(pg, "</code></pre>\n");
                break;
            }
            close_para(pg);
            close_table(pg);
            leave_lists(pg, l.indent);
            put_str(pg, "<pre><code>");
            break;
        case RR_MD_HEADING:
            close_all(pg);
            (void)snprintf(tag, sizeof tag, "h%u>", l.level);
            put(pg, "<", 1);
            put_str(pg, tag);
            put_inline(pg, l.content, l.content_len, true);
            put_str(pg, "</");
            put_str(pg, tag);
            put(pg, "\n", 1);
            break;
        case RR_MD_BREAK:
            close_all(pg);
            put_str(pg, "<hr>\n");
            break;
        case RR_MD_ITEM:
            item(pg, &l);
            break;
        case RR_MD_TEXT:
            text(pg, &r, &l);
            break;
        }
        pg->after_blank = false;
    }
    if (r.in_fence)
        put_str(pg, "</code></pre>\n");
    close_all(pg);
}

/* ==== The page ==== */

static const char css[] =
    "body{margin:0;background:#fafafa;color:#1d1d1f;font:16px/1.55 system-ui,-apple-system,"
    "'Segoe UI',Roboto,sans-serif}"
    "main{max-width:52rem;margin:0 auto;padding:1.5rem 1.25rem 4rem;background:#fff}"
    "h1{font-size:1.6rem;line-height:1.25;margin:.2rem 0 1rem}"
    "h2{font-size:1.3rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid #ddd}"
    "h3{font-size:1.08rem;margin:1.4rem 0 .4rem}"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem;"
    "padding:.75rem 1rem;background:#f3f4f6;border-radius:6px}"
    "dl.meta dt{font-weight:600}dl.meta dd{margin:0}"
    "code{font:.9em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f0f0f0;"
    "padding:.1em .3em;border-radius:3px;overflow-wrap:anywhere}"
    "pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:6px;padding:.75rem 1rem;"
    "overflow-x:auto}"
    "pre code{background:none;padding:0;overflow-wrap:normal}"
    "table{border-collapse:collapse;margin:1rem 0;display:block;overflow-x:auto}"
    "th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}"
    "th{background:#f3f4f6}li{margin:.2rem 0}a{color:#0b57d0}"
    ".warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.5rem .75rem}"
    "@media (prefers-color-scheme:dark){body{background:#111;color:#e6e6e6}main{background:#1b1b1d}"
    "dl.meta,th{background:#26272b}code,pre{background:#26272b;border-color:#3a3b40}"
    "th,td{border-color:#3a3b40}a{color:#8ab4f8}.warn{background:#3a2d12}}";

static void meta_row(struct page *pg, const char *name)
{
    put_str(pg, "<dt>");
    put_str(pg, name);
    put_str(pg, "</dt><dd>");
}

static void meta_code(struct page *pg, const char *s, bool comma)
{
    put_str(pg, comma ? ", <code>" : "<code>");
    put_escaped_str(pg, s);
    put_str(pg, "</code>");
}

/* Names the sections a reader will not find, so a gap is visible before an incident. */
static void section_gaps(struct page *pg, const struct rr_runbook *rb)
{
    const char *what[] = {"Missing section", "Empty section"};
    for (int pass = 0; pass < 2; pass++) {
        bool any = false;
        for (int s = 0; s < RR_SECTION_COUNT; s++) {
            const struct rr_runbook_section *sec = &rb->sections[s];
            if (pass == 0 ? sec->present : !sec->present || sec->has_content)
                continue;
            put_str(pg, any ? ", " : "<p class=\"warn\">");
            if (!any) {
                put_str(pg, what[pass]);
                put_str(pg, ": ");
            }
            put_str(pg, rr_section_name((enum rr_section)s));
            any = true;
        }
        if (any)
            put_str(pg, "</p>\n");
    }
}

enum rr_err rr_runbook_render_html(const struct rr_runbook *rb, struct rr_buf *out)
{
    struct page pg = {.b = out, .err = RR_OK};
    size_t start = out->len;
    const char *title = rb->title && rb->title[0] ? rb->title : rb->id;

    put_str(&pg, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 /* Defence in depth: even escaped-away markup could run no script here. */
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'\">\n"
                 "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    put_escaped_str(&pg, title);
    put_str(&pg, " · runbook</title>\n<style>");
    put_str(&pg, css);
    put_str(&pg, "</style>\n</head>\n<body>\n<main>\n<header>\n<h1>");
    put_escaped_str(&pg, title);
    put_str(&pg, "</h1>\n<dl class=\"meta\">\n");
    meta_row(&pg, "Runbook");
    meta_code(&pg, rb->id, false);
    put_str(&pg, "</dd>\n");
    meta_row(&pg, "Alerts");
    for (size_t i = 0; i < rb->n_alerts; i++)
        meta_code(&pg, rb->alerts[i], i > 0);
    if (rb->generic)
        put_str(&pg, " (generic: any alert without a dedicated runbook)");
    put_str(&pg, "</dd>\n");
    if (rb->n_match) {
        meta_row(&pg, "Match");
        for (size_t i = 0; i < rb->n_match; i++)
            meta_code(&pg, rr_matcher_string(rb->match[i]), i > 0);
        put_str(&pg, "</dd>\n");
    }
    if (rb->has_layer) {
        meta_row(&pg, "Layer");
        put_str(&pg, rb->layer == RR_LAYER_PLATFORM ? "platform" : "application");
        put_str(&pg, "</dd>\n");
    }
    if (rb->owner) {
        meta_row(&pg, "Owner");
        put_escaped_str(&pg, rb->owner);
        put_str(&pg, "</dd>\n");
    }
    put_str(&pg, "</dl>\n");
    section_gaps(&pg, rb);
    put_str(&pg, "</header>\n<article>\n");
    char *body = rr_md_strip_comments(rb->body ? rb->body : "");
    render_body(&pg, body);
    free(body);
    put_str(&pg, "</article>\n</main>\n</body>\n</html>\n");

    if (pg.err) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return pg.err;
}

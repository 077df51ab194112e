/*
 * markdown: the Markdown line reader of runbook.h and what runbooks read with it — content,
 * failure modes, the Diagnosis excerpt. A line is classified from its own text and the fence
 * state alone (no container stack), which is enough for the runbook subset and keeps every
 * reader of a runbook in agreement.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rr/runbook.h"

/* ==== Reading lines ==== */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Columns of the blanks at the start of s when s starts at column col (tabs stop every 4);
 * *off receives the bytes they take. */
static unsigned blanks_from(const char *s, size_t n, unsigned col, size_t *off)
{
    size_t i = 0;
    for (; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
        col = s[i] == '\t' ? (col / 4 + 1) * 4 : col + 1;
    *off = i;
    return col;
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

void rr_md_reader_init(struct rr_md_reader *r, const char *text, size_t len, unsigned first_line)
{
    memset(r, 0, sizeof *r);
    r->p = text;
    r->end = text + len;
    r->lineno = first_line;
}

/* A run of at least 3 '`' or '~' opening fenced code (s is past the indent). CommonMark: the
 * info string of a backtick fence holds no backtick, or inline code could open a fence. */
static bool open_fence(struct rr_md_reader *r, const char *s, size_t n, struct rr_md_line *l)
{
    size_t k = 0;
    if (n == 0 || (s[0] != '`' && s[0] != '~'))
        return false;
    while (k < n && s[k] == s[0])
        k++;
    if (k < 3 || (s[0] == '`' && memchr(s + k, '`', n - k)))
        return false;
    r->in_fence = true;
    r->fence_char = s[0];
    r->fence_len = k;
    r->fence_indent = l->indent;
    l->kind = RR_MD_FENCE;
    l->content = s + k;
    l->content_len = n - k;
    trim(&l->content, &l->content_len);
    return true;
}

/* A line inside fenced code: the closing fence, or code less the fence's indent. */
static void read_code(struct rr_md_reader *r, const char *s, size_t n, size_t off,
                      struct rr_md_line *l)
{
    size_t k = off;
    while (k < n && s[k] == r->fence_char)
        k++;
    size_t rest = k;
    while (rest < n && is_blank(s[rest]))
        rest++;
    if (k - off >= r->fence_len && rest == n) {
        r->in_fence = false;
        l->kind = RR_MD_FENCE;
        l->content = s + n;
        return;
    }
    unsigned col = 0;
    size_t i = 0;
    while (i < n && col < r->fence_indent && (s[i] == ' ' || s[i] == '\t'))
        col = s[i++] == '\t' ? (col / 4 + 1) * 4 : col + 1;
    l->kind = RR_MD_CODE;
    l->content = s + i;
    l->content_len = n - i;
}

static bool read_heading(const char *s, size_t n, struct rr_md_line *l)
{
    size_t h = 0;
    while (h < n && s[h] == '#')
        h++;
    if (h == 0 || h > 6 || (h < n && !is_blank(s[h])))
        return false;
    const char *c = s + h;
    size_t cn = n - h;
    trim(&c, &cn);
    /* An optional closing run of #'s, when a blank separates it from the title. */
    size_t e = cn;
    while (e && c[e - 1] == '#')
        e--;
    if (e == 0)
        cn = 0;
    else if (e < cn && is_blank(c[e - 1]))
        cn = e;
    trim(&c, &cn);
    l->kind = RR_MD_HEADING;
    l->level = (unsigned)h;
    l->content = c;
    l->content_len = cn;
    return true;
}

static bool is_break(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '-' && s[0] != '*' && s[0] != '_'))
        return false;
    size_t marks = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == s[0])
            marks++;
        else if (!is_blank(s[i]))
            return false;
    }
    return marks >= 3;
}

static bool read_item(const char *s, size_t n, struct rr_md_line *l)
{
    size_t m = 0;
    unsigned long number = 0;
    if (n && (s[0] == '-' || s[0] == '*' || s[0] == '+')) {
        m = 1;
    } else {
        while (m < n && m < 9 && s[m] >= '0' && s[m] <= '9')
            number = number * 10 + (unsigned long)(s[m++] - '0');
        if (m == 0 || m >= n || (s[m] != '.' && s[m] != ')'))
            return false;
        m++;
        l->ordered = true;
        l->number = number;
    }
    if (m < n && s[m] != ' ' && s[m] != '\t')
        return false;
    size_t off;
    unsigned marker_end = l->indent + (unsigned)m;
    unsigned col = blanks_from(s + m, n - m, marker_end, &off);
    l->kind = RR_MD_ITEM;
    /* CommonMark: 1-4 blanks set where the text starts; more mean code inside the item. */
    l->content_col = m + off == n || col - marker_end > 4 ? marker_end + 1 : col;
    l->content = s + m;
    l->content_len = n - m;
    trim(&l->content, &l->content_len);
    return true;
}

bool rr_md_next(struct rr_md_reader *r, struct rr_md_line *l)
{
    if (r->p >= r->end)
        return false;
    const char *s = r->p;
    const char *nl = memchr(s, '\n', (size_t)(r->end - s));
    size_t n = nl ? (size_t)(nl - s) : (size_t)(r->end - s);
    r->p = nl ? nl + 1 : r->end;
    if (n && s[n - 1] == '\r')
        n--;
    memset(l, 0, sizeof *l);
    l->start = s;
    l->len = n;
    l->lineno = r->lineno++;
    size_t off;
    l->indent = blanks_from(s, n, 0, &off);
    if (r->in_fence) {
        read_code(r, s, n, off, l);
        return true;
    }
    const char *t = s + off;
    size_t tn = n - off;
    l->content = t;
    l->content_len = tn;
    trim(&l->content, &l->content_len);
    /* open_fence, read_heading and read_item set the kind when they recognise the line. */
    if (l->content_len == 0)
        l->kind = RR_MD_BLANK;
    else if (open_fence(r, t, tn, l) || (l->indent <= 3 && read_heading(t, tn, l)))
        return true;
    else if (l->indent <= 3 && is_break(t, tn))
        l->kind = RR_MD_BREAK;
    else if (!read_item(t, tn, l))
        l->kind = RR_MD_TEXT;
    return true;
}

/* ==== Reading sections ==== */

static bool is_blank_nl(char c)
{
    return is_blank(c) || c == '\n';
}

static unsigned char lower(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 'A' && u <= 'Z' ? (unsigned char)(u | 0x20) : u;
}

/* ASCII case-insensitive; a run of blanks in s matches one space of name. */
static bool heading_is(const char *s, size_t n, const char *name)
{
    size_t i = 0;
    for (; *name; name++) {
        if (i == n)
            return false;
        if (*name == ' ') {
            if (!is_blank(s[i]))
                return false;
            while (i < n && is_blank(s[i]))
                i++;
        } else if (lower(s[i]) == lower(*name)) {
            i++;
        } else {
            return false;
        }
    }
    return i == n;
}

void rr_md_find_sections(const char *body, unsigned first_line,
                         struct rr_md_span spans[RR_SECTION_COUNT])
{
    struct rr_md_reader r;
    struct rr_md_line l;
    int cur = -1;
    memset(spans, 0, RR_SECTION_COUNT * sizeof *spans);
    rr_md_reader_init(&r, body, strlen(body), first_line);
    for (;;) {
        const char *at = r.p;
        bool more = rr_md_next(&r, &l);
        if (cur >= 0 && (!more || (l.kind == RR_MD_HEADING && l.level <= 2))) {
            spans[cur].len = (size_t)(at - body) - spans[cur].off;
            cur = -1;
        }
        if (!more)
            break;
        if (l.kind != RR_MD_HEADING || l.level != 2)
            continue;
        int s = 0;
        while (s < RR_SECTION_COUNT &&
               !heading_is(l.content, l.content_len, rr_section_name((enum rr_section)s)))
            s++;
        if (s == RR_SECTION_COUNT || spans[s].present)
            continue; // the first heading counts; text under a repeat is in no section
        spans[s].present = true;
        spans[s].line = l.lineno;
        spans[s].off = (size_t)(r.p - body);
        cur = s;
    }
}

/* Where pat starts in [s, e), or NULL. */
static const char *find(const char *s, const char *e, const char *pat)
{
    size_t k = strlen(pat);
    for (; (size_t)(e - s) >= k; s++)
        if (memcmp(s, pat, k) == 0)
            return s;
    return NULL;
}

char *rr_md_strip_comments(const char *text)
{
    size_t n = strlen(text);
    char *out = rr_xmalloc(n + 1);
    char *o = out;
    struct rr_md_reader r;
    struct rr_md_line l;
    bool in_comment = false;
    rr_md_reader_init(&r, text, n, 1);
    while (rr_md_next(&r, &l)) {
        const char *s = l.start;
        const char *e = r.p; // the line with its break
        if (!in_comment && (l.kind == RR_MD_CODE || l.kind == RR_MD_FENCE)) {
            memcpy(o, s, (size_t)(e - s));
            o += e - s;
            continue;
        }
        while (s < e) {
            const char *c = find(s, e, in_comment ? "-->" : "<!--");
            if (!in_comment) {
                size_t keep = (size_t)((c ? c : e) - s);
                memcpy(o, s, keep);
                o += keep;
            }
            if (!c)
                break;
            s = c + (in_comment ? 3 : 4);
            in_comment = !in_comment;
        }
    }
    *o = '\0';
    return out;
}

bool rr_md_has_content(const char *text)
{
    char *plain = rr_md_strip_comments(text);
    bool any = false;
    for (const char *p = plain; *p && !any; p++)
        any = !is_blank_nl(*p);
    free(plain);
    return any;
}

/* An item indented to (or past) the text of the open item is nested; text after a blank line
 * that is not indented to it ends the list. */
unsigned rr_md_failure_modes(const char *text)
{
    struct rr_md_reader r;
    struct rr_md_line l;
    unsigned subsections = 0, items = 0, content_col = 0;
    bool in_list = false, after_blank = false;
    rr_md_reader_init(&r, text, strlen(text), 1);
    while (rr_md_next(&r, &l)) {
        switch (l.kind) {
        case RR_MD_BLANK:
            after_blank = true;
            continue;
        case RR_MD_HEADING:
            subsections += l.level == 3;
            in_list = false;
            break;
        case RR_MD_ITEM:
            if (in_list ? l.indent < content_col : l.indent <= 3) {
                in_list = true;
                content_col = l.content_col;
                items += l.content_len > 0;
            }
            break;
        case RR_MD_BREAK:
            in_list = false;
            break;
        case RR_MD_TEXT:
            if (in_list && after_blank && l.indent < content_col)
                in_list = false;
            break;
        case RR_MD_FENCE:
            if (in_list && r.in_fence && l.indent < content_col)
                in_list = false; // code opened outside the item
            break;
        case RR_MD_CODE:
            break;
        }
        after_blank = false;
    }
    return subsections ? subsections : items;
}

/* Drops "**" outside code spans: the excerpt goes into plain-text fields. */
static enum rr_err append_plain(struct rr_buf *b, const char *s, size_t n)
{
    bool code = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '`')
            code = !code;
        if (!code && s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
            i++;
            continue;
        }
        enum rr_err err = rr_buf_append(b, s + i, 1);
        if (err)
            return err;
    }
    return RR_OK;
}

/* Headings lose their #'s; fence lines, breaks and comments are left out. */
char *rr_md_excerpt(const char *text)
{
    struct rr_buf b;
    struct rr_md_reader r;
    struct rr_md_line l;
    unsigned lines = 0;
    char *plain = rr_md_strip_comments(text);
    rr_buf_init(&b, (size_t)RR_RUNBOOK_MAX_FILE_BYTES);
    rr_md_reader_init(&r, plain, strlen(plain), 1);
    while (lines < RR_RUNBOOK_EXCERPT_LINES && rr_md_next(&r, &l)) {
        const char *s = l.content;
        size_t n = l.content_len;
        if (l.kind == RR_MD_ITEM) {
            s = l.start;
            n = l.len;
        }
        while (n && is_blank_nl(*s))
            s++, n--;
        while (n && is_blank_nl(s[n - 1]))
            n--;
        if (n == 0 || l.kind == RR_MD_FENCE || l.kind == RR_MD_BREAK)
            continue;
        if ((lines++ && rr_buf_append(&b, "\n", 1)) || append_plain(&b, s, n))
            break;
    }
    free(plain);
    size_t cut = b.len;
    if (cut > RR_RUNBOOK_EXCERPT_BYTES) {
        cut = RR_RUNBOOK_EXCERPT_BYTES;
        while (cut && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
            cut--;
    }
    char *out = rr_xstrndup(b.data ? b.data : "", cut);
    rr_buf_release(&b);
    return out;
}

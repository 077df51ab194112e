/*
 * matcher: Alertmanager 0.25's classic matcher parser (pkg/labels/parse.go) re-done by hand,
 * an RE2-compatibility scan of regex sources, and anchored PCRE2 matching with JIT.
 */
#include "rr/matcher.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rr/buf.h"

struct rr_matcher {
    enum rr_matcher_op op;
    char *name;        /* owned */
    char *value;       /* owned, unescaped */
    size_t value_len;  /* bytes in value */
    char *canon;       /* owned, canonical text */
    char *prefix;      /* regex: owned literal prefix (rr_matcher_literal_prefix), or NULL */
    size_t prefix_len; /* bytes in prefix */
    bool exact;        /* regex: it matches exactly prefix, nothing else */
    pcre2_code *re;    /* owned; NULL for = and != */
};

/* Options the anchored pattern is compiled with: PRODUCT §4, plus no numbered captures (only
 * match/no-match is needed) and no \C, which could split a UTF-8 character. */
#define RE_OPTIONS                                                                                 \
    (PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_AUTO_CAPTURE | PCRE2_NEVER_BACKSLASH_C)
#define RE_HEAD "^(?:"
#define RE_TAIL ")$"

static void oom(void)
{
    (void)fprintf(stderr, "level=error module=matcher msg=\"out of memory\"\n");
    abort();
}

/* ==== Per-thread match block and shared match limit ==== */

static pthread_once_t match_once = PTHREAD_ONCE_INIT;
static pthread_key_t match_key;
static pcre2_match_context *match_ctx; /* read-only after match_init: safe to share */

static void free_match_data(void *md)
{
    pcre2_match_data_free(md);
}

static void match_init(void)
{
    if (pthread_key_create(&match_key, free_match_data) != 0)
        oom();
    match_ctx = pcre2_match_context_create(NULL);
    if (!match_ctx)
        oom();
    pcre2_set_match_limit(match_ctx, RR_MATCHER_MATCH_LIMIT);
}

/* One match block per thread, reused: creating one per call is a malloc/free per regex, and a
 * block of one pair fits every pattern because pcre2_match() reports "matched" (0) even when
 * the captures do not fit. */
static pcre2_match_data *thread_match_data(void)
{
    pthread_once(&match_once, match_init);
    pcre2_match_data *md = pthread_getspecific(match_key);
    if (!md) {
        md = pcre2_match_data_create(1, NULL);
        if (!md || pthread_setspecific(match_key, md) != 0)
            oom();
    }
    return md;
}

/* ==== RE2 compatibility scan ==== */

struct scan {
    const char *why; /* first construct RE2 rejects, or NULL */
    size_t at;       /* its byte offset in the value */
    bool top_alt;    /* a `|` outside every group */
};

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Length of a `{n}`, `{n,}` or `{n,m}` quantifier at s[i] (PCRE2 10.42 and RE2 both read
 * anything else as literal text), or 0. */
static size_t quantifier_len(const char *s, size_t n, size_t i)
{
    size_t j = i + 1, digits = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++, digits++;
    if (!digits)
        return 0;
    if (j < n && s[j] == ',') {
        j++;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
    }
    return j < n && s[j] == '}' ? j + 1 - i : 0;
}

/* Index just past the `\E` ending a `\Q` quote starting at s[i], or n. */
static size_t skip_quote(const char *s, size_t n, size_t i)
{
    for (size_t j = i + 2; j + 1 < n; j++)
        if (s[j] == '\\' && s[j + 1] == 'E')
            return j + 2;
    return n;
}

/* Index just past the character class opening at s[i] (n when unterminated: PCRE2 then
 * reports it). A `]` first in the class is literal; `[:alpha:]` may sit inside. */
static size_t skip_class(const char *s, size_t n, size_t i)
{
    size_t j = i + 1;
    if (j < n && s[j] == '^')
        j++;
    if (j < n && s[j] == ']')
        j++;
    while (j < n) {
        if (s[j] == '\\' && j + 1 < n && s[j + 1] == 'Q') {
            j = skip_quote(s, n, j);
        } else if (s[j] == '\\') {
            j += 2;
        } else if (s[j] == '[' && j + 1 < n && s[j + 1] == ':') {
            size_t k = j + 2 + (j + 2 < n && s[j + 2] == '^'); /* [:alpha:] or [:^alpha:] */
            while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z')))
                k++;
            j = k + 1 < n && s[k] == ':' && s[k + 1] == ']' ? k + 2 : j + 1;
        } else if (s[j] == ']') {
            return j + 1;
        } else {
            j++;
        }
    }
    return n;
}

/* Checks the group opener `(?...` at s[i]; returns its length, or 0 with sc->why set. *opens
 * says whether it opens a group that a `)` will close (`(?i)` does not). */
static size_t scan_group(const char *s, size_t n, size_t i, struct scan *sc, bool *opens)
{
    size_t j = i + 2;
    char c = 0, d = 0; /* NUL past the end: a value holds no NUL */
    if (j < n)
        c = s[j];
    if (j + 1 < n)
        d = s[j + 1];
    *opens = true;
    if (c == ':')
        return 3;
    if ((c == '<' && is_name_char((unsigned char)d)) || (c == 'P' && d == '<')) {
        const char *gt = memchr(s + j, '>', n - j);
        return gt ? (size_t)(gt - s) + 1 - i : n - i; /* named group; PCRE2 checks the name */
    }
    if (c == '=' || c == '!')
        sc->why = "lookahead is not supported (RE2 syntax)";
    else if (c == '<' && (d == '=' || d == '!'))
        sc->why = "lookbehind is not supported (RE2 syntax)";
    else if (c == '>')
        sc->why = "atomic groups are not supported (RE2 syntax)";
    else if (c == 'P' && d == '=')
        sc->why = "backreferences are not supported (RE2 syntax)";
    else if (c == 'R' || c == '&' || (c == 'P' && d == '>') || (c >= '0' && c <= '9') ||
             ((c == '+' || c == '-') && d >= '0' && d <= '9'))
        sc->why = "recursion and subroutine calls are not supported (RE2 syntax)";
    else if (c == '(')
        sc->why = "conditional groups are not supported (RE2 syntax)";
    else if (c == 'C')
        sc->why = "callouts are not supported (RE2 syntax)";
    if (sc->why)
        return 0;
    /* Inline flags: (?flags) or (?flags:...), RE2 knows i, m, s and U. */
    size_t k = j;
    while (k < n && (s[k] == 'i' || s[k] == 'm' || s[k] == 's' || s[k] == 'U' || s[k] == '-'))
        k++;
    if (k > j && k < n && (s[k] == ')' || s[k] == ':')) {
        *opens = s[k] == ':';
        return k + 1 - i;
    }
    sc->why = k < n && (s[k] == ')' || s[k] == ':' || (s[k] >= 'a' && s[k] <= 'z') ||
                        (s[k] >= 'A' && s[k] <= 'Z') || s[k] == '^')
                  ? "unsupported inline flag (RE2 knows i, m, s and U)"
                  : "unsupported group syntax (RE2 syntax)";
    return 0;
}

/* Checks a backslash escape at s[i]; returns its length, or 0 with sc->why set. */
static size_t scan_escape(const char *s, size_t n, size_t i, struct scan *sc)
{
    char c = 0;
    if (i + 1 < n)
        c = s[i + 1];
    if (c == 0) /* PCRE2 would see it escape the anchoring `)` and blame the parenthesis */
        sc->why = "trailing backslash at end of the regex";
    else if ((c >= '1' && c <= '9') || c == 'g' || c == 'k')
        sc->why = "backreferences are not supported (RE2 syntax)";
    else if (c == 'K')
        sc->why = "\\K is not supported (RE2 syntax)";
    else if (c == 'Z' || c == 'G')
        sc->why = "\\Z and \\G are not supported (RE2 syntax; the regex is anchored already)";
    else if (c == 'C')
        sc->why = "\\C is not supported (RE2 syntax)";
    if (sc->why)
        return 0;
    if (c == 'Q')
        return skip_quote(s, n, i) - i;
    /* \x{..}, \o{..}, \p{..}, \P{..}, \N{..}: the braces belong to the escape, not a quantifier. */
    if (strchr("xopPN", c) && i + 2 < n && s[i + 2] == '{') {
        const char *end = memchr(s + i + 2, '}', n - i - 2);
        return end ? (size_t)(end - s) + 1 - i : n - i;
    }
    return 2;
}

/* One pass over a regex source, honouring escapes, \Q..\E and character classes so that
 * `[(?=]` or `\(?=` are not mistaken for lookahead. */
static void scan_regex(const char *s, size_t n, struct scan *sc)
{
    size_t depth = 0;
    memset(sc, 0, sizeof *sc);
    for (size_t i = 0; i < n;) {
        size_t start = i, len = 1;
        bool quantifier = false, opens = true;
        switch (s[i]) {
        case '\\':
            len = scan_escape(s, n, i, sc);
            break;
        case '[':
            len = skip_class(s, n, i) - i;
            break;
        case '(':
            if (i + 1 < n && s[i + 1] == '*') {
                sc->why = "backtracking verbs (*...) are not supported (RE2 syntax)";
                len = 0;
            } else if (i + 1 < n && s[i + 1] == '?')
                len = scan_group(s, n, i, sc, &opens);
            if (len && opens)
                depth++;
            break;
        case ')':
            if (depth == 0)
                sc->why = "unbalanced ')' would escape the anchoring ^(?:...)$";
            else
                depth--;
            break;
        case '|':
            if (depth == 0)
                sc->top_alt = true;
            break;
        case '*':
        case '+':
        case '?':
            quantifier = true;
            break;
        case '{':
            len = quantifier_len(s, n, i);
            quantifier = len > 0;
            len = len ? len : 1;
            break;
        default:
            break;
        }
        if (sc->why) {
            sc->at = start;
            return;
        }
        i += len;
        if (quantifier && i < n && s[i] == '?') {
            i++; /* lazy, which RE2 has */
        } else if (quantifier && i < n && s[i] == '+') {
            sc->why = "possessive quantifiers are not supported (RE2 syntax)";
            sc->at = i;
            return;
        }
    }
}

/* The literal characters a regex starts with (see rr_matcher_literal_prefix). A quantifier
 * takes back the character it applies to; a `\` before punctuation makes it literal. */
static void literal_prefix(struct rr_matcher *m, bool top_alt)
{
    const char *s = m->value;
    size_t n = m->value_len, i = 0, len = 0, last = 0;
    if (top_alt)
        return;
    char *p = rr_xmalloc(n + 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n && (unsigned char)s[i + 1] < 0x80 &&
            strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", s[i + 1])) {
            last = len;
            p[len++] = s[i + 1];
            i += 2;
            continue;
        }
        if (c < 0x80 && strchr(".[](){}*+?|^$\\", c)) {
            /* `{` too: PCRE2 10.43 reads `{,n}` as a quantifier, so never trust it as text. */
            if (c == '*' || c == '?' || c == '{')
                len = last;
            break;
        }
        if ((c & 0xC0) != 0x80) /* a UTF-8 lead byte starts a new character */
            last = len;
        p[len++] = s[i++];
    }
    m->exact = i == n;
    if (len == 0 && !m->exact) {
        free(p);
        return;
    }
    p[len] = '\0';
    m->prefix = p;
    m->prefix_len = len;
}

/* ==== Building ==== */

static bool valid_name(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!is_name_char((unsigned char)*s) && *s != ':')
            return false;
    return true;
}

/* Go's utf8.ValidString: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (!k || i + k > n)
            return false;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
            return false;
        i += k;
    }
    return true;
}

static char *canonical(const char *name, enum rr_matcher_op op, const char *v, size_t n)
{
    /* Name, operator, two quotes and at most two bytes per value byte. */
    size_t cap = strlen(name) + 2 * n + 6;
    char *out = rr_xmalloc(cap);
    char *o = out + snprintf(out, cap, "%s%s\"", name, rr_matcher_op_str(op));
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '"' || c == '\\' || c == '\n')
            *o++ = '\\';
        *o++ = c;
        if (c == '\n')
            o[-1] = 'n';
    }
    memcpy(o, "\"", 2);
    return out;
}

/* Builds the matcher; shown is how errors quote it (the user's text, or the canonical form). */
static enum rr_err build(const char *name, enum rr_matcher_op op, const char *value, size_t len,
                         const char *shown, struct rr_matcher **out, struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    struct rr_matcher *m = rr_xcalloc(1, sizeof *m);
    m->op = op;
    m->name = rr_xstrdup(name);
    m->value = rr_xstrndup(value, len);
    m->value_len = len;
    if (!valid_name(name)) {
        err = rr_diag_set(diag, RR_ERR_INVAL,
                          "invalid matcher '%.200s': label name '%.100s' must match "
                          "[a-zA-Z_:][a-zA-Z0-9_:]*",
                          shown, name);
        goto out;
    }
    if (!valid_utf8((const unsigned char *)value, len)) {
        err = rr_diag_set(diag, RR_ERR_INVAL, "invalid matcher '%.200s': value is not valid UTF-8",
                          shown);
        goto out;
    }
    m->canon = canonical(name, op, value, len);
    if (op != RR_MATCHER_RE && op != RR_MATCHER_NRE)
        goto out;
    struct scan sc;
    scan_regex(value, len, &sc);
    if (sc.why) {
        err = rr_diag_set(diag, RR_ERR_INVAL, "invalid matcher '%.200s': %s at offset %zu", shown,
                          sc.why, sc.at);
        goto out;
    }
    size_t plen = strlen(RE_HEAD) + len + strlen(RE_TAIL);
    char *pattern = rr_xmalloc(plen + 1);
    (void)snprintf(pattern, plen + 1, "%s%s%s", RE_HEAD, m->value, RE_TAIL);
    int code;
    PCRE2_SIZE off;
    m->re = pcre2_compile((PCRE2_SPTR)pattern, plen, RE_OPTIONS, &code, &off, NULL);
    free(pattern);
    if (!m->re) {
        PCRE2_UCHAR why[256];
        if (pcre2_get_error_message(code, why, sizeof why) < 0)
            (void)snprintf((char *)why, sizeof why, "error %d", code);
        /* Report the offset in the user's value, not in the wrapped pattern. */
        size_t at = off > strlen(RE_HEAD) ? off - strlen(RE_HEAD) : 0;
        err = rr_diag_set(diag, RR_ERR_INVAL, "invalid matcher '%.200s': %s at offset %zu", shown,
                          (const char *)why, at < len ? at : len);
        goto out;
    }
    /* JIT is several times faster; without it (unsupported CPU, W^X policy) the interpreter
     * gives the same answers, so failure is silent. */
    (void)pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE);
    /* !~ gets one too: rr_matcher_matches() uses it to skip PCRE2, the index does not. */
    literal_prefix(m, sc.top_alt);
out:
    if (err) {
        rr_matcher_free(m);
        return err;
    }
    *out = m;
    return RR_OK;
}

enum rr_err rr_matcher_new(const char *name, enum rr_matcher_op op, const char *value,
                           struct rr_matcher **out, struct rr_diag *diag)
{
    char *shown = canonical(name, op, value, strlen(value));
    enum rr_err err = build(name, op, value, strlen(value), shown, out, diag);
    free(shown);
    return err;
}

/* ==== Classic syntax ==== */

/* Go's \s in the classic parser's regex. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Unescapes the raw value as parse.go does: an optional opening quote, `\"`, `\\`, `\n`, other
 * backslashes literal; an unescaped `"` only as the closing quote of a quoted value. */
static const char *unescape(const char *raw, size_t n, char *out, size_t *out_len)
{
    bool quoted = n > 0 && raw[0] == '"', closed = false;
    size_t o = 0;
    for (size_t i = quoted; i < n; i++) {
        char c = raw[i];
        if (c == '\\' && i + 1 < n) {
            char d = raw[++i];
            if (d == 'n') {
                out[o++] = '\n';
            } else if (d == '"' || d == '\\') {
                out[o++] = d;
            } else {
                out[o++] = '\\';
                out[o++] = d;
            }
        } else if (c == '"') {
            if (!quoted || i != n - 1)
                return "unescaped double quote in the value (write \\\")";
            closed = true;
        } else {
            out[o++] = c;
        }
    }
    if (quoted && !closed)
        return "unterminated double quote";
    *out_len = o;
    return NULL;
}

enum rr_err rr_matcher_parse(const char *text, struct rr_matcher **out, struct rr_diag *diag)
{
    size_t n = strlen(text);
    if (n > RR_MATCHER_MAX_BYTES)
        return rr_diag_set(diag, RR_ERR_LIMIT, "invalid matcher '%.200s...': longer than %d bytes",
                           text, RR_MATCHER_MAX_BYTES);
    const char *why = NULL;
    char *name = NULL, *value = NULL;
    enum rr_err err = RR_OK;
    size_t b = 0, e = n;
    while (b < e && is_space(text[b]))
        b++;
    while (e > b && is_space(text[e - 1]))
        e--;
    b += b < e && text[b] == '{';
    e -= e > b && text[e - 1] == '}';
    /* A comma outside quotes ends the matcher; only whitespace may follow it. The quote
     * tracking is parse.go's, escapes and all. */
    bool in_quotes = false, escaped = false;
    for (size_t i = b; i < e; i++) {
        char c = text[i];
        if (c == ',' && !in_quotes) {
            size_t k = i + 1;
            while (k < e && is_space(text[k]))
                k++;
            if (k < e) {
                why = "holds more than one matcher; use one list entry per matcher";
                goto out;
            }
            e = i;
            break;
        }
        if (c == '"' && !escaped)
            in_quotes = !in_quotes;
        if (c == '\\')
            escaped = !escaped;
        else if (c != ',')
            escaped = false; /* as parse.go: a comma inside quotes leaves it set */
    }
    while (b < e && is_space(text[b]))
        b++;
    while (e > b && is_space(text[e - 1]))
        e--;
    if (b == e) {
        why = "empty matcher";
        goto out;
    }
    size_t i = b;
    while (i < e && (is_name_char((unsigned char)text[i]) || text[i] == ':'))
        i++;
    if (i == b) {
        why = text[b] == '=' || text[b] == '!' ? "missing label name"
                                               : "expected a label name [a-zA-Z_:][a-zA-Z0-9_:]*";
        goto out;
    }
    if (i < e && !is_space(text[i]) && text[i] != '=' && text[i] != '!') {
        why = "label name must match [a-zA-Z_:][a-zA-Z0-9_:]*";
        goto out;
    }
    name = rr_xstrndup(text + b, i - b);
    while (i < e && is_space(text[i]))
        i++;
    /* Longest first: `=~` before `=`, as in parse.go's regex. */
    static const enum rr_matcher_op ops[] = {RR_MATCHER_RE, RR_MATCHER_NE, RR_MATCHER_NRE,
                                             RR_MATCHER_EQ};
    size_t k = 0, oplen = 0;
    for (; k < 4; k++) {
        oplen = strlen(rr_matcher_op_str(ops[k]));
        if (i + oplen <= e && memcmp(text + i, rr_matcher_op_str(ops[k]), oplen) == 0)
            break;
    }
    if (k == 4) {
        why = "expected an operator (=, !=, =~, !~) after the label name";
        goto out;
    }
    enum rr_matcher_op op = ops[k];
    i += oplen;
    if (op == RR_MATCHER_EQ && i < e && text[i] == '=') {
        why = "unknown operator '=='; use '=' (or '=~' for a regex)";
        goto out;
    }
    while (i < e && is_space(text[i]))
        i++;
    value = rr_xmalloc(e - i + 1);
    size_t vlen = 0;
    why = unescape(text + i, e - i, value, &vlen);
    if (why)
        goto out;
    value[vlen] = '\0';
    err = build(name, op, value, vlen, text, out, diag);
out:
    if (why)
        err = rr_diag_set(diag, RR_ERR_INVAL, "invalid matcher '%.200s': %s", text, why);
    free(name);
    free(value);
    return err;
}

/* ==== Matching and accessors ==== */

void rr_matcher_free(struct rr_matcher *m)
{
    if (!m)
        return;
    pcre2_code_free(m->re);
    free(m->name);
    free(m->value);
    free(m->canon);
    free(m->prefix);
    free(m);
}

static bool regex_matches(const struct rr_matcher *m, const char *v)
{
    size_t n = strlen(v);
    if (m->exact)
        return n == m->prefix_len && memcmp(v, m->prefix, n) == 0;
    if (m->prefix_len && (n < m->prefix_len || memcmp(v, m->prefix, m->prefix_len) != 0))
        return false;
    pcre2_match_data *md = thread_match_data(); /* first: it initialises match_ctx */
    int rc = pcre2_match(m->re, (PCRE2_SPTR)v, n, 0, 0, md, match_ctx);
    return rc >= 0; /* 0: matched, captures did not fit the one-pair block */
}

bool rr_matcher_matches(const struct rr_matcher *m, const char *value)
{
    const char *v = value ? value : "";
    switch (m->op) {
    case RR_MATCHER_EQ:
        return strcmp(v, m->value) == 0;
    case RR_MATCHER_NE:
        return strcmp(v, m->value) != 0;
    case RR_MATCHER_RE:
        return regex_matches(m, v);
    case RR_MATCHER_NRE:
        return !regex_matches(m, v);
    }
    return false;
}

const char *rr_matcher_name(const struct rr_matcher *m)
{
    return m->name;
}

enum rr_matcher_op rr_matcher_op(const struct rr_matcher *m)
{
    return m->op;
}

const char *rr_matcher_value(const struct rr_matcher *m)
{
    return m->value;
}

const char *rr_matcher_op_str(enum rr_matcher_op op)
{
    switch (op) {
    case RR_MATCHER_EQ:
        return "=";
    case RR_MATCHER_NE:
        return "!=";
    case RR_MATCHER_RE:
        return "=~";
    case RR_MATCHER_NRE:
        return "!~";
    }
    return "?";
}

const char *rr_matcher_string(const struct rr_matcher *m)
{
    return m->canon;
}

const char *rr_matcher_literal_prefix(const struct rr_matcher *m, size_t *len, bool *exact)
{
    bool eq = m->op == RR_MATCHER_EQ, re = m->op == RR_MATCHER_RE;
    if (len)
        *len = eq ? m->value_len : re ? m->prefix_len : 0;
    if (exact)
        *exact = eq || (re && m->exact);
    return eq ? m->value : re ? m->prefix : NULL;
}

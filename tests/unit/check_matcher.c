/* check_matcher: Alertmanager 0.25 classic matcher syntax, RE2-only regexes, anchored matching,
 * literal prefixes. Tables first, one loop test per table. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rr/buf.h"
#include "rr/matcher.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct rr_matcher *parse_ok(const char *text)
{
    struct rr_matcher *m = NULL;
    struct rr_diag diag = {""};
    enum rr_err err = rr_matcher_parse(text, &m, &diag);
    ck_assert_msg(err == RR_OK, "'%s' did not parse: %s", text, diag.msg);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* ==== Accepted forms ==== */

static const struct {
    const char *text;
    const char *name;
    enum rr_matcher_op op;
    const char *value;
    const char *canon;
} forms[] = {
    {"team=\"payments\"", "team", RR_MATCHER_EQ, "payments", "team=\"payments\""},
    {"team=payments", "team", RR_MATCHER_EQ, "payments", "team=\"payments\""},
    {"team!=payments", "team", RR_MATCHER_NE, "payments", "team!=\"payments\""},
    {"team=~\"pay.*\"", "team", RR_MATCHER_RE, "pay.*", "team=~\"pay.*\""},
    {"team!~pay.*", "team", RR_MATCHER_NRE, "pay.*", "team!~\"pay.*\""},
    {"  team =~ \"pay.*\"  ", "team", RR_MATCHER_RE, "pay.*", "team=~\"pay.*\""},
    {"\tteam\t!=\t\"x\"\n", "team", RR_MATCHER_NE, "x", "team!=\"x\""},
    {"{team=\"x\"}", "team", RR_MATCHER_EQ, "x", "team=\"x\""},
    {" { team = \"x\" } ", "team", RR_MATCHER_EQ, "x", "team=\"x\""},
    {"{team=\"x\"", "team", RR_MATCHER_EQ, "x", "team=\"x\""},
    {"team=x}", "team", RR_MATCHER_EQ, "x", "team=\"x\""},
    {"team=\"x\",", "team", RR_MATCHER_EQ, "x", "team=\"x\""},
    {"{team=\"x\" , }", "team", RR_MATCHER_EQ, "x", "team=\"x\""},
    {"team=", "team", RR_MATCHER_EQ, "", "team=\"\""},
    {"team=\"\"", "team", RR_MATCHER_EQ, "", "team=\"\""},
    {"team = ", "team", RR_MATCHER_EQ, "", "team=\"\""},
    {"team=~\"\"", "team", RR_MATCHER_RE, "", "team=~\"\""},
    {"msg=\"a\\\"b\"", "msg", RR_MATCHER_EQ, "a\"b", "msg=\"a\\\"b\""},
    {"msg=\"a\\\\b\"", "msg", RR_MATCHER_EQ, "a\\b", "msg=\"a\\\\b\""},
    {"msg=\"a\\nb\"", "msg", RR_MATCHER_EQ, "a\nb", "msg=\"a\\nb\""},
    {"msg=\"a\\db\"", "msg", RR_MATCHER_EQ, "a\\db", "msg=\"a\\\\db\""},
    {"msg=a\\\"b", "msg", RR_MATCHER_EQ, "a\"b", "msg=\"a\\\"b\""},
    {"msg=\"tail\\\\\"", "msg", RR_MATCHER_EQ, "tail\\", "msg=\"tail\\\\\""},
    {"msg=tail\\", "msg", RR_MATCHER_EQ, "tail\\", "msg=\"tail\\\\\""},
    {"code=~\"\\d+\"", "code", RR_MATCHER_RE, "\\d+", "code=~\"\\\\d+\""},
    {"code=~\"\\\\d+\"", "code", RR_MATCHER_RE, "\\d+", "code=~\"\\\\d+\""},
    {"reason=\"a,b\"", "reason", RR_MATCHER_EQ, "a,b", "reason=\"a,b\""},
    /* Escaped quotes do not open or close a quoted part: the comma is inside one. */
    {"a=\"x\\\",b=\\\"y\"", "a", RR_MATCHER_EQ, "x\",b=\"y", "a=\"x\\\",b=\\\"y\""},
    {"reason=\"say \\\"hi, you\\\"\"", "reason", RR_MATCHER_EQ, "say \"hi, you\"",
     "reason=\"say \\\"hi, you\\\"\""},
    {"a = b c ", "a", RR_MATCHER_EQ, "b c", "a=\"b c\""},
    {"a=\" b \"", "a", RR_MATCHER_EQ, " b ", "a=\" b \""},
    {"a=b=c", "a", RR_MATCHER_EQ, "b=c", "a=\"b=c\""},
    {"a!==b", "a", RR_MATCHER_NE, "=b", "a!=\"=b\""},
    {"__name__:x_1=\"y\"", "__name__:x_1", RR_MATCHER_EQ, "y", "__name__:x_1=\"y\""},
    {"ns=\"z\xc3\xbcrich-\xc3\xa9\"", "ns", RR_MATCHER_EQ, "z\xc3\xbcrich-\xc3\xa9",
     "ns=\"z\xc3\xbcrich-\xc3\xa9\""},
    {"ns=~\"\xe6\x9d\xb1\xe4\xba\xac.*\"", "ns", RR_MATCHER_RE, "\xe6\x9d\xb1\xe4\xba\xac.*",
     "ns=~\"\xe6\x9d\xb1\xe4\xba\xac.*\""},
    /* Look-alikes of rejected constructs that are plain RE2. */
    {"a=~\"[(?=]\"", "a", RR_MATCHER_RE, "[(?=]", "a=~\"[(?=]\""},
    {"a=~\"\\(?=x\\)\"", "a", RR_MATCHER_RE, "\\(?=x\\)", "a=~\"\\\\(?=x\\\\)\""},
    {"a=~\"\\Q(?=\\E\"", "a", RR_MATCHER_RE, "\\Q(?=\\E", "a=~\"\\\\Q(?=\\\\E\""},
    {"a=~\"[[:alpha:](?=]+\"", "a", RR_MATCHER_RE, "[[:alpha:](?=]+", "a=~\"[[:alpha:](?=]+\""},
    {"a=~\"[^]()]\\x{41}+\\p{L}{2}\"", "a", RR_MATCHER_RE, "[^]()]\\x{41}+\\p{L}{2}",
     "a=~\"[^]()]\\\\x{41}+\\\\p{L}{2}\""},
    {"a=~\"(?i)x(?P<n>y)(?<m>z)(?s-m:.)*?\"", "a", RR_MATCHER_RE, "(?i)x(?P<n>y)(?<m>z)(?s-m:.)*?",
     "a=~\"(?i)x(?P<n>y)(?<m>z)(?s-m:.)*?\""},
};

START_TEST(parse_forms)
{
    if (!forms[_i].canon) /* a table entry kept to document a look-alike */
        return;
    struct rr_matcher *m = parse_ok(forms[_i].text);
    ck_assert_str_eq(rr_matcher_name(m), forms[_i].name);
    ck_assert_int_eq(rr_matcher_op(m), forms[_i].op);
    ck_assert_str_eq(rr_matcher_value(m), forms[_i].value);
    ck_assert_str_eq(rr_matcher_string(m), forms[_i].canon);
    /* The canonical form reads back to the same matcher. */
    struct rr_matcher *again = parse_ok(rr_matcher_string(m));
    ck_assert_str_eq(rr_matcher_value(again), forms[_i].value);
    ck_assert_int_eq(rr_matcher_op(again), forms[_i].op);
    rr_matcher_free(again);
    rr_matcher_free(m);
}
END_TEST

/* ==== Rejected forms ==== */

static const struct {
    const char *text;
    const char *why; /* diag after "invalid matcher '<text>': " */
} bad[] = {
    {"team==\"x\"", "unknown operator '=='; use '=' (or '=~' for a regex)"},
    {"team==x", "unknown operator '=='; use '=' (or '=~' for a regex)"},
    {"=\"x\"", "missing label name"},
    {" !~x", "missing label name"},
    {"9team=\"x\"", "label name '9team' must match [a-zA-Z_:][a-zA-Z0-9_:]*"},
    {"team-x=\"y\"", "label name must match [a-zA-Z_:][a-zA-Z0-9_:]*"},
    {"\"team\"=\"y\"", "expected a label name [a-zA-Z_:][a-zA-Z0-9_:]*"},
    {"team", "expected an operator (=, !=, =~, !~) after the label name"},
    {"team ~= x", "expected an operator (=, !=, =~, !~) after the label name"},
    {"", "empty matcher"},
    {"{}", "empty matcher"},
    {" , ", "empty matcher"},
    {"a=\"x\",b=\"y\"", "holds more than one matcher; use one list entry per matcher"},
    {"{a=\"x\", b=\"y\"}", "holds more than one matcher; use one list entry per matcher"},
    {"a=x,,", "holds more than one matcher; use one list entry per matcher"},
    {"a=\"x", "unterminated double quote"},
    {"a=\"x\\\"", "unterminated double quote"},
    {"a=\"", "unterminated double quote"},
    {"a=\"x\"y\"", "unescaped double quote in the value (write \\\")"},
    {"a=x\"y", "unescaped double quote in the value (write \\\")"},
    {"a=\"\xff\"", "value is not valid UTF-8"},
    {"a=\"\xc0\xaf\"", "value is not valid UTF-8"},
    {"a=\"\xed\xa0\x80\"", "value is not valid UTF-8"},
    /* Regexes PCRE2 cannot compile; offsets are in the value. */
    {"a=~\"(\"", "missing closing parenthesis at offset 1"},
    {"a=~\"x[a\"", "missing terminating ] for character class at offset 3"},
    {"a=~\"a{2,1}\"", "numbers out of order in {} quantifier at offset 5"},
    {"a=~\"*a\"", "quantifier does not follow a repeatable item at offset 0"},
    {"a=~\"\\\\\"", "trailing backslash at end of the regex at offset 0"},
    /* Constructs RE2 rejects. */
    {"a=~\"x(?=y)\"", "lookahead is not supported (RE2 syntax) at offset 1"},
    {"a=~\"(?!y)x\"", "lookahead is not supported (RE2 syntax) at offset 0"},
    {"a=~\"(?<=y)x\"", "lookbehind is not supported (RE2 syntax) at offset 0"},
    {"a=~\"(?<!y)x\"", "lookbehind is not supported (RE2 syntax) at offset 0"},
    {"a=~\"(a)\\1\"", "backreferences are not supported (RE2 syntax) at offset 3"},
    {"a=~\"(a)\\9\"", "backreferences are not supported (RE2 syntax) at offset 3"},
    {"a=~\"(a)\\g1\"", "backreferences are not supported (RE2 syntax) at offset 3"},
    {"a=~\"(?<n>a)\\k<n>\"", "backreferences are not supported (RE2 syntax) at offset 7"},
    {"a=~\"(?P<n>a)(?P=n)\"", "backreferences are not supported (RE2 syntax) at offset 8"},
    {"a=~\"(?>a+)b\"", "atomic groups are not supported (RE2 syntax) at offset 0"},
    {"a=~\"a*+\"", "possessive quantifiers are not supported (RE2 syntax) at offset 2"},
    {"a=~\"a++\"", "possessive quantifiers are not supported (RE2 syntax) at offset 2"},
    {"a=~\"a?+\"", "possessive quantifiers are not supported (RE2 syntax) at offset 2"},
    {"a=~\"a{2}+\"", "possessive quantifiers are not supported (RE2 syntax) at offset 4"},
    {"a=~\"a{2,}+\"", "possessive quantifiers are not supported (RE2 syntax) at offset 5"},
    {"a=~\"[]a]++\"", "possessive quantifiers are not supported (RE2 syntax) at offset 5"},
    {"a=~\"(a)++\"", "possessive quantifiers are not supported (RE2 syntax) at offset 4"},
    {"a=~\"\\x{41}++\"", "possessive quantifiers are not supported (RE2 syntax) at offset 7"},
    {"a=~\"(?R)\"", "recursion and subroutine calls are not supported (RE2 syntax) at offset 0"},
    {"a=~\"(a)(?1)\"", "recursion and subroutine calls are not supported (RE2 syntax) at offset 3"},
    {"a=~\"(a)(?-1)\"",
     "recursion and subroutine calls are not supported (RE2 syntax) at offset 3"},
    {"a=~\"(?<n>a)(?&n)\"",
     "recursion and subroutine calls are not supported (RE2 syntax) at offset 7"},
    {"a=~\"(?P<n>a)(?P>n)\"",
     "recursion and subroutine calls are not supported (RE2 syntax) at offset 8"},
    {"a=~\"(a)?(?(1)b|c)\"", "conditional groups are not supported (RE2 syntax) at offset 4"},
    {"a=~\"a\\Kb\"", "\\K is not supported (RE2 syntax) at offset 1"},
    {"a=~\"a(?C1)b\"", "callouts are not supported (RE2 syntax) at offset 1"},
    {"a=~\"(*FAIL)|a\"", "backtracking verbs (*...) are not supported (RE2 syntax) at offset 0"},
    {"a=~\"(*LIMIT_MATCH=1)a\"",
     "backtracking verbs (*...) are not supported (RE2 syntax) at offset 0"},
    {"a=~\"a\\Z\"",
     "\\Z and \\G are not supported (RE2 syntax; the regex is anchored already) at offset 1"},
    {"a=~\"a\\C\"", "\\C is not supported (RE2 syntax) at offset 1"},
    {"a=~\"(?x)a b\"", "unsupported inline flag (RE2 knows i, m, s and U) at offset 0"},
    {"a=~\"(?i-n:a)\"", "unsupported inline flag (RE2 knows i, m, s and U) at offset 0"},
    {"a=~\"(?|a)\"", "unsupported group syntax (RE2 syntax) at offset 0"},
    {"a=~\"(?#c)a\"", "unsupported group syntax (RE2 syntax) at offset 0"},
    {"a=~\"a)|(b\"", "unbalanced ')' would escape the anchoring ^(?:...)$ at offset 1"},
    {"a!~\"[x](?=y)\"", "lookahead is not supported (RE2 syntax) at offset 3"},
};

START_TEST(parse_errors)
{
    struct rr_matcher *m = NULL;
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_matcher_parse(bad[_i].text, &m, &diag), RR_ERR_INVAL);
    ck_assert_ptr_null(m);
    char want[sizeof diag.msg];
    snprintf(want, sizeof want, "invalid matcher '%s': %s", bad[_i].text, bad[_i].why);
    ck_assert_str_eq(diag.msg, want);
    /* A NULL diag is allowed. */
    ck_assert_int_eq(rr_matcher_parse(bad[_i].text, &m, NULL), RR_ERR_INVAL);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(parse_limits_and_new)
{
    struct rr_buf b;
    rr_buf_init(&b, (size_t)2 * RR_MATCHER_MAX_BYTES);
    ck_assert(rr_buf_puts(&b, "a=\"") == RR_OK);
    while (b.len < RR_MATCHER_MAX_BYTES - 1)
        ck_assert(rr_buf_puts(&b, "x") == RR_OK);
    ck_assert(rr_buf_puts(&b, "\"") == RR_OK);
    struct rr_matcher *m = parse_ok(b.data); /* exactly at the cap */
    rr_matcher_free(m);
    ck_assert(rr_buf_puts(&b, " ") == RR_OK);
    m = NULL;
    struct rr_diag diag = {""};
    ck_assert_int_eq(rr_matcher_parse(b.data, &m, &diag), RR_ERR_LIMIT);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(diag.msg, "longer than 4096 bytes") != NULL, "%s", diag.msg);
    rr_buf_release(&b);

    /* From parts: the value is taken as it is, errors name the canonical form. */
    ck_assert_int_eq(rr_matcher_new("service_name", RR_MATCHER_EQ, "fr\"ont\\", &m, &diag), RR_OK);
    ck_assert_str_eq(rr_matcher_string(m), "service_name=\"fr\\\"ont\\\\\"");
    ck_assert(rr_matcher_matches(m, "fr\"ont\\"));
    rr_matcher_free(m);
    ck_assert_int_eq(rr_matcher_new("alertname", RR_MATCHER_RE, ".*Persistence.*", &m, &diag),
                     RR_OK);
    ck_assert(rr_matcher_matches(m, "TemporalPersistenceLatency"));
    rr_matcher_free(m);
    m = NULL;
    ck_assert_int_eq(rr_matcher_new("a-b", RR_MATCHER_EQ, "x", &m, &diag), RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg, "invalid matcher 'a-b=\"x\"': label name 'a-b' must match "
                               "[a-zA-Z_:][a-zA-Z0-9_:]*");
    ck_assert_int_eq(rr_matcher_new("a", RR_MATCHER_NRE, "(?=x)", &m, &diag), RR_ERR_INVAL);
    ck_assert_str_eq(diag.msg,
                     "invalid matcher 'a!~\"(?=x)\"': lookahead is not supported (RE2 syntax) at "
                     "offset 0");
    ck_assert_ptr_null(m);
    rr_matcher_free(NULL);
    ck_assert_str_eq(rr_matcher_op_str(RR_MATCHER_NRE), "!~");
}
END_TEST

/* ==== Match semantics (alertmanager.md §2) ==== */

static const struct {
    const char *matcher;
    const char *value; /* NULL: the label is missing */
    bool want;
} cases[] = {
    /* Anchoring. */
    {"team=~\"pay\"", "payments", false},
    {"team=~\"pay.*\"", "payments", true},
    {"team=~\"ments\"", "payments", false},
    {"team=~\"pay\"", "pay", true},
    /* A missing label equals "". */
    {"team=\"\"", NULL, true},
    {"team=\"\"", "", true},
    {"team=\"\"", "x", false},
    {"team=", NULL, true},
    {"team=\"x\"", NULL, false},
    {"team!=\"x\"", NULL, true},
    {"team!=\"x\"", "x", false},
    {"team!=\"x\"", "y", true},
    {"team!~\".+\"", NULL, true},
    {"team!~\".+\"", "a", false},
    {"team=~\".*\"", NULL, true},
    {"team=~\".*\"", "", true},
    {"team=~\".*\"", "anything at all", true},
    {"team=~\".+\"", NULL, false},
    {"team=~\"\"", NULL, true},
    {"team=~\"\"", "x", false},
    {"team!~\"\"", NULL, false},
    {"team!~\"\"", "x", true},
    /* Negations. */
    {"team!~\"pay.*\"", "payments", false},
    {"team!~\"pay.*\"", "orders", true},
    {"team!~\"pay\"", "payments", true},
    /* Case sensitivity; (?i) opts out. */
    {"team=~\"Pay.*\"", "payments", false},
    {"team=~\"(?i)Pay.*\"", "payments", true},
    {"team=~\"(?i:PAY)ments\"", "payments", true},
    {"team=~\"(?i:PAY)ments\"", "payMENTS", false},
    {"team=\"Pay\"", "pay", false},
    /* $ is end-only; . does not match a newline unless (?s). */
    {"a=~\"a$\"", "a\n", false},
    {"a=~\"a$\"", "a", true},
    {"a=~\"a\"", "a\n", false},
    {"a=~\"a\\n\"", "a\n", true},
    {"a=~\"a.*\"", "a\nb", false},
    {"a=~\"(?s)a.*\"", "a\nb", true},
    {"a=~\"(?m)a$\"", "a\n", false},
    /* UTF-8: . is one character, not one byte. */
    {"a=~\".\"", "\xc3\xa9", true},
    {"a=~\"..\"", "\xc3\xa9", false},
    {"a=~\"z.rich\"", "z\xc3\xbcrich", true},
    {"a=~\"\xc3\xa9+\"", "\xc3\xa9\xc3\xa9", true},
    {"a=\"z\xc3\xbcrich\"", "z\xc3\xbcrich", true},
    {"a=~\".*\"", "\xff", false}, /* not UTF-8: never from JSON, never a match */
    /* Alternation is anchored as a whole. */
    {"a=~\"a|b\"", "ab", false},
    {"a=~\"a|b\"", "a", true},
    {"a=~\"a|b\"", "b", true},
    {"a=~\"x|y.*\"", "yz", true},
    {"a=~\"x|y.*\"", "xz", false},
    {"a=~\"payments-(a|b)\"", "payments-a", true},
    {"a=~\"payments-(a|b)\"", "payments-c", false},
    {"a=~\"payments-(a|b)\"", "payments-ab", false},
    /* Literal regexes and escaped punctuation. */
    {"a=~\"foo\\.bar\"", "foo.bar", true},
    {"a=~\"foo\\.bar\"", "fooxbar", false},
    {"a=~\"foo.bar\"", "fooxbar", true},
    {"a=~\"NonDeterminismError\"", "NonDeterminismError", true},
    {"a=~\"NonDeterminismError\"", "NonDeterminismErrors", false},
    {"a=~\"[0-9]+\"", "123", true},
    {"a=~\"[0-9]+\"", "12a", false},
    {"a=~\"\\d{3}\"", "123", true},
    {"a=~\"a[|]b\"", "a|b", true},
    {"a=~\"[[:alpha:]]+\"", "abc", true},
    {"a=~\"[[:alpha:]]+\"", "ab1", false},
    {"a=~\"(?P<x>a)b\"", "ab", true},
    {"alertname=~\"Temporal.*ScheduleToStart.*\"", "TemporalActivityScheduleToStartLatency", true},
    {"alertname=~\"Temporal.*ScheduleToStart.*\"", "TemporalWorkflowFailures", false},
    {"reason=\"a,b\"", "a,b", true},
    /* Catastrophic backtracking stops at the match limit: "did not match". */
    {"a=~\"(a+)+b\"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     false},
    {"a!~\"(a+)+b\"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     true},
};

START_TEST(match_semantics)
{
    struct rr_matcher *m = parse_ok(cases[_i].matcher);
    ck_assert_msg(rr_matcher_matches(m, cases[_i].value) == cases[_i].want, "%s on '%s': want %s",
                  cases[_i].matcher, cases[_i].value ? cases[_i].value : "(missing)",
                  cases[_i].want ? "match" : "no match");
    rr_matcher_free(m);
}
END_TEST

/* ==== Literal prefixes ==== */

static const struct {
    const char *matcher;
    const char *prefix; /* NULL: none */
    bool exact;
} prefixes[] = {
    {"a=\"payments\"", "payments", true},
    {"a=\"\"", "", true},
    {"a=~\"Temporal.*\"", "Temporal", false},
    {"a=~\"payments-(a|b)\"", "payments-", false},
    {"a=~\"a|b\"", NULL, false},
    {"a=~\"ab(c|d)|e\"", NULL, false},
    {"a=~\"a[|]b\"", "a", false},
    {"a=~\"a\\|b\"", "a|b", true},
    {"a=~\"NonDeterminismError\"", "NonDeterminismError", true},
    {"a=~\"foo\\.bar\"", "foo.bar", true},
    {"a=~\"foo\\.bar.*\"", "foo.bar", false},
    {"a=~\"ab*\"", "a", false},
    {"a=~\"ab?\"", "a", false},
    {"a=~\"ab+\"", "ab", false},
    {"a=~\"ab{2}\"", "a", false},
    {"a=~\"ab{,2}\"", "a", false},
    {"a=~\"a*\"", NULL, false},
    {"a=~\"x\xc3\xa9*\"", "x", false},
    {"a=~\"\xc3\xa9?x\"", NULL, false},
    {"a=~\"\xc3\xa9t\xc3\xa9.*\"", "\xc3\xa9t\xc3\xa9", false},
    {"a=~\"(?i)abc\"", NULL, false},
    {"a=~\"ab(?i)c\"", "ab", false},
    {"a=~\".*x\"", NULL, false},
    {"a=~\"\\d+\"", NULL, false},
    {"a=~\"ab\\d\"", "ab", false},
    {"a=~\"abc$\"", "abc", false},
    {"a=~\"^abc\"", NULL, false},
    {"a=~\"\"", "", true},
    {"a!=\"x\"", NULL, false},
    {"a!~\"x.*\"", NULL, false},
};

START_TEST(literal_prefix)
{
    struct rr_matcher *m = parse_ok(prefixes[_i].matcher);
    size_t len = 99;
    bool exact = !prefixes[_i].exact;
    const char *p = rr_matcher_literal_prefix(m, &len, &exact);
    if (!prefixes[_i].prefix) {
        ck_assert_msg(p == NULL, "%s: got prefix '%s'", prefixes[_i].matcher, p);
        ck_assert_uint_eq(len, 0);
    } else {
        ck_assert_msg(p != NULL, "%s: no prefix", prefixes[_i].matcher);
        ck_assert_str_eq(p, prefixes[_i].prefix);
        ck_assert_uint_eq(len, strlen(prefixes[_i].prefix));
    }
    ck_assert(exact == prefixes[_i].exact);
    ck_assert(rr_matcher_literal_prefix(m, NULL, NULL) == p);
    rr_matcher_free(m);
}
END_TEST

/* ==== Concurrency: one matcher set, several threads ==== */

#define THREADS 8
#define ROUNDS  20000

struct worker {
    struct rr_matcher *const *ms;
    int bad; /* wrong answers seen */
};

static void *work(void *arg)
{
    struct worker *w = arg;
    static const char *const values[] = {"payments", "pay", "orders", NULL};
    static const bool want[][4] = {
        {true, true, false, false},  /* team=~"pay.*" */
        {false, false, true, true},  /* team!~"pay.*" */
        {false, true, false, false}, /* team=~"pay|x" */
    };
    for (int r = 0; r < ROUNDS; r++)
        for (int m = 0; m < 3; m++)
            for (int v = 0; v < 4; v++)
                w->bad += rr_matcher_matches(w->ms[m], values[v]) != want[m][v];
    return NULL;
}

START_TEST(concurrent_matching)
{
    struct rr_matcher *ms[3] = {parse_ok("team=~\"pay.*\""), parse_ok("team!~\"pay.*\""),
                                parse_ok("team=~\"pay|x\"")};
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){ms, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(w[i].bad, 0);
    }
    for (int i = 0; i < 3; i++)
        rr_matcher_free(ms[i]);
}
END_TEST

static Suite *matcher_suite(void)
{
    Suite *s = suite_create("matcher");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, parse_forms, 0, N(forms));
    tcase_add_loop_test(tc, parse_errors, 0, N(bad));
    tcase_add_test(tc, parse_limits_and_new);
    suite_add_tcase(s, tc);
    tc = tcase_create("match");
    tcase_add_loop_test(tc, match_semantics, 0, N(cases));
    tcase_add_loop_test(tc, literal_prefix, 0, N(prefixes));
    tcase_add_test(tc, concurrent_matching);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(matcher_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

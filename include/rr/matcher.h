/*
 * matcher: one Alertmanager label matcher (`team=~"pay.*"`), parsed and matched as
 * Alertmanager 0.25's classic parser and matcher do (PRODUCT §4, alertmanager.md §2).
 *
 * Syntax: optional whitespace, a label name [a-zA-Z_:][a-zA-Z0-9_:]*, one of `=`, `!=`, `=~`,
 * `!~`, and a value that may be double-quoted; inside it `\"`, `\\` and `\n` are escapes and
 * any other backslash is kept as it is; the value may be empty (`foo=`, `foo=""`). A leading
 * `{` and a trailing `}` are dropped, and so is one trailing comma, as Alertmanager does. One
 * string holds exactly one matcher: a second one (a comma outside quotes) is an error, since
 * the routing table lists one matcher per entry. Deliberately stricter than Alertmanager:
 * `foo==bar` is rejected (Alertmanager would read the value `=bar`), and so is a regex whose
 * unbalanced `)` would escape the anchoring group (`a)|(b`).
 *
 * Semantics: a missing label equals "" (pass NULL or ""). Regexes are compiled by PCRE2 as
 * `^(?:value)$` with UTF and DOLLAR_ENDONLY, so they are anchored at both ends and `$` never
 * matches before a final newline. Constructs RE2 (Alertmanager's engine) rejects are load
 * errors rather than silent extensions: lookaround, backreferences, atomic groups, possessive
 * quantifiers, recursion and subroutine calls, conditionals, callouts, `\K`, backtracking verbs,
 * and inline flags other than i, m, s, U. A match PCRE2 cannot finish (a pathological regex
 * backtracking past RR_MATCHER_MATCH_LIMIT, the JIT stack exhausted) counts as "regex did not
 * match", so `!~` holds: a bounded wrong answer instead of a stalled decision.
 *
 * It is not a matcher list, not the UTF-8 matcher syntax of Alertmanager 0.27+, and not an
 * index: rr_matcher_literal_prefix() gives the route index what it needs to skip regexes.
 *
 * Memory: a struct rr_matcher owns its strings and compiled regex. Thread: parsing has no
 * shared state; a parsed matcher is immutable and rr_matcher_matches() may run on it from any
 * number of threads at once (each thread lazily gets one PCRE2 match block, freed when the
 * thread exits).
 */
#ifndef RR_MATCHER_H
#define RR_MATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include "rr/err.h"

#define RR_MATCHER_MAX_BYTES   4096    /* longest matcher text accepted, bytes */
#define RR_MATCHER_MATCH_LIMIT 1000000 /* PCRE2 match limit (backtracking steps) per match */

enum rr_matcher_op {
    RR_MATCHER_EQ,  /* =  */
    RR_MATCHER_NE,  /* != */
    RR_MATCHER_RE,  /* =~ */
    RR_MATCHER_NRE, /* !~ */
};

struct rr_matcher;

/**
 * Parses one matcher in Alertmanager 0.25 classic syntax.
 *
 * @param text     the matcher, NUL-terminated; borrowed
 * @param[out] out on RR_OK: owned matcher, free with rr_matcher_free()
 * @param[out] diag optional; on error "invalid matcher 'TEXT': REASON", e.g.
 *                 "invalid matcher 'a=~\"(\"': missing closing parenthesis at offset 1"
 *                 (offsets are in the unescaped value, not in the anchored pattern)
 * @return RR_OK; RR_ERR_INVAL for bad syntax, more than one matcher, a regex PCRE2 cannot
 *         compile or one using a construct RE2 rejects; RR_ERR_LIMIT over RR_MATCHER_MAX_BYTES.
 */
RR_NODISCARD enum rr_err rr_matcher_parse(const char *text, struct rr_matcher **out,
                                          struct rr_diag *diag);

/**
 * Builds a matcher from its parts (built-in rules, tests): the value is taken as it is, with no
 * unescaping. Errors as rr_matcher_parse(), naming the matcher in canonical form.
 *
 * @param name  label name; borrowed (copied)
 * @param value borrowed (copied); a regex for RR_MATCHER_RE and RR_MATCHER_NRE
 */
RR_NODISCARD enum rr_err rr_matcher_new(const char *name, enum rr_matcher_op op, const char *value,
                                        struct rr_matcher **out, struct rr_diag *diag);

/* Frees a matcher. NULL-safe. */
void rr_matcher_free(struct rr_matcher *m);

/* True when the label value satisfies the matcher; NULL stands for a missing label and equals
 * "". value must be valid UTF-8 (alert labels come from JSON); otherwise a regex does not
 * match it. Thread: any, concurrently. */
bool rr_matcher_matches(const struct rr_matcher *m, const char *value);

/* Label name; borrowed until rr_matcher_free(). */
const char *rr_matcher_name(const struct rr_matcher *m);
enum rr_matcher_op rr_matcher_op(const struct rr_matcher *m);
/* The value after unescaping (the regex source for =~ and !~); borrowed until rr_matcher_free. */
const char *rr_matcher_value(const struct rr_matcher *m);
/* "=", "!=", "=~" or "!~". */
const char *rr_matcher_op_str(enum rr_matcher_op op);

/* Canonical text `name=~"value"` with `"`, `\` and newline escaped, for evidence sentences;
 * rr_matcher_parse() reads it back to the same matcher. Borrowed until rr_matcher_free(). */
const char *rr_matcher_string(const struct rr_matcher *m);

/**
 * What every value this matcher accepts starts with, for an index that avoids running regexes:
 * for `=` the whole value (exact); for `=~` the literal characters the regex begins with
 * (`Temporal.*` gives "Temporal", `payments-(a|b)` gives "payments-", `foo\.bar` gives
 * "foo.bar" and is exact). NULL when there is no such prefix: `!=`, `!~`, a regex starting with
 * a metacharacter or a group (`(?i)abc`), or alternation at the top level (`a|b`).
 *
 * @param[out] len   optional; bytes in the prefix
 * @param[out] exact optional; true when the matcher accepts exactly the prefix and nothing else
 * @return borrowed until rr_matcher_free(), NUL-terminated (may be "" for `label=""`)
 */
const char *rr_matcher_literal_prefix(const struct rr_matcher *m, size_t *len, bool *exact);

#endif

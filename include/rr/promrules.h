/*
 * promrules: Prometheus rule files read for their alerting rules, so `coverage` (PRODUCT §9)
 * can ask, for every alert that can fire, who receives it and which runbook they get.
 *
 * A rule file is Prometheus's `groups: [{name, rules: [...]}]` YAML, read through the yaml
 * module. For each alerting rule it keeps the alert name, the static labels the rule attaches
 * (the group's `labels:`, then the rule's own `labels:` over them, then `alertname` = the rule
 * name, as Prometheus does), its annotations and where it is (`file:line:column` of the rule's
 * `- alert:` entry). Recording rules are read for shape and skipped. PromQL is never parsed
 * or evaluated: what `expr` returns is only known when the rule runs.
 *
 * A label whose value is empty (Prometheus drops it) or holds a template (`{{ ... }}`,
 * expanded per alert at run time) is not static, so it is left out of labels: coverage
 * cannot know its value.
 *
 * Load errors, as "file:line:column: message", for what Prometheus itself would refuse: YAML
 * syntax; a root that is not a mapping; an unknown key at any level (Prometheus decodes with
 * known fields only; the group keys of Thanos, Cortex and Mimir are allowed); `groups` missing
 * or not a list; a group that is not a mapping, has no name or repeats one in its file; `rules`
 * not a list; a rule that is not a mapping, has neither or both of `alert` and `record`, whose
 * alert name is not a non-empty string, or which has no `expr`; labels or annotations that
 * are not a mapping of strings. An empty file is a rule file with no groups.
 *
 * Paths may be files or directories. A directory is read recursively in lexical path order,
 * every *.yml and *.yaml in it (names starting with '.' skipped, as a shell glob does), and
 * promtool test files in it (a top-level mapping with `rule_files` or `tests` and no `groups`,
 * e.g. deploy/prometheus/tests/) are skipped: they name rule files, they are not one. A file
 * named explicitly must be a rule file.
 *
 * Memory: struct rr_promrules owns every rule, file name and string; pointers it hands out are
 * borrowed until rr_promrules_free(). Thread: immutable after load, readable from any thread.
 */
#ifndef RR_PROMRULES_H
#define RR_PROMRULES_H

#include <stddef.h>

#include "rr/alert.h"
#include "rr/err.h"

#define RR_PROMRULES_MAX_FILES 10000  /* rule files across all paths */
#define RR_PROMRULES_MAX_DEPTH 16     /* directories nested below a given directory */
#define RR_PROMRULES_MAX_RULES 100000 /* alerting rules across all files */

/* One alerting rule. Every pointer is borrowed from the struct rr_promrules holding it. */
struct rr_promrule {
    const char *file;               /* the file as named: the given path, or dir + "/" + rel */
    unsigned line;                  /* 1-based line of the rule's `- alert:` entry */
    unsigned col;                   /* 1-based column of its first key */
    const char *group;              /* the group's name */
    const char *alert;              /* the alert name, non-empty */
    struct rr_labelset labels;      /* static labels with alertname, sorted, names unique; at
                                       most RR_ALERT_MAX_LABELS */
    struct rr_labelset annotations; /* as written (templates kept), sorted */
};

struct rr_promrules;

/**
 * Reads every rule file named by paths, in the order given (each directory expanded as above).
 *
 * @param paths     n file or directory paths; borrowed (copied)
 * @param[out] out  on RR_OK: owned set (possibly with no rules), free with rr_promrules_free()
 * @param[out] diag optional; "rules/a.yml:12:9: rule has neither 'alert' nor 'record'"
 * @return RR_OK; RR_ERR_IO when a path cannot be read ("x.yml: cannot open: No such file or
 *         directory"); RR_ERR_INVAL for YAML syntax or a wrong shape; RR_ERR_LIMIT past a cap
 *         (RR_YAML_MAX_BYTES per file, the RR_PROMRULES_* caps, RR_ALERT_MAX_LABELS labels
 *         or RR_ALERT_MAX_LABEL_VALUE bytes in a label value).
 */
RR_NODISCARD enum rr_err rr_promrules_load(const char *const *paths, size_t n,
                                           struct rr_promrules **out, struct rr_diag *diag);
/* Frees the set and everything in it. NULL-safe. */
void rr_promrules_free(struct rr_promrules *rules);

/* Alerting rules in file order (files in the order read); 0 for NULL. */
size_t rr_promrules_count(const struct rr_promrules *rules);
const struct rr_promrule *rr_promrules_at(const struct rr_promrules *rules, size_t i);
/* Rule files read (promtool test files skipped in directories are not counted). */
size_t rr_promrules_file_count(const struct rr_promrules *rules);

#endif

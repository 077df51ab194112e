/*
 * alert: Alertmanager webhook payloads (version "4") parsed into plain C structs.
 *
 * Accepts every shape Alertmanager 0.25 through 0.34 sends (see ../shared/reference/
 * alertmanager.md §1): unknown fields ignored, notification_reason and routeLabels optional,
 * \uXXXX escapes, raw UTF-8, a trailing newline. Rejects, with the field named in the diag
 * ("alerts[3].startsAt: not an RFC 3339 time"), everything PRODUCT §3.1 calls a 400: malformed
 * JSON, invalid UTF-8, duplicate keys, wrong types, missing required fields, version != "4",
 * bad timestamps, a fingerprint that is not 16 lowercase hex digits, and every cap below.
 *
 * Identity (labels) is never altered: a label over its cap rejects the request. Information
 * (annotations, generatorURL, other strings) over its cap is truncated at a UTF-8 boundary and
 * counted in rr_webhook.truncated, never rejected: a rejected group is re-sent forever.
 * Annotations whose name is over RR_ALERT_MAX_LABEL_NAME, and those past the first
 * RR_ALERT_MAX_ANNOTATIONS in name order, are dropped and counted the same way.
 *
 * A member that is null counts as absent (Go decodes null as "not set"). Details name the
 * field by path: "body: invalid UTF-8 at byte 57" (0-based offset), "body: line 1 column 9:
 * <decoder message>", "body: JSON nesting deeper than 16", "version: unsupported version "3",
 * want "4"", "alerts[0].labels.team: not a string", "alerts: more than 10000 alerts". A label
 * name that is not a plain identifier appears quoted: alerts[0].labels["a.b"].
 *
 * jansson stays inside this module. Thread: any; a webhook belongs to one thread at a time.
 */
#ifndef RR_ALERT_H
#define RR_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rr/buf.h"
#include "rr/clock.h"
#include "rr/err.h"

/* Caps on untrusted input. Over a REJECT cap: 400. Over a TRUNCATE cap: truncated, counted. */
#define RR_ALERT_MAX_DEPTH       16    /* JSON nesting, any field (reject) */
#define RR_ALERT_MAX_ALERTS      10000 /* alerts per request (reject) */
#define RR_ALERT_MAX_LABELS      128   /* labels per label set (reject) */
#define RR_ALERT_MAX_LABEL_NAME  256   /* bytes in a label name (reject) */
#define RR_ALERT_MAX_LABEL_VALUE 4096  /* bytes in a label value (reject) */
#define RR_ALERT_MAX_ANNOTATIONS 128   /* annotations per alert; extras dropped (truncate) */
#define RR_ALERT_MAX_ANNOTATION  16384 /* bytes in an annotation value (truncate) */
#define RR_ALERT_MAX_STRING      16384 /* bytes in receiver, groupKey, URLs... (truncate) */

enum rr_alert_status { RR_ALERT_FIRING = 0, RR_ALERT_RESOLVED = 1 };

struct rr_label {
    const char *name;  /* borrowed from the owning webhook; valid UTF-8, NUL-terminated */
    const char *value; /* borrowed from the owning webhook */
};

/* A label or annotation set, sorted by name (bytewise), names unique. */
struct rr_labelset {
    struct rr_label *items; /* borrowed from the owning webhook */
    size_t n;               /* number of items */
};

struct rr_alert {
    enum rr_alert_status status;    /* "firing" or "resolved" */
    struct rr_labelset labels;      /* identity; has a non-empty alertname */
    struct rr_labelset annotations; /* latest wins on repeats; may be truncated */
    struct rr_time starts_at;       /* required */
    struct rr_time ends_at;         /* Go's zero time when absent or not yet ended */
    const char *generator_url;      /* "" when absent */
    char fingerprint[17];           /* 16 lowercase hex digits as sent, NUL-terminated */
};

struct rr_webhook {
    const char *receiver;            /* "" when absent */
    enum rr_alert_status status;     /* group status */
    struct rr_alert *alerts;         /* n_alerts entries, payload order */
    size_t n_alerts;                 /* 0..RR_ALERT_MAX_ALERTS */
    struct rr_labelset group_labels; /* may be empty */
    struct rr_labelset common_labels;
    struct rr_labelset common_annotations;
    struct rr_labelset route_labels; /* Alertmanager >= 0.34; empty when absent */
    const char *external_url;        /* "" when absent */
    const char *group_key;           /* "" when absent */
    const char *notification_reason; /* "" when absent (Alertmanager < 0.32) */
    int64_t truncated_alerts;        /* Alertmanager's max_alerts drop count, >= 0 */
    size_t truncated;                /* values this parser truncated at their caps */
    void *arena; /* private: the arena holding this struct and every string and array above */
};

/*
 * Parses one webhook body of len bytes (need not be NUL-terminated).
 * @param[out] out  on RR_OK an owned webhook, free with rr_webhook_free()
 * @return RR_OK; RR_ERR_INVAL or RR_ERR_LIMIT with "<field>: <problem>" in diag.
 */
RR_NODISCARD enum rr_err rr_webhook_parse(const char *body, size_t len, struct rr_webhook **out,
                                          struct rr_diag *diag);
/* Frees the webhook and every string it owns. NULL-safe. */
void rr_webhook_free(struct rr_webhook *webhook);

/* The value of label name, or NULL when absent. Binary search; the set is sorted. */
const char *rr_labelset_get(const struct rr_labelset *set, const char *name);

/* Alertmanager's fingerprint: FNV-1a 64 over names and values in name order, each followed by
 * byte 0xFF (prometheus/common model.LabelSet.Fingerprint). */
uint64_t rr_labelset_fingerprint(const struct rr_labelset *set);

/* Appends the set as a compact JSON object with keys in name order ({"a":"1","b":"2"}):
 * '"', '\\' and bytes below 0x20 escaped, UTF-8 passed through raw. RR_ERR_LIMIT (and out
 * left as it was) when the buffer's cap is reached. */
RR_NODISCARD enum rr_err rr_labelset_to_json(const struct rr_labelset *set, struct rr_buf *out);

/* "firing" or "resolved". */
const char *rr_alert_status_name(enum rr_alert_status status);

#endif

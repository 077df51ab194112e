/*
 * log: one logfmt line per event on stderr.
 *
 *   ts=2026-11-22T03:04:05.678Z level=info module=http msg="listening" addr=127.0.0.1:9095
 *
 * Messages are lowercase without a trailing period; key=value pairs follow. Values are quoted
 * when they hold spaces, quotes or '='. Secrets (tokens, Slack URLs, routing keys) and request
 * bodies are never passed here. Each .c file defines RR_LOG_MODULE before including this.
 *
 * Thread: any; each line is written with a single fwrite under a lock, so lines never mix.
 */
#ifndef RR_LOG_H
#define RR_LOG_H

#include "rr/err.h"

enum rr_log_level { RR_LOG_DEBUG = 0, RR_LOG_INFO, RR_LOG_WARN, RR_LOG_ERROR };

/* The current threshold; lines below it are not formatted at all. */
extern enum rr_log_level rr_log_threshold;

/* Parses "debug|info|warn|error". Returns RR_ERR_INVAL for anything else. */
enum rr_err rr_log_level_parse(const char *name, enum rr_log_level *out);

/*
 * Writes one line. `kv` is a printf format for the key=value tail (may be NULL or "");
 * string values should go through rr_log_q() so they are quoted when needed.
 */
void rr_log_write(enum rr_log_level level, const char *module, const char *msg, const char *kv, ...)
    RR_PRINTF(4, 5);

/* Quotes a logfmt value when needed into buf (cap bytes); returns buf. Truncates long values. */
const char *rr_log_q(char *buf, size_t cap, const char *value);

#ifndef RR_LOG_MODULE
#define RR_LOG_MODULE "main"
#endif

#define RR_LOG(level, msg, ...)                                                                    \
    do {                                                                                           \
        if ((level) >= rr_log_threshold)                                                           \
            rr_log_write((level), RR_LOG_MODULE, (msg), __VA_ARGS__);                              \
    } while (0)
#define RR_DEBUG(msg, ...) RR_LOG(RR_LOG_DEBUG, msg, __VA_ARGS__)
#define RR_INFO(msg, ...)  RR_LOG(RR_LOG_INFO, msg, __VA_ARGS__)
#define RR_WARN(msg, ...)  RR_LOG(RR_LOG_WARN, msg, __VA_ARGS__)
#define RR_ERROR(msg, ...) RR_LOG(RR_LOG_ERROR, msg, __VA_ARGS__)

#endif

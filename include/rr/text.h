/*
 * text: UTF-8 and JSON-string helpers shared by every module that shortens or emits text.
 *
 * Limits in Slack and PagerDuty payloads count characters (code points), not bytes, and no
 * cut may split a UTF-8 sequence; JSON strings need quotes, backslashes and control bytes
 * escaped. Inputs are assumed valid UTF-8 (they come from JSON or validated files).
 *
 * Thread: any; no state.
 */
#ifndef RR_TEXT_H
#define RR_TEXT_H

#include <stddef.h>

#include "rr/buf.h"

/* Bytes of the longest prefix of s (len bytes) that fits in max_bytes without splitting a
 * UTF-8 sequence. */
size_t rr_utf8_cut(const char *s, size_t len, size_t max_bytes);
/* Characters (code points) in s. */
size_t rr_utf8_chars(const char *s, size_t len);
/* Bytes of the first max_chars characters of s (all of s when it is shorter). */
size_t rr_utf8_prefix_bytes(const char *s, size_t len, size_t max_chars);

/* Appends s as a JSON string literal: `"`, `\` and bytes below 0x20 escaped, UTF-8 raw. */
RR_NODISCARD enum rr_err rr_json_append_string(struct rr_buf *out, const char *s);
/* The same for len bytes that need not be NUL-terminated. */
RR_NODISCARD enum rr_err rr_json_append_stringn(struct rr_buf *out, const char *s, size_t len);

#endif

/* text: UTF-8 cuts and counts, JSON string quoting. */
#include "rr/text.h"

#include <stdio.h>
#include <string.h>

static int is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t rr_utf8_cut(const char *s, size_t len, size_t max_bytes)
{
    if (len <= max_bytes)
        return len;
    size_t n = max_bytes;
    /* Back up to the start of the sequence the cut would split. */
    while (n > 0 && is_continuation((unsigned char)s[n]))
        n--;
    return n;
}

size_t rr_utf8_chars(const char *s, size_t len)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += !is_continuation((unsigned char)s[i]);
    return chars;
}

size_t rr_utf8_prefix_bytes(const char *s, size_t len, size_t max_chars)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_continuation((unsigned char)s[i])) {
            if (chars == max_chars)
                return i;
            chars++;
        }
    }
    return len;
}

enum rr_err rr_json_append_stringn(struct rr_buf *out, const char *s, size_t len)
{
    enum rr_err err = rr_buf_append(out, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < len && !err; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        err = rr_buf_append(out, s + run, i - run);
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (c == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        if (!err)
            err = rr_buf_puts(out, esc);
        run = i + 1;
    }
    if (!err)
        err = rr_buf_append(out, s + run, len - run);
    if (!err)
        err = rr_buf_append(out, "\"", 1);
    return err;
}

enum rr_err rr_json_append_string(struct rr_buf *out, const char *s)
{
    return rr_json_append_stringn(out, s, strlen(s));
}

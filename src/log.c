/* log: the logfmt writer behind RR_INFO and friends. */
#include "rr/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rr/clock.h"

enum rr_log_level rr_log_threshold = RR_LOG_INFO;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

enum rr_err rr_log_level_parse(const char *name, enum rr_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum rr_log_level)i;
            return RR_OK;
        }
    }
    return RR_ERR_INVAL;
}

const char *rr_log_q(char *buf, size_t cap, const char *value)
{
    if (!value)
        value = "";
    int quote = value[0] == '\0' || strpbrk(value, " \"=\t\n\\") != NULL;
    size_t o = 0;
    if (quote && o + 1 < cap)
        buf[o++] = '"';
    for (const char *p = value; *p && o + 4 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            buf[o++] = '\\';
            buf[o++] = *p;
        } else if (*p == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else {
            buf[o++] = *p;
        }
    }
    if (quote && o + 1 < cap)
        buf[o++] = '"';
    buf[o < cap ? o : cap - 1] = '\0';
    return buf;
}

void rr_log_write(enum rr_log_level level, const char *module, const char *msg, const char *kv, ...)
{
    char line[2048];
    char ts[40];
    char qmsg[512];
    rr_clock_format_ms(rr_clock_wall_ms(), ts, sizeof ts);
    int n = snprintf(line, sizeof line, "ts=%s level=%s module=%s msg=%s", ts, level_names[level],
                     module, rr_log_q(qmsg, sizeof qmsg, msg));
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (kv && kv[0] && len + 2 < sizeof line) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, kv);
        int m = vsnprintf(line + len, sizeof line - len, kv, ap);
        va_end(ap);
        if (m > 0)
            len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
        else
            len--; /* nothing after the message: drop the separator */
    }
    if (len + 1 >= sizeof line)
        len = sizeof line - 2;
    line[len++] = '\n';
    pthread_mutex_lock(&log_lock);
    fwrite(line, 1, len, stderr);
    pthread_mutex_unlock(&log_lock);
}

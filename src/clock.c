/*
 * clock: wall and monotonic time, RFC 3339 (RFC 3339 §5.6, as Go's time.RFC3339Nano prints it)
 * and Prometheus durations. Civil-date arithmetic uses Howard Hinnant's days-from-civil
 * algorithm, so no timegm() (not in POSIX) and no time zone database is needed.
 */
#include "rr/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t fake_ms;

int64_t rr_clock_wall_ms(void)
{
    int64_t fake = atomic_load(&fake_ms);
    if (fake)
        return fake;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rr_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rr_clock_set_fake_ms(int64_t ms)
{
    atomic_store(&fake_ms, ms);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

enum rr_err rr_time_parse(const char *s, size_t len, struct rr_time *out, struct rr_diag *diag)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, mon, day, hh, mm, ss;
    const char *bad = "not an RFC 3339 time";
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return rr_diag_set(diag, RR_ERR_INVAL, "%s", bad);
    if (digits(s, 4, &year) || digits(s + 5, 2, &mon) || digits(s + 8, 2, &day) ||
        digits(s + 11, 2, &hh) || digits(s + 14, 2, &mm) || digits(s + 17, 2, &ss))
        return rr_diag_set(diag, RR_ERR_INVAL, "%s", bad);
    if (year < 1 || mon < 1 || mon > 12 || day < 1 || hh > 23 || mm > 59 || ss > 59)
        return rr_diag_set(diag, RR_ERR_INVAL, "%s (field out of range)", bad);
    int dim = mdays[mon - 1] + (mon == 2 && is_leap(year));
    if (day > dim)
        return rr_diag_set(diag, RR_ERR_INVAL, "%s (no such day)", bad);
    size_t i = 19;
    int32_t nsec = 0;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        size_t nd = i - start;
        if (nd == 0 || nd > 9)
            return rr_diag_set(diag, RR_ERR_INVAL, "%s (fraction must have 1-9 digits)", bad);
        for (size_t k = 0; k < 9; k++)
            nsec = nsec * 10 + (k < nd ? s[start + k] - '0' : 0);
    }
    int64_t offset = 0;
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return rr_diag_set(diag, RR_ERR_INVAL, "%s (bad offset)", bad);
        offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return rr_diag_set(diag, RR_ERR_INVAL, "%s (missing or bad offset)", bad);
    }
    int64_t days = days_from_civil(year, mon, day);
    out->sec = days * 86400 + hh * 3600 + mm * 60 + ss - offset;
    out->nsec = nsec;
    return RR_OK;
}

/* Writes v as exactly `width` decimal digits (v < 10^width). */
static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* Formatted by hand, not with snprintf: the writer formats every stored alert's times. */
const char *rr_time_format(struct rr_time t, char *buf, size_t cap)
{
    int64_t days = t.sec / 86400;
    int64_t rem = t.sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char out[64], *p = out;
    if (y < 0 || y > 9999) { /* beyond what any parsed timestamp holds: the general way */
        int n = snprintf(out, sizeof out, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d,
                         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
        p += n > 0 && (size_t)n < sizeof out - 12 ? n : 0; /* room for the fraction, Z */
    } else {
        p = put_digits(p, (unsigned)y, 4);
        *p++ = '-';
        p = put_digits(p, (unsigned)m, 2);
        *p++ = '-';
        p = put_digits(p, (unsigned)d, 2);
        *p++ = 'T';
        p = put_digits(p, (unsigned)(rem / 3600), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(rem / 60 % 60), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(rem % 60), 2);
    }
    if (t.nsec) {
        *p++ = '.';
        p = put_digits(p, (unsigned)t.nsec, 9);
        while (p[-1] == '0') /* nsec != 0: stops before the '.' */
            p--;
    }
    *p++ = 'Z';
    size_t n = (size_t)(p - out);
    if (cap) {
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, out, n);
        buf[n] = '\0';
    }
    return buf;
}

bool rr_time_is_zero(struct rr_time t)
{
    return t.sec == -62135596800LL && t.nsec == 0;
}

int64_t rr_time_to_ms(struct rr_time t)
{
    if (t.sec > INT64_MAX / 1000 - 1)
        return INT64_MAX;
    if (t.sec < INT64_MIN / 1000 + 1)
        return INT64_MIN;
    return t.sec * 1000 + t.nsec / 1000000;
}

const char *rr_clock_format_ms(int64_t ms, char *buf, size_t cap)
{
    int64_t sec = ms / 1000;
    int64_t milli = ms % 1000;
    if (milli < 0) {
        milli += 1000;
        sec--;
    }
    char tmp[40];
    struct rr_time t = {.sec = sec, .nsec = 0};
    rr_time_format(t, tmp, sizeof tmp);
    tmp[strlen(tmp) - 1] = '\0'; /* drop the "Z" (not always at [19]: years past 9999) */
    snprintf(buf, cap, "%s.%03dZ", tmp, (int)milli);
    return buf;
}

/* Prometheus's model.ParseDuration: "0" alone, or [0-9]+ unit groups with units from the
 * largest to the smallest, each at most once ("1h30m" yes; "30m1h", "1m1m" no). */
enum rr_err rr_duration_parse(const char *s, int64_t *out_ms, struct rr_diag *diag)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"y", 31536000000}, {"w", 604800000}, {"d", 86400000}, {"h", 3600000},
                 {"m", 60000},       {"s", 1000},      {"ms", 1}};
    const char *p = s;
    int64_t total = 0;
    size_t next_unit = 0; /* units before this index are used up */
    if (!*p)
        return rr_diag_set(diag, RR_ERR_INVAL, "empty duration");
    if (strcmp(s, "0") == 0) {
        *out_ms = 0;
        return RR_OK;
    }
    while (*p) {
        if (*p < '0' || *p > '9')
            return rr_diag_set(diag, RR_ERR_INVAL, "not a duration: '%s'", s);
        int64_t n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n > INT64_MAX / 10 - 10)
                return rr_diag_set(diag, RR_ERR_INVAL, "duration too long: '%s'", s);
            n = n * 10 + (*p++ - '0');
        }
        size_t best = 0, which = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t ul = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, ul) == 0 && ul > best) {
                best = ul;
                which = i;
            }
        }
        if (!best)
            return rr_diag_set(diag, RR_ERR_INVAL, "not a duration (unknown unit): '%s'", s);
        if (which < next_unit)
            return rr_diag_set(diag, RR_ERR_INVAL,
                               "not a duration (units must go from largest to smallest, each "
                               "once): '%s'",
                               s);
        next_unit = which + 1;
        int64_t mul = units[which].ms;
        if (n > INT64_MAX / mul || total > INT64_MAX - n * mul)
            return rr_diag_set(diag, RR_ERR_INVAL, "duration too long: '%s'", s);
        total += n * mul;
        p += best;
    }
    *out_ms = total;
    return RR_OK;
}

/*
 * check_clock: RFC 3339 parsing and formatting as Alertmanager's Go encoder writes times
 * (0-9 fraction digits, any offset, the zero time), epoch-millisecond formatting, the fake
 * clock, and Prometheus durations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rr/clock.h"

/* ---- rr_time_parse: good inputs ---- */

static const struct {
    const char *in;
    int64_t sec;
    int32_t nsec;
    const char *utc; /* rr_time_format of the result */
} good_times[] = {
    {"1970-01-01T00:00:00Z", 0, 0, "1970-01-01T00:00:00Z"},
    {"2026-11-22T01:33:12Z", 1795311192, 0, "2026-11-22T01:33:12Z"},
    /* 1 to 9 fraction digits, as Go prints them (trailing zeros trimmed). */
    {"2026-11-22T01:33:12.1Z", 1795311192, 100000000, "2026-11-22T01:33:12.1Z"},
    {"2026-11-22T01:33:12.12Z", 1795311192, 120000000, "2026-11-22T01:33:12.12Z"},
    {"2026-11-22T01:33:12.168Z", 1795311192, 168000000, "2026-11-22T01:33:12.168Z"},
    {"2026-11-22T01:33:12.1234Z", 1795311192, 123400000, "2026-11-22T01:33:12.1234Z"},
    {"2026-11-22T01:33:12.12345Z", 1795311192, 123450000, "2026-11-22T01:33:12.12345Z"},
    {"2026-11-22T01:33:12.123456Z", 1795311192, 123456000, "2026-11-22T01:33:12.123456Z"},
    {"2026-11-22T01:33:12.1234567Z", 1795311192, 123456700, "2026-11-22T01:33:12.1234567Z"},
    {"2026-11-22T01:33:12.44082212Z", 1795311192, 440822120, "2026-11-22T01:33:12.44082212Z"},
    {"2026-11-22T01:33:12.215847719Z", 1795311192, 215847719, "2026-11-22T01:33:12.215847719Z"},
    {"2026-11-22T01:33:12.000000001Z", 1795311192, 1, "2026-11-22T01:33:12.000000001Z"},
    /* Zeros in the fraction are trimmed on output, exactly as Go's RFC3339Nano. */
    {"2026-11-22T01:33:12.100Z", 1795311192, 100000000, "2026-11-22T01:33:12.1Z"},
    {"2026-11-22T01:33:12.000000000Z", 1795311192, 0, "2026-11-22T01:33:12Z"},
    {"2026-11-22T01:33:12.0Z", 1795311192, 0, "2026-11-22T01:33:12Z"},
    /* Offsets: the instant is what counts, output is UTC. */
    {"2024-01-01T02:00:00+02:00", 1704067200, 0, "2024-01-01T00:00:00Z"},
    {"2023-12-31T18:30:00-05:30", 1704067200, 0, "2024-01-01T00:00:00Z"},
    {"2024-01-01T00:00:00+00:00", 1704067200, 0, "2024-01-01T00:00:00Z"},
    {"2024-01-01T00:00:00-00:00", 1704067200, 0, "2024-01-01T00:00:00Z"},
    {"2024-01-01T05:45:00.5+05:45", 1704067200, 500000000, "2024-01-01T00:00:00.5Z"},
    {"2024-01-01T01:00:00+23:59", 1704067200 - 82740, 0, "2023-12-31T01:01:00Z"},
    /* RFC 3339 §5.6 allows lowercase t and z. */
    {"2024-01-01t00:00:00z", 1704067200, 0, "2024-01-01T00:00:00Z"},
    {"2024-01-01T00:00:00.25z", 1704067200, 250000000, "2024-01-01T00:00:00.25Z"},
    /* Leap days: every 4 years, not every 100, but every 400. */
    {"2024-02-29T12:00:00Z", 1709208000, 0, "2024-02-29T12:00:00Z"},
    {"2000-02-29T00:00:00Z", 951782400, 0, "2000-02-29T00:00:00Z"},
    {"1900-03-01T00:00:00Z", -2203891200, 0, "1900-03-01T00:00:00Z"},
    {"2024-12-31T23:59:59Z", 1735689599, 0, "2024-12-31T23:59:59Z"},
    /* Before 1970 with a fraction: seconds floor, the fraction stays positive. */
    {"1969-12-31T23:59:59.5Z", -1, 500000000, "1969-12-31T23:59:59.5Z"},
    /* Go's zero time, what Alertmanager sends as endsAt of a firing alert. */
    {"0001-01-01T00:00:00Z", -62135596800, 0, "0001-01-01T00:00:00Z"},
    {"9999-12-31T23:59:59.999999999Z", 253402300799, 999999999, "9999-12-31T23:59:59.999999999Z"},
};

START_TEST(test_time_parse_good)
{
    struct rr_time t = {.sec = 42, .nsec = 42};
    struct rr_diag diag = {""};
    const char *in = good_times[_i].in;
    ck_assert_msg(rr_time_parse(in, strlen(in), &t, &diag) == RR_OK, "%s: %s", in, diag.msg);
    ck_assert_int_eq(t.sec, good_times[_i].sec);
    ck_assert_int_eq(t.nsec, good_times[_i].nsec);
    char buf[40];
    ck_assert_str_eq(rr_time_format(t, buf, sizeof buf), good_times[_i].utc);
    ck_assert(rr_time_is_zero(t) == (strcmp(in, "0001-01-01T00:00:00Z") == 0));
}
END_TEST

/* ---- rr_time_parse: bad inputs ---- */

static const struct {
    const char *in;
    const char *why; /* exact diag */
} bad_times[] = {
    {"", "not an RFC 3339 time"},
    {"yesterday", "not an RFC 3339 time"},
    {"2024-01-01", "not an RFC 3339 time"},
    {"2024-01-01 00:00:00Z", "not an RFC 3339 time"},
    {"2024-1-01T00:00:00Z", "not an RFC 3339 time"},
    {"+024-01-01T00:00:00Z", "not an RFC 3339 time"},
    {"2024-01-01T00:00:0aZ", "not an RFC 3339 time"},
    {"2024-01-01T00:00:00", "not an RFC 3339 time"},
    {"2024-13-01T00:00:00Z", "not an RFC 3339 time (field out of range)"},
    {"2024-00-10T00:00:00Z", "not an RFC 3339 time (field out of range)"},
    {"2024-01-00T00:00:00Z", "not an RFC 3339 time (field out of range)"},
    {"0000-01-01T00:00:00Z", "not an RFC 3339 time (field out of range)"},
    {"2024-01-01T24:00:00Z", "not an RFC 3339 time (field out of range)"},
    {"2024-01-01T23:60:00Z", "not an RFC 3339 time (field out of range)"},
    {"2024-01-01T23:59:60Z", "not an RFC 3339 time (field out of range)"}, /* as Go */
    {"2024-01-32T00:00:00Z", "not an RFC 3339 time (no such day)"},
    {"2024-04-31T00:00:00Z", "not an RFC 3339 time (no such day)"},
    {"2023-02-29T00:00:00Z", "not an RFC 3339 time (no such day)"},
    {"1900-02-29T00:00:00Z", "not an RFC 3339 time (no such day)"},
    {"2024-01-01T00:00:00.Z", "not an RFC 3339 time (fraction must have 1-9 digits)"},
    {"2024-01-01T00:00:00.1234567890Z", "not an RFC 3339 time (fraction must have 1-9 digits)"},
    {"2024-01-01T00:00:00,5Z", "not an RFC 3339 time (missing or bad offset)"},
    {"2024-01-01T00:00:00.5", "not an RFC 3339 time (missing or bad offset)"},
    {"2024-01-01T00:00:00ZZ", "not an RFC 3339 time (missing or bad offset)"},
    {"2024-01-01T00:00:00Z ", "not an RFC 3339 time (missing or bad offset)"},
    {"2024-01-01T00:00:00+0200", "not an RFC 3339 time (missing or bad offset)"},
    {"2024-01-01T00:00:00+2:00", "not an RFC 3339 time (missing or bad offset)"},
    {"2024-01-01T00:00:00UTC", "not an RFC 3339 time (missing or bad offset)"},
    {"2024-01-01T00:00:00+24:00", "not an RFC 3339 time (bad offset)"},
    {"2024-01-01T00:00:00+02:60", "not an RFC 3339 time (bad offset)"},
    {"2024-01-01T00:00:00+0a:00", "not an RFC 3339 time (bad offset)"},
};

START_TEST(test_time_parse_bad)
{
    struct rr_time t = {.sec = 42, .nsec = 42};
    struct rr_diag diag = {""};
    const char *in = bad_times[_i].in;
    ck_assert_msg(rr_time_parse(in, strlen(in), &t, &diag) == RR_ERR_INVAL, "accepted %s", in);
    ck_assert_str_eq(diag.msg, bad_times[_i].why);
    /* out-params are only written on success */
    ck_assert_int_eq(t.sec, 42);
    ck_assert_int_eq(t.nsec, 42);
}
END_TEST

START_TEST(test_time_parse_uses_len_not_nul)
{
    /* The input is a JSON string slice: exactly len bytes, no terminator expected. */
    const char *s = "2024-01-01T00:00:00Zgarbage";
    struct rr_time t;
    ck_assert(rr_time_parse(s, 20, &t, NULL) == RR_OK);
    ck_assert_int_eq(t.sec, 1704067200);
    ck_assert(rr_time_parse(s, 19, &t, NULL) == RR_ERR_INVAL);
    ck_assert(rr_time_parse(s, strlen(s), &t, NULL) == RR_ERR_INVAL);
    /* A fraction cut by len is still a fraction without an offset. */
    ck_assert(rr_time_parse("2024-01-01T00:00:00.123Z", 23, &t, NULL) == RR_ERR_INVAL);
}
END_TEST

START_TEST(test_time_format_trims_like_go)
{
    char buf[40];
    static const struct {
        int32_t nsec;
        const char *out;
    } cases[] = {
        {0, "2024-01-01T00:00:00Z"},
        {1, "2024-01-01T00:00:00.000000001Z"},
        {10, "2024-01-01T00:00:00.00000001Z"},
        {100000000, "2024-01-01T00:00:00.1Z"},
        {120000000, "2024-01-01T00:00:00.12Z"},
        {123456789, "2024-01-01T00:00:00.123456789Z"},
        {500000, "2024-01-01T00:00:00.0005Z"},
        {999999999, "2024-01-01T00:00:00.999999999Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rr_time t = {.sec = 1704067200, .nsec = cases[i].nsec};
        ck_assert_str_eq(rr_time_format(t, buf, sizeof buf), cases[i].out);
    }
    struct rr_time zero = {.sec = -62135596800, .nsec = 0};
    ck_assert_str_eq(rr_time_format(zero, buf, sizeof buf), "0001-01-01T00:00:00Z");
    ck_assert(rr_time_is_zero(zero));
    zero.nsec = 1;
    ck_assert(!rr_time_is_zero(zero));
    /* An offset can carry the latest parseable instant into year 10000; a short buffer gets a
     * prefix, as snprintf would give. */
    struct rr_time late = {.sec = 253402300800 + 1800, .nsec = 500000000};
    ck_assert_str_eq(rr_time_format(late, buf, sizeof buf), "10000-01-01T00:30:00.5Z");
    char small[11];
    ck_assert_str_eq(rr_time_format(zero, small, sizeof small), "0001-01-01");
    struct rr_time epoch = {0, 0};
    ck_assert(!rr_time_is_zero(epoch));
}
END_TEST

START_TEST(test_time_to_ms)
{
    struct rr_time t = {.sec = 1700000000, .nsec = 123999999};
    ck_assert_int_eq(rr_time_to_ms(t), 1700000000123LL);
    struct rr_time before = {.sec = -1, .nsec = 500000000};
    ck_assert_int_eq(rr_time_to_ms(before), -500);
    struct rr_time zero = {.sec = -62135596800, .nsec = 0};
    ck_assert_int_eq(rr_time_to_ms(zero), -62135596800000LL);
    struct rr_time huge = {.sec = INT64_MAX, .nsec = 0};
    ck_assert_int_eq(rr_time_to_ms(huge), INT64_MAX);
    struct rr_time tiny = {.sec = INT64_MIN, .nsec = 0};
    ck_assert_int_eq(rr_time_to_ms(tiny), INT64_MIN);
}
END_TEST

START_TEST(test_clock_format_ms)
{
    char buf[48];
    ck_assert_str_eq(rr_clock_format_ms(0, buf, sizeof buf), "1970-01-01T00:00:00.000Z");
    ck_assert_str_eq(rr_clock_format_ms(1700000000123LL, buf, sizeof buf),
                     "2023-11-14T22:13:20.123Z");
    ck_assert_str_eq(rr_clock_format_ms(1700000000005LL, buf, sizeof buf),
                     "2023-11-14T22:13:20.005Z");
    ck_assert_str_eq(rr_clock_format_ms(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z");
    ck_assert_str_eq(rr_clock_format_ms(-62135596800000LL, buf, sizeof buf),
                     "0001-01-01T00:00:00.000Z");
    /* Past year 9999 the year has five digits; the milliseconds still follow the seconds. */
    ck_assert_str_eq(rr_clock_format_ms(253402300800000LL + 7, buf, sizeof buf),
                     "10000-01-01T00:00:00.007Z");
}
END_TEST

START_TEST(test_fake_clock)
{
    rr_clock_set_fake_ms(1700000000123LL);
    ck_assert_int_eq(rr_clock_wall_ms(), 1700000000123LL);
    ck_assert_int_eq(rr_clock_wall_ms(), 1700000000123LL);
    rr_clock_set_fake_ms(0);
    int64_t now = rr_clock_wall_ms();
    ck_assert_int_gt(now, 1704067200000LL); /* after 2024: the real clock is back */
    int64_t a = rr_clock_mono_ns(), b = rr_clock_mono_ns();
    ck_assert_int_ge(b, a);
}
END_TEST

/* ---- rr_duration_parse ---- */

static const struct {
    const char *in;
    int64_t ms;
} good_durations[] = {
    {"0", 0},
    {"0s", 0},
    {"1ms", 1},
    {"250ms", 250},
    {"500ms", 500},
    {"1s", 1000},
    {"90s", 90000},
    {"10m", 600000},
    {"30m", 1800000},
    {"1h", 3600000},
    {"1h30m", 5400000},
    {"1m30s", 90000},
    {"1h0m0s", 3600000},
    {"1s500ms", 1500},
    {"2d", 172800000},
    {"1w", 604800000},
    {"1y", 31536000000LL},
    {"1y2w3d4h5m6s7ms", 31536000000LL + 2 * 604800000LL + 3 * 86400000LL + 4 * 3600000LL +
                            5 * 60000LL + 6 * 1000LL + 7},
};

START_TEST(test_duration_good)
{
    int64_t ms = -1;
    struct rr_diag diag = {""};
    const char *in = good_durations[_i].in;
    ck_assert_msg(rr_duration_parse(in, &ms, &diag) == RR_OK, "%s: %s", in, diag.msg);
    ck_assert_int_eq(ms, good_durations[_i].ms);
}
END_TEST

static const struct {
    const char *in;
    const char *why;
} bad_durations[] = {
    {"", "empty duration"},
    {"abc", "not a duration: 'abc'"},
    {"-5m", "not a duration: '-5m'"},
    {" 5m", "not a duration: ' 5m'"},
    {"10", "not a duration (unknown unit): '10'"},
    {"00", "not a duration (unknown unit): '00'"},
    {"10x", "not a duration (unknown unit): '10x'"},
    {"5m ", "not a duration: '5m '"},
    {"1.5h", "not a duration (unknown unit): '1.5h'"},
    {"5mx", "not a duration: '5mx'"},
    {"30m1h", "not a duration (units must go from largest to smallest, each once): '30m1h'"},
    {"1m1m", "not a duration (units must go from largest to smallest, each once): '1m1m'"},
    {"1ms1s", "not a duration (units must go from largest to smallest, each once): '1ms1s'"},
    {"99999999999999999999y", "duration too long: '99999999999999999999y'"},
    {"300000000y", "duration too long: '300000000y'"},
};

START_TEST(test_duration_bad)
{
    int64_t ms = -1;
    struct rr_diag diag = {""};
    const char *in = bad_durations[_i].in;
    ck_assert_msg(rr_duration_parse(in, &ms, &diag) == RR_ERR_INVAL, "accepted %s", in);
    ck_assert_str_eq(diag.msg, bad_durations[_i].why);
    ck_assert_int_eq(ms, -1);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("rfc3339");
    tcase_add_loop_test(tc, test_time_parse_good, 0, N(good_times));
    tcase_add_loop_test(tc, test_time_parse_bad, 0, N(bad_times));
    tcase_add_test(tc, test_time_parse_uses_len_not_nul);
    tcase_add_test(tc, test_time_format_trims_like_go);
    tcase_add_test(tc, test_time_to_ms);
    tcase_add_test(tc, test_clock_format_ms);
    suite_add_tcase(s, tc);
    tc = tcase_create("clock");
    tcase_add_test(tc, test_fake_clock);
    suite_add_tcase(s, tc);
    tc = tcase_create("duration");
    tcase_add_loop_test(tc, test_duration_good, 0, N(good_durations));
    tcase_add_loop_test(tc, test_duration_bad, 0, N(bad_durations));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(clock_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

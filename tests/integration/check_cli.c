/*
 * CLI integration: `runbook-router check` and `runbook-router route` as a user runs them — the
 * built binary ($RR_BINARY) in a child process, stdout and stderr captured apart, the exit
 * status asserted exactly (PRODUCT §5, §10).
 *
 * check: the shipped routing/ and runbooks/ pass; each directory under tests/fixtures/cli/
 * breaks one thing and must give its exit code and its exact `file:line:column: message` line.
 * route: decisions printed for a payload (JSON compared field by field with jansson, evidence
 * only required to be there) or for label=value pairs (fingerprinted as Alertmanager does,
 * recomputed here independently), bad arguments, unloadable config, and correlation with the
 * store through --db.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "rr/clock.h"
#include "rr/ingest.h"
#include "rr/live.h"
#include "rr/routing.h"
#include "rr/runbook.h"

#include "testlib.h"

extern char **environ;

#define RUN_TIMEOUT_MS 120000 /* one child, sanitizers included */
#define RUN_MAX_ARGS   32
#define RUN_MAX_OUTPUT (16 << 20)
#define ENV_PREFIX     "RUNBOOK_ROUTER_"

/* ==== Running the binary ==== */

struct run {
    int status; /* exit status; -1 when killed by a signal */
    char *out;  /* stdout, NUL-terminated */
    char *err;  /* stderr, NUL-terminated */
};

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

struct sink {
    char *data;
    size_t len, cap;
};

static void sink_put(struct sink *s, const char *p, size_t n)
{
    ck_assert_msg(s->len + n < RUN_MAX_OUTPUT, "child output over %d bytes", RUN_MAX_OUTPUT);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->data = realloc(s->data, s->cap);
        ck_assert_ptr_nonnull(s->data);
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = '\0';
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Runs `$RR_BINARY args...` (args NULL-terminated) with the environment of this process less
 * every RUNBOOK_ROUTER_* variable (so a developer's shell cannot change a result), plus env
 * ("NAME=value" strings, NULL-terminated, or NULL). Bounded by RUN_TIMEOUT_MS.
 */
static struct run run_env(const char *const *env, const char *const *args)
{
    char *argv[RUN_MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = strdup(rr_test_binary());
    for (; args[argc - 1]; argc++) {
        ck_assert_int_lt(argc, RUN_MAX_ARGS);
        argv[argc] = strdup(args[argc - 1]);
    }
    argv[argc] = NULL;
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    for (size_t i = 0; env && env[i]; i++)
        n_env++;
    char **envp = calloc(n_env + 1, sizeof *envp);
    size_t k = 0;
    for (size_t i = 0; environ[i]; i++)
        if (strncmp(environ[i], ENV_PREFIX, strlen(ENV_PREFIX)))
            envp[k++] = strdup(environ[i]);
    for (size_t i = 0; env && env[i]; i++)
        envp[k++] = strdup(env[i]);

    int out_pipe[2], err_pipe[2];
    ck_assert_int_eq(pipe(out_pipe), 0);
    ck_assert_int_eq(pipe(err_pipe), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[0]);
        close(err_pipe[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    struct sink out = {0}, err = {0};
    sink_put(&out, "", 0);
    sink_put(&err, "", 0);
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    struct sink *sinks[2] = {&out, &err};
    int open_fds = 2;
    int64_t deadline = now_ms() + RUN_TIMEOUT_MS;
    bool timed_out = false;
    while (open_fds > 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int rc = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
        if (rc < 0 && errno == EINTR)
            continue;
        ck_assert_int_ge(rc, 0);
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[65536];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sink_put(sinks[i], buf, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    if (timed_out)
        kill(pid, SIGKILL);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    for (size_t i = 0; i < k; i++)
        free(envp[i]);
    free(envp);
    ck_assert_msg(!timed_out, "runbook-router did not finish within %d ms", RUN_TIMEOUT_MS);
    struct run r = {
        .status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, .out = out.data, .err = err.data};
    ck_assert_msg(r.status != 127, "cannot execute %s", rr_test_binary());
    ck_assert_msg(WIFEXITED(wstatus), "runbook-router died of signal %d; stderr:\n%s",
                  WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0, r.err);
    return r;
}

#define RUN(...)          run_env(NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_ENV(env, ...) run_env(env, (const char *const[]){__VA_ARGS__, NULL})

#define ASSERT_EXIT(r, code)                                                                       \
    ck_assert_msg((r).status == (code), "exit %d, want %d\nstdout:\n%s\nstderr:\n%s", (r).status,  \
                  (code), (r).out, (r).err)

/* True when text holds line as one whole line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

#define ASSERT_LINE(text, line)                                                                    \
    ck_assert_msg(has_line((text), (line)), "missing line:\n  %s\nin:\n%s", (line), (text))

static char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *s = NULL;
    int n = vsnprintf(NULL, 0, format, ap);
    va_end(ap);
    ck_assert_int_ge(n, 0);
    s = malloc((size_t)n + 1);
    va_start(ap, format);
    vsnprintf(s, (size_t)n + 1, format, ap);
    va_end(ap);
    return s;
}

/* ==== check ==== */

/* Every stderr line of a failed check is `file:line:column: message` or the closing verdict. */
static void assert_diagnostic_lines(const char *err)
{
    const char *p = err;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        if (strcmp(line, "check: FAILED") != 0) {
            char *colon = strchr(line, ':');
            unsigned l = 0, c = 0;
            int used = 0;
            ck_assert_msg(colon && sscanf(colon, ":%u:%u: %n", &l, &c, &used) == 2 && used > 0 &&
                              l > 0 && c > 0 && colon[used] != '\0',
                          "not a file:line:column: message line: '%s'", line);
        }
        p += len + (nl ? 1 : 0);
    }
}

/* check on tests/fixtures/cli/<name>/{routing,runbooks}; dirs owned by the caller via out. */
static struct run check_fixture(const char *name, char **routing, char **runbooks)
{
    char rel[256];
    snprintf(rel, sizeof rel, "cli/%s/routing", name);
    *routing = rr_test_fixture(rel);
    snprintf(rel, sizeof rel, "cli/%s/runbooks", name);
    *runbooks = rr_test_fixture(rel);
    return RUN("check", "--routing", *routing, "--runbooks", *runbooks);
}

START_TEST(check_shipped_config)
{
    char *routing = rr_test_source_path("routing");
    char *runbooks = rr_test_source_path("runbooks");
    struct run r = RUN("check", "--routing", routing, "--runbooks", runbooks);
    ASSERT_EXIT(r, 0);
    /* The counts as the library sees them. */
    struct rr_routing *rt = NULL;
    struct rr_runbooks *rb = NULL;
    struct rr_diag diag = {{0}};
    ck_assert_msg(rr_routing_load(routing, &rt, &diag) == RR_OK, "%s", diag.msg);
    ck_assert_msg(rr_runbooks_load(runbooks, &rb, &diag) == RR_OK, "%s", diag.msg);
    char *want =
        fmt("%s: %zu teams, %zu routes; %s: %zu runbooks: SUCCESS\n", routing,
            rr_routing_team_count(rt), rr_routing_route_count(rt), runbooks, rr_runbooks_count(rb));
    ck_assert_str_eq(r.out, want);
    /* The shipped configuration carries no warnings either. */
    ck_assert_str_eq(r.err, "");
    free(want);
    rr_routing_free(rt);
    rr_runbooks_free(rb);
    run_free(&r);
    free(routing);
    free(runbooks);
}
END_TEST

START_TEST(check_help)
{
    struct run r = RUN("check", "--help");
    ASSERT_EXIT(r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "usage: runbook-router check"));
    run_free(&r);
    r = RUN("check", "extra-argument");
    ASSERT_EXIT(r, 2);
    run_free(&r);
    r = RUN("check", "--no-such-flag");
    ASSERT_EXIT(r, 2);
    run_free(&r);
}
END_TEST

/* One broken thing per fixture: check's exit code and its exact diagnostic line, and what
 * route makes of the same configuration (3 for every load error, rule violations included; a
 * runbook missing a section still loads, only check and coverage judge sections). */
struct broken {
    const char *fixture;
    int code;
    const char *file;     /* below the fixture directory */
    const char *message;  /* "line:col: message"; NULL: only position is fixed */
    const char *position; /* "line:col: " */
    int route_code;
};

static const struct broken broken_cases[] = {
    {"unknown-team", 1, "routing/routes.yml",
     "8:11: route 'checkout-latency': unknown team 'checkout'", NULL, 3},
    {"duplicate-route", 1, "routing/routes.yml", NULL, "5:5: ", 3},
    {"malformed-yaml", 3, "routing/routes.yml", NULL, "4:5: ", 3},
    {"runbook-no-front-matter", 3, "runbooks/temporal-persistence.md",
     "1:1: no front matter: the file must start with a line '---'", NULL, 3},
    {"runbook-missing-section", 1, "runbooks/temporal-persistence.md",
     "1:1: runbook temporal-persistence: missing section Terminate and restart", NULL, 0},
    {"unknown-runbook", 1, "routing/routes.yml",
     "5:14: route 'persistence': unknown runbook 'temporal-persistence'", NULL, 3},
};

START_TEST(check_broken)
{
    const struct broken *c = &broken_cases[_i];
    char *routing, *runbooks;
    struct run r = check_fixture(c->fixture, &routing, &runbooks);
    ASSERT_EXIT(r, c->code);
    ck_assert_str_eq(r.out, "");
    ASSERT_LINE(r.err, "check: FAILED");
    assert_diagnostic_lines(r.err);
    char rel[256];
    snprintf(rel, sizeof rel, "cli/%s", c->fixture);
    char *dir = rr_test_fixture(rel);
    if (c->message) {
        char *want = fmt("%s/%s:%s", dir, c->file, c->message);
        ASSERT_LINE(r.err, want);
        free(want);
    } else {
        char *want = fmt("%s/%s:%s", dir, c->file, c->position);
        ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "want a line starting '%s' in:\n%s",
                      want, r.err);
        free(want);
    }
    free(dir);
    run_free(&r);
    free(routing);
    free(runbooks);
}
END_TEST

START_TEST(check_duplicate_route_names_both_places)
{
    char *routing, *runbooks;
    struct run r = check_fixture("duplicate-route", &routing, &runbooks);
    ASSERT_EXIT(r, 1);
    char *want = fmt("%s/routes.yml:5:5: route 'persistence' defined twice (first defined at "
                     "%s/routes.yml:2:5)",
                     routing, routing);
    ASSERT_LINE(r.err, want);
    free(want);
    run_free(&r);
    free(routing);
    free(runbooks);
}
END_TEST

/* A Slack webhook URL committed in a team file: exit 0, a warning with its place, and the
 * secret never printed. */
START_TEST(check_literal_slack_url)
{
    char *routing, *runbooks;
    struct run r = check_fixture("literal-slack-url", &routing, &runbooks);
    ASSERT_EXIT(r, 0);
    char *want = fmt("%s/teams.yml:5:5: warning: team payments: a Slack webhook URL is written "
                     "literally; use url_env or url_file",
                     routing);
    ASSERT_LINE(r.err, want);
    free(want);
    want = fmt("%s: 2 teams, 2 routes; %s: 1 runbooks: SUCCESS\n", routing, runbooks);
    ck_assert_str_eq(r.out, want);
    free(want);
    const char *secrets[] = {"hooks.slack.com/services", "T000/B000", "XXXX"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        ck_assert_msg(!strstr(r.err, secrets[i]), "stderr shows the secret: %s", r.err);
        ck_assert_msg(!strstr(r.out, secrets[i]), "stdout shows the secret: %s", r.out);
    }
    run_free(&r);
    free(routing);
    free(runbooks);
}
END_TEST

START_TEST(check_missing_directory)
{
    char *runbooks = rr_test_source_path("runbooks");
    struct run r = RUN("check", "--routing", "/nonexistent/routing", "--runbooks", runbooks);
    ASSERT_EXIT(r, 3);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/routing"));
    run_free(&r);
    free(runbooks);
}
END_TEST

/* ==== route ==== */

static char *classify_dir(const char *what)
{
    char rel[64];
    snprintf(rel, sizeof rel, "classify/%s", what);
    return rr_test_fixture(rel);
}

/* route with the decision-test configuration plus args (NULL-terminated). */
static struct run route_env(const char *const *env, const char *const *args)
{
    char *routing = classify_dir("routing"), *runbooks = classify_dir("runbooks");
    const char *argv[RUN_MAX_ARGS] = {"route", "--routing", routing, "--runbooks", runbooks};
    int n = 5;
    for (int i = 0; args[i]; i++) {
        ck_assert_int_lt(n, RUN_MAX_ARGS - 1);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    struct run r = run_env(env, argv);
    free(routing);
    free(runbooks);
    return r;
}

#define ROUTE(...)          route_env(NULL, (const char *const[]){__VA_ARGS__, NULL})
#define ROUTE_ENV(env, ...) route_env(env, (const char *const[]){__VA_ARGS__, NULL})

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", jerr.text, text);
    return j;
}

/* Asserts obj's keys are exactly keys[], in that order. */
static void assert_keys(json_t *obj, const char *const *keys, size_t n)
{
    ck_assert_msg(json_is_object(obj), "not an object");
    ck_assert_uint_eq(json_object_size(obj), n);
    size_t i = 0;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it), i++)
        ck_assert_str_eq(json_object_iter_key(it), keys[i]);
}

/* Compares a decision with want (JSON text without evidence); evidence must be a non-empty
 * list of non-empty strings. Returns the evidence, borrowed from got. */
static json_t *assert_decision(json_t *got, const char *want_text)
{
    static const char *const keys[] = {"layer",        "team",          "kind",    "route",
                                       "owner_source", "affected_team", "runbook", "evidence"};
    assert_keys(got, keys, 8);
    json_t *ev = json_object_get(got, "evidence");
    ck_assert_msg(json_is_array(ev) && json_array_size(ev) > 0, "no evidence");
    for (size_t k = 0; k < json_array_size(ev); k++)
        ck_assert_msg(json_string_length(json_array_get(ev, k)) > 0, "empty evidence sentence");
    json_t *copy = json_deep_copy(got);
    json_object_del(copy, "evidence");
    json_t *want = parse_json(want_text);
    char *g = json_dumps(copy, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
    ck_assert_msg(json_equal(copy, want), "decision\n want %s\n  got %s", w, g);
    free(g);
    free(w);
    json_decref(want);
    json_decref(copy);
    return ev;
}

/* Checks `route --format json` output against the payload it read: one entry per alert, in
 * payload order, resolved ones included, fingerprint and labels exactly as received, and the
 * expected decisions (want[i], JSON without evidence). */
static void assert_route_output(const char *out, const char *payload_path, const char *const *want,
                                size_t n_want)
{
    size_t len = strlen(out);
    ck_assert_msg(len > 0 && out[len - 1] == '\n', "output does not end with a newline");
    ck_assert_msg(!strchr(out, '\n') || strchr(out, '\n') == out + len - 1,
                  "JSON output is not one line");
    json_t *got = parse_json(out);
    static const char *const top[] = {"alerts"};
    assert_keys(got, top, 1);
    json_error_t jerr;
    json_t *payload = json_load_file(payload_path, 0, &jerr);
    ck_assert_msg(payload != NULL, "%s: %s", payload_path, jerr.text);
    json_t *in = json_object_get(payload, "alerts");
    json_t *alerts = json_object_get(got, "alerts");
    ck_assert(json_is_array(alerts));
    ck_assert_uint_eq(json_array_size(alerts), json_array_size(in));
    ck_assert_uint_eq(json_array_size(alerts), n_want);
    for (size_t i = 0; i < n_want; i++) {
        json_t *a = json_array_get(alerts, i);
        static const char *const keys[] = {"fingerprint", "labels", "decision"};
        assert_keys(a, keys, 3);
        json_t *src = json_array_get(in, i);
        ck_assert_str_eq(json_string_value(json_object_get(a, "fingerprint")),
                         json_string_value(json_object_get(src, "fingerprint")));
        ck_assert_msg(json_equal(json_object_get(a, "labels"), json_object_get(src, "labels")),
                      "alert %zu: labels differ from the payload's", i);
        assert_decision(json_object_get(a, "decision"), want[i]);
    }
    json_decref(payload);
    json_decref(got);
}

static char *am_fixture(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "alertmanager/%s", name);
    return rr_test_fixture(rel);
}

/* What the decision-test table decides for TemporalWorkflowFailureRateHigh from payments:
 * no route, no built-in rule => ambiguous, application by fallback, owner from the team label,
 * the generic runbook. */
static const char app_failure[] =
    "{\"layer\":\"application\",\"team\":\"payments\",\"kind\":\"workflow_failure\","
    "\"route\":\"-\",\"owner_source\":\"team_label\",\"affected_team\":null,"
    "\"runbook\":\"temporal-generic\"}";

START_TEST(route_payload_json)
{
    char *payload = am_fixture("am-firing-app-workflow-failures.json");
    struct run r = ROUTE("--payload", payload, "--format", "json");
    ASSERT_EXIT(r, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_msg(!strncmp(r.out, "{\"alerts\":[{\"fingerprint\":\"3bec3a4ced2ca7a6\",", 44), "%s",
                  r.out);
    const char *want[] = {app_failure, app_failure};
    assert_route_output(r.out, payload, want, 2);
    run_free(&r);
    free(payload);
}
END_TEST

START_TEST(route_payload_resolved_included)
{
    char *payload = am_fixture("am-partially-resolved.json");
    struct run r = ROUTE("--payload", payload, "--format", "json");
    ASSERT_EXIT(r, 0);
    const char *want[] = {app_failure, app_failure};
    assert_route_output(r.out, payload, want, 2);
    run_free(&r);
    free(payload);
}
END_TEST

/* Three alerts: correlation inside the payload (a firing persistence alert, listed last, makes
 * the ambiguous schedule-to-start alert listed first platform), a resolved alert decided like
 * any other, route team and explicit runbook. */
static const char sts_platform[] =
    "{\"layer\":\"platform\",\"team\":\"temporal-platform\",\"kind\":\"latency\","
    "\"route\":\"schedule-to-start\",\"owner_source\":\"platform\",\"affected_team\":\"orders\","
    "\"runbook\":\"temporal-schedule-to-start\"}";
static const char sts_application[] =
    "{\"layer\":\"application\",\"team\":\"orders\",\"kind\":\"latency\","
    "\"route\":\"schedule-to-start\",\"owner_source\":\"namespace\",\"affected_team\":null,"
    "\"runbook\":\"temporal-schedule-to-start\"}";
static const char orders_latency[] =
    "{\"layer\":\"application\",\"team\":\"orders\",\"kind\":\"latency\","
    "\"route\":\"orders-latency\",\"owner_source\":\"route\",\"affected_team\":null,"
    "\"runbook\":\"orders-checkout-latency\"}";
static const char persistence[] =
    "{\"layer\":\"platform\",\"team\":\"temporal-platform\",\"kind\":\"latency\","
    "\"route\":\"persistence\",\"owner_source\":\"platform\",\"affected_team\":\"payments\","
    "\"runbook\":\"temporal-persistence\"}";

START_TEST(route_payload_mixed)
{
    char *payload = rr_test_fixture("cli/payload-mixed.json");
    struct run r = ROUTE("--payload", payload, "--format", "json");
    ASSERT_EXIT(r, 0);
    const char *want[] = {sts_platform, orders_latency, persistence};
    assert_route_output(r.out, payload, want, 3);
    run_free(&r);

    /* The same payload with the persistence alert resolved: a resolved alert is no evidence. */
    json_error_t jerr;
    json_t *p = json_load_file(payload, 0, &jerr);
    ck_assert_ptr_nonnull(p);
    json_object_set_new(json_array_get(json_object_get(p, "alerts"), 2), "status",
                        json_string("resolved"));
    char *dir = rr_test_tmpdir();
    char *path = fmt("%s/payload.json", dir);
    ck_assert_int_eq(json_dump_file(p, path, 0), 0);
    json_decref(p);
    r = ROUTE("--payload", path, "--format", "json");
    ASSERT_EXIT(r, 0);
    const char *want2[] = {sts_application, orders_latency, persistence};
    assert_route_output(r.out, path, want2, 3);
    run_free(&r);
    rr_test_rmtree(dir);
    free(dir);
    free(path);
    free(payload);
}
END_TEST

/* The default format is text: per alert the layer, team, route, runbook and every evidence
 * sentence under "why:", the same sentences the JSON carries. */
START_TEST(route_payload_text)
{
    char *payload = rr_test_fixture("cli/payload-mixed.json");
    struct run j = ROUTE("--payload", payload, "--format", "json");
    ASSERT_EXIT(j, 0);
    struct run t = ROUTE("--payload", payload);
    ASSERT_EXIT(t, 0);
    struct run t2 = ROUTE("--payload", payload, "--format", "text");
    ASSERT_EXIT(t2, 0);
    ck_assert_str_eq(t.out, t2.out);
    ck_assert_msg(t.out[0] != '{', "default format is not text: %s", t.out);
    json_t *got = parse_json(j.out);
    json_t *alerts = json_object_get(got, "alerts");
    /* Split the text into one block per alert (blocks are separated by a blank line). */
    char *text = strdup(t.out);
    char *blocks[8];
    size_t n_blocks = 0;
    for (char *p = text; p && n_blocks < 8;) {
        blocks[n_blocks++] = p;
        char *sep = strstr(p, "\n\n");
        if (sep) {
            sep[1] = '\0';
            p = sep + 2;
        } else {
            p = NULL;
        }
    }
    ck_assert_uint_eq(n_blocks, json_array_size(alerts));
    for (size_t i = 0; i < n_blocks; i++) {
        json_t *a = json_array_get(alerts, i);
        json_t *d = json_object_get(a, "decision");
        const char *alertname =
            json_string_value(json_object_get(json_object_get(a, "labels"), "alertname"));
        ck_assert_msg(!strncmp(blocks[i], alertname, strlen(alertname)),
                      "block %zu does not start with %s:\n%s", i, alertname, blocks[i]);
        ck_assert_ptr_nonnull(
            strstr(blocks[i], json_string_value(json_object_get(a, "fingerprint"))));
        const char *affected = json_string_value(json_object_get(d, "affected_team"));
        const char *runbook = json_string_value(json_object_get(d, "runbook"));
        char line[512];
        snprintf(line, sizeof line, "  layer:    %s",
                 json_string_value(json_object_get(d, "layer")));
        ck_assert_msg(strstr(blocks[i], line), "no '%s' in:\n%s", line, blocks[i]);
        snprintf(line, sizeof line, "  team:     %s (from %s)",
                 json_string_value(json_object_get(d, "team")),
                 json_string_value(json_object_get(d, "owner_source")));
        ASSERT_LINE(blocks[i], line);
        snprintf(line, sizeof line, "  affected: %s", affected ? affected : "-");
        ASSERT_LINE(blocks[i], line);
        snprintf(line, sizeof line, "  kind:     %s",
                 json_string_value(json_object_get(d, "kind")));
        ASSERT_LINE(blocks[i], line);
        snprintf(line, sizeof line, "  route:    %s",
                 json_string_value(json_object_get(d, "route")));
        ASSERT_LINE(blocks[i], line);
        snprintf(line, sizeof line, "  runbook:  %s", runbook ? runbook : "none");
        ASSERT_LINE(blocks[i], line);
        ASSERT_LINE(blocks[i], "  why:");
        json_t *ev = json_object_get(d, "evidence");
        const char *why = strstr(blocks[i], "  why:\n");
        for (size_t k = 0; k < json_array_size(ev); k++) {
            snprintf(line, sizeof line, "    - %s", json_string_value(json_array_get(ev, k)));
            ck_assert_msg(has_line(why, line), "no evidence line '%s' under why: in\n%s", line,
                          blocks[i]);
        }
    }
    ck_assert_ptr_nonnull(strstr(blocks[1], "(fingerprint a1b2c3d4e5f60718, resolved)"));
    free(text);
    json_decref(got);
    run_free(&j);
    run_free(&t);
    run_free(&t2);
    free(payload);
}
END_TEST

/* ==== label=value pairs ==== */

struct pair {
    const char *name, *value;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct pair *)a)->name, ((const struct pair *)b)->name);
}

/* Alertmanager's fingerprint (prometheus/common model.LabelSet.Fingerprint), written out
 * here independently of src/alert.c: FNV-1a 64 over the names in byte order, each name and
 * each value followed by 0xFF. */
static uint64_t am_fingerprint(struct pair *labels, size_t n)
{
    qsort(labels, n, sizeof *labels, by_name);
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        const char *parts[2] = {labels[i].name, labels[i].value};
        for (int k = 0; k < 2; k++) {
            for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
                h ^= *p;
                h *= 1099511628211ULL;
            }
            h ^= 0xFF;
            h *= 1099511628211ULL;
        }
    }
    return h;
}

START_TEST(route_pairs_fingerprint)
{
    struct run r = ROUTE("alertname=TemporalWorkflowTaskScheduleToStartLatencyHigh",
                         "temporal_namespace=orders-prod", "note=a=b", "--format", "json");
    ASSERT_EXIT(r, 0);
    ck_assert_str_eq(r.err, "");
    json_t *got = parse_json(r.out);
    json_t *alerts = json_object_get(got, "alerts");
    ck_assert_uint_eq(json_array_size(alerts), 1);
    json_t *a = json_array_get(alerts, 0);
    /* Split at the first '=': note's value is "a=b". */
    json_t *want_labels =
        json_pack("{s:s, s:s, s:s}", "alertname", "TemporalWorkflowTaskScheduleToStartLatencyHigh",
                  "temporal_namespace", "orders-prod", "note", "a=b");
    ck_assert_msg(json_equal(json_object_get(a, "labels"), want_labels), "labels: %s", r.out);
    json_decref(want_labels);
    struct pair labels[] = {{"temporal_namespace", "orders-prod"},
                            {"alertname", "TemporalWorkflowTaskScheduleToStartLatencyHigh"},
                            {"note", "a=b"}};
    char fp[17];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)am_fingerprint(labels, 3));
    ck_assert_str_eq(json_string_value(json_object_get(a, "fingerprint")), fp);
    assert_decision(json_object_get(a, "decision"), sts_application);
    json_decref(got);
    run_free(&r);
}
END_TEST

/* Known values: the fingerprints Alertmanager sent for the captured fixture alerts. */
START_TEST(route_pairs_match_alertmanager)
{
    char *path = am_fixture("am-firing-app-workflow-failures.json");
    json_error_t jerr;
    json_t *p = json_load_file(path, 0, &jerr);
    ck_assert_ptr_nonnull(p);
    json_t *alert = json_array_get(json_object_get(p, "alerts"), 0);
    const char *args[16] = {0};
    char *owned[16];
    size_t n = 0;
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(alert, "labels"), name, v)
    {
        ck_assert_uint_lt(n, 12);
        owned[n] = fmt("%s=%s", name, json_string_value(v));
        args[n] = owned[n];
        n++;
    }
    args[n++] = "--format";
    args[n++] = "json";
    struct run r = route_env(NULL, args);
    ASSERT_EXIT(r, 0);
    json_t *got = parse_json(r.out);
    json_t *a = json_array_get(json_object_get(got, "alerts"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(a, "fingerprint")),
                     json_string_value(json_object_get(alert, "fingerprint")));
    assert_decision(json_object_get(a, "decision"), app_failure);
    json_decref(got);
    run_free(&r);
    for (size_t i = 0; i < n - 2; i++)
        free(owned[i]);
    json_decref(p);
    free(path);
}
END_TEST

START_TEST(route_pairs_text)
{
    struct run r = ROUTE("alertname=OrdersCheckoutLatencyHigh", "temporal_namespace=checkout");
    ASSERT_EXIT(r, 0);
    ck_assert_msg(!strncmp(r.out, "OrdersCheckoutLatencyHigh (fingerprint ", 39), "%s", r.out);
    ASSERT_LINE(r.out, "  layer:    application");
    ASSERT_LINE(r.out, "  team:     orders (from route)");
    ASSERT_LINE(r.out, "  route:    orders-latency");
    ASSERT_LINE(r.out, "  runbook:  orders-checkout-latency");
    ASSERT_LINE(r.out, "  why:");
    ck_assert_ptr_nonnull(strstr(r.out, "  why:\n    - "));
    run_free(&r);
}
END_TEST

/* ==== bad arguments, bad payloads, unloadable config ==== */

START_TEST(route_usage_errors)
{
    char *payload = am_fixture("am-firing-app-workflow-failures.json");
    struct {
        const char *args[4];
        const char *stderr_has;
    } cases[] = {
        {{NULL}, "--payload"},
        {{"alertname"}, "alertname"},
        {{"alertname=X", "severity"}, "severity"},
        {{"=X"}, "=X"},
        {{"alertname=X", "alertname=Y"}, "label 'alertname' given twice"},
        {{"--payload", "/nonexistent/payload.json"}, "/nonexistent/payload.json"},
        {{"--payload", payload, "alertname=X"}, "--payload"},
        {{"alertname=X", "--format", "yaml"}, "--format"},
        {{"alertname=X", "--no-such-flag"}, "--no-such-flag"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r = route_env(NULL, cases[i].args);
        ck_assert_msg(r.status == 2, "case %zu: exit %d, want 2\nstderr:\n%s", i, r.status, r.err);
        ck_assert_str_eq(r.out, "");
        ck_assert_msg(strstr(r.err, cases[i].stderr_has),
                      "case %zu: stderr does not name '%s':\n%s", i, cases[i].stderr_has, r.err);
        run_free(&r);
    }
    free(payload);
}
END_TEST

/* A payload that is not a valid webhook is a usage error naming what is wrong. */
START_TEST(route_bad_payload)
{
    char *dir = rr_test_tmpdir();
    struct {
        const char *body;
        const char *stderr_has;
    } cases[] = {
        {"this is not JSON", "line 1"},
        {"{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
         "\"labels\":{\"alertname\":\"X\"},\"startsAt\":\"yesterday\","
         "\"fingerprint\":\"0000000000000001\"}]}",
         "alerts[0].startsAt"},
        {"{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
         "\"labels\":{\"alertname\":\"X\"},\"startsAt\":\"2026-11-22T01:00:00Z\","
         "\"fingerprint\":\"XYZ\"}]}",
         "alerts[0].fingerprint"},
        {"{\"version\":\"3\",\"status\":\"firing\",\"alerts\":[]}", "version"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = fmt("%s/p%zu.json", dir, i);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(cases[i].body, f);
        fclose(f);
        struct run r = ROUTE("--payload", path);
        ck_assert_msg(r.status == 2, "case %zu: exit %d, want 2\nstderr:\n%s", i, r.status, r.err);
        ck_assert_str_eq(r.out, "");
        ck_assert_msg(strstr(r.err, cases[i].stderr_has),
                      "case %zu: stderr does not name '%s':\n%s", i, cases[i].stderr_has, r.err);
        run_free(&r);
        free(path);
    }
    rr_test_rmtree(dir);
    free(dir);
}
END_TEST

/* Config that cannot be loaded is exit 3, rule violations included (only check says 1). */
START_TEST(route_unloadable_config)
{
    char *runbooks = classify_dir("runbooks");
    struct run r =
        RUN("route", "--routing", "/nonexistent/routing", "--runbooks", runbooks, "alertname=X");
    ASSERT_EXIT(r, 3);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/routing"));
    run_free(&r);
    char *routing = classify_dir("routing");
    r = RUN("route", "--routing", routing, "--runbooks", "/nonexistent/runbooks", "alertname=X");
    ASSERT_EXIT(r, 3);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/runbooks"));
    run_free(&r);
    free(routing);
    free(runbooks);
    /* The broken fixtures of check, each with its own runbooks. */
    for (size_t i = 0; i < sizeof broken_cases / sizeof broken_cases[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "cli/%s/routing", broken_cases[i].fixture);
        routing = rr_test_fixture(rel);
        snprintf(rel, sizeof rel, "cli/%s/runbooks", broken_cases[i].fixture);
        runbooks = rr_test_fixture(rel);
        r = RUN("route", "--routing", routing, "--runbooks", runbooks, "alertname=X");
        const struct broken *c = &broken_cases[i];
        ck_assert_msg(r.status == c->route_code, "%s: exit %d, want %d\nstderr:\n%s", c->fixture,
                      r.status, c->route_code, r.err);
        if (c->route_code) {
            ck_assert_str_eq(r.out, "");
            ck_assert_msg(strstr(r.err, c->file), "%s: stderr does not name %s:\n%s", c->fixture,
                          c->file, r.err);
        }
        run_free(&r);
        free(routing);
        free(runbooks);
    }
}
END_TEST

/* ==== --db: correlation with stored firing alerts ==== */

/* Stores one firing alert through ingest (classified with the decision-test config, as serve
 * would), received at received_ms. */
static void store_alert(struct rr_ingest *ing, const char *labels_json, const char *fp,
                        int64_t received_ms)
{
    char *body =
        fmt("{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
            "\"labels\":%s,\"startsAt\":\"2026-11-22T01:00:00Z\",\"fingerprint\":\"%s\"}]}",
            labels_json, fp);
    struct rr_webhook *wh = NULL;
    struct rr_diag diag = {{0}};
    ck_assert_msg(rr_webhook_parse(body, strlen(body), &wh, &diag) == RR_OK, "%s", diag.msg);
    struct rr_ingest_job job = {.webhook = wh, .received_ms = received_ms};
    ck_assert_msg(rr_ingest_submit_wait(ing, &job) == RR_OK, "%s", job.diag.msg);
    ck_assert_uint_eq(job.stored, 1);
    rr_webhook_free(wh);
    free(body);
}

static char *make_db(void)
{
    char *dir = rr_test_tmpdir();
    char *db = fmt("%s/rr.db", dir);
    free(dir);
    char *routing = classify_dir("routing"), *runbooks = classify_dir("runbooks");
    struct rr_live *live = NULL;
    struct rr_ingest *ing = NULL;
    struct rr_diag diag = {{0}};
    ck_assert_msg(rr_live_new(routing, runbooks, &live, &diag) == RR_OK, "%s", diag.msg);
    struct rr_ingest_options io = {.live = live};
    ck_assert_msg(rr_ingest_start(db, &io, &ing, &diag) == RR_OK, "%s", diag.msg);
    int64_t now = rr_clock_wall_ms();
    /* A persistence (platform) alert firing now in cluster prod-east... */
    store_alert(ing,
                "{\"alertname\":\"TemporalPersistenceLatencyHigh\",\"temporal_cluster\":"
                "\"prod-east\"}",
                "00000000000000a1", now - 60 * 1000);
    /* ...and one in prod-north last received 20 minutes ago, outside the 10m window. */
    store_alert(ing,
                "{\"alertname\":\"TemporalPersistenceLatencyHigh\",\"temporal_cluster\":"
                "\"prod-north\"}",
                "00000000000000a2", now - 20 * 60 * 1000);
    rr_ingest_stop(ing);
    rr_live_free(live);
    free(routing);
    free(runbooks);
    return db;
}

static void free_db(char *db)
{
    char *slash = strrchr(db, '/');
    *slash = '\0';
    rr_test_rmtree(db);
    free(db);
}

static const char sts_payments_platform[] =
    "{\"layer\":\"platform\",\"team\":\"temporal-platform\",\"kind\":\"latency\","
    "\"route\":\"schedule-to-start\",\"owner_source\":\"platform\",\"affected_team\":"
    "\"payments\",\"runbook\":\"temporal-schedule-to-start\"}";
static const char sts_payments_application[] =
    "{\"layer\":\"application\",\"team\":\"payments\",\"kind\":\"latency\","
    "\"route\":\"schedule-to-start\",\"owner_source\":\"namespace\",\"affected_team\":null,"
    "\"runbook\":\"temporal-schedule-to-start\"}";

static void assert_pairs_decision(struct run *r, const char *want)
{
    ASSERT_EXIT(*r, 0);
    json_t *got = parse_json(r->out);
    json_t *a = json_array_get(json_object_get(got, "alerts"), 0);
    ck_assert_ptr_nonnull(a);
    assert_decision(json_object_get(a, "decision"), want);
    json_decref(got);
}

#define STS "alertname=TemporalWorkflowTaskScheduleToStartLatencyHigh"

START_TEST(route_db_correlation)
{
    char *db = make_db();
    /* Without --db the ambiguous alert sees nothing else firing: application. */
    struct run r = ROUTE(STS, "temporal_namespace=payments-prod", "temporal_cluster=prod-east",
                         "--format", "json");
    assert_pairs_decision(&r, sts_payments_application);
    run_free(&r);
    /* With --db the stored persistence alert in the same cluster makes it platform. */
    r = ROUTE(STS, "temporal_namespace=payments-prod", "temporal_cluster=prod-east", "--db", db,
              "--format", "json");
    assert_pairs_decision(&r, sts_payments_platform);
    ck_assert_msg(strstr(r.out, "TemporalPersistenceLatencyHigh"),
                  "evidence does not name the stored alert: %s", r.out);
    run_free(&r);
    /* --db=PATH works the same. */
    char *flag = fmt("--db=%s", db);
    r = ROUTE(STS, "temporal_namespace=payments-prod", "temporal_cluster=prod-east", flag,
              "--format", "json");
    assert_pairs_decision(&r, sts_payments_platform);
    run_free(&r);
    free(flag);
    /* Another cluster's platform alert is no evidence... */
    r = ROUTE(STS, "temporal_namespace=payments-prod", "temporal_cluster=prod-west", "--db", db,
              "--format", "json");
    assert_pairs_decision(&r, sts_payments_application);
    run_free(&r);
    /* ...nor is one last received before the correlation window. */
    r = ROUTE(STS, "temporal_namespace=payments-prod", "temporal_cluster=prod-north", "--db", db,
              "--format", "json");
    assert_pairs_decision(&r, sts_payments_application);
    run_free(&r);
    free_db(db);
}
END_TEST

/* RUNBOOK_ROUTER_DB is --db by another name (PRODUCT §2). */
START_TEST(route_db_from_environment)
{
    char *db = make_db();
    char *var = fmt("RUNBOOK_ROUTER_DB=%s", db);
    const char *env[] = {var, NULL};
    struct run r = ROUTE_ENV(env, STS, "temporal_namespace=payments-prod",
                             "temporal_cluster=prod-east", "--format", "json");
    assert_pairs_decision(&r, sts_payments_platform);
    run_free(&r);
    free(var);
    free_db(db);
}
END_TEST

START_TEST(route_db_unopenable)
{
    struct run r = ROUTE(STS, "--db", "/nonexistent/dir/rr.db");
    ASSERT_EXIT(r, 4);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/dir/rr.db"));
    run_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("check");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, check_shipped_config);
    tcase_add_test(tc, check_help);
    tcase_add_loop_test(tc, check_broken, 0, (int)(sizeof broken_cases / sizeof broken_cases[0]));
    tcase_add_test(tc, check_duplicate_route_names_both_places);
    tcase_add_test(tc, check_literal_slack_url);
    tcase_add_test(tc, check_missing_directory);
    suite_add_tcase(s, tc);
    tc = tcase_create("route");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, route_payload_json);
    tcase_add_test(tc, route_payload_resolved_included);
    tcase_add_test(tc, route_payload_mixed);
    tcase_add_test(tc, route_payload_text);
    tcase_add_test(tc, route_pairs_fingerprint);
    tcase_add_test(tc, route_pairs_match_alertmanager);
    tcase_add_test(tc, route_pairs_text);
    tcase_add_test(tc, route_usage_errors);
    tcase_add_test(tc, route_bad_payload);
    tcase_add_test(tc, route_unloadable_config);
    tcase_add_test(tc, route_db_correlation);
    tcase_add_test(tc, route_db_from_environment);
    tcase_add_test(tc, route_db_unopenable);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The child processes of the end-to-end tests: see proc.h. */
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "rr/buf.h"
#include "rr/clock.h"

#include "httpc.h"
#include "testlib.h"

#define REGISTRY_MAX 256 /* pids read back from a registry */

/* ==== Time and files ==== */

void proc_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int64_t proc_mono_ms(void)
{
    return rr_clock_mono_ns() / 1000000;
}

void proc_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

char *proc_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rr_xstrdup("");
    fclose(f);
    return rr_test_read_file(path, NULL);
}

const char *proc_tail(const char *text, size_t max)
{
    size_t n = strlen(text);
    return n > max ? text + n - max : text;
}

bool proc_tmp_base(const char *prefix, char *base, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base, cap, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return false;
    }
    setenv("TMPDIR", base, 1);
    return true;
}

int proc_main(Suite *(*suite)(void), const char *prefix, void (*started)(const char *base),
              void (*finished)(void))
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char base[512];
    if (!proc_tmp_base(prefix, base, sizeof base))
        return EXIT_FAILURE;
    if (started)
        started(base);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (finished)
        finished();
    rr_test_rmtree(base);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ==== Child processes ==== */

unsigned proc_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void registry_add(const char *registry, pid_t pid)
{
    FILE *f = fopen(registry, "a");
    if (f) {
        fprintf(f, "%ld\n", (long)pid);
        fclose(f);
    }
}

pid_t proc_spawn(const char *const argv[], const struct proc_spawn *o)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (o->own_group)
            setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, o->death_signal);
        if (getppid() != parent)
            _exit(127);
        int out = open(o->out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int err = strcmp(o->err_path, o->out_path)
                      ? open(o->err_path, O_WRONLY | O_CREAT | O_APPEND, 0644)
                      : out;
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || in < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        if (o->envp)
            execve(argv[0], (char *const *)(uintptr_t)argv, o->envp);
        else
            execv(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    if (o->registry)
        registry_add(o->registry, pid);
    return pid;
}

bool proc_alive(pid_t pid, int *status)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
        if (status)
            *status = st;
        return false;
    }
    return r == 0;
}

int proc_stop(pid_t pid, long grace_ms)
{
    int st = 0;
    if (pid <= 0)
        return 0;
    kill(pid, SIGTERM);
    int64_t deadline = proc_mono_ms() + grace_ms;
    while (proc_mono_ms() < deadline) {
        if (!proc_alive(pid, &st))
            return st;
        proc_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return st;
}

void proc_reap_registered(const char *registry, long grace_ms, const char *who)
{
    FILE *f = fopen(registry, "r");
    if (!f)
        return;
    pid_t pids[REGISTRY_MAX];
    size_t n = 0;
    long v;
    while (n < REGISTRY_MAX && fscanf(f, "%ld", &v) == 1)
        pids[n++] = (pid_t)v;
    fclose(f);
    size_t left = 0;
    for (size_t i = 0; i < n; i++) {
        if (waitpid(pids[i], NULL, WNOHANG) == 0) {
            kill(pids[i], SIGTERM);
            pids[left++] = pids[i];
        }
    }
    int64_t deadline = proc_mono_ms() + grace_ms;
    for (size_t i = 0; i < left; i++) {
        while (waitpid(pids[i], NULL, WNOHANG) == 0 && proc_mono_ms() < deadline)
            proc_sleep_ms(10);
        if (waitpid(pids[i], NULL, WNOHANG) == 0) {
            fprintf(stderr, "%s: pid %ld ignored SIGTERM: SIGKILL\n", who, (long)pids[i]);
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
        }
    }
    if (left)
        fprintf(stderr, "%s: stopped %zu process(es) left by a failed test\n", who, left);
    FILE *empty = fopen(registry, "w");
    if (empty)
        fclose(empty);
}

/* ==== The runbook-router receiver ==== */

void proc_wait_receiver(pid_t *pid, const char *log_path, size_t log_offset, long timeout_ms,
                        long poll_ms, size_t tail_max, char *base, size_t cap)
{
    /* The port comes from this start's "listening" log line (port=N). */
    unsigned port = 0;
    int64_t deadline = proc_mono_ms() + timeout_ms;
    while (!port && proc_mono_ms() < deadline) {
        int st;
        char *log = proc_slurp(log_path);
        const char *line = strstr(log + log_offset, "msg=listening");
        const char *p = line ? strstr(line, " port=") : NULL;
        if (p)
            port = (unsigned)strtoul(p + 6, NULL, 10);
        if (!port && !proc_alive(*pid, &st)) {
            *pid = 0;
            ck_abort_msg("receiver exited at start-up (status %d):\n%s", st,
                         proc_tail(log, tail_max));
        }
        free(log);
        if (!port)
            proc_sleep_ms(20);
    }
    ck_assert_msg(port > 0, "receiver did not log its port within %ld ms", timeout_ms);
    snprintf(base, cap, "http://127.0.0.1:%u", port);
    char url[128];
    snprintf(url, sizeof url, "%s/-/ready", base);
    long code = 0;
    while (code != 200 && proc_mono_ms() < deadline) {
        struct httpc_resp r;
        httpc_get(url, &r);
        code = r.code;
        httpc_resp_release(&r);
        if (code != 200)
            proc_sleep_ms(poll_ms);
    }
    ck_assert_msg(code == 200, "receiver /-/ready: %ld", code);
}

long long proc_metric_value(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtoll(p + n + 1, NULL, 10);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

long long proc_wait_metric_at_least(long long (*read)(const char *series), const char *series,
                                    long long want, long timeout_ms, long poll_ms,
                                    const char *log_path, size_t tail_max)
{
    int64_t deadline = proc_mono_ms() + timeout_ms;
    long long v = read(series);
    while (v < want && proc_mono_ms() < deadline) {
        proc_sleep_ms(poll_ms);
        v = read(series);
    }
    if (v < want && log_path) {
        char *log = proc_slurp(log_path);
        ck_abort_msg("%s stayed at %lld, want >= %lld within %ld ms; Alertmanager log:\n%s", series,
                     v, want, timeout_ms, proc_tail(log, tail_max));
        free(log);
    }
    ck_assert_msg(v >= want, "%s stayed at %lld, want >= %lld within %ld ms", series, v, want,
                  timeout_ms);
    return v;
}

/* ==== Alertmanager ==== */

void proc_am_start(const struct proc_am *am, pid_t *pid, char *base, size_t cap)
{
    char cfg_path[700], storage[700], cfg[2048];
    snprintf(cfg_path, sizeof cfg_path, "%s/alertmanager.yml", am->dir);
    snprintf(cfg, sizeof cfg,
             "global:\n"
             "  resolve_timeout: 5m\n"
             "route:\n"
             "  receiver: runbook-router\n"
             "  group_by: [alertname, temporal_namespace]\n"
             "  group_wait: 1s\n"
             "  group_interval: 1s\n"
             "  repeat_interval: %s\n"
             "receivers:\n"
             "- name: runbook-router\n"
             "  webhook_configs:\n"
             "  - url: %s/webhook\n"
             "    send_resolved: true\n"
             "    http_config:\n"
             "      authorization:\n"
             "        type: Bearer\n"
             "        credentials: %s\n",
             am->repeat_interval, am->receiver_base, am->credentials);
    proc_write_file(cfg_path, cfg);

    struct proc_spawn sp = am->spawn;
    sp.out_path = sp.err_path = am->log_path;
    for (int attempt = 0; attempt < 3; attempt++) {
        unsigned port = proc_free_port();
        snprintf(storage, sizeof storage, "%s/am-data-%d", am->dir, attempt);
        char a_cfg[800], a_storage[800], a_listen[64], a_url[96];
        snprintf(a_cfg, sizeof a_cfg, "--config.file=%s", cfg_path);
        snprintf(a_storage, sizeof a_storage, "--storage.path=%s", storage);
        snprintf(a_listen, sizeof a_listen, "--web.listen-address=127.0.0.1:%u", port);
        snprintf(a_url, sizeof a_url, "--web.external-url=http://127.0.0.1:%u", port);
        const char *argv[] = {PROC_AM_BINARY,     a_cfg, a_storage,
                              a_listen,           a_url, "--cluster.listen-address=",
                              "--log.level=info", NULL};
        *pid = proc_spawn(argv, &sp);
        snprintf(base, cap, "http://127.0.0.1:%u", port);
        char url[128];
        snprintf(url, sizeof url, "%s/-/ready", base);
        int64_t deadline = proc_mono_ms() + am->timeout_ms;
        bool exited = false;
        while (proc_mono_ms() < deadline) {
            struct httpc_resp r;
            httpc_get(url, &r);
            long code = r.code;
            httpc_resp_release(&r);
            if (code == 200)
                return;
            if (!proc_alive(*pid, NULL)) {
                exited = true;
                break;
            }
            proc_sleep_ms(am->poll_ms);
        }
        if (!exited)
            break;
        *pid = 0;
    }
    char *log = proc_slurp(am->log_path);
    ck_abort_msg("Alertmanager did not become ready:\n%s", proc_tail(log, am->tail_max));
    free(log);
}

void proc_am_post(const char *am_base, const char *body)
{
    char url[128];
    snprintf(url, sizeof url, "%s/api/v2/alerts", am_base);
    struct httpc_resp r;
    httpc_post_json(url, body, strlen(body), &r);
    ck_assert_msg(r.code == 200, "Alertmanager POST /api/v2/alerts: %ld %s %s", r.code, r.body,
                  r.error);
    httpc_resp_release(&r);
}

uint64_t proc_am_fingerprint_pairs(const char *const *pairs, size_t n_pairs)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < 2 * n_pairs; i++) {
        for (const unsigned char *c = (const unsigned char *)pairs[i]; *c; c++) {
            h ^= *c;
            h *= 1099511628211ULL;
        }
        h ^= 0xFF;
        h *= 1099511628211ULL;
    }
    return h;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void proc_am_fingerprint(const json_t *labels, char out[17])
{
    size_t n = json_object_size(labels);
    const char **names = rr_xcalloc(n ? n : 1, sizeof *names);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)labels, k, v)
    {
        names[i++] = k;
    }
    qsort(names, n, sizeof *names, cmp_str);
    const char **pairs = rr_xcalloc(2 * n + 1, sizeof *pairs);
    for (i = 0; i < n; i++) {
        pairs[2 * i] = names[i];
        pairs[2 * i + 1] = json_string_value(json_object_get(labels, names[i]));
    }
    uint64_t h = proc_am_fingerprint_pairs(pairs, n);
    free(pairs);
    free(names);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

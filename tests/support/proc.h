/*
 * proc: the child processes of the end-to-end tests (tests/e2e/) — the real runbook-router
 * binary and Debian's prometheus-alertmanager — and what the tests do around them: start a
 * child with its output in a log file, find the receiver's port in its "listening ... port=N"
 * log line, wait for GET /-/ready, stop a child with SIGTERM then SIGKILL after a bound, reap
 * what a failed test left behind, read log files and their tails, read /metrics series, and
 * compute Alertmanager's fingerprints. Tests only.
 *
 * Contract for every function here:
 *   - every wait is bounded: each takes its bound (milliseconds) from the caller and polls;
 *     nothing blocks without one, except the waitpid() that follows a SIGKILL;
 *   - network access is loopback only (127.0.0.1);
 *   - failures are test failures (Check's ck_assert/ck_abort) unless a function says it
 *     returns a value instead; a test process that fails _exit()s (Check's fork mode), so its
 *     children must die with it (spawn's death_signal) or be reaped by proc_reap_registered;
 *   - returned strings are owned (free()) unless marked borrowed.
 */
#ifndef RR_TEST_PROC_H
#define RR_TEST_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <check.h>
#include <jansson.h>

/* ==== Time and files ==== */

/* Sleeps ms milliseconds, resuming after signals. */
void proc_sleep_ms(long ms);
/* Monotonic clock in milliseconds. */
int64_t proc_mono_ms(void);
/* Writes text to path (created or truncated); fails the test when it cannot. */
void proc_write_file(const char *path, const char *text);
/* Reads a file that may not exist yet: "" then. Owned, free(). */
char *proc_slurp(const char *path);
/* The last max bytes of text (all of it when shorter), for a failure message: Check caps a
 * message's size. Borrowed from text. */
const char *proc_tail(const char *text, size_t max);
/* Creates <$TMPDIR or /tmp>/<prefix>-XXXXXX into base and sets $TMPDIR to it, so that every
 * rr_test_tmpdir() of the run lies below it (main removes it with rr_test_rmtree at the end,
 * even after a failed test whose process _exit()ed before its own clean-up). Not a test
 * assertion (main calls it before any test): false, with perror, when it fails. */
bool proc_tmp_base(const char *prefix, char *base, size_t cap);
/* The main of an e2e test binary: ignores SIGPIPE, calls curl_global_init before any test (and
 * so before any thread), makes the run's directory (proc_tmp_base with prefix), calls
 * started(base) when not NULL, runs suite() with CK_NORMAL, calls finished() when not NULL,
 * removes the directory, calls curl_global_cleanup. Returns EXIT_SUCCESS when every test
 * passed, else EXIT_FAILURE. */
int proc_main(Suite *(*suite)(void), const char *prefix, void (*started)(const char *base),
              void (*finished)(void));

/* ==== Child processes ==== */

struct proc_spawn {
    const char *out_path; /* stdout appended here; borrowed */
    const char *err_path; /* stderr appended here (may be out_path); borrowed */
    int death_signal;     /* PR_SET_PDEATHSIG: what the child gets when the test process dies */
    bool own_group;       /* setpgid(0, 0): the child leads its own process group */
    char *const *envp;    /* the child's environment (borrowed); NULL: this process's */
    const char *registry; /* file the pid is appended to (proc_reap_registered); NULL: none */
};

/* A loopback port free right now (bind 0, read it, close). */
unsigned proc_free_port(void);
/* fork + exec argv[0] (a path) with stdin from /dev/null and the outputs of o. A child whose
 * parent is already gone exits 127 at once; so does one that cannot open its files or exec. */
pid_t proc_spawn(const char *const argv[], const struct proc_spawn *o);
/* True while pid runs; reaps it (and stores its wait status when status is not NULL) when it
 * has exited. False too when pid is not a child of this process. */
bool proc_alive(pid_t pid, int *status);
/* SIGTERM, then SIGKILL after grace_ms. Returns the wait status; 0 for pid <= 0 (no child). */
int proc_stop(pid_t pid, long grace_ms);
/* In the process that is a child subreaper (PR_SET_CHILD_SUBREAPER): the pids registered in
 * registry that are still children of it were left by a failed test (they got death_signal);
 * sends them SIGTERM, waits for them all within grace_ms, SIGKILLs what is left (saying so on
 * stderr, prefixed with who), then empties the registry. Pids already reaped are left alone. */
void proc_reap_registered(const char *registry, long grace_ms, const char *who);

/* ==== The runbook-router receiver ==== */

/* Waits until the receiver *pid logs "msg=listening ... port=N" in log_path after byte
 * log_offset (the lines of this start), then polls GET http://127.0.0.1:N/-/ready every poll_ms
 * until 200; both within timeout_ms of the call. Writes "http://127.0.0.1:N" into base. When the
 * receiver exits first: *pid = 0 and the test fails with the log's last tail_max bytes. */
void proc_wait_receiver(pid_t *pid, const char *log_path, size_t log_offset, long timeout_ms,
                        long poll_ms, size_t tail_max, char *base, size_t cap);

/* The value of series ("name" or "name{labels}", exactly as exposed) in a Prometheus text
 * exposition; -1 when it is not there. */
long long proc_metric_value(const char *text, const char *series);
/* Polls read(series) every poll_ms until it is at least want or timeout_ms passed; returns the
 * last value. When it stays below: fails, with the last tail_max bytes of log_path when that is
 * not NULL ("; Alertmanager log:"). */
long long proc_wait_metric_at_least(long long (*read)(const char *series), const char *series,
                                    long long want, long timeout_ms, long poll_ms,
                                    const char *log_path, size_t tail_max);

/* ==== Alertmanager ==== */

#define PROC_AM_BINARY "/usr/bin/prometheus-alertmanager"

struct proc_am {
    const char *dir;             /* alertmanager.yml and am-data-<try>/ go here; borrowed */
    const char *receiver_base;   /* the webhook goes to <receiver_base>/webhook; borrowed */
    const char *credentials;     /* the webhook's bearer token; borrowed */
    const char *repeat_interval; /* a Prometheus duration; borrowed */
    const char *log_path;        /* its stdout and stderr; borrowed */
    struct proc_spawn spawn;     /* out_path and err_path are set to log_path */
    long timeout_ms;             /* start to ready, per try */
    long poll_ms;                /* between /-/ready polls */
    size_t tail_max;             /* log bytes in the failure message */
};

/* Writes the config (one webhook receiver, group_by alertname and temporal_namespace,
 * group_wait and group_interval 1s, send_resolved) and starts Alertmanager on a free loopback
 * port until GET /-/ready answers 200. A port taken between proc_free_port() and the bind makes
 * it exit: then another port is tried (3 tries). *pid holds the current try's pid throughout;
 * base receives "http://127.0.0.1:<port>". Fails with the log's tail when it is not ready. */
void proc_am_start(const struct proc_am *am, pid_t *pid, char *base, size_t cap);
/* POST <am_base>/api/v2/alerts with body (a JSON array of postable alerts); must answer 200. */
void proc_am_post(const char *am_base, const char *body);

/* Alertmanager's (prometheus/common's) fingerprint, written here independently: FNV-1a 64
 * over the labels in name order, each name and value followed by 0xFF. pairs holds n_pairs
 * name/value pairs, already sorted by name (borrowed). */
uint64_t proc_am_fingerprint_pairs(const char *const *pairs, size_t n_pairs);
/* The same of a JSON object of string labels, as 16 lowercase hex digits. */
void proc_am_fingerprint(const json_t *labels, char out[17]);

#endif

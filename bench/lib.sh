# shellcheck shell=bash
# bench/lib.sh — what the server benchmarks share. Sourced by bench/ingest.sh, page.sh and
# memory.sh after `set -euo pipefail` and `cd` to the repository root, with BENCH set to the
# script's name, BENCH_PIDS to the names of the variables holding the pids it starts (stopped
# in that order on exit) and BENCH_LOGS to the files of $WORK worth showing when it fails.
#
#   die MSG        print "bench/$BENCH: MSG" on stderr, exit 1
#   bench_build    install what benchmarks need, build the release preset; sets BIN
#   bench_start    create $WORK under var/ (on disk, never tmpfs: the disk is part of what is
#                  measured) and install the exit trap that stops everything and removes $WORK
#   stop_pid PID   SIGTERM, then SIGKILL after 10 s; reaps it
ROOT=$PWD

die() { echo "bench/$BENCH: $*" >&2; exit 1; }

bench_build() {
    scripts/deps bench
    echo "== build (release preset)"
    cmake --preset release >/dev/null
    cmake --build --preset release -j2 >/dev/null
    BIN=$ROOT/build/release/runbook-router
    [ -x "$BIN" ] || die "no release binary at $BIN"
}

stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
    local rc=$? v f
    for v in $BENCH_PIDS; do
        stop_pid "${!v:-}"
    done
    if [ "$rc" -ne 0 ]; then
        for f in $BENCH_LOGS; do
            [ -s "$WORK/$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$WORK/$f" >&2; }
        done
    fi
    rm -rf "$WORK"
    exit "$rc"
}

bench_start() {
    mkdir -p "$ROOT/var"
    WORK=$(mktemp -d "$ROOT/var/bench-$BENCH.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

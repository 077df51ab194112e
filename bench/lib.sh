# shellcheck shell=bash
# bench/lib.sh — what the benchmarks share. Sourced by every bench/*.sh after
# `set -euo pipefail` and `cd` to the repository root, with BENCH set to the script's name,
# BENCH_PIDS to the names of the variables holding the pids it starts (stopped in that order on
# exit) and BENCH_LOGS to the files of $WORK worth showing when it fails.
#
#   die MSG        print "bench/$BENCH: MSG" on stderr, exit 1
#   bench_build    install what benchmarks need, build the release preset; sets BIN
#   bench_program SRC OUT
#                  install the build packages, build the release preset's rr_core library and
#                  compile SRC (a benchmark program over it) into OUT with the release flags
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

bench_program() {
    local src=$1 out=$2 lib=$ROOT/build/release/librr_core.a
    scripts/deps build
    echo "== build (release preset, rr_core)"
    cmake --preset release >/dev/null
    cmake --build --preset release -j2 --target rr_core >/dev/null
    [ -f "$lib" ] || die "no $lib"
    echo "== compile $src"
    # shellcheck disable=SC2046 # pkg-config output is a word list
    cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_FORTIFY_SOURCE=2 -Wall -Wextra -Werror \
        -I "$ROOT/include" "$src" "$lib" \
        $(pkg-config --cflags --libs libmicrohttpd jansson libcurl sqlite3 yaml-0.1 libpcre2-8) \
        -pthread -lm -o "$out"
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

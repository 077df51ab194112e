#!/usr/bin/env bash
# bench/facts.sh — the cost of correlation's store question (PRODUCT §5 step 3), which the
# group commit asks for every ambiguous alert: with the episodes bench/ingest.sh leaves, and
# with 30 000 more firing but last received a day ago (not re-sent since, or never resolved).
#
#   1. scripts/deps build; the release preset's rr_core library;
#   2. bench/facts_bench.c compiled against build/release/librr_core.a;
#   3. facts_bench on a database under var/ (on disk, as serve's would be), removed on exit.
#
# No network. Last line:
#   facts_us_fresh=X facts_us_stuck=Y stuck_episodes=30000 namespaces_fresh=1 namespaces_stuck=1
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

die() { echo "bench/facts.sh: $*" >&2; exit 1; }

scripts/deps build
echo "== build (release preset, rr_core)"
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target rr_core >/dev/null
LIB=$ROOT/build/release/librr_core.a
[ -f "$LIB" ] || die "no $LIB"

mkdir -p var
WORK=$(mktemp -d "$ROOT/var/bench-facts.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "== compile bench/facts_bench.c"
# shellcheck disable=SC2046 # pkg-config output is a word list
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_FORTIFY_SOURCE=2 -Wall -Wextra -Werror \
    -I "$ROOT/include" bench/facts_bench.c "$LIB" \
    $(pkg-config --cflags --libs libmicrohttpd jansson libcurl sqlite3 yaml-0.1 libpcre2-8) \
    -pthread -lm -o "$WORK/facts_bench"

echo "== questions (1 s per state)"
line=$("$WORK/facts_bench" "$WORK/rr.db" "${BENCH_SECONDS:-1}")
case $line in
*namespaces_fresh=1\ namespaces_stuck=1) ;;
*) die "stuck episodes changed the answer: $line" ;;
esac
echo "$line"

#!/usr/bin/env bash
# bench/route.sh — PRODUCT §11 "routing cost" and the memory of a loaded table: the cost of one
# decision (PRODUCT §5 steps 1-5, runbook selection included) with 10, 100, 1 000 and 10 000
# generated routes and 1 000 runbooks, and the RSS with 10 000 routes + 1 000 runbooks loaded.
#
#   bench/route.sh            (BENCH_SECONDS=N: timed seconds per size, default 2)
#
#   1. scripts/deps build; the release preset's rr_core library (only what the benchmark links,
#      so a half-finished module elsewhere in the tree does not stop it);
#   2. bench/route_bench.c compiled against build/release/librr_core.a with the same
#      pkg-config libraries and release flags;
#   3. bench/route_gen.sh: routing tables of each size (80% alertname="..." + namespace
#      equality, 15% literal-prefix regex, 5% other regex), 10 000 alert label sets per size
#      (90% hit a route's alertname), one set of 1 000 runbooks (5% "*", the rest naming the
#      generated alertnames, some with matchers, layers and owners);
#   4. per size: load, one untimed pass, then whole passes over the label sets for
#      BENCH_SECONDS, and one pass timing each decision for p99;
#   5. memory: a fresh process loads 10 000 routes + 1 000 runbooks and decides 100 label sets
#      (10 000 parsed label sets would weigh more than the table), VmRSS at its end.
#
# Everything generated lives in a mktemp -d directory removed on exit. No network.
# One line per size; last line: routes=10000 us_per_decision=X rss_mib=Y
# Target (PRODUCT §11): us_per_decision < 10 at 10 000 routes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_SIZE=${BENCH_SECONDS:-2}
SIZES="10 100 1000 10000"
RUNBOOKS=1000
LABEL_SETS=10000

BENCH=route
# shellcheck source=bench/lib.sh
. bench/lib.sh

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rr-bench-route.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
bench_program bench/route_bench.c "$WORK/route_bench"

echo "== generate $RUNBOOKS runbooks and routing tables of $SIZES routes"
for n in $SIZES; do
    if [ "$n" = 10000 ]; then rb=(-r "$WORK/runbooks" -k "$RUNBOOKS"); else rb=(); fi
    bench/route_gen.sh -s 1 -l "$WORK/labels-$n.txt" -m "$LABEL_SETS" "${rb[@]}" \
        "$n" "$WORK/routing-$n" >/dev/null
done
[ "$(find "$WORK/runbooks" -name '*.md' | wc -l)" -eq "$RUNBOOKS" ] || die "runbooks not generated"

echo "== decisions (${SECONDS_PER_SIZE}s per size)"
last=""
for n in $SIZES; do
    line=$("$WORK/route_bench" "$WORK/routing-$n" "$WORK/runbooks" "$WORK/labels-$n.txt" \
        "$SECONDS_PER_SIZE")
    echo "$line"
    last=$line
done
field() { # name line
    local kv
    for kv in $2; do
        [ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return 0; }
    done
    die "no $1 in: $2"
}
us=$(field us_per_decision "$last")
routes=$(field routes "$last")
[ "$routes" = 10000 ] || die "the largest table loaded $routes routes"
echo "== memory: 10 000 routes + 1 000 runbooks loaded, 100 label sets decided"
mem=$("$WORK/route_bench" "$WORK/routing-10000" "$WORK/runbooks" "$WORK/labels-10000.txt" 0.2 100)
echo "$mem"
rss=$(field rss_mib "$mem")
echo "routes=$routes us_per_decision=$us rss_mib=$rss"

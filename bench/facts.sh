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

BENCH=facts
BENCH_PIDS=""
BENCH_LOGS=""
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_start
bench_program bench/facts_bench.c "$WORK/facts_bench"

echo "== questions (1 s per state)"
line=$("$WORK/facts_bench" "$WORK/rr.db" "${BENCH_SECONDS:-1}")
case $line in
*namespaces_fresh=1\ namespaces_stuck=1) ;;
*) die "stuck episodes changed the answer: $line" ;;
esac
echo "$line"

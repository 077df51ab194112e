#!/usr/bin/env bash
# bench/memory.sh — PRODUCT §11 "memory": the resident size of `runbook-router serve` with
# 10 000 generated routes and 1 000 runbooks loaded (bench/route_gen.sh), under ingest load
# (wrk, 32 connections, distinct one-alert webhooks hitting the generated routes), in dry run.
# Target: RSS < 64 MiB. Reports the peak (VmHWM) and the RSS after the load.
#
# Loopback only; bounded; everything started here is stopped on exit.
# Last line: routes=10000 runbooks=1000 serve_rss_mib=X serve_peak_rss_mib=Y
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=memory
BENCH_PIDS="PID"
BENCH_LOGS="serve.log"
PID=""
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build
bench_start

bench/route_gen.sh -s 1 -l "$WORK/labels.txt" -m 2000 -r "$WORK/runbooks" -k 1000 10000 \
    "$WORK/routing" | tail -1
"$BIN" check --routing "$WORK/routing" --runbooks "$WORK/runbooks" >/dev/null

# serve in dry run on a port the kernel picks; its "listening" log line names it.
"$BIN" serve --listen "127.0.0.1:0" --db "$WORK/rr.db" --routing "$WORK/routing" \
    --runbooks "$WORK/runbooks" --dry-run 2>"$WORK/serve.log" &
PID=$!
PORT=
for _ in $(seq 100); do
    PORT=$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$WORK/serve.log" | head -1)
    [ -n "$PORT" ] && curl -fsS -m 1 "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "bench/memory.sh: serve did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
rss_kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$PID/status"; }
echo "loaded: rss_mib=$(( $(rss_kib VmRSS) / 1024 ))"

# The label sets become distinct one-alert webhooks (a Lua table read once per wrk thread).
awk 'BEGIN { print "return {" } { printf "%s", "{" ; for (i = 1; i <= NF; i++) {
       split($i, kv, "="); printf "%s{%c%s%c,%c%s%c},", (i > 1 ? "" : ""), 34, kv[1], 34, 34,
       substr($i, length(kv[1]) + 2), 34 } print "}," } END { print "}" }' \
    "$WORK/labels.txt" >"$WORK/labels.lua"
cat >"$WORK/load.lua" <<LUA
local sets = dofile("$WORK/labels.lua")
local counter = 0
tid = tid or 0
local n_threads = 0
function setup(thread) n_threads = n_threads + 1; thread:set("tid", n_threads) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  local set = sets[(counter % #sets) + 1]
  local labels = '"bench_id":"' .. tid .. '-' .. counter .. '"'
  for _, kv in ipairs(set) do labels = labels .. ',"' .. kv[1] .. '":"' .. kv[2] .. '"' end
  local fp = string.format("%04x%012x", tid, counter)
  return wrk.format(nil, "/webhook", nil, '{"version":"4","status":"firing","alerts":[{' ..
    '"status":"firing","labels":{' .. labels .. '},"startsAt":"2026-01-01T00:00:00Z",' ..
    '"fingerprint":"' .. fp .. '"}]}')
end
LUA
wrk -t2 -c32 -d10s --timeout 5s -s "$WORK/load.lua" "http://127.0.0.1:$PORT" >"$WORK/wrk.txt"
grep -E "Requests/sec|Non-2xx" "$WORK/wrk.txt" || true
rss=$(( $(rss_kib VmRSS) / 1024 ))
peak=$(( $(rss_kib VmHWM) / 1024 ))
stored=$(curl -fsS "http://127.0.0.1:$PORT/metrics" | awk '/^runbook_router_alerts_stored_total/ { print $2 }')
echo "stored_alerts=$stored"
echo "routes=10000 runbooks=1000 serve_rss_mib=$rss serve_peak_rss_mib=$peak"

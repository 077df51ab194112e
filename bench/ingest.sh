#!/usr/bin/env bash
# bench/ingest.sh — PRODUCT §11: durable ingest, batched ingest and webhook latency of
# `runbook-router serve` (release build), against Debian's Alertmanager in the same run.
#
#   1. the disk's single-row synchronous=FULL commit rate (WAL), on the filesystem that holds
#      the benchmark database (under var/, never tmpfs);
#   2. wrk, 32 connections, 2 threads, 10 s, distinct one-alert webhooks -> receiver
#      => ingest_alerts_per_s;
#   3. the same shape against Alertmanager's POST /api/v2/alerts => alertmanager_alerts_per_s;
#   4. bench/loadgen (open loop, 1000 req/s fixed rate, 10 s; wrk2 is not in Debian 12)
#      => p99_ms, measured from each request's scheduled send time;
#   5. wrk with distinct 100-alert webhooks -> receiver => batched_alerts_per_s;
#   6. after each receiver run: stored episodes == alerts in requests answered 200.
#
# Loopback only; every run is bounded; everything started here is stopped on exit.
# Last line: ingest_alerts_per_s=N alertmanager_alerts_per_s=M ratio=R batched_alerts_per_s=B p99_ms=P
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-10}   # seconds per wrk run
CONNS=32
THREADS=2
AM=/usr/bin/prometheus-alertmanager

BENCH=ingest
BENCH_PIDS="AM_PID RR_PID"
BENCH_LOGS="receiver.log alertmanager.log"
RR_PID=""
AM_PID=""
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build
bench_start

# ---- 1. the disk's commit rate ----------------------------------------------------------------
fs=$(stat -f -c %T "$WORK")
echo "== disk: single-row synchronous=FULL commits (WAL) in $WORK (filesystem: $fs)"
[ "$fs" = tmpfs ] && echo "warning: $WORK is on tmpfs: the commit rate means nothing" >&2
cat >"$WORK/commit_rate.c" <<'EOF'
/* N separate one-row INSERT transactions, WAL + synchronous=FULL, for at most 3 s. */
#include <stdio.h>
#include <time.h>
#include <sqlite3.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv)
{
    sqlite3 *db;
    if (argc != 2 || sqlite3_open(argv[1], &db) != SQLITE_OK) return 1;
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);", 0, 0, 0) != SQLITE_OK) return 1;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES ('one alert row, about this long')", -1, &st, 0);
    double t0 = now(), t = t0;
    int n = 0;
    while (n < 20000 && (t = now()) - t0 < 3.0) {
        if (sqlite3_step(st) != SQLITE_DONE) return 1;
        sqlite3_reset(st);
        n++;
    }
    printf("%d %.3f %.0f\n", n, t - t0, n / (t - t0));
    sqlite3_finalize(st);
    return sqlite3_close(db) != SQLITE_OK;
}
EOF
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$WORK/commit_rate" "$WORK/commit_rate.c" -lsqlite3
read -r c_n c_s c_rate < <("$WORK/commit_rate" "$WORK/commit-rate.db" || echo)
[ -n "${c_rate:-}" ] || die "the commit-rate probe failed"
rm -f "$WORK"/commit-rate.db*
echo "disk_commits_per_s=$c_rate ($c_n commits in ${c_s} s, each its own fsync'd transaction)"

# ---- processes -----------------------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_receiver() {
    "$BIN" serve --listen 127.0.0.1:0 --db "$WORK/rr.db" --routing "$ROOT/routing" \
        --runbooks "$ROOT/runbooks" --dry-run 2>>"$WORK/receiver.log" &
    RR_PID=$!
    RR_PORT=""
    for _ in $(seq 200); do
        RR_PORT=$(sed -n 's/.*msg=listening .* port=\([0-9]*\).*/\1/p' "$WORK/receiver.log" | tail -n 1)
        [ -n "$RR_PORT" ] && break
        kill -0 "$RR_PID" 2>/dev/null || die "receiver exited at start-up"
        sleep 0.05
    done
    [ -n "$RR_PORT" ] || die "receiver did not log its port"
    RR=http://127.0.0.1:$RR_PORT
    for _ in $(seq 100); do
        curl -fsS -m 2 -o /dev/null "$RR/-/ready" 2>/dev/null && return 0
        sleep 0.05
    done
    die "receiver not ready"
}

start_alertmanager() {
    # Alertmanager only ingests here: its route ends in a receiver without integrations, so its
    # own notifications do not load the receiver under test (or change its stored count).
    cat >"$WORK/alertmanager.yml" <<EOF
route:
  receiver: blackhole
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
- name: blackhole
EOF
    local port
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        port_free "$port" || continue
        rm -rf "$WORK/am-data"
        "$AM" --config.file="$WORK/alertmanager.yml" --storage.path="$WORK/am-data" \
            --web.listen-address="127.0.0.1:$port" --web.external-url="http://127.0.0.1:$port" \
            --cluster.listen-address= --log.level=warn >>"$WORK/alertmanager.log" 2>&1 &
        AM_PID=$!
        for _ in $(seq 100); do
            if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/-/ready" 2>/dev/null; then
                AMURL=http://127.0.0.1:$port
                return 0
            fi
            kill -0 "$AM_PID" 2>/dev/null || break
            sleep 0.1
        done
        stop_pid "$AM_PID"
        AM_PID=""
    done
    die "Alertmanager did not start"
}

# ---- receiver state --------------------------------------------------------------------------
stored_total() {
    curl -fsS -m 10 "$RR/api/v1/alerts?limit=1" | sed -n 's/^{"total":\([0-9]*\).*/\1/p'
}
metric() { # exact series name -> value
    curl -fsS -m 10 "$RR/metrics" | awk -v s="$1" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'
}
m200() { metric 'runbook_router_webhook_requests_total{code="200"}'; }
committed() { metric runbook_router_store_commit_requests_total; }
errors4xx5xx() { # webhook answers with an HTTP error code ("other" = client gone, no answer)
    curl -fsS -m 10 "$RR/metrics" | awk '/^runbook_router_webhook_requests_total\{/ &&
        !/code="200"/ && !/code="other"/ { s += $2 } END { print s + 0 }'
}
settle() { # until the receiver's committed-request count stops moving, <= 10 s
    local prev cur
    prev=$(committed)
    for _ in $(seq 50); do
        sleep 0.2
        cur=$(committed)
        [ "$cur" = "$prev" ] && return 0
        prev=$cur
    done
    die "the receiver kept committing after the load stopped"
}
slow_commits() { # group commits that took longer than 10 ms (the receiver's histogram)
    curl -fsS -m 10 "$RR/metrics" | awk '
        /^runbook_router_store_commit_seconds_bucket\{le="0.01"\}/ { a = $2 }
        /^runbook_router_store_commit_seconds_count/ { n = $2 } END { print n - a }'
}
snapshot() { S_TOTAL=$(stored_total); S_200=$(m200); S_COMMITTED=$(committed); }

# ---- wrk -------------------------------------------------------------------------------------
cat >"$WORK/bench.lua" <<'EOF'
-- Distinct payloads per request: MODE=single|batch|am, RUN distinguishes runs, tid the thread.
local mode = os.getenv("MODE") or "single"
local run = tonumber(os.getenv("RUN") or "1")
local batch = tonumber(os.getenv("BATCH") or "100")
local n_threads = 0
tid = tid or 0
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  n_threads = n_threads + 1
  thread:set("tid", n_threads)
end

-- startsAt: when the alert began firing. Alerts activated by one rule evaluation share it, and
-- new episodes start shortly before they arrive. So: one time per request (a batch's alerts
-- share it), a millisecond later for each request.
local function starts_at()
  local ms = counter
  return string.format("2026-01-01T%02d:%02d:%02d.%03d%dZ", run % 24, math.floor(ms / 60000) % 60,
    math.floor(ms / 1000) % 60, ms % 1000, tid % 10)
end

local function alert(seq, starts)
  local id = string.format("%d-%d-%d", run, tid, seq)
  -- Alertmanager's fingerprints are hashes: consecutive alerts land far apart in the episode
  -- index. The digits of seq reversed spread them the same way and stay unique per run and thread.
  local fp = string.format("%010x", seq):reverse() .. string.format("%02x%04x", run, tid)
  return '{"status":"firing","labels":{"alertname":"BenchIngest","bench_id":"' .. id ..
    '","severity":"warning","team":"payments","temporal_namespace":"payments-prod"},' ..
    '"annotations":{"summary":"bench alert ' .. id .. '"},"startsAt":"' .. starts .. '",' ..
    '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus.bench:9090/graph",' ..
    '"fingerprint":"' .. fp .. '"}'
end

local function webhook(alerts)
  return '{"receiver":"bench","status":"firing","alerts":[' .. alerts ..
    '],"groupLabels":{"alertname":"BenchIngest"},"commonLabels":{},"commonAnnotations":{},' ..
    '"externalURL":"http://alertmanager.bench:9093","version":"4",' ..
    '"groupKey":"{}:{alertname=\\"BenchIngest\\"}","truncatedAlerts":0}\n'
end

function request()
  counter = counter + 1
  if mode == "am" then
    local id = string.format("%d-%d-%d", run, tid, counter)
    return wrk.format(nil, "/api/v2/alerts", nil,
      '[{"labels":{"alertname":"BenchIngest","bench_id":"' .. id .. '","severity":"warning",' ..
      '"team":"payments","temporal_namespace":"payments-prod"},"annotations":{"summary":' ..
      '"bench alert ' .. id .. '"},"generatorURL":"http://prometheus.bench:9090/graph"}]')
  elseif mode == "batch" then
    local parts = {}
    local starts = starts_at()
    for k = 1, batch do parts[k] = alert((counter - 1) * batch + k, starts) end
    return wrk.format(nil, "/webhook", nil, webhook(table.concat(parts, ",")))
  end
  return wrk.format(nil, "/webhook", nil, webhook(alert(counter, starts_at())))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d status_errors=%d connect=%d read=%d write=%d " ..
    "timeout=%d p50_us=%d p99_us=%d\n", summary.requests, summary.duration, e.status,
    e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
EOF

field() { # NAME LINE: the value of " NAME=value" in LINE
    sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"
}

# run_wrk MODE RUN URL -> sets OK (requests answered 2xx) and RPS (their rate)
run_wrk() {
    local mode=$1 run=$2 url=$3 out line
    out=$(MODE=$mode RUN=$run timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNS" \
        -d "${DURATION}s" --timeout 5s -s "$WORK/bench.lua" "$url") || die "wrk failed: $out"
    echo "$out" | sed -n '/Latency/,/Transfer/p' | sed 's/^/    /'
    line=$(echo "$out" | grep '^WRK_RESULT') || die "no result from wrk: $out"
    local req dur st c r w t p50 p99
    req=$(field requests "$line")
    dur=$(field duration_us "$line")
    st=$(field status_errors "$line")
    c=$(field connect "$line")
    r=$(field read "$line")
    w=$(field write "$line")
    t=$(field timeout "$line")
    p50=$(field p50_us "$line")
    p99=$(field p99_us "$line")
    if [ "$st" != 0 ] || [ "$c" != 0 ] || [ "$r" != 0 ] || [ "$w" != 0 ] || [ "$t" != 0 ]; then
        die "$mode: errors: non-2xx=$st connect=$c read=$r write=$w timeout=$t"
    fi
    [ "$req" -gt 0 ] || die "$mode: no request completed"
    OK=$req
    RPS=$(awk -v n="$req" -v us="$dur" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
    echo "    $mode: $req requests answered 2xx in $((dur / 1000)) ms = $RPS req/s" \
        "(wrk latency p50 $(awk -v u="$p50" 'BEGIN{printf "%.2f", u/1000}') ms," \
        "p99 $(awk -v u="$p99" 'BEGIN{printf "%.2f", u/1000}') ms)"
}

# check_stored LABEL ALERTS_PER_REQUEST CLIENT_OK (after a snapshot taken before the run)
# Every alert the client saw answered 200 is stored, and the receiver stored exactly the alerts
# of the requests it committed. Requests in flight when the client stopped may be committed
# after it closed its connection (the receiver then counts code="other", not 200): at most one
# per connection.
check_stored() {
    local label=$1 k=$2 client_ok=$3 t0=$S_TOTAL a0=$S_200 c0=$S_COMMITTED
    local stored answered commits late
    settle
    stored=$(($(stored_total) - t0))
    answered=$(($(m200) - a0))
    commits=$(($(committed) - c0))
    late=$((commits - client_ok))
    echo "    verify $label: $stored episodes stored = $commits committed requests x $k;" \
        "client saw $client_ok x 200, receiver answered $answered x 200," \
        "$late committed as the client stopped"
    [ "$stored" -eq $((commits * k)) ] || die "$label: stored $stored != $commits x $k"
    [ "$stored" -ge $((client_ok * k)) ] || die "$label: alerts answered 200 are missing"
    [ "$answered" -ge "$client_ok" ] || die "$label: client saw more 200s than the receiver sent"
    if [ "$late" -lt 0 ] || [ "$late" -gt "$CONNS_MAX" ]; then
        die "$label: $late committed requests unaccounted for"
    fi
    [ "$(errors4xx5xx)" = 0 ] || die "$label: the receiver answered with an HTTP error"
}

echo "== start: receiver (release) and Alertmanager $("$AM" --version 2>&1 | head -n 1 | awk '{print $3}')"
start_receiver
start_alertmanager
echo "receiver $RR (db $WORK/rr.db), alertmanager $AMURL"
command -v wrk >/dev/null || die "wrk is not installed"
CONNS_MAX=64

echo "== receiver: distinct one-alert webhooks, $CONNS connections, $THREADS threads, ${DURATION} s"
snapshot
run_wrk single 1 "$RR/webhook"
INGEST_RPS=$RPS
check_stored single 1 "$OK"

echo "== alertmanager: distinct one-alert POST /api/v2/alerts, same shape"
run_wrk am 2 "$AMURL/api/v2/alerts"
AM_RPS=$RPS
# Measured: stop it. Its route's group_wait ends ~30 s after the first alert, and flushing a
# group of ~200 000 alerts takes both cores for a while: that must not land in the receiver's
# latency or batched runs.
stop_pid "$AM_PID"
AM_PID=""

# The runs before wrote a few hundred MB: let the kernel's writeback finish first, so the
# latency run measures the receiver's commits rather than the VM's flush of earlier runs.
sync
sleep 1
echo "== receiver: open-loop fixed rate 1000 req/s for ${DURATION} s (bench/loadgen; $(
    apt-cache policy wrk2 2>/dev/null | grep -q Candidate && echo "wrk2 exists in apt, not used" ||
        echo "Debian 12 has no wrk2"))"
read -ra cflags <"$ROOT/scripts/cflags"
gcc "${cflags[@]}" -O2 -o "$WORK/loadgen" "$ROOT/bench/loadgen.c"
snapshot
slow0=$(slow_commits)
lg=$(timeout $((DURATION + 30)) "$WORK/loadgen" --port "$RR_PORT" --rate 1000 \
    --duration "$DURATION" --run 4 --conns 64 --timeout 5) || die "loadgen failed: $lg"
echo "    $lg"
lg_ok=$(field ok "$lg")
lg_err=$(field errors "$lg")
P99=$(field p99_ms "$lg")
[ "$lg_err" = 0 ] || die "loadgen: $lg_err requests failed"
check_stored latency 1 "$lg_ok"
echo "    group commits slower than 10 ms during this run: $(($(slow_commits) - slow0))"
echo "== receiver: distinct 100-alert webhooks, same shape"
snapshot
run_wrk batch 3 "$RR/webhook"
BATCH_RPS=$RPS
check_stored batch 100 "$OK"

[ "$(stored_total)" -eq "$(metric runbook_router_alerts_stored_total)" ] ||
    die "stored episodes != runbook_router_alerts_stored_total"

rss=$(ps -o rss= -p "$RR_PID" | tr -d ' ')
echo "receiver_rss_kib=$rss (after all runs, $(stored_total) episodes stored)"

awk -v n="$INGEST_RPS" -v m="$AM_RPS" -v b="$BATCH_RPS" -v p="$P99" 'BEGIN {
    printf "ingest_alerts_per_s=%.0f alertmanager_alerts_per_s=%.0f ratio=%.2f batched_alerts_per_s=%.0f p99_ms=%.2f\n",
        n, m, n / m, b * 100, p }'

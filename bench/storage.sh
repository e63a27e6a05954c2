#!/usr/bin/env bash
# Durable storage numbers for docs/BENCHMARKS.md: turns/s with SQLite and
# with memory, resident memory per live and per stored (sleeping) session,
# and the latency of a turn that wakes a sleeping session.
# Env: DURATION (10s), CONNECTIONS (64), TROUPE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WORK=$(mktemp -d)
source bench/lib.sh
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
SERVER=
trap 'stop_server; rm -rf "$WORK"' EXIT

start_server() {  # extra flags
  "$BIN" --listen=127.0.0.1:$PORT --services=conf/services.json --agents=conf/agents.json \
    --log-level=warn "$@" 2>>"$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$URL/ping" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop_server() { [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; }; SERVER=; }
rss_kib() { awk '/VmRSS/ {print $2}' /proc/"$SERVER"/status; }
metric() { curl -s "$URL/v1/health" | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['$1'])"; }
chat_row() {  # name, connections, then env for chat.lua; prints one wrk_row
  local name=$1 c=$2; shift 2
  (export "$@"; ROW_WIDTH=48 wrk_row "$name" -t1 -c"$c" -d"$DURATION" -s bench/chat.lua \
    "$URL/v1/chat/completions")
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)"
echo "troupe:  $($BIN --version)  wrk: 1 thread, $DURATION each"
printf "%-48s %12s %10s %10s\n" scenario "req/s" p50 p99

for storage in memory "sqlite:$WORK/turns.db"; do
  start_server --storage="$storage"
  chat_row "chat, 1000 sessions, $CONNECTIONS conn, ${storage%%:*}" "$CONNECTIONS" \
    BENCH_MODE=pool BENCH_SESSIONS=1000
  stop_server
done

# Memory per session: every request opens a new session; the cap decides
# whether they stay live or sleep (stored only).
rss_per_session() {  # label, --max-live-sessions, the health metric to divide by
  start_server --storage="sqlite:$WORK/rss-$2.db" --max-live-sessions="$2"
  local before n
  before=$(rss_kib)
  chat_row "$1" "$CONNECTIONS" BENCH_MODE=unique
  n=$(metric "$3")
  echo "  RSS per ${3%%_*} session: $(( ($(rss_kib) - before) * 1024 / n )) bytes ($n ${3%%_*}, $(metric live_sessions) live)"
  stop_server
}
rss_per_session "new session per turn, all stay live" 10000000 live_sessions
rss_per_session "new session per turn, 100 live at most" 100 stored_sessions

# Waking up: 5000 sessions, 100 live at most, so nearly every turn wakes one.
start_server --storage="sqlite:$WORK/wake.db" --max-live-sessions=100
chat_row create "$CONNECTIONS" BENCH_MODE=pool BENCH_SESSIONS=5000 >/dev/null
chat_row "turns waking sleeping sessions, $CONNECTIONS conn" "$CONNECTIONS" \
  BENCH_MODE=pool BENCH_SESSIONS=5000
chat_row "turns waking sleeping sessions, 1 conn" 1 BENCH_MODE=pool BENCH_SESSIONS=5000
stop_server
start_server --storage="sqlite:$WORK/wake.db" --max-live-sessions=100000
chat_row awake "$CONNECTIONS" BENCH_MODE=pool BENCH_SESSIONS=5000 >/dev/null  # all awake
chat_row "same 5000 sessions all live, 1 conn" 1 BENCH_MODE=pool BENCH_SESSIONS=5000

#!/usr/bin/env bash
# Durable storage numbers for docs/BENCHMARKS.md: turns/s with SQLite and
# with memory, resident memory per live and per stored (sleeping) session,
# RSS with 100 000 live sessions, and the latency of a turn that wakes a
# sleeping session. Every wrk row runs against the floor (bench/floor.cpp)
# too, in the same run: ratio = Troupe / floor (see bench/run.sh's columns).
# Env: DURATION (5s), CONNECTIONS (64), LIVE_N (100000), TROUPE_BIN, FLOOR_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
LIVE_N=${LIVE_N:-100000}
WORK=$(mktemp -d)
source bench/lib.sh
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
SERVER= FLOOR_PID=
trap 'stop_server; [ -n "$FLOOR_PID" ] && kill "$FLOOR_PID"; rm -rf "$WORK"' EXIT

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
CHAT=/v1/chat/completions
chat_row() {  # name, connections, then env for chat.lua: Troupe vs the floor
  local name=$1 c=$2; shift 2
  (export "$@"; compare "$name" "$SERVER" "$URL$CHAT" "$FLOOR_PID" "$FLOOR_URL$CHAT" \
    -t1 -c"$c" -d"$DURATION" -s bench/chat.lua)
}
fill() {  # connections, then env for chat.lua: wrk against Troupe only, no row
  local c=$1; shift
  (export "$@"; wrk -t1 -c"$c" -d"$DURATION" -s bench/chat.lua "$URL$CHAT" >/dev/null)
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "troupe:  $($BIN --version)  wrk: 1 thread, $DURATION each; floor: 1 HTTP thread"
start_floor FLOOR
ROW_WIDTH=46 compare_header
export ROW_WIDTH=46

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

# RSS with LIVE_N live sessions (default storage, one turn each): sessions
# 0..LIVE_N-1 in turn until that many are live (target: 100 000 < 400 MiB).
start_server --storage="sqlite:$WORK/live.db" --max-live-sessions=$((LIVE_N * 2)) --session-idle-s=3600
before=$(rss_kib) start=0
while [ "$(metric live_sessions)" -lt "$LIVE_N" ]; do
  done_n=$(export BENCH_MODE=seq BENCH_SESSIONS=$LIVE_N BENCH_SEQ_START=$start \
    BENCH_SESSION_PREFIX=live-; wrk -t1 -c"$CONNECTIONS" -d5s -s bench/chat.lua "$URL$CHAT" |
    awk '/requests in/ {print $1}')
  start=$((start + done_n))
done
echo "RSS with $(metric live_sessions) live sessions (sqlite): $(( $(rss_kib) / 1024 )) MiB (at start $((before / 1024)) MiB)"
stop_server

# Waking up: 5000 sessions, 100 live at most, so nearly every turn wakes one.
start_server --storage="sqlite:$WORK/wake.db" --max-live-sessions=100
fill "$CONNECTIONS" BENCH_MODE=pool BENCH_SESSIONS=5000
chat_row "turns waking sleeping sessions, $CONNECTIONS conn" "$CONNECTIONS" \
  BENCH_MODE=pool BENCH_SESSIONS=5000
chat_row "turns waking sleeping sessions, 1 conn" 1 BENCH_MODE=pool BENCH_SESSIONS=5000
stop_server
start_server --storage="sqlite:$WORK/wake.db" --max-live-sessions=100000
fill "$CONNECTIONS" BENCH_MODE=pool BENCH_SESSIONS=5000  # all awake
chat_row "same 5000 sessions all live, 1 conn" 1 BENCH_MODE=pool BENCH_SESSIONS=5000

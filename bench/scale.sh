#!/usr/bin/env bash
# Scale (issue 15): STORED_N (1 000 000) sessions stored in SQLite, then turns
# on random ones at 1 connection: each wakes a sleeping session (its row and
# newest messages read back, an actor spawned). Target: p99 < 2 ms. Prints
# the fill rate, the database size, RSS, and the wake-up rows next to the
# floor (bench/floor.cpp) measured in the same run. Takes several minutes.
# Env: STORED_N (1000000), DURATION (10s), CONNECTIONS (64), TROUPE_BIN, FLOOR_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
STORED_N=${STORED_N:-1000000}
WORK=$(mktemp -d)
source bench/lib.sh
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
SERVER= FLOOR_PID=
trap 'stop_server; [ -n "$FLOOR_PID" ] && kill "$FLOOR_PID"; rm -rf "$WORK"' EXIT
DB=$WORK/scale.db

start_server() {  # extra flags
  "$BIN" --listen=127.0.0.1:$PORT --services=conf/services.json --agents=conf/agents.json \
    --log-level=warn --storage="sqlite:$DB" "$@" 2>>"$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 600); do curl -sf "$URL/ping" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop_server() { [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; }; SERVER=; }
rss_mib() { awk '/VmRSS/ {printf "%d", $2 / 1024}' /proc/"$SERVER"/status; }
metric() { curl -s "$URL/v1/health" | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['$1'])"; }
CHAT=/v1/chat/completions

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "troupe:  $($BIN --version)  wrk: 1 thread; $STORED_N stored sessions, 1000 live at most"
start_floor FLOOR
start_server --max-live-sessions=1000

# Fill: sessions scale-0 .. scale-(N-1), one turn each, in turn.
t0=$(date +%s) start=0
while [ "$(metric stored_sessions)" -lt "$STORED_N" ]; do
  done_n=$(export BENCH_MODE=seq BENCH_SESSIONS=$STORED_N BENCH_SEQ_START=$start \
    BENCH_SESSION_PREFIX=scale-; wrk -t1 -c"$CONNECTIONS" -d20s -s bench/chat.lua "$URL$CHAT" |
    awk '/requests in/ {print $1}')
  start=$((start + done_n))
  echo "  ... $(metric stored_sessions) stored after $(( $(date +%s) - t0 )) s"
done
t1=$(date +%s)
echo "filled: $(metric stored_sessions) sessions in $((t1 - t0)) s; database $(du -sm "$WORK" | cut -f1) MiB; RSS $(rss_mib) MiB"

# A fresh server on the filled database: every session asleep.
stop_server
t0=$(date +%s%N)
start_server --max-live-sessions=1000
echo "restart on $STORED_N stored sessions: ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms, RSS $(rss_mib) MiB"
export ROW_WIDTH=46 BENCH_MODE=pool BENCH_SESSIONS=$STORED_N BENCH_SESSION_PREFIX=scale-
compare_header
compare "wake a random one of $STORED_N, 1 conn" "$SERVER" "$URL$CHAT" "$FLOOR_PID" "$FLOOR_URL$CHAT" \
  -t1 -c1 -d"$DURATION" -s bench/chat.lua
echo "  p99 of a wake-up at 1 connection: $(awk -v p="$M_P99" 'BEGIN {printf "%.3f", p}') ms (target < 2 ms)"
compare "wake a random one of $STORED_N, $CONNECTIONS conn" "$SERVER" "$URL$CHAT" "$FLOOR_PID" \
  "$FLOOR_URL$CHAT" -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/chat.lua
echo "after: $(metric live_sessions) live, $(metric stored_sessions) stored, RSS $(rss_mib) MiB"

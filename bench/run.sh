#!/usr/bin/env bash
# Load numbers for docs/BENCHMARKS.md: wrk against a real troupe with the
# `test` provider, each scenario next to the floor (bench/floor.cpp: RESTinio +
# RapidJSON answering the same bytes) measured in the same run, and the ratio.
# Columns: req/s, p50, p99 (ms), server CPU µs per request, server context
# switches per request; Troupe first, then the floor; ratio = Troupe / floor.
# Env: DURATION (5s), CONNECTIONS (64), WRK_THREADS (1), TROUPE_BIN,
#      FLOOR_BIN, EXTRA_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
source bench/lib.sh
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
SERVER= FLOOR_PID= HOP_PID=

start_server() {
  # shellcheck disable=SC2086
  "$BIN" --listen=127.0.0.1:$PORT --services=conf/services.json --agents=conf/agents.json \
    --storage=memory --log-level=warn ${EXTRA_FLAGS:-} 2>/tmp/troupe-bench.log &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$URL/ping" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop_all() {
  for p in $SERVER $FLOOR_PID $HOP_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
}
trap stop_all EXIT

CHAT=/v1/chat/completions
W=(-t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION")
row() {  # name, path, then wrk arguments: Troupe vs the floor
  local name=$1 path=$2; shift 2
  compare "$name" "$SERVER" "$URL$path" "$FLOOR_PID" "$FLOOR_URL$path" "${W[@]}" "$@"
}
hop_row() {  # name, then wrk arguments: the floor + one actor hop vs the floor
  local name=$1; shift
  compare "$name" "$HOP_PID" "$HOP_URL$CHAT" "$FLOOR_PID" "$FLOOR_URL$CHAT" "${W[@]}" "$@"
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "troupe:  $($BIN --version)  wrk: $WRK_THREADS thread(s), $CONNECTIONS connections, $DURATION each"
echo "floor:   $FLOOR_BIN, 1 HTTP thread; + actor hop: 1000 actors, 1 CAF thread (sharing)"
start_server
start_floor FLOOR
start_floor HOP --actor-hop
compare_header
row "GET /ping" /ping
export BENCH_MODE=pool BENCH_SESSIONS=1000
row "chat, 1000 sessions" $CHAT -s bench/chat.lua
CHAT_FLOOR=$F_RPS
hop_row "  ref: floor + actor hop, 1000 sess." -s bench/chat.lua
BENCH_MODE=hot row "chat, one hot session" $CHAT -s bench/chat.lua
BENCH_STREAM=1 row "chat stream, 1000 sessions" $CHAT -s bench/chat.lua
BENCH_STREAM=1 hop_row "  ref: stream floor + actor hop" -s bench/chat.lua
BENCH_MODE=new row "chat, no session_id (new each)" $CHAT -s bench/chat.lua
# The same turns through the Responses API (the pool's sessions are its
# conversations), against the chat floor: what a turn costs in either API.
BENCH_API=responses solo_row "responses, 1000 conversations" "$SERVER" "$CHAT_FLOOR" \
  "floor: the chat row's" "${W[@]}" -s bench/chat.lua "$URL/v1/responses"
BENCH_API=responses BENCH_MODE=new solo_row "responses, new each" "$SERVER" "$CHAT_FLOOR" \
  "floor: the chat row's" "${W[@]}" -s bench/chat.lua "$URL/v1/responses"
echo "server RSS after the runs: $(ps -o rss= -p "$SERVER" | awk '{printf "%.1f MiB", $1/1024}')"

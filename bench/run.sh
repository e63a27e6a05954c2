#!/usr/bin/env bash
# Load numbers for docs/BENCHMARKS.md: wrk against a real troupe with the
# `test` provider. Prints requests/s and p50/p99 latency per scenario.
# Env: DURATION (10s), CONNECTIONS (64), WRK_THREADS (1), TROUPE_BIN, EXTRA_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
source bench/lib.sh
PORT=$(free_port)
URL=http://127.0.0.1:$PORT

start_server() {
  # shellcheck disable=SC2086
  "$BIN" --listen=127.0.0.1:$PORT --services=conf/services.json --agents=conf/agents.json \
    --storage=memory --log-level=warn ${EXTRA_FLAGS:-} 2>/tmp/troupe-bench.log &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$URL/ping" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop_server() { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; }
trap stop_server EXIT

row() {  # name, then wrk arguments
  local name=$1; shift
  wrk_row "$name" -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@"
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)"
echo "troupe:  $($BIN --version)  wrk: $WRK_THREADS thread(s), $CONNECTIONS connections, $DURATION each"
printf "%-34s %12s %10s %10s\n" scenario "req/s" p50 p99
start_server
row "GET /ping" "$URL/ping"
BENCH_MODE=pool BENCH_SESSIONS=1000 row "chat, 1000 sessions" -s bench/chat.lua "$URL/v1/chat/completions"
BENCH_MODE=hot row "chat, one hot session" -s bench/chat.lua "$URL/v1/chat/completions"
BENCH_MODE=pool BENCH_STREAM=1 row "chat stream, 1000 sessions" -s bench/chat.lua "$URL/v1/chat/completions"
BENCH_MODE=new row "chat, no session_id (new each)" -s bench/chat.lua "$URL/v1/chat/completions"
# The same turns through the Responses API (the pool's sessions are its conversations).
BENCH_API=responses BENCH_MODE=pool BENCH_SESSIONS=1000 row "responses, 1000 conversations" -s bench/chat.lua "$URL/v1/responses"
BENCH_API=responses BENCH_MODE=new row "responses, new each" -s bench/chat.lua "$URL/v1/responses"
echo "server RSS after the runs: $(ps -o rss= -p "$SERVER" | awk '{printf "%.1f MiB", $1/1024}')"

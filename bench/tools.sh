#!/usr/bin/env bash
# The agent's tool loop under load: turns with one built-in tool call
# (calculator) against plain turns, at 64 connections and at 1; and turns
# with one call to a stdio MCP server (server-everything's echo), whose p50
# at 1 connection minus the built-in one's is the MCP tools/call round trip
# (same two model calls, the tool runs in another process instead of in an
# actor). Scripted `test` providers: no upstream in the numbers.
# Env: DURATION (10s), CONNECTIONS (64), WRK_THREADS (1), TROUPE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
source bench/lib.sh
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
EVERYTHING=conf/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js
[ -f "$EVERYTHING" ] || (cd conf/mcp && npm ci --no-audit --no-fund --loglevel=error)
SERVICES=$(mktemp --suffix=.json)
cat >"$SERVICES" <<JSON
{"llm": {"providers": {
   "plain": {"type": "test", "model": "m", "reply": "Test response from mock LLM"},
   "calc":  {"type": "test", "model": "m", "tool_calls": [{"name": "calculator", "arguments": "{\"expression\":\"2+3*4\"}"}]},
   "echo":  {"type": "test", "model": "m", "tool_calls": [{"name": "echo", "arguments": "{\"message\":\"hi\"}"}]}},
  "default_provider": "plain"},
 "toolsets": {
   "basics": {"type": "builtin", "tools": ["calculator"]},
   "everything": {"type": "mcp", "transport": "stdio", "command": "node", "args": ["$EVERYTHING", "stdio"]}}}
JSON
"$BIN" --listen=127.0.0.1:$PORT --services="$SERVICES" --storage=memory --log-level=warn \
  2>/tmp/troupe-bench-tools.log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -f "$SERVICES"' EXIT
for _ in $(seq 100); do curl -sf "$URL/ping" >/dev/null && break; sleep 0.1; done
agent() {
  curl -sf "$URL/v1/agents" -H 'Content-Type: application/json' \
    -d "{\"id\":\"$1\",\"name\":\"$1\",\"template_id\":\"chat\",\"llm_config_id\":\"$2\",\"toolsets\":$3,
         \"conversation_config\":{\"continuous\":true,\"historyLength\":20}}" >/dev/null
}
agent plain plain '[]'
agent builtin calc '["basics"]'
agent mcp echo '["everything"]'
# The MCP server starts on first use: not in the numbers.
curl -sf "$URL/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"mcp","messages":[{"role":"user","content":"warm up"}]}' >/dev/null

row() {  # name, connections, agent
  BENCH_MODEL=$3 BENCH_MODE=pool BENCH_SESSIONS=1000 BENCH_SESSION_PREFIX="$3-$2-" \
    wrk_row "$1" -t"$WRK_THREADS" -c"$2" -d"$DURATION" -s bench/chat.lua "$URL/v1/chat/completions"
}
p50_us() {  # wrk's p50 of one 1-connection run, in µs
  BENCH_MODEL=$1 BENCH_MODE=pool BENCH_SESSIONS=1000 BENCH_SESSION_PREFIX="$1-p50-" \
    wrk --latency -t1 -c1 -d"$DURATION" -s bench/chat.lua "$URL/v1/chat/completions" |
    awk '$1=="50%" {v=$2; u=1; if (v ~ /ms$/) u=1000; else if (v ~ /us$/) u=1; else if (v ~ /s$/) u=1000000;
                    sub(/[a-z]+$/, "", v); print v * u}'
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)"
echo "troupe:  $($BIN --version)  wrk: $WRK_THREADS thread(s), $DURATION each"
printf "%-34s %12s %10s %10s\n" scenario "req/s" p50 p99
row "plain turns, $CONNECTIONS conn" "$CONNECTIONS" plain
row "one built-in tool call, $CONNECTIONS conn" "$CONNECTIONS" builtin
row "one stdio MCP call, $CONNECTIONS conn" "$CONNECTIONS" mcp
row "plain turns, 1 conn" 1 plain
row "one built-in tool call, 1 conn" 1 builtin
row "one stdio MCP call, 1 conn" 1 mcp
B=$(p50_us builtin)
M=$(p50_us mcp)
awk -v b="$B" -v m="$M" 'BEGIN {printf "stdio MCP tools/call round trip, p50: %.0f us (MCP turn p50 %.0f us - built-in turn p50 %.0f us)\n", m - b, m, b}'

#!/usr/bin/env bash
# Troupe's added latency and throughput over calling a fast OpenAI-compatible
# upstream directly. The upstream is the floor (bench/floor.cpp: RESTinio +
# RapidJSON answering the test provider's completion, plain or streamed); the
# Troupe under test has one agent `relay` on an "openai" provider whose
# base_url is the floor. Both get the same request: one user message, no
# session (a new one each). Targets (issue 15): through Troupe >= 0.35 x the
# direct rate at 64 connections; < 0.15 ms p50 added at 1 connection.
#   wrk: non-stream p50/p99 at 1 and 64 connections, throughput at 64,
#        streamed throughput at 64;
#   curl: time to first byte of streams (the SSE head goes out with the first
#        token), TTFT_N transfers over 1 connection and over 64 in parallel.
# Env: DURATION (5s), TTFT_N (2000), TROUPE_BIN. Everything runs on this
# machine's cores: wrk/curl, the upstream and the Troupe under test share them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-5s}
TTFT_N=${TTFT_N:-2000}
TMP=$(mktemp -d)
source bench/lib.sh
UP_PORT=$(free_port)
TR_PORT=$(free_port)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

cat >"$TMP/services.json" <<JSON
{"llm": {"providers": {"up": {"type": "openai", "model": "demo", "timeout_s": 30,
  "base_url": "http://127.0.0.1:$UP_PORT/v1"}}, "default_provider": "up"}}
JSON
cat >"$TMP/agents.json" <<JSON
[{"id": "relay", "name": "Relay", "template_id": "chat", "llm_config_id": "up",
  "conversation_config": {"continuous": false}}]
JSON

start() {  # port, services, agents
  "$BIN" --listen=127.0.0.1:$1 --services="$2" --agents="$3" --storage=memory --log-level=warn \
    2>>"$TMP/troupe.log" &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/ping" >/dev/null && return; sleep 0.1; done
  echo "server on $1 did not start" >&2; cat "$TMP/troupe.log" >&2; exit 1
}
"$FLOOR_BIN" --listen=127.0.0.1:"$UP_PORT" 2>>"$TMP/floor.log" &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$UP_PORT/ping" >/dev/null && break; sleep 0.1; done
start "$TR_PORT" "$TMP/services.json" "$TMP/agents.json"
FLOOR_PID=${PIDS[0]}
TROUPE_PID=${PIDS[1]}
DIRECT="http://127.0.0.1:$UP_PORT/v1/chat/completions"
THROUGH="http://127.0.0.1:$TR_PORT/v1/chat/completions"

# through_row: name connections [stream]: the floor directly, then through
# Troupe (the floor answers the model `relay` too: it echoes the model).
# Server columns: the floor's process for direct, Troupe's for through.
through_row() {
  BENCH_MODE=new BENCH_MODEL=relay BENCH_STREAM=${3:-0} \
    compare "$1" "$TROUPE_PID" "$THROUGH" "$FLOOR_PID" "$DIRECT" -t1 -c"$2" -d"$DURATION" -s bench/chat.lua
}

# TTFT row: name model url parallel; curl's time_starttransfer per transfer
ttft_row() {
  local cfg="$TMP/ttft.cfg" body="$TMP/body-$2.json"
  printf '{"model":"%s","stream":true,"messages":[{"role":"user","content":"Hello there, how are you?"}]}' "$2" >"$body"
  : >"$cfg"
  for i in $(seq "$TTFT_N"); do
    [ "$i" -gt 1 ] && echo next >>"$cfg"
    printf 'url = "%s"\ndata = "@%s"\nheader = "Content-Type: application/json"\noutput = "/dev/null"\nwrite-out = "%%{time_starttransfer}\\n"\n' "$3" "$body" >>"$cfg"
  done
  local par=()
  [ "$4" -gt 1 ] && par=(--parallel --parallel-max "$4")
  curl -s --no-progress-meter "${par[@]}" -K "$cfg" | sort -n | awk -v name="$1" '
    {v[NR]=$1*1000} END {printf "%-40s %12s %8.3fms %8.3fms\n", name, NR " ok", v[int(NR*0.5)], v[int(NR*0.99)]}'
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)"
echo "troupe:  $($BIN --version); wrk 1 thread, $DURATION per row; TTFT over $TTFT_N streams"
echo "Troupe columns: through Troupe (server: Troupe); floor columns: the floor called directly"
export ROW_WIDTH=40
compare_header
through_row "non-stream, 1 conn" 1
awk -v t="$R_P50" -v f="$F_P50" 'BEGIN {printf "  p50 added at 1 connection: %.3f ms (target < 0.15 ms)\n", t - f}'
through_row "non-stream, 64 conns" 64
echo "  through / direct at 64 connections: $(awk -v t="$R_RPS" -v f="$F_RPS" 'BEGIN {printf "%.2f", t / f}') (target >= 0.35)"
through_row "stream, 1 conn" 1 1
through_row "stream, 64 conns" 64 1
printf "%-40s %12s %10s %10s\n" "time to first byte of a stream" "" p50 p99
ttft_row "TTFT, 1 conn, direct"          relay "$DIRECT"  1
ttft_row "TTFT, 1 conn, through Troupe"  relay "$THROUGH" 1
ttft_row "TTFT, 64 conns, direct"        relay "$DIRECT"  64
ttft_row "TTFT, 64 conns, through Troupe" relay "$THROUGH" 64
echo "Troupe under test: RSS $(ps -o rss= -p "$TROUPE_PID" | awk '{printf "%.1f MiB", $1/1024}')"

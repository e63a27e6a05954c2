#!/usr/bin/env bash
# Troupe's added latency and throughput over calling a fast OpenAI-compatible
# upstream directly. The upstream is a second troupe with the instant `test`
# provider (agent `demo`); the Troupe under test has one agent `relay` on an
# "openai" provider whose base_url is that upstream (model `demo`). Both get
# the same upstream request: one user message, no session (a new one each).
#   wrk: non-stream p50/p99 at 1 and 64 connections, throughput at 64,
#        streamed throughput at 64;
#   curl: time to first byte of streams (the SSE head goes out with the first
#        token), TTFT_N transfers over 1 connection and over 64 in parallel.
# Env: DURATION (10s), TTFT_N (2000), TROUPE_BIN. Everything runs on this
# machine's cores: wrk/curl, the upstream and the Troupe under test share them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-10s}
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
start "$UP_PORT" conf/services.json conf/agents.json
start "$TR_PORT" "$TMP/services.json" "$TMP/agents.json"
TROUPE_PID=${PIDS[1]}
DIRECT="http://127.0.0.1:$UP_PORT/v1/chat/completions"
THROUGH="http://127.0.0.1:$TR_PORT/v1/chat/completions"

# through_row: name model url connections [stream]
through_row() {
  BENCH_MODE=new BENCH_MODEL=$2 BENCH_STREAM=${5:-0} \
    wrk_row "$1" -t1 -c"$4" -d"$DURATION" -s bench/chat.lua "$3"
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
export ROW_WIDTH=40
printf "%-40s %12s %10s %10s\n" scenario "req/s" p50 p99
through_row "non-stream, 1 conn, direct"          demo  "$DIRECT"  1
through_row "non-stream, 1 conn, through Troupe"  relay "$THROUGH" 1
through_row "non-stream, 64 conns, direct"         demo  "$DIRECT"  64
through_row "non-stream, 64 conns, through Troupe" relay "$THROUGH" 64
through_row "stream, 64 conns, direct"             demo  "$DIRECT"  64 1
through_row "stream, 64 conns, through Troupe"     relay "$THROUGH" 64 1
printf "%-40s %12s %10s %10s\n" "time to first byte of a stream" "" p50 p99
ttft_row "TTFT, 1 conn, direct"          demo  "$DIRECT"  1
ttft_row "TTFT, 1 conn, through Troupe"  relay "$THROUGH" 1
ttft_row "TTFT, 64 conns, direct"        demo  "$DIRECT"  64
ttft_row "TTFT, 64 conns, through Troupe" relay "$THROUGH" 64
echo "Troupe under test: RSS $(ps -o rss= -p "$TROUPE_PID" | awk '{printf "%.1f MiB", $1/1024}')"

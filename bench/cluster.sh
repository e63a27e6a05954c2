#!/usr/bin/env bash
# The cluster (docs/CLUSTER.md) on this machine, with a PostgreSQL server of
# its own (bench/lib.sh start_postgres, fsync on). Each number is printed next
# to its reference measured in the same run, with the ratio and the target:
#  (a) a forwarded turn's added latency: 1 connection, one session, turns
#      sent to its owner node vs to another node (which forwards them);
#      target: + < 0.5 ms at p50;
#  (b) turns/s of 3 nodes against 1 node: the same work (3 wrk processes,
#      CONNECTIONS in all, a pool of SESSIONS client-chosen session ids; with
#      3 nodes each wrk sends to its own node, so ~2/3 of the turns are
#      forwarded; both clusters up at once, rounds alternating, medians);
#      target: 3 nodes >= 0.7 x 1 node;
#  (c) PostgreSQL against SQLite turns/s on one node (no cluster flags);
#      target: PostgreSQL >= 0.5 x SQLite.
# Env: DURATION (5s), CONNECTIONS (64), SESSIONS (1000), ROUNDS (3: pairs in
# (a) and (b), alternating which goes first; medians), TROUPE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
SESSIONS=${SESSIONS:-1000}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d)
source bench/lib.sh
CHAT=/v1/chat/completions
PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=() NODE_URL=() NODE_ID=()
}
trap 'stop_all; stop_postgres; rm -rf "$WORK"' EXIT

wait_ping() {
  for _ in $(seq 200); do curl -sf "$1/ping" >/dev/null && return; sleep 0.1; done
  echo "server $1 did not start (log: $WORK/server.log)" >&2; tail -20 "$WORK/server.log" >&2; exit 1
}
# start_server STORAGE [flags]: a node; appends to PIDS, NODE_URL, NODE_ID.
NODE_URL=() NODE_ID=()
start_server() {
  local storage=$1 port; shift
  port=$(free_port)
  "$BIN" --listen=127.0.0.1:"$port" --services=conf/services.json --storage="$storage" \
    --log-level=warn "$@" 2>>"$WORK/server.log" &
  PIDS+=("$!") NODE_URL+=("http://127.0.0.1:$port")
  wait_ping "http://127.0.0.1:$port"
}
# start_cluster DB N: N nodes n1…nN on database DB; waits until each sees all up.
start_cluster() {
  local db=$1 n=$2 i
  for i in $(seq "$n"); do
    local agents=()
    [ "$i" = 1 ] && agents=(--agents=conf/agents.json)  # the first seeds the agents
    start_server "postgres:$(pg_uri "$db")" "${agents[@]}" --cluster-listen=127.0.0.1:"$(free_port)" \
      --node-id=n"$i" --cluster-failure-s=5
    NODE_ID+=("n$i")
  done
  for url in "${NODE_URL[@]: -$n}"; do
    for _ in $(seq 150); do
      up=$(curl -sf "$url/v1/cluster" | python3 -c \
        'import json,sys; print(sum(m["status"] == "up" for m in json.load(sys.stdin)["members"]))' || echo 0)
      [ "$up" = "$n" ] && break
      sleep 0.1
    done
    [ "$up" = "$n" ] || { echo "$url sees $up of $n nodes up" >&2; exit 1; }
  done
}
node_of() {  # URL SESSION: the node that runs the session's turns (X-Troupe-Node)
  curl -s -o /dev/null -D - "$1$CHAT" -H 'Content-Type: application/json' -d \
    '{"model":"demo","messages":[{"role":"user","content":"who owns me?"}],"metadata":{"session_id":"'"$2"'"}}' |
    awk -F': ' 'tolower($1) == "x-troupe-node" {gsub(/\r/, "", $2); print $2}'
}
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# CPU ticks of the PostgreSQL server's processes (the bench's own server runs as user postgres).
pg_ticks() { cpu_ticks $(ps -u postgres -o pid=); }

# spread NAME URL…: 3 wrk processes at once (CONNECTIONS split among them),
# the i-th against the i-th URL; one row: turns/s (sum), p50 (mean of the 3),
# p99 (max), server CPU µs per turn (the nodes in CPU_PIDS), errors. Sets S_RPS.
spread() {
  local name=$1; shift
  local urls=("$@") i c t0 t1 n=0 wpids=()
  BENCH_MODE=pool BENCH_SESSIONS=$SESSIONS BENCH_SESSION_PREFIX=$PREFIX \
    wrk -t1 -c"$CONNECTIONS" -d2s -s bench/chat.lua "${urls[0]}$CHAT" >/dev/null  # the sessions exist
  t0=$(cpu_ticks "${CPU_PIDS[@]}") p0=$(pg_ticks)
  for i in 0 1 2; do
    c=$(( CONNECTIONS / 3 + (i < CONNECTIONS % 3 ? 1 : 0) ))
    BENCH_MODE=pool BENCH_SESSIONS=$SESSIONS BENCH_SESSION_PREFIX=$PREFIX \
      wrk --latency -t1 -c"$c" -d"$DURATION" -s bench/chat.lua "${urls[$i]}$CHAT" >"$WORK/wrk$i.out" &
    wpids+=("$!")
  done
  wait "${wpids[@]}"
  t1=$(cpu_ticks "${CPU_PIDS[@]}") p1=$(pg_ticks)
  S_RPS=$(cat "$WORK"/wrk{0,1,2}.out | awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}')
  n=$(cat "$WORK"/wrk{0,1,2}.out | awk '/requests in/ {s += $1} END {print s}')
  local p50 p99 err cpu
  p50=$(for i in 0 1 2; do to_ms "$(awk '$1=="50%" {print $2}' "$WORK/wrk$i.out")"; echo; done |
    awk '{s += $1} END {printf "%.3f", s / NR}')
  p99=$(for i in 0 1 2; do to_ms "$(awk '$1=="99%" {print $2}' "$WORK/wrk$i.out")"; echo; done |
    awk '$1 > m {m = $1} END {printf "%.3f", m}')
  err=$(cat "$WORK"/wrk{0,1,2}.out | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')
  cpu=$(awk -v t=$((t1 - t0)) -v u="$TICK_US" -v n="$n" 'BEGIN {printf "%.1f", n ? t * u / n : 0}')
  pgcpu=$(awk -v t=$((p1 - p0)) -v u="$TICK_US" -v n="$n" 'BEGIN {printf "%.1f", n ? t * u / n : 0}')
  printf "%-40s %8s %8s %8s %8s %8s  %s\n" "$name" "$S_RPS" "$p50" "$p99" "$cpu" "$pgcpu" "$err"
}
# per_commit URL…: turns per session-store commit so far (group commit), over the nodes.
per_commit() {
  local u; for u in "$@"; do curl -s "$u/metrics"; done |
    awk '/^troupe_storage_commit_turns_sum/ {s += $2} /^troupe_storage_commit_turns_count/ {n += $2}
         END {printf "%.1f turns per commit (%d commits)", n ? s / n : 0, n}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a / b : 0}'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {ok = (op == "<") ? v < t : v >= t; print ok ? "met" : "MISSED"}'; }

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "troupe:  $($BIN --version)  wrk: 1 thread per process, $DURATION each; PostgreSQL: $(ls -d /usr/lib/postgresql/*/ | sort -V | tail -1 | xargs basename), fsync on"
start_postgres
pg_createdb a
pg_createdb one
pg_createdb three
pg_createdb single
pg_createdb single1

# ------------------------------------------------ (a) forwarded turn latency
echo
echo "(a) one session, 1 connection: turns sent to its owner vs to another node (forwarded)"
start_cluster a 3
HOT=bench-hot  # chat.lua's BENCH_MODE=hot session
OWNER=$(node_of "${NODE_URL[0]}" "$HOT")
for i in 0 1 2; do [ "${NODE_ID[$i]}" = "$OWNER" ] && OWNER_I=$i; done
OTHER_I=$(( (OWNER_I + 1) % 3 ))
[ "$(node_of "${NODE_URL[$OTHER_I]}" "$HOT")" = "$OWNER" ] || { echo "owner changed?" >&2; exit 1; }
echo "session $HOT: owner ${NODE_ID[$OWNER_I]}, forwarded through ${NODE_ID[$OTHER_I]}"
BENCH_MODE=hot wrk -t1 -c1 -d2s -s bench/chat.lua "${NODE_URL[$OTHER_I]}$CHAT" >/dev/null  # warm-up
hdr() { printf "%-40s %8s %7s %7s %6s %5s\n" scenario "turns/s" p50 p99 "µs/req" "cs/rq"; }
hdr
own50=() fwd50=() own99=() fwd99=()
row_a() {  # label index
  measure "${PIDS[$2]}" -t1 -c1 -d"$DURATION" -s bench/chat.lua "${NODE_URL[$2]}$CHAT"
  printf "%-40s %8s %7s %7s %6s %5s  %s\n" "$1" "$M_RPS" "$M_P50" "$M_P99" "$M_CPU" "$M_CS" "$M_ERR"
}
for r in $(seq "$ROUNDS"); do
  for which in $( ((r % 2)) && echo "own fwd" || echo "fwd own"); do
    if [ "$which" = own ]; then
      BENCH_MODE=hot row_a "round $r: to the owner (${NODE_ID[$OWNER_I]})" "$OWNER_I"
      own50+=("$M_P50") own99+=("$M_P99")
    else
      BENCH_MODE=hot row_a "round $r: forwarded (${NODE_ID[$OTHER_I]} -> owner)" "$OTHER_I"
      fwd50+=("$M_P50") fwd99+=("$M_P99")
    fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
O50=$(median "${own50[@]}") F50=$(median "${fwd50[@]}") O99=$(median "${own99[@]}") F99=$(median "${fwd99[@]}")
ADDED=$(awk -v f="$F50" -v o="$O50" 'BEGIN {printf "%.3f", f - o}')
echo "median p50 forwarded $F50 ms vs owner $O50 ms: +$ADDED ms (ratio $(ratio "$F50" "$O50")); target < 0.5 ms: $(verdict "$ADDED" 0.5 '<')"
echo "median p99 forwarded $F99 ms vs owner $O99 ms: +$(awk -v f="$F99" -v o="$O99" 'BEGIN {printf "%.3f", f - o}') ms"
stop_all

# ------------------------------------------------ (b) 1 node against 3 nodes
# Both clusters run at once (an idle one costs a heartbeat a second), and the
# rounds alternate between them, so that a slow spell of the machine weighs
# on both; the ratio is of the medians.
echo
echo "(b) $CONNECTIONS connections (3 wrk processes), $SESSIONS sessions: one node vs three, $ROUNDS rounds each, alternating"
printf "%-40s %8s %8s %8s %8s %8s\n" scenario "turns/s" "p50" "p99" "µs/turn" "pg µs"
start_cluster one 1
start_cluster three 3
ONE_URL=${NODE_URL[0]} THREE_URLS=("${NODE_URL[@]:1:3}")
ONE_PID=${PIDS[0]} THREE_PIDS=("${PIDS[@]:1:3}")
one=() three=()
for r in $(seq "$ROUNDS"); do
  for which in $( ((r % 2)) && echo "1 3" || echo "3 1"); do
    if [ "$which" = 1 ]; then
      PREFIX=one- CPU_PIDS=("$ONE_PID")
      spread "round $r: 1 node (3 wrk -> n1)" "$ONE_URL" "$ONE_URL" "$ONE_URL"
      one+=("$S_RPS")
    else
      PREFIX=three- CPU_PIDS=("${THREE_PIDS[@]}")
      spread "round $r: 3 nodes (one wrk each, ~2/3 fwd)" "${THREE_URLS[@]}"
      three+=("$S_RPS")
    fi
  done
done
ONE=$(printf "%.0f" "$(median "${one[@]}")") THREE=$(printf "%.0f" "$(median "${three[@]}")")
echo "  1 node: $(per_commit "$ONE_URL"); 3 nodes: $(per_commit "${THREE_URLS[@]}"); PostgreSQL connections of the 3 nodes: $(pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U troupe -d three -Atc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'three' AND pid <> pg_backend_pid()")"
echo "median 3 nodes $THREE turns/s vs 1 node $ONE: ratio $(ratio "$THREE" "$ONE"); target >= 0.7: $(verdict "$(ratio "$THREE" "$ONE")" 0.7 '>=')"
curl -s "${THREE_URLS[0]}/v1/cluster" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("  " + d["node_id"] + ": " + ", ".join(m["node_id"] + " " + str(m["live_sessions"]) + " live" for m in d["members"]))'
stop_all

# ------------------------------------------------ (c) PostgreSQL against SQLite
echo
echo "(c) one node, no cluster: PostgreSQL vs SQLite, $CONNECTIONS connections, $SESSIONS sessions"
hdr
row_c() {  # label storage [flags]
  local label=$1 storage=$2; shift 2
  start_server "$storage" --agents=conf/agents.json "$@"
  BENCH_MODE=pool BENCH_SESSIONS=$SESSIONS BENCH_SESSION_PREFIX=c- \
    wrk -t1 -c"$CONNECTIONS" -d2s -s bench/chat.lua "${NODE_URL[0]}$CHAT" >/dev/null  # the sessions exist
  BENCH_MODE=pool BENCH_SESSIONS=$SESSIONS BENCH_SESSION_PREFIX=c- \
    measure "${PIDS[0]}" -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/chat.lua "${NODE_URL[0]}$CHAT"
  printf "%-40s %8s %7s %7s %6s %5s  %s%s\n" "$label" "$M_RPS" "$M_P50" "$M_P99" "$M_CPU" "$M_CS" \
    "$(per_commit "${NODE_URL[0]}")" "${M_ERR:+  $M_ERR}"
  stop_all
}
row_c "sqlite" "sqlite:$WORK/single.db"
SQLITE=$M_RPS
row_c "postgres" "postgres:$(pg_uri single)"
PGRPS=$M_RPS
echo "PostgreSQL $PGRPS turns/s vs SQLite $SQLITE: ratio $(ratio "$PGRPS" "$SQLITE"); target >= 0.5: $(verdict "$(ratio "$PGRPS" "$SQLITE")" 0.5 '>=')"
# The same PostgreSQL node as a cluster of one (owner claims, fenced writes,
# heartbeats): what cluster mode costs a node by itself.
row_c "postgres, cluster of one node" "postgres:$(pg_uri single1)" --cluster-listen=127.0.0.1:"$(free_port)" --node-id=solo
echo "cluster of one / plain PostgreSQL node: $(ratio "$M_RPS" "$PGRPS")"

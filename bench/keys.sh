#!/usr/bin/env bash
# The cost of user keys on the hot path: chat turns/s with a user key whose
# limits are all set (high enough never to refuse) against the admin token,
# on the same server, in rounds that alternate which goes first (the server
# grows as it stores turns, so a fixed order would favour the first). Prints
# each round, the medians and their ratio (target: key >= 0.9 x admin).
# Env: DURATION (5s), ROUNDS (4), CONNECTIONS (64), WRK_THREADS (1), TROUPE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TROUPE_BIN:-build/troupe}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-4}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
ADMIN=bench-admin-token
source bench/lib.sh
PORT=$(free_port)
URL=http://127.0.0.1:$PORT

"$BIN" --listen=127.0.0.1:$PORT --services=conf/services.json --agents=conf/agents.json \
  --storage=memory --log-level=warn --token=$ADMIN 2>/tmp/troupe-bench-keys.log &
SERVER=$!
FLOOR_PID=
trap 'kill $SERVER $FLOOR_PID 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$URL/ping" >/dev/null && break; sleep 0.1; done
start_floor FLOOR  # each round measures the floor too (bench/floor.cpp)

KEY=$(curl -sf "$URL/v1/keys" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"user_id":"bench-user","rpm":1000000000,"tpm":1000000000000,"max_parallel":100000,
       "token_budget":1000000000000000,"budget_period":"day"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')


# token, session prefix [pid url] → "requests/s server-CPU-µs-per-turn" of one
# wrk run (against Troupe, or the server pid at url). CPU per turn holds up
# better than req/s when other work shares the machine.
rps() {
  local before after out pid=${3:-$SERVER} url=${4:-$URL}
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(BENCH_TOKEN=$1 BENCH_SESSION_PREFIX=$2 BENCH_MODE=pool BENCH_SESSIONS=1000 \
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" -s bench/chat.lua "$url/v1/chat/completions")
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  awk -v ticks=$((after - before)) -v tick_us="$TICK_US" '
    /requests in/ {n = $1} /Requests\/sec/ {r = $2}
    END {printf "%s %.1f\n", r, ticks * tick_us / n}' <<<"$out"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)"
echo "troupe:  $($BIN --version)  wrk: $WRK_THREADS thread(s), $CONNECTIONS connections, $DURATION each, $ROUNDS rounds"
printf "%-8s %12s %12s %14s %14s %12s %12s\n" round "admin req/s" "key req/s" "admin µs/turn" "key µs/turn" "floor req/s" "floor µs/rq"
admin=() keyed=() admin_cpu=() keyed_cpu=() floor=() floor_cpu=()
rps "$ADMIN" warm- >/dev/null  # warm-up: sessions, allocator, caches
for r in $(seq "$ROUNDS"); do
  if ((r % 2)); then
    read -r a ac < <(rps "$ADMIN" "admin-"); read -r k kc < <(rps "$KEY" "key-")
  else
    read -r k kc < <(rps "$KEY" "key-"); read -r a ac < <(rps "$ADMIN" "admin-")
  fi
  read -r f fc < <(rps "$ADMIN" "admin-" "$FLOOR_PID" "$FLOOR_URL")
  admin+=("$a") keyed+=("$k") admin_cpu+=("$ac") keyed_cpu+=("$kc") floor+=("$f") floor_cpu+=("$fc")
  printf "%-8s %12s %12s %14s %14s %12s %12s\n" "$r" "$a" "$k" "$ac" "$kc" "$f" "$fc"
done
A=$(printf '%s\n' "${admin[@]}" | median)
K=$(printf '%s\n' "${keyed[@]}" | median)
AC=$(printf '%s\n' "${admin_cpu[@]}" | median)
KC=$(printf '%s\n' "${keyed_cpu[@]}" | median)
F=$(printf '%s\n' "${floor[@]}" | median)
FC=$(printf '%s\n' "${floor_cpu[@]}" | median)
printf "%-8s %12s %12s %14s %14s %12s %12s\n" median "$A" "$K" "$AC" "$KC" "$F" "$FC"
awk -v a="$A" -v k="$K" -v f="$F" 'BEGIN {printf "admin / floor: %.2f, user key / floor: %.2f (turns/s)\n", a / f, k / f}' 
awk -v a="$A" -v k="$K" 'BEGIN {printf "user key / admin, turns/s: %.3f (target >= 0.9)\n", k / a}'
awk -v a="$AC" -v k="$KC" 'BEGIN {printf "server CPU per turn, user key / admin: %.3f\n", k / a}'
curl -sf "$URL/v1/usage?group_by=key" -H "Authorization: Bearer $ADMIN" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print("turns counted in usage:", d["totals"]["requests"])'

# Shared by the bench scripts (sourced).

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wrk_row NAME WRK-ARGS...: one wrk run, printed as "name req/s p50 p99 [errors]".
# ROW_WIDTH sets the name column (34).
wrk_row() {
  local name=$1; shift
  local out rps p50 p99 errors
  out=$(wrk --latency "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
  printf "%-${ROW_WIDTH:-34}s %12s %10s %10s  %s\n" "$name" "$rps" "$p50" "$p99" "$errors"
}

# ------------------------------------------------------------------ the floor
# bench/floor.cpp (build/troupe_floor): RESTinio + RapidJSON answering Troupe's
# test-provider completion with the same bytes; --actor-hop adds one CAF hop.
# Every scenario prints Troupe next to it, measured in the same run.
FLOOR_BIN=${FLOOR_BIN:-build/troupe_floor}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# start_floor VAR [flags]: starts a floor on a free port; VAR_PID and VAR_URL
# are set (the caller kills VAR_PID; bench scripts list it in their trap).
start_floor() {
  local var=$1 port; shift
  port=$(free_port)
  "$FLOOR_BIN" --listen=127.0.0.1:"$port" "$@" 2>>/tmp/troupe-floor-$$.log &
  printf -v "${var}_PID" %s "$!"
  printf -v "${var}_URL" %s "http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null && return; sleep 0.1; done
  echo "floor did not start" >&2; exit 1
}

# proc_stats PID: "CPU-ticks context-switches" of the process so far (all threads).
proc_stats() {
  local ticks cs
  ticks=$(awk '{print $14 + $15}' "/proc/$1/stat")
  cs=$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}')
  echo "$ticks $cs"
}

# to_ms 845.00us|1.20ms|1.01s → milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) {sub(/us$/, "", v); printf "%.3f", v / 1000}
    else if (v ~ /ms$/) {sub(/ms$/, "", v); printf "%.3f", v}
    else if (v ~ /s$/) {sub(/s$/, "", v); printf "%.3f", v * 1000}
    else printf "%s", v }'
}

# measure PID WRK-ARGS...: one wrk run against the server PID. Sets M_RPS,
# M_P50, M_P99 (ms), M_ERR (non-2xx / socket errors), M_CPU (server CPU µs per
# request) and M_CS (server context switches per request).
measure() {
  local pid=$1 t0 c0 t1 c1 out n; shift
  read -r t0 c0 < <(proc_stats "$pid")
  out=$(wrk --latency "$@")
  read -r t1 c1 < <(proc_stats "$pid")
  M_RPS=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  M_P50=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
  M_P99=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
  M_ERR=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  M_CPU=$(awk -v t=$((t1 - t0)) -v u="$TICK_US" -v n="$n" 'BEGIN {printf "%.1f", n ? t * u / n : 0}')
  M_CS=$(awk -v c=$((c1 - c0)) -v n="$n" 'BEGIN {printf "%.2f", n ? c / n : 0}')
}

compare_header() {
  printf "%-${ROW_WIDTH:-38}s %8s %7s %7s %6s %5s | %8s %7s %7s %6s %5s | %6s %5s\n" \
    scenario "req/s" p50 p99 "µs/req" "cs/rq" "floor/s" p50 p99 "µs/req" "cs/rq" "ratio" "cpu"
}

# compare NAME TROUPE-PID TROUPE-URL FLOOR-PID FLOOR-URL WRK-ARGS...: wrk
# against the floor, then the same against Troupe (URL appended last); one row:
# Troupe's req/s, p50, p99 (ms), server CPU µs and context switches per
# request, the floor's, and Troupe / floor: "ratio" of req/s, "cpu" the
# floor's CPU per request / Troupe's (steadier when other work shares the
# machine). Sets R_RPS, R_P50, F_RPS, F_P50.
compare() {
  local name=$1 tpid=$2 turl=$3 fpid=$4 furl=$5; shift 5
  measure "$fpid" "$@" "$furl"
  F_RPS=$M_RPS F_P50=$M_P50; local f=("$M_RPS" "$M_P50" "$M_P99" "$M_CPU" "$M_CS")
  local ferr=${M_ERR:+floor: $M_ERR}
  measure "$tpid" "$@" "$turl"
  R_RPS=$M_RPS R_P50=$M_P50
  printf "%-${ROW_WIDTH:-38}s %8s %7s %7s %6s %5s | %8s %7s %7s %6s %5s | %6s %5s %s\n" "$name" \
    "$M_RPS" "$M_P50" "$M_P99" "$M_CPU" "$M_CS" "${f[@]}" \
    "$(awk -v a="$M_RPS" -v b="${f[0]}" 'BEGIN {printf "%.2f", b ? a / b : 0}')" \
    "$(awk -v a="$M_CPU" -v b="${f[3]}" 'BEGIN {printf "%.2f", (a > 0) ? b / a : 0}')" "$M_ERR$ferr"
}

# solo_row NAME PID FLOOR-RPS NOTE WRK-ARGS...: Troupe alone, its ratio to a
# floor measured in an earlier row of the same run (NOTE names it).
solo_row() {
  local name=$1 pid=$2 frps=$3 note=$4; shift 4
  measure "$pid" "$@"
  printf "%-${ROW_WIDTH:-38}s %8s %7s %7s %6s %5s | %36s | %6s %s\n" "$name" \
    "$M_RPS" "$M_P50" "$M_P99" "$M_CPU" "$M_CS" "$note" \
    "$(awk -v a="$M_RPS" -v b="$frps" 'BEGIN {printf "%.2f", b ? a / b : 0}')" "$M_ERR"
}

# ------------------------------------------------------------- PostgreSQL
# start_postgres: a PostgreSQL server of its own (Debian's postgresql package),
# as tests/blackbox/postgres.mjs starts one: initdb into a temporary directory
# (as the postgres user when root: PostgreSQL refuses to run as root), pg_ctl
# on a free loopback port, fsync on (the server's defaults). Sets PG_DIR,
# PG_PORT; pg_uri DB and pg_createdb DB; stop_postgres (list it in the trap).
pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
start_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  PG_DIR=$(mktemp -d /tmp/troupe-bench-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
  PG_PORT=$(free_port)
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U troupe -A trust -E UTF8 --locale=C --no-sync >/dev/null
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" start >/dev/null
}
pg_uri() { echo "postgresql://troupe@127.0.0.1:$PG_PORT/$1"; }
pg_createdb() { pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U troupe "$1"; }
stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"; PG_DIR=
}

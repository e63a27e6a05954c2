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

# shellcheck shell=bash
# Shared by scripts/bench.sh and scripts/bench-fleet.sh (sourced, never run).

# Seconds since $1 (an $EPOCHREALTIME), and a/b, both as decimals.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { printf f, (b > 0 ? a / b : 0) }'; }
# Keeps in variable $1 the smaller (min) or larger (max, $3) of itself and $2.
keep() { [ -n "${!1:-}" ] && awk -v a="$2" -v b="${!1}" -v m="${3:-min}" 'BEGIN { exit !(m == "min" ? a >= b : a <= b) }' ||
           printf -v "$1" %s "$2"; }
# "met" or "NOT met": is $1 $2 (">=" or "<=") the target $3?
met() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { printf ((op == ">=" ? v >= t : v <= t) ? "met" : "NOT met") }'; }

# Runs "$0 --inner" under an embedded PostgreSQL with fsync on, in $tmp/pg,
# and sets $status to its exit code. sync-devdb runs in a process group of
# its own (set -m), in the background, so that a signal reaches our traps at
# once: they end that group (sync-devdb ignores it, the work under it
# stops), wait for the cluster to stop, and exit.
run_inner_under_devdb() {
  set -m
  "$bin/sync-devdb" --log-level warning --fsync --dir "$tmp/pg" -- bash "$0" --inner &
  devdb=$!
  set +m
  trap 'stop_inner 130' INT
  trap 'stop_inner 143' TERM
  status=0
  wait "$devdb" || status=$?
  trap - INT TERM
}
stop_inner() { kill -TERM -- "-$devdb" 2>/dev/null || true; wait "$devdb" || true; exit "$1"; }

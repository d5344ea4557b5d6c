#!/usr/bin/env bash
# `make bench`, second part: a fleet of Open WebUI tenants on one node pair,
# on an embedded PostgreSQL with fsync on.
#
# Tenants are made by sync-gen, with all of Open WebUI's tables (~30), half
# in the 0.6.43 schema and half in a 0.6.32 database upgraded to 0.6.43,
# half in WAL and half in DELETE journal mode, edge cases included (so some
# rows sit in quarantine, as in real tenants). Their PostgreSQL tables come
# from Open WebUI's own PostgreSQL DDL (sync-gen --print-ddl postgres).
#
# Figures, each against a baseline measured in the same run:
#   idle tick       `sync-run` over all tenants, nothing changed: time per
#                   tenant, and metadata rows it added (target: 0);
#                   baseline: the first copy of the same tenants.
#   50 changed      a few rows changed in 50 tenants, `sync-run` over all;
#                   baseline: the same change synced by a cluster that
#                   holds only those 50 tenants' twins.
#   crowded         the idle tick again, and /metrics, /health and
#                   /api/v1/cluster/status, after other clusters' metadata
#                   and this cluster's history were added to the database;
#                   baseline: the same before (an otherwise empty database).
#
# Sizes: BENCH_FLEET_TENANTS (500), BENCH_FLEET_CHANGED (50),
# BENCH_CROWD_CLUSTERS (1000), BENCH_CROWD_DEPLOYMENTS (200000 in all),
# BENCH_CROWD_HISTORY (2000000 job rows in all; 50000000 takes about 20 minutes
# and 11 GB here), BENCH_REPEAT (3: best of three).
# Exit: 0, or 1 when a sync-run failed. Targets are printed next to the
# figures; missing one is not a failure.
# shellcheck disable=SC2317  # functions called from traps
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/bench/tools"
tenants=${BENCH_FLEET_TENANTS:-500}
changed=${BENCH_FLEET_CHANGED:-50}
crowd_clusters=${BENCH_CROWD_CLUSTERS:-1000}
crowd_deployments=${BENCH_CROWD_DEPLOYMENTS:-200000}
crowd_history=${BENCH_CROWD_HISTORY:-2000000}
repeat=${BENCH_REPEAT:-3}

# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"

if [ "${1:-}" = "--inner" ]; then
  tmp="$BENCH_TMP" log="$BENCH_TMP/bench.log"
  export PGOPTIONS="-c client_min_messages=warning"
  sql() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
  failures=0
  set -E
  trap 'echo "bench-fleet: failed at line $LINENO; the end of $log:" >&2; tail -n 15 "$log" >&2' ERR

  node_config() {  # cluster, state dir
    mkdir -p "$2"
    cat <<EOF
[node]
cluster = "$1"
state_dir = "$2"
[postgres]
conninfo = "$TENANTSYNC_DEVDB_TCP dbname=postgres user=tenantsync_$1"
password_file = "$tmp/$1.password"
admin_conninfo = ""
[status]
listen = "127.0.0.1:$3"
max_lag = "1h"
EOF
  }
  schema() { "$bin/sync-schema" --config "$tmp/fleet.toml" "$@" >>"$log" 2>&1; }
  node_config fleet "$tmp/state-fleet" 19405 >"$tmp/fleet.toml"
  node_config fifty "$tmp/state-fifty" 19406 >"$tmp/fifty.toml"
  schema apply
  for c in fleet fifty; do schema cluster add "$c" --password-file "$tmp/$c.password"; done

  # Registers tenants $3.. of cluster $1 with prefix $2: their schemas get
  # Open WebUI's PostgreSQL DDL (of the tenant's schema variant), granted by
  # a second add, as an operator would do it.
  register() {
    local cluster=$1 prefix=$2 n=$3 i variant
    for i in $(seq -f %03g "$n"); do schema deployment add "$prefix$i" --cluster "$cluster" --sqlite "$tmp/tenants/$prefix$i.db"; done
    for i in $(seq -f %03g "$n"); do
      variant=$([ $((10#$i % 2)) -eq 0 ] && echo v0643 || echo v0632)
      printf 'SET search_path = "client_%s%s";\n' "$prefix" "$i"
      cat "$tmp/ddl-$variant.sql"
    done | sql >>"$log"
    for i in $(seq -f %03g "$n"); do schema deployment add "$prefix$i" --cluster "$cluster" --sqlite "$tmp/tenants/$prefix$i.db"; done
  }
  echo "bench-fleet: registering $tenants + $changed tenants" >&2
  register fleet t "$tenants"
  register fifty u "$changed"

  # sync-run for cluster $1; sets $took and counts failures.
  run() {
    local t0=$EPOCHREALTIME rc=0
    "$bin/sync-run" --config "$tmp/$1.toml" --no-progress >"$tmp/run.log" 2>&1 || rc=$?
    took=$(since "$t0")
    cat "$tmp/run.log" >>"$log"
    [ "$rc" -eq 0 ] || { failures=$((failures + 1)); echo "bench-fleet: sync-run ($1) exited $rc" >&2; tail -n 5 "$tmp/run.log" >&2; }
  }
  best() { local b=""; for _ in $(seq "$repeat"); do run "$1"; keep b "$took"; done; took=$b; }
  metadata_rows() {
    sql -c "SELECT sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM sync_metadata.%I', tablename), false, true, '')))[1]::text::bigint) FROM pg_tables WHERE schemaname = 'sync_metadata'"
  }
  # One row changed in each of tenants 1..$changed of prefix $1 (a chat's
  # title, with its updated_at bumped, as Open WebUI does).
  change() {
    local i
    for i in $(seq -f %03g "$changed"); do
      sqlite3 -init /dev/null -batch "$tmp/tenants/$1$i.db" \
        "UPDATE chat SET title = title || ' (edited)', updated_at = updated_at + 1 WHERE rowid = (SELECT min(rowid) FROM chat)"
    done
  }

  echo "bench-fleet: first copy" >&2
  run fleet; first=$took
  run fifty
  run fleet  # the file fingerprints settle (a reader created -wal/-shm files)
  rows_before=$(metadata_rows)
  best fleet; idle=$took
  rows_added=$(( $(metadata_rows) - rows_before ))

  echo "bench-fleet: $changed changed tenants" >&2
  change t; run fleet; mixed=$took
  change u; run fifty; alone=$took

  # /metrics, /health and the cluster status: best of $repeat, in seconds.
  status_times() {
    local cfg=$1 port=$2 pid path t b
    "$bin/sync-status" --config "$cfg" >>"$log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break || sleep 0.1; done
    for path in /metrics /health /api/v1/cluster/status; do
      b=""
      for _ in $(seq "$repeat"); do
        t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$path")
        keep b "$t"
      done
      printf '%s ' "$b"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
  }
  port=$((19400 + 5))
  read -r m_empty h_empty s_empty <<<"$(status_times "$tmp/fleet.toml" "$port")"

  echo "bench-fleet: crowding the database: $crowd_clusters clusters, $crowd_deployments deployments, $crowd_history job rows" >&2
  sql >>"$log" <<EOF
INSERT INTO sync_metadata.clusters (cluster_name, role_name)
  SELECT 'crowd' || g, 'crowd_role_' || g FROM generate_series(1, $crowd_clusters) g;
INSERT INTO sync_metadata.client_deployments (cluster_name, name, sqlite_path, target_schema)
  SELECT 'crowd' || (1 + g % $crowd_clusters), 'crowd-' || g, '/srv/crowd/' || g || '/webui.db', 'crowd_' || g
    FROM generate_series(1, $crowd_deployments) g;
INSERT INTO sync_metadata.deployment_state (deployment_id, cluster_name, last_success_at, last_status, runs_succeeded)
  SELECT deployment_id, cluster_name, now(), 'succeeded', 100 FROM sync_metadata.client_deployments
   WHERE name LIKE 'crowd-%';
INSERT INTO sync_metadata.sync_progress (deployment_id, cluster_name, table_name, watermark, rows_total, last_full_at)
  SELECT d.deployment_id, d.cluster_name, t, '1700000000', 10, now()
    FROM sync_metadata.client_deployments d, unnest(ARRAY['chat', 'user', 'message', 'file', 'tag']) t
   WHERE d.name LIKE 'crowd-%';
INSERT INTO sync_metadata.sync_jobs (cluster_name, deployment_id, status, started_at, finished_at, rows_written)
  SELECT d.cluster_name, d.deployment_id, 'succeeded', now() - interval '1 day', now() - interval '1 day', 1
    FROM generate_series(1, $crowd_history) g
    JOIN sync_metadata.client_deployments d ON d.name = 'crowd-' || (1 + g % $crowd_deployments);
INSERT INTO sync_metadata.sync_jobs (cluster_name, deployment_id, status, started_at, finished_at, rows_written)
  SELECT 'fleet', d.deployment_id, 'succeeded', now() - interval '2 days', now() - interval '2 days', 1
    FROM generate_series(1, $crowd_history / 10) g
    JOIN sync_metadata.client_deployments d ON d.name = 't' || lpad((1 + g % $tenants)::text, 3, '0');
INSERT INTO sync_metadata.conflict_log (cluster_name, deployment_id, table_name, row_key, strategy, outcome, resolved_at)
  SELECT d.cluster_name, d.deployment_id, 'chat', jsonb_build_array(g), 'newest_wins', 'source_applied', now()
    FROM generate_series(1, $crowd_history / 10) g
    JOIN sync_metadata.client_deployments d ON d.name = 'crowd-' || (1 + g % $crowd_deployments);
VACUUM ANALYZE;
CHECKPOINT;
EOF
  best fleet; idle_crowded=$took
  read -r m_crowd h_crowd s_crowd <<<"$(status_times "$tmp/fleet.toml" "$port")"

  ms() { div "$1" 0.001 %.1f; }
  per() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.2f", s * 1000 / n }'; }
  echo
  echo "tenantsync fleet benchmark: $(nproc) CPUs, Linux $(uname -r), PostgreSQL $(sql -c 'SHOW server_version' | cut -d ' ' -f 1)" \
       "(embedded, fsync on); $tenants Open WebUI tenants of ~30 tables; best of $repeat"
  echo
  printf '%-52s %12s %14s   %-14s %s\n' figure value baseline target verdict
  line() { printf '%-52s %12s %14s   %-14s %s\n' "$@"; }
  idle_per=$(per "$idle" "$tenants")
  line "idle tick, per tenant" "$idle_per ms" "$(per "$first" "$tenants") ms copy" "<= 2 ms" "$(met "$idle_per" "<=" 2)"
  line "idle tick / first copy (time)" "$(div "$(div "$idle" "$first" %.4f)" 0.01 %.1f) %" "$first s" "-" "idle $idle s for all $tenants"
  line "metadata rows added by an idle tick" "$rows_added" "-" "0" "$(met "$rows_added" "<=" 0)"
  r=$(div "$mixed" "$alone")
  line "$changed changed of $tenants / those $changed alone" "${r}x" "$alone s" "<= 2x" "$(met "$r" "<=" 2): $mixed s"
  r=$(div "$idle_crowded" "$idle")
  line "idle tick, crowded / empty database" "${r}x" "$idle s" "<= 1.1x" "$(met "$r" "<=" 1.1): $idle_crowded s"
  for f in "GET /metrics:$m_empty:$m_crowd" "GET /health:$h_empty:$h_crowd" "GET /api/v1/cluster/status:$s_empty:$s_crowd"; do
    IFS=: read -r name empty crowd <<<"$f"
    line "$name, crowded" "$(ms "$crowd") ms" "$(ms "$empty") ms empty" "<= 50 ms" "$(met "$(ms "$crowd")" "<=" 50)"
  done
  echo "crowded: $crowd_clusters other clusters, $crowd_deployments deployments, $crowd_history of their job rows," \
       "$((crowd_history / 10)) of this cluster's, $((crowd_history / 10)) settled conflicts"
  [ "$failures" -eq 0 ] || { echo "bench-fleet: $failures sync-run failure(s)" >&2; exit 1; }
  exit 0
fi

for f in sync-devdb sync-schema sync-run sync-status sync-gen; do
  [ -x "$bin/$f" ] || { echo "bench-fleet: $bin/$f missing; run make bench" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tenantsync-fleet.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT; trap 'exit 143' TERM
export BENCH_TMP="$tmp"

echo "bench-fleet: generating $tenants + $changed tenants in $tmp" >&2
mkdir "$tmp/tenants"
"$bin/sync-gen" --print-ddl postgres --schema 0.6.43 >"$tmp/ddl-v0643.sql"
"$bin/sync-gen" --print-ddl postgres --schema 0.6.32-upgraded >"$tmp/ddl-v0632.sql"
for v in 0.6.43:v0643 0.6.32-upgraded:v0632; do
  for j in wal:wal delete:delete; do
    "$bin/sync-gen" "$tmp/tenants/template-${v#*:}-${j#*:}.db" --users 4 --chats-per-user 3 --chat-bytes 1500 \
      --schema "${v%%:*}" --journal-mode "${j%%:*}" --log-level warning
  done
done
for prefix in t u; do
  n=$([ "$prefix" = t ] && echo "$tenants" || echo "$changed")
  for i in $(seq -f %03g "$n"); do
    variant=$([ $((10#$i % 2)) -eq 0 ] && echo v0643 || echo v0632)
    mode=$([ $((10#$i % 4)) -lt 2 ] && echo wal || echo delete)
    cp "$tmp/tenants/template-$variant-$mode.db" "$tmp/tenants/$prefix$i.db"
  done
done

run_inner_under_devdb
exit "$status"

#!/usr/bin/env bash
# The main job, run by scripts/run.sh: apply the schema, make sure the local
# cluster's login role exists, register the tenant, vet the role as a node
# would connect, and print what is there.
#
# Embedded mode: sync-devdb has exported PGHOST/PGPORT/PGUSER (admin over the
# Unix socket) and TENANTSYNC_DEVDB_TCP (the server on 127.0.0.1).
set -euo pipefail

bin="$TENANTSYNC_BIN"
cluster="${CLUSTER:-local}"

if [ -n "${TENANTSYNC_CONFIG:-}" ]; then
  config="$TENANTSYNC_CONFIG"
  state="$(mktemp -d)"
  trap 'rm -rf "$state"' EXIT
  password_file=""
else
  state="$TENANTSYNC_STATE"
  config="$state/tenantsync.toml"
  password_file="$state/$cluster.password"
  # Admin: libpq defaults (the socket, as superuser). Node: the cluster's own
  # role over TCP with its password file, exactly as a production node.
  cat >"$config" <<EOF
# Written by make run for the embedded cluster; see config/tenantsync.example.toml.
[node]
cluster = "$cluster"
state_dir = "$state"

[postgres]
conninfo = "$TENANTSYNC_DEVDB_TCP dbname=postgres user=tenantsync_$cluster"
password_file = "$password_file"
admin_conninfo = ""
EOF
fi

step() { printf '\n== %s\n' "$*"; }

step "apply the schema"
"$bin/sync-schema" --config "$config" apply

if [ -n "$password_file" ]; then
  step "cluster $cluster: login role (password in $password_file, mode 0600)"
  "$bin/sync-schema" --config "$config" cluster add "$cluster" --password-file "$password_file" --if-not-exists
fi

# The tenant: the file given, or a generated Open WebUI database (the same
# every time, so a second `make run` finds nothing to copy).
if [ -n "${SQLITE:-}" ]; then
  sqlite_path="$(realpath "$SQLITE")"
  [ -r "$sqlite_path" ] || { echo "run: cannot read SQLITE=$SQLITE" >&2; exit 66; }
  name="${DEPLOYMENT:-$(basename "$(dirname "$sqlite_path")")}"
else
  name="${DEPLOYMENT:-demo}"
  sqlite_path="$state/tenants/$name/webui.db"
  mkdir -p "$(dirname "$sqlite_path")"
  step "generate tenant $name: an Open WebUI 0.6.43 database ($sqlite_path)"
  "$bin/sync-gen" "$sqlite_path" --users "${USERS:-200}" --chats-per-user "${CHATS_PER_USER:-20}"
fi
schema="client_$(echo "$name" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_\n' '_')"

step "register tenant $name ($sqlite_path -> schema $schema)"
"$bin/sync-schema" --config "$config" deployment add "$name" --cluster "$cluster" --sqlite "$sqlite_path"

# Open WebUI creates its own tables when it runs on PostgreSQL; here the
# admin loads the same schema (0.6.43) once. --create-tables then adds any
# table the file has beyond it (a newer Open WebUI, another app's file) from
# the file's own schema, and the grant covers them all.
if [ -z "${TENANTSYNC_CONFIG:-}" ] && [ "$(psql -XAtq -c "SELECT count(*) FROM pg_tables WHERE schemaname = '$schema'")" = 0 ]; then
  step "create Open WebUI's tables in $schema, and any other table $sqlite_path has"
  { echo "SET search_path = \"$schema\";"; "$bin/sync-gen" --print-ddl postgres; } | psql -Xq -v ON_ERROR_STOP=1
  "$bin/sync-schema" --config "$config" deployment add "$name" --cluster "$cluster" --sqlite "$sqlite_path" \
    --create-tables | sed '/^deployment .* has id/d'
fi

step "vet the node's role as sync-run will"
"$bin/sync-schema" --config "$config" check-role

# On a real pair, systemd runs sync-run only when sync-elect exits 0.
step "elect (sync-elect): this node must hold the cluster's lease to write"
"$bin/sync-elect" --config "$config"

step "sync (sync-run --deployment $name --verify)"
"$bin/sync-run" --config "$config" --deployment "$name" --verify || status=$?
status=${status:-0}

step "what landed"
if [ -z "${TENANTSYNC_CONFIG:-}" ]; then
  psql -Xq -c "SELECT table_name, rows_total AS rows_in_source, last_synced_at::timestamp(0) AS synced_at
                 FROM sync_metadata.sync_progress p JOIN sync_metadata.client_deployments d USING (deployment_id)
                WHERE d.name = '$name' ORDER BY rows_total DESC, table_name" \
       -c "SELECT table_name, count(*) AS quarantined, min(reason) AS example_reason
             FROM sync_metadata.quarantine q JOIN sync_metadata.client_deployments d USING (deployment_id)
            WHERE d.name = '$name' AND resolved_at IS NULL GROUP BY 1 ORDER BY 1" \
       -c "SELECT name, last_status, round(lag_seconds) AS lag_s, quarantined_rows, pending_conflicts
             FROM sync_metadata.v_sync_lag"
fi
step "conflicts (sync-resolve list): rows changed on both sides since the last sync"
"$bin/sync-resolve" --config "$config" list --deployment "$name" --limit 20 || true
echo
echo "state: $state (PostgreSQL in $state/pg; password of tenantsync_$cluster in $state/$cluster.password)"
exit "$status"

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

if [ -n "${SQLITE:-}" ]; then
  sqlite_path="$(realpath "$SQLITE")"
  [ -r "$sqlite_path" ] || { echo "run: cannot read SQLITE=$SQLITE" >&2; exit 66; }
  name="${DEPLOYMENT:-$(basename "$(dirname "$sqlite_path")")}"
  step "register tenant $name ($sqlite_path)"
  "$bin/sync-schema" --config "$config" deployment add "$name" --cluster "$cluster" --sqlite "$sqlite_path"
fi

step "vet the node's role as sync-run will"
"$bin/sync-schema" --config "$config" check-role

step "status"
"$bin/sync-schema" --config "$config" status
"$bin/sync-schema" --config "$config" deployment list

#!/usr/bin/env bash
# `make run`: the main job on this machine.
#
# Without CONFIG, it starts an embedded PostgreSQL cluster kept in .run/pg (so
# a second run finds the same data), and runs scripts/main-job.sh against it.
# With CONFIG=/path/tenantsync.toml, it runs the same job against the server
# that file names. SQLITE=/path/webui.db registers that tenant.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/release/tools"
export TENANTSYNC_BIN="$bin"

if [ -n "${CONFIG:-}" ]; then
  [ -r "$CONFIG" ] || { echo "run: cannot read CONFIG=$CONFIG" >&2; exit 78; }
  export TENANTSYNC_CONFIG="$CONFIG"
  exec "$root/scripts/main-job.sh"
fi

state="${TENANTSYNC_RUN_DIR:-$root/.run}"
mkdir -p "$state"
# As root the cluster runs as 'postgres', which must reach the directory; a
# checkout under a private home cannot offer that, so fall back to /var/tmp.
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$state" 2>/dev/null; then
  state="/var/tmp/tenantsync-run"
  mkdir -p "$state"
  chmod 755 "$state"
  echo "run: $root is not reachable by the postgres user; keeping the cluster in $state" >&2
fi
export TENANTSYNC_STATE="$state"
exec "$bin/sync-devdb" --dir "$state/pg" -- "$root/scripts/main-job.sh"

#!/usr/bin/env bash
# Installs the Debian 12 packages tenantsync needs to build, test and run.
# Only packages that are missing are installed; through sudo when not root.
# Usage: scripts/install-deps.sh [--test]
#   --test  also the tools only the tests use: PgBouncer (the transaction-mode
#           pooler test), prometheus (for promtool, which checks /metrics) and
#           chromium (headless, renders sync-status's page; the ci test preset
#           sets TENANTSYNC_REQUIRE_CHROMIUM=1, so it must be here). PgBouncer
#           and prometheus enable a service of their own and Chromium is
#           large, so `make run` does not ask for them; `make test` does.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcli11-dev libpq-dev libsqlite3-dev libpoco-dev libfmt-dev
  libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15 sqlite3 python3
)
if [ "${1:-}" = "--test" ]; then
  packages+=(pgbouncer prometheus chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and not root, no sudo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

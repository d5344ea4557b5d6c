#!/usr/bin/env bash
# `make bench`: how fast sync-run copies, against the obvious alternatives,
# all in one run on an embedded PostgreSQL with fsync on.
#
# For a wide, chat-like table (~2 KB of JSON a row) and a narrow, tag-like one:
#   raw COPY   psql \copy of a CSV exported beforehand (the bar), and the
#              same with default_toast_compression = lz4, as sync-run writes
#              (a reference, not a target);
#   pipeline   sqlite3 -csv … | psql -c "\copy … from stdin csv";
#   sync-run   the initial copy, then a second run with nothing changed;
#              and the initial copy again without conflict detection.
# Then four tenants copied by `sync-run --jobs 4` against the same one by one
# (time, and peak RSS per job), a no-change `sync-run --all` over many small
# tenants, the peak RSS of sync-run (GNU time %M) and the micro-benchmarks
# (tenantsync_bench).
#
# Then the cost of conflict detection: changed rows synced with it and
# without it (detect_conflicts = false, a plain staged merge); and freshness:
# one ordinary tick after 1 % of the wide rows changed in mixed ways, and a
# reconcile of an unchanged tenant, against the full copy.
#
# Sizes: BENCH_WIDE_ROWS (1000000), BENCH_NARROW_ROWS (2000000),
# BENCH_TENANTS (200), BENCH_DETECT_ROWS (200000), BENCH_DETECT_SHARE (20 %),
# BENCH_REPEAT (2: the best of two timings of each load).
# Uses the release binaries of the `bench` preset.
# Exit: 0, or 1 when a sync-run failed or copied the wrong number of rows.
# Targets are printed next to the figures; missing one is not a failure.
# shellcheck disable=SC2154,SC2317  # results are set through keep (printf -v); stop runs from traps
set -euo pipefail
export LC_ALL=C  # a '.' in $EPOCHREALTIME and in printf's numbers

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/bench/tools"
micro="$root/build/bench/tests/bench/tenantsync_bench"
wide_rows=${BENCH_WIDE_ROWS:-1000000}
narrow_rows=${BENCH_NARROW_ROWS:-2000000}
tenants=${BENCH_TENANTS:-200}
detect_rows=${BENCH_DETECT_ROWS:-200000}
detect_share=${BENCH_DETECT_SHARE:-20}  # percent of the rows changed per round
repeat=${BENCH_REPEAT:-2}  # each load timed this many times; the best counts
wide_cols="id, user_id, title, archived, created_at, updated_at, chat"
narrow_cols="id, user_id, n"

# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"

# ---------------------------------------------------------------- inner part
# Runs under sync-devdb (PG* and TENANTSYNC_DEVDB_TCP exported): measures and
# prints the table. $tmp comes from the outer part.
if [ "${1:-}" = "--inner" ]; then
  tmp="$BENCH_TMP" log="$BENCH_TMP/bench.log" config="$BENCH_TMP/node.toml"
  export PGOPTIONS="-c client_min_messages=warning"  # no NOTICEs from DROP … CASCADE
  sql() { psql -XAtq -v ON_ERROR_STOP=1 "$@" >>"$log"; }
  schema() { "$bin/sync-schema" --config "$config" "$@" >>"$log" 2>&1; }
  failures=0 peak_kb=0
  set -E  # the ERR trap in functions too
  trap 'echo "bench: failed at line $LINENO; the end of $log:" >&2; tail -n 15 "$log" >&2' ERR

  # PostgreSQL DDL of a data set's table, in schema $2.
  ddl() {
    case $1 in
      wide) echo "CREATE TABLE $2.chat (id varchar(255) NOT NULL, user_id varchar(255) NOT NULL, title text NOT NULL,
              archived boolean NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, chat json);
            CREATE UNIQUE INDEX ON $2.chat (id);" ;;
      narrow) echo "CREATE TABLE $2.tag (id text PRIMARY KEY, user_id text NOT NULL, n integer NOT NULL);" ;;
    esac
  }
  # An empty scratch.<table>, and a checkpoint so that no earlier write is
  # flushed on the next measurement's time.
  fresh_scratch() { sql -c "DROP SCHEMA IF EXISTS scratch CASCADE" -c "CREATE SCHEMA scratch" -c "$(ddl "$1" scratch)" -c CHECKPOINT; }

  # sync-run under GNU time; sets $took and $rc, keeps the peak RSS, and
  # repeats its warnings and errors (its whole output goes to $log).
  sync_run() { sync_run_with "$config" "$@"; }
  sync_run_with() {
    local t0=$EPOCHREALTIME c=$1
    shift
    rc=0
    /usr/bin/time -f %M -o "$tmp/rss" "$bin/sync-run" --config "$c" --no-progress "$@" >"$tmp/run.log" 2>&1 || rc=$?
    took=$(since "$t0")
    cat "$tmp/run.log" >>"$log"
    grep -E '(warning|error):' "$tmp/run.log" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/bench: sync-run said: /' >&2 || true
    keep peak_kb "$(tail -n 1 "$tmp/rss")" max
    [ "$rc" -eq 0 ] || { failures=$((failures + 1)); echo "bench: sync-run $* exited $rc" >&2; tail -n 15 "$tmp/run.log" >&2; }
  }

  mkdir -p "$tmp/state"
  cat >"$config" <<EOF
[node]
cluster = "bench"
state_dir = "$tmp/state"
[postgres]
conninfo = "$TENANTSYNC_DEVDB_TCP dbname=postgres user=tenantsync_bench"
password_file = "$tmp/bench.password"
admin_conninfo = ""
EOF
  schema apply
  schema cluster add bench --password-file "$tmp/bench.password"
  # The same node without conflict detection (no row versions) on the
  # benchmark's tables: what detection costs.
  plain_config="$tmp/plain.toml"
  { cat "$config"; printf '[tables.chat]\ndetect_conflicts = false\n[tables.tag]\ndetect_conflicts = false\n'; } \
    >"$plain_config"
  pg_version=$(psql -XAtc "SHOW server_version")

  # A new tenant (deployment $1, data set $2, SQLite file $3), so that its
  # first sync is a true initial copy: registered, its table created as
  # admin, granted by a second add; then a CHECKPOINT. drop_tenant undoes it
  # (out of the way of `sync-run --all`, and its disk space back).
  new_tenant() {
    schema deployment add "$1" --cluster bench --sqlite "$3"
    sql -c "$(ddl "$2" "client_$1")"
    schema deployment add "$1" --cluster bench --sqlite "$3"
    sql -c CHECKPOINT
  }
  drop_tenant() { schema deployment remove "$1"; sql -c "DROP SCHEMA client_$1 CASCADE" -c CHECKPOINT; }

  # One data set: name, table, columns, rows. Sets raw_<name>, pipe_<name>,
  # sync_<name>, again_<name> (best seconds of $repeat) and rss_<name> (kB).
  measure() {
    local name=$1 table=$2 cols=$3 rows=$4 db="$tmp/$1.db" csv="$tmp/$1.csv" t0 got r dep
    echo "bench: $name: $rows rows, best of $repeat" >&2
    # Warm-up, not timed: a fresh cluster's first big load also creates its
    # WAL segment files; whichever method ran first would pay for that.
    fresh_scratch "$name"
    psql -Xq -v ON_ERROR_STOP=1 -c "\\copy scratch.$table ($cols) from '$csv' csv" >>"$log"
    for r in $(seq "$repeat"); do
      fresh_scratch "$name"
      t0=$EPOCHREALTIME
      psql -Xq -v ON_ERROR_STOP=1 -c "\\copy scratch.$table ($cols) from '$csv' csv" >>"$log"
      keep "raw_$name" "$(since "$t0")"

      # For reference: sync-run writes large values with lz4, the server's
      # default is pglz; the same raw COPY with lz4 shows what that alone buys.
      fresh_scratch "$name"
      t0=$EPOCHREALTIME
      PGOPTIONS="-c default_toast_compression=lz4" \
        psql -Xq -v ON_ERROR_STOP=1 -c "\\copy scratch.$table ($cols) from '$csv' csv" >>"$log"
      keep "rawlz4_$name" "$(since "$t0")"

      fresh_scratch "$name"
      t0=$EPOCHREALTIME
      sqlite3 -init /dev/null -batch -noheader -csv "$db" "SELECT $cols FROM $table" |
        psql -Xq -v ON_ERROR_STOP=1 -c "\\copy scratch.$table ($cols) from stdin csv" >>"$log"
      keep "pipe_$name" "$(since "$t0")"
      sql -c "DROP SCHEMA scratch CASCADE"

      dep="${name}_$r"
      new_tenant "$dep" "$name" "$db"
      sync_run --deployment "$dep"
      keep "sync_$name" "$took"
      keep "rss_$name" "$(tail -n 1 "$tmp/rss")" max
      got=$(psql -XAtc "SELECT count(*) FROM client_$dep.$table")
      [ "$got" = "$rows" ] || { failures=$((failures + 1)); echo "bench: sync-run copied $got of $rows rows" >&2; }
      sync_run --deployment "$dep"
      keep "again_$name" "$took"
      drop_tenant "$dep"

      # The same initial copy without conflict detection.
      new_tenant "${name}_plain_$r" "$name" "$db"
      sync_run_with "$plain_config" --deployment "${name}_plain_$r"
      keep "plain_$name" "$took"
      drop_tenant "${name}_plain_$r"
    done
  }
  measure wide chat "$wide_cols" "$wide_rows"
  measure narrow tag "$narrow_cols" "$narrow_rows"

  # The cost of conflict detection: the same tenant twice, one with
  # detect_conflicts = false (a plain staged merge, no row versions); the
  # initial copy, then $detect_share of the rows changed at the source and
  # synced, best of $repeat rounds of changes.
  echo "bench: conflict detection: $detect_rows wide rows, ${detect_share}% changed per round" >&2
  for mode in detect plain; do
    cp "$tmp/detect.db" "$tmp/detect_$mode.db"
    new_tenant "d_$mode" wide "$tmp/detect_$mode.db"
  done
  run_mode() { local c=$config; [ "$1" = plain ] && c=$plain_config; sql -c CHECKPOINT; sync_run_with "$c" --deployment "d_$1"; }
  for mode in detect plain; do run_mode "$mode"; keep "copy_$mode" "$took"; done
  for r in $(seq "$repeat"); do
    for mode in detect plain; do
      sqlite3 -init /dev/null -batch "$tmp/detect_$mode.db" \
        "UPDATE chat SET title = title || ' r$r', updated_at = updated_at + 100000 * $r WHERE rowid % 100 < $detect_share"
      run_mode "$mode"
      keep "merge_$mode" "$took"
    done
  done
  for mode in detect plain; do
    [ "$(psql -XAtc "SELECT count(*) FROM client_d_$mode.chat WHERE title LIKE '% r$repeat'")" -gt 0 ] ||
      { failures=$((failures + 1)); echo "bench: d_$mode did not receive the changes" >&2; }
    drop_tenant "d_$mode"
  done

  # Freshness: the wide data set copied, then 1 % of its rows changed in
  # mixed ways (updates that bump updated_at and updates that do not,
  # deletes, inserts with new stamps and with old ones, as an import keeps
  # them). One ordinary tick, timed against the full copy; what it left
  # stale (a --verify run); then a reconcile (--full) of the tenant, once to
  # catch up and once more with nothing changed, timed.
  echo "bench: freshness: $wide_rows wide rows, 1 % changed in mixed ways" >&2
  cp "$tmp/wide.db" "$tmp/mixed.db"
  new_tenant mixed wide "$tmp/mixed.db"
  sync_run --deployment mixed
  fresh_copy=$took
  sqlite3 -init /dev/null -batch "$tmp/mixed.db" "
    UPDATE chat SET title = title || ' bumped', updated_at = updated_at + 1000 WHERE rowid % 500 = 1;
    UPDATE chat SET title = title || ' silent' WHERE rowid % 500 = 2;
    DELETE FROM chat WHERE rowid % 500 = 3;
    INSERT INTO chat (id, user_id, title, archived, created_at, updated_at, chat)
      SELECT id || '-new', user_id, title, archived, created_at, updated_at + 2000, chat FROM chat WHERE rowid % 500 = 4;
    INSERT INTO chat (id, user_id, title, archived, created_at, updated_at, chat)
      SELECT id || '-imported', user_id, title, archived, created_at, 1500000000, chat FROM chat WHERE rowid % 500 = 5;"
  sql -c CHECKPOINT
  sync_run --deployment mixed --log-level debug  # (what the tick spent its time on, in the log)
  fresh_tick=$took
  grep -E 'key ranges|keys in' "$tmp/run.log" | sed 's/^/bench: /' >&2 || true
  "$bin/sync-run" --config "$config" --no-progress --deployment mixed --verify --json >"$tmp/verify.json" 2>>"$log" || true
  fresh_stale=$(grep -o '"missing":[0-9]*,"extra":[0-9]*,"different":[0-9]*' "$tmp/verify.json" |
    awk -F '[:,]' '{ n += $2 + $4 + $6; seen = 1 } END { print seen ? n : "?" }' || true)
  sync_run --deployment mixed --full
  fresh_catch_up=$took
  sync_run --deployment mixed --full
  fresh_reconcile=$took
  drop_tenant mixed

  # Four tenants copied at once (--jobs 4), against the same four one by one
  # (--jobs 1): peak RSS per job, and what parallelism buys on this machine.
  # Kept out of peak_kb, which is the single-job figure.
  echo "bench: 4 tenants of $detect_rows wide rows, --jobs 4 and --jobs 1" >&2
  single_peak_kb=$peak_kb
  for jobs in 4 1; do
    for i in 1 2 3 4; do new_tenant "p${jobs}_$i" wide "$tmp/detect.db"; done
    peak_kb=0
    sync_run --all --jobs "$jobs"
    keep "par_time_$jobs" "$took"
    keep "par_rss_$jobs" "$peak_kb"
    for i in 1 2 3 4; do
      got=$(psql -XAtc "SELECT count(*) FROM client_p${jobs}_$i.chat")
      [ "$got" = "$detect_rows" ] || { failures=$((failures + 1)); echo "bench: --jobs $jobs copied $got of $detect_rows rows" >&2; }
      drop_tenant "p${jobs}_$i"
    done
  done
  peak_kb=$single_peak_kb

  # Many small tenants: register all, create their tables in one go, grant.
  echo "bench: $tenants small tenants" >&2
  for i in $(seq -f %03g "$tenants"); do schema deployment add "t$i" --cluster bench --sqlite "$tmp/tenants/t$i.db"; done
  for i in $(seq -f %03g "$tenants"); do ddl wide "client_t$i"; done | psql -Xq -v ON_ERROR_STOP=1 >>"$log"
  for i in $(seq -f %03g "$tenants"); do schema deployment add "t$i" --cluster bench --sqlite "$tmp/tenants/t$i.db"; done
  sync_run --all
  fleet_first=$took
  sql -c CHECKPOINT
  sync_run --all
  fleet=$took

  # The table.
  mb() { div "$(stat -c %s "$tmp/$1.csv")" 1000000 %.1f; }
  row() { printf '%-8s %9s %8s  %-22s %8s %10s %7s %8s\n' "$@"; }
  echo
  echo "tenantsync benchmark: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)," \
       "Linux $(uname -r), PostgreSQL ${pg_version%% *} (embedded, fsync on);" \
       "load average $(cut -d ' ' -f 1-3 /proc/loadavg); best of $repeat"
  echo
  row "data set" rows "CSV MB" method seconds rows/s MB/s "peak RSS"
  for name in wide narrow; do
    rows_var="${name}_rows" rss_var="rss_$name" raw="raw_$name" pipe="pipe_$name" sync="sync_$name" again="again_$name"
    rows=${!rows_var} size=$(mb "$name") rss="$(div "${!rss_var}" 1024 %.1f) MB"
    plain="plain_$name" rawlz4="rawlz4_$name"
    for m in "raw COPY:${!raw}" "raw COPY, lz4:${!rawlz4}" "pipeline:${!pipe}" "sync-run:${!sync}" \
             "sync-run, no detection:${!plain}"; do
      t=${m#*:}
      row "$name" "$rows" "$size" "${m%%:*}" "$t" "$(div "$rows" "$t" %.0f)" "$(div "$size" "$t" %.1f)" \
        "$([ "${m%%:*}" != sync-run ] || echo "$rss")"
    done
    row "$name" "$rows" "$size" "sync-run, no change" "${!again}" - - ""
  done
  echo
  ratio() { printf '%-38s %8s %8s   %-9s %s\n' "$@"; }
  ratio "" wide narrow target verdict
  # Throughput of the sync-run timings $2_* against the baseline $3_*, for
  # both data sets, with target $4 (a ratio of times, baseline over ours).
  speed() {
    local b w n
    b="${3}_wide" w="${2}_wide"; w=$(div "${!b}" "${!w}")
    b="${3}_narrow" n="${2}_narrow"; n=$(div "${!b}" "${!n}")
    ratio "$1" "${w}x" "${n}x" ">= ${4}x" "wide $(met "$w" ">=" "$4"), narrow $(met "$n" ">=" "$4")"
  }
  speed "sync-run / pipeline (throughput)" sync pipe 1.0
  speed "sync-run / raw COPY (throughput)" sync raw 0.9
  speed "  without detection / pipeline" plain pipe 1.0
  speed "  without detection / raw COPY" plain raw 0.9
  ratio "sync-run / raw COPY, lz4 too (reference)" "$(div "$rawlz4_wide" "$sync_wide")x" \
    "$(div "$rawlz4_narrow" "$sync_narrow")x" "-" "both compress large values with lz4"
  aw=$(div "$again_wide" "$sync_wide" %.4f) an=$(div "$again_narrow" "$sync_narrow" %.4f)
  ratio "no-change re-sync / full copy (time)" "$(div "$aw" 0.01 %.1f) %" "$(div "$an" 0.01 %.1f) %" "<= 2 %" \
    "wide $(met "$aw" "<=" 0.02), narrow $(met "$an" "<=" 0.02)"
  dc=$(div "$copy_detect" "$copy_plain") dm=$(div "$merge_detect" "$merge_plain")
  ratio "initial copy, detection / none (time)" "$(div "$(div "$dc" 0.01 %.4f)" 1 %.0f) %" "" "-" \
    "$copy_detect s vs $copy_plain s ($detect_rows rows)"
  ratio "changed rows, detection / plain merge" "$(div "$(div "$dm" 0.01 %.4f)" 1 %.0f) %" "" "<= 115 %" \
    "$(met "$dm" "<=" 1.15): $merge_detect s vs $merge_plain s ($((detect_rows * detect_share / 100)) rows)"
  ft=$(div "$fresh_tick" "$fresh_copy" %.4f) fr=$(div "$fresh_reconcile" "$fresh_copy" %.4f)
  ratio "1 % mixed changes, one tick / full copy" "$(div "$ft" 0.01 %.1f) %" "" "<= 5 %" \
    "$(met "$ft" "<=" 0.05): $fresh_tick s vs $fresh_copy s; $fresh_stale rows stale after it (silent updates wait for the reconcile)"
  ratio "reconcile, nothing changed / full copy" "$(div "$fr" 0.01 %.1f) %" "" "<= 10 %" \
    "$(met "$fr" "<=" 0.10): $fresh_reconcile s (the catching-up one: $fresh_catch_up s)"
  echo
  printf 'no-change sync-run --all, %s small tenants: %s s total, %s ms per tenant (first copy: %s s)\n' \
    "$tenants" "$fleet" "$(awk -v s="$fleet" -v n="$tenants" 'BEGIN { printf "%.1f", s * 1000 / n }')" "$fleet_first"
  printf 'peak RSS of sync-run, every run above: %s MB (target <= 64 MB: %s)\n' \
    "$(div "$peak_kb" 1024 %.1f)" "$(met "$(div "$peak_kb" 1024)" "<=" 64)"
  per_job=$(div "$par_rss_4" 4096 %.1f)
  printf 'sync-run --jobs 4, 4 tenants of %s wide rows: peak RSS %s MB, %s MB per job (target <= 64 MB: %s);' \
    "$detect_rows" "$(div "$par_rss_4" 1024 %.1f)" "$per_job" "$(met "$per_job" "<=" 64)"
  printf ' %s s, against %s s one by one (%sx)\n' "$par_time_4" "$par_time_1" "$(div "$par_time_1" "$par_time_4")"
  [ "$failures" -eq 0 ] || { echo "bench: $failures sync-run failure(s); see above" >&2; exit 1; }
  exit 0
fi

# ---------------------------------------------------------------- outer part
for f in sync-devdb sync-schema sync-run; do
  [ -x "$bin/$f" ] || { echo "bench: $bin/$f missing; run make bench" >&2; exit 1; }
done
# GNU time for the peak RSS (%M), installed like scripts/install-deps.sh does.
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing time" >&2
  [ "$(id -u)" -eq 0 ] && sudo_cmd=() || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends time
fi

# Everything lives in one directory, removed at exit whatever happens. As
# root the cluster runs as postgres, which must traverse it.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tenantsync-bench.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT; trap 'exit 143' TERM
export BENCH_TMP="$tmp"

# Data sets, generated by SQLite itself (deterministic; no randomness). Ids
# look like Open WebUI's uuids and arrive in no particular order.
echo "bench: generating $wide_rows wide, $narrow_rows narrow rows and $tenants tenants in $tmp" >&2
uuid="printf('%08x-%04x-4%03x-%04x-%012x', (i * 2654435761) % 4294967296, i % 65536, i % 4096, 32768 + i % 16384, i)"
words="the plan for Tuesday covers budget, travel and notes; café meetings at 10, naïve estimates revised, 東京 office"
lorem=$(for k in $(seq 1 16); do printf '%s %d: %s. ' "Step" "$k" "$words"; done)
chat_sql() {  # rows, JSON text length of the assistant's message
  cat <<EOF
PRAGMA synchronous = OFF;
CREATE TABLE chat (id VARCHAR(255) NOT NULL, user_id VARCHAR(255) NOT NULL, title TEXT NOT NULL,
  archived INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, chat JSON);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
INSERT INTO chat SELECT id, printf('%08x-1111-4111-8111-%012x', i % 997, i % 997), 'Chat ' || i || ' about travel',
  i % 10 = 0, c, c + i % 86400,
  '{"id":"' || id || '","title":"Chat ' || i || '","models":["llama3.1:8b"],"params":{},"history":{"currentId":"b'
  || i || '","messages":{"a' || i || '":{"id":"a' || i || '","parentId":null,"childrenIds":["b' || i
  || '"],"role":"user","content":"' || substr(t, 1 + i % 397, 400) || '","timestamp":' || c
  || '},"b' || i || '":{"id":"b' || i || '","parentId":"a' || i || '","childrenIds":[],"role":"assistant","content":"'
  || substr(t, 1 + i % 211, $2) || '","model":"llama3.1:8b","done":true,"timestamp":' || (c + 7)
  || ',"usage":{"eval_count":' || (i % 900) || ',"total_duration":' || (i * 7919 % 100000000)
  || '}}}},"tags":[],"timestamp":' || (c * 1000) || ',"files":[]}'
FROM (SELECT i, $uuid AS id, 1700000000 + i * 3 AS c FROM n), (SELECT '$lorem' AS t);
CREATE UNIQUE INDEX chat_id ON chat (id);
CREATE INDEX chat_updated_at_user_id_idx ON chat (updated_at, user_id);
EOF
}
export_csv() { sqlite3 -init /dev/null -batch -noheader -csv "$tmp/$1.db" "SELECT $3 FROM $2" >"$tmp/$1.csv"; }
chat_sql "$wide_rows" 1150 | sqlite3 -init /dev/null -batch "$tmp/wide.db"
chat_sql "$detect_rows" 1150 | sqlite3 -init /dev/null -batch "$tmp/detect.db"
export_csv wide chat "$wide_cols"
sqlite3 -init /dev/null -batch "$tmp/narrow.db" <<EOF
PRAGMA synchronous = OFF;
CREATE TABLE tag (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, n INTEGER NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $narrow_rows)
INSERT INTO tag SELECT $uuid, printf('user-%04d', i % 1000), i * 7 % 100000 FROM n;
EOF
export_csv narrow tag "$narrow_cols"
mkdir "$tmp/tenants"
chat_sql 40 200 | sqlite3 -init /dev/null -batch "$tmp/tenants/template.db"
for i in $(seq -f %03g "$tenants"); do cp "$tmp/tenants/template.db" "$tmp/tenants/t$i.db"; done

run_inner_under_devdb

echo
echo "micro-benchmarks: $micro --benchmark_min_time=0.1"
"$micro" --benchmark_min_time=0.1 2>&1
exit "$status"

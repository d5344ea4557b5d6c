#include "common/sync/deployment_state.h"

#include <fmt/format.h>

#include "common/schema/migrator.h"

namespace tenantsync {

// Every setting that changes what a sync writes. A new field in these
// structs must be added here, or a changed setting would not end a skip:
// the sizes below stop the build until it is. max_jobs is left out on
// purpose: how many tenants a run syncs at once changes no row.
std::string SyncSettingsFingerprint(const Config& config) {
#if defined(__x86_64__) && defined(__GLIBCXX__)
  static_assert(sizeof(SyncConfig) == 64, "a [sync] setting was added: add it to SyncSettingsFingerprint()");
  static_assert(sizeof(TableConfig) == 56, "a [tables] setting was added: add it to SyncSettingsFingerprint()");
#endif
  const SyncConfig& s = config.sync;
  std::string out = fmt::format("{} sync {} {} {} {} {} {} {} {} {} {} {}", TENANTSYNC_VERSION, s.batch_rows,
                                ToString(s.checkpoint), s.max_delete_share, s.reconcile_every.count(), s.busy_timeout_ms,
                                s.overlap_seconds, s.delete_brake_min_rows, s.max_read_hold_ms,
                                ToString(s.toast_compression), s.deployment_time_budget.count(),
                                config.tables.size());
  for (const auto& [name, t] : config.tables) {
    out += fmt::format("|{} {} {} {} {} {}", Sha256Hex(name), ToString(t.conflict), ToString(t.merge_fallback),
                       t.detect_conflicts, Sha256Hex(t.change_column), ToString(t.deletes));
  }
  return out;
}

std::map<int64_t, DeploymentState> LoadDeploymentStates(PgConn& conn) {
  PgResult r = conn.Exec(
      "SELECT deployment_id, coalesce(skip_key, ''), coalesce(reconcile_due_at <= clock_timestamp(), true)"
      "  FROM sync_metadata.deployment_state WHERE cluster_name = sync_metadata.my_cluster()");
  std::map<int64_t, DeploymentState> out;
  for (int i = 0; i < r.rows(); ++i) {
    out[std::stoll(std::string(r.Get(i, 0)))] = {std::string(r.Get(i, 1)), r.Get(i, 2) == "t"};
  }
  return out;
}

std::string SkipKey(const std::string& file_state, const DeploymentInfo& d, const std::string& settings) {
  if (file_state.empty()) return "";
  return Sha256Hex(fmt::format("{}\n{}\n{}\n{}", d.sqlite_path, d.target_schema, settings, file_state));
}

bool Unchanged(const DeploymentState& state, const std::string& skip_key) {
  return !skip_key.empty() && !state.reconcile_due && state.skip_key == skip_key;
}

void RecordUnchanged(PgConn& conn, const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> text;
  for (int64_t id : ids) text.push_back(std::to_string(id));
  conn.Exec(
      "UPDATE sync_metadata.deployment_state SET last_checked_at = clock_timestamp(),"
      "   last_success_at = clock_timestamp(), last_status = 'succeeded', last_error = NULL,"
      "   runs_succeeded = runs_succeeded + 1"
      " WHERE deployment_id = ANY($1::bigint[])",
      {PgArrayLiteral(text)});
}

void RecordRun(PgConn& conn, const RunRecord& run) {
  const JobCounts& c = run.counts;
  bool ok = run.error.empty();
  std::string id = std::to_string(run.deployment_id);
  // The skip key only when no pass was cut short.
  conn.Exec(
      "INSERT INTO sync_metadata.deployment_state AS s (deployment_id, skip_key, reconcile_due_at,"
      "   last_checked_at, last_success_at, last_status, last_error, runs_succeeded, runs_failed,"
      "   rows_read, rows_written, rows_quarantined, rows_deleted)"
      " SELECT $1::bigint, CASE WHEN $2::text <> '' AND NOT EXISTS (SELECT 1 FROM sync_metadata.sync_progress p"
      "                  WHERE p.deployment_id = $1 AND p.table_name = ANY($3::text[]) AND p.last_key IS NOT NULL)"
      "              THEN $2::text END,"
      "        (SELECT min(p.last_full_at) FROM sync_metadata.sync_progress p"
      "          WHERE p.deployment_id = $1 AND p.table_name = ANY($3::text[])) + make_interval(secs => $4::double precision),"
      "        clock_timestamp(), CASE WHEN $5::boolean THEN clock_timestamp() END,"
      "        CASE WHEN $5 THEN 'succeeded' ELSE 'failed' END, nullif($6::text, ''),"
      "        $5::boolean::int, (NOT $5::boolean)::int, $7::bigint, $8::bigint, $9::bigint, $10::bigint"
      " ON CONFLICT (deployment_id) DO UPDATE SET skip_key = EXCLUDED.skip_key,"
      "   reconcile_due_at = EXCLUDED.reconcile_due_at, last_checked_at = EXCLUDED.last_checked_at,"
      "   last_success_at = coalesce(EXCLUDED.last_success_at, s.last_success_at),"
      "   last_status = EXCLUDED.last_status, last_error = EXCLUDED.last_error,"
      "   runs_succeeded = s.runs_succeeded + EXCLUDED.runs_succeeded,"
      "   runs_failed = s.runs_failed + EXCLUDED.runs_failed, rows_read = s.rows_read + EXCLUDED.rows_read,"
      "   rows_written = s.rows_written + EXCLUDED.rows_written,"
      "   rows_quarantined = s.rows_quarantined + EXCLUDED.rows_quarantined,"
      "   rows_deleted = s.rows_deleted + EXCLUDED.rows_deleted",
      {id, run.skip_key, PgArrayLiteral(run.tables), std::to_string(run.reconcile_every.count()),
       ok ? "true" : "false", run.error, std::to_string(c.rows_read), std::to_string(c.rows_written),
       std::to_string(c.rows_quarantined), std::to_string(c.rows_deleted)});
  bool did_something = !ok || c.rows_written > 0 || c.rows_quarantined > 0 || c.rows_deleted > 0;
  if (!did_something) return;
  conn.Exec(
      "INSERT INTO sync_metadata.sync_jobs (deployment_id, host_id, epoch, status, started_at, finished_at,"
      "   rows_read, rows_written, rows_quarantined, rows_deleted, error)"
      " VALUES ($1, $2, $3, $4, clock_timestamp() - make_interval(secs => $5), clock_timestamp(),"
      "   $6, $7, $8, $9, nullif($10, ''))",
      {id, run.host_id != 0 ? PgParam(std::to_string(run.host_id)) : PgParam(),
       run.epoch != 0 ? PgParam(std::to_string(run.epoch)) : PgParam(), ok ? "succeeded" : "failed",
       fmt::format("{:.6f}", run.seconds), std::to_string(c.rows_read), std::to_string(c.rows_written),
       std::to_string(c.rows_quarantined), std::to_string(c.rows_deleted), run.error});
}

}  // namespace tenantsync

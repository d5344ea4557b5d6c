#pragma once
// One row per deployment (sync_metadata.deployment_state): what lets
// sync-run skip a tenant whose file committed nothing since its last clean
// run, and the running totals /metrics reports. A run that changed nothing
// updates these rows in place, all of them in one statement; sync_jobs gets
// a row only for a run that wrote, quarantined, deleted or failed. So an
// idle fleet adds no metadata rows (docs/sync.md, "No-change runs").

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/pg/conn.h"
#include "common/schema/deployments.h"
#include "common/sync/run_records.h"

namespace tenantsync {

struct DeploymentState {
  std::string skip_key;        // "" = the next run reads
  bool reconcile_due = true;   // a table's periodic whole pass is due
};

// The caller's cluster's rows, in one query, by deployment id.
std::map<int64_t, DeploymentState> LoadDeploymentStates(PgConn& conn);

// The settings that shape a sync ([sync], [tables]) and the tool's version,
// as one string; computed once per run.
std::string SyncSettingsFingerprint(const Config& config);

// What must be equal for a run to be skipped: the source file's fingerprint
// (SqliteFileState), the deployment's paths and SyncSettingsFingerprint().
// "" when the file's fingerprint is unknown (never skip).
std::string SkipKey(const std::string& file_state, const DeploymentInfo& deployment, const std::string& settings);

// True when a run of this deployment would find nothing to do.
bool Unchanged(const DeploymentState& state, const std::string& skip_key);

// Records that these deployments were checked and found unchanged: one
// UPDATE, no new row. Call inside the caller's (fenced) transaction.
void RecordUnchanged(PgConn& conn, const std::vector<int64_t>& deployment_ids);

struct RunRecord {
  int64_t deployment_id = 0;
  int64_t host_id = 0;
  int64_t epoch = 0;
  JobCounts counts;
  std::string error;       // "" = succeeded
  double seconds = 0;
  // The key to skip by next time, or "" when this run left something to
  // redo (an error, a difference found). The database adds its own
  // condition: no pass of these tables in progress.
  std::string skip_key;
  std::vector<std::string> tables;  // the tables this run synced
  std::chrono::seconds reconcile_every{3600};
};

// Adds the run to the deployment's totals and, if it did anything or
// failed, one sync_jobs row. Call inside the caller's (fenced) transaction.
void RecordRun(PgConn& conn, const RunRecord& run);

}  // namespace tenantsync

#pragma once
// What sync-run records in sync_metadata: its host, per-table progress
// (written in the same transaction as the data it covers), and quarantined
// rows. Runs are recorded by deployment_state.h.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/pg/conn.h"
#include "common/sync/source_reader.h"

namespace tenantsync {

struct JobCounts {
  long rows_read = 0;
  long rows_written = 0;
  long rows_quarantined = 0;
  long rows_deleted = 0;
  JobCounts& operator+=(const JobCounts& other);
};

// Upserts this node's row keyed on (hostname, cluster) and heartbeats it;
// returns its host_id, stable across restarts.
int64_t RegisterHost(PgConn& conn, const std::string& hostname, const std::string& version);

struct TableProgress {
  std::optional<int64_t> watermark;  // change-column value fully synced by the last pass
  // A pass that has not finished (a crash, a lease loss): where it stood.
  bool in_pass = false;
  bool pass_full = false;
  int64_t pass_rowid = 0;
  std::string pass_key;  // WITHOUT ROWID tables: the key JSON of the last row read ("" = none yet)
  std::optional<int64_t> pass_since;
  std::optional<int64_t> pass_max;
  // The table's largest rowid when the last complete pass began: incremental
  // passes also read every row above it (new rows, whatever their change
  // value). pass_high: the same, taken when the current pass began.
  std::optional<int64_t> rowid_high;
  std::optional<int64_t> pass_high;
  long rows_total = 0;
  bool full_due = true;  // no full pass yet, or the last is older than reconcile_every
  // The source table's digest (StreamDigest) when the last complete whole
  // pass read it; saved with the progress, "" = unknown.
  std::string source_digest;
  // The source file's SqliteFileState taken before that pass began, "" = unknown.
  std::string source_file_state;
  // The table's key ranges as last read (key_ranges.h), "" = none yet.
  std::string key_ranges;
};

// Every table's progress of a deployment and its open quarantine counts, in
// one query: a changed tenant's 30 tables cost one round trip, not 60.
struct DeploymentProgress {
  std::map<std::string, TableProgress> tables;
  std::map<std::string, long> open_quarantine;
  TableProgress Of(const std::string& table) const;  // none yet: a first pass
  long OpenQuarantine(const std::string& table) const;
};
DeploymentProgress LoadDeploymentProgress(PgConn& conn, int64_t deployment_id, long reconcile_seconds);
void SaveProgress(PgConn& conn, int64_t deployment_id, const std::string& table, const TableProgress& progress,
                  bool pass_finished_full);

// Inserts or refreshes open quarantine entries (one statement).
void QuarantineRows(PgConn& conn, int64_t deployment_id, const std::string& table,
                    const std::vector<RejectedRow>& rows);
// Marks open entries with these keys resolved; returns how many.
long ResolveQuarantine(PgConn& conn, int64_t deployment_id, const std::string& table,
                       const std::vector<std::string>& keys);
std::vector<std::string> OpenQuarantineKeys(PgConn& conn, int64_t deployment_id, const std::string& table);

}  // namespace tenantsync

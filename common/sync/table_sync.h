#pragma once
// One table of one deployment: a resumable pass over the source (changed
// rows, or all of them on a reconcile), written batch by batch, each batch in
// one PostgreSQL transaction that also records the pass's position. A crash
// at any instant loses nothing and duplicates nothing: the next run resumes
// after the last committed batch, and merges are idempotent.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/conflict/batch_conflicts.h"
#include "common/pg/conn.h"
#include "common/pg/txn.h"
#include "common/sqlite/db.h"
#include "common/sync/run_records.h"
#include "common/sync/source_reader.h"
#include "common/sync/table_plan.h"

namespace tenantsync {

// Where a table's pass stands after a batch.
struct BatchProgress {
  const std::string& table;
  const JobCounts& counts;  // of this table, so far in this run
  size_t bytes = 0;         // COPY data sent so far
  int64_t rowid = 0;        // the last rowid read
  int64_t max_rowid = 0;    // the table's largest rowid when the pass began
};

struct SyncContext {
  PgConn& conn;
  SqliteDb& db;
  const Config& config;
  int64_t deployment_id = 0;
  std::string schema;
  bool full = false;     // --full: every table reconciled (whole pass and deletes)
  bool dry_run = false;  // every transaction rolled back
  PgTxnOptions txn;
  ReadLimits limits;
  // Called first in every write transaction (lease fencing); may throw.
  std::function<void(PgConn&)> fence;
  // Called after every batch (progress lines).
  std::function<void(const BatchProgress&)> on_batch;
  int64_t epoch = 0;  // the lease epoch, recorded with each conflict (0: none)
  // SqliteFileState of the source, taken before the read snapshot ("" = unknown).
  std::string source_state;
  // Every table's progress, read once for the deployment (required).
  const DeploymentProgress* progress = nullptr;
  // Past it, a pass stops after its current batch (time_point::max(): never).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct TableReport {
  std::string table;
  JobCounts counts;
  bool reconciled = false;         // a whole pass (and the delete check) ran
  bool initial_copy = false;       // the table was empty when the pass began: nothing to delete
  // A whole pass that wrote and refused nothing, over as many source rows as
  // the target holds: every target key is a source key, so nothing to delete.
  bool same_keys = false;
  // A table compared whole read exactly as the last complete pass did, or
  // an incremental pass whose window held exactly what the last one read:
  // no PostgreSQL work, nothing to delete.
  bool source_unchanged = false;
  // The deadline passed: the pass stopped at a batch boundary, unfinished;
  // the next run resumes it.
  bool cut_short = false;
  std::string delete_brake;        // non-empty: deletes refused, and why
  long quarantine_resolved = 0;
  ConflictTally conflicts;  // new conflicts, by outcome
};

class BatchWriter;

// What RewriteByKey did with each key.
struct KeyedRewrite {
  long written = 0;
  std::vector<std::string> gone;    // the source no longer has the row
  std::vector<std::string> landed;  // converted and merged
  std::vector<RejectedRow> bad;     // did not convert, or PostgreSQL refused it
};

// Reads each key's source row and merges it on its own, inside the caller's
// transaction and BatchWriter::BeginTransaction(): a quarantine retry and
// the cascade re-check. A refused row's reason is `why` followed by
// PostgreSQL's; conflicts met are added to `conflicts`.
KeyedRewrite RewriteByKey(TableReader& reader, BatchWriter& writer, const std::vector<std::string>& keys,
                          const std::string& why, ConflictTally& conflicts);

// Copies what changed (or everything, when reconciling) into the target.
TableReport SyncTable(SyncContext& ctx, const TablePlan& plan);

// Propagates source deletes for a reconciled table, unless they exceed the
// brake; fills report.counts.rows_deleted or report.delete_brake.
void PropagateDeletes(SyncContext& ctx, const TablePlan& plan, TableReport& report);

// After deletes cascaded in PostgreSQL (ON DELETE CASCADE), a table may miss
// rows its source still holds. Writes them again; one whose parent the
// source deleted is refused by the foreign key and quarantined, with a
// reason that says so. So a run that reports ok leaves every source row in
// the target or in quarantine. Returns what it read, wrote and
// quarantined, also added to `report` (nothing under --dry-run).
JobCounts RecheckCascaded(SyncContext& ctx, const TablePlan& plan, TableReport& report);

// Deletes (and rows the target lacks) within one tick, whatever their change
// values: reads the table's keys and compares with PostgreSQL only the key
// ranges that gained or lost rows since the saved ones (key_ranges.h), then
// saves the new ranges. With `compare` false (a reconciled table, whose
// delete check just ran) it only saves them. Under the delete brake it
// writes nothing and sets report.delete_brake.
void CheckKeyRanges(SyncContext& ctx, const TablePlan& plan, TableReport& report, bool compare);

// Rows whose change value is within this many units of the watermark are
// read again; the unit (s, ms, µs, ns) follows the watermark's magnitude.
int64_t OverlapUnits(int64_t watermark, int overlap_seconds);

}  // namespace tenantsync

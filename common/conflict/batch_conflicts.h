#pragma once
// Conflict detection and settlement for one staged batch, set-based: a fixed
// number of statements per batch, none per row (docs/conflicts.md).
//
// sync_metadata.row_versions holds, per row, a digest of the source row the
// sync last accounted for (vs), of the target row it last left (vt), and
// that row's xmin. BatchWriter's guarded upsert has already written the rows
// whose target still has that xmin (nothing to classify); each staged row
// left (digest sh) against its target row (th):
//   th = sh                      nothing to write; versions brought up to date
//   th = vt, sh != vs            the source changed: an ordinary write
//   sh = vs                      the target changed alone, or neither since a
//                                conflict was settled: kept, nothing written
//   otherwise                    both changed (or the row was never seen): a
//                                conflict, settled by the table's strategy
//                                and logged with both images
// A row missing from the target is written. Rows the batch writes record
// their versions in the same statement (BatchWriter). With the capture
// trigger (plan.captured), only staged rows that have a version row are
// classified: the others are exactly as the sync wrote them, and BatchWriter
// has merged them already.

#include <cstdint>
#include <map>
#include <string>

#include "common/config.h"
#include "common/conflict/row_sql.h"
#include "common/pg/conn.h"
#include "common/sync/table_plan.h"

namespace tenantsync {

struct ConflictScope {
  int64_t deployment_id = 0;
  int64_t epoch = 0;             // the lease epoch recorded with each conflict; 0: none
  std::string resolved_by = "sync-run";
};

// New conflicts by outcome: source_applied, target_kept, merged, pending.
using ConflictTally = std::map<std::string, long>;

struct Settlement {
  ConflictTally conflicts;
  long rows_to_write = 0;  // left in the stage for the write
};

class BatchConflicts {
 public:
  // `stage` holds the batch, with the target's column types; `target` is
  // the quoted, qualified target table.
  BatchConflicts(const RowSql& rows, const TablePlan& plan, const std::string& target, const std::string& stage,
                 const ConflictScope& scope);

  // Classifies the staged rows, settles the conflicts and takes out of the
  // stage every row that must not be written (and equal rows). Call after
  // COPY into the stage (and the guarded write, which takes the ordinary
  // rows out); then, if rows are left, the write and AfterWrite.
  Settlement Settle(PgConn& conn);
  // Records the versions of merged rows (their source and written digests differ).
  void AfterWrite(PgConn& conn);

  // Call at the start of every transaction (the hold table, created when
  // first needed, is dropped at commit), and after every rollback to a
  // savepoint (which may have undone its creation).
  void BeginTransaction();
  void AfterRollback() { hold_ready_ = false; }

  bool keep_images() const { return keep_images_; }

 private:
  std::string DecideSql() const;

  const TablePlan& plan_;
  ConflictScope scope_;
  bool keep_images_;
  std::string strategy_;
  std::string json_columns_;  // for merge_rows
  std::string create_hold_sql_, classify_sql_, supersede_sql_, log_sql_, keep_target_sql_, unstage_sql_,
      restage_sql_, merged_versions_sql_;
  bool hold_ready_ = false;  // created in this transaction
  bool hold_dirty_ = false;  // holds rows of an earlier batch in this transaction
  long merged_ = 0;          // merged rows in the last Settle
};

}  // namespace tenantsync

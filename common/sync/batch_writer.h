#pragma once
// Writes one batch of converted rows into a target table, inside the
// caller's transaction: COPY into a temporary staging table (COPY into a
// table with row-level security is refused, and staging keeps the work
// set-based), conflict detection against the rows' recorded versions
// (common/conflict), then one INSERT ... ON CONFLICT that inserts new rows
// and updates only rows that differ. With the table's capture trigger
// (sql/006) only rows another writer touched have versions, and the others
// are merged plainly; without it, every write records its versions. A row
// PostgreSQL refuses (a foreign-key orphan, a value its type rejects) is
// isolated by halving the batch under savepoints; the rest of the batch lands.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/conflict/batch_conflicts.h"
#include "common/conflict/row_sql.h"
#include "common/pg/conn.h"
#include "common/sync/source_reader.h"
#include "common/sync/table_plan.h"

namespace tenantsync {

struct MergeOutcome {
  long written = 0;                                 // rows inserted or changed
  std::vector<std::pair<size_t, std::string>> refused;  // good-row index in the batch, PostgreSQL's reason
  ConflictTally conflicts;                          // new conflicts, by outcome
};

class BatchWriter {
 public:
  BatchWriter(PgConn& conn, const std::string& schema, const TablePlan& plan, const ConflictScope& scope);

  // Call at the start of every transaction (the staging tables are created
  // when first needed, and dropped at commit).
  void BeginTransaction() { stage_ready_ = false; }

  // Stages the batch, settles conflicts, and merges.
  MergeOutcome Merge(const SourceBatch& batch);

  // The first copy into a table that was empty when the pass began: a plain
  // INSERT of the staged rows (or, without conflict detection, COPY straight
  // into it, as fast as a raw COPY). Falls back to Merge for a batch
  // PostgreSQL refuses (a duplicate key, an orphan). Never for a table with
  // row-level security, which refuses COPY FROM.
  MergeOutcome CopyDirect(const SourceBatch& batch);

  // The table has no row versions yet (its initial copy, checked when the
  // pass began): CopyDirect inserts them without looking for old ones.
  void set_versions_fresh(bool fresh) { versions_fresh_ = fresh; }

 private:
  void EnsureStage();
  // Runs a statement whose one row and column is a count of rows.
  long Count(const std::string& sql, const std::vector<PgParam>& params);
  // Runs `work` (adding its rows to `written`) under a savepoint. A failure
  // one bad row can cause rolls back to it and returns PostgreSQL's message;
  // any other failure throws.
  std::optional<std::string> UnderSavepoint(const std::function<long()>& work, long& written);
  // COPY good rows [first, last) into the staging table, settle conflicts
  // (unless `insert_only`) and write; returns the rows written.
  long Stage(const SourceBatch& batch, size_t first, size_t last, bool insert_only, ConflictTally& tally);
  void Isolate(const SourceBatch& batch, size_t first, size_t last, const std::string& reason,
               MergeOutcome& outcome);

  PgConn& conn_;
  RowSql rows_;
  BatchConflicts conflicts_;
  std::string create_stage_sql_;
  std::string copy_sql_;
  bool detect_;             // conflict detection on
  bool captured_;           // ... with the capture trigger: only touched rows have versions
  std::string direct_copy_sql_;  // COPY straight into the target (no detection)
  std::string insert_sql_;  // plain INSERT from the stage, recording versions
  std::string fresh_insert_sql_;  // the same, inserting the versions without ON CONFLICT
  bool versions_fresh_ = false;
  std::string merge_sql_;   // INSERT ... ON CONFLICT, recording versions when detecting
  std::string guarded_sql_;  // the same, only over rows untouched since the sync wrote them
  std::string captured_sql_;  // captured: merges the staged rows with no version row
  std::string versioned_merge_sql_;  // captured: merges the others, recording versions
  std::vector<PgParam> version_params_;  // $1 deployment, $2 table
  bool stage_ready_ = false;  // created in this transaction
  bool stage_dirty_ = false;  // holds rows of an earlier attempt
};

}  // namespace tenantsync

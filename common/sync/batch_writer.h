#pragma once
// Writes one batch of converted rows into a target table, inside the
// caller's transaction: COPY into a temporary staging table (COPY into a
// table with row-level security is refused, and staging keeps the merge
// set-based), then one INSERT ... ON CONFLICT that inserts new rows and
// updates only rows that differ. A row PostgreSQL refuses (a foreign-key
// orphan, a value its type rejects) is isolated by halving the batch under
// savepoints; the rest of the batch lands.

#include <string>
#include <utility>
#include <vector>

#include "common/pg/conn.h"
#include "common/sync/source_reader.h"
#include "common/sync/table_plan.h"

namespace tenantsync {

struct MergeOutcome {
  long written = 0;                                 // rows inserted or changed
  std::vector<std::pair<size_t, std::string>> refused;  // good-row index in the batch, PostgreSQL's reason
};

class BatchWriter {
 public:
  BatchWriter(PgConn& conn, const std::string& schema, const TablePlan& plan);

  // Creates the staging table; call once per transaction, before Merge.
  void BeginTransaction();
  MergeOutcome Merge(const SourceBatch& batch);

 private:
  long Attempt(std::string_view lines, bool stage_may_hold_rows);
  void Isolate(const SourceBatch& batch, size_t first, size_t last, MergeOutcome& outcome);

  PgConn& conn_;
  std::string create_stage_sql_;
  std::string copy_sql_;
  std::string merge_sql_;
};

}  // namespace tenantsync

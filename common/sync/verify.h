#pragma once
// --verify: compares a table's source and target exactly. The source rows are
// converted as a sync would convert them and staged in a temporary table, so
// PostgreSQL itself parses both sides with the same types; then a full join
// on the key finds rows missing from the target, extra in it, or different.
// Rows waiting in quarantine are counted apart, not as differences.

#include <string>
#include <vector>

#include "common/sync/table_sync.h"

namespace tenantsync {

struct TableDiff {
  std::string table;
  long source_rows = 0;  // convertible source rows compared
  long missing = 0;      // in the source, not in the target
  long extra = 0;        // in the target, not in the source
  long different = 0;
  long quarantined = 0;  // in the source, not in the target, but in quarantine
  std::vector<std::string> samples;  // "missing [\"id\"]" ..., at most 10
  bool equal() const { return missing == 0 && extra == 0 && different == 0; }
};

TableDiff VerifyTable(SyncContext& ctx, const TablePlan& plan);

}  // namespace tenantsync

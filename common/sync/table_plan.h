#pragma once
// Matches a deployment's SQLite tables with its target schema, by name:
// which columns travel (and how each converts), the row identity, the change
// column, and everything that does not match (schema drift). Nothing is ever
// skipped silently: every unmatched table or column lands in the report.

#include <string>
#include <vector>

#include "common/config.h"
#include "common/sync/convert.h"
#include "common/sync/source_schema.h"
#include "common/sync/target_catalog.h"

namespace tenantsync {

struct ColumnPlan {
  std::string name;
  int source_index = 0;  // position in SourceTable::columns
  TargetType type;
  bool is_key = false;
};

struct TablePlan {
  std::string name;
  const SourceTable* source = nullptr;
  const TargetTable* target = nullptr;
  std::vector<ColumnPlan> columns;  // target order
  std::vector<size_t> key;          // indexes into columns
  int change = -1;                  // index into columns of the change column, or -1: compared whole
  bool identity_always = false;     // a GENERATED ALWAYS identity column is written
  TableConfig settings;
  // Other writers' changes are captured by the table's trigger (sql/006):
  // a row with no version row is as the sync wrote it (docs/conflicts.md).
  bool captured = false;
};

struct DriftReport {
  std::vector<std::string> source_only_tables;   // not in the target schema: reported, not copied
  std::vector<std::string> target_only_tables;   // nothing to copy into them
  std::vector<std::string> source_only_columns;  // "table.column": not copied
  std::vector<std::string> target_only_columns;  // "table.column": left to their defaults
  std::vector<std::string> refused;              // "table: reason": cannot be copied as is
  bool empty() const;
};

struct SyncPlan {
  std::vector<TablePlan> tables;  // in foreign-key order, parents first
  DriftReport drift;
};

SyncPlan PlanSync(const SourceSchema& source, const TargetCatalog& target, const Config& config);

}  // namespace tenantsync

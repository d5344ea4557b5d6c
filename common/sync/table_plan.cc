#include "common/sync/table_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tenantsync {
namespace {

// Returns "" when the table can be planned, else why not.
std::string PlanTable(const SourceTable& source, const TargetTable& target, const TableConfig& settings,
                      DriftReport& drift, TablePlan& plan) {
  plan.name = target.name;
  plan.source = &source;
  plan.target = &target;
  plan.settings = settings;
  // (A WITHOUT ROWID table has none, and is read in key order instead.)
  if (source.rowid_alias.empty() && !source.without_rowid) {
    return "the SQLite table's rowid is shadowed by columns named rowid, _rowid_ and oid";
  }
  if (target.key.empty()) {
    return "the target table has no primary key and no unique index over NOT NULL columns to identify rows";
  }
  for (const TargetColumn& column : target.columns) {
    if (column.generated) continue;
    auto it = std::find_if(source.columns.begin(), source.columns.end(),
                           [&](const SourceColumn& c) { return c.name == column.name; });
    if (it == source.columns.end()) {
      if (column.not_null && !column.has_default) {
        return fmt::format("target column {} is NOT NULL without a default, and the source has no such column",
                           column.name);
      }
      drift.target_only_columns.push_back(target.name + "." + column.name);
      continue;
    }
    ColumnPlan c;
    c.name = column.name;
    c.source_index = static_cast<int>(it - source.columns.begin());
    c.type = ParseTargetType(column.type);
    c.is_key = std::find(target.key.begin(), target.key.end(), column.name) != target.key.end();
    plan.identity_always = plan.identity_always || column.identity_always;
    plan.columns.push_back(std::move(c));
  }
  for (const std::string& key_column : target.key) {
    auto it = std::find_if(plan.columns.begin(), plan.columns.end(),
                           [&](const ColumnPlan& c) { return c.name == key_column; });
    if (it == plan.columns.end()) return fmt::format("key column {} is missing from the source", key_column);
    plan.key.push_back(static_cast<size_t>(it - plan.columns.begin()));
  }
  for (const SourceColumn& column : source.columns) {
    if (target.Find(column.name) == nullptr) drift.source_only_columns.push_back(source.name + "." + column.name);
  }
  if (!settings.change_column.empty()) {
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      if (plan.columns[i].name == settings.change_column && IsIntegerKind(plan.columns[i].type.kind)) {
        plan.change = static_cast<int>(i);
      }
    }
  }
  return "";
}

}  // namespace

bool DriftReport::empty() const {
  return source_only_tables.empty() && target_only_tables.empty() && source_only_columns.empty() &&
         target_only_columns.empty() && refused.empty();
}

SyncPlan PlanSync(const SourceSchema& source, const TargetCatalog& target, const Config& config) {
  SyncPlan plan;
  std::map<std::string, const SourceTable*> by_name;
  for (const SourceTable& table : source.tables) {
    by_name[table.name] = &table;
    if (!target.tables.count(table.name)) plan.drift.source_only_tables.push_back(table.name);
  }
  for (const std::string& name : target.write_order) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      plan.drift.target_only_tables.push_back(name);
      continue;
    }
    TablePlan table;
    std::string problem = PlanTable(*it->second, target.tables.at(name), config.ForTable(name), plan.drift, table);
    if (problem.empty()) {
      plan.tables.push_back(std::move(table));
    } else {
      plan.drift.refused.push_back(name + ": " + problem);
    }
  }
  return plan;
}

}  // namespace tenantsync

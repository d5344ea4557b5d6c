#include "common/schema/upgrade_tables.h"

#include <fmt/format.h>

#include <set>

#include "common/sync/source_schema.h"
#include "common/sync/target_catalog.h"

namespace tenantsync {
namespace {

// The target tables that --create-tables made.
std::set<std::string> MadeByCreateTables(PgConn& admin, const std::string& schema) {
  PgResult r = admin.Exec(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') = $2",
      {schema, kMadeByCreateTables});
  std::set<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace(r.Get(i, 0));
  return out;
}

void CompareColumns(SqliteDb& source, const PgConn& admin, const std::string& schema, const SourceTable& from,
                    const TargetTable& to, bool ours, SchemaUpgradePlan& plan) {
  std::set<std::string> in_source;
  for (const SourceColumn& column : from.columns) {
    in_source.insert(column.name);
    std::string type = TargetTypeFor(source, from.name, column);
    const TargetColumn* target = to.Find(column.name);
    std::string add = fmt::format("ALTER TABLE {} ADD COLUMN {} {}", admin.QuoteQualified(schema, from.name),
                                  admin.QuoteIdentifier(column.name), type);
    if (target == nullptr && !ours) {
      plan.left_alone.push_back(fmt::format("{}.{}: new in SQLite, but --create-tables did not make {}; add it "
                                            "yourself if wanted: {}",
                                            from.name, column.name, from.name, add));
    } else if (target == nullptr && column.name.size() > kMaxIdentifierBytes) {
      plan.left_alone.push_back(fmt::format("{}.{}: new in SQLite, but the name is longer than PostgreSQL's {} bytes",
                                            from.name, column.name, kMaxIdentifierBytes));
    } else if (target == nullptr) {
      plan.add.push_back({from.name, column.name, type, column.not_null, add});
    } else if (ours && target->type != type) {
      plan.left_alone.push_back(fmt::format("{}.{}: SQLite now declares {:?} ({} by the casting rules); the target "
                                            "column stays {}",
                                            from.name, column.name, column.declared_type, type, target->type));
    }
  }
  for (const TargetColumn& column : to.columns) {
    if (ours && !in_source.count(column.name) && !column.generated) {
      plan.left_alone.push_back(fmt::format("{}.{}: no longer in SQLite; the target column stays ({})", from.name,
                                            column.name,
                                            column.not_null && !column.has_default
                                                ? "NOT NULL without a default: new rows will be quarantined"
                                                : "new rows leave it to its default"));
    }
  }
}

}  // namespace

std::vector<std::string> SchemaUpgradePlan::ChangedTables() const {
  std::set<std::string> tables;
  for (const ColumnAddition& a : add) tables.insert(a.table);
  return {tables.begin(), tables.end()};
}

SchemaUpgradePlan PlanSchemaUpgrade(SqliteDb& source, PgConn& admin, const std::string& target_schema) {
  TargetTablesPlan tables = PlanTargetTables(source, admin, target_schema);
  SchemaUpgradePlan plan;
  plan.create = std::move(tables.create);
  plan.warnings = std::move(tables.warnings);
  SourceSchema schema = ReadSourceSchema(source);
  TargetCatalog catalog = ReadTargetCatalog(admin, target_schema);
  std::set<std::string> ours = MadeByCreateTables(admin, target_schema);
  for (const SourceTable& table : schema.tables) {
    auto target = catalog.tables.find(table.name);
    if (target == catalog.tables.end()) continue;  // new (created above), or not a table
    CompareColumns(source, admin, target_schema, table, target->second, ours.count(table.name) > 0, plan);
  }
  return plan;
}

}  // namespace tenantsync

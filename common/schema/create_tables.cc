#include "common/schema/create_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "common/schema/sqlite_casts.h"

namespace tenantsync {
namespace {

// How many rows of a date/time column are looked at for its storage classes.
constexpr int kSampleRows = 10000;

struct SourceKeys {
  std::vector<std::string> primary_key;             // in key order
  std::vector<std::vector<std::string>> unique_keys;  // full-column, non-partial unique indexes
};

SourceKeys ReadKeys(SqliteDb& db, const std::string& table, std::vector<std::string>* warnings) {
  SourceKeys keys;
  SqliteStmt pk = db.Prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk");
  pk.Bind(1, table);
  while (pk.Step()) keys.primary_key.emplace_back(pk.Text(0));

  SqliteStmt indexes = db.Prepare(
      "SELECT name, partial FROM pragma_index_list(?1) WHERE \"unique\" AND origin <> 'pk' ORDER BY name");
  indexes.Bind(1, table);
  SqliteStmt columns = db.Prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno");
  while (indexes.Step()) {
    std::string index(indexes.Text(0));
    columns.Reset();
    columns.Bind(1, index);
    std::vector<std::string> key;
    bool expression = false;
    while (columns.Step()) {
      if (columns.IsNull(0)) expression = true;
      else key.emplace_back(columns.Text(0));
    }
    if (indexes.Int(1) != 0 || expression) {
      warnings->push_back(fmt::format("{}: unique index {} is {} and is not carried over", table, index,
                                      expression ? "on an expression" : "partial"));
    } else if (key != keys.primary_key &&
               std::find(keys.unique_keys.begin(), keys.unique_keys.end(), key) == keys.unique_keys.end()) {
      keys.unique_keys.push_back(std::move(key));
    }
  }
  return keys;
}

StorageClassesSeen SampleStorageClasses(SqliteDb& db, const std::string& table, const std::string& column) {
  SqliteStmt sample = db.Prepare(fmt::format(
      "SELECT coalesce(max(t = 'integer'), 0), coalesce(max(t = 'real'), 0), coalesce(max(t = 'text'), 0),"
      " coalesce(max(t = 'blob'), 0) FROM (SELECT typeof({}) AS t FROM {} LIMIT {})",
      QuoteSqliteIdentifier(column), QuoteSqliteIdentifier(table), kSampleRows));
  StorageClassesSeen seen;
  if (sample.Step()) seen = {sample.Int(0) != 0, sample.Int(1) != 0, sample.Int(2) != 0, sample.Int(3) != 0};
  return seen;
}

std::string QuotedList(const PgConn& pg, const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + pg.QuoteIdentifier(name);
  return out;
}

std::optional<std::string> TooLongName(const SourceTable& table) {
  if (table.name.size() > kMaxIdentifierBytes) return table.name;
  for (const SourceColumn& column : table.columns) {
    if (column.name.size() > kMaxIdentifierBytes) return column.name;
  }
  return std::nullopt;
}

TableCreation Creation(SqliteDb& db, const PgConn& pg, const std::string& schema, const SourceTable& table,
                       std::vector<std::string>* warnings) {
  SourceKeys keys = ReadKeys(db, table.name, warnings);
  std::string body;
  for (const SourceColumn& column : table.columns) {
    body += fmt::format("{}  {} {}{}", body.empty() ? "" : ",\n", pg.QuoteIdentifier(column.name),
                        TargetTypeFor(db, table.name, column), column.not_null ? " NOT NULL" : "");
  }
  std::string summary = fmt::format("{} columns", table.columns.size());
  if (!keys.primary_key.empty()) {
    body += fmt::format(",\n  PRIMARY KEY ({})", QuotedList(pg, keys.primary_key));
    summary += fmt::format(", primary key ({})", fmt::join(keys.primary_key, ", "));
  }
  for (const std::vector<std::string>& key : keys.unique_keys) {
    body += fmt::format(",\n  UNIQUE ({})", QuotedList(pg, key));
    summary += fmt::format(", unique ({})", fmt::join(key, ", "));
  }
  if (keys.primary_key.empty() && keys.unique_keys.empty()) {
    warnings->push_back(fmt::format("{}: no primary key or unique index; sync-run reports the table until the "
                                    "target has one over NOT NULL columns",
                                    table.name));
  }
  std::string qualified = pg.QuoteQualified(schema, table.name);
  return {table.name, summary, fmt::format("CREATE TABLE {} (\n{}\n)", qualified, body),
          fmt::format("COMMENT ON TABLE {} IS {}", qualified, pg.QuoteLiteral(kMadeByCreateTables))};
}

std::set<std::string> TargetRelations(PgConn& admin, const std::string& schema) {
  PgResult rows = admin.Exec(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
      {schema});
  std::set<std::string> names;
  for (int i = 0; i < rows.rows(); ++i) names.emplace(rows.Get(i, 0));
  return names;
}

}  // namespace

std::string TargetTypeFor(SqliteDb& source, const std::string& table, const SourceColumn& column) {
  StorageClassesSeen seen;
  if (IsDateTimeDeclaration(column.declared_type)) seen = SampleStorageClasses(source, table, column.name);
  return PostgresTypeFor(column.declared_type, seen);
}

TargetTablesPlan PlanTargetTables(SqliteDb& source, PgConn& admin, const std::string& target_schema) {
  SourceSchema schema = ReadSourceSchema(source);
  // SQLite opens a zero-byte file as an empty database: registering it would
  // give a tenant with nothing to sync, and hide a wrong --sqlite path.
  if (schema.tables.empty()) {
    throw Error(ExitCode::kDataErr, fmt::format("sqlite {}: no tables to create the target tables from", source.path()),
                "--sqlite must name the tenant's webui.db after the app has created its tables (a zero-byte or "
                "new file is an empty database)");
  }
  TargetTablesPlan plan;
  std::set<std::string> existing = TargetRelations(admin, target_schema);
  for (const SourceTable& table : schema.tables) {
    if (existing.count(table.name)) {
      plan.existing.push_back(table.name);
    } else if (std::optional<std::string> name = TooLongName(table)) {
      plan.warnings.push_back(fmt::format("{}: not created: the name {:?} is longer than PostgreSQL's {} bytes",
                                          table.name, *name, kMaxIdentifierBytes));
    } else {
      plan.create.push_back(Creation(source, admin, target_schema, table, &plan.warnings));
    }
  }
  return plan;
}

}  // namespace tenantsync

#pragma once
// `sync-schema deployment upgrade NAME`: when a tenant's app adds tables or
// columns to its SQLite file (an Open WebUI upgrade runs its migrations), the
// additions are carried to the target schema by the rules --create-tables
// uses (create_tables.h). Only additions, and columns only in tables that
// --create-tables made (they carry kMadeByCreateTables): a changed type, a
// column gone from SQLite, or a table made by someone else is reported and
// left as it is (docs/create-tables.md, "Upgrades").

#include <string>
#include <vector>

#include "common/pg/conn.h"
#include "common/schema/create_tables.h"
#include "common/sqlite/db.h"

namespace tenantsync {

struct ColumnAddition {
  std::string table;
  std::string column;
  std::string type;              // PostgreSQL type, as SQL
  bool not_null_in_source = false;  // added nullable all the same: rows already in the target have no value yet
  std::string sql;               // ALTER TABLE ... ADD COLUMN ...
};

struct SchemaUpgradePlan {
  std::vector<TableCreation> create;    // tables new in SQLite
  std::vector<ColumnAddition> add;      // columns new in SQLite
  std::vector<std::string> left_alone;  // "table.column: what differs", never applied
  std::vector<std::string> warnings;    // what the table creations could not carry over

  // The tables whose rows need a whole pass to fill what was added.
  std::vector<std::string> ChangedTables() const;
};

// Reads `source` (read-only) and the target schema's catalog.
SchemaUpgradePlan PlanSchemaUpgrade(SqliteDb& source, PgConn& admin, const std::string& target_schema);

}  // namespace tenantsync

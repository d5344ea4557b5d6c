#pragma once
// What a tenant's SQLite file holds: its tables and their columns, read
// through SQLite's own table-valued pragmas with bound names, so a hostile
// table name is data, never SQL.

#include <string>
#include <vector>

#include "common/sqlite/db.h"

namespace tenantsync {

struct SourceColumn {
  std::string name;
  std::string declared_type;  // as written in CREATE TABLE ("DATETIME", "JSON", "")
  bool not_null = false;
};

struct SourceTable {
  std::string name;
  std::vector<SourceColumn> columns;
  bool without_rowid = false;
  // The name under which this table's rowid is reachable ("rowid", "_rowid_"
  // or "oid": the first not shadowed by a column); "" when none is.
  std::string rowid_alias;

  const SourceColumn* Find(const std::string& column) const;
};

struct SourceSchema {
  std::string journal_mode;  // "wal", "delete", ... as PRAGMA journal_mode reports it
  std::vector<SourceTable> tables;  // user tables, by name; sqlite_* internals left out
};

SourceSchema ReadSourceSchema(SqliteDb& db);

// "name" with embedded double quotes doubled.
std::string QuoteSqliteIdentifier(std::string_view name);

}  // namespace tenantsync

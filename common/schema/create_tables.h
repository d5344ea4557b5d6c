#pragma once
// `sync-schema deployment add --create-tables`: the target tables a tenant's
// SQLite file has and its target schema lacks, made from the SQLite schema
// by the rules of sqlite_casts.h. Columns with their types and NOT NULL, the
// primary key and the unique keys are carried over; foreign keys, defaults,
// CHECKs, collations and other indexes are not (docs/create-tables.md).
// Tables that exist are never altered.

#include <string>
#include <vector>

#include "common/pg/conn.h"
#include "common/sqlite/db.h"

namespace tenantsync {

struct TableCreation {
  std::string table;
  std::string summary;  // "9 columns, primary key (id)"
  std::string sql;      // CREATE TABLE "schema"."table" (...)
};

struct TargetTablesPlan {
  std::vector<TableCreation> create;
  std::vector<std::string> existing;  // in the target already: left as they are
  std::vector<std::string> warnings;  // what was not carried over, and why
};

// Reads `source` (read-only, short statements) and the tables of
// `target_schema` (which may not exist yet). A source without tables (such
// as a zero-byte file) is an Error with code 65.
TargetTablesPlan PlanTargetTables(SqliteDb& source, PgConn& admin, const std::string& target_schema);

}  // namespace tenantsync

#pragma once
// `sync-schema deployment add --create-tables`: the target tables a tenant's
// SQLite file has and its target schema lacks, made from the SQLite schema
// by the rules of sqlite_casts.h. Columns with their types and NOT NULL, the
// primary key and the unique keys are carried over; foreign keys, defaults,
// CHECKs, collations and other indexes are not (docs/create-tables.md).
// Tables that exist are never altered here (`deployment upgrade`,
// upgrade_tables.h, adds the columns a tenant's schema gains later).

#include <string>
#include <vector>

#include "common/pg/conn.h"
#include "common/sqlite/db.h"
#include "common/sync/source_schema.h"

namespace tenantsync {

// The comment a created table carries: `deployment upgrade` alters only
// tables that have it.
inline constexpr const char* kMadeByCreateTables = "tenantsync: made from the SQLite schema by --create-tables";

struct TableCreation {
  std::string table;
  std::string summary;  // "9 columns, primary key (id)"
  std::string sql;      // CREATE TABLE "schema"."table" (...)
  std::string mark_sql;  // COMMENT ON TABLE ... IS kMadeByCreateTables
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

// The PostgreSQL type (as SQL) for one source column by the rules of
// sqlite_casts.h; a date/time column's rows are sampled for the storage
// classes they use.
std::string TargetTypeFor(SqliteDb& source, const std::string& table, const SourceColumn& column);

// PostgreSQL cuts longer identifiers to this many bytes (NAMEDATALEN - 1),
// which would break matching by name.
inline constexpr size_t kMaxIdentifierBytes = 63;

}  // namespace tenantsync

#pragma once
// The casting rules of `sync-schema deployment add --create-tables`: the
// PostgreSQL type a target column gets from its SQLite column's declared
// type (docs/create-tables.md has the table and the reasons).
//
// SQLite enforces almost none of what a declaration says, so the rules keep
// every value it can hold: VARCHAR(n) becomes text (n was never checked),
// REAL double precision (SQLite's REAL is 8 bytes), an unknown name text.
// A date/time declaration is the one place the values decide: Open WebUI
// declares chat.created_at DATETIME and stores epoch seconds in it, so a
// column whose values are numbers keeps them as numbers (bigint), as Open
// WebUI's own PostgreSQL schema does, rather than guessing their unit.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace tenantsync {

// The storage classes seen among a column's first values (sampled by the
// caller); all false when the column held no value.
struct StorageClassesSeen {
  bool integer = false;
  bool real = false;
  bool text = false;
  bool blob = false;
};

// True when the declared type names a date or time, the only declarations
// whose sampled values PostgresTypeFor() consults.
bool IsDateTimeDeclaration(std::string_view declared_type);

// The PostgreSQL type, as SQL, for a column declared `declared_type` (as
// written in CREATE TABLE, any case, with or without "(n)").
std::string PostgresTypeFor(std::string_view declared_type, const StorageClassesSeen& seen);

}  // namespace tenantsync

#pragma once
// Applies sql/ migrations in order, each in its own transaction, and records
// version, name and SHA-256 in sync_metadata.schema_migrations. A second apply
// is a no-op; a migration edited after it was applied is refused before
// anything runs; concurrent appliers serialise on the ledger's lock.

#include <optional>
#include <string>
#include <vector>

#include "common/migrations.h"
#include "common/pg/conn.h"

namespace tenantsync {

enum class MigrationState { kApplied, kPending, kEdited, kUnknownToBinary };

struct MigrationStatus {
  int version = 0;
  std::string name;
  std::string checksum;                    // of the embedded text ("" if unknown to this binary)
  std::optional<std::string> applied_at;   // from the ledger
  std::optional<std::string> ledger_checksum;
  MigrationState state = MigrationState::kPending;
};

std::string Sha256Hex(std::string_view text);

// The text without its whole-line "--" comments, each kept line ending in
// "\n": what a comment-only correction of a released migration leaves
// unchanged (see kCommentAmendments in migrator.cc).
std::string CodeOnly(std::string_view sql);

// Compares `migrations` with the ledger; reads only.
std::vector<MigrationStatus> ReadMigrationStatus(PgConn& admin, const std::vector<Migration>& migrations);

// Throws Error (65) naming every edited migration, or a database that has
// migrations this binary does not know (it is older than the schema).
void RefuseDrift(const std::vector<MigrationStatus>& status);

// Applies what is pending; returns the versions applied (empty: nothing to do).
// With dry_run, writes nothing and returns what would be applied.
std::vector<MigrationStatus> ApplyMigrations(PgConn& admin, const std::vector<Migration>& migrations, bool dry_run);

std::string_view ToString(MigrationState state);

}  // namespace tenantsync

#include "common/schema/migrator.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/log.h"
#include "common/pg/txn.h"

namespace tenantsync {
namespace {

constexpr const char* kBootstrap = R"sql(
CREATE SCHEMA IF NOT EXISTS sync_metadata;
CREATE TABLE IF NOT EXISTS sync_metadata.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by text NOT NULL DEFAULT current_user
);
)sql";

bool LedgerExists(PgConn& admin) {
  return admin.ExecOneRow("SELECT to_regclass('sync_metadata.schema_migrations') IS NOT NULL").Get(0, 0) == "t";
}

}  // namespace

std::string Sha256Hex(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string_view ToString(MigrationState state) {
  switch (state) {
    case MigrationState::kApplied: return "applied";
    case MigrationState::kPending: return "pending";
    case MigrationState::kEdited: return "edited";
    case MigrationState::kUnknownToBinary: return "unknown";
  }
  return "?";
}

std::vector<MigrationStatus> ReadMigrationStatus(PgConn& admin, const std::vector<Migration>& migrations) {
  struct LedgerRow {
    std::string name, checksum, applied_at;
  };
  std::map<int, LedgerRow> ledger;
  if (LedgerExists(admin)) {
    PgResult rows = admin.Exec(
        "SELECT version, name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        " FROM sync_metadata.schema_migrations ORDER BY version");
    for (int i = 0; i < rows.rows(); ++i) {
      ledger[std::stoi(std::string(rows.Get(i, 0)))] = {std::string(rows.Get(i, 1)), std::string(rows.Get(i, 2)),
                                                       std::string(rows.Get(i, 3))};
    }
  }
  std::vector<MigrationStatus> out;
  for (const Migration& m : migrations) {
    MigrationStatus s{m.version, std::string(m.name), Sha256Hex(m.sql), std::nullopt, std::nullopt,
                      MigrationState::kPending};
    if (auto it = ledger.find(m.version); it != ledger.end()) {
      s.applied_at = it->second.applied_at;
      s.ledger_checksum = it->second.checksum;
      s.state = it->second.checksum == s.checksum ? MigrationState::kApplied : MigrationState::kEdited;
      ledger.erase(it);
    }
    out.push_back(std::move(s));
  }
  for (auto& [version, row] : ledger) {
    out.push_back({version, row.name, "", row.applied_at, row.checksum, MigrationState::kUnknownToBinary});
  }
  return out;
}

void RefuseDrift(const std::vector<MigrationStatus>& status) {
  std::string edited, unknown;
  for (const MigrationStatus& s : status) {
    if (s.state == MigrationState::kEdited) {
      edited += fmt::format("\n  {} was applied with sha256 {} but is now {}", s.name, *s.ledger_checksum,
                            s.checksum);
    }
    if (s.state == MigrationState::kUnknownToBinary) unknown += fmt::format(" {}", s.name);
  }
  if (!edited.empty()) {
    throw Error(ExitCode::kDataErr, "refusing to migrate: a migration was edited after it was applied:" + edited,
                "never edit an applied migration; add a new sql/NNN_name.sql that makes the change");
  }
  if (!unknown.empty()) {
    throw Error(ExitCode::kDataErr,
                "refusing to migrate: the database has migrations this sync-schema does not know:" + unknown,
                "this binary is older than the schema; install the newer tenantsync");
  }
}

std::vector<MigrationStatus> ApplyMigrations(PgConn& admin, const std::vector<Migration>& migrations, bool dry_run) {
  std::vector<MigrationStatus> status = ReadMigrationStatus(admin, migrations);
  RefuseDrift(status);
  std::vector<MigrationStatus> pending;
  for (const MigrationStatus& s : status)
    if (s.state == MigrationState::kPending) pending.push_back(s);
  if (dry_run || pending.empty()) return pending;

  admin.ExecScript(kBootstrap);
  std::vector<MigrationStatus> applied;
  for (const MigrationStatus& s : pending) {
    const Migration& m = *std::find_if(migrations.begin(), migrations.end(),
                                       [&](const Migration& x) { return x.version == s.version; });
    PgTxn txn(admin);
    // Serialises concurrent appliers; the loser re-checks and skips.
    admin.Exec("LOCK TABLE sync_metadata.schema_migrations IN SHARE ROW EXCLUSIVE MODE");
    PgResult done =
        admin.Exec("SELECT checksum FROM sync_metadata.schema_migrations WHERE version = $1", {std::to_string(m.version)});
    if (done.rows() == 1) {
      if (done.Get(0, 0) != s.checksum) RefuseDrift(ReadMigrationStatus(admin, migrations));
      continue;
    }
    Log(LogLevel::kInfo, "applying migration {}", m.name);
    admin.ExecScript(m.sql);
    admin.Exec("INSERT INTO sync_metadata.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
               {std::to_string(m.version), std::string(m.name), s.checksum});
    txn.Commit();
    applied.push_back(s);
  }
  return applied;
}

}  // namespace tenantsync

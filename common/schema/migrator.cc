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

// Migrations whose comments were corrected after release: a ledger may hold
// the checksum of the text as first applied. It is accepted only while the
// file's SQL, without its comment lines, is still what was applied
// (code_checksum), so this list can never let changed SQL through.
struct CommentAmendment {
  int version;
  std::string_view applied_checksum;  // of the file as first released
  std::string_view code_checksum;     // of CodeOnly() of that file, and of today's
};
constexpr CommentAmendment kCommentAmendments[] = {
    // References to a document outside the project removed from the header.
    {2, "518f439d693a1730edd2e8b0024a75c5849d7e0dc9e438f705570f64cb6f751e",
     "966f1141304a22bbb1b84543babe3fe9ac376a30da2c04e984e22530b128dc73"},
    {4, "1f301ff6e6a9643e7c9f23c3302ced74a6fd56feccae262bf978ace42da12bc2",
     "a573928d294b6ca725759cf0208f68ed345949398920c54c861a425eb1354a66"},
};

// Does the ledger's checksum stand for this migration's SQL?
bool LedgerMatches(const Migration& m, const std::string& ledger_checksum) {
  if (ledger_checksum == Sha256Hex(m.sql)) return true;
  for (const CommentAmendment& a : kCommentAmendments) {
    if (a.version == m.version && ledger_checksum == a.applied_checksum) {
      return Sha256Hex(CodeOnly(m.sql)) == a.code_checksum;
    }
  }
  return false;
}

bool LedgerExists(PgConn& admin) {
  return admin.ExecOneRow("SELECT to_regclass('sync_metadata.schema_migrations') IS NOT NULL").Get(0, 0) == "t";
}

}  // namespace

std::string Sha256Hex(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string CodeOnly(std::string_view sql) {
  std::string out;
  size_t at = 0;
  while (at < sql.size()) {
    size_t end = sql.find('\n', at);
    if (end == std::string_view::npos) end = sql.size();
    std::string_view line = sql.substr(at, end - at);
    size_t text = line.find_first_not_of(" \t");
    if (text == std::string_view::npos || line.substr(text, 2) != "--") {
      out.append(line);
      out += '\n';
    }
    at = end + 1;
  }
  return out;
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
      s.state = LedgerMatches(m, it->second.checksum) ? MigrationState::kApplied : MigrationState::kEdited;
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
      if (!LedgerMatches(m, std::string(done.Get(0, 0)))) RefuseDrift(ReadMigrationStatus(admin, migrations));
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

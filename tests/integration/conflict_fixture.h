#pragma once
// A tenant with two tables for conflict tests: note (a change column,
// updated_at) and label (compared whole), synced with given [tables.*]
// settings, and helpers to edit either side and read the outcome.
#include <fmt/format.h>

#include <string>

#include "common/commands/resolve_command.h"
#include "common/commands/run_command.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {

// note has a change column (updated_at); label is compared whole.
constexpr const char* kSqliteDdl = R"sql(
CREATE TABLE note (id TEXT NOT NULL PRIMARY KEY, title TEXT NOT NULL, body TEXT, meta JSON,
  updated_at BIGINT NOT NULL);
CREATE TABLE label (id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, color TEXT);
INSERT INTO note VALUES ('n1', 'title', 'body', '{"a": 1, "b": 2}', 100);
INSERT INTO note VALUES ('n2', 'second', 'body 2', '{}', 100);
INSERT INTO label VALUES ('l1', 'work', 'red');
INSERT INTO label VALUES ('l2', 'home', 'blue');
)sql";

constexpr const char* kPostgresDdl = R"sql(
CREATE TABLE {schema}.note (id text PRIMARY KEY, title text NOT NULL, body text, meta json, updated_at bigint NOT NULL);
CREATE TABLE {schema}.label (id text PRIMARY KEY, name text NOT NULL, color text);
)sql";

// The instantiations' names: ConflictTest/CaptureTrigger.X, ...
inline std::string ConflictModeName(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "CaptureTrigger" : "VersionsForEveryRow";
}

// Every conflict test runs twice: with the capture trigger sync-run installs
// (the parameter true), and without it, where each written row records its
// versions (a disabled trigger of that name, as an operator might leave,
// keeps sync-run from installing its own).
class ConflictTest : public TenantTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    source_ = tmp_.File("webui.db");
    ExecSqlite(source_, kSqliteDdl);
    AddTenant("acme", source_, kPostgresDdl);
    if (!Captured()) {
      for (const char* table : {"note", "label"}) {
        Target(fmt::format("CREATE TRIGGER tenantsync_capture BEFORE UPDATE ON client_acme.{} FOR EACH ROW"
                           " EXECUTE FUNCTION suppress_redundant_updates_trigger()",
                           table));
        Target(fmt::format("ALTER TABLE client_acme.{} DISABLE TRIGGER tenantsync_capture", table));
      }
    }
  }
  bool Captured() const { return GetParam(); }

  // Syncs with the given [tables.*] settings; the first sync of each test
  // copies the rows and records their versions.
  ExitCode Sync(const std::string& tables_toml, bool full = false) {
    RunOptions options;
    options.progress = false;
    options.full = full;
    return RunSync(NodeConfig(tables_toml), options);
  }
  void Source(const std::string& sql) { ExecSqlite(source_, sql); }
  void Target(const std::string& sql) { Admin().Exec(sql); }
  std::string Row(const std::string& table, const std::string& id, const std::string& columns) {
    return Scalar(fmt::format("SELECT concat_ws('|', {}) FROM client_acme.{} WHERE id = '{}'", columns, table, id));
  }
  std::string Log(const std::string& columns, const std::string& where = "true") {
    return Scalar(fmt::format("SELECT coalesce(string_agg(concat_ws('|', {}), E'\\n' ORDER BY conflict_id), '')"
                              " FROM sync_metadata.conflict_log WHERE {}",
                              columns, where));
  }

  std::string Logged() { return Scalar("SELECT count(*) FROM sync_metadata.conflict_log"); }
  // "key true" per quarantined row whose reason names `constraint`, "key false" otherwise.
  std::string QuarantinedFor(const std::string& constraint) {
    return Scalar(fmt::format("SELECT string_agg((row_key->>0) || ' ' || (reason LIKE '%{}%')::text, ',')"
                              " FROM sync_metadata.quarantine",
                              constraint));
  }

  // The same row changed on both sides: the source retitles it, the target
  // rewrites its body; each stamps updated_at.
  void EditBoth(int source_stamp, int target_stamp) {
    Source(fmt::format("UPDATE note SET title = 'source title', updated_at = {} WHERE id = 'n1'", source_stamp));
    Target(fmt::format("UPDATE client_acme.note SET body = 'target body', updated_at = {} WHERE id = 'n1'",
                       target_stamp));
  }

  ExitCode Resolve(const std::string& tables_toml, const ResolveOptions& options) {
    return RunResolve(NodeConfig(tables_toml), options);
  }
  // The id of the only pending conflict.
  int64_t PendingId() {
    return std::stoll(Scalar("SELECT conflict_id FROM sync_metadata.conflict_log WHERE outcome = 'pending'"));
  }

  std::string source_;
};

}  // namespace tenantsync::testing

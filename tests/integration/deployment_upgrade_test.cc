// `sync-schema deployment upgrade`: a tenant whose app added tables and
// columns to its SQLite file (as an Open WebUI upgrade does) gets them in
// its target schema, by the --create-tables rules, and the next sync-run
// fills them; what is not an addition, or not in a table --create-tables
// made, is reported and left alone. Through the real binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/commands/run_command.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

class DeploymentUpgradeTest : public TenantTest {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    source_ = tmp_.File("webui.db");
    ExecSqlite(source_, R"sql(
      CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT NOT NULL, legacy TEXT, updated_at BIGINT NOT NULL);
      CREATE TABLE label (id TEXT PRIMARY KEY, color TEXT);
      CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT);
      INSERT INTO chat VALUES ('c1', 'first', 'old', 100), ('c2', 'second', NULL, 100);
      INSERT INTO label VALUES ('l1', 'red');
      INSERT INTO note VALUES ('n1', 'body');
    )sql");
    // note is the operator's own table; the others --create-tables makes.
    Admin().ExecScript("CREATE SCHEMA client_acme; CREATE TABLE client_acme.note (id text PRIMARY KEY, body text)");
    ProcessResult added = SyncSchema({"deployment", "add", "acme", "--cluster", cluster_, "--sqlite", source_,
                                      "--create-tables"});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  ProcessResult SyncSchema(std::vector<std::string> args) {
    std::string config = tmp_.File("admin.toml");
    WriteFile(config, fmt::format("[postgres]\nadmin_conninfo = \"{}\"\n", AdminConninfo()), 0644);
    args.insert(args.begin(), {SYNC_SCHEMA_BIN, "--config", config});
    return RunProcess(args);
  }
  ExitCode Sync(bool verify = false) {
    RunOptions o;
    o.progress = false;
    o.verify = verify;
    return RunSync(NodeConfig(), o);
  }
  // "name type" of a target table's columns, in order.
  std::string Columns(const std::string& table) {
    return Scalar(fmt::format(
        "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)"
        " FROM pg_attribute WHERE attrelid = 'client_acme.{}'::regclass AND attnum > 0 AND NOT attisdropped",
        table));
  }

  std::string source_;
};

TEST_F(DeploymentUpgradeTest, AddsWhatTheSqliteSchemaGainedAndReportsTheRest) {
  ASSERT_EQ(Sync(), ExitCode::kOk);
  // The app upgrades in place: columns added (with defaults, as SQLite
  // requires for NOT NULL), one dropped, a type changed by rebuilding the
  // table (as Alembic's batch mode does), a new table.
  ExecSqlite(source_, R"sql(
    ALTER TABLE chat ADD COLUMN meta JSON NOT NULL DEFAULT '{}';
    ALTER TABLE chat ADD COLUMN archived BOOLEAN NOT NULL DEFAULT 0;
    ALTER TABLE chat ADD COLUMN pinned_at DATETIME;
    ALTER TABLE chat DROP COLUMN legacy;
    UPDATE chat SET meta = '{"tags": ["x"]}', archived = 1, pinned_at = '2025-01-02 03:04:05' WHERE id = 'c1';
    CREATE TABLE label_new (id TEXT PRIMARY KEY, color INTEGER);
    INSERT INTO label_new SELECT * FROM label;
    DROP TABLE label;
    ALTER TABLE label_new RENAME TO label;
    ALTER TABLE note ADD COLUMN pinned BOOLEAN;
    CREATE TABLE tag (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    INSERT INTO tag VALUES ('t1', 'work');
  )sql");
  ASSERT_EQ(Sync(), ExitCode::kOk);  // the drift is reported; what matches still syncs
  std::string before = Columns("chat");

  ProcessResult dry = SyncSchema({"deployment", "upgrade", "acme", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would create table client_acme.tag from the SQLite schema: 2 columns, primary key (id)"),
            std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("would add column client_acme.chat.meta json (NOT NULL in SQLite; added without NOT NULL"),
            std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("would add column client_acme.chat.archived boolean (NOT NULL"), std::string::npos);
  EXPECT_NE(dry.out.find("would add column client_acme.chat.pinned_at timestamp without time zone\n"),
            std::string::npos);
  EXPECT_NE(dry.out.find("would have the next sync-run pass chat whole"), std::string::npos);
  EXPECT_NE(dry.out.find("dry run: nothing was written"), std::string::npos);
  // Not additions, or not tenantsync's table: said, never applied.
  EXPECT_NE(dry.err.find("left alone: label.color: SQLite now declares \"INTEGER\" (bigint by the casting rules);"
                         " the target column stays text"),
            std::string::npos)
      << dry.err;
  EXPECT_NE(dry.err.find("left alone: chat.legacy: no longer in SQLite; the target column stays"), std::string::npos);
  EXPECT_NE(dry.err.find("left alone: note.pinned: new in SQLite, but --create-tables did not make note; add it "
                         "yourself if wanted: ALTER TABLE \"client_acme\".\"note\" ADD COLUMN \"pinned\" boolean"),
            std::string::npos);
  EXPECT_EQ(Columns("chat"), before);
  EXPECT_EQ(Scalar("SELECT to_regclass('client_acme.tag') IS NULL"), "t");

  ProcessResult done = SyncSchema({"deployment", "upgrade", "acme"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(Columns("chat"),
            "id text, title text, legacy text, updated_at bigint, meta json, archived boolean,"
            " pinned_at timestamp without time zone");
  EXPECT_EQ(Columns("label"), "id text, color text");
  EXPECT_EQ(Columns("note"), "id text, body text");
  EXPECT_EQ(Columns("tag"), "id text, name text");

  // The next run fills the new columns of the rows copied before (their
  // stamps did not move) and copies the new table; --verify agrees.
  ASSERT_EQ(Sync(true), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT string_agg(concat_ws('|', id, meta::text, archived, pinned_at), ',' ORDER BY id)"
                   " FROM client_acme.chat"),
            R"(c1|{"tags": ["x"]}|t|2025-01-02 03:04:05,c2|{}|f)");
  EXPECT_EQ(Scalar("SELECT name FROM client_acme.tag"), "work");

  ProcessResult again = SyncSchema({"deployment", "upgrade", "acme"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("deployment acme: nothing to add"), std::string::npos) << again.out;
  ProcessResult unknown = SyncSchema({"deployment", "upgrade", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no enabled deployment named 'nobody'"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace tenantsync::testing

// `sync-schema deployment add --create-tables`: target tables made from the
// SQLite schema, then synced. Checked against Open WebUI's own PostgreSQL
// schema (same names, the documented type differences only), by a sync
// with --verify, and on hostile names through the real binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "common/commands/run_command.h"
#include "common/gen/openwebui_generator.h"
#include "common/schema/deployments.h"
#include "common/sqlite/db.h"
#include "common/sync/source_schema.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

class CreateTablesTest : public TenantTest {
 protected:
  ExitCode Sync(bool verify) {
    RunOptions o;
    o.verify = verify;
    o.progress = false;
    return RunSync(NodeConfig(), o);
  }

  ProcessResult SyncSchema(std::vector<std::string> args) {
    std::string config = tmp_.File("admin.toml");
    WriteFile(config, fmt::format("[postgres]\nadmin_conninfo = \"{}\"\n", AdminConninfo()), 0644);
    args.insert(args.begin(), {SYNC_SCHEMA_BIN, "--config", config});
    return RunProcess(args);
  }

  long SourceRows(const std::string& path, const std::string& table) {
    SqliteDb db = SqliteDb::OpenReadOnly(path, 1000);
    SqliteStmt count = db.Prepare(fmt::format("SELECT count(*) FROM {}", QuoteSqliteIdentifier(table)));
    count.Step();
    return static_cast<long>(count.Int(0));
  }
};

class CreateOpenWebuiTablesTest : public CreateTablesTest, public ::testing::WithParamInterface<gen::WebuiSchema> {};

TEST_P(CreateOpenWebuiTablesTest, TablesFromTheSqliteSchemaTakeEveryRow) {
  std::string source = tmp_.File("webui.db");
  gen::GenOptions options;
  options.out_path = source;
  options.users = 12;
  options.chats_per_user = 4;
  options.schema = GetParam();
  gen::GenerateOpenWebuiDb(options);
  {
    PgConn admin = Admin();
    AddDeployment(admin, {"acme", cluster_, source, "client_acme", false, /*create_tables=*/true}, nullptr);
    // Open WebUI's own PostgreSQL tables, to compare the created ones with.
    admin.ExecScript("CREATE SCHEMA reference; SET search_path = reference;\n" +
                     gen::OpenWebuiDdl(gen::SqlDialect::kPostgres, GetParam()) + "\nRESET search_path;");
  }
  auto columns = [](const char* schema) {
    return fmt::format(
      "SELECT table_name, column_name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull"
      " FROM information_schema.columns c JOIN pg_attribute a"
      " ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name"
      " WHERE c.table_schema = '{}'", schema);
  };
  // Same tables and columns as Open WebUI's; the types differ only where
  // docs/create-tables.md says: VARCHAR(n) → text (SQLite never checked n),
  // INTEGER → bigint (SQLite integers are 64-bit), and so the four booleans
  // that Open WebUI's peewee-era tables declare INTEGER stay numbers.
  EXPECT_EQ(Scalar(fmt::format("SELECT string_agg(format('%s.%s: %s %s', r.table_name, r.column_name, r.type, c.type),"
                               " ', ' ORDER BY r.table_name, r.column_name) FROM ({}) r FULL JOIN ({}) c"
                               " USING (table_name, column_name) WHERE c.type IS DISTINCT FROM r.type"
                               " AND NOT ((r.type LIKE 'character varying%' OR r.type = 'text') AND c.type = 'text')"
                               " AND NOT (r.type = 'integer' AND c.type = 'bigint')",
                               columns("reference"), columns("client_acme"))),
            "auth.active: boolean bigint, chat.archived: boolean bigint, function.is_active: boolean bigint, "
            "function.is_global: boolean bigint");
  // The DATETIME column holding epoch seconds keeps them; DATETIME text is a timestamp.
  EXPECT_EQ(Scalar("SELECT string_agg(format('%s.%s %s', table_name, column_name, data_type), ', '"
                   " ORDER BY table_name, column_name) FROM information_schema.columns"
                   " WHERE table_schema = 'client_acme' AND column_name IN ('created_at', 'migrated_at')"
                   " AND table_name IN ('chat', 'config', 'migratehistory')"),
            "chat.created_at bigint, config.created_at timestamp without time zone, migratehistory.migrated_at "
            "timestamp without time zone");
  // The keys sync-run identifies rows by: user's is a primary key on 0.6.43
  // and only a unique index on an upgraded 0.6.32.
  EXPECT_EQ(Scalar("SELECT string_agg(contype::text, '') FROM pg_constraint WHERE conrelid = 'client_acme.\"user\"'"
                   "::regclass AND contype IN ('p', 'u')"),
            GetParam() == gen::WebuiSchema::kV0643 ? "p" : "u");

  ASSERT_EQ(Sync(/*verify=*/true), ExitCode::kOk);
  // Without foreign keys or varchar limits, only what PostgreSQL text
  // cannot hold is quarantined.
  EXPECT_EQ(Scalar("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM sync_metadata.quarantine"),
            "memory,message");
  PgConn admin = Admin();
  PgResult tables = admin.Exec("SELECT table_name FROM information_schema.tables WHERE table_schema = 'client_acme'");
  ASSERT_EQ(tables.rows(), 31);
  for (int i = 0; i < tables.rows(); ++i) {
    std::string table(tables.Get(i, 0));
    long landed = std::stol(Scalar(fmt::format("SELECT count(*) FROM client_acme.{}", admin.QuoteIdentifier(table))));
    long waiting = std::stol(
        Scalar(fmt::format("SELECT count(*) FROM sync_metadata.quarantine WHERE table_name = '{}'", table)));
    EXPECT_EQ(landed + waiting, SourceRows(source, table)) << table;
  }
}

INSTANTIATE_TEST_SUITE_P(, CreateOpenWebuiTablesTest,
                         ::testing::Values(gen::WebuiSchema::kV0643, gen::WebuiSchema::kV0632Upgraded),
                         [](const ::testing::TestParamInfo<gen::WebuiSchema>& p) {
                           return p.param == gen::WebuiSchema::kV0643 ? "v0643" : "v0632upgraded";
                         });

TEST_F(CreateTablesTest, HostileNamesExistingTablesAndADryRun) {
  std::string source = tmp_.File("odd.db");
  std::string long_name(70, 'x');
  ExecSqlite(source, fmt::format(R"sql(
    CREATE TABLE "we""ird; DROP TABLE x; --" ("ïd ""q""" VARCHAR(3) PRIMARY KEY, "v;al" NUMERIC(10,2), at DATETIME,
                                             flag BOOLEAN NOT NULL, blob BLOB, anything);
    INSERT INTO "we""ird; DROP TABLE x; --" VALUES ('longer than 3', 12.5, '2025-01-02 03:04:05.5', 1, x'00ff', 7),
                                                   ('b', NULL, NULL, 0, NULL, 'text');
    CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT NOT NULL, c REAL, PRIMARY KEY (a, b));
    CREATE UNIQUE INDEX pairs_c ON pairs (c) WHERE c > 0;
    INSERT INTO pairs VALUES (1, 'x', 1.25);
    CREATE TABLE keyless (v TEXT);
    CREATE TABLE "{}" (id TEXT PRIMARY KEY);
    CREATE TABLE kept (id TEXT PRIMARY KEY, note TEXT);
    INSERT INTO kept VALUES ('k', 'from the source');
  )sql",
                                 long_name));
  Admin().ExecScript(
      "CREATE SCHEMA client_odd; CREATE TABLE client_odd.kept (id text PRIMARY KEY, note varchar(40))");

  std::vector<std::string> add{"deployment", "add", "odd", "--cluster", cluster_, "--sqlite", source, "--create-tables"};
  std::vector<std::string> dry = add;
  dry.push_back("--dry-run");
  ProcessResult planned = SyncSchema(dry);
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  // The DDL is shown, names quoted; nothing is written.
  EXPECT_NE(planned.out.find("CREATE TABLE \"client_odd\".\"we\"\"ird; DROP TABLE x; --\" (\n"
                             "  \"ïd \"\"q\"\"\" text,\n"
                             "  \"v;al\" numeric(10,2),\n"
                             "  \"at\" timestamp without time zone,\n"
                             "  \"flag\" boolean NOT NULL,\n"
                             "  \"blob\" bytea,\n"
                             "  \"anything\" text,\n"
                             "  PRIMARY KEY (\"ïd \"\"q\"\"\")\n)"),
            std::string::npos)
      << planned.out;
  EXPECT_NE(planned.out.find("would leave the 1 table(s) already in client_odd as they are"), std::string::npos);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'client_odd'"), "1");
  // What cannot be carried over is said, table by table.
  EXPECT_NE(planned.err.find("pairs: unique index pairs_c is partial and is not carried over"), std::string::npos)
      << planned.err;
  EXPECT_NE(planned.err.find("keyless: no primary key or unique index"), std::string::npos);
  EXPECT_NE(planned.err.find("longer than PostgreSQL's 63 bytes"), std::string::npos);

  ProcessResult added = SyncSchema(add);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(Scalar("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = "
                   "'client_odd'"),
            "kept,keyless,pairs,we\"ird; DROP TABLE x; --");
  EXPECT_EQ(Scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                   "'client_odd.kept'::regclass AND attname = 'note'"),
            "character varying(40)");  // the existing table, untouched

  // sync-run copies them; the keyless table and the one too long to name
  // are reported, not skipped silently.
  ProcessResult run = RunProcess({SYNC_RUN_BIN, "--config", WriteNodeConfig(), "--json", "--no-progress"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(fmt::format("\"source_only_tables\":[\"{}\"]", long_name)), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"refused_tables\":[\"keyless: the target table has no primary key"), std::string::npos)
      << run.out;
  EXPECT_NE(run.err.find(fmt::format("table={}: not in the target schema; not copied", long_name)), std::string::npos)
      << run.err;
  std::ifstream metrics(StateDir() + "/metrics/sync-run-odd.prom");
  std::string text((std::istreambuf_iterator<char>(metrics)), {});
  for (const char* series : {"{deployment=\"odd\",reason=\"table_not_in_target\"} 1\n",
                             "{deployment=\"odd\",reason=\"table_refused\"} 1\n",
                             "{deployment=\"odd\",reason=\"column_not_in_target\"} 0\n"}) {
    EXPECT_NE(text.find(std::string("tenantsync_sync_last_run_not_copied") + series), std::string::npos) << text;
  }
  ProcessResult again = RunProcess({SYNC_RUN_BIN, "--config", WriteNodeConfig(), "--no-progress"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find(fmt::format("not copied: table {} (not in the target)", long_name)), std::string::npos)
      << again.out;
  EXPECT_NE(again.out.find("not copied: table keyless: the target table has no primary key"), std::string::npos);
  EXPECT_EQ(Scalar("SELECT string_agg(format('%s|%s|%s|%s|%s|%s', \"ïd \"\"q\"\"\", \"v;al\", at, flag,"
                   " encode(blob, 'hex'), anything), ',' ORDER BY \"ïd \"\"q\"\"\")"
                   " FROM client_odd.\"we\"\"ird; DROP TABLE x; --\""),
            "b|||f||text,longer than 3|12.50|2025-01-02 03:04:05.5|t|00ff|7");
  EXPECT_EQ(Scalar("SELECT concat_ws('|', a, b, c) FROM client_odd.pairs"), "1|x|1.25");
  EXPECT_EQ(Scalar("SELECT note FROM client_odd.kept"), "from the source");
}

TEST_F(CreateTablesTest, AMissingOrCorruptFileRegistersNothing) {
  std::string garbage = tmp_.File("garbage.db");
  WriteFile(garbage, std::string(4096, 'x'), 0644);
  for (const auto& [path, code] : {std::pair{tmp_.File("missing.db"), 66}, std::pair{garbage, 65}}) {
    ProcessResult r =
        SyncSchema({"deployment", "add", "gone", "--cluster", cluster_, "--sqlite", path, "--create-tables"});
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.client_deployments WHERE name = 'gone'"), "0");
    EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'client_gone'"), "0");
  }
}

}  // namespace
}  // namespace tenantsync::testing

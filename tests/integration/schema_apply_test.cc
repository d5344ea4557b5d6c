// sync-schema apply: ordering, idempotency, drift refusal, dry run.
#include <gtest/gtest.h>

#include "common/migrations.h"
#include "common/schema/migrator.h"
#include "tests/integration/pg_harness.h"

namespace tenantsync::testing {
namespace {

class SchemaApplyTest : public PgTest {
 protected:
  // A fingerprint of everything in sync_metadata: tables, columns, policies,
  // functions, grants. Equal fingerprints mean nothing changed.
  std::string Fingerprint() {
    PgConn admin = Admin();
    return std::string(admin.ExecOneRow(R"sql(
      SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
        SELECT format('col %s.%s %s', table_name, column_name, data_type) AS x
          FROM information_schema.columns WHERE table_schema = 'sync_metadata'
        UNION ALL SELECT format('policy %s.%s', tablename, policyname) FROM pg_policies
          WHERE schemaname = 'sync_metadata'
        UNION ALL SELECT format('func %s', p.oid::regprocedure) FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'sync_metadata'
        UNION ALL SELECT format('grant %s %s %s', grantee, table_name, privilege_type)
          FROM information_schema.role_table_grants WHERE table_schema = 'sync_metadata'
        UNION ALL SELECT format('ledger %s %s %s', version, name, checksum)
          FROM sync_metadata.schema_migrations) s)sql").Get(0, 0));
  }
};

TEST_F(SchemaApplyTest, AppliesEveryMigrationInOrderAndRecordsChecksums) {
  PgConn admin = Admin();
  std::vector<MigrationStatus> applied = ApplyMigrations(admin, EmbeddedMigrations(), false);
  ASSERT_EQ(applied.size(), EmbeddedMigrations().size());
  PgResult ledger = admin.Exec("SELECT version, name, checksum FROM sync_metadata.schema_migrations ORDER BY version");
  ASSERT_EQ(ledger.rows(), static_cast<int>(EmbeddedMigrations().size()));
  for (int i = 0; i < ledger.rows(); ++i) {
    const Migration& m = EmbeddedMigrations()[static_cast<size_t>(i)];
    EXPECT_EQ(ledger.Get(i, 0), std::to_string(m.version));
    EXPECT_EQ(ledger.Get(i, 1), m.name);
    EXPECT_EQ(ledger.Get(i, 2), Sha256Hex(m.sql));
  }
  for (const char* table : {"hosts", "client_deployments", "leader_election", "conflict_log", "cache_events",
                            "sync_jobs", "sync_progress", "state", "quarantine", "clusters"}) {
    EXPECT_EQ(admin.ExecOneRow("SELECT to_regclass($1) IS NOT NULL", {std::string("sync_metadata.") + table})
                  .Get(0, 0),
              "t")
        << table;
  }
}

TEST_F(SchemaApplyTest, SecondApplyIsANoOp) {
  ApplySchema();
  std::string before = Fingerprint();
  PgConn admin = Admin();
  EXPECT_TRUE(ApplyMigrations(admin, EmbeddedMigrations(), false).empty());
  EXPECT_EQ(Fingerprint(), before);
}

TEST_F(SchemaApplyTest, EditedMigrationIsRefusedBeforeAnythingRuns) {
  ApplySchema();
  std::vector<Migration> edited = EmbeddedMigrations();
  std::string changed = std::string(edited[1].sql) + "\n-- an innocent-looking edit\n";
  edited[1].sql = changed;
  std::string extra_sql = "CREATE TABLE sync_metadata.should_not_exist (id int);";
  edited.push_back({999, "999_extra.sql", extra_sql});
  PgConn admin = Admin();
  try {
    ApplyMigrations(admin, edited, false);
    FAIL() << "an edited migration was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDataErr);
    EXPECT_NE(std::string(e.what()).find(std::string(edited[1].name)), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("edited"), std::string::npos) << e.what();
  }
  EXPECT_EQ(admin.ExecOneRow("SELECT to_regclass('sync_metadata.should_not_exist') IS NULL").Get(0, 0), "t");
}

// 002 and 004 had their header comments corrected after release. A database
// whose ledger holds the checksums they were first applied with is current;
// the same old checksum on SQL that really changed is still refused.
TEST_F(SchemaApplyTest, ACommentOnlyCorrectionOfAReleasedMigrationIsNotAnEdit) {
  ApplySchema();
  PgConn admin = Admin();
  admin.Exec("UPDATE sync_metadata.schema_migrations SET checksum = CASE version"
             " WHEN 2 THEN '518f439d693a1730edd2e8b0024a75c5849d7e0dc9e438f705570f64cb6f751e'"
             " WHEN 4 THEN '1f301ff6e6a9643e7c9f23c3302ced74a6fd56feccae262bf978ace42da12bc2' END"
             " WHERE version IN (2, 4)");
  std::string before = Fingerprint();
  for (const MigrationStatus& st : ReadMigrationStatus(admin, EmbeddedMigrations())) {
    EXPECT_EQ(st.state, MigrationState::kApplied) << st.name;
  }
  EXPECT_TRUE(ApplyMigrations(admin, EmbeddedMigrations(), false).empty());
  EXPECT_EQ(Fingerprint(), before);

  std::vector<Migration> changed = EmbeddedMigrations();
  std::string sql = std::string(changed[1].sql) + "\nGRANT SELECT ON sync_metadata.clusters TO sync_service;\n";
  changed[1].sql = sql;
  EXPECT_EQ(ReadMigrationStatus(admin, changed)[1].state, MigrationState::kEdited);
  // Comments alone may change; the SQL may not.
  std::string commented = "-- a later note\n" + std::string(EmbeddedMigrations()[1].sql);
  changed[1].sql = commented;
  EXPECT_EQ(ReadMigrationStatus(admin, changed)[1].state, MigrationState::kApplied);
}

TEST_F(SchemaApplyTest, DatabaseNewerThanBinaryIsRefused) {
  ApplySchema();
  std::vector<Migration> older(EmbeddedMigrations().begin(), EmbeddedMigrations().end() - 1);
  PgConn admin = Admin();
  EXPECT_THROW(ApplyMigrations(admin, older, false), Error);
}

TEST_F(SchemaApplyTest, DryRunWritesNothing) {
  PgConn admin = Admin();
  std::vector<MigrationStatus> plan = ApplyMigrations(admin, EmbeddedMigrations(), true);
  EXPECT_EQ(plan.size(), EmbeddedMigrations().size());
  EXPECT_EQ(admin.ExecOneRow("SELECT count(*) FROM pg_namespace WHERE nspname = 'sync_metadata'").Get(0, 0), "0");

  // And on an installed schema with one migration pending, too.
  std::vector<Migration> more = EmbeddedMigrations();
  std::string extra_sql = "CREATE TABLE sync_metadata.dry_run_probe (id int);";
  more.push_back({999, "999_probe.sql", extra_sql});
  ApplySchema();
  std::string before = Fingerprint();
  EXPECT_EQ(ApplyMigrations(admin, more, true).size(), 1u);
  EXPECT_EQ(Fingerprint(), before);
  EXPECT_EQ(admin.ExecOneRow("SELECT to_regclass('sync_metadata.dry_run_probe') IS NULL").Get(0, 0), "t");
}

TEST_F(SchemaApplyTest, FailingMigrationRollsBackAndIsNotRecorded) {
  ApplySchema();
  std::vector<Migration> more = EmbeddedMigrations();
  std::string bad_sql = "CREATE TABLE sync_metadata.half_done (id int);\nSELECT no_such_function();";
  more.push_back({999, "999_bad.sql", bad_sql});
  PgConn admin = Admin();
  EXPECT_THROW(ApplyMigrations(admin, more, false), PgError);
  EXPECT_EQ(admin.ExecOneRow("SELECT to_regclass('sync_metadata.half_done') IS NULL").Get(0, 0), "t");
  EXPECT_EQ(admin.ExecOneRow("SELECT count(*) FROM sync_metadata.schema_migrations WHERE version = 999").Get(0, 0),
            "0");
}

}  // namespace
}  // namespace tenantsync::testing

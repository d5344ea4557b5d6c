// Isolation against a hostile node: an attacker owns cluster red's node (its
// login role and password, nothing else) on a database that cluster blue
// shares. Both clusters have synced a tenant; blue has a pending conflict
// with both row images. Every attack below runs as red's role and must leave
// blue's rows, lease, history and tenant schema unchanged and unseen, and
// blue's next sync-run must still succeed. docs/security.md describes the
// doors; add every new finding here.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/commands/run_command.h"
#include "common/error.h"
#include "common/migrations.h"
#include "common/schema/clusters.h"
#include "common/schema/deployments.h"
#include "common/schema/migrator.h"
#include "common/schema/privilege_check.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kInsufficientPrivilege = "42501";
constexpr const char* kCheckViolation = "23514";

constexpr const char* kSqliteDdl =
    "CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT NOT NULL, updated_at INTEGER NOT NULL);"
    "INSERT INTO chat VALUES ('c1', 'hello', 100), ('c2', 'world', 100);";
constexpr const char* kPostgresDdl =
    "CREATE TABLE {schema}.chat (id text PRIMARY KEY, title text NOT NULL, updated_at bigint NOT NULL);";

// The metadata tables that hold a cluster_name.
const std::vector<std::string>& ClusterTables() {
  static const std::vector<std::string> kTables = {"hosts",     "client_deployments", "leader_election",
                                                   "conflict_log", "cache_events",     "sync_jobs",
                                                   "sync_progress", "state",           "quarantine",
                                                   "row_versions"};
  return kTables;
}

class IsolationTest : public TenantTest {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    red_ = AddCluster("red");
    blue_ = AddCluster("blue");
    for (const std::string& c : {red_, blue_}) {
      cluster_ = c;
      std::string source = tmp_.File(c + ".db");
      ExecSqlite(source, kSqliteDdl);
      AddTenant(c, source, kPostgresDdl);
      ASSERT_EQ(Sync(c), ExitCode::kOk);
    }
    red_dep_ = Scalar(fmt::format("SELECT deployment_id FROM sync_metadata.client_deployments WHERE name = '{}'", red_));
    blue_dep_ =
        Scalar(fmt::format("SELECT deployment_id FROM sync_metadata.client_deployments WHERE name = '{}'", blue_));
    // A pending conflict in blue's log: both images, a tenant's data.
    Admin().Exec("UPDATE " + Chat(blue_) + " SET title = 'blue admin edit' WHERE id = 'c1'");
    ExecSqlite(tmp_.File(blue_ + ".db"), "UPDATE chat SET title = 'blue app edit', updated_at = 200 WHERE id = 'c1'");
    ASSERT_EQ(Sync(blue_), ExitCode::kOk);
    ASSERT_EQ(Scalar(fmt::format("SELECT count(*) FROM sync_metadata.conflict_log WHERE cluster_name = '{}'"
                                 " AND outcome = 'pending'",
                                 blue_)),
              "1");
    Admin().Exec("INSERT INTO sync_metadata.state (cluster_name, key, value) VALUES ($1, 'secret', '\"blue\"')",
                 {blue_});
    Admin().ExecScript("CREATE TABLE public.secrets (v text); INSERT INTO public.secrets VALUES ('x')");
    before_ = BlueSnapshot();
  }

  void TearDown() override {
    if (!IsSkipped() && !HasFatalFailure()) {
      EXPECT_EQ(BlueSnapshot(), before_) << "the attack changed blue's data";
      EXPECT_EQ(Sync(blue_), ExitCode::kOk) << "blue can no longer sync after the attack";
    }
    TenantTest::TearDown();
  }

  ExitCode Sync(const std::string& cluster) {
    cluster_ = cluster;
    RunOptions o;
    o.progress = false;
    return RunSync(NodeConfig("[tables.\"chat\"]\nconflict = \"manual\"\n"), o);
  }

  std::string BlueSchema() const { return "client_" + blue_; }
  // Quoted: cluster names hold '-'.
  std::string Chat(const std::string& cluster) const { return "\"client_" + cluster + "\".chat"; }

  // Everything of blue's, as the admin reads it: each metadata table's
  // rows, the tenant table, and the triggers on it.
  std::string BlueSnapshot() {
    std::string out;
    for (const std::string& t : ClusterTables()) {
      out += t + ": " +
             Scalar(fmt::format("SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')"
                                " FROM sync_metadata.{} x WHERE cluster_name = '{}'",
                                t, blue_)) +
             "\n";
    }
    out += "chat: " + Scalar("SELECT string_agg(x::text, ',' ORDER BY x.id) FROM " + Chat(blue_) + " x");
    out += "\ntriggers: " + Scalar(fmt::format("SELECT coalesce(string_agg(pg_get_triggerdef(t.oid), ',' ORDER BY"
                                               " t.tgname), '') FROM pg_trigger t WHERE t.tgrelid = '{}'::regclass",
                                               Chat(blue_)));
    return out;
  }

  PgConn Red() { return ConnectAsCluster(red_); }

  std::string red_, blue_, red_dep_, blue_dep_, before_;
};

TEST_F(IsolationTest, RedSeesNoneOfBluesRows) {
  PgConn red = Red();
  for (const std::string& t : ClusterTables()) {
    EXPECT_EQ(red.ExecOneRow(fmt::format("SELECT count(*) FROM sync_metadata.{} WHERE cluster_name <> $1", t), {red_})
                  .Get(0, 0),
              "0")
        << t;
  }
  EXPECT_EQ(SqlStateOf(red, "SELECT * FROM " + Chat(blue_)), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "SELECT * FROM sync_metadata.clusters"), kInsufficientPrivilege);
}

// C1: rewriting its own deployment to point the capture function at the
// metadata (or public), then reading what it snapshots.
TEST_F(IsolationTest, C1DeploymentsAreTheAdminsAlone) {
  PgConn red = Red();
  EXPECT_EQ(SqlStateOf(red, "UPDATE sync_metadata.client_deployments SET target_schema = 'sync_metadata'"),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "INSERT INTO sync_metadata.client_deployments (name, sqlite_path, target_schema)"
                            " VALUES ('evil', '/tmp/x', 'public')"),
            kInsufficientPrivilege);
  EXPECT_EQ(Scalar("SELECT string_agg(target_schema, ',' ORDER BY target_schema) FROM sync_metadata.client_deployments"),
            fmt::format("client_{},client_{}", blue_, red_));
}

TEST_F(IsolationTest, C1CaptureFunctionsRefuseEverySchemaButTheCallersOwnTargets) {
  PgConn red = Red();
  for (const char* schema : {"sync_metadata", "public", "pg_catalog", "information_schema"}) {
    EXPECT_EQ(SqlStateOf(red,
                         "SELECT sync_metadata.install_capture($1, 'state', ARRAY['cluster_name'],"
                         " ARRAY['key', 'value'])",
                         {schema}),
              kInsufficientPrivilege)
        << schema;
    EXPECT_EQ(SqlStateOf(red, "SELECT sync_metadata.prune_versions($1, 'state', ARRAY['cluster_name'])", {schema}),
              kInsufficientPrivilege)
        << schema;
  }
  EXPECT_EQ(SqlStateOf(red, "SELECT sync_metadata.install_capture($1, 'chat', ARRAY['id'], ARRAY['title'])",
                       {BlueSchema()}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "SELECT sync_metadata.prune_versions($1, 'chat', ARRAY['id'])", {BlueSchema()}),
            kInsufficientPrivilege);
  // The helpers behind them are not callable at all.
  EXPECT_EQ(SqlStateOf(red, "SELECT sync_metadata.own_target($1)", {BlueSchema()}), kInsufficientPrivilege);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                   " JOIN pg_namespace n ON n.oid = c.relnamespace"
                   " WHERE t.tgname = 'tenantsync_capture' AND n.nspname IN ('sync_metadata', 'public')"),
            "0");
}

TEST_F(IsolationTest, C1EvenTheAdminCannotRegisterAReservedTargetSchema) {
  PgConn admin = Admin();
  EXPECT_EQ(SqlStateOf(admin, "UPDATE sync_metadata.client_deployments SET target_schema = 'sync_metadata'"
                              " WHERE name = $1",
                       {red_}),
            kCheckViolation);
}

// H1: a row_versions row tagged red but naming blue's deployment shadowed
// blue's key: blue's trigger then recorded nothing and blue's edit was lost.
TEST_F(IsolationTest, H1NoRowCanNameAnotherClustersDeployment) {
  PgConn red = Red();
  EXPECT_EQ(SqlStateOf(red,
                       "INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key)"
                       " VALUES ($1, $2, 'chat', '(c2)')",
                       {red_, blue_dep_}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "INSERT INTO sync_metadata.sync_progress (deployment_id, table_name) VALUES ($1, 'x')",
                       {blue_dep_}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red,
                       "INSERT INTO sync_metadata.quarantine (deployment_id, table_name, row_key, raw_row, reason)"
                       " VALUES ($1, 'chat', '{}', '{}', 'x')",
                       {blue_dep_}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red,
                       "INSERT INTO sync_metadata.conflict_log (deployment_id, table_name, row_key, strategy)"
                       " VALUES ($1, 'chat', '{}', 'manual')",
                       {blue_dep_}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "INSERT INTO sync_metadata.sync_jobs (deployment_id) VALUES ($1)", {blue_dep_}),
            kInsufficientPrivilege);
  // Nor a host of blue's, as the lease holder or a job's host.
  std::string blue_host =
      Scalar(fmt::format("SELECT host_id FROM sync_metadata.hosts WHERE cluster_name = '{}'", blue_));
  EXPECT_EQ(SqlStateOf(red, "UPDATE sync_metadata.leader_election SET holder_host_id = $1", {blue_host}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "INSERT INTO sync_metadata.sync_jobs (deployment_id, host_id) VALUES ($1, $2)",
                       {red_dep_, blue_host}),
            kInsufficientPrivilege);
}

// H1's consequence, checked end to end: blue's edit of c2 in its target is
// still captured and, at blue's next source change, a logged conflict.
TEST_F(IsolationTest, H1BluesEditsAreStillCaptured) {
  PgConn red = Red();
  SqlStateOf(red, "INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key)"
                  " VALUES ($1, $2, 'chat', '(c2)')",
             {red_, blue_dep_});
  Admin().Exec("UPDATE " + Chat(blue_) + " SET title = 'kept' WHERE id = 'c2'");
  ExecSqlite(tmp_.File(blue_ + ".db"), "UPDATE chat SET title = 'source', updated_at = 300 WHERE id = 'c2'");
  ASSERT_EQ(Sync(blue_), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT title FROM " + Chat(blue_) + " WHERE id = 'c2'"), "kept");
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM sync_metadata.conflict_log WHERE cluster_name = '{}'"
                               " AND row_key->>'id' = 'c2' AND outcome = 'pending'",
                               blue_)),
            "1");
  before_ = BlueSnapshot();  // blue's own run changed blue, as it should
}

// M1: identity values picked by the node took blue's future ids.
TEST_F(IsolationTest, M1NoNodeChoosesAnIdentityValue) {
  PgConn red = Red();
  struct Probe {
    const char* table;
    const char* columns;
    std::string values;
  };
  std::vector<Probe> probes = {
      {"sync_jobs", "job_id, deployment_id", "1000000, " + red_dep_},
      {"hosts", "host_id, hostname", "1000000, 'spy'"},
      {"cache_events", "event_id, cache_key", "1000000, 'k'"},
      {"conflict_log", "conflict_id, deployment_id, table_name, row_key, strategy",
       "1000000, " + red_dep_ + ", 'chat', '{}', 'manual'"},
      {"quarantine", "quarantine_id, deployment_id, table_name, row_key, raw_row, reason",
       "1000000, " + red_dep_ + ", 'chat', '{}', '{}', 'x'"},
      {"client_deployments", "deployment_id, name, sqlite_path, target_schema", "1000000, 'x', '/x', 'x'"},
  };
  for (const Probe& p : probes) {
    EXPECT_EQ(SqlStateOf(red, fmt::format("INSERT INTO sync_metadata.{} ({}) OVERRIDING SYSTEM VALUE VALUES ({})",
                                          p.table, p.columns, p.values)),
              kInsufficientPrivilege)
        << p.table;
  }
}

// M2: a table-wide UPDATE grant let a node lock the lease table; now no node
// may take any lock stronger than ACCESS SHARE on a metadata table, and
// while red holds every lock it can, blue still elects and syncs.
TEST_F(IsolationTest, M2NoNodeLocksASharedTable) {
  PgConn red = Red();
  for (const std::string& t : ClusterTables()) {
    for (const char* mode : {"ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE",
                             "EXCLUSIVE", "ACCESS EXCLUSIVE"}) {
      red.Exec("BEGIN");
      EXPECT_EQ(SqlStateOf(red, fmt::format("LOCK TABLE sync_metadata.{} IN {} MODE", t, mode)),
                kInsufficientPrivilege)
          << t << " " << mode;
      red.Exec("ROLLBACK");
    }
  }
  red.Exec("BEGIN");
  for (const std::string& t : ClusterTables()) {
    red.Exec(fmt::format("LOCK TABLE sync_metadata.{} IN ACCESS SHARE MODE", t));
    if (t != "client_deployments" && t != "cache_events") {  // no UPDATE grant there: no row locks either
      red.Exec(fmt::format("SELECT 1 FROM sync_metadata.{} FOR UPDATE", t));
    }
  }
  ASSERT_EQ(Sync(blue_), ExitCode::kOk);  // within the transaction red still holds
  red.Exec("ROLLBACK");
  before_ = BlueSnapshot();
}

// M3: a node repointing its deployment at another tenant's file.
TEST_F(IsolationTest, M3NoNodeChangesWhereItsDeploymentReadsOrWrites) {
  PgConn red = Red();
  for (const char* set : {"sqlite_path = '/srv/blue/webui.db'", "target_schema = 'client_x'", "name = 'x'",
                          "enabled = false", "cluster_name = 'x'"}) {
    EXPECT_EQ(SqlStateOf(red, fmt::format("UPDATE sync_metadata.client_deployments SET {}", set)),
              kInsufficientPrivilege)
        << set;
  }
}

// M4/M5: another writer of a tenant table that claims to be the sync by a
// setting still has its edit captured, and so logged and kept.
TEST_F(IsolationTest, M4AWriterThatClaimsToBeTheSyncIsStillCaptured) {
  PgConn admin = Admin();
  admin.Exec("BEGIN");
  admin.Exec("SET LOCAL tenantsync.writer = 'sync'");
  admin.Exec("UPDATE " + Chat(blue_) + " SET title = 'app edit' WHERE id = 'c2'");
  admin.Exec("COMMIT");
  ExecSqlite(tmp_.File(blue_ + ".db"), "UPDATE chat SET title = 'source', updated_at = 300 WHERE id = 'c2'");
  ASSERT_EQ(Sync(blue_), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT title FROM " + Chat(blue_) + " WHERE id = 'c2'"), "app edit");
  EXPECT_EQ(Scalar(fmt::format("SELECT target_row->>'title' FROM sync_metadata.conflict_log WHERE cluster_name = '{}'"
                               " AND row_key->>'id' = 'c2' AND outcome = 'pending'",
                               blue_)),
            "app edit");
  before_ = BlueSnapshot();
}

// L1: a node may change its own role's stored timeouts (PostgreSQL lets every
// role do that); its own tools then refuse to run, and the admin's audit
// names it.
TEST_F(IsolationTest, L1ARoleWithUnboundedTimeoutsIsRefused) {
  PgConn red = Red();
  red.Exec(fmt::format("ALTER ROLE {} SET lock_timeout = 0", red.QuoteIdentifier(RoleForCluster(red_))));
  red.Exec(fmt::format("ALTER ROLE {} SET statement_timeout = '20d'", red.QuoteIdentifier(RoleForCluster(red_))));
  PgConn again = Red();
  std::vector<std::string> problems = FindPrivilegeProblems(again, red_);
  std::string all;
  for (const std::string& p : problems) all += p + "\n";
  EXPECT_NE(all.find("lock_timeout = 0: unbounded"), std::string::npos) << all;
  EXPECT_NE(all.find("statement_timeout = 20d, above"), std::string::npos) << all;
  try {
    Sync(red_);
    ADD_FAILURE() << "sync-run ran with an unbounded lock_timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNoPerm);
  }
  PgConn admin = Admin();
  std::vector<RoleUnderCheck> roles = ClusterRoles(admin);
  for (const RoleUnderCheck& r : roles) {
    bool is_red = r.bound_cluster == red_;
    EXPECT_EQ(FindRoleProblems(admin, r, "", AuditDepth::kFull).empty(), !is_red) << r.role;
  }
}

// L2/L3: pre-registering names and probing for duplicate keys.
TEST_F(IsolationTest, L3NoDuplicateKeyErrorAnswersForAnotherCluster) {
  PgConn red = Red();
  std::string blue_key = Scalar(fmt::format(
      "SELECT row_key FROM sync_metadata.row_versions WHERE cluster_name = '{}' LIMIT 1", blue_));
  // Whatever red tries with blue's ids and keys, the answer is a refusal
  // that says nothing of what exists, never a duplicate-key error (23505).
  EXPECT_EQ(SqlStateOf(red,
                       "INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key)"
                       " VALUES ($1, $2, 'chat', $3)",
                       {red_, blue_dep_, blue_key}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red,
                       "INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key)"
                       " VALUES ($1, 99999999, 'chat', $2)",
                       {red_, blue_key}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "INSERT INTO sync_metadata.state (key, value) VALUES ('secret', '1')"), "");
}

// L4: a node erasing its own audit trail.
TEST_F(IsolationTest, L4ConflictImagesCannotBeErasedNorASettledRecordChanged) {
  // Red logs a conflict of its own, as blue did.
  Admin().Exec("UPDATE " + Chat(red_) + " SET title = 'red admin edit' WHERE id = 'c1'");
  ExecSqlite(tmp_.File(red_ + ".db"), "UPDATE chat SET title = 'red app edit', updated_at = 200 WHERE id = 'c1'");
  ASSERT_EQ(Sync(red_), ExitCode::kOk);
  PgConn red = Red();
  EXPECT_EQ(SqlStateOf(red, "UPDATE sync_metadata.conflict_log SET source_row = NULL, target_row = NULL"),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(red, "UPDATE sync_metadata.conflict_log SET detected_at = now()"), kInsufficientPrivilege);
  EXPECT_EQ(red.Exec("UPDATE sync_metadata.conflict_log SET outcome = 'superseded'").Affected(), 1);
  EXPECT_EQ(SqlStateOf(red, "UPDATE sync_metadata.conflict_log SET outcome = 'pending', resolved_row = NULL"),
            kCheckViolation);
  EXPECT_EQ(Scalar(fmt::format("SELECT target_row->>'title' FROM sync_metadata.conflict_log WHERE cluster_name = '{}'",
                               red_)),
            "red admin edit");
}

// Before the migration that closed these doors, a node could point its
// deployment at the metadata and have install_capture() plant a trigger
// there. Applying it removes such triggers and forged version rows, and
// recreates the legitimate triggers with the login-role condition.
class IsolationMigrationTest : public PgTest {};

TEST_F(IsolationMigrationTest, RemovesWhatANodePlantedThroughTheOldDoors) {
  PgConn admin = Admin();
  const std::vector<Migration>& all = EmbeddedMigrations();
  auto first_new = std::find_if(all.begin(), all.end(), [](const Migration& m) { return m.version >= 10; });
  ApplyMigrations(admin, std::vector<Migration>(all.begin(), first_new), false);
  std::string red = AddCluster("red");
  AddDeployment(admin, {"legit", red, "/srv/legit.db", "client_legit", false}, nullptr);
  AddDeployment(admin, {"evil", red, "/srv/evil.db", "client_evil", false}, nullptr);
  admin.Exec("CREATE TABLE client_legit.chat (id text PRIMARY KEY, title text)");
  AddDeployment(admin, {"legit", red, "/srv/legit.db", "client_legit", false}, nullptr);
  admin.Exec("INSERT INTO sync_metadata.state (cluster_name, key, value) VALUES ($1, 'k', '1')", {red});
  PgConn attacker = ConnectAsCluster(red);
  attacker.Exec("SELECT sync_metadata.install_capture('client_legit', 'chat', ARRAY['id'], ARRAY['title'])");
  attacker.Exec("UPDATE sync_metadata.client_deployments SET target_schema = 'sync_metadata' WHERE name = 'evil'");
  attacker.Exec("SELECT sync_metadata.install_capture('sync_metadata', 'state', ARRAY['cluster_name'],"
                " ARRAY['key', 'value'])");
  attacker.Exec("INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key,"
                " source_digest, target_digest, target_xmin) VALUES ($1, 424242, 'chat', '(x)', 1, 1, '1')",
                {red});
  ASSERT_NE(std::string(admin.ExecOneRow("SELECT count(*) FROM sync_metadata.row_versions WHERE table_name = 'state'")
                            .Get(0, 0)),
            "0");  // what the old door copied out of the metadata

  ApplyMigrations(admin, all, false);
  auto triggers = [&](const std::string& schema) {
    return std::string(admin
                           .ExecOneRow("SELECT coalesce(string_agg(pg_get_triggerdef(t.oid), ','), '') FROM pg_trigger t"
                                       " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                                       " WHERE t.tgname = 'tenantsync_capture' AND n.nspname = $1",
                                       {schema})
                           .Get(0, 0));
  };
  EXPECT_EQ(triggers("sync_metadata"), "");
  std::string legit = triggers("client_legit");
  EXPECT_NE(legit.find("SESSION_USER <> '" + RoleForCluster(red) + "'"), std::string::npos) << legit;
  EXPECT_EQ(legit.find("tenantsync.writer"), std::string::npos) << legit;
  EXPECT_EQ(std::string(admin.ExecOneRow("SELECT count(*) FROM sync_metadata.row_versions"
                                         " WHERE deployment_id = 424242 OR table_name = 'state'")
                            .Get(0, 0)),
            "0");
}

}  // namespace
}  // namespace tenantsync::testing

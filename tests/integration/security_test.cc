// The security model (docs/security.md), checked as a cluster's
// own login role over TCP with its password: the original system's 13 checks,
// the forged-setting attack that broke it, and tenant schema isolation.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/schema/clusters.h"
#include "common/schema/deployments.h"
#include "tests/integration/pg_harness.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kInsufficientPrivilege = "42501";

class SecurityTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped()) return;
    ApplySchema();
    a_ = AddCluster("a");
    b_ = AddCluster("b");
    PgConn admin = Admin();
    a_deployment_ = AddDeployment(admin, {"tenant-a", a_, "/srv/a/webui.db", "client_a", false}, nullptr);
    b_deployment_ = AddDeployment(admin, {"tenant-b", b_, "/srv/b/webui.db", "client_b", false}, nullptr);
    for (const char* schema : {"client_a", "client_b"}) {
      admin.Exec(fmt::format("CREATE TABLE {}.chat (id text PRIMARY KEY, title text)", schema));
      admin.Exec(fmt::format("INSERT INTO {}.chat VALUES ('c1', 'hello')", schema));
    }
    b_host_ = std::string(admin.ExecOneRow("INSERT INTO sync_metadata.hosts (cluster_name, hostname)"
                                           " VALUES ($1, 'node-b1') RETURNING host_id",
                                           {b_})
                              .Get(0, 0));
    admin.Exec("INSERT INTO sync_metadata.sync_jobs (cluster_name, deployment_id, status) VALUES ($1, $2, 'succeeded')",
               {b_, std::to_string(b_deployment_)});
    admin.Exec("CREATE TABLE public.secrets (v text)");
    admin.Exec("INSERT INTO public.secrets VALUES ('x')");
  }

  long CountVisible(PgConn& conn, const std::string& table) {
    return std::stol(std::string(conn.ExecOneRow("SELECT count(*) FROM " + table).Get(0, 0)));
  }

  std::string a_, b_, b_host_;
  long a_deployment_ = 0, b_deployment_ = 0;
};

// --- The original system's checks: denied -----------------------------------

TEST_F(SecurityTest, DeleteIsDenied) {
  PgConn a = ConnectAsCluster(a_);
  for (const char* table : {"hosts", "client_deployments", "leader_election", "conflict_log", "cache_events",
                            "sync_jobs", "sync_progress", "state", "quarantine", "row_versions"}) {
    EXPECT_EQ(SqlStateOf(a, fmt::format("DELETE FROM sync_metadata.{}", table)), kInsufficientPrivilege) << table;
  }
}

TEST_F(SecurityTest, DropTableIsDenied) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "DROP TABLE sync_metadata.sync_jobs"), kInsufficientPrivilege);
}

TEST_F(SecurityTest, DropSchemaIsDenied) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "DROP SCHEMA sync_metadata CASCADE"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "DROP SCHEMA client_a CASCADE"), kInsufficientPrivilege);
}

TEST_F(SecurityTest, TruncateIsDenied) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "TRUNCATE sync_metadata.hosts"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "TRUNCATE client_a.chat"), kInsufficientPrivilege);
}

TEST_F(SecurityTest, CreateIsDenied) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "CREATE TABLE sync_metadata.evil (id int)"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "CREATE TABLE client_a.evil (id int)"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "CREATE FUNCTION sync_metadata.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "CREATE SCHEMA evil"), kInsufficientPrivilege);
}

TEST_F(SecurityTest, AlterIsDenied) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "ALTER TABLE sync_metadata.hosts ADD COLUMN evil int"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "ALTER TABLE sync_metadata.hosts DISABLE ROW LEVEL SECURITY"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "ALTER TABLE client_a.chat ADD COLUMN evil int"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "ALTER ROLE " + a.QuoteIdentifier(RoleForCluster(a_)) + " BYPASSRLS"), kInsufficientPrivilege);
}

// --- The original system's checks: allowed ----------------------------------

TEST_F(SecurityTest, SelectInsertAndUpdateOwnClusterAreAllowed) {
  PgConn a = ConnectAsCluster(a_);
  // The cluster comes from the login role: the column default fills it in.
  PgResult inserted =
      a.ExecOneRow("INSERT INTO sync_metadata.hosts (hostname) VALUES ('node-a1') RETURNING host_id, cluster_name");
  EXPECT_EQ(inserted.Get(0, 1), a_);
  EXPECT_EQ(a.Exec("UPDATE sync_metadata.hosts SET last_heartbeat = clock_timestamp(), version = 'test'"
                   " WHERE host_id = $1",
                   {std::string(inserted.Get(0, 0))})
                .Affected(),
            1);
  EXPECT_EQ(CountVisible(a, "sync_metadata.hosts"), 1);
  EXPECT_EQ(CountVisible(a, "sync_metadata.client_deployments"), 1);
  a.Exec("INSERT INTO sync_metadata.state (key, value) VALUES ('k', '{\"v\": 1}')");
  EXPECT_EQ(a.Exec("UPDATE sync_metadata.state SET value = '2' WHERE key = 'k'").Affected(), 1);
}

TEST_F(SecurityTest, ViewsAreReadableAndShowOnlyOwnCluster) {
  PgConn a = ConnectAsCluster(a_);
  a.Exec("INSERT INTO sync_metadata.hosts (hostname) VALUES ('node-a1')");
  EXPECT_EQ(CountVisible(a, "sync_metadata.v_cluster_health"), 1);
  EXPECT_EQ(CountVisible(a, "sync_metadata.v_sync_lag"), 1);
  EXPECT_EQ(CountVisible(a, "sync_metadata.v_pending_conflicts"), 0);
  PgConn admin = Admin();
  EXPECT_EQ(CountVisible(admin, "sync_metadata.v_cluster_health"), 2);
}

TEST_F(SecurityTest, RowLevelSecurityIsEnabledOnEveryMetadataTable) {
  PgConn admin = Admin();
  PgResult tables = admin.Exec(
      "SELECT c.relname, c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = 'sync_metadata' AND c.relkind IN ('r', 'p') ORDER BY 1");
  ASSERT_GE(tables.rows(), 10);
  for (int i = 0; i < tables.rows(); ++i) EXPECT_EQ(tables.Get(i, 1), "t") << tables.Get(i, 0);
}

TEST_F(SecurityTest, InsertForAnotherClusterIsRejected) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "INSERT INTO sync_metadata.hosts (cluster_name, hostname) VALUES ($1, 'spy')", {b_}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "INSERT INTO sync_metadata.sync_jobs (cluster_name, deployment_id) VALUES ($1, $2)",
                       {b_, std::to_string(b_deployment_)}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a,
                       "INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key,"
                       " source_digest, target_digest) VALUES ($1, $2, 'chat', '(x)', 1, 1)",
                       {b_, std::to_string(b_deployment_)}),
            kInsufficientPrivilege);
  // Nor can a node move its own row into another cluster.
  a.Exec("INSERT INTO sync_metadata.hosts (hostname) VALUES ('node-a1')");
  EXPECT_NE(SqlStateOf(a, "UPDATE sync_metadata.hosts SET cluster_name = $1", {b_}), "");
}

TEST_F(SecurityTest, PublicSchemaIsNotAccessible) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "SELECT * FROM public.secrets"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "INSERT INTO public.secrets VALUES ('y')"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "CREATE TABLE public.evil (id int)"), kInsufficientPrivilege);
}

// --- Beyond the original ----------------------------------------------------

// The original keyed RLS on app.current_host_id, which any client may set.
// Here a node that forges it to another cluster's host gains nothing.
TEST_F(SecurityTest, ForgedHostIdSeesAndWritesNothingOfAnotherCluster) {
  PgConn a = ConnectAsCluster(a_);
  a.Exec("SELECT set_config('app.current_host_id', $1, false)", {b_host_});
  a.Exec("SELECT set_config('app.current_cluster', $1, false)", {b_});
  EXPECT_EQ(std::stol(std::string(
                a.ExecOneRow("SELECT count(*) FROM sync_metadata.hosts WHERE cluster_name = $1", {b_}).Get(0, 0))),
            0);
  EXPECT_EQ(CountVisible(a, "sync_metadata.sync_jobs"), 0);
  EXPECT_EQ(CountVisible(a, "sync_metadata.client_deployments"), 1);  // its own only
  EXPECT_EQ(SqlStateOf(a, "UPDATE sync_metadata.hosts SET hostname = 'hijacked' WHERE host_id = $1", {b_host_}),
            kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "INSERT INTO sync_metadata.hosts (cluster_name, hostname) VALUES ($1, 'spy')", {b_}),
            kInsufficientPrivilege);
  EXPECT_EQ(a.Exec("UPDATE sync_metadata.sync_jobs SET status = 'failed'").Affected(), 0);

  PgConn admin = Admin();
  EXPECT_EQ(admin.ExecOneRow("SELECT hostname FROM sync_metadata.hosts WHERE host_id = $1", {b_host_}).Get(0, 0),
            "node-b1");
  EXPECT_EQ(admin.ExecOneRow("SELECT status FROM sync_metadata.sync_jobs WHERE cluster_name = $1", {b_}).Get(0, 0),
            "succeeded");
}

TEST_F(SecurityTest, ClusterRoleCannotCallTheBindingLookupForAnotherRole) {
  // my_cluster() reads session_user: SET ROLE cannot borrow another binding.
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "SET ROLE " + a.QuoteIdentifier(RoleForCluster(b_))), kInsufficientPrivilege);
  EXPECT_EQ(a.ExecOneRow("SELECT sync_metadata.my_cluster()").Get(0, 0), a_);
  EXPECT_EQ(SqlStateOf(a, "SELECT * FROM sync_metadata.clusters"), kInsufficientPrivilege);
}

TEST_F(SecurityTest, ClusterCanUseOnlyItsOwnTenantSchema) {
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(a.ExecOneRow("SELECT title FROM client_a.chat WHERE id = 'c1'").Get(0, 0), "hello");
  a.Exec("INSERT INTO client_a.chat VALUES ('c2', 'mine')");
  EXPECT_EQ(a.Exec("UPDATE client_a.chat SET title = 'edited' WHERE id = 'c2'").Affected(), 1);
  EXPECT_EQ(a.Exec("DELETE FROM client_a.chat WHERE id = 'c2'").Affected(), 1);  // deletes propagate

  EXPECT_EQ(SqlStateOf(a, "SELECT * FROM client_b.chat"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "INSERT INTO client_b.chat VALUES ('c9', 'spy')"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "UPDATE client_b.chat SET title = 'x'"), kInsufficientPrivilege);
  EXPECT_EQ(SqlStateOf(a, "DELETE FROM client_b.chat"), kInsufficientPrivilege);
}

TEST_F(SecurityTest, TablesCreatedLaterInATenantSchemaAreGrantedToItsClusterOnly) {
  PgConn admin = Admin();
  admin.Exec("CREATE TABLE client_a.note (id text PRIMARY KEY)");
  admin.Exec("CREATE TABLE client_b.note (id text PRIMARY KEY)");
  PgConn a = ConnectAsCluster(a_);
  a.Exec("INSERT INTO client_a.note VALUES ('n1')");
  EXPECT_EQ(SqlStateOf(a, "SELECT * FROM client_b.note"), kInsufficientPrivilege);
}

TEST_F(SecurityTest, RemovedDeploymentIsNoLongerAccessible) {
  PgConn admin = Admin();
  RemoveDeployment(admin, "tenant-a", false, nullptr);
  PgConn a = ConnectAsCluster(a_);
  EXPECT_EQ(SqlStateOf(a, "SELECT * FROM client_a.chat"), kInsufficientPrivilege);
  // The data stays.
  EXPECT_EQ(CountVisible(admin, "client_a.chat"), 1);
}

}  // namespace
}  // namespace tenantsync::testing

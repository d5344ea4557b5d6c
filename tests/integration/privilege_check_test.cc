// The privilege self-check: a sync tool refuses a role that could
// do more than it should, and one that could not do its job.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/schema/clusters.h"
#include "common/schema/privilege_check.h"
#include "tests/integration/pg_harness.h"

namespace tenantsync::testing {
namespace {

bool AnyContains(const std::vector<std::string>& problems, const std::string& needle) {
  for (const std::string& p : problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}

class PrivilegeCheckTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped()) return;
    ApplySchema();
    cluster_ = AddCluster("node");
    role_ = RoleForCluster(cluster_);
  }

  // Runs `sql` as admin with the cluster's quoted role name in place of {}.
  void AlterRole(const std::string& sql) {
    PgConn admin = Admin();
    admin.Exec(fmt::format(fmt::runtime(sql), admin.QuoteIdentifier(role_)));
  }

  std::vector<std::string> Problems() {
    PgConn conn = ConnectAsCluster(cluster_);
    return FindPrivilegeProblems(conn, cluster_, AuditDepth::kFull);
  }

  std::string cluster_, role_;
};

TEST_F(PrivilegeCheckTest, TheClusterRoleAsCreatedPasses) {
  EXPECT_TRUE(Problems().empty());
  PgConn conn = ConnectAsCluster(cluster_);
  EXPECT_NO_THROW(CheckSyncRolePrivileges(conn, cluster_));
}

TEST_F(PrivilegeCheckTest, SuperuserIsRefused) {
  PgConn admin = Admin();  // the bootstrap superuser
  std::vector<std::string> problems = FindPrivilegeProblems(admin, cluster_);
  ASSERT_EQ(problems.size(), 1u) << "a superuser holds every privilege; one finding says so";
  EXPECT_TRUE(AnyContains(problems, "is a superuser"));
  try {
    CheckSyncRolePrivileges(admin, cluster_);
    FAIL() << "a superuser was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNoPerm);
    EXPECT_NE(std::string(e.what()).find("refusing to run"), std::string::npos);
  }
}

TEST_F(PrivilegeCheckTest, BypassRlsIsRefused) {
  AlterRole("ALTER ROLE {} BYPASSRLS");
  EXPECT_TRUE(AnyContains(Problems(), "bypasses row-level security"));
}

TEST_F(PrivilegeCheckTest, DeleteOrTruncateOnMetadataIsRefused) {
  AlterRole("GRANT DELETE ON sync_metadata.sync_jobs TO {}");
  EXPECT_TRUE(AnyContains(Problems(), "may DELETE sync_metadata.sync_jobs (every column)"));
  AlterRole("REVOKE DELETE ON sync_metadata.sync_jobs FROM {}");
  AlterRole("GRANT TRUNCATE ON sync_metadata.hosts TO {}");
  EXPECT_TRUE(AnyContains(Problems(), "may TRUNCATE sync_metadata.hosts"));
}

// The documented set is column grants: a table-wide INSERT or UPDATE (which
// would also allow strong table locks), a grant on an identity or routing
// column, or EXECUTE on an internal function is more than a node needs.
TEST_F(PrivilegeCheckTest, PrivilegesBeyondTheDocumentedSetAreRefused) {
  AlterRole("GRANT UPDATE ON sync_metadata.leader_election TO {}");
  AlterRole("GRANT INSERT (host_id) ON sync_metadata.hosts TO {}");
  AlterRole("GRANT UPDATE (sqlite_path) ON sync_metadata.client_deployments TO {}");
  AlterRole("GRANT EXECUTE ON FUNCTION sync_metadata.capture_write() TO {}");
  AlterRole("GRANT SELECT ON sync_metadata.clusters TO {}");
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(AnyContains(problems, "may UPDATE sync_metadata.leader_election (every column)"));
  EXPECT_TRUE(AnyContains(problems, "may INSERT sync_metadata.hosts (host_id)"));
  EXPECT_TRUE(AnyContains(problems, "may UPDATE sync_metadata.client_deployments (sqlite_path)"));
  EXPECT_TRUE(AnyContains(problems, "may EXECUTE sync_metadata.capture_write()"));
  EXPECT_TRUE(AnyContains(problems, "may SELECT sync_metadata.clusters"));
}

TEST_F(PrivilegeCheckTest, AMissingColumnGrantIsRefused) {
  AlterRole("REVOKE INSERT (version) ON sync_metadata.hosts FROM sync_service");
  EXPECT_TRUE(AnyContains(Problems(), "lacks INSERT on sync_metadata.hosts (version)"));
}

// Beyond the metadata (the full audit of check-role): CREATE on the
// database, objects it owns, another cluster's tables.
TEST_F(PrivilegeCheckTest, TheFullAuditLooksAtTheWholeDatabase) {
  AlterRole(fmt::format("GRANT CREATE ON DATABASE {} TO {{}}", Admin().QuoteIdentifier(dbname_)));
  PgConn admin = Admin();
  admin.ExecScript("CREATE SCHEMA other; CREATE TABLE other.t (v text); CREATE TABLE other.mine (v text)");
  AlterRole("GRANT SELECT ON other.t TO {}");
  AlterRole("ALTER TABLE other.mine OWNER TO {}");
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(AnyContains(problems, "may CREATE in database"));
  EXPECT_TRUE(AnyContains(problems, "may SELECT other.t"));
  EXPECT_TRUE(AnyContains(problems, "owns other.mine"));
  // The quick check every tool runs at start does not scan the database.
  PgConn conn = ConnectAsCluster(cluster_);
  EXPECT_FALSE(AnyContains(FindPrivilegeProblems(conn, cluster_), "may SELECT other.t"));
}

TEST_F(PrivilegeCheckTest, TimeoutsTheRoleRaisedOrDroppedAreRefused) {
  AlterRole("ALTER ROLE {} SET lock_timeout = 0");
  AlterRole("ALTER ROLE {} RESET idle_in_transaction_session_timeout");
  AlterRole("ALTER ROLE {} SET statement_timeout = '2d'");
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(AnyContains(problems, "lock_timeout = 0: unbounded"));
  EXPECT_TRUE(AnyContains(problems, "has no idle_in_transaction_session_timeout of its own"));
  EXPECT_TRUE(AnyContains(problems, "statement_timeout = 2d, above the most [postgres] statement_timeout_seconds accepts"));
}

TEST_F(PrivilegeCheckTest, OwningMetadataIsRefused) {
  AlterRole("ALTER TABLE sync_metadata.state OWNER TO {}");
  EXPECT_TRUE(AnyContains(Problems(), "owns metadata tables: state"));
}

TEST_F(PrivilegeCheckTest, CreateRoleAndWriteAllDataAreRefused) {
  AlterRole("ALTER ROLE {} CREATEROLE");
  AlterRole("GRANT pg_write_all_data TO {}");
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(AnyContains(problems, "can create roles"));
  EXPECT_TRUE(AnyContains(problems, "pg_write_all_data"));
}

TEST_F(PrivilegeCheckTest, MissingPrivilegesAreRefused) {
  AlterRole("REVOKE sync_service FROM {}");
  EXPECT_TRUE(AnyContains(Problems(), "not a member of sync_service"));
}

TEST_F(PrivilegeCheckTest, RoleOfAnotherClusterIsRefused) {
  PgConn conn = ConnectAsCluster(cluster_);
  std::vector<std::string> problems = FindPrivilegeProblems(conn, "some-other-cluster");
  EXPECT_TRUE(AnyContains(problems, "belongs to cluster " + cluster_));
}

TEST_F(PrivilegeCheckTest, UnboundRoleIsRefused) {
  PgConn admin = Admin();
  admin.Exec("CREATE ROLE tenantsync_unbound_probe LOGIN PASSWORD 'probe-password' IN ROLE sync_service");
  roles_.push_back("tenantsync_unbound_probe");
  admin.Exec(fmt::format("GRANT CONNECT ON DATABASE {} TO tenantsync_unbound_probe", admin.QuoteIdentifier(dbname_)));
  WriteFile(tmp_.File("unbound.password"), "probe-password\n");
  PgConn conn = PgConn::Connect(
      {Cluster()->TcpConninfo(dbname_, "tenantsync_unbound_probe"), tmp_.File("unbound.password"), "tests", 10});
  EXPECT_TRUE(AnyContains(FindPrivilegeProblems(conn, cluster_), "not bound to any cluster"));
}

}  // namespace
}  // namespace tenantsync::testing

#include "tests/integration/tenant_fixture.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/schema/clusters.h"
#include "common/schema/deployments.h"
#include "common/sqlite/db.h"

namespace tenantsync::testing {

void TenantTest::SetUp() {
  PgTest::SetUp();
  if (IsSkipped()) return;
  ApplySchema();
  cluster_ = AddCluster("run");
}

void TenantTest::AddTenant(const std::string& name, const std::string& sqlite_path, const std::string& pg_ddl) {
  PgConn admin = Admin();
  std::string schema = "client_" + name;
  AddDeployment(admin, {name, cluster_, sqlite_path, schema, false}, nullptr);
  std::string ddl = pg_ddl;
  std::string quoted = admin.QuoteIdentifier(schema);
  for (size_t at = ddl.find("{schema}"); at != std::string::npos; at = ddl.find("{schema}", at + quoted.size())) {
    ddl.replace(at, 8, quoted);
  }
  admin.ExecScript(ddl);
  AddDeployment(admin, {name, cluster_, sqlite_path, schema, false}, nullptr);  // grants the new tables
}

void TenantTest::ExecSqlite(const std::string& path, const std::string& sql) {
  SqliteDb db = SqliteDb::OpenReadWrite(path);
  char* error = nullptr;
  int rc = sqlite3_exec(db.raw(), sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  ASSERT_EQ(rc, SQLITE_OK) << message << "\n" << sql;
}

std::string TenantTest::NodeConfigText(const std::string& extra, const std::string& node_name) const {
  return fmt::format(
      "[node]\ncluster = \"{}\"\nstate_dir = \"{}\"\n{}[postgres]\nconninfo = \"{}\"\npassword_file = \"{}\"\n{}",
      cluster_, StateDir(), node_name.empty() ? "" : fmt::format("name = \"{}\"\n", node_name),
      Cluster()->TcpConninfo(dbname_, RoleForCluster(cluster_)), PasswordFile(cluster_), extra);
}

Config TenantTest::NodeConfig(const std::string& extra) const { return ParseConfig(NodeConfigText(extra), "test.toml"); }

std::string TenantTest::WriteNodeConfig(const std::string& extra, const std::string& node_name) const {
  std::string path = tmp_.File(node_name.empty() ? "node.toml" : "node-" + node_name + ".toml");
  WriteFile(path, NodeConfigText(extra, node_name), 0644);
  return path;
}

std::string TenantTest::Scalar(const std::string& sql) const {
  PgConn admin = Admin();
  return std::string(admin.ExecOneRow(sql).Get(0, 0));
}

}  // namespace tenantsync::testing

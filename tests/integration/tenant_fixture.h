#pragma once
// A test with the metadata schema applied, one cluster (its login role and
// password file) and helpers to add tenants: a SQLite source file and a
// target schema with tables, registered as a deployment of that cluster.

#include <string>

#include "common/config.h"
#include "tests/integration/pg_harness.h"

namespace tenantsync::testing {

class TenantTest : public PgTest {
 protected:
  void SetUp() override;

  // Registers deployment `name` (schema client_<name>) for sqlite_path, runs
  // `pg_ddl` as admin with every "{schema}" replaced by the quoted schema,
  // and grants the new tables to the cluster.
  void AddTenant(const std::string& name, const std::string& sqlite_path, const std::string& pg_ddl);

  // Runs SQL on a SQLite file (created if missing) through a read-write open.
  static void ExecSqlite(const std::string& path, const std::string& sql);

  // The node's configuration (as the cluster's role over TCP), plus `extra`
  // TOML; `node_name` "" keeps the default (the hostname).
  Config NodeConfig(const std::string& extra = "") const;
  std::string NodeConfigText(const std::string& extra = "", const std::string& node_name = "") const;
  // The same, written to a file for the real binaries; returns its path.
  std::string WriteNodeConfig(const std::string& extra = "", const std::string& node_name = "") const;

  // The node's state_dir (metrics files land in StateDir()/metrics).
  std::string StateDir() const { return tmp_.File("state"); }

  // One value from the admin connection.
  std::string Scalar(const std::string& sql) const;

  std::string cluster_;
};

}  // namespace tenantsync::testing

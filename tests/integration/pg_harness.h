#pragma once
// The integration suite's PostgreSQL: one embedded cluster per test process
// (started in main(), stopped even when a test fails or the process dies),
// and a fresh database for each test. Tests skip when PostgreSQL's server
// binaries are missing, unless TENANTSYNC_REQUIRE_PG=1 (CI sets it).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/config.h"
#include "common/pg/conn.h"
#include "common/pg/embedded_cluster.h"

namespace tenantsync::testing {

// The running cluster, or nullptr when unavailable.
EmbeddedCluster* Cluster();

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A test with its own database, created fresh and dropped afterwards.
class PgTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Superuser connection to this test's database.
  PgConn Admin() const;
  std::string AdminConninfo() const;
  // A config whose admin_conninfo points at this test's database.
  Config AdminConfig() const;
  // Applies every migration (as sync-schema apply does).
  void ApplySchema() const;
  // Creates a cluster login role (name made unique per test) and returns
  // that cluster's name; its password file is in tmp_.
  std::string AddCluster(const std::string& base_name);
  // Connects as the cluster's login role over TCP with its password.
  PgConn ConnectAsCluster(const std::string& cluster) const;
  std::string PasswordFile(const std::string& cluster) const { return tmp_.File(cluster + ".password"); }

  std::string dbname_;
  TempDir tmp_;
  std::vector<std::string> roles_;  // dropped in TearDown
};

// Runs a program with arguments; captures stdout and stderr.
struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// Starts a program with stdin, stdout and stderr on /dev/null; returns its pid.
pid_t SpawnQuiet(const std::vector<std::string>& argv);
// Waits for it: its exit code, or 128 + the signal that ended it.
int WaitExit(pid_t pid);

// Writes a file with the given mode.
void WriteFile(const std::string& path, const std::string& content, int mode = 0600);

}  // namespace tenantsync::testing

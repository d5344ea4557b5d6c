#pragma once
// The integration suite's PostgreSQL: one embedded cluster per test process
// (started in main(), stopped even when a test fails or the process dies),
// and a fresh database for each test. Tests skip when PostgreSQL's server
// binaries are missing, unless TENANTSYNC_REQUIRE_PG=1 (CI sets it).

#include <gtest/gtest.h>

#include <sys/types.h>

#include <chrono>
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

// Runs a program with arguments; captures stdout and stderr. `env` entries
// (NAME=VALUE) replace or add to the inherited environment.
struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;  // RunProcessWithTimeout killed it
};
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// Like RunProcess, for programs that start helpers of their own (a browser):
// the program runs in its own process group, both pipes are read as output
// arrives (a chatty program cannot fill one and stall), and after `timeout`
// the whole group is killed (timed_out). When the program ends, whatever it
// left in its group is killed too. Helpers that leave the group (setsid)
// are the caller's to find, e.g. with LiveProcessesMentioning().
ProcessResult RunProcessWithTimeout(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                    const std::vector<std::string>& env = {});

// A program running in the background, in its own process group, with stdout
// and stderr appended to `log_path`. Stopped when destroyed, so a failing test
// leaves nothing running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  // SIGTERM; SIGKILL to the group if it has not exited within `grace`.
  // Returns the exit code (128 + signal). Idempotent.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Processes (not zombies) whose command line contains `text`: what a program
// left running, found by a path only this test uses.
std::vector<pid_t> LiveProcessesMentioning(const std::string& text);

// Starts a program with stdin, stdout and stderr on /dev/null; returns its pid.
pid_t SpawnQuiet(const std::vector<std::string>& argv);
// Waits for it: its exit code, or 128 + the signal that ended it.
int WaitExit(pid_t pid);

// Runs `sql` and returns the SQLSTATE it failed with ("" when it succeeded).
std::string SqlStateOf(PgConn& conn, const std::string& sql, const std::vector<PgParam>& params = {});

// Writes a file with the given mode.
void WriteFile(const std::string& path, const std::string& content, int mode = 0600);

}  // namespace tenantsync::testing

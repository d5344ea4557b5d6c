#include "tests/integration/pg_harness.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/log.h"
#include "common/migrations.h"
#include "common/schema/clusters.h"
#include "common/schema/migrator.h"

namespace tenantsync::testing {
namespace {

std::unique_ptr<EmbeddedCluster>& ClusterSlot() {
  static std::unique_ptr<EmbeddedCluster> cluster;
  return cluster;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// Unique per test and per run: roles are shared by every database of the cluster.
std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  return fmt::format("{}_{}", getpid(), counter++);
}

class ClusterEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (EmbeddedCluster::FindBinDir().empty()) {
      if (const char* req = std::getenv("TENANTSYNC_REQUIRE_PG"); req && std::string(req) == "1") {
        FAIL() << "PostgreSQL server binaries not found and TENANTSYNC_REQUIRE_PG=1";
      }
      return;
    }
    ClusterSlot() = std::make_unique<EmbeddedCluster>(EmbeddedClusterOptions{});
  }
  void TearDown() override { ClusterSlot().reset(); }
};

}  // namespace

EmbeddedCluster* Cluster() { return ClusterSlot().get(); }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tenantsync-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void PgTest::SetUp() {
  if (Cluster() == nullptr) GTEST_SKIP() << "PostgreSQL server binaries not found";
  dbname_ = "t_" + UniqueSuffix();
  PgConn root = PgConn::Connect({Cluster()->AdminConninfo("postgres"), "", "tenantsync-tests", 10});
  root.Exec("CREATE DATABASE " + root.QuoteIdentifier(dbname_));
}

void PgTest::TearDown() {
  if (Cluster() == nullptr || dbname_.empty()) return;
  PgConn root = PgConn::Connect({Cluster()->AdminConninfo("postgres"), "", "tenantsync-tests", 10});
  root.Exec("DROP DATABASE IF EXISTS " + root.QuoteIdentifier(dbname_) + " WITH (FORCE)");
  for (const std::string& role : roles_) root.Exec("DROP ROLE IF EXISTS " + root.QuoteIdentifier(role));
}

std::string PgTest::AdminConninfo() const { return Cluster()->AdminConninfo(dbname_); }

PgConn PgTest::Admin() const { return PgConn::Connect({AdminConninfo(), "", "tenantsync-tests", 10}); }

Config PgTest::AdminConfig() const {
  Config config = ParseConfig("", "test");
  config.postgres.admin_conninfo = AdminConninfo();
  return config;
}

void PgTest::ApplySchema() const {
  PgConn admin = Admin();
  ApplyMigrations(admin, EmbeddedMigrations(), false);
}

std::string PgTest::AddCluster(const std::string& base_name) {
  std::string cluster = base_name + "-" + UniqueSuffix();
  for (char& c : cluster)
    if (c == '_') c = '-';
  PgConn admin = Admin();
  tenantsync::AddCluster(admin, {cluster, PasswordFile(cluster), false, false}, PostgresConfig{}, nullptr);
  roles_.push_back(RoleForCluster(cluster));
  return cluster;
}

PgConn PgTest::ConnectAsCluster(const std::string& cluster) const {
  return PgConn::Connect(
      {Cluster()->TcpConninfo(dbname_, RoleForCluster(cluster)), PasswordFile(cluster), "tenantsync-tests", 10});
}

namespace {

// argv and envp as the C arrays exec wants, built before fork(): tests run
// binaries from several threads, and after fork() in a threaded process the
// child may only make async-signal-safe calls (no malloc: another thread may
// have held its lock at the fork).
struct ExecArgs {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  ExecArgs(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    for (const std::string& kv : extra_env) env_storage.push_back(kv);
    for (std::string& kv : env_storage) envp.push_back(kv.data());
    envp.push_back(nullptr);
  }
};

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  ExecArgs exec_args(argv, env);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    dup2(null_fd, STDIN_FILENO);
    execve(exec_args.argv[0], exec_args.argv.data(), exec_args.envp.data());
    _exit(127);
  }
  close(null_fd);
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessResult result;
  // stderr is drained after stdout; outputs here are small enough for the pipe.
  result.out = ReadAll(out_pipe[0]);
  result.err = ReadAll(err_pipe[0]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  result.exit_code = WaitExit(pid);
  return result;
}

pid_t SpawnQuiet(const std::vector<std::string>& argv) {
  ExecArgs exec_args(argv, {});
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    execve(exec_args.argv[0], exec_args.argv.data(), exec_args.envp.data());
    _exit(127);
  }
  close(null_fd);
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void WriteFile(const std::string& path, const std::string& content, int mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  chmod(path.c_str(), static_cast<mode_t>(mode));
}

}  // namespace tenantsync::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tenantsync::InitLog("tenantsync-tests", tenantsync::LogLevel::kWarning);
  ::testing::AddGlobalTestEnvironment(new tenantsync::testing::ClusterEnvironment);
  return RUN_ALL_TESTS();
}

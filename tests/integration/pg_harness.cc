#include "tests/integration/pg_harness.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

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

// Reads what the ready descriptors of a stdout/stderr pair hold into their
// sinks; a descriptor at end of file (or failing) is closed and set to -1.
void ReadReady(pollfd (&fds)[2], std::string* const (&sinks)[2]) {
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || fds[i].revents == 0) continue;
    char buf[4096];
    ssize_t n = read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      sinks[i]->append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      close(fds[i].fd);
      fds[i].fd = -1;
    }
  }
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
    // An extra NAME=VALUE replaces NAME: with both in envp, getenv() would
    // find the inherited one first.
    auto overridden = [&](std::string_view entry) {
      std::string_view name = entry.substr(0, entry.find('='));
      for (const std::string& kv : extra_env) {
        if (std::string_view(kv).substr(0, kv.find('=')) == name) return true;
      }
      return false;
    };
    for (char** e = environ; *e != nullptr; ++e) {
      if (!overridden(*e)) env_storage.emplace_back(*e);
    }
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
  // Both pipes are drained together: a program that fills one while the
  // other is read first would block on its write forever.
  std::string* const sinks[2] = {&result.out, &result.err};
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    ReadReady(fds, sinks);
  }
  for (pollfd& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
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

namespace {

// Forks and execs in a process group of its own, with stdin on /dev/null and
// stdout/stderr on the given descriptors. Only async-signal-safe calls
// after fork() (see ExecArgs).
pid_t SpawnInGroup(const ExecArgs& exec_args, int out_fd, int err_fd) {
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execve(exec_args.argv[0], exec_args.argv.data(), exec_args.envp.data());
    _exit(127);
  }
  // Also here, so a kill(-pid) right after fork() cannot miss the group.
  if (pid > 0) setpgid(pid, pid);
  close(null_fd);
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

// True once `pid` has exited, without reaping it: while it is an unreaped
// zombie its pid, and so its process group id, cannot be reused, and
// kill(-pid) reaches only what it left behind.
bool ExitedUnreaped(pid_t pid, bool block) {
  siginfo_t info{};
  int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
  while (waitid(P_PID, static_cast<id_t>(pid), &info, flags) != 0) {
    if (errno != EINTR) return true;  // not our child any more: nothing to wait for
  }
  return info.si_pid == pid;
}

}  // namespace

ProcessResult RunProcessWithTimeout(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                    const std::vector<std::string>& env) {
  using Clock = std::chrono::steady_clock;
  ExecArgs exec_args(argv, env);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = SpawnInGroup(exec_args, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProcessResult result;
  std::string* const sinks[2] = {&result.out, &result.err};
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  Clock::time_point deadline = Clock::now() + timeout;
  std::optional<Clock::time_point> exited_at;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    Clock::time_point now = Clock::now();
    if (!exited_at && ExitedUnreaped(pid, false)) exited_at = now;
    // A helper outside the group may hold the pipes open: once the program
    // itself has ended, give its output a moment, then stop reading.
    if (exited_at && now - *exited_at > std::chrono::seconds(1)) break;
    if (!exited_at && now >= deadline && !result.timed_out) {
      kill(-pid, SIGKILL);
      result.timed_out = true;
    }
    if (poll(fds, 2, 50) < 0 && errno != EINTR) break;
    ReadReady(fds, sinks);
  }
  for (pollfd& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  ExitedUnreaped(pid, true);
  kill(-pid, SIGKILL);  // what it left in its group; the pid is still unreaped
  result.exit_code = WaitExit(pid);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  ExecArgs exec_args(argv, {});
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_path);
  try {
    pid_ = SpawnInGroup(exec_args, log_fd, log_fd);
  } catch (...) {
    close(log_fd);
    throw;
  }
  close(log_fd);
}

ChildProcess::~ChildProcess() { Stop(); }

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!ExitedUnreaped(pid_, false) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid_, SIGKILL);  // no-op when it exited and left nothing behind
  exit_code_ = WaitExit(pid_);
  pid_ = -1;
  return exit_code_;
}

std::vector<pid_t> LiveProcessesMentioning(const std::string& text) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmdline_file(it->path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) == std::string::npos) continue;
    // /proc/N/stat: "pid (comm) S ...": the state follows the last ')'.
    std::ifstream stat_file(it->path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z') continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid != getpid()) found.push_back(pid);
  }
  return found;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string SqlStateOf(PgConn& conn, const std::string& sql, const std::vector<PgParam>& params) {
  try {
    conn.Exec(sql, params);
    return "";
  } catch (const PgError& e) {
    return e.sqlstate();
  }
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

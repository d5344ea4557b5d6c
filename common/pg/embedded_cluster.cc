#include "common/pg/embedded_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/log.h"

namespace tenantsync {
namespace {

namespace fs = std::filesystem;

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw IoError(fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw IoError(fmt::format("cannot find a free port: {}", std::strerror(errno)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string ReadTail(const std::string& path, size_t max_bytes = 2000) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

// In a forked child: give up root for the cluster's user. Async-signal-safe calls only.
void DropPrivileges(uid_t uid, gid_t gid) {
  if (getuid() != 0) return;
  if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
}

}  // namespace

std::string EmbeddedCluster::FindBinDir() {
  if (const char* env = std::getenv("TENANTSYNC_PG_BINDIR"); env != nullptr && *env != '\0') return env;
  for (const char* version : {"17", "16", "15"}) {
    std::string dir = fmt::format("/usr/lib/postgresql/{}/bin", version);
    if (access((dir + "/initdb").c_str(), X_OK) == 0) return dir;
  }
  return "";
}

EmbeddedCluster::EmbeddedCluster(const EmbeddedClusterOptions& options) {
  bin_dir_ = FindBinDir();
  if (bin_dir_.empty()) {
    throw Error(ExitCode::kUnavailable, "PostgreSQL server binaries (initdb) not found",
                "install postgresql-15, or set TENANTSYNC_PG_BINDIR");
  }
  uid_ = getuid();
  gid_ = getgid();
  if (uid_ == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) pw = getpwnam("nobody");
    if (pw == nullptr) throw Error(ExitCode::kSoftware, "running as root and no 'postgres' or 'nobody' user");
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }

  temporary_ = options.dir.empty();
  if (temporary_) {
    std::string pattern = (fs::temp_directory_path() / "tenantsync-pg-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw IoError(fmt::format("mkdtemp: {}", std::strerror(errno)));
    dir_ = pattern;
  } else {
    dir_ = fs::absolute(options.dir).string();
    fs::create_directories(dir_);
  }
  data_dir_ = dir_ + "/data";
  socket_dir_ = dir_ + "/socket";
  fs::create_directories(socket_dir_);
  for (const std::string& d : {dir_, socket_dir_}) {
    if (chown(d.c_str(), uid_, gid_) != 0 || chmod(d.c_str(), 0700) != 0) {
      throw IoError(fmt::format("cannot hand {} to uid {}: {}", d, uid_, std::strerror(errno)));
    }
  }
  // Root's own mkdtemp parent (/tmp) is world-traversable; a given dir's
  // parents must be too, or the cluster user cannot reach it.

  StartWatchdog();
  if (access((data_dir_ + "/PG_VERSION").c_str(), F_OK) != 0) {
    RunAsClusterUser({bin_dir_ + "/initdb", "-D", data_dir_, "-U", "postgres", "-E", "UTF8", "--locale=C",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-N"},
                     dir_ + "/initdb.log");
  }
  {
    std::ofstream conf(data_dir_ + "/postgresql.auto.conf", std::ios::trunc);
    conf << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << socket_dir_ << "'\n"
         << "max_connections = 200\n"
         << "password_encryption = 'scram-sha-256'\n";
    if (!options.fsync) conf << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
    conf << options.extra_conf << "\n";
  }
  if (uid_ != getuid() && chown((data_dir_ + "/postgresql.auto.conf").c_str(), uid_, gid_) != 0) {
    throw IoError(fmt::format("chown postgresql.auto.conf: {}", std::strerror(errno)));
  }

  // A port found free may be taken before the server binds it: try a few.
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
    port_ = FreeLoopbackPort();
    try {
      RunAsClusterUser({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-l", dir_ + "/server.log", "-w", "-t", "60", "-o",
                        fmt::format("-p {}", port_), "start"},
                       dir_ + "/pg_ctl.log");
      running_ = true;
    } catch (const Error& e) {
      if (attempt == 4) throw;
      Log(LogLevel::kDebug, "embedded postgres did not start on port {}; retrying", port_);
    }
  }
  Log(LogLevel::kDebug, "embedded postgres up dir={} port={}", dir_, port_);
}

EmbeddedCluster::~EmbeddedCluster() { Stop(); }

void EmbeddedCluster::RunAsClusterUser(const std::vector<std::string>& argv, const std::string& log_file) const {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) throw IoError(fmt::format("cannot write {}: {}", log_file, std::strerror(errno)));
  if (fchown(log_fd, uid_, gid_) != 0 && getuid() == 0) {
    close(log_fd);
    throw IoError(fmt::format("chown {}: {}", log_file, std::strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    throw IoError(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    DropPrivileges(uid_, gid_);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string tail = ReadTail(log_file);
    if (argv[0].ends_with("pg_ctl")) tail += "\n" + ReadTail(dir_ + "/server.log");
    throw Error(ExitCode::kUnavailable, fmt::format("{} failed (status {}):\n{}", argv[0], status, tail));
  }
}

// The watchdog holds the read end of a pipe. When this process exits, however
// it exits, the pipe closes and the watchdog stops the server (and removes a
// temporary cluster). It ignores the terminal's signals, so a Ctrl-C that
// kills the tests still leaves it alive to clean up.
void EmbeddedCluster::StartWatchdog() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw IoError(fmt::format("pipe: {}", std::strerror(errno)));
  std::string script = fmt::format(
      "cat >/dev/null; '{}/pg_ctl' -D '{}' -m immediate -w stop >/dev/null 2>&1; {}", bin_dir_, data_dir_,
      temporary_ ? fmt::format("rm -rf '{}'", dir_) : std::string(":"));
  pid_t pid = fork();
  if (pid < 0) throw IoError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    setsid();
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    DropPrivileges(uid_, gid_);
    dup2(fds[0], STDIN_FILENO);
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  watchdog_fd_ = fds[1];
  watchdog_pid_ = pid;
}

void EmbeddedCluster::Stop() noexcept {
  try {
    if (running_) {
      running_ = false;
      RunAsClusterUser({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-m", "fast", "-w", "stop"}, dir_ + "/stop.log");
    }
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, "embedded postgres did not stop cleanly: {}", e.what());
  }
  if (watchdog_fd_ >= 0) {
    close(watchdog_fd_);  // the watchdog finishes the job (and removes a temporary dir)
    watchdog_fd_ = -1;
    int status = 0;
    while (waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    watchdog_pid_ = -1;
  }
}

std::string EmbeddedCluster::AdminConninfo(const std::string& dbname) const {
  return fmt::format("host={} port={} user=postgres dbname={}", socket_dir_, port_, dbname);
}

std::string EmbeddedCluster::TcpConninfo(const std::string& dbname, const std::string& user) const {
  return fmt::format("host=127.0.0.1 port={} user={} dbname={}", port_, user, dbname);
}

}  // namespace tenantsync

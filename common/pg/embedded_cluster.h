#pragma once
// A throwaway or persistent PostgreSQL cluster on this machine, for tests and
// for `make run` when no server is configured. initdb into a directory, start
// on 127.0.0.1 and a Unix socket on a free port, stop cleanly.
//
// PostgreSQL refuses to run as root: when we are root, the cluster runs as the
// `postgres` user (else `nobody`). A watchdog process stops the server and
// removes a temporary cluster when this process dies for any reason, so a
// crashed or killed test leaves nothing running.

#include <sys/types.h>

#include <string>
#include <vector>

namespace tenantsync {

struct EmbeddedClusterOptions {
  std::string dir;     // "" = a new temporary directory, removed on stop
  bool fsync = false;  // off for tests; on for benchmarks that must be honest
  // Written into postgresql.conf, e.g. "log_statement = 'all'".
  std::string extra_conf;
};

class EmbeddedCluster {
 public:
  // initdb (unless `dir` already holds a cluster) and start. Throws Error.
  explicit EmbeddedCluster(const EmbeddedClusterOptions& options);
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // Where initdb lives, or "" when PostgreSQL's server binaries are missing.
  static std::string FindBinDir();

  void Stop() noexcept;

  int port() const { return port_; }
  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& dir() const { return dir_; }
  // Superuser over the Unix socket (trust).
  std::string AdminConninfo(const std::string& dbname = "postgres") const;
  // Any role over TCP on 127.0.0.1 (scram-sha-256: a password is needed).
  std::string TcpConninfo(const std::string& dbname, const std::string& user) const;

 private:
  void RunAsClusterUser(const std::vector<std::string>& argv, const std::string& log_file) const;
  void StartWatchdog();

  std::string bin_dir_;
  std::string dir_;
  std::string data_dir_;
  std::string socket_dir_;
  bool temporary_ = false;
  int port_ = 0;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool running_ = false;
  int watchdog_fd_ = -1;
  pid_t watchdog_pid_ = -1;
};

}  // namespace tenantsync

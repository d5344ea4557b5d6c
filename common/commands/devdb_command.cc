#include "common/commands/devdb_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "common/pg/embedded_cluster.h"

namespace tenantsync {

ExitCode RunDevDb(const DevDbOptions& options) {
  EmbeddedCluster cluster({options.dir, options.fsync, ""});
  Log(LogLevel::kInfo, "embedded postgres ready on 127.0.0.1:{} (socket {})", cluster.port(), cluster.socket_dir());

  pid_t pid = fork();
  if (pid < 0) throw IoError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    setenv("PGHOST", cluster.socket_dir().c_str(), 1);
    setenv("PGPORT", std::to_string(cluster.port()).c_str(), 1);
    setenv("PGUSER", "postgres", 1);
    setenv("PGDATABASE", "postgres", 1);
    setenv("TENANTSYNC_DEVDB_TCP", fmt::format("host=127.0.0.1 port={}", cluster.port()).c_str(), 1);
    std::vector<char*> argv;
    for (const std::string& a : options.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "sync-devdb: cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  // The child gets the terminal's signals; we wait for it, then clean up.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  cluster.Stop();
  if (WIFEXITED(status)) return static_cast<ExitCode>(WEXITSTATUS(status));
  return static_cast<ExitCode>(128 + WTERMSIG(status));
}

}  // namespace tenantsync

#pragma once
// sync-devdb: an embedded PostgreSQL cluster around one command.

#include <string>
#include <vector>

#include "common/exit_code.h"

namespace tenantsync {

struct DevDbOptions {
  std::string dir;  // "" = temporary
  bool fsync = false;
  std::vector<std::string> command;
};

// Starts the cluster, runs `command` with PGHOST, PGPORT, PGUSER and
// PGDATABASE set, stops the cluster. Returns the command's exit status
// (128 + signal when it was killed).
ExitCode RunDevDb(const DevDbOptions& options);

}  // namespace tenantsync

#pragma once
// sync-elect: acquire or renew this node's cluster lease and heartbeat the
// node; exit 0 when it leads, 1 when another node does. systemd gates the sync
// unit on it with ExecCondition=.

#include "common/config.h"
#include "common/exit_code.h"

namespace tenantsync {

struct ElectOptions {
  bool release = false;  // give the lease up (planned stop)
  bool check = false;    // probe the connection and the role; elect nothing
  bool json = false;
};

ExitCode RunElect(const Config& config, const ElectOptions& options);

}  // namespace tenantsync

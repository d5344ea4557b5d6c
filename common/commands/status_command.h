#pragma once
// sync-status: serve health, Prometheus metrics and the status API over HTTP
// (common/status/), or with --once print the status and exit 0 (healthy) or
// 1 (unhealthy) without serving.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "common/config.h"
#include "common/exit_code.h"

namespace tenantsync {

struct StatusOptions {
  bool once = false;
  bool json = false;
  std::string listen;  // overrides [status] listen when set
  std::string sync_run_path;  // "" = the sync-run next to this executable
};

// Serves until a stop signal (or `stop`, for tests) arrives; `ready` gets the
// bound port.
ExitCode RunStatus(const Config& config, const StatusOptions& options, const std::atomic<bool>* stop = nullptr,
                   const std::function<void(uint16_t port)>& ready = {});

}  // namespace tenantsync

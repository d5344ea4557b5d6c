#include "common/commands/status_command.h"

#include <fmt/format.h>

#include "common/status/status_queries.h"
#include "common/status/status_render.h"
#include "common/status/status_server.h"

namespace tenantsync {

ExitCode RunStatus(const Config& config, const StatusOptions& options, const std::atomic<bool>* stop,
                   const std::function<void(uint16_t)>& ready) {
  config.RequireCluster();
  if (options.once) {
    StatusSnapshot s = CollectStatus(config);
    fmt::print("{}", options.json ? HealthJson(s) + "\n" : StatusText(s));
    std::fflush(stdout);
    return s.healthy ? ExitCode::kOk : ExitCode::kNo;
  }
  Config serving = config;
  if (!options.listen.empty()) serving.status.listen = options.listen;
  static const std::atomic<bool> kNever{false};
  ServeStatus(serving, stop ? *stop : kNever, ready, options.sync_run_path);
  return ExitCode::kOk;
}

}  // namespace tenantsync

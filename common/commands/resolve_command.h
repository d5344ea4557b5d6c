#pragma once
// sync-resolve: list, show and settle the conflicts sync-run logged
// (common/conflict/). Writes go through the lease, as sync-run's do.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/conflict/conflict_store.h"
#include "common/conflict/resolution.h"
#include "common/exit_code.h"

namespace tenantsync {

struct ResolveOptions {
  enum class Command { kList, kShow, kApply, kAuto };
  Command command = Command::kList;
  ConflictFilter filter;                     // ids, deployment, table, pending_only
  std::optional<Take> take;                  // apply
  std::optional<ConflictStrategy> strategy;  // auto: instead of each table's configured one
  bool dry_run = false;
  bool json = false;
  bool color = false;                        // show: highlight differing columns (a terminal)
};

// 0 done; 1 nothing matched (or, for apply/auto, nothing could be settled);
// 69 PostgreSQL unreachable, 75 not the leader, 77 role unfit, 78 config.
ExitCode RunResolve(const Config& config, const ResolveOptions& options);

}  // namespace tenantsync

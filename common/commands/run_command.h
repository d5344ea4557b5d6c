#pragma once
// sync-run: for each deployment of this node's cluster, copy what changed in
// its SQLite file into its target schema (see common/sync/).

#include <chrono>
#include <optional>
#include <string>

#include "common/config.h"
#include "common/exit_code.h"

namespace tenantsync {

struct RunOptions {
  std::string deployment;  // "" = every enabled deployment of the cluster
  bool full = false;       // reconcile every table: whole pass, deletes
  bool verify = false;     // after syncing, compare source and target exactly
  bool dry_run = false;    // every write rolled back; nothing recorded
  bool json = false;
  bool progress = true;    // progress lines on stderr when it is a terminal
  // Without a terminal, a long copy logs its progress this often (journal).
  std::chrono::milliseconds log_progress_every{30'000};
  // Deployments synced at once, each worker on its own connection; 0 = one
  // per CPU. Either way at most [sync] max_jobs (see JobsForRun).
  int jobs = 0;
  // Overrides [sync] deployment_time_budget (tests); 0 = stop after one batch.
  std::optional<std::chrono::milliseconds> time_budget;
};

// How many deployments a run syncs at once: `requested` (0 = `cpus`, taken
// as 1 when unknown), never more than `max_jobs` nor fewer than 1.
int JobsForRun(int requested, int max_jobs, unsigned cpus);

// 0 all deployments synced (and, with --verify, equal); 1 --verify found a
// difference; otherwise the first failing deployment's code (65 corrupt
// source or delete brake, 66 missing source, 69 PostgreSQL down, 77 role
// unfit, 78 configuration). Other deployments are synced all the same.
ExitCode RunSync(const Config& config, const RunOptions& options);

}  // namespace tenantsync

#pragma once
// POST /api/v1/sync/trigger: on the leader only, record a 'requested'
// sync_jobs row for one deployment and start `sync-run --deployment NAME` (the
// sibling binary) for it; a thread waits for the child and closes the
// request row as succeeded or failed. sync-run records its own job as usual.

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/pg/conn.h"

namespace tenantsync {

class SyncTrigger {
 public:
  // `sync_run_path` "" = the sync-run next to this executable.
  SyncTrigger(const Config& config, std::string sync_run_path);
  ~SyncTrigger();
  SyncTrigger(const SyncTrigger&) = delete;
  SyncTrigger& operator=(const SyncTrigger&) = delete;

  enum class Outcome { kStarted, kNotLeader, kUnknownDeployment, kBusy };
  struct Result {
    Outcome outcome = Outcome::kStarted;
    int64_t job_id = 0;
  };
  Result Trigger(PgConn& conn, const std::string& deployment);

  // Waits for every started run (server shutdown).
  void JoinAll();

 private:
  void Reap(int pid, int64_t job_id, std::string deployment);

  const Config config_;
  std::string sync_run_path_;
  std::mutex mutex_;
  std::set<std::string> busy_;  // deployments with a triggered run going
  std::vector<std::thread> threads_;
};

// "requested_by" of the rows the trigger writes.
inline constexpr const char* kTriggerRequestedByPrefix = "sync-status@";

}  // namespace tenantsync

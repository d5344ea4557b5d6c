#pragma once
// Keeps a sync-run's lease while it writes: Fence() runs first in every write
// transaction. It renews the lease when a third of the TTL has passed since
// the last renewal, steps down (throws) when a renewal could no longer land
// before the lease expires (as Patroni and LiteFS do), and then checks the
// epoch and holds the lease row until commit (FenceCheck).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "common/lease/lease.h"

namespace tenantsync {

class LeaseKeeper {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;  // injected by tests

  // `held` is the lease as acquired at the start of the run; `asked_at` when
  // that statement was sent.
  LeaseKeeper(int64_t host_id, const LeaseState& held, int ttl_seconds, Clock::time_point asked_at,
              Now now = Clock::now);

  // Throws LeaseLostError (exit 75) when this node may no longer write.
  // Safe to call from several threads (sync-run --jobs), each on its own
  // connection. No lock is held across a statement: a renewal waits for the
  // other workers' fenced transactions (their FOR SHARE on the lease row),
  // and they must be free to commit meanwhile.
  void Fence(PgConn& conn);

  int64_t epoch() const { return epoch_; }
  int64_t host_id() const { return host_id_; }

  LeaseKeeper(LeaseKeeper&& other) noexcept;
  LeaseKeeper& operator=(LeaseKeeper&&) = delete;

 private:
  int64_t host_id_;
  int64_t epoch_;
  std::chrono::milliseconds ttl_;
  std::atomic<Clock::time_point> renewed_at_;  // when the last successful renewal was *sent*
  Now now_;
};

}  // namespace tenantsync

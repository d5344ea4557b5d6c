#include "common/lease/write_lease.h"

#include <fmt/format.h>

#include "common/sync/run_records.h"

namespace tenantsync {

LeaseKeeper TakeWriteLease(PgConn& conn, const Config& config, const std::string& tool) {
  int64_t host_id = RegisterHost(conn, config.node.name, "tenantsync " TENANTSYNC_VERSION);
  // The ExecCondition= check was a moment ago, not a guarantee; every write
  // transaction re-checks the lease (fencing).
  auto asked = LeaseKeeper::Clock::now();
  LeaseState held = AcquireOrRenew(conn, host_id, config.lease.ttl_seconds);
  if (!held.leader()) {
    throw LeaseLostError(fmt::format("this node does not lead cluster {}: {} does (epoch {})",
                                     config.RequireCluster(), held.holder_name, held.epoch),
                         fmt::format("only the leader writes: normal for {} on the follower; by hand, run it on {}", tool,
                                     held.holder_name));
  }
  return LeaseKeeper(host_id, held, config.lease.ttl_seconds, asked);
}

}  // namespace tenantsync

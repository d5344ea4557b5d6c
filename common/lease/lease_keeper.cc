#include "common/lease/lease_keeper.h"

#include <fmt/format.h>

namespace tenantsync {

LeaseKeeper::LeaseKeeper(int64_t host_id, const LeaseState& held, int ttl_seconds, Clock::time_point asked_at, Now now)
    : host_id_(host_id),
      epoch_(held.epoch),
      ttl_(std::chrono::seconds(ttl_seconds)),
      renewed_at_(asked_at),
      now_(std::move(now)) {}

LeaseKeeper::LeaseKeeper(LeaseKeeper&& other) noexcept
    : host_id_(other.host_id_),
      epoch_(other.epoch_),
      ttl_(other.ttl_),
      renewed_at_(other.renewed_at_.load()),
      now_(std::move(other.now_)) {}

void LeaseKeeper::Fence(PgConn& conn) {
  Clock::time_point sent = now_();
  Clock::time_point renewed_at = renewed_at_.load();
  // The local clock only measures how long since we sent the last renewal:
  // the lease ran from no earlier than that, so past ttl - margin it may be
  // gone and we stop before the database says so.
  auto margin = ttl_ / 5;
  if (sent - renewed_at >= ttl_ - margin) {
    throw LeaseLostError(fmt::format("the lease (epoch {}) could not be renewed in time; stepping down", epoch_),
                         "a long pause or a slow database; the next timer tick elects again");
  }
  if (sent - renewed_at >= ttl_ / 3) {
    LeaseState state = AcquireOrRenew(conn, host_id_, static_cast<int>(ttl_.count() / 1000));
    if (!state.leader() || state.epoch != epoch_) {
      throw LeaseLostError(fmt::format("lost the lease (epoch {}): {} leads now with epoch {}", epoch_,
                                       state.holder_name.empty() ? "another node" : state.holder_name, state.epoch));
    }
    // Never backwards: another worker may have renewed later meanwhile.
    Clock::time_point seen = renewed_at_.load();
    while (seen < sent && !renewed_at_.compare_exchange_weak(seen, sent)) {
    }
  }
  FenceCheck(conn, host_id_, epoch_);
}

}  // namespace tenantsync

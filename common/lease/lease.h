#pragma once
// The cluster's lease in sync_metadata.leader_election (docs/operations.md). One
// statement acquires or renews it on the database's clock; its epoch (the
// fencing token) grows by one at every change of holder, and every write
// transaction of sync-run checks it (FenceCheck) and holds it until commit,
// so a paused or partitioned former leader can never write after a takeover.
//
// Every statement here is pooler-safe: plain PQexecParams, no session state,
// no advisory locks.

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/pg/conn.h"

namespace tenantsync {

enum class LeaseOutcome { kAcquired, kRenewed, kHeldByOther };

struct LeaseState {
  LeaseOutcome outcome = LeaseOutcome::kHeldByOther;
  int64_t epoch = 0;
  std::optional<int64_t> holder_host_id;
  std::string holder_name;        // the holder's hostname, "" when none
  double seconds_left = 0;        // until expiry, on the database's clock (negative: expired)
  bool leader() const { return outcome != LeaseOutcome::kHeldByOther; }
};

// The lease was lost (or never held): stop writing, retry on the next tick.
struct LeaseLostError : Error {
  explicit LeaseLostError(std::string m, std::string h = {}) : Error(ExitCode::kTempFail, std::move(m), std::move(h)) {}
};

// Acquires the lease when it is free or expired, renews it when this host
// holds it; otherwise reports the holder. READ COMMITTED autocommit or inside
// a transaction: concurrent callers get exactly one winner.
LeaseState AcquireOrRenew(PgConn& conn, int64_t host_id, int ttl_seconds);

// Gives the lease up if this host holds it (planned stop): the peer takes
// over on its next tick instead of waiting for the expiry. Returns whether
// anything was released.
bool ReleaseLease(PgConn& conn, int64_t host_id);

// Inside a write transaction: throws LeaseLostError unless `host_id` still
// holds the lease with `epoch`, unexpired; then holds a share lock on the
// lease row until commit, so a takeover waits for this transaction.
void FenceCheck(PgConn& conn, int64_t host_id, int64_t epoch);

std::string_view ToString(LeaseOutcome outcome);

}  // namespace tenantsync

#pragma once
// `sync-schema prune`: removes history older than [retention], as the admin
// (the nodes' role cannot DELETE metadata). What /metrics counts survives:
// run totals live in deployment_state, and settled conflicts are counted
// into pruned_conflicts in the same statement that deletes them. Open items
// (pending conflicts, quarantined rows not yet resolved, requested or
// running jobs) are never pruned. Each batch is its own short transaction,
// so a prune never holds locks the nodes wait on for long.

#include <cstdint>

#include "common/config.h"
#include "common/pg/conn.h"

namespace tenantsync {

struct PruneCounts {
  int64_t jobs = 0;          // finished sync_jobs rows
  int64_t conflicts = 0;     // settled conflict_log rows
  int64_t quarantine = 0;    // resolved quarantine rows
  int64_t cache_events = 0;
};

// Rows per DELETE: small enough for short transactions, large enough that a
// year of history goes in minutes.
inline constexpr int kPruneBatchRows = 10'000;

// dry_run: counts what would go and deletes nothing.
PruneCounts PruneHistory(PgConn& admin, const RetentionConfig& retention, bool dry_run);

}  // namespace tenantsync

#pragma once
// Settling one pending conflict by hand or by a strategy (sync-resolve):
// take the source image, keep the target, or write the merge of both. One
// fenced transaction per conflict; the row's versions are recorded so the
// next sync-run does not reopen it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/config.h"
#include "common/conflict/conflict_store.h"
#include "common/pg/conn.h"
#include "common/pg/txn.h"

namespace tenantsync {

enum class Take { kSource, kTarget, kMerged };
std::string_view ToString(Take take);

struct ResolveContext {
  PgConn& conn;
  const Config& config;
  PgTxnOptions txn;
  std::function<void(PgConn&)> fence;  // first in the transaction (the lease); may throw
  std::string resolved_by;
  bool dry_run = false;                // everything done, then rolled back
};

struct Resolution {
  std::string outcome;  // source_applied, target_kept or merged; "" when skipped
  std::string reason;   // why it was skipped
  std::optional<std::string> resolved_row;
};

// Writes nothing and says why when the conflict is no longer pending, when
// the target row changed since the conflict was logged (the next sync-run
// looks at it again), or when a merge clashes and the table's fallback is
// manual.
Resolution Resolve(ResolveContext& ctx, const ConflictRecord& conflict, Take take);

// The side `strategy` takes for a logged conflict; nullopt for manual.
// newest_wins compares the change column in the two images (a tie, or no
// change column, takes the source, as sync-run does).
std::optional<Take> TakeForStrategy(PgConn& conn, const ConflictRecord& conflict, ConflictStrategy strategy,
                                    const TableConfig& table);

}  // namespace tenantsync

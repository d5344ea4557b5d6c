#pragma once
// The capture trigger of a target table (sql/006_capture.sql,
// docs/conflicts.md): with it, only rows another writer touched carry a
// version row, and the sync writes every other row with a plain merge.

#include "common/sync/table_sync.h"

namespace tenantsync {

// Whether `plan`'s table has a capture trigger that matches the plan (key
// and columns), installing or replacing it when it is missing or stale
// (never under --dry-run). A table where it cannot be installed (the admin
// role does not own it, say) or where someone disabled it keeps a version
// row for every row the sync writes: slower, just as exact. Installing it
// also drops the version rows it makes redundant (sql/009_prune_versions.sql).
bool EnsureCapture(SyncContext& ctx, const TablePlan& plan);

}  // namespace tenantsync

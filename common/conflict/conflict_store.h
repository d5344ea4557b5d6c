#pragma once
// Reading conflict_log for sync-resolve and sync-status: conflicts of this
// cluster's deployments (row-level security does the scoping), filtered.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/pg/conn.h"

namespace tenantsync {

struct ConflictFilter {
  std::vector<int64_t> ids;  // empty: any
  std::string deployment;    // "" = any
  std::string table;         // "" = any
  bool pending_only = false;
  long limit = 0;            // 0 = no limit
};

struct ConflictRecord {
  int64_t id = 0;
  int64_t deployment_id = 0;
  std::string deployment;
  std::string target_schema;
  std::string table;
  std::string row_key;                     // JSON object of the key columns
  std::string version_key;                 // the row's key in row_versions
  std::string strategy;
  std::string outcome;
  std::string detected_at;                 // ISO 8601 UTC
  std::optional<std::string> source_row;   // exact JSON images (docs/conflicts.md, "Row images")
  std::optional<std::string> target_row;
  std::optional<std::string> resolved_row;
  std::optional<std::string> resolved_by;
  std::optional<std::string> resolved_at;
  std::string clashes_json = "[]";         // columns a merge could not settle, a JSON array
  // The two rows' digests when sync-run logged the conflict; unset when an
  // older version logged it (its images are not exact).
  std::optional<std::string> source_digest;
  std::optional<std::string> target_digest;
};

// Oldest first.
std::vector<ConflictRecord> FindConflicts(PgConn& conn, const ConflictFilter& filter);

// A row image's columns in order, each value as its text; unset for SQL NULL.
std::vector<std::pair<std::string, std::optional<std::string>>> ImageColumns(PgConn& conn, const std::string& image);

}  // namespace tenantsync

#pragma once
// /metrics: families computed from PostgreSQL, followed by the batch tools'
// textfiles (<state_dir>/metrics/*.prom) merged so that each family's HELP
// and TYPE appear once (several sync-run files share families).

#include <set>
#include <string>
#include <vector>

#include "common/metrics/prometheus_text.h"
#include "common/status/status_queries.h"

namespace tenantsync {

// The families for a snapshot and the job totals (empty when PostgreSQL was
// unreachable: then only tenantsync_postgres_up 0 and the node's own gauges).
std::vector<MetricFamily> StatusFamilies(const StatusSnapshot& s, const std::vector<StatusJobTotals>& jobs);

// tenantsync_conflicts_detected_total and _resolved_total, counted from
// conflict_log: it never shrinks (sync_service may not delete from it) and a
// settled conflict never returns to pending, so both only grow.
std::vector<MetricFamily> ConflictFamilies(const std::vector<StatusConflictTotals>& totals);

// Merges text-format documents: one HELP/TYPE per family (the first seen),
// samples grouped under their family, duplicate series dropped, and families
// named in `taken` dropped. Comments other than HELP/TYPE are dropped.
std::string MergeTextfiles(const std::vector<std::string>& texts, const std::set<std::string>& taken);

// Reads <state_dir>/metrics/*.prom in name order (unreadable files skipped).
std::vector<std::string> ReadTextfiles(const std::string& state_dir);

// The whole /metrics body for `config`. `cache_listen_up`: this process's
// state-cache LISTEN connection is up (tenantsync_status_cache_listen_up).
std::string RenderStatusMetrics(const Config& config, bool cache_listen_up);

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace tenantsync

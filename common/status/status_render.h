#pragma once
// sync-status's documents: /health and /api/v1/cluster/status (JSON), the
// conflicts list, `--once` text, and the small HTML page at /.

#include <string>
#include <vector>

#include "common/status/status_queries.h"

namespace tenantsync {

std::string HealthJson(const StatusSnapshot& s);
std::string ClusterStatusJson(const StatusSnapshot& s);
std::string ConflictsJson(const std::vector<StatusConflict>& conflicts);
// Human-readable, for `sync-status --once`.
std::string StatusText(const StatusSnapshot& s);
// Every text is HTML-escaped.
std::string StatusHtml(const StatusSnapshot& s, const std::vector<StatusConflict>& conflicts);
std::string HtmlEscape(std::string_view text);

}  // namespace tenantsync

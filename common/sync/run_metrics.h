#pragma once
// The metrics textfile a sync-run leaves for each deployment (docs/status.md):
// <state_dir>/metrics/sync-run-<deployment>.prom, replaced atomically, in the
// node_exporter textfile-collector format. sync-status serves them too.

#include <string>
#include <vector>

#include "common/sync/run_records.h"

namespace tenantsync {

struct RunMetrics {
  std::string deployment;
  bool success = false;
  double finished_at_unix = 0;
  double duration_seconds = 0;
  JobCounts counts;
  struct Conflicts {
    std::string table, strategy, outcome;
    long count = 0;
  };
  std::vector<Conflicts> conflicts;  // new in this run
  // What the run did not copy, from its drift report: always rendered, so
  // an alert on > 0 has a series to watch.
  struct NotCopied {
    long tables_not_in_target = 0;
    long tables_refused = 0;
    long columns_not_in_target = 0;
  } not_copied;
};

std::string RenderRunMetrics(const RunMetrics& metrics);

// Writes the file; a failure is logged as a warning, never fails the run.
void WriteRunMetrics(const std::string& state_dir, const RunMetrics& metrics);

}  // namespace tenantsync

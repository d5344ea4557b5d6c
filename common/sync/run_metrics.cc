#include "common/sync/run_metrics.h"

#include <filesystem>

#include "common/files.h"
#include "common/log.h"
#include "common/metrics/prometheus_text.h"

namespace tenantsync {

std::string RenderRunMetrics(const RunMetrics& m) {
  auto one = [&](std::string name, std::string help, double value) {
    return MetricFamily{std::move(name), std::move(help), "gauge", {{{{"deployment", m.deployment}}, value}}};
  };
  MetricFamily rows{"tenantsync_sync_last_run_rows", "Rows handled by the last sync-run, by kind", "gauge", {}};
  for (auto [kind, value] : {std::pair{"read", m.counts.rows_read}, std::pair{"written", m.counts.rows_written},
                             std::pair{"quarantined", m.counts.rows_quarantined},
                             std::pair{"deleted", m.counts.rows_deleted}}) {
    rows.samples.push_back({{{"deployment", m.deployment}, {"kind", kind}}, static_cast<double>(value)});
  }
  MetricFamily conflicts{"tenantsync_sync_last_run_conflicts",
                         "Conflicts the last sync-run detected, by table, strategy and outcome", "gauge", {}};
  for (const RunMetrics::Conflicts& c : m.conflicts) {
    conflicts.samples.push_back({{{"deployment", m.deployment}, {"table", c.table}, {"strategy", c.strategy},
                                  {"outcome", c.outcome}},
                                 static_cast<double>(c.count)});
  }
  MetricFamily not_copied{"tenantsync_sync_last_run_not_copied",
                          "Source tables and columns the last sync-run did not copy, by reason", "gauge", {}};
  for (auto [reason, value] : {std::pair{"table_not_in_target", m.not_copied.tables_not_in_target},
                               std::pair{"table_refused", m.not_copied.tables_refused},
                               std::pair{"column_not_in_target", m.not_copied.columns_not_in_target}}) {
    not_copied.samples.push_back({{{"deployment", m.deployment}, {"reason", reason}}, static_cast<double>(value)});
  }
  return RenderPrometheusText({
      one("tenantsync_sync_last_run_timestamp_seconds", "When the last sync-run of the deployment finished (Unix time)",
          m.finished_at_unix),
      one("tenantsync_sync_last_run_success", "1 if the last sync-run of the deployment succeeded, else 0",
          m.success ? 1 : 0),
      one("tenantsync_sync_last_run_duration_seconds", "How long the last sync-run of the deployment took",
          m.duration_seconds),
      rows,
      conflicts,
      not_copied,
  });
}

void WriteRunMetrics(const std::string& state_dir, const RunMetrics& m) {
  std::string dir = state_dir + "/metrics";
  try {
    std::filesystem::create_directories(dir);
    // Rewritten on every run, for every deployment: no fsync (a 500-tenant
    // tick would spend a second on them), and a crash loses one tick's figures.
    WriteFileAtomic(dir + "/sync-run-" + m.deployment + ".prom", RenderRunMetrics(m), 0644, Durability::kReplaceable);
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, "metrics file not written in {}: {}", dir, e.what());
  }
}

}  // namespace tenantsync

#include "common/status/status_metrics.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "common/files.h"

namespace tenantsync {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

MetricFamily Family(std::string name, std::string help, std::string type) {
  return MetricFamily{std::move(name), std::move(help), std::move(type), {}};
}

// The metric name a sample line starts with.
std::string SampleName(const std::string& line) {
  size_t end = line.find_first_of("{ \t");
  return line.substr(0, end);
}

// The series identity: the line up to the value (name and labels).
std::string SeriesKey(const std::string& line) {
  size_t brace = line.find('{');
  size_t space = line.find(' ');
  if (brace != std::string::npos && (space == std::string::npos || brace < space)) {
    size_t close = line.rfind('}');
    if (close != std::string::npos) return line.substr(0, close + 1);
  }
  return line.substr(0, space);
}

}  // namespace

std::vector<MetricFamily> StatusFamilies(const StatusSnapshot& s, const std::vector<StatusJobTotals>& jobs) {
  std::vector<MetricFamily> out;
  MetricFamily up = Family("tenantsync_postgres_up", "1 if sync-status reached PostgreSQL as the node's role, else 0",
                           "gauge");
  up.samples.push_back({{}, s.postgres_ok ? 1.0 : 0.0});
  out.push_back(up);
  MetricFamily healthy = Family("tenantsync_healthy", "1 if /health reports healthy, else 0", "gauge");
  healthy.samples.push_back({{}, s.healthy ? 1.0 : 0.0});
  out.push_back(healthy);
  if (!s.postgres_ok) return out;

  MetricFamily held = Family("tenantsync_lease_held", "1 if this node holds the cluster's unexpired lease, else 0",
                             "gauge");
  held.samples.push_back({{{"node", s.node}}, s.this_node_leads ? 1.0 : 0.0});
  MetricFamily epoch = Family("tenantsync_lease_epoch", "The cluster lease's fencing epoch", "gauge");
  epoch.samples.push_back({{}, static_cast<double>(s.epoch)});
  out.push_back(held);
  out.push_back(epoch);
  if (s.lease_seconds_left) {
    MetricFamily left = Family("tenantsync_lease_expiry_seconds",
                               "Seconds until the cluster lease expires (negative once expired)", "gauge");
    left.samples.push_back({{}, *s.lease_seconds_left});
    out.push_back(left);
  }

  MetricFamily heartbeat = Family("tenantsync_node_heartbeat_age_seconds",
                                  "Seconds since each node of the cluster last heartbeated", "gauge");
  for (const StatusNode& n : s.nodes) heartbeat.samples.push_back({{{"node", n.hostname}}, n.heartbeat_age_seconds});
  out.push_back(heartbeat);

  MetricFamily lag = Family("tenantsync_sync_lag_seconds",
                            "Seconds since the deployment's last successful sync-run", "gauge");
  MetricFamily never = Family("tenantsync_sync_never_succeeded",
                              "1 if the deployment has no successful sync-run yet, else 0", "gauge");
  MetricFamily conflicts = Family("tenantsync_conflicts_pending", "Conflicts waiting for resolution", "gauge");
  MetricFamily quarantined = Family("tenantsync_quarantine_rows", "Rows in quarantine, unresolved", "gauge");
  MetricFamily enabled = Family("tenantsync_deployment_enabled", "1 if the deployment is enabled, else 0", "gauge");
  for (const StatusDeployment& d : s.deployments) {
    Labels l{{"deployment", d.name}};
    if (d.lag_seconds) lag.samples.push_back({l, *d.lag_seconds});
    never.samples.push_back({l, d.lag_seconds ? 0.0 : 1.0});
    conflicts.samples.push_back({l, static_cast<double>(d.pending_conflicts)});
    quarantined.samples.push_back({l, static_cast<double>(d.quarantined_rows)});
    enabled.samples.push_back({l, d.enabled ? 1.0 : 0.0});
  }
  for (MetricFamily* f : {&lag, &never, &conflicts, &quarantined, &enabled}) out.push_back(std::move(*f));

  // Finished jobs only grow, so they are counters; requested/running come and
  // go, so they are a gauge.
  MetricFamily finished = Family("tenantsync_sync_jobs_total", "Finished sync jobs, by deployment and status",
                                 "counter");
  MetricFamily open = Family("tenantsync_sync_jobs_open", "Sync jobs requested or running, by deployment and status",
                             "gauge");
  MetricFamily rows = Family("tenantsync_sync_rows_total",
                             "Rows handled by all recorded sync jobs, by deployment and kind", "counter");
  std::map<std::string, std::map<std::string, int64_t>> row_sums;
  for (const StatusJobTotals& j : jobs) {
    Labels l{{"deployment", j.deployment}, {"status", j.status}};
    bool done = j.status == "succeeded" || j.status == "failed";
    (done ? finished : open).samples.push_back({l, static_cast<double>(j.jobs)});
    auto& sums = row_sums[j.deployment];
    sums["read"] += j.rows_read;
    sums["written"] += j.rows_written;
    sums["quarantined"] += j.rows_quarantined;
    sums["deleted"] += j.rows_deleted;
  }
  for (const auto& [deployment, sums] : row_sums) {
    for (const char* kind : {"read", "written", "quarantined", "deleted"}) {
      rows.samples.push_back({{{"deployment", deployment}, {"kind", kind}}, static_cast<double>(sums.at(kind))});
    }
  }
  out.push_back(std::move(finished));
  out.push_back(std::move(open));
  out.push_back(std::move(rows));
  return out;
}

std::vector<MetricFamily> ConflictFamilies(const std::vector<StatusConflictTotals>& totals) {
  MetricFamily detected = Family("tenantsync_conflicts_detected_total",
                                 "Conflicts logged, by deployment, table and strategy", "counter");
  MetricFamily resolved = Family("tenantsync_conflicts_resolved_total",
                                 "Conflicts settled (by sync-run or sync-resolve), by deployment, table, strategy "
                                 "and outcome",
                                 "counter");
  std::map<std::vector<std::string>, int64_t> by_strategy;
  for (const StatusConflictTotals& c : totals) {
    by_strategy[{c.deployment, c.table, c.strategy}] += c.conflicts;
    if (c.outcome == "pending") continue;
    resolved.samples.push_back({{{"deployment", c.deployment}, {"table", c.table}, {"strategy", c.strategy},
                                 {"outcome", c.outcome}},
                                static_cast<double>(c.conflicts)});
  }
  for (const auto& [k, n] : by_strategy) {
    detected.samples.push_back({{{"deployment", k[0]}, {"table", k[1]}, {"strategy", k[2]}}, static_cast<double>(n)});
  }
  return {detected, resolved};
}

std::string MergeTextfiles(const std::vector<std::string>& texts, const std::set<std::string>& taken) {
  struct Merged {
    std::string help;
    std::string type;
    std::vector<std::string> samples;
  };
  std::vector<std::string> order;
  std::map<std::string, Merged> families;
  std::set<std::string> series;
  auto family = [&](const std::string& name) -> Merged& {
    auto [it, inserted] = families.try_emplace(name);
    if (inserted) order.push_back(name);
    return it->second;
  };
  for (const std::string& text : texts) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        std::string rest = line.substr(7);
        std::string name = rest.substr(0, rest.find(' '));
        Merged& f = family(name);
        std::string& slot = line[2] == 'H' ? f.help : f.type;
        if (slot.empty()) slot = line;
        continue;
      }
      if (line[0] == '#') continue;
      std::string name = SampleName(line);
      // Histogram and summary samples belong to the family without the suffix.
      std::string key = name;
      if (!families.count(key)) {
        for (const char* suffix : {"_bucket", "_sum", "_count", "_created"}) {
          std::string_view sv(suffix);
          if (name.size() > sv.size() && name.compare(name.size() - sv.size(), sv.size(), sv) == 0 &&
              families.count(name.substr(0, name.size() - sv.size()))) {
            key = name.substr(0, name.size() - sv.size());
            break;
          }
        }
      }
      if (!series.insert(SeriesKey(line)).second) continue;  // the same series twice
      family(key).samples.push_back(line);
    }
  }
  std::string out;
  for (const std::string& name : order) {
    if (taken.count(name)) continue;
    const Merged& f = families[name];
    if (f.samples.empty()) continue;
    if (!f.help.empty()) out += f.help + "\n";
    if (!f.type.empty()) out += f.type + "\n";
    for (const std::string& s : f.samples) out += s + "\n";
  }
  return out;
}

std::vector<std::string> ReadTextfiles(const std::string& state_dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> paths;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(state_dir) / "metrics", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".prom" && it->is_regular_file(ec)) paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> out;
  constexpr size_t kMaxFile = 4 << 20;
  for (const fs::path& p : paths) {
    // Unreadable or too large: left out, as before a textfile exists.
    if (std::optional<std::string> text = ReadFileCapped(p.string(), kMaxFile)) out.push_back(std::move(*text));
  }
  return out;
}

std::string RenderStatusMetrics(const Config& config, bool cache_listen_up) {
  std::vector<StatusJobTotals> jobs;
  std::vector<StatusConflictTotals> conflicts;
  StatusSnapshot s = CollectStatus(config, [&](PgConn& conn) {
    jobs = ReadJobTotals(conn);
    conflicts = ReadConflictTotals(conn);
  });
  // The process's own state, so served whether or not PostgreSQL answered.
  MetricFamily listen = Family("tenantsync_status_cache_listen_up",
                               "1 if this sync-status hears other nodes' state writes through LISTEN, "
                               "0 if it only polls cache_events",
                               "gauge");
  listen.samples.push_back({{}, cache_listen_up ? 1.0 : 0.0});
  std::vector<MetricFamily> families;
  std::set<std::string> taken;
  std::vector<MetricFamily> all = StatusFamilies(s, jobs);
  for (MetricFamily& f : ConflictFamilies(conflicts)) all.push_back(std::move(f));
  all.push_back(std::move(listen));
  for (MetricFamily& f : all) {
    taken.insert(f.name);
    if (!f.samples.empty()) families.push_back(std::move(f));
  }
  return RenderPrometheusText(families) + MergeTextfiles(ReadTextfiles(config.node.state_dir), taken);
}

}  // namespace tenantsync

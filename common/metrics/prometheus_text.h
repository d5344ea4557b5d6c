#pragma once
// Prometheus text exposition format 0.0.4: a pure renderer, shared by the
// batch tools' textfiles and (later) sync-status's /metrics.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantsync {

struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;  // tenantsync_..., units in the name, counters end in _total
  std::string help;
  std::string type;  // "gauge", "counter", "untyped"
  std::vector<MetricSample> samples;
};

// "# HELP", "# TYPE" once per family, then its samples; '\n' line endings and
// a final line feed. Label values escape \\, \" and \n; HELP escapes \\ and \n.
std::string RenderPrometheusText(const std::vector<MetricFamily>& families);

std::string EscapeLabelValue(std::string_view value);

}  // namespace tenantsync

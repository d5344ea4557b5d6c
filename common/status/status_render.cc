#include "common/status/status_render.h"

#include <fmt/format.h>

#include "common/json.h"

namespace tenantsync {
namespace {

void OptDouble(JsonWriter& w, const std::optional<double>& v) {
  if (v) w.Double(*v);
  else w.Null();
}

void Lease(JsonWriter& w, const StatusSnapshot& s) {
  w.Key("leader").Bool(s.this_node_leads).Key("leader_node").StringOrNull(s.leader).Key("epoch").Int(s.epoch);
  w.Key("lease_expires_in_seconds");
  OptDouble(w, s.lease_seconds_left);
}

std::string Age(const std::optional<double>& seconds) {
  return seconds ? fmt::format("{:.0f}s ago", *seconds) : std::string("never");
}

}  // namespace

std::string HealthJson(const StatusSnapshot& s) {
  JsonWriter w;
  w.BeginObject().Key("healthy").Bool(s.healthy).Key("node").String(s.node).Key("cluster").String(s.cluster);
  w.Key("postgres").BeginObject().Key("reachable").Bool(s.postgres_ok);
  if (!s.postgres_ok) w.Key("error").String(s.postgres_error);
  w.EndObject();
  Lease(w, s);
  w.Key("max_lag_seconds").Int(s.max_lag_seconds).Key("deployments").BeginArray();
  for (const StatusDeployment& d : s.deployments) {
    w.BeginObject().Key("name").String(d.name).Key("enabled").Bool(d.enabled).Key("last_success_age_seconds");
    OptDouble(w, d.lag_seconds);
    w.Key("last_status").StringOrNull(d.last_status).Key("healthy").Bool(d.healthy).EndObject();
  }
  w.EndArray().Key("problems").BeginArray();
  for (const std::string& p : s.problems) w.String(p);
  w.EndArray().EndObject();
  return w.str();
}

std::string ClusterStatusJson(const StatusSnapshot& s) {
  JsonWriter w;
  w.BeginObject().Key("cluster").String(s.cluster).Key("node").String(s.node).Key("healthy").Bool(s.healthy);
  Lease(w, s);
  w.Key("nodes").BeginArray();
  for (const StatusNode& n : s.nodes) {
    w.BeginObject().Key("host_id").Int(n.host_id).Key("hostname").String(n.hostname);
    w.Key("status").String(n.status).Key("heartbeat_age_seconds").Double(n.heartbeat_age_seconds);
    w.Key("is_leader").Bool(n.is_leader).EndObject();
  }
  w.EndArray().Key("deployments").BeginArray();
  for (const StatusDeployment& d : s.deployments) {
    w.BeginObject().Key("name").String(d.name).Key("enabled").Bool(d.enabled).Key("lag_seconds");
    OptDouble(w, d.lag_seconds);
    w.Key("last_status").StringOrNull(d.last_status).Key("last_error").StringOrNull(d.last_error);
    w.Key("pending_conflicts").Int(d.pending_conflicts).Key("quarantined_rows").Int(d.quarantined_rows);
    w.Key("healthy").Bool(d.healthy).EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

std::string ConflictsJson(const std::vector<StatusConflict>& conflicts) {
  JsonWriter w;
  w.BeginObject().Key("count").Int(static_cast<int64_t>(conflicts.size())).Key("conflicts").BeginArray();
  for (const StatusConflict& c : conflicts) {
    w.BeginObject().Key("conflict_id").Int(c.conflict_id).Key("deployment").String(c.deployment);
    w.Key("table").String(c.table_name).Key("row_key").Raw(c.row_key_json).Key("strategy").String(c.strategy);
    w.Key("detected_at").String(c.detected_at).Key("age_seconds").Double(c.age_seconds).EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

std::string StatusText(const StatusSnapshot& s) {
  std::string out = fmt::format("{}: node {} of cluster {}\n", s.healthy ? "healthy" : "UNHEALTHY", s.node, s.cluster);
  out += s.postgres_ok ? "postgres: reachable\n" : fmt::format("postgres: unreachable: {}\n", s.postgres_error);
  if (s.this_node_leads) {
    out += fmt::format("lease: this node leads (epoch {}, {:.1f}s left)\n", s.epoch, s.lease_seconds_left.value_or(0));
  } else if (s.leader) {
    out += fmt::format("lease: {} leads (epoch {}, {:.1f}s left)\n", *s.leader, s.epoch, s.lease_seconds_left.value_or(0));
  } else if (s.postgres_ok) {
    out += fmt::format("lease: no current leader (epoch {})\n", s.epoch);
  }
  for (const StatusNode& n : s.nodes) {
    out += fmt::format("node {}: {} (heartbeat {:.0f}s ago){}\n", n.hostname, n.status, n.heartbeat_age_seconds,
                       n.is_leader ? ", leader" : "");
  }
  for (const StatusDeployment& d : s.deployments) {
    out += fmt::format("deployment {}: {}last success {}, last run {}, {} pending conflicts, {} quarantined rows: {}\n",
                       d.name, d.enabled ? "" : "disabled, ", Age(d.lag_seconds), d.last_status.value_or("none"),
                       d.pending_conflicts, d.quarantined_rows, d.healthy ? "ok" : "LAGGING");
  }
  for (const std::string& p : s.problems) out += "problem: " + p + "\n";
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string StatusHtml(const StatusSnapshot& s, const std::vector<StatusConflict>& conflicts) {
  auto e = [](std::string_view t) { return HtmlEscape(t); };
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tenantsync status</title>"
      "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;"
      "padding:2px 6px}</style></head><body>\n";
  out += fmt::format("<h1>tenantsync: {} of cluster {}: {}</h1>\n", e(s.node), e(s.cluster),
                     s.healthy ? "healthy" : "UNHEALTHY");
  out += fmt::format("<p>PostgreSQL: {}. Leader: {} (epoch {}).</p>\n",
                     s.postgres_ok ? "reachable" : "unreachable: " + e(s.postgres_error),
                     s.leader ? e(*s.leader) : "none", s.epoch);
  for (const std::string& p : s.problems) out += "<p>problem: " + e(p) + "</p>\n";
  out += "<h2>Nodes</h2>\n<table><tr><th>node</th><th>status</th><th>heartbeat age (s)</th><th>leader</th></tr>\n";
  for (const StatusNode& n : s.nodes) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.0f}</td><td>{}</td></tr>\n", e(n.hostname), e(n.status),
                       n.heartbeat_age_seconds, n.is_leader ? "yes" : "");
  }
  out += "</table>\n<h2>Deployments</h2>\n<table><tr><th>deployment</th><th>last success</th><th>last run</th>"
         "<th>pending conflicts</th><th>quarantined rows</th><th>state</th></tr>\n";
  for (const StatusDeployment& d : s.deployments) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", e(d.name),
                       e(Age(d.lag_seconds)), e(d.last_status.value_or("none")), d.pending_conflicts,
                       d.quarantined_rows, d.enabled ? (d.healthy ? "ok" : "LAGGING") : "disabled");
  }
  out += "</table>\n<h2>Pending conflicts</h2>\n<table><tr><th>id</th><th>deployment</th><th>table</th>"
         "<th>row key</th><th>strategy</th><th>detected</th></tr>\n";
  for (const StatusConflict& c : conflicts) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       c.conflict_id, e(c.deployment), e(c.table_name), e(c.row_key_json), e(c.strategy),
                       e(c.detected_at));
  }
  out += "</table>\n</body></html>\n";
  return out;
}

}  // namespace tenantsync

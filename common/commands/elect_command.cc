#include "common/commands/elect_command.h"

#include <fmt/format.h>

#include "common/json.h"
#include "common/lease/lease.h"
#include "common/log.h"
#include "common/pg/connect_spec.h"
#include "common/schema/privilege_check.h"
#include "common/sync/run_records.h"

namespace tenantsync {
namespace {

// --check: what a node's configuration reaches, without electing anything:
// useful for a multi-host conninfo (direct IPv6 first, then the pooler).
ExitCode Check(PgConn& conn, const Config& config, bool json) {
  const char* host = PQhost(conn.raw());
  const char* port = PQport(conn.raw());
  bool tls = PQsslInUse(conn.raw()) == 1;
  const char* protocol = tls ? PQsslAttribute(conn.raw(), "protocol") : nullptr;
  std::string version(conn.ExecOneRow("SELECT current_setting('server_version')").Get(0, 0));
  std::string role(conn.ExecOneRow("SELECT session_user").Get(0, 0));
  std::vector<std::string> problems = FindPrivilegeProblems(conn, config.RequireCluster());
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("host").String(host ? host : "").Key("port").String(port ? port : "");
    w.Key("tls").Bool(tls).Key("tls_protocol").String(protocol ? protocol : "");
    w.Key("server_version").String(version).Key("role").String(role).Key("cluster").String(config.node.cluster);
    w.Key("role_ok").Bool(problems.empty()).Key("problems").BeginArray();
    for (const std::string& p : problems) w.String(p);
    w.EndArray().EndObject();
    fmt::print("{}\n", w.str());
  } else {
    fmt::print("endpoint: {}:{}\ntls: {}\nserver: PostgreSQL {}\nrole: {} (cluster {}): {}\n", host ? host : "",
               port ? port : "", tls ? fmt::format("yes ({})", protocol ? protocol : "?") : "no", version, role,
               config.node.cluster, problems.empty() ? "fit" : "UNFIT");
    for (const std::string& p : problems) fmt::print("  {}\n", p);
  }
  return problems.empty() ? ExitCode::kOk : ExitCode::kNoPerm;
}

void Print(const LeaseState& s, const Config& config, bool json) {
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("node").String(config.node.name).Key("cluster").String(config.node.cluster);
    w.Key("leader").Bool(s.leader()).Key("outcome").String(ToString(s.outcome)).Key("epoch").Int(s.epoch);
    w.Key("holder").String(s.holder_name).Key("seconds_left").Double(s.seconds_left).EndObject();
    fmt::print("{}\n", w.str());
    return;
  }
  if (s.leader()) {
    fmt::print("leader: {} the lease of cluster {} (epoch {}, {:.1f}s left)\n", ToString(s.outcome),
               config.node.cluster, s.epoch, s.seconds_left);
  } else {
    fmt::print("follower: {} leads cluster {} (epoch {}, {:.1f}s left)\n", s.holder_name, config.node.cluster,
               s.epoch, s.seconds_left);
  }
}

}  // namespace

ExitCode RunElect(const Config& config, const ElectOptions& o) {
  const std::string& cluster = config.RequireCluster();
  PgConn conn = PgConn::Connect(NodeConnectSpec(config, "sync-elect"));
  if (o.check) return Check(conn, config, o.json);
  CheckSyncRolePrivileges(conn, cluster);
  int64_t host_id = RegisterHost(conn, config.node.name, "tenantsync " TENANTSYNC_VERSION);  // heartbeat
  if (o.release) {
    bool released = ReleaseLease(conn, host_id);
    Log(LogLevel::kInfo, "cluster={} node={} {}", cluster, config.node.name,
        released ? "released the lease" : "held no lease to release");
    if (o.json) fmt::print("{{\"released\":{}}}\n", released ? "true" : "false");
    return ExitCode::kOk;
  }
  LeaseState state = AcquireOrRenew(conn, host_id, config.lease.ttl_seconds);
  Log(LogLevel::kDebug, "cluster={} node={} lease {} epoch={}", cluster, config.node.name, ToString(state.outcome),
      state.epoch);
  Print(state, config, o.json);
  return state.leader() ? ExitCode::kOk : ExitCode::kNo;
}

}  // namespace tenantsync

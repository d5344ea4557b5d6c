#include "common/status/status_queries.h"

#include <fmt/format.h>

#include <charconv>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/pg/connect_spec.h"

namespace tenantsync {
namespace {

int64_t ToInt64(std::string_view text) {
  int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

double ToDouble(std::string_view text) {
  try {
    return std::stod(std::string(text));
  } catch (const std::exception&) {
    return 0;
  }
}

std::optional<double> OptDouble(const PgResult& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return ToDouble(r.Get(row, col));
}

// Connections kept between requests: a scrape every few seconds should not
// pay for a new connection and its authentication (about half of what
// /health costs) every time. At most kMaxIdle wait, each under the
// connection settings it was made with; one the server closed meanwhile
// fails its first query and is replaced once.
constexpr size_t kMaxIdle = 2;

struct IdleConnection {
  std::string key;  // conninfo, password file, application name
  PgConn conn;
};
std::mutex idle_mutex;
std::vector<IdleConnection> idle_connections;  // oldest first

std::string PoolKey(const PgConnectSpec& spec) {
  return spec.conninfo + '\n' + spec.password_file + '\n' + spec.application_name;
}

std::optional<PgConn> TakeIdle(const std::string& key) {
  std::lock_guard lock(idle_mutex);
  for (auto it = idle_connections.end(); it != idle_connections.begin();) {
    --it;
    if (it->key != key) continue;
    PgConn conn = std::move(it->conn);
    idle_connections.erase(it);
    return conn;
  }
  return std::nullopt;
}

void GiveBack(const std::string& key, PgConn conn) {
  if (PQstatus(conn.raw()) != CONNECTION_OK || PQtransactionStatus(conn.raw()) != PQTRANS_IDLE) return;
  std::lock_guard lock(idle_mutex);
  idle_connections.push_back({key, std::move(conn)});
  if (idle_connections.size() > kMaxIdle) idle_connections.erase(idle_connections.begin());
}

}  // namespace

PgConn ConnectForStatus(const Config& config) { return PgConn::Connect(NodeConnectSpec(config, "sync-status")); }

void WithStatusConnection(const Config& config, const std::function<void(PgConn&)>& work) {
  PgConnectSpec spec = NodeConnectSpec(config, "sync-status");
  std::string key = PoolKey(spec);
  if (std::optional<PgConn> kept = TakeIdle(key)) {
    try {
      work(*kept);
      GiveBack(key, std::move(*kept));
      return;
    } catch (const PgError&) {
      if (PQstatus(kept->raw()) == CONNECTION_OK) throw;  // the query failed, not the connection
    }
  }
  PgConn conn = PgConn::Connect(spec);
  work(conn);
  GiveBack(key, std::move(conn));
}

void ReadStatus(PgConn& conn, StatusSnapshot& s) {
  PgResult nodes = conn.Exec(
      "SELECT host_id, hostname, heartbeat_age_seconds, status, is_leader"
      " FROM sync_metadata.v_cluster_health ORDER BY hostname");
  for (int i = 0; i < nodes.rows(); ++i) {
    s.nodes.push_back({ToInt64(nodes.Get(i, 0)), std::string(nodes.Get(i, 1)), ToDouble(nodes.Get(i, 2)),
                       std::string(nodes.Get(i, 3)), nodes.Get(i, 4) == "t"});
  }

  // The lease: the holder counts only while unexpired. -infinity (never held)
  // has no meaningful distance, so it reads as NULL.
  PgResult lease = conn.Exec(
      "SELECT h.hostname, l.epoch,"
      " CASE WHEN isfinite(l.expires_at)"
      "      THEN extract(epoch FROM l.expires_at - clock_timestamp())::double precision END,"
      " (l.holder_host_id IS NOT NULL AND l.expires_at > clock_timestamp()) AS current"
      " FROM sync_metadata.leader_election l"
      " LEFT JOIN sync_metadata.hosts h ON h.host_id = l.holder_host_id");
  if (lease.rows() > 0) {
    bool current = lease.Get(0, 3) == "t";
    if (current && !lease.IsNull(0, 0)) s.leader = std::string(lease.Get(0, 0));
    s.epoch = ToInt64(lease.Get(0, 1));
    s.lease_seconds_left = OptDouble(lease, 0, 2);
    s.this_node_leads = s.leader && *s.leader == s.node;
  }

  PgResult lag = conn.Exec(
      "SELECT name, enabled, lag_seconds, last_status, last_error, pending_conflicts, quarantined_rows"
      " FROM sync_metadata.v_sync_lag ORDER BY name");
  for (int i = 0; i < lag.rows(); ++i) {
    StatusDeployment d;
    d.name = std::string(lag.Get(i, 0));
    d.enabled = lag.Get(i, 1) == "t";
    d.lag_seconds = OptDouble(lag, i, 2);
    d.last_status = lag.GetOpt(i, 3);
    d.last_error = lag.GetOpt(i, 4);
    d.pending_conflicts = ToInt64(lag.Get(i, 5));
    d.quarantined_rows = ToInt64(lag.Get(i, 6));
    s.deployments.push_back(std::move(d));
  }
}

StatusSnapshot CollectStatus(const Config& config, const std::function<void(PgConn&)>& also) {
  StatusSnapshot s;
  s.node = config.node.name;
  s.cluster = config.node.cluster;
  s.max_lag_seconds = static_cast<int64_t>(config.status.max_lag.count());
  try {
    const StatusSnapshot empty = s;
    WithStatusConnection(config, [&](PgConn& conn) {
      s = empty;  // a second attempt starts afresh
      ReadStatus(conn, s);
      if (also) also(conn);
    });
    s.postgres_ok = true;
  } catch (const std::exception& e) {
    s.postgres_ok = false;
    s.postgres_error = e.what();
    while (!s.postgres_error.empty() && s.postgres_error.back() == '\n') s.postgres_error.pop_back();
    s.problems.push_back("PostgreSQL: " + s.postgres_error);
  }
  for (StatusDeployment& d : s.deployments) {
    d.healthy = !d.enabled || (d.lag_seconds && *d.lag_seconds <= static_cast<double>(s.max_lag_seconds));
    if (d.healthy) continue;
    if (!d.lag_seconds) {
      s.problems.push_back(fmt::format("deployment {}: no successful run yet", d.name));
    } else {
      s.problems.push_back(fmt::format("deployment {}: last successful run {:.0f}s ago (max_lag {}s)", d.name,
                                       *d.lag_seconds, s.max_lag_seconds));
    }
  }
  s.healthy = s.problems.empty();
  return s;
}

std::vector<StatusConflict> ReadPendingConflicts(PgConn& conn, int limit) {
  PgResult r = conn.Exec(
      "SELECT conflict_id, deployment, table_name, row_key::text, strategy,"
      " to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), age_seconds"
      " FROM sync_metadata.v_pending_conflicts ORDER BY detected_at, conflict_id LIMIT $1::int",
      {std::to_string(limit)});
  std::vector<StatusConflict> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({ToInt64(r.Get(i, 0)), std::string(r.Get(i, 1)), std::string(r.Get(i, 2)),
                   std::string(r.Get(i, 3)), std::string(r.Get(i, 4)), std::string(r.Get(i, 5)),
                   ToDouble(r.Get(i, 6))});
  }
  return out;
}

std::vector<StatusJobTotals> ReadJobTotals(PgConn& conn) {
  // Finished runs from the per-deployment totals (an unchanged tenant's run
  // adds no sync_jobs row, and pruning removes old ones); requested and
  // running jobs from sync_jobs' small partial index.
  PgResult r = conn.Exec(
      "SELECT d.name, x.status, x.jobs, x.rows_read, x.rows_written, x.rows_quarantined, x.rows_deleted"
      "  FROM sync_metadata.deployment_state s"
      "  JOIN sync_metadata.client_deployments d ON d.deployment_id = s.deployment_id,"
      "  LATERAL (VALUES ('succeeded', s.runs_succeeded, s.rows_read, s.rows_written, s.rows_quarantined,"
      "                   s.rows_deleted),"
      "                  ('failed', s.runs_failed, 0, 0, 0, 0)) x(status, jobs, rows_read, rows_written,"
      "                                                          rows_quarantined, rows_deleted)"
      " WHERE s.cluster_name = sync_metadata.my_cluster()"
      " UNION ALL"
      " SELECT d.name, j.status, count(*), 0, 0, 0, 0 FROM sync_metadata.sync_jobs j"
      "  JOIN sync_metadata.client_deployments d ON d.deployment_id = j.deployment_id"
      " WHERE j.cluster_name = sync_metadata.my_cluster() AND j.status IN ('requested', 'running')"
      " GROUP BY d.name, j.status ORDER BY 1, 2");
  std::vector<StatusJobTotals> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({std::string(r.Get(i, 0)), std::string(r.Get(i, 1)), ToInt64(r.Get(i, 2)), ToInt64(r.Get(i, 3)),
                   ToInt64(r.Get(i, 4)), ToInt64(r.Get(i, 5)), ToInt64(r.Get(i, 6))});
  }
  return out;
}

std::vector<StatusConflictTotals> ReadConflictTotals(PgConn& conn) {
  // Live conflicts plus those a prune folded into pruned_conflicts, so the
  // counters never go down.
  PgResult r = conn.Exec(
      "SELECT d.name, c.table_name, c.strategy, c.outcome, sum(c.n) FROM ("
      "   SELECT deployment_id, table_name, strategy, outcome, count(*) AS n FROM sync_metadata.conflict_log"
      "    WHERE cluster_name = sync_metadata.my_cluster() GROUP BY 1, 2, 3, 4"
      "   UNION ALL"
      "   SELECT deployment_id, table_name, strategy, outcome, conflicts FROM sync_metadata.pruned_conflicts"
      "    WHERE cluster_name = sync_metadata.my_cluster()) c"
      " JOIN sync_metadata.client_deployments d ON d.deployment_id = c.deployment_id"
      " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4");
  std::vector<StatusConflictTotals> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({std::string(r.Get(i, 0)), std::string(r.Get(i, 1)), std::string(r.Get(i, 2)),
                   std::string(r.Get(i, 3)), ToInt64(r.Get(i, 4))});
  }
  return out;
}

}  // namespace tenantsync

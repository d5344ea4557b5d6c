#pragma once
// sync-status: what the node's role can read about its cluster, in one
// snapshot per request (v_cluster_health, leader_election, v_sync_lag,
// v_pending_conflicts, deployment_state, sync_jobs). Row-level security and
// an explicit cluster filter (so an index leading with it serves) limit every query to
// the node's own cluster.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/pg/conn.h"

namespace tenantsync {

struct StatusNode {
  int64_t host_id = 0;
  std::string hostname;
  double heartbeat_age_seconds = 0;
  std::string status;  // active, degraded, offline
  bool is_leader = false;
};

struct StatusDeployment {
  std::string name;
  bool enabled = true;
  std::optional<double> lag_seconds;  // age of the last successful run; nullopt = never
  std::optional<std::string> last_status;
  std::optional<std::string> last_error;
  int64_t pending_conflicts = 0;
  int64_t quarantined_rows = 0;
  bool healthy = false;  // enabled ⇒ succeeded within max_lag
};

struct StatusSnapshot {
  std::string node;
  std::string cluster;
  bool postgres_ok = false;
  std::string postgres_error;  // when !postgres_ok
  bool this_node_leads = false;
  std::optional<std::string> leader;       // the unexpired holder's hostname
  int64_t epoch = 0;
  std::optional<double> lease_seconds_left;  // negative once expired; nullopt = never held
  std::vector<StatusNode> nodes;
  std::vector<StatusDeployment> deployments;
  int64_t max_lag_seconds = 0;
  bool healthy = false;
  std::vector<std::string> problems;  // why it is unhealthy
};

struct StatusConflict {
  int64_t conflict_id = 0;
  std::string deployment;
  std::string table_name;
  std::string row_key_json;
  std::string strategy;
  std::string detected_at;
  double age_seconds = 0;
};

// Run counts and row sums per deployment (deployment_state: finished runs,
// never decreasing) and open jobs (sync_jobs: requested, running).
struct StatusJobTotals {
  std::string deployment;
  std::string status;
  int64_t jobs = 0;
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int64_t rows_quarantined = 0;
  int64_t rows_deleted = 0;
};

// Conflicts ever logged, by where they were found and how they stand now.
struct StatusConflictTotals {
  std::string deployment;
  std::string table;
  std::string strategy;
  std::string outcome;
  int64_t conflicts = 0;
};

// Connects as the node ([postgres] conninfo) for one request.
PgConn ConnectForStatus(const Config& config);

// Runs `work` on a connection kept from an earlier request, or a new one.
// A kept connection the server has closed is replaced once; work may run
// twice then, so it must start from scratch each time. Throws what a new
// connection or `work` throws.
void WithStatusConnection(const Config& config, const std::function<void(PgConn&)>& work);

// Fills the snapshot from `conn`; throws PgError on a failed query.
void ReadStatus(PgConn& conn, StatusSnapshot& snapshot);

// Connects and reads. A PostgreSQL failure is recorded in the snapshot
// (postgres_ok = false, unhealthy), never thrown. Healthy = PostgreSQL
// reachable and every enabled deployment succeeded within [status] max_lag.
// `also` runs on the same connection afterwards (its failure counts as
// PostgreSQL's).
StatusSnapshot CollectStatus(const Config& config, const std::function<void(PgConn&)>& also = {});

// The oldest `limit` pending conflicts.
std::vector<StatusConflict> ReadPendingConflicts(PgConn& conn, int limit = 1000);

std::vector<StatusJobTotals> ReadJobTotals(PgConn& conn);
std::vector<StatusConflictTotals> ReadConflictTotals(PgConn& conn);

}  // namespace tenantsync

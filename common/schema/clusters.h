#pragma once
// Cluster login roles: one LOGIN role per cluster (HA pair), member of
// sync_service, bound to the cluster in sync_metadata.clusters. Row-level
// security trusts that binding (session_user), never a session setting.

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/pg/conn.h"
#include "common/schema/plan.h"

namespace tenantsync {

// "tenantsync_<cluster>". Cluster names: [a-z0-9][a-z0-9_-]{0,39}.
std::string RoleForCluster(const std::string& cluster);
// Throws UsageError for a name the schema would refuse.
void ValidateClusterName(const std::string& cluster);

struct ClusterAddOptions {
  std::string cluster;
  std::string password_file;  // read if it exists (must be 0600), else generated into it
  bool if_not_exists = false;
  bool dry_run = false;
};

struct ClusterInfo {
  std::string cluster;
  std::string role;
  std::string created_at;
  std::optional<std::string> password_rotated_at;
  long deployments = 0;
};

// Returns false when the cluster existed and if_not_exists was set.
// The password file appears only after the database accepted the role.
bool AddCluster(PgConn& admin, const ClusterAddOptions& options, const PostgresConfig& limits, Plan* plan_out);

// New password into `password_file` (atomically, 0600) and the role.
void RotatePassword(PgConn& admin, const std::string& cluster, const std::string& password_file, bool dry_run,
                    Plan* plan_out);

std::vector<ClusterInfo> ListClusters(PgConn& admin);

// Throws ConfigError when sync-schema apply has not run yet.
void RequireMetadataSchema(PgConn& conn);

}  // namespace tenantsync

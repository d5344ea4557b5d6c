#pragma once
// Deployments (tenants): one SQLite source and one PostgreSQL target schema,
// registered for one cluster. Registering creates the schema when missing and
// grants it to that cluster's role alone.

#include <optional>
#include <string>
#include <vector>

#include "common/pg/conn.h"
#include "common/schema/plan.h"

namespace tenantsync {

struct DeploymentAddOptions {
  std::string name;
  std::string cluster;
  std::string sqlite_path;    // absolute
  std::string target_schema;  // default: DefaultTargetSchema(name)
  bool dry_run = false;
  // Also create the target tables the SQLite file has and the schema lacks
  // (create_tables.h), reading the file with this busy timeout.
  bool create_tables = false;
  int sqlite_busy_timeout_ms = 5000;
};

struct DeploymentInfo {
  long id = 0;
  std::string name;
  std::string cluster;
  std::string sqlite_path;
  std::string target_schema;
  bool enabled = true;
  std::string created_at;
};

// "client_" + the name lowercased, with characters outside [a-z0-9_] as '_'.
std::string DefaultTargetSchema(const std::string& name);

// Registers (or re-enables an identical, removed) deployment. Returns its id
// (0 on a dry run of a new one). With create_tables, the missing tables are
// created in the same transaction; what could not be carried over is logged
// as warnings.
long AddDeployment(PgConn& admin, const DeploymentAddOptions& options, Plan* plan_out);

// Unregisters: disables it and revokes the cluster's access to its schema.
// The target data and the history (jobs, conflicts) stay.
void RemoveDeployment(PgConn& admin, const std::string& name, bool dry_run, Plan* plan_out);

// `deployment upgrade`: creates the tables the tenant's SQLite file gained
// and adds the columns it gained to tables --create-tables made
// (upgrade_tables.h), in one transaction, and has the next sync-run pass the
// changed tables whole so rows already copied get the new columns' values.
// What differs otherwise is logged as a warning and left alone.
void UpgradeDeployment(PgConn& admin, const std::string& name, int sqlite_busy_timeout_ms, bool dry_run,
                       Plan* plan_out);

std::vector<DeploymentInfo> ListDeployments(PgConn& conn, const std::string& cluster_filter, bool include_disabled);

}  // namespace tenantsync

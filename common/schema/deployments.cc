#include "common/schema/deployments.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <regex>
#include <set>

#include "common/log.h"
#include "common/pg/txn.h"
#include "common/schema/clusters.h"
#include "common/schema/create_tables.h"
#include "common/schema/upgrade_tables.h"

namespace tenantsync {
namespace {

void ValidateOptions(const DeploymentAddOptions& o) {
  static const std::regex kName("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$");
  if (!std::regex_match(o.name, kName)) {
    throw UsageError(fmt::format("invalid deployment name '{}'", o.name),
                     "use 1-63 characters: letters, digits, '_', '.', '-', starting with a letter or digit");
  }
  ValidateClusterName(o.cluster);
  if (o.sqlite_path.empty() || o.sqlite_path[0] != '/') {
    throw UsageError(fmt::format("--sqlite must be an absolute path, got '{}'", o.sqlite_path));
  }
  if (o.sqlite_path.find('\0') != std::string::npos) throw UsageError("--sqlite contains a NUL byte");
  const std::string& s = o.target_schema;
  static const std::set<std::string> kReserved{"public", "sync_metadata", "information_schema"};
  if (s.empty() || s.size() > 63 || kReserved.count(s) || s.rfind("pg_", 0) == 0) {
    throw UsageError(fmt::format("'{}' cannot be a target schema", s),
                     "pick a dedicated schema name of 1-63 bytes, not public, sync_metadata or pg_*");
  }
}

void AddCreations(const std::string& schema, const std::vector<TableCreation>& create, Plan* plan) {
  for (const TableCreation& table : create) {
    plan->Add(fmt::format("create table {}.{} from the SQLite schema: {}", schema, table.table, table.summary),
              table.sql, {}, table.sql);
    plan->Add("", table.mark_sql);
  }
  if (!create.empty()) {
    plan->Add("carry over no foreign keys, defaults, CHECKs or other indexes (docs/create-tables.md)", "");
  }
}

void AddTableCreations(PgConn& admin, const DeploymentAddOptions& o, Plan* plan) {
  SqliteDb source = SqliteDb::OpenReadOnly(o.sqlite_path, o.sqlite_busy_timeout_ms);
  TargetTablesPlan tables = PlanTargetTables(source, admin, o.target_schema);
  for (const std::string& warning : tables.warnings) Log(LogLevel::kWarning, "{}", warning);
  if (!tables.existing.empty()) {
    plan->Add(fmt::format("leave the {} table(s) already in {} as they are", tables.existing.size(), o.target_schema),
              "");
  }
  AddCreations(o.target_schema, tables.create, plan);
}

}  // namespace

std::string DefaultTargetSchema(const std::string& name) {
  std::string out = "client_";
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return out.substr(0, 63);
}

long AddDeployment(PgConn& admin, const DeploymentAddOptions& given, Plan* plan_out) {
  DeploymentAddOptions o = given;
  if (o.target_schema.empty()) o.target_schema = DefaultTargetSchema(o.name);
  ValidateOptions(o);
  RequireMetadataSchema(admin);

  if (admin.Exec("SELECT 1 FROM sync_metadata.clusters WHERE cluster_name = $1", {o.cluster}).rows() == 0) {
    throw Error(ExitCode::kDataErr, fmt::format("unknown cluster '{}'", o.cluster),
                fmt::format("create it first: sync-schema cluster add {} --password-file FILE", o.cluster));
  }
  PgResult existing = admin.Exec(
      "SELECT deployment_id, cluster_name, sqlite_path, target_schema, enabled"
      " FROM sync_metadata.client_deployments WHERE name = $1",
      {o.name});
  long id = 0;
  Plan plan;
  if (existing.rows() == 1) {
    bool same = existing.Get(0, 1) == o.cluster && existing.Get(0, 2) == o.sqlite_path &&
                existing.Get(0, 3) == o.target_schema;
    if (!same) {
      throw Error(ExitCode::kDataErr,
                  fmt::format("deployment '{}' exists with other settings (cluster {}, sqlite {}, schema {})", o.name,
                              existing.Get(0, 1), existing.Get(0, 2), existing.Get(0, 3)),
                  "remove it first, or choose another name");
    }
    id = std::stol(std::string(existing.Get(0, 0)));
    if (existing.Get(0, 4) != "t") {
      plan.Add(fmt::format("re-enable deployment {}", o.name),
               "UPDATE sync_metadata.client_deployments SET enabled = true WHERE name = $1", {o.name});
    }
  } else {
    plan.Add(fmt::format("register deployment {} for cluster {} (source {})", o.name, o.cluster, o.sqlite_path),
             "INSERT INTO sync_metadata.client_deployments (name, cluster_name, sqlite_path, target_schema)"
             " VALUES ($1, $2, $3, $4)",
             {o.name, o.cluster, o.sqlite_path, o.target_schema});
  }
  plan.Add(fmt::format("create schema {} if it does not exist", o.target_schema),
           fmt::format("CREATE SCHEMA IF NOT EXISTS {}", admin.QuoteIdentifier(o.target_schema)));
  if (o.create_tables) AddTableCreations(admin, o, &plan);
  plan.Add(fmt::format("grant schema {} to {} alone: tables now and later; no TRUNCATE, CREATE or ALTER",
                       o.target_schema, RoleForCluster(o.cluster)),
           "SELECT sync_metadata.grant_client_access($1, $2)", {o.cluster, o.target_schema});
  if (plan_out != nullptr) *plan_out = plan;
  if (o.dry_run) return id;

  PgTxn txn(admin);
  plan.Execute(admin);
  id = std::stol(std::string(
      admin.ExecOneRow("SELECT deployment_id FROM sync_metadata.client_deployments WHERE name = $1", {o.name})
          .Get(0, 0)));
  txn.Commit();
  Log(LogLevel::kInfo, "deployment {} registered: cluster={} schema={}", o.name, o.cluster, o.target_schema);
  return id;
}

void RemoveDeployment(PgConn& admin, const std::string& name, bool dry_run, Plan* plan_out) {
  RequireMetadataSchema(admin);
  PgResult row = admin.Exec(
      "SELECT cluster_name, target_schema FROM sync_metadata.client_deployments WHERE name = $1 AND enabled",
      {name});
  if (row.rows() == 0) {
    throw Error(ExitCode::kNo, fmt::format("no enabled deployment named '{}'", name),
                "see `sync-schema deployment list --all`");
  }
  std::string cluster(row.Get(0, 0)), schema(row.Get(0, 1));
  Plan plan;
  plan.Add(fmt::format("disable deployment {} (history and target data stay)", name),
           "UPDATE sync_metadata.client_deployments SET enabled = false WHERE name = $1", {name});
  plan.Add(fmt::format("revoke {}'s access to schema {}", RoleForCluster(cluster), schema),
           "SELECT sync_metadata.revoke_client_access($1, $2)", {cluster, schema});
  if (plan_out != nullptr) *plan_out = plan;
  if (dry_run) return;
  PgTxn txn(admin);
  plan.Execute(admin);
  txn.Commit();
  Log(LogLevel::kInfo, "deployment {} removed; schema {} and its data are kept", name, schema);
}

void UpgradeDeployment(PgConn& admin, const std::string& name, int sqlite_busy_timeout_ms, bool dry_run,
                       Plan* plan_out) {
  RequireMetadataSchema(admin);
  PgResult row = admin.Exec(
      "SELECT deployment_id, cluster_name, sqlite_path, target_schema FROM sync_metadata.client_deployments"
      " WHERE name = $1 AND enabled",
      {name});
  if (row.rows() == 0) {
    throw Error(ExitCode::kNo, fmt::format("no enabled deployment named '{}'", name),
                "see `sync-schema deployment list --all`");
  }
  std::string id(row.Get(0, 0)), cluster(row.Get(0, 1)), sqlite_path(row.Get(0, 2)), schema(row.Get(0, 3));
  SqliteDb source = SqliteDb::OpenReadOnly(sqlite_path, sqlite_busy_timeout_ms);
  SchemaUpgradePlan upgrade = PlanSchemaUpgrade(source, admin, schema);
  for (const std::string& warning : upgrade.warnings) Log(LogLevel::kWarning, "{}", warning);
  for (const std::string& drift : upgrade.left_alone) Log(LogLevel::kWarning, "left alone: {}", drift);

  Plan plan;
  AddCreations(schema, upgrade.create, &plan);
  for (const ColumnAddition& a : upgrade.add) {
    plan.Add(fmt::format("add column {}.{}.{} {}{}", schema, a.table, a.column, a.type,
                         a.not_null_in_source ? " (NOT NULL in SQLite; added without NOT NULL: the rows already "
                                                "copied get their values at the next sync-run)"
                                              : ""),
             a.sql);
  }
  if (!upgrade.create.empty()) {
    plan.Add(fmt::format("grant the new tables to {} alone", RoleForCluster(cluster)),
             "SELECT sync_metadata.grant_client_access($1, $2)", {cluster, schema});
  }
  std::vector<std::string> changed = upgrade.ChangedTables();
  if (!changed.empty()) {
    plan.Add(fmt::format("have the next sync-run pass {} whole (rows already copied get the new columns)",
                         fmt::join(changed, ", ")),
             "UPDATE sync_metadata.sync_progress SET last_full_at = NULL"
             " WHERE deployment_id = $1::bigint AND table_name = ANY ($2::text[])",
             {id, PgArrayLiteral(changed)});
    plan.Add("", "UPDATE sync_metadata.deployment_state SET skip_key = NULL, reconcile_due_at = clock_timestamp()"
                 " WHERE deployment_id = $1::bigint",
             {id});
  }
  if (plan_out != nullptr) *plan_out = plan;
  if (dry_run || plan.empty()) return;
  PgTxn txn(admin);
  plan.Execute(admin);
  txn.Commit();
  Log(LogLevel::kInfo, "deployment {} upgraded: {} table(s) created, {} column(s) added", name, upgrade.create.size(),
      upgrade.add.size());
}

std::vector<DeploymentInfo> ListDeployments(PgConn& conn, const std::string& cluster_filter, bool include_disabled) {
  RequireMetadataSchema(conn);
  PgResult rows = conn.Exec(
      "SELECT deployment_id, name, cluster_name, sqlite_path, target_schema, enabled, created_at::text"
      " FROM sync_metadata.client_deployments"
      " WHERE ($1::text IS NULL OR cluster_name = $1) AND (enabled OR $2::boolean)"
      " ORDER BY cluster_name, name",
      {cluster_filter.empty() ? PgParam() : PgParam(cluster_filter), include_disabled ? "true" : "false"});
  std::vector<DeploymentInfo> out;
  for (int i = 0; i < rows.rows(); ++i) {
    out.push_back({std::stol(std::string(rows.Get(i, 0))), std::string(rows.Get(i, 1)), std::string(rows.Get(i, 2)),
                   std::string(rows.Get(i, 3)), std::string(rows.Get(i, 4)), rows.Get(i, 5) == "t",
                   std::string(rows.Get(i, 6))});
  }
  return out;
}

}  // namespace tenantsync

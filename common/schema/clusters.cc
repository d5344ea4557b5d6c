#include "common/schema/clusters.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "common/files.h"
#include "common/log.h"
#include "common/pg/txn.h"
#include "common/secret.h"

namespace tenantsync {
namespace {

bool FileExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// Statements that set a role's password, redacted for display.
void AddPasswordStep(Plan& plan, PgConn& admin, const std::string& role, const std::string& verifier) {
  plan.Add(fmt::format("set the password of role {} (SCRAM verifier; the password itself stays in its file)", role),
           fmt::format("ALTER ROLE {} PASSWORD {}", admin.QuoteIdentifier(role), admin.QuoteLiteral(verifier)));
}

}  // namespace

void ValidateClusterName(const std::string& cluster) {
  if (!IsValidClusterName(cluster)) {
    throw UsageError(fmt::format("invalid cluster name '{}'", cluster), fmt::format("use {}", kClusterNameRule));
  }
}

std::string RoleForCluster(const std::string& cluster) { return "tenantsync_" + cluster; }

void RequireMetadataSchema(PgConn& conn) {
  // pg_class rather than to_regclass(): the latter needs USAGE on the schema.
  if (conn.ExecOneRow("SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                      " WHERE n.nspname = 'sync_metadata' AND c.relname = 'clusters')")
          .Get(0, 0) != "t") {
    throw ConfigError("the tenantsync metadata schema is not installed in this database",
                      "run `sync-schema apply` first");
  }
}

bool AddCluster(PgConn& admin, const ClusterAddOptions& options, const PostgresConfig& limits, Plan* plan_out) {
  ValidateClusterName(options.cluster);
  if (options.password_file.empty()) {
    throw UsageError("cluster add needs --password-file",
                     "the file is read if it exists (mode 0600), else a new password is generated into it");
  }
  RequireMetadataSchema(admin);
  const std::string role = RoleForCluster(options.cluster);

  PgResult existing = admin.Exec(
      "SELECT (SELECT role_name FROM sync_metadata.clusters WHERE cluster_name = $1),"
      "       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2)",
      {options.cluster, role});
  bool registered = !existing.IsNull(0, 0);
  bool role_exists = existing.Get(0, 1) == "t";
  if (registered) {
    if (options.if_not_exists) return false;
    throw Error(ExitCode::kDataErr, fmt::format("cluster '{}' already exists (role {})", options.cluster, role),
                "use `sync-schema rotate-password` for a new password, or --if-not-exists in scripts");
  }
  if (role_exists) {
    // Roles are shared by every database of the server: adopt only one of ours.
    PgResult ours = admin.ExecOneRow(
        "SELECT pg_has_role($1, 'sync_service', 'MEMBER') AND NOT r.rolsuper AND NOT r.rolbypassrls"
        " FROM pg_roles r WHERE r.rolname = $1",
        {role});
    if (ours.Get(0, 0) != "t") {
      throw Error(ExitCode::kDataErr, fmt::format("role {} exists and is not a tenantsync cluster role", role),
                  "drop or rename that role, or pick another cluster name");
    }
  }

  bool generated = !FileExists(options.password_file);
  std::string password = generated ? GeneratePassword() : ReadPasswordFile(options.password_file);
  std::string verifier = ScramVerifier(admin, role, password);

  Plan plan;
  std::string q = admin.QuoteIdentifier(role);
  if (!role_exists) {
    plan.Add(fmt::format("create login role {} (member of sync_service; no superuser, createdb, createrole, "
                         "replication or bypassrls)",
                         role),
             fmt::format("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                         "INHERIT CONNECTION LIMIT 20 IN ROLE sync_service",
                         q));
  }
  AddPasswordStep(plan, admin, role, verifier);
  // Role-level limits: they hold even through a transaction-mode pooler.
  plan.Add(fmt::format("bound every session of {}: statement_timeout {}s, lock_timeout {}s, "
                       "idle_in_transaction_session_timeout {}s",
                       role, limits.statement_timeout_seconds, limits.lock_timeout_seconds,
                       limits.statement_timeout_seconds),
           fmt::format("ALTER ROLE {0} SET statement_timeout = '{1}s'", q, limits.statement_timeout_seconds));
  plan.Add("", fmt::format("ALTER ROLE {} SET lock_timeout = '{}s'", q, limits.lock_timeout_seconds));
  plan.Add("", fmt::format("ALTER ROLE {} SET idle_in_transaction_session_timeout = '{}s'", q,
                           limits.statement_timeout_seconds));
  plan.Add(fmt::format("bind role {} to cluster {}", role, options.cluster),
           "INSERT INTO sync_metadata.clusters (cluster_name, role_name) VALUES ($1, $2)", {options.cluster, role});
  plan.Add(fmt::format("allow {} to connect to this database", role),
           fmt::format("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}",
                       admin.QuoteIdentifier(admin.ExecOneRow("SELECT current_database()").Get(0, 0)), q));
  if (generated) {
    plan.Add(fmt::format("write a new password to {} (mode 0600)", options.password_file), "");
  }
  if (plan_out != nullptr) *plan_out = plan;
  if (options.dry_run) return true;

  std::string temp = generated ? WriteTempBeside(options.password_file, password + "\n", 0600) : "";
  try {
    PgTxn txn(admin);
    plan.Execute(admin);
    txn.Commit();
  } catch (...) {
    if (!temp.empty()) unlink(temp.c_str());
    throw;
  }
  if (!temp.empty()) CommitFile(temp, options.password_file);
  Log(LogLevel::kInfo, "cluster {} added with role {}", options.cluster, role);
  return true;
}

void RotatePassword(PgConn& admin, const std::string& cluster, const std::string& password_file, bool dry_run,
                    Plan* plan_out) {
  ValidateClusterName(cluster);
  if (password_file.empty()) throw UsageError("rotate-password needs --password-file (the new password goes there)");
  RequireMetadataSchema(admin);
  PgResult row = admin.Exec("SELECT role_name FROM sync_metadata.clusters WHERE cluster_name = $1", {cluster});
  if (row.rows() == 0) {
    throw Error(ExitCode::kDataErr, fmt::format("unknown cluster '{}'", cluster), "see `sync-schema status`");
  }
  std::string role(row.Get(0, 0));
  std::string password = GeneratePassword();
  Plan plan;
  AddPasswordStep(plan, admin, role, ScramVerifier(admin, role, password));
  plan.Add("record the rotation",
           "UPDATE sync_metadata.clusters SET password_rotated_at = clock_timestamp() WHERE cluster_name = $1",
           {cluster});
  plan.Add(fmt::format("replace {} with the new password (mode 0600, atomic rename)", password_file), "");
  if (plan_out != nullptr) *plan_out = plan;
  if (dry_run) return;

  // The new file is ready before the role changes, and renamed into place
  // right after the commit: the nodes are locked out for the least time.
  std::string temp = WriteTempBeside(password_file, password + "\n", 0600);
  try {
    PgTxn txn(admin);
    plan.Execute(admin);
    txn.Commit();
  } catch (...) {
    unlink(temp.c_str());
    throw;
  }
  CommitFile(temp, password_file);
  Log(LogLevel::kInfo, "password of cluster {} rotated; new password in {}", cluster, password_file);
}

std::vector<ClusterInfo> ListClusters(PgConn& admin) {
  RequireMetadataSchema(admin);
  PgResult rows = admin.Exec(
      "SELECT c.cluster_name, c.role_name, c.created_at::text, c.password_rotated_at::text,"
      "       (SELECT count(*) FROM sync_metadata.client_deployments d"
      "         WHERE d.cluster_name = c.cluster_name AND d.enabled)"
      " FROM sync_metadata.clusters c ORDER BY c.cluster_name");
  std::vector<ClusterInfo> out;
  for (int i = 0; i < rows.rows(); ++i) {
    out.push_back({std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1)), std::string(rows.Get(i, 2)),
                   rows.GetOpt(i, 3), std::stol(std::string(rows.Get(i, 4)))});
  }
  return out;
}

}  // namespace tenantsync

#include "common/commands/schema_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "common/json.h"
#include "common/log.h"
#include "common/pg/conn.h"
#include "common/pg/connect_spec.h"
#include "common/schema/clusters.h"
#include "common/schema/deployments.h"
#include "common/schema/migrator.h"
#include "common/schema/privilege_check.h"

namespace tenantsync {
namespace {

using Command = SchemaOptions::Command;


void PrintPlan(const Plan& plan, bool dry_run) {
  for (const PlanStep& step : plan.steps()) {
    if (!step.description.empty()) fmt::print("{}{}\n", dry_run ? "would " : "", step.description);
    if (dry_run && !step.detail.empty()) fmt::print("{}\n", step.detail);
  }
  if (dry_run) fmt::print("dry run: nothing was written\n");
}

void PrintPasswordFile(const std::string& path) {
  fmt::print("{}\n", ReadPasswordFile(path));
}

ExitCode Apply(PgConn& admin, const SchemaOptions& o) {
  std::vector<MigrationStatus> done = ApplyMigrations(admin, EmbeddedMigrations(), o.dry_run);
  if (o.json) {
    JsonWriter w;
    w.BeginObject().Key("dry_run").Bool(o.dry_run).Key(o.dry_run ? "pending" : "applied").BeginArray();
    for (const MigrationStatus& s : done) {
      w.BeginObject().Key("version").Int(s.version).Key("name").String(s.name).Key("sha256").String(s.checksum);
      w.EndObject();
    }
    w.EndArray().EndObject();
    fmt::print("{}\n", w.str());
    return ExitCode::kOk;
  }
  if (done.empty()) {
    fmt::print("schema is up to date ({} migrations)\n", EmbeddedMigrations().size());
    return ExitCode::kOk;
  }
  for (const MigrationStatus& s : done) fmt::print("{} {}\n", o.dry_run ? "would apply" : "applied", s.name);
  if (o.dry_run) fmt::print("dry run: nothing was written\n");
  return ExitCode::kOk;
}

ExitCode Status(PgConn& admin, const SchemaOptions& o) {
  std::vector<MigrationStatus> status = ReadMigrationStatus(admin, EmbeddedMigrations());
  bool current = std::all_of(status.begin(), status.end(),
                             [](const MigrationStatus& s) { return s.state == MigrationState::kApplied; });
  bool installed = std::any_of(status.begin(), status.end(),
                               [](const MigrationStatus& s) { return s.state != MigrationState::kPending; });
  std::vector<ClusterInfo> clusters = installed ? ListClusters(admin) : std::vector<ClusterInfo>{};
  if (o.json) {
    JsonWriter w;
    w.BeginObject().Key("up_to_date").Bool(current).Key("server").String(admin.Describe());
    w.Key("migrations").BeginArray();
    for (const MigrationStatus& s : status) {
      w.BeginObject().Key("version").Int(s.version).Key("name").String(s.name);
      w.Key("state").String(ToString(s.state)).Key("applied_at").StringOrNull(s.applied_at).EndObject();
    }
    w.EndArray().Key("clusters").BeginArray();
    for (const ClusterInfo& c : clusters) {
      w.BeginObject().Key("cluster").String(c.cluster).Key("role").String(c.role);
      w.Key("deployments").Int(c.deployments).Key("password_rotated_at").StringOrNull(c.password_rotated_at).EndObject();
    }
    w.EndArray().EndObject();
    fmt::print("{}\n", w.str());
  } else {
    fmt::print("server: {}\n", admin.Describe());
    for (const MigrationStatus& s : status) {
      fmt::print("  {:<28} {:<8} {}\n", s.name, ToString(s.state), s.applied_at.value_or(""));
    }
    fmt::print("clusters: {}\n", clusters.empty() ? "none" : "");
    for (const ClusterInfo& c : clusters) {
      fmt::print("  {:<20} role {:<30} {} deployment(s)\n", c.cluster, c.role, c.deployments);
    }
    if (!current) fmt::print("pending migrations: run `sync-schema apply`\n");
  }
  RefuseDrift(status);
  return current ? ExitCode::kOk : ExitCode::kNo;
}

ExitCode ClusterList(PgConn& admin, const SchemaOptions& o) {
  std::vector<ClusterInfo> clusters = ListClusters(admin);
  if (o.json) {
    JsonWriter w;
    w.BeginArray();
    for (const ClusterInfo& c : clusters) {
      w.BeginObject().Key("cluster").String(c.cluster).Key("role").String(c.role).Key("created_at").String(
          c.created_at);
      w.Key("password_rotated_at").StringOrNull(c.password_rotated_at).Key("deployments").Int(c.deployments).EndObject();
    }
    w.EndArray();
    fmt::print("{}\n", w.str());
    return ExitCode::kOk;
  }
  for (const ClusterInfo& c : clusters) {
    fmt::print("{:<20} {:<30} {} deployment(s)\n", c.cluster, c.role, c.deployments);
  }
  return ExitCode::kOk;
}

ExitCode DeploymentList(PgConn& admin, const SchemaOptions& o) {
  std::vector<DeploymentInfo> list = ListDeployments(admin, o.cluster, o.include_disabled);
  if (o.json) {
    JsonWriter w;
    w.BeginArray();
    for (const DeploymentInfo& d : list) {
      w.BeginObject().Key("id").Int(d.id).Key("name").String(d.name).Key("cluster").String(d.cluster);
      w.Key("sqlite_path").String(d.sqlite_path).Key("target_schema").String(d.target_schema);
      w.Key("enabled").Bool(d.enabled).Key("created_at").String(d.created_at).EndObject();
    }
    w.EndArray();
    fmt::print("{}\n", w.str());
    return ExitCode::kOk;
  }
  if (list.empty()) fmt::print("no deployments\n");
  for (const DeploymentInfo& d : list) {
    fmt::print("{:<24} cluster={:<16} schema={:<24} {}{}\n", d.name, d.cluster, d.target_schema, d.sqlite_path,
               d.enabled ? "" : " (removed)");
  }
  return ExitCode::kOk;
}

// Connects as the node would and runs the privilege self-check every sync
// tool runs at start, so an operator can vet a role before the timers do.
ExitCode CheckRole(const Config& config, const SchemaOptions& o) {
  const std::string& cluster = config.RequireCluster();
  PgConn conn = PgConn::Connect(NodeConnectSpec(config, "sync-schema"));
  std::vector<std::string> problems = FindPrivilegeProblems(conn, cluster);
  std::string role(conn.ExecOneRow("SELECT session_user").Get(0, 0));
  if (o.json) {
    JsonWriter w;
    w.BeginObject().Key("role").String(role).Key("cluster").String(cluster).Key("ok").Bool(problems.empty());
    w.Key("problems").BeginArray();
    for (const std::string& p : problems) w.String(p);
    w.EndArray().EndObject();
    fmt::print("{}\n", w.str());
  } else if (problems.empty()) {
    fmt::print("role {} is fit to sync cluster {}: no superuser, no RLS bypass, no ownership, no DELETE or "
               "TRUNCATE on metadata\n",
               role, cluster);
  }
  if (!problems.empty()) CheckSyncRolePrivileges(conn, cluster);  // throws 77 with the full list
  return ExitCode::kOk;
}

}  // namespace

ExitCode RunSchema(const Config& config, const SchemaOptions& o) {
  if (o.command == Command::kCheckRole) return CheckRole(config, o);
  PgConn admin = PgConn::Connect(AdminConnectSpec(config, "sync-schema"));
  Plan plan;
  switch (o.command) {
    case Command::kApply: return Apply(admin, o);
    case Command::kStatus: return Status(admin, o);
    case Command::kClusterList: return ClusterList(admin, o);
    case Command::kDeploymentList: return DeploymentList(admin, o);
    case Command::kClusterAdd: {
      bool created = AddCluster(admin, {o.cluster, o.password_file, o.if_not_exists, o.dry_run}, config.postgres,
                                &plan);
      if (!created) {
        fmt::print("cluster {} already exists\n", o.cluster);
        return ExitCode::kOk;
      }
      PrintPlan(plan, o.dry_run);
      if (o.print_password && !o.dry_run) PrintPasswordFile(o.password_file);
      return ExitCode::kOk;
    }
    case Command::kRotatePassword:
      RotatePassword(admin, o.cluster, o.password_file, o.dry_run, &plan);
      PrintPlan(plan, o.dry_run);
      if (o.print_password && !o.dry_run) PrintPasswordFile(o.password_file);
      return ExitCode::kOk;
    case Command::kDeploymentAdd: {
      long id = AddDeployment(admin,
                              {o.name, o.cluster, o.sqlite_path, o.target_schema, o.dry_run, o.create_tables,
                               config.sync.busy_timeout_ms},
                              &plan);
      PrintPlan(plan, o.dry_run);
      if (!o.dry_run) fmt::print("deployment {} has id {}\n", o.name, id);
      return ExitCode::kOk;
    }
    case Command::kDeploymentRemove:
      RemoveDeployment(admin, o.name, o.dry_run, &plan);
      PrintPlan(plan, o.dry_run);
      return ExitCode::kOk;
    case Command::kCheckRole: break;  // handled above, without the admin connection
  }
  return ExitCode::kSoftware;
}

}  // namespace tenantsync

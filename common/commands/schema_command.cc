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
#include "common/schema/prune.h"

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

ExitCode Prune(PgConn& admin, const Config& config, const SchemaOptions& o) {
  PruneCounts n = PruneHistory(admin, config.retention, o.dry_run);
  if (o.json) {
    JsonWriter w;
    w.BeginObject().Key("dry_run").Bool(o.dry_run).Key(o.dry_run ? "would_remove" : "removed").BeginObject();
    w.Key("jobs").Int(n.jobs).Key("conflicts").Int(n.conflicts).Key("quarantine").Int(n.quarantine);
    w.Key("cache_events").Int(n.cache_events).EndObject().EndObject();
    fmt::print("{}\n", w.str());
    return ExitCode::kOk;
  }
  fmt::print("{} {} finished job rows, {} settled conflicts (counted first), {} resolved quarantine rows, {} cache "
             "events\n",
             o.dry_run ? "would remove" : "removed", n.jobs, n.conflicts, n.quarantine, n.cache_events);
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

// Vets cluster roles as an operator would before the timers do: the node's
// own role as the node connects, or (--all, as the admin) every cluster's.
// The full audit, which also looks beyond the metadata at the whole database.
ExitCode CheckRole(const Config& config, const SchemaOptions& o) {
  struct Verdict {
    RoleUnderCheck role;
    std::vector<std::string> problems;
  };
  std::vector<Verdict> verdicts;
  if (o.all) {
    PgConn admin = PgConn::Connect(AdminConnectSpec(config, "sync-schema"));
    for (RoleUnderCheck& r : ClusterRoles(admin)) {
      std::vector<std::string> problems = FindRoleProblems(admin, r, "", AuditDepth::kFull);
      verdicts.push_back({std::move(r), std::move(problems)});
    }
  } else {
    const std::string& cluster = config.RequireCluster();
    PgConn conn = PgConn::Connect(NodeConnectSpec(config, "sync-schema"));
    std::vector<std::string> problems = FindPrivilegeProblems(conn, cluster, AuditDepth::kFull);
    verdicts.push_back({{std::string(conn.ExecOneRow("SELECT session_user").Get(0, 0)), cluster}, problems});
  }
  size_t unfit = 0;
  JsonWriter w;
  if (o.all) w.BeginObject().Key("roles").BeginArray();
  for (const Verdict& v : verdicts) {
    if (!v.problems.empty()) ++unfit;
    if (o.json) {
      w.BeginObject().Key("role").String(v.role.role).Key("cluster").String(v.role.bound_cluster.value_or(""));
      w.Key("ok").Bool(v.problems.empty()).Key("problems").BeginArray();
      for (const std::string& p : v.problems) w.String(p);
      w.EndArray().EndObject();
    } else if (v.problems.empty()) {
      fmt::print("role {} is fit to sync cluster {}, and holds nothing beyond the documented privileges\n",
                 v.role.role, v.role.bound_cluster.value_or(""));
    }
  }
  if (o.all) w.EndArray().Key("ok").Bool(unfit == 0).EndObject();
  if (o.json) fmt::print("{}\n", w.str());
  if (o.all && verdicts.empty() && !o.json) fmt::print("no clusters\n");
  if (unfit > 0) {
    std::string text;
    for (const Verdict& v : verdicts) {
      for (const std::string& p : v.problems) text += "\n  " + p;
    }
    throw PermissionError(fmt::format("{} of {} cluster role(s) unfit:{}", unfit, verdicts.size(), text),
                          "docs/security.md lists what a cluster role may hold; revoke the rest as the admin");
  }
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
    case Command::kDeploymentUpgrade:
      UpgradeDeployment(admin, o.name, config.sync.busy_timeout_ms, o.dry_run, &plan);
      if (plan.empty()) fmt::print("deployment {}: nothing to add\n", o.name);
      PrintPlan(plan, o.dry_run);
      return ExitCode::kOk;
    case Command::kPrune: return Prune(admin, config, o);
    case Command::kCheckRole: break;  // handled above, without the admin connection
  }
  return ExitCode::kSoftware;
}

}  // namespace tenantsync

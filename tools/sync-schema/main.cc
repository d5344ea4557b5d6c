// sync-schema: apply the metadata migrations, manage cluster roles and
// register deployments. The work is in common/commands/schema_command.cc.
#include "common/commands/schema_command.h"
#include "common/tool.h"

int main(int argc, char** argv) {
  using tenantsync::SchemaOptions;
  using Command = SchemaOptions::Command;
  CLI::App app{"Apply tenantsync's PostgreSQL schema; manage cluster roles and deployments", "sync-schema"};
  app.footer(R"(Examples:
  sync-schema --config /etc/tenantsync/tenantsync.toml apply --dry-run
  sync-schema apply
  sync-schema status --json
  sync-schema cluster add host-a --password-file /etc/tenantsync/host-a.password
  sync-schema rotate-password host-a --password-file /etc/tenantsync/host-a.password
  sync-schema deployment add acme --cluster host-a --sqlite /srv/acme/data/webui.db
  sync-schema deployment add beta --cluster host-a --sqlite /srv/beta/webui.db --create-tables --dry-run
  sync-schema deployment upgrade beta --dry-run   # after the tenant's app added columns
  sync-schema deployment list --cluster host-a
  sync-schema deployment remove acme
  sync-schema check-role --json            # as the node connects: is its role fit?
  sync-schema check-role --all             # as the admin: audit every cluster's role
  sync-schema prune --dry-run --json       # what [retention] would remove

Connects with [postgres] admin_conninfo ("" = PG* variables). Exit codes: 0 ok,
1 status: migrations pending (deployment remove/upgrade: no such deployment),
64 usage, 65 refused input (or a SQLite file that is not a database), 66 SQLite
file missing (--create-tables, deployment upgrade), 69 PostgreSQL unreachable,
77 permission, 78 configuration.)");
  tenantsync::CommonFlags flags;
  tenantsync::AddCommonFlags(app, flags);
  SchemaOptions o;
  app.require_subcommand(0, 1);

  auto* apply = app.add_subcommand("apply", "Apply pending migrations (the default)");
  apply->add_flag("--dry-run", o.dry_run, "Print what would be applied; write nothing");
  apply->add_flag("--json", o.json, "Print the result as JSON");
  apply->callback([&] { o.command = Command::kApply; });

  auto* status = app.add_subcommand("status", "Show migrations and clusters; exit 1 if migrations are pending");
  status->add_flag("--json", o.json, "Print as JSON");
  status->callback([&] { o.command = Command::kStatus; });

  auto* cluster = app.add_subcommand("cluster", "Manage cluster login roles")->require_subcommand(1);
  auto* cluster_add = cluster->add_subcommand("add", "Create a cluster's login role");
  cluster_add->add_option("NAME", o.cluster, "Cluster name (the [node] cluster of its nodes)")->required();
  cluster_add->add_option("--password-file", o.password_file,
                          "Read the password here if the file exists (mode 0600), else generate one into it")
      ->required();
  cluster_add->add_flag("--if-not-exists", o.if_not_exists, "Succeed quietly when the cluster exists");
  cluster_add->add_flag("--print-password", o.print_password, "Also print the password on stdout");
  cluster_add->add_flag("--dry-run", o.dry_run, "Print the plan; write nothing");
  cluster_add->callback([&] { o.command = Command::kClusterAdd; });
  auto* cluster_list = cluster->add_subcommand("list", "List clusters");
  cluster_list->add_flag("--json", o.json, "Print as JSON");
  cluster_list->callback([&] { o.command = Command::kClusterList; });

  auto* rotate = app.add_subcommand("rotate-password", "Give a cluster's role a new generated password");
  rotate->add_option("CLUSTER", o.cluster, "Cluster name")->required();
  rotate->add_option("--password-file", o.password_file, "Where the new password is written (0600)")->required();
  rotate->add_flag("--print-password", o.print_password, "Also print the password on stdout");
  rotate->add_flag("--dry-run", o.dry_run, "Print the plan; write nothing");
  rotate->callback([&] { o.command = Command::kRotatePassword; });

  auto* deployment = app.add_subcommand("deployment", "Register tenants")->require_subcommand(1);
  auto* dep_add = deployment->add_subcommand("add", "Register a tenant and grant its schema to its cluster");
  dep_add->add_option("NAME", o.name, "Deployment name")->required();
  dep_add->add_option("--cluster", o.cluster, "Cluster that syncs it")->required();
  dep_add->add_option("--sqlite", o.sqlite_path, "Absolute path of its webui.db")->required();
  dep_add->add_option("--schema", o.target_schema, "Target schema (default client_<name>)");
  dep_add->add_flag("--create-tables", o.create_tables,
                    "Also create the tables the SQLite file has and the schema lacks (docs/create-tables.md)");
  dep_add->add_flag("--dry-run", o.dry_run, "Print the plan (with each table's DDL); write nothing");
  dep_add->callback([&] { o.command = Command::kDeploymentAdd; });
  auto* dep_upgrade = deployment->add_subcommand(
      "upgrade", "Create the tables and add the columns the tenant's SQLite file gained (to tables --create-tables "
                 "made); report any other difference");
  dep_upgrade->add_option("NAME", o.name, "Deployment name")->required();
  dep_upgrade->add_flag("--dry-run", o.dry_run, "Print the plan (and what is left alone); write nothing");
  dep_upgrade->callback([&] { o.command = Command::kDeploymentUpgrade; });
  auto* dep_list = deployment->add_subcommand("list", "List deployments");
  dep_list->add_option("--cluster", o.cluster, "Only this cluster's");
  dep_list->add_flag("--all", o.include_disabled, "Include removed deployments");
  dep_list->add_flag("--json", o.json, "Print as JSON");
  dep_list->callback([&] { o.command = Command::kDeploymentList; });
  auto* dep_remove = deployment->add_subcommand("remove", "Unregister a tenant; its data and history stay");
  dep_remove->add_option("NAME", o.name, "Deployment name")->required();
  dep_remove->add_flag("--dry-run", o.dry_run, "Print the plan; write nothing");
  dep_remove->callback([&] { o.command = Command::kDeploymentRemove; });

  auto* check = app.add_subcommand("check-role",
                                   "Connect as the node does ([postgres] conninfo) and vet its role; exit 77 if unfit");
  check->add_flag("--json", o.json, "Print as JSON");
  check->add_flag("--all", o.all,
                  "Connect as the admin and audit every cluster's role for privileges beyond the documented set");
  check->callback([&] { o.command = Command::kCheckRole; });

  auto* prune = app.add_subcommand("prune",
                                   "Remove history older than [retention]: finished jobs, settled conflicts "
                                   "(counted first), resolved quarantine rows, cache events");
  prune->add_flag("--dry-run", o.dry_run, "Count what would go; remove nothing");
  prune->add_flag("--json", o.json, "Print the counts as JSON");
  prune->callback([&] { o.command = Command::kPrune; });

  return tenantsync::RunTool(app, argc, argv, flags,
                             [&](const tenantsync::Config& config) { return tenantsync::RunSchema(config, o); });
}

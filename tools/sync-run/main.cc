// sync-run: copy what changed in each tenant's SQLite file into PostgreSQL.
// The work is in common/commands/run_command.cc and common/sync/.
#include "common/commands/run_command.h"
#include "common/tool.h"

int main(int argc, char** argv) {
  CLI::App app{"Copy every tenant's changed rows from SQLite into PostgreSQL", "sync-run"};
  app.footer(R"(Examples:
  sync-run                          # every deployment of this node's cluster
  sync-run --deployment acme --verify
  sync-run --full                   # reconcile: whole tables, deletes, updates that kept updated_at
  sync-run --dry-run --json         # what would be written; nothing is kept
  sync-run --jobs 1                 # one deployment at a time (default: one per CPU, at most [sync] max_jobs)

Connects with [postgres] conninfo as the cluster's own role. Exit codes: 0 ok,
1 --verify found differences, 65 corrupt source or delete brake, 66 source
missing, 69 PostgreSQL unreachable, 75 retry next tick, 77 role unfit,
78 configuration.)");
  tenantsync::CommonFlags flags;
  tenantsync::AddCommonFlags(app, flags);
  tenantsync::RunOptions o;
  auto* one = app.add_option("-d,--deployment", o.deployment, "Only this deployment");
  bool all = false;  // the default; accepted so that scripts can say what they mean
  app.add_flag("--all", all, "Every deployment of the cluster (the default)")->excludes(one);
  app.add_flag("--full", o.full, "Reconcile every table: whole pass and deletes");
  app.add_flag("--verify", o.verify, "Afterwards compare source and target exactly; exit 1 on a difference");
  app.add_flag("--dry-run", o.dry_run, "Do everything, then roll it back; record nothing");
  app.add_flag("--json", o.json, "Print the result as JSON on stdout");
  app.add_flag("!--no-progress", o.progress, "No progress lines on a terminal");
  app.add_option("-j,--jobs", o.jobs,
                 "Sync this many deployments at once, each on its own connection "
                 "(default: one per CPU; never more than [sync] max_jobs)")
      ->check(CLI::Range(1, tenantsync::kMaxJobs));
  return tenantsync::RunTool(app, argc, argv, flags,
                             [&](const tenantsync::Config& config) { return tenantsync::RunSync(config, o); });
}

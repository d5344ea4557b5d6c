// sync-resolve: list, show and settle the conflicts sync-run logged. The work
// is in common/commands/resolve_command.cc and common/conflict/.
#include <unistd.h>

#include "common/commands/resolve_command.h"
#include "common/tool.h"

int main(int argc, char** argv) {
  using tenantsync::ResolveOptions;
  using Command = ResolveOptions::Command;
  CLI::App app{"List, show and settle the conflicts sync-run logged", "sync-resolve"};
  app.footer(R"(Examples:
  sync-resolve list --pending                      # what waits for a person
  sync-resolve list --deployment acme --table user --json
  sync-resolve show 42                             # both images side by side
  sync-resolve apply 42 --take target              # keep the replica's version
  sync-resolve apply --deployment acme --table config --take source --dry-run
  sync-resolve auto                                # each table's strategy, on what is pending
  sync-resolve auto --strategy newest_wins --table chat

A settled conflict stays in conflict_log with both images, the outcome, who
settled it and when. apply and auto write only on the node that holds the
lease, fenced as sync-run is, and never over a target row that changed since
the conflict was logged (the next sync-run looks at it again). Exit codes:
0 ok, 1 nothing matched or nothing could be settled, 64 bad flags or ids,
69 PostgreSQL unreachable, 75 not the leader, 77 role unfit, 78
configuration.)");
  tenantsync::CommonFlags flags;
  tenantsync::AddCommonFlags(app, flags);
  ResolveOptions o;
  o.color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
  app.require_subcommand(1);
  auto filters = [&](CLI::App* sub) {
    sub->add_option("-d,--deployment", o.filter.deployment, "Only this deployment's conflicts");
    sub->add_option("-t,--table", o.filter.table, "Only this table's conflicts");
  };
  const std::map<std::string, tenantsync::Take> takes{{"source", tenantsync::Take::kSource},
                                                      {"target", tenantsync::Take::kTarget},
                                                      {"merged", tenantsync::Take::kMerged}};
  const std::map<std::string, tenantsync::ConflictStrategy> strategies{
      {"newest_wins", tenantsync::ConflictStrategy::kNewestWins},
      {"source_wins", tenantsync::ConflictStrategy::kSourceWins},
      {"target_wins", tenantsync::ConflictStrategy::kTargetWins},
      {"merge", tenantsync::ConflictStrategy::kMerge}};

  auto* list = app.add_subcommand("list", "List conflicts, oldest first");
  filters(list);
  list->add_flag("--pending", o.filter.pending_only, "Only those waiting to be settled");
  list->add_option("--limit", o.filter.limit, "At most this many")->transform(tenantsync::PositiveInt64());
  list->add_flag("--json", o.json, "Print as JSON");
  list->callback([&] { o.command = Command::kList; });

  auto* show = app.add_subcommand("show", "Show one conflict: source and target side by side");
  int64_t show_id = 0;
  show->add_option("ID", show_id, "Conflict id (from list)")->required()->transform(tenantsync::PositiveInt64());
  show->add_flag("--json", o.json, "Print as JSON");
  show->callback([&] {
    o.command = Command::kShow;
    o.filter.ids = {show_id};
  });

  auto* apply = app.add_subcommand("apply", "Settle pending conflicts by id or by filter, taking one side");
  apply->add_option("ID", o.filter.ids, "Conflict ids (or select them with --deployment/--table)")
      ->transform(tenantsync::PositiveInt64());
  filters(apply);
  tenantsync::Take take = tenantsync::Take::kSource;
  apply->add_option("--take", take, "source, target or merged (the table's merge_fallback settles clashes)")
      ->required()
      ->transform(CLI::CheckedTransformer(takes));
  apply->add_flag("--dry-run", o.dry_run, "Do it, then roll it back; print what would happen");
  apply->add_flag("--json", o.json, "Print the result as JSON");
  apply->callback([&] {
    o.command = Command::kApply;
    o.take = take;
    if (o.filter.ids.empty() && o.filter.deployment.empty() && o.filter.table.empty()) {
      throw CLI::ValidationError("apply", "name conflict ids, or select them with --deployment and/or --table");
    }
  });

  auto* automatic = app.add_subcommand("auto", "Re-run a strategy on the pending conflicts");
  filters(automatic);
  tenantsync::ConflictStrategy strategy = tenantsync::ConflictStrategy::kNewestWins;
  auto* strategy_option = automatic->add_option("--strategy", strategy, "Instead of each table's configured one")
                              ->transform(CLI::CheckedTransformer(strategies));
  automatic->add_flag("--dry-run", o.dry_run, "Do it, then roll it back; print what would happen");
  automatic->add_flag("--json", o.json, "Print the result as JSON");
  automatic->callback([&] {
    o.command = Command::kAuto;
    if (strategy_option->count() > 0) o.strategy = strategy;
  });

  return tenantsync::RunTool(app, argc, argv, flags,
                             [&](const tenantsync::Config& config) { return tenantsync::RunResolve(config, o); });
}

// sync-devdb: run a command against an embedded PostgreSQL cluster, for
// `make run` and for trying tenantsync without a server. The cluster lives as
// long as the command; its data stays in --dir for the next time.
#include "common/commands/devdb_command.h"
#include "common/tool.h"

int main(int argc, char** argv) {
  CLI::App app{"Run a command with an embedded PostgreSQL cluster (PGHOST/PGPORT/PGUSER exported)", "sync-devdb"};
  app.footer(R"(Examples:
  sync-devdb --dir .run/pg -- psql -c 'select version()'
  sync-devdb -- sync-schema apply          # a throwaway cluster, removed afterwards

The cluster listens on 127.0.0.1 (password logins) and on a Unix socket in
DIR/socket (trust, superuser "postgres"). The command's exit code is returned.)");
  tenantsync::CommonFlags flags;
  tenantsync::AddCommonFlags(app, flags);
  tenantsync::DevDbOptions o;
  app.add_option("--dir", o.dir, "Keep the cluster here (default: a temporary directory, removed at the end)");
  app.add_flag("--fsync", o.fsync, "Keep fsync on (for honest benchmarks)");
  app.add_option("command", o.command, "Command and arguments, after --")->required();
  app.prefix_command(false);
  return tenantsync::RunTool(app, argc, argv, flags,
                             [&](const tenantsync::Config&) { return tenantsync::RunDevDb(o); });
}

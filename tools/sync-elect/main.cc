// sync-elect: acquire or renew the cluster's lease; exit 0 = this node leads.
// The work is in common/commands/elect_command.cc and common/lease/.
#include "common/commands/elect_command.h"
#include "common/tool.h"

int main(int argc, char** argv) {
  CLI::App app{"Acquire or renew this node's cluster lease (exit 0 = leader, 1 = follower)", "sync-elect"};
  app.footer(R"(Examples:
  sync-elect                        # 0: this node leads; 1: the peer does
  sync-elect --exec-condition       # for systemd's ExecCondition=: any failure exits 255
  sync-elect --release              # planned stop: hand the lease to the peer now
  sync-elect --check --json         # which endpoint answered, TLS, server version, role fitness

Exit codes: 0 leader, 1 follower, 64 usage, 69 PostgreSQL unreachable, 77 role
unfit, 78 configuration; under --exec-condition every failure is 255, so
systemd marks the unit failed instead of skipping it.)");
  tenantsync::CommonFlags flags;
  tenantsync::AddCommonFlags(app, flags);
  tenantsync::ElectOptions o;
  app.add_flag("--exec-condition", flags.exec_condition, "Map every failure to 255 (systemd ExecCondition=)");
  auto* release = app.add_flag("--release", o.release, "Give the lease up if this node holds it");
  app.add_flag("--check", o.check, "Probe the connection and the role; elect nothing")->excludes(release);
  app.add_flag("--json", o.json, "Print the result as JSON on stdout");
  return tenantsync::RunTool(app, argc, argv, flags,
                             [&](const tenantsync::Config& config) { return tenantsync::RunElect(config, o); });
}

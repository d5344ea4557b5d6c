// sync-status: health, Prometheus metrics and the status API over HTTP.
// The work is in common/commands/status_command.cc and common/status/.
#include "common/commands/status_command.h"
#include "common/tool.h"

int main(int argc, char** argv) {
  CLI::App app{"Serve this node's health, Prometheus metrics and status API over HTTP", "sync-status"};
  app.footer(R"(Examples:
  sync-status                               # serve on [status] listen (127.0.0.1:9443)
  sync-status --listen 127.0.0.1:9500       # another address
  sync-status --once                        # print the status; exit 0 healthy, 1 unhealthy
  sync-status --once --json                 # the same as GET /health
  curl -s http://127.0.0.1:9443/metrics     # Prometheus text format 0.0.4

Endpoints: /health (200 or 503), /metrics, /api/v1/cluster/status,
/api/v1/conflicts, /api/v1/state/KEY (PUT: token), /api/v1/sync/trigger
(POST: token, leader only), / (HTML). See docs/status.md.
Exit codes: 0 healthy (--once) or a clean stop, 1 unhealthy (--once),
64 usage, 74 cannot listen, 78 configuration.)");
  tenantsync::CommonFlags flags;
  tenantsync::AddCommonFlags(app, flags);
  tenantsync::StatusOptions o;
  app.add_flag("--once", o.once, "Print the status and exit (0 healthy, 1 unhealthy); do not serve");
  app.add_flag("--json", o.json, "With --once: print the /health JSON");
  app.add_option("--listen", o.listen, "ADDR:PORT to serve on (overrides [status] listen)");
  return tenantsync::RunTool(app, argc, argv, flags,
                             [&](const tenantsync::Config& config) { return tenantsync::RunStatus(config, o); });
}

#pragma once
// What the sync-status tests share: a tiny HTTP client, and a fixture with
// two tenants (acme, beta) whose server runs in-process on a thread (the
// command's own entry point with a stop flag), against the harness's
// PostgreSQL as the cluster's role.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string allow;
};

HttpResult Http(uint16_t port, const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& token = "");

// Sends `request` byte for byte on a new connection and returns all the
// server sent back until it closed the connection: for requests an HTTP
// client library would not send, and to see the status line as written.
std::string RawHttp(uint16_t port, const std::string& request);

bool Contains(const std::string& text, const std::string& part);
size_t Count(const std::string& text, const std::string& part);

class SyncStatusTest : public TenantTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // sync-elect (this node leads) and sync-run for every deployment.
  void ElectAndSync();

  uint16_t StartServer(const std::string& config_text);
  uint16_t StartServer();  // node-a, default [status]
  uint16_t Start(Config config);
  void StopServer();

  ProcessResult Once(const std::string& config, std::vector<std::string> extra = {});

  std::string config_path_;
  Config config_;
  std::atomic<bool> stop_{false};
  std::thread server_;
};

}  // namespace tenantsync::testing

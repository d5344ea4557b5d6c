#pragma once
// The request router behind sync-status's HTTP server: checks the method,
// then dispatches on the path. The request has been read in full, within the
// server's limits, by status_connection.

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <memory>

#include "common/config.h"
#include "common/status/cache_listener.h"
#include "common/status/state_api.h"
#include "common/status/sync_trigger.h"

namespace tenantsync {

class StatusRouter {
 public:
  // `listener` is null when [status] cache_listen = false; it is only read
  // (for /metrics).
  StatusRouter(const Config& config, std::shared_ptr<StateCache> state, std::shared_ptr<const CacheListener> listener,
               std::shared_ptr<SyncTrigger> trigger)
      : config_(config), state_(std::move(state)), listener_(std::move(listener)), trigger_(std::move(trigger)) {}

  // Answers one request; `body` is all of its body. Never throws for a
  // failure of its own (those are 500 and 503); only a failure to send.
  void Serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, const std::string& body);

 private:
  const Config config_;
  std::shared_ptr<StateCache> state_;
  std::shared_ptr<const CacheListener> listener_;
  std::shared_ptr<SyncTrigger> trigger_;
};

}  // namespace tenantsync

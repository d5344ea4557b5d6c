#pragma once
// The request router behind sync-status's HTTP server: one handler that
// checks method and body size, then dispatches on the path.

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <memory>

#include "common/config.h"
#include "common/status/cache_listener.h"
#include "common/status/state_api.h"
#include "common/status/sync_trigger.h"

namespace tenantsync {

class StatusHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  // `listener` is null when [status] cache_listen = false; it is only read
  // (for /metrics).
  StatusHandlerFactory(const Config& config, std::shared_ptr<StateCache> state,
                       std::shared_ptr<const CacheListener> listener, std::shared_ptr<SyncTrigger> trigger)
      : config_(config), state_(std::move(state)), listener_(std::move(listener)), trigger_(std::move(trigger)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

 private:
  const Config config_;
  std::shared_ptr<StateCache> state_;
  std::shared_ptr<const CacheListener> listener_;
  std::shared_ptr<SyncTrigger> trigger_;
};

}  // namespace tenantsync

#include "common/status/status_server.h"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/pg/connect_spec.h"
#include "common/signals.h"
#include "common/status/cache_listener.h"
#include "common/status/status_handlers.h"
#include "common/status/sync_trigger.h"

namespace tenantsync {
namespace {

// While every worker thread is busy, a new connection is kept only if its
// request has started to arrive within kIdleGraceMs; idle sockets are
// closed at once instead of queueing ahead of real requests (reliability
// §6: 20 idle connections starved a default Poco server).
class ShedIdleWhenBusy : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit ShedIdleWhenBusy(const Poco::Net::TCPServer* server) : server_(server) {}
  bool accept(const Poco::Net::StreamSocket& socket) override {
    if (server_->currentConnections() + server_->queuedConnections() < kMaxThreads) return true;
    try {
      return socket.poll(Poco::Timespan(0, kIdleGraceMs * 1000), Poco::Net::Socket::SELECT_READ);
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  const Poco::Net::TCPServer* server_;
};

Poco::Net::SocketAddress ParseListen(const std::string& listen) {
  try {
    return Poco::Net::SocketAddress(listen);
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("[status] listen = \"{}\" is not a host:port address: {}", listen, e.what()),
                      "write e.g. listen = \"127.0.0.1:9443\" or \"[::1]:9443\"");
  }
}

}  // namespace

struct StatusServer::Impl {
  Poco::ThreadPool pool{2, kMaxThreads, 30};
  std::shared_ptr<StateCache> cache;
  std::shared_ptr<CacheListener> listener;  // null when [status] cache_listen = false
  std::shared_ptr<SyncTrigger> trigger;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
  bool running = false;
};

StatusServer::StatusServer(const Config& config, const std::string& sync_run_path)
    : impl_(std::make_unique<Impl>()) {
  impl_->trigger = std::make_shared<SyncTrigger>(config, sync_run_path);
  impl_->cache = std::make_shared<StateCache>(config.status.cache_ttl, config.status.cache_poll_interval);
  Poco::Net::SocketAddress address = ParseListen(config.status.listen);
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(address, true);
    socket.listen(64);
  } catch (const std::exception& e) {
    throw IoError(fmt::format("cannot listen on {}: {}", config.status.listen, e.what()),
                  "is another sync-status running? Set [status] listen to a free address");
  }
  impl_->port = socket.address().port();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setTimeout(Poco::Timespan(kTimeoutSeconds, 0));
  params->setKeepAlive(false);
  params->setKeepAliveTimeout(Poco::Timespan(2, 0));
  params->setMaxKeepAliveRequests(1);
  params->setMaxThreads(kMaxThreads);
  params->setMaxQueued(kMaxQueued);
  params->setThreadIdleTime(Poco::Timespan(10, 0));
  params->setServerName("sync-status");
  // Started after the socket is bound: a second sync-status on a taken
  // address fails above without having opened a LISTEN connection.
  if (config.status.cache_listen) {
    std::weak_ptr<StateCache> cache = impl_->cache;
    CacheListener::Handlers handlers;
    handlers.on_listening = [cache] {
      if (auto c = cache.lock()) c->PollSoon();
    };
    handlers.on_notify = [cache](PgConn& conn, const std::vector<std::string>& payloads) {
      if (auto c = cache.lock()) c->OnNotified(conn, payloads);
    };
    impl_->listener =
        std::make_shared<CacheListener>(NodeConnectSpec(config, "sync-status-listen"), std::move(handlers));
  }
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(
      new StatusHandlerFactory(config, impl_->cache, impl_->listener, impl_->trigger), impl_->pool, socket, params);
  impl_->server->setConnectionFilter(new ShedIdleWhenBusy(impl_->server.get()));
}

StatusServer::~StatusServer() { Stop(); }

void StatusServer::Start() {
  impl_->server->start();
  impl_->running = true;
}

void StatusServer::Stop() {
  if (!impl_->running) return;
  impl_->running = false;
  impl_->server->stopAll(true);
  impl_->pool.joinAll();
  if (impl_->listener) impl_->listener->Stop();
  impl_->trigger->JoinAll();
}

uint16_t StatusServer::port() const { return impl_->port; }

void ServeStatus(const Config& config, const std::atomic<bool>& stop, const std::function<void(uint16_t)>& ready,
                 const std::string& sync_run_path) {
  StatusServer server(config, sync_run_path);
  server.Start();
  Log(LogLevel::kInfo, "serving on {} (port {}): /health /metrics /api/v1/cluster/status /api/v1/conflicts /api/v1/state/ /api/v1/sync/trigger /",
      config.status.listen, server.port());
  if (ready) ready(server.port());
  while (!stop.load() && StopSignal() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.Stop();
  Log(LogLevel::kInfo, "stopped");
}

}  // namespace tenantsync

#include "common/status/status_server.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <chrono>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/pg/connect_spec.h"
#include "common/signals.h"
#include "common/status/cache_listener.h"
#include "common/status/client_connections.h"
#include "common/status/status_connection.h"
#include "common/status/status_handlers.h"
#include "common/status/sync_trigger.h"

namespace tenantsync {
namespace {

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
  std::shared_ptr<ClientConnections> clients =
      std::make_shared<ClientConnections>(kMaxSlowPerAddress, std::chrono::seconds(kRequestSeconds));
  std::unique_ptr<Poco::Net::TCPServer> server;
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
    // SO_REUSEADDR lets a restart bind while old connections linger in
    // TIME_WAIT. Not SO_REUSEPORT (Poco's two-argument bind() sets both): with
    // it a second sync-status binds the same port and the kernel splits the
    // connections between the two.
    socket.bind(address, true, false);
    socket.listen(64);
  } catch (const Poco::Exception& e) {
    throw IoError(fmt::format("cannot listen on {}: {}", config.status.listen, e.displayText()),
                  "is another sync-status running? Set [status] listen to a free address");
  }
  // Accept a connection only once its first bytes have arrived: a client
  // that sends its request in one write is then seen to have sent all of it
  // (ClientConnections does not count it as slow), and connections that
  // send nothing do not reach a worker for kIoTimeoutSeconds. Linux only;
  // without it everything still works, probes merely count as slow.
  try {
    socket.setOption(IPPROTO_TCP, TCP_DEFER_ACCEPT, kIoTimeoutSeconds);
  } catch (const Poco::Exception& e) {
    Log(LogLevel::kDebug, "TCP_DEFER_ACCEPT: {}", e.displayText());
  }
  impl_->port = socket.address().port();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setTimeout(Poco::Timespan(kIoTimeoutSeconds, 0));
  params->setKeepAlive(false);
  params->setMaxThreads(kMaxThreads);
  params->setMaxQueued(kMaxQueued);
  params->setThreadIdleTime(Poco::Timespan(10, 0));
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
  auto router = std::make_shared<StatusRouter>(config, impl_->cache, impl_->listener, impl_->trigger);
  impl_->server = std::make_unique<Poco::Net::TCPServer>(
      new StatusConnectionFactory(params, std::move(router), impl_->clients), impl_->pool, socket, params);
}

StatusServer::~StatusServer() { Stop(); }

void StatusServer::Start() {
  impl_->server->start();
  impl_->running = true;
}

void StatusServer::Stop() {
  if (!impl_->running) return;
  impl_->running = false;
  impl_->server->stop();          // accepts no more, drops the queue
  impl_->clients->ShutdownAll();  // ends the connections workers still serve
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

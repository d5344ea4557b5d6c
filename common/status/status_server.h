#pragma once
// sync-status's HTTP server (Poco::Net::HTTPServer) with the limits of
// reliability §6: bound to [status] listen (127.0.0.1:9443 by default, never
// the wildcard unless configured), 3 s socket timeout, no keep-alive, its own
// pool of kMaxThreads threads, kMaxQueued queued connections, request bodies
// up to kMaxBodyBytes (413 beyond), Poco's limit of 100 header fields (400
// beyond), GET/HEAD/PUT/POST only (405), 404 for unknown paths. Under load,
// connections that have sent nothing within kIdleGraceMs are shed at accept,
// so idle sockets cannot starve /health and /metrics.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/config.h"

namespace tenantsync {

inline constexpr int kMaxThreads = 8;
inline constexpr int kMaxQueued = 16;
inline constexpr int kTimeoutSeconds = 3;
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr int kIdleGraceMs = 50;

class StatusServer {
 public:
  // Binds at once (throws ConfigError for a bad [status] listen, IoError
  // when the address cannot be bound); serves after Start().
  // `sync_run_path`: what POST /api/v1/sync/trigger starts ("" = the
  // sync-run next to this executable).
  explicit StatusServer(const Config& config, const std::string& sync_run_path = "");
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  void Start();
  void Stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves until `stop` becomes true or a stop signal arrives; calls `ready`
// with the bound port once listening.
void ServeStatus(const Config& config, const std::atomic<bool>& stop,
                 const std::function<void(uint16_t port)>& ready = {}, const std::string& sync_run_path = "");

}  // namespace tenantsync

#pragma once
// sync-status's HTTP server: Poco's TCPServer with sync-status's own
// connection handling (status_connection) and these limits:
// - bound to [status] listen (127.0.0.1:9443 by default, never the wildcard
//   unless configured), without SO_REUSEPORT, so a busy port is an error;
// - kMaxThreads worker threads, kMaxQueued connections waiting for one;
// - kIoTimeoutSeconds for each read and write, and kRequestSeconds for the
//   whole request: a client sending a header line every 2 s cannot hold a
//   worker longer than that (ClientConnections);
// - kMaxSlowPerAddress connections per client address whose request did not
//   arrive whole with the connection. With more workers than that, one
//   address cannot take them all, and /health from anywhere (the same
//   address included, since its request arrives whole) is still served;
// - no keep-alive; request bodies up to kMaxBodyBytes (413 beyond), JSON
//   bodies nested up to kMaxJsonDepth (400 beyond), Poco's 100 header fields
//   (400 beyond); GET/HEAD/PUT/POST only (405); 404 for unknown paths.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/config.h"

namespace tenantsync {

inline constexpr int kMaxThreads = 16;
inline constexpr int kMaxQueued = 16;
inline constexpr int kIoTimeoutSeconds = 3;
inline constexpr int kRequestSeconds = 4;
inline constexpr int kMaxSlowPerAddress = 8;
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::size_t kMaxJsonDepth = 64;
static_assert(kMaxThreads > kMaxSlowPerAddress, "one address's slow connections must leave workers for the rest");

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

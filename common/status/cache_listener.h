#pragma once
// The state cache's push channel (docs/status.md, "The state cache"): one
// dedicated PostgreSQL connection per sync-status process that runs
// LISTEN tenantsync_cache, and one thread that waits on its socket and hands
// every batch of notifications to a callback. A PUT on any node sends
// pg_notify('tenantsync_cache', ...) in its own transaction, so the other
// nodes hear of it when it commits instead of on their next poll.
//
// The listener is an accelerator, never the only path: when it cannot
// connect, LISTEN is refused, or the connection drops, it says so once in the
// log, reports up() == false (the cache keeps polling cache_events), and
// reconnects with exponential backoff. A transaction-mode pooler (PgBouncer
// pool_mode=transaction) accepts LISTEN but does not deliver notifications
// reliably; polling covers that case too.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/pg/conn.h"

namespace tenantsync {

inline constexpr const char* kCacheChannel = "tenantsync_cache";

// An eventfd owned for its lifetime: Stop() writes to it to interrupt the
// thread's poll() at once, instead of waiting for a timeout.
class WakeEvent {
 public:
  WakeEvent();
  ~WakeEvent();
  WakeEvent(const WakeEvent&) = delete;
  WakeEvent& operator=(const WakeEvent&) = delete;
  void Signal();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

class CacheListener {
 public:
  struct Handlers {
    // After every successful LISTEN (the first and each reconnect).
    // Notifications sent while nothing listened are lost, so the owner
    // catches up by other means (the cache polls at once).
    std::function<void()> on_listening;
    // The payloads of the notifications on kCacheChannel that arrived
    // together, on the listener's thread, with its connection (the callback
    // may query on it). An exception drops the connection and reconnects.
    std::function<void(PgConn& conn, const std::vector<std::string>& payloads)> on_notify;
  };
  struct Backoff {
    std::chrono::milliseconds first{500};
    std::chrono::milliseconds max{std::chrono::seconds(60)};
  };

  // Starts the thread at once; it connects with `spec` (which carries the
  // password file, never the password) and keeps reconnecting until Stop().
  CacheListener(PgConnectSpec spec, Handlers handlers, Backoff backoff);
  CacheListener(PgConnectSpec spec, Handlers handlers)
      : CacheListener(std::move(spec), std::move(handlers), Backoff{}) {}
  ~CacheListener();
  CacheListener(const CacheListener&) = delete;
  CacheListener& operator=(const CacheListener&) = delete;

  // Interrupts the thread (also mid-backoff) and joins it; idempotent.
  void Stop();
  // True while a connection is listening.
  bool up() const { return up_.load(); }

 private:
  void Run();
  // Waits for notifications until Stop(); throws when the connection fails.
  void Listen(PgConn& conn);
  // Sleeps up to `delay`; true when Stop() interrupted it.
  bool SleepUnlessStopped(std::chrono::milliseconds delay);

  const PgConnectSpec spec_;
  const Handlers handlers_;
  const Backoff backoff_;
  WakeEvent wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> up_{false};
  std::thread thread_;  // last: starts after every member it uses exists
};

}  // namespace tenantsync

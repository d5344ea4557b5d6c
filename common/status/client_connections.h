#pragma once
// The connections sync-status is serving, kept so that slow clients cannot
// hold every worker thread (each connection has one until it ends):
//
// - A request must arrive in full within `read_timeout` of its connection
//   being picked up. Poco's socket timeout applies to each read, so a client
//   that sends a header line every 2 s never meets it. A watchdog thread
//   shuts down the receive side of a connection still reading at its
//   deadline: the worker's blocked read ends (EOF) and it answers 408.
// - One client address may hold at most `max_slow_per_address` connections
//   whose request did not arrive in full with the connection ("slow" ones);
//   Admit() refuses more. A request that arrived whole is never refused:
//   it needs no more reads, so it cannot hold a worker, and a probe from the
//   same address as a slowloris (127.0.0.1 for everything local) still gets
//   through.

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace tenantsync {

class ClientConnections {
 public:
  // One admitted connection; leaving scope releases its place.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept : owner_(other.owner_), id_(other.id_) { other.owner_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

    // The request has been read: no deadline from now on. False when the
    // deadline had passed first, so what was read may be cut short.
    bool FinishReading();

   private:
    friend class ClientConnections;
    Ticket(ClientConnections* owner, uint64_t id) : owner_(owner), id_(id) {}
    ClientConnections* owner_;
    uint64_t id_;
  };

  ClientConnections(int max_slow_per_address, std::chrono::milliseconds read_timeout);
  ClientConnections(const ClientConnections&) = delete;
  ClientConnections& operator=(const ClientConnections&) = delete;

  // nullopt when the connection must be closed at once: a slow one from an
  // address at its limit, a peer already gone, or after ShutdownAll().
  std::optional<Ticket> Admit(const Poco::Net::StreamSocket& socket, bool arrived_whole);

  // At stop: shuts down every connection, so no worker waits on a client,
  // and admits no more.
  void ShutdownAll();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    Poco::Net::StreamSocket socket;
    std::string address;
    bool slow = false;
    bool reading = true;
    bool late = false;  // the watchdog cut the read
    Clock::time_point due;
  };

  void Release(uint64_t id);
  bool FinishReading(uint64_t id);
  void Watch(const std::stop_token& stop);

  const int max_slow_per_address_;
  const std::chrono::milliseconds read_timeout_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool changed_ = false;  // an entry was added: the watchdog recomputes its wait
  bool shut_down_ = false;
  uint64_t next_id_ = 0;
  std::map<uint64_t, Entry> entries_;
  std::map<std::string, int> slow_per_address_;
  std::jthread watchdog_;  // last: stopped and joined before the members it uses go
};

}  // namespace tenantsync

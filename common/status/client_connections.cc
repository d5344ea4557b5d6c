#include "common/status/client_connections.h"

#include <utility>

namespace tenantsync {
namespace {

// Errors are ignored: the peer may be gone already, which is the goal.
void Shutdown(Poco::Net::StreamSocket& socket, bool receive_only) {
  try {
    if (receive_only) {
      socket.shutdownReceive();
    } else {
      socket.shutdown();
    }
  } catch (const std::exception&) {
  }
}

}  // namespace

ClientConnections::Ticket::~Ticket() {
  if (owner_ != nullptr) owner_->Release(id_);
}

bool ClientConnections::Ticket::FinishReading() { return owner_ == nullptr || owner_->FinishReading(id_); }

ClientConnections::ClientConnections(int max_slow_per_address, std::chrono::milliseconds read_timeout)
    : max_slow_per_address_(max_slow_per_address),
      read_timeout_(read_timeout),
      watchdog_([this](const std::stop_token& stop) { Watch(stop); }) {}

std::optional<ClientConnections::Ticket> ClientConnections::Admit(const Poco::Net::StreamSocket& socket,
                                                                  bool arrived_whole) {
  std::string address;
  try {
    address = socket.peerAddress().host().toString();
  } catch (const std::exception&) {
    return std::nullopt;  // reset before it was picked up
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (shut_down_) return std::nullopt;
  if (!arrived_whole) {
    int& slow = slow_per_address_[address];
    if (slow >= max_slow_per_address_) return std::nullopt;
    ++slow;
  }
  uint64_t id = next_id_++;
  entries_.emplace(id, Entry{socket, address, !arrived_whole, true, false, Clock::now() + read_timeout_});
  changed_ = true;
  wake_.notify_one();
  return Ticket(this, id);
}

void ClientConnections::Release(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.slow) {
    auto count = slow_per_address_.find(it->second.address);
    if (--count->second == 0) slow_per_address_.erase(count);
  }
  entries_.erase(it);
}

bool ClientConnections::FinishReading(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& entry = entries_.at(id);
  entry.reading = false;
  return !entry.late;
}

void ClientConnections::ShutdownAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  shut_down_ = true;
  for (auto& [id, entry] : entries_) Shutdown(entry.socket, false);
}

void ClientConnections::Watch(const std::stop_token& stop) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop.stop_requested()) {
    // Every deadline is "admitted + read_timeout_", so a new entry never
    // comes due before the ones already here; `changed_` only matters when
    // the watchdog had nothing to wait for.
    changed_ = false;
    Clock::time_point now = Clock::now();
    std::optional<Clock::time_point> next;
    for (auto& [id, entry] : entries_) {
      if (!entry.reading) continue;
      if (entry.due <= now) {
        entry.reading = false;
        entry.late = true;
        Shutdown(entry.socket, true);  // the reply can still be sent
      } else if (!next || entry.due < *next) {
        next = entry.due;
      }
    }
    if (next) {
      wake_.wait_until(lock, stop, *next, [] { return false; });
    } else {
      wake_.wait(lock, stop, [this] { return changed_; });
    }
  }
}

}  // namespace tenantsync

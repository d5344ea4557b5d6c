#pragma once
// /api/v1/state/{key}: cache-aside over sync_metadata.state (design §8).
// PostgreSQL is the authority. Reads are served from a per-process cache for
// [status] cache_ttl; a write goes to PostgreSQL and appends a cache_events
// row in the same statement, and every server polls cache_events (at most
// once a second) to drop the keys other nodes changed.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/config.h"
#include "common/pg/conn.h"

namespace tenantsync {

struct StateValue {
  std::string json;        // the value, as PostgreSQL's jsonb text
  std::string updated_at;  // ISO 8601 UTC
  bool cached = false;     // served from the cache
};

class StateCache {
 public:
  explicit StateCache(std::chrono::seconds ttl) : ttl_(ttl) {}

  // nullopt when the key does not exist.
  std::optional<StateValue> Get(PgConn& conn, const std::string& key);
  // Upserts and records the invalidation; returns the stored value.
  StateValue Put(PgConn& conn, const std::string& key, const std::string& json, const std::string& updated_by);

 private:
  struct Entry {
    StateValue value;
    std::chrono::steady_clock::time_point fetched;
  };
  // Drops keys named by cache_events newer than the last one seen.
  void PollInvalidations(PgConn& conn);

  std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::optional<int64_t> last_event_id_;
  std::set<int64_t> own_events_;  // our own writes: the cache already holds them
  std::chrono::steady_clock::time_point last_poll_{};
};

// A key is 1 to 256 characters of [A-Za-z0-9_.:-].
bool ValidStateKey(const std::string& key);

// True when `authorization` is "Bearer <token>" and the token equals the
// first line of token_file (compared in constant time). Throws ConfigError
// when the file cannot be read.
bool BearerTokenMatches(const std::string& authorization, const std::string& token_file);

}  // namespace tenantsync

#pragma once
// /api/v1/state/{key}: cache-aside over sync_metadata.state (docs/status.md).
// PostgreSQL is the authority. Reads are served from a per-process cache for
// [status] cache_ttl. A write goes to PostgreSQL, appends a cache_events row
// and sends pg_notify('tenantsync_cache', <event id>), all in one statement
// (one transaction). Other servers drop the keys other nodes changed as soon
// as the notification arrives (CacheListener calls OnNotified), and also poll
// cache_events (at most once per [status] cache_poll_interval) for when
// LISTEN is unavailable.
//
// The payload is the event id, not the key: NOTIFY is database-wide and
// row-level security does not apply to it, so a key would be visible to every
// cluster's role. The id is looked up in cache_events, which RLS scopes to
// the node's cluster; another cluster's id finds nothing.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
  StateCache(std::chrono::seconds ttl, std::chrono::seconds poll_interval)
      : ttl_(ttl), poll_interval_(poll_interval) {}

  // nullopt when the key does not exist.
  std::optional<StateValue> Get(PgConn& conn, const std::string& key);
  // Upserts and records the invalidation; returns the stored value.
  StateValue Put(PgConn& conn, const std::string& key, const std::string& json, const std::string& updated_by);

  // The payloads of tenantsync_cache notifications (event ids; anything else
  // is ignored, since any role may NOTIFY): drops the keys those events, and
  // any newer ones, name. Queries on `conn` (the listener's connection).
  void OnNotified(PgConn& conn, const std::vector<std::string>& payloads);
  // The next request polls cache_events whatever the interval: called when
  // LISTEN (re)starts, since notifications sent before were missed.
  void PollSoon();

 private:
  struct Entry {
    StateValue value;
    std::chrono::steady_clock::time_point fetched;
  };
  // Drops keys named by cache_events not applied yet (newer than the last
  // one seen, or committed late within kPollLookback of it), when the poll
  // interval has passed. Called with mutex_ held.
  void PollInvalidations(PgConn& conn);
  // Applies rows (event_id, cache_key). Called with mutex_ held.
  void ApplyEvents(const PgResult& events);

  const std::chrono::seconds ttl_;
  const std::chrono::seconds poll_interval_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::optional<int64_t> last_event_id_;
  // Event ids applied within the last kPollLookback: a poll reads that far
  // back to catch ids that committed out of order, and skips these.
  static constexpr int64_t kPollLookback = 256;
  std::set<int64_t> applied_;
  std::chrono::steady_clock::time_point last_poll_{};
  bool poll_soon_ = false;
};

// A key is 1 to 256 characters of [A-Za-z0-9_.:-].
bool ValidStateKey(const std::string& key);

// True when `authorization` is "Bearer <token>" and the token equals the
// first line of token_file (compared in constant time). Throws ConfigError
// when the file cannot be read.
bool BearerTokenMatches(const std::string& authorization, const std::string& token_file);

}  // namespace tenantsync

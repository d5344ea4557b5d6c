#include "common/status/state_api.h"

#include <charconv>

namespace tenantsync {
namespace {

constexpr const char* kUtc = "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

}  // namespace

bool ValidStateKey(const std::string& key) {
  if (key.empty() || key.size() > 256) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool BearerTokenMatches(const std::string& authorization, const std::string& token_file) {
  static const std::string kPrefix = "Bearer ";
  if (authorization.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  std::string given = authorization.substr(kPrefix.size());
  std::string token = ReadPasswordFile(token_file);
  if (token.empty()) return false;
  unsigned diff = given.size() == token.size() ? 0U : 1U;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned>(static_cast<unsigned char>(given[i]) ^
                                  static_cast<unsigned char>(token[i % token.size()]));
  }
  return diff == 0;
}

void StateCache::PollInvalidations(PgConn& conn) {
  auto now = std::chrono::steady_clock::now();
  if (last_event_id_ && now - last_poll_ < std::chrono::seconds(1)) return;
  last_poll_ = now;
  if (!last_event_id_) {
    // Start from the newest event: the cache is empty anyway.
    PgResult r = conn.ExecOneRow("SELECT coalesce(max(event_id), 0) FROM sync_metadata.cache_events");
    int64_t id = 0;
    std::string_view v = r.Get(0, 0);
    std::from_chars(v.data(), v.data() + v.size(), id);
    last_event_id_ = id;
    return;
  }
  PgResult r = conn.Exec(
      "SELECT event_id, cache_key FROM sync_metadata.cache_events WHERE event_id > $1::bigint ORDER BY event_id",
      {std::to_string(*last_event_id_)});
  for (int i = 0; i < r.rows(); ++i) {
    std::string_view v = r.Get(i, 0);
    int64_t id = 0;
    std::from_chars(v.data(), v.data() + v.size(), id);
    last_event_id_ = id;
    if (own_events_.erase(id) == 0) entries_.erase(std::string(r.Get(i, 1)));
  }
}

std::optional<StateValue> StateCache::Get(PgConn& conn, const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  PollInvalidations(conn);
  auto now = std::chrono::steady_clock::now();
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (now - it->second.fetched < ttl_) {
      StateValue v = it->second.value;
      v.cached = true;
      return v;
    }
    entries_.erase(it);
  }
  PgResult r = conn.Exec(std::string("SELECT value::text, ") + kUtc + " FROM sync_metadata.state WHERE key = $1",
                         {key});
  if (r.rows() == 0) return std::nullopt;
  StateValue v{std::string(r.Get(0, 0)), std::string(r.Get(0, 1)), false};
  entries_[key] = {v, now};
  return v;
}

StateValue StateCache::Put(PgConn& conn, const std::string& key, const std::string& json,
                           const std::string& updated_by) {
  // One statement: the value and its invalidation event commit together.
  PgResult r = conn.ExecOneRow(
      std::string("WITH up AS ("
                  " INSERT INTO sync_metadata.state (key, value, updated_by) VALUES ($1, $2::jsonb, $3)"
                  " ON CONFLICT (cluster_name, key) DO UPDATE"
                  " SET value = EXCLUDED.value, updated_at = clock_timestamp(), updated_by = EXCLUDED.updated_by"
                  " RETURNING key, value, updated_at),"
                  " ev AS (INSERT INTO sync_metadata.cache_events (cache_key) SELECT key FROM up RETURNING event_id)"
                  " SELECT value::text, ") +
          kUtc + ", (SELECT event_id FROM ev) FROM up",
      {key, json, updated_by});
  StateValue v{std::string(r.Get(0, 0)), std::string(r.Get(0, 1)), false};
  int64_t event_id = 0;
  std::string_view id = r.Get(0, 2);
  std::from_chars(id.data(), id.data() + id.size(), event_id);
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_event_id_ && event_id > *last_event_id_) own_events_.insert(event_id);
  entries_[key] = {v, std::chrono::steady_clock::now()};
  return v;
}

}  // namespace tenantsync

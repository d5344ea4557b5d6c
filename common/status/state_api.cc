#include "common/status/state_api.h"

#include <algorithm>
#include <charconv>

#include "common/status/cache_listener.h"

namespace tenantsync {
namespace {

constexpr const char* kUtc = "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

int64_t ToInt64(std::string_view text) {
  int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

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
  if (last_event_id_ && !poll_soon_ && now - last_poll_ < poll_interval_) return;
  last_poll_ = now;
  poll_soon_ = false;
  if (!last_event_id_) {
    // Start from the newest event: nothing is cached yet, and the lookback
    // below only marks the last few as applied.
    PgResult r = conn.ExecOneRow("SELECT coalesce(max(event_id), 0) FROM sync_metadata.cache_events");
    last_event_id_ = ToInt64(r.Get(0, 0));
    entries_.clear();
  }
  // Ids are taken before commit, so a smaller one can commit after a larger
  // one was already seen: look back over the last kPollLookback ids too
  // (ApplyEvents skips those already applied).
  ApplyEvents(conn.Exec(
      "SELECT event_id, cache_key FROM sync_metadata.cache_events WHERE event_id > $1::bigint ORDER BY event_id",
      {std::to_string(std::max<int64_t>(0, *last_event_id_ - kPollLookback))}));
}

void StateCache::ApplyEvents(const PgResult& events) {
  for (int i = 0; i < events.rows(); ++i) {
    int64_t id = ToInt64(events.Get(i, 0));
    if (!applied_.insert(id).second) continue;  // seen in an earlier, overlapping read
    // max: the listener and a request may apply overlapping batches.
    last_event_id_ = std::max(*last_event_id_, id);
    entries_.erase(std::string(events.Get(i, 1)));
  }
  applied_.erase(applied_.begin(), applied_.lower_bound(*last_event_id_ - kPollLookback));
}

void StateCache::PollSoon() {
  std::lock_guard<std::mutex> lock(mutex_);
  poll_soon_ = true;
}

void StateCache::OnNotified(PgConn& conn, const std::vector<std::string>& payloads) {
  // Any role may NOTIFY on the channel: keep only well-formed event ids.
  std::set<int64_t> ids;
  for (const std::string& p : payloads) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), id);
    if (ec == std::errc() && end == p.data() + p.size() && id > 0) ids.insert(id);
  }
  if (ids.empty()) return;
  std::optional<int64_t> after;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    after = last_event_id_;
  }
  // Nothing read yet: the first request starts from the newest event anyway.
  if (!after) return;
  std::vector<std::string> id_texts;
  for (int64_t id : ids) id_texts.push_back(std::to_string(id));
  std::string array = PgArrayLiteral(id_texts);
  // The query runs without the lock, so requests are not held up by it; the
  // result is applied under it. Erasing is safe in any order: a request that
  // read the old value holds the lock until it has cached it, and this runs
  // after the writer committed, so the erase comes after that and a later
  // read sees the new value. The notified ids are asked for by name as well
  // as "newer than the last seen": ids are taken before commit, so a smaller
  // id can commit after a larger one that was already applied.
  PgResult events = conn.Exec(
      "SELECT event_id, cache_key FROM sync_metadata.cache_events"
      " WHERE event_id > $1::bigint OR event_id = ANY($2::bigint[]) ORDER BY event_id",
      {std::to_string(*after), array});
  std::lock_guard<std::mutex> lock(mutex_);
  ApplyEvents(events);
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
  // One statement, so one transaction: the value, its invalidation event and
  // the notification commit together (PostgreSQL delivers a NOTIFY only on
  // commit, and never for a rolled-back one). The payload is the event id
  // (see state_api.h for why not the key); pg_notify returns void.
  PgResult r = conn.ExecOneRow(
      std::string("WITH up AS ("
                  " INSERT INTO sync_metadata.state (key, value, updated_by) VALUES ($1, $2::jsonb, $3)"
                  " ON CONFLICT (cluster_name, key) DO UPDATE"
                  " SET value = EXCLUDED.value, updated_at = clock_timestamp(), updated_by = EXCLUDED.updated_by"
                  " RETURNING key, value, updated_at),"
                  " ev AS (INSERT INTO sync_metadata.cache_events (cache_key) SELECT key FROM up RETURNING event_id)"
                  " SELECT value::text, ") +
          kUtc + ", pg_notify('" + kCacheChannel +
          "', (SELECT event_id FROM ev)::text) FROM up",
      {key, json, updated_by});
  StateValue v{std::string(r.Get(0, 0)), std::string(r.Get(0, 1)), false};
  // Not cached: another node's newer write may already have been applied
  // (its invalidation can arrive before this returns), and caching this
  // value after it would serve a stale one until the TTL. The next GET reads
  // the value PostgreSQL holds.
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(key);
  return v;
}

}  // namespace tenantsync

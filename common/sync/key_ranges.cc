#include "common/sync/key_ranges.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <set>

#include "common/sync/row_json.h"
#include "common/sync/stream_digest.h"

namespace tenantsync {
namespace {

// Key order, bytewise for text whatever the column's declared collation;
// `after`: only keys after ?2, ?3, ... (the last key of the previous batch).
std::string KeySql(const TablePlan& plan, bool after) {
  std::string keys, bound;
  for (size_t i = 0; i < plan.key.size(); ++i) {
    const ColumnPlan& c = plan.columns[plan.key[i]];
    keys += fmt::format("{}{}{}", i > 0 ? ", " : "",
                        QuoteSqliteIdentifier(plan.source->columns[static_cast<size_t>(c.source_index)].name),
                        IsIntegerKind(c.type.kind) ? "" : " COLLATE BINARY");
    bound += fmt::format("{}?{}", i > 0 ? ", " : "", i + 2);
  }
  return fmt::format("SELECT {0} FROM {1} WHERE {2} ORDER BY {0} LIMIT ?1", keys,
                     QuoteSqliteIdentifier(plan.source->name), after ? fmt::format("({}) > ({})", keys, bound) : "1");
}

// The key as JSON, or "" when a value is not what the column's kind orders
// alike on both sides (a text in an integer column, a BLOB, text that is not
// UTF-8): such a table is left to the reconcile.
std::string ComparableKey(const SqliteStmt& stmt, const TablePlan& plan) {
  std::string key = "[";
  for (size_t i = 0; i < plan.key.size(); ++i) {
    int col = static_cast<int>(i);
    int want = IsIntegerKind(plan.columns[plan.key[i]].type.kind) ? SQLITE_INTEGER : SQLITE_TEXT;
    if (stmt.Type(col) != want) return "";
    if (i > 0) key += ", ";
    AppendSqliteValueJson(stmt, col, key);
  }
  key += "]";
  return key.find("{\"$b64\"") == std::string::npos ? key : "";
}

// A range ends at a key whose (mixed) hash is 0 modulo kKeysPerRange.
bool EndsRange(std::string_view key) {
  uint64_t h = StreamDigest::Fnv1a(key);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h % kKeysPerRange == 0;
}

}  // namespace

bool KeyRangesApply(const TablePlan& plan) {
  if (plan.key.empty()) return false;
  for (size_t k : plan.key) {
    TargetKind kind = plan.columns[k].type.kind;
    if (!IsIntegerKind(kind) && kind != TargetKind::kText && kind != TargetKind::kVarchar) return false;
  }
  return true;
}

KeyScan ScanKeyRanges(SqliteDb& db, const TablePlan& plan, const ReadLimits& limits,
                      const std::vector<KeyRange>& saved, size_t max_keys) {
  std::set<std::pair<std::string, uint64_t>> known;
  for (const KeyRange& r : saved) known.emplace(r.last_key, r.digest);
  SqliteStmt first = db.Prepare(KeySql(plan, false));
  SqliteStmt next = db.Prepare(KeySql(plan, true));
  KeyScan scan;
  KeyRange open{"", StreamDigest::Fnv1a(""), 0};  // the range being read
  std::vector<std::string> open_keys;
  std::vector<bool> open_changed;  // per range: not in `saved`
  auto close_range = [&] {
    bool changed = !known.count({open.last_key, open.digest});
    open_changed.push_back(changed);
    if (changed && !scan.too_many_keys) {
      if (scan.changed_keys.size() + open_keys.size() > max_keys) {
        scan.too_many_keys = true;
        scan.changed_keys = {};
      } else {
        for (std::string& k : open_keys) scan.changed_keys.push_back(std::move(k));
      }
    }
    scan.ranges.push_back(std::move(open));
    open = KeyRange{"", StreamDigest::Fnv1a(""), 0};
    open_keys.clear();
  };
  // The last key read, as SQLite values, to go on after.
  std::vector<int64_t> last_int(plan.key.size());
  std::vector<std::string> last_text(plan.key.size());
  for (bool started = false;; started = true) {
    SqliteStmt& stmt = started ? next : first;
    stmt.Reset();
    for (size_t i = 0; started && i < plan.key.size(); ++i) {
      int index = static_cast<int>(i) + 2;
      IsIntegerKind(plan.columns[plan.key[i]].type.kind) ? stmt.Bind(index, last_int[i])
                                                       : stmt.Bind(index, std::string_view(last_text[i]));
    }
    stmt.Bind(1, static_cast<int64_t>(limits.max_rows));
    auto began = std::chrono::steady_clock::now();
    size_t seen = 0;
    bool stopped_early = false;
    while (stmt.Step()) {
      ++seen;
      std::string key = ComparableKey(stmt, plan);
      if (key.empty()) {
        stmt.Reset();
        return KeyScan{false, {}, 0, {}, {}, false};
      }
      for (size_t i = 0; i < plan.key.size(); ++i) {
        int col = static_cast<int>(i);
        if (stmt.Type(col) == SQLITE_INTEGER) {
          last_int[i] = stmt.Int(col);
        } else {
          last_text[i] = stmt.Text(col);
        }
      }
      ++scan.rows;
      ++open.rows;
      open.digest = StreamDigest::Fnv1a(key + "\n", open.digest);
      open.last_key = key;
      if (!scan.too_many_keys) open_keys.push_back(std::move(key));
      if (EndsRange(open.last_key)) close_range();
      if ((seen & 63) == 0 && std::chrono::steady_clock::now() - began >= limits.max_hold) {
        stopped_early = true;
        break;
      }
    }
    stmt.Reset();  // releases the read lock in DELETE journal mode
    if (!stopped_early && seen < limits.max_rows) break;
  }
  if (open.rows > 0) close_range();
  for (size_t i = 0; i < scan.ranges.size(); ++i) {
    if (!open_changed[i]) continue;
    scan.changed.push_back({i == 0 ? "" : scan.ranges[i - 1].last_key,
                            i + 1 == scan.ranges.size() ? "" : scan.ranges[i].last_key});
  }
  // Every key gone: whatever the target holds beyond the saved ranges' keys.
  if (scan.ranges.empty() && !saved.empty()) scan.changed.push_back({"", ""});
  return scan;
}

std::string FormatKeyRanges(const std::vector<KeyRange>& ranges) {
  std::string out;
  for (const KeyRange& r : ranges) out += fmt::format("{:016x} {} {}\n", r.digest, r.rows, r.last_key);
  return out;
}

std::vector<KeyRange> ParseKeyRanges(std::string_view text) {
  std::vector<KeyRange> out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    size_t a = line.find(' ');
    size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    KeyRange r;
    if (b == std::string_view::npos ||
        std::from_chars(line.data(), line.data() + a, r.digest, 16).ec != std::errc() ||
        std::from_chars(line.data() + a + 1, line.data() + b, r.rows).ec != std::errc() || line[b + 1] != '[') {
      return {};
    }
    r.last_key = line.substr(b + 1);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tenantsync

#pragma once
// Which stretches of a source table's keys gained or lost rows since the
// last run, found on the SQLite side alone. Every key is read in key order
// (the primary key index covers them: no row data, no overflow pages), in
// batches bounded as a pass's are. The keys fall into ranges, each ending at
// a key whose hash is 0 modulo kKeysPerRange: a boundary is a property of
// one key, so an insert or a delete changes only the range around it. A
// range is kept as its last key and a digest of its keys (sync_progress.
// key_ranges); a range of this read that is not in the saved list holds an
// insert or a delete, and only such ranges are compared with PostgreSQL.
//
// Range i covers the keys after range i-1's last key up to and including
// its own (the first from the lowest key, the last to the highest), so a
// key deleted anywhere falls in a range whose digest changed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlite/db.h"
#include "common/sync/source_reader.h"
#include "common/sync/table_plan.h"

namespace tenantsync {

inline constexpr uint64_t kKeysPerRange = 1024;  // on average

struct KeyRange {
  std::string last_key;  // key JSON (as SourceBatch::keys)
  uint64_t digest = 0;   // of the range's key JSONs, in order
  long rows = 0;
  bool operator==(const KeyRange&) const = default;
};

// A stretch of keys that changed: after `after` (exclusive; "" = from the
// lowest) up to `through` (inclusive; "" = to the highest), as key JSON.
struct KeyInterval {
  std::string after;
  std::string through;
};

struct KeyScan {
  // False when a key is not comparable alike on both sides (a text value in
  // an integer column, a BLOB, text that is not UTF-8): the table is left to
  // the reconcile, and nothing below is filled.
  bool usable = true;
  std::vector<KeyRange> ranges;  // in key order
  long rows = 0;
  std::vector<KeyInterval> changed;       // the ranges not in the saved list
  std::vector<std::string> changed_keys;  // the key JSONs in them, unless more than asked for:
  bool too_many_keys = false;             // then none (RSS stays bounded)
};

// Whether ranges can be compared with PostgreSQL for this table: every key
// column integer, or text that PostgreSQL orders bytewise (COLLATE "C") as
// SQLite orders it (BINARY).
bool KeyRangesApply(const TablePlan& plan);

// Reads every key of the table; a range whose last key and digest are in
// `saved` is unchanged. Keeps at most `max_keys` keys of changed ranges.
KeyScan ScanKeyRanges(SqliteDb& db, const TablePlan& plan, const ReadLimits& limits,
                      const std::vector<KeyRange>& saved, size_t max_keys);

// One line per range: "<digest hex> <rows> <last key JSON>".
std::string FormatKeyRanges(const std::vector<KeyRange>& ranges);
// The inverse; "" (or anything malformed, such as an older format) gives none.
std::vector<KeyRange> ParseKeyRanges(std::string_view text);

}  // namespace tenantsync

#pragma once
// Reads a table of the tenant's SQLite file in batches, in rowid order (a
// WITHOUT ROWID table: in key order, each batch after the last key read), and
// converts each row for the target: good rows become COPY text lines, rows
// that cannot convert are set aside with their raw image and the reason.
//
// Each Next() is one SQLite statement, so in DELETE journal mode (where a
// reader's SHARED lock blocks the app's commits) the lock is held for one
// batch at most, and never longer than max_hold: a batch ends early when the
// hold time runs out. In WAL mode the caller wraps the whole run in one read
// transaction for a consistent snapshot.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite/db.h"
#include "common/sync/key_json.h"
#include "common/sync/table_plan.h"

namespace tenantsync {

// Column `col` of the current row as the converter takes it.
SourceValue SourceValueOf(const SqliteStmt& stmt, int col);

// Binds a key's values (ParseKeyJson) to ?first, ?first+1, ...
void BindKeyValues(SqliteStmt& stmt, const std::vector<KeyValue>& values, int first);

struct RejectedRow {
  std::string key_json;    // JSON array of the key values
  std::string image_json;  // JSON object of every source column
  std::string reason;
};

struct SourceBatch {
  std::string copy_data;               // COPY text lines of the good rows
  std::vector<size_t> line_starts;     // where each good row's line starts in copy_data
  std::vector<int64_t> rowids;         // source rowid of each good row (WITHOUT ROWID: its ordinal)
  std::vector<std::string> keys;       // key JSON of each good row, when asked for (set_want_keys) or WITHOUT ROWID
  std::vector<RejectedRow> rejected;
  // Good rows in the order of their first key column's COPY text, bytewise,
  // when that column is text (else empty: rowid order): sent in this order,
  // a batch's index inserts land near each other instead of all over the
  // key's index (docs/benchmarks.md: 1.9x for a narrow table's COPY).
  std::vector<uint32_t> key_order;
  int64_t last_rowid = 0;              // position to continue after (WITHOUT ROWID: rows read so far)
  std::string last_key;                // WITHOUT ROWID: the key JSON to continue after
  size_t rows_read = 0;
  bool end = false;                    // nothing after last_rowid

  size_t good_rows() const { return rowids.size(); }
  // COPY text of good rows [first, last).
  std::string_view Lines(size_t first, size_t last) const;
};

struct ReadLimits {
  size_t max_rows = static_cast<size_t>(SyncConfig{}.batch_rows);  // [sync] batch_rows
  size_t max_bytes = 8u << 20;  // two batches are in flight (read-ahead): keeps RSS bounded
  std::chrono::milliseconds max_hold{SyncConfig{}.max_read_hold_ms};  // [sync] max_read_hold_ms
};

// Where a reader starts and what it selects. The default: the whole table.
struct ReadWindow {
  // Only rows whose change column is >= since or NULL, or whose rowid is
  // above rowid_high (rows added since; imports keep old change values).
  std::optional<int64_t> since;
  std::optional<int64_t> rowid_high;
  int64_t after_rowid = 0;  // rows after this rowid (WITHOUT ROWID: the count of rows already read)
  std::string after_key;    // WITHOUT ROWID: rows after this key JSON; "" = from the first
};

class TableReader {
 public:
  TableReader(SqliteDb& db, const TablePlan& plan, const ReadWindow& window = {});

  SourceBatch Next(const ReadLimits& limits);

  // Key JSON for every good row costs an allocation per row; it is needed
  // only to resolve quarantined rows, so it is off unless asked for.
  void set_want_keys(bool want) { want_keys_ = want; }

  // The key JSON of the source row with this rowid ("" when it is gone).
  // Not for WITHOUT ROWID tables, whose batches always carry their keys.
  std::string KeyOfRowid(int64_t rowid);

  // The current source row with this key (JSON array as in SourceBatch::keys),
  // read into a one-row batch; an empty batch when the row is gone.
  SourceBatch ReadByKey(const std::string& key_json);

  // The largest change-column value in the table now (one statement).
  std::optional<int64_t> MaxChange();

  // The largest rowid now (0 when empty): how far a pass has to go, for
  // progress lines. One B-tree descent. WITHOUT ROWID: the row count.
  int64_t MaxRowid();

  // The raw image of the row with this key, or "" when it is gone.
  std::string ImageByKey(const std::string& key_json);

 private:
  void ConvertRow(SqliteStmt& stmt, SourceBatch& batch);
  std::string KeyOf(const SqliteStmt& stmt) const;
  // Binds the key's values to ?first, ?first+1, ...
  void BindKey(SqliteStmt& stmt, const std::string& key_json, int first = 1) const;
  std::string ImageOfCurrent(SqliteStmt& stmt) const;

  SqliteDb& db_;
  const TablePlan& plan_;
  bool by_key_order_;  // WITHOUT ROWID
  std::optional<int64_t> since_;
  int64_t after_rowid_;
  std::string after_key_;
  std::optional<int64_t> rowid_high_;
  SqliteStmt scan_;
  std::optional<SqliteStmt> first_scan_;  // WITHOUT ROWID: the first batch, with no key to continue after
  SqliteStmt by_key_;
  SqliteStmt image_by_key_;
  std::optional<SqliteStmt> key_by_rowid_;
  std::recursive_mutex lookup_mutex_;  // the by-key/by-rowid statements serve both threads (ReadByKey nests)
  bool want_keys_ = false;
};

}  // namespace tenantsync

#include "common/sync/source_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "common/json.h"
#include "common/sync/key_json.h"
#include "common/sync/row_json.h"

namespace tenantsync {
namespace {

// The plan's columns, then the rowid (none in a WITHOUT ROWID table).
std::string SelectList(const TablePlan& plan) {
  std::string list;
  for (const ColumnPlan& c : plan.columns) {
    if (!list.empty()) list += ", ";
    list += QuoteSqliteIdentifier(plan.source->columns[static_cast<size_t>(c.source_index)].name);
  }
  return plan.source->without_rowid ? list : list + ", " + plan.source->rowid_alias;
}

std::string KeyPredicate(const TablePlan& plan) {
  std::string where;
  for (size_t i = 0; i < plan.key.size(); ++i) {
    if (i > 0) where += " AND ";
    where += fmt::format("{} IS ?{}", QuoteSqliteIdentifier(plan.columns[plan.key[i]].name), i + 1);
  }
  return where;
}

std::string ScanSql(const TablePlan& plan, bool filtered) {
  std::string table = QuoteSqliteIdentifier(plan.source->name);
  std::string rowid = plan.source->rowid_alias;
  // As a subquery, the change filter can use an index on the change column
  // (Open WebUI's chat has one) while the outer scan keeps rowid order: a
  // pass with few changes reads few rows, whatever the table's size. Rows
  // with no change value, and rows added since the last pass (?4), are read
  // whatever their change value says.
  std::string column = filtered ? QuoteSqliteIdentifier(plan.columns[static_cast<size_t>(plan.change)].name) : "";
  std::string change = filtered ? fmt::format(" AND {0} IN (SELECT {0} FROM {1} WHERE {2} >= ?2 OR {2} IS NULL"
                                              " UNION ALL SELECT {0} FROM {1} WHERE {0} > ?4)",
                                              rowid, table, column)
                                : "";
  return fmt::format("SELECT {} FROM {} WHERE {} > ?1{} ORDER BY {} LIMIT ?3", SelectList(plan), table, rowid, change,
                     rowid);
}

// "a", "b": the key columns, for row values.
std::string KeyList(const TablePlan& plan) {
  std::string list;
  for (size_t k : plan.key) list += (list.empty() ? "" : ", ") + QuoteSqliteIdentifier(plan.columns[k].name);
  return list;
}

// A WITHOUT ROWID table is stored in key order: each batch reads on from the
// last key (?5, ?6, ...; `after` false for the first batch) with a row-value
// comparison, which its primary key index answers. The change filter is the
// same subquery as ScanSql's, by key instead of rowid.
std::string KeyScanSql(const TablePlan& plan, bool filtered, bool after) {
  std::string table = QuoteSqliteIdentifier(plan.source->name);
  std::string keys = KeyList(plan);
  std::string bound;
  for (size_t i = 0; i < plan.key.size(); ++i) bound += fmt::format("{}?{}", i > 0 ? ", " : "", i + 5);
  std::string where = after ? fmt::format("({}) > ({})", keys, bound) : "1";
  if (filtered) {
    std::string column = QuoteSqliteIdentifier(plan.columns[static_cast<size_t>(plan.change)].name);
    where += fmt::format(" AND ({0}) IN (SELECT {0} FROM {1} WHERE {2} >= ?2 OR {2} IS NULL)", keys, table, column);
  }
  return fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT ?3", SelectList(plan), table, where, keys);
}

// Field `field` of a COPY text line (fields are tab-separated; a tab inside a
// value is escaped, so it never splits one).
std::string_view Field(std::string_view line, size_t field) {
  for (size_t i = 0; i < field; ++i) {
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return {};
    line.remove_prefix(tab + 1);
  }
  return line.substr(0, line.find_first_of("\t\n"));
}

void OrderByKey(SourceBatch& batch, size_t key_field) {
  std::vector<std::string_view> keys(batch.good_rows());
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = Field(batch.Lines(i, i + 1), key_field);
  batch.key_order.resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) batch.key_order[i] = static_cast<uint32_t>(i);
  std::sort(batch.key_order.begin(), batch.key_order.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
}

}  // namespace

SourceValue SourceValueOf(const SqliteStmt& stmt, int col) {
  SourceValue v;
  v.type = stmt.Type(col);
  if (v.type == SQLITE_INTEGER) v.integer = stmt.Int(col);
  if (v.type == SQLITE_FLOAT) v.real = stmt.Real(col);
  if (v.type != SQLITE_NULL) v.bytes = stmt.Text(col);  // numbers: SQLite's own rendering
  return v;
}

void BindKeyValues(SqliteStmt& stmt, const std::vector<KeyValue>& values, int first) {
  for (size_t i = 0; i < values.size(); ++i) {
    int index = static_cast<int>(i) + first;
    const KeyValue& v = values[i];
    switch (v.kind) {
      case KeyValue::kNull: stmt.BindNull(index); break;
      case KeyValue::kInteger: stmt.Bind(index, v.integer); break;
      case KeyValue::kReal: stmt.BindDouble(index, v.real); break;
      case KeyValue::kText: stmt.Bind(index, std::string_view(v.text)); break;
    }
  }
}

std::string_view SourceBatch::Lines(size_t first, size_t last) const {
  size_t from = line_starts[first];
  size_t to = last < line_starts.size() ? line_starts[last] : copy_data.size();
  return std::string_view(copy_data).substr(from, to - from);
}

TableReader::TableReader(SqliteDb& db, const TablePlan& plan, const ReadWindow& window)
    : db_(db),
      plan_(plan),
      by_key_order_(plan.source->without_rowid),
      since_(plan.change >= 0 ? window.since : std::nullopt),
      after_rowid_(window.after_rowid),
      after_key_(window.after_key),
      rowid_high_(window.rowid_high),
      scan_(db.Prepare(by_key_order_ ? KeyScanSql(plan, since_.has_value(), true)
                                     : ScanSql(plan, since_.has_value()))),
      by_key_(db.Prepare(fmt::format("SELECT {} FROM {} WHERE {}", SelectList(plan),
                                     QuoteSqliteIdentifier(plan.source->name), KeyPredicate(plan)))),
      image_by_key_(db.Prepare(
          fmt::format("SELECT * FROM {} WHERE {}", QuoteSqliteIdentifier(plan.source->name), KeyPredicate(plan)))) {
  if (by_key_order_) {
    first_scan_.emplace(db.Prepare(KeyScanSql(plan, since_.has_value(), false)));
    want_keys_ = true;
  } else {
    key_by_rowid_.emplace(db.Prepare(fmt::format("SELECT {} FROM {} WHERE {} = ?1", SelectList(plan),
                                                 QuoteSqliteIdentifier(plan.source->name), plan.source->rowid_alias)));
  }
}

std::string TableReader::KeyOf(const SqliteStmt& stmt) const {
  std::string key = "[";
  for (size_t i = 0; i < plan_.key.size(); ++i) {
    if (i > 0) key += ", ";
    AppendSqliteValueJson(stmt, static_cast<int>(plan_.key[i]), key);
  }
  return key + "]";
}

std::string TableReader::KeyOfRowid(int64_t rowid) {
  if (!key_by_rowid_) throw InternalError("table " + plan_.name + " has no rowid to look a key up by");
  std::lock_guard lock(lookup_mutex_);
  SqliteStmt& stmt = *key_by_rowid_;
  stmt.Reset();
  stmt.Bind(1, rowid);
  std::string key = stmt.Step() ? KeyOf(stmt) : "";
  stmt.Reset();
  return key;
}

std::string TableReader::ImageOfCurrent(SqliteStmt& stmt) const {
  std::string out = "{";
  for (int col = 0; col < stmt.columns(); ++col) {
    if (col > 0) out += ", ";
    out += fmt::format("{}: ", JsonQuote(stmt.ColumnName(col)));
    AppendSqliteValueJson(stmt, col, out);
  }
  return out + "}";
}

void TableReader::ConvertRow(SqliteStmt& stmt, SourceBatch& batch) {
  ++batch.rows_read;
  if (by_key_order_) {
    ++batch.last_rowid;
    batch.last_key = KeyOf(stmt);
    // Bound again as text, such a key would not compare as it is stored,
    // and the next batch would not continue after it.
    if (batch.last_key.find("{\"$b64\"") != std::string::npos) {
      throw Error(ExitCode::kDataErr,
                  fmt::format("table {}: key {} is a BLOB or text that is not UTF-8", plan_.name, batch.last_key),
                  "a WITHOUT ROWID table is read in key order, which needs text or numeric keys");
    }
  } else {
    batch.last_rowid = stmt.Int(static_cast<int>(plan_.columns.size()));
  }
  // Fields go straight into the batch; a rejected row is cut off again.
  std::string& out = batch.copy_data;
  size_t row_start = out.size();
  for (size_t col = 0; col < plan_.columns.size(); ++col) {
    if (col > 0) out += '\t';
    std::optional<std::string> problem =
        AppendCopyField(SourceValueOf(stmt, static_cast<int>(col)), plan_.columns[col].type, out);
    if (problem) {
      out.resize(row_start);
      std::string reason = fmt::format("column {} ({}): {}", plan_.columns[col].name, plan_.columns[col].type.pg_name, *problem);
      std::string key = by_key_order_ ? batch.last_key : KeyOf(stmt);
      std::string image = ImageByKey(key);
      batch.rejected.push_back({std::move(key), std::move(image), std::move(reason)});
      return;
    }
  }
  out += '\n';
  batch.line_starts.push_back(row_start);
  batch.rowids.push_back(batch.last_rowid);
  if (want_keys_) batch.keys.push_back(by_key_order_ ? batch.last_key : KeyOf(stmt));
}

SourceBatch TableReader::Next(const ReadLimits& limits) {
  SourceBatch batch;
  batch.last_rowid = after_rowid_;
  batch.last_key = after_key_;
  SqliteStmt& scan = by_key_order_ && after_key_.empty() ? *first_scan_ : scan_;
  scan.Reset();
  if (by_key_order_) {
    if (!after_key_.empty()) BindKey(scan, after_key_, 5);
  } else {
    scan.Bind(1, after_rowid_);
  }
  if (since_) {
    scan.Bind(2, *since_);
    // Unknown (or no rowid at all): the change column alone selects.
    if (!by_key_order_) rowid_high_ ? scan.Bind(4, *rowid_high_) : scan.BindNull(4);
  }
  scan.Bind(3, static_cast<int64_t>(limits.max_rows));
  auto started = std::chrono::steady_clock::now();
  size_t seen = 0;
  bool stopped_early = false;
  while (scan.Step()) {
    ConvertRow(scan, batch);
    ++seen;
    if (batch.copy_data.size() >= limits.max_bytes) {
      stopped_early = true;
      break;
    }
    if ((seen & 63) == 0 && std::chrono::steady_clock::now() - started >= limits.max_hold) {
      stopped_early = true;
      break;
    }
  }
  scan.Reset();  // ends the statement: releases the read lock in DELETE journal mode
  batch.end = !stopped_early && seen < limits.max_rows;
  after_rowid_ = batch.last_rowid;
  after_key_ = batch.last_key;
  // Text keys (Open WebUI's uuids) arrive in no order; integer keys mostly
  // arrive in rowid order already, which their text would scramble.
  TargetKind key_kind = plan_.columns[plan_.key.front()].type.kind;
  bool text_key = key_kind == TargetKind::kText || key_kind == TargetKind::kVarchar ||
                  key_kind == TargetKind::kChar || key_kind == TargetKind::kUuid;
  if (text_key) OrderByKey(batch, plan_.key.front());
  return batch;
}

void TableReader::BindKey(SqliteStmt& stmt, const std::string& key_json, int first) const {
  std::vector<KeyValue> values = ParseKeyJson(key_json);
  if (values.size() != plan_.key.size()) {
    throw InternalError(fmt::format("key {} does not match the key of table {}", key_json, plan_.name));
  }
  stmt.Reset();
  BindKeyValues(stmt, values, first);
}

SourceBatch TableReader::ReadByKey(const std::string& key_json) {
  std::lock_guard lock(lookup_mutex_);
  SourceBatch batch;
  BindKey(by_key_, key_json);
  if (by_key_.Step()) ConvertRow(by_key_, batch);
  by_key_.Reset();
  batch.end = true;
  return batch;
}

std::optional<int64_t> TableReader::MaxChange() {
  if (plan_.change < 0) return std::nullopt;
  SqliteStmt max = db_.Prepare(fmt::format("SELECT max({}) FROM {}", QuoteSqliteIdentifier(plan_.columns[static_cast<size_t>(plan_.change)].name),
                                           QuoteSqliteIdentifier(plan_.source->name)));
  if (!max.Step() || max.Type(0) != SQLITE_INTEGER) return std::nullopt;
  return max.Int(0);
}

int64_t TableReader::MaxRowid() {
  SqliteStmt max = db_.Prepare(fmt::format("SELECT {} FROM {}", by_key_order_ ? "count(*)" : "max(" + plan_.source->rowid_alias + ")",
                                           QuoteSqliteIdentifier(plan_.source->name)));
  return max.Step() && max.Type(0) == SQLITE_INTEGER ? max.Int(0) : 0;
}

std::string TableReader::ImageByKey(const std::string& key_json) {
  std::lock_guard lock(lookup_mutex_);
  BindKey(image_by_key_, key_json);
  std::string image = image_by_key_.Step() ? ImageOfCurrent(image_by_key_) : "";
  image_by_key_.Reset();
  return image;
}

}  // namespace tenantsync

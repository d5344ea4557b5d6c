// PropagateDeletes and RecheckCascaded (table_sync.h): the set of source
// keys, each with its rowid, is streamed into a temporary table. Target rows
// whose key is not in it are deleted, in one transaction, unless that would
// delete more than the brake allows; source rows whose key is not in the
// target after a cascade are written again.
#include <fmt/format.h>

#include <set>

#include "common/conflict/row_sql.h"
#include "common/log.h"
#include "common/sync/batch_writer.h"
#include "common/sync/key_json.h"
#include "common/sync/key_ranges.h"
#include "common/sync/row_json.h"
#include "common/sync/run_records.h"
#include "common/sync/table_sync.h"

namespace tenantsync {
namespace {

// Every source key and its rowid, in rowid batches, as COPY text. A WITHOUT
// ROWID table has no rowid: its keys are read in key order, each with its
// key JSON in the rowid's place (what RecheckCascaded reads rows by).
class KeyReader {
 public:
  KeyReader(SqliteDb& db, const TablePlan& plan)
      : plan_(plan),
        by_key_order_(plan.source->without_rowid),
        next_(db.Prepare(Sql(plan, true))),
        first_(db.Prepare(Sql(plan, false))) {}

  // Returns false when the table is exhausted.
  bool Next(const ReadLimits& limits, std::string& copy_data) {
    copy_data.clear();
    SqliteStmt& stmt = by_key_order_ && last_key_.empty() ? first_ : next_;
    stmt.Reset();
    if (!by_key_order_) {
      stmt.Bind(1, last_rowid_);
    } else if (!last_key_.empty()) {
      std::vector<KeyValue> values = ParseKeyJson(last_key_);
      for (size_t i = 0; i < values.size(); ++i) BindKeyValue(stmt, static_cast<int>(i) + 3, values[i]);
    }
    stmt.Bind(2, static_cast<int64_t>(limits.max_rows));
    size_t seen = 0;
    while (stmt.Step()) {
      ++seen;
      std::string position;
      if (by_key_order_) {
        last_key_ = "[";
        for (size_t i = 0; i < plan_.key.size(); ++i) {
          if (i > 0) last_key_ += ", ";
          AppendSqliteValueJson(stmt, static_cast<int>(i), last_key_);
        }
        last_key_ += "]";
        AppendCopyField(SourceValue{SQLITE_TEXT, 0, 0, last_key_}, TargetType{TargetKind::kText, -1, "text"},
                        position);
      } else {
        last_rowid_ = stmt.Int(static_cast<int>(plan_.key.size()));
        position = std::to_string(last_rowid_);
      }
      size_t row_start = copy_data.size();
      bool ok = true;
      for (size_t i = 0; i < plan_.key.size() && ok; ++i) {
        if (i > 0) copy_data += '\t';
        ok = !AppendCopyField(SourceValueOf(stmt, static_cast<int>(i)), plan_.columns[plan_.key[i]].type, copy_data)
                  .has_value();
      }
      // A key that cannot convert never reached the target, so it protects nothing.
      if (ok) {
        copy_data += fmt::format("\t{}\n", position);
      } else {
        copy_data.resize(row_start);
      }
    }
    stmt.Reset();
    return seen == limits.max_rows;
  }

 private:
  // Rowid order from ?1, or (WITHOUT ROWID) key order after ?3, ?4, ...;
  // ?2 is the batch size.
  static std::string Sql(const TablePlan& plan, bool after) {
    std::string keys, bound;
    for (size_t i = 0; i < plan.key.size(); ++i) {
      const ColumnPlan& c = plan.columns[plan.key[i]];
      keys += (i > 0 ? ", " : "") +
              QuoteSqliteIdentifier(plan.source->columns[static_cast<size_t>(c.source_index)].name);
      bound += fmt::format("{}?{}", i > 0 ? ", " : "", i + 3);
    }
    std::string table = QuoteSqliteIdentifier(plan.source->name);
    if (plan.source->without_rowid) {
      return fmt::format("SELECT {0} FROM {1} WHERE {2} ORDER BY {0} LIMIT ?2", keys, table,
                         after ? fmt::format("({}) > ({})", keys, bound) : "1");
    }
    const std::string& rowid = plan.source->rowid_alias;
    return fmt::format("SELECT {0}, {1} FROM {2} WHERE {1} > ?1 ORDER BY {1} LIMIT ?2", keys, rowid, table);
  }

  static void BindKeyValue(SqliteStmt& stmt, int index, const KeyValue& v) {
    switch (v.kind) {
      case KeyValue::kNull: stmt.BindNull(index); break;
      case KeyValue::kInteger: stmt.Bind(index, v.integer); break;
      case KeyValue::kReal: stmt.BindDouble(index, v.real); break;
      case KeyValue::kText: stmt.Bind(index, std::string_view(v.text)); break;
    }
  }

  const TablePlan& plan_;
  bool by_key_order_;
  SqliteStmt next_;
  SqliteStmt first_;
  int64_t last_rowid_ = 0;
  std::string last_key_;
};

// pg_temp.tenantsync_keys: source keys of `plan`, each with its position
// (a rowid, or key JSON), for the current transaction. `doomed` is true for
// a target row (alias t) whose key is not in it; `position` names the
// position column (alias s), chosen not to clash with a key column; `copy`
// fills it from COPY text (the key fields, then the position).
struct SourceKeys {
  std::string doomed;
  std::string missing;  // true for a source key (alias s) the target has not
  std::string position;
  std::string columns;  // the key columns, quoted
  std::string copy;
};

SourceKeys CreateKeysTable(SyncContext& ctx, const TablePlan& plan, bool position_is_text) {
  PgConn& conn = ctx.conn;
  std::string position_name = "tenantsync_source_rowid";
  for (bool clash = true; clash;) {
    clash = false;
    for (size_t k : plan.key) clash = clash || plan.columns[k].name == position_name;
    if (clash) position_name += "_";
  }
  SourceKeys out;
  out.position = conn.QuoteIdentifier(position_name);
  std::string match;
  for (size_t k : plan.key) {
    std::string q = conn.QuoteIdentifier(plan.columns[k].name);
    out.columns += (out.columns.empty() ? "" : ", ") + q;
    match += fmt::format("{}s.{} = t.{}", match.empty() ? "" : " AND ", q, q);
  }
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  out.doomed = fmt::format("NOT EXISTS (SELECT 1 FROM pg_temp.tenantsync_keys s WHERE {})", match);
  out.missing = fmt::format("NOT EXISTS (SELECT 1 FROM {} t WHERE {})", table, match);
  out.copy = fmt::format("COPY pg_temp.tenantsync_keys ({}, {}) FROM STDIN", out.columns, out.position);
  conn.Exec(fmt::format("CREATE TEMP TABLE tenantsync_keys ON COMMIT DROP AS SELECT {}, NULL::{} AS {} FROM {}"
                        " WITH NO DATA",
                        out.columns, position_is_text ? "text" : "bigint", out.position, table));
  return out;
}

// pg_temp.tenantsync_keys filled with every source key, and indexed.
SourceKeys LoadSourceKeys(SyncContext& ctx, const TablePlan& plan) {
  PgConn& conn = ctx.conn;
  SourceKeys out = CreateKeysTable(ctx, plan, plan.source->without_rowid);
  KeyReader reader(ctx.db, plan);
  std::string data;
  for (bool more = true; more;) {
    more = reader.Next(ctx.limits, data);
    if (!data.empty()) conn.CopyIn(out.copy, data);
  }
  conn.Exec(fmt::format("CREATE INDEX ON pg_temp.tenantsync_keys ({})", out.columns));
  conn.Exec("ANALYZE pg_temp.tenantsync_keys");
  return out;
}

// Deletes propagate whatever the strategy (a replica that keeps deleted
// chats is a privacy bug), but a doomed row someone else changed or added in
// the target is logged first, with its image, so no version is lost.
long LogEditedDeletes(SyncContext& ctx, const TablePlan& plan, const std::string& doomed) {
  PgConn& conn = ctx.conn;
  RowSql rows(conn, plan);
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  return conn
      .Exec(fmt::format(
                "INSERT INTO sync_metadata.conflict_log (deployment_id, table_name, row_key, source_row, target_row,"
                " strategy, outcome, resolved_by, resolved_at, epoch, version_key)"
                " SELECT $1::bigint, $2::text, {kj}, NULL, {img}, $3::text, 'source_applied', 'sync-run',"
                " clock_timestamp(), $4::bigint, {kt} FROM {table} t"
                " LEFT JOIN LATERAL (SELECT true AS present, v.target_xmin, v.target_digest FROM {version}"
                " OFFSET 0) v ON true WHERE {doomed} AND {versioned}(v.target_digest IS NULL"
                " OR (v.target_xmin IS DISTINCT FROM t.xmin AND v.target_digest <> {digest}))",
                fmt::arg("kj", rows.KeyJson("t")), fmt::arg("img", rows.Image("t")), fmt::arg("kt", rows.KeyText("t")),
                fmt::arg("version", RowSql::VersionRow(rows.KeyText("t"))),
                fmt::arg("table", table), fmt::arg("doomed", doomed), fmt::arg("digest", rows.Digest("t")),
                // Edited: no version row or no base (without the capture
                // trigger only a version row proves a row the sync's), or a
                // target that moved from it. With the trigger, a row without
                // one is the sync's: only other writers leave version rows.
                fmt::arg("versioned", plan.captured ? "v.present AND " : "")),
            {std::to_string(ctx.deployment_id), plan.name, std::string(ToString(plan.settings.conflict)),
             ctx.epoch > 0 ? PgParam(std::to_string(ctx.epoch)) : PgParam()})
      .Affected();
}

// The COPY fields of a key given as key JSON, typed for the key columns;
// false when a value does not convert (such a key never reached the target).
bool AppendKeyFields(const TablePlan& plan, const std::string& key_json, std::string& out) {
  std::vector<KeyValue> values = ParseKeyJson(key_json);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += '\t';
    const KeyValue& v = values[i];
    std::string number = v.kind == KeyValue::kInteger ? std::to_string(v.integer) : "";
    SourceValue value{v.kind == KeyValue::kInteger ? SQLITE_INTEGER : SQLITE_TEXT, v.integer, 0,
                      v.kind == KeyValue::kInteger ? std::string_view(number) : std::string_view(v.text)};
    if (AppendCopyField(value, plan.columns[plan.key[i]].type, out)) return false;
  }
  return true;
}

// pg_temp.tenantsync_ranges, one row per changed key interval (bounds as
// typed key columns, NULL: open), and the predicate "target row t lies in
// one of them", in the byte order SQLite's key order follows. Empty when a
// bound does not convert.
std::string LoadIntervals(SyncContext& ctx, const TablePlan& plan, const std::vector<KeyInterval>& intervals) {
  PgConn& conn = ctx.conn;
  std::string columns, row, after, through, names;
  for (size_t i = 0; i < plan.key.size(); ++i) {
    const ColumnPlan& c = plan.columns[plan.key[i]];
    std::string q = conn.QuoteIdentifier(c.name);
    bool text = c.type.kind == TargetKind::kText || c.type.kind == TargetKind::kVarchar;
    std::string sep = i > 0 ? ", " : "";
    columns += fmt::format("{}t.{} AS a{}", sep, q, i);
    names += fmt::format("{}a{}", sep, i);
    row += fmt::format("{}t.{}{}", sep, q, text ? " COLLATE \"C\"" : "");
    after += fmt::format("{}r.a{}", sep, i);
  }
  for (size_t i = 0; i < plan.key.size(); ++i) {
    columns += fmt::format(", t.{} AS z{}", conn.QuoteIdentifier(plan.columns[plan.key[i]].name), i);
    names += fmt::format(", z{}", i);
    through += fmt::format("{}r.z{}", i > 0 ? ", " : "", i);
  }
  std::string data;
  std::string nulls;
  for (size_t i = 0; i < plan.key.size(); ++i) nulls += i > 0 ? "\t\\N" : "\\N";
  for (const KeyInterval& interval : intervals) {
    for (const std::string* bound : {&interval.after, &interval.through}) {
      if (bound != &interval.after) data += '\t';
      if (bound->empty()) {
        data += nulls;
      } else if (!AppendKeyFields(plan, *bound, data)) {
        return "";
      }
    }
    data += '\n';
  }
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  conn.Exec(fmt::format("CREATE TEMP TABLE tenantsync_ranges ON COMMIT DROP AS SELECT {} FROM {} t WITH NO DATA",
                        columns, table));
  conn.CopyIn(fmt::format("COPY pg_temp.tenantsync_ranges ({}) FROM STDIN", names), data);
  return fmt::format("EXISTS (SELECT 1 FROM pg_temp.tenantsync_ranges r WHERE (r.a0 IS NULL OR ({0}) > ({1}))"
                     " AND (r.z0 IS NULL OR ({0}) <= ({2})))",
                     row, after, through);
}

}  // namespace

void PropagateDeletes(SyncContext& ctx, const TablePlan& plan, TableReport& report) {
  if (plan.settings.deletes != DeletePolicy::kPropagate) return;
  PgConn& conn = ctx.conn;
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  PgTxn txn(conn, ctx.txn);
  if (ctx.fence) ctx.fence(conn);
  std::string doomed = LoadSourceKeys(ctx, plan).doomed;
  PgResult counts = conn.ExecOneRow(
      fmt::format("SELECT count(*) FILTER (WHERE {}), count(*) FROM {} t", doomed, table));
  long to_delete = std::stol(std::string(counts.Get(0, 0)));
  long total = std::stol(std::string(counts.Get(0, 1)));
  if (to_delete == 0) return;  // rolls back the temporary table

  double share = static_cast<double>(to_delete) / static_cast<double>(total);
  if (share > ctx.config.sync.max_delete_share && to_delete >= ctx.config.sync.delete_brake_min_rows) {
    report.delete_brake = fmt::format(
        "would delete {} of {} rows ({:.0f}%), more than max_delete_share {:.0f}%: refused (a wiped or replaced "
        "tenant file?)",
        to_delete, total, share * 100, ctx.config.sync.max_delete_share * 100);
    return;
  }
  if (plan.settings.detect_conflicts) report.conflicts["source_applied"] += LogEditedDeletes(ctx, plan, doomed);
  report.counts.rows_deleted += conn.Exec(fmt::format("DELETE FROM {} t WHERE {}", table, doomed)).Affected();
  if (!ctx.dry_run) txn.Commit();
}

JobCounts RecheckCascaded(SyncContext& ctx, const TablePlan& plan, TableReport& report) {
  JobCounts counts;
  PgConn& conn = ctx.conn;
  PgTxn txn(conn, ctx.txn);
  if (ctx.fence) ctx.fence(conn);
  SourceKeys keys = LoadSourceKeys(ctx, plan);
  PgResult missing =
      conn.Exec(fmt::format("SELECT s.{} FROM pg_temp.tenantsync_keys s WHERE {} ORDER BY 1", keys.position, keys.missing));
  if (missing.rows() == 0) return counts;  // rolls back the temporary table
  // Quarantined rows are not in the target by design; their next retry decides.
  std::vector<std::string> open_keys = OpenQuarantineKeys(conn, ctx.deployment_id, plan.name);
  std::set<std::string> open(open_keys.begin(), open_keys.end());
  TableReader reader(ctx.db, plan);
  std::vector<std::string> keys_to_write;
  for (int i = 0; i < missing.rows(); ++i) {
    std::string position(missing.Get(i, 0));  // a rowid, or a WITHOUT ROWID table's key JSON
    std::string key = plan.source->without_rowid ? position : reader.KeyOfRowid(std::stoll(position));
    if (!key.empty() && !open.count(key)) keys_to_write.push_back(std::move(key));
  }
  BatchWriter writer(conn, ctx.schema, plan, ConflictScope{ctx.deployment_id, ctx.epoch});
  writer.BeginTransaction();
  KeyedRewrite done = RewriteByKey(
      reader, writer, keys_to_write,
      "the source kept this row after deleting a row it refers to (the delete cascaded in PostgreSQL); ",
      report.conflicts);
  QuarantineRows(conn, ctx.deployment_id, plan.name, done.bad);
  counts.rows_read = static_cast<long>(keys_to_write.size());
  counts.rows_written = done.written;
  counts.rows_quarantined = static_cast<long>(done.bad.size());
  if (ctx.dry_run) return {};
  txn.Commit();
  report.counts += counts;
  Log(LogLevel::kInfo, "table={}: {} row(s) a cascaded delete removed: {} written again, {} quarantined", plan.name,
      missing.rows(), counts.rows_written, counts.rows_quarantined);
  return counts;
}

void CheckKeyRanges(SyncContext& ctx, const TablePlan& plan, TableReport& report, bool compare) {
  if (plan.settings.deletes != DeletePolicy::kPropagate || !KeyRangesApply(plan)) return;
  TableProgress progress = ctx.progress->Of(plan.name);
  std::vector<KeyRange> saved = ParseKeyRanges(progress.key_ranges);
  KeyScan scan = ScanKeyRanges(ctx.db, plan, ctx.limits, saved);
  if (!scan.usable) return;
  std::string ranges = FormatKeyRanges(scan.ranges);
  if (ranges == progress.key_ranges) return;  // no key came or went: no PostgreSQL work

  PgConn& conn = ctx.conn;
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  PgTxn txn(conn, ctx.txn);
  if (ctx.fence) ctx.fence(conn);
  // Without saved ranges this read only sets them: what changed before is
  // the reconcile's.
  std::string in_changed =
      compare && !saved.empty() && !scan.changed.empty() ? LoadIntervals(ctx, plan, scan.changed) : "";
  if (!in_changed.empty()) {
    SourceKeys keys = CreateKeysTable(ctx, plan, true);
    std::string data;
    for (const std::string& key : scan.changed_keys) {
      size_t start = data.size();
      if (!AppendKeyFields(plan, key, data)) {
        data.resize(start);
        continue;
      }
      data += '\t';
      AppendCopyField(SourceValue{SQLITE_TEXT, 0, 0, key}, TargetType{TargetKind::kText, -1, "text"}, data);
      data += '\n';
    }
    if (!data.empty()) conn.CopyIn(keys.copy, data);
    conn.Exec(fmt::format("CREATE INDEX ON pg_temp.tenantsync_keys ({})", keys.columns));
    conn.Exec("ANALYZE pg_temp.tenantsync_keys");

    // Deleted: target rows within the changed ranges whose key the source
    // no longer has; behind the same brake as the reconcile's deletes.
    std::string doomed = in_changed + " AND " + keys.doomed;
    long to_delete = std::stol(std::string(
        conn.ExecOneRow(fmt::format("SELECT count(*) FROM {} t WHERE {}", table, doomed)).Get(0, 0)));
    long total = scan.rows + to_delete;
    double share = total > 0 ? static_cast<double>(to_delete) / static_cast<double>(total) : 0;
    if (share > ctx.config.sync.max_delete_share && to_delete >= ctx.config.sync.delete_brake_min_rows) {
      report.delete_brake = fmt::format(
          "would delete {} of {} rows ({:.0f}%), more than max_delete_share {:.0f}%: refused (a wiped or replaced "
          "tenant file?)",
          to_delete, total, share * 100, ctx.config.sync.max_delete_share * 100);
      return;  // rolls back; the ranges stay as saved, so the next run looks again
    }
    if (to_delete > 0) {
      if (plan.settings.detect_conflicts) report.conflicts["source_applied"] += LogEditedDeletes(ctx, plan, doomed);
      report.counts.rows_deleted += conn.Exec(fmt::format("DELETE FROM {} t WHERE {}", table, doomed)).Affected();
    }
    // Missing: source keys the target lacks (a row inserted with an old
    // change value under a reused rowid, or into a WITHOUT ROWID table).
    PgResult missing = conn.Exec(
        fmt::format("SELECT s.{} FROM pg_temp.tenantsync_keys s WHERE {} ORDER BY 1", keys.position, keys.missing));
    if (missing.rows() > 0) {
      std::vector<std::string> open_keys = OpenQuarantineKeys(conn, ctx.deployment_id, plan.name);
      std::set<std::string> open(open_keys.begin(), open_keys.end());
      std::vector<std::string> to_write;
      for (int i = 0; i < missing.rows(); ++i) {
        std::string key(missing.Get(i, 0));
        if (!open.count(key)) to_write.push_back(std::move(key));
      }
      TableReader reader(ctx.db, plan);
      BatchWriter writer(conn, ctx.schema, plan, ConflictScope{ctx.deployment_id, ctx.epoch});
      writer.BeginTransaction();
      KeyedRewrite done = RewriteByKey(reader, writer, to_write, "", report.conflicts);
      QuarantineRows(conn, ctx.deployment_id, plan.name, done.bad);
      report.counts.rows_read += static_cast<long>(to_write.size());
      report.counts.rows_written += done.written;
      report.counts.rows_quarantined += static_cast<long>(done.bad.size());
    }
  }
  conn.Exec("UPDATE sync_metadata.sync_progress SET key_ranges = $3 WHERE deployment_id = $1::bigint"
            " AND table_name = $2",
            {std::to_string(ctx.deployment_id), plan.name, ranges});
  if (!ctx.dry_run) txn.Commit();
}

}  // namespace tenantsync

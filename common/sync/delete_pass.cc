// PropagateDeletes, RecheckCascaded and CheckKeyRanges (table_sync.h): the
// source keys, each with its rowid, are streamed into a temporary table.
// Target rows whose key is not in it are marked in another, and deleted in
// short fenced transactions, unless that would delete more than the brake
// allows; source rows whose key is not in the target are written again.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "common/conflict/row_sql.h"
#include "common/log.h"
#include "common/signals.h"
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
      BindKeyValues(stmt, ParseKeyJson(last_key_), 3);
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
  bool positions_are_keys = false;
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
  out.positions_are_keys = position_is_text;
  conn.Exec("DROP TABLE IF EXISTS pg_temp.tenantsync_keys");
  conn.Exec(fmt::format("CREATE TEMP TABLE tenantsync_keys AS SELECT {}, NULL::{} AS {} FROM {}"
                        " WITH NO DATA",
                        out.columns, position_is_text ? "text" : "bigint", out.position, table));
  return out;
}

// Drops pg_temp.tenantsync_keys and pg_temp.tenantsync_doomed at the end of
// the caller's scope: they outlive the transactions they are filled and used
// in.
class KeysTableScope {
 public:
  explicit KeysTableScope(PgConn& conn) : conn_(conn) {}
  ~KeysTableScope() {
    try {
      conn_.Exec("DROP TABLE IF EXISTS pg_temp.tenantsync_keys, pg_temp.tenantsync_doomed");
    } catch (const std::exception&) {
      // A lost connection took the tables with it.
    }
  }
  KeysTableScope(const KeysTableScope&) = delete;
  KeysTableScope& operator=(const KeysTableScope&) = delete;

 private:
  PgConn& conn_;
};

// pg_temp.tenantsync_keys filled with every source key, and indexed. Call
// outside a transaction: each batch is loaded in a fenced transaction of its
// own, so a large table's keys never hold one transaction (and the lease
// unrenewed) for longer than a batch.
SourceKeys LoadSourceKeys(SyncContext& ctx, const TablePlan& plan) {
  PgConn& conn = ctx.conn;
  SourceKeys out = CreateKeysTable(ctx, plan, plan.source->without_rowid);
  KeyReader reader(ctx.db, plan);
  std::string data;
  for (bool more = true; more;) {
    ThrowIfStopRequested();
    more = reader.Next(ctx.limits, data);
    if (data.empty()) continue;
    PgTxn txn(conn, ctx.txn);
    if (ctx.fence) ctx.fence(conn);
    conn.CopyIn(out.copy, data);
    txn.Commit();  // temporary rows only: a dry run keeps them too
  }
  conn.Exec(fmt::format("CREATE INDEX ON pg_temp.tenantsync_keys ({})", out.columns));
  conn.Exec("ANALYZE pg_temp.tenantsync_keys");
  return out;
}

// Writes, each on its own, the source rows whose keys are in
// pg_temp.tenantsync_keys and not in the target, but those waiting in
// quarantine (their next retry decides); one PostgreSQL refuses is
// quarantined, its reason `why` followed by PostgreSQL's. Returns what it
// read, wrote and quarantined.
JobCounts WriteMissing(SyncContext& ctx, const TablePlan& plan, const SourceKeys& keys, const std::string& why,
                       ConflictTally& conflicts) {
  JobCounts counts;
  PgConn& conn = ctx.conn;
  PgResult missing = conn.Exec(
      fmt::format("SELECT s.{} FROM pg_temp.tenantsync_keys s WHERE {} ORDER BY 1", keys.position, keys.missing));
  if (missing.rows() == 0) return counts;
  std::vector<std::string> open_keys = OpenQuarantineKeys(conn, ctx.deployment_id, plan.name);
  std::set<std::string> open(open_keys.begin(), open_keys.end());
  TableReader reader(ctx.db, plan);
  std::vector<std::string> to_write;
  for (int i = 0; i < missing.rows(); ++i) {
    std::string position(missing.Get(i, 0));  // a rowid, or key JSON
    std::string key = keys.positions_are_keys ? position : reader.KeyOfRowid(std::stoll(position));
    if (!key.empty() && !open.count(key)) to_write.push_back(std::move(key));
  }
  BatchWriter writer(conn, ctx.schema, plan, ConflictScope{ctx.deployment_id, ctx.epoch});
  writer.BeginTransaction();
  KeyedRewrite done = RewriteByKey(reader, writer, to_write, why, conflicts);
  QuarantineRows(conn, ctx.deployment_id, plan.name, done.bad);
  counts.rows_read = static_cast<long>(to_write.size());
  counts.rows_written = done.written;
  counts.rows_quarantined = static_cast<long>(done.bad.size());
  return counts;
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

// pg_temp.tenantsync_keys holding the given source keys (key JSON as the
// position), indexed. Only temporary rows: needs no fence.
SourceKeys LoadKeys(SyncContext& ctx, const TablePlan& plan, const std::vector<std::string>& key_jsons) {
  PgConn& conn = ctx.conn;
  SourceKeys keys = CreateKeysTable(ctx, plan, true);
  std::string data;
  for (const std::string& key : key_jsons) {
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
  return keys;
}

// Whether the target's text key columns sort bytewise (C, POSIX or C.UTF-8
// collation), as SQLite's keys do: then a range of keys is a range of its
// index.
bool KeysSortBytewise(PgConn& conn, const std::string& table, const TablePlan& plan) {
  std::vector<std::string> names;
  for (size_t k : plan.key) names.push_back(plan.columns[k].name);
  return conn
             .ExecOneRow(
                 "SELECT coalesce(bool_and(a.attcollation = 0 OR coalesce(CASE WHEN c.collname = 'default'"
                 " THEN (SELECT datcollate FROM pg_database WHERE datname = current_database())"
                 " ELSE c.collcollate END IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8'), false)), false)"
                 " FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation"
                 " WHERE a.attrelid = $1::regclass AND a.attname = ANY ($2::text[])",
                 {table, PgArrayLiteral(names)})
             .Get(0, 0) == "t";
}

// The condition "target row t lies within one of the intervals": one OR of
// row-value ranges, their bounds appended to `params`; compared bytewise, as
// SQLite orders keys (with a collation that is not bytewise, by COLLATE "C",
// which cannot use the index).
std::string WithinIntervals(SyncContext& ctx, const TablePlan& plan, const std::vector<KeyInterval>& intervals,
                            std::vector<PgParam>& params) {
  PgConn& conn = ctx.conn;
  bool bytewise = KeysSortBytewise(conn, conn.QuoteQualified(ctx.schema, plan.name), plan);
  std::string row;
  for (size_t i = 0; i < plan.key.size(); ++i) {
    const ColumnPlan& c = plan.columns[plan.key[i]];
    bool text = c.type.kind == TargetKind::kText || c.type.kind == TargetKind::kVarchar;
    row += fmt::format("{}t.{}{}", i > 0 ? ", " : "", conn.QuoteIdentifier(c.name),
                       text && !bytewise ? " COLLATE \"C\"" : "");
  }
  auto bound = [&](const std::string& key_json) {
    std::string out;
    std::vector<KeyValue> values = ParseKeyJson(key_json);
    for (size_t i = 0; i < values.size(); ++i) {
      bool integer = values[i].kind == KeyValue::kInteger;
      params.push_back(integer ? std::to_string(values[i].integer) : values[i].text);
      out += fmt::format("{}${}::{}", i > 0 ? ", " : "", params.size(), integer ? "bigint" : "text");
    }
    return out;
  };
  std::string within;
  for (const KeyInterval& interval : intervals) {
    std::string one;
    if (!interval.after.empty()) one = fmt::format("({}) > ({})", row, bound(interval.after));
    if (!interval.through.empty()) {
      one += fmt::format("{}({}) <= ({})", one.empty() ? "" : " AND ", row, bound(interval.through));
    }
    within += fmt::format("{}({})", within.empty() ? "" : " OR ", one.empty() ? "true" : one);
  }
  return fmt::format("({})", within);
}

// pg_temp.tenantsync_doomed: the key columns of the target rows (alias t)
// where `where` holds, numbered 1, 2, ... in the column keys.position. One
// read of the target, in a transaction of its own that writes only the
// temporary table (no fence): the deletes then find their rows by key.
// Returns how many.
long MarkDoomed(SyncContext& ctx, const TablePlan& plan, const SourceKeys& keys, const std::string& where,
                const std::vector<PgParam>& params = {}) {
  PgConn& conn = ctx.conn;
  PgTxn txn(conn, ctx.txn);
  conn.Exec("DROP TABLE IF EXISTS pg_temp.tenantsync_doomed");
  long count = conn.Exec(fmt::format("CREATE TEMP TABLE tenantsync_doomed AS SELECT {}, row_number() OVER () AS {}"
                                     " FROM {} t WHERE {}",
                                     keys.columns, keys.position, conn.QuoteQualified(ctx.schema, plan.name), where),
                         params)
                   .Affected();
  if (count > 0) {
    conn.Exec(fmt::format("CREATE INDEX ON pg_temp.tenantsync_doomed ({})", keys.position));
    conn.Exec("ANALYZE pg_temp.tenantsync_doomed");
  }
  txn.Commit();  // temporary rows only: a dry run keeps them too
  return count;
}

// Deletes the `count` target rows in pg_temp.tenantsync_doomed, logging
// edited ones first, in fenced transactions of at most 10 000 rows each: a
// large delete never keeps the lease unrenewed for longer than one of them.
// Each batch finds its rows through the target's key. Under --dry-run every
// batch rolls back.
void DeleteDoomed(SyncContext& ctx, const TablePlan& plan, const SourceKeys& keys, long count, TableReport& report) {
  PgConn& conn = ctx.conn;
  std::string match;
  for (size_t k : plan.key) {
    std::string q = conn.QuoteIdentifier(plan.columns[k].name);
    match += fmt::format(" AND d.{} = t.{}", q, q);
  }
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  long batch = static_cast<long>(std::clamp<size_t>(ctx.limits.max_rows, 1, 10'000));
  for (long done = 0; done < count; done += batch) {
    std::string doomed = fmt::format("EXISTS (SELECT 1 FROM pg_temp.tenantsync_doomed d WHERE d.{} > {} AND d.{} <= {}{})",
                                     keys.position, done, keys.position, done + batch, match);
    PgTxn txn(conn, ctx.txn);
    if (ctx.fence) ctx.fence(conn);
    if (plan.settings.detect_conflicts) report.conflicts["source_applied"] += LogEditedDeletes(ctx, plan, doomed);
    report.counts.rows_deleted += conn.Exec(fmt::format("DELETE FROM {} t WHERE {}", table, doomed)).Affected();
    if (!ctx.dry_run) txn.Commit();
  }
}

// The delete brake: empty when deleting `to_delete` of `total` rows is
// allowed, else why not.
std::string DeleteBrake(const SyncConfig& config, long to_delete, long total) {
  double share = total > 0 ? static_cast<double>(to_delete) / static_cast<double>(total) : 0;
  if (share <= config.max_delete_share || to_delete < config.delete_brake_min_rows) return "";
  return fmt::format(
      "would delete {} of {} rows ({:.0f}%), more than max_delete_share {:.0f}%: refused (a wiped or replaced "
      "tenant file?)",
      to_delete, total, share * 100, config.max_delete_share * 100);
}

}  // namespace

void PropagateDeletes(SyncContext& ctx, const TablePlan& plan, TableReport& report) {
  if (plan.settings.deletes != DeletePolicy::kPropagate) return;
  PgConn& conn = ctx.conn;
  KeysTableScope scope(conn);
  SourceKeys keys = LoadSourceKeys(ctx, plan);
  long to_delete = MarkDoomed(ctx, plan, keys, keys.doomed);
  if (to_delete == 0) return;
  long total = std::stol(std::string(
      conn.ExecOneRow(fmt::format("SELECT count(*) FROM {}", conn.QuoteQualified(ctx.schema, plan.name))).Get(0, 0)));
  report.delete_brake = DeleteBrake(ctx.config.sync, to_delete, total);
  if (report.delete_brake.empty()) DeleteDoomed(ctx, plan, keys, to_delete, report);
}

JobCounts RecheckCascaded(SyncContext& ctx, const TablePlan& plan, TableReport& report) {
  PgConn& conn = ctx.conn;
  KeysTableScope scope(conn);
  SourceKeys keys = LoadSourceKeys(ctx, plan);
  PgTxn txn(conn, ctx.txn);
  if (ctx.fence) ctx.fence(conn);
  JobCounts counts = WriteMissing(
      ctx, plan, keys, "the source kept this row after deleting a row it refers to (the delete cascaded in PostgreSQL); ",
      report.conflicts);
  if (counts.rows_read == 0 || ctx.dry_run) return {};
  txn.Commit();
  report.counts += counts;
  Log(LogLevel::kInfo, "table={}: {} row(s) a cascaded delete removed: {} written again, {} quarantined", plan.name,
      counts.rows_read, counts.rows_written, counts.rows_quarantined);
  return counts;
}

constexpr size_t kMaxChangedKeys = 100'000;
constexpr long kMaxWholeKeys = 200'000;

void CheckKeyRanges(SyncContext& ctx, const TablePlan& plan, TableReport& report, bool compare) {
  if (plan.settings.deletes != DeletePolicy::kPropagate || !KeyRangesApply(plan)) return;
  TableProgress progress = ctx.progress->Of(plan.name);
  std::vector<KeyRange> saved = ParseKeyRanges(progress.key_ranges);
  auto began = std::chrono::steady_clock::now();
  // The keys of changed ranges are kept to compare, up to a bound (about
  // 100 000 keys of ~50 bytes: a few MB).
  bool comparing = compare && !saved.empty();
  KeyScan scan = ScanKeyRanges(ctx.db, plan, ctx.limits, saved, comparing ? kMaxChangedKeys : 0);
  if (!scan.usable) return;
  std::string ranges = FormatKeyRanges(scan.ranges);
  if (ranges == progress.key_ranges) return;  // no key came or went: no PostgreSQL work
  auto ms = [&began] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  };
  Log(LogLevel::kDebug, "table={}: {} keys in {} ranges read in {} ms, {} changed", plan.name, scan.rows,
      scan.ranges.size(), ms(), saved.empty() ? scan.ranges.size() : scan.changed.size());

  // Without saved ranges this read only sets them: what changed before is
  // the reconcile's. Many ranges changed (or the table emptied): all keys at
  // once, as a reconcile compares them, cost less than so many ranges. On a
  // large table that costs as much as a reconcile's delete check, which a
  // tick does not take on (its run could outlast the lease): such a burst
  // waits for the reconcile, and later changes are seen at once.
  comparing = comparing && !scan.changed.empty();
  bool whole = scan.too_many_keys || scan.changed.size() * 8 > scan.ranges.size();
  if (comparing && whole && scan.rows > kMaxWholeKeys) {
    Log(LogLevel::kInfo, "table={}: {} of {} key ranges changed; their deletes wait for the reconcile", plan.name,
        scan.changed.size(), scan.ranges.size());
    comparing = false;
  }

  PgConn& conn = ctx.conn;
  KeysTableScope scope(conn);
  SourceKeys keys;
  if (comparing) {
    keys = whole ? LoadSourceKeys(ctx, plan) : LoadKeys(ctx, plan, scan.changed_keys);
    // Deleted: target rows within the changed ranges whose key the source
    // no longer has; behind the same brake as the reconcile's deletes.
    std::vector<PgParam> params;
    long to_delete = MarkDoomed(
        ctx, plan, keys, whole ? keys.doomed : WithinIntervals(ctx, plan, scan.changed, params) + " AND " + keys.doomed,
        params);
    report.delete_brake = DeleteBrake(ctx.config.sync, to_delete, scan.rows + to_delete);
    if (!report.delete_brake.empty()) return;  // the ranges stay as saved, so the next run looks again
    DeleteDoomed(ctx, plan, keys, to_delete, report);
    Log(LogLevel::kDebug, "table={}: changed key ranges compared{} in {} ms: {} deleted", plan.name,
        whole ? " (all keys)" : "", ms(), to_delete);
  }
  PgTxn txn(conn, ctx.txn);
  if (ctx.fence) ctx.fence(conn);
  // Missing: source keys the target lacks (a row inserted with an old change
  // value under a reused rowid, or into a WITHOUT ROWID table).
  if (comparing) report.counts += WriteMissing(ctx, plan, keys, "", report.conflicts);
  conn.Exec("UPDATE sync_metadata.sync_progress SET key_ranges = $3 WHERE deployment_id = $1::bigint"
            " AND table_name = $2",
            {std::to_string(ctx.deployment_id), plan.name, ranges});
  if (!ctx.dry_run) txn.Commit();
}

}  // namespace tenantsync

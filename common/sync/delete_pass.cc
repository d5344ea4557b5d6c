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
#include "common/sync/run_records.h"
#include "common/sync/table_sync.h"

namespace tenantsync {
namespace {

// Every source key and its rowid, in rowid batches, as COPY text.
class KeyReader {
 public:
  KeyReader(SqliteDb& db, const TablePlan& plan) : plan_(plan), stmt_(db.Prepare(Sql(plan))) {}

  // Returns false when the table is exhausted.
  bool Next(const ReadLimits& limits, std::string& copy_data) {
    copy_data.clear();
    stmt_.Reset();
    stmt_.Bind(1, last_rowid_);
    stmt_.Bind(2, static_cast<int64_t>(limits.max_rows));
    size_t seen = 0;
    while (stmt_.Step()) {
      ++seen;
      int rowid_col = static_cast<int>(plan_.key.size());
      last_rowid_ = stmt_.Int(rowid_col);
      size_t row_start = copy_data.size();
      bool ok = true;
      for (size_t i = 0; i < plan_.key.size() && ok; ++i) {
        if (i > 0) copy_data += '\t';
        ok = !AppendCopyField(SourceValueOf(stmt_, static_cast<int>(i)), plan_.columns[plan_.key[i]].type, copy_data)
                  .has_value();
      }
      // A key that cannot convert never reached the target, so it protects nothing.
      if (ok) {
        copy_data += fmt::format("\t{}\n", last_rowid_);
      } else {
        copy_data.resize(row_start);
      }
    }
    stmt_.Reset();
    return seen == limits.max_rows;
  }

 private:
  static std::string Sql(const TablePlan& plan) {
    std::string columns;
    for (size_t k : plan.key) {
      columns += QuoteSqliteIdentifier(plan.source->columns[static_cast<size_t>(plan.columns[k].source_index)].name);
      columns += ", ";
    }
    return fmt::format("SELECT {}{} FROM {} WHERE {} > ?1 ORDER BY {} LIMIT ?2", columns, plan.source->rowid_alias,
                       QuoteSqliteIdentifier(plan.source->name), plan.source->rowid_alias, plan.source->rowid_alias);
  }

  const TablePlan& plan_;
  SqliteStmt stmt_;
  int64_t last_rowid_ = 0;
};

// pg_temp.tenantsync_keys, filled with every source key of `plan` and its
// rowid, for the current transaction. `doomed` is true for a target row
// (alias t) whose key the source no longer has; `rowid` names the rowid
// column (alias s), chosen not to clash with a key column.
struct SourceKeys {
  std::string doomed;
  std::string missing;  // true for a source key (alias s) the target has not
  std::string rowid;
};

SourceKeys LoadSourceKeys(SyncContext& ctx, const TablePlan& plan) {
  PgConn& conn = ctx.conn;
  std::string rowid_name = "tenantsync_source_rowid";
  for (bool clash = true; clash;) {
    clash = false;
    for (size_t k : plan.key) clash = clash || plan.columns[k].name == rowid_name;
    if (clash) rowid_name += "_";
  }
  SourceKeys out;
  out.rowid = conn.QuoteIdentifier(rowid_name);
  std::string keys, match;
  for (size_t k : plan.key) {
    std::string q = conn.QuoteIdentifier(plan.columns[k].name);
    keys += (keys.empty() ? "" : ", ") + q;
    match += fmt::format("{}s.{} = t.{}", match.empty() ? "" : " AND ", q, q);
  }
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  out.doomed = fmt::format("NOT EXISTS (SELECT 1 FROM pg_temp.tenantsync_keys s WHERE {})", match);
  out.missing = fmt::format("NOT EXISTS (SELECT 1 FROM {} t WHERE {})", table, match);
  conn.Exec(fmt::format("CREATE TEMP TABLE tenantsync_keys ON COMMIT DROP AS SELECT {}, NULL::bigint AS {} FROM {}"
                        " WITH NO DATA",
                        keys, out.rowid, table));
  KeyReader reader(ctx.db, plan);
  std::string data;
  std::string copy = fmt::format("COPY pg_temp.tenantsync_keys ({}, {}) FROM STDIN", keys, out.rowid);
  for (bool more = true; more;) {
    more = reader.Next(ctx.limits, data);
    if (!data.empty()) conn.CopyIn(copy, data);
  }
  conn.Exec(fmt::format("CREATE INDEX ON pg_temp.tenantsync_keys ({})", keys));
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
      conn.Exec(fmt::format("SELECT s.{} FROM pg_temp.tenantsync_keys s WHERE {} ORDER BY 1", keys.rowid, keys.missing));
  if (missing.rows() == 0) return counts;  // rolls back the temporary table
  // Quarantined rows are not in the target by design; their next retry decides.
  std::vector<std::string> open_keys = OpenQuarantineKeys(conn, ctx.deployment_id, plan.name);
  std::set<std::string> open(open_keys.begin(), open_keys.end());
  TableReader reader(ctx.db, plan, std::nullopt, 0);
  std::vector<std::string> keys_to_write;
  for (int i = 0; i < missing.rows(); ++i) {
    std::string key = reader.KeyOfRowid(std::stoll(std::string(missing.Get(i, 0))));
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

}  // namespace tenantsync

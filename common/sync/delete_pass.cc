// PropagateDeletes (table_sync.h): the set of source keys is streamed into a
// temporary table, and target rows whose key is not in it are deleted, in one
// transaction, unless that would delete more than the brake allows.
#include <fmt/format.h>

#include "common/conflict/row_sql.h"
#include "common/log.h"
#include "common/sync/table_sync.h"

namespace tenantsync {
namespace {

// Every source key, in rowid batches, as COPY text for the key columns.
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
        copy_data += '\n';
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
  std::string keys, match;
  for (size_t k : plan.key) {
    std::string q = conn.QuoteIdentifier(plan.columns[k].name);
    keys += (keys.empty() ? "" : ", ") + q;
    match += fmt::format("{}s.{} = t.{}", match.empty() ? "" : " AND ", q, q);
  }
  std::string doomed = fmt::format("NOT EXISTS (SELECT 1 FROM pg_temp.tenantsync_keys s WHERE {})", match);

  PgTxn txn(conn, ctx.txn);
  if (ctx.fence) ctx.fence(conn);
  conn.Exec(fmt::format("CREATE TEMP TABLE tenantsync_keys ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA", keys,
                        table));
  KeyReader reader(ctx.db, plan);
  std::string data;
  std::string copy = fmt::format("COPY pg_temp.tenantsync_keys ({}) FROM STDIN", keys);
  for (bool more = true; more;) {
    more = reader.Next(ctx.limits, data);
    if (!data.empty()) conn.CopyIn(copy, data);
  }
  conn.Exec(fmt::format("CREATE INDEX ON pg_temp.tenantsync_keys ({})", keys));
  conn.Exec("ANALYZE pg_temp.tenantsync_keys");
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

}  // namespace tenantsync

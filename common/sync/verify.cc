#include "common/sync/verify.h"

#include <fmt/format.h>

namespace tenantsync {

TableDiff VerifyTable(SyncContext& ctx, const TablePlan& plan) {
  PgConn& conn = ctx.conn;
  TableDiff diff;
  diff.table = plan.name;
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  std::string columns, join, key_array, s_row, t_row;
  for (const ColumnPlan& c : plan.columns) {
    std::string q = conn.QuoteIdentifier(c.name);
    columns += (columns.empty() ? "" : ", ") + q;
    if (c.is_key) continue;
    bool as_text = c.type.kind == TargetKind::kJson || c.type.kind == TargetKind::kOther;
    s_row += (s_row.empty() ? "" : ", ") + ("s." + q) + (as_text ? "::text" : "");
    t_row += (t_row.empty() ? "" : ", ") + ("t." + q) + (as_text ? "::text" : "");
  }
  for (size_t k : plan.key) {
    std::string q = conn.QuoteIdentifier(plan.columns[k].name);
    join += fmt::format("{}s.{} = t.{}", join.empty() ? "" : " AND ", q, q);
    key_array += fmt::format("{}coalesce(s.{}, t.{})", key_array.empty() ? "" : ", ", q, q);
  }
  std::string first_key = conn.QuoteIdentifier(plan.columns[plan.key.front()].name);
  std::string differs = s_row.empty() ? "false" : fmt::format("ROW({}) IS DISTINCT FROM ROW({})", s_row, t_row);
  std::string quarantined = fmt::format(
      "EXISTS (SELECT 1 FROM sync_metadata.quarantine q WHERE q.deployment_id = $1 AND q.table_name = $2"
      " AND q.resolved_at IS NULL AND q.row_key = jsonb_build_array({}))",
      key_array);

  PgTxn txn(conn, ctx.txn);  // read only in effect: everything is rolled back
  conn.Exec(fmt::format("CREATE TEMP TABLE tenantsync_verify ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA",
                        columns, table));
  TableReader reader(ctx.db, plan);
  std::string copy = fmt::format("COPY pg_temp.tenantsync_verify ({}) FROM STDIN", columns);
  for (bool more = true; more;) {
    SourceBatch batch = reader.Next(ctx.limits);
    more = !batch.end;
    diff.source_rows += static_cast<long>(batch.good_rows());
    if (batch.good_rows() > 0) conn.CopyIn(copy, batch.copy_data);
  }
  std::string kind = fmt::format(
      "CASE WHEN t.{0} IS NULL AND {1} THEN 'quarantined' WHEN t.{0} IS NULL THEN 'missing'"
      " WHEN s.{0} IS NULL THEN 'extra' ELSE 'different' END",
      first_key, quarantined);
  std::string from = fmt::format("pg_temp.tenantsync_verify s FULL JOIN {} t ON {} WHERE s.{} IS NULL OR t.{} IS NULL OR {}",
                                 table, join, first_key, first_key, differs);
  std::vector<PgParam> params{std::to_string(ctx.deployment_id), plan.name};
  PgResult counts = conn.Exec(fmt::format("SELECT {}, count(*) FROM {} GROUP BY 1", kind, from), params);
  for (int i = 0; i < counts.rows(); ++i) {
    long n = std::stol(std::string(counts.Get(i, 1)));
    std::string_view k = counts.Get(i, 0);
    (k == "missing" ? diff.missing : k == "extra" ? diff.extra : k == "different" ? diff.different : diff.quarantined) = n;
  }
  PgResult samples = conn.Exec(
      fmt::format("SELECT {} || ' ' || jsonb_build_array({})::text FROM {} ORDER BY 1 LIMIT 10", kind, key_array, from),
      params);
  for (int i = 0; i < samples.rows(); ++i) diff.samples.emplace_back(samples.Get(i, 0));
  return diff;
}

}  // namespace tenantsync

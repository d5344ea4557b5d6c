#include "common/conflict/resolution.h"

#include <fmt/format.h>

#include <map>

#include "common/conflict/row_sql.h"
#include "common/sync/table_plan.h"

namespace tenantsync {
namespace {

// The target table's columns now: name -> format_type().
std::map<std::string, std::string> ColumnTypes(PgConn& conn, const std::string& qualified_table) {
  PgResult r = conn.Exec(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
      " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
      {qualified_table});
  std::map<std::string, std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace(r.Get(i, 0), r.Get(i, 1));
  return out;
}

// The columns of the logged images, typed as the target table holds them
// now, and the key, in the shape RowSql reads, so digests here are the ones
// sync-run computes. Sets `missing` to a column the table no longer has.
TablePlan PlanOf(PgConn& conn, const ConflictRecord& c, const std::string& qualified_table, std::string& missing) {
  std::map<std::string, std::string> types = ColumnTypes(conn, qualified_table);
  TablePlan plan;
  plan.name = c.table;
  for (const auto& [name, value] : ImageColumns(conn, *c.source_row)) {
    auto type = types.find(name);
    if (type == types.end()) {
      missing = name;
      return plan;
    }
    plan.columns.push_back({name, 0, ParseTargetType(type->second), false});
  }
  for (const auto& [name, value] : ImageColumns(conn, c.row_key)) {
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      if (plan.columns[i].name == name) {
        plan.columns[i].is_key = true;
        plan.key.push_back(i);
      }
    }
  }
  return plan;
}

}  // namespace

std::string_view ToString(Take take) {
  switch (take) {
    case Take::kSource: return "source";
    case Take::kTarget: return "target";
    case Take::kMerged: return "merged";
  }
  return "?";
}

Resolution Resolve(ResolveContext& ctx, const ConflictRecord& c, Take take) {
  PgConn& conn = ctx.conn;
  Resolution res;
  if (!c.source_row || !c.target_row || c.version_key.empty()) {
    res.reason = "the conflict lacks an image or its row key (logged by an older version); settle it in SQL";
    return res;
  }
  if (!c.source_digest || !c.target_digest) {
    res.reason =
        "logged by an older version, whose images cannot tell JSON null from SQL NULL; a `sync-run --full` logs it"
        " again exactly (this one is then superseded)";
    return res;
  }
  PgTxn txn(conn, ctx.txn);
  if (ctx.fence) ctx.fence(conn);
  std::string now = std::string(
      conn.ExecOneRow("SELECT outcome FROM sync_metadata.conflict_log WHERE conflict_id = $1 FOR UPDATE",
                      {std::to_string(c.id)})
          .Get(0, 0));
  if (now != "pending") {
    res.reason = "already settled: " + now;
    return res;
  }
  const TableConfig& settings = ctx.config.ForTable(c.table);
  bool images = settings.conflict == ConflictStrategy::kMerge;
  std::string table = conn.QuoteQualified(c.target_schema, c.table);
  std::string missing;
  TablePlan plan = PlanOf(conn, c, table, missing);
  if (!missing.empty()) {
    res.reason = "column \"" + missing + "\" of the logged row is no longer in the target table; settle it in SQL";
    return res;
  }
  RowSql rows(conn, plan);
  std::string key_match = rows.KeysEqual("t", "k");

  std::string current_sql = fmt::format("SELECT {}, {}, t.xmin FROM {} t, jsonb_populate_record(NULL::{}, $1::jsonb) k"
                                        " WHERE {} FOR UPDATE OF t",
                                        rows.Digest("t"), rows.Image("t"), table, table, key_match);
  PgResult current = conn.Exec(current_sql, {c.row_key});
  if (current.rows() == 0) {
    res.reason = "the target row is gone; the next sync-run copies the source row again";
    return res;
  }
  std::string target_now(current.Get(0, 0)), target_image(current.Get(0, 1)), target_xmin(current.Get(0, 2));
  std::vector<PgParam> version{std::to_string(c.deployment_id), c.table};

  std::string written_digest = target_now, written_image = target_image;
  if (take == Take::kTarget) {
    res.outcome = "target_kept";
  } else {
    if (target_now != *c.target_digest) {
      res.reason = "the target row changed since the conflict was logged; the next sync-run looks at it again";
      return res;
    }
    written_image = *c.source_row;
    res.outcome = "source_applied";
    if (take == Take::kMerged) {
      PgResult base = conn.Exec("SELECT v.source_image::text, v.target_image::text FROM " +
                                    RowSql::VersionRow("$3::text"),
                                {version[0], version[1], c.version_key});
      std::optional<std::string> base_source, base_target;
      if (base.rows() > 0) base_source = base.GetOpt(0, 0), base_target = base.GetOpt(0, 1);
      std::optional<Take> prefer = settings.merge_fallback == ConflictStrategy::kManual
                                       ? std::nullopt
                                       : TakeForStrategy(conn, c, settings.merge_fallback, settings);
      PgResult merged = conn.ExecOneRow(
          "SELECT merged::text, array_to_string(clashes, ', ') FROM sync_metadata.merge_rows($1::json, $2::json,"
          " $3::json, $4::json, $5, " + rows.JsonColumns() + ")",
          {*c.source_row, *c.target_row, base_source, base_target,
           prefer ? PgParam(std::string(ToString(*prefer))) : PgParam()});
      std::string clashes(merged.Get(0, 1));
      if (!prefer && !clashes.empty()) {
        res.outcome.clear();
        res.reason = "both sides changed " + clashes + " and the table's merge_fallback is manual: take source or target";
        return res;
      }
      written_image = merged.Get(0, 0);
      res.outcome = "merged";
    }
    conn.Exec(fmt::format("UPDATE {0} t SET ({1}) = (SELECT {2}) FROM jsonb_populate_record(NULL::{0}, $1::jsonb) k"
                          " WHERE {3}",
                          table, rows.columns(), rows.Rebuilt("$2::json"), key_match),
              {c.row_key, written_image});
    PgResult written = conn.Exec(current_sql, {c.row_key});
    written_digest = written.Get(0, 0);
    target_xmin = written.Get(0, 2);
  }
  // The source as logged and the target as now left: the next sync-run sees
  // neither changed (unless the source moved on since, which is a change).
  std::string select = images ? "SELECT $3::text, $4::bigint, $5::bigint, $6::xid, $7::json, $8::json"
                              : "SELECT $3::text, $4::bigint, $5::bigint, $6::xid";
  std::vector<PgParam> params{version[0], version[1], c.version_key, *c.source_digest, written_digest, target_xmin};
  if (images) params.insert(params.end(), {*c.source_row, written_image});
  conn.Exec(RowSql::UpsertVersions(select, images), params);
  res.resolved_row = written_image;
  conn.Exec(
      "UPDATE sync_metadata.conflict_log SET outcome = $2, resolved_row = $3::json, resolved_by = $4,"
      " resolved_at = clock_timestamp() WHERE conflict_id = $1",
      {std::to_string(c.id), res.outcome, written_image, ctx.resolved_by});
  if (!ctx.dry_run) txn.Commit();
  return res;
}

std::optional<Take> TakeForStrategy(PgConn& conn, const ConflictRecord& c, ConflictStrategy strategy,
                                    const TableConfig& table) {
  switch (strategy) {
    case ConflictStrategy::kSourceWins: return Take::kSource;
    case ConflictStrategy::kTargetWins: return Take::kTarget;
    case ConflictStrategy::kMerge: return Take::kMerged;
    case ConflictStrategy::kManual: return std::nullopt;
    case ConflictStrategy::kNewestWins: break;
  }
  if (table.change_column.empty() || !c.source_row || !c.target_row) return Take::kSource;
  bool has_column = conn.ExecOneRow("SELECT ($1::json -> $2) IS NOT NULL", {*c.source_row, table.change_column})
                        .Get(0, 0) == "t";
  if (!has_column) return Take::kSource;
  // Typed, as the target column holds it (an epoch number or a timestamp).
  std::map<std::string, std::string> types = ColumnTypes(conn, conn.QuoteQualified(c.target_schema, c.table));
  auto type = types.find(table.change_column);
  if (type == types.end()) return Take::kSource;
  PgResult newer = conn.ExecOneRow(
      fmt::format("SELECT coalesce(($2::json ->> $3)::{0} > ($1::json ->> $3)::{0}, false)", type->second),
      {*c.source_row, *c.target_row, table.change_column});
  return newer.Get(0, 0) == "t" ? Take::kTarget : Take::kSource;
}

}  // namespace tenantsync

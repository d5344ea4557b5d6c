#include "common/conflict/batch_conflicts.h"

#include <fmt/format.h>

namespace tenantsync {
namespace {

constexpr const char* kHold = "pg_temp.tenantsync_hold";

std::string Prefer(ConflictStrategy fallback) {
  switch (fallback) {
    case ConflictStrategy::kSourceWins: return "'source'";
    case ConflictStrategy::kTargetWins: return "'target'";
    case ConflictStrategy::kManual: return "NULL::text";
    default: return "CASE WHEN h2.target_newer THEN 'target' ELSE 'source' END";  // newest_wins
  }
}

}  // namespace

BatchConflicts::BatchConflicts(const RowSql& rows, const TablePlan& plan, const std::string& target,
                               const std::string& stage, const ConflictScope& scope)
    : plan_(plan),
      scope_(scope),
      keep_images_(plan.settings.conflict == ConflictStrategy::kMerge),
      strategy_(ToString(plan.settings.conflict)),
      json_columns_(rows.JsonColumns()) {
  create_hold_sql_ =
      "CREATE TEMP TABLE IF NOT EXISTS tenantsync_hold (k text, kind text, sctid tid, sh bigint, th bigint, txmin xid,"
      " key_json jsonb, src json, tgt json, base_src json, base_tgt json, target_newer boolean, outcome text, resolved json,"
      " clashes text[]) ON COMMIT DROP";

  // One pass over the batch. A row whose target still has the xmin the sync
  // left, with no settled difference (vs = vt), is the fast path: nothing to
  // compute, the write decides. Any other row gets both digests: equal rows
  // have their versions brought up to date, and the rows that must not
  // simply be written go to the hold table with both images. Every lookup is
  // a LATERAL subquery behind OFFSET 0, so that it stays a per-row index (or
  // TID) probe: the stage has no statistics, and a hash join would read the
  // whole target and row_versions for every batch.
  std::string seen_where =
      " WHERE c.th = c.sh AND (c.vs IS DISTINCT FROM c.sh OR c.vt IS DISTINCT FROM c.sh"
      " OR c.vx IS DISTINCT FROM c.txmin)";
  std::string seen_select =
      keep_images_ ? fmt::format("SELECT c.k, c.sh AS s, c.sh AS t, c.txmin, i.img, i.img FROM c CROSS JOIN LATERAL"
                                 " (SELECT {} AS img FROM {} s WHERE s.ctid = c.sctid OFFSET 0) i{}",
                                 rows.Image("s"), stage, seen_where)
                   : "SELECT c.k, c.sh AS s, c.sh AS t, c.txmin FROM c" + seen_where;
  classify_sql_ = fmt::format(
      "WITH c AS MATERIALIZED ("
      "SELECT s.ctid AS sctid, t.tctid, t.txmin, {ks} AS k, CASE WHEN t.th IS NOT NULL THEN {ds} END AS sh, t.th,"
      " v.vs, v.vt, v.vx, v.bsi, v.bti"
      " FROM {stage} s"
      " {vjoin}JOIN LATERAL (SELECT v.source_digest AS vs, v.target_digest AS vt, v.target_xmin AS vx,"
      " v.source_image AS bsi, v.target_image AS bti FROM {version} OFFSET 0) v ON true"
      " LEFT JOIN LATERAL (SELECT t.ctid AS tctid, t.xmin AS txmin,"
      " CASE WHEN {always}v.vx IS NULL OR v.vx <> t.xmin OR v.vs <> v.vt THEN {dt} END AS th"
      " FROM {target} t WHERE {join} OFFSET 0) t ON true{gate}),"
      " seen AS ({seen}),"
      " held AS (INSERT INTO {hold} (k, kind, sctid, sh, th, txmin, key_json, src, tgt, base_src, base_tgt,"
      " target_newer)"
      " SELECT c.k, CASE WHEN c.vs = c.sh THEN 'target_only' WHEN c.vt = c.th THEN 'rebase' ELSE 'conflict' END,"
      " c.sctid, c.sh, c.th, c.txmin, i.kj, i.si, i.ti, c.bsi, c.bti, i.newer FROM c"
      " CROSS JOIN LATERAL (SELECT {kj} AS kj, {is} AS si, {it} AS ti, {newer} AS newer"
      " FROM {stage} s, {target} t WHERE s.ctid = c.sctid AND t.ctid = c.tctid OFFSET 0) i"
      // (coalesce: a row with no version row, or no base, is no ordinary write.)
      " WHERE c.th <> c.sh AND NOT coalesce(c.vt = c.th AND c.vs IS DISTINCT FROM c.sh{ordinary}, false)"
      " RETURNING kind),"
      // Equal rows need no write (a fast-path row the guarded write left
      // is one), so they leave the stage.
      " equal AS (DELETE FROM {stage} s USING c WHERE s.ctid = c.sctid AND c.tctid IS NOT NULL"
      " AND (c.th IS NULL OR c.th = c.sh))"
      " SELECT (SELECT count(*) FROM held), (SELECT count(*) FROM held WHERE kind <> 'target_only'),"
      " (SELECT count(*) FROM c WHERE c.tctid IS NULL"
      " OR (c.th <> c.sh AND c.vt = c.th AND c.vs IS DISTINCT FROM c.sh{ordinary}))",
      fmt::arg("ks", rows.KeyText("s")), fmt::arg("version", RowSql::VersionRow(rows.KeyText("s"))),
      // With the capture trigger, only rows with a version row are the
      // classification's business (BatchWriter merged the others), and a
      // table without any (the common case) costs one probe per batch.
      fmt::arg("vjoin", plan.captured ? "" : "LEFT "),
      // (No guarded write has taken the untouched ones out: every row gets
      // its target's digest.)
      fmt::arg("always", plan.captured ? "true OR " : ""),
      fmt::arg("gate", plan.captured ? " WHERE " + RowSql::AnyVersions() : ""),
      fmt::arg("ds", rows.Digest("s")), fmt::arg("dt", rows.Digest("t")),
      fmt::arg("stage", stage), fmt::arg("target", target), fmt::arg("join", rows.KeysEqual("t", "s")),
      fmt::arg("seen", RowSql::UpsertVersions(seen_select, keep_images_)), fmt::arg("hold", kHold),
      fmt::arg("kj", rows.KeyJson("s")), fmt::arg("is", rows.Image("s")), fmt::arg("it", rows.Image("t")),
      fmt::arg("newer", rows.Newer("t", "s")),
      // Merge: a source change to a row a merge left different from its
      // source is merged again (a rebase), so the target's side survives.
      fmt::arg("ordinary", keep_images_ ? " AND c.vs = c.vt" : ""));

  // An older pending conflict of the same row gives way to a newer one,
  // unless it is the same conflict seen again (manual: the row waits).
  supersede_sql_ = fmt::format(
      "UPDATE sync_metadata.conflict_log c SET outcome = 'superseded', resolved_by = $3::text,"
      " resolved_at = clock_timestamp() FROM {0} h"
      " WHERE h.kind = 'conflict' AND c.deployment_id = $1::bigint AND c.table_name = $2::text"
      " AND c.outcome = 'pending' AND c.row_key = h.key_json"
      " AND NOT (h.outcome = 'pending' AND c.source_row::text = h.src::text AND c.target_row::text = h.tgt::text)",
      kHold);
  log_sql_ = fmt::format(
      "WITH logged AS (INSERT INTO sync_metadata.conflict_log (deployment_id, table_name, row_key, source_row,"
      " target_row, strategy, outcome, resolved_row, resolved_by, resolved_at, epoch, clashes, version_key,"
      " source_digest, target_digest)"
      " SELECT $1::bigint, $2::text, h.key_json, h.src, h.tgt, $4::text, h.outcome,"
      " CASE WHEN h.outcome <> 'pending' THEN h.resolved END,"
      " CASE WHEN h.outcome <> 'pending' THEN $3::text END,"
      " CASE WHEN h.outcome <> 'pending' THEN clock_timestamp() END, $5::bigint, nullif(h.clashes, '{{}}'), h.k,"
      " h.sh, h.th"
      " FROM {0} h WHERE h.kind = 'conflict' AND NOT EXISTS (SELECT 1 FROM sync_metadata.conflict_log c"
      " WHERE c.deployment_id = $1::bigint AND c.table_name = $2::text AND c.outcome = 'pending'"
      " AND c.row_key = h.key_json) RETURNING outcome)"
      " SELECT outcome, count(*) FROM logged GROUP BY outcome",
      kHold);
  keep_target_sql_ = RowSql::UpsertVersions(
      fmt::format("SELECT h.k, h.sh, h.th, h.txmin{} FROM {} h WHERE h.outcome = 'target_kept'",
                  keep_images_ ? ", h.src, h.tgt" : "", kHold),
      keep_images_);
  // Returns how many held rows are still to be written.
  unstage_sql_ = fmt::format(
      "WITH out AS (DELETE FROM {} s USING {} h WHERE s.ctid = h.sctid"
      " AND (h.kind = 'target_only' OR h.outcome IN ('target_kept', 'pending')))"
      " SELECT count(*) FROM {} WHERE outcome IN ('source_applied', 'merged')",
      stage, kHold, kHold);
  restage_sql_ = fmt::format(
      "UPDATE {0} s SET ({1}) = (SELECT {2}) FROM {3} h WHERE s.ctid = h.sctid AND h.outcome = 'merged'",
      stage, rows.columns(), rows.Rebuilt("h.resolved"), kHold);
  // A merged row: the source as seen, the target as merged and written.
  merged_versions_sql_ = RowSql::UpsertVersions(
      fmt::format("SELECT h.k, h.sh, m.d, m.x{} FROM {} h JOIN {} s ON {} = h.k CROSS JOIN LATERAL"
                  " (SELECT {} AS d, t.xmin AS x, {} AS i FROM {} t WHERE {} OFFSET 0) m WHERE h.outcome = 'merged'",
                  keep_images_ ? ", h.src, m.i" : "", kHold, stage, rows.KeyText("s"), rows.Digest("t"),
                  rows.Image("t"), target, rows.KeysEqual("t", "s")),
      keep_images_);
}

std::string BatchConflicts::DecideSql() const {
  auto simple = [&](const std::string& outcome, const std::string& resolved) {
    return fmt::format("UPDATE {} SET outcome = {}, resolved = {} WHERE kind = 'conflict'", kHold, outcome,
                       resolved);
  };
  switch (plan_.settings.conflict) {
    case ConflictStrategy::kSourceWins: return simple("'source_applied'", "src");
    case ConflictStrategy::kTargetWins: return simple("'target_kept'", "tgt");
    case ConflictStrategy::kManual: return simple("'pending'", "NULL");
    case ConflictStrategy::kNewestWins:
      // A tie, or no change column to compare, goes to the source: the
      // tenant's app is the system of record (docs/conflicts.md).
      return simple("CASE WHEN target_newer THEN 'target_kept' ELSE 'source_applied' END",
                    "CASE WHEN target_newer THEN tgt ELSE src END");
    case ConflictStrategy::kMerge:
      return fmt::format(
          "UPDATE {0} h SET resolved = m.merged, clashes = m.clashes,"
          " outcome = CASE WHEN h.kind = 'conflict' AND m.prefer IS NULL AND cardinality(m.clashes) > 0"
          " THEN 'pending' ELSE 'merged' END"
          " FROM (SELECT h2.k, p.prefer, mi.merged, mi.clashes FROM {0} h2"
          " CROSS JOIN LATERAL (SELECT {1} AS prefer) p"
          " CROSS JOIN LATERAL sync_metadata.merge_rows(h2.src, h2.tgt, h2.base_src, h2.base_tgt, p.prefer, {2}) mi"
          " WHERE h2.kind IN ('conflict', 'rebase')) m"
          " WHERE h.k = m.k",
          kHold, Prefer(plan_.settings.merge_fallback), json_columns_);
  }
  return {};
}

void BatchConflicts::BeginTransaction() {
  hold_ready_ = false;
  hold_dirty_ = false;
}

Settlement BatchConflicts::Settle(PgConn& conn) {
  Settlement out;
  merged_ = 0;
  std::vector<PgParam> params{std::to_string(scope_.deployment_id), plan_.name};
  // With the capture trigger, a table without version rows (the common
  // case) has nothing to classify: one probe, no hold table. This runs after
  // the batch's merge, so it sees every version row the merge skipped a row
  // for (those committed before the merge's snapshot, and those its recheck
  // found).
  if (plan_.captured && conn.ExecOneRow("SELECT " + RowSql::AnyVersions(), params).Get(0, 0) != "t") return out;
  if (!hold_ready_) {
    // IF NOT EXISTS: after a rollback to a savepoint it may or may not be there.
    conn.Exec(create_hold_sql_);
    hold_ready_ = true;
  }
  if (hold_dirty_) conn.Exec(std::string("DELETE FROM ") + kHold);
  PgResult held = conn.ExecOneRow(classify_sql_, params);
  hold_dirty_ = true;
  out.rows_to_write = std::stol(std::string(held.Get(0, 2)));
  if (held.Get(0, 0) == "0") return out;
  bool decide = held.Get(0, 1) != "0";
  if (decide) {
    conn.Exec(DecideSql());
    std::vector<PgParam> log_params{params[0], params[1], scope_.resolved_by, strategy_,
                                    scope_.epoch > 0 ? PgParam(std::to_string(scope_.epoch)) : PgParam()};
    conn.Exec(supersede_sql_, {params[0], params[1], scope_.resolved_by});
    PgResult logged = conn.Exec(log_sql_, log_params);
    for (int r = 0; r < logged.rows(); ++r) {
      out.conflicts[std::string(logged.Get(r, 0))] += std::stol(std::string(logged.Get(r, 1)));
    }
    conn.Exec(keep_target_sql_, params);
  }
  out.rows_to_write += std::stol(std::string(conn.ExecOneRow(unstage_sql_).Get(0, 0)));
  if (decide) merged_ = conn.Exec(restage_sql_).Affected();
  return out;
}

void BatchConflicts::AfterWrite(PgConn& conn) {
  if (merged_ > 0) conn.Exec(merged_versions_sql_, {std::to_string(scope_.deployment_id), plan_.name});
}

}  // namespace tenantsync

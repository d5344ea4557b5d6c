#include "common/sync/batch_writer.h"

#include <fmt/format.h>

namespace tenantsync {
namespace {

constexpr const char* kStage = "pg_temp.tenantsync_stage";

// Types without an equality operator (json) compare as text.
std::string Comparable(const std::string& qualified, const ColumnPlan& c) {
  bool as_text = c.type.kind == TargetKind::kJson || c.type.kind == TargetKind::kOther;
  return as_text ? qualified + "::text" : qualified;
}

// A failure that one bad row can cause: data (22), integrity (23) and
// cardinality (21: one key twice in a batch) errors. Anything else is not
// the rows' fault and ends the transaction.
bool RowCanCause(const PgError& e) {
  const std::string& s = e.sqlstate();
  return s.starts_with("22") || s.starts_with("23") || s.starts_with("21");
}

// INSERT `insert` (aliased t, RETURNING the written rows' key, digest and
// xmin) and record each written row's versions in the same statement;
// `also` adds CTEs over w.
std::string WriteRecordingVersions(const std::string& insert, const RowSql& rows, bool with_images,
                                   const std::string& also = "", bool versions_fresh = false) {
  // In key order, so that consecutive inserts land on neighbouring pages of
  // row_versions' primary key instead of anywhere in it.
  std::string versions = with_images ? "SELECT w.k, w.d, w.d, w.x, w.i, w.i FROM w ORDER BY w.k COLLATE \"C\""
                                     : "SELECT w.k, w.d, w.d, w.x FROM w ORDER BY w.k COLLATE \"C\"";
  return fmt::format("WITH w AS ({} RETURNING {} AS k, {} AS d, t.xmin AS x{}), v AS ({}){} SELECT count(*) FROM w",
                     insert, rows.KeyText("t"), rows.Digest("t"), with_images ? ", " + rows.Image("t") + " AS i" : "",
                     versions_fresh ? RowSql::InsertVersions(versions, with_images)
                                    : RowSql::UpsertVersions(versions, with_images),
                     also);
}

// COPY of good rows [first, last): a whole batch in key order (SourceBatch::
// key_order), a part of one (isolating bad rows) as it is.
long CopyRows(PgConn& conn, const std::string& copy_sql, const SourceBatch& batch, size_t first, size_t last) {
  bool whole = first == 0 && last == batch.good_rows();
  if (!whole || batch.key_order.empty()) return conn.CopyIn(copy_sql, batch.Lines(first, last));
  return conn.CopyIn(copy_sql, [&](const PgConn::CopyPut& put) {
    for (uint32_t row : batch.key_order) put(batch.Lines(row, row + 1));
  });
}

}  // namespace

BatchWriter::BatchWriter(PgConn& conn, const std::string& schema, const TablePlan& plan, const ConflictScope& scope)
    : conn_(conn),
      rows_(conn, plan),
      conflicts_(rows_, plan, conn.QuoteQualified(schema, plan.name), kStage, scope),
      detect_(plan.settings.detect_conflicts),
      captured_(detect_ && plan.captured),
      version_params_{std::to_string(scope.deployment_id), plan.name} {
  std::string table = conn.QuoteQualified(schema, plan.name);
  const std::string& columns = rows_.columns();
  std::string updates, left, right;
  for (const ColumnPlan& c : plan.columns) {
    if (c.is_key) continue;
    std::string q = conn.QuoteIdentifier(c.name);
    updates += fmt::format("{}{} = EXCLUDED.{}", updates.empty() ? "" : ", ", q, q);
    left += (left.empty() ? "" : ", ") + Comparable("t." + q, c);
    right += (right.empty() ? "" : ", ") + Comparable("EXCLUDED." + q, c);
  }

  create_stage_sql_ = fmt::format("CREATE TEMP TABLE tenantsync_stage ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA",
                                  columns, table);
  copy_sql_ = fmt::format("COPY {} ({}) FROM STDIN", kStage, columns);
  std::string insert = fmt::format("INSERT INTO {} AS t ({}) {}SELECT {} FROM {}", table, columns,
                                   plan.identity_always ? "OVERRIDING SYSTEM VALUE " : "", columns, kStage);
  std::string on_conflict =
      updates.empty() ? fmt::format("ON CONFLICT ({}) DO NOTHING", rows_.keys())
                      : fmt::format("ON CONFLICT ({}) DO UPDATE SET {} WHERE ROW({}) IS DISTINCT FROM ROW({})",
                                    rows_.keys(), updates, left, right);
  direct_copy_sql_ = fmt::format("COPY {} ({}) FROM STDIN", table, columns);
  insert_sql_ = WriteRecordingVersions(insert, rows_, conflicts_.keep_images());
  fresh_insert_sql_ = WriteRecordingVersions(insert, rows_, conflicts_.keep_images(), "", true);
  merge_sql_ = detect_ ? WriteRecordingVersions(insert + " " + on_conflict, rows_, conflicts_.keep_images())
                       : fmt::format("WITH w AS ({} {} RETURNING 1) SELECT count(*) FROM w", insert, on_conflict);
  // The common case in one statement: a row is updated only while its
  // target still carries the xmin the sync left and nothing was settled
  // apart (it is exactly what the sync wrote, so only the source changed);
  // new rows are inserted. What it writes leaves the stage, and what stays
  // (equal rows, and rows someone else touched) goes to BatchConflicts.
  std::string guard = fmt::format(" AND t.xmin = (SELECT v.target_xmin FROM {} AND v.source_digest = v.target_digest)",
                                  RowSql::VersionRow(rows_.KeyText("EXCLUDED")));
  if (captured_) {
    // With the capture trigger (sql/006): rows another writer touched carry
    // a version row and stay in the stage for BatchConflicts; all others are
    // exactly as the sync wrote them and are merged as they are. A row
    // changed by another writer after this statement's snapshot was taken
    // has an xmin no older than the snapshot's xmin (modulo 2^32; a frozen
    // row may look young, which only costs a lookup): for such rows alone
    // the update asks again, with a fresh snapshot, whether a version row
    // exists now (the trigger committed one with the change).
    std::string from_stage = fmt::format("INSERT INTO {} AS t ({}) {}SELECT {} FROM {} s WHERE ", table, columns,
                                         plan.identity_always ? "OVERRIDING SYSTEM VALUE " : "", columns, kStage);
    std::string versioned = fmt::format("EXISTS (SELECT 1 FROM {})", RowSql::VersionRow(rows_.KeyText("s")));
    std::string older_than_snapshot =
        "(t.xmin::text::bigint - (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296)"
        " + 4294967296) % 4294967296 >= 2147483648";
    std::string recheck = fmt::format(" AND ({} OR sync_metadata.unversioned($1::bigint, $2::text, {}))",
                                    older_than_snapshot, rows_.KeyText("t"));
    captured_sql_ = fmt::format("WITH w AS ({}NOT {} OR NOT {} {}{} RETURNING 1) SELECT count(*) FROM w", from_stage,
                                RowSql::AnyVersions(), versioned, on_conflict, updates.empty() ? "" : recheck);
    versioned_merge_sql_ =
        WriteRecordingVersions(from_stage + versioned + " " + on_conflict, rows_, conflicts_.keep_images());
  }
  guarded_sql_ = WriteRecordingVersions(
      insert + " " + on_conflict + (updates.empty() ? "" : guard), rows_, conflicts_.keep_images(),
      fmt::format(", gone AS (DELETE FROM {} s USING w WHERE {} = w.k)", kStage, rows_.KeyText("s")));
}

void BatchWriter::EnsureStage() {
  if (stage_ready_) return;
  conn_.Exec(create_stage_sql_);
  if (detect_) conflicts_.BeginTransaction();
  stage_ready_ = true;
  stage_dirty_ = false;
}

std::optional<std::string> BatchWriter::UnderSavepoint(const std::function<long()>& work, long& written) {
  conn_.Exec("SAVEPOINT tenantsync_try");
  try {
    written += work();
    conn_.Exec("RELEASE SAVEPOINT tenantsync_try");
    return std::nullopt;
  } catch (const PgError& e) {
    if (!RowCanCause(e)) throw;
    conn_.Exec("ROLLBACK TO SAVEPOINT tenantsync_try");
    if (detect_) conflicts_.AfterRollback();
    std::string reason = e.what();
    if (auto cut = reason.find('\n'); cut != std::string::npos) reason.resize(cut);
    return reason;
  }
}

long BatchWriter::Count(const std::string& sql, const std::vector<PgParam>& params) {
  return std::stol(std::string(conn_.ExecOneRow(sql, params).Get(0, 0)));
}

long BatchWriter::Stage(const SourceBatch& batch, size_t first, size_t last, bool insert_only,
                        ConflictTally& tally) {
  // Rows left by an earlier successful attempt in this transaction; a failed
  // attempt rolled back to its savepoint and left the stage as it found it.
  if (stage_dirty_) conn_.Exec(std::string("TRUNCATE ") + kStage);
  CopyRows(conn_, copy_sql_, batch, first, last);
  stage_dirty_ = true;
  tally.clear();
  if (insert_only) {
    return Count(versions_fresh_ ? fresh_insert_sql_ : insert_sql_, version_params_);
  }
  if (!detect_) return Count(merge_sql_, {});
  // First the rows nobody else touched: with the capture trigger, those with
  // no version row; without it, those whose target kept the recorded xmin.
  // Then what the classification leaves to write.
  long written = Count(captured_ ? captured_sql_ : guarded_sql_, version_params_);
  Settlement settled = conflicts_.Settle(conn_);
  tally = settled.conflicts;
  if (settled.rows_to_write > 0) {
    written += Count(captured_ ? versioned_merge_sql_ : merge_sql_, version_params_);
    conflicts_.AfterWrite(conn_);
  }
  return written;
}

MergeOutcome BatchWriter::CopyDirect(const SourceBatch& batch) {
  MergeOutcome outcome;
  if (batch.good_rows() == 0) return outcome;
  std::optional<std::string> failed;
  // Without the capture trigger every written row records its versions, so
  // the rows go through the stage; otherwise straight into the table. A key
  // another writer inserted meanwhile fails the COPY, and Merge sorts it out.
  if (detect_ && !captured_) {
    EnsureStage();
    ConflictTally none;
    failed = UnderSavepoint([&] { return Stage(batch, 0, batch.good_rows(), true, none); }, outcome.written);
  } else {
    failed = UnderSavepoint([&] { return CopyRows(conn_, direct_copy_sql_, batch, 0, batch.good_rows()); },
                            outcome.written);
  }
  return failed ? Merge(batch) : outcome;
}

MergeOutcome BatchWriter::Merge(const SourceBatch& batch) {
  MergeOutcome outcome;
  if (batch.good_rows() == 0) return outcome;
  EnsureStage();
  ConflictTally tally;
  auto failed = UnderSavepoint([&] { return Stage(batch, 0, batch.good_rows(), false, tally); }, outcome.written);
  if (failed) {
    Isolate(batch, 0, batch.good_rows(), *failed, outcome);
  } else {
    outcome.conflicts = tally;
  }
  return outcome;
}

// Rows [first, last) failed together with `reason`: try each half. Costs
// O(bad rows × log n) statements, and nothing when a batch is clean.
void BatchWriter::Isolate(const SourceBatch& batch, size_t first, size_t last, const std::string& reason,
                          MergeOutcome& outcome) {
  if (last - first == 1) {
    outcome.refused.emplace_back(first, "PostgreSQL refused the row: " + reason);
    return;
  }
  size_t middle = first + (last - first) / 2;
  for (auto [a, b] : {std::pair{first, middle}, std::pair{middle, last}}) {
    ConflictTally tally;
    auto failed = UnderSavepoint([&, a = a, b = b] { return Stage(batch, a, b, false, tally); },
                                 outcome.written);
    if (failed) {
      Isolate(batch, a, b, *failed, outcome);
    } else {
      for (auto& [o, n] : tally) outcome.conflicts[o] += n;
    }
  }
}

}  // namespace tenantsync

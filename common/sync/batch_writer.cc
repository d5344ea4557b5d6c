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

}  // namespace

BatchWriter::BatchWriter(PgConn& conn, const std::string& schema, const TablePlan& plan) : conn_(conn) {
  std::string table = conn.QuoteQualified(schema, plan.name);
  std::string columns, keys, updates, left, right;
  for (const ColumnPlan& c : plan.columns) {
    std::string q = conn.QuoteIdentifier(c.name);
    columns += (columns.empty() ? "" : ", ") + q;
    if (c.is_key) continue;
    updates += fmt::format("{}{} = EXCLUDED.{}", updates.empty() ? "" : ", ", q, q);
    left += (left.empty() ? "" : ", ") + Comparable("t." + q, c);
    right += (right.empty() ? "" : ", ") + Comparable("EXCLUDED." + q, c);
  }
  for (size_t k : plan.key) keys += (keys.empty() ? "" : ", ") + conn.QuoteIdentifier(plan.columns[k].name);

  create_stage_sql_ = fmt::format("CREATE TEMP TABLE tenantsync_stage ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA",
                                  columns, table);
  copy_sql_ = fmt::format("COPY {} ({}) FROM STDIN", kStage, columns);
  direct_copy_sql_ = fmt::format("COPY {} ({}) FROM STDIN", table, columns);
  std::string on_conflict =
      updates.empty() ? fmt::format("ON CONFLICT ({}) DO NOTHING", keys)
                      : fmt::format("ON CONFLICT ({}) DO UPDATE SET {} WHERE ROW({}) IS DISTINCT FROM ROW({})", keys,
                                    updates, left, right);
  merge_sql_ = fmt::format(
      "WITH written AS (INSERT INTO {} AS t ({}) {}SELECT {} FROM {} {} RETURNING 1) SELECT count(*) FROM written",
      table, columns, plan.identity_always ? "OVERRIDING SYSTEM VALUE " : "", columns, kStage, on_conflict);
}

void BatchWriter::EnsureStage() {
  if (stage_ready_) return;
  conn_.Exec(create_stage_sql_);
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
    std::string reason = e.what();
    if (auto cut = reason.find('\n'); cut != std::string::npos) reason.resize(cut);
    return reason;
  }
}

long BatchWriter::Stage(std::string_view lines) {
  // Rows left by an earlier successful attempt in this transaction; a failed
  // attempt rolled back to its savepoint and left the stage as it found it.
  if (stage_dirty_) conn_.Exec(std::string("TRUNCATE ") + kStage);
  conn_.CopyIn(copy_sql_, lines);
  long written = std::stol(std::string(conn_.ExecOneRow(merge_sql_).Get(0, 0)));
  stage_dirty_ = true;
  return written;
}

MergeOutcome BatchWriter::CopyDirect(const SourceBatch& batch) {
  MergeOutcome outcome;
  if (batch.good_rows() == 0) return outcome;
  auto failed = UnderSavepoint([&] { return conn_.CopyIn(direct_copy_sql_, batch.copy_data); }, outcome.written);
  return failed ? Merge(batch) : outcome;
}

MergeOutcome BatchWriter::Merge(const SourceBatch& batch) {
  MergeOutcome outcome;
  if (batch.good_rows() == 0) return outcome;
  EnsureStage();
  auto failed = UnderSavepoint([&] { return Stage(batch.copy_data); }, outcome.written);
  if (failed) Isolate(batch, 0, batch.good_rows(), *failed, outcome);
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
    auto failed = UnderSavepoint([&, a = a, b = b] { return Stage(batch.Lines(a, b)); }, outcome.written);
    if (failed) Isolate(batch, a, b, *failed, outcome);
  }
}

}  // namespace tenantsync

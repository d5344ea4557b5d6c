#include "common/sync/table_sync.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <set>

#include "common/log.h"
#include "common/conflict/row_sql.h"
#include "common/signals.h"
#include "common/sync/batch_writer.h"
#include "common/sync/stream_digest.h"

namespace tenantsync {
namespace {

std::optional<int64_t> Max(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

// Quarantined rows are retried on every run, whatever the change column says.
void RetryQuarantined(SyncContext& ctx, const TablePlan& plan, TableReader& reader, BatchWriter& writer,
                      const std::vector<std::string>& open_keys, TableReport& report) {
  if (open_keys.empty()) return;
  PgTxn txn(ctx.conn, ctx.txn);
  if (ctx.fence) ctx.fence(ctx.conn);
  writer.BeginTransaction();
  KeyedRewrite done = RewriteByKey(reader, writer, open_keys, "", report.conflicts);
  report.counts.rows_written += done.written;
  QuarantineRows(ctx.conn, ctx.deployment_id, plan.name, done.bad);
  // Deleted at the source (nothing left to copy) or copied at last.
  std::vector<std::string> settled = std::move(done.gone);
  settled.insert(settled.end(), done.landed.begin(), done.landed.end());
  report.quarantine_resolved += ResolveQuarantine(ctx.conn, ctx.deployment_id, plan.name, settled);
  if (!ctx.dry_run) txn.Commit();
}

// Copied ids can run ahead of a serial column's sequence; move it past them
// so the app's next insert into the replica does not collide (never back).
void CatchUpSequences(SyncContext& ctx, const TablePlan& plan) {
  PgConn& conn = ctx.conn;
  std::string table = conn.QuoteQualified(ctx.schema, plan.name);
  for (const ColumnPlan& c : plan.columns) {
    const TargetColumn* column = plan.target->Find(c.name);
    if (column == nullptr || column->sequence.empty()) continue;
    PgTxn txn(conn, ctx.txn);
    if (ctx.fence) ctx.fence(conn);
    conn.Exec(fmt::format("SELECT setval($1::regclass, m) FROM (SELECT max({}) AS m FROM {}) x"
                          " WHERE m >= (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {})",
                          conn.QuoteIdentifier(c.name), table, column->sequence),
              {column->sequence});
    if (!ctx.dry_run) txn.Commit();
  }
}

// What a pass read, in rowid order: the COPY lines of the good rows and the
// images of the rejected ones.
void AddToDigest(const SourceBatch& batch, StreamDigest& digest) {
  digest.Update(batch.copy_data);
  digest.Count(batch.good_rows());
  for (const RejectedRow& r : batch.rejected) digest.AddUnordered(r.key_json + '\t' + r.image_json);
}

// Reads the whole table and digests it as a pass would.
std::string DigestSource(SyncContext& ctx, const TablePlan& plan, long& rows) {
  TableReader reader(ctx.db, plan);
  StreamDigest digest;
  for (;;) {
    ThrowIfStopRequested();
    SourceBatch batch = reader.Next(ctx.limits);
    rows += static_cast<long>(batch.rows_read);
    AddToDigest(batch, digest);
    if (batch.end) return digest.Hex();
  }
}

// What an incremental pass read: its window's start and the digest of the
// rows in it. Equal for two passes: the window held the same rows with the
// same values, so the second has nothing to write.
std::string WindowDigest(const TableProgress& pass, const StreamDigest& digest) {
  if (!pass.pass_since) return "";
  return fmt::format("window {} {} {}", *pass.pass_since, pass.rowid_high ? std::to_string(*pass.rowid_high) : "-",
                     digest.Hex());
}

}  // namespace

KeyedRewrite RewriteByKey(TableReader& reader, BatchWriter& writer, const std::vector<std::string>& keys,
                          const std::string& why, ConflictTally& conflicts) {
  KeyedRewrite out;
  for (const std::string& key : keys) {
    SourceBatch one = reader.ReadByKey(key);
    if (one.rows_read == 0) {
      out.gone.push_back(key);
    } else if (!one.rejected.empty()) {
      out.bad.push_back(std::move(one.rejected.front()));
    } else {
      MergeOutcome m = writer.Merge(one);
      for (const auto& [outcome, n] : m.conflicts) conflicts[outcome] += n;
      out.written += m.written;
      if (m.refused.empty()) {
        out.landed.push_back(key);
      } else {
        out.bad.push_back({key, reader.ImageByKey(key), why + m.refused.front().second});
      }
    }
  }
  return out;
}

int64_t OverlapUnits(int64_t watermark, int overlap_seconds) {
  int64_t magnitude = watermark < 0 ? -watermark : watermark;
  int64_t unit = magnitude < 100'000'000'000LL         ? 1
                 : magnitude < 100'000'000'000'000LL   ? 1'000
                 : magnitude < 100'000'000'000'000'000LL ? 1'000'000
                                                         : 1'000'000'000;
  return static_cast<int64_t>(overlap_seconds) * unit;
}

TableReport SyncTable(SyncContext& ctx, const TablePlan& plan) {
  TableReport report;
  report.table = plan.name;
  TableProgress progress = ctx.progress->Of(plan.name);
  report.reconciled = ctx.full || progress.full_due || plan.change < 0;

  // Where this pass starts: a pass cut short resumes where it stood.
  TableProgress pass = progress;
  bool resuming = progress.in_pass && progress.pass_full == report.reconciled;
  if (!resuming) {
    pass.source_digest.clear();  // unknown until this pass has read the table whole
    pass.source_file_state.clear();
    pass.pass_rowid = 0;
    pass.pass_key.clear();
    pass.pass_max.reset();
    pass.pass_since.reset();
    pass.pass_high.reset();
    if (!report.reconciled && progress.watermark) {
      pass.pass_since = *progress.watermark - OverlapUnits(*progress.watermark, ctx.config.sync.overlap_seconds);
    }
  }
  pass.in_pass = true;
  pass.pass_full = report.reconciled;

  TableReader reader(ctx.db, plan, {pass.pass_since, progress.rowid_high, pass.pass_rowid, pass.pass_key});
  // The watermark a finished pass leaves is the largest change value when it
  // started, not the largest it saw: in DELETE journal mode a pass is not a
  // snapshot, and a row changed behind the scan's position carries a stamp
  // at least this large, so the next pass (from watermark - overlap) sees it.
  if (!resuming) pass.pass_max = reader.MaxChange();
  // Likewise the rowid above which the next incremental pass reads every
  // row; the same figure is the progress lines' "of".
  bool new_high = !resuming && plan.change >= 0 && !plan.source->without_rowid;
  int64_t max_rowid = new_high || ctx.on_batch ? reader.MaxRowid() : 0;
  if (new_high) pass.pass_high = max_rowid;
  BatchWriter writer(ctx.conn, ctx.schema, plan, ConflictScope{ctx.deployment_id, ctx.epoch});
  std::vector<std::string> open_keys;
  if (ctx.progress->OpenQuarantine(plan.name) > 0) {
    open_keys = OpenQuarantineKeys(ctx.conn, ctx.deployment_id, plan.name);
  }
  RetryQuarantined(ctx, plan, reader, writer, open_keys, report);
  std::set<std::string> open(open_keys.begin(), open_keys.end());
  reader.set_want_keys(!open.empty());

  // A table without a change column is compared whole on every run. When the
  // source file has committed nothing since the last complete pass began, it
  // is not even read; when it reads exactly as that pass read it, the
  // PostgreSQL side is skipped: one read of SQLite instead of a merge of
  // every row. --full and the periodic reconcile (full_due) always compare.
  bool whole_by_nature = plan.change < 0 && !ctx.full && !progress.full_due && !resuming;
  if (whole_by_nature && !progress.source_digest.empty()) {
    if (!ctx.source_state.empty() && ctx.source_state == progress.source_file_state) {
      report.source_unchanged = true;
      return report;
    }
    long rows = 0;
    std::string digest = DigestSource(ctx, plan, rows);
    report.counts.rows_read += rows;
    if (digest == progress.source_digest) {
      // Other tables changed, not this one. Nothing is written, not even the
      // new file state: a file that commits nothing more skips the whole
      // deployment, and a PostgreSQL write per unchanged table would cost
      // more than the read it saves.
      report.source_unchanged = true;
      return report;
    }
  }
  StreamDigest pass_digest;  // of this pass, saved when it reads the table whole

  // A table still empty when a fresh pass begins takes plain COPY (the
  // initial copy); once anything is in it, every write is a merge.
  // Asked once, when the pass first has something to write (an idle table
  // costs no query).
  bool direct = false;
  auto decide_direct = [&] {
    direct = !resuming && !plan.target->row_security &&
             ctx.conn.ExecOneRow("SELECT NOT EXISTS (SELECT 1 FROM " +
                                 ctx.conn.QuoteQualified(ctx.schema, plan.name) + ")")
                     .Get(0, 0) == "t";
    report.initial_copy = direct;
    // Versions of an earlier life of the table (emptied by hand) would make a
    // plain insert of new ones fail, so they are looked for once.
    if (direct && plan.settings.detect_conflicts && !plan.captured) {
      writer.set_versions_fresh(
          ctx.conn.ExecOneRow("SELECT NOT " + RowSql::AnyVersions(), {std::to_string(ctx.deployment_id), plan.name})
              .Get(0, 0) == "t");
    }
  };
  long rows_in_pass = resuming ? progress.rows_total : 0;
  size_t bytes = 0;
  // One batch of read-ahead: the next batch is read and converted on another
  // thread while this one is written, as `sqlite3 | psql` overlaps them.
  // Only that thread touches the scan; the connection is serialized.
  auto read_next = [&] { return std::async(std::launch::async, [&] { return reader.Next(ctx.limits); }); };
  std::future<SourceBatch> ahead = read_next();
  for (bool first = true;; first = false) {
    ThrowIfStopRequested();
    SourceBatch batch = ahead.get();
    if (!batch.end) ahead = read_next();
    report.counts.rows_read += static_cast<long>(batch.rows_read);
    rows_in_pass += static_cast<long>(batch.rows_read);
    bytes += batch.copy_data.size();
    pass.pass_rowid = batch.last_rowid;
    pass.pass_key = batch.last_key;
    AddToDigest(batch, pass_digest);
    bool finished = batch.end;
    if (finished) {
      pass.in_pass = false;
      pass.watermark = Max(progress.watermark, pass.pass_max);
      if (pass.pass_high) pass.rowid_high = pass.pass_high;
      if (report.reconciled) pass.rows_total = rows_in_pass;
      // Only a pass that read the table from its first row knows its digest;
      // an incremental pass knows its window's (WindowDigest).
      pass.source_digest = resuming            ? ""
                           : plan.change < 0   ? pass_digest.Hex()
                           : report.reconciled ? ""
                                               : WindowDigest(pass, pass_digest);
      pass.source_file_state = plan.change < 0 && !resuming ? ctx.source_state : "";
    }
    // Nothing read, or exactly the rows the last pass read from the same
    // window (the overlap re-read of a table nobody changed, in a file that
    // changed elsewhere): nothing to write or record, no transaction.
    bool same_window = batch.rows_read > 0 && open.empty() && !pass.source_digest.empty() &&
                       pass.source_digest == progress.source_digest;
    bool idle = first && finished && (batch.rows_read == 0 || same_window) && !progress.in_pass &&
                !report.reconciled && pass.watermark == progress.watermark && pass.rowid_high == progress.rowid_high;
    if (idle) {
      if (same_window) report.source_unchanged = true;
      break;
    }
    if (first) decide_direct();

    PgTxn txn(ctx.conn, ctx.txn);
    if (ctx.fence) ctx.fence(ctx.conn);
    writer.BeginTransaction();
    MergeOutcome merged = direct ? writer.CopyDirect(batch) : writer.Merge(batch);
    std::vector<RejectedRow> bad = std::move(batch.rejected);
    std::set<size_t> refused_rows;
    for (auto& [row, reason] : merged.refused) {
      refused_rows.insert(row);
      std::string key = batch.keys.empty() ? reader.KeyOfRowid(batch.rowids[row]) : batch.keys[row];
      std::string image = reader.ImageByKey(key);
      bad.push_back({std::move(key), std::move(image), std::move(reason)});
    }
    QuarantineRows(ctx.conn, ctx.deployment_id, plan.name, bad);
    if (!open.empty()) {
      std::vector<std::string> landed;
      for (size_t i = 0; i < batch.keys.size(); ++i)
        if (!refused_rows.count(i) && open.count(batch.keys[i])) landed.push_back(batch.keys[i]);
      report.quarantine_resolved += ResolveQuarantine(ctx.conn, ctx.deployment_id, plan.name, landed);
    }
    SaveProgress(ctx.conn, ctx.deployment_id, plan.name, pass, finished && report.reconciled);
    if (!ctx.dry_run) txn.Commit();

    report.counts.rows_written += merged.written;
    report.counts.rows_quarantined += static_cast<long>(bad.size());
    for (const auto& [outcome, n] : merged.conflicts) report.conflicts[outcome] += n;
    if (ctx.on_batch) ctx.on_batch({plan.name, report.counts, bytes, batch.last_rowid, max_rowid});
    if (finished) break;
    if (std::chrono::steady_clock::now() >= ctx.deadline) {
      report.cut_short = true;  // committed up to here, position saved
      break;
    }
  }
  if (report.counts.rows_written > 0) CatchUpSequences(ctx, plan);
  if (report.reconciled && !resuming && !report.cut_short && report.counts.rows_written == 0 &&
      report.counts.rows_quarantined == 0) {
    long target_rows = std::stol(std::string(
        ctx.conn.ExecOneRow("SELECT count(*) FROM " + ctx.conn.QuoteQualified(ctx.schema, plan.name)).Get(0, 0)));
    report.same_keys = target_rows == rows_in_pass;
  }
  return report;
}

}  // namespace tenantsync

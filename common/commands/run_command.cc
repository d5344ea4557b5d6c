#include "common/commands/run_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/error.h"
#include "common/json.h"
#include "common/lease/lease_keeper.h"
#include "common/lease/write_lease.h"
#include "common/log.h"
#include "common/pg/connect_spec.h"
#include "common/schema/deployments.h"
#include "common/schema/privilege_check.h"
#include "common/signals.h"
#include "common/sqlite/file_state.h"
#include "common/sync/capture.h"
#include "common/sync/checkpoint.h"
#include "common/sync/deployment_state.h"
#include "common/sync/run_metrics.h"
#include "common/sync/run_records.h"
#include "common/sync/table_plan.h"
#include "common/sync/table_sync.h"
#include "common/sync/verify.h"

namespace tenantsync {
namespace {

using Clock = std::chrono::steady_clock;

struct DeploymentResult {
  DeploymentInfo deployment;
  JobCounts counts;
  std::vector<TableReport> tables;
  std::vector<TableDiff> diffs;
  DriftReport drift;
  std::string error;
  ExitCode code = ExitCode::kOk;
  double seconds = 0;
  bool wal = false;
  // The source committed nothing since the last clean run: not opened.
  bool unchanged = false;
  // [sync] deployment_time_budget ran out: the run moved on; the next resumes.
  bool cut_short = false;
  std::string skip_key;  // SqliteFileState taken before the run began, with the settings
};

// WAL mode: one read transaction over the whole deployment, one snapshot.
// The destructor ends it even when a table fails.
class SqliteSnapshot {
 public:
  SqliteSnapshot(SqliteDb& db, bool enabled) : db_(db), open_(enabled) {
    if (open_) db_.Exec("BEGIN");
  }
  ~SqliteSnapshot() {
    if (!open_) return;
    try {
      db_.Exec("COMMIT");
    } catch (...) {
    }
  }
  SqliteSnapshot(const SqliteSnapshot&) = delete;
  SqliteSnapshot& operator=(const SqliteSnapshot&) = delete;

 private:
  SqliteDb& db_;
  bool open_;
};

void LogDrift(const std::string& deployment, const DriftReport& d) {
  for (const std::string& t : d.source_only_tables)
    Log(LogLevel::kWarning,
        "deployment={} table={}: not in the target schema; not copied (create it, or let `sync-schema deployment "
        "add {} ... --create-tables` make it from the SQLite schema)",
        deployment, t, deployment);
  for (const std::string& c : d.source_only_columns)
    Log(LogLevel::kWarning, "deployment={} column={}: not in the target table; not copied", deployment, c);
  for (const std::string& c : d.target_only_columns)
    Log(LogLevel::kInfo, "deployment={} column={}: not in the source; left to its default", deployment, c);
  for (const std::string& r : d.refused) Log(LogLevel::kError, "deployment={} table {}", deployment, r);
}

// Progress of a long copy. On a terminal (and unless --no-progress): one
// line redrawn every 0.5 s. Without one (under systemd, whatever
// --no-progress says): a log line at most every 30 s
// (log_progress_every), so the journal shows
// a long first copy moving without filling up.
std::function<void(const BatchProgress&)> ProgressPrinter(const std::string& deployment, const RunOptions& o) {
  bool tty = o.progress && isatty(STDERR_FILENO);
  auto period = tty ? std::chrono::milliseconds(500) : o.log_progress_every;
  auto started = std::make_shared<Clock::time_point>(Clock::now());
  auto last = std::make_shared<Clock::time_point>(Clock::now());
  auto table_now = std::make_shared<std::string>();
  return [=](const BatchProgress& p) {
    if (*table_now != p.table) {
      *table_now = p.table;
      *started = Clock::now();
    }
    auto now = Clock::now();
    if (now - *last < period) return;
    *last = now;
    double s = std::max(1e-3, std::chrono::duration<double>(now - *started).count());
    double mb = static_cast<double>(p.bytes) / 1e6;
    double rate = static_cast<double>(p.counts.rows_read) / s;
    double share = p.max_rowid > 0 ? 100.0 * static_cast<double>(std::min(p.rowid, p.max_rowid)) /
                                         static_cast<double>(p.max_rowid)
                                   : 100.0;
    if (tty) {
      std::fprintf(stderr, "\r%s/%s: %ld rows read, %ld written, %.1f MB, %.0f rows/s, %.0f%%   ", deployment.c_str(),
                   p.table.c_str(), p.counts.rows_read, p.counts.rows_written, mb, rate, share);
      std::fflush(stderr);
      return;
    }
    Log(LogLevel::kInfo,
        "deployment={} table={} progress: {} rows read, {} written, {:.1f} MB, {:.0f} rows/s, rowid {} of {} ({:.0f}%)",
        deployment, p.table, p.counts.rows_read, p.counts.rows_written, mb, rate, p.rowid, p.max_rowid, share);
  };
}

// When this deployment's run must move on ([sync] deployment_time_budget).
// An operator's --full or --verify runs to the end.
Clock::time_point Deadline(const Config& config, const RunOptions& o) {
  if (o.full || o.verify) return Clock::time_point::max();
  if (o.time_budget) return Clock::now() + *o.time_budget;
  if (config.sync.deployment_time_budget.count() == 0) return Clock::time_point::max();
  return Clock::now() + config.sync.deployment_time_budget;
}

// "lz4" when configured and the server was built with it; else "" (the
// server's default_toast_compression).
std::string ToastCompressionFor(PgConn& conn, const Config& config) {
  if (config.sync.toast_compression != ToastCompression::kLz4) return "";
  bool has_lz4 = conn.ExecOneRow("SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) FROM pg_settings"
                                 " WHERE name = 'default_toast_compression'")
                     .Get(0, 0) == "t";
  if (!has_lz4) Log(LogLevel::kDebug, "the server has no lz4: large values compress with its default");
  return has_lz4 ? "lz4" : "";
}

void SyncDeployment(PgConn& conn, const Config& config, const RunOptions& o, LeaseKeeper* lease,
                    DeploymentResult& r) {
  SqliteDb db = SqliteDb::OpenReadOnly(r.deployment.sqlite_path, config.sync.busy_timeout_ms);
  bool wal = false;
  {
    SqliteStmt mode = db.Prepare("PRAGMA journal_mode");
    wal = mode.Step() && mode.Text(0) == "wal";
  }
  // Before the snapshot: a commit in between only makes the next run read again.
  std::string source_state = SqliteFileState(r.deployment.sqlite_path);
  SqliteSnapshot snapshot(db, wal);
  SourceSchema source = ReadSourceSchema(db);
  TargetCatalog target = ReadTargetCatalog(conn, r.deployment.target_schema);
  if (target.tables.empty()) {
    throw ConfigError(fmt::format("target schema {} has no tables", r.deployment.target_schema),
                      "create them with Open WebUI's own migrations against PostgreSQL, or load its schema, then "
                      "re-run `sync-schema deployment add` to grant them; or let `sync-schema deployment add "
                      "--create-tables` make them from the SQLite schema");
  }
  SyncPlan plan = PlanSync(source, target, config);
  r.drift = plan.drift;
  LogDrift(r.deployment.name, plan.drift);

  PgTxnOptions txn = NodeTxnOptions(config);
  // A batch lost to a server crash is lost whole, progress included, and the
  // next run copies it again: no need to wait for each commit's fsync.
  txn.async_commit = true;
  txn.toast_compression = ToastCompressionFor(conn, config);
  SyncContext ctx{conn, db, config, r.deployment.id, r.deployment.target_schema, o.full, o.dry_run, txn, {}, nullptr,
                  nullptr, 0, source_state};
  ctx.limits.max_rows = static_cast<size_t>(config.sync.batch_rows);
  ctx.limits.max_hold = std::chrono::milliseconds(wal ? 3'600'000 : config.sync.max_read_hold_ms);
  ctx.on_batch = ProgressPrinter(r.deployment.name, o);
  if (lease != nullptr) ctx.fence = [lease](PgConn& c) { lease->Fence(c); };
  if (lease != nullptr) ctx.epoch = lease->epoch();
  ctx.deadline = Deadline(config, o);
  DeploymentProgress progress = LoadDeploymentProgress(
      conn, r.deployment.id, static_cast<long>(config.sync.reconcile_every.count()));
  ctx.progress = &progress;

  for (TablePlan& table : plan.tables) {
    // Past the budget, stop before the next table once this run has written
    // something: tables with nothing to write cost little and come first
    // again next run, so stopping on them could starve the tables after.
    bool wrote = r.counts.rows_written + r.counts.rows_quarantined + r.counts.rows_deleted > 0;
    if (wrote && Clock::now() >= ctx.deadline) r.cut_short = true;
    if (r.cut_short) break;
    if (table.settings.detect_conflicts) table.captured = EnsureCapture(ctx, table);
    r.tables.push_back(SyncTable(ctx, table));
    r.counts += r.tables.back().counts;
    r.cut_short = r.tables.back().cut_short;
  }
  if (o.progress && isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
  // Children before parents, so foreign keys never block a delete. A pass
  // the budget cut short has not seen every source row: no delete check.
  std::set<std::string> deleted_from;
  for (size_t i = r.tables.size(); i-- > 0;) {
    TableReport& report = r.tables[i];
    if (report.cut_short) continue;
    JobCounts before = report.counts;
    if (!report.reconciled) {
      // An ordinary tick: the key ranges that gained or lost a key.
      CheckKeyRanges(ctx, plan.tables[i], report, true);
    } else if (!report.initial_copy && !report.same_keys && !report.source_unchanged) {
      // After an initial copy into an empty table, every target row came
      // from this pass's source rows: the delete check would find nothing.
      PropagateDeletes(ctx, plan.tables[i], report);
    }
    // After a reconcile, the key ranges are only recorded, for the ordinary
    // ticks to come (a table without a change column has none: every run
    // compares it whole).
    if (report.reconciled && report.delete_brake.empty() && plan.tables[i].change >= 0) {
      CheckKeyRanges(ctx, plan.tables[i], report, false);
    }
    r.counts += {report.counts.rows_read - before.rows_read, report.counts.rows_written - before.rows_written,
                 report.counts.rows_quarantined - before.rows_quarantined,
                 report.counts.rows_deleted - before.rows_deleted};
    if (report.counts.rows_deleted > before.rows_deleted) deleted_from.insert(report.table);
    if (!report.delete_brake.empty()) {
      Log(LogLevel::kError, "deployment={} table={}: {}", r.deployment.name, report.table, report.delete_brake);
      r.error += fmt::format("{}delete brake on {}: {}", r.error.empty() ? "" : "; ", report.table, report.delete_brake);
      r.code = ExitCode::kDataErr;
    }
  }
  // A delete that cascaded in PostgreSQL may have taken rows the source kept.
  std::set<std::string> cascaded = target.CascadeReach(deleted_from);
  for (size_t i = 0; i < r.tables.size(); ++i) {
    if (cascaded.count(r.tables[i].table)) r.counts += RecheckCascaded(ctx, plan.tables[i], r.tables[i]);
  }
  if (o.verify) {
    for (const TablePlan& table : plan.tables) r.diffs.push_back(VerifyTable(ctx, table));
  }
  r.wal = wal;
}

// The key the next run may skip by, unless this run found something to
// redo or to say again: an error, a difference --verify saw, or something
// it could not copy (reported, and counted in the metrics file, on every
// run until fixed). A quarantined row does not stop the skip: it is
// retried at the file's next change, the next reconcile, or `sync-run
// --full`, and /metrics counts it from the database meanwhile.
std::string NextSkipKey(const RunOptions& o, const DeploymentResult& r) {
  const DriftReport& d = r.drift;
  bool clean = r.error.empty() && !r.cut_short && d.source_only_tables.empty() && d.source_only_columns.empty() &&
               d.refused.empty() &&
               std::all_of(r.diffs.begin(), r.diffs.end(), [](const TableDiff& t) { return t.equal(); });
  return clean && !o.dry_run ? r.skip_key : "";
}

void Record(PgConn& conn, const Config& config, const RunOptions& o, LeaseKeeper& lease,
            const DeploymentResult& r) {
  RunRecord run{r.deployment.id, lease.host_id(), lease.epoch(), r.counts, r.error, r.seconds,
                NextSkipKey(o, r), {}, config.sync.reconcile_every};
  for (const TableReport& t : r.tables) run.tables.push_back(t.table);
  PgTxn txn(conn, NodeTxnOptions(config));
  lease.Fence(conn);
  RecordRun(conn, run);
  txn.Commit();
}

// On the way out after a stop signal: the run is recorded as failed if
// the lease still allows it; nothing else may fail the exit.
void RecordQuietly(PgConn& conn, const Config& config, const RunOptions& o, LeaseKeeper& lease,
                   const DeploymentResult& r) {
  try {
    Record(conn, config, o, lease, r);
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, "deployment={}: the stopped run was not recorded: {}", r.deployment.name, e.what());
  }
}

void WriteMetrics(const Config& config, const DeploymentResult& r) {
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  RunMetrics::NotCopied not_copied{static_cast<long>(r.drift.source_only_tables.size()),
                                   static_cast<long>(r.drift.refused.size()),
                                   static_cast<long>(r.drift.source_only_columns.size())};
  RunMetrics metrics{r.deployment.name, r.error.empty(), now, r.seconds, r.counts, {}, not_copied};
  for (const TableReport& t : r.tables) {
    std::string strategy(ToString(config.ForTable(t.table).conflict));
    for (const auto& [outcome, n] : t.conflicts) metrics.conflicts.push_back({t.table, strategy, outcome, n});
  }
  WriteRunMetrics(config.node.state_dir, metrics);
}

// After the deployment's snapshot has closed, so our own reader does not
// hold the checkpoint back.
void MaybeCheckpoint(const Config& config, const RunOptions& o, const DeploymentResult& r) {
  if (!r.wal || config.sync.checkpoint != CheckpointMode::kPassive || o.dry_run || !r.error.empty()) return;
  CheckpointResult c = PassiveCheckpoint(r.deployment.sqlite_path);
  if (c.ran) {
    Log(LogLevel::kInfo, "deployment={} passive checkpoint: {} of {} WAL frames", r.deployment.name,
        c.checkpointed_frames, c.wal_frames);
  } else {
    Log(LogLevel::kNotice, "deployment={} no checkpoint: {}", r.deployment.name, c.skipped_because);
  }
}

void PrintText(const std::vector<DeploymentResult>& results, const RunOptions& o) {
  // A fleet's idle tick is one line in the journal, not one per tenant.
  long unchanged = std::count_if(results.begin(), results.end(), [](const auto& r) { return r.unchanged; });
  bool one_line = o.deployment.empty() && unchanged > 0;
  if (one_line) {
    fmt::print("{} of {} deployment(s) unchanged since their last clean run: not read\n", unchanged,
               results.size());
  }
  for (const DeploymentResult& r : results) {
    if (r.unchanged && one_line) continue;
    fmt::print("{} ({} -> {}): {}\n", r.deployment.name, r.deployment.sqlite_path, r.deployment.target_schema,
               !r.error.empty() ? "FAILED: " + r.error
               : r.unchanged    ? "ok, unchanged since its last clean run"
               : r.cut_short    ? "ok so far: stopped at its time budget; the next run resumes"
                                : "ok");
    if (r.unchanged) continue;
    fmt::print("  {} rows read, {} written, {} quarantined, {} deleted in {:.2f}s{}\n", r.counts.rows_read,
               r.counts.rows_written, r.counts.rows_quarantined, r.counts.rows_deleted, r.seconds,
               o.dry_run ? " (dry run: nothing was kept)" : "");
    for (const TableReport& t : r.tables) {
      if (t.counts.rows_written == 0 && t.counts.rows_quarantined == 0 && t.counts.rows_deleted == 0 &&
          t.conflicts.empty()) {
        continue;
      }
      fmt::print("    {:<20} {:>8} written {:>6} quarantined {:>6} deleted\n", t.table, t.counts.rows_written,
                 t.counts.rows_quarantined, t.counts.rows_deleted);
      for (const auto& [outcome, n] : t.conflicts) fmt::print("      {} conflict(s): {}\n", n, outcome);
    }
    // Said here too, not only in the log: what this run did not copy.
    for (const std::string& t : r.drift.source_only_tables) {
      fmt::print("    not copied: table {} (not in the target)\n", t);
    }
    for (const std::string& t : r.drift.refused) fmt::print("    not copied: table {}\n", t);
    for (const std::string& c : r.drift.source_only_columns) {
      fmt::print("    not copied: column {} (not in the target table)\n", c);
    }
    for (const TableDiff& d : r.diffs) {
      if (d.equal() && d.quarantined == 0) continue;
      fmt::print("    verify {:<13} {} missing, {} extra, {} different, {} in quarantine\n", d.table, d.missing,
                 d.extra, d.different, d.quarantined);
      for (const std::string& s : d.samples) fmt::print("      {}\n", s);
    }
    if (o.verify) {
      bool equal = std::all_of(r.diffs.begin(), r.diffs.end(), [](const TableDiff& d) { return d.equal(); });
      fmt::print("  verify: {}\n", equal ? "source and target are equal" : "DIFFERENCES FOUND");
    }
  }
}

// `jobs`: how many deployments the run could sync at once.
void PrintJson(const std::vector<DeploymentResult>& results, const RunOptions& o, int jobs) {
  JsonWriter w;
  w.BeginObject().Key("dry_run").Bool(o.dry_run).Key("jobs").Int(jobs).Key("deployments").BeginArray();
  for (const DeploymentResult& r : results) {
    w.BeginObject().Key("name").String(r.deployment.name).Key("ok").Bool(r.error.empty());
    w.Key("error").StringOrNull(r.error.empty() ? std::nullopt : std::optional<std::string>(r.error));
    w.Key("exit_code").Int(ToInt(r.code)).Key("seconds").Double(r.seconds).Key("unchanged").Bool(r.unchanged);
    w.Key("cut_short").Bool(r.cut_short);
    w.Key("rows_read").Int(r.counts.rows_read).Key("rows_written").Int(r.counts.rows_written);
    w.Key("rows_quarantined").Int(r.counts.rows_quarantined).Key("rows_deleted").Int(r.counts.rows_deleted);
    w.Key("tables").BeginArray();
    for (const TableReport& t : r.tables) {
      w.BeginObject().Key("table").String(t.table).Key("reconciled").Bool(t.reconciled);
      w.Key("source_unchanged").Bool(t.source_unchanged);
      w.Key("rows_read").Int(t.counts.rows_read).Key("rows_written").Int(t.counts.rows_written);
      w.Key("rows_quarantined").Int(t.counts.rows_quarantined).Key("rows_deleted").Int(t.counts.rows_deleted);
      w.Key("delete_brake").StringOrNull(t.delete_brake.empty() ? std::nullopt
                                                                : std::optional<std::string>(t.delete_brake));
      w.Key("conflicts").BeginObject();
      for (const auto& [outcome, n] : t.conflicts) w.Key(outcome).Int(n);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray().Key("drift").BeginObject();
    auto list = [&](const char* key, const std::vector<std::string>& items) {
      w.Key(key).BeginArray();
      for (const std::string& s : items) w.String(s);
      w.EndArray();
    };
    list("source_only_tables", r.drift.source_only_tables);
    list("source_only_columns", r.drift.source_only_columns);
    list("target_only_columns", r.drift.target_only_columns);
    list("refused_tables", r.drift.refused);
    w.EndObject();
    if (o.verify) {
      w.Key("verify").BeginArray();
      for (const TableDiff& d : r.diffs) {
        w.BeginObject().Key("table").String(d.table).Key("equal").Bool(d.equal()).Key("missing").Int(d.missing);
        w.Key("extra").Int(d.extra).Key("different").Int(d.different).Key("quarantined").Int(d.quarantined);
        w.Key("samples").BeginArray();
        for (const std::string& s : d.samples) w.String(s);
        w.EndArray().EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  fmt::print("{}\n", w.str());
}

// One deployment that needs a sync, on `conn`: its result, its record and
// its metrics file. Throws what must stop the whole run: a stop signal, a
// lost lease, PostgreSQL trouble.
void SyncOne(PgConn& conn, const Config& config, const RunOptions& o, LeaseKeeper* lease, DeploymentResult& r) {
  auto started = Clock::now();
  try {
    SyncDeployment(conn, config, o, lease, r);
    MaybeCheckpoint(config, o, r);
  } catch (const StopRequested& stop) {
    r.error = fmt::format("stopped by signal {}", stop.signal);
    r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (lease) RecordQuietly(conn, config, o, *lease, r);
    throw;
  } catch (const LeaseLostError&) {
    throw;  // a node that lost the lease writes nothing more, not even its job row
  } catch (const Error& e) {
    // A bad tenant (its file missing, corrupt or locked) must not stop the
    // others; PostgreSQL being down or a lost lease stops them all.
    bool postgres_trouble = dynamic_cast<const PgError*>(&e) != nullptr &&
                            (e.code() == ExitCode::kUnavailable || e.code() == ExitCode::kTempFail);
    if (postgres_trouble || PQstatus(conn.raw()) != CONNECTION_OK) throw;
    r.error = e.what();
    r.code = e.code();
    Log(LogLevel::kError, "deployment={}: {}", r.deployment.name, e.what());
    if (!e.hint().empty()) Log(LogLevel::kError, "hint: {}", e.hint());
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (lease) Record(conn, config, o, *lease, r);
  if (!o.dry_run) WriteMetrics(config, r);
  Log(LogLevel::kInfo, "deployment={} read={} written={} quarantined={} deleted={} seconds={:.2f}", r.deployment.name,
      r.counts.rows_read, r.counts.rows_written, r.counts.rows_quarantined, r.counts.rows_deleted, r.seconds);
}

// --jobs N: N workers, each with its own PostgreSQL connection (and its own
// SQLite handles), take the next deployment until none is left. Every write
// transaction of every worker is fenced on the lease as before. The first
// error that stops a run stops the others before their next deployment
// (those in flight stop at their next fenced batch), and is rethrown.
void SyncInParallel(const Config& config, const RunOptions& o, int jobs, LeaseKeeper* lease,
                    const std::vector<DeploymentResult*>& todo) {
  RunOptions quiet = o;
  quiet.progress = false;  // one terminal line cannot show N copies; the journal lines still come
  std::atomic<size_t> next{0};
  std::atomic<bool> abort{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  auto worker = [&] {
    try {
      PgConn conn = PgConn::Connect(NodeConnectSpec(config, "sync-run"));
      for (size_t i = next++; i < todo.size() && !abort; i = next++) SyncOne(conn, config, quiet, lease, *todo[i]);
    } catch (...) {
      abort = true;
      std::lock_guard lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  size_t n = std::min(static_cast<size_t>(jobs), todo.size());
  for (size_t i = 0; i < n; ++i) workers.emplace_back(worker);
  for (std::thread& t : workers) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace

int JobsForRun(int requested, int max_jobs, unsigned cpus) {
  int wanted = requested > 0 ? requested : static_cast<int>(std::clamp(cpus, 1U, static_cast<unsigned>(kMaxJobs)));
  return std::clamp(wanted, 1, std::max(max_jobs, 1));
}

ExitCode RunSync(const Config& config, const RunOptions& o) {
  const std::string& cluster = config.RequireCluster();
  PgConn conn = PgConn::Connect(NodeConnectSpec(config, "sync-run"));
  CheckSyncRolePrivileges(conn, cluster);
  std::vector<DeploymentInfo> deployments = ListDeployments(conn, cluster, false);
  if (!o.deployment.empty()) {
    std::erase_if(deployments, [&](const DeploymentInfo& d) { return d.name != o.deployment; });
    if (deployments.empty()) {
      throw Error(ExitCode::kNo, fmt::format("no enabled deployment named '{}' in cluster {}", o.deployment, cluster),
                  "see `sync-schema deployment list`");
    }
  }
  // Only the lease holder writes; a dry run writes nothing.
  std::optional<LeaseKeeper> lease;
  if (!o.dry_run) lease.emplace(TakeWriteLease(conn, config, "sync-run"));

  std::map<int64_t, DeploymentState> states = LoadDeploymentStates(conn);
  const std::string settings = SyncSettingsFingerprint(config);
  std::vector<DeploymentResult> results(deployments.size());
  std::vector<DeploymentResult*> todo;
  std::vector<int64_t> unchanged;
  for (size_t i = 0; i < deployments.size(); ++i) {
    DeploymentResult& r = results[i];
    r.deployment = deployments[i];
    auto started = Clock::now();
    // Taken before the file is opened: a commit after it only makes the next run read.
    r.skip_key = SkipKey(SqliteFileState(r.deployment.sqlite_path), r.deployment, settings);
    auto state = states.find(r.deployment.id);
    if (!o.full && !o.verify && state != states.end() && Unchanged(state->second, r.skip_key)) {
      r.unchanged = true;
      unchanged.push_back(r.deployment.id);
      r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
      if (!o.dry_run) WriteMetrics(config, r);
      continue;
    }
    todo.push_back(&r);
  }
  const int jobs = JobsForRun(o.jobs, config.sync.max_jobs, std::thread::hardware_concurrency());
  if (o.jobs > jobs) Log(LogLevel::kInfo, "--jobs {} capped at [sync] max_jobs = {}", o.jobs, jobs);
  if (jobs > 1 && todo.size() > 1) {
    SyncInParallel(config, o, jobs, lease ? &*lease : nullptr, todo);
  } else {
    for (DeploymentResult* r : todo) SyncOne(conn, config, o, lease ? &*lease : nullptr, *r);
  }
  if (lease && !unchanged.empty()) {
    PgTxn txn(conn, NodeTxnOptions(config));
    lease->Fence(conn);
    RecordUnchanged(conn, unchanged);
    txn.Commit();
  }
  if (!unchanged.empty()) {
    Log(LogLevel::kInfo, "{} of {} deployment(s) unchanged since their last clean run", unchanged.size(),
        deployments.size());
  }
  o.json ? PrintJson(results, o, jobs) : PrintText(results, o);
  // The first failure in deployment order, whichever worker met it first.
  for (const DeploymentResult& r : results) {
    if (r.code != ExitCode::kOk) return r.code;
  }
  bool differs = std::any_of(results.begin(), results.end(), [](const DeploymentResult& r) {
    return std::any_of(r.diffs.begin(), r.diffs.end(), [](const TableDiff& d) { return !d.equal(); });
  });
  return differs ? ExitCode::kNo : ExitCode::kOk;
}

}  // namespace tenantsync

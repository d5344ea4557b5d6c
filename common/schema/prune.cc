#include "common/schema/prune.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "common/pg/txn.h"

namespace tenantsync {
namespace {

struct Category {
  const char* name;
  const char* table;
  const char* id;
  const char* old_rows;  // the rows that may go, older than $1 (an interval in seconds)
};

constexpr Category kJobs{"jobs", "sync_jobs", "job_id",
                         "status IN ('succeeded', 'failed') AND finished_at < clock_timestamp() - $1::interval"};
constexpr Category kConflicts{"conflicts", "conflict_log", "conflict_id",
                              "outcome <> 'pending' AND resolved_at < clock_timestamp() - $1::interval"};
constexpr Category kQuarantine{"quarantine", "quarantine", "quarantine_id",
                               "resolved_at < clock_timestamp() - $1::interval"};
constexpr Category kCacheEvents{"cache_events", "cache_events", "event_id",
                                "created_at < clock_timestamp() - $1::interval"};

std::string Seconds(std::chrono::seconds s) { return std::to_string(s.count()) + " seconds"; }

int64_t Count(PgConn& admin, const Category& c, std::chrono::seconds keep) {
  return std::stoll(std::string(
      admin.ExecOneRow(fmt::format("SELECT count(*) FROM sync_metadata.{} WHERE {}", c.table, c.old_rows),
                       {Seconds(keep)})
          .Get(0, 0)));
}

// One batch of at most kPruneBatchRows, in its own transaction.
int64_t DeleteBatch(PgConn& admin, const Category& c, std::chrono::seconds keep) {
  std::string batch = fmt::format("SELECT {} FROM sync_metadata.{} WHERE {} LIMIT {}", c.id, c.table, c.old_rows,
                                  kPruneBatchRows);
  std::string sql;
  if (&c == &kConflicts) {
    // Counted where /metrics reads them before they go, in the same statement.
    sql = fmt::format(
        "WITH gone AS (DELETE FROM sync_metadata.conflict_log WHERE conflict_id IN ({})"
        "              RETURNING cluster_name, deployment_id, table_name, strategy, outcome),"
        // Rows older than the constraints on conflict_log may hold any text.
        " tally AS (SELECT cluster_name, deployment_id, left(table_name, 255) AS table_name,"
        "                  left(strategy, 64) AS strategy, outcome, count(*) AS n"
        "             FROM gone GROUP BY 1, 2, 3, 4, 5),"
        " kept AS (INSERT INTO sync_metadata.pruned_conflicts AS p"
        "            (cluster_name, deployment_id, table_name, strategy, outcome, conflicts)"
        "          SELECT cluster_name, deployment_id, table_name, strategy, outcome, n FROM tally"
        "          ON CONFLICT (cluster_name, deployment_id, table_name, strategy, outcome)"
        "          DO UPDATE SET conflicts = p.conflicts + EXCLUDED.conflicts RETURNING 1)"
        " SELECT coalesce(sum(n), 0) FROM tally",
        batch);
  } else {
    sql = fmt::format("WITH gone AS (DELETE FROM sync_metadata.{} WHERE {} IN ({}) RETURNING 1)"
                      " SELECT count(*) FROM gone",
                      c.table, c.id, batch);
  }
  PgTxn txn(admin);
  int64_t n = std::stoll(std::string(admin.ExecOneRow(sql, {Seconds(keep)}).Get(0, 0)));
  txn.Commit();
  return n;
}

int64_t Prune(PgConn& admin, const Category& c, std::chrono::seconds keep, bool dry_run) {
  if (dry_run) return Count(admin, c, keep);
  int64_t total = 0;
  for (;;) {
    int64_t n = DeleteBatch(admin, c, keep);
    total += n;
    if (n < kPruneBatchRows) break;
    Log(LogLevel::kInfo, "prune {}: {} rows so far", c.name, total);
  }
  return total;
}

}  // namespace

PruneCounts PruneHistory(PgConn& admin, const RetentionConfig& r, bool dry_run) {
  PruneCounts counts;
  std::vector<std::string> failed;
  // A category that fails (a row it cannot handle) must not stop the others.
  auto each = [&](const Category& c, std::chrono::seconds keep, int64_t& n) {
    try {
      n = Prune(admin, c, keep, dry_run);
    } catch (const PgError& e) {
      if (PQstatus(admin.raw()) != CONNECTION_OK) throw;
      Log(LogLevel::kError, "prune {}: {}", c.name, e.what());
      failed.push_back(c.name);
    }
  };
  each(kJobs, r.jobs, counts.jobs);
  each(kConflicts, r.conflicts, counts.conflicts);
  each(kQuarantine, r.quarantine, counts.quarantine);
  each(kCacheEvents, r.cache_events, counts.cache_events);
  if (!failed.empty()) {
    throw Error(ExitCode::kDataErr, fmt::format("prune failed for {} (the others were pruned: {} jobs, {} conflicts, {} quarantine "
                                "rows, {} cache events)",
                                fmt::join(failed, ", "), counts.jobs, counts.conflicts, counts.quarantine, counts.cache_events),
                    "see the error above; the rows it names can be inspected and removed by hand");
  }
  return counts;
}

}  // namespace tenantsync

// `sync-schema prune`: history older than [retention] goes, open items and
// totals stay, the counters /metrics reports never go down, --dry-run
// removes nothing, and the node's role still cannot delete anything.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/commands/run_command.h"
#include "common/status/status_queries.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

class PruneTest : public TenantTest {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    source_ = tmp_.File("webui.db");
    ExecSqlite(source_, "CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT, updated_at INTEGER);"
                        "INSERT INTO note VALUES ('n1', 'a', 1700000000), ('n2', 'b', 1700000001);");
    AddTenant("acme", source_,
              "CREATE TABLE {schema}.note (id text PRIMARY KEY, body text, updated_at bigint);");
    RunOptions o;
    o.progress = false;
    ASSERT_EQ(RunSync(NodeConfig(), o), ExitCode::kOk);
    dep_ = Scalar("SELECT deployment_id FROM sync_metadata.client_deployments");
    // History as months of ticks would leave it: old and recent job rows,
    // settled and pending conflicts, resolved and open quarantine rows.
    PgConn admin = Admin();
    std::string history = fmt::format(R"sql(
      INSERT INTO sync_metadata.sync_jobs (cluster_name, deployment_id, status, started_at, finished_at, rows_written)
        SELECT '{0}', {1}, 'succeeded', now() - interval '30 days', now() - interval '30 days', 1
          FROM generate_series(1, 25);
      INSERT INTO sync_metadata.sync_jobs (cluster_name, deployment_id, status, started_at)
        VALUES ('{0}', {1}, 'running', now() - interval '30 days');
      INSERT INTO sync_metadata.conflict_log (cluster_name, deployment_id, table_name, row_key, strategy, outcome,
                                              resolved_at, detected_at)
        SELECT '{0}', {1}, 'note', jsonb_build_array(g), 'newest_wins', 'source_applied',
               now() - interval '200 days', now() - interval '200 days'
          FROM generate_series(1, 7) g;
      INSERT INTO sync_metadata.conflict_log (cluster_name, deployment_id, table_name, row_key, strategy, outcome,
                                              detected_at)
        VALUES ('{0}', {1}, 'note', '["p"]', 'manual', 'pending', now() - interval '200 days');
      INSERT INTO sync_metadata.quarantine (cluster_name, deployment_id, table_name, row_key, raw_row, reason,
                                            resolved_at)
        VALUES ('{0}', {1}, 'note', '["old"]', '{{}}', 'x', now() - interval '30 days'),
               ('{0}', {1}, 'note', '["open"]', '{{}}', 'x', NULL);
      INSERT INTO sync_metadata.cache_events (cluster_name, cache_key, created_at)
        VALUES ('{0}', 'k', now() - interval '3 days'), ('{0}', 'k', now());
    )sql",
                                      cluster_, dep_);
    for (size_t at = 0, end; (end = history.find(";\n", at)) != std::string::npos; at = end + 2) {
      admin.Exec(history.substr(at, end - at));
    }
  }

  // Runs the prune with `flags`; it must exit 0 and print `expected`.
  void ExpectPrune(const std::vector<std::string>& flags, const std::string& expected) {
    ProcessResult r = Prune(flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
  }

  ProcessResult Prune(const std::vector<std::string>& flags) {
    std::string config = tmp_.File("admin.toml");
    WriteFile(config, fmt::format("[postgres]\nadmin_conninfo = \"{}\"\n", AdminConninfo()), 0644);
    std::vector<std::string> args = {SYNC_SCHEMA_BIN, "--config", config, "prune"};
    args.insert(args.end(), flags.begin(), flags.end());
    return RunProcess(args);
  }

  // What /metrics reports as counters, read as the node reads them.
  std::string Counters() {
    PgConn node = ConnectForStatus(NodeConfig());
    std::string out;
    for (const StatusJobTotals& j : ReadJobTotals(node)) {
      out += fmt::format("{} {} {} {};", j.deployment, j.status, j.jobs, j.rows_written);
    }
    for (const StatusConflictTotals& c : ReadConflictTotals(node)) {
      out += fmt::format("{} {} {} {};", c.table, c.strategy, c.outcome, c.conflicts);
    }
    return out;
  }

  std::string Counts() {
    return Scalar(
        "SELECT concat_ws(' ', (SELECT count(*) FROM sync_metadata.sync_jobs),"
        " (SELECT count(*) FROM sync_metadata.conflict_log), (SELECT count(*) FROM sync_metadata.quarantine),"
        " (SELECT count(*) FROM sync_metadata.cache_events))");
  }

  std::string source_;
  std::string dep_;
};

TEST_F(PruneTest, DryRunCountsAndRemovesNothing) {
  std::string before = Counts();
  ExpectPrune({"--dry-run", "--json"},
              "\"would_remove\":{\"jobs\":25,\"conflicts\":7,\"quarantine\":1,\"cache_events\":1}");
  EXPECT_EQ(Counts(), before);
}

TEST_F(PruneTest, OldHistoryGoesOpenItemsStayCountersDoNotDecrease) {
  std::string counters = Counters();
  ASSERT_NE(counters.find("note newest_wins source_applied 7;"), std::string::npos) << counters;
  ExpectPrune({}, "removed 25 finished job rows, 7 settled conflicts (counted first), 1 resolved quarantine rows, "
                  "1 cache events");
  // The recent job row of the first sync, the running job, the pending
  // conflict, the open quarantine row and the recent event stay.
  EXPECT_EQ(Counts(), "2 1 1 1");
  EXPECT_EQ(Scalar("SELECT status FROM sync_metadata.sync_jobs WHERE finished_at IS NULL"), "running");
  EXPECT_EQ(Scalar("SELECT row_key::text FROM sync_metadata.quarantine"), "[\"open\"]");
  EXPECT_EQ(Counters(), counters);

  // Again: nothing more to remove, the counters still whole.
  ExpectPrune({"--json"}, "\"removed\":{\"jobs\":0,\"conflicts\":0,\"quarantine\":0,\"cache_events\":0}");
  EXPECT_EQ(Counters(), counters);
}

TEST_F(PruneTest, TheNodeRoleStillCannotDeleteOrForgeTotals) {
  PgConn node = ConnectForStatus(NodeConfig());
  for (const char* table : {"sync_jobs", "conflict_log", "quarantine", "cache_events", "deployment_state",
                            "pruned_conflicts"}) {
    EXPECT_EQ(SqlStateOf(node, fmt::format("DELETE FROM sync_metadata.{}", table)), "42501") << table;
  }
  EXPECT_EQ(SqlStateOf(node,
                       "INSERT INTO sync_metadata.pruned_conflicts (deployment_id, cluster_name, table_name, strategy,"
                       " outcome, conflicts) VALUES ($1, $2, 'note', 'manual', 'pending', -5)",
                       {dep_, cluster_}),
            "42501");
  EXPECT_EQ(SqlStateOf(node, "UPDATE sync_metadata.pruned_conflicts SET conflicts = 0"), "42501");
}

// A node writes its conflicts' strategy and table name: it can no longer
// write values the prune could not count, and such a row from before (the
// constraints do not check old rows) does not stop the prune.
TEST_F(PruneTest, AHostileConflictRowNeitherLandsNorBlocksThePrune) {
  PgConn node = ConnectForStatus(NodeConfig());
  std::string huge;
  for (unsigned i = 0; i < 400; ++i) huge += fmt::format("{:08x}", i * 2654435761u);
  EXPECT_EQ(SqlStateOf(node,
                       "INSERT INTO sync_metadata.conflict_log (deployment_id, table_name, row_key, strategy, outcome,"
                       " resolved_at) VALUES ($1, 'note', '[]', $2, 'source_applied', '-infinity')",
                       {dep_, huge}),
            "23514");
  EXPECT_EQ(SqlStateOf(node,
                       "INSERT INTO sync_metadata.conflict_log (deployment_id, table_name, row_key, strategy, outcome,"
                       " resolved_at) VALUES ($1, $2, '[]', 'manual', 'source_applied', '-infinity')",
                       {dep_, huge}),
            "23514");
  // The same row as if written before the constraints existed.
  PgConn admin = Admin();
  admin.Exec("ALTER TABLE sync_metadata.conflict_log DROP CONSTRAINT conflict_log_strategy_known,"
             " DROP CONSTRAINT conflict_log_table_name_length");
  admin.Exec("INSERT INTO sync_metadata.conflict_log (cluster_name, deployment_id, table_name, row_key, strategy,"
             " outcome, resolved_at) VALUES ($1, $2, $3, '[]', $3, 'source_applied', '-infinity')",
             {cluster_, dep_, huge});
  ExpectPrune({"--json"}, "\"conflicts\":8");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.quarantine"), "1");  // the later categories ran too
}

}  // namespace
}  // namespace tenantsync::testing

// Conflict detection during sync-run, one test per strategy: the same row is
// edited in the SQLite source and in the target, then synced; the target,
// conflict_log (outcome and both images) and later runs are checked.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/commands/run_command.h"
#include "common/files.h"
#include "common/status/status_metrics.h"
#include "tests/integration/conflict_fixture.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kImages = "row_key::text, source_row->>'title', source_row->>'body', target_row->>'title',"
                                " target_row->>'body', strategy, outcome";

TEST_P(ConflictTest, SourceWinsAppliesTheSourceAndLogsBothImages) {
  const char* tables = "[tables.note]\nconflict = \"source_wins\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EditBoth(200, 300);
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, updated_at"), "source title|body|200");
  EXPECT_EQ(Log(kImages), "{\"id\": \"n1\"}|source title|body|title|target body|source_wins|source_applied");
  EXPECT_EQ(Log("resolved_row->>'title', resolved_by, resolved_at IS NOT NULL, epoch > 0"),
            "source title|sync-run|t|t");
  // Settled: another run finds nothing new.
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Logged(), "1");
}

TEST_P(ConflictTest, TargetWinsKeepsTheTargetAndDoesNotReopen) {
  const char* tables = "[tables.note]\nconflict = \"target_wins\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EditBoth(200, 150);
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, updated_at"), "title|target body|150");
  EXPECT_EQ(Log(kImages), "{\"id\": \"n1\"}|source title|body|title|target body|target_wins|target_kept");
  EXPECT_EQ(Log("resolved_row->>'body'"), "target body");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");
  EXPECT_EQ(Logged(), "1");
  // A later change at the source alone is an ordinary change again.
  Source("UPDATE note SET title = 'again', updated_at = 400 WHERE id = 'n1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body"), "again|body");
  EXPECT_EQ(Logged(), "1");
}

TEST_P(ConflictTest, NewestWinsFollowsTheChangeColumn) {
  const char* tables = "[tables.note]\nconflict = \"newest_wins\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EditBoth(200, 300);  // the target is newer
  Source("UPDATE note SET title = 'source 2', updated_at = 500 WHERE id = 'n2'");
  Target("UPDATE client_acme.note SET body = 'target 2', updated_at = 400 WHERE id = 'n2'");  // the source is newer
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, updated_at"), "title|target body|300");
  EXPECT_EQ(Row("note", "n2", "title, body, updated_at"), "source 2|body 2|500");
  EXPECT_EQ(Log("row_key->>'id', outcome, source_row->>'updated_at', target_row->>'updated_at'"),
            "n1|target_kept|200|300\nn2|source_applied|500|400");
}

TEST_P(ConflictTest, NewestWinsTieGoesToTheSource) {
  const char* tables = "[tables.note]\nconflict = \"newest_wins\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EditBoth(200, 200);
  // label has no change column: every conflict there is a tie.
  Source("UPDATE label SET color = 'green' WHERE id = 'l1'");
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body"), "source title|body");
  EXPECT_EQ(Row("label", "l1", "color"), "green");
  EXPECT_EQ(Log("table_name, outcome, target_row->>'color'", "table_name = 'label'"), "label|source_applied|black");
}

TEST_P(ConflictTest, MergeTakesEachSidesChangesAndMergesJsonByKey) {
  const char* tables = "[tables.note]\nconflict = \"merge\"\nmerge_fallback = \"target_wins\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  // The source retitles and changes meta.a; the target rewrites the body,
  // changes meta.b and adds meta.c. updated_at clashes: the fallback keeps
  // the target's.
  Source("UPDATE note SET title = 'source title', meta = '{\"a\": 10, \"b\": 2}', updated_at = 200 WHERE id = 'n1'");
  Target("UPDATE client_acme.note SET body = 'target body', meta = '{\"a\": 1, \"b\": 20, \"c\": 3}',"
         " updated_at = 300 WHERE id = 'n1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, meta::text, updated_at"),
            "source title|target body|{\"a\":10,\"b\":20,\"c\":3}|300");
  EXPECT_EQ(Log("outcome, clashes::text, resolved_row->>'title', source_row->>'body', target_row->>'title'"),
            "merged|{updated_at}|source title|body|title");
  // Settled: neither side changed since, so nothing happens.
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Logged(), "1");
  EXPECT_EQ(Row("note", "n1", "title, body"), "source title|target body");
  // The next change at the source alone lands column by column: what the
  // merge took from the target stays.
  Source("UPDATE note SET body = 'body 3', updated_at = 400 WHERE id = 'n1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, meta::text, updated_at"),
            "source title|body 3|{\"a\":10,\"b\":20,\"c\":3}|400");
  EXPECT_EQ(Logged(), "1");
}

TEST_P(ConflictTest, ManualWaitsAndSurvivesFurtherRuns) {
  const char* tables = "[tables.note]\nconflict = \"manual\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EditBoth(200, 300);
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");  // nothing applied
  EXPECT_EQ(Log(kImages), "{\"id\": \"n1\"}|source title|body|title|target body|manual|pending");
  EXPECT_EQ(Log("resolved_row IS NULL, resolved_by IS NULL"), "t|t");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Logged(), "1");
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");
  // The source changes again: the newer conflict supersedes the old one,
  // which keeps its images.
  Source("UPDATE note SET title = 'source title 2', updated_at = 400 WHERE id = 'n1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Log("outcome, source_row->>'title'"), "superseded|source title\npending|source title 2");
}

TEST_P(ConflictTest, TargetOnlyEditIsNeverOverwritten) {
  const char* tables = "[tables.note]\nconflict = \"source_wins\"\n[tables.label]\nconflict = \"source_wins\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  Target("UPDATE client_acme.note SET body = 'edited in the replica' WHERE id = 'n2'");
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l2'");
  // Other rows change at the source; label is compared whole on every run
  // and a full pass reads every note too.
  Source("UPDATE note SET title = 'changed', updated_at = 200 WHERE id = 'n1';"
         "UPDATE label SET color = 'green' WHERE id = 'l1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  RunOptions full;
  full.full = true;
  full.progress = false;
  ASSERT_EQ(RunSync(NodeConfig(tables), full), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n2", "body"), "edited in the replica");
  EXPECT_EQ(Row("label", "l2", "color"), "black");
  EXPECT_EQ(Row("note", "n1", "title"), "changed");
  EXPECT_EQ(Row("label", "l1", "color"), "green");
  EXPECT_EQ(Logged(), "0");
}

TEST_P(ConflictTest, SameChangeOnBothSidesIsNoConflict) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  Source("UPDATE label SET color = 'green' WHERE id = 'l1'");
  Target("UPDATE client_acme.label SET color = 'green' WHERE id = 'l1'");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  // Later the source alone changes it: an ordinary write.
  Source("UPDATE label SET color = 'white' WHERE id = 'l1'");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  EXPECT_EQ(Row("label", "l1", "color"), "white");
  EXPECT_EQ(Logged(), "0");
}

TEST_P(ConflictTest, ANoOpUpdateInTheTargetIsNoConflict) {
  const char* tables = "[tables.note]\nconflict = \"manual\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  // Rewrites every row unchanged: each xmin moves (as after a restore), so
  // the rows take the digest path, which finds the targets as written.
  Target("UPDATE client_acme.note SET title = title");
  Source("UPDATE note SET title = 'changed', updated_at = 200 WHERE id = 'n1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title"), "changed");
  EXPECT_EQ(Logged(), "0");
}

TEST_P(ConflictTest, ATargetEmptiedByHandIsCopiedAgainOverItsOldVersions) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  Target("DELETE FROM client_acme.label");
  RunOptions full;
  full.full = true;
  full.progress = false;
  // An initial copy again (the table is empty), but its rows' versions are
  // still on record: they are overwritten, not a duplicate-key failure.
  ASSERT_EQ(RunSync(NodeConfig(""), full), ExitCode::kOk);
  EXPECT_EQ(Row("label", "l1", "name, color"), "work|red");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.quarantine"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.row_versions WHERE table_name = 'label'"), "2");
  // The rewritten versions hold: a later target-only edit is kept.
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l2'");
  ASSERT_EQ(RunSync(NodeConfig(""), full), ExitCode::kOk);
  EXPECT_EQ(Row("label", "l2", "color"), "black");
  EXPECT_EQ(Logged(), "0");
}

TEST_P(ConflictTest, ADeleteOfAnEditedRowIsLoggedWithItsImage) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l1'");
  Target("INSERT INTO client_acme.label VALUES ('l3', 'added in the replica', NULL)");
  Source("DELETE FROM label WHERE id = 'l2'");  // untouched in the target: not logged
  RunOptions full;
  full.full = true;
  full.progress = false;
  Config config = NodeConfig("[sync]\nmax_delete_share = 1.0\n");
  ASSERT_EQ(RunSync(config, full), ExitCode::kOk);
  Source("DELETE FROM label WHERE id = 'l1'");
  ASSERT_EQ(RunSync(config, full), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.label"), "0");
  // (concat_ws skips l3's NULL color.)
  EXPECT_EQ(Log("row_key->>'id', source_row IS NULL, target_row->>'color', outcome"),
            "l3|t|source_applied\nl1|t|black|source_applied");
}

TEST_P(ConflictTest, ConflictsAreCountedInTheMetrics) {
  const char* tables = "[tables.note]\nconflict = \"source_wins\"\n[tables.label]\nconflict = \"manual\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EditBoth(200, 300);
  Source("UPDATE label SET color = 'green' WHERE id = 'l1'");
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  std::string body = RenderStatusMetrics(NodeConfig(tables), false);
  for (const char* line : {
           "tenantsync_conflicts_detected_total{deployment=\"acme\",table=\"label\",strategy=\"manual\"} 1\n",
           "tenantsync_conflicts_detected_total{deployment=\"acme\",table=\"note\",strategy=\"source_wins\"} 1\n",
           "tenantsync_conflicts_resolved_total{deployment=\"acme\",table=\"note\",strategy=\"source_wins\","
           "outcome=\"source_applied\"} 1\n",
           "tenantsync_conflicts_pending{deployment=\"acme\"} 1\n",
           // The run's own textfile: what that run found.
           "tenantsync_sync_last_run_conflicts{deployment=\"acme\",table=\"label\",strategy=\"manual\","
           "outcome=\"pending\"} 1\n",
       }) {
    EXPECT_NE(body.find(line), std::string::npos) << line << "\n" << body;
  }
  // A pending conflict is detected, not resolved.
  EXPECT_EQ(body.find("tenantsync_conflicts_resolved_total{deployment=\"acme\",table=\"label\""), std::string::npos);
  if (system("command -v promtool >/dev/null 2>&1") == 0) {
    std::string path = tmp_.File("metrics.prom");
    WriteFile(path, body, 0644);
    ProcessResult check = RunProcess({"/bin/sh", "-c", "promtool check metrics < \"$0\"", path});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err << "\n" << body;
  }
}

TEST_P(ConflictTest, WithoutDetectionTheSourceOverwritesAndNothingIsRecorded) {
  const char* tables = "[tables.label]\ndetect_conflicts = false\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l2'");
  Source("UPDATE label SET color = 'green' WHERE id = 'l1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("label", "l1", "color"), "green");
  EXPECT_EQ(Row("label", "l2", "color"), "blue");  // the replica's edit is gone
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.row_versions WHERE table_name = 'label'"), "0");
  // Detection on (note): the table has the capture trigger, or versions
  // of its rows; off (label): neither.
  EXPECT_EQ(Scalar("SELECT coalesce(string_agg(c.relname, ',' ORDER BY c.relname), '') FROM pg_trigger t"
                   " JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = 'tenantsync_capture' AND t.tgenabled = 'A'"),
            Captured() ? "note" : "");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.row_versions WHERE table_name = 'note'"),
            Captured() ? "0" : "2");
  EXPECT_EQ(Logged(), "0");
}

// A row PostgreSQL refuses rolls its batch back to a savepoint and the
// batch is halved: the conflict in it is still settled and logged once.
TEST_P(ConflictTest, AConflictBesideARefusedRowIsSettledOnce) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  Target("ALTER TABLE client_acme.note ADD CONSTRAINT short_title CHECK (length(title) < 40)");
  EditBoth(200, 300);  // newest_wins: the target is newer
  Source("INSERT INTO note VALUES ('n3', 'a title far too long for the check in the target', 'b', '{}', 250)");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  EXPECT_EQ(Log("row_key->>'id', outcome"), "n1|target_kept");
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");
  EXPECT_EQ(QuarantinedFor("short_title"), "n3 true");
}

// Here the refused row is the conflict's own: settled for the source, its
// write fails, after the settling ran inside the attempt that rolls back.
TEST_P(ConflictTest, AConflictWhoseSourceIsRefusedIsQuarantined) {
  const char* tables = "[tables.note]\nconflict = \"source_wins\"\n";
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  Target("ALTER TABLE client_acme.note ADD CONSTRAINT short_title CHECK (length(title) < 40)");
  Source("UPDATE note SET title = 'a title far too long for the check in the target', updated_at = 200"
         " WHERE id = 'n1'");
  Target("UPDATE client_acme.note SET body = 'target body' WHERE id = 'n1'");
  ASSERT_EQ(Sync(tables), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");
  EXPECT_EQ(QuarantinedFor("short_title"), "n1 true");
}

INSTANTIATE_TEST_SUITE_P(, ConflictTest, ::testing::Bool(), ConflictModeName);

}  // namespace
}  // namespace tenantsync::testing

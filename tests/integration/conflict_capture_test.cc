// Other writers and the sync at the same time, in both detection modes
// (ConflictTest's parameter, instantiated in conflict_test.cc): rows already
// in the target before the first sync, a change committed by another writer
// while sync-run's merge waits for its row, and what the capture trigger
// records.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/integration/conflict_fixture.h"

namespace tenantsync::testing {
namespace {

TEST_P(ConflictTest, RowsInTheTargetBeforeTheFirstSyncAreNotTheSyncs) {
  Target("INSERT INTO client_acme.label VALUES ('l1', 'work', 'purple')");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  // Both sides added l1, differently: a conflict (newest_wins; label has no
  // change column, so the source), logged with the target's image.
  EXPECT_EQ(Row("label", "l1", "color"), "red");
  EXPECT_EQ(Log("row_key->>'id', source_row->>'color', target_row->>'color', outcome"),
            "l1|red|purple|source_applied");
  EXPECT_EQ(Row("label", "l2", "color"), "blue");
}

// The other writer's UPDATE holds l1's row lock while sync-run's merge
// reaches that row, so it commits after the merge statement's snapshot was
// taken: the merge must not overwrite it unseen.
TEST_P(ConflictTest, AChangeCommittedWhileTheMergeWaitsForTheRowIsAConflict) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  Source("UPDATE label SET color = 'green' WHERE id = 'l1'");
  PgConn writer = Admin();
  writer.Exec("BEGIN");
  writer.Exec("UPDATE client_acme.label SET color = 'black' WHERE id = 'l1'");
  ExitCode synced = ExitCode::kSoftware;
  std::thread sync([&] { synced = Sync(""); });
  bool waiting = false;
  for (int i = 0; i < 1000 && !waiting; ++i) {
    waiting = Scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                     " AND usename <> current_user") != "0";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  writer.Exec("COMMIT");
  sync.join();
  ASSERT_TRUE(waiting) << "sync-run never waited for the row";
  ASSERT_EQ(synced, ExitCode::kOk);
  EXPECT_EQ(Log("row_key->>'id', source_row->>'color', target_row->>'color', outcome"),
            "l1|green|black|source_applied");
  EXPECT_EQ(Row("label", "l1", "color"), "green");
}

// The capture trigger's own behaviour: only where sync-run installs it.
class CaptureTriggerTest : public ConflictTest {};

TEST_P(CaptureTriggerTest, RecordsOnlyOtherWritersBases) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  const char* versions = "SELECT coalesce(string_agg(concat_ws('|', row_key, source_digest = target_digest,"
                         " target_image->>'color'), ',' ORDER BY row_key), '') FROM sync_metadata.row_versions"
                         " WHERE table_name = 'label'";
  EXPECT_EQ(Scalar(versions), "");  // the sync's own writes leave none
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l2'");
  Target("INSERT INTO client_acme.label VALUES ('l3', 'added', 'white')");
  // l2's base is what the sync wrote (blue); l3 has none.
  EXPECT_EQ(Scalar(versions), "(l2)|t|blue,(l3)");
  // A second change keeps the first base.
  Target("UPDATE client_acme.label SET color = 'gray' WHERE id = 'l2'");
  EXPECT_EQ(Scalar(versions), "(l2)|t|blue,(l3)");

  ASSERT_EQ(Sync(""), ExitCode::kOk);
  EXPECT_EQ(Row("label", "l2", "color"), "gray");  // a target-only edit: kept
  EXPECT_EQ(Logged(), "0");
  // A column added on both sides changes what the sync digests: the trigger
  // is replaced, and goes on recording over the new column list.
  Source("ALTER TABLE label ADD COLUMN icon TEXT");
  Target("ALTER TABLE client_acme.label ADD COLUMN icon text");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT position('icon' in encode(tgargs, 'escape')) > 0 FROM pg_trigger"
                   " WHERE tgname = 'tenantsync_capture' AND tgrelid = 'client_acme.label'::regclass"),
            "t");
  // l1's base is digested over the new columns, so the source reads as
  // unchanged and the target-only edit is kept.
  Target("UPDATE client_acme.label SET icon = 'star' WHERE id = 'l1'");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  EXPECT_EQ(Row("label", "l1", "icon"), "star");
}

// The trigger runs inside other writers' statements and must never fail
// one: here a column it digests was dropped in the target (a migration, say)
// before sync-run could replace it.
TEST_P(CaptureTriggerTest, NeverFailsAnotherWritersChange) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  Target("ALTER TABLE client_acme.label DROP COLUMN color");
  Target("UPDATE client_acme.label SET name = 'edited' WHERE id = 'l1'");  // throws if the trigger fails
  // The base is unknown: recorded as not tenantsync's.
  EXPECT_EQ(Scalar("SELECT source_digest IS NULL FROM sync_metadata.row_versions WHERE row_key = '(l1)'"), "t");
  // So the row's next source change is a conflict, logged, not an
  // overwrite unseen.
  Source("UPDATE label SET name = 'renamed' WHERE id = 'l1'");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  EXPECT_EQ(Log("row_key->>'id', source_row->>'name', target_row->>'name', outcome"),
            "l1|renamed|edited|source_applied");
}

INSTANTIATE_TEST_SUITE_P(, CaptureTriggerTest, ::testing::Values(true), ConflictModeName);

// Tables synced without the trigger (before 006, or while an operator kept
// it disabled) have a version row for every row. Once it is installed, the
// rows nobody else changed lose theirs; the others keep them, and still
// make conflicts.
class VersionsBeforeTheTriggerTest : public ConflictTest {};

TEST_P(VersionsBeforeTheTriggerTest, InstallingItDropsTheVersionsItMakesRedundant) {
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  const char* versions = "SELECT coalesce(string_agg(row_key, ',' ORDER BY row_key), '') FROM"
                         " sync_metadata.row_versions WHERE table_name = 'label'";
  EXPECT_EQ(Scalar(versions), "(l1),(l2)");
  Target("UPDATE client_acme.label SET color = 'black' WHERE id = 'l2'");  // no trigger to see it
  for (const char* table : {"note", "label"}) {
    Target(fmt::format("DROP TRIGGER tenantsync_capture ON client_acme.{}", table));  // the operator's placeholder
  }
  // The source did not change, so an ordinary tick would not open it: the
  // trigger returns with its next change, its reconcile, or --full.
  ASSERT_EQ(Sync("", /*full=*/true), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'tenantsync_capture' AND tgenabled = 'A'"), "2");
  EXPECT_EQ(Scalar(versions), "(l2)");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.row_versions WHERE table_name = 'note'"), "0");
  // l2's target edit is still known for what it is.
  Source("UPDATE label SET color = 'green' WHERE id IN ('l1', 'l2')");
  ASSERT_EQ(Sync(""), ExitCode::kOk);
  EXPECT_EQ(Log("row_key->>'id', source_row->>'color', target_row->>'color', outcome"), "l2|green|black|source_applied");
  EXPECT_EQ(Row("label", "l1", "color"), "green");
}

INSTANTIATE_TEST_SUITE_P(, VersionsBeforeTheTriggerTest, ::testing::Values(false), ConflictModeName);

}  // namespace
}  // namespace tenantsync::testing

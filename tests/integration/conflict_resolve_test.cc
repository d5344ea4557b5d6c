// sync-resolve on conflicts logged by real sync-runs: settling by hand
// (source, target, merged), re-running a strategy, refusing to write over a
// target that moved, fencing, and what the next sync-run does afterwards.
#include <gtest/gtest.h>

#include "common/commands/resolve_command.h"
#include "common/lease/lease.h"
#include "common/pg/connect_spec.h"
#include "common/sync/run_records.h"
#include "tests/integration/conflict_fixture.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kManual = "[tables.note]\nconflict = \"manual\"\n";

class ConflictResolveTest : public ConflictTest {
 protected:
  // A pending manual conflict on n1: the source retitled it (stamp 200),
  // the target rewrote its body (stamp 300).
  void MakePending() {
    ASSERT_EQ(Sync(kManual), ExitCode::kOk);
    EditBoth(200, 300);
    ASSERT_EQ(Sync(kManual), ExitCode::kOk);
    ASSERT_EQ(Log("outcome"), "pending");
  }
  ResolveOptions Apply(Take take) {
    ResolveOptions o;
    o.command = ResolveOptions::Command::kApply;
    o.filter.ids = {PendingId()};
    o.take = take;
    return o;
  }
};

TEST_P(ConflictResolveTest, TakeTargetEndsItAndTheNextSyncDoesNotReopenIt) {
  MakePending();
  ASSERT_EQ(Resolve(kManual, Apply(Take::kTarget)), ExitCode::kOk);
  EXPECT_EQ(Log("outcome, resolved_row->>'body', resolved_by LIKE 'sync-resolve by %', resolved_at IS NOT NULL"),
            "target_kept|target body|t|t");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Sync(kManual), ExitCode::kOk);
  EXPECT_EQ(Logged(), "1");
  EXPECT_EQ(Row("note", "n1", "title, body, updated_at"), "title|target body|300");
  // Both images are still there.
  EXPECT_EQ(Log("source_row->>'title', target_row->>'body'"), "source title|target body");
}

TEST_P(ConflictResolveTest, TakeSourceWritesTheLoggedSourceImage) {
  MakePending();
  ASSERT_EQ(Resolve(kManual, Apply(Take::kSource)), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, updated_at"), "source title|body|200");
  EXPECT_EQ(Log("outcome"), "source_applied");
  ASSERT_EQ(Sync(kManual), ExitCode::kOk);
  EXPECT_EQ(Logged(), "1");
  EXPECT_EQ(Row("note", "n1", "title, body"), "source title|body");
}

TEST_P(ConflictResolveTest, TakeMergedCombinesBothSidesOnceTheClashHasARule) {
  // A merge table whose clashes wait for a person: both sides stamped
  // updated_at, so the merge is held.
  const char* held = "[tables.note]\nconflict = \"merge\"\nmerge_fallback = \"manual\"\n";
  ASSERT_EQ(Sync(held), ExitCode::kOk);
  EditBoth(200, 300);
  ASSERT_EQ(Sync(held), ExitCode::kOk);
  ASSERT_EQ(Log("outcome, clashes::text"), "pending|{updated_at}");
  EXPECT_EQ(Resolve(held, Apply(Take::kMerged)), ExitCode::kNo);  // still no rule for the clash
  EXPECT_EQ(Log("outcome"), "pending");
  // With a rule for clashes (the newer stamp), the merge takes the source's
  // title and the target's body.
  const char* ruled = "[tables.note]\nconflict = \"merge\"\nmerge_fallback = \"newest_wins\"\n";
  ASSERT_EQ(Resolve(ruled, Apply(Take::kMerged)), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, updated_at"), "source title|target body|300");
  EXPECT_EQ(Log("outcome, resolved_row->>'title', resolved_row->>'body'"), "merged|source title|target body");
  ASSERT_EQ(Sync(ruled), ExitCode::kOk);
  EXPECT_EQ(Logged(), "1");
  EXPECT_EQ(Row("note", "n1", "title, body"), "source title|target body");
}

TEST_P(ConflictResolveTest, DryRunChangesNothing) {
  MakePending();
  ResolveOptions o = Apply(Take::kSource);
  o.dry_run = true;
  ASSERT_EQ(Resolve(kManual, o), ExitCode::kOk);
  EXPECT_EQ(Log("outcome"), "pending");
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");
}

TEST_P(ConflictResolveTest, RefusesToWriteOverATargetThatMovedSinceTheConflict) {
  MakePending();
  Target("UPDATE client_acme.note SET body = 'newer still' WHERE id = 'n1'");
  EXPECT_EQ(Resolve(kManual, Apply(Take::kSource)), ExitCode::kNo);
  EXPECT_EQ(Log("outcome"), "pending");
  EXPECT_EQ(Row("note", "n1", "body"), "newer still");
  // Keeping the target is always safe.
  EXPECT_EQ(Resolve(kManual, Apply(Take::kTarget)), ExitCode::kOk);
  EXPECT_EQ(Log("outcome, resolved_row->>'body'"), "target_kept|newer still");
}

TEST_P(ConflictResolveTest, AutoRerunsAStrategyOnPendingConflicts) {
  MakePending();
  ResolveOptions o;
  o.command = ResolveOptions::Command::kAuto;
  EXPECT_EQ(Resolve(kManual, o), ExitCode::kNo);  // the table's strategy is manual: left alone
  EXPECT_EQ(Log("outcome"), "pending");
  o.strategy = ConflictStrategy::kNewestWins;      // the target's stamp (300) is newer
  ASSERT_EQ(Resolve(kManual, o), ExitCode::kOk);
  EXPECT_EQ(Log("outcome"), "target_kept");
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");
}

TEST_P(ConflictResolveTest, FilterSelectsByTableAndNothingMatchedIsExitOne) {
  MakePending();
  ResolveOptions o;
  o.command = ResolveOptions::Command::kApply;
  o.take = Take::kSource;
  o.filter.table = "label";
  EXPECT_EQ(Resolve(kManual, o), ExitCode::kNo);
  o.filter.table = "note";
  EXPECT_EQ(Resolve(kManual, o), ExitCode::kOk);
  EXPECT_EQ(Log("outcome"), "source_applied");
  ResolveOptions list;
  list.filter.pending_only = true;
  EXPECT_EQ(Resolve(kManual, list), ExitCode::kNo);
}

TEST_P(ConflictResolveTest, OnlyTheLeaseHolderWrites) {
  MakePending();
  // The lease this node's sync-runs held expires, and another node of the
  // cluster takes it.
  PgConn admin = Admin();
  admin.Exec("UPDATE sync_metadata.leader_election SET expires_at = clock_timestamp() - interval '1 second'");
  Config other = NodeConfig(kManual + std::string("\n"));
  other.node.name = "node-b";
  PgConn conn = PgConn::Connect(NodeConnectSpec(other, "test"));
  int64_t host = RegisterHost(conn, "node-b", "test");
  ASSERT_TRUE(AcquireOrRenew(conn, host, 60).leader());
  EXPECT_THROW(Resolve(kManual, Apply(Take::kSource)), LeaseLostError);
  EXPECT_EQ(Log("outcome"), "pending");
}

// A conflict an older version logged (row_to_json images, no digests) is
// refused with a hint, and a full pass logs it again in the exact form.
TEST_P(ConflictResolveTest, AConflictLoggedByAnOlderVersionIsRefusedUntilAFullPassLogsItAgain) {
  MakePending();
  Target("UPDATE sync_metadata.conflict_log SET source_row = source_row::jsonb::json,"
         " target_row = target_row::jsonb::json, source_digest = NULL, target_digest = NULL");
  std::string config = WriteNodeConfig(kManual);
  std::string old_id = std::to_string(PendingId());
  ProcessResult refused =
      RunProcess({SYNC_RESOLVE_BIN, "--config", config, "apply", old_id, "--take", "source", "--json"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.out.find("logged by an older version"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("sync-run --full"), std::string::npos) << refused.out;
  EXPECT_EQ(Row("note", "n1", "title, body"), "title|target body");

  ASSERT_EQ(Sync(kManual, true), ExitCode::kOk);
  EXPECT_EQ(Log("outcome, source_digest IS NOT NULL"), "superseded|f\npending|t");
  ASSERT_EQ(Resolve(kManual, Apply(Take::kSource)), ExitCode::kOk);
  EXPECT_EQ(Row("note", "n1", "title, body, updated_at"), "source title|body|200");
}

TEST_P(ConflictResolveTest, TheToolListsShowsAndSettles) {
  MakePending();
  std::string config = WriteNodeConfig(kManual);
  std::string id = std::to_string(PendingId());
  ProcessResult list = RunProcess({SYNC_RESOLVE_BIN, "--config", config, "list", "--pending", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("\"outcome\":\"pending\""), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("\"clashes\":[]"), std::string::npos) << list.out;
  // Images give each column's text form, SQL NULL as null.
  EXPECT_NE(list.out.find(R"("source_row":{"id" : "n1", "title" : "source title", "body" : "body", )"
                          R"("meta" : "{\"a\": 1, \"b\": 2}", "updated_at" : "200"})"),
            std::string::npos)
      << list.out;

  ProcessResult show = RunProcess({SYNC_RESOLVE_BIN, "--config", config, "show", id});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  // Differing columns are marked; equal ones are not.
  EXPECT_NE(show.out.find("* title"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("* body"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("  id"), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("\033["), std::string::npos);  // no colour when stdout is not a terminal
  // On a terminal (script(1) gives it one) the differing columns are red.
  if (system("command -v script >/dev/null 2>&1") == 0) {
    ProcessResult tty = RunProcess({"/usr/bin/script", "-qec",
                                    std::string(SYNC_RESOLVE_BIN) + " --config " + config + " show " + id, "/dev/null"},
                                   {"TERM=xterm"});
    EXPECT_NE(tty.out.find("\033[1;31m* title"), std::string::npos) << tty.out;
    EXPECT_EQ(tty.out.find("\033[1;31m  id"), std::string::npos) << tty.out;
  }

  ProcessResult dry = RunProcess({SYNC_RESOLVE_BIN, "--config", config, "apply", id, "--take", "target", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(Log("outcome"), "pending");
  ProcessResult apply = RunProcess({SYNC_RESOLVE_BIN, "--config", config, "apply", id, "--take", "target"});
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_EQ(Log("outcome"), "target_kept");
  ProcessResult again = RunProcess({SYNC_RESOLVE_BIN, "--config", config, "apply", id, "--take", "target"});
  EXPECT_EQ(again.exit_code, 1);  // nothing pending matched
  ProcessResult usage = RunProcess({SYNC_RESOLVE_BIN, "--config", config, "apply", "--take", "target"});
  EXPECT_EQ(usage.exit_code, 64);  // neither ids nor a filter
}

INSTANTIATE_TEST_SUITE_P(, ConflictResolveTest, ::testing::Bool(), ConflictModeName);

}  // namespace
}  // namespace tenantsync::testing

#include "common/sqlite/file_state.h"

#include <gtest/gtest.h>

#include <string>

#include "common/sqlite/db.h"
#include "tests/unit/temp_dir.h"

namespace tenantsync {
namespace {

void Read(const std::string& path) {
  SqliteDb reader = SqliteDb::OpenReadOnly(path, 1000);
  SqliteStmt count = reader.Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.Step());
}

TEST(SqliteFileStateTest, RollbackJournalEveryCommitChangesItReadsDoNot) {
  ScopedTempDir dir;
  std::string path = dir.File("webui.db");
  {
    SqliteDb db = SqliteDb::OpenReadWrite(path);
    db.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  }
  std::string before = SqliteFileState(path);
  ASSERT_FALSE(before.empty());
  Read(path);
  EXPECT_EQ(SqliteFileState(path), before);
  SqliteDb writer = SqliteDb::OpenReadWrite(path);
  writer.Exec("INSERT INTO t(v) VALUES ('a')");
  std::string after_one = SqliteFileState(path);
  EXPECT_NE(after_one, before);
  // Right after: the same size, maybe the same mtime tick; the counter moves.
  writer.Exec("UPDATE t SET v = 'b'");
  EXPECT_NE(SqliteFileState(path), after_one);
}

// A WAL database with table t and one row, written through `app`.
void MakeWalTable(SqliteDb& app) {
  app.Exec("PRAGMA journal_mode = WAL");
  app.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  app.Exec("INSERT INTO t(v) VALUES ('a')");
}

TEST(SqliteFileStateTest, WalEveryCommitChangesItReadsDoNot) {
  ScopedTempDir dir;
  std::string path = dir.File("webui.db");
  // The app's connection stays open, so the -wal and -shm files stay.
  SqliteDb app = SqliteDb::OpenReadWrite(path);
  MakeWalTable(app);
  std::string before = SqliteFileState(path);
  ASSERT_NE(before.find("|shm "), std::string::npos) << before;
  Read(path);
  EXPECT_EQ(SqliteFileState(path), before);
  app.Exec("UPDATE t SET v = 'b'");
  std::string after_one = SqliteFileState(path);
  EXPECT_NE(after_one, before);
  app.Exec("UPDATE t SET v = 'c'");
  EXPECT_NE(SqliteFileState(path), after_one);
  // A checkpoint that resets the WAL, then a commit that fits in the old
  // WAL's length: still a different state.
  app.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::string checkpointed = SqliteFileState(path);
  app.Exec("UPDATE t SET v = 'd'");
  EXPECT_NE(SqliteFileState(path), checkpointed);
}

// The app closed its last connection (SQLite then checkpoints and removes
// the -wal file); a reader opening the database recreates an empty -wal and
// a -shm. Nothing was committed, so the next run must still find the
// tenant unchanged.
TEST(SqliteFileStateTest, WalAReaderThatCreatesTheEmptyWalChangesNothing) {
  ScopedTempDir dir;
  std::string path = dir.File("webui.db");
  {
    SqliteDb app = SqliteDb::OpenReadWrite(path);
    MakeWalTable(app);
  }
  std::string before = SqliteFileState(path);
  ASSERT_FALSE(before.empty());
  {
    SqliteDb reader = SqliteDb::OpenReadOnly(path, 1000);
    SqliteStmt count = reader.Prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count.Step());
    EXPECT_EQ(SqliteFileState(path), before);
  }
  EXPECT_EQ(SqliteFileState(path), before);
  {
    SqliteDb app = SqliteDb::OpenReadWrite(path);
    app.Exec("UPDATE t SET v = 'b'");
    EXPECT_NE(SqliteFileState(path), before);  // the commit sits in the WAL
  }
  EXPECT_NE(SqliteFileState(path), before);  // checkpointed into the file on close
}

TEST(SqliteFileStateTest, AMissingFileHasNoState) {
  ScopedTempDir dir;
  EXPECT_EQ(SqliteFileState(dir.File("missing.db")), "");
}

}  // namespace
}  // namespace tenantsync

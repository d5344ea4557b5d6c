#include "common/sqlite/db.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace tenantsync {
namespace {

// Creates `path` with table t(id, v) holding `rows` rows of 100-byte text.
void MakeDb(const std::string& path, int rows, std::string_view tag = "row") {
  SqliteDb db = SqliteDb::OpenReadWrite(path);
  db.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  SqliteStmt insert = db.Prepare("INSERT INTO t(id, v) VALUES(?1, ?2 || printf('%097d', ?1))");
  db.Exec("BEGIN");
  for (int64_t i = 1; i <= rows; ++i) {
    insert.Bind(1, i);
    insert.Bind(2, tag);
    insert.Step();
    insert.Reset();
  }
  db.Exec("COMMIT");
}

int64_t QueryInt(SqliteDb& db, std::string_view sql) {
  SqliteStmt stmt = db.Prepare(sql);
  EXPECT_TRUE(stmt.Step()) << sql;
  return stmt.Int(0);
}

// The SqliteError thrown by `action`; fails the test when there is none.
SqliteError ErrorFrom(const std::function<void()>& action) {
  try {
    action();
  } catch (const SqliteError& e) {
    return e;
  }
  ADD_FAILURE() << "no SqliteError";
  return SqliteError(ExitCode::kOk, "", SQLITE_OK);
}

TEST(SqliteDbTest, MissingFileIsNoInput) {
  ScopedTempDir dir;
  std::string path = dir.File("absent.db");
  SqliteError e = ErrorFrom([&] { SqliteDb::OpenReadOnly(path, 0); });
  EXPECT_EQ(ToInt(e.code()), 66);
  EXPECT_EQ(e.sqlite_code(), SQLITE_CANTOPEN);
  EXPECT_EQ(std::string(e.what()), "sqlite " + path + ": No such file or directory");
  EXPECT_FALSE(std::filesystem::exists(path)) << "a read-only open created the file";
}

TEST(SqliteDbTest, ZeroLengthFileIsAnEmptyDatabase) {
  // SQLite treats a zero-length file as a valid database with no tables, so
  // OpenReadOnly accepts it; the caller sees "no such table" later.
  ScopedTempDir dir;
  std::string path = dir.File("empty.db");
  WriteFileBytes(path, "");
  SqliteDb db = SqliteDb::OpenReadOnly(path, 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM sqlite_schema"), 0);
  EXPECT_EQ(std::filesystem::file_size(path), 0u);
}

TEST(SqliteDbTest, NotADatabaseIsDataErr) {
  std::mt19937 random(12345);  // fixed seed: the same bytes every run
  std::string noise(8192, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xff);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"text", "not a database\n"},
      {"noise", noise},
      {"short", "SQLite"},
      {"bad-header", std::string("SQLite format 3\0", 16) + std::string(4080, '\x01')},
  };
  for (const auto& [name, bytes] : cases) {
    ScopedTempDir dir;
    std::string path = dir.File(name + ".db");
    WriteFileBytes(path, bytes);
    SqliteError e = ErrorFrom([&] { SqliteDb::OpenReadOnly(path, 0); });
    EXPECT_EQ(ToInt(e.code()), 65) << name << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_EQ(ReadFileBytes(path), bytes) << name << " was modified";
  }
}

TEST(SqliteDbTest, TruncatedDatabaseIsDataErr) {
  ScopedTempDir dir;
  std::string path = dir.File("app.db");
  MakeDb(path, 2000);
  uintmax_t size = std::filesystem::file_size(path);
  ASSERT_GT(size, 40u * 4096u);
  std::filesystem::resize_file(path, size / 2);

  SqliteError e = ErrorFrom([&] {
    SqliteDb db = SqliteDb::OpenReadOnly(path, 0);
    SqliteStmt stmt = db.Prepare("SELECT v FROM t ORDER BY id");
    while (stmt.Step()) {
    }
  });
  EXPECT_EQ(ToInt(e.code()), 65) << e.what();
  EXPECT_EQ(e.sqlite_code() & 0xff, SQLITE_CORRUPT) << e.what();
}

TEST(SqliteDbTest, ReadOnlyUriPercentEncodes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"data.db", "file:data.db?mode=ro"},
      {"dir/app v2.db", "file:dir/app v2.db?mode=ro"},
      {"a?mode=rw", "file:a%3Fmode=rw?mode=ro"},
      {"a#frag", "file:a%23frag?mode=ro"},
      {"a%41b", "file:a%2541b?mode=ro"},
      {"a\nb\x7f", "file:a%0Ab%7F?mode=ro"},
      {"caf\xc3\xa9.db", "file:caf\xc3\xa9.db?mode=ro"},
  };
  for (const auto& [path, uri] : cases) EXPECT_EQ(ReadOnlyUri(path), uri);
}

TEST(SqliteDbTest, OpensPathsWithUriCharacters) {
  ScopedTempDir dir;
  // "x%41.db" would mean "xA.db" if '%' were not encoded; both exist.
  MakeDb(dir.File("xA.db"), 1, "decoded");
  for (std::string name : {"x%41.db", "we?ird#name.db", "a?mode=rw&x=1", "sp ace&amp.db"}) {
    std::string path = dir.File(name);
    MakeDb(path, 3, "mine");
    SqliteDb db = SqliteDb::OpenReadOnly(path, 0);
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM t WHERE v LIKE 'mine%'"), 3) << name;
  }
}

TEST(SqliteDbTest, OpensAbsolutePathWithDoubleSlash) {
  ScopedTempDir dir;
  MakeDb(dir.File("x.db"), 2);
  SqliteDb db = SqliteDb::OpenReadOnly("/" + dir.File("x.db"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM t"), 2);
}

TEST(SqliteDbTest, ReadOnlyOpenCannotWrite) {
  ScopedTempDir dir;
  std::string path = dir.File("app.db");
  MakeDb(path, 5);
  std::string before = ReadFileBytes(path);
  SqliteDb db = SqliteDb::OpenReadOnly(path, 0);
  for (const char* sql : {"INSERT INTO t(id, v) VALUES(100, 'x')", "DELETE FROM t", "CREATE TABLE u(x)"}) {
    SqliteError e = ErrorFrom([&] { db.Exec(sql); });
    EXPECT_EQ(ToInt(e.code()), 77) << sql << ": " << e.what();
    EXPECT_EQ(e.sqlite_code() & 0xff, SQLITE_READONLY) << sql;
  }
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM t"), 5);
  EXPECT_EQ(ReadFileBytes(path), before);
}

TEST(SqliteDbTest, LockedDatabaseIsTempFail) {
  ScopedTempDir dir;
  std::string path = dir.File("app.db");
  MakeDb(path, 1);
  SqliteDb writer = SqliteDb::OpenReadWrite(path);
  writer.Exec("BEGIN EXCLUSIVE");
  SqliteError e = ErrorFrom([&] { SqliteDb::OpenReadOnly(path, 0); });
  EXPECT_EQ(ToInt(e.code()), 75) << e.what();
  EXPECT_EQ(e.sqlite_code() & 0xff, SQLITE_BUSY);
  writer.Exec("ROLLBACK");
}

TEST(SqliteDbTest, DirectoryIsDataErr) {
  // Bad input, not a failing disk (SQLite itself would say IOERR, 74).
  ScopedTempDir dir;
  SqliteError e = ErrorFrom([&] { SqliteDb::OpenReadOnly(dir.path().string(), 0); });
  EXPECT_EQ(ToInt(e.code()), 65) << e.what();
  EXPECT_EQ(std::string(e.what()), "sqlite " + dir.path().string() + ": a directory, not a database file");
  SqliteError device = ErrorFrom([&] { SqliteDb::OpenReadOnly("/dev/null", 0); });
  EXPECT_EQ(ToInt(device.code()), 65) << device.what();
}

TEST(SqliteDbTest, ReadsWalWithoutTouchingTheFiles) {
  // The app in WAL mode with no automatic checkpoint, its connection either
  // still open or closed without the usual checkpoint-on-close: either way
  // the newest rows are only in the -wal file.
  for (bool app_still_open : {true, false}) {
    SCOPED_TRACE(app_still_open ? "app connection open" : "app connection closed");
    ScopedTempDir dir;
    std::string path = dir.File("app.db");
    std::optional<SqliteDb> app(SqliteDb::OpenReadWrite(path));
    ASSERT_EQ(sqlite3_db_config(app->raw(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr), SQLITE_OK);
    app->Exec("PRAGMA journal_mode=WAL");
    app->Exec("PRAGMA wal_autocheckpoint=0");
    app->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    app->Exec("INSERT INTO t VALUES(1, 'old')");
    app->Exec("INSERT INTO t VALUES(2, 'newest')");
    if (!app_still_open) app.reset();
    ASSERT_GT(std::filesystem::file_size(path + "-wal"), 0u);
    const std::string db_before = ReadFileBytes(path);
    const std::string wal_before = ReadFileBytes(path + "-wal");

    {
      SqliteDb reader = SqliteDb::OpenReadOnly(path, 1000);
      EXPECT_EQ(QueryInt(reader, "SELECT count(*) FROM t"), 2);
      SqliteStmt stmt = reader.Prepare("SELECT v FROM t WHERE id = 2");
      ASSERT_TRUE(stmt.Step());
      EXPECT_EQ(stmt.Text(0), "newest");
    }
    EXPECT_EQ(ReadFileBytes(path), db_before) << "the main file changed";
    EXPECT_EQ(ReadFileBytes(path + "-wal"), wal_before) << "the -wal file changed";
  }
}

TEST(SqliteDbTest, ExitCodeForSqlite) {
  const std::vector<std::pair<int, int>> cases = {
      {SQLITE_CANTOPEN, 66},        {SQLITE_CANTOPEN_ISDIR, 66}, {SQLITE_NOTADB, 65},
      {SQLITE_CORRUPT, 65},         {SQLITE_CORRUPT_INDEX, 65},  {SQLITE_FORMAT, 65},
      {SQLITE_MISMATCH, 65},        {SQLITE_TOOBIG, 65},         {SQLITE_BUSY, 75},
      {SQLITE_BUSY_SNAPSHOT, 75},   {SQLITE_LOCKED, 75},         {SQLITE_LOCKED_SHAREDCACHE, 75},
      {SQLITE_PERM, 77},            {SQLITE_AUTH, 77},           {SQLITE_READONLY, 77},
      {SQLITE_READONLY_DBMOVED, 77}, {SQLITE_IOERR, 74},         {SQLITE_IOERR_SHORT_READ, 74},
      {SQLITE_FULL, 74},            {SQLITE_ERROR, 70},          {SQLITE_MISUSE, 70},
      {SQLITE_NOMEM, 70},           {SQLITE_INTERNAL, 70},       {SQLITE_CONSTRAINT, 70},
  };
  for (const auto& [sqlite_code, exit_code] : cases) {
    EXPECT_EQ(ToInt(ExitCodeForSqlite(sqlite_code)), exit_code) << sqlite3_errstr(sqlite_code) << " " << sqlite_code;
  }
}

}  // namespace
}  // namespace tenantsync

#pragma once
// SQLite behind RAII. The tenant's database is only ever opened read-only
// through a URI with mode=ro: a read-write open can checkpoint and delete the
// app's WAL files when it closes, and immutable=1 would read stale data.

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tenantsync {

// code() is kNoInput (66) for a missing file, kDataErr (65) for a file that
// is not a database or is corrupt, kTempFail (75) when it is locked.
class SqliteError : public Error {
 public:
  SqliteError(ExitCode code, std::string message, int sqlite_code)
      : Error(code, std::move(message)), sqlite_code_(sqlite_code) {}
  int sqlite_code() const { return sqlite_code_; }

 private:
  int sqlite_code_;
};

ExitCode ExitCodeForSqlite(int extended_code);

class SqliteStmt;

class SqliteDb {
 public:
  // Opens an existing file read-only (mode=ro) with a busy timeout.
  static SqliteDb OpenReadOnly(const std::string& path, int busy_timeout_ms);
  // Opens or creates a file read-write: for fixtures, generators and tests only.
  static SqliteDb OpenReadWrite(const std::string& path);

  void Exec(std::string_view sql);  // statements without results
  SqliteStmt Prepare(std::string_view sql);
  sqlite3* raw() const { return db_.get(); }
  const std::string& path() const { return path_; }

  // Throws a SqliteError for `code`, naming the file.
  [[noreturn]] void Throw(int code, std::string_view what) const;

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db, &sqlite3_close_v2), path_(std::move(path)) {}
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db_{nullptr, &sqlite3_close_v2};
  std::string path_;
};

class SqliteStmt {
 public:
  SqliteStmt(const SqliteDb& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt, &sqlite3_finalize) {}

  // True while a row is available.
  bool Step();
  void Reset() { sqlite3_reset(stmt_.get()); }
  void Bind(int index, std::string_view text);
  void Bind(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindNull(int index);

  int columns() const { return sqlite3_column_count(stmt_.get()); }
  int Type(int col) const { return sqlite3_column_type(stmt_.get(), col); }
  bool IsNull(int col) const { return Type(col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  double Real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  // Text or blob bytes, valid until the next Step/Reset.
  std::string_view Text(int col) const;
  std::optional<std::string> TextOpt(int col) const;
  std::string ColumnName(int col) const { return sqlite3_column_name(stmt_.get(), col); }
  sqlite3_stmt* raw() const { return stmt_.get(); }

 private:
  const SqliteDb* db_;
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt_{nullptr, &sqlite3_finalize};
};

// Builds "file:<percent-encoded path>?mode=ro" so that '?', '#' and '%' in a
// path cannot change the URI's meaning.
std::string ReadOnlyUri(const std::string& path);

}  // namespace tenantsync

#include "common/sqlite/db.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace tenantsync {

ExitCode ExitCodeForSqlite(int extended_code) {
  switch (extended_code & 0xff) {
    case SQLITE_CANTOPEN: return ExitCode::kNoInput;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG: return ExitCode::kDataErr;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ExitCode::kTempFail;
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_READONLY: return ExitCode::kNoPerm;
    case SQLITE_IOERR:
    case SQLITE_FULL: return ExitCode::kIoErr;
    default: return ExitCode::kSoftware;
  }
}

std::string ReadOnlyUri(const std::string& path) {
  // "file:///abs" keeps a path that starts with "//" from being read as a host.
  std::string uri = path.starts_with('/') ? "file://" : "file:";
  for (char ch : path) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '?' || c == '#' || c == '%' || c < 0x20 || c == 0x7f) {
      uri += fmt::format("%{:02X}", c);
    } else {
      uri += ch;
    }
  }
  return uri + "?mode=ro";
}

void SqliteDb::Throw(int code, std::string_view what) const {
  const char* detail = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(code);
  throw SqliteError(ExitCodeForSqlite(code), fmt::format("sqlite {}: {}: {}", path_, what, detail), code);
}

SqliteDb SqliteDb::OpenReadOnly(const std::string& path, int busy_timeout_ms) {
  // SQLite reports a missing file only as "unable to open": tell it apart.
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    throw SqliteError(ExitCode::kNoInput, fmt::format("sqlite {}: {}", path, std::strerror(errno)),
                      SQLITE_CANTOPEN);
  }
  // A directory (or a device, a FIFO) named as the source is bad input, not
  // a failing disk: SQLite would report an I/O error (74) for it.
  if (!S_ISREG(st.st_mode)) {
    throw SqliteError(ExitCode::kDataErr,
                      fmt::format("sqlite {}: {}, not a database file", path,
                                  S_ISDIR(st.st_mode) ? "a directory" : "not a regular file"),
                      SQLITE_NOTADB);
  }
  sqlite3* raw = nullptr;
  // FULLMUTEX: sync-run reads ahead on a second thread while the writer may
  // look up a refused row's image on the same connection.
  int rc = sqlite3_open_v2(ReadOnlyUri(path).c_str(), &raw,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, nullptr);
  SqliteDb db(raw, path);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) db.Throw(rc, "cannot open read-only");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // The open is lazy: read the schema now, so that "not a database" and
  // corruption of page 1 surface here, with the file's name.
  db.Exec("SELECT count(*) FROM sqlite_schema");
  return db;
}

SqliteDb SqliteDb::OpenReadWrite(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteDb db(raw, path);
  if (rc != SQLITE_OK) db.Throw(rc, "cannot open");
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

void SqliteDb::Exec(std::string_view sql) {
  SqliteStmt stmt = Prepare(sql);
  while (stmt.Step()) {
  }
}

SqliteStmt SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  SqliteStmt owned(*this, stmt);
  if (rc != SQLITE_OK) Throw(rc, "prepare failed");
  return owned;
}

bool SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->Throw(rc, "read failed");
}

void SqliteStmt::Bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->Throw(rc, "bind failed");
}

void SqliteStmt::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) db_->Throw(rc, "bind failed");
}

void SqliteStmt::BindDouble(int index, double value) {
  int rc = sqlite3_bind_double(stmt_.get(), index, value);
  if (rc != SQLITE_OK) db_->Throw(rc, "bind failed");
}

void SqliteStmt::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) db_->Throw(rc, "bind failed");
}

std::string_view SqliteStmt::Text(int col) const {
  const void* data =
      Type(col) == SQLITE_BLOB ? sqlite3_column_blob(stmt_.get(), col) : sqlite3_column_text(stmt_.get(), col);
  int size = sqlite3_column_bytes(stmt_.get(), col);
  return {static_cast<const char*>(data), static_cast<size_t>(size)};
}

std::optional<std::string> SqliteStmt::TextOpt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return std::string(Text(col));
}

}  // namespace tenantsync

#include "common/gen/openwebui_generator.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "common/gen/generator_internal.h"
#include "common/log.h"

namespace tenantsync::gen {
namespace {

// Removes a previous database and the journal files that would otherwise be
// applied to the new one.
void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::string file = path + suffix;
    if (std::remove(file.c_str()) != 0 && errno != ENOENT) {
      throw IoError(fmt::format("cannot remove {}: {}", file, std::strerror(errno)));
    }
  }
}

// Runs a script of several statements (SqliteDb::Exec runs only one).
void ExecScript(SqliteDb& db, const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db.raw(), sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) db.Throw(rc, "cannot create the schema");
}

std::string QueryText(SqliteDb& db, std::string_view sql) {
  SqliteStmt stmt = db.Prepare(sql);
  return stmt.Step() ? std::string(stmt.Text(0)) : std::string();
}

void Validate(const GenOptions& o) {
  if (o.out_path.empty()) throw UsageError("no output file given");
  if (o.users < 1) throw UsageError("--users must be at least 1");
  if (o.chats_per_user < 0) throw UsageError("--chats-per-user must not be negative");
  if (o.chat_bytes < 0 || o.chat_bytes > 64 * 1024 * 1024) {
    throw UsageError("--chat-bytes must be between 0 and 67108864");
  }
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

JournalMode ParseJournalMode(std::string_view text) {
  if (text == "delete") return JournalMode::kDelete;
  if (text == "wal") return JournalMode::kWal;
  throw UsageError(fmt::format("unknown journal mode \"{}\"", text), "use delete or wal");
}

GenStats GenerateOpenWebuiDb(const GenOptions& options) {
  Validate(options);
  auto start = std::chrono::steady_clock::now();
  RemoveDatabaseFiles(options.out_path);
  SqliteDb db = SqliteDb::OpenReadWrite(options.out_path);
  // Bulk-load settings: nothing to roll back to and nothing to fsync, since a
  // failed run leaves a file that is thrown away anyway.
  db.Exec("PRAGMA journal_mode=OFF");
  db.Exec("PRAGMA synchronous=OFF");
  db.Exec("PRAGMA cache_size=-262144");  // 256 MiB: the chat indexes stay in memory
  db.Exec("BEGIN");
  ExecScript(db, OpenWebuiDdl(SqlDialect::kSqlite, options.schema));

  GenStats stats;
  {
    GenContext c(options, db);
    GenerateBookkeeping(c);
    GenerateUsers(c);
    GenerateChats(c);
    GenerateWorkspace(c);
    GenerateChannels(c);
    if (options.edge_cases) GenerateEdgeCases(c);
    for (const TableInserter* table : c.tables.All()) {
      stats.rows.emplace_back(table->table(), table->rows());
      stats.total_rows += table->rows();
    }
  }  // finalizes the statements
  Log(LogLevel::kDebug, "rows written rows={} seconds={:.1f}", stats.total_rows, Seconds(start));
  db.Exec("COMMIT");

  std::string wanted = options.journal_mode == JournalMode::kWal ? "wal" : "delete";
  std::string got = QueryText(db, "PRAGMA journal_mode=" + wanted);
  if (got != wanted) {
    throw IoError(fmt::format("sqlite {}: journal_mode is {} after asking for {}", options.out_path, got, wanted));
  }
  return stats;
}

}  // namespace tenantsync::gen

#include "common/pg/conn.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/files.h"
#include "common/log.h"
#include "common/pg/sqlstate.h"

namespace tenantsync {
namespace {

std::string TrimTrailingNewline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string ResolveCredentialPath(const std::string& path) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (!path.empty() && path[0] != '/' && dir != nullptr && *dir != '\0') return std::string(dir) + "/" + path;
  return path;
}

}  // namespace

std::string_view PgResult::Get(int row, int col) const {
  if (IsNull(row, col)) {
    throw InternalError(fmt::format("unexpected NULL in column {} row {}", ColumnName(col), row));
  }
  return {PQgetvalue(result_.get(), row, col), static_cast<size_t>(PQgetlength(result_.get(), row, col))};
}

std::optional<std::string> PgResult::GetOpt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return std::string(Get(row, col));
}

long PgResult::Affected() const {
  const char* text = PQcmdTuples(result_.get());
  return (text == nullptr || *text == '\0') ? 0 : std::strtol(text, nullptr, 10);
}

std::string ReadPasswordFile(const std::string& given) {
  std::string path = ResolveCredentialPath(given);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    throw ConfigError(fmt::format("cannot read password file {}: {}", path, std::strerror(errno)));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw ConfigError(fmt::format("password file {} is readable by group or others (mode {:o})", path,
                                  st.st_mode & 07777),
                      fmt::format("chmod 600 {}", path));
  }
  std::optional<std::string> text = ReadFileCapped(path, kMaxPasswordFileBytes);
  if (!text && errno == EFBIG) {
    throw ConfigError(fmt::format("password file {} is larger than {} bytes", path, kMaxPasswordFileBytes),
                      "the file holds only the password, on its first line");
  }
  if (!text) throw ConfigError(fmt::format("cannot read password file {}: {}", path, std::strerror(errno)));
  std::string line = TrimTrailingNewline(text->substr(0, text->find('\n')));
  if (line.empty()) throw ConfigError(fmt::format("password file {} is empty", path));
  return line;
}

PgConn PgConn::Connect(const PgConnectSpec& spec) {
  std::string password = spec.password_file.empty() ? std::string() : ReadPasswordFile(spec.password_file);
  std::string timeout = std::to_string(spec.connect_timeout_seconds);
  // Later keywords override earlier ones: our defaults come first so the
  // operator's conninfo wins; the password, read from a file, comes last.
  std::vector<const char*> keys{"application_name", "connect_timeout", "dbname"};
  std::vector<const char*> values{spec.application_name.c_str(), timeout.c_str(), spec.conninfo.c_str()};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PgConn conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
  std::fill(password.begin(), password.end(), '\0');
  if (conn.conn_ == nullptr) throw PgError(ExitCode::kSoftware, "out of memory connecting to PostgreSQL", "");
  if (PQstatus(conn.raw()) != CONNECTION_OK) {
    std::string message = TrimTrailingNewline(PQerrorMessage(conn.raw()));
    // libpq gives no SQLSTATE for a failed connection; a refused password is
    // told apart so that operators fix credentials rather than the network.
    bool auth = message.find("authentication failed") != std::string::npos ||
                message.find("no password supplied") != std::string::npos ||
                message.find("not permitted to log in") != std::string::npos ||
                (message.find("role \"") != std::string::npos &&
                 message.find("does not exist") != std::string::npos);
    if (auth) {
      throw PgError(ExitCode::kNoPerm, "PostgreSQL refused the login: " + message, "28000",
                    "check the role, its password file and pg_hba.conf");
    }
    throw PgError(ExitCode::kUnavailable, "cannot connect to PostgreSQL: " + message, "08001",
                  fmt::format("check {} (or PGHOST/PGPORT) and that the server is running", spec.config_key));
  }
  // Server NOTICEs ("already exists, skipping") are debug detail, not output.
  PQsetNoticeProcessor(
      conn.raw(),
      [](void*, const char* message) { Log(LogLevel::kDebug, "server: {}", TrimTrailingNewline(message)); },
      nullptr);
  Log(LogLevel::kDebug, "connected {}", conn.Describe());
  return conn;
}

void PgConn::ThrowResultError(PGresult* result, std::string_view sql) const {
  PgResult owned(result);
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : (PQstatus(raw()) == CONNECTION_BAD ? "08006" : "XX000");
  std::string message = TrimTrailingNewline(result ? PQresultErrorMessage(result) : PQerrorMessage(raw()));
  if (message.empty()) message = TrimTrailingNewline(PQerrorMessage(raw()));
  const char* hint = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_HINT) : nullptr;
  Log(LogLevel::kDebug, "statement failed sqlstate={} sql={}", sqlstate, sql.substr(0, 200));
  // A connection that worked and then broke (a server restart, a reset, an
  // idle session ended by the server) is transient: retry on the next tick.
  // Failing to connect at all stays 69 (see Connect).
  ExitCode code = ExitCodeForSqlState(sqlstate);
  if (PQstatus(raw()) == CONNECTION_BAD || sqlstate.starts_with("08") || sqlstate.starts_with("57P0")) {
    code = ExitCode::kTempFail;
    message = "lost the connection to PostgreSQL: " + message;
  }
  throw PgError(code, message, sqlstate, hint ? hint : "");
}

PgResult PgConn::Exec(std::string_view sql, const std::vector<PgParam>& params) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* result = PQexecParams(raw(), text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                  nullptr, nullptr, 0);
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) ThrowResultError(result, sql);
  return PgResult(result);
}

PgResult PgConn::ExecOneRow(std::string_view sql, const std::vector<PgParam>& params) {
  PgResult result = Exec(sql, params);
  if (result.rows() != 1) {
    throw InternalError(fmt::format("expected one row, got {} from: {}", result.rows(), sql.substr(0, 120)));
  }
  return result;
}

long PgConn::CopyIn(std::string_view copy_sql, std::string_view data) {
  // Large batches go in 1 MiB pieces; libpq buffers and flushes them.
  constexpr size_t kPiece = 1 << 20;
  return CopyIn(copy_sql, [&](const CopyPut& put) {
    for (size_t at = 0; at < data.size(); at += kPiece) put(data.substr(at, kPiece));
  });
}

long PgConn::CopyIn(std::string_view copy_sql, const std::function<void(const CopyPut& put)>& produce) {
  std::string text(copy_sql);
  PGresult* started = PQexec(raw(), text.c_str());
  if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN) ThrowResultError(started, copy_sql);
  PQclear(started);
  // Each PQputCopyData is one CopyData message: pieces smaller than this are
  // gathered first, so a row per call does not cost a message header per row.
  constexpr size_t kGather = 64 << 10;
  bool sent = true;
  std::string gathered;
  auto send = [&](std::string_view piece) {
    if (sent && !piece.empty()) sent = PQputCopyData(raw(), piece.data(), static_cast<int>(piece.size())) == 1;
  };
  auto flush = [&] {
    send(gathered);
    gathered.clear();
  };
  produce([&](std::string_view piece) {
    if (piece.size() >= kGather) {
      flush();
      send(piece);
      return;
    }
    gathered.append(piece);
    if (gathered.size() >= kGather) flush();
  });
  flush();
  if (PQputCopyEnd(raw(), sent ? nullptr : "client could not send the data") != 1) {
    ThrowResultError(nullptr, copy_sql);
  }
  // Drain every result before throwing, so the connection is usable after.
  PgResult last;
  PGresult* failure = nullptr;
  while (PGresult* result = PQgetResult(raw())) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK && failure == nullptr) {
      failure = result;
    } else {
      last = PgResult(result);
    }
  }
  if (failure != nullptr) ThrowResultError(failure, copy_sql);
  return last.Affected();
}

void PgConn::ExecScript(std::string_view sql) {
  std::string text(sql);
  PGresult* result = PQexec(raw(), text.c_str());
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    ThrowResultError(result, sql);
  }
  PQclear(result);
}

std::string PgConn::QuoteIdentifier(std::string_view name) const {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(PQescapeIdentifier(raw(), name.data(), name.size()),
                                                     &PQfreemem);
  if (!quoted) throw InternalError("cannot quote identifier: " + TrimTrailingNewline(PQerrorMessage(raw())));
  return quoted.get();
}

std::string PgConn::QuoteLiteral(std::string_view value) const {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(PQescapeLiteral(raw(), value.data(), value.size()),
                                                     &PQfreemem);
  if (!quoted) throw InternalError("cannot quote literal: " + TrimTrailingNewline(PQerrorMessage(raw())));
  return quoted.get();
}

std::string PgConn::Describe() const {
  const char* host = PQhost(raw());
  return fmt::format("host={} port={} dbname={} user={}", host ? host : "", PQport(raw()), PQdb(raw()),
                     PQuser(raw()));
}

std::string PgArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace tenantsync

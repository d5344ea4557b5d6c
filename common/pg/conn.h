#pragma once
// libpq behind RAII. Every parameterised statement goes through PQexecParams
// (unnamed statements, so it works through a transaction-mode pooler); no
// session-level SET is ever sent (use set_config(..., true) in a transaction).

#include <libpq-fe.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tenantsync {

// A failed statement or connection. code() follows ExitCodeForSqlState().
class PgError : public Error {
 public:
  PgError(ExitCode code, std::string message, std::string sqlstate, std::string hint = {})
      : Error(code, std::move(message), std::move(hint)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// A NULL-able text parameter.
using PgParam = std::optional<std::string>;

// A text[] literal for a parameter ($1::text[], $1::bigint[]): {"a","b"},
// quotes and backslashes escaped.
std::string PgArrayLiteral(const std::vector<std::string>& items);

// Owns a PGresult. Values are text; Get() throws on NULL, GetOpt() does not.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

  int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
  int columns() const { return result_ ? PQnfields(result_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string_view Get(int row, int col) const;
  std::optional<std::string> GetOpt(int row, int col) const;
  std::string ColumnName(int col) const { return PQfname(result_.get(), col); }
  // Rows changed by INSERT/UPDATE/DELETE.
  long Affected() const;
  PGresult* raw() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_{nullptr, &PQclear};
};

// What to connect to. The password, when set, travels as a separate libpq
// keyword: never inside the conninfo, never in argv, never in a message.
struct PgConnectSpec {
  std::string conninfo;          // libpq conninfo or URI; "" = PG* variables
  std::string password_file;     // "" = none (libpq's own .pgpass still applies)
  std::string application_name;  // shown in pg_stat_activity
  int connect_timeout_seconds = 4;
  // The config key that names this server, for the hint when it is unreachable.
  std::string config_key = "[postgres] conninfo";
};

class PgConn {
 public:
  // Connects or throws PgError: kUnavailable (69) when the server cannot be
  // reached, kNoPerm (77) when it refuses our credentials.
  static PgConn Connect(const PgConnectSpec& spec);

  // Parameterised statement through PQexecParams; throws PgError on failure.
  PgResult Exec(std::string_view sql, const std::vector<PgParam>& params = {});
  // Like Exec, but the result must have exactly one row, else InternalError.
  PgResult ExecOneRow(std::string_view sql, const std::vector<PgParam>& params = {});
  // COPY ... FROM STDIN with `data` in COPY's text format; throws PgError.
  // Returns the number of rows copied.
  long CopyIn(std::string_view copy_sql, std::string_view data);
  // The same with the data produced piece by piece: `produce` calls `put`
  // for each piece, in order (small pieces are gathered before libpq sees
  // them).
  using CopyPut = std::function<void(std::string_view piece)>;
  long CopyIn(std::string_view copy_sql, const std::function<void(const CopyPut& put)>& produce);
  // Several statements in one string (migration files), simple protocol.
  void ExecScript(std::string_view sql);

  std::string QuoteIdentifier(std::string_view name) const;
  // "schema"."name", each part quoted.
  std::string QuoteQualified(std::string_view schema, std::string_view name) const {
    return QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
  }
  std::string QuoteLiteral(std::string_view value) const;

  // "host=… port=… dbname=… user=…": what we reached, without secrets.
  std::string Describe() const;
  PGconn* raw() const { return conn_.get(); }

 private:
  explicit PgConn(PGconn* conn) : conn_(conn, &PQfinish) {}
  [[noreturn]] void ThrowResultError(PGresult* result, std::string_view sql) const;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_{nullptr, &PQfinish};
};

// Reads a password file: the first line, without its line ending. Refuses a
// file that group or others can read, or one larger than
// kMaxPasswordFileBytes (ConfigError, 78). Relative paths resolve against
// $CREDENTIALS_DIRECTORY when it is set (systemd LoadCredential=).
std::string ReadPasswordFile(const std::string& path);
// Far above any password or token (generated ones are 43 bytes), small
// enough that a wrong file is refused before it is read into memory.
inline constexpr size_t kMaxPasswordFileBytes = 4096;

}  // namespace tenantsync

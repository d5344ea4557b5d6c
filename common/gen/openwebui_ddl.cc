#include "common/gen/openwebui_ddl.h"

#include <fmt/format.h>

#include <optional>

#include "common/error.h"

namespace tenantsync {
// Defined in the build directory's openwebui_fixtures_embedded.cc.
std::optional<std::string_view> EmbeddedOpenWebuiFixture(std::string_view file_name);
}  // namespace tenantsync

namespace tenantsync::gen {
namespace {

std::string_view Fixture(std::string_view name) {
  std::optional<std::string_view> text = EmbeddedOpenWebuiFixture(name);
  if (!text) throw InternalError(fmt::format("fixture {} is not embedded", name));
  return *text;
}

// Removes the one occurrence of `what` from `text`, replacing it by `with`.
void ReplaceOnce(std::string& text, std::string_view what, std::string_view with) {
  size_t at = text.find(what);
  if (at == std::string::npos || text.find(what, at + 1) != std::string::npos) {
    throw InternalError(fmt::format("embedded DDL: expected exactly one {:?}", what));
  }
  text.replace(at, what.size(), with);
}

}  // namespace

SqlDialect ParseSqlDialect(std::string_view text) {
  if (text == "sqlite") return SqlDialect::kSqlite;
  if (text == "postgres") return SqlDialect::kPostgres;
  throw UsageError(fmt::format("unknown DDL dialect {:?}", text), "use sqlite or postgres");
}

WebuiSchema ParseWebuiSchema(std::string_view text) {
  if (text == "0.6.43") return WebuiSchema::kV0643;
  if (text == "0.6.32-upgraded") return WebuiSchema::kV0632Upgraded;
  throw UsageError(fmt::format("unknown schema {:?}", text), "use 0.6.43 or 0.6.32-upgraded");
}

std::string_view ToString(WebuiSchema schema) { return schema == WebuiSchema::kV0643 ? "0.6.43" : "0.6.32-upgraded"; }

std::string OpenWebuiDdl(SqlDialect dialect, WebuiSchema schema) {
  bool sqlite = dialect == SqlDialect::kSqlite;
  std::string ddl(Fixture(sqlite ? "openwebui_0.6.43_sqlite.sql" : "openwebui_0.6.43_postgres.sql"));
  if (schema == WebuiSchema::kV0643) return ddl;
  // Open WebUI: the migration that adds pk_user_id/uq_user_id was
  // edited after <= 0.6.40 databases had run it; they keep only the index.
  if (sqlite) {
    ReplaceOnce(ddl, ",\n\tCONSTRAINT pk_user_id PRIMARY KEY (id),\n\tCONSTRAINT uq_user_id UNIQUE (id)\n);", "\n);");
  } else {
    ReplaceOnce(ddl, ",\n    CONSTRAINT pk_user_id PRIMARY KEY (id)\n);", "\n);");
    ReplaceOnce(ddl, "ALTER TABLE \"user\" ADD CONSTRAINT uq_user_id UNIQUE (id);\n", "");
  }
  return "-- Variant 0.6.32-upgraded: created by Open WebUI <= 0.6.40, upgraded to 0.6.43;\n"
         "-- \"user\" has neither pk_user_id nor uq_user_id, only the unique index user_id.\n" +
         ddl;
}

std::vector<std::string> OpenWebuiTables() {
  std::string_view ddl = Fixture("openwebui_0.6.43_sqlite.sql");
  constexpr std::string_view kCreate = "\nCREATE TABLE ";
  std::vector<std::string> tables;
  for (size_t at = ddl.find(kCreate); at != std::string_view::npos; at = ddl.find(kCreate, at + 1)) {
    size_t begin = at + kCreate.size();
    size_t end = begin;
    if (ddl[begin] == '"') {
      end = ddl.find('"', ++begin);
    } else {
      while (end < ddl.size() && ddl[end] != ' ' && ddl[end] != '(') ++end;
    }
    tables.emplace_back(ddl.substr(begin, end - begin));
  }
  return tables;
}

}  // namespace tenantsync::gen

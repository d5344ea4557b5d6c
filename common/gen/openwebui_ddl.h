#pragma once
// The Open WebUI schema (DDL) that sync-gen writes, for SQLite and PostgreSQL.
// The text comes from tests/fixtures/openwebui_0.6.43_{sqlite,postgres}.sql,
// embedded at build time (cmake/EmbedText.cmake), so the binary needs no files.

#include <string>
#include <string_view>
#include <vector>

namespace tenantsync::gen {

enum class SqlDialect { kSqlite, kPostgres };

enum class WebuiSchema {
  kV0643,          // a database created fresh by Open WebUI 0.6.43
  kV0632Upgraded,  // created by 0.6.32, upgraded to 0.6.43: "user" has no PK and no uq_user_id
};

// "sqlite" / "postgres"; "0.6.43" / "0.6.32-upgraded". Throw UsageError on
// anything else.
SqlDialect ParseSqlDialect(std::string_view text);
WebuiSchema ParseWebuiSchema(std::string_view text);
std::string_view ToString(WebuiSchema schema);

// The DDL script (several statements, with comments). Throws InternalError if
// the embedded fixture lacks the text the upgraded variant removes.
std::string OpenWebuiDdl(SqlDialect dialect, WebuiSchema schema);

// The tables the SQLite DDL creates, in order (31 for 0.6.43).
std::vector<std::string> OpenWebuiTables();

// The alembic head of 0.6.43 (also the head of a 0.6.32 database upgraded to it).
inline constexpr std::string_view kAlembicHead = "c440947495f3";

}  // namespace tenantsync::gen

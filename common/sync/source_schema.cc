#include "common/sync/source_schema.h"

#include <algorithm>
#include <cctype>

namespace tenantsync {
namespace {

bool SameNameIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string RowidAlias(const SourceTable& table) {
  if (table.without_rowid) return "";
  for (const char* alias : {"rowid", "_rowid_", "oid"}) {
    bool shadowed = std::any_of(table.columns.begin(), table.columns.end(),
                                [&](const SourceColumn& c) { return SameNameIgnoringCase(c.name, alias); });
    if (!shadowed) return alias;
  }
  return "";
}

}  // namespace

std::string QuoteSqliteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const SourceColumn* SourceTable::Find(const std::string& column) const {
  auto it = std::find_if(columns.begin(), columns.end(), [&](const SourceColumn& c) { return c.name == column; });
  return it == columns.end() ? nullptr : &*it;
}

SourceSchema ReadSourceSchema(SqliteDb& db) {
  SourceSchema schema;
  {
    SqliteStmt mode = db.Prepare("PRAGMA journal_mode");
    if (mode.Step()) schema.journal_mode = std::string(mode.Text(0));
  }
  SqliteStmt tables = db.Prepare(
      "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
      " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
  SqliteStmt columns = db.Prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?1) ORDER BY cid");
  while (tables.Step()) {
    SourceTable table;
    table.name = std::string(tables.Text(0));
    table.without_rowid = tables.Int(1) != 0;
    columns.Reset();
    columns.Bind(1, table.name);
    while (columns.Step()) {
      table.columns.push_back({std::string(columns.Text(0)), std::string(columns.Text(1)), columns.Int(2) != 0});
    }
    table.rowid_alias = RowidAlias(table);
    schema.tables.push_back(std::move(table));
  }
  return schema;
}

}  // namespace tenantsync

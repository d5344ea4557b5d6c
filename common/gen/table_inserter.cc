#include "common/gen/table_inserter.h"

#include <fmt/format.h>

#include "common/error.h"

namespace tenantsync::gen {
namespace {

std::string InsertSql(const std::string& table, const std::vector<std::string_view>& columns) {
  std::string names;
  std::string marks;
  for (size_t i = 0; i < columns.size(); ++i) {
    names += fmt::format("{}\"{}\"", i ? ", " : "", columns[i]);
    marks += i ? ", ?" : "?";
  }
  return fmt::format("INSERT INTO \"{}\" ({}) VALUES ({})", table, names, marks);
}

}  // namespace

TableInserter::TableInserter(SqliteDb& db, std::string table, const std::vector<std::string_view>& columns)
    : table_(std::move(table)),
      stmt_(db.Prepare(InsertSql(table_, columns))),
      columns_(static_cast<int>(columns.size())) {}

int TableInserter::Next() {
  if (bound_ >= columns_) throw InternalError(fmt::format("insert into {}: too many values", table_));
  return ++bound_;
}

TableInserter& TableInserter::Text(std::string_view value) {
  // A default string_view has no data pointer, which SQLite would bind as NULL.
  stmt_.Bind(Next(), value.data() ? value : std::string_view(""));
  return *this;
}

TableInserter& TableInserter::Int(int64_t value) {
  stmt_.Bind(Next(), value);
  return *this;
}

TableInserter& TableInserter::Null() {
  stmt_.BindNull(Next());
  return *this;
}

void TableInserter::End() {
  if (bound_ != columns_) {
    throw InternalError(fmt::format("insert into {}: {} values for {} columns", table_, bound_, columns_));
  }
  stmt_.Step();
  stmt_.Reset();
  bound_ = 0;
  ++rows_;
}

}  // namespace tenantsync::gen

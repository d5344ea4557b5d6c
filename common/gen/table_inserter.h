#pragma once
// One prepared INSERT for one table, reused for every row, with a counter.
// Bind the row's values left to right, then call End():
//   user.Text(id).Text(name).Int(created).Null().End();
// End() checks that every column got a value, steps and resets. Text is
// bound with an explicit length, so NUL bytes and invalid UTF-8 reach SQLite
// unchanged. Not thread-safe; the SqliteDb must outlive the inserter.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlite/db.h"

namespace tenantsync::gen {

class TableInserter {
 public:
  TableInserter(SqliteDb& db, std::string table, const std::vector<std::string_view>& columns);

  TableInserter& Text(std::string_view value);
  TableInserter& Int(int64_t value);
  TableInserter& Null();
  TableInserter& OptText(const std::optional<std::string>& value) { return value ? Text(*value) : Null(); }
  TableInserter& OptInt(const std::optional<int64_t>& value) { return value ? Int(*value) : Null(); }
  void End();

  const std::string& table() const { return table_; }
  int64_t rows() const { return rows_; }

 private:
  int Next();

  std::string table_;
  SqliteStmt stmt_;
  int columns_;
  int bound_ = 0;
  int64_t rows_ = 0;
};

}  // namespace tenantsync::gen

#pragma once
// Reads back the key arrays that AppendSqliteValueJson writes (see
// row_json.h): numbers, strings, null and {"$b64": "..."}. Only that subset
// of JSON, since it only ever reads what tenantsync wrote.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tenantsync {

struct KeyValue {
  enum Kind { kNull, kInteger, kReal, kText } kind = kNull;
  int64_t integer = 0;
  double real = 0;
  std::string text;  // decoded bytes ($b64 included)
};

// Throws InternalError on anything else.
std::vector<KeyValue> ParseKeyJson(std::string_view json);

}  // namespace tenantsync

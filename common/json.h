#pragma once
// A minimal JSON writer for --json output: objects, arrays, strings, numbers,
// booleans and null, escaped per RFC 8259. Invalid UTF-8 is replaced by U+FFFD
// so the output always parses. And a nesting bound for JSON read from
// clients.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tenantsync {

std::string JsonQuote(std::string_view text);

// False when an array or object in `json` is nested more than `max_depth`
// levels deep (brackets inside strings do not count). It does not validate
// the text: whoever parses it does, after this bound keeps a recursive parser
// (PostgreSQL's jsonb input) within its stack.
bool JsonNestingWithin(std::string_view json, size_t max_depth);

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& StringOrNull(const std::optional<std::string>& value);  // nullopt → null
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts already-serialised JSON as one value.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace tenantsync

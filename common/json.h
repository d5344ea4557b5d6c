#pragma once
// A minimal JSON writer for --json output: objects, arrays, strings, numbers,
// booleans and null, escaped per RFC 8259. Invalid UTF-8 is replaced by U+FFFD
// so the output always parses.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tenantsync {

std::string JsonQuote(std::string_view text);

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

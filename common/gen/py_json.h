#pragma once
// JSON text exactly as Python's json.dumps(value) writes it with default
// settings, which is what Open WebUI (SQLAlchemy JSON, its JSONField) stores:
// separators ", " and ": ", and with ensure_ascii every non-ASCII character
// as a lowercase \uXXXX escape (astral characters as a surrogate pair). With
// ensure_ascii=false only '"', '\\' and control characters are escaped, as
// json.dumps(value, ensure_ascii=False) does. Not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tenantsync::gen {

// Appends `text` (UTF-8) escaped as the inside of a JSON string, without the
// quotes. An invalid UTF-8 byte becomes \ufffd (ensure_ascii) or U+FFFD.
void AppendJsonEscaped(std::string_view text, bool ensure_ascii, std::string& out);
std::string JsonEscaped(std::string_view text, bool ensure_ascii = true);

// Streams one JSON value into a caller-owned string. Keys and strings are
// escaped on the way; the *Escaped variants take text already escaped by
// AppendJsonEscaped, which lets hot paths reuse pre-escaped vocabulary.
class PyJson {
 public:
  explicit PyJson(std::string& out, bool ensure_ascii = true) : out_(out), ensure_ascii_(ensure_ascii) {}

  PyJson& BeginObject() { return Open('{'); }
  PyJson& EndObject() { return Close('}'); }
  PyJson& BeginArray() { return Open('['); }
  PyJson& EndArray() { return Close(']'); }
  PyJson& Key(std::string_view key);
  PyJson& Str(std::string_view text);
  PyJson& StrEscaped(std::string_view escaped);
  // A string written in pieces: BeginStr(), AppendEscaped()..., EndStr().
  PyJson& BeginStr();
  PyJson& AppendEscaped(std::string_view escaped) {
    out_.append(escaped);
    return *this;
  }
  PyJson& EndStr() {
    out_.push_back('"');
    return *this;
  }
  PyJson& Int(int64_t value);
  PyJson& Bool(bool value);
  PyJson& Null();
  // Already-serialised JSON as one value (e.g. an embedded chat blob).
  PyJson& Raw(std::string_view json);

  bool ensure_ascii() const { return ensure_ascii_; }

 private:
  PyJson& Open(char bracket);
  PyJson& Close(char bracket);
  void BeforeValue();

  std::string& out_;
  bool ensure_ascii_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

}  // namespace tenantsync::gen

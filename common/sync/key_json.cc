#include "common/sync/key_json.h"

#include <charconv>
#include <cstdlib>

#include "common/error.h"

namespace tenantsync {
namespace {

class KeyParser {
 public:
  explicit KeyParser(std::string_view text) : s_(text) {}

  std::vector<KeyValue> Parse() {
    std::vector<KeyValue> out;
    Expect('[');
    SkipSpace();
    if (Peek() == ']') {
      ++i_;
      return out;
    }
    while (true) {
      out.push_back(Value());
      SkipSpace();
      if (Peek() == ']') {
        ++i_;
        return out;
      }
      Expect(',');
    }
  }

 private:
  KeyValue Value() {
    SkipSpace();
    KeyValue v;
    char c = Peek();
    if (c == 'n') {
      Literal("null");
    } else if (c == '"') {
      v.kind = KeyValue::kText;
      v.text = String();
    } else if (c == '{') {
      ++i_;
      SkipSpace();
      if (String() != "$b64") Fail();
      Expect(':');
      SkipSpace();
      v.kind = KeyValue::kText;
      v.text = DecodeBase64(String());
      Expect('}');
    } else {
      size_t start = i_;
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' || s_[i_] == '+' ||
                                s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
      }
      std::string_view number = s_.substr(start, i_ - start);
      if (number.empty()) Fail();
      auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v.integer);
      if (ec == std::errc() && end == number.data() + number.size()) {
        v.kind = KeyValue::kInteger;
      } else {
        v.kind = KeyValue::kReal;
        v.real = std::strtod(std::string(number).c_str(), nullptr);
      }
    }
    return v;
  }

  std::string String() {
    Expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) Fail();
      char e = s_[i_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': AppendCodePoint(Hex4(), out); break;
        default: out += e;  // '"', '\\', '/'
      }
    }
    Expect('"');
    return out;
  }

  uint32_t Hex4() {
    if (i_ + 4 > s_.size()) Fail();
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s_.data() + i_, s_.data() + i_ + 4, v, 16);
    if (ec != std::errc() || end != s_.data() + i_ + 4) Fail();
    i_ += 4;
    return v;
  }

  // JsonQuote escapes only control characters and U+FFFD, all in the BMP.
  static void AppendCodePoint(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  static std::string DecodeBase64(std::string_view text) {
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
      int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
      if (v < 0) continue;  // '=' padding
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += static_cast<char>((acc >> bits) & 0xFF);
      }
    }
    return out;
  }

  void Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) Fail();
    i_ += word.size();
  }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t')) ++i_;
  }
  void Expect(char c) {
    SkipSpace();
    if (Peek() != c) Fail();
    ++i_;
  }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  [[noreturn]] void Fail() const { throw InternalError("malformed row key JSON: " + std::string(s_.substr(0, 200))); }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<KeyValue> ParseKeyJson(std::string_view json) { return KeyParser(json).Parse(); }

}  // namespace tenantsync

#include "common/sync/json_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "common/sync/decimal_text.h"
#include "common/sync/word_scan.h"
#include "common/utf8.h"

namespace tenantsync {
namespace {

using Kind = JsonProblem::Kind;

constexpr int kDepthCap = 4096;  // bits of container stack kept on the C++ stack

// The bytes that end a plain run inside a string: quote, backslash, control
// characters and non-ASCII bytes (word_scan mask).
uint64_t StringSpecials(uint64_t w) {
  using namespace word_scan;
  return HasNonAscii(w) | HasByte(w, '"') | HasByte(w, '\\') | HasByteBelow(w, 0x20);
}

bool PlainStringByte(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Checker {
 public:
  Checker(std::string_view text, const JsonCheckOptions& options)
      : text_(text), jsonb_(options.jsonb), max_depth_(std::clamp(options.max_depth, 0, kDepthCap)) {}

  std::optional<JsonProblem> Run() {
    if (Document()) return std::nullopt;
    return problem_;
  }

 private:
  bool Document();
  bool Key();
  bool String();
  bool Escape();
  bool Number();
  bool Literal(std::string_view word, const char* detail);

  bool Fail(Kind kind, size_t offset, const char* detail = "") {
    problem_ = JsonProblem{kind, offset, detail};
    return false;
  }
  // A syntax error at `offset`, unless the byte there is a NUL or starts
  // invalid UTF-8, which are reported as such.
  bool Unexpected(size_t offset, const char* detail) {
    if (offset >= text_.size()) return Fail(Kind::kSyntax, offset, "unexpected end of text");
    if (text_[offset] == '\0') return Fail(Kind::kNulByte, offset);
    if (static_cast<unsigned char>(text_[offset]) >= 0x80 && Utf8SequenceLength(text_, offset) == 0) {
      return Fail(Kind::kInvalidUtf8, offset);
    }
    return Fail(Kind::kSyntax, offset, detail);
  }
  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      ++pos_;
    }
  }
  void Push(bool object) {
    uint64_t bit = uint64_t{1} << (depth_ % 64);
    if (object) {
      objects_[depth_ / 64] |= bit;
    } else {
      objects_[depth_ / 64] &= ~bit;
    }
    ++depth_;
  }
  bool TopIsObject() const {
    int top = depth_ - 1;
    return ((objects_[top / 64] >> (top % 64)) & 1) != 0;
  }

  std::string_view text_;
  bool jsonb_;
  int max_depth_;
  size_t pos_ = 0;
  int depth_ = 0;
  uint64_t objects_[kDepthCap / 64] = {};  // bit set: that level is an object, else an array
  JsonProblem problem_;
};

bool Checker::Document() {
  SkipWhitespace();
  for (;;) {
    // Here a value must start.
    if (pos_ >= text_.size()) return Unexpected(pos_, "");
    char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth_ >= max_depth_) return Fail(Kind::kTooDeep, pos_);
      bool object = c == '{';
      Push(object);
      ++pos_;
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == (object ? '}' : ']')) {
        ++pos_;
        --depth_;
      } else if (object) {
        if (!Key()) return false;
        continue;
      } else {
        continue;
      }
    } else if (c == '"') {
      ++pos_;
      if (!String()) return false;
    } else if (c == '-' || IsDigit(c)) {
      if (!Number()) return false;
    } else if (c == 't') {
      if (!Literal("true", "expected true")) return false;
    } else if (c == 'f') {
      if (!Literal("false", "expected false")) return false;
    } else if (c == 'n') {
      if (!Literal("null", "expected null")) return false;
    } else {
      return Unexpected(pos_, "expected a value");
    }
    // A value ended: close containers until one continues with ','.
    for (;;) {
      SkipWhitespace();
      if (depth_ == 0) return pos_ == text_.size() || Unexpected(pos_, "unexpected data after the value");
      bool object = TopIsObject();
      const char* expected = object ? "expected ',' or '}'" : "expected ',' or ']'";
      if (pos_ >= text_.size()) return Unexpected(pos_, expected);
      c = text_[pos_];
      if (c == ',') {
        ++pos_;
        SkipWhitespace();
        if (object && !Key()) return false;
        break;
      }
      if (c != (object ? '}' : ']')) return Unexpected(pos_, expected);
      ++pos_;
      --depth_;
    }
  }
}

// An object member's name and the ':' after it; leaves pos_ at its value.
bool Checker::Key() {
  if (pos_ >= text_.size() || text_[pos_] != '"') return Unexpected(pos_, "expected a string key");
  ++pos_;
  if (!String()) return false;
  SkipWhitespace();
  if (pos_ >= text_.size() || text_[pos_] != ':') return Unexpected(pos_, "expected ':'");
  ++pos_;
  SkipWhitespace();
  return true;
}

// The rest of a string after its opening quote.
bool Checker::String() {
  const char* data = text_.data();
  const size_t size = text_.size();
  for (;;) {
    if (pos_ + 8 <= size) {
      uint64_t specials = StringSpecials(word_scan::Load8(data + pos_));
      if (specials == 0) {
        pos_ += 8;
        continue;
      }
      pos_ += word_scan::FirstMatch(specials);
    } else {
      while (pos_ < size && PlainStringByte(static_cast<unsigned char>(data[pos_]))) ++pos_;
    }
    if (pos_ >= size) return Fail(Kind::kSyntax, pos_, "unterminated string");
    unsigned char c = static_cast<unsigned char>(data[pos_]);
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c == '\\') {
      if (!Escape()) return false;
    } else if (c == 0) {
      return Fail(Kind::kNulByte, pos_);
    } else if (c < 0x20) {
      return Fail(Kind::kSyntax, pos_, "control character in string (must be escaped)");
    } else {
      size_t len = Utf8SequenceLength(text_, pos_);
      if (len == 0) return Fail(Kind::kInvalidUtf8, pos_);
      pos_ += len;
    }
  }
}

// One escape sequence at pos_ (the backslash).
bool Checker::Escape() {
  const size_t start = pos_;
  if (pos_ + 1 >= text_.size()) return Fail(Kind::kSyntax, pos_ + 1, "unterminated string");
  char e = text_[pos_ + 1];
  if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
    pos_ += 2;
    return true;
  }
  if (e != 'u') return Unexpected(pos_ + 1, "invalid escape");
  auto hex4 = [&](size_t at, int& value) {
    value = 0;
    for (size_t k = 0; k < 4; ++k) {
      int digit = at + k < text_.size() ? HexValue(text_[at + k]) : -1;
      if (digit < 0) return Unexpected(at + k, "\\u must be followed by four hex digits");
      value = value * 16 + digit;
    }
    return true;
  };
  int code = 0;
  if (!hex4(pos_ + 2, code)) return false;
  pos_ += 6;
  if (!jsonb_) return true;  // json keeps escapes as written and does not decode them
  if (code == 0) return Fail(Kind::kNulEscape, start);
  if (code >= 0xDC00 && code <= 0xDFFF) return Fail(Kind::kLoneSurrogate, start);
  if (code >= 0xD800 && code <= 0xDBFF) {
    int low = 0;
    bool paired = pos_ + 2 <= text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u';
    if (paired && !hex4(pos_ + 2, low)) return false;
    if (!paired || low < 0xDC00 || low > 0xDFFF) return Fail(Kind::kLoneSurrogate, start);
    pos_ += 6;
  }
  return true;
}

bool Checker::Number() {
  size_t start = pos_;
  DecimalText parts;
  if (!ScanDecimal(text_, pos_, DecimalSyntax::kJson, parts)) return Unexpected(pos_, "invalid number");
  if (parts.int_digits == "0" && pos_ < text_.size() && IsDigit(text_[pos_])) {
    return Fail(Kind::kSyntax, pos_, "leading zero in number");
  }
  if (jsonb_ && !FitsNumeric(parts)) return Fail(Kind::kNumberRange, start);
  return true;
}

bool Checker::Literal(std::string_view word, const char* detail) {
  for (size_t k = 0; k < word.size(); ++k) {
    if (pos_ + k >= text_.size() || text_[pos_ + k] != word[k]) return Unexpected(pos_ + k, detail);
  }
  pos_ += word.size();
  return true;
}

}  // namespace

std::optional<JsonProblem> CheckJson(std::string_view text, const JsonCheckOptions& options) {
  return Checker(text, options).Run();
}

std::string DescribeJsonProblem(const JsonProblem& problem, const JsonCheckOptions& options) {
  switch (problem.kind) {
    case Kind::kInvalidUtf8:
      return fmt::format("invalid UTF-8 at byte {}", problem.offset);
    case Kind::kNulByte:
      return fmt::format("NUL byte in text at byte {}", problem.offset);
    case Kind::kSyntax:
      return fmt::format("not valid JSON at byte {}: {}", problem.offset, problem.detail);
    case Kind::kTooDeep:
      return fmt::format("JSON nested deeper than {} levels at byte {}", options.max_depth, problem.offset);
    case Kind::kNulEscape:
      return fmt::format("\\u0000 escape at byte {} (jsonb cannot store it)", problem.offset);
    case Kind::kLoneSurrogate:
      return fmt::format("unpaired surrogate escape at byte {} (jsonb cannot store it)", problem.offset);
    case Kind::kNumberRange:
      return fmt::format("number at byte {} out of numeric's range (jsonb cannot store it)", problem.offset);
  }
  return "not valid JSON";
}

}  // namespace tenantsync

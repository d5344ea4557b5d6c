#include "common/gen/py_json.h"

#include "common/utf8.h"

namespace tenantsync::gen {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU16Escape(uint32_t unit, std::string& out) {
  char buf[6] = {
      '\\', 'u', kHex[(unit >> 12) & 0xf], kHex[(unit >> 8) & 0xf], kHex[(unit >> 4) & 0xf], kHex[unit & 0xf]};
  out.append(buf, sizeof buf);
}

// The code point of the valid sequence of `len` bytes at text[i].
uint32_t Decode(std::string_view text, size_t i, size_t len) {
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(text[i + k])); };
  switch (len) {
    case 1:
      return byte(0);
    case 2:
      return ((byte(0) & 0x1f) << 6) | (byte(1) & 0x3f);
    case 3:
      return ((byte(0) & 0x0f) << 12) | ((byte(1) & 0x3f) << 6) | (byte(2) & 0x3f);
    default:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3f) << 12) | ((byte(2) & 0x3f) << 6) | (byte(3) & 0x3f);
  }
}

}  // namespace

void AppendJsonEscaped(std::string_view text, bool ensure_ascii, std::string& out) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {  // the common case: plain ASCII runs
      size_t j = i + 1;
      while (j < text.size()) {
        unsigned char d = static_cast<unsigned char>(text[j]);
        if (d < 0x20 || d >= 0x7f || d == '"' || d == '\\') break;
        ++j;
      }
      out.append(text.substr(i, j - i));
      i = j;
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        ++i;
        continue;
      case '\\':
        out.append("\\\\");
        ++i;
        continue;
      case '\n':
        out.append("\\n");
        ++i;
        continue;
      case '\r':
        out.append("\\r");
        ++i;
        continue;
      case '\t':
        out.append("\\t");
        ++i;
        continue;
      case '\b':
        out.append("\\b");
        ++i;
        continue;
      case '\f':
        out.append("\\f");
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {  // Python escapes DEL only under ensure_ascii
      if (c < 0x20 || ensure_ascii) {
        AppendU16Escape(c, out);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {  // not valid UTF-8: Python text cannot hold it; write U+FFFD
      if (ensure_ascii) {
        AppendU16Escape(0xfffd, out);
      } else {
        out.append("\xef\xbf\xbd");
      }
      ++i;
      continue;
    }
    if (!ensure_ascii) {
      out.append(text.substr(i, len));
    } else {
      uint32_t cp = Decode(text, i, len);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        AppendU16Escape(0xd800 | (cp >> 10), out);
        AppendU16Escape(0xdc00 | (cp & 0x3ff), out);
      } else {
        AppendU16Escape(cp, out);
      }
    }
    i += len;
  }
}

std::string JsonEscaped(std::string_view text, bool ensure_ascii) {
  std::string out;
  out.reserve(text.size() + 8);
  AppendJsonEscaped(text, ensure_ascii, out);
  return out;
}

void PyJson::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.append(", ");
    first_.back() = false;
  }
}

PyJson& PyJson::Open(char bracket) {
  BeforeValue();
  out_.push_back(bracket);
  first_.push_back(true);
  return *this;
}

PyJson& PyJson::Close(char bracket) {
  out_.push_back(bracket);
  first_.pop_back();
  return *this;
}

PyJson& PyJson::Key(std::string_view key) {
  BeforeValue();
  out_.push_back('"');
  AppendJsonEscaped(key, ensure_ascii_, out_);
  out_.append("\": ");
  after_key_ = true;
  return *this;
}

PyJson& PyJson::Str(std::string_view text) {
  BeforeValue();
  out_.push_back('"');
  AppendJsonEscaped(text, ensure_ascii_, out_);
  out_.push_back('"');
  return *this;
}

PyJson& PyJson::StrEscaped(std::string_view escaped) {
  BeforeValue();
  out_.push_back('"');
  out_.append(escaped);
  out_.push_back('"');
  return *this;
}

PyJson& PyJson::BeginStr() {
  BeforeValue();
  out_.push_back('"');
  return *this;
}

PyJson& PyJson::Int(int64_t value) {
  BeforeValue();
  out_.append(std::to_string(value));
  return *this;
}

PyJson& PyJson::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
  return *this;
}

PyJson& PyJson::Null() {
  BeforeValue();
  out_.append("null");
  return *this;
}

PyJson& PyJson::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
  return *this;
}

}  // namespace tenantsync::gen

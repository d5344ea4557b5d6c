#include "common/sync/convert.h"

#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "common/sync/convert_time.h"
#include "common/sync/decimal_text.h"
#include "common/sync/json_check.h"
#include "common/sync/word_scan.h"
#include "common/utf8.h"

namespace tenantsync {
namespace {

constexpr int kSqliteInteger = 1;
constexpr int kSqliteFloat = 2;
constexpr int kSqliteText = 3;
constexpr int kSqliteBlob = 4;
constexpr int kSqliteNull = 5;

// ---- COPY text format ----------------------------------------------------

bool NeedsCopyEscape(char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; }

// The bytes COPY's text format escapes (word_scan mask).
uint64_t CopySpecials(uint64_t w) {
  using namespace word_scan;
  return HasByte(w, '\\') | HasByte(w, '\t') | HasByte(w, '\n') | HasByte(w, '\r');
}

// Appends `text` with COPY's text-format escapes; runs without a special byte
// are appended whole.
void AppendCopyEscaped(std::string_view text, std::string& out) {
  const char* data = text.data();
  const size_t size = text.size();
  size_t run = 0;
  size_t i = 0;
  while (i < size) {
    if (i + 8 <= size) {
      uint64_t specials = CopySpecials(word_scan::Load8(data + i));
      if (specials == 0) {
        i += 8;
        continue;
      }
      i += word_scan::FirstMatch(specials);
    } else if (!NeedsCopyEscape(data[i])) {
      ++i;
      continue;
    }
    char c = data[i];
    out.append(data + run, i - run);
    out += '\\';
    out += c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
    run = ++i;
  }
  out.append(data + run, size - run);
}

// Checks that `text` is valid UTF-8 without NUL bytes (PostgreSQL accepts
// neither in text) and counts its code points.
std::optional<std::string> CheckText(std::string_view text, size_t& code_points) {
  const char* data = text.data();
  const size_t size = text.size();
  size_t count = 0;
  size_t i = 0;
  while (i < size) {
    if (i + 8 <= size) {
      uint64_t w = word_scan::Load8(data + i);
      uint64_t specials = word_scan::HasNonAscii(w) | word_scan::HasZeroByte(w);
      size_t plain = specials == 0 ? 8 : word_scan::FirstMatch(specials);
      i += plain;
      count += plain;
      if (specials == 0) continue;
    }
    auto c = static_cast<unsigned char>(data[i]);
    if (c == 0) return fmt::format("NUL byte in text at byte {}", i);
    size_t len = c < 0x80 ? 1 : Utf8SequenceLength(text, i);
    if (len == 0) return fmt::format("invalid UTF-8 at byte {}", i);
    i += len;
    ++count;
  }
  code_points = count;
  return std::nullopt;
}

// ---- numbers as text, without touching the heap ----------------------------

struct NumberText {
  char buf[48];
  size_t len = 0;
  std::string_view view() const { return {buf, len}; }
};

std::string_view IntegerText(int64_t value, NumberText& scratch) {
  std::to_chars_result r = std::to_chars(scratch.buf, scratch.buf + sizeof scratch.buf, value);
  scratch.len = static_cast<size_t>(r.ptr - scratch.buf);
  return scratch.view();
}

std::string_view ShortestText(double value, NumberText& scratch) {
  auto r = fmt::format_to_n(scratch.buf, sizeof scratch.buf, "{}", value);
  scratch.len = std::min(r.size, sizeof scratch.buf);
  return scratch.view();
}

// A REAL's text: SQLite's rendering when it reads back as the same double
// (SQLite prints 15 significant digits, so 0.1+0.2 renders as "0.3"), else
// the shortest text that does.
std::string_view RealText(const SourceValue& value, NumberText& scratch) {
  std::string_view given = value.bytes;
  if (!given.empty()) {
    double parsed = 0;
    std::from_chars_result r = std::from_chars(given.data(), given.data() + given.size(), parsed);
    bool same = parsed == value.real || (std::isnan(parsed) && std::isnan(value.real));
    if (r.ec == std::errc() && r.ptr == given.data() + given.size() && same) return given;
  }
  return ShortestText(value.real, scratch);
}

// ---- helpers ---------------------------------------------------------------

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// ---- one function per target kind -------------------------------------------

std::optional<std::string> AppendBoolean(const SourceValue& value, std::string& out) {
  if (value.type == kSqliteInteger && (value.integer == 0 || value.integer == 1)) {
    out += value.integer == 1 ? 't' : 'f';
    return std::nullopt;
  }
  if (value.type == kSqliteText) {
    std::string_view s = value.bytes;
    if (s == "1" || EqualsIgnoreCase(s, "t") || EqualsIgnoreCase(s, "true")) {
      out += 't';
      return std::nullopt;
    }
    if (s == "0" || EqualsIgnoreCase(s, "f") || EqualsIgnoreCase(s, "false")) {
      out += 'f';
      return std::nullopt;
    }
  }
  return fmt::format("not a boolean: {}", DescribeSourceValue(value));
}

struct IntegerRange {
  int64_t min;
  int64_t max;
  const char* name;
};

IntegerRange RangeOf(TargetKind kind) {
  switch (kind) {
    case TargetKind::kInt16:
      return {INT16_MIN, INT16_MAX, "smallint"};
    case TargetKind::kInt32:
      return {INT32_MIN, INT32_MAX, "integer"};
    default:
      return {INT64_MIN, INT64_MAX, "bigint"};
  }
}

std::optional<std::string> AppendInteger(const SourceValue& value, TargetKind kind, std::string& out) {
  const IntegerRange range = RangeOf(kind);
  auto out_of_range = [&] {
    return fmt::format("integer out of range for {}: {}", range.name, DescribeSourceValue(value));
  };
  auto not_integer = [&] { return fmt::format("not an integer: {}", DescribeSourceValue(value)); };
  int64_t n = 0;
  switch (value.type) {
    case kSqliteInteger:
      n = value.integer;
      break;
    case kSqliteFloat: {
      double d = value.real;
      if (!std::isfinite(d) || std::trunc(d) != d) return not_integer();
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return out_of_range();
      n = static_cast<int64_t>(d);
      break;
    }
    case kSqliteText: {
      std::string_view s = value.bytes;
      if (!s.empty() && s[0] == '+') s.remove_prefix(1);
      // from_chars takes a '-' of its own; a sign after '+' is not a number.
      if (s.empty() || (s[0] == '-' && s.size() < value.bytes.size())) return not_integer();
      std::from_chars_result r = std::from_chars(s.data(), s.data() + s.size(), n);
      if (r.ptr != s.data() + s.size() || r.ec == std::errc::invalid_argument) return not_integer();
      if (r.ec == std::errc::result_out_of_range) return out_of_range();
      break;
    }
    default:
      return not_integer();
  }
  if (n < range.min || n > range.max) return out_of_range();
  NumberText scratch;
  out.append(IntegerText(n, scratch));
  return std::nullopt;
}

// numeric(p,s) or numeric(p) from format_type(); precision -1 when unconstrained.
struct NumericTypmod {
  int precision = -1;
  int scale = 0;
};

NumericTypmod ParseNumericTypmod(std::string_view pg_name) {
  NumericTypmod typmod;
  size_t open = pg_name.find('(');
  if (open == std::string_view::npos || pg_name.back() != ')') return typmod;
  std::string_view args = pg_name.substr(open + 1, pg_name.size() - open - 2);
  const char* end = args.data() + args.size();
  std::from_chars_result r = std::from_chars(args.data(), end, typmod.precision);
  if (r.ec != std::errc()) return {};
  if (r.ptr != end && (*r.ptr != ',' || std::from_chars(r.ptr + 1, end, typmod.scale).ptr != end)) return {};
  return typmod;
}

std::optional<std::string> AppendNumeric(const SourceValue& value, const TargetType& target, std::string& out) {
  NumberText scratch;
  std::string_view text;
  switch (value.type) {
    case kSqliteInteger:
      text = IntegerText(value.integer, scratch);
      break;
    case kSqliteFloat:
      if (!std::isfinite(value.real)) {
        return fmt::format("not a finite number for numeric: {}", DescribeSourceValue(value));
      }
      text = RealText(value, scratch);
      break;
    case kSqliteText:
      text = value.bytes;
      break;
    default:
      return fmt::format("not a number: {}", DescribeSourceValue(value));
  }
  std::optional<DecimalText> number = ParseDecimal(text, DecimalSyntax::kPostgres);
  if (!number) return fmt::format("not a number: {}", DescribeSourceValue(value));
  if (!FitsNumeric(*number)) return fmt::format("number out of range for numeric: {}", DescribeSourceValue(value));
  NumericTypmod typmod = ParseNumericTypmod(target.pg_name);
  if (typmod.precision > 0 && !FitsNumericTypmod(*number, typmod.precision, typmod.scale)) {
    return fmt::format("number does not fit {}: {}", target.pg_name, DescribeSourceValue(value));
  }
  out.append(text);
  return std::nullopt;
}

// real rounds to float as strtof does: refuse what becomes infinite or zero.
bool FitsFloat4(double d) { return std::fabs(d) <= FLT_MAX && (d == 0 || static_cast<float>(d) != 0); }

// PostgreSQL's spellings of the special float values (float8in), any case.
const char* SpecialFloat(std::string_view s) {
  if (EqualsIgnoreCase(s, "nan")) return "NaN";
  for (std::string_view word : {"infinity", "+infinity", "inf", "+inf"}) {
    if (EqualsIgnoreCase(s, word)) return "Infinity";
  }
  if (EqualsIgnoreCase(s, "-infinity") || EqualsIgnoreCase(s, "-inf")) return "-Infinity";
  return nullptr;
}

std::optional<std::string> AppendFloat(const SourceValue& value, TargetKind kind, std::string& out) {
  const char* name = kind == TargetKind::kFloat4 ? "real" : "double precision";
  auto out_of_range = [&] { return fmt::format("number out of range for {}: {}", name, DescribeSourceValue(value)); };
  NumberText scratch;
  switch (value.type) {
    case kSqliteInteger:
      out.append(IntegerText(value.integer, scratch));
      return std::nullopt;
    case kSqliteFloat: {
      double d = value.real;
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else if (kind == TargetKind::kFloat4 && !FitsFloat4(d)) {
        return out_of_range();
      } else {
        out.append(RealText(value, scratch));
      }
      return std::nullopt;
    }
    case kSqliteText: {
      std::string_view s = value.bytes;
      if (const char* special = SpecialFloat(s)) {
        out += special;
        return std::nullopt;
      }
      if (!ParseDecimal(s, DecimalSyntax::kPostgres))
        return fmt::format("not a number: {}", DescribeSourceValue(value));
      std::string_view digits = s[0] == '+' ? s.substr(1) : s;
      double d = 0;
      std::from_chars_result r = std::from_chars(digits.data(), digits.data() + digits.size(), d);
      if (r.ec != std::errc() || (kind == TargetKind::kFloat4 && !FitsFloat4(d))) return out_of_range();
      out.append(s);
      return std::nullopt;
    }
    default:
      return fmt::format("not a number: {}", DescribeSourceValue(value));
  }
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// 8-4-4-4-12 hex digits, or the same 32 digits without hyphens (as
// SQLAlchemy's Uuid type stores them in SQLite); uuid_in accepts both.
bool IsUuidText(std::string_view s) {
  if (s.size() == 32) {
    for (char c : s)
      if (!IsHex(c)) return false;
    return true;
  }
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

std::optional<std::string> AppendTextLike(const SourceValue& value, const TargetType& target, std::string& out) {
  NumberText scratch;
  std::string_view text = value.type == kSqliteInteger ? IntegerText(value.integer, scratch)
                          : value.type == kSqliteFloat ? RealText(value, scratch)
                                                       : value.bytes;
  if (target.kind == TargetKind::kUuid) {
    if (!IsUuidText(text)) return fmt::format("not a uuid: {}", DescribeSourceValue(value));
    out.append(text);
    return std::nullopt;
  }
  size_t code_points = 0;
  if (std::optional<std::string> problem = CheckText(text, code_points)) return problem;
  if (target.max_chars >= 0 && code_points > static_cast<size_t>(target.max_chars)) {
    return fmt::format("text longer than {}({}): {} characters", target.kind == TargetKind::kChar ? "char" : "varchar",
                       target.max_chars, code_points);
  }
  AppendCopyEscaped(text, out);
  return std::nullopt;
}

std::optional<std::string> AppendJson(const SourceValue& value, TargetKind kind, std::string& out) {
  NumberText scratch;
  switch (value.type) {
    case kSqliteInteger:  // NUMERIC affinity turned the JSON text '42' into an integer
      out.append(IntegerText(value.integer, scratch));
      return std::nullopt;
    case kSqliteFloat: {
      if (!std::isfinite(value.real))
        return fmt::format("not a finite number for JSON: {}", DescribeSourceValue(value));
      std::string_view text = RealText(value, scratch);
      if (!ParseDecimal(text, DecimalSyntax::kJson)) text = ShortestText(value.real, scratch);
      out.append(text);
      return std::nullopt;
    }
    default: {
      JsonCheckOptions options;
      options.jsonb = kind == TargetKind::kJsonb;
      if (std::optional<JsonProblem> problem = CheckJson(value.bytes, options)) {
        return DescribeJsonProblem(*problem, options);
      }
      AppendCopyEscaped(value.bytes, out);  // verbatim: escapes, key order and spacing kept
      return std::nullopt;
    }
  }
}

// bytea's hex format, \x then two lowercase digits a byte. In COPY text the
// backslash itself is escaped, so the bytes written are \\x….
std::optional<std::string> AppendBytea(const SourceValue& value, std::string& out) {
  if (value.type != kSqliteBlob && value.type != kSqliteText) {
    return fmt::format("not a blob or text: {}", DescribeSourceValue(value));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  size_t at = out.size();
  out.resize(at + 3 + 2 * value.bytes.size());
  char* p = out.data() + at;
  *p++ = '\\';
  *p++ = '\\';
  *p++ = 'x';
  for (char c : value.bytes) {
    auto b = static_cast<unsigned char>(c);
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 0xF];
  }
  return std::nullopt;
}

std::optional<std::string> Convert(const SourceValue& value, const TargetType& target, std::string& out) {
  switch (target.kind) {
    case TargetKind::kBoolean:
      return AppendBoolean(value, out);
    case TargetKind::kInt16:
    case TargetKind::kInt32:
    case TargetKind::kInt64:
      return AppendInteger(value, target.kind, out);
    case TargetKind::kNumeric:
      return AppendNumeric(value, target, out);
    case TargetKind::kFloat4:
    case TargetKind::kFloat8:
      return AppendFloat(value, target.kind, out);
    case TargetKind::kJson:
    case TargetKind::kJsonb:
      return AppendJson(value, target.kind, out);
    case TargetKind::kTimestamp:
    case TargetKind::kTimestampTz:
    case TargetKind::kDate:
      return AppendTimeField(value, target.kind, out);
    case TargetKind::kBytea:
      return AppendBytea(value, out);
    case TargetKind::kText:
    case TargetKind::kVarchar:
    case TargetKind::kChar:
    case TargetKind::kUuid:
    case TargetKind::kOther:
      return AppendTextLike(value, target, out);
  }
  return AppendTextLike(value, target, out);
}

// ---- ParseTargetType helpers ------------------------------------------------

bool ParseCount(std::string_view digits, int& value) {
  if (digits.empty()) return false;
  std::from_chars_result r = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return r.ec == std::errc() && r.ptr == digits.data() + digits.size() && value >= 0;
}

}  // namespace

TargetType ParseTargetType(std::string_view format_type) {
  TargetType t;
  t.pg_name = std::string(format_type);
  struct Name {
    std::string_view name;
    TargetKind kind;
  };
  static constexpr Name kPlain[] = {
      {"text", TargetKind::kText},
      {"character varying", TargetKind::kVarchar},
      {"character", TargetKind::kChar},
      {"bpchar", TargetKind::kChar},
      {"boolean", TargetKind::kBoolean},
      {"smallint", TargetKind::kInt16},
      {"integer", TargetKind::kInt32},
      {"bigint", TargetKind::kInt64},
      {"numeric", TargetKind::kNumeric},
      {"real", TargetKind::kFloat4},
      {"double precision", TargetKind::kFloat8},
      {"json", TargetKind::kJson},
      {"jsonb", TargetKind::kJsonb},
      {"timestamp without time zone", TargetKind::kTimestamp},
      {"timestamp with time zone", TargetKind::kTimestampTz},
      {"date", TargetKind::kDate},
      {"bytea", TargetKind::kBytea},
      {"uuid", TargetKind::kUuid},
  };
  for (const Name& n : kPlain) {
    if (format_type == n.name) {
      t.kind = n.kind;
      return t;
    }
  }
  // name(modifier) [suffix]
  size_t open = format_type.find('(');
  size_t close = format_type.find(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return t;
  std::string_view name = format_type.substr(0, open);
  std::string_view args = format_type.substr(open + 1, close - open - 1);
  std::string_view suffix = format_type.substr(close + 1);
  int count = 0;
  if ((name == "character varying" || name == "character") && suffix.empty() && ParseCount(args, count)) {
    t.kind = name == "character" ? TargetKind::kChar : TargetKind::kVarchar;
    t.max_chars = count;
  } else if (name == "numeric" && suffix.empty() && ParseNumericTypmod(format_type).precision > 0) {
    t.kind = TargetKind::kNumeric;
  } else if (name == "timestamp" && ParseCount(args, count)) {
    if (suffix == " without time zone") t.kind = TargetKind::kTimestamp;
    if (suffix == " with time zone") t.kind = TargetKind::kTimestampTz;
  }
  return t;
}

std::optional<std::string> AppendCopyField(const SourceValue& value, const TargetType& target, std::string& out) {
  if (value.type == kSqliteNull) {
    out += "\\N";
    return std::nullopt;
  }
  if (value.type < kSqliteInteger || value.type > kSqliteBlob) {
    return fmt::format("unknown SQLite value type {}", value.type);
  }
  const size_t mark = out.size();
  std::optional<std::string> problem = Convert(value, target, out);
  if (problem) out.resize(mark);  // nothing half-written stays behind
  return problem;
}

std::string DescribeSourceValue(const SourceValue& value) {
  NumberText scratch;
  switch (value.type) {
    case kSqliteNull:
      return "NULL";
    case kSqliteInteger:
      return std::string(IntegerText(value.integer, scratch));
    case kSqliteFloat:
      return std::string(RealText(value, scratch));
    case kSqliteBlob:
      return fmt::format("blob of {} bytes", value.bytes.size());
    case kSqliteText:
      break;
    default:
      return fmt::format("value of unknown SQLite type {}", value.type);
  }
  // Quoted, at most 40 characters; NUL, control characters and invalid
  // UTF-8 become '?', so the message itself is always valid text.
  constexpr size_t kMaxChars = 40;
  std::string_view text = value.bytes;
  std::string quoted = "'";
  size_t i = 0;
  for (size_t chars = 0; i < text.size() && chars < kMaxChars; ++chars) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t len = Utf8SequenceLength(text, i);
    if (len == 0 || c < 0x20 || c == 0x7F) {
      quoted += '?';
      i += len == 0 ? 1 : len;
    } else {
      quoted.append(text.substr(i, len));
      i += len;
    }
  }
  if (i < text.size()) quoted += "…";
  quoted += '\'';
  return quoted;
}

}  // namespace tenantsync

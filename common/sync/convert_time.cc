#include "common/sync/convert_time.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace tenantsync {
namespace {

constexpr int kSqliteInteger = 1;
constexpr int kSqliteFloat = 2;
constexpr int kSqliteText = 3;

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

constexpr int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0); }
constexpr int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// Proleptic Gregorian calendar <-> days since 1970-01-01 (Howard Hinnant's
// algorithms, http://howardhinnant.github.io/date_algorithms.html). Year 0 is
// 1 BC, as in ISO 8601.
struct CivilDate {
  int64_t year = 1970;
  int month = 1;
  int day = 1;
};

constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = m > 2 ? m - 3 : m + 9;
  const int64_t doy = (153 * mp + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

constexpr CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), static_cast<int>(month), static_cast<int>(day)};
}

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);
static_assert(CivilFromDays(-1).year == 1969 && CivilFromDays(-1).month == 12 && CivilFromDays(-1).day == 31);

// PostgreSQL's earliest timestamp and date: 4714-11-24 BC (Julian day 0).
constexpr int64_t kMinDays = DaysFromCivil(-4713, 11, 24);
constexpr double kMinMicros = static_cast<double>(kMinDays * kSecondsPerDay) * 1e6;
// Epochs are kept in int64 microseconds; this stops below that (year 294246),
// inside PostgreSQL's range (up to 294276 AD).
constexpr double kMaxMicros = 9.2e18;

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Broken-down time as written out.
struct Fields {
  CivilDate date;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int micros = 0;
  // The offset written for timestamptz (zero: "+00").
  char zone_sign = '+';
  int zone_hour = 0;
  int zone_minute = 0;
};

void AppendPadded(std::string& out, int64_t value, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int k = n; k < width; ++k) out += '0';
  while (n > 0) out += buf[--n];
}

void AppendFields(const Fields& f, TargetKind kind, std::string& out) {
  bool bc = f.date.year <= 0;
  AppendPadded(out, bc ? 1 - f.date.year : f.date.year, 4);
  out += '-';
  AppendPadded(out, f.date.month, 2);
  out += '-';
  AppendPadded(out, f.date.day, 2);
  if (kind != TargetKind::kDate) {
    out += ' ';
    AppendPadded(out, f.hour, 2);
    out += ':';
    AppendPadded(out, f.minute, 2);
    out += ':';
    AppendPadded(out, f.second, 2);
    if (f.micros != 0) {
      out += '.';
      AppendPadded(out, f.micros, 6);
    }
    if (kind == TargetKind::kTimestampTz) {
      bool zero = f.zone_hour == 0 && f.zone_minute == 0;
      out += zero ? '+' : f.zone_sign;
      AppendPadded(out, f.zone_hour, 2);
      if (f.zone_minute != 0) {
        out += ':';
        AppendPadded(out, f.zone_minute, 2);
      }
    }
  }
  if (bc) out += " BC";
}

Fields FieldsFromEpoch(int64_t seconds, int64_t micros) {
  Fields f;
  f.date = CivilFromDays(FloorDiv(seconds, kSecondsPerDay));
  int64_t second_of_day = FloorMod(seconds, kSecondsPerDay);
  f.hour = static_cast<int>(second_of_day / 3600);
  f.minute = static_cast<int>(second_of_day / 60 % 60);
  f.second = static_cast<int>(second_of_day % 60);
  f.micros = static_cast<int>(micros);
  return f;
}

// An INTEGER epoch, its unit chosen by magnitude.
Fields FieldsFromIntegerEpoch(int64_t v) {
  uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  if (magnitude < 100'000'000'000ULL) return FieldsFromEpoch(v, 0);
  if (magnitude < 100'000'000'000'000ULL) return FieldsFromEpoch(FloorDiv(v, 1000), FloorMod(v, 1000) * 1000);
  if (magnitude < 100'000'000'000'000'000ULL) {
    return FieldsFromEpoch(FloorDiv(v, kMicrosPerSecond), FloorMod(v, kMicrosPerSecond));
  }
  int64_t micros = FloorDiv(v, 1000);  // nanoseconds: truncate toward negative infinity
  return FieldsFromEpoch(FloorDiv(micros, kMicrosPerSecond), FloorMod(micros, kMicrosPerSecond));
}

// A REAL epoch, its unit chosen by magnitude, rounded to the microsecond.
std::optional<Fields> FieldsFromRealEpoch(double v) {
  if (!std::isfinite(v)) return std::nullopt;
  double magnitude = std::fabs(v);
  double to_micros = magnitude < 1e11 ? 1e6 : magnitude < 1e14 ? 1e3 : magnitude < 1e17 ? 1.0 : 1e-3;
  double micros = std::nearbyint(v * to_micros);
  if (!(micros >= kMinMicros && micros < kMaxMicros)) return std::nullopt;
  auto total = static_cast<int64_t>(micros);
  return FieldsFromEpoch(FloorDiv(total, kMicrosPerSecond), FloorMod(total, kMicrosPerSecond));
}

// ---- text ----------------------------------------------------------------

enum class TextIssue { kNone, kSyntax, kRange };

struct ParsedText {
  Fields fields;
  bool has_time = false;
  bool has_zone = false;
  const char* bad_field = "";  // for kRange
};

bool Digits(std::string_view s, size_t pos, size_t count, int& value) {
  if (pos + count > s.size()) return false;
  value = 0;
  for (size_t k = 0; k < count; ++k) {
    char c = s[pos + k];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

TextIssue ParseTimeText(std::string_view s, ParsedText& p) {
  Fields& f = p.fields;
  int year = 0, month = 0, day = 0;
  if (!Digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
      !Digits(s, 8, 2, day)) {
    return TextIssue::kSyntax;
  }
  size_t pos = 10;
  if (pos < s.size()) {
    char sep = s[pos];
    if (sep != ' ' && sep != 'T' && sep != 't') return TextIssue::kSyntax;
    if (!Digits(s, 11, 2, f.hour) || s.size() < 16 || s[13] != ':' || !Digits(s, 14, 2, f.minute)) {
      return TextIssue::kSyntax;
    }
    p.has_time = true;
    pos = 16;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, f.second)) return TextIssue::kSyntax;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        size_t count = pos - start;
        if (count == 0 || count > 9) return TextIssue::kSyntax;
        for (size_t k = 0; k < 6; ++k) f.micros = f.micros * 10 + (k < count ? s[start + k] - '0' : 0);
      }
    }
    if (pos < s.size()) {
      char z = s[pos];
      if (z == 'Z' || z == 'z') {
        ++pos;
      } else if (z == '+' || z == '-') {
        f.zone_sign = z;
        if (!Digits(s, pos + 1, 2, f.zone_hour)) return TextIssue::kSyntax;
        pos += 3;
        if (pos < s.size() && s[pos] == ':') {
          if (!Digits(s, pos + 1, 2, f.zone_minute)) return TextIssue::kSyntax;
          pos += 3;
        }
      } else {
        return TextIssue::kSyntax;
      }
      p.has_zone = true;
    }
    if (pos != s.size()) return TextIssue::kSyntax;
  }
  f.date = {year, month, day};
  auto range = [&](const char* field) {
    p.bad_field = field;
    return TextIssue::kRange;
  };
  if (year < 1) return range("year");
  if (month < 1 || month > 12) return range("month");
  if (day < 1 || day > DaysInMonth(year, month)) return range("day");
  if (f.hour > 23) return range("hour");
  if (f.minute > 59) return range("minute");
  if (f.second > 59) return range("second");
  if (f.zone_hour > 15 || f.zone_minute > 59) return range("time zone offset");  // PostgreSQL's limit: ±15:59
  return TextIssue::kNone;
}

const char* KindName(TargetKind kind) { return kind == TargetKind::kDate ? "date" : "timestamp"; }

std::optional<std::string> AppendText(std::string_view text, const SourceValue& value, TargetKind kind,
                                      std::string& out) {
  ParsedText p;
  switch (ParseTimeText(text, p)) {
    case TextIssue::kSyntax:
      return fmt::format("unrecognised {} text {}", KindName(kind), DescribeSourceValue(value));
    case TextIssue::kRange:
      return fmt::format("{} out of range in {} text {}", p.bad_field, KindName(kind), DescribeSourceValue(value));
    case TextIssue::kNone:
      break;
  }
  const Fields& f = p.fields;
  bool zero_offset = f.zone_hour == 0 && f.zone_minute == 0;
  if (kind != TargetKind::kTimestampTz && !zero_offset) {
    return fmt::format("{} text with a non-UTC offset for a column without time zone: {}", KindName(kind),
                       DescribeSourceValue(value));
  }
  if (kind == TargetKind::kDate && (f.hour != 0 || f.minute != 0 || f.second != 0 || f.micros != 0)) {
    return fmt::format("date text with a time of day: {}", DescribeSourceValue(value));
  }
  AppendFields(f, kind, out);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> AppendTimeField(const SourceValue& value, TargetKind kind, std::string& out) {
  switch (value.type) {
    case kSqliteInteger:
      AppendFields(FieldsFromIntegerEpoch(value.integer), kind, out);
      return std::nullopt;
    case kSqliteFloat:
      if (std::optional<Fields> f = FieldsFromRealEpoch(value.real)) {
        AppendFields(*f, kind, out);
        return std::nullopt;
      }
      return fmt::format("epoch out of range for {}: {}", KindName(kind), DescribeSourceValue(value));
    case kSqliteText:
      return AppendText(value.bytes, value, kind, out);
    default:
      return fmt::format("not a {}: {}", KindName(kind), DescribeSourceValue(value));
  }
}

}  // namespace tenantsync

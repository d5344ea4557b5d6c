#include "common/sync/decimal_text.h"

namespace tenantsync {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t SkipDigits(std::string_view text, size_t pos) {
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  return pos;
}

// The digits of int_digits followed by frac_digits, as one sequence.
struct Digits {
  const DecimalText& n;
  size_t size() const { return n.int_digits.size() + n.frac_digits.size(); }
  char operator[](size_t i) const {
    return i < n.int_digits.size() ? n.int_digits[i] : n.frac_digits[i - n.int_digits.size()];
  }
  // Index of the first non-zero digit, or size() for zero.
  size_t FirstNonZero() const {
    size_t i = 0;
    while (i < size() && (*this)[i] == '0') ++i;
    return i;
  }
};

}  // namespace

bool ScanDecimal(std::string_view text, size_t& pos, DecimalSyntax syntax, DecimalText& parts) {
  parts = DecimalText{};
  size_t i = pos;
  if (i < text.size() && (text[i] == '-' || (text[i] == '+' && syntax == DecimalSyntax::kPostgres))) {
    parts.negative = text[i] == '-';
    ++i;
  }
  size_t int_start = i;
  if (syntax == DecimalSyntax::kJson) {
    if (i >= text.size() || !IsDigit(text[i])) {
      pos = i;
      return false;
    }
    // A leading zero stands alone: "0", "0.5", never "01".
    i = text[i] == '0' ? i + 1 : SkipDigits(text, i);
  } else {
    i = SkipDigits(text, i);
  }
  parts.int_digits = text.substr(int_start, i - int_start);
  if (i < text.size() && text[i] == '.') {
    size_t frac_start = i + 1;
    size_t frac_end = SkipDigits(text, frac_start);
    bool need_frac = syntax == DecimalSyntax::kJson || parts.int_digits.empty();
    if (need_frac && frac_end == frac_start) {
      pos = frac_end;
      return false;
    }
    parts.frac_digits = text.substr(frac_start, frac_end - frac_start);
    i = frac_end;
  } else if (parts.int_digits.empty()) {
    pos = i;
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative_exponent = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative_exponent = text[i++] == '-';
    if (i >= text.size() || !IsDigit(text[i])) {
      pos = i;
      return false;
    }
    int64_t exponent = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      if (exponent < kExponentLimit) exponent = exponent * 10 + (text[i] - '0');
    }
    if (exponent > kExponentLimit) exponent = kExponentLimit;
    parts.exponent = negative_exponent ? -exponent : exponent;
  }
  pos = i;
  return true;
}

std::optional<DecimalText> ParseDecimal(std::string_view text, DecimalSyntax syntax) {
  DecimalText parts;
  size_t pos = 0;
  if (!ScanDecimal(text, pos, syntax, parts) || pos != text.size()) return std::nullopt;
  return parts;
}

bool FitsNumeric(const DecimalText& number) {
  // numeric_in refuses exponents beyond INT_MAX/2 outright.
  constexpr int64_t kMaxExponent = 1073741823;
  constexpr int64_t kMaxIntegerDigits = 131072;  // NUMERIC_WEIGHT_MAX + 1 base-10000 digits
  constexpr int64_t kMaxDisplayScale = 16383;    // NUMERIC_DSCALE_MAX
  if (number.exponent >= kMaxExponent || number.exponent <= -kMaxExponent) return false;
  int64_t scale = static_cast<int64_t>(number.frac_digits.size()) - number.exponent;
  if (scale > kMaxDisplayScale) return false;
  Digits digits{number};
  size_t first = digits.FirstNonZero();
  if (first == digits.size()) return true;  // zero
  int64_t point = static_cast<int64_t>(number.int_digits.size()) + number.exponent;
  return point - static_cast<int64_t>(first) <= kMaxIntegerDigits;
}

bool FitsNumericTypmod(const DecimalText& number, int precision, int scale) {
  Digits digits{number};
  size_t first = digits.FirstNonZero();
  if (first == digits.size()) return true;  // zero always fits
  // Digit i has the place value 10^(point - 1 - i); rounding to `scale`
  // fractional digits keeps the digits before index `keep`.
  int64_t point = static_cast<int64_t>(number.int_digits.size()) + number.exponent;
  int64_t keep = point + scale;
  int64_t first_index = static_cast<int64_t>(first);
  int64_t allowed = static_cast<int64_t>(precision) - scale;  // integer digits allowed
  if (first_index > keep) return true;                        // rounds to zero
  if (first_index == keep) {
    // Only the rounding digit: the value becomes 0 or 10^-scale, which has
    // 1 - scale integer digits; precision >= 1 makes that fit.
    return digits[first] < '5' || 1 - scale <= allowed;
  }
  int64_t integer_digits = point - first_index;
  size_t keep_index = static_cast<size_t>(keep);
  if (keep_index < digits.size() && digits[keep_index] >= '5') {
    bool all_nines = true;
    for (size_t i = first; i < keep_index && all_nines; ++i) all_nines = digits[i] == '9';
    if (all_nines) ++integer_digits;  // 9.995 → 10.00
  }
  return integer_digits <= allowed;
}

}  // namespace tenantsync

#pragma once
// Decimal numbers as text: the grammar of JSON numbers (RFC 8259) and of
// PostgreSQL's numeric input, and the limits numeric and numeric(p,s) put on
// a value. Used by the value converter (numeric columns, jsonb numbers).
// Pure functions; no allocation.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tenantsync {

// A decimal number as written: [sign] int_digits [. frac_digits] [(e|E) [sign] digits].
struct DecimalText {
  bool negative = false;
  std::string_view int_digits;   // may be empty (".5") in the PostgreSQL grammar
  std::string_view frac_digits;  // empty when there is no fraction
  int64_t exponent = 0;          // saturated at ±kExponentLimit
};

inline constexpr int64_t kExponentLimit = int64_t{1} << 40;

enum class DecimalSyntax {
  kJson,      // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  kPostgres,  // [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?  (numeric_in, without blanks)
};

// Scans one number starting at text[pos]. On success returns true with `pos`
// just past it (the caller decides what may follow); on failure returns false
// with `pos` at the offending byte.
bool ScanDecimal(std::string_view text, size_t& pos, DecimalSyntax syntax, DecimalText& parts);

// The whole of `text` as one number, or nullopt.
std::optional<DecimalText> ParseDecimal(std::string_view text, DecimalSyntax syntax);

// Whether PostgreSQL's unconstrained numeric can hold it (and so jsonb): at
// most 131072 digits before the decimal point and a display scale (digits
// after the point as written, less the exponent) of at most 16383.
bool FitsNumeric(const DecimalText& number);

// Whether numeric(precision, scale) accepts it: rounded (half away from zero)
// to `scale` fractional digits, its absolute value is below 10^(precision-scale).
// PostgreSQL 15 allows a negative scale or one above the precision; so does this.
bool FitsNumericTypmod(const DecimalText& number, int precision, int scale);

}  // namespace tenantsync

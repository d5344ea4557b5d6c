#pragma once
// The timestamp, timestamptz and date part of the value converter
// (convert.h). Split out only for size; callers use AppendCopyField().

#include <optional>
#include <string>

#include "common/sync/convert.h"

namespace tenantsync {

// Appends a non-NULL `value` for a kTimestamp, kTimestampTz or kDate column.
// The text written is plain ASCII that needs no COPY escaping.
//
// - INTEGER: an epoch whose unit follows its magnitude: |v| < 1e11 seconds,
//   < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds; digits beyond
//   the microsecond are truncated toward negative infinity.
// - REAL: the same units by magnitude, rounded to the nearest microsecond
//   (a double rarely holds the decimal fraction exactly: 0.1 s is
//   0.09999999...).
// - TEXT: 'YYYY-MM-DD' or 'YYYY-MM-DD[T| ]HH:MM[:SS[.f{1,9}]]' with an optional
//   zone 'Z' | '±HH' | '±HH:MM'; fields range-checked (leap years included);
//   digits beyond the microsecond truncated.
//
// Written as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (six fraction digits, only when
// not zero; ' BC' after years before 1). timestamptz adds the text's offset, or
// '+00' for epochs and text without one (such text is taken as UTC).
// timestamp without time zone accepts only a zero offset in text (and drops
// it). date writes 'YYYY-MM-DD' (an epoch's UTC date) and accepts text whose
// time of day is midnight with no or a zero offset.
std::optional<std::string> AppendTimeField(const SourceValue& value, TargetKind kind, std::string& out);

}  // namespace tenantsync

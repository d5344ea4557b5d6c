#pragma once
// Converts SQLite values into fields of PostgreSQL's COPY text format. The
// conversion is chosen by the *target* column's type (read once from the
// catalog), never guessed per value from its text.
//
// The produced text assumes the connection's client_encoding is UTF8 (text is
// validated as UTF-8 and copied as is). Timestamps and dates are written with
// explicit offsets (or none, for timestamp without time zone) and ISO year-
// first order, so the session's TimeZone and DateStyle do not matter.
//
// Thread-safety: every function here is pure; no shared state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tenantsync {

// clang-format off
enum class TargetKind { kText, kVarchar, kChar, kBoolean, kInt16, kInt32, kInt64, kNumeric, kFloat4, kFloat8,
                        kJson, kJsonb, kTimestamp, kTimestampTz, kDate, kBytea, kUuid, kOther };
// clang-format on

struct TargetType {
  TargetKind kind = TargetKind::kOther;
  int max_chars = -1;   // varchar(n)/char(n): n; else -1
  std::string pg_name;  // as format_type() printed it, e.g. "character varying(255)"
};

// Parses PostgreSQL's format_type(atttypid, atttypmod) output: "text", "character varying(255)",
// "character varying", "character(3)", "boolean", "smallint", "integer", "bigint", "numeric", "numeric(10,2)",
// "real", "double precision", "json", "jsonb", "timestamp without time zone", "timestamp(3) without time zone",
// "timestamp with time zone", "date", "bytea", "uuid"; anything else → kOther (passed through as text).
// "bpchar" (character without a length) is kChar with max_chars -1. Arrays ("text[]") and domains are kOther.
TargetType ParseTargetType(std::string_view format_type);

// smallint, integer or bigint.
inline bool IsIntegerKind(TargetKind kind) {
  return kind == TargetKind::kInt16 || kind == TargetKind::kInt32 || kind == TargetKind::kInt64;
}

// One SQLite value as sqlite3_column_* give it. For SQLITE_INTEGER and SQLITE_FLOAT, `bytes` holds SQLite's own
// text rendering of the number (sqlite3_column_text), e.g. "1.0" for a REAL 1.0.
struct SourceValue {
  int type = 5;  // SQLITE_INTEGER 1, SQLITE_FLOAT 2, SQLITE_TEXT 3, SQLITE_BLOB 4, SQLITE_NULL 5
  int64_t integer = 0;
  double real = 0;
  std::string_view bytes;  // text or blob bytes (may contain NUL, may be invalid UTF-8)
};

// Appends `value`, converted for a column of type `target`, to `out` as one field of PostgreSQL's COPY text
// format (backslash, tab, newline, CR escaped; SQL NULL as \N). Returns std::nullopt on success; otherwise a short
// human-readable reason (e.g. "text longer than varchar(255): 300 characters", "NUL byte in text at byte 4",
// "invalid UTF-8 at byte 17", "not a boolean: 7", "integer out of range for smallint: 70000",
// "not valid JSON at byte 3: ...", "unrecognised timestamp text '…'") and `out` is left exactly as it was.
// Reasons are valid UTF-8 whatever the value held (fit for a quarantine row and a log line); byte offsets in
// them count from 0. The field separator and the row's newline are the caller's.
//
// Rules (see convert.cc for the details):
// - SQL NULL → \N for every kind.
// - boolean: integer 0/1, text 0/1/t/f/true/false (any case); nothing else.
// - smallint/integer/bigint: integer in range; REAL with an integral value in range; text [+-]?digits in range.
// - numeric/real/double: integer; finite REAL (SQLite's rendering when it reads back as the same double, else
//   the shortest round-trip form); decimal text (numeric also checks numeric(p,s) and PostgreSQL's numeric
//   limits; real/double also accept NaN/Infinity and check the type's range).
// - text/varchar/char/uuid/other: valid UTF-8 without NUL (text or blob); numbers as their decimal text;
//   varchar(n)/char(n) counted in code points; uuid as 8-4-4-4-12 (or 32) hex digits.
// - json/jsonb: the text verbatim after UTF-8, NUL and RFC 8259 checks (depth ≤ 512); numbers as JSON numbers;
//   jsonb also refuses \u0000, unpaired surrogate escapes and numbers outside numeric's range.
// - timestamp/timestamptz/date: integer or REAL epoch (unit by magnitude: s < 1e11 ≤ ms < 1e14 ≤ µs < 1e17 ≤ ns)
//   or ISO-8601-like text; written as UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]' (+00 or the text's offset for
//   timestamptz), or 'YYYY-MM-DD' for date.
// - bytea: blob or text → \x + lowercase hex.
std::optional<std::string> AppendCopyField(const SourceValue& value, const TargetType& target, std::string& out);

// A short, printable rendering of a value for messages: 42, 1.5, 'text…' (at most 40 characters, invalid
// UTF-8 and control characters replaced), "blob of 3 bytes", NULL.
std::string DescribeSourceValue(const SourceValue& value);

}  // namespace tenantsync

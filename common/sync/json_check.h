#pragma once
// A validator for JSON text (RFC 8259) as PostgreSQL's json and jsonb input
// functions judge it, in one linear, non-recursive pass with no allocation:
// UTF-8 validity, raw NUL bytes and syntax together. It never builds values.
// Thread-safety: pure function.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tenantsync {

struct JsonCheckOptions {
  // jsonb (unlike json) stores decoded values, so it also refuses a \u0000
  // escape, an unpaired surrogate escape and a number numeric cannot hold.
  bool jsonb = false;
  // Containers nested deeper than this are refused (PostgreSQL's own limit is
  // its stack depth; 512 is far beyond any document Open WebUI writes).
  int max_depth = 512;
};

struct JsonProblem {
  enum class Kind {
    kInvalidUtf8,    // "invalid UTF-8 at byte N"
    kNulByte,        // "NUL byte in text at byte N"
    kSyntax,         // "not valid JSON at byte N: <detail>"
    kTooDeep,        // "JSON nested deeper than 512 levels at byte N"
    kNulEscape,      // jsonb only
    kLoneSurrogate,  // jsonb only
    kNumberRange,    // jsonb only
  };
  Kind kind = Kind::kSyntax;
  size_t offset = 0;        // byte offset from 0
  const char* detail = "";  // for kSyntax: what was expected or found (static text)
};

// Checks that `text` is exactly one JSON value, optionally surrounded by
// whitespace. Returns the first problem found, or nullopt.
std::optional<JsonProblem> CheckJson(std::string_view text, const JsonCheckOptions& options = {});

// The human-readable reason for a problem, e.g. "not valid JSON at byte 3: expected ':'".
std::string DescribeJsonProblem(const JsonProblem& problem, const JsonCheckOptions& options = {});

}  // namespace tenantsync

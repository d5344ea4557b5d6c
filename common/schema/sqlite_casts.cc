#include "common/schema/sqlite_casts.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>

namespace tenantsync {
namespace {

// Upper case, whitespace runs as one space, no leading or trailing space.
std::string Normalize(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::toupper(u));
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct Declaration {
  std::string base;    // "VARCHAR", "DOUBLE PRECISION", "" for none
  std::string typmod;  // what was inside the parentheses, spaces removed: "10,2"
};

Declaration Parse(std::string_view declared) {
  std::string text = Normalize(declared);
  size_t open = text.find('(');
  if (open == std::string::npos) return {text, ""};
  size_t close = text.find(')', open);
  // "TIMESTAMP(3) WITH TIME ZONE": the words after the parentheses count too.
  std::string after = close == std::string::npos ? "" : text.substr(close + 1);
  Declaration d{Normalize(text.substr(0, open) + " " + after), ""};
  for (char c : text.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1)) {
    if (c != ' ') d.typmod += c;
  }
  return d;
}

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::optional<int> ParseSmallInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// numeric(p) or numeric(p,s) when the declaration's precision and scale are
// ones PostgreSQL takes and that keep every digit; else plain numeric.
std::string Numeric(const std::string& typmod) {
  size_t comma = typmod.find(',');
  std::optional<int> precision = ParseSmallInt(typmod.substr(0, comma));
  std::optional<int> scale = comma == std::string::npos ? 0 : ParseSmallInt(typmod.substr(comma + 1));
  if (!precision || !scale || *precision < 1 || *precision > 1000 || *scale < 0 || *scale > *precision) {
    return "numeric";
  }
  return comma == std::string::npos ? fmt::format("numeric({})", *precision)
                                    : fmt::format("numeric({},{})", *precision, *scale);
}

}  // namespace

bool IsDateTimeDeclaration(std::string_view declared_type) {
  const std::string base = Parse(declared_type).base;
  for (const char* name : {"DATETIME", "DATE", "TIME", "TIMETZ", "TIMESTAMP", "TIMESTAMPTZ"}) {
    if (base == name) return true;
  }
  // "TIME WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE", ...
  return base.rfind("TIME ", 0) == 0 || base.rfind("TIMESTAMP ", 0) == 0;
}

std::string PostgresTypeFor(std::string_view declared_type, const StorageClassesSeen& seen) {
  const Declaration d = Parse(declared_type);
  const std::string& base = d.base;
  if (IsDateTimeDeclaration(declared_type)) {
    // Numbers where a date was declared are epochs of a unit only the
    // application knows: keep them as they are.
    if ((seen.integer || seen.real) && !seen.text && !seen.blob) return seen.real ? "double precision" : "bigint";
    if (base == "DATE") return "date";
    if (base == "TIMESTAMPTZ" || base == "TIMESTAMP WITH TIME ZONE") return "timestamp with time zone";
    if (base == "TIMETZ" || base == "TIME WITH TIME ZONE") return "time with time zone";
    if (base == "TIME" || base == "TIME WITHOUT TIME ZONE") return "time without time zone";
    return "timestamp without time zone";
  }
  if (base == "BOOLEAN" || base == "BOOL") return "boolean";
  if (base == "JSON") return "json";  // not jsonb: jsonb reorders keys and drops duplicates
  if (base == "JSONB") return "jsonb";
  if (base == "UUID") return "uuid";
  if (base == "NUMERIC" || base == "DECIMAL") return Numeric(d.typmod);
  if (base.empty()) return "text";  // untyped: any value, so its text
  // SQLite's own affinity rules (https://sqlite.org/datatype3.html §3.1), in
  // its order, with the widest PostgreSQL type of each affinity.
  if (Contains(base, "INT")) return "bigint";
  if (Contains(base, "CHAR") || Contains(base, "CLOB") || Contains(base, "TEXT")) return "text";
  if (Contains(base, "BLOB")) return "bytea";
  if (Contains(base, "REAL") || Contains(base, "FLOA") || Contains(base, "DOUB")) return "double precision";
  return "text";  // NUMERIC affinity under a name PostgreSQL need not know ("STRING", "MONEY")
}

}  // namespace tenantsync

#include "common/sync/row_json.h"

#include <fmt/format.h>

#include <cmath>

#include "common/json.h"
#include "common/utf8.h"

namespace tenantsync {

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 0x3F];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
    out += rest == 2 ? kAlphabet[(v >> 6) & 0x3F] : '=';
    out += '=';
  }
  return out;
}

void AppendSqliteValueJson(const SqliteStmt& stmt, int col, std::string& out) {
  switch (stmt.Type(col)) {
    case SQLITE_NULL: out += "null"; return;
    case SQLITE_INTEGER: out += std::to_string(stmt.Int(col)); return;
    case SQLITE_FLOAT: {
      double v = stmt.Real(col);
      out += std::isfinite(v) ? fmt::format("{}", v) : JsonQuote(fmt::format("{}", v));
      return;
    }
    case SQLITE_TEXT: {
      std::string_view text = stmt.Text(col);
      if (text.find('\0') == std::string_view::npos && IsValidUtf8(text)) {
        out += JsonQuote(text);
        return;
      }
      break;
    }
    default: break;
  }
  out += "{\"$b64\": \"" + Base64(stmt.Text(col)) + "\"}";
}

}  // namespace tenantsync

#include "common/pg/sqlstate.h"

namespace tenantsync {

ExitCode ExitCodeForSqlState(std::string_view s) {
  auto starts = [&](std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; };
  if (starts("08") || s == "57P01" || s == "57P02" || s == "57P03") return ExitCode::kUnavailable;
  // 25P03/57P05: our own idle timeouts ended the session; the next tick retries.
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "57014" || s == "25P03" || s == "57P05" || starts("53")) {
    return ExitCode::kTempFail;
  }
  if (s == "42501" || starts("28")) return ExitCode::kNoPerm;
  if (starts("22") || starts("23")) return ExitCode::kDataErr;
  return ExitCode::kSoftware;
}

}  // namespace tenantsync

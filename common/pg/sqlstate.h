#pragma once
// SQLSTATE → exit code, in one place (libpqxx maps error classes likewise).

#include <string_view>

#include "common/exit_code.h"

namespace tenantsync {

// 08xxx, 57P0x: the server is gone or refusing → kUnavailable (69).
// 40001, 40P01, 55P03, 57014, 25P03, 57P05, 53xxx: retry later → kTempFail (75).
// 42501, 28xxx: permission → kNoPerm (77).
// 22xxx, 23xxx: the data was refused → kDataErr (65).
// Anything else is our bug → kSoftware (70).
ExitCode ExitCodeForSqlState(std::string_view sqlstate);

}  // namespace tenantsync

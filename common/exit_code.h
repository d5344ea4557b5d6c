#pragma once
// The one table of process exit codes (sysexits.h). docs/exit-codes.md
// and the systemd units must agree with it; tests/unit/exit_code_test.cc checks.

#include <span>
#include <string_view>

namespace tenantsync {

enum class ExitCode : int {
  kOk = 0,            // success; for sync-elect: this node leads
  kNo = 1,            // a "no" that is not an error: follower, unhealthy, nothing matched
  kUsage = 64,        // EX_USAGE: bad command line
  kDataErr = 65,      // EX_DATAERR: source unreadable (not a database, corrupt)
  kNoInput = 66,      // EX_NOINPUT: source file missing
  kUnavailable = 69,  // EX_UNAVAILABLE: PostgreSQL unreachable
  kSoftware = 70,     // EX_SOFTWARE: internal bug
  kIoErr = 74,        // EX_IOERR: local file could not be written
  kTempFail = 75,     // EX_TEMPFAIL: lease lost, transient error; retry next tick
  kNoPerm = 77,       // EX_NOPERM: permission denied, or a role with too much privilege
  kConfig = 78,       // EX_CONFIG: configuration error
  kConditionFailed = 255,  // under ExecCondition=: systemd reads only 255 as failure
};

struct ExitCodeInfo {
  ExitCode code;
  std::string_view name;     // sysexits name, e.g. "EX_CONFIG"
  std::string_view meaning;  // one line, used by --help and docs
};

// Every code with its name and meaning, in ascending order.
std::span<const ExitCodeInfo> ExitCodeTable();

constexpr int ToInt(ExitCode code) { return static_cast<int>(code); }

}  // namespace tenantsync

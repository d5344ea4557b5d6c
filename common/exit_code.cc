#include "common/exit_code.h"

#include <array>

namespace tenantsync {

std::span<const ExitCodeInfo> ExitCodeTable() {
  static constexpr std::array<ExitCodeInfo, 12> kTable{{
      {ExitCode::kOk, "EX_OK", "success; sync-elect: this node is the leader"},
      {ExitCode::kNo, "NO", "a no that is not an error: follower, unhealthy, nothing matched"},
      {ExitCode::kUsage, "EX_USAGE", "bad command line"},
      {ExitCode::kDataErr, "EX_DATAERR", "bad input data: source is not a database or is corrupt"},
      {ExitCode::kNoInput, "EX_NOINPUT", "source file missing"},
      {ExitCode::kUnavailable, "EX_UNAVAILABLE", "PostgreSQL unreachable"},
      {ExitCode::kSoftware, "EX_SOFTWARE", "internal error (a bug: please report it)"},
      {ExitCode::kIoErr, "EX_IOERR", "a local file could not be read or written"},
      {ExitCode::kTempFail, "EX_TEMPFAIL", "temporary failure (lease lost, lock timeout); retry next tick"},
      {ExitCode::kNoPerm, "EX_NOPERM", "permission denied, or a role with more privilege than allowed"},
      {ExitCode::kConfig, "EX_CONFIG", "configuration error"},
      {ExitCode::kConditionFailed, "CONDITION_FAILED",
       "under --exec-condition: any failure, so systemd marks the unit failed"},
  }};
  return kTable;
}

}  // namespace tenantsync

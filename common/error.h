#pragma once
// Failures are exceptions that carry their exit code (pgBackRest: the error type
// is the exit code). Expected outcomes (follower, nothing to do) are values.
// Only RunTool() and retry loops catch them.

#include <stdexcept>
#include <string>

#include "common/exit_code.h"

namespace tenantsync {

class Error : public std::runtime_error {
 public:
  // `hint`, when set, is printed on its own "hint:" line after the message.
  Error(ExitCode code, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), code_(code), hint_(std::move(hint)) {}

  ExitCode code() const { return code_; }
  const std::string& hint() const { return hint_; }

 private:
  ExitCode code_;
  std::string hint_;
};

struct UsageError : Error {
  explicit UsageError(std::string m, std::string h = {}) : Error(ExitCode::kUsage, std::move(m), std::move(h)) {}
};
struct ConfigError : Error {
  explicit ConfigError(std::string m, std::string h = {}) : Error(ExitCode::kConfig, std::move(m), std::move(h)) {}
};
struct PermissionError : Error {
  explicit PermissionError(std::string m, std::string h = {}) : Error(ExitCode::kNoPerm, std::move(m), std::move(h)) {}
};
struct IoError : Error {
  explicit IoError(std::string m, std::string h = {}) : Error(ExitCode::kIoErr, std::move(m), std::move(h)) {}
};
struct InternalError : Error {
  explicit InternalError(std::string m) : Error(ExitCode::kSoftware, std::move(m)) {}
};

}  // namespace tenantsync

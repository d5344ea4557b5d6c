#pragma once
// RunTool(): the one place where a tool's failures become exit codes, so every
// main() only declares its flags and delegates (ninja, ccache).

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "common/config.h"
#include "common/exit_code.h"

namespace tenantsync {

struct CommonFlags {
  std::string config_path = kDefaultConfigPath;
  std::string log_level = "info";
  bool json = false;               // only tools that print results register --json
  bool exec_condition = false;     // sync-elect: map every failure to 255
};

// Adds --config and --log-level.
void AddCommonFlags(CLI::App& app, CommonFlags& flags);
// Adds --json.
void AddJsonFlag(CLI::App& app, CommonFlags& flags);

// For ids and counts: a decimal integer from 1 to 2^63 - 1, else a usage
// error (64). Use with Option::transform(): it also rewrites the text in
// plain decimal, because CLI11 itself clamps an overlong number to
// INT64_MAX and reads "010" as octal.
CLI::Validator PositiveInt64();

using ToolBody = std::function<ExitCode(const Config&)>;

// In order: parse argv (--help → 0, bad usage → 64), set up logging, load the
// config (→ 78 on error), run `body`. An Error returns its code after logging
// its message and hint; any other exception returns 70.
int RunTool(CLI::App& app, int argc, char** argv, CommonFlags& flags, const ToolBody& body);

// Logs an error with its hint line; returns its exit code.
ExitCode ReportError(const std::exception& error);

}  // namespace tenantsync

#include "common/tool.h"

#include <charconv>
#include <cstdint>

#include "common/error.h"
#include "common/log.h"
#include "common/signals.h"

namespace tenantsync {

void AddCommonFlags(CLI::App& app, CommonFlags& flags) {
  app.add_option("-c,--config", flags.config_path, "Configuration file (TOML)")
      ->default_str(kDefaultConfigPath);
  app.add_option("--log-level", flags.log_level, "error, warning, notice, info or debug")->default_str("info");
}

void AddJsonFlag(CLI::App& app, CommonFlags& flags) {
  app.add_flag("--json", flags.json, "Print results as JSON on stdout");
}

CLI::Validator PositiveInt64() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
          return "must be a whole number from 1 to 9223372036854775807, got '" + text + "'";
        }
        text = std::to_string(value);
        return {};
      },
      "POSITIVE", "POSITIVE");
}

ExitCode ReportError(const std::exception& error) {
  if (const auto* e = dynamic_cast<const Error*>(&error)) {
    LogLine(LogLevel::kError, e->what());
    if (!e->hint().empty()) LogLine(LogLevel::kError, "hint: " + e->hint());
    return e->code();
  }
  std::string what = error.what();
  while (!what.empty() && what.back() == '\n') what.pop_back();
  LogLine(LogLevel::kError, "internal error: " + what);
  return ExitCode::kSoftware;
}

int RunTool(CLI::App& app, int argc, char** argv, CommonFlags& flags, const ToolBody& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int cli_code = app.exit(e);  // prints help or the usage error
    if (cli_code == 0) return 0;
    return flags.exec_condition ? ToInt(ExitCode::kConditionFailed) : ToInt(ExitCode::kUsage);
  }

  ExitCode code = ExitCode::kSoftware;
  try {
    InitLog(app.get_name(), ParseLogLevel(flags.log_level));
    bool given = app.get_option("--config")->count() > 0;
    Config config = LoadConfig(flags.config_path, given);
    InstallStopHandlers();
    code = body(config);
  } catch (const StopRequested& stop) {
    // Every transaction has rolled back on the way out; die as systemd expects.
    Log(LogLevel::kNotice, "stopped by signal {} between batches; nothing half-written", stop.signal);
    DieOfSignal(stop.signal);
  } catch (const std::exception& e) {
    code = ReportError(e);
  }
  if (flags.exec_condition && ToInt(code) >= ToInt(ExitCode::kUsage)) return ToInt(ExitCode::kConditionFailed);
  return ToInt(code);
}

}  // namespace tenantsync

#pragma once
// Logging to stderr, one event per line. When stderr is the journal
// ($JOURNAL_STREAM names stderr's device:inode) each line starts with a
// syslog priority prefix (<3> error … <7> debug) and carries no timestamp,
// since journald adds one. Otherwise: "2026-01-02T03:04:05Z sync-run[42] error: …".
// Messages are lowercase with key=value context; never pass a secret.

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace tenantsync {

enum class LogLevel : int { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

// Parses "error", "warning", "notice", "info", "debug"; throws UsageError otherwise.
LogLevel ParseLogLevel(std::string_view text);

// Sets the program name and threshold; detects the journal. Not thread-safe:
// call once from main before starting threads.
void InitLog(std::string_view program, LogLevel threshold);

bool LogEnabled(LogLevel level);

// Writes one line (several lines are split, each prefixed). Thread-safe.
void LogLine(LogLevel level, std::string_view message);

// Formats a line as LogLine would write it; exposed for tests.
std::string FormatLogLine(LogLevel level, std::string_view message, bool journal);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (LogEnabled(level)) LogLine(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tenantsync

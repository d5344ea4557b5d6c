#include "common/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "common/error.h"

namespace tenantsync {
namespace {

struct LogState {
  std::string program = "tenantsync";
  LogLevel threshold = LogLevel::kInfo;
  bool journal = false;
  std::mutex mutex;
};

LogState& State() {
  static LogState state;
  return state;
}

std::string_view LevelWord(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}

// systemd sets JOURNAL_STREAM=<dev>:<ino> for the stream its stderr points at.
bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) && ino == static_cast<unsigned long long>(st.st_ino);
}

}  // namespace

LogLevel ParseLogLevel(std::string_view text) {
  for (LogLevel level : {LogLevel::kError, LogLevel::kWarning, LogLevel::kNotice, LogLevel::kInfo,
                         LogLevel::kDebug}) {
    if (text == LevelWord(level)) return level;
  }
  throw UsageError(fmt::format("unknown log level '{}'", text),
                   "use one of: error, warning, notice, info, debug");
}

void InitLog(std::string_view program, LogLevel threshold) {
  LogState& state = State();
  state.program = std::string(program);
  state.threshold = threshold;
  state.journal = StderrIsJournal();
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= static_cast<int>(State().threshold); }

std::string FormatLogLine(LogLevel level, std::string_view message, bool journal) {
  std::string out;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(start, end - start);
    if (journal) {
      out += fmt::format("<{}>{}\n", static_cast<int>(level), line);
    } else {
      std::time_t now = std::time(nullptr);
      std::tm tm{};
      gmtime_r(&now, &tm);
      char stamp[32];
      std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
      out += fmt::format("{} {}[{}] {}: {}\n", stamp, State().program, getpid(), LevelWord(level), line);
    }
    start = end + 1;
  }
  return out;
}

void LogLine(LogLevel level, std::string_view message) {
  LogState& state = State();
  std::string text = FormatLogLine(level, message, state.journal);
  std::lock_guard lock(state.mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace tenantsync

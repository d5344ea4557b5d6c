#include "common/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "common/error.h"

namespace tenantsync {
namespace {

struct LevelCase {
  LogLevel level;
  std::string word;
  std::string prefix;
};

const std::vector<LevelCase>& Levels() {
  static const std::vector<LevelCase> kLevels = {
      {LogLevel::kError, "error", "<3>"},   {LogLevel::kWarning, "warning", "<4>"},
      {LogLevel::kNotice, "notice", "<5>"}, {LogLevel::kInfo, "info", "<6>"},
      {LogLevel::kDebug, "debug", "<7>"},
  };
  return kLevels;
}

// Restores the process-wide log settings a test changed.
class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { InitLog("tenantsync", LogLevel::kInfo); }
};

TEST_F(LogTest, JournalLinesCarryPriorityPrefix) {
  for (const LevelCase& c : Levels()) {
    EXPECT_EQ(FormatLogLine(c.level, "copied 5 rows table=users", true), c.prefix + "copied 5 rows table=users\n");
  }
}

TEST_F(LogTest, JournalPrefixesEveryLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "<3>\n"},
      {"one", "<3>one\n"},
      {"one\ntwo", "<3>one\n<3>two\n"},
      {"one\n\nthree", "<3>one\n<3>\n<3>three\n"},
      // A trailing newline yields a final empty line: callers trim messages first.
      {"one\n", "<3>one\n<3>\n"},
  };
  for (const auto& [message, expected] : cases) {
    EXPECT_EQ(FormatLogLine(LogLevel::kError, message, true), expected) << message;
  }
}

TEST_F(LogTest, PlainLinesCarryTimestampProgramPidAndLevel) {
  InitLog("sync-test", LogLevel::kInfo);
  for (const LevelCase& c : Levels()) {
    std::regex line("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z sync-test\\[" + std::to_string(getpid()) + "\\] " +
                    c.word + ": lease acquired term=7\n");
    std::string out = FormatLogLine(c.level, "lease acquired term=7", false);
    EXPECT_TRUE(std::regex_match(out, line)) << out;
  }
}

TEST_F(LogTest, PlainFormatPrefixesEveryLine) {
  InitLog("sync-run", LogLevel::kInfo);
  std::string prefix = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z sync-run\\[" + std::to_string(getpid()) + "\\] ";
  std::regex two_lines(prefix + "warning: first\n" + prefix + "warning: hint: second\n");
  std::string out = FormatLogLine(LogLevel::kWarning, "first\nhint: second", false);
  EXPECT_TRUE(std::regex_match(out, two_lines)) << out;
}

TEST_F(LogTest, ParseLogLevelAcceptsTheFiveWords) {
  for (const LevelCase& c : Levels()) EXPECT_EQ(ParseLogLevel(c.word), c.level) << c.word;
}

TEST_F(LogTest, ParseLogLevelRefusesOtherWords) {
  for (const char* text : {"", "ERROR", "Info", "warn", "err", "trace", "critical", "info ", " debug", "6"}) {
    try {
      ParseLogLevel(text);
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const UsageError& e) {
      EXPECT_EQ(ToInt(e.code()), 64);
      EXPECT_EQ(std::string(e.what()), std::string("unknown log level '") + text + "'");
      EXPECT_EQ(e.hint(), "use one of: error, warning, notice, info, debug");
    }
  }
}

TEST_F(LogTest, ThresholdEnablesItsLevelAndMoreSevereOnes) {
  const std::vector<LevelCase>& levels = Levels();  // most severe first
  for (size_t t = 0; t < levels.size(); ++t) {
    InitLog("sync-test", levels[t].level);
    for (size_t i = 0; i < levels.size(); ++i) {
      EXPECT_EQ(LogEnabled(levels[i].level), i <= t) << "threshold=" << levels[t].word << " level=" << levels[i].word;
    }
  }
}

}  // namespace
}  // namespace tenantsync

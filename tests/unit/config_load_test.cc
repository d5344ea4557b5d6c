// LoadConfig (files) and ParseDuration; ParseConfig itself is in config_test.cc.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "tests/unit/temp_dir.h"

namespace tenantsync {
namespace {

using std::chrono::seconds;

TEST(ParseDurationTest, AcceptsWholeNumbersWithAUnit) {
  const std::vector<std::pair<std::string, seconds>> good = {
      {"90s", seconds(90)}, {"15m", seconds(900)}, {"1h", seconds(3600)}, {"2d", seconds(172800)}, {"0s", seconds(0)}};
  for (const auto& [text, expected] : good) EXPECT_EQ(ParseDuration(text, "here"), expected) << text;
}

TEST(ParseDurationTest, RefusesEverythingElseNamingWhere) {
  for (const char* text : {"", "5", "1w", "-1s", "abc", "s", "1 s", " 1s", "1S", "1.5h", "+1s", "1h30m",
                           "99999999999999999999s"}) {
    try {
      ParseDuration(text, "t.toml:9:3");
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()), std::string("t.toml:9:3: bad duration '") + text + "'");
      EXPECT_FALSE(e.hint().empty());
    }
  }
}

TEST(ParseDurationTest, RefusesMoreThanAHundredYears) {
  // PostgreSQL adds reconcile_every to a timestamp: 106751991167d passed the
  // old int64 check and failed every sync-run with "timestamp out of range".
  EXPECT_EQ(ParseDuration("36500d", "here"), seconds(36500LL * 86400));
  EXPECT_EQ(ParseDuration("876000h", "here"), seconds(36500LL * 86400));
  for (const char* text : {"36501d", "876001h", "52560001m", "3153600001s", "106751991167d", "99999999999999999d"}) {
    try {
      ParseDuration(text, "t.toml:9:3");
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("t.toml:9:3: duration '") + text + "' is longer than 36500d (100 years)");
    }
  }
}

TEST(LoadConfigTest, DefaultPathMayBeMissingGivenPathMayNot) {
  ScopedTempDir dir;
  Config defaults = LoadConfig(dir.File("absent.toml"), /*path_was_given=*/false);
  EXPECT_EQ(defaults.source_path, "");
  EXPECT_EQ(defaults.lease.ttl_seconds, 15);

  try {
    LoadConfig(dir.File("absent.toml"), /*path_was_given=*/true);
    FAIL() << "a missing --config file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(ToInt(e.code()), 78);
    EXPECT_NE(std::string(e.what()).find(dir.File("absent.toml")), std::string::npos) << e.what();
  }

  WriteFileBytes(dir.File("t.toml"), "[lease]\nttl_seconds = 20\n");
  for (bool given : {true, false}) {
    Config c = LoadConfig(dir.File("t.toml"), given);
    EXPECT_EQ(c.source_path, dir.File("t.toml"));
    EXPECT_EQ(c.lease.ttl_seconds, 20);
  }

  WriteFileBytes(dir.File("bad.toml"), "[lease]\nttl_seconds = 1\n");
  try {
    LoadConfig(dir.File("bad.toml"), true);
    FAIL() << "a bad file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir.File("bad.toml") + ":2:15: ", 0), 0u) << e.what();
  }
}

TEST(LoadConfigTest, RefusesADirectory) {
  ScopedTempDir dir;
  EXPECT_THROW(LoadConfig(dir.path().string(), true), ConfigError);
}

TEST(LoadConfigTest, RefusesAFileOverOneMebibyteWithoutReadingItAll) {
  ScopedTempDir dir;
  // Comments only: valid TOML at any size, so only the limit refuses it.
  WriteFileBytes(dir.File("at-limit.toml"), "#" + std::string(kMaxConfigBytes - 1, 'x'));
  EXPECT_NO_THROW(LoadConfig(dir.File("at-limit.toml"), true));
  WriteFileBytes(dir.File("over.toml"), "#" + std::string(kMaxConfigBytes, 'x'));
  try {
    LoadConfig(dir.File("over.toml"), true);
    FAIL() << "a file over the limit was read";  // stops here: /dev/zero below would never end
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "config file " + dir.File("over.toml") + " is larger than 1 MiB");
  }
  // Endless: only a read that stops at the limit returns.
  EXPECT_THROW(LoadConfig("/dev/zero", true), ConfigError);
}

TEST(LoadConfigTest, ExampleFileParses) {
  std::filesystem::path example = std::filesystem::path(TENANTSYNC_SOURCE_DIR) / "config/tenantsync.example.toml";
  if (!std::filesystem::exists(example)) GTEST_SKIP() << example << " does not exist yet";
  EXPECT_NO_THROW(LoadConfig(example.string(), true));
}

}  // namespace
}  // namespace tenantsync

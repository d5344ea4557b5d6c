// The [tables.*] keys of conflict handling: merge_fallback and
// detect_conflicts, their defaults, inheritance from "*", and refusals.
#include <gtest/gtest.h>

#include <string>

#include "common/config.h"
#include "common/error.h"

namespace tenantsync {
namespace {

TEST(ConfigConflictTest, DefaultsDetectAndFallBackToNewestWins) {
  Config c = ParseConfig("", "t.toml");
  EXPECT_TRUE(c.ForTable("chat").detect_conflicts);
  EXPECT_EQ(c.ForTable("chat").merge_fallback, ConflictStrategy::kNewestWins);
}

TEST(ConfigConflictTest, TablesInheritAndOverride) {
  Config c = ParseConfig(
      "[tables.\"*\"]\nmerge_fallback = \"manual\"\ndetect_conflicts = false\n"
      "[tables.user]\nconflict = \"merge\"\nmerge_fallback = \"target_wins\"\n"
      "[tables.chat]\ndetect_conflicts = true\n",
      "t.toml");
  EXPECT_EQ(c.ForTable("user").merge_fallback, ConflictStrategy::kTargetWins);
  EXPECT_FALSE(c.ForTable("user").detect_conflicts);
  EXPECT_TRUE(c.ForTable("chat").detect_conflicts);
  EXPECT_EQ(c.ForTable("chat").merge_fallback, ConflictStrategy::kManual);
  EXPECT_EQ(c.ForTable("tag").merge_fallback, ConflictStrategy::kManual);
}

TEST(ConfigConflictTest, MergeCannotBeItsOwnFallback) {
  try {
    ParseConfig("[tables.user]\nmerge_fallback = \"merge\"\n", "t.toml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("merge_fallback cannot be \"merge\""), std::string::npos) << e.what();
  }
}

TEST(ConfigConflictTest, DetectConflictsMustBeABoolean) {
  try {
    ParseConfig("[tables.user]\ndetect_conflicts = \"no\"\n", "t.toml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("detect_conflicts must be true or false"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tenantsync

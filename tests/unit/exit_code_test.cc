#include <gtest/gtest.h>

#include <set>

#include "common/exit_code.h"

namespace tenantsync {
namespace {

TEST(ExitCodeTest, TableIsSortedUniqueAndMatchesSysexits) {
  std::set<int> seen;
  int previous = -1;
  for (const ExitCodeInfo& info : ExitCodeTable()) {
    int code = ToInt(info.code);
    EXPECT_GT(code, previous) << info.name;
    EXPECT_TRUE(seen.insert(code).second) << info.name;
    EXPECT_FALSE(info.meaning.empty());
    previous = code;
  }
  // The sysexits.h values the design relies on.
  EXPECT_EQ(ToInt(ExitCode::kUsage), 64);
  EXPECT_EQ(ToInt(ExitCode::kDataErr), 65);
  EXPECT_EQ(ToInt(ExitCode::kNoInput), 66);
  EXPECT_EQ(ToInt(ExitCode::kUnavailable), 69);
  EXPECT_EQ(ToInt(ExitCode::kSoftware), 70);
  EXPECT_EQ(ToInt(ExitCode::kTempFail), 75);
  EXPECT_EQ(ToInt(ExitCode::kNoPerm), 77);
  EXPECT_EQ(ToInt(ExitCode::kConfig), 78);
  EXPECT_EQ(ToInt(ExitCode::kConditionFailed), 255);
}

}  // namespace
}  // namespace tenantsync

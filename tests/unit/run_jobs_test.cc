#include <gtest/gtest.h>

#include "common/commands/run_command.h"

namespace tenantsync {
namespace {

TEST(JobsForRunTest, DefaultIsOnePerCpuUpToTheCap) {
  EXPECT_EQ(JobsForRun(0, 4, 2), 2);
  EXPECT_EQ(JobsForRun(0, 4, 32), 4);
  EXPECT_EQ(JobsForRun(0, 64, 1000), 64);
  // hardware_concurrency() may say 0: "unknown" is one job, not none.
  EXPECT_EQ(JobsForRun(0, 4, 0), 1);
}

TEST(JobsForRunTest, AnExplicitCountIsKeptButCapped) {
  EXPECT_EQ(JobsForRun(1, 4, 32), 1);
  EXPECT_EQ(JobsForRun(3, 4, 1), 3);
  EXPECT_EQ(JobsForRun(16, 4, 32), 4);
  EXPECT_EQ(JobsForRun(16, 0, 32), 1);
}

}  // namespace
}  // namespace tenantsync

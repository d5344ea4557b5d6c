#include "common/metrics/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tenantsync {
namespace {

TEST(PrometheusTextTest, RendersHelpTypeAndSamplesWithEscapes) {
  std::string text = RenderPrometheusText({
      {"tenantsync_demo_rows", "Rows\nwith a \\ backslash", "gauge",
       {{{{"deployment", "a\"b\\c\nd"}, {"kind", "read"}}, 42}, {{}, 1.5}}},
      {"tenantsync_demo_total", "A counter", "counter", {{{}, std::nan("")}}},
  });
  EXPECT_EQ(text,
            "# HELP tenantsync_demo_rows Rows\\nwith a \\\\ backslash\n"
            "# TYPE tenantsync_demo_rows gauge\n"
            "tenantsync_demo_rows{deployment=\"a\\\"b\\\\c\\nd\",kind=\"read\"} 42\n"
            "tenantsync_demo_rows 1.5\n"
            "# HELP tenantsync_demo_total A counter\n"
            "# TYPE tenantsync_demo_total counter\n"
            "tenantsync_demo_total NaN\n");
}

TEST(PrometheusTextTest, LabelValuesAreValidUtf8) {
  EXPECT_EQ(EscapeLabelValue(std::string("x\xff\0y", 4)), "x??y");
  EXPECT_EQ(EscapeLabelValue("✓"), "✓");
}

}  // namespace
}  // namespace tenantsync

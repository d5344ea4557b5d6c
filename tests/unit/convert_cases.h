#pragma once
// Table-driven helpers for the value converter's tests (convert*_test.cc).

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sync/convert.h"

namespace tenantsync::convert_testing {

// Owns the bytes a SourceValue points at.
struct Value {
  int type = 5;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;
  SourceValue view() const { return SourceValue{type, integer, real, bytes}; }
};

inline Value Int(int64_t v) { return {1, v, 0, std::to_string(v)}; }
// `rendering` is what sqlite3_column_text gives for the REAL ("" = not provided).
inline Value Real(double v, std::string rendering) { return {2, 0, v, std::move(rendering)}; }
inline Value Text(std::string s) { return {3, 0, 0, std::move(s)}; }
inline Value Blob(std::string s) { return {4, 0, 0, std::move(s)}; }
inline Value Null() { return {5, 0, 0, {}}; }

struct Accept {
  Value value;
  std::string field;  // the COPY text field expected
};

struct Reject {
  Value value;
  std::string reason;  // the exact reason expected
};

inline std::string Show(const Value& v) {
  return "type " + std::to_string(v.type) + " value " + DescribeSourceValue(v.view());
}

// Each case converts for `type`; the field lands after what `out` held.
inline void ExpectAccepted(std::string_view type, const std::vector<Accept>& cases) {
  const TargetType target = ParseTargetType(type);
  for (const Accept& c : cases) {
    std::string out = "before\t";
    std::optional<std::string> problem = AppendCopyField(c.value.view(), target, out);
    EXPECT_FALSE(problem.has_value()) << type << ": " << Show(c.value) << ": " << problem.value_or("");
    EXPECT_EQ(out, "before\t" + c.field) << type << ": " << Show(c.value);
  }
}

// Each case is refused with exactly `reason`, and `out` is left as it was.
inline void ExpectRejected(std::string_view type, const std::vector<Reject>& cases) {
  const TargetType target = ParseTargetType(type);
  for (const Reject& c : cases) {
    std::string out = "before\tfields\t";
    const std::string before = out;
    std::optional<std::string> problem = AppendCopyField(c.value.view(), target, out);
    ASSERT_TRUE(problem.has_value()) << type << ": " << Show(c.value) << " was accepted as " << out;
    EXPECT_EQ(*problem, c.reason) << type << ": " << Show(c.value);
    EXPECT_EQ(out, before) << type << ": " << Show(c.value);
  }
}

}  // namespace tenantsync::convert_testing

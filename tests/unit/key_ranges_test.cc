// Key ranges on real SQLite files: a boundary is a property of one key, so a
// delete or an insert changes exactly the range around it, and the saved
// form reads back as written.
#include "common/sync/key_ranges.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/sync/source_schema.h"
#include "tests/unit/temp_dir.h"

namespace tenantsync {
namespace {

class KeyRangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteDb db = SqliteDb::OpenReadWrite(path_);
    db.Exec("CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY, v TEXT)");
    db.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
            " INSERT INTO t SELECT printf('key-%06d', i), 'value' FROM n");
  }
  KeyScan Scan(const std::vector<KeyRange>& saved, size_t batch = 1000, size_t max_keys = 100000) {
    SqliteDb db = SqliteDb::OpenReadOnly(path_, 1000);
    SourceSchema schema = ReadSourceSchema(db);
    TablePlan plan;
    plan.name = "t";
    plan.source = &schema.tables.front();
    plan.columns = {{"id", 0, ParseTargetType("text"), true}, {"v", 1, ParseTargetType("text"), false}};
    plan.key = {0};
    ReadLimits limits;
    limits.max_rows = batch;
    return ScanKeyRanges(db, plan, limits, saved, max_keys);
  }
  void Exec(const std::string& sql) { SqliteDb::OpenReadWrite(path_).Exec(sql); }

  ScopedTempDir dir_;
  std::string path_ = dir_.File("t.db");
};

TEST_F(KeyRangesTest, AChangeTouchesOnlyTheRangeAroundIt) {
  KeyScan first = Scan({});
  ASSERT_TRUE(first.usable);
  EXPECT_EQ(first.rows, 20000);
  // About 20 ranges of about 1 024 keys; with nothing saved, all are new.
  EXPECT_GT(first.ranges.size(), 5u);
  EXPECT_LT(first.ranges.size(), 80u);
  EXPECT_EQ(first.changed.size(), first.ranges.size());
  EXPECT_EQ(first.changed.front().after, "");
  EXPECT_EQ(first.changed.back().through, "");

  // The batch size does not move the boundaries; read again, nothing changed.
  KeyScan again = Scan(first.ranges, 333);
  EXPECT_EQ(again.ranges, first.ranges);
  EXPECT_TRUE(again.changed.empty());
  EXPECT_TRUE(again.changed_keys.empty());

  Exec("DELETE FROM t WHERE id = 'key-012345'");
  Exec("INSERT INTO t VALUES ('key-000100x', 'new')");
  KeyScan changed = Scan(first.ranges);
  ASSERT_EQ(changed.changed.size(), 2u);
  // Each changed interval holds its change, and only its range's keys travel.
  EXPECT_LT(changed.changed[0].after, R"(["key-000100x"])");
  EXPECT_TRUE(changed.changed[0].through.empty() || changed.changed[0].through > R"(["key-000100x"])");
  EXPECT_LT(changed.changed[1].after, R"(["key-012345"])");
  EXPECT_TRUE(changed.changed[1].through.empty() || changed.changed[1].through > R"(["key-012345"])");
  EXPECT_LT(changed.changed_keys.size(), 8000u);
  EXPECT_NE(std::find(changed.changed_keys.begin(), changed.changed_keys.end(), R"(["key-000100x"])"),
            changed.changed_keys.end());
  EXPECT_EQ(std::find(changed.changed_keys.begin(), changed.changed_keys.end(), R"(["key-012345"])"),
            changed.changed_keys.end());

  // Beyond the bound, no keys are kept, and the scan says so.
  KeyScan bounded = Scan({}, 1000, 5000);
  EXPECT_TRUE(bounded.too_many_keys);
  EXPECT_TRUE(bounded.changed_keys.empty());
  EXPECT_EQ(bounded.ranges, changed.ranges);
  EXPECT_FALSE(changed.too_many_keys);

  // Every key gone: the whole key space is one changed interval.
  Exec("DELETE FROM t");
  KeyScan emptied = Scan(first.ranges);
  ASSERT_EQ(emptied.changed.size(), 1u);
  EXPECT_EQ(emptied.changed[0].after, "");
  EXPECT_EQ(emptied.changed[0].through, "");
}

TEST_F(KeyRangesTest, AKeyNotComparableAlikeLeavesTheTableToTheReconcile) {
  Exec("INSERT INTO t VALUES (CAST(X'00FF' AS BLOB), 'blob key')");
  EXPECT_FALSE(Scan({}).usable);
}

TEST(KeyRangesFormatTest, ReadsBackAsWrittenAndRefusesAnythingElse) {
  std::vector<KeyRange> ranges = {{R"(["a b", 1])", 0x0123456789abcdefULL, 3}, {R"(["z"])", 42, 1}};
  EXPECT_EQ(ParseKeyRanges(FormatKeyRanges(ranges)), ranges);
  EXPECT_TRUE(ParseKeyRanges("").empty());
  EXPECT_TRUE(ParseKeyRanges("not a range\n").empty());
  EXPECT_TRUE(ParseKeyRanges("zz 1 [1]\n").empty());
}

}  // namespace
}  // namespace tenantsync

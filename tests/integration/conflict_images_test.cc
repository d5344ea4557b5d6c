// sync-resolve settles conflicts over values a lossy image would change:
// each kind of JSON value in a NOT NULL and a nullable json column, SQL NULL
// beside JSON null, bytea with NUL bytes, wide numerics, double extremes and
// timestamps. Whichever side is taken (source, target, merged), the target
// ends byte-identical to it, and later runs write nothing and reopen nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "common/commands/resolve_command.h"
#include "common/commands/run_command.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kSqliteDdl =
    "CREATE TABLE doc (id TEXT NOT NULL PRIMARY KEY, title TEXT NOT NULL, meta TEXT NOT NULL, extra TEXT,"
    " data BLOB, amount TEXT, ratio REAL, at TEXT, updated_at BIGINT NOT NULL);";
constexpr const char* kPostgresDdl =
    "CREATE TABLE {schema}.doc (id text PRIMARY KEY, title text NOT NULL, meta json NOT NULL, extra json,"
    " data bytea, amount numeric, ratio double precision, at timestamp, updated_at bigint NOT NULL);";

// Clashes (both sides stamp updated_at) wait for a person, or, ruled, go to
// the newer stamp.
constexpr const char* kHeld = "[tables.doc]\nconflict = \"merge\"\nmerge_fallback = \"manual\"\n";
constexpr const char* kRuled = "[tables.doc]\nconflict = \"merge\"\nmerge_fallback = \"newest_wins\"\n";

struct JsonKind {
  const char* name;
  const char* meta;   // NOT NULL column
  const char* extra;  // nullable column; nullptr: SQL NULL
};
constexpr std::array<JsonKind, 7> kKinds = {{
    {"json_null", "null", "null"},
    {"sql_null", "null", nullptr},
    {"string", R"("'); DROP TABLE x; -- alpha emoji \ud83d\ude00 \" \\ end")",
     R"("'); DROP TABLE x; -- alpha emoji \ud83d\ude00 \" \\ end")"},
    {"number", "-12.50e3", "-12.50e3"},
    {"true", "true", "true"},
    {"object", R"({"z": "caf\u00e9", "a": [1, 2], "m": null})", R"({"z": "caf\u00e9", "a": [1, 2], "m": null})"},
    {"array", R"([1, "two", null,  {"x": {}}])", R"([1, "two", null,  {"x": {}}])"},
}};

// The source's extreme values, one set per kind (by index modulo 3), and
// how PostgreSQL prints each.
struct Extremes {
  const char* blob;     // SQLite literal
  const char* bytea;    // PostgreSQL text
  const char* amount;   // numeric, exact text
  const char* ratio;    // a double; compared as a double
  const char* at;       // timestamp, exact text
};
constexpr std::array<Extremes, 3> kExtremes = {{
    {"X'005c27ff'", "\\x005c27ff", "12345678901234567890.1234500", "1.7976931348623157e308",
     "2024-02-29 23:59:59.999999"},
    {"X''", "\\x", "-0.000000000000000000001", "4.9406564584124654e-324", "1970-01-01 00:00:00"},
    {"X'00'", "\\x00", "0.10", "-2.2250738585072014e-308", "9999-12-31 23:59:59.999999"},
}};

constexpr std::array<const char*, 3> kTakes = {"source", "target", "merged"};

class ConflictImagesTest : public TenantTest {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    source_ = tmp_.File("webui.db");
    ExecSqlite(source_, kSqliteDdl);
    for (const JsonKind& kind : kKinds) {
      for (const char* take : kTakes) {
        ExecSqlite(source_, fmt::format("INSERT INTO doc VALUES ('{}', 't0', '{{}}', '{{}}', NULL, '1', 1.5,"
                                        " '2020-01-01 00:00:00', 100)",
                                        Id(kind, take)));
      }
    }
    AddTenant("acme", source_, kPostgresDdl);
  }
  static std::string Id(const JsonKind& kind, const char* take) { return fmt::format("{}-{}", kind.name, take); }
  static std::string Literal(const char* json) {
    if (!json) return "NULL";
    std::string out = "'";
    for (const char* p = json; *p; ++p) out += *p == '\'' ? std::string("''") : std::string(1, *p);
    return out + "'";
  }
  ExitCode Sync(const char* tables, bool full = false) {
    RunOptions options;
    options.progress = false;
    options.full = full;
    return RunSync(NodeConfig(tables), options);
  }
  ExitCode Apply(const char* tables, Take take, const std::vector<int64_t>& ids) {
    ResolveOptions o;
    o.command = ResolveOptions::Command::kApply;
    o.filter.ids = ids;
    o.take = take;
    return RunResolve(NodeConfig(tables), o);
  }
  std::string Target(const std::string& id, const std::string& column) {
    return Scalar(fmt::format("SELECT coalesce({}::text, 'SQL NULL') FROM client_acme.doc WHERE id = '{}'", column, id));
  }

  // Rows written by every run so far (a run that writes none records no job).
  std::string Written() { return Scalar("SELECT coalesce(sum(rows_written), 0) FROM sync_metadata.sync_jobs"); }

  std::string source_;
};

TEST_F(ConflictImagesTest, EveryJsonKindAndExtremeValueSettlesExactlyWhicheverSideIsTaken) {
  ASSERT_EQ(Sync(kHeld), ExitCode::kOk);
  // The source sets both json columns and the extremes; the target retitles
  // the row and sets the nullable json column to the same value.
  for (size_t k = 0; k < kKinds.size(); ++k) {
    const JsonKind& kind = kKinds[k];
    const Extremes& x = kExtremes[k % kExtremes.size()];
    for (const char* take : kTakes) {
      std::string id = Id(kind, take);
      ExecSqlite(source_, fmt::format("UPDATE doc SET meta = {}, extra = {}, data = {}, amount = '{}', ratio = {},"
                                      " at = '{}', updated_at = 200 WHERE id = '{}'",
                                      Literal(kind.meta), Literal(kind.extra), x.blob, x.amount, x.ratio, x.at, id));
      Admin().Exec(fmt::format("UPDATE client_acme.doc SET title = 'target title', extra = {}, updated_at = 300"
                               " WHERE id = '{}'",
                               Literal(kind.extra), id));
    }
  }
  ASSERT_EQ(Sync(kHeld), ExitCode::kOk);
  ASSERT_EQ(Scalar("SELECT count(*) FILTER (WHERE outcome = 'pending' AND clashes = '{updated_at}') || '/' || count(*)"
                   " FROM sync_metadata.conflict_log"),
            fmt::format("{0}/{0}", kKinds.size() * kTakes.size()));
  auto ids = [&](const char* take) {
    std::vector<int64_t> out;
    for (const JsonKind& kind : kKinds) {
      out.push_back(std::stoll(Scalar(fmt::format(
          "SELECT conflict_id FROM sync_metadata.conflict_log WHERE row_key->>'id' = '{}'", Id(kind, take)))));
    }
    return out;
  };
  ASSERT_EQ(Apply(kHeld, Take::kSource, ids("source")), ExitCode::kOk);
  ASSERT_EQ(Apply(kHeld, Take::kTarget, ids("target")), ExitCode::kOk);
  ASSERT_EQ(Apply(kRuled, Take::kMerged, ids("merged")), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT string_agg(DISTINCT outcome, ',' ORDER BY outcome) FROM sync_metadata.conflict_log"),
            "merged,source_applied,target_kept");

  auto check = [&](const std::string& when) {
    for (size_t k = 0; k < kKinds.size(); ++k) {
      const JsonKind& kind = kKinds[k];
      const Extremes& x = kExtremes[k % kExtremes.size()];
      std::string extra = kind.extra ? kind.extra : "SQL NULL";
      for (const char* take : kTakes) {
        std::string id = Id(kind, take);
        SCOPED_TRACE(when + ": " + id);
        bool source_values = std::string(take) != "target";
        // The json text byte for byte, JSON null apart from SQL NULL.
        EXPECT_EQ(Target(id, "meta"), source_values ? kind.meta : "{}");
        EXPECT_EQ(Target(id, "extra"), extra);
        EXPECT_EQ(Target(id, "data"), source_values ? x.bytea : "SQL NULL");
        EXPECT_EQ(Target(id, "amount"), source_values ? x.amount : "1");
        EXPECT_EQ(Target(id, "(ratio = " + std::string(source_values ? x.ratio : "1.5") + "::float8)"), "true");
        EXPECT_EQ(Target(id, "at"), source_values ? x.at : "2020-01-01 00:00:00");
        EXPECT_EQ(Target(id, "title || ' ' || updated_at"),
                  std::string(take) == "source" ? "t0 200" : "target title 300");
      }
    }
  };
  check("settled");
  // Later runs, a full pass included, write nothing and reopen nothing.
  std::string written = Written();
  ASSERT_EQ(Sync(kRuled), ExitCode::kOk);
  ASSERT_EQ(Sync(kRuled, true), ExitCode::kOk);
  EXPECT_EQ(Written(), written);
  EXPECT_EQ(Scalar("SELECT count(*) FILTER (WHERE outcome = 'pending') || '/' || count(*)"
                   " FROM sync_metadata.conflict_log"),
            fmt::format("0/{}", kKinds.size() * kTakes.size()));
  check("after two more runs");
}

// merge_rows merges json objects changed on both sides key by key, and a
// column changed on one side only takes that side's exact text.
TEST_F(ConflictImagesTest, AMergeCombinesJsonObjectsKeyByKey) {
  ExecSqlite(source_, R"(UPDATE doc SET meta = '{"a": 1, "b": 2}' WHERE id = 'object-merged')");
  ASSERT_EQ(Sync(kRuled), ExitCode::kOk);
  ExecSqlite(source_, R"(UPDATE doc SET meta = '{"a": 10, "b": 2}', extra = '"only the source"', updated_at = 200)"
                      " WHERE id = 'object-merged'");
  Admin().Exec(R"(UPDATE client_acme.doc SET meta = '{"a": 1, "b": 20}', updated_at = 300 WHERE id = 'object-merged')");
  ASSERT_EQ(Sync(kRuled), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT outcome || ' ' || array_to_string(clashes, ',') FROM sync_metadata.conflict_log"),
            "merged updated_at");
  EXPECT_EQ(Target("object-merged", "meta"), R"({"a":10,"b":20})");
  EXPECT_EQ(Target("object-merged", "extra"), R"("only the source")");
  EXPECT_EQ(Target("object-merged", "updated_at"), "300");
  std::string written = Written();
  ASSERT_EQ(Sync(kRuled, true), ExitCode::kOk);
  EXPECT_EQ(Written(), written);
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.conflict_log"), "1");
}

}  // namespace
}  // namespace tenantsync::testing

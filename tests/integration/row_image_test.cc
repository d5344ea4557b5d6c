// Row images are exact: random rows of every Open WebUI table, with the
// values that trip lossy encodings (JSON null beside SQL NULL, top-level
// JSON strings, escapes, float and numeric extremes, bytea with NUL bytes,
// infinite timestamps), imaged as conflict_log keeps them and rebuilt as
// sync-resolve writes them, equal the rows they came from, column by
// column and digest for digest.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

#include "common/conflict/row_sql.h"
#include "common/gen/openwebui_ddl.h"
#include "common/gen/prng.h"
#include "common/pg/txn.h"
#include "common/sync/target_catalog.h"
#include "tests/integration/pg_harness.h"

namespace tenantsync::testing {
namespace {

constexpr uint64_t kSeed = 20261206;
constexpr int kRowsPerTable = 40;

constexpr std::array<const char*, 13> kTextPieces = {
    "", "null", "NULL", "\"quoted\"", "back\\slash", "tab\there", "line\nfeed", "caf\u00e9", "emoji \U0001F600",
    "{\"a\": 1}", "'); DROP TABLE x; --", " padded ", "\\N"};
constexpr std::array<const char*, 14> kJson = {
    "null", "\"just a string\"", R"("'); DROP TABLE x; -- \ud83d\ude00 \" \\ \n end")", "-12.50e3", "true",
    "false", R"({"z": "caf\u00e9", "a": [1, 2], "m": null})", R"([1, "two", null,  {"x": {}}])",
    R"(  {"dup": 1, "dup": 2}  )", "0", "\"\"", "{}", "[]", "1e400"};
constexpr std::array<const char*, 8> kFloat8 = {"1.7976931348623157e308", "5e-324", "-0", "NaN", "-Infinity",
                                                "Infinity", "0.1", "-2.2250738585072014e-308"};
constexpr std::array<const char*, 6> kFloat4 = {"3.4028235e38", "1e-45", "-0", "NaN", "Infinity", "0.1"};
constexpr std::array<const char*, 6> kNumeric = {"NaN", "0", "-0.00", "12345678901234567890.1234500",
                                                 "-0.000000000000000000001", "1e-3"};
constexpr std::array<const char*, 5> kTimestamps = {"infinity", "-infinity", "2024-02-29 23:59:59.999999",
                                                    "0001-01-01 00:00:00", "1999-12-31 23:59:59.5 BC"};

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A random value for a column of `type` as PostgreSQL text, or nullopt for
// SQL NULL. `unique` values also carry `row`.
std::optional<std::string> RandomValue(gen::Prng& rng, const TargetColumn& column, const TargetType& type,
                                       bool unique, int row) {
  if (!column.not_null && rng.Chance(200)) return std::nullopt;
  auto pick = [&rng](const auto& items) { return std::string(items[rng.Index(items.size())]); };
  switch (type.kind) {
    case TargetKind::kText:
    case TargetKind::kVarchar:
    case TargetKind::kChar: {
      std::string s;
      for (int i = 0, n = static_cast<int>(rng.Range(1, 3)); i < n; ++i) s += pick(kTextPieces);
      if (unique) s = fmt::format("{}#{}", row, s);
      if (type.max_chars >= 0 && CodePoints(s) > static_cast<size_t>(type.max_chars)) {
        s = fmt::format("{}-{}", row, rng.Below(1000000)).substr(0, static_cast<size_t>(type.max_chars));
      }
      return s;
    }
    case TargetKind::kBoolean: return rng.Chance(500) ? "true" : "false";
    case TargetKind::kInt16: return unique ? std::to_string(row) : pick(std::array{"-32768", "32767", "0", "7"});
    case TargetKind::kInt32:
      return unique ? std::to_string(row) : pick(std::array{"-2147483648", "2147483647", "0", "42"});
    case TargetKind::kInt64:
      return unique ? std::to_string(row)
                    : rng.Chance(300) ? pick(std::array{"-9223372036854775808", "9223372036854775807"})
                                      : std::to_string(rng.Range(-1000000000000, 1000000000000));
    case TargetKind::kNumeric: return pick(kNumeric);
    case TargetKind::kFloat4: return pick(kFloat4);
    case TargetKind::kFloat8: return pick(kFloat8);
    case TargetKind::kJson:
    case TargetKind::kJsonb: return pick(kJson);
    case TargetKind::kTimestamp:
    case TargetKind::kTimestampTz: return pick(kTimestamps);
    case TargetKind::kDate: return pick(std::array{"infinity", "2024-02-29", "0001-01-01", "4713-01-01 BC"});
    case TargetKind::kBytea: {
      std::string hex = "\\x";
      for (int i = 0, n = static_cast<int>(rng.Range(0, 12)); i < n; ++i) hex += fmt::format("{:02x}", rng.Below(256));
      return hex + "005c27ff";
    }
    case TargetKind::kUuid: return rng.Uuid();
    case TargetKind::kOther: break;
  }
  ADD_FAILURE() << "no generator for " << column.name << " " << type.pg_name;
  return std::nullopt;
}

class RowImageTest : public PgTest {};

TEST_F(RowImageTest, RandomOpenWebuiRowsRebuildFromTheirImagesExactly) {
  PgConn admin = Admin();
  admin.ExecScript("BEGIN;\nCREATE SCHEMA owui;\nSELECT set_config('search_path', 'owui', true);\n" +
                   gen::OpenWebuiDdl(gen::SqlDialect::kPostgres, gen::WebuiSchema::kV0643) + "\nCOMMIT;");
  admin.Exec("SET session_replication_role = replica");  // rows need not satisfy foreign keys
  TargetCatalog catalog = ReadTargetCatalog(admin, "owui");
  ASSERT_GE(catalog.tables.size(), 30u);
  gen::Prng rng(kSeed);
  long checked = 0, sql_nulls = 0, json_nulls = 0;
  for (const auto& [name, table] : catalog.tables) {
    SCOPED_TRACE(name + " (seed " + std::to_string(kSeed) + ")");
    std::string qualified = admin.QuoteQualified("owui", name);
    std::set<std::string> unique;
    PgResult indexed = admin.Exec(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
        " WHERE i.indrelid = $1::regclass AND i.indisunique",
        {qualified});
    for (int r = 0; r < indexed.rows(); ++r) unique.emplace(indexed.Get(r, 0));

    TablePlan plan;
    plan.name = name;
    std::vector<std::string> columns, placeholders;
    for (const TargetColumn& c : table.columns) {
      if (c.generated) continue;
      plan.columns.push_back({c.name, 0, ParseTargetType(c.type), false});
      columns.push_back(admin.QuoteIdentifier(c.name));
      placeholders.push_back(fmt::format("${}", placeholders.size() + 1));
    }
    std::string insert = fmt::format("INSERT INTO {} ({}) VALUES ({})", qualified, fmt::join(columns, ", "),
                                     fmt::join(placeholders, ", "));
    for (int row = 0; row < kRowsPerTable; ++row) {
      std::vector<PgParam> values;
      for (size_t i = 0; i < plan.columns.size(); ++i) {
        std::optional<std::string> v = RandomValue(rng, *table.Find(plan.columns[i].name), plan.columns[i].type,
                                                   unique.count(plan.columns[i].name) > 0, row);
        values.push_back(v ? PgParam(*v) : PgParam());
      }
      admin.Exec(insert, values);
    }

    // As conflict_log keeps an image (stored as json text) and as
    // sync-resolve writes one back.
    RowSql rows(admin, plan);
    std::vector<std::string> equal;
    for (const ColumnPlan& c : plan.columns) {
      std::string q = admin.QuoteIdentifier(c.name);
      bool json = c.type.kind == TargetKind::kJson || c.type.kind == TargetKind::kJsonb;
      equal.push_back(json ? fmt::format("t.{0}::text IS NOT DISTINCT FROM r.{0}::text", q)
                           : fmt::format("t.{0} IS NOT DISTINCT FROM r.{0}", q));
    }
    equal.push_back(rows.Digest("t") + " = " + rows.Digest("r"));
    PgTxn txn(admin);
    PgResult result = admin.ExecOneRow(fmt::format(
        "SELECT count(*), count(*) FILTER (WHERE NOT ok), min(img::text) FILTER (WHERE NOT ok),"
        " count(*) FILTER (WHERE img::text LIKE '%: null%'), count(*) FILTER (WHERE img::text LIKE '%: \"null\"%')"
        " FROM (SELECT i.img, ({}) AS ok FROM {} t CROSS JOIN LATERAL (SELECT ({})::text::json AS img) i"
        " CROSS JOIN LATERAL (SELECT {}) r({})) x",
        fmt::join(equal, " AND "), qualified, rows.Image("t"), rows.Rebuilt("i.img"), fmt::join(columns, ", ")));
    EXPECT_EQ(result.Get(0, 0), std::to_string(kRowsPerTable));
    EXPECT_EQ(result.Get(0, 1), "0") << "first differing image: " << result.Get(0, 2);
    checked += kRowsPerTable;
    sql_nulls += std::stol(std::string(result.Get(0, 3)));
    json_nulls += std::stol(std::string(result.Get(0, 4)));
  }
  EXPECT_EQ(checked, static_cast<long>(catalog.tables.size()) * kRowsPerTable);
  // The rows held both kinds of null (and the text "null").
  EXPECT_GT(sql_nulls, 100);
  EXPECT_GT(json_nulls, 100);
}

// SQL NULL and JSON null stay apart, in a json and a jsonb column, and a
// top-level JSON string keeps its quotes.
TEST_F(RowImageTest, JsonNullSqlNullAndTopLevelStringsStayApart) {
  PgConn admin = Admin();
  admin.Exec("CREATE TABLE public.j (id int PRIMARY KEY, a json, b jsonb)");
  admin.Exec("INSERT INTO public.j VALUES (1, 'null', 'null'), (2, NULL, NULL), (3, '\"s\"', '\"s\"')");
  TablePlan plan;
  plan.name = "j";
  plan.columns = {{"id", 0, ParseTargetType("integer"), true},
                  {"a", 0, ParseTargetType("json"), false},
                  {"b", 0, ParseTargetType("jsonb"), false}};
  plan.key = {0};
  RowSql rows(admin, plan);
  PgResult images = admin.Exec("SELECT " + rows.Image("t") + "::text FROM public.j t ORDER BY id");
  ASSERT_EQ(images.rows(), 3);
  EXPECT_EQ(images.Get(0, 0), R"({"id" : "1", "a" : "null", "b" : "null"})");
  EXPECT_EQ(images.Get(1, 0), R"({"id" : "2", "a" : null, "b" : null})");
  EXPECT_EQ(images.Get(2, 0), R"({"id" : "3", "a" : "\"s\"", "b" : "\"s\""})");
  EXPECT_EQ(admin.ExecOneRow(fmt::format("SELECT concat_ws('|', a IS NULL, a::text, b::text) FROM (SELECT {}) r(id, a, b)",
                                         rows.Rebuilt("$1::json")),
                             {std::string(images.Get(0, 0))})
                .Get(0, 0),
            "f|null|null");
  EXPECT_EQ(rows.JsonColumns(), "ARRAY['a', 'b']::text[]");
}

}  // namespace
}  // namespace tenantsync::testing

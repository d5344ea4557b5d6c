// The value converter against a real PostgreSQL: COPY text it produces is
// accepted and reads back as expected, and the JSON validator agrees with
// json_in/jsonb_in on a corpus.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/sync/convert.h"
#include "common/sync/json_check.h"
#include "tests/integration/pg_harness.h"
#include "tests/unit/convert_cases.h"

namespace tenantsync::testing {
namespace {

using namespace convert_testing;
using std::string_literals::operator""s;

struct Column {
  const char* name;
  const char* type;
};

const std::vector<Column> kColumns = {
    {"id", "integer"},
    {"t", "text"},
    {"vc", "character varying(5)"},
    {"ch", "character(3)"},
    {"b", "boolean"},
    {"i2", "smallint"},
    {"i4", "integer"},
    {"i8", "bigint"},
    {"n", "numeric"},
    {"n52", "numeric(5,2)"},
    {"f4", "real"},
    {"f8", "double precision"},
    {"j", "json"},
    {"jb", "jsonb"},
    {"ts", "timestamp without time zone"},
    {"tstz", "timestamp with time zone"},
    {"d", "date"},
    {"by", "bytea"},
    {"u", "uuid"},
    {"o", "interval"},
    {"arr", "text[]"},
};

struct Cell {
  Value value;
  std::optional<std::string> expected;  // col::text as PostgreSQL prints it; nullopt for SQL NULL
};

const std::optional<std::string> kSqlNull;

std::string Repeat(std::string_view piece, int times) {
  std::string s;
  for (int i = 0; i < times; ++i) s += piece;
  return s;
}

std::vector<std::vector<Cell>> Rows() {
  const int64_t max64 = std::numeric_limits<int64_t>::max();
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  return {
      {
          {Int(1), "1"},
          {Text("tab\there \\ back\nslash\r caf\xc3\xa9 \xf0\x9f\x98\x80 \\N \\."),
           "tab\there \\ back\nslash\r caf\xc3\xa9 \xf0\x9f\x98\x80 \\N \\."},
          {Text("h\xc3\xa9llo"), "h\xc3\xa9llo"},  // 5 characters, 6 bytes
          {Text("ab"), "ab"},                      // padded to "ab ", trimmed again by ::text
          {Int(1), "true"},
          {Int(-32768), "-32768"},
          {Text("+42"), "42"},
          {Int(max64), "9223372036854775807"},
          {Real(0.1 + 0.2, "0.3"), "0.30000000000000004"},
          {Text("999.994"), "999.99"},
          {Real(1.5, "1.5"), "1.5"},
          {Real(0.1 + 0.2, "0.3"), "0.30000000000000004"},
          {Text("{\t\"b\": 1, \"a\": \"caf\\u00e9 \\ud83d\\ude00\", \"t\": \"x\\ty\\\\z\\n\"}"),
           "{\t\"b\": 1, \"a\": \"caf\\u00e9 \\ud83d\\ude00\", \"t\": \"x\\ty\\\\z\\n\"}"},
          {Text(R"({"b": 1, "a": [true, null]})"), R"({"a": [true, null], "b": 1})"},
          {Int(1700000000123456789), "2023-11-14 22:13:20.123456"},
          {Text("2024-01-02T03:04:05.5+05:30"), "2024-01-01 21:34:05.5+00"},
          {Int(1700000000), "2023-11-14"},
          {Blob("\x00\x01\xff\\\t"s), R"(\x0001ff5c09)"},
          {Text("123E4567-E89B-12D3-A456-426614174000"), "123e4567-e89b-12d3-a456-426614174000"},
          {Text("1 day"), "1 day"},
          {Text(R"({a,"b c"})"), R"({a,"b c"})"},
      },
      {
          // SQL NULL everywhere, except JSON null, which is text.
          {Int(2), "2"},      {Null(), kSqlNull}, {Null(), kSqlNull},     {Null(), kSqlNull},     {Null(), kSqlNull},
          {Null(), kSqlNull}, {Null(), kSqlNull}, {Null(), kSqlNull},     {Null(), kSqlNull},     {Null(), kSqlNull},
          {Null(), kSqlNull}, {Null(), kSqlNull}, {Text("null"), "null"}, {Text("null"), "null"}, {Null(), kSqlNull},
          {Null(), kSqlNull}, {Null(), kSqlNull}, {Null(), kSqlNull},     {Null(), kSqlNull},     {Null(), kSqlNull},
          {Null(), kSqlNull},
      },
      {
          {Int(3), "3"},
          {Int(42), "42"},
          {Int(12345), "12345"},
          {Text("x"), "x"},
          {Text("FALSE"), "false"},
          {Real(3.0, "3.0"), "3"},
          {Text("-0"), "0"},
          {Int(min64), "-9223372036854775808"},
          {Text("1e-3"), "0.001"},
          {Int(-999), "-999.00"},
          {Text("-inf"), "-Infinity"},
          {Real(NAN, ""), "NaN"},
          {Int(42), "42"},
          {Real(1.0, "1.0"), "1.0"},
          {Text("2024-02-29T23:59:59.9999999Z"), "2024-02-29 23:59:59.999999"},
          {Int(-99999999999), "1200-02-15 14:13:21+00 BC"},
          {Text("2024-02-29 00:00:00"), "2024-02-29"},
          {Text(""), R"(\x)"},
          {Text("123e4567e89b12d3a456426614174000"), "123e4567-e89b-12d3-a456-426614174000"},
          {Text("P1D"), "1 day"},
          {Null(), kSqlNull},
      },
      {
          {Int(4), "4"},
          {Text("\b\f\v\x7f"), "\b\f\v\x7f"},
          {Real(1.25, "1.25"), "1.25"},
          {Text("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac"},
          {Int(0), "false"},
          {Text("007"), "7"},
          {Real(-2147483648.0, "-2147483648.0"), "-2147483648"},
          {Text("-9223372036854775808"), "-9223372036854775808"},
          {Text("12345678901234567890.123456789"), "12345678901234567890.123456789"},
          {Text("-999.99"), "-999.99"},
          {Real(1e-40, "1.0e-40"), "1e-40"},
          {Text("1e-310"), "1e-310"},
          {Text(R"(["\ud800", "\u0000"])"), R"(["\ud800", "\u0000"])"},
          {Text(R"({"e": "\ud83d\ude00\u00e9"})"), "{\"e\": \"\xf0\x9f\x98\x80\xc3\xa9\"}"},
          {Int(-100000000000000001), "1966-10-31 14:13:19.999999"},
          {Real(1.7e18, "1.7e+18"), "2023-11-14 22:13:20+00"},
          {Int(-1), "1969-12-31"},
          {Blob(std::string(300, '\n')), "\\x" + Repeat("0a", 300)},
          {Text("00000000-0000-0000-0000-000000000000"), "00000000-0000-0000-0000-000000000000"},
          {Int(3600), "01:00:00"},  // a number into an "other" type goes as its text: 3600 seconds
          {Text("{}"), "{}"},
      },
      {
          {Int(5), "5"},
          {Real(1e20, "1.0e+20"), "1.0e+20"},
          {Text("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"),
           "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"},
          {Text("   "), ""},
          {Text("t"), "true"},
          {Int(32767), "32767"},
          {Int(2147483647), "2147483647"},
          {Real(-9223372036854775808.0, "-9.22337203685478e+18"), "-9223372036854775808"},
          {Real(1e20, "1.0e+20"), "100000000000000000000"},
          {Real(12.345, "12.345"), "12.35"},  // numeric(5,2) rounds half away from zero
          {Text("3.4e38"), "3.4e+38"},
          {Real(INFINITY, "Inf"), "Infinity"},
          {Real(1e20, "1.0e+20"), "1.0e+20"},
          {Real(1e20, "1.0e+20"), "100000000000000000000"},  // jsonb keeps the number, not its text
          {Text("0001-01-01 00:00:00"), "0001-01-01 00:00:00"},
          {Text("9999-12-31 23:59:59.999999-15:59"), "10000-01-01 15:58:59.999999+00"},
          {Text("0001-01-01"), "0001-01-01"},
          {Text("\\x"), R"(\x5c78)"},
          {Blob("ffffffff-ffff-ffff-ffff-ffffffffffff"), "ffffffff-ffff-ffff-ffff-ffffffffffff"},
          {Real(1.5, "1.5"), "00:00:01.5"},
          {Text(R"({"a\\b",c})"), R"({"a\\b",c})"},
      },
  };
}

class ConvertRoundTripTest : public PgTest {};

TEST_F(ConvertRoundTripTest, CopyTextIsAcceptedAndReadsBack) {
  PgConn admin = Admin();
  admin.Exec("SET TimeZone = 'UTC'");
  admin.Exec("SET DateStyle = 'ISO, YMD'");
  admin.Exec("SET client_encoding = 'UTF8'");
  std::string create = "CREATE TABLE t (";
  for (size_t c = 0; c < kColumns.size(); ++c) {
    create += fmt::format("{}{} {}", c ? ", " : "", kColumns[c].name, kColumns[c].type);
  }
  admin.Exec(create + ")");

  const std::vector<std::vector<Cell>> rows = Rows();
  std::vector<TargetType> types;
  for (const Column& column : kColumns) types.push_back(ParseTargetType(column.type));
  std::string data;
  for (const std::vector<Cell>& row : rows) {
    ASSERT_EQ(row.size(), kColumns.size());
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) data += '\t';
      std::optional<std::string> problem = AppendCopyField(row[c].value.view(), types[c], data);
      ASSERT_FALSE(problem.has_value()) << "row " << row[0].value.integer << " column " << kColumns[c].name << ": "
                                        << *problem;
    }
    data += '\n';
  }
  EXPECT_EQ(admin.CopyIn("COPY t FROM STDIN", data), static_cast<long>(rows.size()));

  for (size_t c = 1; c < kColumns.size(); ++c) {
    PgResult result = admin.Exec(fmt::format("SELECT {}::text FROM t ORDER BY id", kColumns[c].name));
    ASSERT_EQ(result.rows(), static_cast<int>(rows.size()));
    for (size_t r = 0; r < rows.size(); ++r) {
      const Cell& cell = rows[r][c];
      std::optional<std::string> got = result.GetOpt(static_cast<int>(r), 0);
      EXPECT_EQ(got, cell.expected) << "row " << rows[r][0].value.integer << " column " << kColumns[c].name << " ("
                                    << kColumns[c].type << ")";
    }
  }
}

// Values the converter refuses that PostgreSQL would refuse too (on insert,
// where varchar(n) does not truncate as an explicit cast does), failing the
// whole COPY batch: the reason the converter checks them per row.
TEST_F(ConvertRoundTripTest, RefusedValuesWouldFailInPostgres) {
  struct Case {
    const char* type;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"character varying(5)", "abcdef"},
      {"character(2)", "abc"},
      {"boolean", "yes-ish"},
      {"smallint", "40000"},
      {"integer", "2147483648"},
      {"integer", "1.5"},
      {"numeric", "1e131072"},
      {"numeric", "1.5e-16383"},
      {"numeric(5,2)", "999.995"},
      {"numeric(2,-3)", "99500"},
      {"numeric(3,5)", "0.009995"},
      {"real", "1e39"},
      {"real", "1e-50"},
      {"double precision", "1e400"},
      {"jsonb", R"("\u0000")"},
      {"jsonb", R"("\ud800")"},
      {"jsonb", R"("\ude00x")"},
      {"jsonb", "[1e131072]"},
      {"json", "[1,]"},
      {"json", "{\"a\":1,}"},
      {"json", "01"},
      {"json", "\"tab\there\""},
      {"timestamp without time zone", "2023-02-29"},
      {"timestamp without time zone", "2024-01-01 24:00:01"},
      {"timestamp with time zone", "2024-01-01 00:00:00+16:00"},
      {"date", "0000-01-01"},
      {"uuid", "123e4567-e89b-12d3-a456-42661417400"},
      {"text", "bad \xff byte"},
  };
  PgConn admin = Admin();
  admin.Exec("SET client_encoding = 'UTF8'");
  for (const Case& c : cases) {
    std::string out;
    EXPECT_TRUE(AppendCopyField(Text(c.text).view(), ParseTargetType(c.type), out).has_value())
        << c.type << " " << c.text;
    admin.Exec("DROP TABLE IF EXISTS probe");
    admin.Exec(fmt::format("CREATE TABLE probe (v {})", c.type));
    EXPECT_THROW(admin.Exec("INSERT INTO probe VALUES ($1)", {c.text}), PgError) << c.type << " " << c.text;
  }
}

// The validator and PostgreSQL's json_in/jsonb_in agree on every document of
// a corpus (without raw NUL bytes, which cannot travel as a parameter).
TEST_F(ConvertRoundTripTest, JsonValidatorAgreesWithPostgres) {
  std::vector<std::string> corpus = {
      "0",
      "-0",
      "1e5",
      "1.5E-3",
      "-1.25e+10",
      "1E400",
      "true",
      "false",
      "null",
      "\"\"",
      "[]",
      "{}",
      " [ 1 , 2 ] ",
      R"({"a":{"b":[1,{"c":null}]}})",
      R"({"a":1,"a":2})",
      R"("\"\\\/\b\f\n\r\t")",
      R"("\u00e9")",
      R"("\ud83d\ude00")",
      R"("\ud800")",
      R"("\ude00")",
      R"("\ud83dx")",
      R"("\ud83d\u0041")",
      R"("\u0000")",
      "[1e131071]",
      "[1e131072]",
      "[1.5e-16383]",
      "[1e-16383]",
      "\"caf\xc3\xa9\"",
      "\"\x7f\"",
      "",
      "   ",
      "01",
      "-01",
      "[1,]",
      "[,1]",
      R"({"a":1,})",
      "{a:1}",
      R"({"a" 1})",
      R"({"a":1])",
      "[1 2]",
      "[",
      "[1]]",
      "{} {}",
      "nul",
      "True",
      "NaN",
      "Infinity",
      "-Infinity",
      "'a'",
      "+1",
      ".5",
      "1.",
      "1.e5",
      "1e",
      "0x10",
      "\"abc",
      "\"a\x01"
      "b\"",
      "\"tab\there\"",
      R"("\x")",
      R"("\u12G4")",
      "\"a\xff"
      "b\"",
      "\xef\xbb\xbf{}",
      "{\n\t\"a\": 1\r\n}",
      "[1,\xc3\xa9]",
      "\"\\ud83d\\u12\"",
  };
  std::string deep(512, '[');
  deep += std::string(512, ']');
  corpus.push_back(deep);
  PgConn admin = Admin();
  admin.Exec("SET client_encoding = 'UTF8'");
  for (const char* type : {"json", "jsonb"}) {
    JsonCheckOptions options;
    options.jsonb = std::string(type) == "jsonb";
    for (const std::string& text : corpus) {
      bool ours = !CheckJson(text, options).has_value();
      bool theirs = true;
      try {
        admin.Exec(fmt::format("SELECT $1::{}", type), {text});
      } catch (const PgError&) {
        theirs = false;
      }
      EXPECT_EQ(ours, theirs) << type << " " << text.substr(0, 60);
    }
  }
}

}  // namespace
}  // namespace tenantsync::testing

// The value converter: target types, NULL, COPY escaping, text, booleans,
// integers, numeric, floats, uuid and bytea. JSON is in convert_json_test.cc,
// timestamps in convert_time_test.cc.
#include "common/sync/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/unit/convert_cases.h"

namespace tenantsync {
namespace {

using namespace convert_testing;
using std::string_literals::operator""s;

struct TypeCase {
  std::string format_type;
  TargetKind kind;
  int max_chars;
};

TEST(ConvertTargetTypeTest, ParsesFormatTypeOutput) {
  const std::vector<TypeCase> cases = {
      {"text", TargetKind::kText, -1},
      {"character varying(255)", TargetKind::kVarchar, 255},
      {"character varying(50)", TargetKind::kVarchar, 50},
      {"character varying", TargetKind::kVarchar, -1},
      {"character(3)", TargetKind::kChar, 3},
      {"character", TargetKind::kChar, -1},
      {"bpchar", TargetKind::kChar, -1},
      {"boolean", TargetKind::kBoolean, -1},
      {"smallint", TargetKind::kInt16, -1},
      {"integer", TargetKind::kInt32, -1},
      {"bigint", TargetKind::kInt64, -1},
      {"numeric", TargetKind::kNumeric, -1},
      {"numeric(10,2)", TargetKind::kNumeric, -1},
      {"numeric(5)", TargetKind::kNumeric, -1},
      {"numeric(2,-3)", TargetKind::kNumeric, -1},
      {"real", TargetKind::kFloat4, -1},
      {"double precision", TargetKind::kFloat8, -1},
      {"json", TargetKind::kJson, -1},
      {"jsonb", TargetKind::kJsonb, -1},
      {"timestamp without time zone", TargetKind::kTimestamp, -1},
      {"timestamp(3) without time zone", TargetKind::kTimestamp, -1},
      {"timestamp with time zone", TargetKind::kTimestampTz, -1},
      {"timestamp(0) with time zone", TargetKind::kTimestampTz, -1},
      {"date", TargetKind::kDate, -1},
      {"bytea", TargetKind::kBytea, -1},
      {"uuid", TargetKind::kUuid, -1},
      // Everything else passes through as text.
      {"text[]", TargetKind::kOther, -1},
      {"character varying(255)[]", TargetKind::kOther, -1},
      {"numeric(10,2)[]", TargetKind::kOther, -1},
      {"timestamp(3) without time zone[]", TargetKind::kOther, -1},
      {"integer[]", TargetKind::kOther, -1},
      {"time without time zone", TargetKind::kOther, -1},
      {"interval", TargetKind::kOther, -1},
      {"inet", TargetKind::kOther, -1},
      {"\"char\"", TargetKind::kOther, -1},
      {"bit(3)", TargetKind::kOther, -1},
      {"public.my_domain", TargetKind::kOther, -1},
      {"character varying(x)", TargetKind::kOther, -1},
      {"", TargetKind::kOther, -1},
  };
  for (const TypeCase& c : cases) {
    TargetType t = ParseTargetType(c.format_type);
    EXPECT_EQ(t.kind, c.kind) << c.format_type;
    EXPECT_EQ(t.max_chars, c.max_chars) << c.format_type;
    EXPECT_EQ(t.pg_name, c.format_type);
  }
}

TEST(ConvertNullTest, SqlNullIsBackslashNForEveryKind) {
  for (const char* type : {"text", "character varying(1)", "character(1)", "boolean", "smallint", "integer", "bigint",
                           "numeric(1,0)", "real", "double precision", "json", "jsonb", "timestamp without time zone",
                           "timestamp with time zone", "date", "bytea", "uuid", "interval"}) {
    ExpectAccepted(type, {{Null(), "\\N"}});
  }
}

TEST(ConvertNullTest, UnknownSqliteTypeIsRefused) {
  Value odd{9, 0, 0, "x"};
  ExpectRejected("text", {{odd, "unknown SQLite value type 9"}});
}

TEST(ConvertTextTest, EscapesForCopyTextFormat) {
  ExpectAccepted("text", {
                             {Text(""), ""},
                             {Text("plain"), "plain"},
                             {Text("a\\b"), "a\\\\b"},
                             {Text("tab\there"), "tab\\there"},
                             {Text("line\nnext"), "line\\nnext"},
                             {Text("cr\r\n"), "cr\\r\\n"},
                             {Text("\\N"), "\\\\N"},  // the text \N, not NULL
                             {Text("\\."), "\\\\."},
                             {Text("\b\f\v"), "\b\f\v"},  // PostgreSQL takes these raw
                             {Text("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80"},
                             // Specials before, inside and after eight-byte runs.
                             {Text("01234567\t89abcdef\n"), "01234567\\t89abcdef\\n"},
                             {Text("0123456789abcdef\\"), "0123456789abcdef\\\\"},
                             {Text("\\0123456789abcdef"), "\\\\0123456789abcdef"},
                             {Text(std::string(9, '\\')), std::string(18, '\\')},
                         });
}

TEST(ConvertTextTest, FindsSpecialBytesAtEveryOffset) {
  // The scans look at eight bytes at a time: put each special byte at each
  // position of the first three words, with plain and special neighbours.
  const TargetType text = ParseTargetType("text");
  for (size_t at = 0; at < 24; ++at) {
    for (char special : {'\\', '\t', '\n', '\r'}) {
      for (char after : {'a', '\\', '\x01', '\x7f'}) {
        std::string value(30, 'a');
        value[at] = special;
        if (at + 1 < value.size()) value[at + 1] = after;
        std::string expected;
        for (char c : value) {
          if (c == '\\')
            expected += "\\\\";
          else if (c == '\t')
            expected += "\\t";
          else if (c == '\n')
            expected += "\\n";
          else if (c == '\r')
            expected += "\\r";
          else
            expected += c;
        }
        std::string out;
        ASSERT_FALSE(AppendCopyField(Text(value).view(), text, out)) << at;
        EXPECT_EQ(out, expected) << "special at " << at;
      }
    }
    for (std::string bad : {"\0"s, "\xff"s, "\x80"s, "\xc3"s}) {
      for (std::string after : {"a"s, "\0"s, "\x01"s, "\xc3\xa9"s}) {
        std::string value = std::string(at, 'a') + bad + after + std::string(10, 'a');
        std::string out;
        std::optional<std::string> problem = AppendCopyField(Text(value).view(), text, out);
        ASSERT_TRUE(problem.has_value()) << at;
        std::string what = bad == "\0"s ? "NUL byte in text" : "invalid UTF-8";
        EXPECT_EQ(*problem, what + " at byte " + std::to_string(at)) << at;
      }
    }
  }
}

TEST(ConvertTextTest, NumbersBecomeTheirDecimalText) {
  ExpectAccepted("text", {
                             {Int(42), "42"},
                             {Int(-9223372036854775807 - 1), "-9223372036854775808"},
                             {Real(1.0, "1.0"), "1.0"},  // SQLite's rendering
                             {Real(1e20, "1.0e+20"), "1.0e+20"},
                             {Real(1.5, ""), "1.5"},  // none given: shortest round trip
                             // SQLite prints 15 digits, which loses this double: use the exact one.
                             {Real(0.1 + 0.2, "0.3"), "0.30000000000000004"},
                         });
}

TEST(ConvertTextTest, BlobsMustBeUtf8Text) {
  ExpectAccepted("text", {{Blob("blob text"), "blob text"}, {Blob("a\tb"), "a\\tb"}});
  ExpectRejected("text", {{Blob("a\xff"), "invalid UTF-8 at byte 1"}, {Blob("a\0b"s), "NUL byte in text at byte 1"}});
}

TEST(ConvertTextTest, RefusesNulAndInvalidUtf8) {
  const std::vector<Reject> cases = {
      {Text("ab\0c"s), "NUL byte in text at byte 2"},
      {Text("\0"s), "NUL byte in text at byte 0"},
      {Text("01234567\0"s), "NUL byte in text at byte 8"},
      {Text("0123456789abcdef\0"s), "NUL byte in text at byte 16"},
      {Text("ab\xff"
            "cd"),
       "invalid UTF-8 at byte 2"},
      {Text("0123456789abcdefg\x80"), "invalid UTF-8 at byte 17"},
      {Text("\xc0\xaf"), "invalid UTF-8 at byte 0"},          // overlong '/'
      {Text("x\xe0\x80\xaf"), "invalid UTF-8 at byte 1"},     // overlong, three bytes
      {Text("\xed\xa0\x80"), "invalid UTF-8 at byte 0"},      // U+D800, a surrogate
      {Text("\xf4\x90\x80\x80"), "invalid UTF-8 at byte 0"},  // past U+10FFFF
      {Text("abc\xe2\x82"), "invalid UTF-8 at byte 3"},       // truncated at the end
      {Text("\xc3\xa9\xc3"), "invalid UTF-8 at byte 2"},
      {Text("\xf8\x88\x80\x80\x80"), "invalid UTF-8 at byte 0"},  // five-byte form
  };
  for (const char* type : {"text", "character varying(100)", "character(100)", "interval"}) {
    ExpectRejected(type, cases);
  }
}

TEST(ConvertTextTest, VarcharAndCharLengthsCountCodePoints) {
  ExpectAccepted("character varying(3)", {
                                             {Text("abc"), "abc"},
                                             {Text("h\xc3\xa9\xc3\xa9"), "h\xc3\xa9\xc3\xa9"},  // 3 chars, 5 bytes
                                             {Text("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
                                              "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},  // 日本語: 9 bytes
                                             {Text("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"),
                                              "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"},  // 3 emoji
                                             {Text("a\tb"), "a\\tb"},  // counted before escaping
                                             {Int(123), "123"},
                                             {Text(""), ""},
                                         });
  ExpectRejected("character varying(3)",
                 {
                     {Text("abcd"), "text longer than varchar(3): 4 characters"},
                     {Text("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9ex"), "text longer than varchar(3): 4 characters"},
                     {Int(1234), "text longer than varchar(3): 4 characters"},
                     {Real(1.25, "1.25"), "text longer than varchar(3): 4 characters"},
                 });
  ExpectAccepted("character varying(10)", {{Text("aaaaaaaaa\xc3\xa9"), "aaaaaaaaa\xc3\xa9"}});
  ExpectRejected("character varying(10)",
                 {{Text("aaaaaaaaa\xc3\xa9\xc3\xa9"), "text longer than varchar(10): 11 characters"}});
  ExpectRejected("character varying(255)",
                 {{Text(std::string(300, 'x')), "text longer than varchar(255): 300 characters"}});
  ExpectAccepted("character(2)", {{Text("ab"), "ab"}, {Text("a"), "a"}});
  ExpectRejected("character(2)", {{Text("abc"), "text longer than char(2): 3 characters"}});
  ExpectAccepted("character varying", {{Text(std::string(10000, 'x')), std::string(10000, 'x')}});
}

TEST(ConvertBooleanTest, AcceptsZeroOneAndBooleanWords) {
  ExpectAccepted("boolean", {
                                {Int(0), "f"},
                                {Int(1), "t"},
                                {Text("0"), "f"},
                                {Text("1"), "t"},
                                {Text("t"), "t"},
                                {Text("T"), "t"},
                                {Text("f"), "f"},
                                {Text("F"), "f"},
                                {Text("true"), "t"},
                                {Text("TRUE"), "t"},
                                {Text("false"), "f"},
                                {Text("False"), "f"},
                            });
  ExpectRejected("boolean", {
                                {Int(7), "not a boolean: 7"},
                                {Int(-1), "not a boolean: -1"},
                                {Int(2), "not a boolean: 2"},
                                {Text("yes"), "not a boolean: 'yes'"},
                                {Text(""), "not a boolean: ''"},
                                {Text(" 1"), "not a boolean: ' 1'"},
                                {Text("truex"), "not a boolean: 'truex'"},
                                {Real(1.0, "1.0"), "not a boolean: 1.0"},
                                {Blob("1"), "not a boolean: blob of 1 bytes"},
                            });
}

TEST(ConvertIntegerTest, ChecksTheRangeOfEachType) {
  ExpectAccepted("smallint", {{Int(32767), "32767"}, {Int(-32768), "-32768"}, {Int(0), "0"}});
  ExpectRejected("smallint", {
                                 {Int(32768), "integer out of range for smallint: 32768"},
                                 {Int(-32769), "integer out of range for smallint: -32769"},
                                 {Text("40000"), "integer out of range for smallint: '40000'"},
                                 {Real(1e5, "100000.0"), "integer out of range for smallint: 100000.0"},
                             });
  ExpectAccepted("integer", {{Int(2147483647), "2147483647"}, {Int(-2147483648), "-2147483648"}});
  ExpectRejected("integer", {
                                {Int(2147483648), "integer out of range for integer: 2147483648"},
                                {Int(-2147483649), "integer out of range for integer: -2147483649"},
                            });
  ExpectAccepted("bigint", {
                               {Int(std::numeric_limits<int64_t>::max()), "9223372036854775807"},
                               {Int(std::numeric_limits<int64_t>::min()), "-9223372036854775808"},
                               {Real(-9223372036854775808.0, "-9.22337203685478e+18"), "-9223372036854775808"},
                           });
  ExpectRejected("bigint",
                 {
                     {Real(9223372036854775808.0, "9.22337203685478e+18"),
                      "integer out of range for bigint: 9.223372036854776e+18"},
                     {Real(1e20, "1.0e+20"), "integer out of range for bigint: 1.0e+20"},
                     {Text("9223372036854775808"), "integer out of range for bigint: '9223372036854775808'"},
                     {Text("-99999999999999999999"), "integer out of range for bigint: '-99999999999999999999'"},
                 });
}

TEST(ConvertIntegerTest, TakesIntegralRealsAndWholeDecimalText) {
  ExpectAccepted("integer", {
                                {Real(3.0, "3.0"), "3"},
                                {Real(-0.0, "0.0"), "0"},
                                {Real(-42.0, "-42.0"), "-42"},
                                {Text("42"), "42"},
                                {Text("+42"), "42"},
                                {Text("-7"), "-7"},
                                {Text("007"), "7"},
                                {Text("-0"), "0"},
                            });
  ExpectRejected("integer", {
                                {Real(1.5, "1.5"), "not an integer: 1.5"},
                                {Real(INFINITY, "Inf"), "not an integer: Inf"},
                                {Text("1.0"), "not an integer: '1.0'"},
                                {Text("1e3"), "not an integer: '1e3'"},
                                {Text(""), "not an integer: ''"},
                                {Text(" 1"), "not an integer: ' 1'"},
                                {Text("1 "), "not an integer: '1 '"},
                                {Text("+-1"), "not an integer: '+-1'"},
                                {Text("--1"), "not an integer: '--1'"},
                                {Text("-"), "not an integer: '-'"},
                                {Text("+"), "not an integer: '+'"},
                                {Text("12abc"), "not an integer: '12abc'"},
                                {Text("0x10"), "not an integer: '0x10'"},
                                {Text("99999999999999999999x"), "not an integer: '99999999999999999999x'"},
                                {Blob("12"), "not an integer: blob of 2 bytes"},
                            });
}

TEST(ConvertNumericTest, WritesIntegersRealsAndDecimalText) {
  ExpectAccepted("numeric", {
                                {Int(42), "42"},
                                {Int(std::numeric_limits<int64_t>::min()), "-9223372036854775808"},
                                {Real(1.0, "1.0"), "1.0"},
                                {Real(1e20, "1.0e+20"), "1.0e+20"},
                                {Real(2.5, ""), "2.5"},
                                {Real(0.1 + 0.2, "0.3"), "0.30000000000000004"},
                                {Real(1700000000.123456, "1700000000.12346"), "1700000000.123456"},
                                {Text("3.14159"), "3.14159"},
                                {Text("-0.5"), "-0.5"},
                                {Text("+1"), "+1"},
                                {Text(".5"), ".5"},
                                {Text("5."), "5."},
                                {Text("1e-3"), "1e-3"},
                                {Text("1E+10"), "1E+10"},
                                {Text("00012"), "00012"},
                                {Text("1e131071"), "1e131071"},  // 131072 digits: numeric's maximum
                                {Text("1e-16383"), "1e-16383"},  // display scale 16383: the maximum
                            });
  ExpectRejected("numeric", {
                                {Real(INFINITY, "Inf"), "not a finite number for numeric: Inf"},
                                {Real(-INFINITY, "-Inf"), "not a finite number for numeric: -Inf"},
                                {Real(NAN, ""), "not a finite number for numeric: nan"},
                                {Text("NaN"), "not a number: 'NaN'"},
                                {Text("Infinity"), "not a number: 'Infinity'"},
                                {Text("abc"), "not a number: 'abc'"},
                                {Text("1,5"), "not a number: '1,5'"},
                                {Text(""), "not a number: ''"},
                                {Text(" 1"), "not a number: ' 1'"},
                                {Text("1e"), "not a number: '1e'"},
                                {Text("."), "not a number: '.'"},
                                {Text("0x10"), "not a number: '0x10'"},
                                {Text("1e131072"), "number out of range for numeric: '1e131072'"},
                                {Text("1.5e-16383"), "number out of range for numeric: '1.5e-16383'"},
                                {Text("1e9999999999"), "number out of range for numeric: '1e9999999999'"},
                                {Blob("1"), "not a number: blob of 1 bytes"},
                            });
}

TEST(ConvertNumericTest, ChecksPrecisionAndScaleAfterRounding) {
  ExpectAccepted("numeric(5,2)", {
                                     {Text("999.99"), "999.99"},
                                     {Text("999.994"), "999.994"},  // rounds to 999.99
                                     {Text("-999.99"), "-999.99"},
                                     {Text("0.001"), "0.001"},
                                     {Text("0"), "0"},
                                     {Text("000999.99"), "000999.99"},
                                     {Int(999), "999"},
                                     {Real(12.345, "12.345"), "12.345"},
                                 });
  ExpectRejected("numeric(5,2)", {
                                     {Text("999.995"), "number does not fit numeric(5,2): '999.995'"},
                                     {Text("1000"), "number does not fit numeric(5,2): '1000'"},
                                     {Text("1e3"), "number does not fit numeric(5,2): '1e3'"},
                                     {Int(1000), "number does not fit numeric(5,2): 1000"},
                                 });
  ExpectAccepted("numeric(3)", {{Text("999"), "999"}, {Text("999.4"), "999.4"}, {Text("0.5"), "0.5"}});
  ExpectRejected("numeric(3)", {{Text("999.5"), "number does not fit numeric(3): '999.5'"}});
  ExpectAccepted("numeric(2,-3)", {{Text("99499"), "99499"}, {Text("-1"), "-1"}});
  ExpectRejected("numeric(2,-3)", {{Text("99500"), "number does not fit numeric(2,-3): '99500'"}});
  ExpectAccepted("numeric(3,5)", {{Text("0.009994"), "0.009994"}, {Text("0.000004"), "0.000004"}});
  ExpectRejected("numeric(3,5)", {{Text("0.009995"), "number does not fit numeric(3,5): '0.009995'"},
                                  {Text("0.01"), "number does not fit numeric(3,5): '0.01'"}});
  ExpectAccepted("numeric(1,0)", {{Text("0.4"), "0.4"}, {Text("9"), "9"}});
  ExpectRejected("numeric(1,0)", {{Text("9.5"), "number does not fit numeric(1,0): '9.5'"}});
}

TEST(ConvertFloatTest, WritesExactDoublesAndSpecialValues) {
  for (const char* type : {"real", "double precision"}) {
    ExpectAccepted(type, {
                             {Int(42), "42"},
                             {Real(1.0, "1.0"), "1.0"},
                             {Real(0.1 + 0.2, "0.3"), "0.30000000000000004"},
                             {Real(2.5, ""), "2.5"},
                             {Real(INFINITY, "Inf"), "Infinity"},
                             {Real(-INFINITY, "-Inf"), "-Infinity"},
                             {Real(NAN, ""), "NaN"},
                             {Text("NaN"), "NaN"},
                             {Text("nan"), "NaN"},
                             {Text("inf"), "Infinity"},
                             {Text("+Infinity"), "Infinity"},
                             {Text("-infinity"), "-Infinity"},
                             {Text("-INF"), "-Infinity"},
                             {Text("1.5e3"), "1.5e3"},
                             {Text("+2"), "+2"},
                             {Text(".5"), ".5"},
                         });
    ExpectRejected(type, {
                             {Text("abc"), "not a number: 'abc'"},
                             {Text(""), "not a number: ''"},
                             {Text("0x10"), "not a number: '0x10'"},
                             {Text("1.5 "), "not a number: '1.5 '"},
                             {Blob("1"), "not a number: blob of 1 bytes"},
                         });
  }
  ExpectAccepted("double precision", {{Text("1e-310"), "1e-310"}, {Text("1e300"), "1e300"}});  // a denormal is fine
  ExpectRejected("double precision", {
                                         {Text("1e400"), "number out of range for double precision: '1e400'"},
                                         {Text("1e-400"), "number out of range for double precision: '1e-400'"},
                                     });
  ExpectRejected("real", {
                             {Text("1e39"), "number out of range for real: '1e39'"},
                             {Text("1e-50"), "number out of range for real: '1e-50'"},
                             {Real(1e300, "1.0e+300"), "number out of range for real: 1.0e+300"},
                             {Real(1e-50, "1.0e-50"), "number out of range for real: 1.0e-50"},
                         });
  ExpectAccepted("real", {{Text("3.4e38"), "3.4e38"}, {Real(1e-40, "1.0e-40"), "1.0e-40"}});
}

TEST(ConvertUuidTest, AcceptsHexUuidText) {
  ExpectAccepted("uuid", {
                             {Text("123e4567-e89b-12d3-a456-426614174000"), "123e4567-e89b-12d3-a456-426614174000"},
                             {Text("123E4567-E89B-12D3-A456-426614174000"), "123E4567-E89B-12D3-A456-426614174000"},
                             {Text("123e4567e89b12d3a456426614174000"), "123e4567e89b12d3a456426614174000"},
                             {Blob("123e4567-e89b-12d3-a456-426614174000"), "123e4567-e89b-12d3-a456-426614174000"},
                         });
  ExpectRejected(
      "uuid",
      {
          {Text("123e4567-e89b-12d3-a456-42661417400"), "not a uuid: '123e4567-e89b-12d3-a456-42661417400'"},
          {Text("{123e4567-e89b-12d3-a456-426614174000}"), "not a uuid: '{123e4567-e89b-12d3-a456-426614174000}'"},
          {Text("123e4567-e89b-12d3-a456-42661417400g"), "not a uuid: '123e4567-e89b-12d3-a456-42661417400g'"},
          {Text("123e4567e-89b-12d3-a456-426614174000"), "not a uuid: '123e4567e-89b-12d3-a456-426614174000'"},
          {Text(""), "not a uuid: ''"},
          {Int(42), "not a uuid: 42"},
      });
}

TEST(ConvertByteaTest, WritesEscapedHexFormat) {
  // The field's text is \x…; in COPY text format its backslash is doubled.
  ExpectAccepted("bytea", {
                              {Blob("\x00\x01\xff\x7f"s), R"(\\x0001ff7f)"},
                              {Blob(""), R"(\\x)"},
                              {Text("abc"), R"(\\x616263)"},
                              {Text("\\\t"), R"(\\x5c09)"},
                              {Blob("\xde\xad\xbe\xef"), R"(\\xdeadbeef)"},
                          });
  ExpectRejected("bytea", {{Int(42), "not a blob or text: 42"}, {Real(1.5, "1.5"), "not a blob or text: 1.5"}});
}

TEST(ConvertOutputTest, RejectionLeavesOutUntouched) {
  // A long buffer whose capacity is exactly used up: nothing may change.
  std::string out(1000, 'r');
  out.shrink_to_fit();
  const std::string before = out;
  const std::vector<std::pair<Value, const char*>> cases = {
      {Text("abcd"), "character varying(3)"},
      {Text("{\"a\": [1, 2,]}"), "json"},
      {Text(std::string(5000, 'x') + "\xff"), "text"},
      {Text(std::string(5000, '\\') + '\0'), "text"},
      {Text("2024-02-30"), "date"},
      {Int(7), "boolean"},
      {Int(42), "bytea"},
  };
  for (const auto& [value, type] : cases) {
    EXPECT_TRUE(AppendCopyField(value.view(), ParseTargetType(type), out).has_value()) << type;
    EXPECT_EQ(out, before) << type;
  }
}

TEST(ConvertOutputTest, FieldsAppendAfterEachOther) {
  std::string line;
  TargetType text = ParseTargetType("text");
  TargetType flag = ParseTargetType("boolean");
  ASSERT_FALSE(AppendCopyField(Text("a\tb").view(), text, line));
  line += '\t';
  ASSERT_FALSE(AppendCopyField(Null().view(), text, line));
  line += '\t';
  ASSERT_FALSE(AppendCopyField(Int(1).view(), flag, line));
  EXPECT_EQ(line, "a\\tb\t\\N\tt");
}

TEST(ConvertDescribeTest, QuotesShortensAndSanitises) {
  EXPECT_EQ(DescribeSourceValue(Null().view()), "NULL");
  EXPECT_EQ(DescribeSourceValue(Int(-5).view()), "-5");
  EXPECT_EQ(DescribeSourceValue(Real(1.0, "1.0").view()), "1.0");
  EXPECT_EQ(DescribeSourceValue(Blob("abc").view()), "blob of 3 bytes");
  EXPECT_EQ(DescribeSourceValue(Text("it's").view()), "'it's'");
  EXPECT_EQ(DescribeSourceValue(Text("a\nb\0c\xff"
                                     "d"s)
                                    .view()),
            "'a?b?c?d'");
  EXPECT_EQ(DescribeSourceValue(Text(std::string(41, 'x')).view()), "'" + std::string(40, 'x') + "…'");
  EXPECT_EQ(DescribeSourceValue(Text(std::string(40, 'x')).view()), "'" + std::string(40, 'x') + "'");
  std::string emoji;
  for (int i = 0; i < 45; ++i) emoji += "\xf0\x9f\x98\x80";
  std::string expected = "'";
  for (int i = 0; i < 40; ++i) expected += "\xf0\x9f\x98\x80";
  EXPECT_EQ(DescribeSourceValue(Text(emoji).view()), expected + "…'");
}

}  // namespace
}  // namespace tenantsync

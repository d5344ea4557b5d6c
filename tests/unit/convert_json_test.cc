// json and jsonb columns: the validator's accept/reject corpus, and text
// copied verbatim.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/sync/convert.h"
#include "common/sync/json_check.h"
#include "tests/unit/convert_cases.h"

namespace tenantsync {
namespace {

using namespace convert_testing;
using std::string_literals::operator""s;

std::string Nested(int depth, const std::string& open, const std::string& inner, const std::string& close) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += open;
  s += inner;
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

TEST(ConvertJsonCheckTest, AcceptsValidJson) {
  const std::vector<std::string> valid = {
      "0",
      "-0",
      "1e5",
      "1.5E-3",
      "-1.25e+10",
      "0.5",
      "123456789012345678901234567890",
      "1E400",
      "true",
      "false",
      "null",
      "\"\"",
      "\"x\"",
      "[]",
      "{}",
      "[[[]]]",
      " \t\r\n[ 1 , 2 ]\n ",
      R"({"a":{"b":[1,{"c":null}],"d":"e"}})",
      R"({"b": 1, "a": [true, false, null]})",
      R"({"a":1,"a":2})",  // duplicate keys are the document's business
      R"("\"\\\/\b\f\n\r\t")",
      R"("\u00e9\u00E9")",
      R"("\ud83d\ude00")",                              // a surrogate pair
      R"("\ud800")",                                    // json (not jsonb) does not decode escapes
      R"("\u0000")",                                    // likewise
      "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe6\x97\xa5\"",  // raw UTF-8
      "\"\x7f\"",                                       // DEL needs no escape
      "[\"0123456789abcdef\\n0123456789abcdef\\\"\", \"\xc3\xa9"
      "0123456789\"]",
      Nested(512, "[", "", "]"),
      Nested(512, "{\"a\":", "1", "}"),
      Nested(511, "[", "{}", "]"),
  };
  for (const std::string& text : valid) {
    std::optional<JsonProblem> problem = CheckJson(text);
    EXPECT_FALSE(problem.has_value()) << text.substr(0, 80) << ": "
                                      << DescribeJsonProblem(problem.value_or(JsonProblem{}));
  }
}

struct JsonReject {
  std::string text;
  std::string reason;
};

TEST(ConvertJsonCheckTest, RejectsInvalidJsonWithItsPosition) {
  const std::vector<JsonReject> cases = {
      {"", "not valid JSON at byte 0: unexpected end of text"},
      {"   ", "not valid JSON at byte 3: unexpected end of text"},
      {"01", "not valid JSON at byte 1: leading zero in number"},
      {"-01", "not valid JSON at byte 2: leading zero in number"},
      {"[00]", "not valid JSON at byte 2: leading zero in number"},
      {"[1,]", "not valid JSON at byte 3: expected a value"},
      {"[1,,2]", "not valid JSON at byte 3: expected a value"},
      {"[,1]", "not valid JSON at byte 1: expected a value"},
      {R"({"a":1,})", "not valid JSON at byte 7: expected a string key"},
      {"{a:1}", "not valid JSON at byte 1: expected a string key"},
      {R"({"a" 1})", "not valid JSON at byte 5: expected ':'"},
      {R"({"a":})", "not valid JSON at byte 5: expected a value"},
      {R"({"a":1])", "not valid JSON at byte 6: expected ',' or '}'"},
      {"[1 2]", "not valid JSON at byte 3: expected ',' or ']'"},
      {"[1}", "not valid JSON at byte 2: expected ',' or ']'"},
      {"[", "not valid JSON at byte 1: unexpected end of text"},
      {"[1", "not valid JSON at byte 2: unexpected end of text"},
      {"{\"a\"", "not valid JSON at byte 4: unexpected end of text"},
      {"[1]]", "not valid JSON at byte 3: unexpected data after the value"},
      {"{} {}", "not valid JSON at byte 3: unexpected data after the value"},
      {"1 2", "not valid JSON at byte 2: unexpected data after the value"},
      {"nul", "not valid JSON at byte 3: unexpected end of text"},
      {"nulL", "not valid JSON at byte 3: expected null"},
      {"tru", "not valid JSON at byte 3: unexpected end of text"},
      {"fals3", "not valid JSON at byte 4: expected false"},
      {"truex", "not valid JSON at byte 4: unexpected data after the value"},
      {"True", "not valid JSON at byte 0: expected a value"},
      {"hello", "not valid JSON at byte 0: expected a value"},
      {"undefined", "not valid JSON at byte 0: expected a value"},
      {"NaN", "not valid JSON at byte 0: expected a value"},
      {"Infinity", "not valid JSON at byte 0: expected a value"},
      {"-Infinity", "not valid JSON at byte 1: invalid number"},
      {"'a'", "not valid JSON at byte 0: expected a value"},
      {"+1", "not valid JSON at byte 0: expected a value"},
      {".5", "not valid JSON at byte 0: expected a value"},
      {"1.", "not valid JSON at byte 2: unexpected end of text"},
      {"1.]", "not valid JSON at byte 2: invalid number"},
      {"1.e5", "not valid JSON at byte 2: invalid number"},
      {"1e", "not valid JSON at byte 2: unexpected end of text"},
      {"[1e+]", "not valid JSON at byte 4: invalid number"},
      {"-", "not valid JSON at byte 1: unexpected end of text"},
      {"0x10", "not valid JSON at byte 1: unexpected data after the value"},
      {"\"abc", "not valid JSON at byte 4: unterminated string"},
      {"\"abc\\", "not valid JSON at byte 5: unterminated string"},
      {"\"a\x01"
       "b\"",
       "not valid JSON at byte 2: control character in string (must be escaped)"},
      {"\"tab\there\"", "not valid JSON at byte 4: control character in string (must be escaped)"},
      {"\"line\nbreak\"", "not valid JSON at byte 5: control character in string (must be escaped)"},
      {R"("\x")", "not valid JSON at byte 2: invalid escape"},
      {R"("\U0041")", "not valid JSON at byte 2: invalid escape"},
      {R"("\u12G4")", "not valid JSON at byte 5: \\u must be followed by four hex digits"},
      {R"("\u12")", "not valid JSON at byte 5: \\u must be followed by four hex digits"},
      {"\"a\0b\""s, "NUL byte in text at byte 2"},
      {"1\0"s, "NUL byte in text at byte 1"},
      {"\0"s, "NUL byte in text at byte 0"},
      {"\"0123456789abcdef\0\""s, "NUL byte in text at byte 17"},
      {"\"a\xff"
       "b\"",
       "invalid UTF-8 at byte 2"},
      {"\"\xed\xa0\x80\"", "invalid UTF-8 at byte 1"},  // an encoded surrogate
      {"\"\xc3\"", "invalid UTF-8 at byte 1"},
      {"\xff", "invalid UTF-8 at byte 0"},
      {"[1,\xc3\xa9]", "not valid JSON at byte 3: expected a value"},
      {"\xef\xbb\xbf{}", "not valid JSON at byte 0: expected a value"},  // a byte order mark
      {Nested(513, "[", "", "]"), "JSON nested deeper than 512 levels at byte 512"},
      {Nested(513, "{\"a\":", "1", "}"), "JSON nested deeper than 512 levels at byte 2560"},
      {Nested(100000, "[", "", ""), "JSON nested deeper than 512 levels at byte 512"},
  };
  for (const JsonReject& c : cases) {
    std::optional<JsonProblem> problem = CheckJson(c.text);
    ASSERT_TRUE(problem.has_value()) << c.text.substr(0, 80);
    EXPECT_EQ(DescribeJsonProblem(*problem), c.reason) << c.text.substr(0, 80);
  }
}

TEST(ConvertJsonCheckTest, FindsStringSpecialsAtEveryOffset) {
  // Strings are scanned eight bytes at a time: each special at each offset,
  // followed by plain and special neighbours.
  for (size_t at = 1; at < 26; ++at) {
    const std::string body(at - 1, 'a');
    for (std::string ok : {"\\n"s, "\\\""s, "\\u00e9"s, "\xc3\xa9"s, "\xf0\x9f\x98\x80"s}) {
      for (std::string next : {"a"s, "\\t"s, "\xc3\xa9"s, ""s}) {
        std::string text = "\"" + body + ok + next + "aaaaaaaaaa\"";
        EXPECT_FALSE(CheckJson(text).has_value()) << text;
      }
    }
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"\x01", "not valid JSON at byte " + std::to_string(at) + ": control character in string (must be escaped)"},
        {"\x1f", "not valid JSON at byte " + std::to_string(at) + ": control character in string (must be escaped)"},
        {"\0"s, "NUL byte in text at byte " + std::to_string(at)},
        {"\xff", "invalid UTF-8 at byte " + std::to_string(at)},
        {"\xe2\x82", "invalid UTF-8 at byte " + std::to_string(at)},
    };
    for (const auto& [bytes, reason] : bad) {
      for (std::string next : {"a"s, "\0"s, "\x01"s, "\xc3\xa9"s, "\""s}) {
        std::optional<JsonProblem> problem = CheckJson("\"" + body + bytes + next + "aaaaaaaaaa\"");
        ASSERT_TRUE(problem.has_value()) << at;
        EXPECT_EQ(DescribeJsonProblem(*problem), reason) << at;
      }
    }
    std::optional<JsonProblem> problem = CheckJson("\"" + body);
    ASSERT_TRUE(problem.has_value());
    EXPECT_EQ(DescribeJsonProblem(*problem), "not valid JSON at byte " + std::to_string(at) + ": unterminated string");
  }
}

TEST(ConvertJsonCheckTest, JsonbAlsoRefusesWhatItCannotDecode) {
  JsonCheckOptions jsonb;
  jsonb.jsonb = true;
  for (const std::string text : {R"("\ud83d\ude00")", R"("\uD83D\uDE00")", R"("\u00e9")", "[1e131071]", "1e-16383"}) {
    EXPECT_FALSE(CheckJson(text, jsonb).has_value()) << text;
  }
  const std::vector<JsonReject> cases = {
      {R"("\u0000")", "\\u0000 escape at byte 1 (jsonb cannot store it)"},
      {R"({"a": "x\u0000"})", "\\u0000 escape at byte 8 (jsonb cannot store it)"},
      {R"("\ud800")", "unpaired surrogate escape at byte 1 (jsonb cannot store it)"},
      {R"("\ude00")", "unpaired surrogate escape at byte 1 (jsonb cannot store it)"},
      {R"("\ud83dx")", "unpaired surrogate escape at byte 1 (jsonb cannot store it)"},
      {R"("\ud83d\u0041")", "unpaired surrogate escape at byte 1 (jsonb cannot store it)"},
      {R"("\ud83d\ud83d")", "unpaired surrogate escape at byte 1 (jsonb cannot store it)"},
      {"[1e131072]", "number at byte 1 out of numeric's range (jsonb cannot store it)"},
      {"[1.5e-16383]", "number at byte 1 out of numeric's range (jsonb cannot store it)"},
  };
  for (const JsonReject& c : cases) {
    EXPECT_FALSE(CheckJson(c.text).has_value()) << "json takes " << c.text;
    std::optional<JsonProblem> problem = CheckJson(c.text, jsonb);
    ASSERT_TRUE(problem.has_value()) << c.text;
    EXPECT_EQ(DescribeJsonProblem(*problem, jsonb), c.reason) << c.text;
  }
}

TEST(ConvertJsonCheckTest, JsonbReportsABrokenLowSurrogateAsSyntax) {
  JsonCheckOptions jsonb;
  jsonb.jsonb = true;
  for (const JsonCheckOptions& options : {JsonCheckOptions{}, jsonb}) {
    std::optional<JsonProblem> problem = CheckJson(R"("\ud83d\u12")", options);
    ASSERT_TRUE(problem.has_value());
    EXPECT_EQ(DescribeJsonProblem(*problem, options),
              "not valid JSON at byte 11: \\u must be followed by four hex digits");
  }
}

TEST(ConvertJsonCheckTest, DepthLimitIsConfigurable) {
  JsonCheckOptions shallow;
  shallow.max_depth = 2;
  EXPECT_FALSE(CheckJson("[[1]]", shallow).has_value());
  std::optional<JsonProblem> problem = CheckJson("[[[1]]]", shallow);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(DescribeJsonProblem(*problem, shallow), "JSON nested deeper than 2 levels at byte 2");
}

TEST(ConvertJsonTest, CopiesTextVerbatim) {
  const std::vector<Accept> cases = {
      // Key order, spacing and escapes survive byte for byte (json.dumps style).
      {Text(R"({"b": 1, "a": [true, false, null]})"), R"({"b": 1, "a": [true, false, null]})"},
      {Text(R"({"title": "caf\u00e9 \ud83d\ude00"})"), R"({"title": "caf\\u00e9 \\ud83d\\ude00"})"},
      {Text(R"({"a":1,"a":2})"), R"({"a":1,"a":2})"},
      {Text(R"("a\nb\\c\"d")"), R"("a\\nb\\\\c\\"d")"},
      {Text("{\n\t\"a\": 1\r\n}"), "{\\n\\t\"a\": 1\\r\\n}"},
      {Text("\"\xe6\x97\xa5\""), "\"\xe6\x97\xa5\""},
      {Text("1.50"), "1.50"},
      {Blob(R"({"from":"blob"})"), R"({"from":"blob"})"},
      // JSON null is the 4-character text null, unlike SQL NULL.
      {Text("null"), "null"},
      {Null(), "\\N"},
      // NUMERIC affinity stored the JSON documents '42' and '1.0' as numbers.
      {Int(42), "42"},
      {Int(-7), "-7"},
      {Real(1.0, "1.0"), "1.0"},
      {Real(1e20, "1.0e+20"), "1.0e+20"},
      {Real(0.1 + 0.2, "0.3"), "0.30000000000000004"},
      {Real(2.5, ""), "2.5"},
  };
  ExpectAccepted("json", cases);
  ExpectAccepted("jsonb", cases);
  ExpectAccepted("json", {{Text(R"("\u0000")"), R"("\\u0000")"}, {Text(R"(["\ud800"])"), R"(["\\ud800"])"}});
}

TEST(ConvertJsonTest, RefusesInvalidJson) {
  const std::vector<Reject> cases = {
      {Text("{\"a\": [1, 2,]}"), "not valid JSON at byte 12: expected a value"},
      {Text(""), "not valid JSON at byte 0: unexpected end of text"},
      {Text("hello"), "not valid JSON at byte 0: expected a value"},
      {Text("\"a\0\""s), "NUL byte in text at byte 2"},
      {Text("\"a\xff\""), "invalid UTF-8 at byte 2"},
      {Real(INFINITY, "Inf"), "not a finite number for JSON: Inf"},
      {Blob("\x01\x02"), "not valid JSON at byte 0: expected a value"},
  };
  ExpectRejected("json", cases);
  ExpectRejected("jsonb", cases);
  ExpectRejected("jsonb", {{Text(R"({"a": "\u0000"})"), "\\u0000 escape at byte 7 (jsonb cannot store it)"},
                           {Text(R"(["\ud800"])"), "unpaired surrogate escape at byte 2 (jsonb cannot store it)"}});
}

}  // namespace
}  // namespace tenantsync

#include "common/json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tenantsync {
namespace {

struct QuoteCase {
  std::string input;
  std::string expected;  // including the surrounding quotes
};

TEST(JsonQuoteTest, EscapesPerRfc8259) {
  const std::vector<QuoteCase> cases = {
      {"", R"("")"},
      {"plain text", R"("plain text")"},
      {"a\"b", R"("a\"b")"},
      {"a\\b", R"("a\\b")"},
      {"/", R"("/")"},
      {"line1\nline2", R"("line1\nline2")"},
      {"cr\r", R"("cr\r")"},
      {"\ttab", R"("\ttab")"},
      {std::string("nul\0x", 5), R"("nul\u0000x")"},
      {"\x01", R"("\u0001")"},
      {"\b\f", R"("\u0008\u000c")"},
      {"\x1f", R"("\u001f")"},
      {"\x7f", R"("\u007f")"},
      {" ~", R"(" ~")"},
  };
  for (const QuoteCase& c : cases) EXPECT_EQ(JsonQuote(c.input), c.expected) << c.expected;
}

TEST(JsonQuoteTest, KeepsValidUtf8) {
  const std::vector<std::string> valid = {
      "\xc2\x80",          // U+0080, smallest two-byte
      "caf\xc3\xa9",       // é
      "\xdf\xbf",          // U+07FF
      "\xe0\xa0\x80",      // U+0800, smallest three-byte
      "\xe2\x82\xac",      // €
      "\xed\x9f\xbf",      // U+D7FF, just below the surrogates
      "\xee\x80\x80",      // U+E000, just above them
      "\xef\xbf\xbf",      // U+FFFF
      "\xf0\x90\x80\x80",  // U+10000, smallest four-byte
      "\xf0\x9f\x98\x80",  // 😀
      "\xf4\x8f\xbf\xbf",  // U+10FFFF, the largest code point
  };
  for (const std::string& text : valid) EXPECT_EQ(JsonQuote(text), "\"" + text + "\"") << JsonQuote(text);
}

TEST(JsonQuoteTest, ReplacesInvalidUtf8ByteByByte) {
  const std::string r = "\\ufffd";
  const std::vector<QuoteCase> cases = {
      {"\x80", "\"" + r + "\""},                                // lone continuation byte
      {"\xff", "\"" + r + "\""},                                // never valid
      {"\xc3", "\"" + r + "\""},                                // truncated at the end
      {"\xc3(", "\"" + r + "(\""},                              // bad continuation
      {"\xe2\x82", "\"" + r + r + "\""},                        // truncated three-byte
      {"\xc0\xaf", "\"" + r + r + "\""},                        // overlong '/'
      {"\xc1\xbf", "\"" + r + r + "\""},                        // overlong U+007F
      {"\xe0\x80\xaf", "\"" + r + r + r + "\""},                // overlong three-byte
      {"\xf0\x80\x80\xaf", "\"" + r + r + r + r + "\""},        // overlong four-byte
      {"\xed\xa0\x80", "\"" + r + r + r + "\""},                // U+D800, a surrogate
      {"\xed\xbf\xbf", "\"" + r + r + r + "\""},                // U+DFFF, a surrogate
      {"\xf4\x90\x80\x80", "\"" + r + r + r + r + "\""},        // U+110000, beyond Unicode
      {"\xf8\x88\x80\x80\x80", "\"" + r + r + r + r + r + "\""},  // five-byte form
      {"ok\xffok\xc3\xa9", "\"ok" + r + "ok\xc3\xa9\""},        // recovers after a bad byte
  };
  for (const QuoteCase& c : cases) EXPECT_EQ(JsonQuote(c.input), c.expected) << c.expected;
}

TEST(JsonWriterTest, Scalars) {
  EXPECT_EQ(JsonWriter().Int(0).str(), "0");
  EXPECT_EQ(JsonWriter().Int(-42).str(), "-42");
  EXPECT_EQ(JsonWriter().Int(std::numeric_limits<int64_t>::max()).str(), "9223372036854775807");
  EXPECT_EQ(JsonWriter().Int(std::numeric_limits<int64_t>::min()).str(), "-9223372036854775808");
  EXPECT_EQ(JsonWriter().Bool(true).str(), "true");
  EXPECT_EQ(JsonWriter().Bool(false).str(), "false");
  EXPECT_EQ(JsonWriter().Null().str(), "null");
  EXPECT_EQ(JsonWriter().String("a\"b").str(), R"("a\"b")");
  EXPECT_EQ(JsonWriter().StringOrNull(std::nullopt).str(), "null");
  EXPECT_EQ(JsonWriter().StringOrNull(std::string("x")).str(), R"("x")");
  EXPECT_EQ(JsonWriter().Raw(R"({"a":1})").str(), R"({"a":1})");
}

TEST(JsonWriterTest, DoublesAreShortestAndNonFiniteIsNull) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.5, "0.5"},
      {0.1, "0.1"},
      {-2.25, "-2.25"},
      {1.0, "1"},
      {0.0, "0"},
      {-0.0, "-0"},
      {1e300, "1e+300"},
      {1.5e-7, "1.5e-07"},
      {std::numeric_limits<double>::quiet_NaN(), "null"},
      {std::numeric_limits<double>::infinity(), "null"},
      {-std::numeric_limits<double>::infinity(), "null"},
  };
  for (const auto& [value, expected] : cases) EXPECT_EQ(JsonWriter().Double(value).str(), expected) << expected;
  EXPECT_EQ(JsonWriter()
                .BeginArray()
                .Double(std::numeric_limits<double>::quiet_NaN())
                .Double(2.5)
                .Double(std::numeric_limits<double>::infinity())
                .EndArray()
                .str(),
            "[null,2.5,null]");
}

TEST(JsonWriterTest, EmptyContainers) {
  EXPECT_EQ(JsonWriter().BeginObject().EndObject().str(), "{}");
  EXPECT_EQ(JsonWriter().BeginArray().EndArray().str(), "[]");
  EXPECT_EQ(JsonWriter().BeginArray().BeginArray().EndArray().BeginObject().EndObject().EndArray().str(), "[[],{}]");
}

TEST(JsonWriterTest, ObjectMembersAreSeparatedByCommas) {
  JsonWriter w;
  w.BeginObject()
      .Key("int").Int(1)
      .Key("str").String("x")
      .Key("null").Null()
      .Key("yes").Bool(true)
      .Key("no").Bool(false)
      .Key("opt").StringOrNull(std::nullopt)
      .Key("share").Double(0.25)
      .Key("raw").Raw("[1,2]")
      .Key("k\"ey\n").Int(2)
      .EndObject();
  EXPECT_EQ(w.str(),
            R"({"int":1,"str":"x","null":null,"yes":true,"no":false,"opt":null,"share":0.25,"raw":[1,2],"k\"ey\n":2})");
}

TEST(JsonWriterTest, Nesting) {
  JsonWriter w;
  w.BeginObject()
      .Key("tables").BeginArray()
          .BeginObject().Key("name").String("users").Key("rows").Int(3).EndObject()
          .BeginObject().Key("name").String("orders").Key("columns").BeginArray().EndArray().EndObject()
      .EndArray()
      .Key("lease").BeginObject().Key("term").Int(7).Key("holder").StringOrNull(std::string("a")).EndObject()
      .Key("matrix").BeginArray()
          .BeginArray().Int(1).Int(2).EndArray()
          .BeginArray().EndArray()
          .BeginArray().BeginArray().Null().EndArray().EndArray()
      .EndArray()
      .Key("last").Bool(false)
      .EndObject();
  EXPECT_EQ(w.str(),
            R"({"tables":[{"name":"users","rows":3},{"name":"orders","columns":[]}],)"
            R"("lease":{"term":7,"holder":"a"},"matrix":[[1,2],[],[[null]]],"last":false})");
}

TEST(JsonWriterTest, ArrayOfScalars) {
  JsonWriter w;
  w.BeginArray().Int(1).String("two").Null().Bool(true).Double(4.5).Raw("{}").EndArray();
  EXPECT_EQ(w.str(), R"([1,"two",null,true,4.5,{}])");
}

TEST(JsonNestingTest, CountsArraysAndObjectsButNotBracketsInStrings) {
  EXPECT_TRUE(JsonNestingWithin("", 0));
  EXPECT_TRUE(JsonNestingWithin("42", 0));
  EXPECT_FALSE(JsonNestingWithin("[]", 0));
  EXPECT_TRUE(JsonNestingWithin("[{}, [], {\"a\": 1}]", 2));
  EXPECT_FALSE(JsonNestingWithin("[{\"a\": [1]}]", 2));
  EXPECT_TRUE(JsonNestingWithin(std::string(64, '[') + std::string(64, ']'), 64));
  EXPECT_FALSE(JsonNestingWithin(std::string(65, '[') + std::string(65, ']'), 64));
  // Unbalanced or invalid text is the parser's to refuse; only depth counts.
  EXPECT_FALSE(JsonNestingWithin(std::string(20000, '['), 64));
  EXPECT_TRUE(JsonNestingWithin("]]]][", 1));
  // Inside strings, escaped quotes included, brackets are text.
  EXPECT_TRUE(JsonNestingWithin("[\"[[[{{{\"]", 1));
  EXPECT_TRUE(JsonNestingWithin("[\"\\\"[[[\"]", 1));
  EXPECT_FALSE(JsonNestingWithin("[\"\\\\\", [[]]]", 2));  // "\\" ends the string before [[
}

}  // namespace
}  // namespace tenantsync

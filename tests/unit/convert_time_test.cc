// timestamp, timestamptz and date columns: epochs by magnitude, text forms,
// field validation. Expected values were checked against PostgreSQL 15's
// to_timestamp() with TimeZone UTC.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/sync/convert.h"
#include "tests/unit/convert_cases.h"

namespace tenantsync {
namespace {

using namespace convert_testing;

constexpr const char* kTs = "timestamp without time zone";
constexpr const char* kTsTz = "timestamp with time zone";
constexpr const char* kDate = "date";

struct TimeCase {
  Value value;
  std::string timestamp;  // as written for timestamp; timestamptz adds "+00", date keeps the date part
};

// Every kind from one expectation: epochs are UTC, so timestamptz is the same
// wall time with +00 and date is its first ten characters (or up to " BC").
void ExpectAllKinds(const std::vector<TimeCase>& cases) {
  for (const TimeCase& c : cases) {
    std::string bc = c.timestamp.ends_with(" BC") ? " BC" : "";
    std::string wall = c.timestamp.substr(0, c.timestamp.size() - bc.size());
    ExpectAccepted(kTs, {{c.value, c.timestamp}});
    ExpectAccepted(kTsTz, {{c.value, wall + "+00" + bc}});
    ExpectAccepted(kDate, {{c.value, wall.substr(0, wall.find(' ')) + bc}});
  }
}

TEST(ConvertTimeTest, IntegerEpochUnitFollowsMagnitude) {
  ExpectAllKinds({
      {Int(0), "1970-01-01 00:00:00"},
      {Int(1700000000), "2023-11-14 22:13:20"},
      // seconds up to 1e11 (exclusive)
      {Int(99999999999), "5138-11-16 09:46:39"},
      // milliseconds from 1e11
      {Int(100000000000), "1973-03-03 09:46:40"},
      {Int(1700000000123), "2023-11-14 22:13:20.123000"},
      {Int(99999999999999), "5138-11-16 09:46:39.999000"},
      // microseconds from 1e14
      {Int(100000000000000), "1973-03-03 09:46:40"},
      {Int(1700000000123456), "2023-11-14 22:13:20.123456"},
      {Int(99999999999999999), "5138-11-16 09:46:39.999999"},
      // nanoseconds from 1e17; digits past the microsecond are truncated
      {Int(100000000000000000), "1973-03-03 09:46:40"},
      {Int(1700000000123456789), "2023-11-14 22:13:20.123456"},
      {Int(1700000000000000999), "2023-11-14 22:13:20"},
      {Int(std::numeric_limits<int64_t>::max()), "2262-04-11 23:47:16.854775"},
  });
}

TEST(ConvertTimeTest, NegativeEpochsCountBackFrom1970) {
  ExpectAllKinds({
      {Int(-1), "1969-12-31 23:59:59"},
      {Int(-1500), "1969-12-31 23:35:00"},
      {Int(-100000000), "1966-10-31 14:13:20"},
      {Int(-99999999999), "1200-02-15 14:13:21 BC"},
      {Int(-100000000000), "1966-10-31 14:13:20"},  // milliseconds
      {Int(-1700000000123), "1916-02-18 01:46:39.877000"},
      {Int(-100000000000001), "1966-10-31 14:13:19.999999"},  // microseconds
      // nanoseconds truncate toward negative infinity: -…000.000000001 s is in the previous microsecond
      {Int(-100000000000000001), "1966-10-31 14:13:19.999999"},
      {Int(std::numeric_limits<int64_t>::min()), "1677-09-21 00:12:43.145224"},
  });
}

TEST(ConvertTimeTest, RealEpochsRoundToTheMicrosecond) {
  ExpectAllKinds({
      {Real(1700000000.5, "1700000000.5"), "2023-11-14 22:13:20.500000"},
      {Real(1700000000.1, "1700000000.1"), "2023-11-14 22:13:20.100000"},  // not .099999
      {Real(1700000000.0, "1700000000.0"), "2023-11-14 22:13:20"},
      {Real(-0.5, "-0.5"), "1969-12-31 23:59:59.500000"},
      {Real(1.7e12, "1700000000000.0"), "2023-11-14 22:13:20"},  // milliseconds
      {Real(1700000000123.5, "1700000000123.5"), "2023-11-14 22:13:20.123500"},
      {Real(1.7e15, "1.7e+15"), "2023-11-14 22:13:20"},  // microseconds
      {Real(1.7e18, "1.7e+18"), "2023-11-14 22:13:20"},  // nanoseconds
  });
  const std::vector<Reject> rejected = {
      {Real(INFINITY, "Inf"), "epoch out of range for timestamp: Inf"},
      {Real(NAN, ""), "epoch out of range for timestamp: nan"},
      {Real(1e30, "1.0e+30"), "epoch out of range for timestamp: 1.0e+30"},
      {Real(-1e30, "-1.0e+30"), "epoch out of range for timestamp: -1.0e+30"},
  };
  ExpectRejected(kTs, rejected);
  ExpectRejected(kTsTz, rejected);
  ExpectRejected(kDate, {{Real(1e30, "1.0e+30"), "epoch out of range for date: 1.0e+30"}});
}

TEST(ConvertTimeTest, TextIsNormalised) {
  ExpectAllKinds({
      {Text("2024-01-02"), "2024-01-02 00:00:00"},
      {Text("2024-01-02 00:00:00"), "2024-01-02 00:00:00"},
      {Text("2024-01-02T00:00"), "2024-01-02 00:00:00"},
      {Text("2024-01-02t00:00:00.000000"), "2024-01-02 00:00:00"},
      {Text("2024-01-02T00:00:00Z"), "2024-01-02 00:00:00"},
      {Text("2024-01-02 00:00:00z"), "2024-01-02 00:00:00"},
      {Text("2024-01-02 00:00:00+00"), "2024-01-02 00:00:00"},
      {Text("2024-01-02 00:00:00+00:00"), "2024-01-02 00:00:00"},
      {Text("2024-01-02 00:00:00-00:00"), "2024-01-02 00:00:00"},
      {Text("2024-02-29"), "2024-02-29 00:00:00"},  // leap year
      {Text("2000-02-29"), "2000-02-29 00:00:00"},  // divisible by 400
      {Text("0001-01-01"), "0001-01-01 00:00:00"},
      {Text("9999-12-31"), "9999-12-31 00:00:00"},
  });
  const std::vector<Accept> with_time = {
      {Text("2024-01-02 03:04:05"), "2024-01-02 03:04:05"},
      {Text("2024-01-02T03:04:05"), "2024-01-02 03:04:05"},
      {Text("2024-01-02 03:04"), "2024-01-02 03:04:00"},
      {Text("2024-01-02 03:04:05.123456"), "2024-01-02 03:04:05.123456"},  // SQLAlchemy's form
      {Text("2024-01-02 03:04:05.5"), "2024-01-02 03:04:05.500000"},
      {Text("2024-01-02 03:04:05.000001"), "2024-01-02 03:04:05.000001"},
      {Text("2024-01-02 03:04:05.123456789"), "2024-01-02 03:04:05.123456"},  // truncated
      {Text("2024-01-02 03:04:05.9999999"), "2024-01-02 03:04:05.999999"},
      {Text("2024-01-02 23:59:59"), "2024-01-02 23:59:59"},
  };
  ExpectAccepted(kTs, with_time);
  for (const Accept& c : with_time) ExpectAccepted(kTsTz, {{c.value, c.field + "+00"}});
  ExpectAccepted(kTs, {{Text("2024-01-02T03:04:05Z"), "2024-01-02 03:04:05"},
                       {Text("2024-01-02T03:04:05.25+00:00"), "2024-01-02 03:04:05.250000"}});
}

TEST(ConvertTimeTest, TimestamptzKeepsTheOffset) {
  ExpectAccepted(kTsTz, {
                            {Text("2024-01-02T03:04:05+05:30"), "2024-01-02 03:04:05+05:30"},
                            {Text("2024-01-02T03:04:05-08"), "2024-01-02 03:04:05-08"},
                            {Text("2024-01-02T03:04:05-08:00"), "2024-01-02 03:04:05-08"},
                            {Text("2024-01-02T03:04:05.5+15:59"), "2024-01-02 03:04:05.500000+15:59"},
                            {Text("2024-01-02T03:04:05Z"), "2024-01-02 03:04:05+00"},
                            {Text("2024-01-02 03:04:05-00"), "2024-01-02 03:04:05+00"},
                        });
  ExpectRejected(kTs, {{Text("2024-01-02T03:04:05+05:30"),
                        "timestamp text with a non-UTC offset for a column without time zone: "
                        "'2024-01-02T03:04:05+05:30'"}});
  ExpectRejected(kDate,
                 {{Text("2024-01-02T00:00:00+02:00"),
                   "date text with a non-UTC offset for a column without time zone: '2024-01-02T00:00:00+02:00'"}});
}

TEST(ConvertTimeTest, ValidatesFields) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2023-02-29", "day"},  // not a leap year
      {"1900-02-29", "day"},  // divisible by 100, not by 400
      {"2024-02-30", "day"},
      {"2024-04-31", "day"},
      {"2024-01-32", "day"},
      {"2024-01-00", "day"},
      {"2024-13-01", "month"},
      {"2024-00-10", "month"},
      {"0000-01-01", "year"},
      {"2024-01-01 24:00:00", "hour"},
      {"2024-01-01 23:60", "minute"},
      {"2024-01-01 23:59:60", "second"},  // no leap seconds
      {"2024-01-01 00:00:00+16:00", "time zone offset"},
      {"2024-01-01 00:00:00+01:60", "time zone offset"},
  };
  for (const auto& [text, field] : cases) {
    ExpectRejected(kTs, {{Text(text), field + " out of range in timestamp text '" + text + "'"}});
    ExpectRejected(kTsTz, {{Text(text), field + " out of range in timestamp text '" + text + "'"}});
    ExpectRejected(kDate, {{Text(text), field + " out of range in date text '" + text + "'"}});
  }
}

TEST(ConvertTimeTest, RefusesUnrecognisedText) {
  for (const std::string text : {"2024-1-2",
                                 "2024/01/02",
                                 "20240102",
                                 "2024-01-02 ",
                                 " 2024-01-02",
                                 "2024-01-02 3:04",
                                 "2024-01-02 03:04:5",
                                 "2024-01-02 03:04:05.",
                                 "2024-01-02 03:04:05.1234567890",
                                 "2024-01-02 03:04:05 +00:00",
                                 "2024-01-02 03:04:05+0530",
                                 "2024-01-02 03:04:05+5",
                                 "2024-01-02 03:04:05UTC",
                                 "2024-01-02 03:04.5",
                                 "2024-01-02X03:04",
                                 "2024-01-02T",
                                 "yesterday",
                                 "now",
                                 "1700000000",
                                 "",
                                 "24-01-02",
                                 "+2024-01-02"}) {
    ExpectRejected(kTs, {{Text(text), "unrecognised timestamp text '" + text + "'"}});
    ExpectRejected(kDate, {{Text(text), "unrecognised date text '" + text + "'"}});
  }
  ExpectRejected(kTs, {{Blob("abc"), "not a timestamp: blob of 3 bytes"}});
  ExpectRejected(kDate, {{Blob("abc"), "not a date: blob of 3 bytes"}});
}

TEST(ConvertTimeTest, DateTextMustBeMidnight) {
  ExpectAccepted(kDate, {
                            {Text("2024-01-02"), "2024-01-02"},
                            {Text("2024-01-02 00:00"), "2024-01-02"},
                            {Text("2024-01-02T00:00:00.000Z"), "2024-01-02"},
                        });
  for (const std::string text : {"2024-01-02 00:00:01", "2024-01-02 12:00", "2024-01-02 00:00:00.000001"}) {
    ExpectRejected(kDate, {{Text(text), "date text with a time of day: '" + text + "'"}});
  }
}

}  // namespace
}  // namespace tenantsync

// The casting rules of `sync-schema deployment add --create-tables`
// (docs/create-tables.md): one expectation per rule.
#include "common/schema/sqlite_casts.h"

#include <gtest/gtest.h>

namespace tenantsync {
namespace {

constexpr StorageClassesSeen kNothing{};

TEST(SqliteCastsTest, DeclaredNamesPostgresqlKnows) {
  EXPECT_EQ(PostgresTypeFor("BOOLEAN", kNothing), "boolean");
  EXPECT_EQ(PostgresTypeFor("bool", kNothing), "boolean");
  EXPECT_EQ(PostgresTypeFor("JSON", kNothing), "json");  // jsonb would reorder keys
  EXPECT_EQ(PostgresTypeFor("jsonb", kNothing), "jsonb");
  EXPECT_EQ(PostgresTypeFor("UUID", kNothing), "uuid");
  EXPECT_EQ(PostgresTypeFor("BLOB", kNothing), "bytea");
}

TEST(SqliteCastsTest, WhatSqliteNeverEnforcedIsNotEnforcedNow) {
  EXPECT_EQ(PostgresTypeFor("VARCHAR(255)", kNothing), "text");
  EXPECT_EQ(PostgresTypeFor("character varying ( 16 )", kNothing), "text");
  EXPECT_EQ(PostgresTypeFor("NCHAR(2)", kNothing), "text");
  EXPECT_EQ(PostgresTypeFor("TINYINT", kNothing), "bigint");
  EXPECT_EQ(PostgresTypeFor("INTEGER", kNothing), "bigint");
  EXPECT_EQ(PostgresTypeFor("REAL", kNothing), "double precision");  // SQLite's REAL is 8 bytes
  EXPECT_EQ(PostgresTypeFor("float", kNothing), "double precision");
}

TEST(SqliteCastsTest, NumericKeepsAPrecisionPostgresqlTakes) {
  EXPECT_EQ(PostgresTypeFor("NUMERIC(10,2)", kNothing), "numeric(10,2)");
  EXPECT_EQ(PostgresTypeFor("decimal(5)", kNothing), "numeric(5)");
  EXPECT_EQ(PostgresTypeFor("NUMERIC", kNothing), "numeric");
  EXPECT_EQ(PostgresTypeFor("NUMERIC(0,2)", kNothing), "numeric");
  EXPECT_EQ(PostgresTypeFor("NUMERIC(2,5)", kNothing), "numeric");
  EXPECT_EQ(PostgresTypeFor("NUMERIC(99999)", kNothing), "numeric");
  EXPECT_EQ(PostgresTypeFor("NUMERIC(x)", kNothing), "numeric");
}

TEST(SqliteCastsTest, UntypedAndUnknownNamesBecomeText) {
  EXPECT_EQ(PostgresTypeFor("", kNothing), "text");
  EXPECT_EQ(PostgresTypeFor("STRING", kNothing), "text");
  EXPECT_EQ(PostgresTypeFor("MONEY", kNothing), "text");
}

TEST(SqliteCastsTest, OtherNamesFollowSqlitesAffinityRules) {
  EXPECT_EQ(PostgresTypeFor("UNSIGNED BIG INT", kNothing), "bigint");
  EXPECT_EQ(PostgresTypeFor("LONGTEXT", kNothing), "text");
  EXPECT_EQ(PostgresTypeFor("MEDIUMBLOB", kNothing), "bytea");
  EXPECT_EQ(PostgresTypeFor("DOUBLE PRECISION", kNothing), "double precision");
}

TEST(SqliteCastsTest, DatesFollowTheirValues) {
  EXPECT_EQ(PostgresTypeFor("DATETIME", kNothing), "timestamp without time zone");
  EXPECT_EQ(PostgresTypeFor("DATETIME", {.text = true}), "timestamp without time zone");
  EXPECT_EQ(PostgresTypeFor("TIMESTAMP", kNothing), "timestamp without time zone");
  EXPECT_EQ(PostgresTypeFor("timestamp with time zone", kNothing), "timestamp with time zone");
  EXPECT_EQ(PostgresTypeFor("TIMESTAMPTZ", kNothing), "timestamp with time zone");
  EXPECT_EQ(PostgresTypeFor("TIMESTAMP(3) WITH TIME ZONE", kNothing), "timestamp with time zone");
  EXPECT_EQ(PostgresTypeFor("DATE", kNothing), "date");
  EXPECT_EQ(PostgresTypeFor("TIME", kNothing), "time without time zone");
  // Open WebUI's chat.created_at: DATETIME holding epoch seconds.
  EXPECT_EQ(PostgresTypeFor("DATETIME", {.integer = true}), "bigint");
  EXPECT_EQ(PostgresTypeFor("DATE", {.integer = true, .real = true}), "double precision");
  // Text among the numbers: the converter reads both, by magnitude and by format.
  EXPECT_EQ(PostgresTypeFor("DATETIME", {.integer = true, .text = true}), "timestamp without time zone");
  // Only date/time declarations look at values.
  EXPECT_TRUE(IsDateTimeDeclaration("datetime"));
  EXPECT_TRUE(IsDateTimeDeclaration("TIMESTAMP(3)"));
  EXPECT_FALSE(IsDateTimeDeclaration("TEXT"));
  EXPECT_FALSE(IsDateTimeDeclaration("TIMEZONE_NAME"));
  EXPECT_EQ(PostgresTypeFor("TEXT", {.integer = true}), "text");
}

}  // namespace
}  // namespace tenantsync

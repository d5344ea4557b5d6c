// The PostgreSQL DDL that sync-gen prints (tests/fixtures/openwebui_0.6.43_postgres.sql
// and its 0.6.32-upgraded variant) loads into PostgreSQL and creates every
// table the SQLite DDL has, with the "user" keys each variant should have.
#include <gtest/gtest.h>

#include <string>

#include "common/gen/openwebui_ddl.h"
#include "tests/integration/pg_harness.h"

namespace tenantsync::testing {
namespace {

using gen::SqlDialect;
using gen::WebuiSchema;

class GenPgDdlTest : public PgTest {
 protected:
  // Creates `schema` and runs the DDL inside it, in one transaction.
  void Load(PgConn& admin, const std::string& schema, WebuiSchema variant) {
    admin.ExecScript("BEGIN;\nCREATE SCHEMA " + schema + ";\nSELECT set_config('search_path', '" + schema +
                     "', true);\n" + gen::OpenWebuiDdl(SqlDialect::kPostgres, variant) + "\nCOMMIT;");
  }

  std::string One(PgConn& admin, const std::string& sql, const std::vector<PgParam>& params = {}) {
    return std::string(admin.ExecOneRow(sql, params).Get(0, 0));
  }
};

TEST_F(GenPgDdlTest, EveryTableLoadsIntoPostgres) {
  PgConn admin = Admin();
  Load(admin, "owui_fresh", WebuiSchema::kV0643);
  Load(admin, "owui_upgraded", WebuiSchema::kV0632Upgraded);
  for (const char* schema : {"owui_fresh", "owui_upgraded"}) {
    for (const std::string& table : gen::OpenWebuiTables()) {
      std::string name = std::string(schema) + "." + admin.QuoteIdentifier(table);
      EXPECT_EQ(One(admin, "SELECT to_regclass($1) IS NOT NULL", {name}), "t") << name;
    }
    EXPECT_EQ(One(admin, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", {std::string(schema)}),
              std::to_string(gen::OpenWebuiTables().size()));
    // The unique index "user_id" exists in both variants.
    EXPECT_EQ(One(admin, "SELECT indisunique::text FROM pg_index WHERE indexrelid = to_regclass($1)",
                  {std::string(schema) + ".user_id"}),
              "true");
  }
  const std::string kUserConstraints =
      "SELECT coalesce(string_agg(conname || ':' || contype::text, ',' ORDER BY conname), '') FROM pg_constraint "
      "WHERE conrelid = to_regclass($1)";
  EXPECT_EQ(One(admin, kUserConstraints, {"owui_fresh.\"user\""}), "pk_user_id:p,uq_user_id:u");
  EXPECT_EQ(One(admin, kUserConstraints, {"owui_upgraded.\"user\""}), "");
  // Spot checks of types that matter to a replicator.
  EXPECT_EQ(One(admin,
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'owui_fresh.chat'::regclass AND attname = 'chat'"),
            "json");
  EXPECT_EQ(One(admin,
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'owui_fresh.config'::regclass AND attname = 'updated_at'"),
            "timestamp without time zone");
}

}  // namespace
}  // namespace tenantsync::testing

// sync-run on generated Open WebUI databases: the 0.6.43 schema and a 0.6.32
// database upgraded to 0.6.43 (whose `user` has no primary key), each in WAL
// and DELETE journal mode. Exactness is checked by reading both sides back as
// text with plain SQL, not from the sync's own bookkeeping.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>
#include <vector>

#include "common/commands/run_command.h"
#include "common/gen/openwebui_generator.h"
#include "common/sqlite/db.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

using Param = std::tuple<gen::WebuiSchema, gen::JournalMode>;

// The same rows rendered the same way on both sides: '|' between columns,
// '~' for NULL, booleans as true/false, ordered by id bytewise.
constexpr const char* kChatSqlite =
    "SELECT group_concat(line, char(10)) FROM (SELECT id || '|' || user_id || '|' || title || '|' ||"
    " CASE archived WHEN 1 THEN 'true' ELSE 'false' END || '|' ||"
    " coalesce(CASE pinned WHEN 1 THEN 'true' WHEN 0 THEN 'false' END, '~') || '|' || created_at || '|' ||"
    " updated_at || '|' || coalesce(chat, '~') || '|' || meta || '|' || coalesce(folder_id, '~') AS line"
    " FROM chat ORDER BY id)";
constexpr const char* kChatPostgres =
    "SELECT string_agg(id || '|' || user_id || '|' || title || '|' || archived::text || '|' ||"
    " coalesce(pinned::text, '~') || '|' || created_at || '|' || updated_at || '|' || coalesce(chat::text, '~') ||"
    " '|' || meta::text || '|' || coalesce(folder_id, '~'), E'\\n' ORDER BY id COLLATE \"C\") FROM client_acme.chat";
constexpr const char* kUserSqlite =
    "SELECT group_concat(line, char(10)) FROM (SELECT id || '|' || name || '|' || email || '|' || role || '|' ||"
    " created_at || '|' || updated_at || '|' || last_active_at || '|' || coalesce(settings, '~') || '|' ||"
    " coalesce(info, '~') || '|' || coalesce(oauth, '~') || '|' || coalesce(username, '~') AS line"
    " FROM user ORDER BY id)";
constexpr const char* kUserPostgres =
    "SELECT string_agg(id || '|' || name || '|' || email || '|' || role || '|' || created_at || '|' || updated_at ||"
    " '|' || last_active_at || '|' || coalesce(settings::text, '~') || '|' || coalesce(info::text, '~') || '|' ||"
    " coalesce(oauth::text, '~') || '|' || coalesce(username, '~'), E'\\n' ORDER BY id COLLATE \"C\")"
    " FROM client_acme.\"user\"";
constexpr const char* kAuthSqlite =
    "SELECT group_concat(line, char(10)) FROM (SELECT id || '|' || email || '|' || password || '|' ||"
    " CASE active WHEN 1 THEN 'true' ELSE 'false' END AS line FROM auth ORDER BY id)";
constexpr const char* kAuthPostgres =
    "SELECT string_agg(id || '|' || email || '|' || password || '|' || active::text, E'\\n' ORDER BY id COLLATE \"C\")"
    " FROM client_acme.auth";

class SyncRunOpenWebuiTest : public TenantTest, public ::testing::WithParamInterface<Param> {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    source_ = tmp_.File("webui.db");
    gen::GenOptions options;
    options.out_path = source_;
    options.users = 30;
    options.chats_per_user = 8;
    options.schema = std::get<0>(GetParam());
    options.journal_mode = std::get<1>(GetParam());
    gen::GenerateOpenWebuiDb(options);
    AddTenant("acme", source_,
              "SET search_path = {schema};\n" + gen::OpenWebuiDdl(gen::SqlDialect::kPostgres, options.schema));
  }

  ExitCode Sync(bool full = false, bool verify = false) {
    RunOptions o;
    o.full = full;
    o.verify = verify;
    o.progress = false;
    return RunSync(NodeConfig(), o);
  }

  std::string SqliteScalar(const std::string& sql) {
    SqliteDb db = SqliteDb::OpenReadOnly(source_, 1000);
    SqliteStmt stmt = db.Prepare(sql);
    return stmt.Step() && !stmt.IsNull(0) ? std::string(stmt.Text(0)) : "";
  }

  // Every table: the target's rows plus the source rows waiting in quarantine
  // equal the source's rows.
  void ExpectEveryRowAccountedFor() {
    SqliteDb db = SqliteDb::OpenReadOnly(source_, 1000);
    SqliteStmt tables = db.Prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'");
    int checked = 0;
    while (tables.Step()) {
      std::string table(tables.Text(0));
      SqliteStmt count = db.Prepare(fmt::format("SELECT count(*) FROM \"{}\"", table));
      count.Step();
      long source_rows = static_cast<long>(count.Int(0));
      long target = std::stol(Scalar(fmt::format("SELECT count(*) FROM client_acme.\"{}\"", table)));
      long waiting = std::stol(Scalar(fmt::format(
          "SELECT count(*) FROM sync_metadata.quarantine WHERE table_name = '{}' AND resolved_at IS NULL", table)));
      EXPECT_EQ(target + waiting, source_rows) << table;
      ++checked;
    }
    EXPECT_EQ(checked, 31);
  }

  // "table=rows" for every table in sync_metadata.
  std::string MetadataRowCounts() {
    PgConn admin = Admin();
    PgResult tables = admin.Exec(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'sync_metadata' ORDER BY tablename");
    std::string out;
    for (int i = 0; i < tables.rows(); ++i) {
      std::string table(tables.Get(i, 0));
      out += table + "=" + Scalar(fmt::format("SELECT count(*) FROM sync_metadata.\"{}\"", table)) + " ";
    }
    return out;
  }

  std::string XminFingerprint() {
    return Scalar(
        "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ("
        " SELECT 'chat' || id || xmin::text AS x FROM client_acme.chat UNION ALL"
        " SELECT 'user' || id || xmin::text FROM client_acme.\"user\" UNION ALL"
        " SELECT 'auth' || id || xmin::text FROM client_acme.auth UNION ALL"
        " SELECT 'tag' || id || user_id || xmin::text FROM client_acme.tag UNION ALL"
        " SELECT 'message' || id || xmin::text FROM client_acme.message UNION ALL"
        " SELECT 'config' || id || xmin::text FROM client_acme.config) s");
  }

  std::string source_;
};

TEST_P(SyncRunOpenWebuiTest, CopiesValueExactAndQuarantinesTheEdgeCases) {
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Scalar(kChatPostgres), SqliteScalar(kChatSqlite));
  EXPECT_EQ(Scalar(kUserPostgres), SqliteScalar(kUserSqlite));
  EXPECT_EQ(Scalar(kAuthPostgres), SqliteScalar(kAuthSqlite));
  // A bare JSON number that SQLite stored as an INTEGER is JSON text again.
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.tag WHERE meta::text = '42'"), "1");
  // JSON null text and SQL NULL stay apart.
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat WHERE chat::text = 'null' OR chat IS NULL"),
            SqliteScalar("SELECT count(*) FROM chat WHERE chat = 'null' OR chat IS NULL"));
  EXPECT_EQ(Scalar("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM sync_metadata.quarantine"),
            "chat_file,memory,message,oauth_session,tag");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.quarantine WHERE reason LIKE '%foreign key%'"), "2");
  ExpectEveryRowAccountedFor();
}

// An idle tick: no target row rewritten, no row added to any metadata
// table, and no table created, not even a temporary stage table. A DDL
// event trigger sees every CREATE, temporary or not.
TEST_P(SyncRunOpenWebuiTest, ANoChangeRunAddsNoRowAndCreatesNoTable) {
  ASSERT_EQ(Sync(), ExitCode::kOk);
  std::string before = XminFingerprint();
  std::string rows = MetadataRowCounts();
  PgConn admin = Admin();
  admin.Exec("CREATE TABLE public.ddl_seen (tag text NOT NULL)");
  admin.Exec("CREATE FUNCTION public.note_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER"
             " SET search_path = pg_catalog AS $$ BEGIN INSERT INTO public.ddl_seen VALUES (tg_tag); END $$");
  admin.Exec("CREATE EVENT TRIGGER note_ddl ON ddl_command_end EXECUTE FUNCTION public.note_ddl()");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(XminFingerprint(), before);
  EXPECT_EQ(MetadataRowCounts(), rows);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.ddl_seen"), "0");
  EXPECT_EQ(Scalar("SELECT runs_succeeded FROM sync_metadata.deployment_state"), "2");

  // One changed row: the same checks see the stage table and the job row.
  TenantTest::ExecSqlite(source_, "UPDATE chat SET title = 'edited', updated_at = 1800000000 WHERE rowid = 1");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_NE(Scalar("SELECT count(*) FROM public.ddl_seen"), "0");
  EXPECT_NE(MetadataRowCounts(), rows);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat WHERE title = 'edited'"), "1");
  admin.Exec("DROP EVENT TRIGGER note_ddl");
}

// A file that changed in one table: that table's pass writes, every other
// table costs no PostgreSQL write (no transaction, no progress update), its
// overlap window compared on the client. Tables with rows in quarantine are
// the exception: those rows are retried whenever the file changes.
TEST_P(SyncRunOpenWebuiTest, AChangeInOneTableWritesNothingForTheOthers) {
  // The newest chat, edited as Open WebUI does (updated_at moves forward).
  auto edit = [&](const char* title) {
    TenantTest::ExecSqlite(source_, fmt::format("UPDATE chat SET title = '{}', updated_at = updated_at + 1"
                                                " WHERE rowid = (SELECT rowid FROM chat ORDER BY updated_at DESC,"
                                                " rowid LIMIT 1)",
                                                title));
  };
  ASSERT_EQ(Sync(), ExitCode::kOk);  // the first pass reconciles
  edit("first edit");
  ASSERT_EQ(Sync(), ExitCode::kOk);  // the first incremental passes record their windows
  const char* progress =
      "SELECT string_agg(table_name || '@' || xmin::text, ',' ORDER BY table_name) FROM sync_metadata.sync_progress";
  std::string before = Scalar(progress);
  edit("edited");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat WHERE title = 'edited'"), "1");
  std::string after = Scalar(progress);
  std::vector<std::string> rewritten;
  for (size_t at = 0; at < after.size();) {
    size_t end = std::min(after.find(',', at), after.size());
    std::string entry = after.substr(at, end - at);
    if (("," + before + ",").find("," + entry + ",") == std::string::npos) rewritten.push_back(entry.substr(0, entry.find('@')));
    at = end + 1;
  }
  std::string allowed = "," + Scalar("SELECT string_agg(DISTINCT table_name, ',') FROM sync_metadata.quarantine"
                                      " WHERE resolved_at IS NULL") + ",chat,";
  ASSERT_FALSE(rewritten.empty()) << after;
  EXPECT_EQ(std::count(rewritten.begin(), rewritten.end(), "chat"), 1) << "the changed table's progress moved";
  for (const std::string& t : rewritten) {
    EXPECT_NE(allowed.find("," + t + ","), std::string::npos)
        << t << " was written although it did not change\nbefore: " << before << "\nafter: " << after;
  }
}

TEST_P(SyncRunOpenWebuiTest, InsertsUpdatesAndDeletesAllAppear) {
  ASSERT_EQ(Sync(), ExitCode::kOk);
  std::string victim = SqliteScalar("SELECT id FROM chat WHERE user_id NOT LIKE 'shared-%' ORDER BY id LIMIT 1");
  std::string silent = SqliteScalar("SELECT id FROM chat ORDER BY id DESC LIMIT 1");
  std::string bumped = SqliteScalar("SELECT id FROM chat ORDER BY id LIMIT 1 OFFSET 5");
  std::string gone_auth = SqliteScalar("SELECT id FROM auth ORDER BY id LIMIT 1");
  TenantTest::ExecSqlite(source_, fmt::format(R"sql(
    INSERT INTO chat (id, user_id, title, archived, created_at, updated_at, chat, meta)
      VALUES ('new-chat', 'u', 'brand new', 0, 1800000000, 1800000000, '{{}}', '{{}}');
    UPDATE chat SET title = 'bumped title', updated_at = 1800000001 WHERE id = '{}';
    UPDATE chat SET archived = 1 - archived WHERE id = '{}';  -- updated_at kept, as Open WebUI's archive does
    DELETE FROM chat WHERE id = '{}';
    UPDATE auth SET active = 1 - active WHERE id = (SELECT id FROM auth ORDER BY id LIMIT 1 OFFSET 1);
    DELETE FROM auth WHERE id = '{}';
  )sql",
                                              bumped, silent, victim, gone_auth));
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT title FROM client_acme.chat WHERE id = 'new-chat'"), "brand new");
  EXPECT_EQ(Scalar(fmt::format("SELECT title FROM client_acme.chat WHERE id = '{}'", bumped)), "bumped title");
  EXPECT_EQ(Scalar(kAuthPostgres), SqliteScalar(kAuthSqlite));  // compared whole: all at once
  // What no timestamp shows needs the reconcile.
  ASSERT_EQ(Sync(/*full=*/true, /*verify=*/true), ExitCode::kOk);
  EXPECT_EQ(Scalar(kChatPostgres), SqliteScalar(kChatSqlite));
  EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM client_acme.chat WHERE id = '{}'", victim)), "0");
  ExpectEveryRowAccountedFor();
}

INSTANTIATE_TEST_SUITE_P(
    SchemasAndJournalModes, SyncRunOpenWebuiTest,
    ::testing::Combine(::testing::Values(gen::WebuiSchema::kV0643, gen::WebuiSchema::kV0632Upgraded),
                       ::testing::Values(gen::JournalMode::kWal, gen::JournalMode::kDelete)),
    [](const ::testing::TestParamInfo<Param>& p) {
      return std::string(std::get<0>(p.param) == gen::WebuiSchema::kV0643 ? "v0643" : "v0632upgraded") +
             (std::get<1>(p.param) == gen::JournalMode::kWal ? "Wal" : "Delete");
    });

}  // namespace
}  // namespace tenantsync::testing

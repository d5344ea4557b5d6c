// sync-run on a small hand-made tenant that has Open WebUI's awkward traits:
// a table with no primary key (only a unique index), a composite key, epoch
// integers in a DATETIME column, DATETIME text, JSON numbers stored as
// integers, JSON null text, 0/1 booleans, and rows PostgreSQL must refuse.
// Exactness is checked by reading the target back as text.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "common/commands/run_command.h"
#include "common/log.h"
#include "common/sqlite/db.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kSqliteDdl = R"sql(
CREATE TABLE chat (id VARCHAR(255) NOT NULL, user_id VARCHAR(255) NOT NULL, title TEXT NOT NULL,
  archived INTEGER NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, chat JSON,
  pinned BOOLEAN, meta JSON DEFAULT '{}' NOT NULL);
CREATE UNIQUE INDEX chat_id ON chat (id);
CREATE TABLE tag (id VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, user_id VARCHAR(255) NOT NULL, meta JSON,
  CONSTRAINT pk_id_user_id PRIMARY KEY (id, user_id));
CREATE TABLE config (id INTEGER NOT NULL PRIMARY KEY, data JSON NOT NULL, version INTEGER NOT NULL,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE message (id TEXT NOT NULL PRIMARY KEY, content TEXT, created_at BIGINT, updated_at BIGINT);
CREATE TABLE chat_file (id TEXT NOT NULL PRIMARY KEY, chat_id TEXT NOT NULL, created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE TABLE "we""ird;name" ("c'ol;" TEXT PRIMARY KEY, "ünï ✓" INTEGER);
CREATE TABLE only_in_source (id INTEGER PRIMARY KEY);
)sql";

constexpr const char* kPostgresDdl = R"sql(
CREATE TABLE {schema}.chat (id varchar(255) NOT NULL, user_id varchar(255) NOT NULL, title text NOT NULL,
  archived boolean NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, chat json, pinned boolean,
  meta json DEFAULT '{}'::json NOT NULL);
CREATE UNIQUE INDEX chat_id ON {schema}.chat (id);
CREATE TABLE {schema}.tag (id varchar(255) NOT NULL, name varchar(255) NOT NULL, user_id varchar(255) NOT NULL,
  meta json, CONSTRAINT pk_id_user_id PRIMARY KEY (id, user_id));
CREATE TABLE {schema}.config (id serial PRIMARY KEY, data json NOT NULL, version integer NOT NULL,
  created_at timestamp DEFAULT now() NOT NULL, updated_at timestamp DEFAULT now());
CREATE TABLE {schema}.message (id text PRIMARY KEY, content text, created_at bigint, updated_at bigint);
CREATE TABLE {schema}.chat_file (id text PRIMARY KEY, chat_id text NOT NULL REFERENCES {schema}.chat (id)
  ON DELETE CASCADE, created_at bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE {schema}."we""ird;name" ("c'ol;" text PRIMARY KEY, "ünï ✓" integer);
)sql";

class SyncRunTest : public TenantTest, public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    source_ = tmp_.File("webui.db");
    TenantTest::ExecSqlite(source_, fmt::format("PRAGMA journal_mode = {}; {}", GetParam(), kSqliteDdl));
    AddTenant("acme", source_, kPostgresDdl);
  }

  void ExecSqlite(const std::string& sql) { TenantTest::ExecSqlite(source_, sql); }

  ExitCode Sync(RunOptions options = {}, const std::string& extra_config = "") {
    options.progress = false;
    return RunSync(NodeConfig(extra_config), options);
  }

  // The target read back as text, one line per row ("~" for NULL), ordered
  // by the first column listed.
  std::string Target(const std::string& table, const std::vector<std::string>& columns) {
    std::string fields;
    for (const std::string& c : columns) fields += (fields.empty() ? "" : " || '|' || ") + ("coalesce(" + c + "::text, '~')");
    return Scalar(fmt::format("SELECT coalesce(string_agg({}, E'\\n' ORDER BY ({})::text COLLATE \"C\"), '')"
                              " FROM client_acme.{}",
                              fields, columns.front(), table));
  }

  void InsertBasics() {
    ExecSqlite(R"sql(
      INSERT INTO chat VALUES ('c1', 'u1', 'Hello "world" ✓', 0, 1727740800, 1727740801,
        '{"history": {"messages": {}}, "title": "\u00e9"}', NULL, '{}');
      INSERT INTO chat VALUES ('c2', 'u1', 'tab	and
newline', 1, 1727740900, 1727740901, 'null', 1, '{"tags": ["a"]}');
      INSERT INTO chat VALUES ('c3', 'shared-c1', 'back\slash', 0, 1727741000, 1727741001, NULL, 0, '{}');
      INSERT INTO tag VALUES ('work', 'Work', 'u1', '{"color": "red"}');
      INSERT INTO tag VALUES ('work', 'Work', 'u2', 42);
      INSERT INTO tag VALUES ('n', 'n', 'u3', 'null');
      INSERT INTO config VALUES (1, '{"ui": {"x": 1}}', 0, '2025-09-28 03:37:37', '2025-09-29 11:02:45.123456');
      INSERT INTO message VALUES ('m1', 'hi', 1727740800000000000, 1727740800000000001);
      INSERT INTO chat_file VALUES ('f1', 'c1', 1727740800, 1727740800);
      INSERT INTO "we""ird;name" VALUES ('k;1''', 7);
    )sql");
  }

  std::string source_;
};

TEST_P(SyncRunTest, FirstRunCopiesEveryRowValueExact) {
  InsertBasics();
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("chat", {"id", "user_id", "title", "archived", "created_at", "updated_at", "chat", "pinned", "meta"}),
            "c1|u1|Hello \"world\" ✓|false|1727740800|1727740801|{\"history\": {\"messages\": {}}, \"title\": "
            "\"\\u00e9\"}|~|{}\n"
            "c2|u1|tab\tand\nnewline|true|1727740900|1727740901|null|true|{\"tags\": [\"a\"]}\n"
            "c3|shared-c1|back\\slash|false|1727741000|1727741001|~|false|{}");
  // JSON null text and SQL NULL stay different.
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat WHERE chat IS NULL"), "1");
  EXPECT_EQ(Target("tag", {"user_id", "id", "name", "meta"}),
            "u1|work|Work|{\"color\": \"red\"}\nu2|work|Work|42\nu3|n|n|null");
  EXPECT_EQ(Target("config", {"id", "data", "version", "created_at", "updated_at"}),
            "1|{\"ui\": {\"x\": 1}}|0|2025-09-28 03:37:37|2025-09-29 11:02:45.123456");
  EXPECT_EQ(Target("message", {"id", "content", "created_at", "updated_at"}), "m1|hi|1727740800000000000|1727740800000000001");
  EXPECT_EQ(Target("chat_file", {"id", "chat_id"}), "f1|c1");
  EXPECT_EQ(Target("\"we\"\"ird;name\"", {"\"c'ol;\"", "\"ünï ✓\""}), "k;1'|7");
  // The serial sequence is past the copied ids, so the app's next insert works.
  PgConn admin = Admin();
  EXPECT_NO_THROW(admin.Exec("INSERT INTO client_acme.config (data, version) VALUES ('{}', 1)"));
}

TEST_P(SyncRunTest, RecordsJobAndProgressAndReportsDrift) {
  InsertBasics();
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT status || ' ' || rows_read || ' ' || rows_written FROM sync_metadata.sync_jobs"),
            "succeeded 10 10");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_progress WHERE last_key IS NULL"), "6");
  EXPECT_EQ(Scalar("SELECT watermark FROM sync_metadata.sync_progress WHERE table_name = 'chat'"), "1727741001");
  std::ifstream metrics(StateDir() + "/metrics/sync-run-acme.prom");
  std::string text((std::istreambuf_iterator<char>(metrics)), {});
  EXPECT_NE(text.find("tenantsync_sync_last_run_rows{deployment=\"acme\",kind=\"written\"} 10\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tenantsync_sync_last_run_success{deployment=\"acme\"} 1\n"), std::string::npos) << text;
}

TEST_P(SyncRunTest, SecondRunWithoutChangeWritesNothing) {
  InsertBasics();
  ASSERT_EQ(Sync(), ExitCode::kOk);
  // xmin changes on any rewrite of a row: independent of our own counters.
  std::string before = Target("chat", {"id", "xmin::text"});
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("chat", {"id", "xmin::text"}), before);
  // The run that changed nothing is counted, but adds no job row. It read
  // the file all the same: only_in_source is not in the target, which every
  // run reports until it is fixed, so the tenant is never skipped.
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_jobs"), "1");
  EXPECT_EQ(Scalar("SELECT runs_succeeded || ' ' || rows_written || ' ' || (skip_key IS NOT NULL)"
                   " FROM sync_metadata.deployment_state"),
            "2 10 false");
}

TEST_P(SyncRunTest, InsertsUpdatesAndDeletesAppear) {
  InsertBasics();
  ASSERT_EQ(Sync(), ExitCode::kOk);
  ExecSqlite(R"sql(
    INSERT INTO chat VALUES ('c4', 'u2', 'new', 0, 1727742000, 1727742000, '{}', 0, '{}');
    UPDATE chat SET title = 'bumped', updated_at = 1727742001 WHERE id = 'c1';
    UPDATE chat SET archived = 0 WHERE id = 'c2';  -- updated_at kept: invisible until a reconcile
    UPDATE tag SET name = 'Renamed' WHERE user_id = 'u1';
  )sql");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("chat", {"id", "title", "archived"}), "c1|bumped|false\nc2|tab\tand\nnewline|true\nc3|back\\slash|false\nc4|new|false");
  // tag has no change column: compared whole on every run.
  EXPECT_EQ(Target("tag", {"user_id", "name"}), "u1|Renamed\nu2|Work\nu3|n");

  // The update that kept updated_at and a delete need a reconcile.
  ExecSqlite("DELETE FROM chat WHERE id = 'c3'; DELETE FROM tag WHERE user_id = 'u3';");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.tag"), "2");  // whole-compared: deleted at once
  RunOptions full;
  full.full = true;
  ASSERT_EQ(Sync(full), ExitCode::kOk);
  EXPECT_EQ(Target("chat", {"id", "archived"}), "c1|false\nc2|false\nc4|false");
}

// The source deleted a chat but kept its files (SQLite does not enforce
// foreign keys by default). The reconcile deletes the chat, and ON DELETE
// CASCADE in PostgreSQL takes the files with it: in that same run they are
// back in quarantine, saying why, and nothing else is lost.
TEST_P(SyncRunTest, RowsACascadedDeleteTookAreQuarantinedInTheSameRun) {
  InsertBasics();
  ExecSqlite(R"sql(
    INSERT INTO chat_file VALUES ('f2', 'c2', 1727740800, 1727740800);
    INSERT INTO chat_file VALUES ('f3', 'c2', 1727740800, 1727740800);
    INSERT INTO chat_file VALUES ('f4', 'c3', 1727740800, 1727740800);
  )sql");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  ASSERT_EQ(Scalar("SELECT count(*) FROM client_acme.chat_file"), "4");
  ExecSqlite("DELETE FROM chat WHERE id = 'c2'");  // f2 and f3 stay in the source
  RunOptions full;
  full.full = true;
  ASSERT_EQ(Sync(full), ExitCode::kOk);
  EXPECT_EQ(Target("chat", {"id"}), "c1\nc3");
  EXPECT_EQ(Target("chat_file", {"id", "chat_id"}), "f1|c1\nf4|c3");
  EXPECT_EQ(Scalar("SELECT string_agg(row_key::text || ' ' || (reason LIKE 'the source kept this row after deleting a "
                   "row it refers to%foreign key%')::text, ', ' ORDER BY row_key::text)"
                   " FROM sync_metadata.quarantine WHERE table_name = 'chat_file' AND resolved_at IS NULL"),
            "[\"f2\"] true, [\"f3\"] true");
  EXPECT_EQ(Scalar("SELECT rows_deleted || ' ' || rows_quarantined FROM sync_metadata.sync_jobs"
                   " ORDER BY job_id DESC LIMIT 1"),
            "1 2");
  // Once the chat is back, its files land again.
  ExecSqlite("INSERT INTO chat VALUES ('c2', 'u1', 'restored', 0, 1727750000, 1727750000, '{}', 0, '{}')");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("chat_file", {"id", "chat_id"}), "f1|c1\nf2|c2\nf3|c2\nf4|c3");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.quarantine WHERE resolved_at IS NULL"), "0");
}

// Deletes land on the next ordinary tick, whatever the deleted rows' change
// values, and so do rows the incremental read cannot see (a WITHOUT ROWID
// table's insert with an old stamp); found by the key ranges that changed,
// with no reconcile.
TEST_P(SyncRunTest, DeletesAndOldStampedInsertsLandOnTheNextOrdinaryTick) {
  InsertBasics();
  ExecSqlite(R"sql(
    CREATE TABLE member (chat_id TEXT NOT NULL, seat INTEGER NOT NULL, updated_at BIGINT,
                         PRIMARY KEY (chat_id, seat)) WITHOUT ROWID;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
    INSERT INTO member SELECT 'c' || (i % 3 + 1), i, 100 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
    INSERT INTO message SELECT printf('bulk-%05d', i), 'x', 100, 100 FROM n;
  )sql");
  // About 30 ranges each, of which a few change below: only those are
  // compared. member's text key sorts by another collation than bytes in
  // PostgreSQL, so its ranges are compared bytewise by COLLATE "C".
  Admin().Exec("CREATE TABLE client_acme.member (chat_id text COLLATE \"und-x-icu\" NOT NULL, seat bigint NOT NULL,"
               " updated_at bigint, PRIMARY KEY (chat_id, seat))");
  ASSERT_EQ(Sync(), ExitCode::kOk);  // the first copy records the key ranges
  ASSERT_EQ(Sync(), ExitCode::kOk);  // an ordinary tick: nothing to do
  // (Not for tag: without a change column it is compared whole on every run.)
  EXPECT_EQ(Scalar("SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM sync_metadata.sync_progress"
                   " WHERE key_ranges <> ''"),
            "chat chat_file member message");
  // (Tables without a change column, such as tag, are compared whole on every run.)
  auto last_reconcile = [&] {
    return Scalar("SELECT max(last_full_at)::text FROM sync_metadata.sync_progress"
                  " WHERE table_name IN ('chat', 'message', 'member', 'chat_file')");
  };
  std::string reconciled = last_reconcile();

  ExecSqlite(R"sql(
    DELETE FROM chat_file;
    DELETE FROM chat WHERE id = 'c3';
    DELETE FROM message WHERE id IN ('bulk-00007', 'bulk-02999', 'm1');
    DELETE FROM member WHERE seat IN (1, 1500);
    DELETE FROM tag WHERE user_id = 'u2';
    INSERT INTO member VALUES ('c2', 0, 5);
  )sql");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("chat", {"id"}), "c1\nc2");
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat_file"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FILTER (WHERE id IN ('bulk-00007', 'bulk-02999', 'm1')) || ' ' || count(*)"
                   " FROM client_acme.message"),
            "0 29998");
  EXPECT_EQ(Scalar("SELECT count(*) FILTER (WHERE seat IN (1, 1500)) || ' ' || count(*) || ' '"
                   " || count(*) FILTER (WHERE chat_id = 'c2' AND seat = 0) FROM client_acme.member"),
            "0 29999 1");
  EXPECT_EQ(Target("tag", {"user_id"}), "u1\nu3");
  EXPECT_EQ(Scalar("SELECT rows_deleted FROM sync_metadata.sync_jobs ORDER BY job_id DESC LIMIT 1"), "8");
  // No reconcile ran: the ordinary tick found them.
  EXPECT_EQ(last_reconcile(), reconciled);
  RunOptions verify;
  verify.verify = true;
  EXPECT_EQ(Sync(verify), ExitCode::kOk);
}

// A WITHOUT ROWID table is read in key order, batch after batch from the
// last key: it syncs, verifies, takes changes and deletes, and rows of it
// that a cascade took are written again in the same run.
TEST_P(SyncRunTest, AWithoutRowidTableWithACompositeKeySyncsInKeyOrder) {
  InsertBasics();
  ExecSqlite(R"sql(
    CREATE TABLE member (chat_id TEXT NOT NULL, seat INTEGER NOT NULL, role TEXT, updated_at BIGINT,
                         PRIMARY KEY (chat_id, seat)) WITHOUT ROWID;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 750)
    INSERT INTO member SELECT 'c' || (i % 3 + 1), i, 'role ' || i, 100 FROM n;
  )sql");
  Admin().Exec("CREATE TABLE client_acme.member (chat_id text NOT NULL REFERENCES client_acme.chat (id)"
               " ON DELETE CASCADE, seat bigint NOT NULL, role text, updated_at bigint, PRIMARY KEY (chat_id, seat))");
  std::string small = "[sync]\nbatch_rows = 100\n";
  // The first copy, one batch per run: each run resumes after the key the
  // last one stopped at.
  RunOptions budget;
  budget.time_budget = std::chrono::milliseconds(0);
  std::set<std::string> stops;
  for (int run = 0; run < 30; ++run) {
    ASSERT_EQ(Sync(budget, small), ExitCode::kOk);
    stops.insert(Scalar("SELECT coalesce(last_key->>'key', '') FROM sync_metadata.sync_progress"
                        " WHERE table_name = 'member' UNION ALL SELECT 'none' LIMIT 1"));
    if (Scalar("SELECT count(*) FROM sync_metadata.sync_progress WHERE last_key IS NOT NULL") == "0" &&
        stops.count("")) break;
  }
  // One key per batch of 100 (of 750), where the next run went on from.
  long keys = std::count_if(stops.begin(), stops.end(), [](const std::string& k) { return k.rfind("[\"c", 0) == 0; });
  EXPECT_GE(keys, 7) << fmt::format("{}", fmt::join(stops, " "));
  RunOptions verify;
  verify.verify = true;
  ASSERT_EQ(Sync(verify, small), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) || ' ' || count(DISTINCT (chat_id, seat)) || ' ' || sum(seat)"
                   " FROM client_acme.member"),
            "750 750 281625");

  // Updates with a new stamp and inserts land on the next ordinary tick.
  ExecSqlite(R"sql(
    UPDATE member SET role = 'moved', updated_at = 200 WHERE seat IN (7, 300, 749);
    INSERT INTO member VALUES ('c1', 1000, 'new', 200), ('c3', 0, 'first of c3', NULL);
  )sql");
  ASSERT_EQ(Sync({}, small), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT string_agg(chat_id || '/' || seat || ' ' || role, ', ' ORDER BY seat)"
                   " FROM client_acme.member WHERE role IN ('moved', 'new', 'first of c3')"),
            "c3/0 first of c3, c2/7 moved, c1/300 moved, c3/749 moved, c1/1000 new");

  // Deletes land with the reconcile; the cascade from chat c2 takes its
  // members, which the source kept: they are quarantined in the same run.
  ExecSqlite("DELETE FROM member WHERE seat BETWEEN 10 AND 19; DELETE FROM chat WHERE id = 'c2';");
  RunOptions full;
  full.full = true;
  ASSERT_EQ(Sync(full, small), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.member WHERE seat BETWEEN 10 AND 19 OR chat_id = 'c2'"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) || ' ' || min(row_key::text) || ' ' || bool_and(reason LIKE 'the source kept "
                   "this row after deleting a row it refers to%')"
                   " FROM sync_metadata.quarantine WHERE table_name = 'member' AND resolved_at IS NULL"),
            "246 [\"c2\", 100] true");
  // Once the chat is back, its members land again, and the copy verifies.
  ExecSqlite("INSERT INTO chat VALUES ('c2', 'u1', 'restored', 0, 1727750000, 1727750000, '{}', 0, '{}')");
  ASSERT_EQ(Sync(verify, small), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.member"), "742");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.quarantine WHERE resolved_at IS NULL"), "0");
}

// An ordinary tick reads by the change column, and also every row added
// since the last pass and every row without a change value: an import that
// keeps its old timestamps, or a nullable stamp left NULL, lands at once.
TEST_P(SyncRunTest, RowsWithOldOrNullStampsLandOnTheNextTick) {
  InsertBasics();
  ASSERT_EQ(Sync(), ExitCode::kOk);
  ASSERT_EQ(Sync(), ExitCode::kOk);  // an incremental pass: the watermarks are set
  ExecSqlite(R"sql(
    INSERT INTO chat VALUES ('imported', 'u1', 'from 2023', 0, 1672531200, 1672531200, '{}', 0, '{}');
    INSERT INTO message VALUES ('m-null', 'no stamp', NULL, NULL);
  )sql");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("chat", {"id", "updated_at"}),
            "c1|1727740801\nc2|1727740901\nc3|1727741001\nimported|1672531200");
  EXPECT_EQ(Target("message", {"id", "content", "updated_at"}), "m-null|no stamp|~\nm1|hi|1727740800000000001");
  // A row without a stamp is read on every pass, so a change to it lands too.
  ExecSqlite("UPDATE message SET content = 'edited, still no stamp' WHERE id = 'm-null'");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("message", {"id", "content"}), "m-null|edited, still no stamp\nm1|hi");
  EXPECT_EQ(Scalar("SELECT count(rowid_high) FROM sync_metadata.sync_progress WHERE table_name IN ('chat', 'message')"),
            "2");
}

TEST_P(SyncRunTest, BadRowsGoToQuarantineAndTheRestLands) {
  InsertBasics();
  std::string long_name(300, 'x');
  ExecSqlite(fmt::format(R"sql(
    INSERT INTO tag VALUES ('long', '{}', 'u1', NULL);
    INSERT INTO message VALUES ('nul', CAST(X'610062' AS TEXT), 1, 1);
    INSERT INTO message VALUES ('badutf8', CAST(X'61FF62' AS TEXT), 1, 1);
    INSERT INTO chat_file VALUES ('orphan', 'no-such-chat', 1727740800, 1727740800);
    INSERT INTO chat VALUES ('badjson', 'u1', 't', 0, 1, 1, '{{"unclosed": ', 0, '{{}}');
  )sql",
                         long_name));
  ASSERT_EQ(Sync(), ExitCode::kOk);
  PgConn admin = Admin();
  PgResult q = admin.Exec("SELECT table_name, row_key::text, reason FROM sync_metadata.quarantine ORDER BY 1, 2");
  ASSERT_EQ(q.rows(), 5);
  auto expect = [&](int row, const char* table, const char* key, const char* reason_part) {
    EXPECT_EQ(q.Get(row, 0), table);
    EXPECT_EQ(q.Get(row, 1), key);
    EXPECT_NE(std::string(q.Get(row, 2)).find(reason_part), std::string::npos) << q.Get(row, 2);
  };
  expect(0, "chat", "[\"badjson\"]", "JSON");
  expect(1, "chat_file", "[\"orphan\"]", "foreign key");
  expect(2, "message", "[\"badutf8\"]", "UTF-8");
  expect(3, "message", "[\"nul\"]", "NUL");
  expect(4, "tag", "[\"long\", \"u1\"]", "varchar(255)");
  EXPECT_EQ(Scalar("SELECT raw_row->'content'->>'$b64' FROM sync_metadata.quarantine WHERE row_key = '[\"nul\"]'"),
            "YQBi");
  // The good rows of the same batches landed.
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.message"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat_file"), "1");
  EXPECT_EQ(Scalar("SELECT rows_quarantined FROM sync_metadata.sync_jobs"), "5");

  // Retried on every run: once its parent exists, the orphan lands.
  ExecSqlite("INSERT INTO chat VALUES ('no-such-chat', 'u1', 'late parent', 0, 1727750000, 1727750000, '{}', 0, '{}')");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat_file WHERE id = 'orphan'"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.quarantine WHERE resolved_at IS NULL"), "4");
}

TEST_P(SyncRunTest, DeleteBrakeRefusesToEmptyATable) {
  for (int i = 0; i < 20; ++i) {
    ExecSqlite(fmt::format("INSERT INTO message VALUES ('m{}', 'x', 1, 1)", i));
  }
  ASSERT_EQ(Sync(), ExitCode::kOk);
  ExecSqlite("DELETE FROM message WHERE rowid > 4");  // 16 of 20 gone: a replaced file?
  RunOptions full;
  full.full = true;
  EXPECT_EQ(Sync(full), ExitCode::kDataErr);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.message"), "20");
  EXPECT_NE(Scalar("SELECT error FROM sync_metadata.sync_jobs ORDER BY job_id DESC LIMIT 1").find("delete brake"),
            std::string::npos);
  // An operator who means it raises the share.
  EXPECT_EQ(Sync(full, "[sync]\nmax_delete_share = 1.0\n"), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.message"), "4");
}

// Deletes are made in fenced transactions of at most a batch each (so a large
// one never keeps the lease unrenewed), by the reconcile and by an ordinary
// tick alike: every doomed row goes, whatever the batch boundaries.
TEST_P(SyncRunTest, DeletesLargerThanABatchLandWhole) {
  ExecSqlite(R"sql(
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
    INSERT INTO message SELECT printf('m%03d', i), 'x', 1, 1 FROM n;
  )sql");
  std::string small = "[sync]\nbatch_rows = 10\n";
  ASSERT_EQ(Sync({}, small), ExitCode::kOk);
  ASSERT_EQ(Sync({}, small), ExitCode::kOk);  // saves the key ranges
  ExecSqlite("DELETE FROM message WHERE rowid % 3 = 0");  // 33 rows: four batches
  RunOptions full;
  full.full = true;
  ASSERT_EQ(Sync(full, small), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.message"), "67");
  ExecSqlite("DELETE FROM message WHERE rowid % 5 = 1");  // 14 more, on an ordinary tick
  ASSERT_EQ(Sync({}, small), ExitCode::kOk);
  std::string kept;
  for (int i = 1; i <= 100; ++i) {
    if (i % 3 != 0 && i % 5 != 1) kept += fmt::format("{}m{:03}", kept.empty() ? "" : ",", i);
  }
  EXPECT_EQ(Scalar("SELECT string_agg(id, ',' ORDER BY id) FROM client_acme.message"), kept);
}

// Under systemd there is no terminal: a long copy says how far it is in the
// journal, with the table, rows, MB, rate and rowid position, at most once
// per period (30 s by default; every batch here).
TEST_P(SyncRunTest, ALongCopyLogsItsProgressWithoutATerminal) {
  for (int i = 0; i < 30; ++i) {
    ExecSqlite(fmt::format("INSERT INTO message VALUES ('m{:02}', 'x', 1, 1)", i));
  }
  RunOptions o;
  o.log_progress_every = std::chrono::milliseconds(0);
  InitLog("sync-run", LogLevel::kInfo);  // the tools' default
  ::testing::internal::CaptureStderr();
  ExitCode code = Sync(o, "[sync]\nbatch_rows = 10\n");
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(code, ExitCode::kOk) << err;
  EXPECT_NE(err.find("deployment=acme table=message progress: 10 rows read, 10 written, "), std::string::npos) << err;
  EXPECT_NE(err.find(" rows/s, rowid 20 of 30 (67%)"), std::string::npos) << err;
  // The default period keeps a short copy quiet.
  ExecSqlite("UPDATE message SET updated_at = 2");
  ::testing::internal::CaptureStderr();
  code = Sync({}, "[sync]\nbatch_rows = 10\n");
  err = ::testing::internal::GetCapturedStderr();
  InitLog("tenantsync-tests", LogLevel::kWarning);
  ASSERT_EQ(code, ExitCode::kOk) << err;
  EXPECT_EQ(err.find(" progress: "), std::string::npos) << err;
}

TEST_P(SyncRunTest, DryRunWritesNothing) {
  InsertBasics();
  RunOptions dry;
  dry.dry_run = true;
  ASSERT_EQ(Sync(dry), ExitCode::kOk);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_jobs"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_progress"), "0");
}

TEST_P(SyncRunTest, VerifyFindsATargetEditedBehindOurBack) {
  InsertBasics();
  RunOptions verify;
  verify.verify = true;
  ASSERT_EQ(Sync(verify), ExitCode::kOk);
  PgConn admin = Admin();
  admin.Exec("UPDATE client_acme.tag SET name = 'tampered' WHERE user_id = 'u2'");
  admin.Exec("UPDATE client_acme.chat SET title = 'tampered' WHERE id = 'c1'");
  // Neither row changed at the source, so the sync keeps both edits (a
  // target-only change is not a conflict) and only --verify reports them.
  EXPECT_EQ(Sync(verify), ExitCode::kNo);
  EXPECT_EQ(Target("tag", {"user_id", "name"}), "u1|Work\nu2|tampered\nu3|n");
}

TEST_P(SyncRunTest, AWholeTableThatReadsAsBeforeSkipsPostgreSQL) {
  InsertBasics();
  ASSERT_EQ(Sync(), ExitCode::kOk);
  std::string synced = "SELECT last_synced_at::text FROM sync_metadata.sync_progress WHERE table_name = 'tag'";
  std::string first = Scalar(synced);
  // tag has no change column, so it is read whole on every run; a row gone
  // from the target shows whether the run merged it.
  PgConn admin = Admin();
  admin.Exec("DELETE FROM client_acme.tag WHERE user_id = 'u3'");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Scalar(synced), first);
  EXPECT_EQ(Target("tag", {"user_id"}), "u1\nu2");
  // Any change at the source, and the table is compared again.
  ExecSqlite("UPDATE tag SET name = 'Work!' WHERE user_id = 'u1'");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_NE(Scalar(synced), first);
  EXPECT_EQ(Target("tag", {"user_id", "name"}), "u1|Work!\nu2|Work\nu3|n");
  // --full always compares.
  admin.Exec("DELETE FROM client_acme.tag WHERE user_id = 'u3'");
  RunOptions full;
  full.full = true;
  ASSERT_EQ(Sync(full), ExitCode::kOk);
  EXPECT_EQ(Target("tag", {"user_id"}), "u1\nu2\nu3");
}

// The JSON report of one run.
std::string RunJson(const std::function<ExitCode(const RunOptions&)>& sync) {
  RunOptions json;
  json.json = true;
  json.progress = false;
  ::testing::internal::CaptureStdout();
  ExitCode code = sync(json);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, ExitCode::kOk) << out;
  return out;
}

TEST_P(SyncRunTest, AnUnchangedSourceFileIsNotReadAgain) {
  InsertBasics();
  ASSERT_EQ(Sync(), ExitCode::kOk);
  auto sync = [&](const RunOptions& o) { return Sync(o); };
  // tag has no change column; nothing was committed to the file since its
  // last pass began, so it is not even read.
  std::string out = RunJson(sync);
  EXPECT_NE(out.find(R"("table":"tag","reconciled":true,"source_unchanged":true,"rows_read":0,)"),
            std::string::npos) << out;
  // A commit to another table: tag is read (3 rows), and its digest spares
  // PostgreSQL, its progress row included. (This tenant is never skipped
  // whole: only_in_source is reported on every run. So later runs read tag
  // again, and still write nothing for it.)
  ExecSqlite("UPDATE chat SET title = 'again', updated_at = 1727742005 WHERE id = 'c1'");
  std::string progress = Scalar("SELECT xmin::text FROM sync_metadata.sync_progress WHERE table_name = 'tag'");
  out = RunJson(sync);
  EXPECT_NE(out.find(R"("table":"tag","reconciled":true,"source_unchanged":true,"rows_read":3,)"),
            std::string::npos) << out;
  out = RunJson(sync);
  EXPECT_NE(out.find(R"("table":"tag","reconciled":true,"source_unchanged":true,"rows_read":3,)"),
            std::string::npos) << out;
  EXPECT_EQ(Scalar("SELECT xmin::text FROM sync_metadata.sync_progress WHERE table_name = 'tag'"), progress);
  // A change to tag itself is read and written.
  ExecSqlite("UPDATE tag SET name = 'Work!' WHERE user_id = 'u1'");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(Target("tag", {"user_id", "name"}), "u1|Work!\nu2|Work\nu3|n");
}

// A run that reaches [sync] deployment_time_budget stops at a batch
// boundary, says so, and the next run resumes where it stopped: every row
// lands once, and nothing is deleted on the strength of a partial pass.
TEST_P(SyncRunTest, ARunOverItsTimeBudgetStopsAtABatchAndTheNextResumes) {
  for (int i = 0; i < 25; ++i) {
    ExecSqlite(fmt::format("INSERT INTO message VALUES ('m{:02}', 'x', 1, 1)", i));
  }
  InsertBasics();
  RunOptions o;
  o.time_budget = std::chrono::milliseconds(0);  // one batch per run
  auto sync = [&](const RunOptions& options) { return Sync(options, "[sync]\nbatch_rows = 10\n"); };
  std::string first = RunJson([&](const RunOptions& json) {
    RunOptions both = o;
    both.json = json.json;
    return sync(both);
  });
  EXPECT_NE(first.find("\"cut_short\":true"), std::string::npos) << first;
  std::smatch written;
  ASSERT_TRUE(std::regex_search(first, written, std::regex(R"("rows_written":(\d+))"))) << first;
  EXPECT_LE(std::stoi(written[1].str()), 10) << first;  // one batch
  int runs = 1;
  for (; runs < 20; ++runs) {
    std::string out = RunJson([&](const RunOptions& json) {
      RunOptions both = o;
      both.json = json.json;
      return sync(both);
    });
    if (out.find("\"cut_short\":false") != std::string::npos) break;
  }
  EXPECT_GT(runs, 3);  // 25 messages in batches of 10, and five more tables
  EXPECT_LT(runs, 20);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.message"), "26");  // InsertBasics adds one
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_progress WHERE last_key IS NOT NULL"), "0");
  // And it is all there, exactly: a full compare finds nothing to change.
  RunOptions verify;
  verify.verify = true;
  EXPECT_EQ(Sync(verify), ExitCode::kOk);
}

TEST_P(SyncRunTest, AnInitialCopyWritesEachBatchInKeyOrder) {
  InsertBasics();
  ExecSqlite(R"sql(
    INSERT INTO chat VALUES ('c9', 'u2', 'nine', 0, 1727742000, 1727742000, '{}', 0, '{}');
    INSERT INTO chat VALUES ('c5', 'u2', 'five', 0, 1727742000, 1727742000, '{}', 0, '{}');
    INSERT INTO chat VALUES ('c7', 'u2', 'seven', 0, 1727742000, 1727742000, '{}', 0, '{}');
  )sql");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  // Physical order is the order the rows were sent in (a fresh heap).
  EXPECT_EQ(Scalar("SELECT string_agg(id, ',' ORDER BY ctid) FROM client_acme.chat"), "c1,c2,c3,c5,c7,c9");
}

// Large values are compressed with lz4 (faster than pglz, the server's
// default), unless toast_compression = "server".
TEST_P(SyncRunTest, LargeValuesAreCompressedWithLz4UnlessTheServerDecides) {
  InsertBasics();
  ExecSqlite("UPDATE chat SET chat = json_object('messages', printf('%.*c', 20000, 'x')) WHERE id = 'c1'");
  ASSERT_EQ(Sync(), ExitCode::kOk);
  std::string method = "SELECT pg_column_compression(chat) FROM client_acme.chat WHERE id = 'c1'";
  EXPECT_EQ(Scalar(method), "lz4");
  ExecSqlite("UPDATE chat SET chat = json_object('messages', printf('%.*c', 20000, 'y')), updated_at = 1727742009"
             " WHERE id = 'c1'");
  ASSERT_EQ(Sync({}, "[sync]\ntoast_compression = \"server\"\n"), ExitCode::kOk);
  EXPECT_EQ(Scalar(method), Scalar("SELECT current_setting('default_toast_compression')"));
  EXPECT_EQ(Scalar("SELECT chat::text = '{\"messages\":\"' || repeat('y', 20000) || '\"}' FROM client_acme.chat"
                   " WHERE id = 'c1'"),
            "t");
}

TEST_P(SyncRunTest, SourceIsByteIdenticalAfterARun) {
  InsertBasics();
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string before = read(source_);
  ASSERT_EQ(Sync(), ExitCode::kOk);
  EXPECT_EQ(read(source_), before);
}

// checkpoint = "passive" is opt-in: it moves WAL frames into the database
// file, keeps the -wal file, and stands aside for Litestream.
// Checkpoints are a WAL-mode matter: this suite runs in WAL mode only.
class SyncRunWalTest : public SyncRunTest {};

TEST_P(SyncRunWalTest, PassiveCheckpointIsOptInAndYieldsToLitestream) {
  // The app keeps the database open (a read attaches it to the WAL), so the
  // writes below stay in the -wal file.
  SqliteDb app = SqliteDb::OpenReadWrite(source_);
  app.Exec("PRAGMA wal_autocheckpoint = 0");
  app.Exec("SELECT count(*) FROM chat");
  InsertBasics();
  auto digest = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::hash<std::string>{}(std::string(std::istreambuf_iterator<char>(in), {}));
  };
  auto size = [](const std::string& path) { return std::filesystem::file_size(path); };
  size_t main_before = digest(source_);
  ASSERT_GT(size(source_ + "-wal"), 0u);

  ASSERT_EQ(Sync(), ExitCode::kOk);  // default: none
  EXPECT_EQ(digest(source_), main_before);
  std::filesystem::create_directory(source_ + "-litestream");
  ASSERT_EQ(Sync({}, "[sync]\ncheckpoint = \"passive\"\n"), ExitCode::kOk);
  EXPECT_EQ(digest(source_), main_before);

  std::filesystem::remove(source_ + "-litestream");
  ASSERT_EQ(Sync({}, "[sync]\ncheckpoint = \"passive\"\n"), ExitCode::kOk);
  EXPECT_NE(digest(source_), main_before);  // frames moved into the database file
  EXPECT_TRUE(std::filesystem::exists(source_ + "-wal"));
  SqliteStmt rows = app.Prepare("SELECT count(*) FROM chat");
  ASSERT_TRUE(rows.Step());
  EXPECT_EQ(rows.Int(0), 3);
}

INSTANTIATE_TEST_SUITE_P(JournalModes, SyncRunTest, ::testing::Values("delete", "wal"));
INSTANTIATE_TEST_SUITE_P(WalOnly, SyncRunWalTest, ::testing::Values("wal"));

}  // namespace
}  // namespace tenantsync::testing

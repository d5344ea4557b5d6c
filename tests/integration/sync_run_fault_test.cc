// sync-run under faults, with the real binary: killed at random points,
// syncing while the tenant's app writes, and bad source files.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "common/sqlite/db.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kSqliteChat = R"sql(
CREATE TABLE chat (id VARCHAR(255) NOT NULL, user_id VARCHAR(255) NOT NULL, title TEXT NOT NULL,
  archived INTEGER NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, chat JSON);
CREATE UNIQUE INDEX chat_id ON chat (id);
)sql";
constexpr const char* kPostgresChat = R"sql(
CREATE TABLE {schema}.chat (id varchar(255) NOT NULL, user_id varchar(255) NOT NULL, title text NOT NULL,
  archived boolean NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, chat json);
CREATE UNIQUE INDEX chat_id ON {schema}.chat (id);
)sql";

// `count` chat rows numbered from `first`, each with ~2 KB of JSON.
std::string InsertChats(int first, int count, int64_t updated_at) {
  return fmt::format(
      "WITH RECURSIVE n(i) AS (SELECT {0} UNION ALL SELECT i + 1 FROM n WHERE i < {1})"
      " INSERT INTO chat SELECT 'chat-' || i, 'user-' || (i % 40), 'Chat ' || i || ' ✓', i % 2, {2}, {2},"
      " '{{\"history\": {{\"messages\": {{}}}}, \"blob\": \"' || hex(zeroblob(1000)) || '\", \"i\": ' || i || '}}'"
      " FROM n",
      first, first + count - 1, updated_at);
}

class SyncRunFaultTest : public TenantTest {
 protected:
  // Flips bytes in the middle of a b-tree page of the chat table (a file
  // of 2000 chats has more than 20 pages).
  static void CorruptAPage(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 4096 * 20 + 100, SEEK_SET);
    std::string junk(2000, '\xA5');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }

  ProcessResult SyncRun(const std::string& config, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{SYNC_RUN_BIN, "--config", config};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  }
};

// kill -9 at random points; the next run converges
// with nothing lost and nothing duplicated.
TEST_F(SyncRunFaultTest, KilledAtRandomPointsTheNextRunConverges) {
  std::string source = tmp_.File("webui.db");
  ExecSqlite(source, std::string(kSqliteChat) + InsertChats(1, 20000, 1727740800));
  AddTenant("acme", source, kPostgresChat);
  std::string config = WriteNodeConfig("[sync]\nbatch_rows = 250\n");

  std::mt19937 random(20261124);
  int kills = 0, next_chat = 20001;
  int64_t clock = 1727740900;
  for (int attempt = 0; attempt < 400 && kills < 20; ++attempt) {
    pid_t pid = SpawnQuiet({SYNC_RUN_BIN, "--config", config});
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(10, 400)(random)));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++kills;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
      // It finished: give it more to do, new rows and changed ones.
      int64_t inserted_at = ++clock;
      int64_t edited_at = ++clock;
      ExecSqlite(source, InsertChats(next_chat, 4000, inserted_at) +
                             fmt::format("; UPDATE chat SET title = title || ' edited', updated_at = {} "
                                         "WHERE rowid % 97 = {}",
                                         edited_at, attempt % 97));
      next_chat += 4000;
    }
  }
  ASSERT_GE(kills, 20);
  ProcessResult last = SyncRun(config, {"--verify"});
  EXPECT_EQ(last.exit_code, 0) << last.out << last.err;
  EXPECT_NE(last.out.find("source and target are equal"), std::string::npos) << last.out;
  long rows = 0;
  {
    SqliteDb db = SqliteDb::OpenReadOnly(source, 1000);
    SqliteStmt count = db.Prepare("SELECT count(*) FROM chat");
    count.Step();
    rows = static_cast<long>(count.Int(0));
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat"), std::to_string(rows));
  EXPECT_EQ(Scalar("SELECT count(DISTINCT id) FROM client_acme.chat"), std::to_string(rows));
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_progress WHERE last_key IS NOT NULL"), "0");
  RecordProperty("kills", kills);
  std::printf("killed sync-run %d times mid-run; %ld rows converged exactly\n", kills, rows);
}

// SIGTERM (systemd stopping the unit) ends the run between two batches: the
// process dies of the signal, the job says so, and nothing is half-written.
TEST_F(SyncRunFaultTest, SigtermStopsBetweenBatchesAndTheNextRunConverges) {
  std::string source = tmp_.File("webui.db");
  ExecSqlite(source, std::string(kSqliteChat) + InsertChats(1, 20000, 1727740800));
  AddTenant("acme", source, kPostgresChat);
  std::string config = WriteNodeConfig("[sync]\nbatch_rows = 200\n");
  pid_t pid = SpawnQuiet({SYNC_RUN_BIN, "--config", config});
  // Wait until some batches have landed, so the signal arrives mid-copy.
  for (int i = 0; i < 500 && Scalar("SELECT count(*) FROM client_acme.chat") == "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  long landed = std::stol(Scalar("SELECT count(*) FROM client_acme.chat"));
  EXPECT_GT(landed, 0);
  EXPECT_LT(landed, 20000);
  EXPECT_EQ(landed % 200, 0) << "a partial batch was committed";
  EXPECT_EQ(Scalar("SELECT status || ': ' || error FROM sync_metadata.sync_jobs"), "failed: stopped by signal 15");
  ProcessResult r = SyncRun(config, {"--verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat"), "20000");
}

// The tenant's app never sees "database is locked": in WAL mode with a busy
// timeout of 0; in DELETE journal mode with Python's default 5 s, while the
// longest wait is measured and reported.
class ConcurrentWriterTest : public SyncRunFaultTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ConcurrentWriterTest, AppWriterIsNeverLockedOut) {
  bool wal = std::string(GetParam()) == "wal";
  std::string source = tmp_.File("webui.db");
  ExecSqlite(source, fmt::format("PRAGMA journal_mode = {}; {} {}", GetParam(), kSqliteChat,
                                 InsertChats(1, 5000, 1727740800)));
  AddTenant("acme", source, kPostgresChat);
  std::string config = WriteNodeConfig("[sync]\nbatch_rows = 500\n");

  std::atomic<bool> stop{false};
  std::atomic<long> writes{0}, failures{0}, longest_wait_us{0};
  std::string first_error;
  std::thread app([&] {
    SqliteDb db = SqliteDb::OpenReadWrite(source);
    sqlite3_busy_timeout(db.raw(), wal ? 0 : 5000);
    for (int i = 0; !stop; ++i) {
      auto started = std::chrono::steady_clock::now();
      std::string sql = fmt::format(
          "INSERT INTO chat VALUES ('app-{0}', 'u', 'live', 0, {1}, {1}, '{{}}');"
          " UPDATE chat SET title = 'touched {0}', updated_at = {1} WHERE id = 'chat-{2}'",
          i, 1727750000 + i, 1 + i % 5000);
      char* error = nullptr;
      int rc = sqlite3_exec(db.raw(), sql.c_str(), nullptr, nullptr, &error);
      if (rc != SQLITE_OK) {
        if (failures++ == 0) first_error = error ? error : sqlite3_errstr(rc);
      } else {
        ++writes;
      }
      sqlite3_free(error);
      long waited = static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - started)
                                          .count());
      if (waited > longest_wait_us) longest_wait_us = waited;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  for (int run = 0; run < 4; ++run) {
    ProcessResult r = SyncRun(config, run == 0 ? std::vector<std::string>{"--full"} : std::vector<std::string>{});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  stop = true;
  app.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  EXPECT_GT(writes.load(), 0);
  // After the app stops, one more run converges exactly.
  ProcessResult r = SyncRun(config, {"--verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::printf("%s mode: %ld app writes during 4 syncs, 0 failed; longest app write (incl. lock wait) %.1f ms\n",
              GetParam(), writes.load(), static_cast<double>(longest_wait_us.load()) / 1000.0);
}

INSTANTIATE_TEST_SUITE_P(JournalModes, ConcurrentWriterTest, ::testing::Values("wal", "delete"));

// Bad tenants get a clear error and their own exit code; the others sync.
TEST_F(SyncRunFaultTest, BadSourceFilesFailAloneWithTheirExitCodes) {
  std::string good = tmp_.File("good.db");
  ExecSqlite(good, std::string(kSqliteChat) + InsertChats(1, 10, 1727740800));
  std::string corrupt = tmp_.File("corrupt.db");
  ExecSqlite(corrupt, std::string(kSqliteChat) + InsertChats(1, 2000, 1727740800));
  ASSERT_NO_FATAL_FAILURE(CorruptAPage(corrupt));
  std::string not_db = tmp_.File("notes.txt");
  WriteFile(not_db, "this is not a database, it is a shopping list\n");
  std::string truncated = tmp_.File("truncated.db");
  ExecSqlite(truncated, std::string(kSqliteChat) + InsertChats(1, 2000, 1727740800));
  ASSERT_EQ(truncate(truncated.c_str(), 4096 * 10), 0);

  AddTenant("a_missing", tmp_.File("no-such.db"), kPostgresChat);
  AddTenant("b_notdb", not_db, kPostgresChat);
  AddTenant("c_truncated", truncated, kPostgresChat);
  AddTenant("d_corrupt", corrupt, kPostgresChat);
  AddTenant("e_good", good, kPostgresChat);
  ProcessResult r = SyncRun(WriteNodeConfig(), {"--json"});
  EXPECT_EQ(r.exit_code, 66) << r.err;  // the first failure's code, in name order
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_e_good.chat"), "10");
  PgConn admin = Admin();
  PgResult jobs = admin.Exec(
      "SELECT d.name, j.status, coalesce(j.error, '') FROM sync_metadata.sync_jobs j"
      " JOIN sync_metadata.client_deployments d USING (deployment_id) ORDER BY d.name");
  ASSERT_EQ(jobs.rows(), 5);
  EXPECT_EQ(jobs.Get(0, 1), "failed");
  EXPECT_NE(std::string(jobs.Get(0, 2)).find("No such file"), std::string::npos) << jobs.Get(0, 2);
  EXPECT_EQ(jobs.Get(1, 1), "failed");
  EXPECT_NE(std::string(jobs.Get(1, 2)).find("not a database"), std::string::npos) << jobs.Get(1, 2);
  EXPECT_EQ(jobs.Get(2, 1), "failed");
  EXPECT_EQ(jobs.Get(3, 1), "failed");
  EXPECT_NE(std::string(jobs.Get(3, 2)).find("malformed"), std::string::npos) << jobs.Get(3, 2);
  EXPECT_EQ(jobs.Get(4, 1), "succeeded");
  EXPECT_NE(r.out.find("\"exit_code\":65"), std::string::npos) << r.out;

  // Only the corrupt one, alone: 65.
  ProcessResult alone = SyncRun(WriteNodeConfig(), {"--deployment", "d_corrupt"});
  EXPECT_EQ(alone.exit_code, 65) << alone.err;
}

// --jobs 4: six good tenants, one locked and one corrupt, synced four at a
// time on four connections. Every good tenant syncs and verifies; the bad
// ones fail alone; the exit code is the first failure's in name order.
TEST_F(SyncRunFaultTest, ParallelJobsIsolateBadTenantsAndKeepTheFirstFailure) {
  std::string locked = tmp_.File("locked.db");
  ExecSqlite(locked, std::string(kSqliteChat) + InsertChats(1, 10, 1727740800));
  std::string corrupt = tmp_.File("corrupt.db");
  ExecSqlite(corrupt, std::string(kSqliteChat) + InsertChats(1, 2000, 1727740800));
  ASSERT_NO_FATAL_FAILURE(CorruptAPage(corrupt));
  for (int i = 0; i < 6; ++i) {
    std::string good = tmp_.File(fmt::format("good{}.db", i));
    ExecSqlite(good, std::string(kSqliteChat) + InsertChats(1, 300 + i, 1727740800));
    AddTenant(fmt::format("g{}", i), good, kPostgresChat);
  }
  AddTenant("c_locked", locked, kPostgresChat);
  AddTenant("d_corrupt", corrupt, kPostgresChat);
  SqliteDb holder = SqliteDb::OpenReadWrite(locked);
  holder.Exec("BEGIN EXCLUSIVE");  // DELETE journal mode: no reader gets in

  ProcessResult r = SyncRun(WriteNodeConfig("[sync]\nbusy_timeout_ms = 100\n"), {"--jobs", "4", "--json"});
  EXPECT_EQ(r.exit_code, 75) << r.err;  // c_locked comes before d_corrupt
  EXPECT_NE(r.out.find("{\"dry_run\":false,\"jobs\":4,"), std::string::npos) << r.out;
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM client_g{}.chat", i)), std::to_string(300 + i));
  }
  EXPECT_NE(r.out.find("\"name\":\"d_corrupt\",\"ok\":false"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"exit_code\":65"), std::string::npos) << r.out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_jobs WHERE status = 'failed'"), "2");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.sync_jobs WHERE status = 'succeeded'"), "6");
  // Every good tenant is exactly its source.
  holder.Exec("COMMIT");
  for (int i = 0; i < 6; ++i) {
    ProcessResult v = SyncRun(WriteNodeConfig(), {"--verify", "--deployment", fmt::format("g{}", i)});
    EXPECT_EQ(v.exit_code, 0) << v.out;
  }
}

// [sync] max_jobs caps both the default (one per CPU) and --jobs, so that a
// node never opens more connections than the operator allowed.
TEST_F(SyncRunFaultTest, MaxJobsCapsTheWorkersOfARun) {
  for (int i = 0; i < 3; ++i) {
    std::string source = tmp_.File(fmt::format("t{}.db", i));
    ExecSqlite(source, std::string(kSqliteChat) + InsertChats(1, 5, 1727740800));
    AddTenant(fmt::format("t{}", i), source, kPostgresChat);
  }
  ProcessResult capped = SyncRun(WriteNodeConfig("[sync]\nmax_jobs = 2\n"), {"--jobs", "8", "--json"});
  EXPECT_EQ(capped.exit_code, 0) << capped.err;
  EXPECT_NE(capped.out.find("\"jobs\":2,"), std::string::npos) << capped.out;
  EXPECT_NE(capped.err.find("--jobs 8 capped at [sync] max_jobs = 2"), std::string::npos) << capped.err;
  ProcessResult one = SyncRun(WriteNodeConfig("[sync]\nmax_jobs = 1\n"), {"--full", "--json"});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("\"jobs\":1,"), std::string::npos) << one.out;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Scalar(fmt::format("SELECT count(*) FROM client_t{}.chat", i)), "5");
}

TEST_F(SyncRunFaultTest, LockedSourceIsATemporaryFailure) {
  std::string source = tmp_.File("webui.db");
  ExecSqlite(source, std::string(kSqliteChat) + InsertChats(1, 10, 1727740800));
  AddTenant("acme", source, kPostgresChat);
  SqliteDb holder = SqliteDb::OpenReadWrite(source);
  holder.Exec("BEGIN EXCLUSIVE");  // DELETE journal mode: no reader gets in
  ProcessResult r = SyncRun(WriteNodeConfig("[sync]\nbusy_timeout_ms = 100\n"));
  EXPECT_EQ(r.exit_code, 75) << r.err;
  EXPECT_NE(r.err.find("locked"), std::string::npos) << r.err;
  holder.Exec("ROLLBACK");
  EXPECT_EQ(SyncRun(WriteNodeConfig()).exit_code, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat"), "10");
}

}  // namespace
}  // namespace tenantsync::testing

// Through a transaction-mode pooler (Supabase's port 6543, PgBouncer
// pool_mode=transaction): sync-elect and sync-run work with one server
// connection shared by every client, and the server's statement log shows no
// session-level SET, no named prepared statement and no advisory lock.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "common/schema/clusters.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kPgBouncer = "/usr/sbin/pgbouncer";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PgBouncerTest : public TenantTest {
 protected:
  void SetUp() override {
    if (access(kPgBouncer, X_OK) != 0) {
      const char* require = std::getenv("TENANTSYNC_REQUIRE_PG");
      if (require != nullptr && std::string(require) == "1") FAIL() << "pgbouncer is not installed";
      GTEST_SKIP() << "pgbouncer is not installed";
    }
    TenantTest::SetUp();
    if (IsSkipped()) return;
    {
      // Before the pool opens its server connection, which keeps its settings.
      PgConn admin = Admin();
      admin.Exec(fmt::format("ALTER DATABASE {} SET log_statement = 'all'", admin.QuoteIdentifier(dbname_)));
    }
    StartBouncer();
  }

  void TearDown() override {
    if (bouncer_ > 0) {
      kill(bouncer_, SIGTERM);
      waitpid(bouncer_, nullptr, 0);
    }
    TenantTest::TearDown();
  }

  void StartBouncer() {
    // PgBouncer refuses to run as root, like PostgreSQL: use the same user.
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (uid == 0) {
      const passwd* pw = getpwnam("postgres");
      ASSERT_NE(pw, nullptr);
      uid = pw->pw_uid;
      gid = pw->pw_gid;
    }
    dir_ = tmp_.File("bouncer");
    mkdir(dir_.c_str(), 0700);
    ASSERT_EQ(chown(dir_.c_str(), uid, gid), 0);
    chmod(tmp_.path().c_str(), 0755);
    std::string password = ReadText(PasswordFile(cluster_));
    password.erase(password.find_last_not_of("\r\n") + 1);
    port_ = 20000 + static_cast<int>(getpid() % 20000);
    WriteFile(dir_ + "/userlist.txt", fmt::format("\"{}\" \"{}\"\n", RoleForCluster(cluster_), password), 0600);
    WriteFile(dir_ + "/pgbouncer.ini",
              fmt::format("[databases]\n{0} = host=127.0.0.1 port={1} dbname={0}\n[pgbouncer]\n"
                          "listen_addr = 127.0.0.1\nlisten_port = {2}\nunix_socket_dir =\n"
                          "auth_type = scram-sha-256\nauth_file = {3}/userlist.txt\npool_mode = transaction\n"
                          "default_pool_size = 1\nmax_client_conn = 50\nlogfile = {3}/pgbouncer.log\n"
                          "pidfile = {3}/pgbouncer.pid\n",
                          dbname_, Cluster()->port(), port_, dir_),
              0600);
    for (const char* f : {"/userlist.txt", "/pgbouncer.ini"}) ASSERT_EQ(chown((dir_ + f).c_str(), uid, gid), 0);
    std::string ini = dir_ + "/pgbouncer.ini";  // built before fork: the child must not allocate
    bouncer_ = fork();
    if (bouncer_ == 0) {
      if (getuid() == 0 && (setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
      int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      execl(kPgBouncer, "pgbouncer", ini.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      try {
        BouncedConn();
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    FAIL() << "pgbouncer did not start: " << ReadText(dir_ + "/pgbouncer.log");
  }

  std::string BouncedConninfo() const {
    return fmt::format("host=127.0.0.1 port={} dbname={} user={}", port_, dbname_, RoleForCluster(cluster_));
  }
  PgConn BouncedConn() const { return PgConn::Connect({BouncedConninfo(), PasswordFile(cluster_), "probe", 5}); }

  std::string BouncedConfig(const std::string& node) const {
    std::string path = tmp_.File(node + ".toml");
    WriteFile(path,
              fmt::format("[node]\ncluster = \"{}\"\nname = \"{}\"\nstate_dir = \"{}\"\n[postgres]\nconninfo = \"{}\"\n"
                          "password_file = \"{}\"\nstatement_timeout_seconds = 7\n[sync]\nbatch_rows = 300\n",
                          cluster_, node, StateDir(), BouncedConninfo(), PasswordFile(cluster_)),
              0644);
    return path;
  }

  std::string dir_;
  int port_ = 0;
  pid_t bouncer_ = -1;
};

TEST_F(PgBouncerTest, ElectAndSyncWorkThroughATransactionPoolWithoutSessionState) {
  std::string source = tmp_.File("webui.db");
  ExecSqlite(source, R"sql(
    CREATE TABLE chat (id TEXT NOT NULL PRIMARY KEY, title TEXT NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE chat_file (id TEXT NOT NULL PRIMARY KEY, chat_id TEXT NOT NULL, updated_at INTEGER NOT NULL);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
    INSERT INTO chat SELECT 'chat-' || i, 'Chat ' || i, 1727740800 + i FROM n;
    INSERT INTO chat_file VALUES ('f1', 'chat-1', 1), ('orphan', 'no-such-chat', 1);
  )sql");
  AddTenant("acme", source, R"sql(
    CREATE TABLE {schema}.chat (id text PRIMARY KEY, title text NOT NULL, updated_at bigint NOT NULL);
    CREATE TABLE {schema}.chat_file (id text PRIMARY KEY, chat_id text NOT NULL REFERENCES {schema}.chat (id),
      updated_at bigint NOT NULL);
  )sql");
  std::string server_log = Cluster()->dir() + "/server.log";
  size_t log_start = ReadText(server_log).size();

  std::string a = BouncedConfig("node-a"), b = BouncedConfig("node-b");
  EXPECT_EQ(RunProcess({SYNC_ELECT_BIN, "--config", a}).exit_code, 0);
  // The follower asks at the same time as the leader writes: one server
  // connection serves both, transaction by transaction.
  std::thread follower([&] {
    for (int i = 0; i < 10; ++i) EXPECT_EQ(RunProcess({SYNC_ELECT_BIN, "--config", b}).exit_code, 1);
  });
  ProcessResult run = RunProcess({SYNC_RUN_BIN, "--config", a, "--verify", "--no-progress"});
  follower.join();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.chat"), "2000");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.quarantine WHERE reason LIKE '%foreign key%'"), "1");
  ProcessResult again = RunProcess({SYNC_RUN_BIN, "--config", a, "--no-progress"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(RunProcess({SYNC_ELECT_BIN, "--config", a, "--release"}).exit_code, 0);

  // Nothing leaked into the pooled server session: our timeouts were local
  // to each transaction (the role's own default is 1min).
  PgConn probe = BouncedConn();
  EXPECT_EQ(probe.ExecOneRow("SELECT current_setting('statement_timeout')").Get(0, 0), "1min");

  std::string log = ReadText(server_log).substr(log_start);
  ASSERT_NE(log.find("sync_metadata.leader_election"), std::string::npos) << "log_statement did not log";
  std::smatch m;
  // PgBouncer itself re-applies the startup parameters it tracks (such as
  // application_name) when it hands the server connection to another client;
  // any other session-level SET would be ours, and would leak across clients.
  std::regex session_set(
      R"((statement|execute [^:]*): (SET|RESET) (?!application_name|client_encoding|datestyle|timezone|)"
      R"(standard_conforming_strings)[^\n]*)",
      std::regex::icase);
  EXPECT_FALSE(std::regex_search(log, m, session_set)) << m.str();
  EXPECT_FALSE(std::regex_search(log, m, std::regex(R"(statement: PREPARE|execute [^<])")) ) << m.str();
  EXPECT_EQ(log.find("advisory"), std::string::npos);
  EXPECT_EQ(log.find("LISTEN"), std::string::npos);
}

}  // namespace
}  // namespace tenantsync::testing

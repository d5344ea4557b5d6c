// sync-elect and fencing with the real binaries: exit codes for systemd,
// failover between two nodes, a simultaneous start, and a paused leader
// (SIGSTOP) that must write nothing after the takeover.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/schema/clusters.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

using Clock = std::chrono::steady_clock;

class SyncElectTest : public TenantTest {
 protected:
  ProcessResult Elect(const std::string& config, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{SYNC_ELECT_BIN, "--config", config};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  }
};

TEST_F(SyncElectTest, ExitCodesTellSystemdLeaderFollowerOrFailure) {
  std::string a = WriteNodeConfig("", "node-a"), b = WriteNodeConfig("", "node-b");
  ProcessResult lead = Elect(a, {"--json"});
  EXPECT_EQ(lead.exit_code, 0) << lead.err;
  EXPECT_NE(lead.out.find("\"leader\":true"), std::string::npos) << lead.out;
  EXPECT_NE(lead.out.find("\"outcome\":\"acquired\""), std::string::npos) << lead.out;
  EXPECT_EQ(Elect(a).exit_code, 0);  // renewed
  ProcessResult follow = Elect(b);
  EXPECT_EQ(follow.exit_code, 1) << follow.err;
  EXPECT_NE(follow.out.find("follower: node-a leads"), std::string::npos) << follow.out;
  EXPECT_EQ(Elect(b, {"--exec-condition"}).exit_code, 1);  // "skip", not a failure

  // Under ExecCondition= every failure must be 255, or systemd skips silently.
  std::string bad = tmp_.File("bad.toml");
  WriteFile(bad, "[lease]\nttl_seconds = 1\n", 0644);
  EXPECT_EQ(Elect(bad).exit_code, 78);
  EXPECT_EQ(Elect(bad, {"--exec-condition"}).exit_code, 255);
  std::string down = tmp_.File("down.toml");
  WriteFile(down, "[node]\ncluster = \"x\"\n[postgres]\nconninfo = \"host=127.0.0.1 port=1 connect_timeout=2\"\n", 0644);
  EXPECT_EQ(Elect(down).exit_code, 69);
  EXPECT_EQ(Elect(down, {"--exec-condition"}).exit_code, 255);
  EXPECT_EQ(Elect(a, {"--no-such-flag", "--exec-condition"}).exit_code, 255);

  // A planned stop hands over at once.
  EXPECT_EQ(Elect(a, {"--release"}).exit_code, 0);
  EXPECT_EQ(Elect(b).exit_code, 0);
  EXPECT_EQ(Elect(a).exit_code, 1);
  EXPECT_EQ(Scalar("SELECT epoch FROM sync_metadata.leader_election"), "2");
}

TEST_F(SyncElectTest, CheckReportsTheEndpointWithoutElecting) {
  ProcessResult r = Elect(WriteNodeConfig(), {"--check", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"host\":\"127.0.0.1\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"server_version\":\"15"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"role_ok\":true"), std::string::npos) << r.out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.leader_election"), "0");
}

// Supabase: the direct host (IPv6) first, then the pooler (IPv4), in one
// libpq multi-host conninfo. When the first does not answer, the second does,
// and --check says which one answered.
TEST_F(SyncElectTest, MultiHostConninfoFallsThroughToTheNextEndpoint) {
  std::string path = tmp_.File("multi.toml");
  WriteFile(path,
            fmt::format("[node]\ncluster = \"{}\"\nstate_dir = \"{}\"\n[postgres]\n"
                        "conninfo = \"host=::1,127.0.0.1 port=1,{} dbname={} user={} connect_timeout=2\"\n"
                        "password_file = \"{}\"\n",
                        cluster_, StateDir(), Cluster()->port(), dbname_, RoleForCluster(cluster_),
                        PasswordFile(cluster_)),
            0644);
  ProcessResult r = Elect(path, {"--check", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("\"host\":\"127.0.0.1\",\"port\":\"{}\"", Cluster()->port())), std::string::npos)
      << r.out;
  EXPECT_EQ(Elect(path).exit_code, 0);  // and it elects through it
}

// Two nodes run sync-elect every period; the leader dies (its loop stops,
// as after kill -9); the follower leads within TTL + one period, and never
// while the dead leader's lease was still valid.
TEST_F(SyncElectTest, FollowerTakesOverAfterTheLeaderDiesAndTheDeadNodeReturnsAsFollower) {
  const int ttl = 5;
  const auto period = std::chrono::milliseconds(500);
  std::string extra = fmt::format("[lease]\nttl_seconds = {}\n", ttl);
  std::string a = WriteNodeConfig(extra, "node-a"), b = WriteNodeConfig(extra, "node-b");
  ASSERT_EQ(Elect(a).exit_code, 0);

  std::atomic<bool> a_alive{true}, stop{false};
  std::atomic<long> b_led_after_ms{-1};
  Clock::time_point a_died;
  std::thread node_a([&] {
    while (a_alive) {
      Elect(a);
      std::this_thread::sleep_for(period);
    }
  });
  std::thread node_b([&] {
    while (!stop) {
      if (Elect(b).exit_code == 0 && !a_alive && b_led_after_ms < 0) {
        b_led_after_ms = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - a_died).count());
        stop = true;
      }
      std::this_thread::sleep_for(period);
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // steady state: a leads
  EXPECT_EQ(Scalar("SELECT h.hostname FROM sync_metadata.leader_election l JOIN sync_metadata.hosts h"
                   " ON h.host_id = l.holder_host_id"),
            "node-a");
  std::string a_last_renewal;
  a_alive = false;  // the node dies: no more renewals
  node_a.join();
  a_died = Clock::now();
  a_last_renewal = Scalar("SELECT renewed_at::text FROM sync_metadata.leader_election");
  for (int i = 0; i < 200 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  node_b.join();
  ASSERT_GE(b_led_after_ms.load(), 0) << "the follower never took over";
  // Safety, on the database's clock: the takeover came after the expiry.
  EXPECT_EQ(Scalar(fmt::format("SELECT acquired_at >= '{}'::timestamptz + interval '{} seconds'"
                               " FROM sync_metadata.leader_election",
                               a_last_renewal, ttl)),
            "t");
  std::printf("failover: node-b led %.2f s after node-a died (TTL %d s + period %.1f s = bound %.1f s)\n",
              static_cast<double>(b_led_after_ms.load()) / 1000.0, ttl, 0.5, ttl + 0.5);
  // node-a restarts: a follower now.
  EXPECT_EQ(Elect(a).exit_code, 1);
}

TEST_F(SyncElectTest, SimultaneousStartGivesExactlyOneLeader) {
  for (int round = 0; round < 5; ++round) {
    std::string extra = "";
    std::string a = WriteNodeConfig(extra, fmt::format("a{}", round)), b = WriteNodeConfig(extra, fmt::format("b{}", round));
    PgConn admin = Admin();
    admin.Exec("UPDATE sync_metadata.leader_election SET expires_at = clock_timestamp()");
    pid_t pa = SpawnQuiet({SYNC_ELECT_BIN, "--config", a});
    pid_t pb = SpawnQuiet({SYNC_ELECT_BIN, "--config", b});
    int ca = WaitExit(pa), cb = WaitExit(pb);
    EXPECT_TRUE((ca == 0 && cb == 1) || (ca == 1 && cb == 0)) << "round " << round << ": " << ca << " " << cb;
  }
}

constexpr const char* kSqliteChat = R"sql(
CREATE TABLE chat (id TEXT NOT NULL PRIMARY KEY, title TEXT NOT NULL, updated_at INTEGER NOT NULL, chat JSON);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
INSERT INTO chat SELECT 'chat-' || i, 'Chat ' || i, 1727740800 + i, '{"blob": "' || hex(zeroblob(500)) || '"}' FROM n;
)sql";
constexpr const char* kPostgresChat =
    "CREATE TABLE {schema}.chat (id text PRIMARY KEY, title text NOT NULL, updated_at bigint NOT NULL, chat json);";

// SIGSTOP the leader in the middle of its writes, let the lease expire and
// the peer take over, SIGCONT: it commits nothing more and exits 75. With
// --jobs 4, four workers write four tenants at once, each fenced alone.
class PausedLeaderTest : public SyncElectTest, public ::testing::WithParamInterface<int> {};

TEST_P(PausedLeaderTest, WritesNothingAfterTheTakeoverAndExits75) {
  const int jobs = GetParam();
  std::string rows;  // the rows of every tenant, in one number
  for (int t = 0; t < jobs; ++t) {
    std::string source = tmp_.File(fmt::format("webui{}.db", t));
    ExecSqlite(source, kSqliteChat);
    AddTenant(fmt::format("acme{}", t), source, kPostgresChat);
    rows += fmt::format("{}(SELECT count(*) FROM client_acme{}.chat)", t == 0 ? "SELECT " : " + ", t);
  }
  // Short lease, short statement and idle-in-transaction limits, small batches.
  auto config = [&](const std::string& node) {
    std::string path = tmp_.File(node + ".toml");
    WriteFile(path,
              fmt::format("[node]\ncluster = \"{}\"\nname = \"{}\"\nstate_dir = \"{}\"\n[postgres]\nconninfo = \"{}\"\n"
                          "password_file = \"{}\"\nstatement_timeout_seconds = 3\n[lease]\nttl_seconds = 5\n"
                          "[sync]\nbatch_rows = 100\n",
                          cluster_, node, StateDir(), Cluster()->TcpConninfo(dbname_, RoleForCluster(cluster_)),
                          PasswordFile(cluster_)),
              0644);
    return path;
  };
  std::string a = config("node-a"), b = config("node-b");
  pid_t leader = SpawnQuiet({SYNC_RUN_BIN, "--config", a, "--jobs", std::to_string(jobs)});
  for (int i = 0; i < 500 && Scalar(rows) == "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(leader, SIGSTOP);
  long at_pause = std::stol(Scalar(rows));
  ASSERT_GT(at_pause, 0);
  ASSERT_LT(at_pause, 30000L * jobs) << "the copy finished before the pause; make it larger";
  // The peer takes over once the lease has expired (and, if the paused leader
  // was inside a transaction, once the server ended that idle session).
  bool taken = false;
  for (int i = 0; i < 60 && !taken; ++i) {
    taken = Elect(b).exit_code == 0;
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(taken);
  long at_takeover = std::stol(Scalar(rows));
  kill(leader, SIGCONT);
  EXPECT_EQ(WaitExit(leader), 75);
  EXPECT_EQ(Scalar(rows), std::to_string(at_takeover));
  std::printf("--jobs %d: paused at %ld rows; takeover at %ld rows; the old leader committed 0 rows after it and "
              "exited 75\n",
              jobs, at_pause, at_takeover);
}

INSTANTIATE_TEST_SUITE_P(Jobs, PausedLeaderTest, ::testing::Values(1, 4));

}  // namespace
}  // namespace tenantsync::testing

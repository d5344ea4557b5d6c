// The state cache across real sync-status processes (docs/status.md, "The
// state cache"). A PUT on node A must reach node B's cache within one second
// through LISTEN/NOTIFY. B's polling is slowed to a minute there, so only the
// notification can explain it; the control runs the same B with LISTEN off
// and sees it keep the old value. With LISTEN off and polling at its default,
// B still catches up on its own (the fallback). A killed LISTEN connection is
// reconnected and works again.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/status_fixture.h"

namespace tenantsync::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kToken = "t0k3n-for-the-cache-test";
constexpr const char* kKey = "/api/v1/state/ui.banner";
// Long enough that polling cannot be what refreshes B during a test.
constexpr const char* kNoPolling = "cache_poll_interval = \"60s\"\n";
constexpr const char* kListenOff = "cache_listen = false\n";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A sync-status process and what it said.
struct Node {
  std::string name;
  std::string log;
  std::unique_ptr<ChildProcess> process;
  uint16_t port = 0;
};

class SyncStatusCacheTest : public SyncStatusTest {
 protected:
  void SetUp() override {
    SyncStatusTest::SetUp();
    if (IsSkipped()) return;
    token_file_ = tmp_.File("status.token");
    WriteFile(token_file_, std::string(kToken) + "\n", 0600);
  }

  // Starts the real sync-status binary as node `name` with `status_extra`
  // under [status], on a free port it reports in its log.
  void StartNode(const std::string& name, const std::string& status_extra, Node& node) {
    std::string config = WriteNodeConfig(fmt::format("[status]\ntoken_file = \"{}\"\n{}", token_file_, status_extra),
                                         name);
    node.name = name;
    node.log = tmp_.File("sync-status-" + name + ".log");
    node.process = std::make_unique<ChildProcess>(
        std::vector<std::string>{SYNC_STATUS_BIN, "--config", config, "--listen", "127.0.0.1:0"}, node.log);
    static const std::regex kPort(R"(serving on \S+ \(port (\d+)\))");
    for (auto until = Clock::now() + std::chrono::seconds(20); Clock::now() < until;) {
      std::smatch m;
      std::string log = ReadText(node.log);
      if (std::regex_search(log, m, kPort)) {
        node.port = static_cast<uint16_t>(std::stoi(m[1].str()));
        return;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    FAIL() << "sync-status " << name << " did not start:\n" << ReadText(node.log);
  }

  // Waits until the node's /metrics reports the LISTEN connection as `up`.
  static void WaitForListen(const Node& node, bool up) {
    std::string want = fmt::format("tenantsync_status_cache_listen_up {}\n", up ? 1 : 0);
    std::string metrics;
    for (auto until = Clock::now() + std::chrono::seconds(20); Clock::now() < until;) {
      metrics = Http(node.port, "GET", "/metrics").body;
      if (Contains(metrics, want)) return;
      std::this_thread::sleep_for(milliseconds(20));
    }
    FAIL() << node.name << " never reported " << want << metrics << "\n" << ReadText(node.log);
  }

  static void Put(const Node& node, const std::string& value) {
    HttpResult put = Http(node.port, "PUT", kKey, value, kToken);
    ASSERT_EQ(put.status, 200) << put.body;
  }

  // Puts `first` on A and reads it on B twice: B now serves it from its cache.
  static void CacheOnB(const Node& a, const Node& b, const std::string& first) {
    ASSERT_NO_FATAL_FAILURE(Put(a, first));
    HttpResult read = Http(b.port, "GET", kKey);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_TRUE(Contains(read.body, "\"value\":" + first)) << read.body;
    HttpResult again = Http(b.port, "GET", kKey);
    EXPECT_TRUE(Contains(again.body, "\"value\":" + first)) << again.body;
    ASSERT_TRUE(Contains(again.body, "\"cached\":true")) << again.body;
  }

  // Reads on `node` until it serves `value` or `limit` has passed since
  // `since`; how long after `since` it first did, or nullopt.
  static std::optional<milliseconds> TimeUntilServed(const Node& node, const std::string& value,
                                                     Clock::time_point since, milliseconds limit) {
    while (true) {
      HttpResult read = Http(node.port, "GET", kKey);
      auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - since);
      if (read.status == 200 && Contains(read.body, "\"value\":" + value)) return elapsed;
      if (elapsed > limit) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  std::string token_file_;
};

TEST_F(SyncStatusCacheTest, PutOnOneNodeReachesTheOtherNodesCacheWithinOneSecondThroughNotify) {
  Node a, b;
  ASSERT_NO_FATAL_FAILURE(StartNode("node-a", kNoPolling, a));
  ASSERT_NO_FATAL_FAILURE(StartNode("node-b", kNoPolling, b));
  ASSERT_NO_FATAL_FAILURE(WaitForListen(a, true));
  ASSERT_NO_FATAL_FAILURE(WaitForListen(b, true));
  ASSERT_NO_FATAL_FAILURE(CacheOnB(a, b, "{\"text\": \"v1\"}"));

  Clock::time_point put_at = Clock::now();
  ASSERT_NO_FATAL_FAILURE(Put(a, "{\"text\": \"v2\"}"));
  std::optional<milliseconds> seen = TimeUntilServed(b, "{\"text\": \"v2\"}", put_at, milliseconds(1000));
  ASSERT_TRUE(seen) << "node-b still serves the old value 1 s after the PUT on node-a:\n" << ReadText(b.log);
  EXPECT_LE(seen->count(), 1000);
  std::cout << "[ notify   ] node-b served node-a's write " << seen->count() << " ms after the PUT began\n";

  // And the other way round, with B's own entry for the key in A's cache.
  ASSERT_NO_FATAL_FAILURE(CacheOnB(b, a, "{\"text\": \"v3\"}"));
  put_at = Clock::now();
  ASSERT_NO_FATAL_FAILURE(Put(b, "{\"text\": \"v4\"}"));
  seen = TimeUntilServed(a, "{\"text\": \"v4\"}", put_at, milliseconds(1000));
  ASSERT_TRUE(seen) << "node-a still serves the old value 1 s after the PUT on node-b:\n" << ReadText(a.log);

  // SIGTERM stops the listener thread too, and cleanly.
  EXPECT_EQ(b.process->Stop(), 0) << ReadText(b.log);
  std::string log = ReadText(b.log);
  EXPECT_TRUE(Contains(log, "state cache: listening on tenantsync_cache")) << log;
  std::string password = ReadText(PasswordFile(cluster_));
  password.erase(password.find_last_not_of("\r\n") + 1);
  EXPECT_FALSE(Contains(log, password)) << "the log shows the role's password";
  EXPECT_FALSE(Contains(log, kToken)) << "the log shows the bearer token";
}

// The control for the test above, and the fallback: B1 and B2 do not LISTEN.
// B1 polls once a minute and keeps the old value; B2 polls at the default
// (once a second) and catches up without any notification.
TEST_F(SyncStatusCacheTest, WithoutListenOnlyPollingInvalidatesAtItsInterval) {
  Node a, b1, b2;
  ASSERT_NO_FATAL_FAILURE(StartNode("node-a", kNoPolling, a));
  ASSERT_NO_FATAL_FAILURE(StartNode("node-b1", std::string(kListenOff) + kNoPolling, b1));
  ASSERT_NO_FATAL_FAILURE(StartNode("node-b2", kListenOff, b2));
  ASSERT_NO_FATAL_FAILURE(WaitForListen(a, true));
  ASSERT_NO_FATAL_FAILURE(WaitForListen(b1, false));
  ASSERT_NO_FATAL_FAILURE(CacheOnB(a, b1, "{\"text\": \"v1\"}"));
  HttpResult b2_read = Http(b2.port, "GET", kKey);
  ASSERT_TRUE(Contains(b2_read.body, "\"value\":{\"text\": \"v1\"}")) << b2_read.body;

  Clock::time_point put_at = Clock::now();
  ASSERT_NO_FATAL_FAILURE(Put(a, "{\"text\": \"v2\"}"));
  // "At most once a second, on the next request": a generous bound, since
  // this only shows that polling alone gets there.
  std::optional<milliseconds> polled = TimeUntilServed(b2, "{\"text\": \"v2\"}", put_at, milliseconds(10000));
  ASSERT_TRUE(polled) << "polling never picked up the write:\n" << ReadText(b2.log);
  std::cout << "[ polling  ] node-b2 served node-a's write " << polled->count() << " ms after the PUT began\n";

  milliseconds left = milliseconds(1500) - std::chrono::duration_cast<milliseconds>(Clock::now() - put_at);
  if (left.count() > 0) std::this_thread::sleep_for(left);
  HttpResult stale = Http(b1.port, "GET", kKey);
  EXPECT_TRUE(Contains(stale.body, "\"value\":{\"text\": \"v1\"}")) << stale.body;
  EXPECT_TRUE(Contains(stale.body, "\"cached\":true")) << stale.body;
  EXPECT_FALSE(Contains(ReadText(b1.log), "tenantsync_cache")) << "LISTEN was attempted while disabled";
}

TEST_F(SyncStatusCacheTest, KilledListenConnectionIsReportedOnceAndReconnected) {
  Node a, b;
  ASSERT_NO_FATAL_FAILURE(StartNode("node-a", kNoPolling, a));
  ASSERT_NO_FATAL_FAILURE(StartNode("node-b", kNoPolling, b));
  ASSERT_NO_FATAL_FAILURE(WaitForListen(b, true));
  const std::string listener_of_b =
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'tenantsync/sync-status-listen/node-b'";
  std::string killed = Scalar(listener_of_b);
  EXPECT_EQ(Scalar(fmt::format("SELECT pg_terminate_backend({})", killed)), "t");

  // Back on a new connection.
  std::string now_listening;
  for (auto until = Clock::now() + std::chrono::seconds(20); Clock::now() < until;) {
    PgConn admin = Admin();
    PgResult r = admin.Exec(listener_of_b);
    if (r.rows() == 1 && r.Get(0, 0) != killed) {
      now_listening = std::string(r.Get(0, 0));
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_FALSE(now_listening.empty()) << ReadText(b.log);
  ASSERT_NO_FATAL_FAILURE(WaitForListen(b, true));

  // And it delivers again, with polling still out of the picture.
  ASSERT_NO_FATAL_FAILURE(CacheOnB(a, b, "{\"text\": \"v1\"}"));
  Clock::time_point put_at = Clock::now();
  ASSERT_NO_FATAL_FAILURE(Put(a, "{\"text\": \"v2\"}"));
  std::optional<milliseconds> seen = TimeUntilServed(b, "{\"text\": \"v2\"}", put_at, milliseconds(1000));
  ASSERT_TRUE(seen) << "no invalidation through the new LISTEN connection:\n" << ReadText(b.log);

  std::string log = ReadText(b.log);
  EXPECT_EQ(Count(log, "no LISTEN tenantsync_cache connection"), 1U) << log;
  EXPECT_EQ(Count(log, "LISTEN tenantsync_cache works again"), 1U) << log;
}

}  // namespace
}  // namespace tenantsync::testing

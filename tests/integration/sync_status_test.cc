// sync-status over real HTTP: the server runs in-process on a thread (the
// command's own entry point with a stop flag), against the harness's
// PostgreSQL as the cluster's role, after sync-elect and sync-run (the real
// binaries) have left a lease, jobs and metrics textfiles. `--once` runs as
// the real binary for its exit codes. The fixture is in status_fixture.h;
// the state cache across processes is in sync_status_cache_test.cc, the page
// in a browser in sync_status_page_test.cc.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "common/status/status_metrics.h"
#include "tests/integration/status_fixture.h"

namespace tenantsync::testing {
namespace {

TEST_F(SyncStatusTest, OnceExitsOneBeforeAnyRunAndZeroAfter) {
  ProcessResult before = Once(config_path_, {"--json"});
  EXPECT_EQ(before.exit_code, 1) << before.err;
  EXPECT_TRUE(Contains(before.out, "\"healthy\":false")) << before.out;
  EXPECT_TRUE(Contains(before.out, "no successful run yet")) << before.out;

  ElectAndSync();
  ProcessResult after = Once(config_path_);
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_TRUE(Contains(after.out, "healthy: node node-a of cluster " + cluster_)) << after.out;
  EXPECT_TRUE(Contains(after.out, "lease: this node leads (epoch 1")) << after.out;
  EXPECT_TRUE(Contains(after.out, "deployment acme: last success")) << after.out;

  // A lag bound of 1 s is missed a little later.
  std::string strict = WriteNodeConfig("[status]\nmax_lag = \"1s\"\n", "strict");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Once(strict).exit_code, 1);

  // PostgreSQL unreachable: unhealthy, not an error exit.
  std::string down = tmp_.File("down.toml");
  WriteFile(down, fmt::format("[node]\ncluster = \"{}\"\n[postgres]\nconninfo = \"host=127.0.0.1 port=1 connect_timeout=2\"\n",
                              cluster_), 0644);
  ProcessResult unreachable = Once(down, {"--json"});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.err;
  EXPECT_TRUE(Contains(unreachable.out, "\"reachable\":false")) << unreachable.out;
}

// Requests reuse a kept connection instead of authenticating anew; one the
// server has closed in between is replaced within the same request, which
// still answers 200.
TEST_F(SyncStatusTest, AKeptConnectionTheServerClosedIsReplacedWithinTheRequest) {
  ElectAndSync();
  uint16_t port = StartServer();
  const std::string kept =
      "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity"
      " WHERE application_name = 'tenantsync/sync-status/node-a' AND state = 'idle'";
  ASSERT_EQ(Http(port, "GET", "/health").status, 200);
  std::string first = Scalar(kept);
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(Http(port, "GET", "/metrics").status, 200);
  EXPECT_EQ(Scalar(kept), first);  // the same backend served the next request

  EXPECT_EQ(Scalar("SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity"
                   " WHERE application_name = 'tenantsync/sync-status/node-a'"),
            "t");
  HttpResult health = Http(port, "GET", "/health");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"reachable\":true")) << health.body;
  EXPECT_NE(Scalar(kept), first);
}

TEST_F(SyncStatusTest, ServesHealthMetricsClusterStatusAndConflicts) {
  ElectAndSync();
  std::string acme_id = Scalar("SELECT deployment_id FROM sync_metadata.client_deployments WHERE name = 'acme'");
  Admin().Exec(fmt::format("INSERT INTO sync_metadata.conflict_log (cluster_name, deployment_id, table_name, row_key,"
                           " strategy) VALUES ('{}', {}, 'note', '{{\"id\": \"n1\"}}', 'manual')",
                           cluster_, acme_id));
  uint16_t port = StartServer();

  HttpResult health = Http(port, "GET", "/health");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.content_type, "application/json");
  EXPECT_TRUE(Contains(health.body, "\"healthy\":true")) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"node\":\"node-a\"")) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"cluster\":\"" + cluster_ + "\"")) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"leader\":true")) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"lease_expires_in_seconds\":")) << health.body;
  EXPECT_TRUE(Contains(health.body, "{\"name\":\"acme\",\"enabled\":true,\"last_success_age_seconds\":"))
      << health.body;
  HttpResult head = Http(port, "HEAD", "/health");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");

  HttpResult metrics = Http(port, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = metrics.body;
  EXPECT_TRUE(Contains(m, "tenantsync_postgres_up 1\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_lease_held{node=\"node-a\"} 1\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_lease_epoch 1\n")) << m;
  EXPECT_TRUE(Contains(m, "# TYPE tenantsync_sync_jobs_total counter\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_sync_jobs_total{deployment=\"acme\",status=\"succeeded\"} 1\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_sync_rows_total{deployment=\"beta\",kind=\"written\"} 2\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_conflicts_pending{deployment=\"acme\"} 1\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_quarantine_rows{deployment=\"acme\"} 0\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_sync_lag_seconds{deployment=\"acme\"} ")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_node_heartbeat_age_seconds{node=\"node-a\"} ")) << m;
  // Both sync-run textfiles, under one HELP/TYPE per family.
  EXPECT_TRUE(Contains(m, "tenantsync_sync_last_run_success{deployment=\"acme\"} 1\n")) << m;
  EXPECT_TRUE(Contains(m, "tenantsync_sync_last_run_success{deployment=\"beta\"} 1\n")) << m;
  EXPECT_EQ(Count(m, "# TYPE tenantsync_sync_last_run_success "), 1U) << m;
  EXPECT_EQ(Count(m, "# HELP tenantsync_sync_last_run_rows "), 1U) << m;
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.back(), '\n');

  HttpResult status = Http(port, "GET", "/api/v1/cluster/status");
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_TRUE(Contains(status.body, "\"hostname\":\"node-a\",\"status\":\"active\"")) << status.body;
  EXPECT_TRUE(Contains(status.body, "\"is_leader\":true")) << status.body;
  EXPECT_TRUE(Contains(status.body, "\"leader_node\":\"node-a\"")) << status.body;
  EXPECT_TRUE(Contains(status.body, "\"name\":\"beta\"")) << status.body;
  EXPECT_TRUE(Contains(status.body, "\"pending_conflicts\":1")) << status.body;

  HttpResult conflicts = Http(port, "GET", "/api/v1/conflicts");
  EXPECT_EQ(conflicts.status, 200) << conflicts.body;
  EXPECT_TRUE(Contains(conflicts.body, "\"count\":1")) << conflicts.body;
  EXPECT_TRUE(Contains(conflicts.body, "\"deployment\":\"acme\",\"table\":\"note\",\"row_key\":{\"id\": \"n1\"}"))
      << conflicts.body;

  HttpResult page = Http(port, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(Contains(page.body, "<td>acme</td>")) << page.body;
  EXPECT_TRUE(Contains(page.body, "{&quot;id&quot;: &quot;n1&quot;}")) << page.body;  // escaped

  EXPECT_EQ(Http(port, "GET", "/nope").status, 404);
  EXPECT_EQ(Http(port, "GET", "/health/x").status, 404);
  HttpResult del = Http(port, "DELETE", "/health");
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(del.allow, "GET, HEAD, PUT, POST");
  HttpResult post = Http(port, "POST", "/metrics", "x");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.allow, "GET, HEAD");
  EXPECT_EQ(Http(port, "POST", "/metrics", std::string(100 * 1024, 'x')).status, 413);
  // Chunked, no declared length: counted as it arrives.
  {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    Poco::Net::HTTPRequest request("PUT", "/api/v1/state/k", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setChunkedTransferEncoding(true);
    session.sendRequest(request) << std::string(100 * 1024, 'x');
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
    EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
  }
  EXPECT_EQ(Http(port, "GET", "/health").status, 200);  // still serving
}

TEST_F(SyncStatusTest, HealthIsUnavailableBeforeAnyRunAndMetricsStillServe) {
  uint16_t port = StartServer();
  HttpResult health = Http(port, "GET", "/health");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"healthy\":false")) << health.body;
  EXPECT_TRUE(Contains(health.body, "\"leader\":false")) << health.body;
  HttpResult metrics = Http(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(Contains(metrics.body, "tenantsync_healthy 0\n")) << metrics.body;
  EXPECT_TRUE(Contains(metrics.body, "tenantsync_sync_never_succeeded{deployment=\"acme\"} 1\n")) << metrics.body;
  StopServer();

  stop_ = false;
  port = StartServer(fmt::format("[node]\ncluster = \"{}\"\nstate_dir = \"{}\"\n[postgres]\n"
                                 "conninfo = \"host=127.0.0.1 port=1 connect_timeout=2\"\n",
                                 cluster_, StateDir()));
  HttpResult down = Http(port, "GET", "/health");
  EXPECT_EQ(down.status, 503);
  EXPECT_TRUE(Contains(down.body, "\"reachable\":false")) << down.body;
  HttpResult down_metrics = Http(port, "GET", "/metrics");
  EXPECT_TRUE(Contains(down_metrics.body, "tenantsync_postgres_up 0\n")) << down_metrics.body;
  // The process's own gauge is served without PostgreSQL too.
  EXPECT_TRUE(Contains(down_metrics.body, "tenantsync_status_cache_listen_up 0\n")) << down_metrics.body;
  EXPECT_EQ(Http(port, "GET", "/api/v1/conflicts").status, 503);
}

TEST_F(SyncStatusTest, MetricsStillAnswerWithFiftyIdleConnectionsHeldOpen) {
  ElectAndSync();
  uint16_t port = StartServer();
  std::vector<Poco::Net::StreamSocket> idle;
  for (int i = 0; i < 50; ++i) {
    idle.emplace_back();
    idle.back().connect(Poco::Net::SocketAddress("127.0.0.1", port));  // and send nothing
  }
  auto start = std::chrono::steady_clock::now();
  HttpResult metrics = Http(port, "GET", "/metrics");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(Contains(metrics.body, "tenantsync_postgres_up 1\n"));
  EXPECT_LT(seconds, 6.0) << "idle connections starved /metrics";
  std::cout << "[ idle     ] /metrics answered in " << seconds << " s with 50 idle connections\n";
  for (Poco::Net::StreamSocket& s : idle) s.close();
}

TEST_F(SyncStatusTest, PromtoolAcceptsTheMetrics) {
  if (system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool is not installed";
  ElectAndSync();
  uint16_t port = StartServer();
  HttpResult metrics = Http(port, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  std::string path = tmp_.File("metrics.prom");
  WriteFile(path, metrics.body, 0644);
  ProcessResult check = RunProcess({"/bin/sh", "-c", "promtool check metrics < \"$0\"", path});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err << "\n" << metrics.body;
  EXPECT_EQ(check.out + check.err, "") << metrics.body;  // no lint warnings either
}

TEST_F(SyncStatusTest, StateApiIsCacheAsideWithTokenAndClusterWideInvalidation) {
  std::string token_file = tmp_.File("status.token");
  WriteFile(token_file, "s3cret-token\n", 0600);
  uint16_t port = StartServer(NodeConfigText(fmt::format("[status]\ntoken_file = \"{}\"\n", token_file), "node-a"));

  EXPECT_EQ(Http(port, "GET", "/api/v1/state/ui.theme").status, 404);
  HttpResult none = Http(port, "PUT", "/api/v1/state/ui.theme", "{\"dark\": true}");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(Http(port, "PUT", "/api/v1/state/ui.theme", "{\"dark\": true}", "wrong").status, 401);
  EXPECT_EQ(Http(port, "PUT", "/api/v1/state/ui.theme", "not json", "s3cret-token").status, 400);
  EXPECT_EQ(Http(port, "GET", "/api/v1/state/bad%20key").status, 400);
  HttpResult put = Http(port, "PUT", "/api/v1/state/ui.theme", "{\"dark\": true}", "s3cret-token");
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(Contains(put.body, "\"value\":{\"dark\": true}")) << put.body;
  EXPECT_EQ(Scalar("SELECT value::text || ' ' || updated_by FROM sync_metadata.state WHERE key = 'ui.theme'"),
            "{\"dark\": true} sync-status@node-a");
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.cache_events WHERE cache_key = 'ui.theme'"), "1");

  HttpResult get = Http(port, "GET", "/api/v1/state/ui.theme");
  EXPECT_EQ(get.status, 200);
  EXPECT_TRUE(Contains(get.body, "\"value\":{\"dark\": true}")) << get.body;

  // Changed behind the cache's back: still the cached value...
  Admin().Exec("UPDATE sync_metadata.state SET value = '{\"dark\": false}' WHERE key = 'ui.theme'");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  get = Http(port, "GET", "/api/v1/state/ui.theme");
  EXPECT_TRUE(Contains(get.body, "\"dark\": true}")) << get.body;
  EXPECT_TRUE(Contains(get.body, "\"cached\":true")) << get.body;
  // ...until another node announces the change in cache_events.
  Admin().Exec(fmt::format("INSERT INTO sync_metadata.cache_events (cluster_name, cache_key) VALUES ('{}', 'ui.theme')",
                           cluster_));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  get = Http(port, "GET", "/api/v1/state/ui.theme");
  EXPECT_TRUE(Contains(get.body, "\"value\":{\"dark\": false}")) << get.body;
  EXPECT_TRUE(Contains(get.body, "\"cached\":false")) << get.body;
  EXPECT_EQ(Http(port, "POST", "/api/v1/state/ui.theme", "{}", "s3cret-token").status, 405);
}

TEST_F(SyncStatusTest, TriggerStartsSyncRunOnTheLeaderOnly) {
  std::string token_file = tmp_.File("status.token");
  WriteFile(token_file, "t0ken\n", 0600);
  std::string path = WriteNodeConfig(fmt::format("[status]\ntoken_file = \"{}\"\n", token_file), "node-t");
  uint16_t port = Start(LoadConfig(path, true));
  EXPECT_EQ(Http(port, "POST", "/api/v1/sync/trigger?deployment=acme").status, 401);
  HttpResult follower = Http(port, "POST", "/api/v1/sync/trigger?deployment=acme", "", "t0ken");
  EXPECT_EQ(follower.status, 409) << follower.body;

  ASSERT_EQ(RunProcess({SYNC_ELECT_BIN, "--config", path}).exit_code, 0);
  EXPECT_EQ(Http(port, "POST", "/api/v1/sync/trigger?deployment=nope", "", "t0ken").status, 404);
  EXPECT_EQ(Http(port, "POST", "/api/v1/sync/trigger", "", "t0ken").status, 400);
  HttpResult started = Http(port, "POST", "/api/v1/sync/trigger?deployment=acme", "", "t0ken");
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_TRUE(Contains(started.body, "\"status\":\"requested\"")) << started.body;
  std::string request_status;
  for (int i = 0; i < 300; ++i) {
    request_status = Scalar("SELECT status FROM sync_metadata.sync_jobs WHERE requested_by = 'sync-status@node-t'");
    if (request_status != "requested") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(request_status, "succeeded");
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_acme.note"), "2");
  EXPECT_EQ(Scalar("SELECT count(*) FROM client_beta.note"), "0");  // only the one asked for
  // The request row is not counted as a second run.
  EXPECT_TRUE(Contains(Http(port, "GET", "/metrics").body,
                       "tenantsync_sync_jobs_total{deployment=\"acme\",status=\"succeeded\"} 1\n"));
}

TEST(SyncStatusMergeTest, OneHelpAndTypePerFamilyAndNoDuplicateSeries) {
  std::string a = "# HELP x_seconds A\n# TYPE x_seconds gauge\nx_seconds{d=\"a\"} 1\n";
  std::string b = "# HELP x_seconds A\n# TYPE x_seconds gauge\nx_seconds{d=\"b\"} 2\nx_seconds{d=\"a\"} 9\n"
                  "# HELP h_seconds H\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"+Inf\"} 1\n"
                  "h_seconds_sum 0.5\nh_seconds_count 1\n# TYPE mine gauge\nmine 1\n";
  EXPECT_EQ(MergeTextfiles({a, b}, {"mine"}),
            "# HELP x_seconds A\n# TYPE x_seconds gauge\nx_seconds{d=\"a\"} 1\nx_seconds{d=\"b\"} 2\n"
            "# HELP h_seconds H\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_sum 0.5\n"
            "h_seconds_count 1\n");
}

}  // namespace
}  // namespace tenantsync::testing

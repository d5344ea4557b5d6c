// StateCache against a real PostgreSQL, where timing matters: invalidation
// events whose ids commit out of order.
#include <gtest/gtest.h>

#include <chrono>

#include "common/pg/connect_spec.h"
#include "common/status/state_api.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

class StateCacheTest : public TenantTest {};

TEST_F(StateCacheTest, AnEventThatCommitsAfterANewerOneStillInvalidates) {
  Config config = NodeConfig();
  PgConn node = PgConn::Connect(NodeConnectSpec(config, "test"));
  StateCache cache(std::chrono::seconds(300), std::chrono::seconds(0));  // polls on every request
  node.Exec("INSERT INTO sync_metadata.state (key, value, updated_by) VALUES ('k', '1', 'test')");
  ASSERT_EQ(cache.Get(node, "k")->json, "1");
  ASSERT_TRUE(cache.Get(node, "k")->cached);

  // Writer 1 takes the smaller event id; writer 2 takes a larger one and
  // commits first, so a poll sees writer 2's event before writer 1's exists.
  PgConn writer1 = PgConn::Connect(NodeConnectSpec(config, "test"));
  PgConn writer2 = PgConn::Connect(NodeConnectSpec(config, "test"));
  writer1.Exec("BEGIN");
  writer1.Exec("UPDATE sync_metadata.state SET value = '2' WHERE key = 'k'");
  writer1.Exec("INSERT INTO sync_metadata.cache_events (cache_key) VALUES ('k')");
  writer2.Exec("INSERT INTO sync_metadata.cache_events (cache_key) VALUES ('other')");
  std::optional<StateValue> before = cache.Get(node, "k");
  EXPECT_EQ(before->json, "1");
  writer1.Exec("COMMIT");

  std::optional<StateValue> after = cache.Get(node, "k");
  EXPECT_EQ(after->json, "2");
  EXPECT_FALSE(after->cached);
  // Applied once: the value is cached again, not dropped on every poll.
  EXPECT_TRUE(cache.Get(node, "k")->cached);
}

}  // namespace
}  // namespace tenantsync::testing

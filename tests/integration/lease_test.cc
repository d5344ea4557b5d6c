// The cluster lease: one winner per race, an epoch that grows by
// one per change of holder, release, and fencing that refuses a stale epoch.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "common/lease/lease.h"
#include "common/lease/lease_keeper.h"
#include "common/pg/txn.h"
#include "common/sync/run_records.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

class LeaseTest : public TenantTest {
 protected:
  int64_t Host(PgConn& conn, const std::string& name) { return RegisterHost(conn, name, "test"); }
  void ExpireLease() {
    PgConn admin = Admin();
    admin.Exec("UPDATE sync_metadata.leader_election SET expires_at = clock_timestamp() - interval '1 second'");
  }
};

// Contenders released together on an expired lease.
TEST_F(LeaseTest, RaceOnAnExpiredLeaseHasExactlyOneWinnerAndTheEpochGrowsByOne) {
  constexpr int kContenders = 8, kRounds = 200;
  std::vector<PgConn> conns;
  std::vector<int64_t> hosts;
  for (int i = 0; i < kContenders; ++i) {
    conns.push_back(ConnectAsCluster(cluster_));
    hosts.push_back(Host(conns.back(), fmt::format("node-{}", i)));
  }
  std::atomic<int> winners{0};
  std::atomic<int64_t> winning_epoch{0};
  std::atomic<int> errors{0};
  std::barrier start(kContenders + 1), done(kContenders + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kContenders; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        start.arrive_and_wait();
        try {
          LeaseState s = AcquireOrRenew(conns[static_cast<size_t>(i)], hosts[static_cast<size_t>(i)], 30);
          if (s.leader()) {
            ++winners;
            winning_epoch = s.epoch;
          }
        } catch (const std::exception&) {
          ++errors;
        }
        done.arrive_and_wait();
      }
    });
  }
  int bad_rounds = 0;
  int64_t previous = 0;
  for (int round = 0; round < kRounds; ++round) {
    if (round > 0) ExpireLease();
    winners = 0;
    start.arrive_and_wait();
    done.arrive_and_wait();
    if (winners != 1) ++bad_rounds;
    if (round > 0) {
      EXPECT_EQ(winning_epoch.load(), previous + 1) << "round " << round;
    }
    previous = winning_epoch;
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad_rounds, 0);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(Scalar("SELECT epoch FROM sync_metadata.leader_election"), std::to_string(kRounds));
  std::printf("%d contenders x %d rounds: exactly one winner each round; final epoch %lld\n", kContenders, kRounds,
              static_cast<long long>(previous));
}

TEST_F(LeaseTest, HolderRenewsWithoutNewEpochAndPeerWaitsUntilRelease) {
  PgConn a = ConnectAsCluster(cluster_), b = ConnectAsCluster(cluster_);
  int64_t ha = Host(a, "node-a"), hb = Host(b, "node-b");
  LeaseState first = AcquireOrRenew(a, ha, 30);
  EXPECT_EQ(first.outcome, LeaseOutcome::kAcquired);
  LeaseState again = AcquireOrRenew(a, ha, 30);
  EXPECT_EQ(again.outcome, LeaseOutcome::kRenewed);
  EXPECT_EQ(again.epoch, first.epoch);
  LeaseState peer = AcquireOrRenew(b, hb, 30);
  EXPECT_EQ(peer.outcome, LeaseOutcome::kHeldByOther);
  EXPECT_EQ(peer.holder_name, "node-a");
  EXPECT_TRUE(ReleaseLease(a, ha));
  EXPECT_FALSE(ReleaseLease(b, hb));
  LeaseState taken = AcquireOrRenew(b, hb, 30);
  EXPECT_EQ(taken.outcome, LeaseOutcome::kAcquired);
  EXPECT_EQ(taken.epoch, first.epoch + 1);
}

TEST_F(LeaseTest, ALiveLeasesFencedTransactionHoldsOffThePeerUntilItCommits) {
  PgConn a = ConnectAsCluster(cluster_), b = ConnectAsCluster(cluster_);
  int64_t ha = Host(a, "node-a"), hb = Host(b, "node-b");
  LeaseState held = AcquireOrRenew(a, ha, 30);
  PgTxn txn(a);
  FenceCheck(a, ha, held.epoch);  // holds the lease row
  {
    PgTxn waiting(b, {0, 1, 0, false});  // lock_timeout 1 s
    try {
      AcquireOrRenew(b, hb, 30);
      FAIL() << "the peer went through while a live lease's fenced transaction was open";
    } catch (const PgError& e) {
      EXPECT_EQ(e.sqlstate(), "55P03") << e.what();
    }
  }
  EXPECT_NO_THROW(txn.Commit());  // not ended: the lease was live
}

// A leader stopped inside a fenced transaction (SIGSTOP mid-COPY, where
// PostgreSQL does not act on a statement timeout) would hold the lease row
// for ever: once the lease has expired, the takeover ends that transaction,
// which then commits nothing, and a stale epoch is refused from then on.
TEST_F(LeaseTest, ATakeoverEndsTheDeposedLeadersTransactionAndFencesItsEpoch) {
  PgConn a = ConnectAsCluster(cluster_), b = ConnectAsCluster(cluster_);
  int64_t ha = Host(a, "node-a"), hb = Host(b, "node-b");
  LeaseState held = AcquireOrRenew(a, ha, 1);
  {
    PgTxn txn(a);
    FenceCheck(a, ha, held.epoch);
    a.Exec("CREATE TEMP TABLE written_after_the_fence (x int)");
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the lease expires meanwhile
    PgTxn waiting(b, {0, 5, 0, false});  // lock_timeout 5 s: a wait would fail the test
    LeaseState taken = AcquireOrRenew(b, hb, 30);
    EXPECT_TRUE(taken.leader());
    EXPECT_EQ(taken.epoch, held.epoch + 1);
    waiting.Commit();
    EXPECT_ANY_THROW(txn.Commit());
  }
  PgConn again = ConnectAsCluster(cluster_);
  PgTxn late(again);
  EXPECT_THROW(FenceCheck(again, ha, held.epoch), LeaseLostError);
}

// Long copies keep their lease: a renewal after a third of the TTL, and a step
// down before a renewal could arrive too late (the clock is the test's).
TEST_F(LeaseTest, KeeperRenewsAsItGoesAndStepsDownBeforeTheExpiry) {
  PgConn a = ConnectAsCluster(cluster_);
  int64_t ha = Host(a, "node-a");
  LeaseKeeper::Clock::time_point t0{}, now = t0;
  LeaseState held = AcquireOrRenew(a, ha, 15);
  LeaseKeeper keeper(ha, held, 15, t0, [&] { return now; });
  auto renewed_at = [&] { return Scalar("SELECT renewed_at::text FROM sync_metadata.leader_election"); };
  std::string first = renewed_at();
  auto fence = [&] {
    PgTxn txn(a);
    keeper.Fence(a);
    txn.Commit();
  };
  now = t0 + std::chrono::seconds(1);
  fence();
  EXPECT_EQ(renewed_at(), first);  // no renewal needed yet
  now = t0 + std::chrono::seconds(6);
  fence();
  EXPECT_NE(renewed_at(), first);  // renewed: 6 s >= 15 s / 3
  now = t0 + std::chrono::seconds(6) + std::chrono::milliseconds(12100);
  EXPECT_THROW(fence(), LeaseLostError);  // 12.1 s since the renewal: too close to 15 s
  EXPECT_EQ(keeper.epoch(), held.epoch);
}

TEST_F(LeaseTest, ClusterHealthFollowsHeartbeatAge) {
  PgConn a = ConnectAsCluster(cluster_);
  for (const char* name : {"fresh", "late", "gone"}) Host(a, name);
  PgConn admin = Admin();
  admin.Exec("UPDATE sync_metadata.hosts SET last_heartbeat = clock_timestamp() - interval '3 minutes'"
             " WHERE hostname = 'late'");
  admin.Exec("UPDATE sync_metadata.hosts SET last_heartbeat = clock_timestamp() - interval '6 minutes'"
             " WHERE hostname = 'gone'");
  AcquireOrRenew(a, std::stoll(Scalar("SELECT host_id FROM sync_metadata.hosts WHERE hostname = 'fresh'")), 30);
  EXPECT_EQ(Scalar("SELECT string_agg(hostname || '=' || status || (CASE WHEN is_leader THEN '*' ELSE '' END), ','"
                   " ORDER BY hostname) FROM sync_metadata.v_cluster_health"),
            "fresh=active*,gone=offline,late=degraded");
}

}  // namespace
}  // namespace tenantsync::testing

#include "common/lease/lease.h"

#include <fmt/format.h>

namespace tenantsync {
namespace {

// Acquire, renew, or nothing (a live lease of another host): one atomic
// statement. The epoch moves on whenever the holder changes or the lease had
// expired, so any write fenced with an older epoch is refused.
// Acquire, renew, or nothing (a live lease of another host): one atomic
// statement on the database's clock, read once. Under READ COMMITTED a
// concurrent caller waits for the row, re-checks the WHERE on its new version
// and loses; the epoch moves on whenever the holder changes or the lease had
// expired, so any write fenced with an older epoch is refused.
constexpr const char* kAcquireOrRenew = R"sql(
WITH clock AS (SELECT clock_timestamp() AS now)
INSERT INTO sync_metadata.leader_election AS l (holder_host_id, epoch, acquired_at, renewed_at, expires_at)
SELECT $1, 1, now, now, now + make_interval(secs => $2) FROM clock
ON CONFLICT (cluster_name) DO UPDATE SET
    epoch = CASE WHEN l.holder_host_id IS DISTINCT FROM $1 OR l.expires_at <= (SELECT now FROM clock)
                 THEN l.epoch + 1 ELSE l.epoch END,
    acquired_at = CASE WHEN l.holder_host_id IS DISTINCT FROM $1 OR l.expires_at <= (SELECT now FROM clock)
                       THEN (SELECT now FROM clock) ELSE l.acquired_at END,
    holder_host_id = $1,
    renewed_at = (SELECT now FROM clock),
    expires_at = (SELECT now FROM clock) + make_interval(secs => $2)
WHERE l.holder_host_id = $1 OR l.expires_at <= (SELECT now FROM clock)
RETURNING epoch, acquired_at = renewed_at,
          extract(epoch FROM expires_at - clock_timestamp())::double precision)sql";

constexpr const char* kHolder = R"sql(
SELECT l.epoch, l.holder_host_id, coalesce(h.hostname, ''),
       extract(epoch FROM l.expires_at - clock_timestamp())::double precision
  FROM sync_metadata.leader_election l
  LEFT JOIN sync_metadata.hosts h ON h.host_id = l.holder_host_id)sql";

// A deposed leader's fenced transactions still open: sessions of this role
// holding the FOR SHARE lock FenceCheck takes on the lease row. Run only once
// the lease has expired, so they cannot belong to a live leader.
constexpr const char* kEndDeposedWriters = R"sql(
SELECT count(pg_terminate_backend(l.pid))
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation' AND l.relation = 'sync_metadata.leader_election'::regclass
   AND l.mode = 'RowShareLock' AND l.granted AND l.pid <> pg_backend_pid() AND a.usename = current_user)sql";

}  // namespace

std::string_view ToString(LeaseOutcome outcome) {
  switch (outcome) {
    case LeaseOutcome::kAcquired: return "acquired";
    case LeaseOutcome::kRenewed: return "renewed";
    case LeaseOutcome::kHeldByOther: return "held_by_other";
  }
  return "?";
}

LeaseState AcquireOrRenew(PgConn& conn, int64_t host_id, int ttl_seconds) {
  LeaseState state;
  // A leader stopped (SIGSTOP, a frozen VM) in the middle of a COPY keeps its
  // fenced transaction open: PostgreSQL does not act on a statement timeout
  // while it waits for COPY data, so the lock on the lease row would hold
  // the takeover off indefinitely. Once the lease has expired, those
  // transactions are a deposed leader's: ended, they commit nothing.
  PgResult before = conn.Exec(kHolder);
  if (before.rows() == 1 && std::stod(std::string(before.Get(0, 3))) <= 0) conn.Exec(kEndDeposedWriters);
  PgResult won = conn.Exec(kAcquireOrRenew, {std::to_string(host_id), std::to_string(ttl_seconds)});
  if (won.rows() == 1) {
    state.outcome = won.Get(0, 1) == "t" ? LeaseOutcome::kAcquired : LeaseOutcome::kRenewed;
    state.epoch = std::stoll(std::string(won.Get(0, 0)));
    state.holder_host_id = host_id;
    state.seconds_left = std::stod(std::string(won.Get(0, 2)));
  }
  PgResult holder = conn.Exec(kHolder);
  if (holder.rows() == 1) {
    if (!state.leader()) {
      state.epoch = std::stoll(std::string(holder.Get(0, 0)));
      if (!holder.IsNull(0, 1)) state.holder_host_id = std::stoll(std::string(holder.Get(0, 1)));
      state.seconds_left = std::stod(std::string(holder.Get(0, 3)));
    }
    state.holder_name = holder.Get(0, 2);
  }
  return state;
}

bool ReleaseLease(PgConn& conn, int64_t host_id) {
  // Expired at once; the epoch stays, and the next acquirer moves it on.
  return conn
             .Exec("UPDATE sync_metadata.leader_election SET expires_at = clock_timestamp()"
                   " WHERE holder_host_id = $1 AND expires_at > clock_timestamp()",
                   {std::to_string(host_id)})
             .Affected() == 1;
}

void FenceCheck(PgConn& conn, int64_t host_id, int64_t epoch) {
  PgResult held = conn.Exec(
      "SELECT 1 FROM sync_metadata.leader_election"
      " WHERE holder_host_id = $1 AND epoch = $2 AND expires_at > clock_timestamp() FOR SHARE",
      {std::to_string(host_id), std::to_string(epoch)});
  if (held.rows() != 1) {
    throw LeaseLostError(fmt::format("lost the lease (epoch {}): another node leads now; nothing more is written",
                                     epoch),
                         "this is expected after a pause or a failover; the next timer tick decides again");
  }
}

}  // namespace tenantsync

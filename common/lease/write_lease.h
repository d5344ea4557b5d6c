#pragma once
// Taking the cluster's lease before writing (sync-run, sync-resolve): this
// node's host row is registered and heartbeated, the lease acquired or
// renewed, and a LeaseKeeper returned whose Fence() every write transaction
// calls. Throws LeaseLostError (75) when another node leads.

#include <string>

#include "common/config.h"
#include "common/lease/lease_keeper.h"
#include "common/pg/conn.h"

namespace tenantsync {

LeaseKeeper TakeWriteLease(PgConn& conn, const Config& config, const std::string& tool);

}  // namespace tenantsync

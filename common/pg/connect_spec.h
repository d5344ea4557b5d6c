#pragma once
// The two connections a tool can make, built from the configuration in one
// place: the node's (the cluster's login role) and the admin's (sync-schema).

#include <string_view>

#include "common/config.h"
#include "common/pg/conn.h"
#include "common/pg/txn.h"

namespace tenantsync {

// [postgres] conninfo + password_file; application_name "tenantsync/<tool>/<node>".
PgConnectSpec NodeConnectSpec(const Config& config, std::string_view tool);

// [postgres] admin_conninfo + admin_password_file.
PgConnectSpec AdminConnectSpec(const Config& config, std::string_view tool);

// A node's write transactions: [postgres] statement_timeout_seconds (also as
// the idle-in-transaction limit) and lock_timeout_seconds.
PgTxnOptions NodeTxnOptions(const Config& config);

}  // namespace tenantsync

#include "common/pg/connect_spec.h"

#include <fmt/format.h>

namespace tenantsync {

PgConnectSpec NodeConnectSpec(const Config& config, std::string_view tool) {
  return {config.postgres.conninfo, config.postgres.password_file,
          fmt::format("tenantsync/{}/{}", tool, config.node.name), config.postgres.connect_timeout_seconds};
}

PgConnectSpec AdminConnectSpec(const Config& config, std::string_view tool) {
  return {config.postgres.admin_conninfo, config.postgres.admin_password_file, fmt::format("tenantsync/{}", tool),
          config.postgres.connect_timeout_seconds, "[postgres] admin_conninfo"};
}

PgTxnOptions NodeTxnOptions(const Config& config) {
  return {config.postgres.statement_timeout_seconds, config.postgres.lock_timeout_seconds,
          config.postgres.statement_timeout_seconds, false};
}

}  // namespace tenantsync

#include "common/pg/sqlstate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tenantsync {
namespace {

struct SqlStateCase {
  std::string sqlstate;
  int exit_code;
  const char* why;
};

TEST(SqlStateTest, MapsToExitCodes) {
  const std::vector<SqlStateCase> cases = {
      {"08006", 69, "connection_failure"},
      {"08001", 69, "sqlclient_unable_to_establish_sqlconnection"},
      {"08P01", 69, "protocol_violation (class 08)"},
      {"57P01", 69, "admin_shutdown"},
      {"57P02", 69, "crash_shutdown"},
      {"57P03", 69, "cannot_connect_now"},
      {"40001", 75, "serialization_failure"},
      {"40P01", 75, "deadlock_detected"},
      {"55P03", 75, "lock_not_available"},
      {"57014", 75, "query_canceled"},
      {"53300", 75, "too_many_connections"},
      {"25P03", 75, "idle_in_transaction_session_timeout"},
      {"57P05", 75, "idle_session_timeout"},
      {"53100", 75, "disk_full (class 53)"},
      {"42501", 77, "insufficient_privilege"},
      {"28P01", 77, "invalid_password"},
      {"28000", 77, "invalid_authorization_specification"},
      {"22P02", 65, "invalid_text_representation"},
      {"22001", 65, "string_data_right_truncation"},
      {"23505", 65, "unique_violation"},
      {"23503", 65, "foreign_key_violation"},
      {"42P01", 70, "undefined_table"},
      {"42601", 70, "syntax_error"},
      {"XX000", 70, "internal_error"},
      {"40002", 70, "transaction_integrity_constraint_violation: not retried"},
      {"55000", 70, "object_not_in_prerequisite_state: only 55P03 is transient"},
      {"57000", 70, "operator_intervention: only 57014 and 57P0x are mapped"},
      {"", 70, "no SQLSTATE at all"},
      {"0", 70, "shorter than a class"},
  };
  for (const SqlStateCase& c : cases) {
    EXPECT_EQ(ToInt(ExitCodeForSqlState(c.sqlstate)), c.exit_code) << c.sqlstate << " " << c.why;
  }
}

}  // namespace
}  // namespace tenantsync

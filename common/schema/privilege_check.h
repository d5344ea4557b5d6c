#pragma once
// The privilege self-check every sync tool runs on connecting as a cluster's
// role (design §4): refuse a role that is superuser, bypasses RLS, owns or may
// DELETE/TRUNCATE the metadata, or acts for pg_write_all_data; refuse one that
// lacks SELECT/INSERT/UPDATE or is bound to another cluster.

#include <string>
#include <vector>

#include "common/pg/conn.h"

namespace tenantsync {

// Every reason the session's role is unfit; empty when it is fit.
std::vector<std::string> FindPrivilegeProblems(PgConn& conn, const std::string& expected_cluster);

// Throws PermissionError (77) listing FindPrivilegeProblems(), if any.
void CheckSyncRolePrivileges(PgConn& conn, const std::string& expected_cluster);

}  // namespace tenantsync

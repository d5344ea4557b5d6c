#pragma once
// Is a cluster's login role fit, and no more than fit? Every sync tool runs
// the quick check on connecting as its cluster's role; `sync-schema
// check-role` runs the full audit, as the node (its own role) or as the
// admin (`--all`: every cluster's role). Both refuse a role that is
// superuser, bypasses RLS, creates roles or databases, replicates, belongs to
// any role but sync_service, owns metadata, holds any privilege on the
// metadata beyond the documented set (docs/security.md), lacks one of that
// set, has no bounded timeouts of its own, or is bound to another cluster.
// The full audit also looks at the whole database: CREATE on it or on any
// schema, objects the role owns, access to another cluster's target schemas,
// and privileges on tables outside its own target schemas.

#include <optional>
#include <string>
#include <vector>

#include "common/pg/conn.h"

namespace tenantsync {

// The role to vet, and the cluster it is bound to (nullopt: none).
struct RoleUnderCheck {
  std::string role;
  std::optional<std::string> bound_cluster;
};

enum class AuditDepth { kQuick, kFull };

// Every reason `r` is unfit; empty when fit. Works on any connection that
// may read the metadata's catalog: the role's own, or the admin's.
// `expected_cluster` "" skips the binding comparison.
std::vector<std::string> FindRoleProblems(PgConn& conn, const RoleUnderCheck& r, const std::string& expected_cluster,
                                          AuditDepth depth);

// The session's own role (its binding through my_cluster()).
std::vector<std::string> FindPrivilegeProblems(PgConn& conn, const std::string& expected_cluster,
                                               AuditDepth depth = AuditDepth::kQuick);

// Every cluster's role, read by the admin from sync_metadata.clusters.
std::vector<RoleUnderCheck> ClusterRoles(PgConn& admin);

// Throws PermissionError (77) listing FindPrivilegeProblems(), if any.
void CheckSyncRolePrivileges(PgConn& conn, const std::string& expected_cluster);

}  // namespace tenantsync

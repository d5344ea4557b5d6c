#include "common/schema/privilege_check.h"

#include <fmt/format.h>

#include "common/schema/clusters.h"

namespace tenantsync {

std::vector<std::string> FindPrivilegeProblems(PgConn& conn, const std::string& expected_cluster) {
  // Without USAGE on the schema every later lookup fails with a bare
  // "permission denied": say what is wrong instead.
  PgResult schema = conn.ExecOneRow(
      "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'sync_metadata'),"
      "       has_schema_privilege('sync_metadata', 'USAGE'), session_user");
  if (schema.Get(0, 0) != "t") RequireMetadataSchema(conn);
  if (schema.Get(0, 1) != "t") {
    return {fmt::format("role {} has no access to schema sync_metadata (it is not a member of sync_service)",
                        schema.Get(0, 2))};
  }
  PgResult r = conn.ExecOneRow(R"sql(
    WITH meta AS (
      SELECT c.oid, c.relname, c.relowner FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'sync_metadata' AND c.relkind IN ('r', 'p'))
    SELECT s.rolsuper, s.rolbypassrls, s.rolcreaterole, s.rolcreatedb,
           pg_has_role(session_user, 'pg_write_all_data', 'MEMBER'),
           sync_metadata.my_cluster(),
           (SELECT string_agg(relname, ', ' ORDER BY relname) FROM meta
             WHERE pg_has_role(session_user, relowner, 'MEMBER')),
           (SELECT string_agg(relname, ', ' ORDER BY relname) FROM meta
             WHERE has_table_privilege(session_user, oid, 'DELETE')
                OR has_table_privilege(session_user, oid, 'TRUNCATE')),
           (SELECT string_agg(relname, ', ' ORDER BY relname) FROM meta
             WHERE relname NOT IN ('clusters', 'schema_migrations')
               AND NOT (has_table_privilege(session_user, oid, 'SELECT')
                        AND has_table_privilege(session_user, oid, 'INSERT')
                        AND has_table_privilege(session_user, oid, 'UPDATE'))),
           session_user
    FROM pg_roles s WHERE s.rolname = session_user)sql");
  std::vector<std::string> problems;
  std::string role(r.Get(0, 9));
  if (r.Get(0, 0) == "t") problems.push_back(fmt::format("role {} is a superuser", role));
  if (r.Get(0, 1) == "t") problems.push_back(fmt::format("role {} bypasses row-level security", role));
  if (r.Get(0, 2) == "t") problems.push_back(fmt::format("role {} can create roles", role));
  if (r.Get(0, 3) == "t") problems.push_back(fmt::format("role {} can create databases", role));
  if (r.Get(0, 4) == "t") problems.push_back(fmt::format("role {} is a member of pg_write_all_data", role));
  if (!r.IsNull(0, 6)) problems.push_back(fmt::format("role {} owns metadata tables: {}", role, r.Get(0, 6)));
  if (!r.IsNull(0, 7)) {
    problems.push_back(fmt::format("role {} may DELETE or TRUNCATE metadata tables: {}", role, r.Get(0, 7)));
  }
  if (!r.IsNull(0, 8)) {
    problems.push_back(fmt::format("role {} lacks SELECT/INSERT/UPDATE on: {}", role, r.Get(0, 8)));
  }
  if (r.IsNull(0, 5)) {
    problems.push_back(fmt::format("role {} is not bound to any cluster", role));
  } else if (r.Get(0, 5) != expected_cluster) {
    problems.push_back(
        fmt::format("role {} belongs to cluster {}, but this node is configured for cluster {}", role, r.Get(0, 5),
                    expected_cluster));
  }
  return problems;
}

void CheckSyncRolePrivileges(PgConn& conn, const std::string& expected_cluster) {
  std::vector<std::string> problems = FindPrivilegeProblems(conn, expected_cluster);
  if (problems.empty()) return;
  std::string text;
  for (const std::string& p : problems) text += "\n  " + p;
  throw PermissionError("refusing to run with this PostgreSQL role:" + text,
                        fmt::format("connect as the cluster's own login role ({}), created by "
                                    "`sync-schema cluster add`",
                                    RoleForCluster(expected_cluster)));
}

}  // namespace tenantsync

#include "common/schema/privilege_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string_view>

#include "common/config.h"
#include "common/schema/clusters.h"

namespace tenantsync {
namespace {

// What sync_service holds in sync_metadata (sql/002, 003, 004, 010, 011), as
// docs/security.md lists it: SELECT on each of these relations, and INSERT
// and UPDATE on the listed columns only. Never an identity column,
// cluster_name (but on row_versions, where the policy pins it) or a routing
// column.
struct DocumentedGrant {
  std::string_view relation;
  std::vector<std::string_view> insert;
  std::vector<std::string_view> update;
};

const std::vector<DocumentedGrant>& DocumentedGrants() {
  static const std::vector<DocumentedGrant> kGrants = {
      {"hosts", {"hostname", "version"}, {"version", "last_heartbeat"}},
      {"leader_election",
       {"holder_host_id", "epoch", "acquired_at", "renewed_at", "expires_at"},
       {"holder_host_id", "epoch", "acquired_at", "renewed_at", "expires_at"}},
      {"conflict_log",
       {"deployment_id", "table_name", "row_key", "source_row", "target_row", "strategy", "outcome", "resolved_row",
        "resolved_by", "resolved_at", "epoch", "clashes", "version_key", "source_digest", "target_digest"},
       {"outcome", "resolved_row", "resolved_by", "resolved_at"}},
      {"cache_events", {"cache_key"}, {}},
      {"sync_jobs",
       {"deployment_id", "host_id", "epoch", "status", "requested_by", "started_at", "finished_at", "rows_read",
        "rows_written", "rows_quarantined", "rows_deleted", "error"},
       {"status", "finished_at", "rows_read", "rows_written", "rows_quarantined", "rows_deleted", "error"}},
      {"sync_progress",
       {"deployment_id", "table_name", "watermark", "last_key", "rows_total", "last_synced_at", "last_full_at",
        "source_digest", "source_file_state", "rowid_high", "key_ranges"},
       {"watermark", "last_key", "rows_total", "last_synced_at", "last_full_at", "source_digest",
        "source_file_state", "rowid_high", "key_ranges"}},
      {"state", {"key", "value", "updated_by"}, {"value", "updated_at", "updated_by"}},
      {"quarantine",
       {"deployment_id", "table_name", "row_key", "raw_row", "reason"},
       {"raw_row", "reason", "last_seen", "attempts", "resolved_at"}},
      {"row_versions",
       {"cluster_name", "deployment_id", "table_name", "row_key", "source_digest", "target_digest", "target_xmin",
        "source_image", "target_image"},
       {"source_digest", "target_digest", "target_xmin", "source_image", "target_image"}},
      {"deployment_state",
       {"deployment_id", "skip_key", "reconcile_due_at", "last_checked_at", "last_success_at", "last_status",
        "last_error", "runs_succeeded", "runs_failed", "rows_read", "rows_written", "rows_quarantined",
        "rows_deleted"},
       {"skip_key", "reconcile_due_at", "last_checked_at", "last_success_at", "last_status", "last_error",
        "runs_succeeded", "runs_failed", "rows_read", "rows_written", "rows_quarantined", "rows_deleted"}},
      {"pruned_conflicts", {}, {}},
      {"client_deployments", {}, {}},
      {"schema_migrations", {}, {}},
      {"v_cluster_health", {}, {}},
      {"v_sync_lag", {}, {}},
      {"v_pending_conflicts", {}, {}},
  };
  return kGrants;
}

// The functions a node calls (or its policies call as the node).
const std::set<std::string_view>& DocumentedFunctions() {
  static const std::set<std::string_view> kFunctions = {"install_capture", "merge_images",   "merge_rows",
                                                         "my_cluster",      "my_deployments", "my_hosts",
                                                         "prune_versions",  "unversioned"};
  return kFunctions;
}

// Every privilege the role holds in sync_metadata: one row per relation and
// privilege held on the whole relation (column NULL), per column privilege
// held without the relation-wide one, per sequence privilege, and per
// executable function (privilege EXECUTE, relation = the function's name).
constexpr const char* kMetadataPrivileges = R"sql(
WITH rel AS (
  SELECT c.oid, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'sync_metadata' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S'))
SELECT r.relname::text, p.priv, NULL::text FROM rel r,
       unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
 WHERE r.relkind <> 'S' AND has_table_privilege($1::name, r.oid, p.priv)
UNION ALL
SELECT r.relname::text, p.priv, a.attname::text FROM rel r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped,
       unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p(priv)
 WHERE r.relkind <> 'S' AND NOT has_table_privilege($1::name, r.oid, p.priv)
   AND has_column_privilege($1::name, r.oid, a.attnum, p.priv)
UNION ALL
SELECT r.relname::text, p.priv, NULL FROM rel r, unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) p(priv)
 WHERE r.relkind = 'S' AND has_sequence_privilege($1::name, r.oid, p.priv)
UNION ALL
SELECT p.proname::text, 'EXECUTE', NULL FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'sync_metadata' AND has_function_privilege($1::name, p.oid, 'EXECUTE'))sql";

// The role's attributes, the roles it belongs to besides sync_service, the
// metadata it owns, and its stored settings (everywhere and in this database).
constexpr const char* kRoleFacts = R"sql(
SELECT s.rolsuper, s.rolbypassrls, s.rolcreaterole, s.rolcreatedb, s.rolreplication,
       (SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname) FROM pg_roles r
         WHERE r.oid <> s.oid AND r.rolname <> 'sync_service' AND pg_has_role(s.oid, r.oid, 'MEMBER')),
       (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'sync_metadata' AND pg_has_role(s.oid, c.relowner, 'MEMBER')),
       (SELECT string_agg(cfg, E'\n') FROM pg_db_role_setting d, unnest(d.setconfig) cfg
         WHERE d.setrole = s.oid
           AND d.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())))
  FROM pg_roles s WHERE s.rolname = $1)sql";

// Beyond the metadata: CREATE on the database or any schema, what the role
// owns, another cluster's target schemas ($2, as far as the connection may
// see them), and tables outside its own target schemas ($3) or more than
// SELECT, INSERT, UPDATE, DELETE on them.
constexpr const char* kDatabasePrivileges = R"sql(
SELECT format('may CREATE in database %I (new schemas)', current_database())
 WHERE has_database_privilege($1::name, current_database(), 'CREATE')
UNION ALL
SELECT format('may CREATE in schema %I', n.nspname) FROM pg_namespace n
 WHERE n.nspname !~ '^pg_(toast_)?temp_' AND has_schema_privilege($1::name, n.oid, 'CREATE')
UNION ALL
SELECT format('owns schema %I', n.nspname) FROM pg_namespace n
 WHERE n.nspname !~ '^pg_(toast_)?temp_' AND pg_has_role($1::name, n.nspowner, 'MEMBER')
UNION ALL
SELECT format('owns %s', c.oid::regclass) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname !~ '^pg_(toast_)?temp_'
   AND n.nspname <> 'sync_metadata' AND pg_has_role($1::name, c.relowner, 'MEMBER')
UNION ALL
SELECT format('owns function %s', p.oid::regprocedure) FROM pg_proc p
 WHERE pg_has_role($1::name, p.proowner, 'MEMBER')
UNION ALL
SELECT format('may use schema %I, a target schema of another cluster', n.nspname) FROM pg_namespace n
 WHERE n.nspname = ANY($2::text[]) AND has_schema_privilege($1::name, n.oid, 'USAGE')
UNION ALL
SELECT format('may %s %s', p.priv, c.oid::regclass) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
       unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('sync_metadata', 'information_schema')
   AND n.nspname !~ '^pg_' AND has_table_privilege($1::name, c.oid, p.priv)
   AND NOT (n.nspname = ANY($3::text[]) AND p.priv IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE'))
ORDER BY 1)sql";

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// A time setting as PostgreSQL stores it ("60s", "1min", "500"): its value in
// milliseconds, or nullopt when it cannot be read.
std::optional<double> SettingMillis(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  static const std::map<std::string_view, double> kUnits = {{"", 1},          {"us", 0.001},    {"ms", 1},
                                                            {"s", 1000},      {"min", 60000},   {"h", 3600000},
                                                            {"d", 86400000}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  return value * it->second;
}

// The role's stored timeouts must exist (sessions through a pooler never run
// a SET) and be bounded: no longer than the most the matching [postgres] key
// accepts. PostgreSQL lets every role ALTER ROLE itself SET ...; one that
// dropped or raised its own could hold locks without end. (The tools bound
// their own transactions from the configuration in any case: PgTxn.)
void CheckTimeouts(const std::string& role, std::string_view stored, std::vector<std::string>& problems) {
  struct Wanted {
    std::string_view name;
    int max_seconds;
    std::string_view key;
  };
  const Wanted wanted[] = {
      {"statement_timeout", kMaxStatementTimeoutSeconds, "statement_timeout_seconds"},
      {"lock_timeout", kMaxLockTimeoutSeconds, "lock_timeout_seconds"},
      {"idle_in_transaction_session_timeout", kMaxStatementTimeoutSeconds, "statement_timeout_seconds"},
  };
  for (const Wanted& w : wanted) {
    bool seen = false;
    size_t pos = 0;
    while (pos <= stored.size()) {
      size_t nl = stored.find('\n', pos);
      std::string_view line = stored.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? stored.size() + 1 : nl + 1;
      size_t eq = line.find('=');
      if (eq == std::string_view::npos || line.substr(0, eq) != w.name) continue;
      seen = true;
      std::string_view value = line.substr(eq + 1);
      std::optional<double> ms = SettingMillis(value);
      if (!ms || *ms <= 0) {
        problems.push_back(fmt::format("role {} has {} = {}: unbounded", role, w.name, value));
      } else if (*ms > w.max_seconds * 1000.0) {
        problems.push_back(fmt::format("role {} has {} = {}, above the most [postgres] {} accepts ({} s)", role,
                                       w.name, value, w.key, w.max_seconds));
      }
    }
    if (!seen) {
      problems.push_back(fmt::format("role {} has no {} of its own (sync-schema cluster add sets one)", role, w.name));
    }
  }
}

void CheckMetadataPrivileges(PgConn& conn, const std::string& role, std::vector<std::string>& problems) {
  PgResult held = conn.Exec(kMetadataPrivileges, {role});
  // (relation, privilege) -> columns; "" stands for the whole relation.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> have;
  for (int i = 0; i < held.rows(); ++i) {
    have[{std::string(held.Get(i, 0)), std::string(held.Get(i, 1))}].insert(
        held.IsNull(i, 2) ? "" : std::string(held.Get(i, 2)));
  }
  std::map<std::pair<std::string, std::string>, std::set<std::string>> allowed;
  for (const DocumentedGrant& g : DocumentedGrants()) {
    std::string rel(g.relation);
    allowed[{rel, "SELECT"}].insert("");
    for (std::string_view c : g.insert) allowed[{rel, "INSERT"}].insert(std::string(c));
    for (std::string_view c : g.update) allowed[{rel, "UPDATE"}].insert(std::string(c));
  }
  for (std::string_view f : DocumentedFunctions()) allowed[{std::string(f), "EXECUTE"}].insert("");

  for (const auto& [what, columns] : have) {
    const std::set<std::string>& ok = allowed[what];
    std::vector<std::string> extra;
    for (const std::string& c : columns) {
      if (ok.count(c) == 0) extra.push_back(c.empty() ? "every column" : c);
    }
    if (extra.empty()) continue;
    if (what.second == "EXECUTE") {
      problems.push_back(fmt::format("role {} may EXECUTE sync_metadata.{}(): beyond the documented set", role,
                                     what.first));
    } else {
      problems.push_back(fmt::format("role {} may {} sync_metadata.{} ({}): beyond the documented set", role,
                                     what.second, what.first, Join(extra)));
    }
  }
  for (const auto& [what, columns] : allowed) {
    const std::set<std::string>& got = have[what];
    std::vector<std::string> missing;
    for (const std::string& c : columns) {
      if (got.count(c) == 0 && got.count("") == 0) missing.push_back(c.empty() ? "" : c);
    }
    if (missing.empty()) continue;
    std::string cols = missing.front().empty() ? "" : " (" + Join(missing) + ")";
    problems.push_back(fmt::format("role {} lacks {} on sync_metadata.{}{}", role, what.second, what.first, cols));
  }
}

void CheckDatabase(PgConn& conn, const RoleUnderCheck& r, std::vector<std::string>& problems) {
  std::string cluster = r.bound_cluster.value_or("");
  PgResult schemas = conn.ExecOneRow(
      "SELECT coalesce(array_agg(target_schema) FILTER (WHERE cluster_name = $1 AND enabled), '{}'),"
      "       coalesce(array_agg(target_schema) FILTER (WHERE cluster_name <> $1), '{}')"
      "  FROM sync_metadata.client_deployments",
      {cluster});
  PgResult found = conn.Exec(kDatabasePrivileges,
                             {r.role, std::string(schemas.Get(0, 1)), std::string(schemas.Get(0, 0))});
  for (int i = 0; i < found.rows(); ++i) problems.push_back(fmt::format("role {} {}", r.role, found.Get(i, 0)));
}

}  // namespace

std::vector<std::string> FindRoleProblems(PgConn& conn, const RoleUnderCheck& r, const std::string& expected_cluster,
                                          AuditDepth depth) {
  PgResult facts = conn.Exec(kRoleFacts, {r.role});
  if (facts.rows() != 1) return {fmt::format("role {} does not exist", r.role)};
  std::vector<std::string> problems;
  const std::string& role = r.role;
  if (facts.Get(0, 0) == "t") {
    // A superuser holds every privilege: listing each one would bury the
    // only finding that matters.
    return {fmt::format("role {} is a superuser: it bypasses every grant and policy", role)};
  }
  if (facts.Get(0, 1) == "t") problems.push_back(fmt::format("role {} bypasses row-level security", role));
  if (facts.Get(0, 2) == "t") problems.push_back(fmt::format("role {} can create roles", role));
  if (facts.Get(0, 3) == "t") problems.push_back(fmt::format("role {} can create databases", role));
  if (facts.Get(0, 4) == "t") problems.push_back(fmt::format("role {} may replicate", role));
  if (!facts.IsNull(0, 5)) problems.push_back(fmt::format("role {} is a member of {}", role, facts.Get(0, 5)));
  if (!facts.IsNull(0, 6)) problems.push_back(fmt::format("role {} owns metadata tables: {}", role, facts.Get(0, 6)));
  CheckMetadataPrivileges(conn, role, problems);
  CheckTimeouts(role, facts.IsNull(0, 7) ? "" : facts.Get(0, 7), problems);
  if (!r.bound_cluster) {
    problems.push_back(fmt::format("role {} is not bound to any cluster", role));
  } else if (!expected_cluster.empty() && *r.bound_cluster != expected_cluster) {
    problems.push_back(fmt::format("role {} belongs to cluster {}, but this node is configured for cluster {}", role,
                                   *r.bound_cluster, expected_cluster));
  }
  if (depth == AuditDepth::kFull) CheckDatabase(conn, r, problems);
  return problems;
}

std::vector<std::string> FindPrivilegeProblems(PgConn& conn, const std::string& expected_cluster, AuditDepth depth) {
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
  PgResult bound = conn.ExecOneRow("SELECT sync_metadata.my_cluster()");
  RoleUnderCheck r{std::string(schema.Get(0, 2)), bound.GetOpt(0, 0)};
  return FindRoleProblems(conn, r, expected_cluster, depth);
}

std::vector<RoleUnderCheck> ClusterRoles(PgConn& admin) {
  RequireMetadataSchema(admin);
  PgResult r = admin.Exec("SELECT role_name, cluster_name FROM sync_metadata.clusters ORDER BY cluster_name");
  std::vector<RoleUnderCheck> roles;
  for (int i = 0; i < r.rows(); ++i) roles.push_back({std::string(r.Get(i, 0)), std::string(r.Get(i, 1))});
  return roles;
}

void CheckSyncRolePrivileges(PgConn& conn, const std::string& expected_cluster) {
  std::vector<std::string> problems = FindPrivilegeProblems(conn, expected_cluster);
  if (problems.empty()) return;
  std::string text;
  for (const std::string& p : problems) text += "\n  " + p;
  throw PermissionError("refusing to run with this PostgreSQL role:" + text,
                        fmt::format("connect as the cluster's own login role ({}), created by "
                                    "`sync-schema cluster add`; `sync-schema check-role --all` audits every "
                                    "cluster's role",
                                    RoleForCluster(expected_cluster)));
}

}  // namespace tenantsync

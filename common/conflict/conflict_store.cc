#include "common/conflict/conflict_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tenantsync {

std::vector<ConflictRecord> FindConflicts(PgConn& conn, const ConflictFilter& f) {
  PgResult r = conn.Exec(
      "SELECT c.conflict_id, c.deployment_id, d.name, d.target_schema, c.table_name, c.row_key::text,"
      " coalesce(c.version_key, ''), c.strategy, c.outcome,"
      " to_char(c.detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " c.source_row::text, c.target_row::text, c.resolved_row::text, c.resolved_by,"
      " to_char(c.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " coalesce(array_to_json(c.clashes)::text, '[]'), c.source_digest, c.target_digest"
      " FROM sync_metadata.conflict_log c"
      " JOIN sync_metadata.client_deployments d ON d.deployment_id = c.deployment_id"
      " WHERE ($1::bigint[] IS NULL OR c.conflict_id = ANY ($1::bigint[]))"
      " AND ($2::text IS NULL OR d.name = $2) AND ($3::text IS NULL OR c.table_name = $3)"
      " AND (NOT $4::boolean OR c.outcome = 'pending')"
      " ORDER BY c.conflict_id LIMIT $5::bigint",
      {f.ids.empty() ? PgParam() : PgParam(fmt::format("{{{}}}", fmt::join(f.ids, ","))), f.deployment.empty() ? PgParam() : PgParam(f.deployment),
       f.table.empty() ? PgParam() : PgParam(f.table), f.pending_only ? "true" : "false",
       f.limit > 0 ? PgParam(std::to_string(f.limit)) : PgParam()});
  std::vector<ConflictRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    ConflictRecord c;
    c.id = std::stoll(std::string(r.Get(i, 0)));
    c.deployment_id = std::stoll(std::string(r.Get(i, 1)));
    c.deployment = r.Get(i, 2);
    c.target_schema = r.Get(i, 3);
    c.table = r.Get(i, 4);
    c.row_key = r.Get(i, 5);
    c.version_key = r.Get(i, 6);
    c.strategy = r.Get(i, 7);
    c.outcome = r.Get(i, 8);
    c.detected_at = r.Get(i, 9);
    c.source_row = r.GetOpt(i, 10);
    c.target_row = r.GetOpt(i, 11);
    c.resolved_row = r.GetOpt(i, 12);
    c.resolved_by = r.GetOpt(i, 13);
    c.resolved_at = r.GetOpt(i, 14);
    c.clashes_json = r.Get(i, 15);
    c.source_digest = r.GetOpt(i, 16);
    c.target_digest = r.GetOpt(i, 17);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::pair<std::string, std::optional<std::string>>> ImageColumns(PgConn& conn, const std::string& image) {
  PgResult r = conn.Exec("SELECT key, value FROM json_each_text($1::json) WITH ORDINALITY ORDER BY ordinality",
                         {image});
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.Get(i, 0), r.GetOpt(i, 1));
  return out;
}

}  // namespace tenantsync

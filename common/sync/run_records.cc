#include "common/sync/run_records.h"

#include <fmt/format.h>

#include "common/json.h"
#include "common/utf8.h"

namespace tenantsync {
namespace {

PgParam OptInt(const std::optional<int64_t>& v) { return v ? PgParam(std::to_string(*v)) : PgParam(); }

std::optional<int64_t> ParseOptInt(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  return std::stoll(*text);
}

}  // namespace

JobCounts& JobCounts::operator+=(const JobCounts& o) {
  rows_read += o.rows_read;
  rows_written += o.rows_written;
  rows_quarantined += o.rows_quarantined;
  rows_deleted += o.rows_deleted;
  return *this;
}

int64_t RegisterHost(PgConn& conn, const std::string& hostname, const std::string& version) {
  return std::stoll(std::string(conn.ExecOneRow(
      "INSERT INTO sync_metadata.hosts (hostname, version) VALUES ($1, $2)"
      " ON CONFLICT (hostname, cluster_name) DO UPDATE SET version = EXCLUDED.version,"
      "   last_heartbeat = clock_timestamp()"
      " RETURNING host_id",
      {hostname, version}).Get(0, 0)));
}

namespace {

// The progress columns, in the order ProgressFromRow() reads them from `first`.
constexpr const char* kProgressColumns =
    "watermark, last_key IS NOT NULL, coalesce((last_key->>'full')::boolean, false),"
    " coalesce(last_key->>'rowid', '0'), last_key->>'since', last_key->>'max', rows_total,"
    " last_full_at IS NULL OR last_full_at < clock_timestamp() - make_interval(secs => $2),"
    " coalesce(source_digest, ''), coalesce(source_file_state, ''), rowid_high, last_key->>'high',"
    " coalesce(last_key->>'key', ''), coalesce(key_ranges, '')";

TableProgress ProgressFromRow(const PgResult& r, int row, int first) {
  TableProgress p;
  p.watermark = ParseOptInt(r.GetOpt(row, first));
  p.in_pass = r.Get(row, first + 1) == "t";
  p.pass_full = r.Get(row, first + 2) == "t";
  p.pass_rowid = std::stoll(std::string(r.Get(row, first + 3)));
  p.pass_since = ParseOptInt(r.GetOpt(row, first + 4));
  p.pass_max = ParseOptInt(r.GetOpt(row, first + 5));
  p.rows_total = std::stol(std::string(r.Get(row, first + 6)));
  p.full_due = r.Get(row, first + 7) == "t";
  p.source_digest = r.Get(row, first + 8);
  p.source_file_state = r.Get(row, first + 9);
  p.rowid_high = ParseOptInt(r.GetOpt(row, first + 10));
  p.pass_high = ParseOptInt(r.GetOpt(row, first + 11));
  p.pass_key = r.Get(row, first + 12);
  p.key_ranges = r.Get(row, first + 13);
  return p;
}

}  // namespace

DeploymentProgress LoadDeploymentProgress(PgConn& conn, int64_t deployment_id, long reconcile_seconds) {
  PgResult r = conn.Exec(
      fmt::format("SELECT table_name, p.deployment_id IS NOT NULL, coalesce(q.n_open, 0), {} FROM"
                  " (SELECT * FROM sync_metadata.sync_progress WHERE deployment_id = $1) p"
                  " FULL JOIN (SELECT table_name, count(*) AS n_open FROM sync_metadata.quarantine"
                  "             WHERE deployment_id = $1 AND resolved_at IS NULL GROUP BY table_name) q"
                  " USING (table_name)",
                  kProgressColumns),
      {std::to_string(deployment_id), std::to_string(reconcile_seconds)});
  DeploymentProgress out;
  for (int i = 0; i < r.rows(); ++i) {
    std::string table(r.Get(i, 0));
    if (r.Get(i, 1) == "t") out.tables[table] = ProgressFromRow(r, i, 3);
    out.open_quarantine[table] = std::stol(std::string(r.Get(i, 2)));
  }
  return out;
}

TableProgress DeploymentProgress::Of(const std::string& table) const {
  auto it = tables.find(table);
  return it == tables.end() ? TableProgress{} : it->second;
}

long DeploymentProgress::OpenQuarantine(const std::string& table) const {
  auto it = open_quarantine.find(table);
  return it == open_quarantine.end() ? 0 : it->second;
}

void SaveProgress(PgConn& conn, int64_t deployment_id, const std::string& table, const TableProgress& p,
                  bool pass_finished_full) {
  PgParam last_key;
  if (p.in_pass) {
    JsonWriter w;
    w.BeginObject().Key("rowid").Int(p.pass_rowid).Key("full").Bool(p.pass_full);
    w.Key("since");
    p.pass_since ? w.String(std::to_string(*p.pass_since)) : w.Null();
    w.Key("max");
    p.pass_max ? w.String(std::to_string(*p.pass_max)) : w.Null();
    w.Key("high");
    p.pass_high ? w.String(std::to_string(*p.pass_high)) : w.Null();
    if (!p.pass_key.empty()) w.Key("key").String(p.pass_key);
    w.EndObject();
    last_key = w.str();
  }
  conn.Exec(
      "INSERT INTO sync_metadata.sync_progress AS p (deployment_id, table_name, watermark, last_key, rows_total,"
      "                                          last_synced_at, last_full_at, source_digest, source_file_state,"
      "                                          rowid_high)"
      " VALUES ($1, $2, $3, $4::jsonb, $5, clock_timestamp(), CASE WHEN $6 THEN clock_timestamp() END,"
      "         nullif($7, ''), nullif($8, ''), $9)"
      " ON CONFLICT (deployment_id, table_name) DO UPDATE SET watermark = EXCLUDED.watermark,"
      "   last_key = EXCLUDED.last_key, rows_total = EXCLUDED.rows_total, last_synced_at = EXCLUDED.last_synced_at,"
      "   last_full_at = coalesce(EXCLUDED.last_full_at, p.last_full_at), source_digest = EXCLUDED.source_digest,"
      "   source_file_state = EXCLUDED.source_file_state, rowid_high = EXCLUDED.rowid_high",
      {std::to_string(deployment_id), table, OptInt(p.watermark), last_key, std::to_string(p.rows_total),
       pass_finished_full ? "true" : "false", p.source_digest, p.source_file_state, OptInt(p.rowid_high)});
}

void QuarantineRows(PgConn& conn, int64_t deployment_id, const std::string& table,
                    const std::vector<RejectedRow>& rows) {
  if (rows.empty()) return;
  std::vector<std::string> keys, images, reasons;
  for (const RejectedRow& r : rows) {
    keys.push_back(r.key_json);
    images.push_back(r.image_json.empty() ? "null" : r.image_json);
    reasons.push_back(SanitizedUtf8(r.reason));
  }
  conn.Exec(
      "INSERT INTO sync_metadata.quarantine AS q (deployment_id, table_name, row_key, raw_row, reason)"
      " SELECT DISTINCT ON (k) $1, $2, k, i, r"
      "   FROM unnest($3::jsonb[], $4::jsonb[], $5::text[]) AS u(k, i, r)"
      " ON CONFLICT (deployment_id, table_name, row_key) WHERE resolved_at IS NULL DO UPDATE"
      "   SET raw_row = EXCLUDED.raw_row, reason = EXCLUDED.reason, last_seen = clock_timestamp(),"
      "       attempts = q.attempts + 1",
      {std::to_string(deployment_id), table, PgArrayLiteral(keys), PgArrayLiteral(images), PgArrayLiteral(reasons)});
}

long ResolveQuarantine(PgConn& conn, int64_t deployment_id, const std::string& table,
                       const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  return conn
      .Exec("UPDATE sync_metadata.quarantine SET resolved_at = clock_timestamp()"
            " WHERE deployment_id = $1 AND table_name = $2 AND resolved_at IS NULL AND row_key = ANY($3::jsonb[])",
            {std::to_string(deployment_id), table, PgArrayLiteral(keys)})
      .Affected();
}

std::vector<std::string> OpenQuarantineKeys(PgConn& conn, int64_t deployment_id, const std::string& table) {
  PgResult r = conn.Exec(
      "SELECT row_key::text FROM sync_metadata.quarantine"
      " WHERE deployment_id = $1 AND table_name = $2 AND resolved_at IS NULL ORDER BY quarantine_id",
      {std::to_string(deployment_id), table});
  std::vector<std::string> keys;
  for (int i = 0; i < r.rows(); ++i) keys.emplace_back(r.Get(i, 0));
  return keys;
}

}  // namespace tenantsync

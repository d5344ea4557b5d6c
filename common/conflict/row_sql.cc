#include "common/conflict/row_sql.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

namespace tenantsync {

RowSql::RowSql(const PgConn& conn, const TablePlan& plan) : conn_(conn), plan_(plan) {
  for (const ColumnPlan& c : plan.columns) columns_ += (columns_.empty() ? "" : ", ") + conn.QuoteIdentifier(c.name);
  for (size_t k : plan.key) keys_ += (keys_.empty() ? "" : ", ") + conn.QuoteIdentifier(plan.columns[k].name);
  std::vector<std::string> names;
  for (const ColumnPlan& c : plan.columns) names.push_back(conn.QuoteLiteral(c.name));
  names_ = fmt::format("ARRAY[{}]::text[]", fmt::join(names, ", "));
}

std::string RowSql::Prefixed(const std::string& alias, bool keys_only) const {
  std::string out;
  auto add = [&](const ColumnPlan& c) { out += (out.empty() ? "" : ", ") + alias + "." + conn_.QuoteIdentifier(c.name); };
  if (keys_only) {
    for (size_t k : plan_.key) add(plan_.columns[k]);
  } else {
    for (const ColumnPlan& c : plan_.columns) add(c);
  }
  return out;
}

std::string RowSql::KeyText(const std::string& alias) const {
  return fmt::format("ROW({})::text", Prefixed(alias, true));
}

// hashtextextended is what hash partitioning uses, so it stays stable
// across PostgreSQL upgrades; 64 bits make a false "unchanged" negligible.
std::string RowSql::Digest(const std::string& alias) const {
  return fmt::format("hashtextextended(ROW({})::text, 0)", Prefixed(alias, false));
}

// A value's text (its cast to text) reads back as the same value through
// the type's input; the pinned output settings (PgTxn) keep it stable.
std::string RowSql::Image(const std::string& alias) const {
  std::vector<std::string> texts;
  for (const ColumnPlan& c : plan_.columns) texts.push_back(alias + "." + conn_.QuoteIdentifier(c.name) + "::text");
  return fmt::format("json_object({}, ARRAY[{}]::text[])", names_, fmt::join(texts, ", "));
}

std::string RowSql::Rebuilt(const std::string& image) const {
  std::vector<std::string> values;
  for (const ColumnPlan& c : plan_.columns) {
    values.push_back(fmt::format("({} ->> {})::{}", image, conn_.QuoteLiteral(c.name), c.type.pg_name));
  }
  return fmt::format("{}", fmt::join(values, ", "));
}

std::string RowSql::JsonColumns() const {
  std::vector<std::string> names;
  for (const ColumnPlan& c : plan_.columns) {
    if (c.type.kind == TargetKind::kJson || c.type.kind == TargetKind::kJsonb) names.push_back(conn_.QuoteLiteral(c.name));
  }
  return fmt::format("ARRAY[{}]::text[]", fmt::join(names, ", "));
}

std::string RowSql::KeyJson(const std::string& alias) const {
  return fmt::format("(SELECT to_jsonb(x) FROM (SELECT {}) x)", Prefixed(alias, true));
}

std::string RowSql::KeysEqual(const std::string& a, const std::string& b) const {
  std::string out;
  for (size_t k : plan_.key) {
    std::string q = conn_.QuoteIdentifier(plan_.columns[k].name);
    out += fmt::format("{}{}.{} = {}.{}", out.empty() ? "" : " AND ", a, q, b, q);
  }
  return out;
}

std::string RowSql::Newer(const std::string& a, const std::string& b) const {
  if (plan_.change < 0) return "false";
  std::string q = conn_.QuoteIdentifier(plan_.columns[static_cast<size_t>(plan_.change)].name);
  return fmt::format("coalesce({}.{} > {}.{}, false)", a, q, b, q);
}

std::string RowSql::VersionRow(const std::string& key_text) {
  return "sync_metadata.row_versions v WHERE v.deployment_id = $1::bigint AND v.table_name = $2::text"
         " AND v.row_key = " + key_text;
}

std::string RowSql::AnyVersions() {
  return "(SELECT EXISTS (SELECT 1 FROM sync_metadata.row_versions v WHERE v.deployment_id = $1::bigint"
         " AND v.table_name = $2::text))";
}

std::string RowSql::InsertVersions(const std::string& select, bool with_images) {
  return fmt::format(
      "INSERT INTO sync_metadata.row_versions AS v (cluster_name, deployment_id, table_name, row_key, source_digest,"
      " target_digest, target_xmin{}) SELECT (SELECT sync_metadata.my_cluster()), $1::bigint, $2::text, sel.*"
      " FROM ({}) sel",
      with_images ? ", source_image, target_image" : "", select);
}

std::string RowSql::UpsertVersions(const std::string& select, bool with_images) {
  return fmt::format(
      "{} ON CONFLICT (deployment_id, table_name, row_key) DO UPDATE SET"
      " source_digest = EXCLUDED.source_digest, target_digest = EXCLUDED.target_digest,"
      " target_xmin = EXCLUDED.target_xmin{}",
      InsertVersions(select, with_images),
      with_images ? ", source_image = EXCLUDED.source_image, target_image = EXCLUDED.target_image" : "");
}

}  // namespace tenantsync

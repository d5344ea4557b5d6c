#pragma once
// SQL fragments over one table's synced columns, for conflict detection:
// a row's key as text, its digest, its JSON image, and the row rebuilt from
// an image. All are computed by PostgreSQL from typed values, so the stage
// (same column types as the target) and the target give equal results for
// equal rows.
//
// An image is exact: a JSON object of each column's text form (a JSON
// string), SQL NULL as JSON null. Casting a value's text back to its
// column's type gives the value again, for every type, so JSON null in a
// json column stays apart from SQL NULL, and a json column holding a
// top-level string keeps its quotes.

#include <string>

#include "common/pg/conn.h"
#include "common/sync/table_plan.h"

namespace tenantsync {

class RowSql {
 public:
  RowSql(const PgConn& conn, const TablePlan& plan);

  const std::string& columns() const { return columns_; }  // "a", "b"
  const std::string& keys() const { return keys_; }
  // Expressions over the row named `alias`.
  std::string KeyText(const std::string& alias) const;  // the row_versions key
  std::string Digest(const std::string& alias) const;   // bigint
  std::string Image(const std::string& alias) const;    // exact json object by column name
  // The columns, in columns() order, read back from the image `image` (an
  // expression of type json), each cast to its column's type.
  std::string Rebuilt(const std::string& image) const;
  // A text[] literal of the json and jsonb columns (merge_rows merges their
  // objects key by key).
  std::string JsonColumns() const;
  std::string KeyJson(const std::string& alias) const;  // jsonb object of the key columns (conflict_log)
  // "a.k = b.k AND ..." over the key columns.
  std::string KeysEqual(const std::string& a, const std::string& b) const;
  // The change column compared: "a.chg > b.chg", or "false" without one.
  std::string Newer(const std::string& a, const std::string& b) const;

  // "sync_metadata.row_versions v WHERE …": the version row of the row whose
  // key text is `key_text`, with $1 the deployment and $2 the table. A
  // lookup by primary key, for a FROM clause.
  static std::string VersionRow(const std::string& key_text);
  // "(SELECT EXISTS …)": whether the table ($2) of the deployment ($1) has
  // any version row; evaluated once per statement.
  static std::string AnyVersions();

  // Upserts row_versions from `select`, which yields (row_key,
  // source_digest, target_digest, target_xmin[, source_image, target_image])
  // with $1 the deployment and $2 the table.
  static std::string UpsertVersions(const std::string& select, bool with_images);
  // The same as a plain INSERT, for a table with no versions yet (an initial
  // copy): a third cheaper than the upsert's speculative insertion.
  static std::string InsertVersions(const std::string& select, bool with_images);

 private:
  std::string Prefixed(const std::string& alias, bool keys_only) const;  // "a.x, a.y"

  const PgConn& conn_;
  const TablePlan& plan_;
  std::string columns_, keys_;
  std::string names_;  // ARRAY['a', 'b']::text[]
};

}  // namespace tenantsync

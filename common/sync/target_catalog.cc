#include "common/sync/target_catalog.h"

#include <algorithm>
#include <functional>
#include <set>

namespace tenantsync {
namespace {

void ReadColumns(PgConn& conn, TargetCatalog& catalog) {
  PgResult rows = conn.Exec(R"sql(
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
           a.atthasdef OR a.attidentity <> '', a.attgenerated <> '', a.attidentity = 'a',
           coalesce(pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname), ''),
           c.relrowsecurity
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum)sql",
                            {catalog.schema});
  for (int i = 0; i < rows.rows(); ++i) {
    TargetTable& table = catalog.tables[std::string(rows.Get(i, 0))];
    table.name = rows.Get(i, 0);
    table.row_security = rows.Get(i, 8) == "t";
    table.columns.push_back({std::string(rows.Get(i, 1)), std::string(rows.Get(i, 2)), rows.Get(i, 3) == "t",
                             rows.Get(i, 4) == "t", rows.Get(i, 5) == "t", rows.Get(i, 6) == "t",
                             std::string(rows.Get(i, 7))});
  }
}

// Primary key first; else the unique, non-partial, plain-column index over
// NOT NULL columns with the fewest columns (then by name, for stability).
void ReadKeys(PgConn& conn, TargetCatalog& catalog) {
  PgResult rows = conn.Exec(R"sql(
    SELECT c.relname, ic.relname, i.indisprimary, a.attname, a.attnotnull
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE n.nspname = $1 AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
     ORDER BY c.relname, ic.relname, k.ord)sql",
                            {catalog.schema});
  struct Candidate {
    bool primary = false;
    bool all_not_null = true;
    std::vector<std::string> columns;
  };
  std::map<std::string, std::map<std::string, Candidate>> by_table;
  for (int i = 0; i < rows.rows(); ++i) {
    Candidate& c = by_table[std::string(rows.Get(i, 0))][std::string(rows.Get(i, 1))];
    c.primary = rows.Get(i, 2) == "t";
    c.all_not_null = c.all_not_null && rows.Get(i, 4) == "t";
    c.columns.emplace_back(rows.Get(i, 3));
  }
  for (auto& [table_name, indexes] : by_table) {
    auto table = catalog.tables.find(table_name);
    if (table == catalog.tables.end()) continue;
    const Candidate* best = nullptr;
    for (const auto& [index_name, c] : indexes) {
      if (!c.primary && !c.all_not_null) continue;
      bool better = best == nullptr || (c.primary && !best->primary) ||
                    (c.primary == best->primary && c.columns.size() < best->columns.size());
      if (better) best = &c;
    }
    if (best != nullptr) {
      table->second.key = best->columns;
      table->second.key_is_primary = best->primary;
    }
  }
}

void OrderByForeignKeys(PgConn& conn, TargetCatalog& catalog) {
  PgResult rows = conn.Exec(R"sql(
    SELECT DISTINCT c.relname, f.relname, k.confdeltype = 'c'
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_class f ON f.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_namespace fn ON fn.oid = f.relnamespace
     WHERE k.contype = 'f' AND n.nspname = $1 AND fn.nspname = $1)sql",
                            {catalog.schema});
  std::map<std::string, std::set<std::string>> parents;
  for (int i = 0; i < rows.rows(); ++i) {
    std::string child(rows.Get(i, 0)), parent(rows.Get(i, 1));
    if (rows.Get(i, 2) == "t") catalog.cascades_to[parent].insert(child);
    if (child != parent) parents[child].insert(parent);
  }
  std::set<std::string> done, visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (done.count(name) || visiting.count(name)) return;  // a cycle: break it here
    visiting.insert(name);
    for (const std::string& parent : parents[name])
      if (catalog.tables.count(parent)) visit(parent);
    visiting.erase(name);
    done.insert(name);
    catalog.write_order.push_back(name);
  };
  for (const auto& [name, table] : catalog.tables) visit(name);
}

void ReadCaptureTriggers(PgConn& conn, TargetCatalog& catalog) {
  PgResult rows = conn.Exec(R"sql(
    SELECT c.relname, encode(t.tgargs, 'hex'), t.tgenabled
      FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND t.tgname = 'tenantsync_capture')sql",
                            {catalog.schema});
  for (int i = 0; i < rows.rows(); ++i) {
    auto table = catalog.tables.find(std::string(rows.Get(i, 0)));
    if (table == catalog.tables.end()) continue;
    table->second.capture_args_hex = rows.Get(i, 1);
    table->second.capture_enabled = rows.Get(i, 2);
  }
}

}  // namespace

const TargetColumn* TargetTable::Find(const std::string& column) const {
  auto it = std::find_if(columns.begin(), columns.end(), [&](const TargetColumn& c) { return c.name == column; });
  return it == columns.end() ? nullptr : &*it;
}

std::set<std::string> TargetCatalog::CascadeReach(const std::set<std::string>& from) const {
  std::set<std::string> reached;
  std::vector<std::string> todo(from.begin(), from.end());
  while (!todo.empty()) {
    std::string table = std::move(todo.back());
    todo.pop_back();
    auto it = cascades_to.find(table);
    if (it == cascades_to.end()) continue;
    for (const std::string& child : it->second) {
      if (reached.insert(child).second) todo.push_back(child);
    }
  }
  return reached;
}

TargetCatalog ReadTargetCatalog(PgConn& conn, const std::string& schema) {
  TargetCatalog catalog;
  catalog.schema = schema;
  ReadColumns(conn, catalog);
  ReadKeys(conn, catalog);
  ReadCaptureTriggers(conn, catalog);
  OrderByForeignKeys(conn, catalog);
  return catalog;
}

}  // namespace tenantsync

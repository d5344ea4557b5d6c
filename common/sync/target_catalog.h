#pragma once
// What a tenant's target schema holds, read once per run from pg_catalog:
// each table's columns and types, its row identity (primary key, else a
// unique index over NOT NULL columns), its capture trigger, and the
// foreign-key order in which tables must be written (parents first) and
// deleted from (children first), and where a delete cascades.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/pg/conn.h"

namespace tenantsync {

struct TargetColumn {
  std::string name;
  std::string type;        // format_type(), e.g. "character varying(255)"
  bool not_null = false;
  bool has_default = false;
  bool generated = false;  // GENERATED ... STORED: never written
  bool identity_always = false;
  std::string sequence;    // owned serial/identity sequence (qualified, quoted), "" if none
};

struct TargetTable {
  std::string name;
  std::vector<TargetColumn> columns;  // in attnum order
  std::vector<std::string> key;       // row identity; empty when the table has none
  bool key_is_primary = false;
  bool row_security = false;  // RLS enabled: COPY FROM is refused, so always stage
  // The capture trigger (sql/006), if any: its arguments as pg_trigger.tgargs
  // in hex, and its pg_trigger.tgenabled ('A' always, 'D' disabled, ...).
  std::string capture_args_hex;
  std::string capture_enabled;

  const TargetColumn* Find(const std::string& column) const;
};

struct TargetCatalog {
  std::string schema;
  std::map<std::string, TargetTable> tables;
  // Table names, parents before children (FK cycles broken by name order).
  std::vector<std::string> write_order;
  // Parent table -> tables whose rows a delete there removes (ON DELETE
  // CASCADE), the parent itself included when it refers to itself.
  std::map<std::string, std::set<std::string>> cascades_to;

  // Every table a delete in one of `tables` may remove rows from, through
  // one or more cascades.
  std::set<std::string> CascadeReach(const std::set<std::string>& tables) const;
};

// Reads the catalog of `schema`. Throws PgError; an absent schema yields no tables.
TargetCatalog ReadTargetCatalog(PgConn& conn, const std::string& schema);

}  // namespace tenantsync

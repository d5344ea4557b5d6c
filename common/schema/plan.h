#pragma once
// A list of SQL steps that is either printed (--dry-run) or executed in one
// transaction, so a dry run shows exactly what a real run would do.

#include <string>
#include <vector>

#include "common/pg/conn.h"

namespace tenantsync {

struct PlanStep {
  std::string description;        // shown to the operator
  std::string sql;                // executed; "" for a step done locally (a file written)
  std::vector<PgParam> params;
  std::string detail;             // shown under the description on a dry run (the DDL of a table)
};

class Plan {
 public:
  void Add(std::string description, std::string sql, std::vector<PgParam> params = {}, std::string detail = "") {
    steps_.push_back({std::move(description), std::move(sql), std::move(params), std::move(detail)});
  }
  const std::vector<PlanStep>& steps() const { return steps_; }
  bool empty() const { return steps_.empty(); }
  // Runs every step's SQL on `conn` (the caller owns the transaction).
  void Execute(PgConn& conn) const;

 private:
  std::vector<PlanStep> steps_;
};

}  // namespace tenantsync

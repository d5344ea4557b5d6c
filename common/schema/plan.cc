#include "common/schema/plan.h"

namespace tenantsync {

void Plan::Execute(PgConn& conn) const {
  for (const PlanStep& step : steps_) {
    if (!step.sql.empty()) conn.Exec(step.sql, step.params);  // "" = a local step, shown only
  }
}

}  // namespace tenantsync

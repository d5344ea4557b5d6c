#include "common/schema/plan.h"

namespace tenantsync {

void Plan::Execute(PgConn& conn) const {
  for (const PlanStep& step : steps_) conn.Exec(step.sql, step.params);
}

}  // namespace tenantsync

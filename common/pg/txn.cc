#include "common/pg/txn.h"

#include <string>

namespace tenantsync {

PgTxn::PgTxn(PgConn& conn, const PgTxnOptions& options) : conn_(conn) {
  conn_.Exec(options.read_only ? "BEGIN READ ONLY" : "BEGIN");
  // A zero keeps what the role has (ALTER ROLE ... SET), so only positive
  // values are sent; NULL makes set_config a no-op read of the setting.
  auto ms = [](int seconds) -> PgParam {
    if (seconds <= 0) return std::nullopt;
    return std::to_string(static_cast<long>(seconds) * 1000);
  };
  conn_.Exec(
      "SELECT set_config('statement_timeout', coalesce($1, current_setting('statement_timeout')), true),"
      " set_config('lock_timeout', coalesce($2, current_setting('lock_timeout')), true),"
      " set_config('idle_in_transaction_session_timeout',"
      "            coalesce($3, current_setting('idle_in_transaction_session_timeout')), true),"
      // Values print the same whatever the role or server defaults: conflict
      // detection compares digests of rows' text forms across runs and nodes.
      " set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true),"
      " set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true),"
      " set_config('bytea_output', 'hex', true),"
      // Batch-sized statements: compiling them costs more than it saves.
      " set_config('jit', 'off', true),"
      " set_config('synchronous_commit', CASE WHEN $4 THEN 'off' ELSE current_setting('synchronous_commit') END,"
      "            true),"
      " set_config('default_toast_compression', coalesce($5, current_setting('default_toast_compression')), true)",
      {ms(options.statement_timeout_seconds), ms(options.lock_timeout_seconds),
       ms(options.idle_in_transaction_timeout_seconds), options.async_commit ? "true" : "false",
       options.toast_compression.empty() ? PgParam() : PgParam(options.toast_compression)});
}

PgTxn::~PgTxn() noexcept {
  if (!open_) return;
  try {
    PQclear(PQexec(conn_.raw(), "ROLLBACK"));
  } catch (...) {
  }
}

void PgTxn::Commit() {
  open_ = false;
  conn_.Exec("COMMIT");
}

}  // namespace tenantsync

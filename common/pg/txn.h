#pragma once
// A transaction that rolls back unless committed. The destructor is noexcept
// and swallows errors (libpqxx, SQLiteCpp): a failed rollback means the
// connection is gone, and the server rolls back by itself then.

#include <string>
#include <string_view>

#include "common/pg/conn.h"

namespace tenantsync {

struct PgTxnOptions {
  int statement_timeout_seconds = 0;  // 0 = leave as is
  int lock_timeout_seconds = 0;
  int idle_in_transaction_timeout_seconds = 0;
  bool read_only = false;
  // synchronous_commit = off: the commit returns before its WAL reaches disk.
  // Only for transactions a server crash may lose whole, because whatever
  // they record is redone from elsewhere (sync-run's batches: data and
  // progress commit together, and the source still has the rows).
  bool async_commit = false;
  // default_toast_compression for the transaction's writes; "" = leave as is.
  std::string toast_compression = {};
};

class PgTxn {
 public:
  // BEGIN, then the timeouts as transaction-local settings (set_config(..., true)),
  // which a transaction-mode pooler cannot leak to another client.
  explicit PgTxn(PgConn& conn, const PgTxnOptions& options = {});
  ~PgTxn() noexcept;
  PgTxn(const PgTxn&) = delete;
  PgTxn& operator=(const PgTxn&) = delete;

  PgConn& conn() { return conn_; }
  void Commit();

 private:
  PgConn& conn_;
  bool open_ = true;
};

}  // namespace tenantsync

#include "common/sync/checkpoint.h"

#include <sqlite3.h>
#include <unistd.h>

#include "common/sqlite/db.h"

namespace tenantsync {

CheckpointResult PassiveCheckpoint(const std::string& sqlite_path) {
  CheckpointResult result;
  if (access((sqlite_path + "-litestream").c_str(), F_OK) == 0) {
    result.skipped_because = "Litestream owns this database's checkpoints";
    return result;
  }
  if (access((sqlite_path + "-wal").c_str(), F_OK) != 0) {
    result.skipped_because = "no WAL file";
    return result;
  }
  sqlite3* raw = nullptr;
  // No SQLITE_OPEN_CREATE: never make a file that was not there.
  int rc = sqlite3_open_v2(sqlite_path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  if (rc != SQLITE_OK) {
    result.skipped_because = std::string("cannot open read-write: ") + sqlite3_errstr(rc);
    return result;
  }
  int persist = 1;  // on close, leave the -wal file where it is
  sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  // The open is lazy: read once so the connection attaches to the WAL.
  rc = sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_wal_checkpoint_v2(db.get(), "main", SQLITE_CHECKPOINT_PASSIVE, &result.wal_frames,
                                   &result.checkpointed_frames);
  }
  if (rc != SQLITE_OK || result.wal_frames < 0) {
    result.skipped_because = std::string("checkpoint did not run: ") + sqlite3_errmsg(db.get());
    return result;
  }
  result.ran = true;
  return result;
}

}  // namespace tenantsync

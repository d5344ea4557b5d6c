#pragma once
// The opt-in WAL checkpoint ([sync] checkpoint = "passive"), kept
// from the original system. PASSIVE never waits on the app's locks and never
// blocks its writers. It is skipped when another checkpoint owner is present
// (Litestream keeps "<db>-litestream/" beside the file), and the connection
// keeps the WAL file on close, so the app's files are never deleted.

#include <string>

namespace tenantsync {

struct CheckpointResult {
  bool ran = false;
  std::string skipped_because;  // when !ran
  int wal_frames = 0;
  int checkpointed_frames = 0;
};

CheckpointResult PassiveCheckpoint(const std::string& sqlite_path);

}  // namespace tenantsync

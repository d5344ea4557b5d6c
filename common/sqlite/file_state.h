#pragma once
// A fingerprint of what is committed in a SQLite database, read from its
// files without opening it: equal fingerprints taken at two moments mean no
// transaction committed in between (docs/sync.md, "No-change runs").
//
// - Rollback-journal modes: the header's file change counter (every commit
//   increments it; SQLite's own readers rely on it), page count and
//   version-valid-for, with the file's size, mtime and inode.
// - WAL mode: also the two copies of the wal-index header in the -shm file
//   (mxFrame, the WAL salts and the last frame's checksum move with every
//   commit and every WAL reset), and the -wal file's size and mtime.
//
// Take it before the read snapshot begins: a commit in between then only
// makes the next run read again. A spurious difference costs a read, never a
// missed change.

#include <string>

namespace tenantsync {

// "" when the files cannot be read (the caller then reads the tables).
std::string SqliteFileState(const std::string& path);

}  // namespace tenantsync

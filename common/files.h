#pragma once
// Local files written so that a crash leaves the old or the new content,
// never a mix: write a temporary file beside the target, fsync, rename, fsync
// the directory.

#include <string>
#include <string_view>
#include <sys/types.h>

namespace tenantsync {

// Writes `content` to `path` atomically with `mode`. Throws IoError (74).
void WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode);

// Writes to a fresh temporary file beside `path` (mode applied at creation)
// and returns its name; CommitFile() renames it into place later. For
// secrets that must only appear once the database accepted them.
std::string WriteTempBeside(const std::string& path, std::string_view content, mode_t mode);
void CommitFile(const std::string& temp_path, const std::string& path);

}  // namespace tenantsync

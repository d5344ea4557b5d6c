#pragma once
// Local files written so that a crash leaves the old or the new content,
// never a mix: write a temporary file beside the target, fsync, rename, fsync
// the directory. Small local files (the config, password files) are read
// with a size limit.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace tenantsync {

// kDurable: fsync the file and its directory, so a power loss leaves the old
// or the new content. kReplaceable: no fsync, for files rewritten every few
// seconds whose loss costs nothing (metrics): readers still never see a mix.
enum class Durability { kDurable, kReplaceable };

// Writes `content` to `path` atomically with `mode`. Throws IoError (74).
void WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                     Durability durability = Durability::kDurable);

// Writes to a fresh temporary file beside `path` (mode applied at creation)
// and returns its name; CommitFile() renames it into place later. For
// secrets that must only appear once the database accepted them.
std::string WriteTempBeside(const std::string& path, std::string_view content, mode_t mode,
                            Durability durability = Durability::kDurable);
void CommitFile(const std::string& temp_path, const std::string& path,
                Durability durability = Durability::kDurable);

// The whole content of `path`, or std::nullopt with errno set when it cannot
// be read, or EFBIG when it holds more than `max_bytes`. Reading stops one
// byte past the limit, so /dev/zero or a huge file cannot exhaust memory.
// Callers throw their own error type (a bad config or password file is 78).
std::optional<std::string> ReadFileCapped(const std::string& path, size_t max_bytes);

}  // namespace tenantsync

#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace tenantsync {
namespace {

[[noreturn]] void Fail(std::string_view what, const std::string& path) {
  throw IoError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

void FsyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename itself already happened
  fsync(fd);
  close(fd);
}

}  // namespace

std::string WriteTempBeside(const std::string& path, std::string_view content, mode_t mode,
                            Durability durability) {
  std::string temp = path + ".tmp-XXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0) Fail("cannot create", temp);
  if (fchmod(fd, mode) != 0) {
    close(fd);
    unlink(temp.c_str());
    Fail("cannot chmod", temp);
  }
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      close(fd);
      unlink(temp.c_str());
      errno = saved;
      Fail("cannot write", temp);
    }
    written += static_cast<size_t>(n);
  }
  int rc = durability == Durability::kDurable ? fsync(fd) : 0;
  int saved = errno;
  if (close(fd) != 0 && rc == 0) {
    rc = -1;
    saved = errno;
  }
  if (rc != 0) {
    unlink(temp.c_str());
    errno = saved;
    Fail("cannot flush", temp);
  }
  return temp;
}

void CommitFile(const std::string& temp_path, const std::string& path, Durability durability) {
  if (rename(temp_path.c_str(), path.c_str()) != 0) {
    int saved = errno;
    unlink(temp_path.c_str());
    errno = saved;
    Fail("cannot rename into", path);
  }
  if (durability == Durability::kDurable) FsyncDirectoryOf(path);
}

std::optional<std::string> ReadFileCapped(const std::string& path, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // Sized from fstat, not from the limit: a small file must not cost a
  // buffer of max_bytes (sync-status reads one metrics file per tenant per
  // scrape). The size is a hint only; reading stops one byte past the limit.
  struct stat st {};
  size_t hint = fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 4096;
  std::string content;
  int error = 0;
  try {
    content.resize(std::min(hint, max_bytes) + 1);
  } catch (...) {
    close(fd);
    throw;
  }
  size_t got = 0;
  for (;;) {
    if (got == content.size()) {
      if (got > max_bytes) break;
      content.resize(std::min(content.size() * 2, max_bytes + 1));
    }
    ssize_t n = read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (error == 0 && got > max_bytes) error = EFBIG;
  if (error != 0) {
    errno = error;
    return std::nullopt;
  }
  content.resize(got);
  return content;
}

void WriteFileAtomic(const std::string& path, std::string_view content, mode_t mode, Durability durability) {
  CommitFile(WriteTempBeside(path, content, mode, durability), path, durability);
}

}  // namespace tenantsync

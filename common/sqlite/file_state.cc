#include "common/sqlite/file_state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

namespace tenantsync {
namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

std::string StatPart(const struct stat& st) {
  return fmt::format("{}:{}:{}.{:09}", st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

// Up to n bytes from the start of the file; -1 when it cannot be opened.
ssize_t ReadHead(const std::string& path, unsigned char* out, size_t n) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t got = ::pread(fd, out, n, 0);
  ::close(fd);
  return got;
}

}  // namespace

std::string SqliteFileState(const std::string& path) {
  struct stat db {};
  if (::stat(path.c_str(), &db) != 0) return "";
  std::array<unsigned char, 100> header{};
  if (ReadHead(path, header.data(), header.size()) != static_cast<ssize_t>(header.size())) return "";
  // Bytes 24-31: change counter and page count; 92-95: version-valid-for.
  std::string state = StatPart(db) + "|" + Hex(header.data() + 24, 8) + Hex(header.data() + 92, 4);
  bool wal = header[18] == 2 || header[19] == 2;
  if (!wal) return state;
  // No WAL content (no -wal file, or an empty one a reader left behind):
  // everything committed is in the database file itself, whatever the -shm
  // says. A reader opening the database creates both, so they must not
  // change the fingerprint.
  struct stat w {};
  if (::stat((path + "-wal").c_str(), &w) != 0 || w.st_size == 0) return state + "|wal empty";
  state += "|wal " + StatPart(w);
  // The wal-index header, twice (48 bytes each); what follows (read marks)
  // changes with readers, not commits.
  std::array<unsigned char, 96> index{};
  ssize_t got = ReadHead(path + "-shm", index.data(), index.size());
  state += "|shm " + (got == static_cast<ssize_t>(index.size()) ? Hex(index.data(), index.size())
                                                                : std::string("none"));
  return state;
}

}  // namespace tenantsync

// ReadPasswordFile (common/pg/conn.cc): the first line of a 0600 file, read
// with a size limit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "common/error.h"
#include "common/pg/conn.h"
#include "tests/unit/temp_dir.h"

namespace tenantsync {
namespace {

std::string WritePrivate(const ScopedTempDir& dir, const std::string& content) {
  std::string path = dir.File("pw");
  WriteFileBytes(path, content);
  chmod(path.c_str(), 0600);
  return path;
}

TEST(PasswordFileTest, ReadsTheFirstLineWithoutItsEnding) {
  ScopedTempDir dir;
  EXPECT_EQ(ReadPasswordFile(WritePrivate(dir, "s3cret\r\nsecond line\n")), "s3cret");
  EXPECT_EQ(ReadPasswordFile(WritePrivate(dir, "no newline")), "no newline");
  EXPECT_THROW(ReadPasswordFile(WritePrivate(dir, "\nlater")), ConfigError);
}

TEST(PasswordFileTest, RefusesAFileOverTheLimit) {
  ScopedTempDir dir;
  std::string at_limit(kMaxPasswordFileBytes, 'p');
  EXPECT_EQ(ReadPasswordFile(WritePrivate(dir, at_limit)), at_limit);
  // One line without an end: read whole before, however large.
  std::string path = WritePrivate(dir, std::string(kMaxPasswordFileBytes + 1, 'p'));
  try {
    ReadPasswordFile(path);
    FAIL() << "a password file over the limit was read";
  } catch (const ConfigError& e) {
    EXPECT_EQ(ToInt(e.code()), 78);
    EXPECT_EQ(std::string(e.what()), "password file " + path + " is larger than 4096 bytes");
    EXPECT_FALSE(e.hint().empty());
  }
}

}  // namespace
}  // namespace tenantsync

#include "common/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "tests/unit/temp_dir.h"

namespace tenantsync {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::set<std::string> Names(const ScopedTempDir& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

struct WriteCase {
  std::string content;
  mode_t mode;
};

TEST(FilesTest, WriteFileAtomicCreatesWithContentAndMode) {
  const std::vector<WriteCase> cases = {
      {"secret\n", 0600},
      {"", 0600},
      {std::string("bin\0ary", 7), 0640},
      {std::string(1 << 20, 'x'), 0644},
      {"read only", 0400},
  };
  for (const WriteCase& c : cases) {
    ScopedTempDir dir;
    std::string path = dir.File("out.txt");
    WriteFileAtomic(path, c.content, c.mode);
    EXPECT_EQ(ReadFileBytes(path), c.content);
    EXPECT_EQ(ModeOf(path), c.mode) << std::oct << c.mode;  // exact: the umask does not apply
    EXPECT_EQ(Names(dir), std::set<std::string>{"out.txt"}) << "a temporary file was left behind";
  }
}

TEST(FilesTest, WriteFileAtomicReplacesContentAndMode) {
  ScopedTempDir dir;
  std::string path = dir.File("password");
  WriteFileBytes(path, "an older and much longer password\n");
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);

  WriteFileAtomic(path, "new\n", 0600);
  EXPECT_EQ(ReadFileBytes(path), "new\n");
  EXPECT_EQ(ModeOf(path), 0600u);

  WriteFileAtomic(path, "newer\n", 0600);
  EXPECT_EQ(ReadFileBytes(path), "newer\n");
  EXPECT_EQ(Names(dir), std::set<std::string>{"password"});
}

TEST(FilesTest, WriteTempBesideThenCommit) {
  ScopedTempDir dir;
  std::string path = dir.File("cluster.pass");
  WriteFileBytes(path, "old");

  std::string temp = WriteTempBeside(path, "fresh", 0600);
  EXPECT_EQ(temp.rfind(path + ".tmp-", 0), 0u) << temp;
  EXPECT_EQ(std::filesystem::path(temp).parent_path(), dir.path());
  EXPECT_EQ(ReadFileBytes(temp), "fresh");
  EXPECT_EQ(ModeOf(temp), 0600u);
  EXPECT_EQ(ReadFileBytes(path), "old") << "the target changed before CommitFile";

  CommitFile(temp, path);
  EXPECT_EQ(ReadFileBytes(path), "fresh");
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_EQ(Names(dir), std::set<std::string>{"cluster.pass"});
}

TEST(FilesTest, TempNamesAreUnique) {
  ScopedTempDir dir;
  std::string path = dir.File("f");
  std::set<std::string> temps;
  for (int i = 0; i < 5; ++i) temps.insert(WriteTempBeside(path, std::to_string(i), 0600));
  EXPECT_EQ(temps.size(), 5u);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(FilesTest, MissingDirectoryIsIoError) {
  ScopedTempDir dir;
  std::string path = dir.File("missing/out.txt");
  try {
    WriteFileAtomic(path, "x", 0600);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(ToInt(e.code()), 74);
    std::string message = e.what();
    EXPECT_EQ(message.rfind("cannot create " + path + ".tmp-", 0), 0u) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
  EXPECT_THROW(WriteTempBeside(path, "x", 0600), IoError);
  EXPECT_TRUE(Names(dir).empty());
}

TEST(FilesTest, FailedCommitRemovesTheTempFile) {
  ScopedTempDir dir;
  std::string temp = WriteTempBeside(dir.File("f"), "x", 0600);
  std::string target = dir.File("missing/f");
  try {
    CommitFile(temp, target);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(ToInt(e.code()), 74);
    EXPECT_EQ(std::string(e.what()), "cannot rename into " + target + ": No such file or directory");
  }
  EXPECT_TRUE(Names(dir).empty()) << "the temporary file was left behind";
}

TEST(FilesTest, TargetThatIsADirectoryIsIoError) {
  ScopedTempDir dir;
  std::filesystem::create_directory(dir.path() / "sub");
  std::filesystem::create_directory(dir.path() / "sub" / "child");
  EXPECT_THROW(WriteFileAtomic(dir.File("sub"), "x", 0600), IoError);
  EXPECT_EQ(Names(dir), std::set<std::string>{"sub"});
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "sub" / "child"));
}

TEST(FilesTest, ReadFileCappedStopsAtTheLimit) {
  ScopedTempDir dir;
  WriteFileBytes(dir.File("f"), "12345");
  EXPECT_EQ(ReadFileCapped(dir.File("f"), 5), "12345");
  EXPECT_EQ(ReadFileCapped(dir.File("f"), 100), "12345");
  errno = 0;
  EXPECT_EQ(ReadFileCapped(dir.File("f"), 4), std::nullopt);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(ReadFileCapped("/dev/zero", 4096), std::nullopt);  // endless: returns only because it stops
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(ReadFileCapped(dir.File("absent"), 100), std::nullopt);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(ReadFileCapped(dir.path().string(), 100), std::nullopt);
  EXPECT_EQ(errno, EISDIR);
}

}  // namespace
}  // namespace tenantsync

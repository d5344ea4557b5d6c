// Input and configuration bounds, through the real binaries: a config or
// password file that cannot be valid, a [node] value the database would
// refuse, a duration PostgreSQL cannot add, a source that is no database,
// and ids that are no 64-bit integers. Each is refused with the code that
// names the real problem (docs/exit-codes.md), before anything is written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/schema/deployments.h"
#include "tests/integration/tenant_fixture.h"

namespace tenantsync::testing {
namespace {

class InputBoundsTest : public TenantTest {
 protected:
  void SetUp() override {
    TenantTest::SetUp();
    if (IsSkipped()) return;
    source_ = tmp_.File("webui.db");
    ExecSqlite(source_, "CREATE TABLE note (id TEXT PRIMARY KEY, updated_at INTEGER); INSERT INTO note VALUES "
                        "('n1', 1700000000)");
    AddTenant("acme", source_, "CREATE TABLE {schema}.note (id text PRIMARY KEY, updated_at bigint)");
  }

  // sync-run with `config_text` written to a file.
  ProcessResult SyncRun(const std::string& config_text, const std::string& name = "bad.toml") {
    std::string path = tmp_.File(name);
    WriteFile(path, config_text, 0644);
    return RunProcess({SYNC_RUN_BIN, "--config", path, "--no-progress"});
  }

  // The node's config with `from` replaced by `to` (which must be there).
  std::string NodeConfigWith(const std::string& from, const std::string& to) const {
    std::string text = NodeConfigText();
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
  }

  ProcessResult SyncSchema(std::vector<std::string> args) {
    std::string config = tmp_.File("admin.toml");
    WriteFile(config, fmt::format("[postgres]\nadmin_conninfo = \"{}\"\n", AdminConninfo()), 0644);
    args.insert(args.begin(), {SYNC_SCHEMA_BIN, "--config", config});
    return RunProcess(args);
  }

  std::string source_;
};

TEST_F(InputBoundsTest, ConfigValuesThatCannotWorkExit78BeforeConnecting) {
  ProcessResult good = SyncRun(NodeConfigText(), "good.toml");
  ASSERT_EQ(good.exit_code, 0) << good.err;  // the same config, unchanged, works

  struct Case {
    std::string what, config, message;
  };
  std::string cluster_line = fmt::format("cluster = \"{}\"", cluster_);
  const std::vector<Case> cases = {
      {"cluster", NodeConfigWith(cluster_line, "cluster = \"Red; DROP\""), ":2:11: [node] cluster must be 1-40"},
      {"NUL in name", NodeConfigText("", "node-a\\u0000evil"), "[node] name must be non-empty text without control"},
      {"newline in name", NodeConfigText("", "node-a\\nevil"), "[node] name must be non-empty text without control"},
      {"reconcile_every", NodeConfigText("[sync]\nreconcile_every = \"106751991167d\"\n"),
       "duration '106751991167d' is longer than 36500d (100 years)"},
  };
  for (const Case& c : cases) {
    ProcessResult r = SyncRun(c.config);
    EXPECT_EQ(r.exit_code, 78) << c.what << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.what << "\n" << r.err;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.hosts"), "1");  // only the good run's node
}

TEST_F(InputBoundsTest, OversizedConfigAndPasswordFilesAreRefusedWithoutReadingThemWhole) {
  // One line that never ends: read whole, it was taken for the password (77).
  std::string big_password = tmp_.File("big.password");
  WriteFile(big_password, std::string(5000, 'p'), 0600);
  ProcessResult password = SyncRun(NodeConfigWith(PasswordFile(cluster_), big_password));
  EXPECT_EQ(password.exit_code, 78) << password.err;
  EXPECT_NE(password.err.find("password file " + big_password + " is larger than 4096 bytes"), std::string::npos)
      << password.err;

  std::string big_config = tmp_.File("big.toml");
  WriteFile(big_config, NodeConfigText() + "#" + std::string(1024 * 1024, 'x') + "\n", 0644);
  ProcessResult config = RunProcess({SYNC_RUN_BIN, "--config", big_config, "--no-progress"});
  ASSERT_EQ(config.exit_code, 78) << config.err;  // else /dev/zero below would be read until memory runs out
  EXPECT_NE(config.err.find("config file " + big_config + " is larger than 1 MiB"), std::string::npos) << config.err;

  ProcessResult endless = RunProcessWithTimeout({SYNC_RUN_BIN, "--config", "/dev/zero"}, std::chrono::seconds(60));
  EXPECT_FALSE(endless.timed_out);
  EXPECT_EQ(endless.exit_code, 78) << endless.err;
  EXPECT_NE(endless.err.find("config file /dev/zero is larger than 1 MiB"), std::string::npos) << endless.err;
}

TEST_F(InputBoundsTest, ASourceThatIsADirectoryIsBadInput) {
  std::string dir = tmp_.File("webui-dir.db");
  std::filesystem::create_directory(dir);
  // Registered without --create-tables, the file is not opened until sync-run.
  {
    PgConn admin = Admin();
    AddDeployment(admin, {"dir", cluster_, dir, "client_dir", false}, nullptr);
  }
  ProcessResult run = RunProcess({SYNC_RUN_BIN, "--config", WriteNodeConfig(), "--no-progress", "--deployment", "dir"});
  EXPECT_EQ(run.exit_code, 65) << run.err;
  EXPECT_NE(run.err.find(dir + ": a directory, not a database file"), std::string::npos) << run.err;

  ProcessResult add =
      SyncSchema({"deployment", "add", "dir2", "--cluster", cluster_, "--sqlite", dir, "--create-tables"});
  EXPECT_EQ(add.exit_code, 65) << add.err;
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.client_deployments WHERE name = 'dir2'"), "0");
}

TEST_F(InputBoundsTest, CreateTablesFromAFileWithoutTablesRegistersNothing) {
  // A zero-byte file and a database whose app never created a table: both
  // open as empty databases.
  std::string empty = tmp_.File("empty.db");
  WriteFile(empty, "", 0644);
  std::string tableless = tmp_.File("tableless.db");
  ExecSqlite(tableless, "PRAGMA user_version = 7");
  for (const std::string& path : {empty, tableless}) {
    for (bool dry_run : {true, false}) {
      std::vector<std::string> args{"deployment", "add", "empty", "--cluster", cluster_, "--sqlite", path,
                                    "--create-tables"};
      if (dry_run) args.push_back("--dry-run");
      ProcessResult r = SyncSchema(args);
      EXPECT_EQ(r.exit_code, 65) << path << "\n" << r.err;
      EXPECT_NE(r.err.find("sqlite " + path + ": no tables to create the target tables from"), std::string::npos)
          << r.err;
      EXPECT_NE(r.err.find("hint: "), std::string::npos) << r.err;
      EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.client_deployments WHERE name = 'empty'"), "0");
      EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'client_empty'"), "0");
    }
  }
}

TEST_F(InputBoundsTest, ResolveIdsMustBePositive64BitIntegers) {
  std::string config = WriteNodeConfig();
  const std::vector<std::vector<std::string>> bad = {
      {"show", "99999999999999999999"},  // clamped to INT64_MAX by CLI11, so "nothing matched" (1)
      {"show", "9223372036854775808"},
      {"show", "0"},
      {"show", "1x"},
      {"show", "0x10"},
      {"apply", "1", "99999999999999999999", "--take", "source"},
      {"apply", "0", "--take", "source"},
      {"list", "--limit", "99999999999999999999"},
  };
  for (const std::vector<std::string>& args : bad) {
    std::vector<std::string> argv{SYNC_RESOLVE_BIN, "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 64) << fmt::format("{}", fmt::join(args, " ")) << "\n" << r.err;
    EXPECT_NE(r.err.find("must be a whole number from 1 to 9223372036854775807"), std::string::npos) << r.err;
  }
  // The largest id and leading zeros are valid; neither conflict exists.
  for (const char* id : {"9223372036854775807", "010"}) {
    ProcessResult r = RunProcess({SYNC_RESOLVE_BIN, "--config", config, "show", id});
    EXPECT_EQ(r.exit_code, 1) << id << "\n" << r.err;
  }
}

}  // namespace
}  // namespace tenantsync::testing

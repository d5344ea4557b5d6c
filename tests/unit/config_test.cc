#include "common/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace tenantsync {
namespace {

using std::chrono::seconds;

// The ConfigError message ParseConfig gives for `text`, or "" when it parses.
std::string ParseError(const std::string& text) {
  try {
    ParseConfig(text, "t.toml");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::kConfig);
    return e.what();
  }
  return "";
}

TEST(ConfigTest, EmptyTextGivesDefaults) {
  Config c = ParseConfig("", "t.toml");
  EXPECT_EQ(c.source_path, "t.toml");
  EXPECT_EQ(c.node.cluster, "");
  EXPECT_FALSE(c.node.name.empty());  // the hostname
  EXPECT_EQ(c.node.state_dir, "/var/lib/tenantsync");
  EXPECT_EQ(c.postgres.conninfo, "");
  EXPECT_EQ(c.postgres.admin_conninfo, "");
  EXPECT_EQ(c.postgres.password_file, "");
  EXPECT_EQ(c.postgres.admin_password_file, "");
  EXPECT_EQ(c.postgres.connect_timeout_seconds, 4);
  EXPECT_EQ(c.postgres.statement_timeout_seconds, 60);
  EXPECT_EQ(c.postgres.lock_timeout_seconds, 10);
  EXPECT_EQ(c.lease.ttl_seconds, 15);
  EXPECT_EQ(c.sync.batch_rows, 50000);
  EXPECT_EQ(c.sync.checkpoint, CheckpointMode::kNone);
  EXPECT_EQ(c.sync.max_delete_share, 0.5);
  EXPECT_EQ(c.sync.reconcile_every, seconds(3600));
  EXPECT_EQ(c.sync.busy_timeout_ms, 5000);
  EXPECT_EQ(c.sync.toast_compression, ToastCompression::kLz4);
  EXPECT_EQ(c.sync.max_jobs, 4);
  EXPECT_TRUE(c.tables.empty());
  EXPECT_EQ(c.ForTable("users").conflict, ConflictStrategy::kNewestWins);
  EXPECT_EQ(c.status.listen, "127.0.0.1:9443");
  EXPECT_EQ(c.status.token_file, "/etc/tenantsync/status.token");
  EXPECT_TRUE(c.status.cache_listen);
  EXPECT_EQ(c.status.cache_poll_interval, seconds(1));
  EXPECT_EQ(c.retention.jobs, seconds(14 * 86400));
  EXPECT_EQ(c.retention.conflicts, seconds(90 * 86400));
  EXPECT_EQ(c.retention.quarantine, seconds(14 * 86400));
  EXPECT_EQ(c.retention.cache_events, seconds(86400));
}

TEST(ConfigTest, ReadsEveryKey) {
  Config c = ParseConfig(R"([node]
cluster = "eu-1"
name = "node-a"
state_dir = "/srv/ts"
[postgres]
conninfo = "host=db1 dbname=app"
admin_conninfo = "host=db1 user=admin"
password_file = "pg.pass"
admin_password_file = "/etc/ts/admin.pass"
connect_timeout_seconds = 3
statement_timeout_seconds = 120
lock_timeout_seconds = 7
[lease]
ttl_seconds = 30
[sync]
batch_rows = 250
checkpoint = "passive"
max_delete_share = 0.25
reconcile_every = "15m"
busy_timeout_ms = 0
max_jobs = 9
[tables."*"]
conflict = "source_wins"
[tables.orders]
conflict = "manual"
[status]
listen = "0.0.0.0:9999"
token_file = "/run/ts/token"
cache_listen = false
cache_poll_interval = "1m"
[retention]
jobs = "2d"
conflicts = "30d"
quarantine = "1h"
cache_events = "90s"
)",
                         "t.toml");
  EXPECT_EQ(c.node.cluster, "eu-1");
  EXPECT_EQ(c.node.name, "node-a");
  EXPECT_EQ(c.node.state_dir, "/srv/ts");
  EXPECT_EQ(c.postgres.conninfo, "host=db1 dbname=app");
  EXPECT_EQ(c.postgres.admin_conninfo, "host=db1 user=admin");
  EXPECT_EQ(c.postgres.password_file, "pg.pass");
  EXPECT_EQ(c.postgres.admin_password_file, "/etc/ts/admin.pass");
  EXPECT_EQ(c.postgres.connect_timeout_seconds, 3);
  EXPECT_EQ(c.postgres.statement_timeout_seconds, 120);
  EXPECT_EQ(c.postgres.lock_timeout_seconds, 7);
  EXPECT_EQ(c.lease.ttl_seconds, 30);
  EXPECT_EQ(c.sync.batch_rows, 250);
  EXPECT_EQ(c.sync.checkpoint, CheckpointMode::kPassive);
  EXPECT_EQ(c.sync.max_delete_share, 0.25);
  EXPECT_EQ(c.sync.reconcile_every, seconds(900));
  EXPECT_EQ(c.sync.busy_timeout_ms, 0);
  EXPECT_EQ(c.sync.max_jobs, 9);
  EXPECT_EQ(c.tables.size(), 2u);
  EXPECT_EQ(c.ForTable("orders").conflict, ConflictStrategy::kManual);
  EXPECT_EQ(c.ForTable("other").conflict, ConflictStrategy::kSourceWins);
  EXPECT_EQ(c.status.listen, "0.0.0.0:9999");
  EXPECT_EQ(c.status.token_file, "/run/ts/token");
  EXPECT_FALSE(c.status.cache_listen);
  EXPECT_EQ(c.status.cache_poll_interval, seconds(60));
  EXPECT_EQ(c.retention.jobs, seconds(2 * 86400));
  EXPECT_EQ(c.retention.conflicts, seconds(30 * 86400));
  EXPECT_EQ(c.retention.quarantine, seconds(3600));
  EXPECT_EQ(c.retention.cache_events, seconds(90));
  EXPECT_EQ(c.RequireCluster(), "eu-1");
}

TEST(ConfigTest, ChoicesRoundTrip) {
  for (const char* name : {"newest_wins", "source_wins", "target_wins", "merge", "manual"}) {
    Config c = ParseConfig(std::string("[tables.t]\nconflict = \"") + name + "\"\n", "t.toml");
    EXPECT_EQ(ToString(c.ForTable("t").conflict), name);
  }
  for (const char* name : {"none", "passive"}) {
    Config c = ParseConfig(std::string("[sync]\ncheckpoint = \"") + name + "\"\n", "t.toml");
    EXPECT_EQ(ToString(c.sync.checkpoint), name);
  }
  for (const char* name : {"lz4", "server"}) {
    Config c = ParseConfig(std::string("[sync]\ntoast_compression = \"") + name + "\"\n", "t.toml");
    EXPECT_EQ(ToString(c.sync.toast_compression), name);
  }
  EXPECT_EQ(ParseConfig("[sync]\nmax_delete_share = 1\n", "t.toml").sync.max_delete_share, 1.0);
}

struct BadValue {
  std::string section, key, value, expected;  // expected: the message after "t.toml:2:<col>: "
};

TEST(ConfigTest, RefusesBadValuesNamingFileLineAndColumn) {
  const std::vector<BadValue> cases = {
      {"postgres", "connect_timeout_seconds", "1",
       "[postgres] connect_timeout_seconds must be an integer from 2 to 600"},
      {"postgres", "connect_timeout_seconds", "601",
       "[postgres] connect_timeout_seconds must be an integer from 2 to 600"},
      {"postgres", "statement_timeout_seconds", "0",
       "[postgres] statement_timeout_seconds must be an integer from 1 to 86400"},
      {"postgres", "statement_timeout_seconds", "86401",
       "[postgres] statement_timeout_seconds must be an integer from 1 to 86400"},
      {"postgres", "lock_timeout_seconds", "0", "[postgres] lock_timeout_seconds must be an integer from 1 to 3600"},
      {"postgres", "lock_timeout_seconds", "3601", "[postgres] lock_timeout_seconds must be an integer from 1 to 3600"},
      {"lease", "ttl_seconds", "4", "[lease] ttl_seconds must be an integer from 5 to 3600"},
      {"lease", "ttl_seconds", "3601", "[lease] ttl_seconds must be an integer from 5 to 3600"},
      {"lease", "ttl_seconds", "9999999999", "[lease] ttl_seconds must be an integer from 5 to 3600"},
      {"sync", "batch_rows", "0", "[sync] batch_rows must be an integer from 1 to 1000000"},
      {"sync", "batch_rows", "1000001", "[sync] batch_rows must be an integer from 1 to 1000000"},
      {"sync", "busy_timeout_ms", "-1", "[sync] busy_timeout_ms must be an integer from 0 to 600000"},
      {"sync", "busy_timeout_ms", "600001", "[sync] busy_timeout_ms must be an integer from 0 to 600000"},
      {"sync", "max_jobs", "0", "[sync] max_jobs must be an integer from 1 to 64"},
      {"sync", "max_jobs", "65", "[sync] max_jobs must be an integer from 1 to 64"},
      {"sync", "max_delete_share", "-0.1", "[sync] max_delete_share must be a number from 0 to 1"},
      {"sync", "max_delete_share", "1.5", "[sync] max_delete_share must be a number from 0 to 1"},
      {"sync", "max_delete_share", "nan", "[sync] max_delete_share must be a number from 0 to 1"},
      {"sync", "max_delete_share", "inf", "[sync] max_delete_share must be a number from 0 to 1"},
      {"sync", "checkpoint", "\"full\"", "[sync] checkpoint must be none | passive"},
      {"sync", "checkpoint", "\"\"", "[sync] checkpoint must be none | passive"},
      {"tables.x", "conflict", "\"newest\"",
       "[tables.\"x\"] conflict must be newest_wins | source_wins | target_wins | merge | manual"},
      // Wrong types.
      {"node", "cluster", "5", "[node] cluster must be a string"},
      {"node", "name", "true", "[node] name must be a string"},
      {"status", "listen", "9443", "[status] listen must be a string"},
      {"status", "cache_listen", "\"no\"", "[status] cache_listen must be true or false"},
      {"status", "cache_listen", "0", "[status] cache_listen must be true or false"},
      {"status", "cache_poll_interval", "1", "[status] cache_poll_interval must be a string"},
      {"lease", "ttl_seconds", "\"15\"", "[lease] ttl_seconds must be an integer"},
      {"lease", "ttl_seconds", "15.0", "[lease] ttl_seconds must be an integer"},
      {"lease", "ttl_seconds", "true", "[lease] ttl_seconds must be an integer"},
      {"sync", "max_delete_share", "\"0.5\"", "[sync] max_delete_share must be a number"},
      {"sync", "reconcile_every", "3600", "[sync] reconcile_every must be a string"},
      {"sync", "checkpoint", "[\"none\"]", "[sync] checkpoint must be a string"},
      // Unknown keys name the key and its section.
      {"node", "clustr", "\"a\"", "unknown key 'clustr' in [node]"},
      {"sync", "batch_size", "10", "unknown key 'batch_size' in [sync]"},
      {"tables.\"*\"", "strategy", "\"merge\"", "unknown key 'strategy' in [tables.\"*\"]"},
  };
  for (const BadValue& c : cases) {
    std::string text = "[" + c.section + "]\n" + c.key + " = " + c.value + "\n";
    std::string where = "t.toml:2:" + std::to_string(c.key.size() + 4) + ": ";
    EXPECT_EQ(ParseError(text), where + c.expected) << text;
  }
}

TEST(ConfigTest, RefusesAClusterNameTheDatabaseRefuses) {
  // The CHECK on sync_metadata.clusters: refused at load (78), not later by
  // the privilege check (77) or the database.
  for (const std::string& name :
       std::vector<std::string>{"Red; DROP", "Red", "-a", "_a", "a.b", "a b", std::string(41, 'a'), "é"}) {
    EXPECT_EQ(ParseError("[node]\ncluster = \"" + name + "\"\n"),
              "t.toml:2:11: [node] cluster must be 1-40 characters: lowercase letters, digits, '_' and '-', "
              "starting with a letter or digit")
        << name;
  }
  for (const std::string& name : std::vector<std::string>{"a", "0", "eu-1", "host_a", std::string(40, 'z'), ""}) {
    EXPECT_EQ(ParseConfig("[node]\ncluster = \"" + name + "\"\n", "t.toml").node.cluster, name);
  }
}

TEST(ConfigTest, RefusesControlCharactersInTheNodeName) {
  // A NUL would cut the name short in libpq's application_name; a newline
  // would forge a log line.
  for (const char* escaped : {"a\\u0000b", "a\\nb", "a\\rb", "a\\tb", "a\\u001bb", "a\\u007fb", ""}) {
    EXPECT_EQ(ParseError(std::string("[node]\nname = \"") + escaped + "\"\n"),
              "t.toml:2:8: [node] name must be non-empty text without control characters")
        << escaped;
  }
  EXPECT_EQ(ParseConfig("[node]\nname = \"node-a.example ü\"\n", "t.toml").node.name, "node-a.example ü");
}

TEST(ConfigTest, AcceptsRangeBounds) {
  Config c = ParseConfig(
      "[postgres]\nconnect_timeout_seconds = 2\nlock_timeout_seconds = 3600\n"
      "[lease]\nttl_seconds = 5\n[sync]\nbatch_rows = 1000000\nmax_delete_share = 0.0\nbusy_timeout_ms = 600000\n",
      "t.toml");
  EXPECT_EQ(c.postgres.connect_timeout_seconds, 2);
  EXPECT_EQ(c.postgres.lock_timeout_seconds, 3600);
  EXPECT_EQ(c.lease.ttl_seconds, 5);
  EXPECT_EQ(c.sync.batch_rows, 1000000);
  EXPECT_EQ(c.sync.max_delete_share, 0.0);
  EXPECT_EQ(c.sync.busy_timeout_ms, 600000);
}

TEST(ConfigTest, RefusesBadStructure) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[node]\ncluster = \"a\"\n\n[nod]\nx = 1\n", "t.toml:4:1: unknown section [nod]"},
      {"verbose = true\n", "t.toml:1:11: unknown section [verbose]"},
      {"node = 5\n", "t.toml:1:8: 'node' must be a table ([node])"},
      {"tables = \"all\"\n", "t.toml:1:10: 'tables' must be a table ([tables])"},
      {"[tables]\nusers = \"merge\"\n", "t.toml:2:9: tables.users must be a table"},
      {"[sync]\nreconcile_every = \"1w\"\n", "t.toml:2:19: bad duration '1w'"},
      {"[status]\ncache_poll_interval = \"500ms\"\n", "t.toml:2:23: bad duration '500ms'"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(ParseError(text), expected) << text;
}

TEST(ConfigTest, SyntaxErrorNamesLineAndColumn) {
  std::string message = ParseError("[node]\ncluster = \"a\"\nname = \n");
  EXPECT_EQ(message.rfind("t.toml:3:", 0), 0u) << message;
  message = ParseError("[node\n");
  EXPECT_EQ(message.rfind("t.toml:1:", 0), 0u) << message;
}

TEST(ConfigTest, EmptyDurationIsRefused) {
  EXPECT_EQ(ParseError("[sync]\nreconcile_every = \"\"\n"), "t.toml:2:19: bad duration ''");
}

TEST(ConfigTest, HugeIntegerForDoubleIsRefused) {
  EXPECT_EQ(ParseError("[sync]\nmax_delete_share = 9007199254740993\n"),
            "t.toml:2:20: [sync] max_delete_share must be a number from 0 to 1");
}

TEST(ConfigTest, TableSectionsInheritStar) {
  Config c = ParseConfig(
      "[tables.\"*\"]\nconflict = \"target_wins\"\n[tables.users]\n[tables.orders]\nconflict = \"merge\"\n", "t.toml");
  EXPECT_EQ(c.tables.at("users").conflict, ConflictStrategy::kTargetWins);  // inherited from "*"
  EXPECT_EQ(c.ForTable("users").conflict, ConflictStrategy::kTargetWins);
  EXPECT_EQ(c.ForTable("orders").conflict, ConflictStrategy::kMerge);
  EXPECT_EQ(c.ForTable("unlisted").conflict, ConflictStrategy::kTargetWins);  // falls back to "*"

  Config no_star = ParseConfig("[tables.orders]\nconflict = \"manual\"\n", "t.toml");
  EXPECT_EQ(no_star.ForTable("orders").conflict, ConflictStrategy::kManual);
  EXPECT_EQ(no_star.ForTable("unlisted").conflict, ConflictStrategy::kNewestWins);  // built-in
}

TEST(ConfigTest, RequireClusterThrowsWhenUnset) {
  Config c = ParseConfig("[node]\nname = \"a\"\n", "t.toml");
  try {
    c.RequireCluster();
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::kConfig);
    EXPECT_EQ(std::string(e.what()), "t.toml: [node] cluster is not set");
    EXPECT_NE(e.hint().find("[node]"), std::string::npos);
  }
}

}  // namespace
}  // namespace tenantsync

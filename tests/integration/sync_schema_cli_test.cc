// sync-schema as operators run it: the real binary, its exit codes, its
// output, and what it must never print.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "common/schema/clusters.h"
#include "tests/integration/pg_harness.h"

namespace tenantsync::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

class SyncSchemaCliTest : public PgTest {
 protected:
  // A config file whose admin connection is this test's database.
  std::string Config(const std::string& extra = "") {
    std::string path = tmp_.File("tenantsync.toml");
    WriteFile(path, fmt::format("[postgres]\nadmin_conninfo = \"{}\"\n{}", AdminConninfo(), extra), 0644);
    return path;
  }

  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), SYNC_SCHEMA_BIN);
    return RunProcess(args);
  }

  std::string Scalar(const std::string& sql, const std::vector<PgParam>& params = {}) {
    PgConn admin = Admin();
    return std::string(admin.ExecOneRow(sql, params).Get(0, 0));
  }
};

TEST_F(SyncSchemaCliTest, HelpShowsExamplesAndExitsZero) {
  ProcessResult r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sync-schema deployment add"), std::string::npos);
}

TEST_F(SyncSchemaCliTest, BadUsageExits64) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--no-such-flag"}, {"deployment"}, {"cluster", "add", "x"}, {"apply", "extra-argument"}}) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 64) << args[0] << "\n" << r.err;
  }
}

TEST_F(SyncSchemaCliTest, BadConfigExits78AndNamesFileAndLine) {
  std::string path = tmp_.File("bad.toml");
  WriteFile(path, "[sync]\nbatch_rows = \"many\"\n", 0644);
  ProcessResult r = Run({"--config", path, "status"});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find(path + ":2:"), std::string::npos) << r.err;

  WriteFile(path, "[postgres]\nadmin_conninfo = \"\"\ntypo_key = 1\n", 0644);
  r = Run({"--config", path, "status"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("unknown key 'typo_key'"), std::string::npos) << r.err;

  r = Run({"--config", tmp_.File("missing.toml"), "status"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("cannot read config file"), std::string::npos) << r.err;
}

TEST_F(SyncSchemaCliTest, UnreachablePostgresExits69) {
  std::string path = tmp_.File("down.toml");
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  WriteFile(path, "[postgres]\nadmin_conninfo = \"host=127.0.0.1 port=1 connect_timeout=2\"\n", 0644);
  ProcessResult r = Run({"--config", path, "apply"});
  EXPECT_EQ(r.exit_code, 69) << r.err;
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: check [postgres] admin_conninfo"), std::string::npos) << r.err;
}

TEST_F(SyncSchemaCliTest, PasswordInsideConninfoIsRefusedAndNotEchoed) {
  std::string path = tmp_.File("inline.toml");
  for (const char* conninfo : {"host=db password=Inline-Secret-42", "postgresql://u:Inline-Secret-42@db/x"}) {
    WriteFile(path, fmt::format("[postgres]\nadmin_conninfo = \"{}\"\n", conninfo), 0644);
    ProcessResult r = Run({"--config", path, "status"});
    EXPECT_EQ(r.exit_code, 78) << conninfo;
    EXPECT_NE(r.err.find("admin_conninfo contains a password"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Inline-Secret-42"), std::string::npos) << r.err;
  }
}

TEST_F(SyncSchemaCliTest, ApplyTwiceThenStatusIsCurrent) {
  std::string config = Config();
  ProcessResult first = Run({"--config", config, "apply"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("applied 001_metadata.sql"), std::string::npos) << first.out;
  ProcessResult second = Run({"--config", config, "apply"});
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_NE(second.out.find("schema is up to date"), std::string::npos) << second.out;
  ProcessResult status = Run({"--config", config, "status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("\"up_to_date\":true"), std::string::npos) << status.out;
}

TEST_F(SyncSchemaCliTest, StatusOnAnEmptyDatabaseExits1) {
  ProcessResult r = Run({"--config", Config(), "status"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("pending"), std::string::npos) << r.out;
}

TEST_F(SyncSchemaCliTest, DryRunsWriteNothing) {
  std::string config = Config();
  ProcessResult apply = Run({"--config", config, "apply", "--dry-run"});
  EXPECT_EQ(apply.exit_code, 0);
  EXPECT_NE(apply.out.find("would apply 001_metadata.sql"), std::string::npos) << apply.out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'sync_metadata'"), "0");

  ASSERT_EQ(Run({"--config", config, "apply"}).exit_code, 0);
  std::string password_file = tmp_.File("dry.password");
  ProcessResult add = Run({"--config", config, "cluster", "add", "dry-run-cluster", "--password-file", password_file,
                           "--dry-run"});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_NE(add.out.find("would create login role tenantsync_dry-run-cluster"), std::string::npos) << add.out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'tenantsync_dry-run-cluster'"), "0");
  EXPECT_EQ(access(password_file.c_str(), F_OK), -1);

  std::string cluster = AddCluster("dry");
  ProcessResult dep = Run({"--config", config, "deployment", "add", "acme", "--cluster", cluster, "--sqlite",
                           "/srv/acme/webui.db", "--dry-run"});
  EXPECT_EQ(dep.exit_code, 0) << dep.err;
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.client_deployments"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'client_acme'"), "0");
}

TEST_F(SyncSchemaCliTest, ClusterPasswordIsWrittenOwnerOnlyAndPrintedOnlyWhenAsked) {
  std::string config = Config();
  ASSERT_EQ(Run({"--config", config, "apply"}).exit_code, 0);
  std::string cluster = "cli-" + std::to_string(getpid());
  roles_.push_back(RoleForCluster(cluster));
  std::string file = PasswordFile(cluster);  // where ConnectAsCluster looks
  ProcessResult add = Run({"--config", config, "cluster", "add", cluster, "--password-file", file});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string password = FirstLine(ReadFile(file));
  EXPECT_EQ(password.size(), 43u);
  EXPECT_EQ(add.out.find(password), std::string::npos);
  EXPECT_EQ(add.err.find(password), std::string::npos);
  EXPECT_NO_THROW(ConnectAsCluster(cluster));  // the file logs in

  ProcessResult again = Run({"--config", config, "cluster", "add", cluster, "--password-file", file});
  EXPECT_EQ(again.exit_code, 65);
  EXPECT_EQ(Run({"--config", config, "cluster", "add", cluster, "--password-file", file, "--if-not-exists"}).exit_code,
            0);

  ProcessResult rotate = Run({"--config", config, "rotate-password", cluster, "--password-file", file,
                              "--print-password"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  std::string rotated = FirstLine(ReadFile(file));
  EXPECT_NE(rotated, password);
  EXPECT_NE(rotate.out.find(rotated), std::string::npos);  // asked for, so printed
  EXPECT_NO_THROW(ConnectAsCluster(cluster));
  WriteFile(tmp_.File("old.password"), password + "\n");
  EXPECT_THROW(PgConn::Connect({Cluster()->TcpConninfo(dbname_, RoleForCluster(cluster)), tmp_.File("old.password"),
                                "tests", 10}),
               PgError);
}

// Secrets never appear in argv, logs or error messages.
TEST_F(SyncSchemaCliTest, FailedLoginNeverShowsThePassword) {
  ApplySchema();
  std::string cluster = AddCluster("secret");
  const std::string wrong = "Wr0ng-But-Secret-Passw0rd-4711";
  WriteFile(tmp_.File("wrong.password"), wrong + "\n");
  std::string path = tmp_.File("wrong.toml");
  WriteFile(path,
            fmt::format("[postgres]\nadmin_conninfo = \"{}\"\nadmin_password_file = \"{}\"\n",
                        Cluster()->TcpConninfo(dbname_, RoleForCluster(cluster)), tmp_.File("wrong.password")),
            0644);
  ProcessResult r = Run({"--config", path, "--log-level", "debug", "status"});
  EXPECT_EQ(r.exit_code, 77) << r.err;
  EXPECT_NE(r.err.find("PostgreSQL refused the login"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(wrong), std::string::npos);

  // A successful login at debug level does not show the right one either.
  std::string right = FirstLine(ReadFile(PasswordFile(cluster)));
  std::string node = tmp_.File("node.toml");
  WriteFile(node,
            fmt::format("[node]\ncluster = \"{}\"\n[postgres]\nconninfo = \"{}\"\npassword_file = \"{}\"\n", cluster,
                        Cluster()->TcpConninfo(dbname_, RoleForCluster(cluster)), PasswordFile(cluster)),
            0644);
  ProcessResult ok = Run({"--config", node, "--log-level", "debug", "check-role"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.err.find(right), std::string::npos);
  EXPECT_EQ(ok.out.find(right), std::string::npos);
}

TEST_F(SyncSchemaCliTest, PasswordFileReadableByOthersIsRefused) {
  WriteFile(tmp_.File("open.password"), "whatever\n", 0644);
  std::string path = tmp_.File("open.toml");
  WriteFile(path, fmt::format("[postgres]\nadmin_conninfo = \"{}\"\nadmin_password_file = \"{}\"\n", AdminConninfo(),
                              tmp_.File("open.password")),
            0644);
  ProcessResult r = Run({"--config", path, "status"});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_NE(r.err.find("readable by group or others"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("whatever"), std::string::npos);
}

TEST_F(SyncSchemaCliTest, CheckRoleRefusesASuperuserWith77) {
  ApplySchema();
  std::string cluster = AddCluster("check");
  std::string path = tmp_.File("super.toml");
  WriteFile(path, fmt::format("[node]\ncluster = \"{}\"\n[postgres]\nconninfo = \"{}\"\n", cluster, AdminConninfo()),
            0644);
  ProcessResult r = Run({"--config", path, "check-role", "--json"});
  EXPECT_EQ(r.exit_code, 77) << r.err;
  EXPECT_NE(r.out.find("\"ok\":false"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("is a superuser"), std::string::npos) << r.err;
}

TEST_F(SyncSchemaCliTest, DeploymentLifecycle) {
  std::string config = Config();
  ApplySchema();
  std::string cluster = AddCluster("dep");
  ProcessResult add = Run({"--config", config, "deployment", "add", "Acme.Corp", "--cluster", cluster, "--sqlite",
                           "/srv/acme/webui.db"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'client_acme_corp'"), "1");
  EXPECT_EQ(Scalar("SELECT has_schema_privilege($1, 'client_acme_corp', 'USAGE')", {RoleForCluster(cluster)}), "t");

  // Re-adding the same is idempotent; the same name with other settings is refused.
  EXPECT_EQ(Run({"--config", config, "deployment", "add", "Acme.Corp", "--cluster", cluster, "--sqlite",
                 "/srv/acme/webui.db"})
                .exit_code,
            0);
  EXPECT_EQ(Run({"--config", config, "deployment", "add", "Acme.Corp", "--cluster", cluster, "--sqlite",
                 "/srv/other/webui.db"})
                .exit_code,
            65);
  EXPECT_EQ(Run({"--config", config, "deployment", "add", "x", "--cluster", cluster, "--sqlite", "relative.db"})
                .exit_code,
            64);
  EXPECT_EQ(Run({"--config", config, "deployment", "add", "x", "--cluster", "no-such", "--sqlite", "/a.db"}).exit_code,
            65);

  ProcessResult list = Run({"--config", config, "deployment", "list", "--json"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("\"name\":\"Acme.Corp\""), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("\"target_schema\":\"client_acme_corp\""), std::string::npos);

  EXPECT_EQ(Run({"--config", config, "deployment", "remove", "Acme.Corp"}).exit_code, 0);
  EXPECT_EQ(Scalar("SELECT has_schema_privilege($1, 'client_acme_corp', 'USAGE')", {RoleForCluster(cluster)}), "f");
  EXPECT_EQ(Run({"--config", config, "deployment", "remove", "Acme.Corp"}).exit_code, 1);
}

}  // namespace
}  // namespace tenantsync::testing

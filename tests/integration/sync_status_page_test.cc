// GET / in a real browser: headless Chromium loads the page from an
// in-process sync-status and prints the DOM it built (--dump-dom), and the
// test reads that DOM: the title, the node's row, each deployment with its
// lag and pending conflicts, and the conflict itself, whose row key carries
// markup that must stay text. Skips only where Chromium is not installed;
// TENANTSYNC_REQUIRE_CHROMIUM=1 (set by `make test`, which installs the
// Debian package) turns that skip into a failure.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/integration/status_fixture.h"

namespace tenantsync::testing {
namespace {

// The first executable `name` on $PATH, or "".
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Chromium's crash handler leaves the browser's process group (setsid) and
// may outlive it by a moment. Every Chromium process names the profile
// directory on its command line, so whatever is still running when the test
// ends, however it ends, is found by that path and killed; nothing else is.
class KillLeftovers {
 public:
  explicit KillLeftovers(std::string marker) : marker_(std::move(marker)) {}
  ~KillLeftovers() { Reap(); }
  KillLeftovers(const KillLeftovers&) = delete;
  KillLeftovers& operator=(const KillLeftovers&) = delete;

  // Gives them 5 s to exit, kills the rest; returns any still alive after.
  std::vector<pid_t> Reap() {
    if (!WaitUntilGone(std::chrono::seconds(5))) {
      for (pid_t pid : LiveProcessesMentioning(marker_)) {
        std::cout << "[ chromium ] killing pid " << pid << ", still running 5 s after the browser exited\n";
        kill(pid, SIGKILL);
      }
      WaitUntilGone(std::chrono::seconds(2));
    }
    return LiveProcessesMentioning(marker_);
  }

 private:
  bool WaitUntilGone(std::chrono::seconds limit) {
    for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
      if (LiveProcessesMentioning(marker_).empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return LiveProcessesMentioning(marker_).empty();
  }

  std::string marker_;
};

class SyncStatusPageTest : public SyncStatusTest {};

TEST_F(SyncStatusPageTest, HomePageRendersInHeadlessChromium) {
  std::string chromium = FindOnPath("chromium");
  if (chromium.empty()) chromium = FindOnPath("chromium-browser");
  if (chromium.empty()) {
    const char* require = std::getenv("TENANTSYNC_REQUIRE_CHROMIUM");
    if (require != nullptr && std::string(require) == "1") {
      FAIL() << "neither chromium nor chromium-browser is on PATH and TENANTSYNC_REQUIRE_CHROMIUM=1";
    }
    GTEST_SKIP() << "neither chromium nor chromium-browser is on PATH (Debian: apt-get install chromium)";
  }

  ElectAndSync();
  std::string acme_id = Scalar("SELECT deployment_id FROM sync_metadata.client_deployments WHERE name = 'acme'");
  // A row key with markup in it: the browser must show it as text.
  Admin().Exec(fmt::format("INSERT INTO sync_metadata.conflict_log (cluster_name, deployment_id, table_name, row_key,"
                           " strategy) VALUES ('{}', {}, 'note', '{{\"id\": \"<b>n1</b>\"}}', 'manual')",
                           cluster_, acme_id));
  uint16_t port = StartServer();

  TempDir browser_dir;
  KillLeftovers leftovers(browser_dir.path());  // destroyed first: nothing writes into the removed directory
  std::vector<std::string> argv{
      chromium,
      // The current headless mode: the full browser, without a window.
      "--headless=new",
      // Tests run as root under `make test` and CI, where Chromium will not
      // start with its sandbox. It loads only our own page, from loopback.
      "--no-sandbox",
      // No GPU on CI machines: do not probe for one.
      "--disable-gpu",
      // Containers often give /dev/shm 64 MB; use /tmp for shared memory.
      "--disable-dev-shm-usage",
      // A fresh profile in a temporary directory, never the user's.
      "--user-data-dir=" + browser_dir.File("profile"),
      "--no-first-run",
      "--no-default-browser-check",
      // Print the DOM once the page has loaded, and exit.
      "--dump-dom",
      fmt::format("http://127.0.0.1:{}/", port)};
  // The crash handler keeps its database under $HOME/.config, outside the
  // profile: point HOME and the XDG directories into the temporary
  // directory too, so nothing lands in the real home.
  std::vector<std::string> env{"HOME=" + browser_dir.path(), "XDG_CONFIG_HOME=" + browser_dir.File("config"),
                               "XDG_CACHE_HOME=" + browser_dir.File("cache")};
  ProcessResult browser = RunProcessWithTimeout(argv, std::chrono::seconds(90), env);
  ASSERT_FALSE(browser.timed_out) << "chromium did not finish within 90 s:\n" << browser.err;
  ASSERT_EQ(browser.exit_code, 0) << browser.err;
  EXPECT_TRUE(leftovers.Reap().empty()) << "chromium processes still running";
  const std::string& dom = browser.out;

  // What the browser built, not what the server sent: its parser adds the
  // <tbody> that the page leaves out, in each of the three tables.
  EXPECT_EQ(Count(dom, "<table><tbody><tr><th>"), 3U) << dom;
  EXPECT_TRUE(Contains(dom, "<title>tenantsync status</title>")) << dom;
  EXPECT_TRUE(Contains(dom, fmt::format("<h1>tenantsync: node-a of cluster {}: healthy</h1>", cluster_))) << dom;
  EXPECT_TRUE(Contains(dom, "<p>PostgreSQL: reachable. Leader: node-a (epoch 1).</p>")) << dom;
  // Nodes: this node, active, leading.
  EXPECT_TRUE(std::regex_search(dom, std::regex(R"(<tr><td>node-a</td><td>active</td><td>\d+</td><td>yes</td></tr>)")))
      << dom;
  // Deployments: the lag since the last successful run, the last run, the
  // pending conflicts and quarantined rows, the state.
  std::smatch acme;
  ASSERT_TRUE(std::regex_search(dom, acme,
                                std::regex(R"(<tr><td>acme</td><td>(\d+)s ago</td><td>succeeded</td>)"
                                           R"(<td>1</td><td>0</td><td>ok</td></tr>)")))
      << dom;
  EXPECT_LT(std::stoi(acme[1].str()), config_.status.max_lag.count()) << "a lag beyond max_lag on a healthy page";
  EXPECT_TRUE(std::regex_search(
      dom, std::regex(R"(<tr><td>beta</td><td>\d+s ago</td><td>succeeded</td><td>0</td><td>0</td><td>ok</td></tr>)")))
      << dom;
  // The pending conflict, its row key shown as text: no <b> element.
  EXPECT_TRUE(std::regex_search(
      dom, std::regex(R"(<tr><td>\d+</td><td>acme</td><td>note</td><td>\{"id": "&lt;b&gt;n1&lt;/b&gt;"\}</td>)"
                      R"(<td>manual</td><td>[0-9T:.-]+Z</td></tr>)")))
      << dom;
  EXPECT_FALSE(Contains(dom, "<b>")) << dom;
}

}  // namespace
}  // namespace tenantsync::testing

// The systemd units in systemd/ (docs/operations.md): the exit codes they
// name are the code's (ExitCodeTable()), the election gate maps failures to
// 255, every oneshot is bounded, and systemd itself accepts the units
// (`systemd-analyze verify`) and rates the sync units' sandbox at an exposure
// of at most 2.0 (`systemd-analyze security --offline=true`). The two
// systemd-analyze tests skip only where systemd-analyze is missing.

#include <gtest/gtest.h>
#include <signal.h>
#include <string.h>  // sigabbrev_np
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/exit_code.h"
#include "temp_dir.h"

namespace tenantsync {
namespace {

namespace fs = std::filesystem;

const fs::path kUnitDir = fs::path(TENANTSYNC_SOURCE_DIR) / "systemd";

// The units whose sandbox must score <= 2.0: everything that runs our code.
const char* const kSandboxedServices[] = {"tenantsync-sync.service", "tenantsync-lease.service",
                                          "tenantsync-prune.service"};

struct Directive {
  std::string section;
  std::string key;
  std::string value;
  int line = 0;          // 1-based
  std::string comment;   // the '#' lines directly above it, joined
};

struct Unit {
  std::string name;
  fs::path path;
  std::string text;
  std::vector<Directive> directives;

  std::vector<const Directive*> All(std::string_view key) const {
    std::vector<const Directive*> out;
    for (const Directive& d : directives) {
      if (d.key == key) out.push_back(&d);
    }
    return out;
  }
};

std::string Trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

std::vector<std::string> Words(const std::string& value) {
  std::istringstream in(value);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Unit ParseUnit(const fs::path& path) {
  Unit unit{path.filename().string(), path, ReadFileBytes(path.string()), {}};
  std::istringstream in(unit.text);
  std::string section;
  std::string comment;
  int number = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++number;
    std::string line = Trim(raw);
    if (line.empty()) {
      comment.clear();
    } else if (line[0] == '#' || line[0] == ';') {
      comment += line + "\n";
    } else if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      comment.clear();
    } else {
      size_t eq = line.find('=');
      if (eq == std::string::npos) ADD_FAILURE() << unit.name << ":" << number << ": not key=value: " << line;
      else unit.directives.push_back({section, Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)), number, comment});
      comment.clear();
    }
  }
  return unit;
}

std::vector<Unit> LoadUnits() {
  std::vector<fs::path> paths;
  for (const fs::directory_entry& e : fs::directory_iterator(kUnitDir)) {
    std::string ext = e.path().extension().string();
    if (ext == ".service" || ext == ".timer") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Unit> units;
  for (const fs::path& p : paths) units.push_back(ParseUnit(p));
  return units;
}

const ExitCodeInfo* FindExitCode(int code) {
  for (const ExitCodeInfo& info : ExitCodeTable()) {
    if (ToInt(info.code) == code) return &info;
  }
  return nullptr;
}

bool IsSignalName(const std::string& word) {
  if (word.rfind("SIG", 0) != 0) return false;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && word.substr(3) == abbrev) return true;
  }
  return false;
}

struct CommandResult {
  int status = -1;  // exit status, or -1 when it did not exit normally
  std::string output;
};

// Runs a shell command; stdout and stderr together.
CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.status = WEXITSTATUS(status);
  return result;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool HaveSystemdAnalyze() { return RunShell("command -v systemd-analyze").status == 0; }

// Copies of the units in a temporary directory, with /usr/bin/sync-* (not
// installed here) pointing at stand-ins, since verify checks that every
// command exists. Everything else is byte for byte the same.
class StagedUnits {
 public:
  StagedUnits() {
    fs::create_directories(dir_.path() / "bin");
    for (const Unit& unit : LoadUnits()) {
      std::string text = unit.text;
      static const std::regex kTool("/usr/bin/(sync-[a-z]+)");
      std::smatch m;
      std::string rewritten;
      auto begin = text.cbegin();
      while (std::regex_search(begin, text.cend(), m, kTool)) {
        std::string stand_in = (dir_.path() / "bin" / m[1].str()).string();
        if (!fs::exists(stand_in)) {
          WriteFileBytes(stand_in, "#!/bin/sh\nexit 0\n");
          fs::permissions(stand_in, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
        }
        rewritten.append(begin, m[0].first).append(stand_in);
        begin = m[0].second;
      }
      rewritten.append(begin, text.cend());
      WriteFileBytes(dir_.File(unit.name), rewritten);
      names_.push_back(unit.name);
    }
  }

  std::string Path(const std::string& name) const { return dir_.File(name); }
  const std::vector<std::string>& names() const { return names_; }

 private:
  ScopedTempDir dir_;
  std::vector<std::string> names_;
};

TEST(SystemdUnitsTest, TheUnitsArePresent) {
  std::vector<std::string> names;
  for (const Unit& u : LoadUnits()) names.push_back(u.name);
  for (const char* expected : {"tenantsync-lease.service", "tenantsync-sync.service", "tenantsync-sync.timer",
                               "tenantsync-prune.service", "tenantsync-prune.timer"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected << " missing in systemd/";
  }
}

// Every status a unit names (SuccessExitStatus=, RestartPreventExitStatus=,
// RestartForceExitStatus=) is a number from ExitCodeTable() or a signal, and
// the comment right above the setting says what each number is, by its
// table name ("75 EX_TEMPFAIL"), so the units cannot drift from the code.
TEST(SystemdUnitsTest, ExitStatusesAreInTheCodeTableAndCommented) {
  int checked = 0;
  for (const Unit& unit : LoadUnits()) {
    for (const Directive& d : unit.directives) {
      if (d.key.size() < 10 || d.key.compare(d.key.size() - 10, 10, "ExitStatus") != 0) continue;
      for (const std::string& word : Words(d.value)) {
        SCOPED_TRACE(unit.name + ":" + std::to_string(d.line) + ": " + d.key + "=" + d.value);
        if (IsSignalName(word)) continue;
        ASSERT_TRUE(!word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
            << "write exit statuses as numbers (or SIG... names), not '" << word << "'";
        int code = std::stoi(word);
        const ExitCodeInfo* info = FindExitCode(code);
        ASSERT_NE(info, nullptr) << code << " is not in ExitCodeTable() (common/exit_code.cc)";
        std::string expected = word + " " + std::string(info->name);
        EXPECT_NE(d.comment.find(expected), std::string::npos)
            << "the comment above " << d.key << "= must say '" << expected << "'; it says:\n"
            << d.comment;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0) << "no unit names an exit status: the sync unit should list 75";
}

// 75 (lease lost, retry next tick) and a planned stop's SIGTERM must not mark
// the sync unit failed; every other failure must.
TEST(SystemdUnitsTest, SyncUnitTreatsLeaseLossAndPlannedStopAsClean) {
  Unit unit = ParseUnit(kUnitDir / "tenantsync-sync.service");
  std::vector<std::string> success;
  for (const Directive* d : unit.All("SuccessExitStatus")) {
    for (const std::string& w : Words(d->value)) success.push_back(w);
  }
  std::sort(success.begin(), success.end());
  EXPECT_EQ(success, (std::vector<std::string>{std::to_string(ToInt(ExitCode::kTempFail)), "SIGTERM"}));
  EXPECT_TRUE(unit.All("RestartPreventExitStatus").empty());
  EXPECT_TRUE(unit.All("Restart").empty()) << "the timer is the retry; Restart= would race it";
}

// The election gate: sync-elect under --exec-condition, so that a failure
// is 255 (unit failed), not 1-254 (skipped silently). This is also why
// SuccessExitStatus=75 cannot let a failed election through: with
// --exec-condition sync-elect never exits 75.
TEST(SystemdUnitsTest, ExecConditionElectsWithExecConditionFlag) {
  int conditions = 0;
  for (const Unit& unit : LoadUnits()) {
    for (const Directive* d : unit.All("ExecCondition")) {
      std::vector<std::string> argv = Words(d->value);
      ASSERT_FALSE(argv.empty());
      EXPECT_EQ(argv[0], "/usr/bin/sync-elect") << unit.name;
      EXPECT_NE(std::find(argv.begin(), argv.end(), "--exec-condition"), argv.end())
          << unit.name << ":" << d->line << ": ExecCondition= without --exec-condition";
      ++conditions;
    }
  }
  Unit sync = ParseUnit(kUnitDir / "tenantsync-sync.service");
  EXPECT_EQ(sync.All("ExecCondition").size(), 1U);
  EXPECT_EQ(conditions, 1);
}

// Every tool a unit runs reads the same file, the tools' default path.
TEST(SystemdUnitsTest, ToolsRunWithTheDefaultConfigPath) {
  int tools = 0;
  for (const Unit& unit : LoadUnits()) {
    for (const Directive& d : unit.directives) {
      if (d.key.rfind("Exec", 0) != 0) continue;
      std::vector<std::string> argv = Words(d.value);
      if (argv.empty() || argv[0].rfind("/usr/bin/sync-", 0) != 0) continue;
      auto flag = std::find(argv.begin(), argv.end(), "--config");
      ASSERT_NE(flag, argv.end()) << unit.name << ":" << d.line;
      ASSERT_NE(flag + 1, argv.end()) << unit.name << ":" << d.line;
      EXPECT_EQ(*(flag + 1), kDefaultConfigPath) << unit.name << ":" << d.line;
      ++tools;
    }
  }
  EXPECT_GE(tools, 3);  // sync-elect (gate), sync-run, sync-elect --release
}

// Type=oneshot has no start timeout by default: a hung run would block the
// timer for ever. Every oneshot sets a finite TimeoutStartSec=.
// The units that run our code get the password as a credential, as the user
// the sandbox defines.
TEST(SystemdUnitsTest, OneshotsAreBoundedAndGetTheCredential) {
  for (const Unit& unit : LoadUnits()) {
    if (unit.path.extension() != ".service") continue;
    SCOPED_TRACE(unit.name);
    auto type = unit.All("Type");
    ASSERT_EQ(type.size(), 1U);
    if (type[0]->value == "oneshot") {
      auto timeout = unit.All("TimeoutStartSec");
      ASSERT_FALSE(timeout.empty()) << "Type=oneshot without TimeoutStartSec=";
      std::string value = timeout.back()->value;
      EXPECT_NE(value, "infinity");
      EXPECT_NE(value, "0");
      EXPECT_FALSE(value.empty());
    }
    // sync-schema (the prune) acts as the admin; every other tool as the node.
    bool admin = unit.text.find("/usr/bin/sync-schema ") != std::string::npos;
    auto credential = unit.All("LoadCredential");
    ASSERT_EQ(credential.size(), 1U);
    EXPECT_EQ(credential[0]->value, admin ? "tenantsync-admin.password:/etc/tenantsync/tenantsync-admin.password"
                                          : "tenantsync.password:/etc/tenantsync/tenantsync.password");
    auto dynamic = unit.All("DynamicUser");
    ASSERT_EQ(dynamic.size(), 1U);
    EXPECT_EQ(dynamic[0]->value, "yes");
  }
}

// The lease unit releases on stop, and stops only after the sync unit: the
// sync unit is ordered After= it (stop order is the reverse of start order).
TEST(SystemdUnitsTest, LeaseIsReleasedAfterTheSyncUnitStops) {
  Unit lease = ParseUnit(kUnitDir / "tenantsync-lease.service");
  auto stop = lease.All("ExecStop");
  ASSERT_EQ(stop.size(), 1U);
  std::vector<std::string> argv = Words(stop[0]->value);
  EXPECT_EQ(argv.at(0), "/usr/bin/sync-elect");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--release"), argv.end());
  ASSERT_EQ(lease.All("RemainAfterExit").size(), 1U);
  EXPECT_EQ(lease.All("RemainAfterExit")[0]->value, "yes");

  Unit sync = ParseUnit(kUnitDir / "tenantsync-sync.service");
  auto names = [](const Unit& u, std::string_view key) {
    std::vector<std::string> out;
    for (const Directive* d : u.All(key)) {
      for (const std::string& w : Words(d->value)) out.push_back(w);
    }
    return out;
  };
  auto after = names(sync, "After");
  EXPECT_NE(std::find(after.begin(), after.end(), "tenantsync-lease.service"), after.end());
  auto requires_ = names(sync, "Requires");
  EXPECT_NE(std::find(requires_.begin(), requires_.end(), "tenantsync-lease.service"), requires_.end());
  Unit timer = ParseUnit(kUnitDir / "tenantsync-sync.timer");
  auto part_of = names(timer, "PartOf");
  EXPECT_NE(std::find(part_of.begin(), part_of.end(), "tenantsync-lease.service"), part_of.end());
}

TEST(SystemdUnitsTest, SystemdAnalyzeVerifyIsClean) {
  if (!HaveSystemdAnalyze()) GTEST_SKIP() << "systemd-analyze is not installed";
  StagedUnits staged;
  std::string command = "systemd-analyze verify --man=no";
  for (const std::string& name : staged.names()) command += " " + Quote(staged.Path(name));
  CommandResult r = RunShell(command);
  std::cout << "[ verify   ] " << staged.names().size() << " units: exit " << r.status << "\n";
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(Trim(r.output), "") << "systemd-analyze verify printed warnings";
}

TEST(SystemdUnitsTest, SystemdAnalyzeSecurityExposureAtMost2) {
  if (!HaveSystemdAnalyze()) GTEST_SKIP() << "systemd-analyze is not installed";
  StagedUnits staged;
  for (const char* name : kSandboxedServices) {
    SCOPED_TRACE(name);
    // --threshold=20: exit non-zero when the exposure is above 2.0.
    CommandResult r =
        RunShell("systemd-analyze security --offline=true --threshold=20 --no-pager " + Quote(staged.Path(name)));
    std::smatch m;
    static const std::regex kScore(R"(Overall exposure level for (\S+): ([0-9]+\.[0-9]+) (\S+))");
    ASSERT_TRUE(std::regex_search(r.output, m, kScore)) << r.output;
    double score = std::stod(m[2].str());
    std::cout << "[ security ] " << m[1].str() << ": exposure " << m[2].str() << " " << m[3].str() << "\n";
    ::testing::Test::RecordProperty(std::string(name) + ".exposure", m[2].str());
    EXPECT_EQ(m[1].str(), name);
    EXPECT_LE(score, 2.0) << r.output;
    EXPECT_EQ(r.status, 0) << r.output;
  }
}

}  // namespace
}  // namespace tenantsync

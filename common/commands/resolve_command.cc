#include "common/commands/resolve_command.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "common/conflict/resolution.h"
#include "common/json.h"
#include "common/lease/write_lease.h"
#include "common/log.h"
#include "common/pg/connect_spec.h"
#include "common/schema/privilege_check.h"

namespace tenantsync {
namespace {

// "sync-resolve by alice on node-a": who settled a conflict, for the log.
std::string ResolvedBy(const Config& config) {
  std::string user;
  if (const char* sudo = std::getenv("SUDO_USER")) user = sudo;
  if (user.empty()) {
    if (const passwd* pw = getpwuid(getuid())) user = pw->pw_name;
  }
  return fmt::format("sync-resolve by {} on {}", user.empty() ? "?" : user, config.node.name);
}

void WriteConflictJson(JsonWriter& w, const ConflictRecord& c) {
  w.BeginObject().Key("id").Int(c.id).Key("deployment").String(c.deployment).Key("table").String(c.table);
  w.Key("key").Raw(c.row_key).Key("strategy").String(c.strategy).Key("outcome").String(c.outcome);
  w.Key("detected_at").String(c.detected_at);
  w.Key("source_row").Raw(c.source_row.value_or("null")).Key("target_row").Raw(c.target_row.value_or("null"));
  w.Key("resolved_row").Raw(c.resolved_row.value_or("null"));
  w.Key("resolved_by").StringOrNull(c.resolved_by).Key("resolved_at").StringOrNull(c.resolved_at);
  w.Key("clashes").Raw(c.clashes_json).EndObject();
}

// At most `width` code points, "…" marking a cut; control characters shown
// escaped so a value cannot move the terminal's cursor.
std::string Cell(const std::string& json_value, size_t width) {
  std::string out;
  size_t points = 0;
  for (size_t i = 0; i < json_value.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(json_value[i]);
    if ((ch & 0xC0) != 0x80) ++points;
    if (points > width) {
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty()) out.pop_back();
      return out + "…";
    }
    out += ch < 0x20 || ch == 0x7F ? '?' : static_cast<char>(ch);
  }
  return out;
}

void PrintList(const std::vector<ConflictRecord>& conflicts) {
  fmt::print("{:>8}  {:<16} {:<16} {:<28} {:<12} {:<15} {}\n", "ID", "DEPLOYMENT", "TABLE", "KEY", "STRATEGY",
             "OUTCOME", "DETECTED");
  for (const ConflictRecord& c : conflicts) {
    fmt::print("{:>8}  {:<16} {:<16} {:<28} {:<12} {:<15} {}\n", c.id, Cell(c.deployment, 16), Cell(c.table, 16),
               Cell(c.row_key, 28), c.strategy, c.outcome, c.detected_at);
  }
}

// Side by side, one line per column; differing columns marked (and in bold
// red on a terminal).
void PrintShow(PgConn& conn, const ConflictRecord& c, bool color) {
  fmt::print("conflict {}  {} / {}  key {}\n", c.id, c.deployment, c.table, c.row_key);
  fmt::print("strategy {}, outcome {}, detected {}\n", c.strategy, c.outcome, c.detected_at);
  if (c.resolved_by) fmt::print("resolved by {} at {}\n", *c.resolved_by, c.resolved_at.value_or("?"));
  if (c.clashes_json != "[]") fmt::print("clashing: {}\n", c.clashes_json);
  // Each value as its text; SQL NULL as NULL (--json gives the exact images).
  auto columns = [&conn](const std::optional<std::string>& image) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!image) return out;
    for (auto& [name, value] : ImageColumns(conn, *image)) out.emplace_back(name, value.value_or("NULL"));
    return out;
  };
  std::vector<std::pair<std::string, std::string>> source = columns(c.source_row), target = columns(c.target_row);
  std::map<std::string, std::string> target_by_name(target.begin(), target.end());
  size_t name_width = 6;
  for (const auto& [name, value] : source) name_width = std::max(name_width, std::min<size_t>(name.size(), 24));
  fmt::print("\n  {:<{}} {:<40} {}\n", "column", name_width, "source", "target");
  for (const auto& [name, value] : source) {
    auto t = target_by_name.find(name);
    std::string target_value = t == target_by_name.end() ? "(absent)" : t->second;
    bool differs = target_value != value;
    std::string line = fmt::format("{} {:<{}} {:<40} {}", differs ? "*" : " ", Cell(name, 24), name_width,
                                   Cell(value, 40), Cell(target_value, 40));
    fmt::print("{}\n", differs && color ? "\033[1;31m" + line + "\033[0m" : line);
  }
}

ExitCode Settle(PgConn& conn, const Config& config, const ResolveOptions& o,
                const std::vector<ConflictRecord>& conflicts) {
  std::optional<LeaseKeeper> lease;
  if (!o.dry_run) lease.emplace(TakeWriteLease(conn, config, "sync-resolve"));
  ResolveContext ctx{conn, config, NodeTxnOptions(config), nullptr, ResolvedBy(config), o.dry_run};
  if (lease) ctx.fence = [&lease](PgConn& c) { lease->Fence(c); };
  JsonWriter w;
  w.BeginObject().Key("dry_run").Bool(o.dry_run).Key("conflicts").BeginArray();
  long settled = 0;
  for (const ConflictRecord& c : conflicts) {
    std::optional<Take> take = o.take;
    if (!take) {
      const TableConfig& table = config.ForTable(c.table);
      take = TakeForStrategy(conn, c, o.strategy.value_or(table.conflict), table);
    }
    Resolution r;
    if (take) {
      r = Resolve(ctx, c, *take);
    } else {
      r.reason = "strategy manual: left for a person";
    }
    if (!r.outcome.empty()) ++settled;
    if (o.json) {
      w.BeginObject().Key("id").Int(c.id).Key("table").String(c.table).Key("key").Raw(c.row_key);
      w.Key("outcome").StringOrNull(r.outcome.empty() ? std::nullopt : std::optional<std::string>(r.outcome));
      w.Key("reason").StringOrNull(r.reason.empty() ? std::nullopt : std::optional<std::string>(r.reason));
      w.EndObject();
    } else if (r.outcome.empty()) {
      fmt::print("{:>8}  {} {}: not settled: {}\n", c.id, c.table, c.row_key, r.reason);
    } else {
      fmt::print("{:>8}  {} {}: {}{}\n", c.id, c.table, c.row_key, r.outcome, o.dry_run ? " (dry run)" : "");
    }
  }
  if (o.json) {
    w.EndArray().Key("settled").Int(settled).EndObject();
    fmt::print("{}\n", w.str());
  } else {
    fmt::print("{} of {} conflict(s) settled{}\n", settled, conflicts.size(), o.dry_run ? " (dry run: nothing kept)" : "");
  }
  return settled > 0 ? ExitCode::kOk : ExitCode::kNo;
}

}  // namespace

ExitCode RunResolve(const Config& config, const ResolveOptions& o) {
  PgConn conn = PgConn::Connect(NodeConnectSpec(config, "sync-resolve"));
  CheckSyncRolePrivileges(conn, config.RequireCluster());
  ConflictFilter filter = o.filter;
  // Only pending conflicts can be settled.
  if (o.command == ResolveOptions::Command::kApply || o.command == ResolveOptions::Command::kAuto) {
    filter.pending_only = true;
  }
  std::vector<ConflictRecord> conflicts = FindConflicts(conn, filter);
  if (conflicts.empty()) {
    if (o.json) {
      fmt::print("{}\n", o.command == ResolveOptions::Command::kShow ? "null" : "[]");
    } else {
      Log(LogLevel::kNotice, "no conflict matched");
    }
    return ExitCode::kNo;
  }
  switch (o.command) {
    case ResolveOptions::Command::kList:
    case ResolveOptions::Command::kShow: {
      if (o.json) {
        JsonWriter w;
        if (o.command == ResolveOptions::Command::kList) w.BeginArray();
        for (const ConflictRecord& c : conflicts) WriteConflictJson(w, c);
        if (o.command == ResolveOptions::Command::kList) w.EndArray();
        fmt::print("{}\n", w.str());
      } else if (o.command == ResolveOptions::Command::kList) {
        PrintList(conflicts);
      } else {
        PrintShow(conn, conflicts.front(), o.color);
      }
      return ExitCode::kOk;
    }
    case ResolveOptions::Command::kApply:
    case ResolveOptions::Command::kAuto:
      return Settle(conn, config, o, conflicts);
  }
  return ExitCode::kOk;
}

}  // namespace tenantsync

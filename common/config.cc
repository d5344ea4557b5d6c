#include "common/config.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <regex>
#include <set>
#include <libpq-fe.h>
#include <toml++/toml.h>

#include "common/error.h"
#include "common/files.h"

namespace tenantsync {
namespace {

std::string Where(const std::string& origin, const toml::source_region& source) {
  return fmt::format("{}:{}:{}", origin, source.begin.line, source.begin.column);
}

// Reads one section, checking each key's type and refusing unknown keys.
class SectionReader {
 public:
  SectionReader(const toml::table& table, std::string origin, std::string section)
      : table_(table), origin_(std::move(origin)), section_(std::move(section)) {}

  ~SectionReader() = default;

  void String(const char* key, std::string& out) {
    known_.insert(key);
    if (const toml::node* node = table_.get(key)) {
      auto value = node->value<std::string>();
      if (!node->is_string() || !value) Fail(*node, key, "a string");
      out = *value;
    }
  }

  void Int(const char* key, int& out, int min, int max) {
    known_.insert(key);
    if (const toml::node* node = table_.get(key)) {
      if (!node->is_integer()) Fail(*node, key, "an integer");
      int64_t v = *node->value<int64_t>();
      if (v < min || v > max) Fail(*node, key, fmt::format("an integer from {} to {}", min, max));
      out = static_cast<int>(v);
    }
  }

  void Bool(const char* key, bool& out) {
    known_.insert(key);
    if (const toml::node* node = table_.get(key)) {
      if (!node->is_boolean()) Fail(*node, key, "true or false");
      out = *node->value<bool>();
    }
  }

  void Double(const char* key, double& out, double min, double max) {
    known_.insert(key);
    if (const toml::node* node = table_.get(key)) {
      if (!node->is_floating_point() && !node->is_integer()) Fail(*node, key, "a number");
      std::optional<double> v = node->value<double>();  // empty for an integer beyond 2^53
      if (!v || !(*v >= min && *v <= max)) Fail(*node, key, fmt::format("a number from {} to {}", min, max));
      out = *v;
    }
  }

  void Duration(const char* key, std::chrono::seconds& out) {
    std::string text;
    String(key, text);
    if (const toml::node* node = table_.get(key)) out = ParseDuration(text, Where(origin_, node->source()));
  }

  template <typename Enum, size_t N>
  void Choice(const char* key, Enum& out, const std::array<std::pair<std::string_view, Enum>, N>& choices) {
    std::string text;
    String(key, text);
    if (text.empty() && !table_.contains(key)) return;
    for (const auto& [name, value] : choices) {
      if (text == name) {
        out = value;
        return;
      }
    }
    std::string names;
    for (const auto& [name, value] : choices) names += (names.empty() ? "" : " | ") + std::string(name);
    Fail(*table_.get(key), key, names);
  }

  // Refuses the key's value, when it is set, unless `ok`.
  void Require(const char* key, bool ok, const std::string& expected) const {
    if (!ok && table_.contains(key)) Fail(*table_.get(key), key, expected);
  }

  // Call after reading every key: refuses keys nobody asked for.
  void RefuseUnknown() const {
    for (const auto& [key, node] : table_) {
      if (!known_.count(std::string(key.str()))) {
        throw ConfigError(fmt::format("{}: unknown key '{}' in [{}]", Where(origin_, node.source()), key.str(),
                                      section_),
                          "see docs/configuration.md for the keys each section takes");
      }
    }
  }

 private:
  [[noreturn]] void Fail(const toml::node& node, const char* key, const std::string& expected) const {
    throw ConfigError(fmt::format("{}: [{}] {} must be {}", Where(origin_, node.source()), section_, key, expected));
  }

  const toml::table& table_;
  std::string origin_;
  std::string section_;
  std::set<std::string> known_;
};

// Secrets never live in the config file (docs/configuration.md): a conninfo that carries
// a password is refused. libpq's parse error is not echoed, since it can quote
// pieces of the string.
void RefuseInlinePassword(const toml::table& section, const char* key, const std::string& conninfo,
                          const std::string& origin) {
  if (conninfo.empty()) return;
  std::string where = Where(origin, section.get(key)->source());
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) {
    throw ConfigError(fmt::format("{}: [postgres] {} is not a valid libpq connection string or URI", where, key),
                      "write key=value pairs (host=... dbname=...) or a postgresql:// URI");
  }
  bool has_password = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') has_password = true;
  }
  PQconninfoFree(options);
  if (has_password) {
    throw ConfigError(fmt::format("{}: [postgres] {} contains a password", where, key),
                      "move it to a 0600 file named by password_file (or .pgpass, or a systemd credential)");
  }
}

const toml::table& SectionOrEmpty(const toml::table& root, const char* name, const std::string& origin) {
  static const toml::table kEmpty;
  const toml::node* node = root.get(name);
  if (node == nullptr) return kEmpty;
  if (!node->is_table()) {
    throw ConfigError(fmt::format("{}: '{}' must be a table ([{}])", Where(origin, node->source()), name, name));
  }
  return *node->as_table();
}

// The node's name goes into application_name, the hosts table and logs: a
// NUL would cut it short in libpq, a newline would forge log lines.
bool IsPrintableName(std::string_view name) {
  auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  return !name.empty() && std::none_of(name.begin(), name.end(), control);
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

constexpr std::array<std::pair<std::string_view, ConflictStrategy>, 5> kStrategies{{
    {"newest_wins", ConflictStrategy::kNewestWins},
    {"source_wins", ConflictStrategy::kSourceWins},
    {"target_wins", ConflictStrategy::kTargetWins},
    {"merge", ConflictStrategy::kMerge},
    {"manual", ConflictStrategy::kManual},
}};
constexpr std::array<std::pair<std::string_view, DeletePolicy>, 2> kDeletePolicies{{
    {"propagate", DeletePolicy::kPropagate},
    {"keep", DeletePolicy::kKeep},
}};
constexpr std::array<std::pair<std::string_view, CheckpointMode>, 2> kCheckpoints{{
    {"none", CheckpointMode::kNone},
    {"passive", CheckpointMode::kPassive},
}};

}  // namespace

std::string_view ToString(ConflictStrategy strategy) {
  for (const auto& [name, value] : kStrategies)
    if (value == strategy) return name;
  return "?";
}

std::string_view ToString(DeletePolicy policy) {
  for (const auto& [name, value] : kDeletePolicies)
    if (value == policy) return name;
  return "?";
}

constexpr std::array<std::pair<std::string_view, ToastCompression>, 2> kToastCompressions{{
    {"lz4", ToastCompression::kLz4},
    {"server", ToastCompression::kServer},
}};

std::string_view ToString(ToastCompression compression) {
  for (const auto& [name, value] : kToastCompressions)
    if (value == compression) return name;
  return "?";
}

std::string_view ToString(CheckpointMode mode) {
  for (const auto& [name, value] : kCheckpoints)
    if (value == mode) return name;
  return "?";
}

std::chrono::seconds ParseDuration(std::string_view text, const std::string& where) {
  int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t scale = 0;
  if (unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  if (ec != std::errc() || scale == 0 || number < 0) {
    throw ConfigError(fmt::format("{}: bad duration '{}'", where, text),
                      "write a whole number and a unit: s, m, h or d (e.g. \"90s\", \"1h\")");
  }
  if (number > kMaxDurationDays * 86400 / scale) {
    throw ConfigError(fmt::format("{}: duration '{}' is longer than {}d (100 years)", where, text, kMaxDurationDays));
  }
  return std::chrono::seconds(number * scale);
}

bool IsValidClusterName(const std::string& name) {
  // The CHECK on sync_metadata.clusters.cluster_name (sql/001_metadata.sql).
  static const std::regex kName("^[a-z0-9][a-z0-9_-]{0,39}$");
  return std::regex_match(name, kName);
}

const TableConfig& Config::ForTable(const std::string& table) const {
  static const TableConfig kBuiltIn;
  if (auto it = tables.find(table); it != tables.end()) return it->second;
  if (auto it = tables.find("*"); it != tables.end()) return it->second;
  return kBuiltIn;
}

const std::string& Config::RequireCluster() const {
  if (node.cluster.empty()) {
    throw ConfigError(fmt::format("{}: [node] cluster is not set", source_path.empty() ? "config" : source_path),
                      "set cluster = \"NAME\" under [node]: the HA pair this node belongs to");
  }
  return node.cluster;
}

Config ParseConfig(std::string_view toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}: {}", Where(origin, e.source()), e.description()));
  }

  Config config;
  config.source_path = origin;
  config.node.name = Hostname();

  {
    SectionReader r(SectionOrEmpty(root, "node", origin), origin, "node");
    r.String("cluster", config.node.cluster);
    r.String("name", config.node.name);
    r.String("state_dir", config.node.state_dir);
    r.Require("cluster", config.node.cluster.empty() || IsValidClusterName(config.node.cluster), kClusterNameRule);
    r.Require("name", IsPrintableName(config.node.name), "non-empty text without control characters");
    r.RefuseUnknown();
  }
  {
    SectionReader r(SectionOrEmpty(root, "postgres", origin), origin, "postgres");
    r.String("conninfo", config.postgres.conninfo);
    r.String("admin_conninfo", config.postgres.admin_conninfo);
    r.String("password_file", config.postgres.password_file);
    r.String("admin_password_file", config.postgres.admin_password_file);
    r.Int("connect_timeout_seconds", config.postgres.connect_timeout_seconds, 2, 600);
    r.Int("statement_timeout_seconds", config.postgres.statement_timeout_seconds, 1, kMaxStatementTimeoutSeconds);
    r.Int("lock_timeout_seconds", config.postgres.lock_timeout_seconds, 1, kMaxLockTimeoutSeconds);
    r.RefuseUnknown();
    const toml::table& section = SectionOrEmpty(root, "postgres", origin);
    RefuseInlinePassword(section, "conninfo", config.postgres.conninfo, origin);
    RefuseInlinePassword(section, "admin_conninfo", config.postgres.admin_conninfo, origin);
  }
  {
    SectionReader r(SectionOrEmpty(root, "lease", origin), origin, "lease");
    r.Int("ttl_seconds", config.lease.ttl_seconds, 5, 3600);
    r.RefuseUnknown();
  }
  {
    SectionReader r(SectionOrEmpty(root, "sync", origin), origin, "sync");
    r.Int("batch_rows", config.sync.batch_rows, 1, 1'000'000);
    r.Choice("checkpoint", config.sync.checkpoint, kCheckpoints);
    r.Double("max_delete_share", config.sync.max_delete_share, 0.0, 1.0);
    r.Duration("reconcile_every", config.sync.reconcile_every);
    r.Int("busy_timeout_ms", config.sync.busy_timeout_ms, 0, 600'000);
    r.Int("overlap_seconds", config.sync.overlap_seconds, 0, 86400);
    r.Int("delete_brake_min_rows", config.sync.delete_brake_min_rows, 0, 1'000'000'000);
    r.Int("max_read_hold_ms", config.sync.max_read_hold_ms, 1, 60'000);
    r.Duration("deployment_time_budget", config.sync.deployment_time_budget);
    r.Int("max_jobs", config.sync.max_jobs, 1, kMaxJobs);
    r.Choice("toast_compression", config.sync.toast_compression, kToastCompressions);
    r.RefuseUnknown();
  }
  {
    const toml::table& tables = SectionOrEmpty(root, "tables", origin);
    // "*" first, so that per-table sections inherit its settings.
    auto read_table = [&](std::string_view name, const toml::node& node, TableConfig base) {
      if (!node.is_table()) {
        throw ConfigError(fmt::format("{}: tables.{} must be a table", Where(origin, node.source()), name));
      }
      SectionReader r(*node.as_table(), origin, fmt::format("tables.\"{}\"", name));
      r.Choice("conflict", base.conflict, kStrategies);
      r.Choice("merge_fallback", base.merge_fallback, kStrategies);
      r.Bool("detect_conflicts", base.detect_conflicts);
      if (base.merge_fallback == ConflictStrategy::kMerge) {
        throw ConfigError(fmt::format("{}: tables.\"{}\".merge_fallback cannot be \"merge\"", origin, name),
                          "use newest_wins, source_wins, target_wins or manual");
      }
      r.String("change_column", base.change_column);
      r.Choice("deletes", base.deletes, kDeletePolicies);
      r.RefuseUnknown();
      return base;
    };
    TableConfig defaults;
    if (const toml::node* star = tables.get("*")) defaults = config.tables["*"] = read_table("*", *star, defaults);
    for (const auto& [key, node] : tables) {
      if (key.str() != "*") config.tables[std::string(key.str())] = read_table(key.str(), node, defaults);
    }
  }
  {
    SectionReader r(SectionOrEmpty(root, "status", origin), origin, "status");
    r.String("listen", config.status.listen);
    r.String("token_file", config.status.token_file);
    r.Duration("max_lag", config.status.max_lag);
    r.Duration("cache_ttl", config.status.cache_ttl);
    r.Bool("cache_listen", config.status.cache_listen);
    r.Duration("cache_poll_interval", config.status.cache_poll_interval);
    r.RefuseUnknown();
  }
  {
    SectionReader r(SectionOrEmpty(root, "retention", origin), origin, "retention");
    r.Duration("jobs", config.retention.jobs);
    r.Duration("conflicts", config.retention.conflicts);
    r.Duration("quarantine", config.retention.quarantine);
    r.Duration("cache_events", config.retention.cache_events);
    r.RefuseUnknown();
  }
  for (const auto& [key, node] : root) {
    static const std::set<std::string> kSections{"node",   "postgres", "lease",    "sync",
                                                 "tables", "status",   "retention"};
    if (!kSections.count(std::string(key.str()))) {
      throw ConfigError(fmt::format("{}: unknown section [{}]", Where(origin, node.source()), key.str()),
                        "sections are: node, postgres, lease, sync, tables, status, retention");
    }
  }
  return config;
}

Config LoadConfig(const std::string& path, bool path_was_given) {
  std::optional<std::string> text = ReadFileCapped(path, kMaxConfigBytes);
  if (!text) {
    if (!path_was_given && errno == ENOENT) {
      Config defaults = ParseConfig("", "(built-in defaults)");
      defaults.source_path.clear();
      return defaults;
    }
    if (errno == EFBIG) {
      throw ConfigError(fmt::format("config file {} is larger than {} MiB", path, kMaxConfigBytes >> 20),
                        "--config must name a TOML file (see docs/configuration.md)");
    }
    throw ConfigError(fmt::format("cannot read config file {}: {}", path, std::strerror(errno)),
                      "pass --config FILE, or create " + std::string(kDefaultConfigPath));
  }
  return ParseConfig(*text, path);
}

}  // namespace tenantsync

#pragma once
// The configuration file (TOML, docs/configuration.md). Key names are a contract with
// operators; every key has a default and a line in docs/configuration.md.
// Errors name file:line:column. Unknown keys are refused, so a typo never
// silently falls back to a default.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace tenantsync {

inline constexpr const char* kDefaultConfigPath = "/etc/tenantsync/tenantsync.toml";
// A real config is a few KiB; the limit stops --config /dev/zero (or a wrong
// file) from being read into memory whole.
inline constexpr size_t kMaxConfigBytes = 1024 * 1024;

enum class ConflictStrategy { kNewestWins, kSourceWins, kTargetWins, kMerge, kManual };
enum class CheckpointMode { kNone, kPassive };
// How sync-run's writes compress large values (TOAST): lz4 where the server
// has it, or whatever default_toast_compression the server or role sets.
enum class ToastCompression { kLz4, kServer };

struct NodeConfig {
  std::string cluster;  // required by the tools that act for a cluster
  std::string name;     // default: the hostname
  std::string state_dir = "/var/lib/tenantsync";
};

// The longest [postgres] statement_timeout_seconds and lock_timeout_seconds
// accept; the privilege check holds a role's stored timeouts to them too.
constexpr int kMaxStatementTimeoutSeconds = 86400;
constexpr int kMaxLockTimeoutSeconds = 3600;
// The bound of [sync] max_jobs and of sync-run --jobs.
constexpr int kMaxJobs = 64;

struct PostgresConfig {
  std::string conninfo;        // the cluster's login role; "" = libpq defaults (PG* variables)
  std::string admin_conninfo;  // sync-schema only; "" = libpq defaults
  // A file holding only the password; relative paths resolve against
  // $CREDENTIALS_DIRECTORY (systemd LoadCredential=) when that is set.
  std::string password_file;
  std::string admin_password_file;
  int connect_timeout_seconds = 4;  // per host; keeps period + 2 x retry <= lease TTL (docs/operations.md)
  int statement_timeout_seconds = 60;
  int lock_timeout_seconds = 10;
};

struct LeaseConfig {
  int ttl_seconds = 15;
};

struct SyncConfig {
  // Rows per batch and transaction; a batch also ends at 8 MiB of COPY data
  // and, in DELETE journal mode, at max_read_hold_ms. Narrow rows gain from
  // large batches (fewer commits: 2 M tag-like rows in 5.5-6.2 s at 50 000
  // against 7.1 s at 5 000); wide ones reach the byte limit first.
  int batch_rows = 50000;
  CheckpointMode checkpoint = CheckpointMode::kNone;
  double max_delete_share = 0.5;
  std::chrono::seconds reconcile_every{3600};
  int busy_timeout_ms = 5000;
  // Rows whose change column lies this far behind the last watermark are read
  // again: many updates land in the same second.
  int overlap_seconds = 2;
  // The delete brake spares tables where a run deletes fewer rows than this.
  int delete_brake_min_rows = 10;
  // DELETE journal mode: the longest a read transaction may hold its SHARED lock.
  int max_read_hold_ms = 200;
  // lz4 compresses a chat's JSON several times faster than pglz, the server
  // default, for a little more space; reading is transparent either way.
  ToastCompression toast_compression = ToastCompression::kLz4;
  // How long one run may spend on one deployment before it moves on to the
  // next; the cut pass resumes on the next run. 0 = no limit. Keeps one
  // tenant's first copy from holding back every other tenant's tick.
  std::chrono::seconds deployment_time_budget{60};
  // The most deployments one run syncs at once, each on its own PostgreSQL
  // connection: a hosted PostgreSQL limits connections, and two nodes of each
  // of many servers share them.
  int max_jobs = 4;
};

enum class DeletePolicy { kPropagate, kKeep };

struct TableConfig {
  ConflictStrategy conflict = ConflictStrategy::kNewestWins;
  // What a merge does with a column both sides changed differently (any
  // strategy but merge).
  ConflictStrategy merge_fallback = ConflictStrategy::kNewestWins;
  // false: no row versions and no conflict detection, for tables nothing
  // but the sync writes (a faster copy; an edit in the target is then
  // overwritten without trace).
  bool detect_conflicts = true;
  // The column whose growth marks a changed row (epoch integer); "" = none,
  // so the table is compared whole on every run.
  std::string change_column = "updated_at";
  DeletePolicy deletes = DeletePolicy::kPropagate;
};

struct StatusConfig {
  std::string listen = "127.0.0.1:9443";
  std::string token_file = "/etc/tenantsync/status.token";
  // /health fails when an enabled deployment's last successful run is older.
  std::chrono::seconds max_lag{600};
  // How long /api/v1/state/{key} serves a value from its cache.
  std::chrono::seconds cache_ttl{300};
  // Keep a LISTEN tenantsync_cache connection, so other nodes' writes drop
  // cached values as they commit. false: polling only (e.g. behind a
  // transaction-mode pooler, where notifications are not delivered).
  bool cache_listen = true;
  // How often, at most, a state request polls cache_events (the fallback
  // when LISTEN is down or disabled, and a safety net when it is up).
  std::chrono::seconds cache_poll_interval{1};
};

// How long `sync-schema prune` keeps history (docs/operations.md,
// "Retention"). Totals and open items are never pruned: finished job rows,
// settled conflicts (counted first) and resolved quarantine rows are.
struct RetentionConfig {
  std::chrono::seconds jobs{14 * 86400};
  std::chrono::seconds conflicts{90 * 86400};
  std::chrono::seconds quarantine{14 * 86400};
  std::chrono::seconds cache_events{86400};
};

struct Config {
  std::string source_path;  // the file it was read from; "" when defaults only
  NodeConfig node;
  PostgresConfig postgres;
  LeaseConfig lease;
  SyncConfig sync;
  std::map<std::string, TableConfig> tables;  // "*" holds the defaults
  StatusConfig status;
  RetentionConfig retention;

  // The table's settings: its own section, else "*", else built-in defaults.
  const TableConfig& ForTable(const std::string& table) const;
  // node.cluster, or a ConfigError that says where to set it.
  const std::string& RequireCluster() const;
};

// Parses TOML text. `origin` names the text in error messages.
// Throws ConfigError (exit 78) on any syntax, type, range or unknown-key error.
Config ParseConfig(std::string_view toml_text, const std::string& origin);

// Reads and parses a file of at most kMaxConfigBytes. A missing file is a
// ConfigError, except that the default path may be absent (then built-in
// defaults apply).
Config LoadConfig(const std::string& path, bool path_was_given);

// Cluster names as the database accepts them: [a-z0-9][a-z0-9_-]{0,39}.
bool IsValidClusterName(const std::string& name);
inline constexpr const char* kClusterNameRule =
    "1-40 characters: lowercase letters, digits, '_' and '-', starting with a letter or digit";

// Durations are added to timestamps in PostgreSQL (reconcile_every) and
// compared as nanoseconds (the state cache); 100 years keeps both far from
// overflow, and no key means anything longer.
inline constexpr int64_t kMaxDurationDays = 36500;

// Parses durations such as "90s", "15m", "1h", "2d", at most
// kMaxDurationDays; throws ConfigError.
std::chrono::seconds ParseDuration(std::string_view text, const std::string& where);

std::string_view ToString(ConflictStrategy strategy);
std::string_view ToString(CheckpointMode mode);
std::string_view ToString(ToastCompression compression);
std::string_view ToString(DeletePolicy policy);

}  // namespace tenantsync

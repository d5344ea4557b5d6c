#include "common/status/sync_trigger.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/log.h"
#include "common/status/status_queries.h"

extern char** environ;

namespace tenantsync {
namespace {

std::string SiblingSyncRun() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "/usr/bin/sync-run";
  return (self.parent_path() / "sync-run").string();
}

}  // namespace

SyncTrigger::SyncTrigger(const Config& config, std::string sync_run_path)
    : config_(config), sync_run_path_(sync_run_path.empty() ? SiblingSyncRun() : std::move(sync_run_path)) {}

SyncTrigger::~SyncTrigger() { JoinAll(); }

void SyncTrigger::JoinAll() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

SyncTrigger::Result SyncTrigger::Trigger(PgConn& conn, const std::string& deployment) {
  PgResult lead = conn.Exec(
      "SELECT h.host_id, l.epoch FROM sync_metadata.leader_election l"
      " JOIN sync_metadata.hosts h ON h.host_id = l.holder_host_id"
      " WHERE h.hostname = $1 AND l.expires_at > clock_timestamp()",
      {config_.node.name});
  if (lead.rows() == 0) return {Outcome::kNotLeader, 0};
  PgResult d = conn.Exec("SELECT deployment_id FROM sync_metadata.client_deployments WHERE name = $1 AND enabled",
                         {deployment});
  if (d.rows() == 0) return {Outcome::kUnknownDeployment, 0};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!busy_.insert(deployment).second) return {Outcome::kBusy, 0};
  }
  int64_t job_id = 0;
  try {
    PgResult job = conn.ExecOneRow(
        "INSERT INTO sync_metadata.sync_jobs (deployment_id, host_id, epoch, status, requested_by)"
        " VALUES ($1::bigint, $2::bigint, $3::bigint, 'requested', $4) RETURNING job_id",
        {std::string(d.Get(0, 0)), std::string(lead.Get(0, 0)), std::string(lead.Get(0, 1)),
         kTriggerRequestedByPrefix + config_.node.name});
    job_id = std::stoll(std::string(job.Get(0, 0)));

    std::string config_path = config_.source_path.empty() ? kDefaultConfigPath : config_.source_path;
    std::vector<std::string> args{sync_run_path_, "--config", config_path, "--deployment", deployment,
                                  "--no-progress"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);  // stderr: our log
    pid_t pid = 0;
    int rc = posix_spawn(&pid, sync_run_path_.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      std::string error = fmt::format("cannot start {}: {}", sync_run_path_, std::strerror(rc));
      conn.Exec("UPDATE sync_metadata.sync_jobs SET status = 'failed', finished_at = clock_timestamp(), error = $2"
                " WHERE job_id = $1::bigint",
                {std::to_string(job_id), error});
      throw IoError(error);
    }
    Log(LogLevel::kInfo, "trigger: started sync-run --deployment {} (pid {}, job {})", deployment, pid, job_id);
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.emplace_back([this, pid, job_id, deployment] { Reap(pid, job_id, deployment); });
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_.erase(deployment);
    throw;
  }
  return {Outcome::kStarted, job_id};
}

void SyncTrigger::Reap(int pid, int64_t job_id, std::string deployment) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  try {
    PgConn conn = ConnectForStatus(config_);
    conn.Exec(
        "UPDATE sync_metadata.sync_jobs SET status = $2, finished_at = clock_timestamp(), error = $3"
        " WHERE job_id = $1::bigint",
        {std::to_string(job_id), code == 0 ? "succeeded" : "failed",
         code == 0 ? PgParam() : PgParam(fmt::format("sync-run exited {}", code))});
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, "trigger: job {} not closed: {}", job_id, e.what());
  }
  Log(code == 0 ? LogLevel::kInfo : LogLevel::kWarning, "trigger: sync-run --deployment {} exited {}", deployment,
      code);
  std::lock_guard<std::mutex> lock(mutex_);
  busy_.erase(deployment);
}

}  // namespace tenantsync

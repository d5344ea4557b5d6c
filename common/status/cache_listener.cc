#include "common/status/cache_listener.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/log.h"

namespace tenantsync {
namespace {

std::string LibpqError(const PgConn& conn) {
  std::string message = PQerrorMessage(conn.raw());
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  return message;
}

// The connection sits idle for hours. Without keepalive probes a server that
// vanished without a FIN (a failover, a NAT or firewall dropping the flow)
// would go unnoticed for the kernel's default two hours, with up() still
// true; with these, poll() reports the dead socket within about a minute.
// Unix sockets have no such failure mode, and setsockopt simply fails there.
void ShortenTcpKeepalive(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return;
  int on = 1, idle = 30, interval = 10, count = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

}  // namespace

WakeEvent::WakeEvent() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw IoError(fmt::format("eventfd failed: {}", std::strerror(errno)));
}

WakeEvent::~WakeEvent() { close(fd_); }

void WakeEvent::Signal() {
  uint64_t one = 1;
  // Only fails when the counter would overflow, and then it is signalled anyway.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

CacheListener::CacheListener(PgConnectSpec spec, Handlers handlers, Backoff backoff)
    : spec_(std::move(spec)), handlers_(std::move(handlers)), backoff_(backoff), thread_([this] { Run(); }) {}

CacheListener::~CacheListener() { Stop(); }

void CacheListener::Stop() {
  stopping_ = true;
  wake_.Signal();
  if (thread_.joinable()) thread_.join();
}

bool CacheListener::SleepUnlessStopped(std::chrono::milliseconds delay) {
  pollfd wake{wake_.fd(), POLLIN, 0};
  auto until = std::chrono::steady_clock::now() + delay;
  while (!stopping_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    poll(&wake, 1, static_cast<int>(left.count()));  // EINTR: loop and recompute
  }
  return true;
}

void CacheListener::Run() {
  std::chrono::milliseconds delay = backoff_.first;
  bool said_down = false;  // the fallback is logged once per outage, not per attempt
  bool was_up = false;
  while (!stopping_) {
    std::string failure;
    try {
      PgConn conn = PgConn::Connect(spec_);
      conn.Exec(std::string("LISTEN ") + kCacheChannel);
      ShortenTcpKeepalive(PQsocket(conn.raw()));
      up_ = true;
      if (said_down && was_up) {
        Log(LogLevel::kInfo, "state cache: LISTEN {} works again ({}); invalidations are immediate", kCacheChannel,
            conn.Describe());
      } else {
        Log(LogLevel::kInfo, "state cache: listening on {} ({}) for other nodes' writes", kCacheChannel,
            conn.Describe());
      }
      said_down = false;
      was_up = true;
      delay = backoff_.first;
      if (handlers_.on_listening) handlers_.on_listening();
      Listen(conn);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    up_ = false;
    if (stopping_) break;
    if (!said_down) {
      Log(LogLevel::kWarning,
          "state cache: no LISTEN {} connection: {}; polling cache_events instead ([status] cache_poll_interval) "
          "and retrying",
          kCacheChannel, failure);
      said_down = true;
    } else {
      Log(LogLevel::kDebug, "state cache: LISTEN retry failed: {}; next in {} ms", failure, delay.count());
    }
    if (SleepUnlessStopped(delay)) break;
    delay = std::min(delay * 2, backoff_.max);
  }
  up_ = false;
}

void CacheListener::Listen(PgConn& conn) {
  int socket = PQsocket(conn.raw());
  if (socket < 0) throw PgError(ExitCode::kTempFail, "the LISTEN connection has no socket", "08006");
  while (!stopping_) {
    pollfd fds[2] = {{socket, POLLIN, 0}, {wake_.fd(), POLLIN, 0}};
    // No timeout: Stop() wakes the eventfd, and a dead peer shows up as
    // POLLIN/POLLERR/POLLHUP on the socket (keepalive probes see to that).
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("poll on the LISTEN connection failed: {}", std::strerror(errno)));
    }
    if (stopping_) return;
    if (fds[0].revents == 0) continue;
    if (PQconsumeInput(conn.raw()) == 0 || PQstatus(conn.raw()) == CONNECTION_BAD) {
      throw PgError(ExitCode::kTempFail, "lost the LISTEN connection: " + LibpqError(conn), "08006");
    }
    std::vector<std::string> payloads;
    while (PGnotify* raw = PQnotifies(conn.raw())) {
      std::unique_ptr<PGnotify, decltype(&PQfreemem)> notify(raw, &PQfreemem);
      if (std::strcmp(notify->relname, kCacheChannel) == 0) payloads.emplace_back(notify->extra);
    }
    if (!payloads.empty() && handlers_.on_notify) handlers_.on_notify(conn, payloads);
  }
}

}  // namespace tenantsync

#include "tests/integration/status_fixture.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <sys/socket.h>

#include <future>
#include <memory>

#include "common/commands/status_command.h"

namespace tenantsync::testing {
namespace {

constexpr const char* kSqliteDdl =
    "CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT, updated_at INTEGER NOT NULL);"
    "INSERT INTO note VALUES ('n1', 'one', 1727740800), ('n2', 'two', 1727740801);";
constexpr const char* kPostgresDdl =
    "CREATE TABLE {schema}.note (id text PRIMARY KEY, body text, updated_at bigint NOT NULL);";

}  // namespace

HttpResult Http(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                const std::string& token) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(15, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!body.empty() || method == "POST" || method == "PUT") request.setContentLength64(static_cast<Poco::Int64>(body.size()));
  if (!token.empty()) request.set("Authorization", "Bearer " + token);
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpResult r;
  r.status = static_cast<int>(response.getStatus());
  r.content_type = response.getContentType();
  r.allow = response.get("Allow", "");
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

std::string RawHttp(uint16_t port, const std::string& request) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(15, 0));
  std::string reply;
  try {
    // MSG_NOSIGNAL: a server that closes early must fail the test, not kill it.
    socket.sendBytes(request.data(), static_cast<int>(request.size()), MSG_NOSIGNAL);
    char buf[4096];
    for (int n; (n = socket.receiveBytes(buf, sizeof buf)) > 0;) reply.append(buf, static_cast<size_t>(n));
  } catch (const Poco::Net::NetException&) {
    // A reset after the reply (the server closed with bytes unread): what
    // arrived before it is the answer.
  }
  return reply;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

void SyncStatusTest::SetUp() {
  TenantTest::SetUp();
  if (IsSkipped()) return;
  for (const char* name : {"acme", "beta"}) {
    std::string source = tmp_.File(std::string(name) + ".db");
    ExecSqlite(source, kSqliteDdl);
    AddTenant(name, source, kPostgresDdl);
  }
  config_path_ = WriteNodeConfig("", "node-a");
}

void SyncStatusTest::TearDown() {
  StopServer();
  TenantTest::TearDown();
}

void SyncStatusTest::ElectAndSync() {
  ProcessResult elect = RunProcess({SYNC_ELECT_BIN, "--config", config_path_});
  ASSERT_EQ(elect.exit_code, 0) << elect.err;
  ProcessResult run = RunProcess({SYNC_RUN_BIN, "--config", config_path_, "--no-progress"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
}

uint16_t SyncStatusTest::StartServer(const std::string& config_text) {
  return Start(ParseConfig(config_text, "test.toml"));
}

uint16_t SyncStatusTest::StartServer() { return StartServer(NodeConfigText("", "node-a")); }

uint16_t SyncStatusTest::Start(Config config) {
  config_ = std::move(config);
  auto ready = std::make_shared<std::promise<uint16_t>>();
  std::future<uint16_t> port = ready->get_future();
  server_ = std::thread([this, ready] {
    StatusOptions options;
    options.listen = "127.0.0.1:0";
    options.sync_run_path = SYNC_RUN_BIN;
    bool started = false;
    try {
      RunStatus(config_, options, &stop_, [&](uint16_t p) {
        started = true;
        ready->set_value(p);
      });
    } catch (...) {
      if (!started) ready->set_exception(std::current_exception());
    }
  });
  return port.get();
}

void SyncStatusTest::StopServer() {
  stop_ = true;
  if (server_.joinable()) server_.join();
}

ProcessResult SyncStatusTest::Once(const std::string& config, std::vector<std::string> extra) {
  std::vector<std::string> argv{SYNC_STATUS_BIN, "--config", config, "--once"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

}  // namespace tenantsync::testing

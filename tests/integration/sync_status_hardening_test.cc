// sync-status against hostile or broken clients (docs/status.md, "Limits"):
// slow clients must not stop /health from answering, error replies carry the
// reason phrase of their status, malformed requests get 400 with a body,
// deeply nested JSON is refused before PostgreSQL sees it, and a second
// server on a busy port fails with 74 instead of sharing the port. The
// server runs in-process as in sync_status_test.cc; the busy-port test runs
// the real binary. Requests a client library would not send go through
// RawHttp(), which also shows the status line exactly as written.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/status_fixture.h"

namespace tenantsync::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kToken = "hardening-t0ken";
// The documented limits (docs/status.md, "Limits").
constexpr int kSlowPerAddress = 8;
constexpr size_t kMaxJsonDepth = 64;

std::string StatusLine(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

std::string Body(const std::string& reply) {
  size_t at = reply.find("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr(at + 4);
}

// GET `path` with the whole exchange bounded by `deadline`; nullopt when it
// failed or took longer.
std::optional<HttpResult> Probe(uint16_t port, const std::string& path, milliseconds deadline) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(deadline.count() * 1000));
    Clock::time_point start = Clock::now();
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    HttpResult r;
    r.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, r.body);
    if (Clock::now() - start > deadline) return std::nullopt;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A slowloris: sends a request line, then one more header line whenever
// asked, never the blank line that ends the header.
class SlowClient {
 public:
  explicit SlowClient(uint16_t port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) {
    Send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  }
  void SendHeaderLine() {
    if (!closed_) Send(fmt::format("X-Slow-{}: 1\r\n", lines_++));
  }
  // Reads what the server sent; true once it has closed the connection.
  bool Closed() {
    while (!closed_ && socket_.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) Read();
    return closed_;
  }
  const std::string& received() const { return received_; }

 private:
  void Send(const std::string& text) {
    try {
      socket_.sendBytes(text.data(), static_cast<int>(text.size()), MSG_NOSIGNAL);
    } catch (const std::exception&) {
      Read();  // refused: whatever came before the reset, then closed
      closed_ = true;
    }
  }
  void Read() {
    try {
      char buf[1024];
      int n = socket_.receiveBytes(buf, sizeof buf);
      if (n > 0) received_.append(buf, static_cast<size_t>(n));
      if (n <= 0) closed_ = true;
    } catch (const std::exception&) {
      closed_ = true;
    }
  }

  Poco::Net::StreamSocket socket_;
  std::string received_;
  int lines_ = 0;
  bool closed_ = false;
};

class SyncStatusHardeningTest : public SyncStatusTest {
 protected:
  void SetUp() override {
    SyncStatusTest::SetUp();
    if (IsSkipped()) return;
    token_file_ = tmp_.File("status.token");
    WriteFile(token_file_, std::string(kToken) + "\n", 0600);
  }
  uint16_t StartWithToken() {
    return StartServer(NodeConfigText(fmt::format("[status]\ntoken_file = \"{}\"\n", token_file_), "node-a"));
  }

  std::string token_file_;
};

// The review's finding: 8-24 connections sending a header line every 2 s
// stopped /health. Here 24 send one every second (well inside the 3 s
// per-read timeout, so only the whole-request deadline can end them), all
// from 127.0.0.1 like the probe. /health (503: nothing has synced yet) must
// answer within 1 s throughout. Past the per-address cap the slow ones are
// closed at once, unanswered; the admitted ones get 408 when their request
// has not arrived by the deadline.
TEST_F(SyncStatusHardeningTest, HealthAnswersWithinOneSecondWhileTwentyFourSlowConnectionsAreOpen) {
  uint16_t port = StartServer();
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (int i = 0; i < 24; ++i) slow.push_back(std::make_unique<SlowClient>(port));

  auto count_closed = [&] {
    int n = 0;
    for (auto& c : slow) n += c->Closed() ? 1 : 0;
    return n;
  };
  for (int round = 0; round < 4; ++round) {
    Clock::time_point round_start = Clock::now();
    std::optional<HttpResult> health = Probe(port, "/health", milliseconds(1000));
    EXPECT_TRUE(health) << "round " << round << ": /health did not answer within 1 s";
    if (health) {
      EXPECT_EQ(health->status, 503);
      EXPECT_TRUE(Contains(health->body, "\"healthy\":false")) << health->body;
    }
    if (round == 0) {
      EXPECT_EQ(count_closed(), 24 - kSlowPerAddress) << "the per-address cap did not hold";
    }
    for (auto& c : slow) c->SendHeaderLine();
    std::this_thread::sleep_until(round_start + milliseconds(1000));
  }

  // Every slow connection ends: the admitted ones by the deadline. Lines
  // keep coming meanwhile, so no per-read timeout can be what ends them.
  for (Clock::time_point until = Clock::now() + std::chrono::seconds(10);
       count_closed() < 24 && Clock::now() < until;) {
    for (auto& c : slow) c->SendHeaderLine();
    std::this_thread::sleep_for(milliseconds(500));
  }
  int timed_out = 0, refused = 0;
  for (auto& c : slow) {
    EXPECT_TRUE(c->Closed()) << "a slow connection is still open";
    if (c->received().rfind("HTTP/1.1 408 ", 0) == 0) ++timed_out;
    if (c->received().empty()) ++refused;
  }
  EXPECT_EQ(timed_out, kSlowPerAddress);
  EXPECT_EQ(refused, 24 - kSlowPerAddress);
  EXPECT_EQ(Http(port, "GET", "/health").status, 503);  // still serving
}

TEST_F(SyncStatusHardeningTest, ErrorRepliesCarryTheReasonPhraseOfTheirStatus) {
  uint16_t port = StartWithToken();
  struct Case {
    std::string request;
    std::string status_line;
  };
  const std::string host = "Host: 127.0.0.1\r\n";
  const std::vector<Case> cases = {
      {"GET /metrics HTTP/1.1\r\n" + host + "\r\n", "HTTP/1.1 200 OK"},
      {"GET /health HTTP/1.1\r\n" + host + "\r\n", "HTTP/1.1 503 Service Unavailable"},
      {"GET /api/v1/state/bad%20key HTTP/1.1\r\n" + host + "\r\n", "HTTP/1.1 400 Bad Request"},
      {"PUT /api/v1/state/k HTTP/1.1\r\n" + host + "Authorization: Bearer wrong\r\nContent-Length: 2\r\n\r\n{}",
       "HTTP/1.1 401 Unauthorized"},
      {"GET /nope HTTP/1.1\r\n" + host + "\r\n", "HTTP/1.1 404 Not Found"},
      {"DELETE /health HTTP/1.1\r\n" + host + "\r\n", "HTTP/1.1 405 Method Not Allowed"},
      {"PUT /api/v1/state/k HTTP/1.1\r\n" + host + "\r\n", "HTTP/1.1 411 Length Required"},
      {"POST /metrics HTTP/1.1\r\n" + host + "Content-Length: 2000000\r\n\r\n",
       "HTTP/1.1 413 Request Entity Too Large"},
  };
  for (const Case& c : cases) {
    std::string reply = RawHttp(port, c.request);
    EXPECT_EQ(StatusLine(reply), c.status_line) << c.request;
    if (c.status_line.rfind("HTTP/1.1 4", 0) == 0) {
      EXPECT_TRUE(Contains(Body(reply), "{\"error\":")) << reply;
    }
  }
}

// Poco splits the request line at spaces, so "/api/v1/state/a b" was served
// as key "a" (with "b" taken for the HTTP version).
TEST_F(SyncStatusHardeningTest, MalformedRequestLineIsRefusedWith400) {
  uint16_t port = StartWithToken();
  std::string put = RawHttp(port, fmt::format("PUT /api/v1/state/a b HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: Bearer {}\r\nContent-Length: 2\r\n\r\n{{}}",
                                              kToken));
  EXPECT_EQ(StatusLine(put), "HTTP/1.1 400 Bad Request") << put;
  EXPECT_TRUE(Contains(Body(put), "{\"error\":")) << put;
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.state"), "0");

  for (const std::string line : {"GET /health x HTTP/1.1", "GET /health HTTP/9.9", "GET /health"}) {
    std::string reply = RawHttp(port, line + "\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_EQ(StatusLine(reply), "HTTP/1.1 400 Bad Request") << line << "\n" << reply;
  }
  // A well-formed request still works.
  std::string ok = RawHttp(port, fmt::format("PUT /api/v1/state/a HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                             "Authorization: Bearer {}\r\nContent-Length: 2\r\n\r\n{{}}",
                                             kToken));
  EXPECT_EQ(StatusLine(ok), "HTTP/1.1 200 OK") << ok;
}

// Poco could not parse the length and closed the connection without a word.
TEST_F(SyncStatusHardeningTest, UnusableContentLengthIsAnswered400WithABody) {
  uint16_t port = StartWithToken();
  for (const std::string length : {"99999999999999999999999", "-1", "12abc", "1, 2"}) {
    std::string reply = RawHttp(port, fmt::format("PUT /api/v1/state/k HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                  "Authorization: Bearer {}\r\nContent-Length: {}\r\n\r\n{{}}",
                                                  kToken, length));
    EXPECT_EQ(StatusLine(reply), "HTTP/1.1 400 Bad Request") << length << "\n" << reply;
    EXPECT_TRUE(Contains(Body(reply), "Content-Length")) << length << "\n" << reply;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.state"), "0");
}

// PostgreSQL's jsonb parser ran out of stack on this and the client got 503.
TEST_F(SyncStatusHardeningTest, DeeplyNestedJsonBodyIsRefusedWith400) {
  uint16_t port = StartWithToken();
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  HttpResult deep = Http(port, "PUT", "/api/v1/state/deep", nested(20000), kToken);
  EXPECT_EQ(deep.status, 400) << deep.body;
  EXPECT_TRUE(Contains(deep.body, "nested")) << deep.body;
  HttpResult over = Http(port, "PUT", "/api/v1/state/deep", "{\"a\": " + nested(kMaxJsonDepth) + "}", kToken);
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_EQ(Scalar("SELECT count(*) FROM sync_metadata.state"), "0");

  // At the limit it is stored; brackets inside strings do not count.
  HttpResult at_limit = Http(port, "PUT", "/api/v1/state/deep", nested(kMaxJsonDepth), kToken);
  EXPECT_EQ(at_limit.status, 200) << at_limit.body;
  HttpResult in_string = Http(port, "PUT", "/api/v1/state/text", "\"" + std::string(20000, '[') + "\"", kToken);
  EXPECT_EQ(in_string.status, 200) << in_string.body;
}

// With SO_REUSEPORT both processes bound the port and the kernel split the
// connections between them; a busy port must be an error (74).
TEST_F(SyncStatusHardeningTest, SecondServerOnABusyPortExits74) {
  uint16_t port = StartServer();
  std::string listen = fmt::format("127.0.0.1:{}", port);
  ProcessResult second = RunProcessWithTimeout({SYNC_STATUS_BIN, "--config", config_path_, "--listen", listen},
                                               std::chrono::seconds(10));
  EXPECT_FALSE(second.timed_out) << "a second sync-status served on a busy port:\n" << second.err;
  EXPECT_EQ(second.exit_code, 74) << second.err;
  EXPECT_TRUE(Contains(second.err, "cannot listen on " + listen)) << second.err;
  EXPECT_TRUE(Contains(second.err, "in use")) << second.err;
  EXPECT_EQ(Http(port, "GET", "/metrics").status, 200);  // the first one is untouched
}

}  // namespace
}  // namespace tenantsync::testing

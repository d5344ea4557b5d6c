#include "common/status/status_connection.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/String.h>
#include <sys/socket.h>

#include <charconv>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "common/log.h"
#include "common/status/http_reply.h"
#include "common/status/status_server.h"

namespace tenantsync {
namespace {

using Poco::Net::HTTPResponse;
using Status = HTTPResponse::HTTPStatus;

struct Refusal {
  Status status;
  std::string message;
};

// What has arrived on the socket so far, without consuming it. The listening
// socket defers accept until data arrives (status_server.cc), so a client
// that sends its request in one write has all of it here.
std::string Peek(const Poco::Net::StreamSocket& socket) {
  char buf[8192];
  ssize_t n = ::recv(socket.impl()->sockfd(), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Whether `data` is a whole request: a header up to its blank line, and as
// many body bytes as its Content-Length says (a chunked body never counts).
bool ArrivedWhole(std::string_view data) {
  size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return false;
  std::string header = Poco::toLower(std::string(data.substr(0, end + 2)));
  if (header.find("\ntransfer-encoding:") != std::string::npos) return false;
  constexpr std::string_view kLength = "\ncontent-length:";
  size_t at = header.find(kLength);
  if (at == std::string::npos) return true;
  at = header.find_first_not_of(' ', at + kLength.size());
  size_t length = 0;
  if (at == std::string::npos ||
      std::from_chars(header.data() + at, header.data() + header.size(), length).ec != std::errc()) {
    return false;
  }
  return data.size() - (end + 4) >= length;
}

// Reads the body into `body`, up to `limit` + 1 bytes.
void ReadUpTo(std::istream& in, std::size_t limit, std::string& body) {
  char buf[8192];
  while (in && body.size() <= limit) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<std::size_t>(in.gcount()));
  }
}

// Reads the whole body, or says why not. Poco sets no size limit, and reads
// a body without Content-Length or chunked framing to the end of the
// connection.
std::optional<Refusal> ReadBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                                std::string& body) {
  const std::string& method = request.getMethod();
  bool chunked = request.getChunkedTransferEncoding();
  if (request.has("Transfer-Encoding") && !chunked) {
    return Refusal{HTTPResponse::HTTP_BAD_REQUEST, "Transfer-Encoding must be chunked"};
  }
  if (request.hasContentLength()) {
    if (chunked) return Refusal{HTTPResponse::HTTP_BAD_REQUEST, "Content-Length and Transfer-Encoding together"};
    // Poco has parsed it as a signed number already: refuse "-1".
    const std::string& length = request.get("Content-Length");
    if (length.find_first_not_of("0123456789") != std::string::npos) {
      return Refusal{HTTPResponse::HTTP_BAD_REQUEST, "Content-Length must be a number of bytes"};
    }
  } else if (!chunked && (method == "PUT" || method == "POST")) {
    return Refusal{HTTPResponse::HTTP_LENGTH_REQUIRED, "Content-Length or chunked encoding required"};
  }

  const Poco::Int64 limit = static_cast<Poco::Int64>(kMaxBodyBytes);
  bool declared_too_large = request.hasContentLength() && request.getContentLength64() > limit;
  if (!declared_too_large) {
    if (request.getExpectContinue()) response.sendContinue();
    ReadUpTo(request.stream(), kMaxBodyBytes, body);
    if (body.size() <= kMaxBodyBytes) {
      if (request.hasContentLength() && static_cast<Poco::Int64>(body.size()) < request.getContentLength64()) {
        return Refusal{HTTPResponse::HTTP_BAD_REQUEST, "the body ended before its Content-Length"};
      }
      return std::nullopt;
    }
  }
  // A body of moderate size is drained, so that the client reads the 413
  // rather than a connection reset. The read deadline bounds this too.
  if (!declared_too_large || request.getContentLength64() <= 16 * limit) {
    std::string ignored;
    ReadUpTo(request.stream(), 16 * kMaxBodyBytes, ignored);
  }
  return Refusal{HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                 "request body larger than " + std::to_string(kMaxBodyBytes) + " bytes"};
}

// Whether a read timed out: Poco's timeout for a single read.
bool ReadTimedOut(const Poco::Net::HTTPServerSession& session) {
  return dynamic_cast<const Poco::TimeoutException*>(session.networkException()) != nullptr;
}

class StatusConnection : public Poco::Net::TCPServerConnection {
 public:
  StatusConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                   StatusRouter& router, ClientConnections& clients)
      : TCPServerConnection(socket), params_(std::move(params)), router_(router), clients_(clients) {}

  void run() override {
    try {
      Serve();
    } catch (const std::exception& e) {
      // The client went away or stopped reading: nobody to tell.
      Log(LogLevel::kDebug, "connection: {}", e.what());
    }
  }

 private:
  void Serve() {
    std::optional<ClientConnections::Ticket> ticket = clients_.Admit(socket(), ArrivedWhole(Peek(socket())));
    if (!ticket) return;  // closed unanswered: one address's slow connections are at their limit
    // The session sets the receive timeout; a client that does not read the
    // reply must not hold the worker either.
    socket().setSendTimeout(params_->getTimeout());
    Poco::Net::HTTPServerSession session(socket(), params_);
    Poco::Net::HTTPServerResponseImpl response(session);
    std::optional<Poco::Net::HTTPServerRequestImpl> request;
    try {
      request.emplace(response, session, params_.get());
    } catch (const Poco::Net::NoMessageException&) {
      return;  // closed before sending anything
    } catch (const Poco::Exception& e) {
      bool late = !ticket->FinishReading() || ReadTimedOut(session);
      if (late) return Refuse(session, HTTPResponse::HTTP_REQUEST_TIMEOUT, "the request did not arrive in time");
      if (session.networkException() != nullptr) return;  // reset: nobody to answer
      // The header was read, but Content-Length is no 64-bit number: the
      // only number Poco parses while taking in a request.
      if (dynamic_cast<const Poco::SyntaxException*>(&e)) {
        return Refuse(session, HTTPResponse::HTTP_BAD_REQUEST, "Content-Length must be a number of bytes");
      }
      return Refuse(session, HTTPResponse::HTTP_BAD_REQUEST, "malformed request: " + e.message());
    }

    response.setDate(Poco::Timestamp());
    response.setVersion(HTTPResponse::HTTP_1_1);
    std::string body;
    std::optional<Refusal> refusal = ReadBody(*request, response, body);
    // Whatever was read after the deadline cut the connection is incomplete,
    // the header included (Poco takes an end of input for its end). A read
    // that timed out reads as an early end of the body.
    if (!ticket->FinishReading() || ReadTimedOut(session)) {
      return SendErrorReply(response, HTTPResponse::HTTP_REQUEST_TIMEOUT, "the request did not arrive in time");
    }
    // Poco splits the request line at spaces and drops what follows the
    // third word: a version that is not one is the sign of a space in the
    // path ("GET /a b HTTP/1.1"), or of no version at all.
    const std::string& version = request->getVersion();
    if (version != HTTPResponse::HTTP_1_1 && version != HTTPResponse::HTTP_1_0) {
      return SendErrorReply(response, HTTPResponse::HTTP_BAD_REQUEST,
                            "malformed request line: want METHOD /path HTTP/1.1, without spaces in the path");
    }
    response.setVersion(version);
    if (refusal) return SendErrorReply(response, refusal->status, refusal->message);
    router_.Serve(*request, response, body);
  }

  // A reply when no request could be read: a fresh response (the one in
  // Serve() points at the request that failed to construct).
  static void Refuse(Poco::Net::HTTPServerSession& session, Status status, const std::string& message) {
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(HTTPResponse::HTTP_1_1);
    response.setDate(Poco::Timestamp());
    SendErrorReply(response, status, message);
  }

  Poco::Net::HTTPServerParams::Ptr params_;
  StatusRouter& router_;
  ClientConnections& clients_;
};

}  // namespace

Poco::Net::TCPServerConnection* StatusConnectionFactory::createConnection(const Poco::Net::StreamSocket& socket) {
  return new StatusConnection(socket, params_, *router_, *clients_);
}

}  // namespace tenantsync

#include "common/status/http_reply.h"

#include <ostream>

#include "common/json.h"

namespace tenantsync {

void SendReply(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const std::string& content_type, const std::string& body) {
  // setStatus() alone keeps the reason phrase the response was created
  // with ("OK"), which made every error read "404 OK".
  response.setStatusAndReason(status);
  response.setContentType(content_type);
  response.setKeepAlive(false);
  response.set("Cache-Control", "no-store");
  response.set("X-Content-Type-Options", "nosniff");
  // send() rather than sendBuffer(): both leave out the body of a reply to
  // HEAD, but sendBuffer() leaves it out as well when no request could be
  // read, and a 400 for a malformed request would come without its reason.
  response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  response.send().write(body.data(), static_cast<std::streamsize>(body.size())).flush();
}

void SendErrorReply(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
                    const std::string& message) {
  JsonWriter w;
  w.BeginObject().Key("error").String(message).EndObject();
  SendReply(response, status, kJsonContentType, w.str() + "\n");
}

}  // namespace tenantsync

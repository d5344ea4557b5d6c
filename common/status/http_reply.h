#pragma once
// How sync-status writes a reply: status line with the reason phrase of its
// status (not Poco's default "OK"), no keep-alive, not cached, and errors as
// JSON {"error": "..."}.

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

namespace tenantsync {

inline constexpr const char* kJsonContentType = "application/json";

void SendReply(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const std::string& content_type, const std::string& body);

void SendErrorReply(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
                    const std::string& message);

}  // namespace tenantsync

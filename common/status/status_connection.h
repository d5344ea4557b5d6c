#pragma once
// One connection to sync-status, on a worker thread of its TCPServer: admit
// it (ClientConnections), read the request and its whole body within the
// limits of status_server.h, answer what is malformed or late (400, 408, 411,
// 413) and hand the rest to the StatusRouter.
//
// This replaces Poco's HTTPServerConnection, which closes the connection
// without a reply when Poco cannot parse the header (a Content-Length beyond
// 64 bits), serves "GET /a b HTTP/1.1" as path "/a" with version "b", and has
// no deadline for the whole request.

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <memory>

#include "common/status/client_connections.h"
#include "common/status/status_handlers.h"

namespace tenantsync {

class StatusConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  StatusConnectionFactory(Poco::Net::HTTPServerParams::Ptr params, std::shared_ptr<StatusRouter> router,
                          std::shared_ptr<ClientConnections> clients)
      : params_(std::move(params)), router_(std::move(router)), clients_(std::move(clients)) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  std::shared_ptr<StatusRouter> router_;
  std::shared_ptr<ClientConnections> clients_;
};

}  // namespace tenantsync

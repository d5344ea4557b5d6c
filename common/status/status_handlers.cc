#include "common/status/status_handlers.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/log.h"
#include "common/status/status_metrics.h"
#include "common/status/status_queries.h"
#include "common/status/status_render.h"
#include "common/status/status_server.h"

namespace tenantsync {
namespace {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr const char* kJson = "application/json";

struct Route {
  const char* path;
  std::vector<std::string> methods;  // HEAD is allowed wherever GET is
  bool prefix = false;               // path + one more segment
};

const std::vector<Route>& Routes() {
  static const std::vector<Route> kRoutes{
      {"/", {"GET"}},
      {"/health", {"GET"}},
      {"/metrics", {"GET"}},
      {"/api/v1/cluster/status", {"GET"}},
      {"/api/v1/conflicts", {"GET"}},
      {"/api/v1/state/", {"GET", "PUT"}, true},
      {"/api/v1/sync/trigger", {"POST"}},
  };
  return kRoutes;
}

void Send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& content_type,
          const std::string& body) {
  response.setStatus(status);
  response.setContentType(content_type);
  response.setKeepAlive(false);
  response.set("Cache-Control", "no-store");
  response.set("X-Content-Type-Options", "nosniff");
  response.sendBuffer(body.data(), body.size());
}

void SendError(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& message) {
  JsonWriter w;
  w.BeginObject().Key("error").String(message).EndObject();
  Send(response, status, kJson, w.str() + "\n");
}

// Reads at most `limit` + 1 bytes of the body; returns false when it is
// larger than `limit`.
bool ReadBody(HTTPServerRequest& request, std::size_t limit, std::string& body) {
  std::istream& in = request.stream();
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > limit) return false;
  }
  return true;
}

class Router : public Poco::Net::HTTPRequestHandler {
 public:
  Router(const Config& config, StateCache& state, const CacheListener* listener, SyncTrigger& trigger)
      : config_(config), state_(state), listener_(listener), trigger_(trigger) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const std::string& method = request.getMethod();
    std::string path;
    try {
      path = Poco::URI(request.getURI()).getPath();
    } catch (const std::exception&) {
      SendError(response, HTTPResponse::HTTP_BAD_REQUEST, "bad request URI");
      return;
    }
    try {
      Handle(request, response, method, path);
    } catch (const PgError& e) {
      Log(LogLevel::kWarning, "{} {}: {}", method, path, e.what());
      if (!response.sent()) SendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "PostgreSQL error (see the server log)");
    } catch (const std::exception& e) {
      Log(LogLevel::kWarning, "{} {}: {}", method, path, e.what());
      if (!response.sent()) SendError(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error");
    }
  }

 private:
  void Handle(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& method,
              const std::string& path) {
    static const std::vector<std::string> kMethods{"GET", "HEAD", "PUT", "POST"};
    if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
      response.set("Allow", "GET, HEAD, PUT, POST");
      SendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }
    // Poco sets no body limit: refuse a large one before routing. A body
    // of moderate size is drained first, so the client reads the 413
    // instead of a connection reset.
    std::string body;
    bool has_body_method = method == "PUT" || method == "POST";
    if (has_body_method && !request.hasContentLength() && !request.getChunkedTransferEncoding()) {
      // Without either, the body would run to the end of the connection.
      SendError(response, HTTPResponse::HTTP_LENGTH_REQUIRED, "Content-Length or chunked encoding required");
      return;
    }
    bool declared_too_large = request.hasContentLength() &&
                              request.getContentLength64() > static_cast<Poco::Int64>(kMaxBodyBytes);
    if (declared_too_large || !ReadBody(request, kMaxBodyBytes, body)) {
      if (!declared_too_large || request.getContentLength64() <= static_cast<Poco::Int64>(16 * kMaxBodyBytes)) {
        std::string ignored;
        ReadBody(request, 16 * kMaxBodyBytes, ignored);
      }
      SendError(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                "request body larger than " + std::to_string(kMaxBodyBytes) + " bytes");
      return;
    }

    const Route* route = nullptr;
    for (const Route& r : Routes()) {
      std::string_view p(r.path);
      if (path == p || (r.prefix && path.size() > p.size() && path.compare(0, p.size(), p) == 0)) route = &r;
    }
    if (route == nullptr) {
      SendError(response, HTTPResponse::HTTP_NOT_FOUND, "not found");
      return;
    }
    std::string effective = method == "HEAD" ? "GET" : method;
    if (std::find(route->methods.begin(), route->methods.end(), effective) == route->methods.end()) {
      std::string allow;
      for (const std::string& m : route->methods) allow += (allow.empty() ? "" : ", ") + m + (m == "GET" ? ", HEAD" : "");
      response.set("Allow", allow);
      SendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }

    if (path == "/health") {
      StatusSnapshot s = CollectStatus(config_);
      Send(response, s.healthy ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE, kJson,
           HealthJson(s) + "\n");
    } else if (path == "/metrics") {
      bool listen_up = listener_ != nullptr && listener_->up();
      Send(response, HTTPResponse::HTTP_OK, kPrometheusContentType, RenderStatusMetrics(config_, listen_up));
    } else if (path == "/api/v1/cluster/status") {
      StatusSnapshot s = CollectStatus(config_);
      if (!s.postgres_ok) return SendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, s.postgres_error);
      Send(response, HTTPResponse::HTTP_OK, kJson, ClusterStatusJson(s) + "\n");
    } else if (path == "/api/v1/conflicts") {
      std::vector<StatusConflict> conflicts;
      StatusSnapshot s = CollectStatus(config_, [&](PgConn& conn) { conflicts = ReadPendingConflicts(conn); });
      if (!s.postgres_ok) return SendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, s.postgres_error);
      Send(response, HTTPResponse::HTTP_OK, kJson, ConflictsJson(conflicts) + "\n");
    } else if (path == "/api/v1/sync/trigger") {
      Trigger(request, response);
    } else if (route->prefix) {
      State(request, response, effective, path.substr(std::string_view(route->path).size()), body);
    } else if (path == "/") {
      std::vector<StatusConflict> conflicts;
      StatusSnapshot s = CollectStatus(config_, [&](PgConn& conn) { conflicts = ReadPendingConflicts(conn, 100); });
      Send(response, s.healthy ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
           "text/html; charset=utf-8", StatusHtml(s, conflicts));
    }
  }

  // False (and a 401 sent) unless the request carries the bearer token.
  bool Authorized(HTTPServerRequest& request, HTTPServerResponse& response) {
    bool allowed = false;
    try {
      allowed = BearerTokenMatches(request.get("Authorization", ""), config_.status.token_file);
    } catch (const std::exception& e) {
      Log(LogLevel::kWarning, "{} {} refused: {}", request.getMethod(), request.getURI(), e.what());
    }
    if (!allowed) {
      response.set("WWW-Authenticate", "Bearer realm=\"tenantsync\"");
      SendError(response, HTTPResponse::HTTP_UNAUTHORIZED, "a valid bearer token is required");
    }
    return allowed;
  }

  // POST /api/v1/sync/trigger?deployment=NAME
  void Trigger(HTTPServerRequest& request, HTTPServerResponse& response) {
    if (!Authorized(request, response)) return;
    std::string deployment;
    for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters()) {
      if (name == "deployment") deployment = value;
    }
    if (deployment.empty()) return SendError(response, HTTPResponse::HTTP_BAD_REQUEST, "?deployment=NAME is required");
    PgConn conn = ConnectForStatus(config_);
    SyncTrigger::Result r = trigger_.Trigger(conn, deployment);
    switch (r.outcome) {
      case SyncTrigger::Outcome::kNotLeader:
        return SendError(response, HTTPResponse::HTTP_CONFLICT, "this node does not hold the lease; ask the leader");
      case SyncTrigger::Outcome::kUnknownDeployment:
        return SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no enabled deployment of that name");
      case SyncTrigger::Outcome::kBusy:
        return SendError(response, HTTPResponse::HTTP_CONFLICT, "a triggered run of that deployment is still going");
      case SyncTrigger::Outcome::kStarted:
        break;
    }
    JsonWriter w;
    w.BeginObject().Key("job_id").Int(r.job_id).Key("deployment").String(deployment).Key("status").String("requested");
    w.EndObject();
    Send(response, HTTPResponse::HTTP_ACCEPTED, kJson, w.str() + "\n");
  }

  // GET and PUT /api/v1/state/{key}.
  void State(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& method,
             const std::string& key, const std::string& body) {
    if (!ValidStateKey(key)) return SendError(response, HTTPResponse::HTTP_BAD_REQUEST, "bad key: use 1-256 of [A-Za-z0-9_.:-]");
    if (method == "PUT" && !Authorized(request, response)) return;
    PgConn conn = ConnectForStatus(config_);
    JsonWriter w;
    if (method == "PUT") {
      StateValue v;
      try {
        v = state_.Put(conn, key, body, "sync-status@" + config_.node.name);
      } catch (const PgError& e) {
        if (e.sqlstate().rfind("22", 0) == 0) return SendError(response, HTTPResponse::HTTP_BAD_REQUEST, "the body is not JSON");
        throw;
      }
      w.BeginObject().Key("key").String(key).Key("value").Raw(v.json).Key("updated_at").String(v.updated_at).EndObject();
      return Send(response, HTTPResponse::HTTP_OK, kJson, w.str() + "\n");
    }
    std::optional<StateValue> v = state_.Get(conn, key);
    if (!v) return SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such key");
    w.BeginObject().Key("key").String(key).Key("value").Raw(v->json).Key("updated_at").String(v->updated_at);
    w.Key("cached").Bool(v->cached).EndObject();
    Send(response, HTTPResponse::HTTP_OK, kJson, w.str() + "\n");
  }

  const Config& config_;
  StateCache& state_;
  const CacheListener* listener_;  // null when [status] cache_listen = false
  SyncTrigger& trigger_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* StatusHandlerFactory::createRequestHandler(const HTTPServerRequest&) {
  return new Router(config_, *state_, listener_.get(), *trigger_);
}

}  // namespace tenantsync

#include "common/status/status_handlers.h"

#include <Poco/URI.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/log.h"
#include "common/status/http_reply.h"
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

class Router {
 public:
  Router(const Config& config, StateCache& state, const CacheListener* listener, SyncTrigger& trigger)
      : config_(config), state_(state), listener_(listener), trigger_(trigger) {}

  void Serve(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& body) {
    const std::string& method = request.getMethod();
    std::string path;
    try {
      path = Poco::URI(request.getURI()).getPath();
    } catch (const std::exception&) {
      SendErrorReply(response, HTTPResponse::HTTP_BAD_REQUEST, "bad request URI");
      return;
    }
    try {
      Handle(request, response, method, path, body);
    } catch (const PgError& e) {
      Log(LogLevel::kWarning, "{} {}: {}", method, path, e.what());
      if (!response.sent()) SendErrorReply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "PostgreSQL error (see the server log)");
    } catch (const std::exception& e) {
      Log(LogLevel::kWarning, "{} {}: {}", method, path, e.what());
      if (!response.sent()) SendErrorReply(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error");
    }
  }

 private:
  void Handle(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& method,
              const std::string& path, const std::string& body) {
    static const std::vector<std::string> kMethods{"GET", "HEAD", "PUT", "POST"};
    if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
      response.set("Allow", "GET, HEAD, PUT, POST");
      SendErrorReply(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }

    const Route* route = nullptr;
    for (const Route& r : Routes()) {
      std::string_view p(r.path);
      if (path == p || (r.prefix && path.size() > p.size() && path.compare(0, p.size(), p) == 0)) route = &r;
    }
    if (route == nullptr) {
      SendErrorReply(response, HTTPResponse::HTTP_NOT_FOUND, "not found");
      return;
    }
    std::string effective = method == "HEAD" ? "GET" : method;
    if (std::find(route->methods.begin(), route->methods.end(), effective) == route->methods.end()) {
      std::string allow;
      for (const std::string& m : route->methods) allow += (allow.empty() ? "" : ", ") + m + (m == "GET" ? ", HEAD" : "");
      response.set("Allow", allow);
      SendErrorReply(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }

    if (path == "/health") {
      StatusSnapshot s = CollectStatus(config_);
      SendReply(response, s.healthy ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE, kJsonContentType,
           HealthJson(s) + "\n");
    } else if (path == "/metrics") {
      bool listen_up = listener_ != nullptr && listener_->up();
      SendReply(response, HTTPResponse::HTTP_OK, kPrometheusContentType, RenderStatusMetrics(config_, listen_up));
    } else if (path == "/api/v1/cluster/status") {
      StatusSnapshot s = CollectStatus(config_);
      if (!s.postgres_ok) return SendErrorReply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, s.postgres_error);
      SendReply(response, HTTPResponse::HTTP_OK, kJsonContentType, ClusterStatusJson(s) + "\n");
    } else if (path == "/api/v1/conflicts") {
      std::vector<StatusConflict> conflicts;
      StatusSnapshot s = CollectStatus(config_, [&](PgConn& conn) { conflicts = ReadPendingConflicts(conn); });
      if (!s.postgres_ok) return SendErrorReply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, s.postgres_error);
      SendReply(response, HTTPResponse::HTTP_OK, kJsonContentType, ConflictsJson(conflicts) + "\n");
    } else if (path == "/api/v1/sync/trigger") {
      Trigger(request, response);
    } else if (route->prefix) {
      State(request, response, effective, path.substr(std::string_view(route->path).size()), body);
    } else if (path == "/") {
      std::vector<StatusConflict> conflicts;
      StatusSnapshot s = CollectStatus(config_, [&](PgConn& conn) { conflicts = ReadPendingConflicts(conn, 100); });
      SendReply(response, s.healthy ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
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
      SendErrorReply(response, HTTPResponse::HTTP_UNAUTHORIZED, "a valid bearer token is required");
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
    if (deployment.empty()) return SendErrorReply(response, HTTPResponse::HTTP_BAD_REQUEST, "?deployment=NAME is required");
    PgConn conn = ConnectForStatus(config_);
    SyncTrigger::Result r = trigger_.Trigger(conn, deployment);
    switch (r.outcome) {
      case SyncTrigger::Outcome::kNotLeader:
        return SendErrorReply(response, HTTPResponse::HTTP_CONFLICT, "this node does not hold the lease; ask the leader");
      case SyncTrigger::Outcome::kUnknownDeployment:
        return SendErrorReply(response, HTTPResponse::HTTP_NOT_FOUND, "no enabled deployment of that name");
      case SyncTrigger::Outcome::kBusy:
        return SendErrorReply(response, HTTPResponse::HTTP_CONFLICT, "a triggered run of that deployment is still going");
      case SyncTrigger::Outcome::kStarted:
        break;
    }
    JsonWriter w;
    w.BeginObject().Key("job_id").Int(r.job_id).Key("deployment").String(deployment).Key("status").String("requested");
    w.EndObject();
    SendReply(response, HTTPResponse::HTTP_ACCEPTED, kJsonContentType, w.str() + "\n");
  }

  // GET and PUT /api/v1/state/{key}.
  void State(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& method,
             const std::string& key, const std::string& body) {
    if (!ValidStateKey(key)) return SendErrorReply(response, HTTPResponse::HTTP_BAD_REQUEST, "bad key: use 1-256 of [A-Za-z0-9_.:-]");
    if (method == "PUT" && !Authorized(request, response)) return;
    // PostgreSQL's jsonb parser recurses per level, and 20 000 levels exhaust
    // its stack (a PgError, so it was a 503): refuse them before connecting.
    if (method == "PUT" && !JsonNestingWithin(body, kMaxJsonDepth)) {
      return SendErrorReply(response, HTTPResponse::HTTP_BAD_REQUEST,
                            "the body is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    PgConn conn = ConnectForStatus(config_);
    JsonWriter w;
    if (method == "PUT") {
      StateValue v;
      try {
        v = state_.Put(conn, key, body, "sync-status@" + config_.node.name);
      } catch (const PgError& e) {
        if (e.sqlstate().rfind("22", 0) == 0) return SendErrorReply(response, HTTPResponse::HTTP_BAD_REQUEST, "the body is not JSON");
        throw;
      }
      w.BeginObject().Key("key").String(key).Key("value").Raw(v.json).Key("updated_at").String(v.updated_at).EndObject();
      return SendReply(response, HTTPResponse::HTTP_OK, kJsonContentType, w.str() + "\n");
    }
    std::optional<StateValue> v = state_.Get(conn, key);
    if (!v) return SendErrorReply(response, HTTPResponse::HTTP_NOT_FOUND, "no such key");
    w.BeginObject().Key("key").String(key).Key("value").Raw(v->json).Key("updated_at").String(v->updated_at);
    w.Key("cached").Bool(v->cached).EndObject();
    SendReply(response, HTTPResponse::HTTP_OK, kJsonContentType, w.str() + "\n");
  }

  const Config& config_;
  StateCache& state_;
  const CacheListener* listener_;  // null when [status] cache_listen = false
  SyncTrigger& trigger_;
};

}  // namespace

void StatusRouter::Serve(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& body) {
  Router(config_, *state_, listener_.get(), *trigger_).Serve(request, response, body);
}

}  // namespace tenantsync

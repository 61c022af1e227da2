// The HTTP API of `prereg serve`, as pure functions: one request in, one response (or one event
// to run) out. No sockets, no threads, no clocks; sessions and the listener do the I/O. HTTP
// status codes are mapped from outcomes and errors here and nowhere else.
//
//   POST /v1/pre-user-registration  event JSON -> 200 + decision record
//   POST /v1/hooks/supabase/before-user-created  Supabase's hook (frontdoor_supabase.h), when
//                                   Standard Webhooks secrets are configured
//   POST /v1/hooks/workos/user-registration  WorkOS' Action (frontdoor_workos.h), with its secret
//   POST /v1/hooks/kratos/registration  Ory Kratos' web_hook (frontdoor_kratos.h): bearer token or
//                                   basic auth
//   GET  /healthz                   200 while the process runs
//   GET  /readyz                    200 when workers are ready and requests are accepted, else 503
//   GET  /metrics                   Prometheus text format
// Errors: 400 body not JSON or not an event (or a Transfer-Encoding other than chunked), 401 no
// valid bearer token, 404, 405, 413 body over the limit, 503 + Retry-After when the queue is full
// or the service is stopping. Messages name the problem and never quote the body's bytes.

#ifndef PREREG_ADAPTERS_HTTP_ROUTES_H_
#define PREREG_ADAPTERS_HTTP_ROUTES_H_

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/adapters/frontdoor_kratos.h"
#include "prereg/adapters/frontdoor_supabase.h"
#include "prereg/adapters/frontdoor_workos.h"

namespace prereg::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

constexpr std::string_view kDecisionPath = "/v1/pre-user-registration";

// What the handler needs to know about the service, at the moment of the request.
struct RouteContext {
  const std::vector<std::string>* tokens = nullptr;  // accepted bearer tokens; empty: no auth
  bool ready = false;        // at least one worker answers
  bool accepting = true;     // false while shutting down
  size_t in_flight = 0;      // executions running or queued
  size_t capacity = 64;      // in_flight at which new executions get 503
  std::function<std::string()> render_metrics;
  bool decision_closed = false;  // POST /v1/pre-user-registration refused: only front doors served
  const supabase::Config* supabase = nullptr;  // the Supabase front door; null or no keys: off
  const workos::Config* workos = nullptr;      // the WorkOS front door; null or no secret: off
  const kratos::Config* kratos = nullptr;      // the Kratos front door; null or not enabled: off
  int64_t now_ms = 0;                          // Unix time in ms, for signature timestamps
};

// An event the service must run; the response comes from DecisionResponse.
struct RunEvent {
  nlohmann::json event;
  std::string frontdoor;       // "" for /v1/pre-user-registration, else "supabase", "workos", "kratos"
  std::string correlation_id;  // the platform's id of the sign-up (Supabase: metadata.uuid)
};

using RouteResult = std::variant<Response, RunEvent>;

RouteResult HandleRequest(const Request& req, const RouteContext& ctx);

// A front door's reply: `status` with `body` as JSON, or no body.
Response FrontDoorResponse(int status, const std::string& body, const Request& req);
// 200 with the decision record as JSON.
Response DecisionResponse(const DecisionRecord& record, const Request& req);
// A JSON error: {"error": <reason phrase in snake case>, "message": ...}.
Response ErrorResponse(bhttp::status status, std::string_view message, const Request& req);
// 413 for a body over `limit` bytes (the request itself could not be read whole).
Response PayloadTooLarge(size_t limit, unsigned version);
// A JSON error for a request that could not be read: HTTP/1.1, the connection closes.
Response PlainError(bhttp::status status, std::string_view message);

// Equal strings, in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace prereg::http

#endif  // PREREG_ADAPTERS_HTTP_ROUTES_H_

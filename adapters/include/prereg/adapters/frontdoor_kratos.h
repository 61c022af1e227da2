// Ory Kratos' registration web_hook (response.parse: true, so it runs before the identity is
// stored and can refuse it) as a front door of `prereg serve` (POST /v1/hooks/kratos/registration):
// to_event -> engine -> from_decision, pure functions. Kratos signs nothing: it authenticates with
// the service's bearer token (api_key: Authorization: Bearer ...) or basic auth. The request body
// comes from the Jsonnet template in examples/kratos/, which forwards identity, flow fields,
// allow-listed headers and never cookies or the CSRF token. Facts: idp-frontdoors.md §3, §5.
//
// Reply: allow = 200 {} or {"identity": {...}} with the complete metadata objects the flow changed
// (Kratos replaces each field whole); deny = 403 and validation errors = 400 with
// {"messages": [{"instance_ptr": "#/" or "#/traits/<field>", "messages": [{"id": 4000001,
// "text", "type": "error", "context"}]}]}; engine errors = 400 with id 5000001, never 5xx (Kratos
// retries 5xx, re-running side effects, and drops their body).

#ifndef PREREG_ADAPTERS_FRONTDOOR_KRATOS_H_
#define PREREG_ADAPTERS_FRONTDOOR_KRATOS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/status.h"

namespace prereg::http::kratos {

constexpr std::string_view kPath = "/v1/hooks/kratos/registration";
constexpr int64_t kDefaultBudgetMs = 20000;  // Kratos waits 30 s per attempt

struct Config {
  bool enabled = false;
  std::string basic_auth;  // "user:password" accepted besides the bearer tokens; empty: none
  // Validation error code -> identity trait ("email" puts the message on #/traits/email).
  std::map<std::string, std::string> fields;
  int64_t budget_ms = kDefaultBudgetMs;
  std::string tenant_id = "kratos";
};

struct Mapped {
  nlohmann::json event;
  std::string correlation_id;  // the flow's id
};
// The template's body ({identity, flow, request_headers, request_method, request_url}) as an
// Actions event (mapping table in idp-frontdoors.md §5).
Result<Mapped> ToEvent(const nlohmann::json& body, std::string_view tenant_id);

struct Reply {
  int status = 200;
  std::string body;
};
Reply FromDecision(const DecisionRecord& record, const Config& config);
Reply EngineError();

}  // namespace prereg::http::kratos

#endif  // PREREG_ADAPTERS_FRONTDOOR_KRATOS_H_

// WorkOS AuthKit's user-registration Action as a front door of `prereg serve`
// (POST /v1/hooks/workos/user-registration): verify -> to_event -> engine -> from_decision, each a
// pure function. Facts: ../shared/reference/idp-frontdoors.md §4, §5.
//
// Verify: WorkOS-Signature "t=<ms>, v1=<hex>", the hex HMAC-SHA256 keyed with the secret's bytes
// (as given, not decoded) over "<t>.<raw body>", compared in constant time; the timestamp within
// 30 s (the SDK's constructAction tolerance). Reply: always 200 with a signed
// {"object":"user_registration_action_response","payload":{"timestamp","verdict",
// "error_message"?},"signature"}: the payload compact, keys in that order, signed over
// "<timestamp>." + the payload's bytes, as WorkOS' SDK signs it (signResponse). Deny and validation
// errors carry the user message; engine errors a generic one (WorkOS denies by default too).

#ifndef PREREG_ADAPTERS_FRONTDOOR_WORKOS_H_
#define PREREG_ADAPTERS_FRONTDOOR_WORKOS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/status.h"

namespace prereg::http::workos {

constexpr std::string_view kPath = "/v1/hooks/workos/user-registration";
constexpr int64_t kToleranceMs = 30000;
constexpr int64_t kDefaultBudgetMs = 5000;  // WorkOS' own timeout is not documented

enum class Changes { kWarn, kFail };

struct Config {
  std::string secret;  // the Action's signing secret, as WorkOS shows it
  Changes changes = Changes::kWarn;
  int64_t budget_ms = kDefaultBudgetMs;
  std::string tenant_id = "workos";
  bool enabled() const { return !secret.empty(); }
};

// Hex HMAC-SHA256 of "<timestamp>.<payload>" keyed with `secret`'s bytes.
std::string Sign(std::string_view secret, std::string_view timestamp, std::string_view payload);
// OK when the header's v1 matches the body under `secret` and t is within 30 s of `now_ms`;
// kInvalidArgument saying which check failed.
Status Verify(std::string_view header, std::string_view body, std::string_view secret,
              int64_t now_ms);

struct Mapped {
  nlohmann::json event;
  std::string correlation_id;  // the action context's id
};
// The user_registration_action_context as an Actions event: email, name, given/family name, IP,
// user agent, the invitation and device fingerprint kept under event.frontdoor.
Result<Mapped> ToEvent(const nlohmann::json& payload, std::string_view tenant_id);

struct Reply {
  std::string body;     // the signed response
  std::string warning;  // for the service log
};
Reply FromDecision(const DecisionRecord& record, const Config& config, int64_t now_ms);
// Deny with a generic message: no decision in time, or the engine failed.
Reply EngineError(const Config& config, int64_t now_ms);

}  // namespace prereg::http::workos

#endif  // PREREG_ADAPTERS_FRONTDOOR_WORKOS_H_

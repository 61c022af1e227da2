#include "prereg/adapters/frontdoor_workos.h"

#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/adapters/http_routes.h"

#include "crypto.h"
#include "frontdoor_common.h"

namespace prereg::http::workos {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// signResponse: {timestamp, verdict, error_message (Deny only)}, compact, signed over
// "<timestamp>." + those bytes.
std::string Signed(const Config& config, int64_t now_ms, bool allow, std::string_view message) {
  ordered_json payload = {{"timestamp", now_ms}, {"verdict", allow ? "Allow" : "Deny"}};
  if (!allow && !message.empty()) payload["error_message"] = message;
  const std::string bytes = DumpJson(payload);
  ordered_json response = {{"object", "user_registration_action_response"},
                           {"payload", payload},
                           {"signature", Sign(config.secret, std::to_string(now_ms), bytes)}};
  return DumpJson(response);
}

}  // namespace

std::string Sign(std::string_view secret, std::string_view timestamp, std::string_view payload) {
  std::string message;
  message.reserve(timestamp.size() + payload.size() + 1);
  message.append(timestamp).append(".").append(payload);
  return Hex(HmacSha256(secret, message));
}

Status Verify(std::string_view header, std::string_view body, std::string_view secret,
              int64_t now_ms) {
  std::string_view t, v1;
  std::string_view rest = header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view part = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (part.rfind("t=", 0) == 0) t = part.substr(2);
    if (part.rfind("v1=", 0) == 0) v1 = part.substr(3);
  }
  if (t.empty() || v1.empty()) {
    return Status::InvalidArgument("the WorkOS-Signature header (t=<ms>, v1=<hex>) is required");
  }
  const auto ms = ParseDigits(t);
  if (!ms) return Status::InvalidArgument("the WorkOS-Signature timestamp is not a number of ms");
  if (*ms < now_ms - kToleranceMs) return Status::InvalidArgument("the WorkOS-Signature timestamp is too old");
  if (*ms > now_ms + kToleranceMs) {
    return Status::InvalidArgument("the WorkOS-Signature timestamp is too far in the future");
  }
  if (!ConstantTimeEquals(v1, Sign(secret, t, body))) {
    return Status::InvalidArgument("the WorkOS-Signature does not match the configured secret");
  }
  return Status::OK();
}

Result<Mapped> ToEvent(const json& payload, std::string_view tenant_id) {
  if (!payload.is_object() || !payload.contains("user_data") || !payload["user_data"].is_object()) {
    return Status::InvalidArgument(
        "the body is not a user_registration_action_context: {\"id\", \"user_data\": {...}}");
  }
  const json& data = payload["user_data"];
  json user = {{"user_metadata", json::object()}, {"app_metadata", json::object()}};
  for (const auto& [to, from] : {std::pair{"email", "email"}, {"name", "name"},
                                 {"given_name", "first_name"}, {"family_name", "last_name"}}) {
    if (!StringField(data, from).empty()) user[to] = StringField(data, from);
  }
  json request = {{"ip", StringField(payload, "ip_address")}, {"method", "POST"}, {"body", json::object()}};
  if (!StringField(payload, "user_agent").empty()) request["user_agent"] = StringField(payload, "user_agent");
  const std::string id = StringField(payload, "id");
  json event = {
      {"user", std::move(user)},
      {"request", std::move(request)},
      {"connection", {{"id", "workos"}, {"name", "workos"}, {"strategy", "workos"}}},
      {"tenant", {{"id", std::string(tenant_id)}}},
      {"transaction", {{"correlation_id", id}}},
      {"frontdoor", {{"platform", "workos"}, {"raw", payload}}},
  };
  return Mapped{std::move(event), id};
}

Reply EngineError(const Config& config, int64_t now_ms) {
  return Reply{Signed(config, now_ms, false, kGenericErrorMessage), ""};
}

Reply FromDecision(const DecisionRecord& record, const Config& config, int64_t now_ms) {
  if (record.outcome == Outcome::kError) return EngineError(config, now_ms);
  if (record.outcome == Outcome::kDeny) {
    return Reply{Signed(config, now_ms, false, UserMessage(record.denial->denial)), ""};
  }
  if (!ChangesUser(record)) return Reply{Signed(config, now_ms, true, ""), ""};
  const std::string what =
      "the flow changed the user (metadata or user id), which a WorkOS Action cannot apply";
  if (config.changes == Changes::kFail) {
    Reply r = EngineError(config, now_ms);
    r.warning = what + ": denied (--workos-changes fail)";
    return r;
  }
  return Reply{Signed(config, now_ms, true, ""),
               what + ": allowed without them (--workos-changes fail denies instead)"};
}

}  // namespace prereg::http::workos

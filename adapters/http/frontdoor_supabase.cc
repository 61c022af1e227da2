#include "prereg/adapters/frontdoor_supabase.h"

#include <cstdlib>

#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/adapters/http_routes.h"

#include "crypto.h"
#include "frontdoor_common.h"

namespace prereg::http::supabase {

using json = nlohmann::json;

namespace {

// Auth0's strategy for a Supabase provider.
std::string Strategy(const std::string& provider) {
  if (provider == "email") return "auth0";
  if (provider == "phone") return "sms";
  if (provider == "google") return "google-oauth2";
  if (provider.rfind("sso:", 0) == 0) return "samlp";
  return provider.empty() ? "auth0" : provider;
}

Reply Error(int http_code, std::string_view message) {
  return Reply{200, DumpJson(json{{"error", {{"http_code", http_code}, {"message", message}}}}), ""};
}

}  // namespace

Result<std::vector<std::string>> DecodeSecrets(const std::vector<std::string>& configured) {
  std::vector<std::string> keys;
  size_t position = 0;
  for (const auto& value : configured) {
    std::string_view rest(value);
    while (true) {
      const size_t bar = rest.find('|');
      std::string_view one = rest.substr(0, bar);
      ++position;
      if (one.rfind("v1a,", 0) == 0) {
        return Status::InvalidArgument(fmt::format(
            "--supabase-secret #{}: asymmetric (v1a) secrets are not supported; Supabase does not "
            "send them either",
            position));
      }
      if (one.rfind("v1,", 0) == 0) one.remove_prefix(3);
      if (one.rfind("whsec_", 0) == 0) one.remove_prefix(6);
      auto key = Unbase64(one);
      if (!key || key->size() < 16 || key->size() > 128) {
        return Status::InvalidArgument(fmt::format(
            "--supabase-secret #{}: not a Standard Webhooks secret (v1,whsec_ followed by the "
            "base64 of 24 to 64 bytes, as Supabase shows it)",
            position));
      }
      keys.push_back(std::move(*key));
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
  }
  return keys;
}

std::string Sign(std::string_view key, std::string_view id, std::string_view timestamp,
                 std::string_view body) {
  std::string message;
  message.reserve(id.size() + timestamp.size() + body.size() + 2);
  message.append(id).append(".").append(timestamp).append(".").append(body);
  return "v1," + Base64(HmacSha256(key, message));
}

Status Verify(const Signed& headers, std::string_view body, const std::vector<std::string>& keys,
              int64_t now) {
  if (headers.id.empty() || headers.timestamp.empty() || headers.signature.empty()) {
    return Status::InvalidArgument(
        "the webhook-id, webhook-timestamp and webhook-signature headers are required");
  }
  if (headers.id.find('.') != std::string_view::npos ||
      headers.timestamp.find('.') != std::string_view::npos) {
    return Status::InvalidArgument("webhook-id and webhook-timestamp must not contain '.'");
  }
  const auto ts = ParseDigits(headers.timestamp);
  if (!ts) return Status::InvalidArgument("webhook-timestamp is not a number of seconds");
  if (*ts < now - kToleranceSeconds) return Status::InvalidArgument("the webhook timestamp is too old");
  if (*ts > now + kToleranceSeconds) {
    return Status::InvalidArgument("the webhook timestamp is too far in the future");
  }
  std::vector<std::string> expected;
  for (const auto& key : keys) expected.push_back(Sign(key, headers.id, headers.timestamp, body));
  bool ok = false;
  std::string_view rest = headers.signature;
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    while (!entry.empty() && entry.back() == ',') entry.remove_suffix(1);  // "v1,a, v1,b"
    if (entry.rfind("v1,", 0) != 0 || entry.size() == 3) continue;
    for (const auto& e : expected) ok |= ConstantTimeEquals(entry, e);  // no early exit
  }
  if (!ok) return Status::InvalidArgument("no webhook signature matches a configured secret");
  return Status::OK();
}

Result<Mapped> ToEvent(const json& payload, std::string_view tenant_id) {
  if (!payload.is_object() || !payload.contains("user") || !payload["user"].is_object()) {
    return Status::InvalidArgument(
        "the body is not a before-user-created payload: {\"metadata\": {...}, \"user\": {...}}");
  }
  const json& user = payload["user"];
  const json metadata = payload.value("metadata", json::object());
  if (!metadata.is_object()) return Status::InvalidArgument("metadata must be an object");
  json user_metadata = user.value("user_metadata", json::object());
  json app_metadata = user.value("app_metadata", json::object());
  if (!user_metadata.is_object()) user_metadata = json::object();
  if (!app_metadata.is_object()) app_metadata = json::object();

  json u = {{"user_metadata", user_metadata}, {"app_metadata", app_metadata}};
  if (const auto email = StringField(user, "email"); !email.empty()) u["email"] = email;
  if (const auto phone = StringField(user, "phone"); !phone.empty()) {
    u["phone_number"] = phone[0] == '+' ? phone : "+" + phone;  // GoTrue stores it without '+'
  }
  for (const auto& [to, from] : {std::pair{"name", "full_name"}, {"name", "name"},
                                 {"picture", "avatar_url"}, {"picture", "picture"},
                                 {"given_name", "given_name"}, {"family_name", "family_name"},
                                 {"username", "user_name"}}) {
    if (!u.contains(to) && !StringField(user_metadata, from).empty()) u[to] = StringField(user_metadata, from);
  }
  if (user.contains("is_anonymous") && user["is_anonymous"].is_boolean()) {
    u["is_anonymous"] = user["is_anonymous"];
  }
  const std::string provider = StringField(app_metadata, "provider");
  const std::string uuid = StringField(metadata, "uuid");
  json event = {
      {"user", std::move(u)},
      {"request",
       {{"ip", StringField(metadata, "ip_address")}, {"method", "POST"}, {"body", json::object()}}},
      {"connection",
       {{"id", "supabase:" + (provider.empty() ? std::string("email") : provider)},
        {"name", provider.empty() ? std::string("email") : provider},
        {"strategy", Strategy(provider)}}},
      {"tenant", {{"id", std::string(tenant_id)}}},
      {"transaction", {{"correlation_id", uuid}}},
      {"frontdoor", {{"platform", "supabase"}, {"raw", payload}}},
  };
  return Mapped{std::move(event), uuid};
}

Reply EngineError() { return Error(500, kGenericErrorMessage); }

Reply FromDecision(const DecisionRecord& record, const Config& config) {
  if (record.outcome == Outcome::kError) return EngineError();
  if (record.outcome == Outcome::kDeny) {
    const auto& d = record.denial->denial;
    const bool validation = d.kind == Denial::Kind::kValidationError;
    const std::string message = UserMessage(d);
    if (config.reject_style == RejectStyle::kStatus) {
      // GoTrue before 2.187.0 reads no 2xx body: only a status refuses (the user sees a 500).
      return Reply{403, DumpJson(json{{"error", {{"http_code", 403}, {"message", message}}}}), ""};
    }
    return Error(validation ? 400 : 403, message);
  }
  if (!ChangesUser(record)) return Reply{204, "", ""};
  const std::string what =
      "the flow changed the user (metadata or user id), which Supabase's before-user-created hook "
      "cannot apply";
  if (config.changes == Changes::kFail) {
    Reply r = EngineError();
    r.warning = what + ": refused (--supabase-changes fail)";
    return r;
  }
  return Reply{204, "", what + ": allowed without them (--supabase-changes fail refuses instead)"};
}

}  // namespace prereg::http::supabase

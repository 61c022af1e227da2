#include "prereg/adapters/frontdoor_kratos.h"

#include <fmt/format.h>

#include "prereg/actions/json.h"

#include "frontdoor_common.h"

namespace prereg::http::kratos {

using json = nlohmann::json;

namespace {

constexpr int kValidationId = 4000001;  // Kratos' ErrorValidationGeneric
constexpr int kSystemId = 5000001;      // Kratos' ErrorSystemGeneric

// A forwarded header: Kratos sends each as a list of values; the template may flatten it.
std::string HeaderValue(const json& headers, const std::string& name) {
  if (!headers.is_object()) return std::string();
  for (const auto& [key, value] : headers.items()) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(key[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (!same) continue;
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array() && !value.empty() && value[0].is_string()) return value[0].get<std::string>();
  }
  return std::string();
}

std::string Address(const json& identity, const char* via) {
  const auto it = identity.find("verifiable_addresses");
  if (it == identity.end() || !it->is_array()) return std::string();
  for (const auto& a : *it) {
    if (StringField(a, "via") == via && !StringField(a, "value").empty()) return StringField(a, "value");
  }
  return std::string();
}

std::string Host(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return std::string();
  const size_t start = scheme + 3;
  const size_t end = url.find_first_of(":/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string Strategy(const std::string& active) {
  if (active == "password" || active == "passkey" || active == "webauthn") return "auth0";
  if (active == "code") return "email";
  if (active == "oidc") return "oidc";
  return active.empty() ? "auth0" : active;
}

Reply Messages(int status, std::string_view pointer, int id, std::string_view text, json context) {
  json message = {{"id", id}, {"text", text}, {"type", "error"}, {"context", std::move(context)}};
  json body = {{"messages", json::array({{{"instance_ptr", pointer}, {"messages", json::array({message})}}})}};
  return Reply{status, DumpJson(body)};
}

}  // namespace

Result<Mapped> ToEvent(const json& body, std::string_view tenant_id) {
  if (!body.is_object() || !body.contains("identity") || !body["identity"].is_object()) {
    return Status::InvalidArgument(
        "the body is not what examples/kratos/prereg.jsonnet sends: {\"identity\": {...}, "
        "\"flow\": {...}, ...}");
  }
  const json& identity = body["identity"];
  const json traits = identity.value("traits", json::object());
  const json flow = body.value("flow", json::object());
  const json headers = body.value("request_headers", json::object());

  json metadata_public = identity.value("metadata_public", json::object());
  if (!metadata_public.is_object()) metadata_public = json::object();
  json user = {{"user_metadata", std::move(metadata_public)}, {"app_metadata", json::object()}};
  std::string email = Address(identity, "email");
  if (email.empty()) email = StringField(traits, "email");
  if (!email.empty()) user["email"] = email;
  std::string phone = Address(identity, "sms");
  if (phone.empty()) phone = StringField(traits, "phone");
  if (!phone.empty()) user["phone_number"] = phone;
  if (traits.is_object() && traits.contains("name")) {
    const json& name = traits["name"];
    if (name.is_string()) {
      user["name"] = name;
    } else if (name.is_object()) {
      if (!StringField(name, "first").empty()) user["given_name"] = StringField(name, "first");
      if (!StringField(name, "last").empty()) user["family_name"] = StringField(name, "last");
    }
  }
  if (!StringField(traits, "username").empty()) user["username"] = StringField(traits, "username");

  std::string ip = HeaderValue(headers, "True-Client-Ip");
  if (ip.empty()) {
    const std::string forwarded = HeaderValue(headers, "X-Forwarded-For");
    ip = forwarded.substr(0, forwarded.find(','));
    while (!ip.empty() && ip.back() == ' ') ip.pop_back();
  }
  json transient = flow.value("transient_payload", json::object());
  if (!transient.is_object()) transient = json::object();
  json request = {{"ip", ip},
                  {"method", StringField(body, "request_method").empty() ? "POST" : StringField(body, "request_method")},
                  {"body", std::move(transient)}};
  if (const auto ua = HeaderValue(headers, "User-Agent"); !ua.empty()) request["user_agent"] = ua;
  if (const auto lang = HeaderValue(headers, "Accept-Language"); !lang.empty()) {
    request["language"] = lang.substr(0, lang.find(','));
  }
  const std::string url = StringField(flow, "request_url").empty() ? StringField(body, "request_url") : StringField(flow, "request_url");
  if (const auto host = Host(url); !host.empty()) request["hostname"] = host;
  if (const auto country = HeaderValue(headers, "Cf-Ipcountry"); !country.empty()) {
    request["geoip"] = {{"countryCode", country}};
  }
  const std::string active = StringField(flow, "active");
  const std::string flow_id = StringField(flow, "id");
  json event = {
      {"user", std::move(user)},
      {"request", std::move(request)},
      {"connection",
       {{"id", "kratos:" + (active.empty() ? std::string("password") : active)},
        {"name", active.empty() ? std::string("password") : active},
        {"strategy", Strategy(active)}}},
      {"tenant", {{"id", std::string(tenant_id)}}},
      {"transaction", {{"correlation_id", flow_id}}},
      {"frontdoor", {{"platform", "kratos"}, {"raw", body}}},
  };
  return Mapped{std::move(event), flow_id};
}

Reply EngineError() { return Messages(400, "#/", kSystemId, kGenericErrorMessage, json::object()); }

Reply FromDecision(const DecisionRecord& record, const Config& config) {
  if (record.outcome == Outcome::kError) return EngineError();
  if (record.outcome == Outcome::kDeny) {
    const auto& d = record.denial->denial;
    const bool validation = d.kind == Denial::Kind::kValidationError;
    const std::string text = UserMessage(d);
    std::string pointer = "#/";
    json context = {{"reason", text}};
    if (validation) {
      context["code"] = d.reason;
      if (auto it = config.fields.find(d.reason); it != config.fields.end()) {
        pointer = "#/traits/" + it->second;
      }
    }
    return Messages(validation ? 400 : 403, pointer, kValidationId, text, std::move(context));
  }
  // Kratos replaces each identity field it gets whole: send complete objects, only those changed.
  json identity = json::object();
  if (!record.requested_user_metadata.empty()) identity["metadata_public"] = record.user_metadata;
  if (!record.requested_app_metadata.empty()) identity["metadata_admin"] = record.app_metadata;
  if (record.requested_user_id) identity["external_id"] = *record.requested_user_id;
  if (identity.empty()) return Reply{200, "{}"};
  return Reply{200, DumpJson(json{{"identity", std::move(identity)}})};
}

}  // namespace prereg::http::kratos

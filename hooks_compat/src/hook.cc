// The Hook adapter's mapping (SPEC §4). Projection, from the Actions event:
//   user    = {tenant: tenant.id, username, email, emailVerified: false,
//              phoneNumber: user.phone_number, phoneNumberVerified: false,
//              user_metadata, app_metadata, password: request.body.password}
//   context = {renderLanguage: transaction.locale || request.language,
//              requestLanguage: request.language, request: {ip, language},
//              connection: {id, name, tenant: tenant.id}, webtask: {secrets}}
// Callback, to Actions API calls:
//   cb() / cb(null) / cb(null, {})                 -> nothing
//   cb(null, {user: {app_metadata, user_metadata}}) -> one set call per top-level key
//   cb(new PreUserRegistrationError(m, f))          -> api.access.deny(m, f)
//   cb(new Error(m)), cb(x)                         -> api.access.deny(m or x.message || String(x))

#include "prereg/hooks/hook.h"

#include <cmath>

#include <fmt/format.h>

namespace prereg::hooks {

namespace {

// Copies obj[from] to out[to] when it is present.
void CopyField(const nlohmann::json& obj, const char* from, nlohmann::json* out, const char* to) {
  if (!obj.is_object()) return;
  auto it = obj.find(from);
  if (it != obj.end()) (*out)[to] = *it;
}

const nlohmann::json& Member(const nlohmann::json& obj, const char* name) {
  static const nlohmann::json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(name);
  return it == obj.end() ? kNull : *it;
}

// JavaScript's String(n) for the common cases (integers print without a fraction).
std::string JsNumberString(const nlohmann::json& n) {
  if (n.is_number_integer() || n.is_number_unsigned()) return n.dump();
  double d = n.get<double>();
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 1e21) return fmt::format("{:.0f}", d);
  return fmt::format("{}", d);
}

bool JsTruthy(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return !v.get<std::string>().empty();
  if (v.is_number()) {
    double d = v.get<double>();
    return d != 0 && !std::isnan(d);
  }
  return true;  // objects and arrays
}

std::string JsString(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return JsNumberString(v);
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "null";
  if (v.is_array()) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ",";
      if (!v[i].is_null()) out += JsString(v[i]);
    }
    return out;
  }
  return "[object Object]";
}

}  // namespace

nlohmann::json ProjectUser(const nlohmann::json& event,
                           const std::optional<std::string>& password) {
  const auto& user = Member(event, "user");
  nlohmann::json out = nlohmann::json::object();
  CopyField(Member(event, "tenant"), "id", &out, "tenant");
  CopyField(user, "username", &out, "username");
  CopyField(user, "email", &out, "email");
  out["emailVerified"] = false;
  CopyField(user, "phone_number", &out, "phoneNumber");
  out["phoneNumberVerified"] = false;
  out["user_metadata"] = nlohmann::json::object();
  out["app_metadata"] = nlohmann::json::object();
  CopyField(user, "user_metadata", &out, "user_metadata");
  CopyField(user, "app_metadata", &out, "app_metadata");
  if (password) out["password"] = *password;
  return out;
}

nlohmann::json ProjectContext(const nlohmann::json& event) {
  const auto& request = Member(event, "request");
  const auto& locale = Member(Member(event, "transaction"), "locale");
  nlohmann::json out = nlohmann::json::object();
  if (locale.is_string() && !locale.get<std::string>().empty()) {
    out["renderLanguage"] = locale;
  } else {
    CopyField(request, "language", &out, "renderLanguage");
  }
  CopyField(request, "language", &out, "requestLanguage");
  nlohmann::json req = nlohmann::json::object();
  CopyField(request, "ip", &req, "ip");
  CopyField(request, "language", &req, "language");
  out["request"] = std::move(req);
  nlohmann::json connection = nlohmann::json::object();
  CopyField(Member(event, "connection"), "id", &connection, "id");
  CopyField(Member(event, "connection"), "name", &connection, "name");
  CopyField(Member(event, "tenant"), "id", &connection, "tenant");
  out["connection"] = std::move(connection);
  const auto& secrets = Member(event, "secrets");
  out["webtask"] = {{"secrets", secrets.is_object() ? secrets : nlohmann::json::object()}};
  return out;
}

CallbackError CallbackError::FromValue(const Value& v) {
  if (!v.is_json()) {
    // undefined is falsy; functions, symbols and BigInts (but 0n) are truthy.
    bool truthy = v.kind() != Value::Kind::kUndefined && v.kind() != Value::Kind::kNonFinite;
    return {truthy, false, v.Describe(), std::nullopt};
  }
  const auto& j = v.json();
  CallbackError out;
  out.truthy = JsTruthy(j);
  const auto& message = Member(j, "message");
  out.message = JsTruthy(message) ? JsString(message) : JsString(j);
  return out;
}

void ApplyCallback(const CallbackArgs& args, Api& api) {
  if (args.error.truthy) {
    if (args.error.is_pre_user_registration_error && args.error.friendly_message) {
      api.Deny(args.error.message, *args.error.friendly_message);
    } else {
      api.Deny(args.error.message);
    }
    return;
  }
  if (args.response.is_unreadable()) {
    api.RejectCall("cb(null, response)",
                   fmt::format("the response is {}: {}", args.response.Describe(),
                               args.response.Problem()));
    return;
  }
  if (!args.response.is_json()) return;
  const auto& user = Member(args.response.json(), "user");
  if (!user.is_object()) return;
  for (const char* name : {"app_metadata", "user_metadata"}) {
    auto it = user.find(name);
    if (it == user.end()) continue;
    if (!it->is_object()) {
      api.RejectCall("cb(null, response)",
                     fmt::format("response.user.{} must be a plain object, got {}", name,
                                 Value(*it).Describe()));
      continue;
    }
    for (const auto& [key, value] : it->items()) {
      if (name[0] == 'a') {
        api.SetAppMetadata(key, value);
      } else {
        api.SetUserMetadata(key, value);
      }
    }
  }
}

CallbackGate::CallbackGate(std::shared_ptr<StepRun> run) : run_(std::move(run)) {
  run_->set_waiting_on(kNeverCalledCb);
}

void CallbackGate::OnCallback(const CallbackArgs& args) {
  if (run_->ended() && !called_) return;  // timed out already
  if (called_) {
    run_->api().Log("prereg: cb was called again; ignored (only the first call counts)");
    return;
  }
  called_ = true;
  run_->set_waiting_on("");
  ApplyCallback(args, run_->api());
  run_->Finish(StepEnd::Returned());
}

void CallbackGate::OnThrow(const std::string& message) {
  if (run_->ended() && !called_) return;
  if (called_) {
    run_->api().Log(fmt::format("prereg: the Hook threw after calling cb; ignored: {}", message));
    return;
  }
  called_ = true;
  run_->Finish(StepEnd::Threw(message));
}

}  // namespace prereg::hooks

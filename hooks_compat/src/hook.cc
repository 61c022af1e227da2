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
#include <vector>

#include <fmt/format.h>

namespace prereg::hooks {

namespace {

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

// Where a projection is written: a tree (TreeSink) or text for a worker (TextSink). Each
// projection is written once, as a template over its sink, with keys in the order a tree dumps
// them (sorted), so that both give the same document.
class TreeSink {
 public:
  explicit TreeSink(nlohmann::json* root) : open_{root} { *root = nlohmann::json::object(); }
  void Begin(const char* key) {
    auto& child = (*open_.back())[key];
    child = nlohmann::json::object();
    open_.push_back(&child);
  }
  void End() { open_.pop_back(); }
  void Copy(const char* key, const nlohmann::json& value) { (*open_.back())[key] = value; }
  void Bool(const char* key, bool value) { (*open_.back())[key] = value; }
  void String(const char* key, const std::string& value) { (*open_.back())[key] = value; }
  void EmptyObject(const char* key) { (*open_.back())[key] = nlohmann::json::object(); }

 private:
  std::vector<nlohmann::json*> open_;
};

class TextSink {
 public:
  explicit TextSink(JsonWriter* w) : w_(*w) { w_.BeginObject(); }
  ~TextSink() { w_.EndObject(); }
  TextSink(const TextSink&) = delete;
  TextSink& operator=(const TextSink&) = delete;
  void Begin(const char* key) { w_.Key(key).BeginObject(); }
  void End() { w_.EndObject(); }
  void Copy(const char* key, const nlohmann::json& value) { w_.Key(key).Value(value); }
  void Bool(const char* key, bool value) { w_.Key(key).Bool(value); }
  void String(const char* key, const std::string& value) { w_.Key(key).String(value); }
  void EmptyObject(const char* key) { w_.Key(key).BeginObject().EndObject(); }

 private:
  JsonWriter& w_;
};

// obj[from] as `key` when obj holds it (find() on anything but an object finds nothing).
template <typename Sink>
void CopyField(Sink& out, const nlohmann::json& obj, const char* from, const char* key) {
  auto it = obj.find(from);
  if (it != obj.end()) out.Copy(key, *it);
}

// obj[from] as `key` when obj holds it, else an empty object.
template <typename Sink>
void CopyFieldOrEmpty(Sink& out, const nlohmann::json& obj, const char* from, const char* key) {
  auto it = obj.find(from);
  if (it != obj.end()) {
    out.Copy(key, *it);
  } else {
    out.EmptyObject(key);
  }
}

template <typename Sink>
void WriteUserTo(Sink& out, const nlohmann::json& event,
                 const std::optional<std::string>& password) {
  const auto& user = Member(event, "user");
  CopyFieldOrEmpty(out, user, "app_metadata", "app_metadata");
  CopyField(out, user, "email", "email");
  out.Bool("emailVerified", false);
  if (password) out.String("password", *password);
  CopyField(out, user, "phone_number", "phoneNumber");
  out.Bool("phoneNumberVerified", false);
  CopyField(out, Member(event, "tenant"), "id", "tenant");
  CopyFieldOrEmpty(out, user, "user_metadata", "user_metadata");
  CopyField(out, user, "username", "username");
}

template <typename Sink>
void WriteContextTo(Sink& out, const nlohmann::json& event) {
  const auto& request = Member(event, "request");
  const auto& locale = Member(Member(event, "transaction"), "locale");
  out.Begin("connection");
  CopyField(out, Member(event, "connection"), "id", "id");
  CopyField(out, Member(event, "connection"), "name", "name");
  CopyField(out, Member(event, "tenant"), "id", "tenant");
  out.End();
  if (locale.is_string() && !locale.get<std::string>().empty()) {
    out.Copy("renderLanguage", locale);
  } else {
    CopyField(out, request, "language", "renderLanguage");
  }
  out.Begin("request");
  CopyField(out, request, "ip", "ip");
  CopyField(out, request, "language", "language");
  out.End();
  CopyField(out, request, "language", "requestLanguage");
  out.Begin("webtask");
  const auto& secrets = Member(event, "secrets");
  if (secrets.is_object()) {
    out.Copy("secrets", secrets);
  } else {
    out.EmptyObject("secrets");
  }
  out.End();
}

}  // namespace

nlohmann::json ProjectUser(const nlohmann::json& event,
                           const std::optional<std::string>& password) {
  nlohmann::json out;
  TreeSink sink(&out);
  WriteUserTo(sink, event, password);
  return out;
}

nlohmann::json ProjectContext(const nlohmann::json& event) {
  nlohmann::json out;
  TreeSink sink(&out);
  WriteContextTo(sink, event);
  return out;
}

void WriteUser(JsonWriter* w, const nlohmann::json& event,
               const std::optional<std::string>& password) {
  TextSink sink(w);
  WriteUserTo(sink, event, password);
}

void WriteContext(JsonWriter* w, const nlohmann::json& event) {
  TextSink sink(w);
  WriteContextTo(sink, event);
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

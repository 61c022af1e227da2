#include "prereg/actions/decision.h"

#include <algorithm>

namespace prereg {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kAllow: return "allow";
    case Outcome::kDeny: return "deny";
    case Outcome::kError: return "error";
  }
  return "error";
}

const char* ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kActionError: return "action_error";
    case ErrorClass::kActionTimeout: return "action_timeout";
    case ErrorClass::kInvalidApiCall: return "invalid_api_call";
    case ErrorClass::kPlatformError: return "platform_error";
  }
  return "platform_error";
}

const char* StepStatusName(StepStatus s) {
  switch (s) {
    case StepStatus::kOk: return "ok";
    case StepStatus::kDenied: return "denied";
    case StepStatus::kFailed: return "failed";
    case StepStatus::kSkipped: return "skipped";
  }
  return "skipped";
}

nlohmann::ordered_json DecisionRecord::ToJson() const {
  using ojson = nlohmann::ordered_json;
  ojson out;
  out["outcome"] = OutcomeName(outcome);
  if (outcome == Outcome::kDeny && denial) {
    const auto& d = denial->denial;
    out["denial"] = {
        {"kind", d.kind == Denial::Kind::kAccessDenied ? "access_denied" : "validation_error"},
        {"reason", d.reason},
        {"user_message", d.user_message ? ojson(*d.user_message) : ojson(nullptr)},
        {"step", denial->step}};
  }
  if (outcome == Outcome::kError && error) {
    out["error"] = {{"class", ErrorClassName(error->error_class)},
                    {"message", error->message},
                    {"step", error->step}};
  }
  if (outcome == Outcome::kAllow) {
    ojson user = ojson::object();
    if (user_id) user["user_id"] = *user_id;
    user["app_metadata"] = ojson(app_metadata);
    user["user_metadata"] = ojson(user_metadata);
    out["user"] = std::move(user);
  }
  out["requested"] = {
      {"user_id", requested_user_id ? ojson(*requested_user_id) : ojson(nullptr)},
      {"app_metadata", ojson(requested_app_metadata)},
      {"user_metadata", ojson(requested_user_metadata)}};
  ojson steps_json = ojson::array();
  for (const auto& s : steps) {
    steps_json.push_back({{"name", s.name},
                          {"kind", StepKindName(s.kind)},
                          {"status", StepStatusName(s.status)},
                          {"duration_ms", s.duration_ms},
                          {"logs", s.logs}});
  }
  out["steps"] = std::move(steps_json);
  return out;
}

void WriteDenial(JsonWriter& w, const DecisionRecord::DenialInfo& denial) {
  const auto& d = denial.denial;
  w.BeginObject();
  w.Key("kind").String(d.kind == Denial::Kind::kAccessDenied ? "access_denied"
                                                              : "validation_error");
  w.Key("reason").String(d.reason);
  w.Key("user_message");
  d.user_message ? w.String(*d.user_message) : w.Null();
  w.Key("step").String(denial.step).EndObject();
}

void WriteError(JsonWriter& w, const DecisionRecord::ErrorInfo& error) {
  w.BeginObject();
  w.Key("class").String(ErrorClassName(error.error_class));
  w.Key("message").String(error.message);
  w.Key("step").String(error.step).EndObject();
}

std::string DecisionRecord::Dump() const {
  JsonWriter w(512);
  w.BeginObject().Key("outcome").String(OutcomeName(outcome));
  if (outcome == Outcome::kDeny && denial) WriteDenial(w.Key("denial"), *denial);
  if (outcome == Outcome::kError && error) WriteError(w.Key("error"), *error);
  if (outcome == Outcome::kAllow) {
    w.Key("user").BeginObject();
    if (user_id) w.Key("user_id").String(*user_id);
    w.Key("app_metadata").Value(app_metadata);
    w.Key("user_metadata").Value(user_metadata).EndObject();
  }
  w.Key("requested").BeginObject().Key("user_id");
  requested_user_id ? w.String(*requested_user_id) : w.Null();
  w.Key("app_metadata").Value(requested_app_metadata);
  w.Key("user_metadata").Value(requested_user_metadata).EndObject();
  w.Key("steps").BeginArray();
  for (const auto& s : steps) {
    w.BeginObject().Key("name").String(s.name);
    w.Key("kind").String(StepKindName(s.kind));
    w.Key("status").String(StepStatusName(s.status));
    w.Key("duration_ms").Number(s.duration_ms);
    w.Key("logs").BeginArray();
    for (const auto& line : s.logs) w.String(line);
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return std::move(w).Take();
}

SecretMask::SecretMask(const std::vector<std::string>& secrets,
                       const std::optional<std::string>& password) {
  for (const auto& value : secrets) {
    if (value.size() >= kMinMaskedSecretChars) values_.emplace_back(value, "[secret]");
  }
  if (password && !password->empty()) values_.emplace_back(*password, "[password]");
  std::stable_sort(values_.begin(), values_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void SecretMask::Apply(std::string* text) const {
  for (const auto& [value, replacement] : values_) {
    for (size_t pos = text->find(value); pos != std::string::npos;
         pos = text->find(value, pos + replacement.size())) {
      text->replace(pos, value.size(), replacement);
    }
  }
}

}  // namespace prereg

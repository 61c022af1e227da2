#include "reply.h"

#include <optional>

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg::adapters {

namespace {

using json = nlohmann::json;

// A whole number >= 0, or nothing.
std::optional<uint64_t> Count(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

hooks::CallbackArgs DecodeCallback(const json& call) {
  hooks::CallbackArgs args;
  const json& e = MemberOf(call, "e");
  const json& truthy = MemberOf(e, "t");
  if (truthy.is_boolean() && truthy.get<bool>()) {
    args.error.truthy = true;
    const json& pur = MemberOf(e, "pur");
    args.error.is_pre_user_registration_error = pur.is_boolean() && pur.get<bool>();
    args.error.message = StringMember(e, "message");
    const json& friendly = MemberOf(e, "friendly");
    if (friendly.is_string()) args.error.friendly_message = friendly.get<std::string>();
  }
  args.response = DecodeValue(MemberOf(call, "r"));
  return args;
}

std::vector<Value> DecodeArgs(const json& call) {
  std::vector<Value> args;
  const json& a = MemberOf(call, "a");
  if (!a.is_array()) return args;
  for (const auto& arg : a) args.push_back(DecodeValue(arg));
  return args;
}

}  // namespace

const json& MemberOf(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string StringMember(const json& obj, const char* key, std::string fallback) {
  const json& v = MemberOf(obj, key);
  return v.is_string() ? v.get<std::string>() : std::move(fallback);
}

Result<WorkerMessage> ParseWorkerMessage(std::string_view line) {
  auto parsed = ParseJson(line, "the line",
                          JsonLimits{JsonLimits{}.max_depth + kReplyWrapperDepth});
  if (!parsed.ok()) return parsed.status();
  WorkerMessage msg;
  msg.body = std::move(parsed).value();
  const json& type = MemberOf(msg.body, "t");
  if (!type.is_string()) {
    return Status::InvalidArgument("the line is not a message: an object with a string \"t\"");
  }
  msg.type = type.get<std::string>();
  msg.id = Count(MemberOf(msg.body, "id")).value_or(0);
  return msg;
}

Value DecodeValue(const json& wire) {
  if (!wire.is_object()) return Value();
  if (auto j = wire.find("j"); j != wire.end()) return Value(*j);
  const auto kind = StringMember(wire, "k", "undefined");
  if (kind == "function") return Value::OfKind(Value::Kind::kFunction);
  if (kind == "symbol") return Value::OfKind(Value::Kind::kSymbol);
  if (kind == "bigint") return Value::OfKind(Value::Kind::kBigInt);
  if (kind == "nonfinite") return Value::OfKind(Value::Kind::kNonFinite);
  if (kind == "cycle") return Value::OfKind(Value::Kind::kCycle);
  if (kind == "deep") return Value::OfKind(Value::Kind::kTooDeep);
  if (kind == "surrogate") return Value::OfKind(Value::Kind::kLoneSurrogate);
  if (kind == "large") {
    const json& string = MemberOf(wire, "string");
    return Value::TooLarge(Count(MemberOf(wire, "bytes")).value_or(0),
                           string.is_boolean() && string.get<bool>());
  }
  return Value();
}

json ApplyCalls(const json& calls, StepRun& run, hooks::CallbackGate* gate) {
  json last;
  if (!calls.is_array()) return last;
  for (const auto& call : calls) {
    const auto m = StringMember(call, "m");
    if (m == "log") {
      run.api().Log(StringMember(call, "line"));
    } else if (m == "cb" && gate != nullptr) {
      gate->OnCallback(DecodeCallback(call));
    } else if (m == "throw" && gate != nullptr) {
      gate->OnThrow(StringMember(call, "message"));
    } else if (auto method = ParseApiMethod(m)) {
      last = run.api().Invoke(*method, DecodeArgs(call));
    }
  }
  return last;
}

}  // namespace prereg::adapters

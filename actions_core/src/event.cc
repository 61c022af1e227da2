#include "prereg/actions/event.h"

#include <arpa/inet.h>

#include <initializer_list>

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg {

namespace {

const nlohmann::json* Field(const nlohmann::json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

// The paths are literals, formatted only into an error: CheckEvent runs on every sign-up, twice
// in the service (the route's ParseEvent, then ExecuteFlow), and must cost next to nothing when
// the event is well formed.
Status CheckObject(const nlohmann::json* v, const char* path, bool null_ok = false) {
  if (v == nullptr || v->is_object() || (null_ok && v->is_null())) return Status::OK();
  return Status::InvalidArgument(fmt::format("{} must be an object", path));
}

Status CheckStrings(const nlohmann::json* obj, const char* path,
                    std::initializer_list<const char*> names) {
  if (obj == nullptr) return Status::OK();
  for (const char* name : names) {
    const auto* v = Field(*obj, name);
    if (v != nullptr && !v->is_string()) {
      return Status::InvalidArgument(fmt::format("{}.{} must be a string", path, name));
    }
  }
  return Status::OK();
}

// request.ip, when given as a non-empty string, is an IPv4 address in dotted-quad form or an IPv6
// address (inet_pton's forms: no leading zeros, no fewer than four IPv4 parts). Empty is taken as
// unknown: the front doors pass on what the platform sent, which may be nothing. The value is not
// quoted back.
Status CheckIp(const nlohmann::json* request) {
  const auto* ip = request != nullptr ? Field(*request, "ip") : nullptr;
  if (ip == nullptr || !ip->is_string()) return Status::OK();  // the type is CheckStrings'
  const auto& text = ip->get_ref<const std::string&>();
  if (text.empty()) return Status::OK();
  unsigned char address[16];
  if (text.size() <= 45 && text.find('\0') == std::string::npos &&
      (::inet_pton(AF_INET, text.c_str(), address) == 1 ||
       ::inet_pton(AF_INET6, text.c_str(), address) == 1)) {
    return Status::OK();
  }
  return Status::InvalidArgument(
      "event.request.ip must be an IPv4 address (four numbers 0-255: 203.0.113.7) or an IPv6 "
      "address");
}

}  // namespace

Status CheckEvent(const nlohmann::json& event) {
  if (!event.is_object()) return Status::InvalidArgument("the event must be a JSON object");
  const auto* user = Field(event, "user");
  const auto* request = Field(event, "request");
  const auto* connection = Field(event, "connection");
  const auto* tenant = Field(event, "tenant");
  const auto* transaction = Field(event, "transaction");
  const auto* body = request != nullptr ? Field(*request, "body") : nullptr;
  // In this order; the first problem found is the one reported.
  Status s = CheckObject(user, "event.user");
  if (s.ok() && user != nullptr) {
    s = CheckObject(Field(*user, "app_metadata"), "event.user.app_metadata", true);
    if (s.ok()) s = CheckObject(Field(*user, "user_metadata"), "event.user.user_metadata", true);
  }
  if (s.ok()) s = CheckObject(request, "event.request");
  if (s.ok()) s = CheckObject(body, "event.request.body");
  if (s.ok() && request != nullptr) {
    s = CheckObject(Field(*request, "geoip"), "event.request.geoip");
  }
  if (s.ok()) s = CheckObject(connection, "event.connection");
  if (s.ok()) s = CheckObject(tenant, "event.tenant");
  if (s.ok()) s = CheckObject(transaction, "event.transaction", true);
  if (s.ok()) s = CheckStrings(request, "event.request", {"ip", "language"});
  if (s.ok()) s = CheckIp(request);
  if (s.ok()) s = CheckStrings(body, "event.request.body", {"password"});
  if (s.ok()) s = CheckStrings(connection, "event.connection", {"id", "name", "strategy"});
  if (s.ok()) s = CheckStrings(tenant, "event.tenant", {"id"});
  if (s.ok()) s = CheckStrings(transaction, "event.transaction", {"locale"});
  return s;
}

Result<nlohmann::json> ParseEvent(std::string_view text) {
  auto event = ParseJson(text, "the event");
  if (!event.ok()) return event;
  if (Status s = CheckEvent(event.value()); !s.ok()) return s;
  return event;
}

}  // namespace prereg
